#!/usr/bin/env python3
"""The example compositor (examples/tinywl) renders a real client with wlgpu.

    tinywl.py --example build/examples/wlgpu-tinywl --capture build/tests/capture_client --out DIR

Runs wlgpu-tinywl headless (WLR_BACKENDS=headless: one 1280x720 output) with
`-s weston-simple-shm`, then takes screenshots of its output with tests/e2e/capture_client.c
(ext-image-copy-capture-v1, as grim does) until the client's window is there or the time is up.
weston-simple-shm's 256x256 XRGB8888 window, which tinywl puts at (0, 0), has a 20-pixel white
border (its padding, memset to 0xff) around an animated pattern; tinywl's scene has no background,
so the rest of the output is black. Checked: the log names the wlgpu renderer; every border pixel
is exactly white; every pixel outside the window is exactly black; the inside shows the client's
pattern (many colours, neither all white nor all black).
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import session  # noqa: E402

WIN, PAD = 256, 20


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    w, h = int(m.group(1)), int(m.group(2))
    px = data[m.end():]
    return w, h, px


def check(path):
    """The list of what is wrong with the screenshot (empty: as expected)."""
    w, h, px = read_ppm(path)
    at = lambda x, y: tuple(px[(y * w + x) * 3:(y * w + x) * 3 + 3])  # noqa: E731
    bad = []
    if (w, h) != (1280, 720):
        return [f"output is {w}x{h}, not 1280x720"]
    border = [(x, y) for y in range(WIN) for x in range(WIN)
              if x < PAD or y < PAD or x >= WIN - PAD or y >= WIN - PAD]
    not_white = [(x, y, at(x, y)) for x, y in border if at(x, y) != (255, 255, 255)]
    if not_white:
        bad.append(f"{len(not_white)} of {len(border)} border pixels not white, e.g. {not_white[:3]}")
    rows = [(y, WIN if y < WIN else 0) for y in range(h)]  # each row's part outside the window
    not_black = [(x, y, at(x, y)) for y, x0 in rows if px[(y * w + x0) * 3:(y + 1) * w * 3].count(0) != (w - x0) * 3
                 for x in range(x0, w) if at(x, y) != (0, 0, 0)]
    if not_black:
        bad.append(f"{len(not_black)} of {w * h - WIN * WIN} pixels outside the window not black, e.g. {not_black[:3]}")
    inside = {at(x, y) for y in range(PAD, WIN - PAD) for x in range(PAD, WIN - PAD)}
    if len(inside) < 50:
        bad.append(f"the window's inside has only {len(inside)} colours: {sorted(inside)[:5]}")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--example", required=True)
    ap.add_argument("--capture", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    out, env = session(args.out, "tinywl")
    env["WLR_BACKENDS"] = "headless"
    log_path = os.path.join(out, "tinywl.log")
    log = open(log_path, "w")
    comp = subprocess.Popen([args.example, "-s", "weston-simple-shm"], env=env, stdout=log, stderr=log)
    shot = os.path.join(out, "tinywl.ppm")
    problems, display = ["no screenshot taken"], None
    try:
        end = time.monotonic() + args.timeout
        while time.monotonic() < end and comp.poll() is None:
            time.sleep(1)
            text = open(log_path).read()
            m = re.search(r"WAYLAND_DISPLAY=(\S+)", text)
            if not m:
                continue
            display = m.group(1)
            p = subprocess.run([args.capture, shot], env=dict(env, WAYLAND_DISPLAY=display),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
            print(p.stdout.strip())
            if p.returncode != 0:
                problems = [p.stdout.strip()]
                continue
            problems = check(shot)
            if not problems:
                break
    finally:
        comp.terminate()
        try:
            rc = comp.wait(timeout=30)
        except subprocess.TimeoutExpired:
            comp.kill()
            rc = comp.wait()
        log.close()
    text = open(log_path).read()
    summary = re.search(r"wlgpu: renderer on (.*)", text)
    print(f"compositor log: {log_path} (exit {rc}); screenshot: {shot}")
    if not summary:
        problems.append("the log does not name the wlgpu renderer")
    else:
        print("wlgpu: renderer on", summary.group(1))
    if display is None:
        problems.append("the compositor never said its WAYLAND_DISPLAY")
    if rc != 0:
        problems.append(f"the compositor exited with status {rc} on SIGTERM")
    for p in problems:
        print("FAIL:", p)
    if problems:
        print(text[-4000:])
        return 1
    print("PASS: weston-simple-shm's window rendered by wlgpu in wlgpu-tinywl, read back with ext-image-copy-capture")
    return 0


if __name__ == "__main__":
    sys.exit(main())
