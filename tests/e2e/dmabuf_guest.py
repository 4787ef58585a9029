#!/usr/bin/env python3
"""DMA-BUF end to end, in the test bed only (CTest label guest; never skips: outside the bed it fails).

    dmabuf_guest.py --compositor build/examples/wlgpu-compositor --seed-lib build/tests/libwlgpu-e2e-seed.so \
                    --case output|client --out DIR

output: the demo compositor's headless output on DMA-BUF buffers. In the bed, wlroots'
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
  the background (the client's squares are there).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (read_png, compare, ROUNDING)

def run(args, renderer, png, clients, env, verbose=False, timeout=None):
    cmd = [args.compositor, "--renderer", renderer, "--frames", "10", "--frame-time", "0",
           "--ready-timeout", "60", "--screenshot", png, "--clients", ";".join(clients), "--size", "1280x720"]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--seed-lib", required=True)
    ap.add_argument("--case", required=True, choices=["output", "client"])
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    need(os.path.exists("/dev/udmabuf"), "not in the test bed (no /dev/udmabuf): run with scripts/testbed")
    out = args.out or tempfile.mkdtemp(prefix="wlgpu-dmabuf-")
    os.makedirs(out, exist_ok=True)
    runtime = tempfile.mkdtemp(prefix="wlgpu-rt-")
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, LD_PRELOAD=os.path.abspath(args.seed_lib))
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
        client = "weston-simple-dmabuf-egl -d /dev/dri/card0"
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
        need(re.search(r"imported client buffer .*dmabuf", log), "no client DMA-BUF was imported")
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
    print("PASS")


if __name__ == "__main__":
    main()
