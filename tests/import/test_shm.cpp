// Memory textures: every wl_shm format round trip, damage-only updates, read_pixels
// with a src box and stride, and the errors for bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <stdfloat>

#include "support/gpu.hpp"
#include "support/mem_formats.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/texture.hpp"

using namespace wlgpu;

namespace {

constexpr uint32_t kARGB8888 = fourcc('A', 'R', '2', '4'), kABGR8888 = fourcc('A', 'B', '2', '4');

// The test's own list (with the DRM codes spelled out), not the library's table.
using Fmt = test::MemFormat;
constexpr const auto& kAll = test::kMemFormats;

uint16_t half_bits(float f) {
    std::float16_t h = static_cast<std::float16_t>(f);
    uint16_t b;
    std::memcpy(&b, &h, 2);
    return b;
}
float half_value(uint16_t b) {
    std::float16_t h;
    std::memcpy(&h, &b, 2);
    return float(h);
}

bool is_half(const Fmt& f) { return f.bpp == 8; }

// Random client memory; 16F formats get finite values in [0, 1].
std::vector<uint8_t> random_memory(std::mt19937& rng, const Fmt& f, int h, int stride) {
    std::vector<uint8_t> v(size_t(stride) * h);
    std::uniform_int_distribution<int> byte(0, 255);
    for (auto& b : v) b = uint8_t(byte(rng));
    if (is_half(f)) {
        std::uniform_real_distribution<float> unit(0.0f, 1.0f);
        for (size_t i = 0; i + 1 < v.size(); i += 2) {
            uint16_t b = half_bits(unit(rng));
            std::memcpy(&v[i], &b, 2);
        }
    }
    return v;
}

// The test's own conversion of one pixel to 8-bit R, G, B, A.
std::array<int, 4> to_rgba8(const Fmt& f, const uint8_t* p) {
    const std::string n = f.name;
    const bool x = n[0] == 'X' || n == "RGB565";
    std::array<int, 4> c{};
    auto scale = [](uint32_t v, uint32_t max) { return int((v * 255 + max / 2) / max); };
    if (f.bpp == 4 && n.find("8888") != std::string::npos) {
        bool argb = n.find("RGB") == 1;  // ARGB/XRGB: bytes B G R A
        c = argb ? std::array<int, 4>{p[2], p[1], p[0], p[3]} : std::array<int, 4>{p[0], p[1], p[2], p[3]};
    } else if (f.bpp == 4) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        uint32_t hi = (v >> 20) & 0x3ff, mid = (v >> 10) & 0x3ff, lo = v & 0x3ff;
        bool argb = n.find("RGB") == 1;
        c = {scale(argb ? hi : lo, 1023), scale(mid, 1023), scale(argb ? lo : hi, 1023), int(v >> 30) * 85};
    } else if (f.bpp == 2) {
        uint32_t v = p[0] | p[1] << 8;
        c = {scale(v >> 11, 31), scale((v >> 5) & 63, 63), scale(v & 31, 31), 255};
    } else {
        uint16_t h[4];
        std::memcpy(h, p, 8);
        bool argb = n.find("RGB") == 1;  // memory B G R A
        auto q = [&](int i) { return int(std::lround(std::clamp(half_value(h[i]), 0.0f, 1.0f) * 255)); };
        c = argb ? std::array<int, 4>{q(2), q(1), q(0), q(3)} : std::array<int, 4>{q(0), q(1), q(2), q(3)};
    }
    if (x) c[3] = 255;
    return c;
}

class ShmFormat : public ::testing::TestWithParam<Fmt> {};

TEST_P(ShmFormat, RoundTripsInItsOwnFormat) {
    const Fmt& f = GetParam();
    std::mt19937 rng(f.code);
    const int w = 37, h = 19, stride = w * f.bpp + 3 * f.bpp;
    auto mem = random_memory(rng, f, h, stride);
    auto t = Texture::from_pixels(test::gpu(), f.code, w, h, stride, mem.data());
    ASSERT_TRUE(t) << t.error().message;
    std::vector<uint8_t> out(size_t(w) * f.bpp * h);
    ASSERT_TRUE((*t)->read_pixels(f.code, {0, 0, w, h}, w * f.bpp, out.data()));
    int bad = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t* a = mem.data() + size_t(y) * stride;
        const uint8_t* b = out.data() + size_t(y) * w * f.bpp;
        if (f.name == std::string("RGB565") || f.name[0] != 'X') {
            bad += std::memcmp(a, b, size_t(w) * f.bpp) != 0;
        } else {  // X formats: compare the colour, the X bits are undefined
            for (int x = 0; x < w; x++) bad += to_rgba8(f, a + x * f.bpp) != to_rgba8(f, b + x * f.bpp);
        }
    }
    EXPECT_EQ(bad, 0) << f.name << ": rows differ";
}

