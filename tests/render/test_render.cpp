// Renderer vs the CPU reference (tests/render/reference.hpp), on random content.
//
// Tolerances: NEAREST is compared at +-1 per 8-bit channel (the GPU multiplies and
// blends in float and rounds once per draw; the reference does the same math in a
// different order, so a value that lands on .5 may round either way). BILINEAR is
// compared at +-2: lavapipe (like most GPUs) quantises the filter weights to 8 bits
// of sub-texel precision, which moves a blend of two texels that differ by up to 255
// by at most ~1, plus the rounding above. Scales are 1x or 2x so that no sample
// point lies exactly on a texel edge, where NEAREST may legitimately pick either side.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <tuple>

#include "render/helpers.hpp"
#include "support/mem_formats.hpp"
#include "support/signal_mask.hpp"

using namespace wlgpu;
using namespace wlgpu::test;

namespace {

constexpr int kTexW = 13, kTexH = 9;

std::unique_ptr<Renderer>& renderer() {
    static std::unique_ptr<Renderer> r = own_renderer();
    return r;
}

const char* transform_name(Transform t) {
    static const char* n[] = {"normal", "r90", "r180", "r270", "flipped", "flipped90", "flipped180", "flipped270"};
    return n[uint32_t(t)];
}

// transform, crop, alpha, blend, filter, scale
using Params = std::tuple<Transform, bool, float, Blend, Filter, int>;

class DrawTexture : public ::testing::TestWithParam<Params> {};

std::string param_name(const ::testing::TestParamInfo<Params>& i) {
    auto [tr, crop, alpha, blend, filter, scale] = i.param;
    return std::format("{}_{}_{}_{}_{}_x{}", transform_name(tr), crop ? "crop" : "full",
                       alpha == 1.0f ? "opaque" : "half", blend == Blend::none ? "none" : "premul",
                       filter == Filter::nearest ? "nearest" : "bilinear", scale);
}

TEST_P(DrawTexture, MatchesReference) {
    auto [tr, crop, alpha, blend, filter, scale] = GetParam();
    std::mt19937 rng(1234 + uint32_t(tr) * 97 + crop * 13 + scale);
    auto src = random_texture(rng, kTexW, kTexH, ref::Layout::argb8888);
    auto dst = random_texture(rng, 64, 48, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);

    Box cbox = crop ? Box{3, 2, 7, 5} : Box{0, 0, kTexW, kTexH};
    bool swap = uint32_t(tr) & 1;
    Box box{5, 4, (swap ? cbox.height : cbox.width) * scale, (swap ? cbox.width : cbox.height) * scale};

    TextureDraw d;
    d.texture = src.tex.get();
    if (crop) d.src = {double(cbox.x), double(cbox.y), double(cbox.width), double(cbox.height)};
    d.dst = box;
    d.transform = tr;
    d.alpha = alpha;
    d.filter = filter;
    d.blend = blend;
    auto frame = renderer()->begin(*dst.tex);
    ASSERT_TRUE(frame) << frame.error().message;
    ASSERT_TRUE(frame->draw_texture(d));
    ASSERT_TRUE(frame->submit());

    ref::Image want = dst.img;
    ref::draw_texture(want, src.img, crop ? ref::fbox(cbox) : FBox{}, box, tr, alpha, filter, blend, std::nullopt);
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, filter == Filter::nearest ? 1 : 2));
}

INSTANTIATE_TEST_SUITE_P(
    AllTransforms, DrawTexture,
    ::testing::Combine(::testing::Values(Transform::normal, Transform::rotate_90, Transform::rotate_180,
                                         Transform::rotate_270, Transform::flipped, Transform::flipped_90,
                                         Transform::flipped_180, Transform::flipped_270),
                       ::testing::Bool(), ::testing::Values(1.0f, 0.5f),
                       ::testing::Values(Blend::premultiplied, Blend::none),
                       ::testing::Values(Filter::nearest, Filter::bilinear), ::testing::Values(1, 2)),
    param_name);

// Every wl_shm format wlgpu imports, sampled through the shader (not only byte-copied): a texture
// of that format is drawn, 1:1 NEAREST and scaled BILINEAR with half plane alpha, over random
// premultiplied content in an ABGR16161616F target (finer than the 10-bit sources), and compared
// with the test's own decode of the client's bytes. The bit layouts are drm_fourcc.h's: a
// little-endian word, fields named from the high bit down ("[31:0] A:R:G:B 2:10:10:10").
// X formats hold garbage in their X bits (NaN and negative halves too) and must come out opaque.
// kMemFormats: tests/support/mem_formats.hpp.

// IEEE 754 binary16, by hand: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
float half_to_float(uint16_t h) {
    const int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    float v = e == 0 ? std::ldexp(float(m), -24)
              : e == 31 ? (m ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity())
                        : std::ldexp(float(1024 + m), e - 25);
    return sign ? -v : v;
}

struct Layout {
    bool x, argb;  // X format; R in the high field (ARGB/XRGB: "A:R:G:B") or low (ABGR: "A:B:G:R")
    int bits;      // 8, 10, 565 or 16 (half float)
};
Layout layout_of(const MemFormat& f) {
    const std::string n = f.name;
    return {n[0] == 'X' || n == "RGB565", n.starts_with("ARGB") || n.starts_with("XRGB") || n == "RGB565",
            n.find("8888") != std::string::npos ? 8 : n.find("101010") != std::string::npos ? 10
                                                  : n == "RGB565"                         ? 565 : 16};
}

ref::Px decode_pixel(const MemFormat& f, const uint8_t* p) {
    const Layout l = layout_of(f);
    ref::Px o;
    float hi, lo;
    if (l.bits == 16) {
        uint64_t q = 0;
        for (int i = 0; i < 8; i++) q |= uint64_t(p[i]) << (8 * i);
        hi = half_to_float(uint16_t(q >> 32)), o.g = half_to_float(uint16_t(q >> 16)), lo = half_to_float(uint16_t(q));
        o.a = half_to_float(uint16_t(q >> 48));
    } else if (l.bits == 565) {
        const uint32_t w = p[0] | p[1] << 8;  // [15:0] R:G:B 5:6:5
        hi = float(w >> 11) / 31, o.g = float((w >> 5) & 63) / 63, lo = float(w & 31) / 31;
    } else {
        const uint32_t w = p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24;
        const int b = l.bits;
        const float max = float((1 << b) - 1), amax = float((1 << (32 - 3 * b)) - 1);
        hi = float((w >> (2 * b)) & ((1u << b) - 1)) / max, o.g = float((w >> b) & ((1u << b) - 1)) / max;
        lo = float(w & ((1u << b) - 1)) / max, o.a = float(w >> (3 * b)) / amax;
    }
    o.r = l.argb ? hi : lo;
    o.b = l.argb ? lo : hi;
    if (l.x) o.a = 1.0f;
    return o;
}

