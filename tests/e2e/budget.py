#!/usr/bin/env python3
"""Per-client buffer limits (wlgpu_surface_sync_set_client_limits), end to end: the test compositor
(wlgpu) with tests/e2e/budget_client.c in two roles, a hog that commits 1024x1024 wl_shm buffers
(4 MiB each) on ever more surfaces and a well-behaved client that redraws every frame. Two runs:

  bytes    --client-limits 16842752,0 (4 such buffers and the hog's 64x64 toplevel): the hog
           commits 4, gives two shares back (destroys a surface, unmaps another), commits 2 more,
           and its 7th is refused: a wl_display no_memory error (ENOMEM in libwayland), one log line naming
           the client, its pid and the limit;
  buffers  --client-limits 0,3 (3 surfaces with buffers): toplevel + 2, the 3rd big one refused.

In both the good client keeps getting frames (no frame callback later than MAX_GAP_MS) and the
compositor exits 0.

Then big CPU copies off the event loop (src/wlr/commit_copy.cpp): a client commits eight
2048x2048 buffers (16 MiB each) from pools not sealed against shrinking, the CPU's to copy, each
followed by a wl_display.sync:

  off_loop  beside the good client (role-less surface): no buffer is released before the sync
            sent right after its commit (copied synchronously, it is released while the commit
            request is handled, before the sync is: "inline"), the surface sync counts eight
            copies made off the event loop, and the good client keeps its frames; a third client
            commits one unsealed 4096x4096 buffer and disconnects at once, while its copy runs
            (the compositor must survive it: under ASan, no report);
  pixels    the same commits on a toplevel, screenshot against pixman's.

    budget.py --compositor build/tests/harness/wlgpu-test-compositor --client build/tests/budget_client
"""
import argparse
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import ROUNDING, Checks, compare, read_png, run_collect, session  # noqa: E402

