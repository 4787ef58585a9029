// wlgpu/wlr_effects.h through wlroots' API: a pass begun on a memory (shm) buffer by the wlgpu
// renderer draws a shadow, a rounded texture (crop, rotate_90, scale 2), a gradient shape, a
// backdrop blur, a texture through a user effect and a post-process effect, with pixman clip
// regions, next to wlroots' own add_texture; the buffer's pixels are compared with the CPU
// references of tests/render/effects_reference.hpp (the ones the Frame's tests use). Then the
// refusals: invalid WGSL (message with line:column), a pixman pass, bad arguments.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <drm_fourcc.h>
#include <pixman.h>
#include <wayland-server-core.h>

extern "C" {
#define static
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/interface.h>
#include <wlr/render/pass.h>
#include <wlr/render/pixman.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>
#undef static
struct wlr_allocator* wlr_shm_allocator_create(void);
}

#include "render/compare.hpp"
#include "render/effects_reference.hpp"
#include "support/wlr_buffers.hpp"
#include "wlgpu/wlr.h"
#include "wlgpu/wlr_effects.h"

using namespace wlgpu;
using namespace wlgpu::test;
using namespace wlgpu::test::fxref;

namespace {

struct Pixels {
    wlr_texture* tex = nullptr;
    ref::Image img;
};

// A texture of random premultiplied content, made through wlroots' API.
Pixels random_texture(wlr_renderer* r, std::mt19937& rng, int w, int h, ref::Layout l) {
    const int stride = w * 4 + 8;
    auto bytes = ref::random_pixels(rng, w, h, stride, l);
    const uint32_t fmt = l == ref::Layout::xrgb8888 ? DRM_FORMAT_XRGB8888 : DRM_FORMAT_ARGB8888;
    return {wlr_texture_from_pixels(r, fmt, stride, w, h, bytes.data()), ref::decode(bytes, w, h, stride, l)};
}

wlr_render_color wlr_color(Color c) { return {c.r, c.g, c.b, c.a}; }
wlgpu_corner_radii c_corners(const CornerRadii& c) { return {c.top_left, c.top_right, c.bottom_right, c.bottom_left}; }

struct Region {
    pixman_region32_t r;
    std::vector<Box> boxes;
    explicit Region(std::initializer_list<Box> bs) : boxes(bs) {
        pixman_region32_init(&r);
        for (const Box& b : bs) pixman_region32_union_rect(&r, &r, b.x, b.y, b.width, b.height);
    }
    ~Region() { pixman_region32_fini(&r); }
    Clip clip() const { return Clip(boxes); }
};

wlgpu_effect_params c_params(const EffectParams& p) {
    wlgpu_effect_params c{};
    std::copy(std::begin(p.user), std::end(p.user), c.user);
    c.time = p.time;
    return c;
}

class WlrEffects : public ::testing::Test {
protected:
    void SetUp() override {
        wlr_log_init(WLR_ERROR, nullptr);
        r = wlgpu_renderer_create(nullptr);
        ASSERT_NE(r, nullptr);
        alloc = wlr_shm_allocator_create();
        ASSERT_NE(alloc, nullptr);
        buffer = make_xrgb_buffer(alloc, kW, kH);
        ASSERT_NE(buffer, nullptr);
    }
    void TearDown() override {
        if (buffer) wlr_buffer_drop(buffer);
        if (alloc) wlr_allocator_destroy(alloc);
        if (r) wlr_renderer_destroy(r);
    }
    // A random texture, destroyed by end().
    Pixels texture(std::mt19937& rng, int w, int h, ref::Layout l) {
        Pixels t = random_texture(r, rng, w, h, l);
        EXPECT_NE(t.tex, nullptr);
        if (t.tex) textures.push_back(t.tex);
        return t;
    }
    // Begins a pass whose first draw is an opaque random background (wlroots' add_texture).
    wlr_render_pass* begin(std::mt19937& rng, ref::Image& want) {
        Pixels bg = texture(rng, kW, kH, ref::Layout::xrgb8888);
        wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(r, buffer, nullptr);
        EXPECT_NE(pass, nullptr);
        wlr_render_texture_options o{};
        o.texture = bg.tex;
        o.blend_mode = WLR_RENDER_BLEND_MODE_NONE;
        o.filter_mode = WLR_SCALE_FILTER_NEAREST;
        wlr_render_pass_add_texture(pass, &o);
        want = bg.img;
        return pass;
    }
    void end() {
        for (wlr_texture* t : textures) wlr_texture_destroy(t);
        textures.clear();
    }
    static constexpr int kW = 64, kH = 48;  // rows of 256 bytes
    wlr_renderer* r = nullptr;
    wlr_allocator* alloc = nullptr;
    wlr_buffer* buffer = nullptr;
    std::vector<wlr_texture*> textures;
};

// Shadow (clipped), rounded texture (crop, rotate_90, scale 2, alpha), linear gradient shape.
TEST_F(WlrEffects, ShadowRoundedTextureAndGradientMatchTheReference) {
    std::mt19937 rng(131);
    ref::Image want;
    wlr_render_pass* pass = begin(rng, want);
    ASSERT_NE(pass, nullptr);
    const Pixels src = texture(rng, 13, 9, ref::Layout::argb8888);
    ASSERT_NE(src.tex, nullptr);

    const Box win{14, 10, 30, 22};
    const CornerRadii wc{8, 3, 0, 10};
    const Color shadow = random_color(rng);
    const Region shadow_clip{{0, 0, 64, 20}, {0, 24, 40, 24}};
    wlgpu_shadow_options so{};
    so.box = {win.x, win.y, win.width, win.height};
    so.corners = c_corners(wc);
    so.color = wlr_color(shadow);
    so.sigma = 3.0f;
    so.clip = &shadow_clip.r;
    ASSERT_TRUE(wlgpu_render_pass_add_shadow(pass, &so));

    TextureDraw d;  // the reference's view of the rounded texture draw
    d.src = {2, 1, 10, 7};
    d.dst = {36, 6, 14, 20};  // 7x10 after rotate_90, x2
    d.transform = Transform::rotate_90;
    d.filter = Filter::nearest;
    d.alpha = 0.8f;
    const CornerRadii tc{6, 2, 0, 4.5f};
    wlgpu_rounded_texture_options to{};
    to.base.texture = src.tex;
    to.base.src_box = {d.src.x, d.src.y, d.src.width, d.src.height};
    to.base.dst_box = {d.dst.x, d.dst.y, d.dst.width, d.dst.height};
    to.base.transform = WL_OUTPUT_TRANSFORM_90;
    to.base.filter_mode = WLR_SCALE_FILTER_NEAREST;
    to.base.alpha = &d.alpha;
    to.corners = c_corners(tc);
    ASSERT_TRUE(wlgpu_render_pass_add_rounded_texture(pass, &to));

    const Box sbox{4, 28, 40, 16};
    const CornerRadii sc = CornerRadii::all(5);
    const Color from = random_color(rng), to_c = random_color(rng);
    wlgpu_shape_options sh{};
    sh.box = {sbox.x, sbox.y, sbox.width, sbox.height};
    sh.corners = c_corners(sc);
    sh.fill = {WLGPU_FILL_LINEAR, wlr_color(from), wlr_color(to_c), 4.5f, 28.5f, 44.0f, 43.0f, 0};
    ASSERT_TRUE(wlgpu_render_pass_add_shape(pass, &sh));
    ASSERT_TRUE(wlr_render_pass_submit(pass));
    end();

    const auto cov = reference_shadow(want.w, want.h, win, wc, so.sigma);
    over(want, {win.x - 9, win.y - 9, win.width + 18, win.height + 18}, shadow_clip.clip(),
         [&](int x, int y) { return scale(px(shadow), float(cov[size_t(y) * want.w + x])); });
    over(want, d.dst, std::nullopt,
         [&](int x, int y) { return scale(texture_sample(src.img, d, x, y), coverage(x, y, d.dst, tc)); });
    over(want, sbox, std::nullopt, [&](int x, int y) {
        const double dx = 44.0 - 4.5, dy = 43.0 - 28.5;
        const double k = ((x + 0.5 - 4.5) * dx + (y + 0.5 - 28.5) * dy) / (dx * dx + dy * dy);
        return scale(lerp(px(from), px(to_c), std::clamp(k, 0.0, 1.0)), coverage(x, y, sbox, sc));
    });
    // +-2: translucent draws over one another (tests/render/test_effects.cpp's tolerances).
    EXPECT_TRUE(images_match(read_buffer(buffer), want, 2));
}

// Backdrop blur (rounded, clipped), a texture through a user effect, then a clipped post-process.
TEST_F(WlrEffects, BlurUserEffectAndPostProcessMatchTheReference) {
    std::mt19937 rng(132);
    char* error = nullptr;
    wlgpu_effect* fx = wlgpu_effect_create(r, kUserWgsl, &error);
    ASSERT_NE(fx, nullptr) << (error ? error : "");
    ref::Image want;
    wlr_render_pass* pass = begin(rng, want);
    ASSERT_NE(pass, nullptr);
    const Pixels src = texture(rng, 11, 7, ref::Layout::argb8888);
    ASSERT_NE(src.tex, nullptr);

    BlurDraw b{{6, 5, 44, 34}, {10, 0, 4, 7}, 2, 1.0f, 0.1f, 1.1f, 0.9f, 1.2f, std::nullopt};
    const Region blur_clip{{0, 0, 64, 30}, {0, 34, 24, 14}};
    wlgpu_backdrop_blur_options bo;
    wlgpu_backdrop_blur_options_init(&bo);
    EXPECT_EQ(bo.passes, 3u);
    bo.box = {b.box.x, b.box.y, b.box.width, b.box.height};
    bo.corners = c_corners(b.corners);
    bo.passes = b.passes;
    bo.radius = b.radius;
    bo.noise = b.noise, bo.brightness = b.brightness, bo.contrast = b.contrast, bo.saturation = b.saturation;
    bo.clip = &blur_clip.r;
    ASSERT_TRUE(wlgpu_render_pass_add_backdrop_blur(pass, &bo));

    TextureDraw d;
    d.dst = {40, 20, 14, 22};  // 7x11 after rotate_90, x2
    d.transform = Transform::rotate_90;
    d.filter = Filter::nearest;
    d.alpha = 0.7f;
    const CornerRadii tc{5, 0, 3, 0};
    const EffectParams p1 = random_params(rng), p2 = random_params(rng);
    wlgpu_texture_effect_options te{};
    te.base.texture = src.tex;
    te.base.dst_box = {d.dst.x, d.dst.y, d.dst.width, d.dst.height};
    te.base.transform = WL_OUTPUT_TRANSFORM_90;
    te.base.filter_mode = WLR_SCALE_FILTER_NEAREST;
    te.base.alpha = &d.alpha;
    te.corners = c_corners(tc);
    te.effect = fx;
    te.params = c_params(p1);
    ASSERT_TRUE(wlgpu_render_pass_add_texture_effect(pass, &te));

    const Region post{{0, 0, 30, 20}, {10, 30, 50, 12}};
    const wlgpu_effect_params cp2 = c_params(p2);
    ASSERT_TRUE(wlgpu_render_pass_apply_effect(pass, fx, &cp2, &post.r));
    ASSERT_TRUE(wlr_render_pass_submit(pass));
    end();
    wlgpu_effect_destroy(fx);

    b.clip = blur_clip.clip();
    const ref::Image blurred = kawase(want, b.passes, b.radius);
    over(want, b.box, b.clip,
         [&](int x, int y) { return scale(adjust(blurred.at(x, y), b, x, y), coverage(x, y, b.box, b.corners)); });
    over(want, d.dst, std::nullopt, [&](int x, int y) {
        TextureDraw opaque = d;
        opaque.alpha = 1;
        const ref::Px e = user_ref(texture_sample(src.img, opaque, x, y), x + 0.5, y + 0.5, p1);
        return scale(e, d.alpha * coverage(x, y, d.dst, tc));
    });
    const ref::Image before = want;
    for (int y = 0; y < want.h; y++)
        for (int x = 0; x < want.w; x++)
            if (ref::in_clip(post.clip(), x, y)) want.at(x, y) = user_ref(before.at(x, y), x + 0.5, y + 0.5, p2);
    ref::quantise(want);
    // The blur's tolerance as in test_effects.cpp: 1 + ceil(its adjustments' gain).
    const float gain = b.brightness * b.contrast * (std::abs(b.saturation) + std::abs(1 - b.saturation));
    EXPECT_TRUE(images_match(read_buffer(buffer), want, 1 + int(std::ceil(gain))));
}

// A window over its offset shadow with a hole in one draw (clipped), and a cached backdrop blur
// over three passes: kept while the background changes, computed again after invalidate.
TEST_F(WlrEffects, ShadowedTextureAndCachedBlurMatchTheReference) {
    std::mt19937 rng(133);
    wlgpu_blur_cache* cache = wlgpu_blur_cache_create();
    ASSERT_NE(cache, nullptr);
    BlurDraw b{{4, 30, 40, 16}, CornerRadii::all(4), 2, 1.0f, 0, 1, 1, 1, std::nullopt};
    wlgpu_backdrop_blur_options bo;
    wlgpu_backdrop_blur_options_init(&bo);
    bo.box = {b.box.x, b.box.y, b.box.width, b.box.height};
    bo.corners = c_corners(b.corners);
    bo.passes = b.passes;
    auto blur_over = [&](ref::Image& want, const ref::Image& under) {
        const ref::Image blurred = kawase(under, b.passes, b.radius);
        over(want, b.box, std::nullopt,
             [&](int x, int y) { return scale(blurred.at(x, y), coverage(x, y, b.box, b.corners)); });
    };

    // Pass 1: background, cached blur, the shadowed window.
    ref::Image want;
    wlr_render_pass* pass = begin(rng, want);
    ASSERT_NE(pass, nullptr);
    const Pixels src = texture(rng, 10, 12, ref::Layout::argb8888);
    ASSERT_NE(src.tex, nullptr);
    ASSERT_TRUE(wlgpu_render_pass_add_cached_backdrop_blur(pass, &bo, cache));
    TextureDraw d;
    d.dst = {20, 6, 20, 24};  // 10x12 at x2
    d.filter = Filter::nearest;
    d.alpha = 0.75f;
    const CornerRadii tc{6, 0, 4, 2};
    const Region clip{{0, 0, 64, 22}, {0, 26, 50, 22}};
    wlgpu_rounded_texture_options to{};
    to.base.texture = src.tex;
    to.base.dst_box = {d.dst.x, d.dst.y, d.dst.width, d.dst.height};
    to.base.filter_mode = WLR_SCALE_FILTER_NEAREST;
    to.base.alpha = &d.alpha;
    to.base.clip = &clip.r;
    to.corners = c_corners(tc);
    const Box sbox{24, 10, 20, 24};
    const CornerRadii sc = CornerRadii::all(5);
    const Color shadow = random_color(rng);
    wlgpu_shadow_options so{};
    so.box = {sbox.x, sbox.y, sbox.width, sbox.height};
    so.corners = c_corners(sc);
    so.color = wlr_color(shadow);
    so.sigma = 2.5f;
    so.hole = {{28, 14, 6, 6}, {2, 2, 2, 2}};
    so.clip = &clip.r;
    EXPECT_FALSE(wlgpu_render_pass_add_shadowed_texture(pass, &to, &so)) << "a shadow clip is refused";
    so.clip = nullptr;
    ASSERT_TRUE(wlgpu_render_pass_add_shadowed_texture(pass, &to, &so));
    ASSERT_TRUE(wlr_render_pass_submit(pass));
    end();
    const ref::Image first_background = want;
    blur_over(want, first_background);
    const auto cov = reference_shadow(want.w, want.h, sbox, sc, so.sigma);
    over(want, {sbox.x - 8, sbox.y - 8, sbox.width + 16, sbox.height + 16}, clip.clip(), [&](int x, int y) {
        const double hole = std::clamp(0.5 + rounded_distance(x + 0.5, y + 0.5, {28, 14, 6, 6}, CornerRadii::all(2)), 0.0, 1.0);
        return scale(px(shadow), float(cov[size_t(y) * want.w + x] * hole));
    });
    over(want, d.dst, clip.clip(),
         [&](int x, int y) { return scale(texture_sample(src.img, d, x, y), coverage(x, y, d.dst, tc)); });
    EXPECT_TRUE(images_match(read_buffer(buffer), want, 2)) << "pass 1";

    // Pass 2: a new background, the cache not invalidated: the first background's blur.
    pass = begin(rng, want);
    ASSERT_NE(pass, nullptr);
    ASSERT_TRUE(wlgpu_render_pass_add_cached_backdrop_blur(pass, &bo, cache));
    ASSERT_TRUE(wlr_render_pass_submit(pass));
    end();
    blur_over(want, first_background);
    EXPECT_TRUE(images_match(read_buffer(buffer), want, 2)) << "pass 2: the kept blur";

    // Pass 3: invalidated: the blur of what lies under it now.
    wlgpu_blur_cache_invalidate(cache);
    pass = begin(rng, want);
    ASSERT_NE(pass, nullptr);
    ASSERT_TRUE(wlgpu_render_pass_add_cached_backdrop_blur(pass, &bo, cache));
    ASSERT_TRUE(wlr_render_pass_submit(pass));
    end();
    const ref::Image third_background = want;
    blur_over(want, third_background);
    EXPECT_TRUE(images_match(read_buffer(buffer), want, 2)) << "pass 3: blurred again";
    wlgpu_blur_cache_destroy(cache);
}

TEST_F(WlrEffects, InvalidWgslGivesTheMessageWithLineAndColumn) {
    const char* bad = "fn effect(texel: vec4f, pos: vec2f, user: array<vec4f, 8>, time: f32) -> vec4f {\n"
                      "    let x = texel.r +;\n"
                      "    return texel;\n"
                      "}\n";
    char* error = nullptr;
    EXPECT_EQ(wlgpu_effect_create(r, bad, &error), nullptr);
    ASSERT_NE(error, nullptr);
    const std::string msg = error;
    free(error);
    EXPECT_NE(msg.find(":2:"), std::string::npos) << msg;  // line 2, then its column
    EXPECT_NE(msg.find("error"), std::string::npos) << msg;
    EXPECT_EQ(wlgpu_effect_create(r, nullptr, nullptr), nullptr);
}

TEST_F(WlrEffects, RefusesForeignPassesAndBadArguments) {
    wlgpu_shape_options sh{};
    sh.box = {1, 1, 10, 10};
    sh.fill.from = {1, 0, 0, 1};
    // A pass of wlroots' pixman renderer on the same buffer.
    wlr_renderer* pixman = wlr_pixman_renderer_create();
    ASSERT_NE(pixman, nullptr);
    wlr_render_pass* foreign = wlr_renderer_begin_buffer_pass(pixman, buffer, nullptr);
    ASSERT_NE(foreign, nullptr);
    EXPECT_FALSE(wlgpu_render_pass_add_shape(foreign, &sh));
    EXPECT_TRUE(wlr_render_pass_submit(foreign));
    // Another renderer's pass with zeroed memory after it: without the check, wlgpu would take
    // it for a live WlPass (and crash on its null target).
    static const wlr_render_pass_impl other_impl = {
        .submit = [](wlr_render_pass*) { return true; },
        .add_texture = [](wlr_render_pass*, const wlr_render_texture_options*) {},
        .add_rect = [](wlr_render_pass*, const wlr_render_rect_options*) {},
    };
    struct {
        wlr_render_pass base;
        unsigned char zeros[1024];
    } other{};
    wlr_render_pass_init(&other.base, &other_impl);
    EXPECT_FALSE(wlgpu_render_pass_add_shape(&other.base, &sh));
    char* error = nullptr;
    EXPECT_EQ(wlgpu_effect_create(pixman, kUserWgsl, &error), nullptr);
    ASSERT_NE(error, nullptr);
    free(error);
    wlr_renderer_destroy(pixman);

    wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(r, buffer, nullptr);
    ASSERT_NE(pass, nullptr);
    EXPECT_FALSE(wlgpu_render_pass_add_shape(pass, nullptr));
    wlgpu_shape_options bad_fill = sh;
    bad_fill.fill.kind = wlgpu_fill_kind(3);
    EXPECT_FALSE(wlgpu_render_pass_add_shape(pass, &bad_fill));
    wlgpu_rounded_texture_options no_texture{};
    no_texture.base.dst_box = {0, 0, 4, 4};
    EXPECT_FALSE(wlgpu_render_pass_add_rounded_texture(pass, &no_texture));
    wlgpu_backdrop_blur_options blur;
    wlgpu_backdrop_blur_options_init(&blur);
    blur.box = {0, 0, 8, 8};
    blur.passes = 0;
    EXPECT_FALSE(wlgpu_render_pass_add_backdrop_blur(pass, &blur));
    wlgpu_texture_effect_options no_effect{};
    EXPECT_FALSE(wlgpu_render_pass_add_texture_effect(pass, &no_effect));
    EXPECT_FALSE(wlgpu_render_pass_apply_effect(pass, nullptr, nullptr, nullptr));
    EXPECT_TRUE(wlgpu_render_pass_add_shape(pass, &sh));  // the pass still works
    EXPECT_TRUE(wlr_render_pass_submit(pass));
    const ref::Image got = read_buffer(buffer);
    EXPECT_EQ(ref::q8(got.at(5, 5).r), 255);
    EXPECT_EQ(ref::q8(got.at(5, 5).g), 0);
}

}  // namespace
