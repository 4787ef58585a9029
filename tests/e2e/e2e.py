#!/usr/bin/env python3
"""End-to-end test: the test compositor with real, unmodified weston clients, rendered by wlgpu
and by wlroots' pixman renderer (the oracle) in the same test, screenshots compared.

    e2e.py --compositor build/tests/harness/wlgpu-test-compositor --seed-lib build/tests/libwlgpu-e2e-seed.so \
           --case basic --out DIR

Determinism (the clients animate, and two of them seed their RNG from the clock):
  * the compositor sends a fixed timestamp in every frame callback (--frame-time 0): simple-shm
    paints a function of that time, simple-damage moves its ball by the time delta (0), so every
    frame a client draws is the same picture;
  * tests/e2e/fixed_seed.c (LD_PRELOAD) pins srand()/srandom() seeds: simple-damage's ball
    position and weston-flower's petals are then the same in both runs;
  * toplevels are placed on a grid by the index of their --clients command, not by map order;
  * the screenshot is a full re-render of the output, taken --frames frames after every client
    mapped; except in the "damage" case, where the toplevels move a few pixels every frame
    (compositor --move) and the screenshot of the renderer under test is an incremental frame:
    only the damage repainted into a reused buffer (buffer age), as users see it. Its oracle is
    still pixman's full render of the same scene (same frame, same positions), so wrong damage
    tracking, a wrong scissor or a buffer that loses its old content shows; the compositor's
    FRAME_DAMAGE line must show that the frame was partial and its buffer reused.

Tolerance (what may differ between a GPU rasteriser and pixman, and nothing else):
  * 1:1 copies and alpha blending: pixman blends in 8-bit fixed point with its own rounding, the
    GPU in float with one unorm8 rounding at the end; a channel may differ by a couple of
    levels, never more (ROUNDING = 3 of 255);
  * scaled or rotated-and-scaled output (2x): both filter bilinearly, pixman with 7-bit
    interpolation weights and REPEAT_NONE at surface edges (edge texels blend with transparent),
    the GPU with 8-bit weights and clamp-to-edge; so inside surfaces the ROUNDING bound holds,
    and only pixels within EDGE_BAND output pixels of a surface edge may differ more. The edges
    are the scene's: the compositor prints every buffer's box in output pixels at the screenshot
    (SCENE_BOX lines); the mask is the band around those box edges and nothing else.
Every pixel outside the mask must be within ROUNDING. Each run also checks the oracle itself: a
126x126 block, 8 levels off, in the middle of the largest surface must fail the comparison.
"""
import argparse
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

ROUNDING = 3
BLOCK = 126  # the self-check's wrong block (pixels square)


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


def pixel_diff(a, b, i):
    return max(abs(a[i] - b[i]), abs(a[i + 1] - b[i + 1]), abs(a[i + 2] - b[i + 2]), abs(a[i + 3] - b[i + 3]))