// Random premultiplied client memory (colour fields <= alpha), garbage in X fields and padding.
std::vector<uint8_t> random_memory(std::mt19937& rng, const MemFormat& f, int w, int h, int stride) {
    const Layout l = layout_of(f);
    std::vector<uint8_t> v(size_t(stride) * h);
    for (auto& b : v) b = uint8_t(rng());
    std::uniform_int_distribution<uint32_t> half_unit(0, 0x3c00);  // every pattern in [0.0, 1.0]
    const uint16_t garbage_halves[] = {0x7e00 /* NaN */, 0xbc00 /* -1 */, 0x3800 /* 0.5 */, 0x0000, 0x5640 /* 100 */};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t* p = v.data() + size_t(y) * stride + size_t(x) * f.bpp;
            if (l.bits == 16) {
                uint16_t c[4];
                c[3] = uint16_t(half_unit(rng));
                for (int i = 0; i < 3; i++)  // halves of non-negative values order like their bits
                    c[i] = uint16_t(std::uniform_int_distribution<uint32_t>(0, c[3])(rng));
                if (l.x) c[3] = garbage_halves[rng() % 5];
                std::memcpy(p, c, 8);
            } else if (l.bits != 565) {
                const int b = l.bits;
                const uint32_t cmax = (1u << b) - 1, amax = (1u << (32 - 3 * b)) - 1;
                uint32_t a = rng() % (amax + 1), w = 0;
                for (int i = 0; i < 3; i++) w |= (l.x ? rng() % (cmax + 1) : (rng() % (cmax + 1)) * a / amax) << (b * i);
                if (l.x) a = rng() % amax;  // never all ones: an X read as alpha shows
                w |= a << (3 * b);
                std::memcpy(p, &w, 4);
            }
        }
    return v;
}

ref::Image decode_memory(const MemFormat& f, const std::vector<uint8_t>& m, int w, int h, int stride) {
    ref::Image img(w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) img.at(x, y) = decode_pixel(f, m.data() + size_t(y) * stride + size_t(x) * f.bpp);
    return img;
}

// An ABGR16161616F target with random premultiplied content, and its decode.
const MemFormat kHalfTarget = kMemFormats[9];
Source half_target(std::mt19937& rng, int w, int h) {
    auto mem = random_memory(rng, kHalfTarget, w, h, w * 8);
    auto t = Texture::from_pixels(gpu(), kHalfTarget.code, w, h, w * 8, mem.data(),
                                  TextureUsage::sample | TextureUsage::render);
    if (!t) throw std::runtime_error(t.error().message);
    return {*t, decode_memory(kHalfTarget, mem, w, h, w * 8)};
}
ref::Image read_back_half(Texture& t) {
    std::vector<uint8_t> out(size_t(t.width()) * t.height() * 8);
    auto r = t.read_pixels(kHalfTarget.code, {0, 0, int32_t(t.width()), int32_t(t.height())}, t.width() * 8, out.data());
    if (!r) throw std::runtime_error(r.error().message);
    return decode_memory(kHalfTarget, out, t.width(), t.height(), t.width() * 8);
}

// Compares in float; reports the first mismatches and their count.
::testing::AssertionResult floats_match(const ref::Image& got, const ref::Image& want, float tolerance) {
    int bad = 0;
    std::string first;
    for (int y = 0; y < want.h; y++)
        for (int x = 0; x < want.w; x++) {
            const auto &g = got.at(x, y), &w = want.at(x, y);
            const float d[4] = {g.r - w.r, g.g - w.g, g.b - w.b, g.a - w.a};
            for (float c : d)
                if (!(std::abs(c) <= tolerance)) {
                    if (bad++ < 5)
                        first += std::format(" ({},{}): got {:.4f} {:.4f} {:.4f} {:.4f} want {:.4f} {:.4f} {:.4f} {:.4f};",
                                             x, y, g.r, g.g, g.b, g.a, w.r, w.g, w.b, w.a);
                    break;
                }
        }
    if (!bad) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << bad << " pixels differ by more than " << tolerance << ":" << first;
}

class DrawMemFormat : public ::testing::TestWithParam<std::tuple<MemFormat, bool>> {};

TEST_P(DrawMemFormat, MatchesTheCpuDecode) {
    const auto [f, scaled] = GetParam();
    std::mt19937 rng(f.code + scaled);
    const int w = 13, h = 9, stride = w * f.bpp + 3 * f.bpp;
    auto mem = random_memory(rng, f, w, h, stride);
    auto src = Texture::from_pixels(gpu(), f.code, w, h, stride, mem.data());
    ASSERT_TRUE(src) << src.error().message;
    const ref::Image img = decode_memory(f, mem, w, h, stride);
    auto dst = half_target(rng, 48, 32);

    TextureDraw d;
    d.texture = src->get();
    d.dst = scaled ? Box{3, 2, 31, 23} : Box{5, 4, w, h};
    d.filter = scaled ? Filter::bilinear : Filter::nearest;
    d.alpha = scaled ? 0.5f : 1.0f;
    auto frame = renderer()->begin(*dst.tex);
    ASSERT_TRUE(frame) << frame.error().message;
    ASSERT_TRUE(frame->draw_texture(d));
    ASSERT_TRUE(frame->submit());

    ref::Image want = dst.img;
    ref::draw_texture(want, img, {}, d.dst, Transform::normal, d.alpha, d.filter, Blend::premultiplied, std::nullopt,
                      false);
    // Half precision near 1 is 2^-11; RGB565 is widened to 8 bits on the CPU (+-0.5/255); BILINEAR
    // weights are 8-bit on lavapipe (see the top). An 8-bit path for 10-bit data is off by up to 1/255.
    const float tol = scaled ? 0.006f : f.bpp == 2 ? 0.0025f : 0.0015f;
    EXPECT_TRUE(floats_match(read_back_half(*dst.tex), want, tol)) << f.name;
}

