#!/usr/bin/env python3
"""DMA-BUF end to end, in the test bed only (CTest label guest; never skips: outside the bed it fails).

    dmabuf_guest.py --compositor build/tests/harness/wlgpu-test-compositor --seed-lib build/tests/libwlgpu-e2e-seed.so \
                    --case output|client --out DIR

output: the test compositor's headless output on DMA-BUF buffers. In the bed, wlroots'
  allocator choice (gbm on the renderer's DRM fd, a vgem render node) cannot allocate, so the
  compositor takes wlroots' udmabuf allocator and wlgpu renders into the imported dma-bufs
  directly. Required: the log says so. Oracle: the same scene (weston-simple-shm,
  weston-simple-damage) rendered by wlroots' pixman renderer into shm buffers, compared with
  e2e.py's tolerance (1:1 copies and blending: ROUNDING levels per channel, nothing else).

client: an unmodified client that submits DMA-BUFs: weston-simple-dmabuf-egl -d /dev/dri/card0
  (GBM on the vgem card node, Mesa's kms_swrast: the only node where a GBM bo can be made here).
  Required: the client maps, its buffer is imported (log), the device is not lost, and the
  window shows what it drew. Oracle: wlroots' pixman renderer cannot sample DMA-BUFs
  (get_texture_formats(DMABUF) is NULL, so it does not even advertise linux-dmabuf-v1), so the
  same client cannot run there; pixman renders the same scene without the client, and every
  pixel outside the client's window must match it (ROUNDING); inside, the window must not be
  the background, and must be the client's known pattern (check_client_pattern: black, and one
  square of half the window's size on the diagonal with its four vertex colours). On lavapipe the
  client's read-only dma-bufs take the copy path (docs/formats.md, "Read-only dma-bufs").
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (read_png, compare, ROUNDING)

def run(args, renderer, png, clients, env, verbose=False, timeout=None):
    cmd = [args.compositor, "--renderer", renderer, "--frames", "10", "--frame-time", "0",
           "--ready-timeout", "60", "--screenshot", png, "--clients", ";".join(clients), "--size", "1280x720",
           "--check-fds"]  # exit 1 on an fd leak (after the renderer's deferred releases)
    if verbose:
        cmd.append("-v")
    print("+", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout or args.timeout)
    keep = [l for l in p.stdout.splitlines() if "[DEBUG]" not in l or "wlgpu" in l]
    print("\n".join("    " + l for l in keep[-60:]), flush=True)
    return p.returncode, p.stdout


def need(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def check_client_pattern(px, stride_w, x0, y0, cw, ch):
    """What weston-simple-dmabuf-egl draws (clients/simple-dmabuf-egl.c, render()): a black clear,
    then a square of half the window's size whose vertex colours are green (top left), yellow (top
    right), red (bottom left), blue (bottom right), moving along the diagonal from the lower left to
    the upper right corner with the client's wall clock (gettimeofday; --frame-time 0 is the
    compositor's and does not fix it). So the position is not known in advance, but the shape is:
    the non-black pixels form one axis-aligned square of cw/2 x ch/2 (+-2 px: edge rasterisation),
    centred on the anti-diagonal (cx + cy = window size, +-3 px); everything else is black
    (<= ROUNDING); and 2 px inside each corner the colour is that vertex's, within 24 levels per
    channel: the colour changes by 255 over cw/2 = 128 px, so a sample 2.5 px from the vertex along
    both axes is off by at most 2 x 2.5 / 128 x 255 = 10 levels, plus rounding and margin. A y-flip,
    an R/B swap, stale or garbage content fails these checks."""
    def at(x, y):
        i = ((y0 + y) * stride_w + (x0 + x)) * 4
        return px[i], px[i + 1], px[i + 2]
    lit = [(x, y) for y in range(ch) for x in range(cw) if max(at(x, y)) > 40]
    need(lit, "the client's window is black: its square is missing")
    xs, ys = [p[0] for p in lit], [p[1] for p in lit]
    bx0, bx1, by0, by1 = min(xs), max(xs) + 1, min(ys), max(ys) + 1
    print(f"client: square at ({bx0},{by0})-({bx1},{by1}) in the window; {len(lit)} lit pixels")
    need((bx1 - bx0, by1 - by0) == (cw // 2, ch // 2),
         f"the lit area is {bx1 - bx0}x{by1 - by0}, not the client's {cw // 2}x{ch // 2} square")
    # Inside, the colour is interpolated between the vertex colours over the quad's two triangles:
    # the darkest point is the centroid of the green-red-blue triangle, (85, 85, 85). So no pixel has
    # all channels under 60; a black hole or block inside the square (a buffer read before the
    # client finished it) fails.
    holes = [(x, y) for y in range(by0, by1) for x in range(bx0, bx1) if max(at(x, y)) < 60]
    need(not holes, f"{len(holes)} pixels inside the square are dark (first at {holes[:1]}): torn or partial content")
    need(abs((bx0 + bx1) / 2 + (by0 + by1) / 2 - (cw + ch) / 2) <= 3,
         "the square is off the diagonal it moves on (flipped or misplaced content)")
    stray = sum(1 for y in range(ch) for x in range(cw)
                if not (bx0 <= x < bx1 and by0 <= y < by1) and max(at(x, y)) > e2e.ROUNDING)
    need(stray == 0, f"{stray} window pixels outside the square are not the client's black")
    corners = {"top left": ((bx0 + 2, by0 + 2), (0, 255, 0)), "top right": ((bx1 - 3, by0 + 2), (255, 255, 0)),
               "bottom left": ((bx0 + 2, by1 - 3), (255, 0, 0)), "bottom right": ((bx1 - 3, by1 - 3), (0, 0, 255))}
    for name, ((x, y), want) in corners.items():
        got = at(x, y)
        print(f"client: square {name} {got}, expected {want}")
        need(max(abs(g - e) for g, e in zip(got, want)) <= 24, f"the square's {name} corner is {got}, not {want}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--seed-lib", required=True)
    ap.add_argument("--case", required=True, choices=["output", "client"])
    ap.add_argument("--client-shots", type=int, default=3, help="client case: screenshots (runs) checked")
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    need(os.path.exists("/dev/udmabuf"), "not in the test bed (no /dev/udmabuf): run with scripts/testbed")
    out, env = e2e.session(args.out, "dmabuf", preload=args.seed_lib)
    env.pop("WLGPU_ALLOCATOR", None)
    ref, got = os.path.join(out, f"{args.case}-pixman.png"), os.path.join(out, f"{args.case}-wlgpu.png")

    if args.case == "output":
        clients = ["weston-simple-shm", "weston-simple-damage"]
        rc, log = run(args, "wlgpu", got, clients, env, verbose=True)
        need(rc == 0 and os.path.exists(got), f"wlgpu run failed (exit {rc})")
        need("allocator: udmabuf" in log, "the output did not get udmabuf (DMA-BUF) buffers")
        need(re.search(r"render target .*dmabuf 1280x720 .*rendered into directly", log),
             "wlgpu did not render into the output's dma-buf directly")
        rc, _ = run(args, "pixman", ref, clients, env)
        need(rc == 0 and os.path.exists(ref), f"pixman run failed (exit {rc})")
        res, err = e2e.compare(ref, got, os.path.join(out, "output-diff.png"))
        need(err is None, err)
        worst, over, total = res
        print(f"output: max channel difference {worst}/255, {over} of {total} pixels over {e2e.ROUNDING}")
        need(over == 0, "wlgpu (udmabuf output) and pixman (shm output) disagree beyond rounding")
    else:
        # LP_NUM_THREADS=0: the client's llvmpipe rasterises in eglSwapBuffers. With its threads,
        # it commits while they still write the buffer, and kms_swrast on vgem attaches no fence
        # to wait for (measured: poll on the dma-buf reports no fence at the commit, yet the bytes
        # change for up to ~100 ms after it), so no compositor could show every frame complete.
        # WLGPU_E2E_CLIENT_THREADED=1 keeps the threads (shows that the check sees torn frames).
        threads = "" if os.environ.get("WLGPU_E2E_CLIENT_THREADED") else "env LP_NUM_THREADS=0 "
        client = threads + "weston-simple-dmabuf-egl -d /dev/dri/card0"
        # After a device loss the compositor renders nothing and never finishes: fail in 150 s.
        try:
            rc, log = run(args, "wlgpu", got, [client], env, verbose=True, timeout=150)
        except subprocess.TimeoutExpired as e:
            text = e.output.decode() if isinstance(e.output, bytes) else (e.output or "")
            print("\n".join("    " + l for l in text.splitlines() if "wlgpu" in l or "compositor]" in l)[-4000:])
            need(False, "the compositor did not finish (the client's buffer import lost the GPU device?)")
        need(rc == 0 and os.path.exists(got), f"wlgpu run failed (exit {rc})")
        need("device lost" not in log and "was lost" not in log, "the GPU device was lost importing the client's buffer")
        need(re.search(r"toplevel .* of client 0 mapped", log), "the client did not map")
        # Zero-copy import, or (lavapipe: GBM's exports are read-only) the copy path, logged once per buffer.
        imported = re.findall(r"imported client buffer .*dmabuf", log)
        copied = re.findall(r"client buffer \S+ \(dmabuf .*\) is shown through a CPU copy", log)
        need(imported or copied, "no client DMA-BUF was imported or copied")
        need(len(copied) <= 4, f"the copy path was logged {len(copied)} times: once per buffer expected")
        need(log.count("cannot import client buffer") <= 4, "import failures are logged more than once per buffer")
        rc, _ = run(args, "pixman", ref, ["true"], env)  # the scene without the client
        w, h, a = e2e.read_png(ref)
        _, _, b = e2e.read_png(got)
        inside = outside_bad = 0
        m = re.search(r"toplevel .* mapped \((\d+)x(\d+)\)", log)
        cw, ch = (int(m.group(1)), int(m.group(2))) if m else (256, 256)
        for y in range(h):
            for x in range(w):
                i = (y * w + x) * 4
                d = max(abs(a[i + k] - b[i + k]) for k in range(3))
                if 10 <= x < 10 + cw and 10 <= y < 10 + ch:  # slot 0 sits at (10, 10)
                    inside += d > e2e.ROUNDING
                elif d > e2e.ROUNDING:
                    outside_bad += 1
        print(f"client: {inside} of {cw * ch} window pixels differ from the background; {outside_bad} outside")
        need(outside_bad == 0, "pixels outside the client's window differ from pixman's scene")
        need(inside > cw * ch // 4, "the client's window shows (almost) nothing it drew")
        check_client_pattern(b, w, 10, 10, cw, ch)
        # More screenshots of other commits (the square moves with the client's clock): a torn
        # copy shows in some frames only.
        for n in range(1, args.client_shots):
            shot = os.path.join(out, f"client-wlgpu-{n}.png")
            rc, log = run(args, "wlgpu", shot, [client], env, timeout=150)
            need(rc == 0 and os.path.exists(shot), f"wlgpu run {n} failed (exit {rc})")
            _, _, b = e2e.read_png(shot)
            check_client_pattern(b, w, 10, 10, cw, ch)
    print("PASS")


if __name__ == "__main__":
    main()
