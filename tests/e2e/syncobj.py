#!/usr/bin/env python3
"""linux-drm-syncobj-v1 end to end, in the test bed: the test compositor (wlgpu renderer) with four
tests/e2e/syncobj_client.c clients at once:

  slot 0  --mode late   acquire point = an unsignalled vgem fence for LATE ms; the buffer is blue
                        until just before the signal, then green. The compositor must answer round
                        trips meanwhile as fast as before the commit (the client measures a
                        baseline first; the limit comes from it, and must be well under the hold
                        or the check proves nothing), hold the commit until the signal (its own
                        log line 'acquire point 2 held N ms'; no early frame callback), show
                        green, and signal release point 1 (the red buffer).
  slot 1  --mode never  a fence that is never signalled: the compositor must log a timeout that
                        names this client (pid), keep its previous (red) content, go on.
  slot 2  --mode good   frames whose acquire points signal 5 ms after the commit; the buffer is
                        blue at the commit and gets the frame's own colour just before the signal;
                        every release point must signal (the client waits for it before reusing a
                        buffer); its longest gap between frames bounds how long anything stalled
                        the compositor.
  slot 3  --mode flood  40 commits whose acquire points never signal, sent at once: past 16 held
                        commits the compositor disconnects it (protocol error), names it, and
                        nobody else waits.

The screenshot is an incremental frame (--damaged-screenshot): each cell shows what the compositor
sampled when it last repainted it, not a re-render at the end, so content sampled before its
acquire point signalled (blue) would show.

    syncobj.py --compositor build/tests/harness/wlgpu-test-compositor --client build/tests/syncobj_client

Must run in the test bed (virtio_gpu timelines, vgem, udmabuf); it fails, never skips, when they
are missing.
"""
import argparse
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Checks, read_png, run_collect, session  # noqa: E402

CELL_W, CELL_H, W, H = 340, 330, 200, 150
ACQUIRE_TIMEOUT_MS = 2500  # > --late-ms (1500) with TCG slack; the run ends before vgem's 10 s fence expiry
GREEN, RED, BLUE = (0x20, 0xc0, 0x40), (0xd0, 0x20, 0x20), (0x20, 0x20, 0xd0)
# Round trips while an acquire is pending may take this much longer than the client's baseline
# (the longest of about 20 before the commit) for TCG jitter: RT_FACTOR times, or RT_SLACK_MS more.
RT_FACTOR, RT_SLACK_MS = 3, 100
# The check has power only if the limit is well under the hold: a compositor that blocked for more
# than POWER of the hold would then fail it.
POWER = 0.6


def pixel(png, slot):
    w, h, px = png
    x, y = 10 + slot * CELL_W + W // 2, 10 + H // 2
    i = (y * w + x) * 4
    return tuple(px[i:i + 3])


