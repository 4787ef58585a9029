// Effects (docs/effects.md) vs the CPU references of render/effects_reference.hpp, on random
// content. Shapes: a pixel is covered by clamp(0.5 - d, 0, 1), d the signed distance from its
// centre to the rounded box; the reference finds d from the corner circles and the edges (not
// the shader's quadrant formula). Shadows: the reference integrates the Gaussian numerically on
// a 1/8-pixel grid over 4 sigma; the shader is the sharp box's closed form (erf products) less
// each corner's cutout, integrated along the corner's circle (src/render/effects_shader.cpp).
//
// Tolerances, per 8-bit channel: +-1 where the GPU and the reference only differ by float
// rounding (one draw is quantised once; a value on .5 may round either way) - solid and gradient
// shapes, NEAREST textures at scale 2 (sample points a quarter texel from every edge), user
// effects. +-2 for BILINEAR (lavapipe's 8-bit filter weights, as in test_render.cpp), and where
// a translucent draw blends over another one: it carries the first one's +-1 (times 1 - alpha),
// and lavapipe blends 8-bit targets in fixed point (source and factor rounded first). Shadows:
// +-2: the erf approximation (|error| < 5e-4 of the colour), the corner rule's and the
// reference's grid error (measured against a 20000-point integral: shader <= 0.0013, the
// 1/8 grid reference <= 0.0035 of the colour), rounding and the carry above.
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "render/effects_reference.hpp"
#include "render/helpers.hpp"

using namespace wlgpu;
using namespace wlgpu::test;
using namespace wlgpu::test::fxref;

namespace {

Renderer& renderer() { return shared_renderer(); }

// Every case: no uncaptured Dawn error (an invalid command buffer renders nothing, silently).
template <class Base>
class NoGpuErrors : public Base {
protected:
    void SetUp() override { gpu_state().uncaptured.clear(); }
    void TearDown() override {
        (void)gpu().wait_idle();
        for (const auto& m : gpu_state().uncaptured) ADD_FAILURE() << "uncaptured Dawn error: " << m;
    }
};
class Effects : public NoGpuErrors<::testing::Test> {};

// A NEAREST draw of the whole of src into dst with a transform (dst sized for scale 2).
TextureDraw nearest_draw(const Source& src, Box dst, Transform t) {
    TextureDraw d;
    d.texture = src.tex.get();
    d.dst = dst;
    d.transform = t;
    d.filter = Filter::nearest;
    return d;
}

struct Target {
    Source s;
    Frame frame;
};

Target target(std::mt19937& rng, int w = 72, int h = 56) {
    auto s = random_texture(rng, w, h, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    auto f = renderer().begin(*s.tex);
    if (!f) throw std::runtime_error(f.error().message);
    return {std::move(s), std::move(*f)};
}

// ---- rounded shapes and gradients ----

TEST_F(Effects, RoundedRectsPerCornerRadius) {
    std::mt19937 rng(71);
    auto t = target(rng);
    const Box clip_boxes[] = {{0, 0, 40, 56}, {44, 10, 28, 30}};
    struct Case {
        Box box;
        CornerRadii c;
        Clip clip;
    } cases[] = {
        {{3, 4, 37, 29}, {0, 5.5f, 11, 2.25f}, std::nullopt},
        {{20, 18, 48, 34}, {16, 0.75f, 40 /* clamped to 17 */, 9}, Clip(clip_boxes)},
        {{50, 2, 9, 13}, CornerRadii::all(3.3f), std::nullopt},
    };
    ref::Image want = t.s.img;
    for (const auto& c : cases) {
        const Color col = random_color(rng);
        ASSERT_TRUE(t.frame.draw_shape({c.box, c.c, Fill::solid(col), c.clip}));
        over(want, c.box, c.clip, [&](int x, int y) { return scale(px(col), coverage(x, y, c.box, c.c)); });
    }
    ASSERT_TRUE(t.frame.submit());
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 1));
}

