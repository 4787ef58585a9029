// The wl_shm / memory formats: the rows of the one format table (src/common/pixel_format.cpp)
// that are memory formats.
#include <cstdio>
#include <vector>

#include "common/pixel_format.hpp"
#include "wlgpu/format.hpp"

namespace wlgpu {

std::span<const FormatInfo> shm_formats() {
    static const std::vector<FormatInfo> shm = [] {
        std::vector<FormatInfo> v;
        for (const auto& r : pixel::formats())
            if (r.shm) v.push_back(r.info);
        return v;
    }();
    return shm;
}

const FormatInfo* find_shm_format(uint32_t drm_fourcc) {
    const pixel::PixelFormat* r = pixel::find(drm_fourcc);
    return r && r->shm ? &r->info : nullptr;
}

const char* fourcc_name(uint32_t drm_fourcc, char buf[8]) {
    if (const FormatInfo* f = find_shm_format(drm_fourcc)) return f->name;
    for (int i = 0; i < 4; i++) {
        char c = char((drm_fourcc >> (8 * i)) & 0xff);
        buf[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    buf[4] = '\0';
    return buf;
}

}  // namespace wlgpu
