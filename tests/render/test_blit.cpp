// Exact pixel copies (src/render/blit.hpp): texture draws that store the source's texels
// unchanged are done as copies before the render pass. Each frame is compared with the CPU
// reference (tests/render/reference.hpp) at tolerance 0 where only copies and untouched pixels
// are, and RenderStats::copied_draws says which draws were copies.
#include <tuple>

#include "render/helpers.hpp"

using namespace wlgpu;
using namespace wlgpu::test;

namespace {

// The target read back; with X formats the X byte is undefined and read as alpha 1.
ref::Image read_target(Texture& t) {
    if (t.format().has_alpha) return read_back(t);
    std::vector<uint8_t> out(size_t(t.width()) * t.height() * 4);
    auto r = t.read_pixels(kXRGB8888, {0, 0, int32_t(t.width()), int32_t(t.height())}, t.width() * 4, out.data());
    if (!r) throw std::runtime_error(r.error().message);
    return ref::decode(out, t.width(), t.height(), t.width() * 4, ref::Layout::xrgb8888);
}

void opaque(ref::Image& img) {
    for (auto& p : img.px) p.a = 1.0f;
}

struct Blitter {
    std::unique_ptr<Renderer> r;
    uint64_t copied() const { return r->stats().copied_draws; }
    uint64_t draws() const { return r->stats().draws; }
};

Blitter blitter() {
    auto c = Renderer::create(gpu());
    if (!c) throw std::runtime_error(c.error().message);
    return {std::move(*c)};
}

TextureDraw one_to_one(const Source& s, int x, int y, Blend blend, Clip clip = std::nullopt) {
    TextureDraw d;
    d.texture = s.tex.get();
    d.dst = {x, y, s.img.w, s.img.h};
    d.blend = blend;
    d.filter = Filter::bilinear;  // wlroots' default; texel centres: exact
    d.clip = clip;
    return d;
}

// Copy-eligible draws into an X target: an ARGB source with Blend::none, XRGB sources (random X
// bytes) with either blend, a crop, a draw partly off the target, a multi-box clip; the clip's
// boxes are copied one by one, only where they meet the draw and the target.
TEST(Blit, EligibleDrawsAreCopiesIntoAnXTarget) {
    std::mt19937 rng(2024);
    auto dst = random_texture(rng, 96, 64, ref::Layout::xrgb8888, TextureUsage::sample | TextureUsage::render);
    Source argb = random_texture(rng, 17, 11, ref::Layout::argb8888);
    Source xrgb = random_texture(rng, 23, 19, ref::Layout::xrgb8888);
    Source xrgb2 = random_texture(rng, 12, 30, ref::Layout::xrgb8888);
    Blitter b = blitter();
    ref::Image want = dst.img;
    auto frame = b.r->begin(*dst.tex);
    ASSERT_TRUE(frame);
    const Box clip[] = {{0, 0, 40, 30}, {45, 20, 10, 10}, {60, 0, 36, 64}, {90, 60, 6, 4}};
    struct Case {
        const Source* s;
        int x, y;
        Blend blend;
        Clip clip;
    };
    const Case cases[] = {
        {&argb, 5, 4, Blend::none, std::nullopt},       // 1 copy
        {&xrgb, 30, 15, Blend::premultiplied, clip},    // boxes 0 and 1 meet it: 2 copies
        {&xrgb2, -5, 40, Blend::none, std::nullopt},    // partly off the target: 1 copy
        {&xrgb2, 88, 50, Blend::premultiplied, clip},   // boxes 2 and 3, off the right edge: 2 copies
    };
    for (const Case& c : cases) {
        TextureDraw d = one_to_one(*c.s, c.x, c.y, c.blend, c.clip);
        ASSERT_TRUE(frame->draw_texture(d));
        ref::draw_texture(want, c.s->img, {}, d.dst, Transform::normal, 1, Filter::nearest, c.blend, c.clip);
    }
    TextureDraw crop = one_to_one(xrgb, 70, 2, Blend::none);  // texels (3,2) .. (12,8)
    crop.src = {3, 2, 10, 7};
    crop.dst = {70, 2, 10, 7};
    ASSERT_TRUE(frame->draw_texture(crop));
    ref::draw_texture(want, xrgb.img, crop.src, crop.dst, Transform::normal, 1, Filter::nearest, Blend::none,
                      std::nullopt);
    ASSERT_TRUE(frame->submit());
    EXPECT_EQ(b.copied(), 7u);
    EXPECT_EQ(b.draws(), 0u) << "every draw was a copy";
    opaque(want);
    EXPECT_TRUE(images_match(read_target(*dst.tex), want, 0));
}

// An ARGB source with Blend::none into an ARGB target is a copy of the premultiplied texels,
// alpha included; the same source blended (premultiplied) is a draw.
TEST(Blit, ArgbWithBlendNoneIsACopyIntoAnArgbTarget) {
    std::mt19937 rng(77);
    auto dst = random_texture(rng, 64, 48, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    Source src = random_texture(rng, 21, 13, ref::Layout::argb8888);
    Blitter b = blitter();
    ref::Image want = dst.img;
    auto frame = b.r->begin(*dst.tex);
    ASSERT_TRUE(frame);
    const Box clip[] = {{0, 0, 20, 48}, {30, 0, 34, 20}};
    TextureDraw copy = one_to_one(src, 15, 5, Blend::none, Clip(clip));  // meets both boxes
    TextureDraw blended = one_to_one(src, 35, 25, Blend::premultiplied);
    ASSERT_TRUE(frame->draw_texture(copy));
    ref::draw_texture(want, src.img, {}, copy.dst, Transform::normal, 1, Filter::nearest, Blend::none, copy.clip);
    ASSERT_TRUE(frame->draw_texture(blended));
    ref::draw_texture(want, src.img, {}, blended.dst, Transform::normal, 1, Filter::nearest, Blend::premultiplied,
                      std::nullopt);
    ASSERT_TRUE(frame->submit());
    EXPECT_EQ(b.copied(), 2u) << "the Blend::none draw's two clip boxes";
    EXPECT_EQ(b.draws(), 1u) << "the blended draw";
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 1));  // +-1: the blended draw rounds
}

