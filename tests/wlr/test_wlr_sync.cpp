// Explicit sync in the wlroots adapter, through wlroots' own API (label guest: run in the test
// bed, where the virtio_gpu render node has timeline syncobjs and vgem gives unsignalled fences):
//   - features.timeline and the syncobj node;
//   - begin_buffer_pass with signal_timeline: the point signals after the pass, on memory (shm)
//     and DMA-BUF (udmabuf) targets, with no CPU wait in the adapter;
//   - add_texture with wait_timeline on the GPU path (forced with WLGPU_SYNC_PATH=gpu, the path
//     hardware drivers take): the frame reads what the client wrote just before the fence signalled.
// The headless backend has no DRM fd, so wlr_scene never passes signal_timeline there: this test
// is what exercises it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <drm_fourcc.h>
#include <pixman.h>
#include <sys/mman.h>
#include <wayland-server-core.h>

#include <cmath>
#include <cstdint>
#include <ctime>

extern "C" {
#define static
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/drm_syncobj.h>
#include <wlr/render/pass.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>
#undef static
struct wlr_allocator* wlr_udmabuf_allocator_create(void);
struct wlr_allocator* wlr_shm_allocator_create(void);
}

#include "common/drm_nodes.hpp"
#include "common/vgem.hpp"
#include "wlgpu/sync.hpp"
#include "wlgpu/wlr.h"
#include "wlgpu/wlr_sync.h"
#include "support/wlr_buffers.hpp"

using namespace std::chrono_literals;

namespace {

wlr_renderer* renderer() {
    static wlr_renderer* r = [] {
        setenv("WLGPU_SYNC_PATH", "gpu", 1);  // the GPU-side wait (hardware drivers' path)
        wlr_log_init(WLR_INFO, nullptr);
        return wlgpu_renderer_create(nullptr);
    }();
    return r;
}

// CPU access to a buffer's pixels: data-ptr (shm) or an mmap of the DMA-BUF (udmabuf).
template <typename Fn>
bool with_pixels(wlr_buffer* b, Fn&& fn) {
    void* data = nullptr;
    uint32_t fmt = 0;
    size_t stride = 0;
    if (wlr_buffer_begin_data_ptr_access(b, WLR_BUFFER_DATA_PTR_ACCESS_WRITE, &data, &fmt, &stride)) {
        fn(static_cast<uint32_t*>(data), stride / 4);
        wlr_buffer_end_data_ptr_access(b);
        return true;
    }
    wlr_dmabuf_attributes d{};
    if (!wlr_buffer_get_dmabuf(b, &d)) return false;
    size_t size = size_t(d.offset[0]) + size_t(d.stride[0]) * d.height;
    void* m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd[0], 0);
    if (m == MAP_FAILED) return false;
    fn(reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(m) + d.offset[0]), d.stride[0] / 4);
    munmap(m, size);
    return true;
}

void fill(wlr_buffer* b, uint32_t xrgb) {
    ASSERT_TRUE(with_pixels(b, [&](uint32_t* px, size_t pitch) {
        for (int y = 0; y < b->height; y++)
            for (int x = 0; x < b->width; x++) px[y * pitch + x] = xrgb;
    }));
}

uint32_t pixel(wlr_buffer* b, int x, int y) {
    uint32_t p = 0xdeadbeef;
    with_pixels(b, [&](uint32_t* px, size_t pitch) { p = px[y * pitch + x] & 0xffffff; });
    return p;
}

bool point_signalled(wlr_drm_syncobj_timeline* tl, uint64_t point, std::chrono::milliseconds within) {
    auto t = wlgpu::sync::Timeline::adopt(tl->drm_fd, tl->handle, true);
    auto r = t.wait(point, within);
    return r && *r;
}

TEST(WlrSync, FeaturesTimeline) {
    wlr_renderer* r = renderer();
    ASSERT_NE(r, nullptr);
    EXPECT_TRUE(r->features.timeline) << "the test bed has SyncFD fences and a virtio_gpu node with timelines";
    EXPECT_GE(wlgpu_renderer_get_syncobj_drm_fd(r), 0);
}

