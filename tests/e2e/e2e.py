#!/usr/bin/env python3
"""End-to-end test: the demo compositor with real, unmodified weston clients, rendered by wlgpu
and by wlroots' pixman renderer (the oracle) in the same test, screenshots compared.

    e2e.py --compositor build/examples/wlgpu-compositor --seed-lib build/tests/libwlgpu-e2e-seed.so \
           --case basic --out DIR

Determinism (the clients animate, and two of them seed their RNG from the clock):
  * the compositor sends a fixed timestamp in every frame callback (--frame-time 0): simple-shm
    paints a function of that time, simple-damage moves its ball by the time delta (0), so every
    frame a client draws is the same picture;
  * tests/e2e/fixed_seed.c (LD_PRELOAD) pins srand()/srandom() seeds: simple-damage's ball
    position and weston-flower's petals are then the same in both runs;
  * toplevels are placed on a grid by the index of their --clients command, not by map order;
  * the screenshot is a full re-render of the output, taken --frames frames after every client
    mapped.

Tolerance (what may differ between a GPU rasteriser and pixman, and nothing else):
  * 1:1 copies and alpha blending: pixman blends in 8-bit fixed point with its own rounding, the
    GPU in float with one unorm8 rounding at the end; a channel may differ by a couple of
    levels, never more (ROUNDING = 3 of 255);
  * scaled or rotated-and-scaled output (2x): both filter bilinearly, pixman with 7-bit
    interpolation weights and REPEAT_NONE at surface edges (edge texels blend with transparent),
    the GPU with 8-bit weights and clamp-to-edge; so inside surfaces the ROUNDING bound holds,
    and only pixels within 1 output pixel of a surface edge may differ more; we bound their
    number (EDGE_FRACTION of the image) instead of finding the edges.
A wrong transform, offset, colour channel order, alpha or missing surface changes thousands of
pixels by far more than that, so the test still catches real bugs.
"""
import argparse
import os
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

ROUNDING = 3
EDGE_FRACTION = {"basic": 0.0, "transform90": 0.0, "scale2": 0.01, "subsurfaces": 0.0, "kill": 0.0}


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype == 6 and interlace == 0, "expects RGBA8 non-interlaced"
        elif kind == b"IDAT":
            idat += body
    raw, bpp, stride = zlib.decompress(idat), 4, w * 4
    out, prev = bytearray(), bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return w, h, bytes(out)