TEST_F(Effects, LinearAndConicGradients) {
    std::mt19937 rng(72);
    auto t = target(rng);
    const Fill linear = Fill::linear(random_color(rng), random_color(rng), 7.3f, 50.1f, 61.7f, 12.4f);
    const Fill conic = Fill::conic(random_color(rng), random_color(rng), 39.3f, 30.6f, 1.1f);
    const Box lbox{2, 3, 66, 50}, cbox{14, 8, 52, 44};
    const CornerRadii lc{12, 3, 0, 7}, cc = CornerRadii::all(9);
    ASSERT_TRUE(t.frame.draw_shape({lbox, lc, linear}));
    ASSERT_TRUE(t.frame.draw_shape({cbox, cc, conic}));
    ASSERT_TRUE(t.frame.submit());

    ref::Image want = t.s.img;
    over(want, lbox, std::nullopt, [&](int x, int y) {
        const double dx = linear.end_x - linear.start_x, dy = linear.end_y - linear.start_y;
        const double k = ((x + 0.5 - linear.start_x) * dx + (y + 0.5 - linear.start_y) * dy) / (dx * dx + dy * dy);
        return scale(lerp(px(linear.from), px(linear.to), std::clamp(k, 0.0, 1.0)), coverage(x, y, lbox, lc));
    });
    over(want, cbox, std::nullopt, [&](int x, int y) {
        double a = std::atan2(y + 0.5 - conic.start_y, x + 0.5 - conic.start_x) - conic.angle;
        double turn = a / (2 * std::numbers::pi);
        turn -= std::floor(turn);
        // No pixel centre within 2e-4 turn of the seam, where the GPU's atan2 (Vulkan allows 4096
        // ULP) could pick the other end.
        EXPECT_GT(std::min(turn, 1 - turn), 2e-4) << x << "," << y;
        return scale(lerp(px(conic.from), px(conic.to), turn), coverage(x, y, cbox, cc));
    });
    // +-2: the conic draw blends over the linear one, whose own +-1 rounding it carries (times
    // 1 - alpha), and lavapipe blends 8-bit targets in fixed point (source and factor rounded
    // to 8 bits first). Each gradient alone matches at +-1 (checked while writing this test).
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 2));
}

// ---- rounded textures ----

struct TexCase {
    Transform transform;
    Filter filter;
    float alpha;
};

class RoundedTexture : public NoGpuErrors<::testing::TestWithParam<TexCase>> {};

TEST_P(RoundedTexture, MatchesReferenceAtScale2) {
    const auto p = GetParam();
    std::mt19937 rng(73 + uint32_t(p.transform));
    auto src = random_texture(rng, 13, 9, ref::Layout::argb8888);
    auto t = target(rng);
    const bool swap = uint32_t(p.transform) & 1;
    const Box crop{2, 1, 10, 7};
    TextureDraw d;
    d.texture = src.tex.get();
    d.src = ref::fbox(crop);
    d.dst = {6, 5, (swap ? crop.height : crop.width) * 2, (swap ? crop.width : crop.height) * 2};
    d.transform = p.transform;
    d.filter = p.filter;
    d.alpha = p.alpha;
    d.blend = Blend::none;  // corners blend anyway (their edges are translucent)
    const CornerRadii c{7.5f, 2, 0, 4.25f};
    ASSERT_TRUE(t.frame.draw_rounded_texture(d, c));
    ASSERT_TRUE(t.frame.submit());

    ref::Image want = t.s.img;
    over(want, d.dst, std::nullopt,
         [&](int x, int y) { return scale(texture_sample(src.img, d, x, y), coverage(x, y, d.dst, c)); });
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, p.filter == Filter::nearest ? 1 : 2));
}

INSTANTIATE_TEST_SUITE_P(Transforms, RoundedTexture,
                         ::testing::Values(TexCase{Transform::normal, Filter::nearest, 1.0f},
                                           TexCase{Transform::rotate_90, Filter::nearest, 0.6f},
                                           TexCase{Transform::flipped_270, Filter::bilinear, 0.8f}));

// ---- box shadows ----