TEST_P(ShmFormat, ReadsBackAsABGR8888LikeTheCpuConversion) {
    const Fmt& f = GetParam();
    std::mt19937 rng(f.code + 1);
    const int w = 23, h = 11, stride = w * f.bpp + 5 * f.bpp;
    auto mem = random_memory(rng, f, h, stride);
    auto t = Texture::from_pixels(test::gpu(), f.code, w, h, stride, mem.data());
    ASSERT_TRUE(t) << t.error().message;
    std::vector<uint8_t> out(size_t(w) * 4 * h);
    ASSERT_TRUE((*t)->read_pixels(kABGR8888, {0, 0, w, h}, w * 4, out.data()));
    int bad = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            auto want = to_rgba8(f, mem.data() + size_t(y) * stride + size_t(x) * f.bpp);
            const uint8_t* got = out.data() + (size_t(y) * w + x) * 4;
            for (int c = 0; c < 4; c++)
                if (std::abs(got[c] - want[c]) > (is_half(f) ? 1 : 0)) {
                    if (bad++ < 3)
                        ADD_FAILURE() << f.name << " (" << x << "," << y << ") channel " << c << ": got "
                                      << int(got[c]) << " want " << want[c];
                    break;
                }
        }
    EXPECT_EQ(bad, 0);
}

INSTANTIATE_TEST_SUITE_P(All, ShmFormat, ::testing::ValuesIn(kAll),
                         [](const ::testing::TestParamInfo<Fmt>& i) { return std::string(i.param.name); });

TEST(ShmFormats, TableCoversTheBrief) {
    for (const Fmt& f : kAll) {
        const FormatInfo* info = find_shm_format(f.code);
        ASSERT_NE(info, nullptr) << f.name;
        EXPECT_STREQ(info->name, f.name);
        EXPECT_EQ(int(info->bytes_per_pixel), f.bpp);
    }
    EXPECT_TRUE(find_shm_format(fourcc('A', 'R', '2', '4'))->renderable);
    EXPECT_TRUE(find_shm_format(fourcc('A', 'B', '3', '0'))->renderable);
    EXPECT_TRUE(find_shm_format(fourcc('A', 'B', '4', 'H'))->renderable);
    EXPECT_FALSE(find_shm_format(fourcc('R', 'G', '1', '6'))->renderable);
    EXPECT_TRUE(find_shm_format(fourcc('R', 'G', '1', '6'))->cpu_convert);
    char buf[8];
    EXPECT_STREQ(fourcc_name(fourcc('N', 'V', '1', '2'), buf), "NV12");
}

TEST(ShmTexture, DamageUpdatesOnlyTheBoxes) {
    std::mt19937 rng(11);
    const int w = 40, h = 30, stride = w * 4 + 16;
    const Fmt f{"ARGB8888", kARGB8888, 4};
    auto a = random_memory(rng, f, h, stride), b = random_memory(rng, f, h, stride);
    auto t = Texture::from_pixels(test::gpu(), kARGB8888, w, h, stride, a.data());
    ASSERT_TRUE(t);
    const Box damage[] = {{2, 3, 5, 4}, {30, 20, 20, 20} /* clamped */, {-5, -5, 3, 3} /* outside */, {10, 0, 1, 30}};
    ASSERT_TRUE((*t)->update(b.data(), stride, damage));
    std::vector<uint8_t> out(size_t(w) * h * 4);
    ASSERT_TRUE((*t)->read_pixels(kARGB8888, {0, 0, w, h}, w * 4, out.data()));
    auto inside = [&](int x, int y) {
        for (const Box& d : damage)
            if (x >= d.x && x < d.x + d.width && y >= d.y && y < d.y + d.height) return true;
        return false;
    };
    int bad = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const auto& src = inside(x, y) ? b : a;
            bad += std::memcmp(out.data() + (size_t(y) * w + x) * 4, src.data() + size_t(y) * stride + x * 4, 4) != 0;
        }
    EXPECT_EQ(bad, 0);
}

TEST(ShmTexture, Rgb565DamageIsConverted) {
    std::mt19937 rng(12);
    const Fmt f{"RGB565", fourcc('R', 'G', '1', '6'), 2};
    const int w = 16, h = 8, stride = 40;
    auto a = random_memory(rng, f, h, stride), b = random_memory(rng, f, h, stride);
    auto t = Texture::from_pixels(test::gpu(), f.code, w, h, stride, a.data());
    ASSERT_TRUE(t);
    const Box damage[] = {{3, 2, 4, 3}};
    ASSERT_TRUE((*t)->update(b.data(), stride, damage));
    std::vector<uint8_t> out(size_t(w) * h * 2);
    ASSERT_TRUE((*t)->read_pixels(f.code, {0, 0, w, h}, w * 2, out.data()));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            bool in = x >= 3 && x < 7 && y >= 2 && y < 5;
            const auto& src = in ? b : a;
            ASSERT_EQ(std::memcmp(out.data() + (y * w + x) * 2, src.data() + y * stride + x * 2, 2), 0) << x << "," << y;
        }
}

