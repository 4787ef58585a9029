#!/usr/bin/env python3
"""Unmodified compositors from Debian (sway, labwc, cage) rendered by wlgpu through the preload
library (LD_PRELOAD=libwlgpu-autocreate-0.20.so WLR_RENDERER=wlgpu), and by wlroots' own pixman
renderer (the oracle) in the same test; screenshots taken with grim (screencopy) and compared as
tests/e2e/e2e.py does (its compare(), ROUNDING and wrong-block self-check).

    compositors.py --case sway --preload build/src/preload/libwlgpu-autocreate-0.20.so \
        --seed-lib build/tests/libwlgpu-e2e-seed.so --frame-time-lib build/tests/libwlgpu-frame-time.so

Headless (WLR_BACKENDS=headless, one 1280x720 output), no input devices. Determinism:
  * tests/compositors/frame_time.c (preloaded into the compositor) sends every frame callback
    with timestamp 0: weston-simple-shm paints the same picture each frame;
  * tests/e2e/fixed_seed.c pins weston-flower's petals;
  * clients are started one at a time by this script, each once the previous one has mapped, so
    the tiling / placement order is the same in every run;
  * "ready" is a screenshot that changed after the client started and then stayed the same for
    STABLE consecutive screenshots.
The wlgpu run must also show that wlgpu rendered it: the compositor's log has wlgpu's renderer
line ("wlgpu: renderer on ...") and its allocator choice, the pixman run has neither.
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e import BLOCK, ROUNDING, Checks, compare, read_png, session, with_wrong_block, write_png, wrong_block_caught  # noqa: E402

STABLE = 3          # identical screenshots in a row that make "ready"
POLL = 0.2          # seconds between screenshots
FOOT = "foot -o cursor.blink=no -- sh -c \"printf '\\033[1;31mwlgpu\\033[0m on \\033[42m sway \\033[0m\\n'; exec sleep 600\""

SWAY_CONFIG = """
xwayland disable
output HEADLESS-1 mode 1280x720 {output}
font pango:DejaVu Sans 11
default_border normal 4
titlebar_padding 6 3
client.focused #4c7899 #285577 #ffffff #2e9ef4 #d05020
client.unfocused #333333 #5f676a #eeeeee #484e50 #40a040
gaps inner 6
bar {{
    position top
    font pango:DejaVu Sans 13
    status_command {status}
    colors {{
        background #202830
        statusline #f0c040
    }}
}}
"""

LABWC_RC = """<?xml version="1.0"?>
<labwc_config>
  <core><decoration>server</decoration></core>
  <placement><policy>center</policy></placement>
  <theme><font place="ActiveWindow"><name>DejaVu Sans</name><size>11</size></font>
         <font place="InactiveWindow"><name>DejaVu Sans</name><size>11</size></font></theme>