TEST_F(Effects, BoxShadowGaussian) {
    std::mt19937 rng(74);
    auto t = target(rng, 80, 64);
    struct Case {
        Box box;
        CornerRadii c;
        float sigma;
    } cases[] = {// a box with a solid interior (deeper than 4 sigma plus the radius: the shader's early exit)
                 {{6, 8, 64, 48}, {2, 5, 0, 3}, 2.0f},
                 {{16, 14, 40, 30}, {10, 3, 0, 14}, 4.0f},
                 {{50, 40, 22, 16}, CornerRadii::all(6), 1.5f}};
    ref::Image want = t.s.img;
    for (const auto& c : cases) {
        const Color col = random_color(rng);
        ASSERT_TRUE(t.frame.draw_shadow({c.box, c.c, col, c.sigma}));
        const auto cov = reference_shadow(want.w, want.h, c.box, c.c, c.sigma);
        const int grow = int(std::ceil(3 * c.sigma));
        const Box quad{c.box.x - grow, c.box.y - grow, c.box.width + 2 * grow, c.box.height + 2 * grow};
        over(want, quad, std::nullopt, [&](int x, int y) { return scale(px(col), float(cov[size_t(y) * want.w + x])); });
    }
    ASSERT_TRUE(t.frame.submit());
    // +-3: here three translucent shadows overlap (top); each of lavapipe's fixed-point blends
    // rounds its source and its 1 - alpha factor, and at (47, 54) the first shadow's alpha
    // (0.4765, exact 0.4764) sits on a rounding edge of the factor: 92 against 89 in red, the
    // 24-point rule gave 91 (its coverage there 0.7737 against the exact 0.7733).
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 3));
}

// Holes: a shadow that leaves its (translucent) window's rounded box undrawn, and a gradient
// frame around a rounded hole, clipped. Outside a hole the coverage is clamp(0.5 + d_hole, 0, 1).
TEST_F(Effects, ShadowAndShapeWithRoundedHoles) {
    std::mt19937 rng(91);
    auto t = target(rng, 80, 64);
    const Box win{22, 16, 36, 28}, frame_box{4, 4, 72, 56}, hole{14, 10, 50, 42};
    const CornerRadii wc{8, 8, 3, 3}, fc = CornerRadii::all(10), hc{6, 12, 0, 6};
    const Box clip[] = {{0, 0, 80, 40}, {0, 44, 50, 20}};
    ShadowDraw sd{win, wc, random_color(rng), 3.5f};
    sd.hole = {win, wc};
    ShapeDraw shape{frame_box, fc, Fill::linear(random_color(rng), random_color(rng), 4, 4, 70, 60), Clip(clip)};
    shape.hole = {hole, hc};
    ASSERT_TRUE(t.frame.draw_shadow(sd));
    ASSERT_TRUE(t.frame.draw_shape(shape));
    ASSERT_TRUE(t.frame.submit());

    auto outside = [](int x, int y, Box b, const CornerRadii& c) {
        return float(std::clamp(0.5 + rounded_distance(x + 0.5, y + 0.5, b, c), 0.0, 1.0));
    };
    ref::Image want = t.s.img;
    const auto cov = reference_shadow(want.w, want.h, win, wc, sd.sigma);
    over(want, {11, 5, 58, 50}, std::nullopt, [&](int x, int y) {
        return scale(px(sd.color), float(cov[size_t(y) * want.w + x]) * outside(x, y, win, wc));
    });
    over(want, frame_box, shape.clip, [&](int x, int y) {
        const double dx = 66, dy = 56;
        const double k = std::clamp(((x + 0.5 - 4) * dx + (y + 0.5 - 4) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
        return scale(lerp(px(shape.fill.from), px(shape.fill.to), k),
                     coverage(x, y, frame_box, fc) * outside(x, y, hole, hc));
    });
    // +-2: two translucent draws overlap (see the top).
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 2));
}

// A window as a compositor draws it: shadow, then the rounded window (rotated, scale 2), clipped
// to damage, in one frame with plain draws in between.
TEST_F(Effects, ShadowedRoundedWindowWithTransformScale2AndClip) {
    std::mt19937 rng(75);
    auto src = random_texture(rng, 12, 10, ref::Layout::argb8888);
    auto t = target(rng, 80, 64);
    const Box damage[] = {{0, 0, 50, 64}, {50, 20, 30, 20}};
    TextureDraw d = nearest_draw(src, {20, 12, 20, 24}, Transform::rotate_270);  // 10x12 after rotate_270, x2
    d.clip = Clip(damage);
    const CornerRadii c = CornerRadii::all(6);
    const Color shadow = random_color(rng), plain = random_color(rng);
    const ShadowDraw sd{d.dst, c, shadow, 3.0f, Clip(damage)};
    ASSERT_TRUE(t.frame.draw_shadow(sd));
    ASSERT_TRUE(t.frame.draw_rect({{30, 30, 20, 20}, plain}));
    ASSERT_TRUE(t.frame.draw_rounded_texture(d, c));
    ASSERT_TRUE(t.frame.submit());

    ref::Image want = t.s.img;
    const auto cov = reference_shadow(want.w, want.h, d.dst, c, 3.0);
    over(want, {11, 3, 38, 42}, sd.clip, [&](int x, int y) { return scale(px(shadow), float(cov[size_t(y) * want.w + x])); });
    ref::draw_rect(want, {30, 30, 20, 20}, px(plain), Blend::premultiplied, std::nullopt);
    over(want, d.dst, d.clip, [&](int x, int y) { return scale(texture_sample(src.img, d, x, y), coverage(x, y, d.dst, c)); });
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 2));
}

