// Device loss through wlroots' API: after the GPU device is lost, the wlgpu wlr_renderer emits
// events.lost once, so the compositor can re-create its renderer, and refuses new work cleanly.
// The loss is real Dawn device loss (wgpuDeviceForceLoss), on lavapipe or any other adapter.
#include <gtest/gtest.h>

#include <vector>

#include <drm_fourcc.h>
#include <wayland-server-core.h>

extern "C" {
#define static
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/util/log.h>
#undef static
}

#include "wlgpu/wlr.h"
#include "wlgpu/wlr.hpp"

namespace {

struct LostListener {
    wl_listener listener{};  // first member: the listener's address is the struct's
    int count = 0;
};

TEST(WlrDeviceLoss, EmitsLostOnceAndRefusesNewWork) {
    wlr_log_init(WLR_ERROR, nullptr);
    wlr_renderer* r = wlgpu_renderer_create(nullptr);
    ASSERT_NE(r, nullptr);
    LostListener lost;
    lost.listener.notify = [](wl_listener* l, void*) { reinterpret_cast<LostListener*>(l)->count++; };
    wl_signal_add(&r->events.lost, &lost.listener);

    std::vector<uint32_t> px(16 * 16, 0x80402010u);
    wlr_texture* before = wlr_texture_from_pixels(r, DRM_FORMAT_ARGB8888, 16 * 4, 16, 16, px.data());
    ASSERT_NE(before, nullptr) << "a texture can be made while the device is alive";
    EXPECT_EQ(lost.count, 0);

    wlgpu::Bridge* b = wlgpu::wlr::bridge(r);
    ASSERT_NE(b, nullptr);
    wgpuDeviceForceLoss(b->device(), WGPUDeviceLostReason_Unknown, WGPUStringView{"test: simulated GPU reset", WGPU_STRLEN});
    b->process_events();
    EXPECT_TRUE(b->lost());

    wlr_texture* after = wlr_texture_from_pixels(r, DRM_FORMAT_ARGB8888, 16 * 4, 16, 16, px.data());
    EXPECT_EQ(after, nullptr) << "no new textures on a lost device";
    EXPECT_EQ(lost.count, 1) << "events.lost is emitted when the loss is noticed";
    EXPECT_EQ(wlr_texture_from_pixels(r, DRM_FORMAT_ARGB8888, 16 * 4, 16, 16, px.data()), nullptr);
    EXPECT_EQ(lost.count, 1) << "and only once";

    // What a compositor does next: drop everything and make a new renderer, which works.
    wlr_texture_destroy(before);
    wl_list_remove(&lost.listener.link);
    wlr_renderer_destroy(r);
    wlr_renderer* again = wlgpu_renderer_create(nullptr);
    ASSERT_NE(again, nullptr);
    wlr_texture* t = wlr_texture_from_pixels(again, DRM_FORMAT_ARGB8888, 16 * 4, 16, 16, px.data());
    EXPECT_NE(t, nullptr);
    if (t) wlr_texture_destroy(t);
    wlr_renderer_destroy(again);
}

// sway's order (sway/server.c do_renderer_recreate): the new renderer is created while the lost
// one still exists, and the old one is destroyed after, with a texture the compositor never
// destroyed (wlr_client_buffer forgets its texture on the renderer's destroy signal).
TEST(WlrDeviceLoss, NewRendererWhileTheLostOneExists) {
    wlr_log_init(WLR_ERROR, nullptr);
    wlr_renderer* old = wlgpu_renderer_create(nullptr);
    ASSERT_NE(old, nullptr);
    std::vector<uint32_t> px(16 * 16, 0x80402010u);
    wlr_texture* kept = wlr_texture_from_pixels(old, DRM_FORMAT_ARGB8888, 16 * 4, 16, 16, px.data());
    ASSERT_NE(kept, nullptr);
    wlgpu::Bridge* b = wlgpu::wlr::bridge(old);
    wgpuDeviceForceLoss(b->device(), WGPUDeviceLostReason_Unknown, WGPUStringView{"test: simulated GPU reset", WGPU_STRLEN});
    b->process_events();
    ASSERT_TRUE(b->lost());

    wlr_renderer* fresh = wlgpu_renderer_create(nullptr);
    ASSERT_NE(fresh, nullptr) << "a new renderer can be made while the lost one exists";
    wlr_renderer_destroy(old);  // destroys `kept` too, as wlroots' gles2 and vulkan renderers do
    wlr_texture* t = wlr_texture_from_pixels(fresh, DRM_FORMAT_ARGB8888, 16 * 4, 16, 16, px.data());
    EXPECT_NE(t, nullptr);
    if (t) wlr_texture_destroy(t);
    wlr_renderer_destroy(fresh);
}

}  // namespace
