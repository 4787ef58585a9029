#!/usr/bin/env python3
"""bench/wlr: the same wlr_scene of N real weston clients rendered through wlroots by wlgpu and by
wlroots' own pixman, gles2 and vulkan renderers, in one run; prints a markdown table of CPU
ms/frame (process CPU time, all threads, of wlr_scene_output_build_state: scene walk, rendering
and, for wlgpu with SHM outputs, the wait for the GPU and the copy back into the SHM swapchain
buffer; the clients' SHM uploads happen at wl_surface.commit, outside the timed call; see
docs/perf.md) and the ratio to wlgpu. Renderers that cannot start are listed with wlroots' reason.

    bench/wlr.py --compositor build/tests/harness/wlgpu-test-compositor [--clients 6] [--frames 300]
                 [--size 1920x1080] [--append docs/perf.md]

Every frame is a full re-render (--full-redraw: WLR_SCENE_DEBUG_DAMAGE=rerender) and the clients
animate with the real clock, so each frame also uploads their new buffers.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

RENDERERS = ("wlgpu", "pixman", "gles2", "vulkan")
CLIENT_MIX = ["weston-simple-shm", "weston-simple-damage", "weston-flower", "weston-simple-shm",
              "weston-simple-damage --use-viewport", "weston-subsurfaces"]


def run(args, renderer, clients, env):
    cmd = [args.compositor, "--renderer", renderer, "--frames", str(args.frames), "--stats",
           "--full-redraw", "--size", args.size, "--clients", ";".join(clients)]
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=args.timeout)
    stats = {}
    for m in re.finditer(r"STATS renderer=\S+ kind=(\w+) frames=(\d+) min=([\d.]+) median=([\d.]+) "
                         r"p99=([\d.]+) mean=([\d.]+)", p.stdout):
        stats[m.group(1)] = dict(frames=int(m.group(2)), min=float(m.group(3)), median=float(m.group(4)),
                                 p99=float(m.group(5)), mean=float(m.group(6)))
    summary = next((l.split("wlgpu renderer: ", 1)[1] for l in p.stderr.splitlines() if "wlgpu renderer: " in l), "")
    if p.returncode != 0 or "cpu" not in stats:
        errs = [re.sub(r"^.*\] ", "", l) for l in p.stderr.splitlines() if "ERROR" in l]
        why = [l for l in errs if "Cannot create" in l or "drmGetDevices2" in l] or errs[-2:]
        return None, "; ".join(why) or f"exit {p.returncode}", summary
    return stats, None, summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--append", help="append the table to this markdown file")
    ap.add_argument("--title", default="lavapipe (Mesa 26.2, CPU)")
    args = ap.parse_args()
    clients = [CLIENT_MIX[i % len(CLIENT_MIX)] for i in range(args.clients)]
    runtime = tempfile.mkdtemp(prefix="wlgpu-bench-xdg-")
    os.chmod(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    env.pop("WAYLAND_DISPLAY", None)

    results, failed, adapter = {}, {}, ""
    for r in RENDERERS:
        print(f"[bench/wlr] {r} ...", file=sys.stderr, flush=True)
        stats, why, summary = run(args, r, clients, env)
        adapter = adapter or summary
        if stats:
            results[r] = stats
        else:
            failed[r] = why
    if "wlgpu" not in results:
        print("wlgpu did not run:", failed.get("wlgpu"))
        return 1
    base = results["wlgpu"]["cpu"]["mean"]
    lines = [f"#### {args.title}: {args.clients} clients, {args.size} output, {args.frames} frames, full redraw", ""]
    if adapter:
        lines += [f"wlgpu adapter: {adapter}", ""]
    lines += ["| renderer | frames | CPU ms/frame (mean) | CPU median | CPU p99 | wall ms/frame (mean) | CPU vs wlgpu |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for r in RENDERERS:
        if r in results:
            c, w = results[r]["cpu"], results[r]["wall"]
            lines.append(f"| {r} | {c['frames']} | {c['mean']:.3f} | {c['median']:.3f} | {c['p99']:.3f} | "
                         f"{w['mean']:.3f} | {c['mean'] / base:.2f}x |")
    for r, why in failed.items():
        lines.append(f"| {r} | - | did not start: {why} | | | | |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.append:
        with open(args.append, "a") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
