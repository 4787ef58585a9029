// The one pixel-format table of wlgpu, in the spirit of wlroots' render/pixel_format.c: every DRM
// format wlgpu knows is one row with what each path needs - wl_shm / memory upload (FormatInfo),
// DMA-BUF import (memory planes, how Dawn imports each, the YUV layout the shader reads) and
// host-image sharing (the VkFormat a host shares it as). src/import/format.cpp (shm),
// src/import/dmabuf.cpp (DMA-BUF) and src/import/host_image.cpp (host images) read it.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "wlgpu/format.hpp"

namespace wlgpu::pixel {

using wlgpu::YuvLayout;  // include/wlgpu/format.hpp

struct PlaneSpec {
    uint32_t dawn_fourcc;       // the DRM format Dawn imports this plane as
    WGPUTextureFormat texture;  // its WebGPU format
    uint32_t bytes_per_texel;   // of that texture format
    uint32_t div_x, div_y;      // subsampling of the plane (texture size = ceil(size / div))
    // This plane of a w x h image: width(w) x height(h) texels, bytes(w, h) bytes.
    uint32_t width(uint32_t w) const { return (w + div_x - 1) / div_x; }
    uint32_t height(uint32_t h) const { return (h + div_y - 1) / div_y; }
    uint64_t bytes(uint32_t w, uint32_t h) const { return uint64_t(width(w)) * height(h) * bytes_per_texel; }
};

struct DmabufLayout {
    uint32_t n_planes = 0;  // memory planes with the LINEAR modifier; 0: not imported as DMA-BUF
    std::array<PlaneSpec, 3> planes{};
    YuvLayout layout = YuvLayout::rgb;
    bool swap_uv = false;             // NV21 / YVU420: Cr before Cb
    uint32_t bits = 8;                // 8 or 10 (P010: the shader hands the matrix 10-bit codes)
    bool native_multiplanar = false;  // Dawn imports it as one multi-planar texture (one fd)
};

struct PixelFormat {
    FormatInfo info;      // fourcc, storage texture format, bytes per pixel, alpha, R/B swap, name...
    bool shm;             // a wl_shm / memory format (listed by shm_formats())
    DmabufLayout dmabuf;  // dmabuf.n_planes == 0: not a DMA-BUF format
    int32_t vk_format;    // host images shared as this VkFormat; 0: none
    const char* vk_name;  // "R8G8B8A8_UNORM"
};

// Every row, shm formats first in wl_shm preference order.
std::span<const PixelFormat> formats();
const PixelFormat* find(uint32_t drm_fourcc);
const PixelFormat* find_vk(int32_t vk_format);  // host images
// The bytes of the textures a w x h image of f takes: the sum of its planes (NV12: w x h of Y and
// ceil(w/2) x ceil(h/2) CbCr pairs, 1.5 bytes a pixel; P010: 3; YUYV: 2; ARGB8888: 4); a format
// uploaded through a CPU conversion (RGB565) as the texture it is converted to (RGBA8: 4).
uint64_t image_bytes(const PixelFormat& f, uint32_t w, uint32_t h);

}  // namespace wlgpu::pixel
