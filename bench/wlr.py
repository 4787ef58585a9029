#!/usr/bin/env python3
"""bench/wlr: the same wlr_scene of real weston clients rendered through wlroots by wlgpu and by
wlroots' own pixman, gles2 and vulkan renderers, scenario by scenario, every renderer that starts
in one run; prints a markdown table per scenario. Renderers that cannot start are listed with
wlroots' reason.

    bench/wlr.py --compositor build/tests/harness/wlgpu-test-compositor [--scenarios full,damage,4k,outputs2]
                 [--frames 300] [--renderers wlgpu,pixman,gles2,vulkan,wlgpu-raster,wlgpu-compute] [--append docs/perf.md]
                 [--ready-timeout 20] [--timeout 300] [--gpu-timer]

Scenarios:
  full    1920x1080, 6 clients (simple-shm, simple-damage, flower, ...), --full-redraw
          (WLR_SCENE_DEBUG_DAMAGE=rerender): every frame re-renders the whole output;
  damage  1920x1080, one animating client (weston-simple-shm) and five static ones, damage
          tracking on (the frame a desktop renders all day);
  4k      3840x2160, the clients of `full`, --full-redraw.
  outputs2  two 1920x1080 outputs side by side, the clients of `full` spread over them,
          --full-redraw; a frame's figures are both outputs' together.
  effects / effects-blur  `full` with wlgpu's scene effects (tests/harness/effects.c): rounded
          corners (12) and a shadow (sigma 10) on every window; and a backdrop blur behind each
          (3 passes); effects-damage: `damage` with corners and shadows. Meant for wlgpu (the
          other renderers run the scene without the effects).

Columns (see docs/perf.md):
  call CPU / call wall   ms per rendered frame inside wlr_scene_output_build_state (the demo's
                         --stats: CLOCK_PROCESS_CPUTIME_ID and CLOCK_MONOTONIC around the call;
                         for wlgpu with SHM outputs it includes the wait for the GPU and the copy
                         back into the output buffer);
  call thread CPU        the same call, CLOCK_THREAD_CPUTIME_ID of the compositor thread only (not
                         the driver's or Dawn's threads; a wait that spins shows here);
  loop CPU / loop wall   from the moment every client mapped ("all N clients mapped") to the end
                         of the N frames (the statistics' first line, on stderr): the compositor process's CPU time
                         (utime+stime of /proc/PID/stat: all its threads, lavapipe's too, not the
                         clients') and the elapsed time, divided by N. The headless output paces
                         frames at its refresh (60 Hz), so loop wall is at least 16.7 ms; above
                         that it is what a frame really costs until its buffer is complete.
  timer ms               --gpu-timer only: the renderer's render timer (wlr_scene_timer), mean over
                         the frames that had one: wlgpu's is the GPU time of the frame's render
                         pass from timestamp queries (not its copies: the read-back into a memory
                         output, exact 1:1 copies), pixman's its CPU time; "-" without timers.
                         The timer adds work to wlgpu's frame (timestamps, their resolve and
                         read-back): compare the other columns from runs without it.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from e2e import vgem_render_node  # noqa: E402

RENDERERS = ("wlgpu", "pixman", "gles2", "vulkan")
# Renderer names that run wlgpu with other options: (--renderer, environment). wlgpu itself runs
# with the default options (RendererOptions::composite automatic: the faster of the render and
# the compute pass on this device, src/render/composite_choice.hpp); wlgpu-raster always
# composites in a render pass, wlgpu-compute in a compute pass where the frame allows it
# (WLGPU_COMPOSITE, src/render/compute.hpp).
VARIANTS = {"wlgpu-raster": ("wlgpu", {"WLGPU_COMPOSITE": "raster"}),
            "wlgpu-compute": ("wlgpu", {"WLGPU_COMPOSITE": "compute"})}
FULL_MIX = ["weston-simple-shm", "weston-simple-damage", "weston-flower", "weston-simple-shm",
            "weston-simple-damage --use-viewport", "weston-subsurfaces"]
DAMAGE_MIX = ["weston-simple-shm", "weston-flower", "weston-flower", "weston-flower", "weston-flower",
              "weston-flower"]
SCENARIOS = {
    "full": dict(size="1920x1080", clients=FULL_MIX, full_redraw=True,
                 title="full redraw, 1920x1080, 6 clients"),
    "damage": dict(size="1920x1080", clients=DAMAGE_MIX, full_redraw=False,
                   title="damage only, 1920x1080, weston-simple-shm animating + 5 static weston-flower"),
    "4k": dict(size="3840x2160", clients=FULL_MIX, full_redraw=True,
               title="full redraw, 3840x2160, 6 clients"),
    "outputs2": dict(size="1920x1080", clients=FULL_MIX, full_redraw=True, outputs=2,
                     title="full redraw, two 1920x1080 outputs, 6 clients (3 per output; per frame: both outputs)"),
    "effects": dict(size="1920x1080", clients=FULL_MIX, full_redraw=True, extra=["--corner-radius", "12", "--shadow"],
                    title="full redraw, 1920x1080, 6 clients, rounded corners and shadows (wlgpu's scene effects)"),
    "effects-damage": dict(size="1920x1080", clients=DAMAGE_MIX, full_redraw=False,
                           extra=["--corner-radius", "12", "--shadow"],
                           title="damage only, the clients of `damage`, rounded corners and shadows"),
    "effects-blur": dict(size="1920x1080", clients=FULL_MIX, full_redraw=True,
                         extra=["--corner-radius", "12", "--shadow", "--blur"],
                         title="full redraw, 1920x1080, 6 clients, corners, shadows and backdrop blur"),
}
STATS_RE = re.compile(r"STATS renderer=\S+ kind=(\w+) frames=(\d+) min=([\d.]+) median=([\d.]+) "
                      r"p99=([\d.]+) mean=([\d.]+)")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of the process itself (all threads, not its children), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return None


def run(args, renderer, sc, env):
    cmd = [args.compositor, "--renderer", renderer, "--frames", str(args.frames), "--stats",
           "--size", sc["size"], "--clients", ";".join(sc["clients"]),
           "--ready-timeout", str(args.ready_timeout)]
    if sc["full_redraw"]:
        cmd.append("--full-redraw")
    if args.gpu_timer:
        cmd.append("--gpu-timer")
    if sc.get("outputs", 1) > 1:
        cmd += ["--outputs", str(sc["outputs"])]
    cmd += sc.get("extra", [])
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marks = {}
    out, err = [], []

    def read(stream, lines, patterns):
        for line in stream:
            for key, pattern in patterns:
                if key not in marks and pattern in line:
                    marks[key] = (time.monotonic(), cpu_seconds(p.pid))
            lines.append(line)

    # Both marks come from stderr (unbuffered): "all N clients mapped at frame F" (or "only K of
    # N clients mapped after S s; going on" when a client never maps) and the first line of the
    # statistics, printed when the N frames are done, before the clean-up.
    threads = [threading.Thread(target=read, args=(p.stdout, out, [])),
               threading.Thread(target=read, args=(p.stderr, err, [("start", "clients mapped"),
                                                                    ("end", "frame times over")]))]
    for t in threads:
        t.start()
    try:
        p.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    for t in threads:
        t.join()
    stdout, stderr = "".join(out), "".join(err)
    stats = {}
    for m in STATS_RE.finditer(stdout):
        stats[m.group(1)] = dict(frames=int(m.group(2)), min=float(m.group(3)), median=float(m.group(4)),
                                 p99=float(m.group(5)), mean=float(m.group(6)))
    summary = next((l.split("wlgpu renderer: ", 1)[1] for l in stderr.splitlines() if "wlgpu renderer: " in l), "")
    m = re.search(r"all (\d+) clients mapped|only (\d+) of \d+ clients mapped", stderr)
    mapped = int(m.group(1) or m.group(2)) if m else 0
    if p.returncode != 0 or "cpu" not in stats:
        errs = [re.sub(r"^.*\] ", "", l) for l in stderr.splitlines() if "ERROR" in l]
        why = [l for l in errs if "Cannot create" in l or "drmGetDevices2" in l] or errs[-2:]
        return None, "; ".join(why) or f"exit {p.returncode}", summary
    if "start" in marks and "end" in marks and marks["start"][1] is not None and marks["end"][1] is not None:
        (t0, c0), (t1, c1) = marks["start"], marks["end"]
        stats["loop"] = dict(wall=(t1 - t0) * 1e3 / args.frames, cpu=(c1 - c0) * 1e3 / args.frames)
    stats["mapped"] = mapped
    return stats, None, summary


def table(args, name, sc, results, failed, adapter):
    # The machine: --title, else the adapter wlgpu ran on (its name up to the bracket).
    machine = args.title or (adapter.split(" [")[0] if adapter else "unknown machine")
    lines = [f"#### {machine}: {sc['title']}, {args.frames} frames", ""]
    if adapter:
        lines += [f"wlgpu adapter: {adapter}", ""]
    lines += ["| renderer | clients mapped | rendered frames | call CPU ms (mean) | call CPU median | call CPU p99 | call wall ms (mean) "
              "| call thread CPU ms (mean) | loop CPU ms/frame | loop wall ms/frame | call CPU vs wlgpu |"
              + (" timer ms (mean) |" if args.gpu_timer else ""),
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if args.gpu_timer else "")]
    base = results["wlgpu"]["cpu"]["mean"] if "wlgpu" in results else None
    for r in args.renderers:
        if r in results:
            c, w = results[r]["cpu"], results[r]["wall"]
            loop = results[r].get("loop")
            lc = f"{loop['cpu']:.3f}" if loop else "-"
            lw = f"{loop['wall']:.3f}" if loop else "-"
            ratio = f"{c['mean'] / base:.2f}x" if base else "-"
            th = f"{results[r]['thread']['mean']:.3f}" if "thread" in results[r] else "-"
            gpu = f" {results[r]['gpu']['mean']:.3f} |" if "gpu" in results[r] else " - |"
            lines.append(f"| {r} | {results[r]['mapped']}/{len(sc['clients'])} | {c['frames']} | {c['mean']:.3f} | {c['median']:.3f} | {c['p99']:.3f} | "
                         f"{w['mean']:.3f} | {th} | {lc} | {lw} | {ratio} |" + (gpu if args.gpu_timer else ""))
    for r, why in failed.items():
        lines.append(f"| {r} | - | - | did not start: {why} | | | | | | | |")
    lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--scenarios", default="full,damage,4k,outputs2")
    ap.add_argument("--renderers", default=",".join(RENDERERS))
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--ready-timeout", type=int, default=20,
                    help="seconds the compositor waits for every client to map before it counts frames "
                         "(the test bed needs minutes: its clients draw on a TCG guest)")
    ap.add_argument("--append", help="append the tables to this markdown file")
    ap.add_argument("--gpu-timer", action="store_true",
                    help="run the compositor with --gpu-timer and add the render timer's column")
    ap.add_argument("--title", default=None, help="the machine, for the tables' headings (default: wlgpu's adapter)")
    args = ap.parse_args()
    args.renderers = [r for r in args.renderers.split(",") if r]
    runtime = tempfile.mkdtemp(prefix="wlgpu-bench-xdg-")
    os.chmod(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    env.pop("WAYLAND_DISPLAY", None)

    texts, ok = [], True
    for name in args.scenarios.split(","):
        sc = SCENARIOS[name]
        results, failed, adapter = {}, {}, ""
        for r in args.renderers:
            print(f"[bench/wlr] {name}: {r} ...", file=sys.stderr, flush=True)
            renv = env
            if r == "gles2" and vgem_render_node():
                # The test bed: wlroots' gles2 runs on llvmpipe through kms_swrast on vgem's node
                # (as tests/e2e/e2e.py does for its third opinion).
                renv = dict(env, WLR_RENDER_DRM_DEVICE=vgem_render_node())
            name_as, extra = VARIANTS.get(r, (r, {}))
            stats, why, summary = run(args, name_as, sc, dict(renv, **extra))
            adapter = adapter or summary
            if stats:
                results[r] = stats
            else:
                failed[r] = why
        if "wlgpu" in args.renderers and "wlgpu" not in results:
            print(f"{name}: wlgpu did not run: {failed.get('wlgpu')}")
            ok = False
        text = table(args, name, sc, results, failed, adapter)
        print(text, flush=True)
        texts.append(text)
    if args.append:
        with open(args.append, "a") as f:
            f.write("\n" + "\n".join(texts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
