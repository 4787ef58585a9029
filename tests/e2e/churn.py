#!/usr/bin/env python3
"""Compositor soak: clients come and go (tests/e2e/churn_client.c, --cycles N: connect, map a wl_shm
window, commit; then a clean disconnect, a SIGKILL mid-frame, or an exit with a second buffer
committed), while the test compositor renders with wlgpu. The compositor's open fds and resident
memory are read from /proc at the end of the warm-up (10 % of the cycles, at least 100) and
after the last client; they must not grow (fds: not at all; RSS: at most 16 MiB), no client may
fail, the compositor must end cleanly and its own --check-fds must pass.

    churn.py --compositor build/tests/harness/wlgpu-test-compositor --client build/tests/churn_client
             [--cycles 300] [--renderer wlgpu]

Prints "CHURN_SOAK cycles=N seconds=S fds=A->B rss_kib=C->D" for docs/reliability.md.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Checks, session  # noqa: E402

RSS_SLACK_KIB = 16 * 1024


def proc_sample(pid):
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/statm") as f:
        rss_kib = int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    return fds, rss_kib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--cycles", type=int, default=300)
    ap.add_argument("--renderer", default="wlgpu")
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--no-rss", action="store_true",
                    help="do not check the RSS (sanitizer builds: ASan's quarantine keeps freed memory)")
    args = ap.parse_args()
    out, env = session(args.out, "churn")
    warm = max(100, (args.cycles // 10) // 100 * 100)
    cmd = [args.compositor, "--renderer", args.renderer, "--seconds", str(args.timeout), "--check-fds",
           "--size", "800x600", "--clients", f"{args.client} --cycles {args.cycles}"]
    print("+", " ".join(cmd), flush=True)
    log_path = os.path.join(out, "churn.log")
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    timer = threading.Timer(args.timeout + 60, p.kill)
    timer.start()
    samples, done, lines = {}, None, []
    start = time.monotonic()
    with open(log_path, "w") as log:
        for line in p.stdout:
            log.write(line)
            lines.append(line)
            m = re.match(r"CHURN cycle=(\d+)", line)
            if m and int(m.group(1)) == warm:
                samples["warm"] = proc_sample(p.pid)
            m = re.match(r"CHURN done cycles=(\d+) frames=(\d+) killed=(\d+) failed=(\d+) seconds=([\d.]+)", line)
            if m:
                done = m
                time.sleep(1)  # the last client's teardown reaches the compositor
                samples["end"] = proc_sample(p.pid)
                p.send_signal(signal.SIGTERM)
    rc = p.wait()
    timer.cancel()
    log_text = "".join(lines)
    check = Checks()
    check(done is not None, "the churn client finished")
    check(rc == 0, f"the compositor exited with 0 (got {rc})")
    check("fd leak" not in log_text, "the compositor's --check-fds: no fd leak after the clients")
    if done:
        cycles, frames, killed, failed, secs = done.groups()
        check(failed == "0", f"{cycles} cycles: {frames} frames, {killed} killed mid-frame, {failed} failed")
    if "warm" in samples and "end" in samples:
        (f0, r0), (f1, r1) = samples["warm"], samples["end"]
        print(f"CHURN_SOAK cycles={args.cycles} seconds={time.monotonic() - start:.1f} fds={f0}->{f1} "
              f"rss_kib={r0}->{r1} warmup={warm}", flush=True)
        check(f1 <= f0, f"compositor fds after the warm-up {f0}, after the last client {f1}")
        if args.no_rss:
            print(f"info compositor RSS {r0} -> {r1} KiB (not checked: --no-rss)")
        else:
            check(r1 - r0 <= RSS_SLACK_KIB, f"compositor RSS {r0} -> {r1} KiB (limit +{RSS_SLACK_KIB})")
    else:
        check(False, f"samples taken ({sorted(samples)})")
    return check.finish(out)


if __name__ == "__main__":
    sys.exit(main())
