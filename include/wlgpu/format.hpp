// DRM fourcc <-> WebGPU format mapping for memory (wl_shm) buffers and render targets.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "wlgpu/webgpu/webgpu.h"

namespace wlgpu {

// DRM's fourcc_code(): four characters, the first in the low byte ("AR24" = DRM_FORMAT_ARGB8888).
constexpr uint32_t fourcc(char a, char b, char c, char d) {
    return uint32_t(uint8_t(a)) | uint32_t(uint8_t(b)) << 8 | uint32_t(uint8_t(c)) << 16 |
           uint32_t(uint8_t(d)) << 24;
}

// How the planes of a YUV texture are read in WGSL (must match src/render/yuv_shader.cpp).
enum class YuvLayout : uint32_t {
    rgb = 99,         // not YUV
    two_plane = 0,    // Y + interleaved CbCr (NV12, NV16; NV21 with swap_uv)
    three_plane = 1,  // Y + Cb + Cr (YUV420; YVU420 by swapping the views)
    yuyv = 2,         // packed Y0 Cb Y1 Cr, read as RGBA8 of half width
    uyvy = 3,         // packed Cb Y0 Cr Y1
    p010 = 4,         // 16-bit Y as RG8 + 16-bit CbCr pairs as RGBA8 of width/2 (bytes rebuilt in WGSL)
};

// How a DRM format is stored in a WebGPU texture and read back to RGBA in WGSL.
struct FormatInfo {
    uint32_t drm_fourcc;        // DRM_FORMAT_*
    WGPUTextureFormat texture;  // storage format of the texture
    uint32_t bytes_per_pixel;   // of the client's memory layout
    bool has_alpha;             // false: X formats, alpha reads as 1
    bool swap_rb;               // texture holds R and B swapped relative to the fourcc
    bool cpu_convert;           // uploaded through a CPU conversion (e.g. RGB565 -> RGBA8)
    bool renderable;            // usable as a render target format
    const char* name;           // "ARGB8888"
};

// The wl_shm / memory formats wlgpu supports, in preference order.
std::span<const FormatInfo> shm_formats();
// nullptr if the fourcc is unknown or not supported for memory buffers.
const FormatInfo* find_shm_format(uint32_t drm_fourcc);
// A printable name for any fourcc ("AR24" style when unknown).
const char* fourcc_name(uint32_t drm_fourcc, char buf[8]);

}  // namespace wlgpu
