// wlgpu/wlr_scene_effects.h on a real wlr_scene and a headless output (wlroots 0.20): the
// blur's damage (an incremental frame, buffer reused, equals a full redraw of the same scene
// when what lies under a blur changes next to a rect drawn above it), and the refusals. The
// pixels of corners and shadows against their CPU references, and moving windows, are
// tests/e2e/scene_effects.py's (real clients).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>

#include <pixman.h>
#include <wayland-server-core.h>

extern "C" {
#define static
#include <wlr/backend.h>
#include <wlr/backend/headless.h>
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/pixman.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_damage_ring.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>
#undef static
}

#include "render/effects_reference.hpp"
#include "support/wlr_buffers.hpp"
#include "wlgpu/wlr.h"
#include "wlgpu/wlr_scene_effects.h"

using namespace wlgpu::test;

namespace {

constexpr int kW = 160, kH = 120;

struct Scene {
    wl_display* display = wl_display_create();
    wlr_backend* backend = wlr_headless_backend_create(wl_display_get_event_loop(display));
    wlr_renderer* renderer = wlgpu_renderer_create(backend);
    wlr_allocator* allocator = renderer ? wlgpu_allocator_autocreate(backend, renderer) : nullptr;
    wlr_output* output = nullptr;
    wlr_scene* scene = wlr_scene_create();
    wlr_scene_output* scene_output = nullptr;

    bool start() {
        if (!renderer || !allocator || !wlr_backend_start(backend)) return false;
        output = wlr_headless_add_output(backend, kW, kH);
        if (!output || !wlr_output_init_render(output, allocator, renderer)) return false;
        wlr_output_state s;
        wlr_output_state_init(&s);
        wlr_output_state_set_enabled(&s, true);
        const bool ok = wlr_output_commit_state(output, &s);
        wlr_output_state_finish(&s);
        scene_output = wlr_scene_output_create(scene, output);
        return ok && scene_output;
    }
    // One frame through the helper; the pixels of its buffer (read before the commit).
    ref::Image frame(wlgpu_scene_effects* fx, int* damage_px = nullptr) {
        wlr_output_state s;
        wlr_output_state_init(&s);
        ref::Image img;
        if (wlgpu_scene_output_build_state(fx, scene_output, &s, nullptr) && (s.committed & WLR_OUTPUT_STATE_BUFFER)) {
            img = read_buffer(s.buffer);
            if (damage_px) {
                *damage_px = 0;
                int n = 0;
                const pixman_box32_t* b = pixman_region32_rectangles(&s.damage, &n);
                for (int i = 0; i < n; i++) *damage_px += (b[i].x2 - b[i].x1) * (b[i].y2 - b[i].y1);
            }
            wlr_output_commit_state(output, &s);
        }
        wlr_output_state_finish(&s);
        return img;
    }
    ~Scene() {
        wlr_scene_node_destroy(&scene->tree.node);
        wlr_backend_destroy(backend);  // the output and its scene output
        if (allocator) wlr_allocator_destroy(allocator);
        if (renderer) wlr_renderer_destroy(renderer);
        wl_display_destroy(display);
    }
};

int worst_difference(const ref::Image& a, const ref::Image& b, int* over) {
    int worst = 0;
    *over = 0;
    for (size_t i = 0; i < a.px.size(); i++) {
        const auto d = [](float x, float y) { return std::abs(int(std::lround(x * 255)) - int(std::lround(y * 255))); };
        const int m = std::max({d(a.px[i].r, b.px[i].r), d(a.px[i].g, b.px[i].g), d(a.px[i].b, b.px[i].b)});
        worst = std::max(worst, m);
        if (m > 1) (*over)++;
    }
    return worst;
}

wlr_scene_rect* rect(wlr_scene_tree* parent, int x, int y, int w, int h, float r, float g, float b) {
    const float c[4] = {r, g, b, 1};
    wlr_scene_rect* n = wlr_scene_rect_create(parent, w, h, c);
    wlr_scene_node_set_position(&n->node, x, y);
    return n;
}

// A started scene with its effects helper over a flat background of colour bg.
struct FlatScene : Scene {
    wlgpu_scene_effects* fx = nullptr;
    float bg[3] = {};
    bool start_flat(float r, float g, float b) {
        bg[0] = r, bg[1] = g, bg[2] = b;
        if (!start() || !(fx = wlgpu_scene_effects_create(renderer))) return false;
        rect(&scene->tree, 0, 0, kW, kH, r, g, b);
        return true;
    }
    // The CPU reference's start: the background alone.
    ref::Image background() const {
        ref::Image img(kW, kH);
        for (auto& p : img.px) p = {bg[0], bg[1], bg[2], 1};
        return img;
    }
    ~FlatScene() { wlgpu_scene_effects_destroy(fx); }
};

}  // namespace

