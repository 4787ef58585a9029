// CPU pixel conversions. Unorm values round to nearest; RGB565 expands by
// round(v * 255 / 31) (resp. 63), which the reverse conversion maps back exactly.
#include "import/format_convert.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdfloat>

namespace wlgpu::convert {

namespace {

uint32_t load32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
void store32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

float unorm(uint32_t v, uint32_t bits) { return float(v) / float((1u << bits) - 1); }
uint32_t to_unorm(float x, uint32_t bits) {
    float m = float((1u << bits) - 1);
    return uint32_t(std::lround(std::clamp(x, 0.0f, 1.0f) * m));
}

// _Float16, not std::float16_t: the same type in libstdc++ with g++, and clang (the fuzz build)
// has _Float16 but does not define std::float16_t.
float half_at(const uint8_t* p) {
    _Float16 h;
    std::memcpy(&h, p, 2);
    return float(h);
}
void store_half(uint8_t* p, float x) {
    _Float16 h = _Float16(x);
    std::memcpy(p, &h, 2);
}

// Channel positions of the packed layouts: the DRM name lists bits high to low.
enum class Layout { argb8, abgr8, argb10, abgr10, rgb565, abgr16f, argb16f };

Layout layout_of(const FormatInfo& f) {
    switch (f.texture) {
        case WGPUTextureFormat_BGRA8Unorm: return Layout::argb8;
        case WGPUTextureFormat_RGB10A2Unorm: return f.swap_rb ? Layout::argb10 : Layout::abgr10;
        case WGPUTextureFormat_RGBA16Float: return f.swap_rb ? Layout::argb16f : Layout::abgr16f;
        default: return f.cpu_convert ? Layout::rgb565 : Layout::abgr8;
    }
}

}  // namespace

uint32_t texel_size(const FormatInfo& f) { return f.texture == WGPUTextureFormat_RGBA16Float ? 8 : 4; }

Rgba decode(const FormatInfo& f, const uint8_t* px) {
    Rgba c{};
    switch (layout_of(f)) {
        case Layout::argb8: c = {unorm(px[2], 8), unorm(px[1], 8), unorm(px[0], 8), unorm(px[3], 8)}; break;
        case Layout::abgr8: c = {unorm(px[0], 8), unorm(px[1], 8), unorm(px[2], 8), unorm(px[3], 8)}; break;
        case Layout::argb10: {
            uint32_t v = load32(px);
            c = {unorm((v >> 20) & 0x3ff, 10), unorm((v >> 10) & 0x3ff, 10), unorm(v & 0x3ff, 10), unorm(v >> 30, 2)};
            break;
        }
        case Layout::abgr10: {
            uint32_t v = load32(px);
            c = {unorm(v & 0x3ff, 10), unorm((v >> 10) & 0x3ff, 10), unorm((v >> 20) & 0x3ff, 10), unorm(v >> 30, 2)};
            break;
        }
        case Layout::rgb565: {
            uint32_t v = uint32_t(px[0]) | uint32_t(px[1]) << 8;
            c = {unorm(v >> 11, 5), unorm((v >> 5) & 0x3f, 6), unorm(v & 0x1f, 5), 1.0f};
            break;
        }
        case Layout::abgr16f: c = {half_at(px), half_at(px + 2), half_at(px + 4), half_at(px + 6)}; break;
        case Layout::argb16f: c = {half_at(px + 4), half_at(px + 2), half_at(px), half_at(px + 6)}; break;
    }
    if (!f.has_alpha) c.a = 1.0f;
    return c;
}

void encode(const FormatInfo& f, Rgba c, uint8_t* px) {
    if (!f.has_alpha) c.a = 1.0f;
    switch (layout_of(f)) {
        case Layout::argb8:
            px[0] = uint8_t(to_unorm(c.b, 8)), px[1] = uint8_t(to_unorm(c.g, 8));
            px[2] = uint8_t(to_unorm(c.r, 8)), px[3] = uint8_t(to_unorm(c.a, 8));
            break;
        case Layout::abgr8:
            px[0] = uint8_t(to_unorm(c.r, 8)), px[1] = uint8_t(to_unorm(c.g, 8));
            px[2] = uint8_t(to_unorm(c.b, 8)), px[3] = uint8_t(to_unorm(c.a, 8));
            break;
        case Layout::argb10:
            store32(px, to_unorm(c.a, 2) << 30 | to_unorm(c.r, 10) << 20 | to_unorm(c.g, 10) << 10 | to_unorm(c.b, 10));
            break;
        case Layout::abgr10:
            store32(px, to_unorm(c.a, 2) << 30 | to_unorm(c.b, 10) << 20 | to_unorm(c.g, 10) << 10 | to_unorm(c.r, 10));
            break;
        case Layout::rgb565: {
            uint32_t v = to_unorm(c.r, 5) << 11 | to_unorm(c.g, 6) << 5 | to_unorm(c.b, 5);
            px[0] = uint8_t(v), px[1] = uint8_t(v >> 8);
            break;
        }
        case Layout::abgr16f:
            store_half(px, c.r), store_half(px + 2, c.g), store_half(px + 4, c.b), store_half(px + 6, c.a);
            break;
        case Layout::argb16f:
            store_half(px, c.b), store_half(px + 2, c.g), store_half(px + 4, c.r), store_half(px + 6, c.a);
            break;
    }
}

Rgba decode_texel(const FormatInfo& f, const uint8_t* texel) {
    if (!f.cpu_convert) return decode(f, texel);
    // CPU-converted formats are stored as RGBA8 with alpha forced to 1.
    return {unorm(texel[0], 8), unorm(texel[1], 8), unorm(texel[2], 8), 1.0f};
}

void rgb565_to_rgba8(const uint8_t* src, uint32_t src_stride, uint32_t w, uint32_t h, uint8_t* dst) {
    auto expand = [](uint32_t v, uint32_t max) { return uint8_t((v * 255 + max / 2) / max); };
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t* row = src + size_t(y) * src_stride;
        for (uint32_t x = 0; x < w; x++, dst += 4) {
            uint32_t v = uint32_t(row[2 * x]) | uint32_t(row[2 * x + 1]) << 8;
            dst[0] = expand(v >> 11, 31);
            dst[1] = expand((v >> 5) & 0x3f, 63);
            dst[2] = expand(v & 0x1f, 31);
            dst[3] = 0xff;
        }
    }
}

}  // namespace wlgpu::convert
