#!/usr/bin/env python3
"""Malformed linux-dmabuf-v1 buffers, end to end, in the test bed: the test compositor (wlgpu
renderer, linux-dmabuf-v1 checked by wlgpu_renderer_check_dmabuf) with
tests/e2e/dmabuf_check_client.c, which sends each malformed buffer with create and create_immed
and then shows a valid one. Checks:

  - the client got `failed` (create) and the INVALID_WL_BUFFER error (create_immed) for every case,
    and a valid XRGB8888 buffer mapped (frame callback), a valid NV12 one was created;
  - the compositor logged one refusal line per malformed buffer, naming the buffer and the reason,
    and no "cannot import client buffer" line (the failure at commit time the check prevents);
  - the screenshot shows the valid buffer's colour where the client's window is.

    dmabuf_check.py --compositor build/tests/harness/wlgpu-test-compositor --client build/tests/dmabuf_check_client

Must run in the test bed (udmabuf, linux-dmabuf-v1 advertised); it fails, never skips, elsewhere.
"""
import argparse
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Checks, read_png, run_collect, session  # noqa: E402

COLOR = (0x30, 0xa0, 0xd0)  # dmabuf_check_client.c COLOR
# case -> the reason the compositor's refusal line must give (src/import/dmabuf.cpp, src/wlr/dmabuf.cpp)
CASES = {
    "nv12_plane1_past_end": "64x32 NV12 plane 1: offset+stride*height (4032 + 64 x 16 = 5056) exceeds the 4096-byte buffer",
    "stride_below_width": "64x32 XRGB8888 plane 0: stride 128 is less than 64 texels x 4 bytes = 256",
    "overlapping_planes": "64x32 NV12: planes 0 and 1 overlap in the same buffer",
    # validate_import refuses it before the adapter's check of the advertised set
    "unknown_modifier": "64x32 XRGB8888 modifier 0x0100000000000001 (1 plane): the device does not support modifier "
                        "0x0100000000000001 for XRGB8888",
    "wrong_plane_count": "64x32 NV12: 1 planes, but NV12 with the LINEAR modifier has 2",
    "implicit_modifier": "64x32 XRGB8888 modifier INVALID (implicit): implicit modifiers (DRM_FORMAT_MOD_INVALID) "
                         "cannot be imported in Vulkan",
    "memfd": "64x32 XRGB8888 plane 0: fd",  # + "N is not a dma-buf", checked below
    "offset_not_on_texel": "64x32 XRGB8888 plane 0: offset 1 is not a multiple of 4 bytes",
    "stride_not_on_texel": "64x32 XRGB8888 plane 0: stride 258 is not a multiple of 4 bytes",
    "nv12_plane1_offset_odd": "64x32 NV12 plane 1: offset 1 is not a multiple of 2 bytes",
    "unknown_format": "unknown or unsupported DRM format",
    "yuyv_odd_width": "63x32 YUYV: packed 4:2:2 needs an even width",
    "nv12_tiled_modifier": "64x32 NV12 modifier 0x0100000000000002: YUV formats are imported with the LINEAR modifier only",
}
REFUSAL = "wlgpu: linux-dmabuf-v1: refusing a client buffer: "


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compositor", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    out, env = session(args.out, "dmabuf-check")
    png = os.path.join(out, "dmabuf-check.png")
    cmd = [args.compositor, "--renderer", "wlgpu", "--seconds", "2", "--ready-timeout", "120", "--screenshot", png,
           "--size", "640x480", "--clients", args.client]
    rc, log = run_collect(cmd, env, args.timeout, os.path.join(out, "dmabuf-check.log"))

    check = Checks()

    check(rc == 0, f"the compositor exited with 0 (got {rc})")
    check("DMABUF_CHECK start" in log, "the client started")
    refusals = [l.split(REFUSAL, 1)[1] for l in log.splitlines() if REFUSAL in l]
    for case, reason in CASES.items():
        check(f"DMABUF_CHECK {case} create failed" in log, f"{case}: create got `failed`")
        check(f"DMABUF_CHECK {case} immed error=7" in log, f"{case}: create_immed got INVALID_WL_BUFFER (7)")
        hits = [r for r in refusals if reason in r and re.match(r"([a-z ]+: )?dmabuf ", r)]  # "[errc: ]dmabuf WxH ..."
        if case == "memfd":
            hits = [r for r in hits if re.search(r"plane 0: fd \d+ is not a dma-buf \(its file system magic is "
                                                 r"0x1021994, a dma-buf's 0x444d4142\)", r)]
        check(len(hits) == 2, f"{case}: the compositor logged 2 refusals (create, immed) naming the buffer and "
                              f"'{reason}' (got {len(hits)})")
    check(len(refusals) == 2 * len(CASES), f"{len(refusals)} refusal lines, 2 per malformed buffer and none else")
    check("DMABUF_CHECK valid_nv12 create created" in log, "a valid NV12 buffer is created")
    check("DMABUF_CHECK valid_xrgb immed error=-1" in log, "a valid XRGB8888 buffer is created by create_immed")
    check("DMABUF_CHECK valid_xrgb create created" in log, "a valid XRGB8888 buffer is created by create")
    check("DMABUF_CHECK valid_xrgb mapped=1" in log, "the valid buffer maps (frame callback)")
    check("DMABUF_CHECK PASS" in log, "the client reports PASS")
    check("cannot import client buffer" not in log, "no import failure at commit time")
    if os.path.exists(png):
        w, h, px = read_png(png)
        x, y = 10 + 32, 10 + 16  # the middle of the client's 64x32 window (slot 0)
        got = tuple(px[(y * w + x) * 4:(y * w + x) * 4 + 3])
        check(got == COLOR, f"screenshot: the valid buffer's colour {COLOR} at ({x},{y}) (got {got})")
    else:
        check(False, "screenshot written")

    return check.finish(out)


if __name__ == "__main__":
    sys.exit(main())
