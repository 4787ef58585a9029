// wlroots buffers for the wlr adapter's tests: an XRGB8888 buffer from an allocator (shm,
// udmabuf), and the pixels of a buffer with memory access. Include after the wlroots headers
// (<wlr/render/allocator.h>, drm_format_set.h, <wlr/types/wlr_buffer.h>).
#pragma once

#include <drm_fourcc.h>

#include <vector>

#include "render/reference.hpp"

namespace wlgpu::test {

inline wlr_buffer* make_xrgb_buffer(wlr_allocator* a, int w, int h) {
    wlr_drm_format_set set{};
    wlr_drm_format_set_add(&set, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID);
    wlr_drm_format_set_add(&set, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
    wlr_buffer* b = wlr_allocator_create_buffer(a, w, h, wlr_drm_format_set_get(&set, DRM_FORMAT_XRGB8888));
    wlr_drm_format_set_finish(&set);
    return b;
}

// An XRGB8888 buffer's pixels (empty when it has no memory access).
inline ref::Image read_buffer(wlr_buffer* b) {
    void* data = nullptr;
    uint32_t fmt = 0;
    size_t stride = 0;
    if (!wlr_buffer_begin_data_ptr_access(b, WLR_BUFFER_DATA_PTR_ACCESS_READ, &data, &fmt, &stride)) return {};
    std::vector<uint8_t> bytes(static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + stride * b->height);
    wlr_buffer_end_data_ptr_access(b);
    return ref::decode(bytes, b->width, b->height, int(stride), ref::Layout::xrgb8888);
}

}  // namespace wlgpu::test