// A window over its shadow in one draw (draw_rounded_texture with a ShadowDraw): the pixels of
// the shadow, then the rounded texture over it. Translucent texels (alpha 0.8) so the shadow
// shows through them; the shadow offset from the window (down-right) with its own corners, a
// hole in it, a transform with scale 2 and a clip. Compared with the CPU reference.
TEST_F(Effects, WindowOverItsShadowInOneDraw) {
    std::mt19937 rng(76);
    auto src = random_texture(rng, 12, 10, ref::Layout::argb8888);
    auto t = target(rng, 80, 64);
    const Box damage[] = {{0, 0, 52, 64}, {52, 16, 28, 30}};
    TextureDraw d = nearest_draw(src, {22, 12, 20, 24}, Transform::rotate_270);  // 10x12 after rotate_270, x2
    d.clip = Clip(damage);
    d.alpha = 0.8f;
    const CornerRadii c{6, 2, 8, 0};
    ShadowDraw sd{{26, 16, 20, 24}, CornerRadii::all(5), random_color(rng), 3.5f};
    sd.hole = {{30, 20, 8, 8}, CornerRadii::all(3)};
    const RenderStats before = renderer().stats();
    ASSERT_TRUE(t.frame.draw_rounded_texture(d, c, sd));
    ASSERT_TRUE(t.frame.submit());
    EXPECT_EQ(renderer().stats().render_passes - before.render_passes, 1u);
    EXPECT_EQ(renderer().stats().draws - before.draws, 2u) << "one draw per clip box";

    ref::Image want = t.s.img;
    const auto cov = reference_shadow(want.w, want.h, sd.box, sd.corners, sd.sigma);
    auto outside = [](int x, int y, Box b, const CornerRadii& k) {
        return float(std::clamp(0.5 + rounded_distance(x + 0.5, y + 0.5, b, k), 0.0, 1.0));
    };
    over(want, {15, 5, 42, 46}, d.clip, [&](int x, int y) {
        return scale(px(sd.color), float(cov[size_t(y) * want.w + x]) * outside(x, y, sd.hole.box, sd.hole.corners));
    });
    over(want, d.dst, d.clip,
         [&](int x, int y) { return scale(texture_sample(src.img, d, x, y), coverage(x, y, d.dst, c)); });
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 2));
}

// A shadow with its window as the hole is drawn as the frame between its quad and the hole
// inset by the largest radius + 1 (the inside is not rasterised). Under a translucent window
// (alpha 0.7, per-corner radii, the shadow offset with its own corners, a clip across the
// frame) the pixels must be those of the whole quad: the shadow only outside the hole's
// anti-aliased edge, nothing of it inside, the background through the window.
TEST_F(Effects, ShadowFrameAroundItsHoleUnderATranslucentWindow) {
    std::mt19937 rng(93);
    auto src = random_texture(rng, 30, 22, ref::Layout::argb8888);
    auto t = target(rng, 80, 64);
    const Box damage[] = {{0, 0, 41, 64}, {41, 21, 39, 17}};
    TextureDraw d = nearest_draw(src, {17, 13, 30, 22}, Transform::normal);
    d.alpha = 0.7f;
    d.clip = Clip(damage);
    const CornerRadii wc{9, 2, 6, 0};
    ShadowDraw sd{{20, 17, 30, 22}, CornerRadii::all(4), random_color(rng), 3.0f, Clip(damage)};
    sd.hole = {d.dst, wc};
    ASSERT_TRUE(t.frame.draw_shadow(sd));
    ASSERT_TRUE(t.frame.draw_rounded_texture(d, wc));
    ASSERT_TRUE(t.frame.submit());

    ref::Image want = t.s.img;
    const auto cov = reference_shadow(want.w, want.h, sd.box, sd.corners, sd.sigma);
    over(want, {11, 8, 48, 40}, sd.clip, [&](int x, int y) {
        const double outside = std::clamp(0.5 + rounded_distance(x + 0.5, y + 0.5, d.dst, wc), 0.0, 1.0);
        return scale(px(sd.color), float(cov[size_t(y) * want.w + x] * outside));
    });
    over(want, d.dst, d.clip, [&](int x, int y) { return scale(texture_sample(src.img, d, x, y), coverage(x, y, d.dst, wc)); });
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 2));
}