def compare(a_path, b_path, diff_path, mask=None):
    """Pixels over ROUNDING outside mask (a bytearray, 1 per pixel: may differ). The diff image:
    magenta over ROUNDING, dark blue over ROUNDING but masked, grey levels for small differences."""
    wa, ha, a = read_png(a_path)
    wb, hb, b = read_png(b_path)
    if (wa, ha) != (wb, hb):
        return None, f"sizes differ: {wa}x{ha} vs {wb}x{hb}"
    worst, over, diff = 0, 0, bytearray(len(a))
    for i in range(0, len(a), 4):
        d = pixel_diff(a, b, i)
        worst = max(worst, d)
        if d > ROUNDING and not (mask and mask[i // 4]):
            over += 1
            diff[i:i + 4] = b"\xff\x00\xff\xff"
        elif d > ROUNDING:
            diff[i:i + 4] = b"\x00\x00\x80\xff"
        else:
            v = d * 40
            diff[i:i + 4] = bytes((v, v, v, 255))
    write_png(diff_path, wa, ha, bytes(diff))
    return (worst, over, wa * ha), None


def scene_boxes(log, output=0):
    """The compositor's SCENE_BOX lines (buffer boxes in output pixels) for one output."""
    return sorted(tuple(map(int, m[1:])) for m in
                  re.findall(r"SCENE_BOX output=(\d+) x=(-?\d+) y=(-?\d+) w=(\d+) h=(\d+)", log)
                  if int(m[0]) == output)


def edge_mask(w, h, boxes, band):
    """1 for pixels within band pixels of a box edge: columns X-band..X+band-1 along a vertical
    edge at X (the pixels on both sides), likewise rows along horizontal edges; 0 elsewhere."""
    mask = bytearray(w * h)
    if band <= 0:
        return mask

    def fill(x0, y0, x1, y1):
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        for y in range(y0, y1):
            if x1 > x0:
                mask[y * w + x0:y * w + x1] = b"\x01" * (x1 - x0)

    for x, y, bw, bh in boxes:
        for ex in (x, x + bw):
            fill(ex - band, y - band, ex + band, y + bh + band)
        for ey in (y, y + bh):
            fill(x - band, ey - band, x + bw + band, ey + band)
    return mask


def with_wrong_block(w, h, px, boxes):
    """px with a BLOCK x BLOCK square, every colour channel 8 levels off, in the middle of the
    surface with the largest visible area."""
    def visible(bx):
        x0, y0 = max(bx[0], 0), max(bx[1], 0)
        return x0, y0, max(min(bx[0] + bx[2], w) - x0, 0), max(min(bx[1] + bx[3], h) - y0, 0)
    x, y, bw, bh = max((visible(bx) for bx in boxes), key=lambda bx: bx[2] * bx[3])
    x0, y0 = max(x + (bw - BLOCK) // 2, 0), max(y + (bh - BLOCK) // 2, 0)
    wrong = bytearray(px)
    for yy in range(y0, min(y0 + BLOCK, h)):
        for i in range((yy * w + x0) * 4, (yy * w + min(x0 + BLOCK, w)) * 4, 4):
            for k in range(3):
                wrong[i + k] ^= 8
    return wrong


def wrong_block_caught(ref_path, got_path, boxes, mask):
    """The oracle's self-check: the screenshot under test with a wrong block must not pass."""
    w, h, a = read_png(ref_path)
    _, _, b = read_png(got_path)
    wrong = with_wrong_block(w, h, b, boxes)
    over = sum(1 for p in range(w * h) if not mask[p] and pixel_diff(a, wrong, 4 * p) > ROUNDING)
    return over


class Case:
    def __init__(self, opts, clients, edge_band=0, incremental=False, outputs=1):
        self.opts = opts + (["--outputs", str(outputs)] if outputs > 1 else [])  # every renderer
        self.outputs = outputs          # each output's screenshot is compared
        self.clients = clients
        self.edge_band = edge_band      # pixels each side of a surface edge that may differ more
        self.incremental = incremental  # renderers under test: screenshot a damage-only frame


CASES = {
    "basic": Case([], ["weston-simple-shm", "weston-simple-damage", "weston-image {picture}", "weston-flower"]),
    "transform90": Case(["--transform", "90"], ["weston-simple-shm", "weston-simple-damage", "weston-image {picture}"]),
    "scale2": Case(["--scale", "2", "--size", "1600x1000"],
                   ["weston-simple-shm", "weston-simple-damage", "weston-image {picture}"], edge_band=1),
    "subsurfaces": Case([], ["weston-subsurfaces", "weston-flower", "weston-simple-damage --use-viewport"]),
    # client 0 is SIGKILLed 5 frames after mapping; the compositor must go on and hold no more
    # fds at the end than before the clients (--check-fds); the screenshot shows the survivors.
    "kill": Case(["--kill", "0@5", "--check-fds"], ["weston-simple-shm", "weston-simple-damage", "weston-flower"]),
    # toplevels move every frame; an animating client (simple-damage: a partial damage every
    # frame) and static ones; the renderer under test is captured on an incremental frame.
    # (Placed so that no two windows overlap: their stacking follows map order, which varies.)
    "damage": Case(["--move"], ["weston-simple-damage", "weston-flower", "weston-simple-shm", "weston-image {picture}"],
                   incremental=True),
    # two headless outputs side by side, clients 0 and 2 on the first, 1 and 3 on the second
    "outputs2": Case([], ["weston-simple-shm", "weston-simple-damage", "weston-image {picture}", "weston-flower"],
                     outputs=2),
}

# The renderers compared with the oracle (pixman): name -> extra compositor options.
# --renderers picks from them; gles2 runs only in the test bed (vgem_render_node).
RENDERERS = {"wlgpu": [], "gles2": [], "autocreate": []}
# "autocreate": the compositor calls wlr_renderer_autocreate/wlr_allocator_autocreate as an
# unmodified one does, with --preload (libwlgpu-autocreate-V.so) and WLR_RENDERER=wlgpu; its log
# must show that wlgpu rendered (AUTOCREATE_LINE).
AUTOCREATE_LINE = "wlgpu: renderer on"
ORACLE = "pixman"


def session(out, name, preload=None):
    """The output folder (out, or a new temporary one) and the compositor's environment: a private
    XDG_RUNTIME_DIR (0700), no WAYLAND_DISPLAY/DISPLAY of the caller's session, optionally a
    library preloaded into the compositor and its clients."""
    out = out or tempfile.mkdtemp(prefix=f"wlgpu-{name}-")
    os.makedirs(out, exist_ok=True)
    runtime = tempfile.mkdtemp(prefix=f"wlgpu-{name}-xdg-")
    os.chmod(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    for v in ("WAYLAND_DISPLAY", "DISPLAY"):
        env.pop(v, None)
    if preload:
        env["LD_PRELOAD"] = os.path.abspath(preload)
    return out, env


class Checks:
    """Named checks that all run (each printed ok/FAIL); check.fails lists the failed ones."""

    def __init__(self):
        self.fails = []

    def __call__(self, ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            self.fails.append(what)

    def finish(self, out):
        """Prints the verdict; the driver's exit status (1 if any check failed)."""
        print("FAIL" if self.fails else "PASS", f"({len(self.fails)} failed); output in {out}")
        return 1 if self.fails else 0


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
    """Runs the compositor; returns (exit code, its output)."""
    cmd = [args.compositor, "--renderer", renderer, "--frames", str(args.frames), "--frame-time", "0",
           "--screenshot", out_png, "--clients", ";".join(clients), "--size", "1280x720",
           "--ready-timeout", str(args.ready_timeout)] + extra
    print("+", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=args.timeout)
    lines = [l for l in p.stdout.splitlines() if "could not load cursor" not in l]
    print("\n".join("    " + l for l in lines), flush=True)
    return p.returncode, p.stdout


def check_incremental(log):
    """The screenshot frame was partial (damage < output) and rendered into a reused buffer."""
    m = re.search(r"FRAME_DAMAGE output=0 damage_px=(-?\d+) of=(\d+) age=(\d+)", log)
    if not m:
        return "no FRAME_DAMAGE line"
    dmg, total, age = map(int, m.groups())
    print(f"    incremental frame: damage {dmg} of {total} pixels, buffer age {age}")
    if not 0 < dmg < total:
        return f"the screenshot frame is not a partial redraw (damage {dmg} of {total} pixels)"
    if age < 1:
        return "the screenshot frame's buffer was not reused (buffer age 0: a fresh buffer)"
    return None


def corrupt_block(path, boxes):
    """--corrupt-block (to show the test fails): writes the wrong block into the screenshot."""
    w, h, px = read_png(path)
    write_png(path, w, h, bytes(with_wrong_block(w, h, px, boxes)))


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
                    help="comma-separated renderers compared with pixman (gles2: only in the test bed)")
    ap.add_argument("--corrupt-block", action="store_true",
                    help="paint the wrong block into each tested screenshot before comparing (must FAIL)")
    ap.add_argument("--preload", default=None,
                    help="libwlgpu-autocreate-V.so, preloaded into the compositor for --renderers autocreate")
    args = ap.parse_args()
    out, env = session(args.out, "e2e", preload=args.seed_lib)
    picture = os.path.join(out, "picture.png")
    make_picture(picture)
    case = CASES[args.case]
    clients = [c.format(picture=picture) for c in case.clients]
    renderers = args.renderers.split(",")
    if "gles2" in renderers:
        node = vgem_render_node()
        if not node:
            print("FAIL: --renderers gles2 needs the test bed's vgem render node (run with scripts/testbed)")
            return 1
        env["WLR_RENDER_DRM_DEVICE"] = node
    if "autocreate" in renderers and not args.preload:
        print("FAIL: --renderers autocreate needs --preload libwlgpu-autocreate-V.so")
        return 1

    def shoot(renderer, extra):
        """The screenshots (one per output: NAME.png, NAME-1.png, ...) and the log."""
        png = os.path.join(out, f"{args.case}-{renderer}.png")
        renv = env
        if renderer == "autocreate":  # the seed library stays for the clients
            renv = dict(env, WLR_RENDERER="wlgpu", LD_PRELOAD=os.path.abspath(args.preload) + ":" + env["LD_PRELOAD"])
        rc, log = run(args, renderer, png, clients, case.opts + extra, renv)
        if rc != 0:
            return None, None, f"the compositor with --renderer {renderer} exited with {rc}"
        if renderer == "autocreate" and AUTOCREATE_LINE not in log:
            return None, None, f"--renderer autocreate: no {AUTOCREATE_LINE!r} in the log: wlgpu did not render"
        pngs = [png] + [png[:-4] + f"-{k}.png" for k in range(1, case.outputs)]
        if not all(os.path.exists(p) for p in pngs):
            return None, None, f"no screenshot of every output from --renderer {renderer}"
        return pngs, log, None

    refs, ref_log, err = shoot(ORACLE, [])
    if err:
        print("FAIL:", err)
        return 1
    shots = {r: shoot(r, RENDERERS[r] + (["--damaged-screenshot"] if case.incremental else [])) for r in renderers}
    fails = sum(compare_output(args, case, out, shots, k, ref, ref_log) for k, ref in enumerate(refs))
    print("FAIL" if fails else "PASS")
    return 1 if fails else 0


def compare_output(args, case, out, shots, k, ref, ref_log):
    """Compares output k's screenshot from each renderer (shots: renderer -> (screenshots, log,
    error)) with the oracle's; returns the number of failures."""
    name = args.case if k == 0 else f"{args.case}-{k}"
    boxes = scene_boxes(ref_log, k)
    w, h, px = read_png(ref)
    # The comparison must not be vacuous: the clients must have drawn something.
    colours = len(set(px[i:i + 3] for i in range(0, min(len(px), 4 * 1280 * 400), 4 * 7)))
    if colours < 16 or not boxes:
        print(f"FAIL: output {k}: the screenshot has only {colours} colours, {len(boxes)} surfaces; "
              "the clients did not draw")
        return 1
    mask = edge_mask(w, h, boxes, case.edge_band)
    fails = 0
    for renderer, (gots, log, err) in shots.items():
        got = gots[k] if gots else None
        if err:
            print("FAIL:", err)
            fails += 1
            continue
        if scene_boxes(log, k) != boxes:
            print(f"FAIL: {renderer}: output {k}'s scene differs from {ORACLE}'s: {scene_boxes(log, k)} vs {boxes}")
            fails += 1
            continue
        if case.incremental:
            err = check_incremental(log)
            if err:
                print(f"FAIL: {renderer}: {err}")
                fails += 1
                continue
        if args.corrupt_block:
            corrupt_block(got, boxes)
        result, err = compare(ref, got, os.path.join(out, f"{name}-{renderer}-diff.png"), mask)
        if err:
            print(f"FAIL: {renderer}: {err}")
            fails += 1
            continue
        worst, over, total = result
        print(f"{name}: {renderer}: max channel difference {worst}/255; {over} of {total} pixels differ by "
              f"more than {ROUNDING} outside the {sum(mask)} edge pixels ({len(boxes)} surfaces, band "
              f"{case.edge_band}); images in {out}")
        if over:
            print(f"FAIL: {renderer} and {ORACLE} disagree beyond filtering at surface edges and rounding")
            fails += 1
            continue
        caught = wrong_block_caught(ref, got, boxes, mask)
        if not caught:
            print(f"FAIL: the oracle is blind: a wrong {BLOCK}x{BLOCK} block in the largest surface passes")
            fails += 1
            continue
        print(f"    self-check: a wrong {BLOCK}x{BLOCK} block would fail ({caught} pixels over)")
    return fails


if __name__ == "__main__":
    sys.exit(main())
