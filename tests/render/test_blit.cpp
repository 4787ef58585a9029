// Exact pixel copies (src/render/blit.hpp): texture draws that store the source's texels
// unchanged are done as copies before the render pass. Each frame is compared with the CPU
// reference (tests/render/reference.hpp) at tolerance 0 where only copies and untouched pixels
// are, and RenderStats::copied_draws says which draws were copies. Opaque fills on a CPU adapter
// (lavapipe, which the host and the test bed run) become copies from the fill buffer:
// RenderStats::filled_rects.
#include <cstdlib>
#include <optional>
#include <tuple>

#include "render/effects_reference.hpp"
#include "render/helpers.hpp"

using namespace wlgpu;
using namespace wlgpu::test;

namespace {

// A random render target, a renderer of its own (for its stats) and the CPU reference of what
// its frames draw: draw() records a draw in the frame and in the reference.
struct Scene {
    Source dst;
    std::unique_ptr<Renderer> r;
    ref::Image want;
    std::optional<Frame> frame;

    Scene(std::mt19937& rng, int w, int h, ref::Layout l)
        : Scene(random_texture(rng, w, h, l, TextureUsage::sample | TextureUsage::render)) {}
    // The render pass (its draws and copies are what this suite counts; under the compute pass,
    // which WLGPU_COMPOSITE=compute forces over the options, ctest test_render_compute checks
    // the pixels).
    explicit Scene(Source target)
        : dst(std::move(target)), r(own_renderer({.composite = Composite::raster})), want(dst.img) {
        begin();
    }
    void begin() {
        auto f = r->begin(*dst.tex);
        if (!f) throw std::runtime_error(f.error().message);
        frame.emplace(std::move(*f));
    }
    void draw(const Source& s, const TextureDraw& d) {
        ASSERT_TRUE(frame->draw_texture(d));
        ref::draw_texture(want, s.img, d.src, d.dst, d.transform, 1, Filter::nearest, d.blend, d.clip);
    }
    // Submits the frame: `copies` boxes copied in all this scene's frames, the target as the
    // reference within tolerance.
    ::testing::AssertionResult submit(uint64_t copies, int tolerance) {
        if (auto s = frame->submit(); !s) return ::testing::AssertionFailure() << s.error().message;
        if (copied() != copies) return ::testing::AssertionFailure() << copied() << " copies, want " << copies;
        return matches(tolerance);
    }
    // A rect, in the frame and in the reference.
    void rect(const RectDraw& d) {
        ASSERT_TRUE(frame->draw_rect(d));
        ref::draw_rect(want, d.box, {d.color.r, d.color.g, d.color.b, d.color.a}, d.blend, d.clip);
    }
    uint64_t copied() const { return r->stats().copied_draws; }
    uint64_t filled() const { return r->stats().filled_rects; }
    uint64_t fill_bytes() const { return r->stats().fill_bytes_written; }
    uint64_t draws() const { return r->stats().draws; }
    // The target read back; with X formats the X byte is undefined: read as alpha 1, and the
    // reference's alpha made 1 too.
    ::testing::AssertionResult matches(int tolerance) {
        Texture& t = *dst.tex;
        if (t.format().has_alpha) return images_match(read_back(t), want, tolerance);
        std::vector<uint8_t> out(size_t(t.width()) * t.height() * 4);
        auto rd = t.read_pixels(kXRGB8888, {0, 0, int32_t(t.width()), int32_t(t.height())}, t.width() * 4, out.data());
        if (!rd) return ::testing::AssertionFailure() << rd.error().message;
        ref::Image opaque = want;
        for (auto& p : opaque.px) p.a = 1.0f;
        return images_match(ref::decode(out, t.width(), t.height(), t.width() * 4, ref::Layout::xrgb8888), opaque,
                            tolerance);
    }
};

// An XRGB render target whose X bytes are 0xff: alpha 1 wherever an effect reads it.
Source opaque_x_target(std::mt19937& rng, int w, int h) {
    const int stride = w * 4;
    auto bytes = ref::random_pixels(rng, w, h, stride, ref::Layout::xrgb8888);
    for (size_t i = 3; i < bytes.size(); i += 4) bytes[i] = 0xff;
    auto t = Texture::from_pixels(gpu(), kXRGB8888, w, h, stride, bytes.data(),
                                  TextureUsage::sample | TextureUsage::render);
    if (!t) throw std::runtime_error(t.error().message);
    return {*t, ref::decode(bytes, w, h, stride, ref::Layout::xrgb8888)};
}

TextureDraw one_to_one(const Source& s, int x, int y, Blend blend, Clip clip = std::nullopt) {
    TextureDraw d;
    d.texture = s.tex.get();
    d.dst = {x, y, s.img.w, s.img.h};
    d.blend = blend;
    d.filter = Filter::bilinear;  // wlroots' default; at texel centres it is exact
    d.clip = clip;
    return d;
}

// Copy-eligible draws into an X target: an ARGB source with Blend::none, XRGB sources (random X
// bytes) with either blend, a crop, draws partly off the target, a multi-box clip; the clip's
// boxes are copied one by one, only where they meet the draw and the target.
TEST(Blit, EligibleDrawsAreCopiesIntoAnXTarget) {
    std::mt19937 rng(2024);
    Scene sc(rng, 96, 64, ref::Layout::xrgb8888);
    Source argb = random_texture(rng, 17, 11, ref::Layout::argb8888);
    Source xrgb = random_texture(rng, 23, 19, ref::Layout::xrgb8888);
    Source xrgb2 = random_texture(rng, 12, 30, ref::Layout::xrgb8888);
    const Box clip[] = {{0, 0, 40, 30}, {45, 20, 10, 10}, {60, 0, 36, 64}, {90, 60, 6, 4}};
    sc.draw(argb, one_to_one(argb, 5, 4, Blend::none));                          // 1 copy
    sc.draw(xrgb, one_to_one(xrgb, 30, 15, Blend::premultiplied, Clip(clip)));   // boxes 0 and 1: 2 copies
    sc.draw(xrgb2, one_to_one(xrgb2, -5, 40, Blend::none));                      // partly off the target: 1
    sc.draw(xrgb2, one_to_one(xrgb2, 88, 50, Blend::premultiplied, Clip(clip)));  // boxes 2 and 3, off the edge: 2
    TextureDraw crop = one_to_one(xrgb, 70, 2, Blend::none);  // texels (3,2) .. (12,8): 1 copy
    crop.src = {3, 2, 10, 7};
    crop.dst = {70, 2, 10, 7};
    sc.draw(xrgb, crop);
    EXPECT_TRUE(sc.submit(7, 0));
    EXPECT_EQ(sc.draws(), 0u) << "every draw was a copy";
    EXPECT_EQ(sc.r->stats().render_passes, 0u) << "the copies took every command: no render pass";
}

// An ARGB source with Blend::none into an ARGB target is a copy of the premultiplied texels,
// alpha included; the same source blended (premultiplied) is a draw.
TEST(Blit, ArgbWithBlendNoneIsACopyIntoAnArgbTarget) {
    std::mt19937 rng(77);
    Scene sc(rng, 64, 48, ref::Layout::argb8888);
    Source src = random_texture(rng, 21, 13, ref::Layout::argb8888);
    const Box clip[] = {{0, 0, 20, 48}, {30, 0, 34, 20}};
    sc.draw(src, one_to_one(src, 15, 5, Blend::none, Clip(clip)));  // meets both boxes
    sc.draw(src, one_to_one(src, 35, 25, Blend::premultiplied));
    EXPECT_TRUE(sc.submit(2, 1)) << "the Blend::none draw's two clip boxes; +-1: the blended draw rounds";
    EXPECT_EQ(sc.draws(), 1u) << "the blended draw";
}

// A draw that an earlier command overlaps stays a draw (a copy would run before that command);
// one that no earlier command touches is a copy, and later commands draw over it. A frame that
// starts with an unclipped clear (the pass's load op clears the target) copies nothing.
TEST(Blit, OverlappedDrawsStayDraws) {
    std::mt19937 rng(5);
    Scene sc(rng, 80, 60, ref::Layout::argb8888);
    Source a = random_texture(rng, 19, 14, ref::Layout::argb8888);
    Source c = random_texture(rng, 15, 22, ref::Layout::argb8888);
    const RectDraw rect{{10, 10, 12, 9}, {0.2f, 0.1f, 0.3f, 0.5f}, Blend::premultiplied};
    ASSERT_TRUE(sc.frame->draw_rect(rect));
    ref::draw_rect(sc.want, rect.box, {0.2f, 0.1f, 0.3f, 0.5f}, Blend::premultiplied, std::nullopt);
    sc.draw(a, one_to_one(a, 20, 15, Blend::none));  // meets the rect at (20..21, 15..18)
    const TextureDraw lone = one_to_one(c, 50, 30, Blend::none);  // touches nothing drawn before it
    sc.draw(c, lone);
    sc.draw(a, one_to_one(a, 55, 40, Blend::premultiplied));  // over the copy
    EXPECT_TRUE(sc.submit(1, 1)) << "only the draw that nothing before it touches";

    const Color bg{10 / 255.f, 200 / 255.f, 90 / 255.f, 1.0f};
    sc.begin();
    sc.frame->clear(bg);
    ref::draw_rect(sc.want, {0, 0, 80, 60}, {bg.r, bg.g, bg.b, bg.a}, Blend::none, std::nullopt);
    sc.draw(c, lone);
    EXPECT_TRUE(sc.submit(1, 0)) << "no copy: the clearing pass would overwrite it";
}

// The first frame creates the target format's pipelines, whatever it draws: the frame in which
// the first windows appear (textures, both blends) compiles none (hundreds of ms on lavapipe).
TEST(Blit, TheFirstFrameCreatesTheFormatsPipelines) {
    std::mt19937 rng(909);
    Scene sc(rng, 40, 30, ref::Layout::xrgb8888);
    const Box damage[] = {{5, 6, 11, 7}};
    sc.rect({{0, 0, 16384, 16384}, {10 / 255.f, 200 / 255.f, 120 / 255.f, 1.0f}, Blend::premultiplied, Clip(damage)});
    EXPECT_TRUE(sc.submit(0, 0));
    const uint64_t pipelines = sc.r->stats().pipelines_created;
    EXPECT_GE(pipelines, 4u) << "rect and texture, both blends, for the target's format";

    sc.begin();
    Source glass = random_texture(rng, 7, 5, ref::Layout::argb8888);
    Source win = random_texture(rng, 9, 6, ref::Layout::xrgb8888);
    sc.draw(glass, one_to_one(glass, 7, 7, Blend::premultiplied));
    TextureDraw scaled = one_to_one(win, 20, 10, Blend::none);
    scaled.dst = {20, 10, 18, 12};
    scaled.filter = Filter::nearest;
    sc.draw(win, scaled);
    EXPECT_TRUE(sc.submit(0, 1));
    EXPECT_EQ(sc.r->stats().pipelines_created, pipelines) << "no pipeline compiled when the windows appear";
}

// An XRGB source's X byte (random here, mostly not 0xff) must not land in a target whose alpha
// is read: into an ARGB target the draw is a draw, with either blend, and stores alpha 0xff.
TEST(Blit, XrgbIntoAnArgbTargetStoresOpaqueAlpha) {
    std::mt19937 rng(31);
    Scene sc(rng, 48, 40, ref::Layout::argb8888);
    Source x = random_texture(rng, 16, 12, ref::Layout::xrgb8888);
    sc.draw(x, one_to_one(x, 2, 3, Blend::none));
    sc.draw(x, one_to_one(x, 25, 20, Blend::premultiplied));
    EXPECT_TRUE(sc.submit(0, 0));
}

// Effects read the target's alpha: in a frame with a snapshot (a backdrop blur) an XRGB source
// (random X bytes) stays a draw, which stores alpha 1, so the blur of an X target whose X bytes
// are 0xff sees alpha 1 everywhere, as the reference does.
TEST(Blit, XSourcesStayDrawsInAFrameWithASnapshot) {
    std::mt19937 rng(11);
    Scene sc(opaque_x_target(rng, 64, 48));
    Source x = random_texture(rng, 20, 16, ref::Layout::xrgb8888);
    sc.draw(x, one_to_one(x, 6, 4, Blend::none));
    const BlurDraw b{{4, 3, 50, 40}, CornerRadii::all(8), 2, 1.0f};
    ASSERT_TRUE(sc.frame->draw_backdrop_blur(b));
    const ref::Image blurred = fxref::kawase(sc.want, b.passes, b.radius);
    fxref::over(sc.want, b.box, b.clip, [&](int px, int py) {
        return fxref::scale(fxref::adjust(blurred.at(px, py), b, px, py), fxref::coverage(px, py, b.box, b.corners));
    });
    EXPECT_TRUE(sc.submit(0, 2));  // +-2: each blur level rounds (tests/render/test_effects.cpp)
}

// Fills become copies only on llvmpipe's CPU adapter: the expected count there, 0 elsewhere.
uint64_t on_cpu(uint64_t n) { return gpu_is_llvmpipe() ? n : 0; }

Color random_opaque(std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    return {u(rng), u(rng), u(rng), 1.0f};
}

// An opaque rect of one colour, clipped, over random content: the first frame draws it (the
// colour is new), the second and third copy its visible clip boxes from the fill buffer, written
// once (the target's rows at a 256-aligned pitch). Each frame clips to other boxes, so the
// copies land on content that is not yet that colour; pixels outside the clip keep theirs.
TEST(Blit, OpaqueRectsBecomeFillsFromTheSecondFrame) {
    std::mt19937 rng(4242);
    Scene sc(rng, 96, 64, ref::Layout::argb8888);
    const Color c = random_opaque(rng);
    const Box clips[3][3] = {{{0, 0, 30, 20}, {40, 30, 20, 20}, {200, 0, 5, 5}},   // the last one off the target
                             {{30, 0, 40, 10}, {0, 40, 25, 24}, {70, 50, 26, 14}},
                             {{60, 10, 36, 20}, {10, 22, 20, 15}, {0, 0, 0, 0}}};
    const uint64_t want_filled[3] = {0, 3, 5};
    for (int frame = 0; frame < 3; frame++) {
        if (frame > 0) sc.begin();
        sc.rect({{-8, -4, 120, 80}, c, Blend::premultiplied, Clip(clips[frame])});  // alpha 1: Blend::none
        EXPECT_TRUE(sc.submit(0, 0)) << "frame " << frame;
        EXPECT_EQ(sc.filled(), on_cpu(want_filled[frame])) << "frame " << frame;
        EXPECT_EQ(sc.fill_bytes(), on_cpu(frame > 0 ? 512u * 64 : 0)) << "frame " << frame;
    }
    // Boxes on the target: 2, 3, 2. On llvmpipe only the first frame draws; elsewhere all do.
    EXPECT_EQ(sc.draws(), on_cpu(1) ? 2u : 7u) << "only the first frame drew (two boxes) on llvmpipe";
}

// The bytes of a copied fill are what a draw stores: each channel rounded to nearest, in the
// target's byte order (BGRA for ARGB8888, RGBA for ABGR8888): 0.25 -> 64 (63.75), 0.5 -> 128
// (127.5), 1/3 -> 85, 0.75 -> 191 (191.25). 0.3f (76.50000304) is a tie after llvmpipe's float
// scaling, stored as 76 (exact rounding: 77): there the fills must store what the draw stored.
// Frame 1 draws, frames 2 and 3 copy; between frames a texture draw puts other content under the
// rect.
TEST(Blit, FillBytesRoundLikeTheDraw) {
    struct Case {
        Color c;
        int r, g, b;  // the stored channels; -1: what the frame's first draw stored (76 or 77)
    };
    const Case cases[] = {{{0.25f, 0.5f, 1.0f / 3.0f, 1.0f}, 64, 128, 85},
                          {{0.75f, 0.3f, 0.5f, 1.0f}, 191, -1, 128},
                          {{0.3f, 0.25f, 0.3f, 1.0f}, -1, 64, -1}};
    for (ref::Layout l : {ref::Layout::argb8888, ref::Layout::abgr8888})
        for (const Case& k : cases) {
            std::mt19937 rng(99);
            Scene sc(rng, 40, 30, l);
            Source tex = random_texture(rng, 18, 12, ref::Layout::argb8888);
            std::optional<std::tuple<int, int, int>> drawn;  // the first frame's bytes
            for (int frame = 0; frame < 3; frame++) {
                if (frame > 0) sc.begin();
                sc.rect({{3 + frame, 2, 30, 20}, k.c, Blend::none});
                sc.draw(tex, one_to_one(tex, 20 - frame, 15, Blend::premultiplied));  // under the next frame's rect
                EXPECT_TRUE(sc.submit(0, 1)) << "+-1: the blended texture draw rounds; frame " << frame;
                // The rect's pixels that the texture draw left alone, exactly.
                const ref::Image got = read_back(*sc.dst.tex);
                for (int y = 2; y < 15; y++)
                    for (int x = 3 + frame; x < 33 + frame; x++) {
                        const ref::Px p = got.at(x, y);
                        const std::tuple<int, int, int> px(ref::q8(p.r), ref::q8(p.g), ref::q8(p.b));
                        if (!drawn) drawn = px;
                        // Elsewhere there are no fills (the rect is drawn every frame), and a GPU may
                        // round a tie either way (the H200 stores 0.5 as 127): within 1 of exact.
                        auto want = [&](int v, int at) {
                            const int d = at == 0 ? std::get<0>(*drawn) : at == 1 ? std::get<1>(*drawn) : std::get<2>(*drawn);
                            if (!on_cpu(1) && v >= 0 && std::abs(d - v) <= 1) return d;
                            return v >= 0 ? v : (d == 76 || d == 77 ? d : -2);
                        };
                        ASSERT_EQ(std::tuple(px, ref::q8(p.a)),
                                  std::tuple(std::tuple(want(k.r, 0), want(k.g, 1), want(k.b, 2)), uint8_t(255)))
                            << "pixel " << x << "," << y << " frame " << frame;
                    }
            }
            EXPECT_EQ(sc.filled(), on_cpu(2));
        }
}

// Of two opaque rects of one colour, the one over an earlier draw stays a draw (a copy would run
// before that draw) and the other is a fill; a translucent rect of that colour (blended) stays a
// draw; two consecutive untouched opaque rects (one draw command of two instances) are fills; a colour that changes every frame is never written into the fill buffer; a frame that
// starts with a clear (the pass clears) fills nothing.
TEST(Blit, OnlyUntouchedOpaqueRectsOfARepeatedColourAreFills) {
    std::mt19937 rng(7);
    Scene sc(rng, 80, 60, ref::Layout::xrgb8888);
    Source tex = random_texture(rng, 20, 16, ref::Layout::argb8888);
    const Color c = random_opaque(rng);
    const Color translucent{c.r * 0.5f, c.g * 0.5f, c.b * 0.5f, 0.5f};
    for (int frame = 0; frame < 2; frame++) {
        if (frame > 0) sc.begin();
        sc.draw(tex, one_to_one(tex, 10, 10, Blend::premultiplied));
        sc.rect({{25, 20, 20, 20}, c, Blend::none});  // over the texture at (25..29, 20..25)
        sc.rect({{5, 40, 30, 15}, translucent, Blend::premultiplied});
        sc.rect({{50, 5, 25, 15}, c, Blend::none});   // touches nothing before it
        sc.rect({{60, 30, 15, 25}, c, Blend::none});  // nor this one (merged with the previous)
        EXPECT_TRUE(sc.submit(0, 1)) << "+-1: blended draws round; frame " << frame;
        EXPECT_EQ(sc.draws(), uint64_t(4 * frame + 4) - on_cpu(frame)) << "frame " << frame;
    }
    EXPECT_EQ(sc.filled(), on_cpu(2)) << "the untouched rects in the second frame";

    const uint64_t bytes = sc.fill_bytes(), filled = sc.filled();
    for (int frame = 0; frame < 3; frame++) {
        sc.begin();
        sc.rect({{4 * frame, 3, 20, 30}, random_opaque(rng), Blend::none});
        EXPECT_TRUE(sc.submit(0, 1)) << "+-1: the translucent rect's pixels; frame " << frame;
    }
    EXPECT_EQ(sc.fill_bytes(), bytes) << "no colour was used twice in a row";
    EXPECT_EQ(sc.filled(), filled);

    const Color d = random_opaque(rng);  // a new colour, in two frames
    for (int frame = 0; frame < 2; frame++) {
        sc.begin();
        const Color bg = random_opaque(rng);
        sc.frame->clear(bg);
        ref::draw_rect(sc.want, {0, 0, 80, 60}, {bg.r, bg.g, bg.b, bg.a}, Blend::none, std::nullopt);
        sc.rect({{30, 30, 20, 10}, d, Blend::none});
        // The clear covers all; exact on llvmpipe, +-1 where a GPU rounds the colours otherwise.
        EXPECT_TRUE(sc.submit(0, on_cpu(1) ? 0 : 1)) << "frame " << frame;
    }
    EXPECT_EQ(sc.filled(), filled) << "the clearing pass would overwrite the fills";
    EXPECT_EQ(sc.fill_bytes(), bytes) << "nor is the fill buffer written for them";
}

}  // namespace