INSTANTIATE_TEST_SUITE_P(AllShmFormats, DrawMemFormat, ::testing::Combine(::testing::ValuesIn(kMemFormats), ::testing::Bool()),
                         [](const auto& i) {
                             return std::format("{}_{}", std::get<0>(i.param).name,
                                                std::get<1>(i.param) ? "scaled_bilinear" : "nearest");
                         });

// A fractional src box (wlr_fbox) with BILINEAR, for every transform, at a non-integer scale:
// the fraction moves every sample point by part of a texel, which only a reference that takes
// the same fractional box matches.
class DrawTextureFractionalCrop : public ::testing::TestWithParam<Transform> {};

TEST_P(DrawTextureFractionalCrop, MatchesReference) {
    const Transform tr = GetParam();
    std::mt19937 rng(4242 + uint32_t(tr));
    auto src = random_texture(rng, kTexW, kTexH, ref::Layout::argb8888);
    auto dst = random_texture(rng, 64, 48, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    const FBox crop{2.375, 1.625, 7.25, 5.5};
    const bool swap = uint32_t(tr) & 1;
    const Box box{4, 3, swap ? 13 : 17, swap ? 17 : 13};
    TextureDraw d;
    d.texture = src.tex.get();
    d.src = crop;
    d.dst = box;
    d.transform = tr;
    d.filter = Filter::bilinear;
    auto frame = renderer()->begin(*dst.tex);
    ASSERT_TRUE(frame) << frame.error().message;
    ASSERT_TRUE(frame->draw_texture(d));
    ASSERT_TRUE(frame->submit());
    ref::Image want = dst.img;
    ref::draw_texture(want, src.img, crop, box, tr, 1.0f, Filter::bilinear, Blend::premultiplied, std::nullopt);
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 2));
}

INSTANTIATE_TEST_SUITE_P(AllTransforms, DrawTextureFractionalCrop,
                         ::testing::Values(Transform::normal, Transform::rotate_90, Transform::rotate_180,
                                           Transform::rotate_270, Transform::flipped, Transform::flipped_90,
                                           Transform::flipped_180, Transform::flipped_270),
                         [](const ::testing::TestParamInfo<Transform>& i) { return transform_name(i.param); });

// Clips, for every transform: three disjoint boxes that cut the dst box, one outside.
class DrawTextureClipped : public ::testing::TestWithParam<Transform> {};

TEST_P(DrawTextureClipped, OnlyTheClipChanges) {
    Transform tr = GetParam();
    std::mt19937 rng(777 + uint32_t(tr));
    auto src = random_texture(rng, kTexW, kTexH, ref::Layout::abgr8888);
    auto dst = random_texture(rng, 64, 48, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    bool swap = uint32_t(tr) & 1;
    Box box{2, 3, (swap ? kTexH : kTexW) * 3, (swap ? kTexW : kTexH) * 3};
    const Box clip[] = {{0, 0, 10, 10}, {12, 8, 9, 20}, {30, 30, 40, 40}, {60, 0, 4, 4}};
    TextureDraw d;
    d.texture = src.tex.get();
    d.dst = box;
    d.transform = tr;
    d.filter = Filter::nearest;
    d.clip = clip;
    auto frame = renderer()->begin(*dst.tex);
    ASSERT_TRUE(frame);
    ASSERT_TRUE(frame->draw_texture(d));
    ASSERT_TRUE(frame->submit());
    ref::Image want = dst.img;
    ref::draw_texture(want, src.img, {}, box, tr, 1.0f, Filter::nearest, Blend::premultiplied, d.clip);
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 1));
}

INSTANTIATE_TEST_SUITE_P(AllTransforms, DrawTextureClipped,
                         ::testing::Values(Transform::normal, Transform::rotate_90, Transform::rotate_180,
                                           Transform::rotate_270, Transform::flipped, Transform::flipped_90,
                                           Transform::flipped_180, Transform::flipped_270),
                         [](const ::testing::TestParamInfo<Transform>& i) { return transform_name(i.param); });

// A hand-checked case, independent of both implementations: a 2x1 texture [A B]
// drawn with WL_OUTPUT_TRANSFORM_90 turns counter-clockwise: B on top, A below.
TEST(DrawTexture, Rotate90IsCounterClockwise) {
    const uint8_t px[8] = {0, 0, 255, 255, 255, 0, 0, 255};  // ARGB8888: A = red, B = blue
    auto src = Texture::from_pixels(gpu(), kARGB8888, 2, 1, 8, px);
    ASSERT_TRUE(src);
    std::vector<uint8_t> zero(4 * 4 * 4, 0);
    auto dst = Texture::from_pixels(gpu(), kARGB8888, 4, 4, 16, zero.data(), TextureUsage::render);
    ASSERT_TRUE(dst);
    TextureDraw d;
    d.texture = src->get();
    d.dst = {0, 0, 1, 2};
    d.transform = Transform::rotate_90;
    d.filter = Filter::nearest;
    auto frame = renderer()->begin(**dst);
    ASSERT_TRUE(frame);
    ASSERT_TRUE(frame->draw_texture(d));
    ASSERT_TRUE(frame->submit());
    uint8_t out[8];
    ASSERT_TRUE((*dst)->read_pixels(kARGB8888, {0, 0, 1, 2}, 4, out));
    EXPECT_EQ(out[0], 255) << "top is blue (B)";
    EXPECT_EQ(out[2], 0);
    EXPECT_EQ(out[4 + 2], 255) << "bottom is red (A)";
    EXPECT_EQ(out[4 + 0], 0);
}

