#!/usr/bin/env python3
"""Implicit sync end to end, in the test bed only (CTest label guest; fails, never skips, outside it).

    implicit_sync.py --compositor build/tests/harness/wlgpu-test-compositor --client build/tests/implicit_client \
                     --mode ro|rw --out DIR

tests/e2e/implicit_client.c commits a DMA-BUF (a vgem dumb buffer, exported read-only: the CPU
copy path; or read-write: zero-copy import) while an unsignalled write fence sits on it, paints
its final picture --late-ms later and only then signals the fence. The compositor (wlgpu renderer,
wlgpu_surface_sync_create) must hold the commit until the fence signals, so its screenshot shows
exactly the final picture in the client's window: every pixel is compared with FINAL(x, y), the
same formula the client uses (at 1:1 an XRGB8888 copy or sample is exact: tolerance 0). With the
fence ignored, the read-only buffer is copied at commit time and shows the client's STALE fill.

--size 2048x1024 (read-only, 8 MiB): the copy is big enough to be made off the event loop
(src/wlr/commit_copy.cpp): held for the fence, then for the copy; the surface sync must count it,
and the visible part of the window is compared.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (read_png)

W, H = 160, 120
SLOT = (10, 10)  # the test compositor puts client 0's toplevel here


def final(x, y):
    return (x * 255 // (W - 1), y * 255 // (H - 1), (x * 7 + y * 13) & 255)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--mode", choices=["ro", "rw"], required=True)
    ap.add_argument("--late-ms", type=int, default=1500)
    ap.add_argument("--size", default="160x120")
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    global W, H
    W, H = (int(v) for v in args.size.split("x"))
    big = W * H * 4 >= 8 << 20
    if not os.path.exists("/dev/udmabuf"):
        print("FAIL: not in the test bed (no /dev/udmabuf): run with scripts/testbed")
        return 1
    out, env = e2e.session(args.out, "implicit")
    png = os.path.join(out, f"implicit-{args.mode}.png")
    client = f"{os.path.abspath(args.client)} --{args.mode} --late-ms {args.late_ms} --size {W}x{H}"
    cmd = [args.compositor, "--renderer", "wlgpu", "--frames", "10", "--frame-time", "0", "--ready-timeout", "60",
           "--screenshot", png, "--clients", client, "--size", "640x480", "--stats", "-v"]
    print("+", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=args.timeout)
    log = p.stdout
    keep = [l for l in log.splitlines() if "[DEBUG]" not in l or "wlgpu" in l]
    print("\n".join("    " + l for l in keep[-40:]), flush=True)

    def need(cond, what):
        if not cond:
            print("FAIL:", what)
            sys.exit(1)

    need(p.returncode == 0 and os.path.exists(png), f"the compositor failed (exit {p.returncode})")
    need("IMPLICIT_CLIENT FAIL" not in log, "the client failed")
    need("signalled the fence" in log, "the client never signalled its fence")
    need(re.search(r"implicit sync: holding a commit of surface", log), "no commit was held for its fence")
    path = "CPU copy" if args.mode == "ro" else "imported client buffer"
    need(path in log, f"the buffer did not take the expected path ({path})")
    if big:
        m = re.search(r"SURFACE_SYNC .*copies_off_loop=(\d+) copy_errors=(\d+)", log)
        need(m and int(m.group(1)) >= 1 and m.group(2) == "0",
             f"the buffer was not copied off the event loop ({m.group(0) if m else 'no SURFACE_SYNC line'})")
    w, h, px = e2e.read_png(png)
    stale = wrong = 0
    first = None
    vw, vh = min(W, w - SLOT[0]), min(H, h - SLOT[1])  # the visible part of the window
    for y in range(vh):
        for x in range(vw):
            i = ((SLOT[1] + y) * w + SLOT[0] + x) * 4
            got, want = tuple(px[i:i + 3]), final(x, y)
            if got == (0, 255, 0):
                stale += 1
            if got != want:
                wrong += 1
                first = first or (x, y, got, want)
    print(f"implicit-{args.mode}: {wrong} of {vw * vh} window pixels differ from the final picture "
          f"({stale} show the stale fill); first: {first}")
    need(wrong == 0, "the window does not show exactly the picture painted before the fence signalled")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
