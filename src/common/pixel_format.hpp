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

}  // namespace wlgpu::pixel
