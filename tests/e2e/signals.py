#!/usr/bin/env python3
"""The test compositor's signal handling (wl_event_loop_add_signal, i.e. signalfd) with each renderer.

    signals.py --compositor build/tests/harness/wlgpu-test-compositor [--runs 10]

signalfd sees a signal only if every thread of the process blocks it; the compositor blocks
SIGCHLD/SIGINT/SIGTERM in its own thread, after the renderer was created. A thread that the
renderer made Dawn or the Vulkan driver start with those signals unblocked takes them instead:
SIGCHLD is then discarded (the client's exit is never seen) and SIGTERM kills the compositor
(exit -15/143, no clean shutdown). So, for pixman (the oracle: it starts no threads) and wlgpu,
--runs times each: a client that exits with status 7 must be logged, and SIGTERM to the
compositor must give "signal 15: quitting", "done (exit 0)" and exit code 0.
"""
import argparse
import os
import queue
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import session  # noqa: E402

CLIENT = "sh -c 'exit 7'"
SEEN = "exited with status 7"


def one_run(args, renderer, env):
    cmd = [args.compositor, "--renderer", renderer, "--clients", CLIENT, "--ready-timeout", "600", "--size", "320x240"]
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    lines = queue.Queue()
    log = []

    def reader():
        for l in p.stdout:
            lines.put(l.rstrip("\n"))
        lines.put(None)
    threading.Thread(target=reader, daemon=True).start()

    def read_until(pred, deadline):
        while time.monotonic() < deadline:
            try:
                l = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return False
            if l is None:
                return False
            log.append(l)
            if pred(l):
                return True
        return False

    # The client starts at the second frame and exits at once; allow for a slow start-up.
    started = read_until(lambda l: "client 0:" in l, time.monotonic() + args.start_timeout)
    seen = started and read_until(lambda l: SEEN in l, time.monotonic() + args.seen_timeout)
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        rc = "timeout"
    read_until(lambda l: False, time.monotonic() + 5)  # the rest, up to EOF
    seen = seen or any(SEEN in l for l in log)
    clean = rc == 0 and any("signal 15: quitting" in l for l in log) and any("done (exit 0)" in l for l in log)
    return started, seen, clean, rc, log


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--start-timeout", type=float, default=60)
    ap.add_argument("--seen-timeout", type=float, default=5)
    args = ap.parse_args()
    _, env = session(None, "signals")

    fails = []
    for renderer in ("pixman", "wlgpu"):
        n_seen = n_clean = 0
        for i in range(args.runs):
            started, seen, clean, rc, log = one_run(args, renderer, env)
            n_seen += seen
            n_clean += clean
            print(f"{renderer} run {i + 1}: client exit {'seen' if seen else 'NOT SEEN'}; SIGTERM: "
                  f"{'clean shutdown' if clean else 'NOT CLEAN'} (exit {rc})", flush=True)
            if not started or not seen or not clean:
                print("\n".join("    " + l for l in log[-25:]), flush=True)
            if not started:
                fails.append(f"{renderer} run {i + 1}: the compositor did not start its client")
        print(f"{renderer}: client exit (status 7) logged in {n_seen} of {args.runs} runs; SIGTERM gave a clean "
              f"shutdown in {n_clean} of {args.runs}", flush=True)
        if n_seen != args.runs:
            fails.append(f"{renderer}: SIGCHLD lost in {args.runs - n_seen} of {args.runs} runs")
        if n_clean != args.runs:
            fails.append(f"{renderer}: SIGTERM did not shut down cleanly in {args.runs - n_clean} of {args.runs} runs")
    for f in fails:
        print("FAIL:", f)
    print("FAIL" if fails else "PASS")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