// ---- backdrop blur ----

class BackdropBlur : public NoGpuErrors<::testing::TestWithParam<BlurDraw>> {};

// A window (rotate_90, scale 2) drawn, then blurred behind a rounded region, then a draw over it.
TEST_P(BackdropBlur, MatchesDualKawaseReference) {
    const BlurDraw b = GetParam();
    std::mt19937 rng(80 + b.passes);
    auto src = random_texture(rng, 10, 8, ref::Layout::argb8888);
    auto t = target(rng, 64, 48);
    const TextureDraw d = nearest_draw(src, {6, 4, 16, 20}, Transform::rotate_90);  // 8x10, x2
    const Color after = random_color(rng);
    ASSERT_TRUE(t.frame.draw_texture(d));
    ASSERT_TRUE(t.frame.draw_backdrop_blur(b));
    ASSERT_TRUE(t.frame.draw_rect({{30, 30, 10, 10}, after}));
    ASSERT_TRUE(t.frame.submit());

    ref::Image want = t.s.img;
    ref::draw_texture(want, src.img, {}, d.dst, d.transform, 1, d.filter, Blend::premultiplied, std::nullopt);
    const ref::Image blurred = kawase(want, b.passes, b.radius);
    over(want, b.box, b.clip,
         [&](int x, int y) { return scale(adjust(blurred.at(x, y), b, x, y), coverage(x, y, b.box, b.corners)); });
    ref::draw_rect(want, {30, 30, 10, 10}, px(after), Blend::premultiplied, std::nullopt);
    // Each blur level is rounded to 8 bits on both sides (+-1; the taps fall on quarter texels,
    // which lavapipe's 8-bit filter weights hold exactly), and the adjustments scale that by up
    // to brightness * contrast * (|saturation| + |1 - saturation|) before the final rounding.
    const float gain = b.brightness * b.contrast * (std::abs(b.saturation) + std::abs(1 - b.saturation));
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 1 + int(std::ceil(gain))));
}

const Box kBlurClip[] = {{0, 0, 64, 30}, {0, 34, 20, 14}};
INSTANTIATE_TEST_SUITE_P(
    Cases, BackdropBlur,
    ::testing::Values(BlurDraw{{4, 3, 50, 40}, CornerRadii::all(8), 2, 1.0f, 0, 1, 1, 1, std::nullopt},
                      BlurDraw{{10, 6, 48, 38}, {12, 0, 5, 9}, 3, 2.0f, 0.2f, 1.1f, 0.8f, 1.4f, Clip(kBlurClip)}));

// A blur of a small box in a large target blurs only the part of the target the box needs:
// the box far from the edges, the pooled levels left holding a blur of other content by a
// whole-target blur in the frame before (stale texels outside the region), the result
// compared with the whole-image reference inside the box. A margin too small shows here.
class BlurRegion : public NoGpuErrors<::testing::TestWithParam<std::pair<uint32_t, float>>> {};