TEST(ShmTexture, ReadPixelsHonoursSrcBoxAndStride) {
    std::mt19937 rng(13);
    const int w = 50, h = 20, stride = w * 4;
    const Fmt f{"ABGR8888", kABGR8888, 4};
    auto mem = random_memory(rng, f, h, stride);
    auto t = Texture::from_pixels(test::gpu(), kABGR8888, w, h, stride, mem.data());
    ASSERT_TRUE(t);
    const Box src{7, 5, 13, 9};
    const int dst_stride = 13 * 4 + 20;
    std::vector<uint8_t> out(size_t(dst_stride) * src.height, 0xa5);
    ASSERT_TRUE((*t)->read_pixels(kARGB8888, src, dst_stride, out.data()));
    for (int y = 0; y < src.height; y++) {
        for (int x = 0; x < src.width; x++) {
            const uint8_t* m = mem.data() + size_t(src.y + y) * stride + (src.x + x) * 4;
            const uint8_t* o = out.data() + size_t(y) * dst_stride + x * 4;
            ASSERT_EQ(o[0], m[2]);  // ARGB8888 bytes B G R A from ABGR8888 bytes R G B A
            ASSERT_EQ(o[1], m[1]);
            ASSERT_EQ(o[2], m[0]);
            ASSERT_EQ(o[3], m[3]);
        }
        for (int p = src.width * 4; p < dst_stride; p++) ASSERT_EQ(out[size_t(y) * dst_stride + p], 0xa5) << "padding";
    }
}

void expect_error(const Result<std::shared_ptr<Texture>>& r, const char* words) {
    ASSERT_FALSE(r) << "expected an error about " << words;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << r.error().message;
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
}

TEST(ShmTexture, BadInputIsAnErrorNotACrash) {
    auto& g = test::gpu();
    std::vector<uint8_t> mem(64 * 64 * 4, 1);
    expect_error(Texture::from_pixels(g, kARGB8888, 0, 8, 32, mem.data()), "zero size");
    expect_error(Texture::from_pixels(g, kARGB8888, 8, 0, 32, mem.data()), "zero size");
    uint32_t too_big = g.limits().maxTextureDimension2D + 1;
    expect_error(Texture::from_pixels(g, kARGB8888, too_big, 1, too_big * 4, mem.data()), "maxTextureDimension2D");
    expect_error(Texture::create(g, kARGB8888, 1, too_big), "maxTextureDimension2D");
    expect_error(Texture::from_pixels(g, kARGB8888, 8, 8, 31, mem.data()), "too small");
    expect_error(Texture::from_pixels(g, kARGB8888, 8, 8, 34, mem.data()), "not a multiple");
    expect_error(Texture::from_pixels(g, fourcc('N', 'V', '1', '2'), 8, 8, 32, mem.data()), "NV12");
    expect_error(Texture::from_pixels(g, 0x12345678, 8, 8, 32, mem.data()), "unknown");
    expect_error(Texture::from_pixels(g, kARGB8888, 8, 8, 32, nullptr), "null");

    auto t = Texture::from_pixels(g, kARGB8888, 8, 8, 32, mem.data());
    ASSERT_TRUE(t);
    std::vector<uint8_t> out(1024);
    auto r = (*t)->read_pixels(kARGB8888, {4, 4, 8, 2}, 32, out.data());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("outside"), std::string::npos) << r.error().message;
    r = (*t)->read_pixels(kARGB8888, {-1, 0, 2, 2}, 32, out.data());
    ASSERT_FALSE(r);
    r = (*t)->read_pixels(kARGB8888, {0, 0, 8, 8}, 16, out.data());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("too small"), std::string::npos) << r.error().message;
    r = (*t)->read_pixels(kARGB8888, {0, 0, 8, 8}, 32, nullptr);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("null"), std::string::npos) << r.error().message;
    auto u = (*t)->update(mem.data(), 30, {});
    ASSERT_FALSE(u);
    EXPECT_NE(u.error().message.find("too small"), std::string::npos) << u.error().message;
    auto rt = Texture::create(g, fourcc('R', 'G', '1', '6'), 8, 8, TextureUsage::render);
    ASSERT_FALSE(rt);
    EXPECT_EQ(rt.error().code, Errc::unsupported);
    EXPECT_TRUE(test::gpu_state().uncaptured.empty()) << test::gpu_state().uncaptured.front();
}

}  // namespace
