#!/usr/bin/env python3
"""wlgpu's wlr_scene effects (wlgpu/wlr_scene_effects.h) end to end: the test compositor with
--corner-radius/--shadow/--blur/--effect (tests/harness/effects.c) and real weston clients.

    scene_effects.py --compositor build/tests/harness/wlgpu-test-compositor \
        --check build/tests/wlgpu-scene-effects-check --seed-lib build/tests/libwlgpu-e2e-seed.so --out DIR

Checks (determinism as in e2e.py: --frame-time 0, fixed seeds, windows on a grid):
  1. pixels: weston-simple-shm with --corner-radius 12 --shadow, against the CPU reference
     (scene_effects_check: tests/render/effects_reference.hpp's shadow and corners) built from
     the plain screenshot of the same scene; tolerance 2 levels, as the render tests' shadows
     (the erf approximation and the reference's grid: see tests/render/test_effects.cpp);
  2. damage: windows with corners, shadows and blur moving every frame (--move); then still
     windows with corners and shadows, where each commit damages only its window's box (part of
     its shadow node); an incremental frame (damage only, buffer reused) against a full redraw
     of the same frame: no stale shadow or blur pixels (ROUNDING: float rounding only);
  3. a user effect (--effect): grayscale over the output (every pixel r = g = b within 1);
  4. a user effect with a syntax error: the compositor prints Dawn's line:column, goes on
     without it, renders its frames and exits 0.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

SIGMA, ALPHA, RADIUS = 10, 0.5, 12  # the harness's shadow (tests/harness/effects.c) and the corners
SHADOW_TOLERANCE = 2
GRAYSCALE = """fn effect(texel: vec4f, pos: vec2f, user: array<vec4f, 8>, time: f32) -> vec4f {
    let l = dot(texel.rgb, vec3f(0.2126, 0.7152, 0.0722));
    return vec4f(vec3f(l), texel.a);
}
"""
BROKEN = """fn effect(texel: vec4f, pos: vec2f, user: array<vec4f, 8>, time: f32) -> vec4f {
    let x = texel.r +;
    return texel;
}
"""


def shoot(args, env, out, name, clients, extra):
    png = os.path.join(out, name + ".png")
    cmd = [args.compositor, "--frames", "20", "--frame-time", "0", "--screenshot", png, "--size", "1280x720",
           "--clients", ";".join(clients), "--ready-timeout", "60"] + extra
    rc, log = e2e.run_collect(cmd, env, 300, os.path.join(out, name + ".log"))
    return rc, log, png


def to_rgba(png, path):
    w, h, px = e2e.read_png(png)
    with open(path, "wb") as f:
        f.write(px)
    return w, h


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--check", required=True, help="the scene_effects_check binary")
    ap.add_argument("--seed-lib", required=True)
    ap.add_argument("--out")
    args = ap.parse_args()
    out, env = e2e.session(args.out, "scene-effects", args.seed_lib)
    check = e2e.Checks()

    # 1. corners and shadow against the CPU reference
    rc0, log0, plain = shoot(args, env, out, "plain", ["weston-simple-shm"], [])
    rc1, _, fx = shoot(args, env, out, "shadow", ["weston-simple-shm"],
                       ["--corner-radius", str(RADIUS), "--shadow"])
    check(rc0 == 0 and rc1 == 0, f"compositor runs exit 0 ({rc0}, {rc1})")
    boxes = [b for b in e2e.scene_boxes(log0) if b[2] > 1]
    check(len(boxes) == 1, f"one window in the plain scene: {boxes}")
    if rc0 == 0 and rc1 == 0 and len(boxes) == 1:
        x, y, bw, bh = boxes[0]
        w, h = to_rgba(plain, os.path.join(out, "plain.rgba"))
        to_rgba(fx, os.path.join(out, "shadow.rgba"))
        p = subprocess.run([args.check, os.path.join(out, "plain.rgba"), os.path.join(out, "shadow.rgba"),
                            str(w), str(h), str(x), str(y), str(bw), str(bh), str(RADIUS), str(SIGMA), str(ALPHA),
                            str(SHADOW_TOLERANCE)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(p.stdout, end="")
        check(p.returncode == 0, "rounded, shadowed window matches its CPU reference")

    # 2. damage: incremental frame == full redraw, with everything moving
    clients = ["weston-simple-damage", "weston-flower", "weston-simple-shm", "weston-image {picture}"]
    picture = os.path.join(out, "picture.png")
    e2e.make_picture(picture)
    clients = [c.format(picture=picture) for c in clients]
    fx_opts = ["--corner-radius", str(RADIUS), "--shadow"]
    # moving windows with blur too (whole effect nodes damaged); then still ones, where a
    # commit damages its window's box, which cuts through the window's shadow node (drawn only
    # inside the damage: a shadow drawn whole over last frame's would darken it twice)
    for name, extra in (("move", ["--move", "--blur"]), ("still", [])):
        for attempt in range(3):  # still windows: a frame in which no client committed has no damage
            rc2, log2, damaged = shoot(args, env, out, name + "-damaged", clients,
                                       fx_opts + extra + ["--damaged-screenshot"])
            if rc2 != 0 or not re.search(r"FRAME_DAMAGE output=0 damage_px=0 ", log2):
                break
            print(f"    {name}: the screenshot frame had no damage; again", flush=True)
        rc3, _, full = shoot(args, env, out, name + "-full", clients, fx_opts + extra)
        check(rc2 == 0 and rc3 == 0, f"{name}: compositor runs exit 0 ({rc2}, {rc3})")
        if rc2 == 0:
            err = e2e.check_incremental(log2)
            check(err is None, f"{name}: the damaged screenshot is an incremental frame" + (f": {err}" if err else ""))
        if rc2 == 0 and rc3 == 0:
            result, err = e2e.compare(full, damaged, os.path.join(out, name + "-diff.png"))
            if err:
                check(False, err)
            else:
                worst, bad, total = result
                print(f"    incremental vs full: worst {worst}, {bad} of {total} pixels over {e2e.ROUNDING}")
                check(bad == 0, f"{name}: no stale shadow or blur pixels (incremental frame == full redraw)")

    # 3. a user effect over the output
    gray_src = os.path.join(out, "grayscale.wgsl")
    with open(gray_src, "w") as f:
        f.write(GRAYSCALE)
    rc4, log4, gray = shoot(args, env, out, "grayscale", ["weston-simple-shm", "weston-flower"],
                            ["--effect", gray_src, "--shadow"])
    check(rc4 == 0 and "compiled" in log4, "grayscale effect compiled and the run exits 0")
    if rc4 == 0:
        w, h, px = e2e.read_png(gray)
        worst = max(max(abs(px[i] - px[i + 1]), abs(px[i + 1] - px[i + 2])) for i in range(0, len(px), 4))
        _, _, ppx = e2e.read_png(plain)
        colour = max(max(abs(ppx[i] - ppx[i + 1]), abs(ppx[i + 1] - ppx[i + 2])) for i in range(0, len(ppx), 4))
        print(f"    grayscale: worst |r-g|,|g-b| {worst} (the plain scene: {colour})")
        check(worst <= 1 and colour > 20, "the output effect made every pixel gray")

    # 4. a syntax error: reported with line:column, the compositor runs on
    bad_src = os.path.join(out, "broken.wgsl")
    with open(bad_src, "w") as f:
        f.write(BROKEN)
    rc5, log5, _ = shoot(args, env, out, "broken", ["weston-simple-shm"], ["--effect", bad_src, "--corner-radius", "8"])
    m = re.search(r"effect .*broken\.wgsl: .*:(\d+):(\d+) error", log5)
    check(m is not None and m.group(1) == "2", "the syntax error is reported at line 2 with its column"
          + (f" ({m.group(1)}:{m.group(2)})" if m else ""))
    check("runs on without it" in log5 and rc5 == 0 and "screenshot of" in log5,
          f"the compositor ran on without the effect and exited 0 ({rc5})")
    return check.finish(out)


if __name__ == "__main__":
    sys.exit(main())
