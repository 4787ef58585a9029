#!/usr/bin/env python3
"""Device loss in a running compositor (issue 14): the test compositor (wlgpu renderer) with real
weston clients loses its GPU device, recovers as sway does (a new renderer and allocator, swapped
into wlr_compositor and the outputs, the old ones destroyed: tests/harness/device_loss.c), and its
next screenshot matches wlroots' pixman renderer (the oracle, a run without loss) again.

    device_loss.py --compositor build/tests/harness/wlgpu-test-compositor \\
        --seed-lib build/tests/libwlgpu-e2e-seed.so --phase frame --out DIR

The loss comes from outside: the script sends SIGUSR1 once every client has mapped, and the
compositor (--lose-device PHASE) makes the device lost (Dawn's wgpuDeviceForceLoss, as
tests/wlr/test_wlr_lost does) in the phase named:
  idle     at once, between two frames;
  frame    in the next render pass, right after a client's buffer was drawn (before the submit);
  import   in the next client commit that carries a buffer, before wlroots imports it;
  acquire  (test bed only: linux-drm-syncobj-v1) in the next commit that wlgpu's surface sync holds
           for its acquire point: tests/e2e/syncobj_client.c --mode late (red, then a blue buffer
           whose acquire point signals 1.5 s after the commit, painted green just before). There
           is no oracle for it (pixman has no explicit sync): the wait must move to the new
           renderer, the commit be applied only after the signal, release point 1 signal, and
           the screenshot (7 s after the clients mapped, after the recovery) show green.
Two clients commit a new buffer every frame (weston-simple-shm, weston-simple-damage) and are
re-imported by the new renderer on their next commit, as under sway; weston-flower draws once and
never commits again: its buffer is re-imported by wlgpu's surface sync when the old renderer goes
(without that it stays blank: 8,260 pixels over). --frame-time 0 and the seed library make every
frame the clients draw the same picture (tests/e2e/e2e.py).

Checks: the compositor exits 0; the loss was injected once and the device really lost; events.lost
reached the compositor once and it made exactly one new renderer; wlgpu logged the loss once
("device lost", "emitting wlr_renderer.events.lost") and no error line of wlgpu twice; no client
died; no fd more at the end than before the clients (--check-fds: the old renderer's fds are
gone); the screenshot, --frames frames after the recovery, matches pixman's (e2e.py's compare, its
self-check included).
"""
import argparse
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import (ROUNDING, Checks, compare, edge_mask, read_png, run_collect, scene_boxes, session,  # noqa: E402
                 wrong_block_caught)

CLIENTS = ["weston-simple-shm", "weston-simple-damage", "weston-flower"]
PHASES = ("idle", "frame", "import", "acquire")


def clients(args):
    return [f"{args.client} --mode late --late-ms 1500"] if args.phase == "acquire" else CLIENTS


def base_cmd(args, renderer, png):
    length = ["--seconds", "7", "--acquire-timeout", "2500"] if args.phase == "acquire" else ["--frames", str(args.frames)]
    return [args.compositor, "--renderer", renderer] + length + ["--frame-time", "0", "--screenshot", png, "--clients", ";".join(clients(args)), "--size", "1280x720",
            "--ready-timeout", str(args.ready_timeout), "--check-fds"]