def near(a, b):
    return all(abs(x - y) <= 3 for x, y in zip(a, b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--late-ms", type=int, default=1500)
    ap.add_argument("--seconds", type=float, default=7)  # the late client: 1 s baseline + 1.5 s hold
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=int, default=240)
    args = ap.parse_args()
    out, env = session(args.out, "syncobj")
    clients = [f"{args.client} --mode late --late-ms {args.late_ms}", f"{args.client} --mode never",
               f"{args.client} --mode good", f"{args.client} --mode flood"]
    png = os.path.join(out, "syncobj.png")
    cmd = [args.compositor, "--renderer", "wlgpu", "--seconds", str(args.seconds), "--acquire-timeout", str(ACQUIRE_TIMEOUT_MS),
           "--screenshot", png, "--damaged-screenshot", "--stats", "--size", "1280x720", "--check-fds",
           "--clients", ";".join(clients)]
    rc, log = run_collect(cmd, env, args.timeout, os.path.join(out, "syncobj.log"))

    check = Checks()

    check(rc == 0, f"the compositor exited with 0 (got {rc})")
    check("fd leak" not in log, "no fd leak once the clients are gone (--check-fds, after deferred releases)")
    check("linux-drm-syncobj-v1 advertised" in log, "the compositor advertises linux-drm-syncobj-v1")
    path = re.search(r"acquire path (gpu|cpu)", log)
    print("info acquire path:", path.group(1) if path else "?")
    check(not re.search(r"SYNCOBJ_CLIENT \w+ FAIL", log), "no client reported FAIL")

    late = re.search(r"SYNCOBJ_CLIENT late pending_ms=(\d+) max_roundtrip_ms=([\d.]+) roundtrips=(\d+) "
                     r"baseline_max_roundtrip_ms=([\d.]+) baseline_roundtrips=(\d+) applied_early=(\d) "
                     r"frame_after_signal=(\d) frame_after_signal_ms=(\d+) release1=(\d)", log)
    sync = re.search(r"SYNC advertised=1 path=(\w+) wait_in_loop=(\d) commits=(\d+) held=(\d+) held_max_ms=([\d.]+) "
                     r"timeouts=(\d+)", log)
    check(bool(late), "late: the client reported")
    if late:
        pend, rt, n_rt, base, n_base, early, shown, fms, rel = late.groups()
        pend, rt, base = int(pend), float(rt), float(base)
        limit = max(RT_FACTOR * base, base + RT_SLACK_MS)
        check(int(n_base) >= 5, f"late: baseline of {n_base} round trips before the commit (longest {base:.1f} ms)")
        check(limit < POWER * pend, f"late: the round-trip limit {limit:.0f} ms (from the baseline) is under "
              f"{POWER:.0%} of the {pend} ms hold, so a compositor that blocks on the fence cannot pass")
        check(rt <= limit, f"late: {n_rt} round trips answered while the acquire was pending, longest {rt:.1f} ms "
              f"(limit {limit:.0f} ms)")
        check(early == "0", "late: the commit was not applied before the signal")
        late_pid = re.search(r"SYNCOBJ_CLIENT late start pid=(\d+)", log)
        held = late_pid and re.search(rf"\(pid {late_pid.group(1)}\) surface \d+: acquire point 2 held (\d+) ms", log)
        if sync and sync.group(1) == "cpu":  # the compositor's own measure of how long it held the commit
            check(bool(held) and int(held.group(1)) >= 0.9 * pend,
                  f"late: the compositor held the commit {held.group(1) if held else '?'} ms (the client "
                  f"signalled after {pend} ms)")
        check(shown == "1", f"late: a frame after the signal ({fms} ms)")
        check(rel == "1", "late: release point 1 (the replaced buffer) signalled")
    check("SYNCOBJ_CLIENT late PASS" in log, "late: PASS")

    # flood: 40 commits whose fences never signal; the compositor holds at most 16 per surface
    # and disconnects the client (wl_display.error implementation = 3), naming it; nothing else
    # is delayed (the good client's longest gap below) and nothing leaks (--check-fds above).
    flood = re.search(r"SYNCOBJ_CLIENT flood disconnected commits=(\d+) error=(\d+) "
                      r"protocol_error_interface=(\S+) code=(\d+)", log)
    check(bool(flood) and flood.group(3) == "wl_display" and flood.group(4) == "3",
          f"flood: disconnected with a wl_display implementation error ({flood.groups() if flood else 'no report'})")
    check(bool(flood) and flood.group(1) == "17",
          f"flood: disconnected at its 17th held commit, past the limit of 16 ({flood.group(1) if flood else 'no report'})")
    flood_pid = re.search(r"SYNCOBJ_CLIENT flood start pid=(\d+)", log)
    check(bool(flood_pid) and bool(re.search(rf"\(pid {flood_pid.group(1)}\) surface \d+ has 16 commits waiting "
                                             rf"for fences that have not signalled; disconnecting it", log)),
          "flood: the log names the client and the limit of 16 held commits")

    never_pid = re.search(r"SYNCOBJ_CLIENT never start pid=(\d+)", log)
    check(bool(never_pid), "never: started")
    if never_pid:
        pat = rf"client 'syncobj_client' \(pid {never_pid.group(1)}\) surface \d+: acquire point 2 did not signal after"
        check(bool(re.search(pat, log)), "never: a timeout log line names the client (pid)")
    late_pid = re.search(r"SYNCOBJ_CLIENT late start pid=(\d+)", log)
    if late_pid:
        check(not re.search(rf"\(pid {late_pid.group(1)}\) surface \d+: acquire point \d+ did not signal", log),
              "late: no timeout for the late client (it signalled in time)")
    check(bool(re.search(r"SYNCOBJ_CLIENT late start pid=\d+ buffers=udmabuf", log)),
          "late: the client got linux-dmabuf-v1 (udmabuf buffers)")

    good = re.findall(r"SYNCOBJ_CLIENT good frames=(\d+) releases=(\d+) max_gap_ms=(\d+)", log)
    check(bool(good), "good: the client reported")
    if good:
        frames, releases, gap = map(int, good[-1])
        check(frames >= 10 and releases >= frames - 3,
              f"good: {frames} frames, {releases} release points signalled before reuse")
        check(gap < 1500, f"good: longest gap between its frames {gap} ms (nobody stalled the compositor)")

    check(bool(sync), "--stats prints the SYNC line")
    if sync:
        check(int(sync.group(6)) >= 1, f"stats: {sync.group(6)} timeouts")

    if os.path.exists(png):
        img = read_png(png)
        late_px, never_px, good_px = pixel(img, 0), pixel(img, 1), pixel(img, 2)
        check(near(late_px, GREEN), f"screenshot: the late client shows green (the content at the signal): {late_px}")
        check(near(never_px, RED), f"screenshot: the never client still shows red (previous buffer): {never_px}")
        check(near(good_px[::2], (0xc0, 0xc0)) and 0x40 - 3 <= good_px[1] <= 0x7f + 3,
              f"screenshot: the good client shows a frame's colour (magenta, green 64..127), not blue: {good_px}")
    else:
        check(False, "screenshot written")

    return check.finish(out)


if __name__ == "__main__":
    sys.exit(main())
