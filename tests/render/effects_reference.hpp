// CPU references of the effects (docs/effects.md), written from their definitions, shared by
// tests/render/test_effects.cpp (the Frame) and tests/wlr/test_wlr_effects.cpp (the C API on a
// wlroots pass). They share no code with src/render.
//   Shapes: a pixel is covered by clamp(0.5 - d, 0, 1), d the signed distance from its centre to
//   the rounded box, found from the corner circles and the edges (not the shader's quadrant
//   formula). Shadows: the Gaussian integrated numerically on a 1/8-pixel grid over 4 sigma.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "render/reference.hpp"
#include "wlgpu/render.hpp"

namespace wlgpu::test::fxref {

inline ref::Px px(Color c) { return {c.r, c.g, c.b, c.a}; }
inline ref::Px scale(ref::Px p, float k) { return {p.r * k, p.g * k, p.b * k, p.a * k}; }
inline ref::Px lerp(ref::Px a, ref::Px b, double t) {
    auto l = [&](float x, float y) { return float(x + (y - x) * t); };
    return {l(a.r, b.r), l(a.g, b.g), l(a.b, b.b), l(a.a, b.a)};
}

// A random premultiplied colour with alpha in [0.3, 1).
inline Color random_color(std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    float a = 0.3f + 0.69f * u(rng);
    return {a * u(rng), a * u(rng), a * u(rng), a};
}

// The radius of each corner as the renderer clamps it: [0, min(w, h) / 2].
inline std::array<double, 4> clamped(const CornerRadii& c, Box b) {
    const double m = 0.5 * std::min(b.width, b.height);
    return {std::clamp<double>(c.top_left, 0, m), std::clamp<double>(c.top_right, 0, m),
            std::clamp<double>(c.bottom_right, 0, m), std::clamp<double>(c.bottom_left, 0, m)};
}

// Signed distance from (x, y) to the rounded box: inside a corner's square, from its circle;
// elsewhere from the nearest edge (negative inside).
inline double rounded_distance(double x, double y, Box b, const CornerRadii& c) {
    const auto r = clamped(c, b);
    const double x0 = b.x, y0 = b.y, x1 = b.x + b.width, y1 = b.y + b.height;
    const struct {
        double cx, cy, r;
        bool in;
    } corners[4] = {{x0 + r[0], y0 + r[0], r[0], x < x0 + r[0] && y < y0 + r[0]},
                    {x1 - r[1], y0 + r[1], r[1], x > x1 - r[1] && y < y0 + r[1]},
                    {x1 - r[2], y1 - r[2], r[2], x > x1 - r[2] && y > y1 - r[2]},
                    {x0 + r[3], y1 - r[3], r[3], x < x0 + r[3] && y > y1 - r[3]}};
    for (const auto& k : corners)
        if (k.in && k.r > 0) return std::hypot(x - k.cx, y - k.cy) - k.r;
    return std::max({x0 - x, x - x1, y0 - y, y - y1});
}

inline float coverage(int x, int y, Box b, const CornerRadii& c) {
    return float(std::clamp(0.5 - rounded_distance(x + 0.5, y + 0.5, b, c), 0.0, 1.0));
}

// Every pixel of box in the target (and clip), as f(x, y) composited premultiplied OVER.
template <class F>
inline void over(ref::Image& dst, Box box, const Clip& clip, F f) {
    for (int y = std::max(box.y, 0); y < std::min(box.y + box.height, dst.h); y++)
        for (int x = std::max(box.x, 0); x < std::min(box.x + box.width, dst.w); x++)
            if (ref::in_clip(clip, x, y)) dst.at(x, y) = ref::composite(f(x, y), dst.at(x, y), Blend::premultiplied);
    ref::quantise(dst);
}

// The texture draw's sample at target pixel (x, y) (crop, transform, scale, filter), times alpha.
inline ref::Px texture_sample(const ref::Image& src, const TextureDraw& d, int x, int y) {
    const FBox crop = d.src.empty() ? FBox{0, 0, double(src.w), double(src.h)} : d.src;
    const ref::Affine m = ref::dst_to_src(crop, d.transform, d.dst.width, d.dst.height);
    const double lx = x - d.dst.x + 0.5, ly = y - d.dst.y + 0.5;
    return scale(ref::sample(src, m.a * lx + m.b * ly + m.c, m.d * lx + m.e * ly + m.f, d.filter), d.alpha);
}

// The Gaussian blur (sigma) of the rounded box's indicator at pixel centres, on a 1/8-pixel
// grid over 4 sigma: separable, x then y (only pixels within 4 sigma of the box are non-zero).
inline std::vector<double> reference_shadow(int w, int h, Box b, const CornerRadii& c, double sigma) {
    constexpr int kSub = 8;
    const int reach = int(std::ceil(4 * sigma * kSub));
    // The indicator on the grid cells of the box (outside it: 0).
    const int gw = b.width * kSub, gh = b.height * kSub;
    std::vector<uint8_t> inside(size_t(gw) * gh);
    for (int j = 0; j < gh; j++)
        for (int i = 0; i < gw; i++)
            inside[size_t(j) * gw + i] = rounded_distance(b.x + (i + 0.5) / kSub, b.y + (j + 0.5) / kSub, b, c) < 0;
    auto weight = [&](double d) {
        return std::exp(-0.5 * d * d / (sigma * sigma)) / (sigma * std::sqrt(2 * std::numbers::pi)) / kSub;
    };
    std::vector<double> rows(size_t(w) * gh), out(size_t(w) * h);
    for (int j = 0; j < gh; j++)
        for (int x = 0; x < w; x++) {
            double s = 0;
            const double cx = (x + 0.5 - b.x) * kSub;  // the pixel centre in grid cells of the box
            for (int i = std::max(0, int(std::floor(cx)) - reach); i < std::min(gw, int(std::floor(cx)) + reach); i++)
                if (inside[size_t(j) * gw + i]) s += weight((cx - (i + 0.5)) / kSub);
            rows[size_t(j) * w + x] = s;
        }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double s = 0;
            const double cy = (y + 0.5 - b.y) * kSub;
            for (int j = std::max(0, int(std::floor(cy)) - reach); j < std::min(gh, int(std::floor(cy)) + reach); j++)
                s += rows[size_t(j) * w + x] * weight((cy - (j + 0.5)) / kSub);
            out[size_t(y) * w + x] = s;
        }
    return out;
}