// Under a blur (box 40,20 80x60, 2 passes: reach 11 px) a small rect changes colour; right of
// the box, within the reach, a rect lies above the blur. The incremental frame must equal a
// full redraw: the blur's pixels near that rect read what lies under it, never last frame's
// finished picture (which has the rect). wlroots alone damages only the small rect.
TEST(SceneEffects, BlurDamageCoversWhatTheBlurReads) {
    Scene s;
    ASSERT_TRUE(s.start());
    wlgpu_scene_effects* fx = wlgpu_scene_effects_create(s.renderer);
    ASSERT_NE(fx, nullptr);
    rect(&s.scene->tree, 0, 0, kW, kH, 0.2f, 0.25f, 0.3f);
    for (int i = 0; i < 8; i++) rect(&s.scene->tree, 8 + i * 18, 8 + (i % 3) * 30, 9, 70, 0.9f, 0.6f - i * 0.05f, 0.1f);
    wlr_scene_rect* under = rect(&s.scene->tree, 95, 45, 20, 20, 0.1f, 0.8f, 0.3f);
    wlgpu_scene_blur_options bo{};
    bo.box = {40, 20, 80, 60};
    bo.corner_radius = 6;
    wlgpu_backdrop_blur_options_init(&bo.blur);
    bo.blur.passes = 2;
    ASSERT_NE(wlgpu_scene_blur_create(fx, &s.scene->tree, &bo), nullptr);
    rect(&s.scene->tree, 122, 25, 12, 50, 1, 1, 1);  // above the blur, within its reach

    for (int i = 0; i < 4; i++) ASSERT_FALSE(s.frame(fx).px.empty());  // every buffer of the swapchain drawn
    const float c[4] = {0.9f, 0.1f, 0.7f, 1};
    wlr_scene_rect_set_color(under, c);
    int damage = 0;
    const ref::Image incremental = s.frame(fx, &damage);
    ASSERT_FALSE(incremental.px.empty());
    EXPECT_GT(damage, 0);
    EXPECT_LT(damage, kW * kH) << "not an incremental frame";
    wlr_damage_ring_add_whole(&s.scene_output->damage_ring);
    const ref::Image full = s.frame(fx);
    int over = 0;
    const int worst = worst_difference(incremental, full, &over);
    EXPECT_EQ(over, 0) << "incremental vs full: " << over << " pixels over 1 level, worst " << worst
                       << " (damage " << damage << " px)";
    wlgpu_scene_effects_destroy(fx);
}

// A buffer node (random opaque texels) with a different radius on each corner, over a flat
// background, against the CPU reference: each corner cut by its own circle, anti-aliased
// (coverage of the pixel centre's distance, tests/render/effects_reference.hpp). +-1 level.
TEST(SceneEffects, BufferNodeWithPerCornerRadii) {
    FlatScene s;
    ASSERT_TRUE(s.start_flat(0.2f, 0.25f, 0.3f));
    const wlgpu::Box box{30, 25, 60, 40};
    wlr_buffer* buf = make_xrgb_buffer(s.allocator, box.width, box.height);
    ASSERT_NE(buf, nullptr);
    ref::Image texels(box.width, box.height);
    {
        void* data = nullptr;
        uint32_t fmt = 0;
        size_t stride = 0;
        ASSERT_TRUE(wlr_buffer_begin_data_ptr_access(buf, WLR_BUFFER_DATA_PTR_ACCESS_WRITE, &data, &fmt, &stride));
        std::mt19937 rng(7);
        for (int y = 0; y < box.height; y++)
            for (int x = 0; x < box.width; x++) {
                const uint32_t v = rng() | 0xff000000u;  // XRGB8888: B, G, R, X in memory
                std::memcpy(static_cast<uint8_t*>(data) + size_t(y) * stride + size_t(x) * 4, &v, 4);
                texels.at(x, y) = {float((v >> 16) & 0xff) / 255, float((v >> 8) & 0xff) / 255, float(v & 0xff) / 255, 1};
            }
        wlr_buffer_end_data_ptr_access(buf);
    }
    wlr_scene_buffer* node = wlr_scene_buffer_create(&s.scene->tree, buf);
    wlr_buffer_drop(buf);
    ASSERT_NE(node, nullptr);
    wlr_scene_node_set_position(&node->node, box.x, box.y);
    const wlgpu_corner_radii radii{14, 3, 9, 0};
    ASSERT_TRUE(wlgpu_scene_buffer_set_corner_radii(s.fx, node, &radii));
    const ref::Image got = s.frame(s.fx);
    ASSERT_FALSE(got.px.empty());

    ref::Image want = s.background();
    const wlgpu::CornerRadii c{radii.top_left, radii.top_right, radii.bottom_right, radii.bottom_left};
    fxref::over(want, box, std::nullopt, [&](int x, int y) {
        return fxref::scale(texels.at(x - box.x, y - box.y), fxref::coverage(x, y, box, c));
    });
    int over = 0;
    const int worst = worst_difference(got, want, &over);
    EXPECT_EQ(over, 0) << over << " pixels over 1 level, worst " << worst;
    const wlgpu_corner_radii bad{1, -1, 0, 0};
    EXPECT_FALSE(wlgpu_scene_buffer_set_corner_radii(s.fx, node, &bad));
}