def run_with_loss(args, env, png, log_path):
    """Runs the compositor with --lose-device; sends SIGUSR1 once every client mapped. Returns
    (exit status or "timeout" / "no start", the log)."""
    cmd = base_cmd(args, "wlgpu", png) + ["--lose-device", args.phase]
    print("+", " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines = queue.Queue()

    def reader():
        for raw in p.stdout:
            lines.put(raw.decode(errors="replace").rstrip("\n"))
        lines.put(None)
    threading.Thread(target=reader, daemon=True).start()
    log, signalled, rc = [], False, None
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        log.append(line)
        if not signalled and re.search(r"all \d+ clients mapped", line):
            p.send_signal(signal.SIGUSR1)
            signalled = True
    try:
        rc = p.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        rc = "timeout"
    if not signalled and rc != "timeout":
        rc = f"{rc} (exited before every client mapped)"
    text = "\n".join(log)
    with open(log_path, "w") as f:
        f.write(text + "\n")
    print("\n".join("    " + l for l in log if "could not load cursor" not in l), flush=True)
    return rc, text


def wlgpu_errors(log):
    """wlgpu's error lines without wlroots' timestamp prefix."""
    return [re.sub(r"^\S+ \[ERROR\] \[[^]]*\] ", "", l) for l in log.splitlines() if "[ERROR]" in l and "wlgpu" in l]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--seed-lib", required=True)
    ap.add_argument("--phase", required=True, choices=PHASES)
    ap.add_argument("--out", default=None)
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--timeout", type=int, default=240)
    ap.add_argument("--ready-timeout", type=int, default=120)  # the test bed (TCG): renderer start ~25 s
    ap.add_argument("--client", help="syncobj_client (--phase acquire)")
    args = ap.parse_args()
    if args.phase == "acquire" and not args.client:
        ap.error("--phase acquire needs --client")
    out, env = session(args.out, "loss", preload=args.seed_lib)
    check = Checks()

    ref = os.path.join(out, f"loss-{args.phase}-pixman.png")
    if args.phase != "acquire":
        rc, ref_log = run_collect(base_cmd(args, "pixman", ref), env, args.timeout, ref + ".log")
        if rc != 0 or not os.path.exists(ref):
            print(f"FAIL: the oracle (pixman) exited with {rc} or took no screenshot")
            return 1

    got = os.path.join(out, f"loss-{args.phase}-wlgpu.png")
    rc, log = run_with_loss(args, env, got, got + ".log")
    check(rc == 0, f"the compositor exited with 0 after the loss and recovery (got {rc})")

    def count(pattern):
        return len(re.findall(pattern, log))
    check(count(rf"DEVICE_LOSS injected phase={args.phase} .*: device lost") == 1,
          f"the device was lost once, in phase {args.phase}")
    check(count(r"renderer lost \(events\.lost #") == 1, "events.lost reached the compositor once")
    check(count(r"DEVICE_LOSS recovered") == 1, "one new renderer and allocator")
    check(count(r"wlgpu: device lost:") == 1, "wlgpu logged the device loss once")
    check(count(r"emitting wlr_renderer\.events\.lost") == 1, "wlgpu emitted events.lost once")
    errors = wlgpu_errors(log)
    repeated = sorted({e for e in errors if errors.count(e) > 1})
    check(not repeated, f"no wlgpu error line twice ({len(errors)} error lines; repeated: {repeated})")
    died = re.findall(r"client \d+ \(pid \d+\) (?:ended by signal|exited with status).*", log)
    check(not died, f"every client survived the loss ({died})")
    check(count(r"fd leak") == 0 and count(r"fds: \d+ before the clients") == 1,
          "no fd more at the end than before the clients (" +
          (re.search(r"fds: \d+ before the clients, \d+ after they are gone", log) or [""])[0] + ")")
    if args.phase == "frame":
        check(count(r"rendering the scene failed") == 1, "the frame whose render pass lost the device failed, once")

    if args.phase == "acquire":
        check_acquire(check, log, got)
    elif rc == 0 and os.path.exists(got):
        boxes = scene_boxes(ref_log)
        w, h, px = read_png(ref)
        check(len(boxes) == len(clients(args)) and len(set(px[i:i + 3] for i in range(0, len(px), 4 * 97))) >= 16,
              f"the oracle shows every client's drawing ({len(boxes)} surfaces)")
        check(scene_boxes(log) == boxes, f"the scene after the recovery is pixman's ({scene_boxes(log)} vs {boxes})")
        mask = edge_mask(w, h, boxes, 0)
        result, err = compare(ref, got, os.path.join(out, f"loss-{args.phase}-diff.png"), mask)
        if err:
            check(False, err)
        else:
            worst, over, total = result
            check(over == 0, f"the screenshot after the recovery matches pixman's: max channel difference "
                  f"{worst}/255, {over} of {total} pixels over {ROUNDING}")
            check(wrong_block_caught(ref, got, boxes, mask) > 0, "self-check: a wrong block would fail")
    else:
        check(False, "a screenshot after the recovery")
    return check.finish(out)


def check_acquire(check, log, png):
    """--phase acquire: the held commit's wait moved to the new renderer, the commit was applied
    after its point signalled (not early), the replaced buffer released, green shown."""
    from syncobj import GREEN, near, pixel  # noqa: E402 (the syncobj suite's cell geometry and colours)
    check(re.search(r"acquire path cpu", log) is not None, "explicit sync on the cpu path (commits held)")
    moved = re.findall(r"surface sync: (\d+) acquire wait\(s\) moved to the new renderer", log)
    check(moved == ["1"], f"the pending acquire wait was moved to the new renderer once ({moved})")
    late = re.search(r"SYNCOBJ_CLIENT late pending_ms=.*", log)
    print("    " + (late.group(0) if late else "no report of the late client"))
    check("SYNCOBJ_CLIENT late PASS" in log, "the client: applied only after the signal, a frame after it, "
          "release point 1 signalled")
    if os.path.exists(png):
        px = pixel(read_png(png), 0)
        check(near(px, GREEN), f"the screenshot after the recovery shows the signalled buffer (green): {px}")
    else:
        check(False, "a screenshot after the recovery")


if __name__ == "__main__":
    sys.exit(main())