TEST(WlrSync, SignalTimelineAfterPass) {
    wlr_renderer* r = renderer();
    ASSERT_TRUE(r && r->features.timeline);
    wlr_drm_syncobj_timeline* tl = wlr_drm_syncobj_timeline_create(wlgpu_renderer_get_syncobj_drm_fd(r));
    ASSERT_NE(tl, nullptr);
    struct Kind {
        const char* name;
        wlr_allocator* alloc;
    };
    std::vector<Kind> kinds = {{"shm", wlr_shm_allocator_create()}, {"udmabuf", wlr_udmabuf_allocator_create()}};
    uint64_t point = 0;
    for (auto& k : kinds) {
        SCOPED_TRACE(k.name);
        ASSERT_NE(k.alloc, nullptr);
        wlr_buffer* b = wlgpu::test::make_xrgb_buffer(k.alloc, 64, 64);
        ASSERT_NE(b, nullptr);
        // Each pass paints its own colour over the whole buffer: once its point has signalled,
        // every pixel must be that pass's colour (a stale or skipped pass leaves the previous one).
        const uint32_t colours[3] = {0xff0000u, 0x00ff00u, 0x2050e0u};
        for (int i = 0; i < 3; i++) {
            point++;
            wlr_buffer_pass_options o{};
            o.signal_timeline = tl;
            o.signal_point = point;
            wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(r, b, &o);
            ASSERT_NE(pass, nullptr);
            wlr_render_rect_options rect{};
            rect.box = {0, 0, 64, 64};
            const uint32_t c = colours[i];  // 0xRRGGBB; 0x20, 0x50, 0xe0 are exact in unorm8
            rect.color = {float(c >> 16) / 255.0f, float((c >> 8) & 0xff) / 255.0f, float(c & 0xff) / 255.0f, 1.0f};
            wlr_render_pass_add_rect(pass, &rect);
            auto t0 = std::chrono::steady_clock::now();
            ASSERT_TRUE(wlr_render_pass_submit(pass));
            auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            ASSERT_TRUE(point_signalled(tl, point, 5000ms)) << "point " << point << " (submit took " << ms << " ms)";
            int wrong = 0;
            uint32_t first = 0;
            ASSERT_TRUE(with_pixels(b, [&](uint32_t* px, size_t pitch) {
                for (int y = 0; y < 64; y++)
                    for (int x = 0; x < 64; x++)
                        if ((px[y * pitch + x] & 0xffffff) != c && wrong++ == 0) first = px[y * pitch + x] & 0xffffff;
            }));
            EXPECT_EQ(wrong, 0) << "pass " << i << ": " << wrong << " pixels are not " << std::hex << c
                                << " when the point signalled (first: " << first << ")";
        }
        wlr_buffer_drop(b);
        wlr_allocator_destroy(k.alloc);
    }
    std::string stats = wlgpu_renderer_get_sync_stats(r);
    printf("%s\n", stats.c_str());
    // shm: signalled after the read-back; udmabuf: the end-of-access fence that Frame::submit
    // returned (the mode ExplicitSync::release reports); none from the queue's work-done.
    EXPECT_NE(stats.find("pass_signals fence=3 after_readback=3 work_done=0"), std::string::npos) << stats;
    wlr_drm_syncobj_timeline_unref(tl);
}

TEST(WlrSync, WaitTimelineGpuPathReadsContentAtSignal) {
    wlr_renderer* r = renderer();
    ASSERT_TRUE(r && r->features.timeline);
    int node = wlgpu_renderer_get_syncobj_drm_fd(r);
    auto vgem = wlgpu::drm::open_node_of_driver("card", "vgem");
    ASSERT_TRUE(vgem) << vgem.error().message;
    wlr_allocator* ua = wlr_udmabuf_allocator_create();
    wlr_allocator* sa = wlr_shm_allocator_create();
    ASSERT_TRUE(ua && sa);
    wlr_buffer* client = wlgpu::test::make_xrgb_buffer(ua, 32, 32);  // a client's DMA-BUF
    wlr_buffer* target = wlgpu::test::make_xrgb_buffer(sa, 32, 32);
    ASSERT_TRUE(client && target);
    fill(client, 0x0000ff);  // blue: what the GPU must NOT read
    wlr_texture* tex = wlr_texture_from_buffer(r, client);
    ASSERT_NE(tex, nullptr);

    // The client's acquire point: an unsignalled vgem fence (its "GPU work") at point 1.
    wlr_drm_syncobj_timeline* tl = wlr_drm_syncobj_timeline_create(node);
    auto fence = wlgpu::vgem::fence(vgem->get());
    ASSERT_TRUE(fence) << fence.error().message;
    ASSERT_TRUE(wlr_drm_syncobj_timeline_import_sync_file(tl, 1, fence->sync_file.get()));

    std::thread client_gpu([&] {
        std::this_thread::sleep_for(300ms);
        fill(client, 0xff0000);  // red, written just before the fence signals
        (void)wlgpu::vgem::signal(vgem->get(), fence->id);
    });
    wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(r, target, nullptr);
    ASSERT_NE(pass, nullptr);
    wlr_render_texture_options o{};
    o.texture = tex;
    o.dst_box = {0, 0, 32, 32};
    o.wait_timeline = tl;
    o.wait_point = 1;
    wlr_render_pass_add_texture(pass, &o);
    ASSERT_TRUE(wlr_render_pass_submit(pass));
    client_gpu.join();
    EXPECT_EQ(pixel(target, 16, 16), 0xff0000u) << "the GPU read the buffer before the acquire fence signalled";
    std::string stats = wlgpu_renderer_get_sync_stats(r);
    printf("%s\n", stats.c_str());
    EXPECT_NE(stats.find("draw_waits gpu=1"), std::string::npos) << stats;

    wlr_texture_destroy(tex);
    wlr_drm_syncobj_timeline_unref(tl);
    wlr_buffer_drop(client);
    wlr_buffer_drop(target);
    wlr_allocator_destroy(ua);
    wlr_allocator_destroy(sa);
}

}  // namespace