// Frame::submit() returns the frame's completion as a value. A plain texture target is no
// shared memory and exports no fence: work_done (release points then wait for the queue). The
// fence case (DMA-BUF targets) is guest_wlr_sync's "pass_signals fence=3".
TEST(Frame, SubmitReturnsWorkDoneForAPlainTarget) {
    std::vector<uint8_t> zero(8 * 8 * 4, 0);
    auto dst = Texture::from_pixels(gpu(), kARGB8888, 8, 8, 32, zero.data(), TextureUsage::render);
    ASSERT_TRUE(dst);
    auto frame = renderer()->begin(**dst);
    ASSERT_TRUE(frame);
    frame->clear({0.25f, 0.5f, 0.75f, 1});
    auto done = frame->submit();
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(done->kind(), SyncPoint::Kind::work_done);
    EXPECT_EQ(done->fence(), -1);
    EXPECT_FALSE(frame->submit()) << "a frame submits once";
}

// A SyncPoint owns its fence: moving hands it over, destroying closes it.
TEST(Frame, SyncPointOwnsItsFence) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    close(p[1]);
    {
        SyncPoint a = SyncPoint::from_fence(p[0]);
        EXPECT_EQ(a.kind(), SyncPoint::Kind::fence);
        SyncPoint b = std::move(a);
        EXPECT_EQ(a.fence(), -1);
        EXPECT_EQ(b.fence(), p[0]);
        EXPECT_NE(fcntl(p[0], F_GETFD), -1) << "still open while b holds it";
    }
    EXPECT_EQ(fcntl(p[0], F_GETFD), -1) << "closed with the SyncPoint";
    EXPECT_EQ(SyncPoint::from_fence(-1).kind(), SyncPoint::Kind::signalled);
}

// Many draws of several formats, rects, clipped clears, in one frame.
TEST(Frame, MixedDrawsMatchReference) {
    std::mt19937 rng(42);
    auto dst = random_texture(rng, 96, 64, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    Source srcs[] = {random_texture(rng, 17, 11, ref::Layout::argb8888),
                     random_texture(rng, 8, 20, ref::Layout::xrgb8888),
                     random_texture(rng, 30, 7, ref::Layout::abgr8888)};
    auto frame = renderer()->begin(*dst.tex);
    ASSERT_TRUE(frame);
    ref::Image want(96, 64);
    const Color bg{51 / 255.f, 26 / 255.f, 77 / 255.f, 1.0f};  // k/255: no rounding ties
    frame->clear(bg);
    ref::draw_rect(want, {0, 0, 96, 64}, {bg.r, bg.g, bg.b, bg.a}, Blend::none, std::nullopt);
    std::uniform_int_distribution<int> pos(-10, 80), pick(0, 2), tr(0, 7);
    const Box clip[] = {{0, 0, 50, 30}, {50, 30, 46, 34}};
    for (int i = 0; i < 40; i++) {
        const Source& s = srcs[pick(rng)];
        Transform t = Transform(tr(rng));
        bool swap = uint32_t(t) & 1;
        Box box{pos(rng), pos(rng), swap ? s.img.h : s.img.w, swap ? s.img.w : s.img.h};
        Clip c = i % 5 == 0 ? Clip(clip) : std::nullopt;
        TextureDraw d;
        d.texture = s.tex.get();
        d.dst = box;
        d.transform = t;
        d.filter = Filter::nearest;
        d.alpha = i % 3 == 0 ? 0.75f : 1.0f;
        d.clip = c;
        ASSERT_TRUE(frame->draw_texture(d));
        ref::draw_texture(want, s.img, {}, box, t, d.alpha, Filter::nearest, Blend::premultiplied, c);
        if (i % 7 == 0) {
            Color col{60 / 255.f, 30 / 255.f, 0.0f, 128 / 255.f};
            Box rb{pos(rng), pos(rng), 20, 15};
            ASSERT_TRUE(frame->draw_rect({rb, col, Blend::premultiplied, c}));
            ref::draw_rect(want, rb, {col.r, col.g, col.b, col.a}, Blend::premultiplied, c);
        }
        if (i == 20) {
            const Box cc[] = {{10, 10, 20, 20}};
            const Color cl{0, 100 / 255.f, 0, 128 / 255.f};
            frame->clear(cl, Clip(cc));
            ref::draw_rect(want, cc[0], {cl.r, cl.g, cl.b, cl.a}, Blend::none, std::nullopt);
        }
    }
    ASSERT_TRUE(frame->submit());
    // +-2: each translucent layer may round its 8-bit result either way (+-1, see
    // the top of this file) and the next layer carries (1 - a) of that difference,
    // so a stack of layers can end up 2 apart.
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 2));
}