TEST_P(BlurRegion, SmallBoxMatchesTheWholeImageReference) {
    const auto [passes, radius] = GetParam();
    std::mt19937 rng(90 + passes);
    auto t = target(rng, 320, 256);
    const BlurDraw whole{{0, 0, 320, 256}, {}, passes, radius, 0, 1, 1, 1, std::nullopt};
    t.frame.clear({1, 0, 0, 1});  // the levels then hold opaque red: a leak of it shows
    ASSERT_TRUE(t.frame.draw_backdrop_blur(whole));
    ASSERT_TRUE(t.frame.submit());

    auto bg = random_texture(rng, 320, 256, ref::Layout::xrgb8888);
    auto f = renderer().begin(*t.s.tex);
    ASSERT_TRUE(f);
    TextureDraw d;
    d.texture = bg.tex.get();
    d.dst = {0, 0, 320, 256};
    d.filter = Filter::nearest;
    d.blend = Blend::none;
    const BlurDraw b{{140, 110, 36, 30}, CornerRadii::all(4), passes, radius, 0, 1, 1, 1, std::nullopt};
    ASSERT_TRUE(f->draw_texture(d));
    ASSERT_TRUE(f->draw_backdrop_blur(b));
    ASSERT_TRUE(f->submit());

    ref::Image want = bg.img;
    const ref::Image blurred = kawase(want, b.passes, b.radius);
    over(want, b.box, std::nullopt,
         [&](int x, int y) { return scale(blurred.at(x, y), coverage(x, y, b.box, b.corners)); });
    // +-2 as MatchesDualKawaseReference with no adjustments (each level rounded on both sides).
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 2));
}

INSTANTIATE_TEST_SUITE_P(Cases, BlurRegion,
                         ::testing::Values(std::pair{2u, 1.0f}, std::pair{3u, 2.5f}, std::pair{1u, 6.0f}));

// A cached blur: frame 1 blurs background A; frame 2 draws background B and, with the cache
// not invalidated, still shows A's blur (and runs one render pass, no texture made); frame 3,
// after invalidate(), shows B's.
TEST_F(Effects, CachedBlurReblursOnlyWhenInvalidated) {
    std::mt19937 rng(90);
    auto s = random_texture(rng, 64, 48, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    const BlurDraw b{{6, 5, 44, 36}, CornerRadii::all(7), 2, 1.0f, 0.1f, 0.9f, 1.2f, 0.7f, std::nullopt};
    BlurCache cache;
    ref::Image blurred_a;
    for (int frame = 0; frame < 3; frame++) {
        auto bg = random_texture(rng, 16, 12, ref::Layout::xrgb8888);  // a new opaque background
        if (frame == 2) cache.invalidate();
        const uint64_t passes = renderer().stats().render_passes, textures = renderer().stats().textures_created;
        auto f = renderer().begin(*s.tex);
        ASSERT_TRUE(f) << f.error().message;
        TextureDraw d = nearest_draw(bg, {0, 0, 64, 48}, Transform::flipped);  // x4
        ASSERT_TRUE(f->draw_texture(d));
        ASSERT_TRUE(f->draw_backdrop_blur(b, cache));
        ASSERT_TRUE(f->submit());

        ref::Image want(64, 48);
        ref::draw_texture(want, bg.img, {}, d.dst, d.transform, 1, d.filter, Blend::none, std::nullopt);
        const ref::Image blurred = frame == 1 ? blurred_a : kawase(want, b.passes, b.radius);
        if (frame == 0) blurred_a = blurred;
        over(want, b.box, b.clip,
             [&](int x, int y) { return scale(adjust(blurred.at(x, y), b, x, y), coverage(x, y, b.box, b.corners)); });
        const float gain = b.brightness * b.contrast * (std::abs(b.saturation) + std::abs(1 - b.saturation));
        EXPECT_TRUE(images_match(read_back(*s.tex), want, 1 + int(std::ceil(gain)))) << "frame " << frame;
        if (frame == 1) {
            EXPECT_EQ(renderer().stats().render_passes - passes, 1u) << "an unchanged background was blurred again";
            EXPECT_EQ(renderer().stats().textures_created, textures);
        } else {
            EXPECT_EQ(renderer().stats().render_passes - passes, 2u + 2 * b.passes);
        }
    }
}

// A cached blur without colour adjustments (the composite's cheaper shader): frame 0 blurs,
// frame 1 draws the kept blur (one render pass); both match the reference, which clamps the
// colour to alpha like the adjusted path. Part of the target holds rgb > a (a rect drawn
// unblended), so a shader that leaves out the clamp is off there (by up to 8 here).
TEST_F(Effects, CachedBlurWithoutAdjustmentsMatchesReference) {
    std::mt19937 rng(91);
    auto s = random_texture(rng, 64, 48, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    auto bg = random_texture(rng, 16, 12, ref::Layout::xrgb8888);
    const BlurDraw b{{5, 4, 46, 38}, {9, 3, 0, 6}, 2, 1.5f, 0, 1, 1, 1, std::nullopt};
    const RectDraw over_a{{14, 10, 20, 16}, {1.0f, 0.25f, 0.9f, 0.5f}, Blend::none};  // r, b > a
    BlurCache cache;
    for (int frame = 0; frame < 2; frame++) {
        const uint64_t passes = renderer().stats().render_passes;
        auto f = renderer().begin(*s.tex);
        ASSERT_TRUE(f) << f.error().message;
        const TextureDraw d = nearest_draw(bg, {0, 0, 64, 48}, Transform::normal);  // x4
        ASSERT_TRUE(f->draw_texture(d));
        ASSERT_TRUE(f->draw_rect(over_a));
        ASSERT_TRUE(f->draw_backdrop_blur(b, cache));
        ASSERT_TRUE(f->submit());
        EXPECT_EQ(renderer().stats().render_passes - passes, frame == 0 ? 2u + 2 * b.passes : 1u) << "frame " << frame;

        ref::Image want(64, 48);
        ref::draw_texture(want, bg.img, {}, d.dst, d.transform, 1, d.filter, Blend::none, std::nullopt);
        ref::draw_rect(want, over_a.box, px(over_a.color), Blend::none, std::nullopt);
        const ref::Image blurred = kawase(want, b.passes, b.radius);
        over(want, b.box, b.clip,
             [&](int x, int y) { return scale(adjust(blurred.at(x, y), b, x, y), coverage(x, y, b.box, b.corners)); });
        // +-2 as BlurRegion (each level rounded on both sides, no adjustment gain).
        EXPECT_TRUE(images_match(read_back(*s.tex), want, 2)) << "frame " << frame;
    }
}

// ---- user WGSL effects ----

std::shared_ptr<Effect> user_effect() {
    static auto e = [] {
        auto c = renderer().create_effect(kUserWgsl, "test effect");
        if (!c) throw std::runtime_error(c.error().message);
        return *c;
    }();
    return e;
}

TEST_F(Effects, UserEffectOnOneTextureDraw) {
    std::mt19937 rng(76);
    auto src = random_texture(rng, 11, 7, ref::Layout::argb8888);
    auto t = target(rng);
    const EffectParams p = random_params(rng);
    TextureDraw d = nearest_draw(src, {9, 6, 14, 22}, Transform::rotate_90);  // 7x11 after rotate_90, x2
    d.alpha = 0.7f;
    const CornerRadii c{5, 0, 3, 0};
    ASSERT_TRUE(t.frame.draw_texture_effect(d, *user_effect(), p, c));
    ASSERT_TRUE(t.frame.submit());

    ref::Image want = t.s.img;
    over(want, d.dst, std::nullopt, [&](int x, int y) {
        TextureDraw opaque = d;
        opaque.alpha = 1;
        const ref::Px e = user_ref(texture_sample(src.img, opaque, x, y), x + 0.5, y + 0.5, p);
        return scale(e, d.alpha * coverage(x, y, d.dst, c));
    });
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 1));
}

