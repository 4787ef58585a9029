// The per-client byte limit of the surface sync (wlgpu_surface_sync_set_client_limits) counts a
// buffer as the textures of its format and size (detail::buffer_charge over the pixel-format
// table): multi-planar YUV by its real planes, not width x height x 4. The limit itself, end to
// end with wl_shm clients, is e2e_client_budget (tests/e2e/budget.py); this checks the count per
// format, with wlroots buffers that carry DMA-BUF or wl_shm attributes (the charge reads only
// those, never the memory: the fds are -1).
#include <gtest/gtest.h>

#include <cstdint>

#include "wlr/internal.hpp"

namespace {

struct AttrBuffer {
    wlr_buffer base{};
    bool has_dmabuf = false, has_shm = false;
    wlr_dmabuf_attributes dmabuf{};
    wlr_shm_attributes shm{};
};

AttrBuffer* from(wlr_buffer* b) { return wl_container_of(b, static_cast<AttrBuffer*>(nullptr), base); }

const wlr_buffer_impl kAttrImpl = {
    .destroy = [](wlr_buffer* b) { delete from(b); },
    .get_dmabuf = [](wlr_buffer* b, wlr_dmabuf_attributes* a) { return from(b)->has_dmabuf && (*a = from(b)->dmabuf, true); },
    .get_shm = [](wlr_buffer* b, wlr_shm_attributes* a) { return from(b)->has_shm && (*a = from(b)->shm, true); },
    .begin_data_ptr_access = nullptr,
    .end_data_ptr_access = nullptr,
};

// A w x h buffer; `planes` > 0: a DMA-BUF of that many planes, 0: wl_shm, -1: neither.
wlr_buffer* make(uint32_t format, int w, int h, int planes) {
    auto* b = new AttrBuffer();
    wlr_buffer_init(&b->base, &kAttrImpl, w, h);
    if (planes > 0) {
        b->has_dmabuf = true;
        b->dmabuf.width = w, b->dmabuf.height = h, b->dmabuf.format = format;
        b->dmabuf.modifier = DRM_FORMAT_MOD_LINEAR, b->dmabuf.n_planes = planes;
        for (int i = 0; i < WLR_DMABUF_MAX_PLANES; i++) b->dmabuf.fd[i] = -1;
    } else if (planes == 0) {
        b->has_shm = true;
        b->shm.fd = -1, b->shm.format = format, b->shm.width = w, b->shm.height = h, b->shm.stride = w * 4;
    }
    return &b->base;
}

uint64_t charge(uint32_t format, int w, int h, int planes) {
    wlr_buffer* b = make(format, w, h, planes);
    const uint64_t c = wlgpu::wlr::detail::buffer_charge(b);
    wlr_buffer_drop(b);
    return c;
}

TEST(WlrBudget, MultiPlanarYuvIsChargedItsPlanes) {
    // NV12: a w x h Y plane (1 byte a sample) and a w/2 x h/2 plane of CbCr pairs (2 bytes).
    EXPECT_EQ(charge(DRM_FORMAT_NV12, 1920, 1080, 2), 1920u * 1080 * 3 / 2);
    // Odd sizes round the chroma plane up: 101 x 51 luma, 51 x 26 chroma pairs.
    EXPECT_EQ(charge(DRM_FORMAT_NV12, 101, 51, 2), 101u * 51 + 51u * 26 * 2);
    EXPECT_EQ(charge(DRM_FORMAT_YUV420, 640, 480, 3), 640u * 480 + 2u * 320 * 240);
    // P010: 16 bits a sample, so twice NV12.
    EXPECT_EQ(charge(DRM_FORMAT_P010, 1280, 720, 2), 1280u * 720 * 3);
    EXPECT_EQ(charge(DRM_FORMAT_YUYV, 640, 480, 1), 640u * 480 * 2);
}

TEST(WlrBudget, RgbIsChargedItsTexels) {
    EXPECT_EQ(charge(DRM_FORMAT_XRGB8888, 1024, 1024, 0), 1024u * 1024 * 4);  // e2e_client_budget's hog
    EXPECT_EQ(charge(DRM_FORMAT_ARGB8888, 640, 480, 1), 640u * 480 * 4);
    EXPECT_EQ(charge(DRM_FORMAT_ABGR16161616F, 64, 64, 0), 64u * 64 * 8);
    EXPECT_EQ(charge(DRM_FORMAT_RGB565, 64, 64, 0), 64u * 64 * 4);  // uploaded as RGBA8
}

TEST(WlrBudget, UnknownIsChargedFourBytesAPixel) {
    EXPECT_EQ(charge(DRM_FORMAT_C8, 64, 64, 0), 64u * 64 * 4);
    EXPECT_EQ(charge(0, 300, 200, -1), 300u * 200 * 4);  // no wl_shm or DMA-BUF attributes
    EXPECT_EQ(wlgpu::wlr::detail::buffer_charge(nullptr), 0u);
}

}  // namespace