// A shadow node with a radius per corner (corner_radius, which they replace, set to something
// else): the Gaussian of that rounded box, not drawn inside it (the window), against the CPU
// reference. +-2 levels as tests/render's shadows (the shader's erf and 24-row integral).
TEST(SceneEffects, ShadowNodeWithPerCornerRadii) {
    FlatScene s;
    ASSERT_TRUE(s.start_flat(0.7f, 0.6f, 0.5f));
    wlgpu_scene_shadow_options so{};
    so.box = {40, 30, 70, 50};
    so.corner_radius = 4;
    so.corners = {12, 2, 7, 0};
    so.color = {0.05f, 0.1f, 0.0f, 0.6f};
    so.sigma = 4;
    ASSERT_NE(wlgpu_scene_shadow_create(s.fx, &s.scene->tree, &so), nullptr);
    const ref::Image got = s.frame(s.fx);
    ASSERT_FALSE(got.px.empty());

    ref::Image want = s.background();
    const wlgpu::Box box{so.box.x, so.box.y, so.box.width, so.box.height};
    const wlgpu::CornerRadii c{12, 2, 7, 0};
    const auto cov = fxref::reference_shadow(kW, kH, box, c, so.sigma);
    const ref::Px col{so.color.r, so.color.g, so.color.b, so.color.a};
    fxref::over(want, {0, 0, kW, kH}, std::nullopt, [&](int x, int y) {
        const float outside = float(std::clamp(0.5 + fxref::rounded_distance(x + 0.5, y + 0.5, box, c), 0.0, 1.0));
        return fxref::scale(col, float(cov[size_t(y) * kW + x]) * outside);
    });
    int over = 0;
    const int worst = worst_difference(got, want, &over);
    EXPECT_LE(worst, 2) << over << " pixels over 1 level";
}

TEST(SceneEffects, Refusals) {
    Scene s;
    ASSERT_TRUE(s.start());
    wlr_renderer* pixman = wlr_pixman_renderer_create();
    EXPECT_EQ(wlgpu_scene_effects_create(pixman), nullptr);
    wlr_renderer_destroy(pixman);
    wlgpu_scene_effects* fx = wlgpu_scene_effects_create(s.renderer);
    ASSERT_NE(fx, nullptr);
    EXPECT_EQ(wlgpu_scene_effects_create(s.renderer), nullptr) << "one per renderer";
    // A background: alone on a headless output an effect node would be taken for direct
    // scan-out (docs/effects.md, limits).
    rect(&s.scene->tree, 0, 0, kW, kH, 0.2f, 0.25f, 0.3f);

    wlgpu_scene_shadow_options so{};
    so.box = {0, 0, 10, 10};
    so.sigma = -1;
    EXPECT_EQ(wlgpu_scene_shadow_create(fx, &s.scene->tree, &so), nullptr);
    so.sigma = 2;
    so.box.width = 0;
    EXPECT_EQ(wlgpu_scene_shadow_create(fx, &s.scene->tree, &so), nullptr);
    so.box.width = 10;
    wlgpu_scene_effect* shadow = wlgpu_scene_shadow_create(fx, &s.scene->tree, &so);
    ASSERT_NE(shadow, nullptr);
    wlgpu_scene_blur_options bo{};
    bo.box = {0, 0, 10, 10};
    wlgpu_backdrop_blur_options_init(&bo.blur);
    bo.blur.passes = 9;
    EXPECT_EQ(wlgpu_scene_blur_create(fx, &s.scene->tree, &bo), nullptr);
    EXPECT_FALSE(wlgpu_scene_blur_update(shadow, &bo)) << "a shadow is not a blur";
    EXPECT_FALSE(wlgpu_scene_buffer_set_corner_radius(fx, nullptr, 4));
    EXPECT_FALSE(wlgpu_scene_output_set_effect(fx, nullptr, nullptr, nullptr));
    // The shadow node outlives the helper (destroyed with the scene): it then draws nothing.
    wlgpu_scene_effects_destroy(fx);
    EXPECT_FALSE(s.frame(nullptr).px.empty());
}