TEST_F(Effects, UserEffectAsPostProcessInsideAClip) {
    std::mt19937 rng(77);
    auto src = random_texture(rng, 9, 8, ref::Layout::argb8888);
    auto t = target(rng);
    const EffectParams p = random_params(rng);
    const TextureDraw d = nearest_draw(src, {5, 7, 16, 18}, Transform::flipped_270);  // 8x9 after flipped_270, x2
    const Box region[] = {{0, 0, 30, 20}, {10, 30, 50, 20}};
    const Color after = random_color(rng);
    ASSERT_TRUE(t.frame.draw_texture(d));
    ASSERT_TRUE(t.frame.apply_effect(*user_effect(), p, Clip(region)));
    ASSERT_TRUE(t.frame.draw_rect({{40, 2, 20, 10}, after}));  // drawn after: not post-processed
    ASSERT_TRUE(t.frame.submit());

    ref::Image want = t.s.img;
    ref::draw_texture(want, src.img, {}, d.dst, d.transform, 1, d.filter, Blend::premultiplied, std::nullopt);
    ref::Image before = want;
    for (int y = 0; y < want.h; y++)
        for (int x = 0; x < want.w; x++)
            if (ref::in_clip(Clip(region), x, y)) want.at(x, y) = user_ref(before.at(x, y), x + 0.5, y + 0.5, p);
    ref::quantise(want);
    ref::draw_rect(want, {40, 2, 20, 10}, px(after), Blend::premultiplied, std::nullopt);
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 1));
}