// A frame and its read-back into memory in one submit (Frame::submit(MemoryTarget), what the wlr
// adapter does for wl_shm targets): inside the boxes the memory holds the frame as drawn (CPU
// reference), outside them what it held before; through the host-mapped import (a 256-byte
// stride of page-aligned memory) and through the staging buffer alike. A read-back that cannot
// be done (unknown format) is an error, and the frame is submitted all the same.
TEST(Frame, SubmitWithReadBackWritesTheBoxesIntoMemory) {
    constexpr int kW = 64, kH = 40;
    constexpr uint32_t kStride = 256;
    for (bool may_import : {true, false}) {
        SCOPED_TRACE(may_import ? "host-mapped" : "staged");
        std::mt19937 rng(77 + may_import);
        auto dst = random_texture(rng, kW, kH, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
        Source src = random_texture(rng, 21, 13, ref::Layout::argb8888);
        ref::Image want = dst.img;
        auto frame = renderer()->begin(*dst.tex);
        ASSERT_TRUE(frame);
        TextureDraw d;
        d.texture = src.tex.get();
        d.dst = {5, 3, 21, 13};
        d.filter = Filter::nearest;
        ASSERT_TRUE(frame->draw_texture(d));
        ref::draw_texture(want, src.img, {}, d.dst, Transform::normal, 1.0f, Filter::nearest, Blend::premultiplied,
                          std::nullopt);
        const Color col{60 / 255.f, 30 / 255.f, 90 / 255.f, 128 / 255.f};
        const Box rect{30, 20, 25, 15};
        ASSERT_TRUE(frame->draw_rect({rect, col, Blend::premultiplied, std::nullopt}));
        ref::draw_rect(want, rect, {col.r, col.g, col.b, col.a}, Blend::premultiplied, std::nullopt);

        void* map = mmap(nullptr, kStride * kH, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(map, MAP_FAILED);
        auto* mem = static_cast<uint8_t*>(map);
        std::memset(mem, 0x5a, kStride * kH);
        const Box boxes[] = {d.dst, rect};
        const TransferStats before = gpu().transfers();
        auto done = frame->submit(MemoryTarget{boxes, mem, kStride, kARGB8888, may_import});
        ASSERT_TRUE(done) << done.error().message;
        const TransferStats after = gpu().transfers();
        const bool host = may_import && gpu().caps().host_mapped_pointer;
        EXPECT_EQ(after.readback_host_mapped - before.readback_host_mapped, host ? 2u : 0u);
        EXPECT_EQ(after.readback_staged - before.readback_staged, host ? 0u : 2u);
        EXPECT_EQ(after.readback_pixels - before.readback_pixels, uint64_t(21 * 13 + 25 * 15));

        std::vector<uint8_t> bytes(mem, mem + kStride * kH);
        munmap(map, kStride * kH);
        const std::vector<uint8_t> fill(kStride * kH, 0x5a);
        ref::Image expect = ref::decode(fill, kW, kH, kStride, ref::Layout::argb8888);
        for (const Box& b : boxes)
            for (int y = b.y; y < b.y + b.height; y++)
                for (int x = b.x; x < b.x + b.width; x++) expect.at(x, y) = want.at(x, y);
        EXPECT_TRUE(images_match(ref::decode(bytes, kW, kH, kStride, ref::Layout::argb8888), expect, 1));
        for (int y = 0; y < kH; y++)  // the padding after each row is not written
            for (uint32_t i = kW * 4; i < kStride; i++) ASSERT_EQ(bytes[size_t(y) * kStride + i], 0x5a);
    }

    std::mt19937 rng(79);
    auto dst = random_texture(rng, kW, kH, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    auto frame = renderer()->begin(*dst.tex);
    ASSERT_TRUE(frame);
    const Color col{0.2f, 0.4f, 0.6f, 1.0f};
    frame->clear(col);
    std::vector<uint8_t> mem(kStride * kH);
    const Box all{0, 0, kW, kH};
    auto done = frame->submit(MemoryTarget{std::span<const Box>(&all, 1), mem.data(), kStride, 0, false});
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("read_back_to_memory"), std::string::npos) << done.error().message;
    ref::Image want(kW, kH);
    ref::draw_rect(want, all, {col.r, col.g, col.b, col.a}, Blend::none, std::nullopt);
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 1)) << "the frame was submitted";
}

// Colours and alpha outside 0..1 are clamped, NaN as 0. A clear with a NaN used to reach Dawn as
// the pass's clear value, which Dawn refuses (an uncaptured error, the whole frame lost); a NaN
// alpha or rect colour went to the shader. Found by fuzz_draw (fuzz/corpus/draw/crash-clear-nan).
TEST(Frame, NonFiniteColoursAreClamped) {
    std::mt19937 rng(14);
    auto src = random_texture(rng, 8, 8, ref::Layout::argb8888);
    auto dst = random_texture(rng, 8, 8, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    gpu_state().uncaptured.clear();
    auto frame = renderer()->begin(*dst.tex);
    ASSERT_TRUE(frame);
    frame->clear({nan, inf, -inf, 2.0f});  // the load op: (0, 1, 0, 1)
    ASSERT_TRUE(frame->draw_rect({{0, 0, 4, 8}, {-inf, nan, 7.0f, inf}, Blend::premultiplied}));  // (0, 0, 1, 1)
    TextureDraw d;
    d.texture = src.tex.get();
    d.dst = {4, 0, 4, 4};
    d.alpha = nan;  // as 0: nothing drawn
    ASSERT_TRUE(frame->draw_texture(d));
    ASSERT_TRUE(frame->submit());
    ref::Image want(8, 8);
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) want.at(x, y) = x < 4 ? ref::Px{0, 0, 1, 1} : ref::Px{0, 1, 0, 1};
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 0));
    EXPECT_TRUE(gpu_state().uncaptured.empty()) << gpu_state().uncaptured.front();
}