MAX_GAP_MS = 500  # a frame every 16 ms; the hog's 4 MiB uploads take a few ms each on lavapipe
RUNS = {
    # name: (--client-limits, hog's successful commits, the limit named in the log)
    "bytes": ("16842752,0", 6, r"a 1024x1024 buffer would make the client's buffers 20987904 bytes \(limit 16842752\)"),
    "buffers": ("0,3", 2, r"the client's surfaces would hold 4 buffers \(limit 3\)"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    out, env = session(args.out, "budget")
    check = Checks()
    for name, (limits, commits, reason) in RUNS.items():
        clients = f"{args.client} --mode good --seconds 4;{args.client} --mode hog --size 1024x1024"
        cmd = [args.compositor, "--renderer", "wlgpu", "--seconds", "5", "--size", "640x480",
               "--client-limits", limits, "--clients", clients]
        rc, log = run_collect(cmd, env, args.timeout, os.path.join(out, f"budget-{name}.log"))
        check(rc == 0, f"{name}: the compositor exited with 0 (got {rc})")
        hog = re.search(r"BUDGET hog committed=(\d+) gave_back=(\d+) error=(\S+)", log)
        check(bool(hog), f"{name}: the hog reported")
        if hog:
            check(int(hog.group(1)) == commits, f"{name}: the hog committed {commits} buffers before the refusal "
                                                f"(got {hog.group(1)})")
            check(hog.group(3) == "ENOMEM", f"{name}: the hog got wl_display error no_memory (libwayland: ENOMEM; "
                                           f"got {hog.group(3)})")
        pid = re.search(r"client 'budget_client' \(pid (\d+)\) surface \d+: " + reason, log)
        check(bool(pid), f"{name}: the compositor logged the refusal naming the client and the limit")
        check(len(re.findall(r"surface sync: .*disconnecting it", log)) == 1, f"{name}: one refusal line")
        good = re.search(r"BUDGET good frames=(\d+) max_gap_ms=(\d+)", log)
        check(bool(good), f"{name}: the good client reported")
        if good:
            frames, gap = int(good.group(1)), int(good.group(2))
            check(frames >= 60, f"{name}: the good client got {frames} frames in 4 s (at least 60)")
            check(gap <= MAX_GAP_MS, f"{name}: its longest wait for a frame {gap} ms (at most {MAX_GAP_MS})")
    off_loop(args, out, env, check)
    return check.finish(out)


def off_loop(args, out, env, check):
    big = f"{args.client} --mode big-hidden --size 2048x2048 --unsealed 1 --seconds 3"
    # 1280x720: the third client's window must be on the output (it waits for a frame callback).
    cmd = [args.compositor, "--renderer", "wlgpu", "--seconds", "5", "--size", "1280x720", "--stats",
           "--clients", f"{args.client} --mode good --seconds 4;{big};"
           f"{args.client} --mode big-hidden --size 4096x4096 --unsealed 1 --quit 1"]
    rc, log = run_collect(cmd, env, args.timeout, os.path.join(out, "budget-off_loop.log"))
    check(rc == 0, f"off_loop: the compositor exited with 0 (got {rc})")
    check("BUDGET big quit" in log, "off_loop: the quitting client committed and left")
    m = re.search(r"BUDGET big commits=(\d+) last_picture=\d+ inline=(\d+)", log)
    check(bool(m) and m.group(1) == "8", "off_loop: the big client made its 8 commits")
    if m:
        check(m.group(2) == "0", f"off_loop: no commit uploaded while its request was handled (inline={m.group(2)})")
    s = re.search(r"SURFACE_SYNC .*copies_off_loop=(\d+) copy_errors=(\d+)", log)
    check(bool(s) and int(s.group(1)) >= 8 and s.group(2) == "0",
          f"off_loop: the surface sync made the 8 copies off the event loop ({s.group(0) if s else 'no stats'})")
    good = re.search(r"BUDGET good frames=(\d+) max_gap_ms=(\d+)", log)
    check(bool(good) and int(good.group(1)) >= 60 and int(good.group(2)) <= MAX_GAP_MS,
          f"off_loop: the good client kept its frames ({good.group(0) if good else 'no report'})")

    shots = {}
    for renderer in ("pixman", "wlgpu"):
        png = os.path.join(out, f"off_loop-{renderer}.png")
        cmd = [args.compositor, "--renderer", renderer, "--seconds", "3", "--size", "640x480", "--stats", "--screenshot", png,
               "--clients", f"{args.client} --mode big --size 2048x2048 --unsealed 1 --surfaces 3 --seconds 8"]
        rc, log = run_collect(cmd, env, args.timeout, os.path.join(out, f"budget-pixels-{renderer}.log"))
        check(rc == 0 and os.path.exists(png), f"pixels: the {renderer} run wrote its screenshot (exit {rc})")
        m = re.search(r"BUDGET big commits=3 last_picture=0", log)
        check(bool(m), f"pixels: the {renderer} client made its 3 commits")
        shots[renderer] = png
        if renderer == "wlgpu":
            s = re.search(r"SURFACE_SYNC .*copies_off_loop=(\d+)", log)
            check(bool(s) and int(s.group(1)) >= 3, "pixels: wlgpu made the copies off the event loop")
    if all(os.path.exists(p) for p in shots.values()):
        _, _, px = read_png(shots["wlgpu"])
        colours = len({bytes(px[i:i + 4]) for i in range(0, len(px), 4)})
        check(colours >= 1000, f"pixels: the screenshot shows the pattern ({colours} colours)")
        res, err = compare(shots["pixman"], shots["wlgpu"], os.path.join(out, "off_loop-diff.png"))
        check(err is None and res[1] == 0,
              f"pixels: wlgpu's screenshot matches pixman's ({err or f'{res[1]} of {res[2]} pixels over {ROUNDING}'})")


if __name__ == "__main__":
    sys.exit(main())