// The sampler's BILINEAR tap of img at uv (0..1 over the image), clamped to the edge.
inline ref::Px tap(const ref::Image& img, double u, double v) { return ref::sample(img, u * img.w, v * img.h, Filter::bilinear); }

inline ref::Px sum(std::initializer_list<std::pair<float, ref::Px>> taps, float div) {
    ref::Px o;
    for (const auto& [k, p] : taps) o = {o.r + k * p.r, o.g + k * p.g, o.b + k * p.b, o.a + k * p.a};
    return scale(o, 1 / div);
}

// Dual Kawase as the docs define it: level i + 1 is level i at half size, each pixel the centre
// tap x4 and four diagonal taps half a source texel x radius away, / 8; back up, each pixel four
// axis taps at one source texel x radius and four diagonal ones at half, weighted 2, / 12. Every
// level is an 8-bit texture (quantised).
inline ref::Image kawase(const ref::Image& target, uint32_t passes, float radius) {
    std::vector<ref::Image> lv{target};
    for (uint32_t i = 1; i <= passes; i++) lv.emplace_back(std::max(target.w >> i, 1), std::max(target.h >> i, 1));
    auto pass = [&](const ref::Image& src, ref::Image& dst, bool down) {
        const double hx = 0.5 / src.w * radius, hy = 0.5 / src.h * radius;
        for (int y = 0; y < dst.h; y++)
            for (int x = 0; x < dst.w; x++) {
                const double u = (x + 0.5) / dst.w, v = (y + 0.5) / dst.h;
                auto t = [&](double du, double dv) { return tap(src, u + du, v + dv); };
                dst.at(x, y) = down ? sum({{4, t(0, 0)}, {1, t(-hx, -hy)}, {1, t(hx, hy)}, {1, t(hx, -hy)}, {1, t(-hx, hy)}}, 8)
                                    : sum({{1, t(-2 * hx, 0)}, {1, t(2 * hx, 0)}, {1, t(0, -2 * hy)}, {1, t(0, 2 * hy)},
                                           {2, t(hx, hy)}, {2, t(-hx, -hy)}, {2, t(hx, -hy)}, {2, t(-hx, hy)}}, 12);
            }
        ref::quantise(dst);
    };
    for (uint32_t i = 0; i < passes; i++) pass(lv[i], lv[i + 1], true);
    for (uint32_t i = passes; i-- > 0;) pass(lv[i + 1], lv[i], false);
    return lv[0];
}

// The docs' pixel hash (PCG steps on 32-bit integers).
inline float pixel_hash(uint32_t x, uint32_t y) {
    const uint32_t v = (x * 1973u + y * 9277u + 89173u) * 747796405u + 2891336453u;
    const uint32_t w = ((v >> ((v >> 28u) + 4u)) ^ v) * 277803737u;
    return float((w >> 22u) ^ w) / 4294967295.0f;
}

inline ref::Px adjust(ref::Px c, const BlurDraw& b, int x, int y) {
    float rgb[3] = {c.r * b.brightness, c.g * b.brightness, c.b * b.brightness};
    for (float& v : rgb) v = (v - 0.5f * c.a) * b.contrast + 0.5f * c.a;
    const float luma = 0.2126f * rgb[0] + 0.7152f * rgb[1] + 0.0722f * rgb[2];
    const float n = (pixel_hash(uint32_t(x), uint32_t(y)) - 0.5f) * b.noise * c.a;
    for (float& v : rgb) v = std::clamp(luma + (v - luma) * b.saturation + n, 0.0f, c.a);
    return {rgb[0], rgb[1], rgb[2], c.a};
}

// A user effect that uses every input: luminance weights and a ramp from `user`, the position
// and the time; user_ref is its CPU reference.
constexpr const char* kUserWgsl = R"(fn effect(texel: vec4f, pos: vec2f, user: array<vec4f, 8>, time: f32) -> vec4f {
    let l = dot(texel.rgb, user[0].rgb);
    let ramp = clamp(pos.x * user[1].x + pos.y * user[1].y + time * user[1].z, 0.0, 1.0);
    return vec4f(l * ramp, l, texel.b * user[7].w, texel.a);
}
)";

inline ref::Px user_ref(ref::Px t, double x, double y, const EffectParams& p) {
    const float l = t.r * p.user[0] + t.g * p.user[1] + t.b * p.user[2];
    const float ramp = std::clamp(float(x * p.user[4] + y * p.user[5] + p.time * p.user[6]), 0.0f, 1.0f);
    return {l * ramp, l, t.b * p.user[31], t.a};
}

inline EffectParams random_params(std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    EffectParams p;
    for (float& v : p.user) v = u(rng);
    p.user[0] = 0.2126f, p.user[1] = 0.7152f, p.user[2] = 0.0722f;  // weights that keep l <= 1
    p.user[4] = 0.011f, p.user[5] = 0.007f, p.user[6] = 0.1f;
    p.time = 1.75f;
    return p;
}

}  // namespace wlgpu::test::fxref