def write_png(path, w, h, rgba):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\0" + rgba[y * w * 4:(y + 1) * w * 4] for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_picture(path):
    """A test picture for weston-image: colour ramps, hard edges and a translucent band."""
    w, h = 240, 160
    px = bytearray()
    for y in range(h):
        for x in range(w):
            r, g, b, a = x * 255 // (w - 1), y * 255 // (h - 1), 255 - x * 255 // (w - 1), 255
            if (x // 20 + y // 20) % 2 == 0 and y < 60:
                r, g, b = 250, 250, 250
            if 100 <= y < 130:
                a = x * 255 // (w - 1)
            px += bytes((r, g, b, a))
    write_png(path, w, h, bytes(px))


def compare(a_path, b_path, diff_path):
    wa, ha, a = read_png(a_path)
    wb, hb, b = read_png(b_path)
    if (wa, ha) != (wb, hb):
        return None, f"sizes differ: {wa}x{ha} vs {wb}x{hb}"
    worst, over, diff = 0, 0, bytearray(len(a))
    for i in range(0, len(a), 4):
        d = max(abs(a[i] - b[i]), abs(a[i + 1] - b[i + 1]), abs(a[i + 2] - b[i + 2]), abs(a[i + 3] - b[i + 3]))
        worst = max(worst, d)
        if d > ROUNDING:
            over += 1
            diff[i:i + 4] = b"\xff\x00\xff\xff"
        else:
            v = d * 40
            diff[i:i + 4] = bytes((v, v, v, 255))
    write_png(diff_path, wa, ha, bytes(diff))
    return (worst, over, wa * ha), None


CASES = {
    # name: (compositor options, clients)
    "basic": ([], ["weston-simple-shm", "weston-simple-damage", "weston-image {picture}", "weston-flower"]),
    "transform90": (["--transform", "90"], ["weston-simple-shm", "weston-simple-damage", "weston-image {picture}"]),
    "scale2": (["--scale", "2", "--size", "1600x1000"],
               ["weston-simple-shm", "weston-simple-damage", "weston-image {picture}"]),
    "subsurfaces": ([], ["weston-subsurfaces", "weston-flower", "weston-simple-damage --use-viewport"]),
    # client 0 is SIGKILLed 5 frames after mapping; the compositor must go on and hold no more
    # fds at the end than before the clients (--check-fds); the screenshot shows the survivors.
    "kill": (["--kill", "0@5", "--check-fds"], ["weston-simple-shm", "weston-simple-damage", "weston-flower"]),
}


def vgem_render_node():
    """The render node of vgem (the test bed's GPU-less DRM device, where wlroots' gles2 runs on
    llvmpipe through kms_swrast). vgem's sysfs device has no driver link, virtio_gpu's has."""
    base = "/sys/class/drm"
    for n in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        if n.startswith("renderD") and not os.path.exists(os.path.join(base, n, "device", "driver")):
            return "/dev/dri/" + n
    return None


def run_collect(cmd, env, timeout, log_path):
    """Runs the compositor cmd (with its clients) in a session of its own; returns (exit status or
    "timeout", output). The output goes through a pipe, not a file: the compositor and its
    clients write concurrently, and on the test bed's 9p share concurrent writers to one file
    left holes (NUL runs) in it. It is written to log_path and printed, indented."""
    print("+", " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        data, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # the compositor and the clients holding the pipe
        data, _ = p.communicate()
        rc = "timeout"
    log = data.decode(errors="replace")
    with open(log_path, "w") as f:
        f.write(log)
    print("\n".join("    " + l for l in log.splitlines() if "could not load cursor" not in l), flush=True)
    return rc, log


def run(args, renderer, out_png, clients, extra, env):
    cmd = [args.compositor, "--renderer", renderer, "--frames", str(args.frames), "--frame-time", "0",
           "--screenshot", out_png, "--clients", ";".join(clients), "--size", "1280x720",
           "--ready-timeout", str(args.ready_timeout)] + extra
    print("+", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=args.timeout)
    lines = [l for l in p.stdout.splitlines() if "could not load cursor" not in l]
    print("\n".join("    " + l for l in lines), flush=True)
    return p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--seed-lib", required=True)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--out", default=None)
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--timeout", type=int, default=240)
    ap.add_argument("--ready-timeout", type=int, default=20, help="seconds the clients get to map")
    ap.add_argument("--renderers", default="wlgpu",
                    help="comma-separated renderers compared with pixman (gles2: the test bed's vgem node)")
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="wlgpu-e2e-")
    os.makedirs(out, exist_ok=True)
    runtime = tempfile.mkdtemp(prefix="wlgpu-e2e-xdg-")
    os.chmod(runtime, 0o700)
    picture = os.path.join(out, "picture.png")
    make_picture(picture)
    extra, clients = CASES[args.case]
    clients = [c.format(picture=picture) for c in clients]
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, LD_PRELOAD=os.path.abspath(args.seed_lib))
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("DISPLAY", None)

    renderers = args.renderers.split(",")
    if "gles2" in renderers:
        node = vgem_render_node()
        if not node:
            print("FAIL: --renderers gles2 needs the test bed's vgem render node (run with scripts/testbed)")
            return 1
        env["WLR_RENDER_DRM_DEVICE"] = node
    shots = {}
    for renderer in ["pixman"] + renderers:
        png = os.path.join(out, f"{args.case}-{renderer}.png")
        rc = run(args, renderer, png, clients, extra, env)
        if rc != 0:
            print(f"FAIL: the compositor with --renderer {renderer} exited with {rc}")
            return 1
        if not os.path.exists(png):
            print(f"FAIL: no screenshot from --renderer {renderer}")
            return 1
        shots[renderer] = png

    failed = False
    for renderer in renderers:
        result, err = compare(shots["pixman"], shots[renderer], os.path.join(out, f"{args.case}-{renderer}-diff.png"))
        if err:
            print(f"FAIL ({renderer}):", err)
            return 1
        worst, over, total = result
        allowed = int(EDGE_FRACTION[args.case] * total)
        print(f"{args.case}: {renderer} vs pixman: max channel difference {worst}/255; {over} of {total} pixels "
              f"differ by more than {ROUNDING} (allowed {allowed}); images in {out}")
        if over > allowed:
            print(f"FAIL: {renderer} and pixman disagree beyond filtering and rounding")
            failed = True
    if failed:
        return 1
    # The comparison must not be vacuous: the clients must have drawn something.
    _, _, px = read_png(shots["pixman"])
    colours = len(set(px[i:i + 3] for i in range(0, min(len(px), 4 * 1280 * 400), 4 * 7)))
    if colours < 16:
        print(f"FAIL: the screenshot has only {colours} colours; the clients did not draw")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
