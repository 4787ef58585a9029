// The CPU copy of a read-only DMA-BUF, through wlroots' API (label guest: the test bed has vgem).
// Lavapipe cannot import a read-only dma-buf (it maps imports read-write), so the adapter shows
// such a client buffer through a CPU copy that it must make again on every commit. The client
// buffer here is what Mesa's GBM gives a client: a vgem buffer exported without DRM_RDWR, written
// through the card's dumb-buffer mapping between commits. Each commit (wlr_texture_from_buffer
// again, or wlr_texture_update_from_buffer) must read back the new content, every pixel.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <vector>

#include <drm_fourcc.h>
#include <pixman.h>

extern "C" {
#define static
#include <wlr/interfaces/wlr_buffer.h>
#include <wlr/render/dmabuf.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/util/log.h>
#undef static
}

#include "import/test_dmabuf_alloc.hpp"
#include "wlgpu/dmabuf.hpp"
#include "wlgpu/wlr.h"

namespace {

// A wlr_buffer that is only a DMA-BUF (no data-ptr access), as a linux-dmabuf-v1 client's buffer.
struct DmabufBuffer {
    wlr_buffer base;
    wlr_dmabuf_attributes attrs;
};
const wlr_buffer_impl kDmabufBufferImpl = {
    .destroy = [](wlr_buffer* b) { wlr_buffer_finish(b); },  // storage is the test's
    .get_dmabuf = [](wlr_buffer* b, wlr_dmabuf_attributes* a) {
        *a = reinterpret_cast<DmabufBuffer*>(b)->attrs;
        return true;
    },
    .get_shm = nullptr,
    .begin_data_ptr_access = nullptr,
    .end_data_ptr_access = nullptr,
};

TEST(WlrDmabufCopy, ReadOnlyBufferIsCopiedAgainOnEveryCommit) {
    wlr_log_init(WLR_INFO, nullptr);
    constexpr uint32_t w = 29, h = 13;  // odd width: the pitch is not w * 4
    wlgpu::test::VgemReadOnly v;
    std::string why;
    ASSERT_TRUE(wlgpu::test::make_vgem_read_only(w, h, v, why)) << why;
    ASSERT_EQ(fcntl(v.fd.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
    uint8_t* map = v.map;

    DmabufBuffer buf{};
    wlr_buffer_init(&buf.base, &kDmabufBufferImpl, int(w), int(h));
    buf.attrs.width = int(w), buf.attrs.height = int(h), buf.attrs.format = DRM_FORMAT_ARGB8888;
    buf.attrs.modifier = DRM_FORMAT_MOD_LINEAR;
    buf.attrs.n_planes = 1;
    buf.attrs.fd[0] = v.fd.get(), buf.attrs.offset[0] = 0, buf.attrs.stride[0] = v.pitch;

    wlr_renderer* r = wlgpu_renderer_create(nullptr);
    ASSERT_NE(r, nullptr);
    // The client writes a new frame (random, every byte) into its buffer: vgem is cached shmem,
    // the mapping is coherent.
    auto commit = [&](uint32_t seed) {
        std::mt19937 rng(seed);
        for (size_t i = 0; i < v.size; i++) map[i] = uint8_t(rng());
    };
    // Every pixel of the texture equals what the client last wrote.
    auto expect_content = [&](wlr_texture* t, const char* how) {
        std::vector<uint8_t> got(size_t(w) * 4 * h);
        wlr_texture_read_pixels_options o{
            .data = got.data(), .format = DRM_FORMAT_ARGB8888, .stride = w * 4, .dst_x = 0, .dst_y = 0, .src_box = {}};
        ASSERT_TRUE(wlr_texture_read_pixels(t, &o)) << how;
        int bad_rows = 0;
        for (uint32_t y = 0; y < h; y++)
            bad_rows += std::memcmp(got.data() + size_t(y) * w * 4, map + size_t(y) * v.pitch, size_t(w) * 4) != 0;
        EXPECT_EQ(bad_rows, 0) << how << ": rows that differ from the client's latest frame";
    };

    commit(1);
    wlr_texture* t = wlr_texture_from_buffer(r, &buf.base);
    ASSERT_NE(t, nullptr) << "the read-only dma-buf should be shown through a copy";
    expect_content(t, "first commit");
    for (uint32_t i = 0; i < 3; i++) {
        SCOPED_TRACE(i);
        commit(10 + i);
        pixman_region32_t damage;
        pixman_region32_init_rect(&damage, 0, 0, w, h);
        ASSERT_TRUE(wlr_texture_update_from_buffer(t, &buf.base, &damage));
        pixman_region32_fini(&damage);
        expect_content(t, "wlr_texture_update_from_buffer");
        // wlr_scene without update_from_buffer: a new texture from the same (cached) buffer.
        commit(20 + i);
        wlr_texture* t2 = wlr_texture_from_buffer(r, &buf.base);
        ASSERT_NE(t2, nullptr);
        expect_content(t2, "wlr_texture_from_buffer again");
        wlr_texture_destroy(t2);
    }
    // A re-commit that changes a 5x3 box and says so: only that box is read from the dma-buf
    // (wlroots passes the surface damage to update_from_buffer), and every pixel is current.
    {
        std::mt19937 rng(77);
        for (uint32_t y = 4; y < 7; y++)
            for (uint32_t x = 0; x < 5 * 4; x++) map[size_t(y) * v.pitch + 8 * 4 + x] = uint8_t(rng());
        const uint64_t bytes = wlgpu::dmabuf_copy_bytes();
        pixman_region32_t damage;
        pixman_region32_init_rect(&damage, 8, 4, 5, 3);
        ASSERT_TRUE(wlr_texture_update_from_buffer(t, &buf.base, &damage));
        pixman_region32_fini(&damage);
        EXPECT_EQ(wlgpu::dmabuf_copy_bytes() - bytes, 5u * 3 * 4) << "bytes read for a 5x3 damage";
        expect_content(t, "update_from_buffer with a small damage");
    }
    wlr_texture_destroy(t);
    wlr_buffer_drop(&buf.base);
    wlr_renderer_destroy(r);
}

}  // namespace
