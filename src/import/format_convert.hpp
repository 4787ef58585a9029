// CPU pixel conversions between DRM memory layouts (RGB565 upload, read_pixels).
#pragma once

#include <cstdint>

#include "wlgpu/format.hpp"

namespace wlgpu::convert {

struct Rgba {
    float r, g, b, a;
};

// One pixel of client memory in format f -> RGBA (X formats read alpha = 1).
Rgba decode(const FormatInfo& f, const uint8_t* px);
// RGBA -> one pixel of memory in format f (X bits are written as all ones).
void encode(const FormatInfo& f, Rgba c, uint8_t* px);
// One texel as the texture stores it (after upload) -> RGBA.
Rgba decode_texel(const FormatInfo& f, const uint8_t* texel);
// Bytes per texel of the WebGPU storage format of f.
uint32_t texel_size(const FormatInfo& f);

// Converts a w x h RGB565 region (src_stride bytes per row) to tight RGBA8.
void rgb565_to_rgba8(const uint8_t* src, uint32_t src_stride, uint32_t w, uint32_t h, uint8_t* dst);

}  // namespace wlgpu::convert
