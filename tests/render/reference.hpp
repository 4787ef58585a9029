// An independent CPU reference of the renderer, for pixel comparisons. It follows
// wlroots' pixman renderer (render/pixman/pass.c): the dst pixel centre is mapped to
// the source by composing scale -> rotate -> flip -> crop offset, then sampled with
// NEAREST (floor) or BILINEAR (texel centres at +0.5, clamp to edge), multiplied by
// alpha and composited with premultiplied OVER or SRC, all in float, quantised to
// 8 bits after every draw (as an 8-bit render target does). It shares no code with
// src/render.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "wlgpu/types.hpp"

namespace ref {

struct Px {
    float r = 0, g = 0, b = 0, a = 0;
};

struct Image {
    int w = 0, h = 0;
    std::vector<Px> px;
    Image() = default;
    Image(int w_, int h_) : w(w_), h(h_), px(size_t(w_) * h_) {}
    Px& at(int x, int y) { return px[size_t(y) * w + x]; }
    const Px& at(int x, int y) const { return px[size_t(y) * w + x]; }
};

// 8-bit memory layouts the tests use.
enum class Layout { argb8888, xrgb8888, abgr8888 };

inline Image decode(const std::vector<uint8_t>& bytes, int w, int h, int stride, Layout l) {
    Image img(w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t* p = bytes.data() + size_t(y) * stride + size_t(x) * 4;
            Px& o = img.at(x, y);
            if (l == Layout::abgr8888) o = {p[0] / 255.f, p[1] / 255.f, p[2] / 255.f, p[3] / 255.f};
            else o = {p[2] / 255.f, p[1] / 255.f, p[0] / 255.f, p[3] / 255.f};
            if (l == Layout::xrgb8888) o.a = 1.0f;
        }
    return img;
}

inline uint8_t q8(float v) { return uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); }

inline void quantise(Image& img) {
    for (auto& p : img.px) p = {q8(p.r) / 255.f, q8(p.g) / 255.f, q8(p.b) / 255.f, q8(p.a) / 255.f};
}

// Random premultiplied RGBA8 content (a in [0,255], channels <= a), in the given layout.
inline std::vector<uint8_t> random_pixels(std::mt19937& rng, int w, int h, int stride, Layout l) {
    std::vector<uint8_t> v(size_t(stride) * h);
    std::uniform_int_distribution<int> d(0, 255);
    for (auto& b : v) b = uint8_t(d(rng));  // also fills the padding
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t* p = v.data() + size_t(y) * stride + size_t(x) * 4;
            uint8_t a = l == Layout::xrgb8888 ? 255 : p[3];
            for (int c = 0; c < 3; c++) p[c] = uint8_t(p[c] * a / 255);
        }
    return v;
}

// The dst -> src mapping, as an affine map of dst-box-local coordinates.
struct Affine {
    double a = 1, b = 0, c = 0, d = 0, e = 1, f = 0;  // x' = a x + b y + c; y' = d x + e y + f
    void then(const Affine& n) {  // this := n o this
        Affine r;
        r.a = n.a * a + n.b * d, r.b = n.a * b + n.b * e, r.c = n.a * c + n.b * f + n.c;
        r.d = n.d * a + n.e * d, r.e = n.d * b + n.e * e, r.f = n.d * c + n.e * f + n.f;
        *this = r;
    }
};

// crop = box in texture pixels (fractional, as wlr_fbox); dw, dh = dst box size.
inline Affine dst_to_src(wlgpu::FBox crop, wlgpu::Transform t, int dw, int dh) {
    int tr = int(t);
    bool swap = tr & 1;
    double tw = swap ? crop.height : crop.width, th = swap ? crop.width : crop.height;
    Affine m;
    m.then({tw / dw, 0, 0, 0, th / dh, 0});  // scale to the transformed crop size
    double cs = 1, sn = 0, tx = 0, ty = 0;
    switch (tr & 3) {
        case 1: cs = 0, sn = 1, ty = crop.width; break;
        case 2: cs = -1, sn = 0, tx = crop.width, ty = crop.height; break;
        case 3: cs = 0, sn = -1, tx = crop.height; break;
    }
    m.then({1, 0, -tx, 0, 1, -ty});
    m.then({cs, -sn, 0, sn, cs, 0});                     // rotate
    if (tr & 4) m.then({-1, 0, crop.width, 0, 1, 0});  // flip x
    m.then({1, 0, crop.x, 0, 1, crop.y});
    return m;
}

