// Memory (shm allocator) buffers through wlroots' API, read from the transfer counters:
//   - render targets: a pass reads back the region it drew (the union of its boxes, not their
//     bounding box), through the staging buffer by default (the shm allocator's fd is not sealed
//     against shrinking) and straight from the GPU once the compositor trusts its target memory
//     (wlgpu_renderer_set_trust_target_memory); the buffer's pixels are compared with a CPU
//     reference of the same rects each time;
//   - textures: wlr_texture_update_from_buffer with no damage (a re-commit of an unchanged
//     buffer) copies nothing, with a 64x64 damage of a 1920x1080 buffer copies 64x64 pixels.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include <drm_fourcc.h>
#include <pixman.h>
#include <wayland-server-core.h>

extern "C" {
#define static
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/pass.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>
#undef static
struct wlr_allocator* wlr_shm_allocator_create(void);
}

#include "wlgpu/bridge.hpp"
#include "wlgpu/wlr.h"
#include "wlgpu/wlr.hpp"
#include "support/wlr_buffers.hpp"

namespace {

struct Rect {
    int x, y, w, h;
    uint8_t r, g, b;  // opaque colour, exact in 8 bits
};

bool draw(wlr_renderer* r, wlr_buffer* b, const std::vector<Rect>& rects) {
    wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(r, b, nullptr);
    if (!pass) return false;
    for (const Rect& x : rects) {
        wlr_render_rect_options o{};
        o.box = {x.x, x.y, x.w, x.h};
        o.color = {x.r / 255.0f, x.g / 255.0f, x.b / 255.0f, 1.0f};
        o.blend_mode = WLR_RENDER_BLEND_MODE_NONE;
        wlr_render_pass_add_rect(pass, &o);
    }
    return wlr_render_pass_submit(pass);
}

// Wrong pixels of the buffer against the rects painted in order on the CPU (XRGB8888: B G R X).
size_t wrong_pixels(wlr_buffer* b, const std::vector<Rect>& painted) {
    void* data = nullptr;
    uint32_t fmt = 0;
    size_t stride = 0;
    if (!wlr_buffer_begin_data_ptr_access(b, WLR_BUFFER_DATA_PTR_ACCESS_READ, &data, &fmt, &stride)) return SIZE_MAX;
    size_t bad = 0;
    for (int y = 0; y < b->height; y++)
        for (int x = 0; x < b->width; x++) {
            const Rect* top = nullptr;
            for (const Rect& r : painted)
                if (x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h) top = &r;
            const uint8_t* p = static_cast<const uint8_t*>(data) + size_t(y) * stride + size_t(x) * 4;
            bad += !top || p[0] != top->b || p[1] != top->g || p[2] != top->r;
        }
    wlr_buffer_end_data_ptr_access(b);
    return bad;
}

TEST(WlrReadback, PassReadsBackItsDrawnRegionStagedOrStraightFromTheGpu) {
    wlr_log_init(WLR_ERROR, nullptr);
    wlr_renderer* r = wlgpu_renderer_create(nullptr);
    ASSERT_NE(r, nullptr);
    wlgpu::Bridge* bridge = wlgpu::wlr::bridge(r);
    ASSERT_NE(bridge, nullptr);
    wlr_allocator* alloc = wlr_shm_allocator_create();
    ASSERT_NE(alloc, nullptr);
    const int w = 320, h = 200;  // rows of 1280 bytes: a multiple of 256, importable

    for (bool trusted : {false, true}) {
        SCOPED_TRACE(trusted ? "trusted target memory" : "default");
        wlgpu_renderer_set_trust_target_memory(r, trusted);
        wlr_buffer* b = wlgpu::test::make_xrgb_buffer(alloc, w, h);
        ASSERT_NE(b, nullptr);
        const Rect background{0, 0, w, h, 17, 34, 51};
        ASSERT_TRUE(draw(r, b, {background}));
        // Two rects far apart: their union is 40*30 + 20*50 pixels, their bounding box 280x170.
        const std::vector<Rect> rects = {{10, 10, 40, 30, 200, 100, 50}, {270, 150, 20, 50, 5, 250, 128}};
        const wlgpu::TransferStats s0 = bridge->transfers();
        ASSERT_TRUE(draw(r, b, rects));
        const wlgpu::TransferStats& s1 = bridge->transfers();
        EXPECT_EQ(s1.readback_pixels - s0.readback_pixels, 40u * 30 + 20 * 50) << "the region, not its bounding box";
        EXPECT_EQ(s1.readback_copies - s0.readback_copies, 2u);
        const bool direct = trusted && bridge->caps().host_mapped_pointer;
        EXPECT_EQ(s1.readback_host_mapped - s0.readback_host_mapped, direct ? 2u : 0u);
        EXPECT_EQ(s1.readback_staged - s0.readback_staged, direct ? 0u : 2u);
        if (bridge->identity().type == WGPUAdapterType_CPU) {
            EXPECT_TRUE(bridge->caps().host_mapped_pointer) << "lavapipe has HostMappedPointer";
        }
        std::vector<Rect> painted = {background};
        painted.insert(painted.end(), rects.begin(), rects.end());
        EXPECT_EQ(wrong_pixels(b, painted), 0u);
        EXPECT_NE(std::string(wlgpu_renderer_get_transfer_stats(r)).find("read-backs copies="), std::string::npos);
        wlr_buffer_drop(b);
    }
    wlr_allocator_destroy(alloc);
    wlr_renderer_destroy(r);
}

TEST(WlrReadback, TextureUpdateCopiesOnlyTheDamage) {
    wlr_log_init(WLR_ERROR, nullptr);
    wlr_renderer* r = wlgpu_renderer_create(nullptr);
    ASSERT_NE(r, nullptr);
    wlgpu::Bridge* bridge = wlgpu::wlr::bridge(r);
    wlr_allocator* alloc = wlr_shm_allocator_create();
    ASSERT_NE(alloc, nullptr);
    wlr_buffer* b = wlgpu::test::make_xrgb_buffer(alloc, 1920, 1080);
    ASSERT_NE(b, nullptr);
    wlgpu::TransferStats s0 = bridge->transfers();
    wlr_texture* t = wlr_texture_from_buffer(r, b);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(bridge->transfers().upload_pixels - s0.upload_pixels, 1920u * 1080) << "the first upload is whole";

    pixman_region32_t damage;
    pixman_region32_init(&damage);
    s0 = bridge->transfers();
    EXPECT_TRUE(wlr_texture_update_from_buffer(t, b, &damage));  // re-commit, nothing changed
    EXPECT_EQ(bridge->transfers().upload_copies - s0.upload_copies, 0u);
    EXPECT_EQ(bridge->transfers().upload_pixels - s0.upload_pixels, 0u);

    pixman_region32_union_rect(&damage, &damage, 700, 500, 64, 64);
    s0 = bridge->transfers();
    EXPECT_TRUE(wlr_texture_update_from_buffer(t, b, &damage));
    EXPECT_EQ(bridge->transfers().upload_copies - s0.upload_copies, 1u);
    EXPECT_EQ(bridge->transfers().upload_pixels - s0.upload_pixels, 64u * 64);
    pixman_region32_fini(&damage);

    wlr_texture_destroy(t);
    wlr_buffer_drop(b);
    wlr_allocator_destroy(alloc);
    wlr_renderer_destroy(r);
}

}  // namespace