// A draw that an earlier command overlaps stays a draw (a copy would run before that command);
// one that no earlier command touches is a copy, and later commands draw over it. A frame that
// starts with an unclipped clear (the pass's load op clears the target) copies nothing.
TEST(Blit, OverlappedDrawsStayDraws) {
    std::mt19937 rng(5);
    auto dst = random_texture(rng, 80, 60, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    Source a = random_texture(rng, 19, 14, ref::Layout::argb8888);
    Source c = random_texture(rng, 15, 22, ref::Layout::argb8888);
    Blitter b = blitter();
    ref::Image want = dst.img;
    auto frame = b.r->begin(*dst.tex);
    ASSERT_TRUE(frame);
    const RectDraw rect{{10, 10, 12, 9}, {0.2f, 0.1f, 0.3f, 0.5f}, Blend::premultiplied};
    ASSERT_TRUE(frame->draw_rect(rect));
    ref::draw_rect(want, rect.box, {0.2f, 0.1f, 0.3f, 0.5f}, Blend::premultiplied, std::nullopt);
    TextureDraw over = one_to_one(a, 20, 15, Blend::none);  // meets the rect at (20..21, 15..18)
    ASSERT_TRUE(frame->draw_texture(over));
    ref::draw_texture(want, a.img, {}, over.dst, Transform::normal, 1, Filter::nearest, Blend::none, std::nullopt);
    TextureDraw lone = one_to_one(c, 50, 30, Blend::none);  // touches nothing drawn before it
    ASSERT_TRUE(frame->draw_texture(lone));
    ref::draw_texture(want, c.img, {}, lone.dst, Transform::normal, 1, Filter::nearest, Blend::none, std::nullopt);
    TextureDraw after = one_to_one(a, 55, 40, Blend::premultiplied);  // over the copy
    ASSERT_TRUE(frame->draw_texture(after));
    ref::draw_texture(want, a.img, {}, after.dst, Transform::normal, 1, Filter::nearest, Blend::premultiplied,
                      std::nullopt);
    ASSERT_TRUE(frame->submit());
    EXPECT_EQ(b.copied(), 1u) << "only the draw that nothing before it touches";
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 1));

    const Color bg{10 / 255.f, 200 / 255.f, 90 / 255.f, 1.0f};
    auto cleared = b.r->begin(*dst.tex);
    ASSERT_TRUE(cleared);
    cleared->clear(bg);
    ref::draw_rect(want, {0, 0, 80, 60}, {bg.r, bg.g, bg.b, bg.a}, Blend::none, std::nullopt);
    ASSERT_TRUE(cleared->draw_texture(lone));
    ref::draw_texture(want, c.img, {}, lone.dst, Transform::normal, 1, Filter::nearest, Blend::none, std::nullopt);
    ASSERT_TRUE(cleared->submit());
    EXPECT_EQ(b.copied(), 1u) << "the clearing pass would overwrite a copy";
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 0));
}

// An XRGB source's X byte (random here, mostly not 0xff) must not land in a target whose alpha
// is read: into an ARGB target the draw is a draw, with either blend, and stores alpha 0xff.
TEST(Blit, XrgbIntoAnArgbTargetStoresOpaqueAlpha) {
    std::mt19937 rng(31);
    auto dst = random_texture(rng, 48, 40, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    Source x = random_texture(rng, 16, 12, ref::Layout::xrgb8888);
    Blitter b = blitter();
    ref::Image want = dst.img;
    auto frame = b.r->begin(*dst.tex);
    ASSERT_TRUE(frame);
    for (auto [px, py, blend] : {std::tuple{2, 3, Blend::none}, std::tuple{25, 20, Blend::premultiplied}}) {
        TextureDraw d = one_to_one(x, px, py, blend);
        ASSERT_TRUE(frame->draw_texture(d));
        ref::draw_texture(want, x.img, {}, d.dst, Transform::normal, 1, Filter::nearest, blend, std::nullopt);
    }
    ASSERT_TRUE(frame->submit());
    EXPECT_EQ(b.copied(), 0u);
    EXPECT_TRUE(images_match(read_back(*dst.tex), want, 0));
}

}  // namespace
