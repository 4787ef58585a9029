// Exact pixel copies (src/render/blit.hpp): texture draws that store the source's texels
// unchanged are done as copies before the render pass. Each frame is compared with the CPU
// reference (tests/render/reference.hpp) at tolerance 0 where only copies and untouched pixels
// are, and RenderStats::copied_draws says which draws were copies.
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
    explicit Scene(Source target) : dst(std::move(target)), want(dst.img) {
        auto c = Renderer::create(gpu());
        if (!c) throw std::runtime_error(c.error().message);
        r = std::move(*c);
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
    uint64_t copied() const { return r->stats().copied_draws; }
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

}  // namespace
