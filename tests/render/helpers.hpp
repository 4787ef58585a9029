// Shared helpers of the render tests: textures from random content, read-back, comparison.
#pragma once

#include <gtest/gtest.h>

#include <format>
#include <memory>
#include <random>
#include <string>

#include "render/compare.hpp"
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

// A renderer of its own on the test device (for its stats, or its options).
inline std::unique_ptr<Renderer> own_renderer(RendererOptions options = {}) {
    auto c = Renderer::create(gpu(), options);
    if (!c) throw std::runtime_error(c.error().message);
    return std::move(*c);
}

// One renderer on the test device for a test binary's cases (made on first use).
inline Renderer& shared_renderer() {
    static std::unique_ptr<Renderer> r = own_renderer();
    return *r;
}

}  // namespace wlgpu::test
