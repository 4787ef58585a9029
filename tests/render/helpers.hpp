// Shared helpers of the render tests: textures from random content, read-back, comparison.
#pragma once

#include <gtest/gtest.h>

#include <format>
#include <memory>
#include <random>
#include <string>

#include "render/reference.hpp"
#include "support/gpu.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/render.hpp"
#include "wlgpu/texture.hpp"

namespace wlgpu::test {

constexpr uint32_t kARGB8888 = fourcc('A', 'R', '2', '4');
constexpr uint32_t kXRGB8888 = fourcc('X', 'R', '2', '4');
constexpr uint32_t kABGR8888 = fourcc('A', 'B', '2', '4');

inline uint32_t fourcc_of(ref::Layout l) {
    switch (l) {
        case ref::Layout::argb8888: return kARGB8888;
        case ref::Layout::xrgb8888: return kXRGB8888;
        case ref::Layout::abgr8888: return kABGR8888;
    }
    return 0;
}

struct Source {
    std::shared_ptr<Texture> tex;
    ref::Image img;
};

inline Source random_texture(std::mt19937& rng, int w, int h, ref::Layout l,
                             TextureUsage usage = TextureUsage::sample) {
    int stride = w * 4 + 12;  // a stride with padding
    auto bytes = ref::random_pixels(rng, w, h, stride, l);
    auto t = Texture::from_pixels(gpu(), fourcc_of(l), w, h, stride, bytes.data(), usage);
    if (!t) throw std::runtime_error(t.error().message);
    return {*t, ref::decode(bytes, w, h, stride, l)};
}

inline ref::Image read_back(Texture& t) {
    std::vector<uint8_t> out(size_t(t.width()) * t.height() * 4);
    auto r = t.read_pixels(kARGB8888, {0, 0, int32_t(t.width()), int32_t(t.height())}, t.width() * 4, out.data());
    if (!r) throw std::runtime_error(r.error().message);
    return ref::decode(out, t.width(), t.height(), t.width() * 4, ref::Layout::argb8888);
}

// One renderer on the test device for a test binary's cases (made on first use).
inline Renderer& shared_renderer() {
    static std::unique_ptr<Renderer> r = [] {
        auto c = Renderer::create(gpu());
        if (!c) throw std::runtime_error(c.error().message);
        return std::move(*c);
    }();
    return *r;
}

// Compares in 8-bit units; reports the first mismatches and their count.
inline ::testing::AssertionResult images_match(const ref::Image& got, const ref::Image& want, int tolerance) {
    int bad = 0;
    std::string first;
    for (int y = 0; y < want.h; y++)
        for (int x = 0; x < want.w; x++) {
            const auto &g = got.at(x, y), &w = want.at(x, y);
            int d[4] = {ref::q8(g.r) - ref::q8(w.r), ref::q8(g.g) - ref::q8(w.g), ref::q8(g.b) - ref::q8(w.b),
                        ref::q8(g.a) - ref::q8(w.a)};
            for (int c : d)
                if (std::abs(c) > tolerance) {
                    if (bad++ < 5)
                        first += std::format(" ({},{}): got {} {} {} {} want {} {} {} {};", x, y, ref::q8(g.r),
                                             ref::q8(g.g), ref::q8(g.b), ref::q8(g.a), ref::q8(w.r), ref::q8(w.g),
                                             ref::q8(w.b), ref::q8(w.a));
                    break;
                }
        }
    if (!bad) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << bad << " pixels differ by more than " << tolerance << ":" << first;
}

}  // namespace wlgpu::test