TEST(Frame, EmptyClipDrawsNothing) {
    std::mt19937 rng(5);
    auto src = random_texture(rng, 8, 8, ref::Layout::argb8888);
    auto dst = random_texture(rng, 16, 16, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    auto frame = renderer()->begin(*dst.tex);
    ASSERT_TRUE(frame);
    TextureDraw d;
    d.texture = src.tex.get();
    d.dst = {0, 0, 16, 16};
    d.clip = std::span<const Box>();
    ASSERT_TRUE(frame->draw_texture(d));
    ASSERT_TRUE(frame->draw_rect({{0, 0, 16, 16}, {1, 0, 0, 1}, Blend::none, std::span<const Box>()}));
    ASSERT_TRUE(frame->submit());
    EXPECT_TRUE(images_match(read_back(*dst.tex), dst.img, 0));
}

TEST(Frame, SteadyStateCreatesNothing) {
    std::mt19937 rng(9);
    auto dst = random_texture(rng, 256, 256, ref::Layout::xrgb8888, TextureUsage::sample | TextureUsage::render);
    std::vector<Source> srcs;
    for (int i = 0; i < 12; i++) srcs.push_back(random_texture(rng, 16 + i, 24 - i, ref::Layout::argb8888));
    // The first box cuts draw 0 (so some draws stay scissored); draw 30 lies inside the second.
    const Box clip[] = {{5, 5, 95, 95}, {120, 120, 50, 50}};
    auto record = [&](Renderer& r) {
        auto frame = r.begin(*dst.tex);
        ASSERT_TRUE(frame);
        frame->clear({0, 0, 0, 1});
        for (int i = 0; i < 200; i++) {
            TextureDraw d;
            d.texture = srcs[i % srcs.size()].tex.get();
            d.dst = {(i * 37) % 240, (i * 53) % 240, 20, 20};
            d.transform = Transform(i % 8);
            d.filter = Filter(i % 2);
            d.blend = Blend(i % 3 == 0);
            d.alpha = i % 4 == 0 ? 0.5f : 1.0f;
            if (i % 10 == 0) d.clip = clip;
            ASSERT_TRUE(frame->draw_texture(d));
            if (i % 20 == 0) {
                ASSERT_TRUE(frame->draw_rect({{i, i, 10, 10}, {0.1f, 0.2f, 0.3f, 0.5f}}));
            }
        }
        ASSERT_TRUE(frame->submit());
    };
    auto r = Renderer::create(gpu(), {.composite = Composite::raster});
    ASSERT_TRUE(r);
    record(**r);  // warm-up: creates the pipelines, bind groups and the instance buffer
    record(**r);  // and the second frame puts the textures into the atlas (src/render/atlas.hpp)
    RenderStats warm = (*r)->stats();
    EXPECT_GT(warm.atlas_copies, 0u);
    EXPECT_GT(warm.bind_groups_created, 0u);
    for (int n = 0; n < 10; n++) record(**r);
    const RenderStats& s = (*r)->stats();
    EXPECT_EQ(s.buffers_created, warm.buffers_created);
    EXPECT_EQ(s.bind_groups_created, warm.bind_groups_created);
    EXPECT_EQ(s.pipelines_created, warm.pipelines_created);
    EXPECT_EQ(s.render_passes, warm.render_passes + 10) << "one render pass per frame";
    EXPECT_EQ(s.frames, 12u);
    EXPECT_EQ(s.atlas_copies, warm.atlas_copies);
    EXPECT_GT(s.scissored_draws, warm.scissored_draws);
    ASSERT_TRUE(gpu().wait_idle());
}

// A pixel-aligned 1:1 bilinear draw samples texel centres, so the renderer samples it NEAREST
// (exact there, and llvmpipe's fast path): it shares the nearest draw's bind group; a scaled
// bilinear draw needs its own. (Exactness: DrawTexture.MatchesReference's bilinear x1 cases.)
// Instances are written only where they differ from what the instance buffer holds: a repeated
// frame writes none, a frame that moves one window writes that window's instance, a frame with
// fewer or more draws writes only what changed; every frame still matches its CPU reference.
TEST(Frame, WritesOnlyTheInstancesThatChanged) {
    std::mt19937 rng(77);
    auto dst = random_texture(rng, 80, 60, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    Source srcs[] = {random_texture(rng, 13, 9, ref::Layout::argb8888), random_texture(rng, 7, 15, ref::Layout::argb8888),
                     random_texture(rng, 20, 6, ref::Layout::xrgb8888)};
    // Without the atlas, whose second frame would move the draws into it (their instances too).
    auto r = Renderer::create(gpu(), {.atlas = false});
    ASSERT_TRUE(r);
    auto written = [&] { return (*r)->stats().instance_bytes_written; };
    constexpr uint64_t kInstance = 64;  // bytes of one draw's instance (render::Instance)
    // One frame: a clear (the pass's load, no instance) and one draw per box, source i % 3.
    auto frame = [&](const std::vector<Box>& boxes) {
        auto f = (*r)->begin(*dst.tex);
        ASSERT_TRUE(f);
        ref::Image want(80, 60);
        const Color bg{20 / 255.f, 40 / 255.f, 60 / 255.f, 1.0f};
        f->clear(bg);
        ref::draw_rect(want, {0, 0, 80, 60}, {bg.r, bg.g, bg.b, bg.a}, Blend::none, std::nullopt);
        for (size_t i = 0; i < boxes.size(); i++) {
            const Source& s = srcs[i % 3];
            TextureDraw d;
            d.texture = s.tex.get();
            d.dst = {boxes[i].x, boxes[i].y, s.img.w, s.img.h};
            d.filter = Filter::nearest;
            ASSERT_TRUE(f->draw_texture(d));
            ref::draw_texture(want, s.img, {}, d.dst, Transform::normal, 1.0f, Filter::nearest, Blend::premultiplied,
                              std::nullopt);
        }
        ASSERT_TRUE(f->submit());
        EXPECT_TRUE(images_match(read_back(*dst.tex), want, 2));  // +-2: see MixedDrawsMatchReference
    };
    std::vector<Box> boxes = {{1, 2, 0, 0}, {30, 5, 0, 0}, {50, 30, 0, 0}, {10, 40, 0, 0}};
    uint64_t w = written();
    frame(boxes);
    EXPECT_EQ(written() - w, 4 * kInstance) << "the first frame writes every instance";
    w = written();
    frame(boxes);
    EXPECT_EQ(written() - w, 0u) << "an unchanged frame writes no instance";
    boxes[1] = {33, 8, 0, 0};
    w = written();
    frame(boxes);
    EXPECT_EQ(written() - w, kInstance) << "one moved window: its instance only";
    boxes[0] = {2, 3, 0, 0};
    boxes[3] = {11, 41, 0, 0};
    w = written();
    frame(boxes);
    EXPECT_EQ(written() - w, 4 * kInstance) << "the first and the last changed: the span between them";
    boxes.pop_back();
    w = written();
    frame(boxes);
    EXPECT_EQ(written() - w, 0u) << "fewer draws, the others unchanged";
    boxes.push_back({60, 45, 0, 0});
    w = written();
    frame(boxes);
    EXPECT_EQ(written() - w, kInstance) << "a new last draw (its slot held another instance)";
    ASSERT_TRUE(gpu().wait_idle());
}

TEST(Frame, OneToOneBilinearSamplesNearest) {
    std::mt19937 rng(515);
    auto src = random_texture(rng, kTexW, kTexH, ref::Layout::argb8888);
    auto dst = random_texture(rng, 64, 48, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    auto r = Renderer::create(gpu(), {.atlas = false});  // the bind groups of the texture itself
    ASSERT_TRUE(r);
    auto bind_groups = [&] { return (*r)->stats().bind_groups_created; };
    auto draw = [&](Filter filter, Box box, Transform t) {
        auto frame = (*r)->begin(*dst.tex);
        ASSERT_TRUE(frame) << frame.error().message;
        TextureDraw d;
        d.texture = src.tex.get();
        d.dst = box;
        d.transform = t;
        d.filter = filter;
        ASSERT_TRUE(frame->draw_texture(d));
        ASSERT_TRUE(frame->submit());
    };
    draw(Filter::nearest, {1, 2, kTexW, kTexH}, Transform::normal);
    const uint64_t after_nearest = bind_groups();
    draw(Filter::bilinear, {3, 4, kTexW, kTexH}, Transform::normal);
    draw(Filter::bilinear, {3, 4, kTexH, kTexW}, Transform::flipped_90);
    EXPECT_EQ(bind_groups(), after_nearest) << "1:1 bilinear draws use the nearest bind group";
    draw(Filter::bilinear, {3, 4, kTexW * 2, kTexH * 2}, Transform::normal);
    EXPECT_EQ(bind_groups(), after_nearest + 1) << "a scaled bilinear draw filters bilinearly";
}

TEST(Frame, BatchesConsecutiveDrawsOfOneTexture) {
    std::mt19937 rng(3);
    auto src = random_texture(rng, 8, 8, ref::Layout::argb8888);
    auto dst = random_texture(rng, 128, 128, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    auto r = Renderer::create(gpu(), {.composite = Composite::raster});
    ASSERT_TRUE(r);
    auto frame = (*r)->begin(*dst.tex);
    ASSERT_TRUE(frame);
    for (int i = 0; i < 100; i++) {
        TextureDraw d;
        d.texture = src.tex.get();
        d.dst = {i, i, 8, 8};
        ASSERT_TRUE(frame->draw_texture(d));
    }
    ASSERT_TRUE(frame->submit());
    EXPECT_EQ((*r)->stats().draws, 1u) << "100 draws of one texture are one instanced draw call";
}

// wlr_scene clips every draw by the damage region: a clip box that holds a draw's whole
// visible box clips nothing, so the draw is not scissored and merges with its neighbours
// (21 draws of one texture, one of them half off the target, become one Dawn draw). Draws
// that the clip cuts keep one scissor per box they meet. Pixels as the CPU reference's.
TEST(Frame, ClipHoldingTheDrawIsNotAScissor) {
    std::mt19937 rng(31);
    auto src = random_texture(rng, 8, 8, ref::Layout::argb8888);
    auto dst = random_texture(rng, 128, 96, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    auto r = Renderer::create(gpu(), {.composite = Composite::raster});
    ASSERT_TRUE(r);
    const Box clip[] = {{0, 0, 100, 96}, {104, 0, 24, 96}};
    std::vector<Box> boxes = {{-4, -4, 8, 8}};  // visible part {0, 0, 4, 4}: inside the first box
    for (int i = 0; i < 20; i++) boxes.push_back({i * 4, i * 3 + 2, 8, 8});
    boxes.push_back({96, 10, 8, 8});   // cut by the first box (x 96..100), misses the second
    boxes.push_back({98, 20, 8, 8});   // cut by both: two scissored parts (1:1: no nearest-sampling ties)
    auto frame = (*r)->begin(*dst.tex);
    ASSERT_TRUE(frame);
    ref::Image want = dst.img;
    for (const Box& b : boxes) {
        TextureDraw d;
        d.texture = src.tex.get();
        d.dst = b;
        d.filter = Filter::nearest;
        d.clip = clip;
        ASSERT_TRUE(frame->draw_texture(d));
        ref::draw_texture(want, src.img, {}, b, Transform::normal, 1.0f, Filter::nearest, Blend::premultiplied, d.clip);
    }
    ASSERT_TRUE(frame->submit());
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 1));
    const RenderStats& s = (*r)->stats();
    EXPECT_EQ(s.draws, 4u) << "21 contained draws as one, then 1 + 2 scissored parts";
    EXPECT_EQ(s.scissored_draws, 3u) << "only the parts the clip cuts are scissored";
}

// A frame whose commands repeat the previous frame's is recorded into a render bundle on its
// second frame and replayed from the third on; the bundle reads the instances and textures when
// it executes, so new texture contents and a moved draw (the same commands) replay it and
// show; another texture in a draw (other commands) is drawn directly, then recorded anew.
// Every frame matches its CPU reference.
TEST(Frame, RepeatedPassReplaysARenderBundle) {
    std::mt19937 rng(1234);
    auto dst = random_texture(rng, 96, 64, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    std::vector<Source> srcs = {random_texture(rng, 17, 11, ref::Layout::argb8888),
                                random_texture(rng, 8, 20, ref::Layout::xrgb8888),
                                random_texture(rng, 30, 7, ref::Layout::abgr8888),
                                random_texture(rng, 12, 12, ref::Layout::argb8888)};
    // Without the atlas, which changes the second frame's commands (Atlas.*: with it).
    auto r = Renderer::create(gpu(), {.atlas = false, .composite = Composite::raster});
    ASSERT_TRUE(r);
    struct Item {
        size_t src;
        Box at;  // width and height from the source
    };
    std::vector<Item> scene = {{0, {3, 4, 0, 0}}, {1, {40, 2, 0, 0}}, {2, {20, 30, 0, 0}},
                               {0, {60, 40, 0, 0}}, {1, {70, 10, 0, 0}}};
    const Box damage[] = {{0, 0, 96, 64}};  // wlr_scene's full-redraw clip: holds every draw
    auto frame = [&] {
        auto f = (*r)->begin(*dst.tex);
        ASSERT_TRUE(f);
        ref::Image want(96, 64);
        const Color bg{20 / 255.f, 40 / 255.f, 60 / 255.f, 1.0f};
        f->clear(bg);
        ref::draw_rect(want, {0, 0, 96, 64}, {bg.r, bg.g, bg.b, bg.a}, Blend::none, std::nullopt);
        for (const Item& it : scene) {
            const Source& s = srcs[it.src];
            TextureDraw d;
            d.texture = s.tex.get();
            d.dst = {it.at.x, it.at.y, s.img.w, s.img.h};
            d.filter = Filter::nearest;
            d.clip = damage;
            ASSERT_TRUE(f->draw_texture(d));
            ref::draw_texture(want, s.img, {}, d.dst, Transform::normal, 1.0f, Filter::nearest, Blend::premultiplied,
                              std::nullopt);
        }
        const Color col{60 / 255.f, 30 / 255.f, 0.0f, 128 / 255.f};
        ASSERT_TRUE(f->draw_rect({{30, 20, 25, 15}, col, Blend::premultiplied, std::nullopt}));
        ref::draw_rect(want, {30, 20, 25, 15}, {col.r, col.g, col.b, col.a}, Blend::premultiplied, std::nullopt);
        ASSERT_TRUE(f->submit());
        EXPECT_TRUE(images_match(read_back(*dst.tex), want, 1));
    };
    auto counts = [&] { return std::pair((*r)->stats().bundles_recorded, (*r)->stats().bundles_replayed); };
    using P = std::pair<uint64_t, uint64_t>;
    auto draws = [&] { return (*r)->stats().draws; };
    frame();
    EXPECT_EQ(counts(), P(0, 0)) << "a first frame records no bundle";
    const uint64_t per_frame = draws();
    EXPECT_GT(per_frame, 0u);
    frame();
    EXPECT_EQ(counts(), P(1, 0)) << "the second identical frame records one";
    EXPECT_EQ(draws(), 2 * per_frame) << "draws counts the bundle's draw calls";
    // New contents of source 0 and a moved draw: the same commands, the bundle replays.
    auto bytes = ref::random_pixels(rng, 17, 11, 17 * 4, ref::Layout::argb8888);
    const Box whole[] = {{0, 0, 17, 11}};
    ASSERT_TRUE(srcs[0].tex->update(bytes.data(), 17 * 4, whole));
    srcs[0].img = ref::decode(bytes, 17, 11, 17 * 4, ref::Layout::argb8888);
    scene[2].at = {25, 33, 0, 0};
    frame();
    EXPECT_EQ(counts(), P(1, 1)) << "the third frame replays it";
    EXPECT_EQ(draws(), 3 * per_frame);
    // Another texture in one draw: other commands, drawn directly; then recorded and replayed.
    scene[3].src = 3;
    frame();
    EXPECT_EQ(counts(), P(1, 1)) << "changed commands do not replay the old bundle";
    frame();
    EXPECT_EQ(counts(), P(2, 1));
    frame();
    EXPECT_EQ(counts(), P(2, 2));
    // Commands that change every frame never pay for a bundle.
    for (int i = 0; i < 4; i++) {
        scene[4].src = size_t(i % 2);
        frame();
    }
    EXPECT_EQ(counts(), P(2, 2)) << "alternating commands record nothing";
    ASSERT_TRUE(gpu().wait_idle());
}

TEST(Frame, ErrorsAreValues) {
    std::mt19937 rng(4);
    auto src = random_texture(rng, 8, 8, ref::Layout::argb8888);
    auto frame_on_sample_only = renderer()->begin(*src.tex);
    ASSERT_FALSE(frame_on_sample_only);
    EXPECT_EQ(frame_on_sample_only.error().code, Errc::invalid_argument);
    EXPECT_NE(frame_on_sample_only.error().message.find("TextureUsage::render"), std::string::npos);

    auto dst = random_texture(rng, 16, 16, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    auto frame = renderer()->begin(*dst.tex);
    ASSERT_TRUE(frame);
    TextureDraw d;
    auto r = frame->draw_texture(d);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("null"), std::string::npos);
    d.texture = src.tex.get();
    d.dst = {0, 0, 4, 4};
    d.src = {4, 4, 8, 8};
    r = frame->draw_texture(d);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("outside"), std::string::npos);
    ASSERT_TRUE(frame->submit());
    EXPECT_FALSE(frame->submit());
}

TEST(Timer, MeasuresOrSaysUnsupported) {
    std::mt19937 rng(6);
    auto src = random_texture(rng, 32, 32, ref::Layout::argb8888);
    auto dst = random_texture(rng, 64, 64, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    auto timer = renderer()->create_timer();
    ASSERT_TRUE(timer);
    auto frame = renderer()->begin(*dst.tex, timer.get());
    ASSERT_TRUE(frame);
    TextureDraw d;
    d.texture = src.tex.get();
    d.dst = {0, 0, 64, 64};
    ASSERT_TRUE(frame->draw_texture(d));
    ASSERT_TRUE(frame->submit());
    auto ns = timer->duration_ns();
    if (gpu().caps().timestamp_query) {
        ASSERT_TRUE(ns) << ns.error().message;
        EXPECT_GT(*ns, 0u);
    } else {
        ASSERT_FALSE(ns);
        EXPECT_EQ(ns.error().code, Errc::unsupported);
    }
}

}  // namespace

// The host's signals stay blocked in every thread the library made Dawn or the driver start
// (bridge, renderer, pipelines, submits, read-back, timers, texture updates): a compositor
// that takes SIGCHLD/SIGTERM through signalfd would lose them otherwise.
TEST(SignalMask, LibraryThreadsBlockHostSignalsAfterRendering) {
    std::mt19937 rng(77);
    auto src = random_texture(rng, kTexW, kTexH, ref::Layout::argb8888);
    auto target = Texture::create(gpu(), kARGB8888, 32, 24, TextureUsage::render | TextureUsage::sample);
    ASSERT_TRUE(target) << target.error().message;
    auto timer = renderer()->create_timer();
    for (Filter f : {Filter::nearest, Filter::bilinear}) {
        auto frame = renderer()->begin(**target, timer.get());
        ASSERT_TRUE(frame) << frame.error().message;
        frame->clear({0.1f, 0.2f, 0.3f, 1.0f});
        TextureDraw d;
        d.texture = src.tex.get(), d.dst = {2, 3, 26, 18}, d.filter = f;
        ASSERT_TRUE(frame->draw_texture(d));
        RectDraw rect;
        rect.box = {1, 1, 5, 5}, rect.color = {0.25f, 0.0f, 0.5f, 0.5f};
        ASSERT_TRUE(frame->draw_rect(rect));
        ASSERT_TRUE(frame->submit());
        (void)timer->duration_ns();
    }
    auto bytes = ref::random_pixels(rng, kTexW, kTexH, kTexW * 4, ref::Layout::argb8888);
    Box all{0, 0, kTexW, kTexH};
    ASSERT_TRUE(src.tex->update(bytes.data(), kTexW * 4, std::span<const Box>(&all, 1)));
    (void)read_back(**target);
    ASSERT_TRUE(gpu().wait_idle());
    gpu().process_events();
    EXPECT_GE(expect_library_threads_block_host_signals("after rendering"), 1)
        << "no thread to check: the driver started none (the check would be vacuous)";
}