inline Px texel(const Image& src, int x, int y) {
    x = std::clamp(x, 0, src.w - 1);
    y = std::clamp(y, 0, src.h - 1);
    return src.at(x, y);
}

inline Px sample(const Image& src, double u, double v, wlgpu::Filter f) {
    if (f == wlgpu::Filter::nearest) return texel(src, int(std::floor(u)), int(std::floor(v)));
    double x = u - 0.5, y = v - 0.5;
    int x0 = int(std::floor(x)), y0 = int(std::floor(y));
    float fx = float(x - x0), fy = float(y - y0);
    Px p00 = texel(src, x0, y0), p10 = texel(src, x0 + 1, y0), p01 = texel(src, x0, y0 + 1),
       p11 = texel(src, x0 + 1, y0 + 1);
    auto lerp2 = [&](float a, float b, float c, float d) {
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    };
    return {lerp2(p00.r, p10.r, p01.r, p11.r), lerp2(p00.g, p10.g, p01.g, p11.g), lerp2(p00.b, p10.b, p01.b, p11.b),
            lerp2(p00.a, p10.a, p01.a, p11.a)};
}

inline bool in_clip(const wlgpu::Clip& clip, int x, int y) {
    if (!clip) return true;
    for (const auto& b : *clip)
        if (x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height) return true;
    return false;
}

inline Px composite(Px s, Px d, wlgpu::Blend blend) {
    if (blend == wlgpu::Blend::none) return s;
    float k = 1 - s.a;
    return {s.r + d.r * k, s.g + d.g * k, s.b + d.b * k, s.a + d.a * k};
}

inline wlgpu::FBox fbox(wlgpu::Box b) { return {double(b.x), double(b.y), double(b.width), double(b.height)}; }

// crop: empty = the whole texture. quantise_8bit: the target is an 8-bit format (false: a float
// target, keep the float result).
inline void draw_texture(Image& dst, const Image& src, wlgpu::FBox crop, wlgpu::Box box, wlgpu::Transform t,
                         float alpha, wlgpu::Filter f, wlgpu::Blend blend, const wlgpu::Clip& clip,
                         bool quantise_8bit = true) {
    if (crop.empty()) crop = {0, 0, double(src.w), double(src.h)};
    Affine m = dst_to_src(crop, t, box.width, box.height);
    for (int y = std::max(box.y, 0); y < std::min(box.y + box.height, dst.h); y++)
        for (int x = std::max(box.x, 0); x < std::min(box.x + box.width, dst.w); x++) {
            if (!in_clip(clip, x, y)) continue;
            double lx = x - box.x + 0.5, ly = y - box.y + 0.5;
            double u = m.a * lx + m.b * ly + m.c, v = m.d * lx + m.e * ly + m.f;
            Px s = sample(src, u, v, f);
            s = {s.r * alpha, s.g * alpha, s.b * alpha, s.a * alpha};
            dst.at(x, y) = composite(s, dst.at(x, y), blend);
        }
    if (quantise_8bit) quantise(dst);
}

inline void draw_rect(Image& dst, wlgpu::Box box, Px color, wlgpu::Blend blend, const wlgpu::Clip& clip) {
    if (color.a >= 1) blend = wlgpu::Blend::none;  // wlroots: an opaque colour replaces
    for (int y = std::max(box.y, 0); y < std::min(box.y + box.height, dst.h); y++)
        for (int x = std::max(box.x, 0); x < std::min(box.x + box.width, dst.w); x++)
            if (in_clip(clip, x, y)) dst.at(x, y) = composite(color, dst.at(x, y), blend);
    quantise(dst);
}

}  // namespace ref