</labwc_config>
"""


class Case:
    def __init__(self, compositor, clients, output=""):
        self.compositor = compositor  # sway, labwc, cage
        self.clients = clients        # started in order, each after the previous one mapped
        self.output = output          # sway: extra output settings


CASES = {
    "sway": Case("sway", [FOOT, "weston-simple-shm", "weston-flower"]),
    "sway-scale2": Case("sway", [FOOT, "weston-simple-shm", "weston-flower"], "scale 2"),
    "sway-transform90": Case("sway", [FOOT, "weston-simple-shm"], "transform 90"),
    "labwc": Case("labwc", [FOOT, "weston-flower"]),  # both centred: the flower on top of foot
    "cage": Case("cage", ["weston-simple-shm"]),
}


def grim(env, path):
    """A screenshot (grim, PPM) into path; (ok, grim's output)."""
    p = subprocess.run(["grim", "-t", "ppm", path], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=20)
    return p.returncode == 0 and os.path.exists(path), p.stdout.decode(errors="replace")


def ppm_to_png(ppm, png):
    """grim's binary PPM (P6, maxval 255) as the RGBA PNG that e2e.compare reads."""
    data = open(ppm, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; whitespace-separated
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", f"{ppm}: not an 8-bit P6 PPM"
    w, h = int(fields[1]), int(fields[2])
    rgb = data[pos + 1:pos + 1 + w * h * 3]
    rgba = bytearray(w * h * 4)
    rgba[0::4], rgba[1::4], rgba[2::4] = rgb[0::3], rgb[1::3], rgb[2::3]
    rgba[3::4] = b"\xff" * (w * h)
    write_png(png, w, h, bytes(rgba))


def wait_ready(env, shot, before, deadline, alive):
    """Screenshots into shot until it differs from before (bytes, or None: anything) and then
    stays the same STABLE times; returns (bytes or None, reason)."""
    last, same, err = None, 0, ""
    while time.monotonic() < deadline:
        if not alive():
            return None, "the compositor exited"
        ok, err = grim(env, shot)
        if ok:
            data = open(shot, "rb").read()
            if data == last:
                same += 1
            else:
                last, same = data, 1
            if same >= STABLE and data != before:
                return data, ""
        time.sleep(POLL)
    return None, f"no stable new screenshot before the deadline (grim: {err.strip()[:200]})"


def compositor_cmd(case, workdir, first_client):
    if case.compositor == "sway":
        cfg, status = os.path.join(workdir, "sway.config"), os.path.join(workdir, "status.sh")
        with open(status, "w") as f:  # one fixed status line; swaybar shows an error if the command exits
            f.write("#!/bin/sh\necho 'wlgpu status: sway on WebGPU'\nexec sleep 600\n")
        os.chmod(status, 0o755)
        with open(cfg, "w") as f:
            f.write(SWAY_CONFIG.format(output=case.output, status=status))
        return ["sway", "-V", "-c", cfg], True
    if case.compositor == "labwc":
        cdir = os.path.join(workdir, "labwc")
        os.makedirs(cdir, exist_ok=True)
        with open(os.path.join(cdir, "rc.xml"), "w") as f:
            f.write(LABWC_RC)
        return ["labwc", "-V", "-C", cdir], True
    return ["cage", "-D", "--", "sh", "-c", first_client], False  # cage runs its one client itself


def shoot(args, case, renderer, out):
    """Runs the compositor with renderer, starts the clients, returns (png, log, error)."""
    workdir = os.path.join(out, renderer)
    os.makedirs(workdir, exist_ok=True)
    _, env = session(out, "comp")
    env.update(WLR_BACKENDS="headless", WLR_LIBINPUT_NO_DEVICES="1", WLR_RENDERER=renderer,
               WLR_SCENE_DISABLE_DIRECT_SCANOUT="1", HOME=workdir, XDG_CONFIG_HOME=workdir)
    env["LD_PRELOAD"] = ":".join(os.path.abspath(p) for p in (args.preload, args.frame_time_lib, args.seed_lib))
    cmd, clients_from_here = compositor_cmd(case, workdir, case.clients[0])
    log_path = os.path.join(out, f"{renderer}.log")
    logf = open(log_path, "w")
    print("+", " ".join(cmd), f"(WLR_RENDERER={renderer})", flush=True)
    comp = subprocess.Popen(cmd, env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    runtime = env["XDG_RUNTIME_DIR"]
    deadline = time.monotonic() + args.timeout
    png, err, procs = os.path.join(out, f"{args.case}-{renderer}.png"), "", []
    try:
        while time.monotonic() < deadline and comp.poll() is None:
            socks = sorted(n for n in os.listdir(runtime) if n.startswith("wayland-") and not n.endswith(".lock"))
            if socks:
                break
            time.sleep(0.1)
        else:
            return None, open(log_path).read(), "the compositor made no Wayland socket"
        cenv = dict(env, WAYLAND_DISPLAY=socks[0])
        cenv["LD_PRELOAD"] = os.path.abspath(args.seed_lib)
        alive = lambda: comp.poll() is None  # noqa: E731
        shot = os.path.join(workdir, "poll.ppm")
        data, err = wait_ready(cenv, shot, None, deadline, alive)
        if err:
            return None, open(log_path).read(), f"startup: {err}"
        for c in (case.clients if clients_from_here else []):
            print("  + client:", c, flush=True)
            procs.append(subprocess.Popen(["sh", "-c", c], env=cenv, stdout=logf, stderr=subprocess.STDOUT,
                                          start_new_session=True))
            data, err = wait_ready(cenv, shot, data, deadline, alive)
            if err:
                return None, open(log_path).read(), f"client {c!r}: {err}"
        ppm_to_png(shot, png)
        return png, open(log_path).read(), ""
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if comp.poll() is None:
            comp.terminate()
            try:
                comp.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(comp.pid, signal.SIGKILL)
                comp.wait()
        logf.close()


def colours(path):
    w, h, px = read_png(path)
    return len(set(px[i:i + 3] for i in range(0, len(px), 4 * 13)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--preload", required=True, help="libwlgpu-autocreate-0.20.so")
    ap.add_argument("--seed-lib", required=True)
    ap.add_argument("--frame-time-lib", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=int, default=90)
    ap.add_argument("--corrupt-block", action="store_true",
                    help="paint a wrong block into wlgpu's screenshot before comparing (must FAIL)")
    args = ap.parse_args()
    case = CASES[args.case]
    out, _ = session(args.out, "comp")
    check = Checks()

    shots = {}
    for renderer in ("pixman", "wlgpu"):
        png, log, err = shoot(args, case, renderer, out)
        print("\n".join("    " + l for l in log.splitlines() if "wlgpu" in l or "rror" in l or "llocator" in l))
        check(not err, f"{renderer}: {case.compositor} started, {len(case.clients)} clients mapped, grim screenshot"
              + (f": {err}" if err else ""))
        has_wlgpu = "wlgpu: renderer on" in log
        check(has_wlgpu == (renderer == "wlgpu"),
              f"{renderer}: the wlgpu renderer line is {'present' if has_wlgpu else 'absent'} in the log")
        if renderer == "wlgpu":
            check("allocator:" in log, "wlgpu: wlgpu_allocator_autocreate chose the output allocator (logged)")
        shots[renderer] = png
    if shots["pixman"] and shots["wlgpu"]:
        n = colours(shots["pixman"])
        check(n >= 16, f"the oracle's screenshot shows the clients ({n} colours, at least 16)")
        got = shots["wlgpu"]
        w, h, px = read_png(got)
        if args.corrupt_block:
            write_png(got, w, h, bytes(with_wrong_block(w, h, px, [(0, 0, w, h)])))
        result, err = compare(shots["pixman"], got, os.path.join(out, f"{args.case}-diff.png"))
        if err:
            check(False, f"wlgpu vs pixman: {err}")
        else:
            worst, over, total = result
            check(over == 0, f"wlgpu vs pixman: max channel difference {worst}/255, {over} of {total} pixels over "
                  f"{ROUNDING}")
        if not err and over == 0:
            caught = wrong_block_caught(shots["pixman"], got, [(0, 0, w, h)], bytearray(w * h))
            check(caught >= BLOCK * BLOCK // 2, f"self-check: a wrong {BLOCK}x{BLOCK} block would fail ({caught} pixels)")
    return check.finish(out)


if __name__ == "__main__":
    sys.exit(main())
