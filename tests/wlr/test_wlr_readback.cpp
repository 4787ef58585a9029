// Memory (shm allocator) buffers through wlroots' API, read from the transfer counters:
//   - render targets: a pass reads back the region it drew (the union of its boxes, not their
//     bounding box), through the staging buffer by default (the shm allocator's fd is not sealed
//     against shrinking) and straight from the GPU once the compositor trusts its target memory
//     (wlgpu_renderer_set_trust_target_memory); the buffer's pixels are compared with a CPU
//     reference of the same rects each time;
//   - textures: wlr_texture_update_from_buffer with no damage (a re-commit of an unchanged
//     buffer) copies nothing, with a 64x64 damage of a 1920x1080 buffer copies 64x64 pixels;
//   - client wl_shm buffers (a real memfd, as a client's pool): copied by the GPU out of the
//     imported memory where the memfd is sealed against shrinking, the buffer kept locked (no
//     wl_buffer.release) until the GPU has finished; by the CPU (writeTexture) where it is not
//     sealed or the pointer is not texel-aligned. Every texel compared with the client memory.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include <drm_fourcc.h>

#include "wlgpu/dmabuf.hpp"
#include <pixman.h>
#include <wayland-server-core.h>

extern "C" {
#define static
#include <wlr/interfaces/wlr_buffer.h>
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

// A client's wl_shm buffer as wlroots' wlr_shm gives it to the renderer: ARGB8888 pixels at an
// offset in a memfd (the pool), sealed against shrinking or not; get_shm names the fd,
// data-ptr access gives the mapping. `released`: wlr_buffer's release event (what becomes
// wl_buffer.release) came.
struct ClientShm {
    wlr_buffer base{};
    int fd = -1;
    uint8_t* map = nullptr;
    size_t size = 0;
    uint32_t offset = 0, stride = 0;
    bool released = false;
    wl_listener on_release{};
    uint8_t* pixels() const { return map + offset; }
    ~ClientShm() {
        wl_list_remove(&on_release.link);
        wlr_buffer_drop(&base);
        if (map) munmap(map, size);
        if (fd >= 0) close(fd);
    }
};

const wlr_buffer_impl kClientShmImpl = {
    .destroy = [](wlr_buffer* b) { wlr_buffer_finish(b); },  // storage is the test's
    .get_dmabuf = nullptr,
    .get_shm = [](wlr_buffer* b, wlr_shm_attributes* a) {
        auto* c = reinterpret_cast<ClientShm*>(b);
        a->fd = c->fd, a->format = DRM_FORMAT_ARGB8888, a->width = b->width, a->height = b->height;
        a->stride = int(c->stride), a->offset = c->offset;
        return true;
    },
    .begin_data_ptr_access = [](wlr_buffer* b, uint32_t, void** data, uint32_t* format, size_t* stride) {
        auto* c = reinterpret_cast<ClientShm*>(b);
        *data = c->pixels(), *format = DRM_FORMAT_ARGB8888, *stride = c->stride;
        return true;
    },
    .end_data_ptr_access = [](wlr_buffer*) {},
};

// file_short_by: the file is that much shorter than the buffer needs (a pool declared larger
// than its file; kept within the last page, whose bytes past the end read as zeros).
std::unique_ptr<ClientShm> make_client(int w, int h, uint32_t stride, uint32_t offset, bool seal,
                                       uint32_t file_short_by) {
    auto c = std::make_unique<ClientShm>();
    wl_list_init(&c->on_release.link);
    c->fd = memfd_create("wlgpu-test-client-pool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    c->size = offset + size_t(stride) * h;
    if (c->fd < 0 || ftruncate(c->fd, off_t(c->size - file_short_by)) != 0) return nullptr;
    if (seal && fcntl(c->fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) return nullptr;
    void* m = mmap(nullptr, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    if (m == MAP_FAILED) return nullptr;
    c->map = static_cast<uint8_t*>(m);
    c->offset = offset, c->stride = stride;
    wlr_buffer_init(&c->base, &kClientShmImpl, w, h);
    c->on_release.notify = [](wl_listener* l, void*) {
        ClientShm* self = wl_container_of(l, static_cast<ClientShm*>(nullptr), on_release);
        self->released = true;
    };
    wl_signal_add(&c->base.events.release, &c->on_release);
    return c;
}

// The client draws a new frame: fresh random bytes in every row (padding included).
std::vector<uint8_t> client_draws(ClientShm& c, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> frame(size_t(c.stride) * c.base.height);
    for (auto& b : frame) b = uint8_t(rng());
    std::memcpy(c.pixels(), frame.data(), frame.size());
    return frame;
}

// Texels of the texture that differ from `inside` within box and from `outside` elsewhere (both
// client frames, rows `stride` apart).
size_t wrong_texels(wlr_texture* t, const std::vector<uint8_t>& inside, const std::vector<uint8_t>& outside,
                    uint32_t stride, wlr_box box) {
    const int w = int(t->width), h = int(t->height);
    std::vector<uint8_t> got(size_t(w) * h * 4);
    wlr_texture_read_pixels_options o{
        .data = got.data(), .format = DRM_FORMAT_ARGB8888, .stride = uint32_t(w) * 4, .dst_x = 0, .dst_y = 0, .src_box = {}};
    if (!wlr_texture_read_pixels(t, &o)) return SIZE_MAX;
    size_t bad = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const bool in = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
            bad += std::memcmp(got.data() + (size_t(y) * w + x) * 4,
                               (in ? inside : outside).data() + size_t(y) * stride + size_t(x) * 4, 4) != 0;
        }
    return bad;
}

// A wlgpu renderer, wlroots' shm allocator and a small target buffer that a pass draws into,
// destroyed at the end of the test.
struct RendererAndTarget {
    wlr_renderer* r = (wlr_log_init(WLR_ERROR, nullptr), wlgpu_renderer_create(nullptr));
    wlr_allocator* alloc = wlr_shm_allocator_create();
    wlr_buffer* target = r && alloc ? wlgpu::test::make_xrgb_buffer(alloc, 64, 64) : nullptr;
    ~RendererAndTarget() {
        if (target) wlr_buffer_drop(target);
        if (alloc) wlr_allocator_destroy(alloc);
        if (r) wlr_renderer_destroy(r);
    }
};

TEST(WlrUpload, SealedClientMemoryIsCopiedByTheGpuBeforeTheBufferIsReleased) {
    RendererAndTarget env;
    ASSERT_NE(env.target, nullptr);
    wlr_renderer* r = env.r;
    wlgpu::Bridge* bridge = wlgpu::wlr::bridge(r);
    const bool host_mapped = bridge->caps().host_mapped_pointer;
    if (bridge->identity().type == WGPUAdapterType_CPU) {
        EXPECT_TRUE(host_mapped) << "lavapipe has HostMappedPointer";
    }
    const int w = 1920, h = 1080;
    struct Case {
        const char* what;
        uint32_t stride, offset;
        bool seal, gpu;
        uint32_t file_short_by = 0;
    } cases[] = {
        {"sealed, stride a multiple of 256: one copy per box", w * 4, 0, true, true},
        {"sealed, stride not a multiple of 256, at an offset in the pool: a copy per row", w * 4 + 12, 4096 + 260,
         true, true},
        {"sealed, pixel (0,0) 2 bytes off a texel: CPU copy", w * 4, 2, true, false},
        {"not sealed (the client may truncate it): CPU copy", w * 4, 0, false, false},
        {"sealed, but its file 8 bytes shorter than the buffer: CPU copy", w * 4, 0, true, false, 8},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        const bool gpu = c.gpu && host_mapped;
        auto client = make_client(w, h, c.stride, c.offset, c.seal, c.file_short_by);
        ASSERT_TRUE(client);
        if (c.seal) {
            EXPECT_EQ(ftruncate(client->fd, 4096), -1) << "the kernel refuses to shrink a sealed memfd";
            EXPECT_EQ(errno, EPERM);
        }
        wlr_buffer* b = &client->base;
        const auto a = client_draws(*client, 101);

        // The first commit: wlr_surface holds the buffer while wlr_client_buffer makes the texture.
        wlr_buffer_lock(b);
        wlgpu::TransferStats s0 = bridge->transfers();
        wlr_texture* t = wlr_texture_from_buffer(r, b);
        ASSERT_NE(t, nullptr);
        wlgpu::TransferStats s1 = bridge->transfers();
        EXPECT_EQ(s1.upload_pixels - s0.upload_pixels, uint64_t(w) * h);
        EXPECT_EQ(s1.upload_host_mapped - s0.upload_host_mapped, gpu ? 1u : 0u);
        EXPECT_EQ(s1.upload_staged - s0.upload_staged, gpu ? 0u : 1u) << "CPU copies";
        EXPECT_EQ(s1.host_imports_created - s0.host_imports_created, gpu ? 1u : 0u);
        wlr_buffer_unlock(b);  // the surface lets go: the copy is done, the client gets it back now
        EXPECT_TRUE(client->released) << "clients reuse a released buffer at once (weston-simple-shm)";
        EXPECT_EQ(b->n_locks, 0u);
        // Released: what the client draws now is not in the texture.
        const auto next = client_draws(*client, 102);
        EXPECT_EQ(wrong_texels(t, a, a, c.stride, {}), 0u);

        // A re-commit of the unchanged buffer: no copy, no lock.
        client->released = false;
        wlr_buffer_lock(b);
        pixman_region32_t damage;
        pixman_region32_init(&damage);
        s0 = bridge->transfers();
        EXPECT_TRUE(wlr_texture_update_from_buffer(t, b, &damage));
        EXPECT_EQ(bridge->transfers().upload_copies - s0.upload_copies, 0u);
        wlr_buffer_unlock(b);
        EXPECT_TRUE(client->released);

        // 64x64 of the new frame damaged: those 64x64 texels come, from the same import.
        client->released = false;
        const wlr_box box{700, 500, 64, 64};
        pixman_region32_union_rect(&damage, &damage, box.x, box.y, box.width, box.height);
        wlr_buffer_lock(b);
        s0 = bridge->transfers();
        EXPECT_TRUE(wlr_texture_update_from_buffer(t, b, &damage));
        pixman_region32_fini(&damage);
        s1 = bridge->transfers();
        // (With a copy per row, a 64-texel-wide box is cheaper through writeTexture.)
        const bool gpu_box = gpu && c.stride % 256 == 0;
        EXPECT_EQ(s1.upload_copies - s0.upload_copies, 1u);
        EXPECT_EQ(s1.upload_pixels - s0.upload_pixels, 64u * 64);
        EXPECT_EQ(s1.upload_host_mapped - s0.upload_host_mapped, gpu_box ? 1u : 0u);
        EXPECT_EQ(s1.upload_staged - s0.upload_staged, gpu_box ? 0u : 1u);
        EXPECT_EQ(s1.host_imports_created - s0.host_imports_created, 0u);
        wlr_buffer_unlock(b);
        EXPECT_TRUE(client->released);
        EXPECT_EQ(wrong_texels(t, next, a, c.stride, box), 0u);
        wlr_texture_destroy(t);
    }
    EXPECT_NE(std::string(wlgpu_renderer_get_transfer_stats(r)).find("host_mapped="), std::string::npos);
}

}  // namespace

// A commit whose upload the CPU would copy (memory not sealed) is bounded like the DMA-BUF copy
// path (128 MiB): bigger is refused with the reason; the same buffer sealed is copied by the GPU;
// just under the limit is copied by the CPU.
TEST(WlrUpload, CpuCopiesOfOneCommitAreBounded) {
    RendererAndTarget env;
    ASSERT_NE(env.target, nullptr);
    wlgpu::Bridge* bridge = wlgpu::wlr::bridge(env.r);
    const int w = 8192;
    const int over = int(wlgpu::DmabufImportOptions::kDefaultMaxCopyBytes / (uint64_t(w) * 4)) + 8;  // 4104 rows
    struct Case {
        const char* what;
        int h;
        bool seal, shown;
    } cases[] = {
        {"not sealed, 8 rows over the limit: refused", over, false, false},
        {"not sealed, 8 rows under the limit: copied by the CPU", over - 16, false, true},
        {"sealed, over the limit: copied by the GPU", over, true, true},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        if (c.seal && !bridge->caps().host_mapped_pointer) continue;  // no GPU path on this device
        auto client = make_client(w, c.h, uint32_t(w) * 4, 0, c.seal, 0);
        ASSERT_TRUE(client);
        const auto a = client_draws(*client, 7);
        wlr_buffer_lock(&client->base);
        wlr_texture* t = wlr_texture_from_buffer(env.r, &client->base);
        EXPECT_EQ(t != nullptr, c.shown);
        if (t) {
            // A sample of rows (the whole 128 MiB texture read back would take long): rows 0..15.
            std::vector<uint8_t> got(size_t(w) * 4 * 16);
            wlr_texture_read_pixels_options o{.data = got.data(), .format = DRM_FORMAT_ARGB8888,
                                              .stride = uint32_t(w) * 4, .dst_x = 0, .dst_y = 0,
                                              .src_box = {0, c.h - 16, w, 16}};
            ASSERT_TRUE(wlr_texture_read_pixels(t, &o));
            EXPECT_EQ(std::memcmp(got.data(), a.data() + size_t(c.h - 16) * w * 4, got.size()), 0);
            wlr_texture_destroy(t);
        }
        wlr_buffer_unlock(&client->base);
        ASSERT_TRUE(draw(env.r, env.target, {{0, 0, 64, 64, 9, 8, 7}}));  // lets a GPU copy finish
    }
}
