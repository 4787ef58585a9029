#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/<name>) in the input layouts
documented at the top of fuzz/fuzz_<target>.cpp. Run from anywhere; rewrites the seeds it names
and leaves other files (crash reproducers added by hand) alone."""
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
I32_MAX, I32_MIN = 2**31 - 1, -2**31


def fourcc(s):
    return struct.unpack('<I', s.encode())[0]


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# --- dmabuf: fd choices 0-3 pool buffers (4 KiB, 64 KiB, 256 KiB, 1 MiB), 4-7 dups of them,
# 8 read-only, 9 memfd, 10/11 pipe ends, 12 /dev/null, 13 directory, 14 -1, 15 closed fd.
def dmabuf(fmt, w, h, planes, n=None, mod=0, flags=4 | 8, max_copy=0, damage=(0, 0, 8, 8)):
    b = struct.pack('<BI', 0x80, fourcc(fmt) if isinstance(fmt, str) else fmt)
    b += struct.pack('<B', mod) if mod in (0, 1, 2) else struct.pack('<BQ', 3, mod)
    b += struct.pack('<HHB', w, h, len(planes) if n is None else n)
    planes = list(planes) + [(14, 0, 0)] * (4 - len(planes))
    for fd, off, stride in planes:
        b += struct.pack('<BII', fd, off & 0xffffffff, stride & 0xffffffff)
    return b + struct.pack('<BI4i', flags, max_copy, *damage)


D = {
    'argb_64x64': dmabuf('AR24', 64, 64, [(1, 0, 256)]),
    'xrgb_32x32_exact': dmabuf('XR24', 32, 32, [(0, 0, 128)]),
    'abgr_render': dmabuf('AB24', 64, 32, [(2, 4096, 256)], flags=1 | 4),
    'rgb565': dmabuf('RG16', 30, 20, [(1, 0, 64)]),
    'nv12_one_fd': dmabuf('NV12', 64, 64, [(1, 0, 64), (1, 4096, 64)]),
    'nv12_dup_fd': dmabuf('NV12', 64, 64, [(1, 0, 64), (5, 4096, 64)]),
    'nv12_two_bufs': dmabuf('NV12', 64, 64, [(1, 0, 64), (2, 0, 64)]),
    'nv12_overlap': dmabuf('NV12', 64, 64, [(1, 0, 64), (5, 1024, 64)]),
    'nv21': dmabuf('NV21', 32, 16, [(0, 0, 32), (0, 512, 32)]),
    'nv16': dmabuf('NV16', 32, 16, [(0, 0, 32), (0, 512, 32)]),
    'yuv420': dmabuf('YU12', 64, 64, [(1, 0, 64), (1, 4096, 32), (1, 5120, 32)]),
    'yvu420_mixed': dmabuf('YV12', 64, 64, [(1, 0, 64), (2, 0, 32), (3, 0, 32)]),
    'yuyv': dmabuf('YUYV', 64, 16, [(1, 0, 128)]),
    'uyvy_odd_width': dmabuf('UYVY', 63, 16, [(1, 0, 128)]),
    'p010': dmabuf('P010', 32, 32, [(1, 0, 64), (1, 2048, 64)]),
    'read_only_copy': dmabuf('AR24', 64, 64, [(8, 0, 256)]),
    'read_only_small_cap': dmabuf('AR24', 64, 64, [(8, 0, 256)], max_copy=1000),
    'memfd': dmabuf('AR24', 16, 16, [(9, 0, 64)]),
    'pipe_read': dmabuf('AR24', 16, 16, [(10, 0, 64)]),
    'pipe_write': dmabuf('AR24', 16, 16, [(11, 0, 64)]),
    'dev_null': dmabuf('AR24', 16, 16, [(12, 0, 64)]),
    'directory': dmabuf('AR24', 16, 16, [(13, 0, 64)]),
    'fd_minus_one': dmabuf('AR24', 16, 16, [(14, 0, 64)]),
    'fd_closed': dmabuf('AR24', 16, 16, [(15, 0, 64)]),
    'stride_zero': dmabuf('AR24', 16, 16, [(1, 0, 0)]),
    'stride_overflow': dmabuf('AR24', 4096, 65535, [(3, 0xfffffffc, 0xfffffffc)]),
    'offset_past_end': dmabuf('AR24', 16, 16, [(0, 8192, 64)]),
    'offset_unaligned': dmabuf('AR24', 16, 16, [(1, 2, 64)]),
    'planes_zero': dmabuf('AR24', 16, 16, [(1, 0, 64)], n=0),
    'planes_five': dmabuf('AR24', 16, 16, [(1, 0, 64)] * 4, n=5),
    'planes_255': dmabuf('NV12', 16, 16, [(1, 0, 16), (1, 256, 16)], n=255),
    'nv12_one_plane': dmabuf('NV12', 16, 16, [(1, 0, 16)]),
    'mod_invalid': dmabuf('AR24', 16, 16, [(1, 0, 64)], mod=1),
    'mod_x_tiled': dmabuf('AR24', 16, 16, [(1, 0, 512)], mod=2),
    'mod_raw_two_planes': dmabuf('AR24', 16, 16, [(1, 0, 512), (1, 65536 - 64, 64)], mod=0x0200000000000001),
    'nv12_tiled': dmabuf('NV12', 16, 16, [(1, 0, 16), (1, 256, 16)], mod=2),
    'unknown_format': dmabuf('ZZZZ', 16, 16, [(1, 0, 64)]),
    'zero_size': dmabuf('AR24', 0, 16, [(1, 0, 64)]),
    'over_limit': dmabuf('AR24', 65535, 1, [(3, 0, 262140)]),
    'damage_overflow': dmabuf('AR24', 64, 64, [(8, 0, 256)], damage=(I32_MAX, I32_MAX, I32_MAX, I32_MAX)),
    'damage_negative': dmabuf('AR24', 64, 64, [(8, 0, 256)], damage=(I32_MIN, -5, I32_MAX, 10)),
}
for name, data in D.items():
    write('dmabuf', name, data)


# --- shm
def shm(fmt, w, h, delta=0, flags=0, upd_delta=0, damage=()):
    b = struct.pack('<BIHHiBiB', 0x80, fourcc(fmt), w, h, delta, flags, upd_delta, len(damage))
    for box in damage:
        b += struct.pack('<4i', *box)
    return b


S = {
    'argb_full': shm('AR24', 64, 64, damage=[(0, 0, 64, 64)]),
    'xrgb_padded': shm('XR24', 17, 13, delta=12, upd_delta=12, damage=[(3, 4, 5, 6), (10, 0, 7, 13)]),
    'abgr_render': shm('AB24', 32, 8, flags=1, damage=[(0, 0, 1, 1)]),
    'rgb565_odd': shm('RG16', 33, 7, delta=2, upd_delta=2, damage=[(0, 0, 33, 7)]),
    'xr30': shm('XR30', 20, 10, damage=[(5, 5, 20, 20)]),
    'ar30': shm('AR30', 20, 10, damage=[(0, 0, 3, 3)]),
    'xb24_stride_change': shm('XB24', 40, 10, delta=0, upd_delta=64, damage=[(1, 1, 38, 8)]),
    'damage_out_of_range': shm('AR24', 16, 16, damage=[(-5, -5, 10, 10), (12, 12, 100, 100), (16, 16, 1, 1)]),
    'damage_overflow': shm('AR24', 16, 16, damage=[(I32_MAX - 1, 0, 10, 10), (0, 0, I32_MAX, I32_MAX),
                                                   (I32_MIN, I32_MIN, I32_MAX, I32_MAX), (5, I32_MAX, 2, I32_MAX)]),
    'damage_negative_size': shm('AR24', 16, 16, damage=[(4, 4, -3, 5), (4, 4, 5, -3), (0, 0, 0, 0)]),
    'damage_many': shm('AR24', 16, 16, damage=[(i, i, 3, 3) for i in range(8)]),
    'stride_too_small': shm('AR24', 16, 16, delta=-4, damage=[(0, 0, 16, 16)]),
    'stride_unaligned': shm('AR24', 16, 16, delta=1, upd_delta=1, damage=[(0, 0, 16, 16)]),
    'update_stride_small': shm('AR24', 16, 16, upd_delta=-64, damage=[(0, 0, 16, 16)]),
    'stride_huge': shm('AR24', 16, 16, delta=0x7ffffff0, damage=[(0, 0, 16, 16)]),
    'zero_size': shm('AR24', 0, 16),
    'create_over_limit': shm('AR24', 65535, 2, flags=2),
    'create_render': shm('XR24', 64, 64, flags=3, damage=[(0, 0, 8, 8)]),
    'unknown_format': shm('ZZZZ', 8, 8, damage=[(0, 0, 8, 8)]),
    'nv12_not_shm': shm('NV12', 8, 8),
}
for name, data in S.items():
    write('shm', name, data)


# --- draw
NAN, INF = float('nan'), float('inf')


def clip(boxes):
    if boxes is None:
        return struct.pack('<B', 0)
    if not boxes:
        return struct.pack('<B', 1)
    return struct.pack('<B', len(boxes) + 1) + b''.join(struct.pack('<4i', *b) for b in boxes)


def clear(color, c=None):
    return struct.pack('<B4f', 0, *color) + clip(c)


def tex(src=(0, 0, 0, 0), dst=(0, 0, 64, 48), transform=0, alpha=1.0, filt=0, blend=0, c=None, dot=0):
    return struct.pack('<BB4d4iIfII', 1, dot, *src, *dst, transform, alpha, filt, blend) + clip(c)


def rect(box, color, blend=0, c=None):
    return struct.pack('<B4i4fI', 2, *box, *color, blend) + clip(c)


def draw(*ops):
    return struct.pack('<B', len(ops)) + b''.join(ops)


R = {
    'whole': draw(tex()),
    'clear_then_draw': draw(clear((0.1, 0.2, 0.3, 1.0)), tex(dst=(4, 4, 48, 32))),
    'crop_scale': draw(tex(src=(2.5, 1.5, 10.25, 8.75), dst=(5, 5, 30, 20), alpha=0.5, filt=1)),
    'transforms': draw(*[tex(src=(1, 1, 12, 8), dst=(8 * t, 4, 8, 12), transform=t) for t in range(8)]),
    'transform_bad': draw(tex(transform=8), tex(transform=0xffffffff)),
    'filter_blend_bad': draw(tex(filt=7, blend=9), rect((0, 0, 8, 8), (1, 0, 0, 1), blend=0x80000000)),
    'alpha_nan_inf': draw(tex(alpha=NAN), tex(alpha=INF), tex(alpha=-INF), tex(alpha=-0.5), tex(alpha=7.0)),
    'src_nan': draw(tex(src=(NAN, 0, 4, 4)), tex(src=(0, 0, NAN, NAN)), tex(src=(INF, INF, INF, INF))),
    'src_outside': draw(tex(src=(-5, -5, 10, 10)), tex(src=(20, 10, 100, 100)), tex(src=(0, 0, 1e308, 1e308))),
    'src_tiny': draw(tex(src=(0, 0, 5e-324, 5e-324)), tex(src=(23.999, 15.999, 1e-9, 1e-9), dot=1)),
    'dst_extremes': draw(tex(dst=(I32_MIN, I32_MIN, I32_MAX, I32_MAX)), tex(dst=(I32_MAX, I32_MAX, I32_MAX, I32_MAX)),
                         tex(dst=(-10, -10, -5, 5)), tex(dst=(0, 0, 0, 0))),
    'rect_extremes': draw(rect((I32_MIN, 0, I32_MAX, 10), (0, 1, 0, 1)), rect((60, 40, I32_MAX, I32_MAX), (1, 1, 1, 1)),
                          rect((5, 5, 10, 10), (NAN, INF, -INF, 2.0))),
    'clip_boxes': draw(tex(c=[(0, 0, 32, 24), (40, 30, 100, 100)]), rect((0, 0, 64, 48), (0.5, 0, 0, 0.5), c=[])),
    'clip_extremes': draw(tex(c=[(I32_MIN, I32_MIN, I32_MAX, I32_MAX), (I32_MAX, 0, I32_MAX, 1)]),
                          clear((1, 1, 1, 1), c=[(-100, -100, 50, 50)])),
    'clear_nan_clip_empty': draw(clear((NAN, NAN, NAN, NAN)), clear((0, 0, 0, 0), c=[])),
    'eight_ops': draw(clear((0, 0, 0, 1)), tex(dot=1, dst=(1, 1, 60, 40)), rect((3, 3, 3, 3), (0, 0, 1, 1)),
                      tex(transform=5, alpha=0.25), tex(src=(3, 3, 3, 3), dst=(10, 10, 40, 1)),
                      rect((0, 47, 64, 1), (1, 0, 1, 1)), tex(filt=1, dst=(0, 0, 1, 48)), clear((0, 1, 0, 1), c=[(1, 1, 1, 1)])),
}
for name, data in R.items():
    write('draw', name, data)
