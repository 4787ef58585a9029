// wlroots buffers for the wlr adapter's tests: an XRGB8888 buffer from an allocator (shm,
// udmabuf). Include after the wlroots headers (<wlr/render/allocator.h>, drm_format_set.h).
#pragma once

#include <drm_fourcc.h>

namespace wlgpu::test {

inline wlr_buffer* make_xrgb_buffer(wlr_allocator* a, int w, int h) {
    wlr_drm_format_set set{};
    wlr_drm_format_set_add(&set, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID);
    wlr_drm_format_set_add(&set, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
    wlr_buffer* b = wlr_allocator_create_buffer(a, w, h, wlr_drm_format_set_get(&set, DRM_FORMAT_XRGB8888));
    wlr_drm_format_set_finish(&set);
    return b;
}

}  // namespace wlgpu::test