TEST_F(Effects, PostProcessAndBlurReuseTheirPooledTextures) {
    std::mt19937 rng(78);
    auto s = random_texture(rng, 40, 30, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    uint64_t textures = 0, pipelines = 0;
    for (int i = 0; i < 3; i++) {
        auto f = renderer().begin(*s.tex);
        ASSERT_TRUE(f);
        f->clear({0.1f, 0.2f, 0.3f, 1.0f});
        ASSERT_TRUE(f->apply_effect(*user_effect(), random_params(rng)));
        ASSERT_TRUE(f->draw_backdrop_blur({{4, 4, 30, 20}, CornerRadii::all(4), 3, 1.5f, 0.1f, 1, 1, 1, std::nullopt}));
        ASSERT_TRUE(f->submit());
        if (i == 0) {
            textures = renderer().stats().textures_created;
            pipelines = renderer().stats().pipelines_created;
        }
    }
    EXPECT_EQ(renderer().stats().textures_created, textures) << "an intermediate texture was created per frame";
    EXPECT_EQ(renderer().stats().pipelines_created, pipelines);
}

// The ```wgsl blocks of docs/effects.md: the signature line and every example.
std::vector<std::string> docs_wgsl() {
    std::ifstream in(WLGPU_DOCS_DIR "/effects.md");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string md = ss.str(), open = "```wgsl\n", close = "```";
    std::vector<std::string> blocks;
    for (size_t at = md.find(open); at != std::string::npos; at = md.find(open, at)) {
        at += open.size();
        const size_t end = md.find(close, at);
        blocks.push_back(md.substr(at, end - at));
        at = end;
    }
    return blocks;
}

// Every example in the docs compiles, and the first one (grayscale, Rec. 709 luma) does what
// the docs say over a whole frame.
TEST_F(Effects, DocsExamplesCompileAndGrayscaleMatches) {
    const auto blocks = docs_wgsl();
    ASSERT_GE(blocks.size(), 5u) << "docs/effects.md lost its examples";
    std::vector<std::shared_ptr<Effect>> fx;
    for (size_t i = 1; i < blocks.size(); i++) {  // block 0 is the bare signature
        auto e = renderer().create_effect(blocks[i], std::format("docs example {}", i));
        ASSERT_TRUE(e) << e.error().message;
        fx.push_back(*e);
    }
    std::mt19937 rng(92);
    auto t = target(rng, 24, 16);
    ASSERT_TRUE(t.frame.apply_effect(*fx[0], {}));
    ASSERT_TRUE(t.frame.submit());
    ref::Image want = t.s.img;
    for (auto& p : want.px) {
        const float l = 0.2126f * p.r + 0.7152f * p.g + 0.0722f * p.b;
        p = {l, l, l, p.a};
    }
    ref::quantise(want);
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 1));
}

TEST_F(Effects, InvalidWgslIsAnErrorWithLineAndColumnAndTheDeviceLives) {
    const char* bad = "fn effect(texel: vec4f, pos: vec2f, user: array<vec4f, 8>, time: f32) -> vec4f {\n"
                      "    let x = texel.r +;\n"
                      "    return texel;\n"
                      "}\n";
    auto e = renderer().create_effect(bad, "broken.wgsl");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, Errc::invalid_argument);
    EXPECT_NE(e.error().message.find(":2:"), std::string::npos) << e.error().message;
    EXPECT_NE(e.error().message.find("broken.wgsl"), std::string::npos) << e.error().message;
    // A wrong signature is caught at creation too.
    auto sig = renderer().create_effect("fn effect(texel: vec4f) -> vec4f { return texel; }", "signature.wgsl");
    ASSERT_FALSE(sig);
    EXPECT_FALSE(gpu().lost());

    // The renderer still draws.
    std::mt19937 rng(79);
    auto t = target(rng, 16, 16);
    const Color c = random_color(rng);
    ASSERT_TRUE(t.frame.draw_shape({{2, 2, 10, 10}, {}, Fill::solid(c)}));
    ASSERT_TRUE(t.frame.submit());
    ref::Image want = t.s.img;
    ref::draw_rect(want, {2, 2, 10, 10}, px(c), Blend::premultiplied, std::nullopt);
    EXPECT_TRUE(images_match(read_back(*t.s.tex), want, 1));
}

}  // namespace
