// The wl_shm / memory format table: DRM fourcc -> WebGPU texture format.
//
// Most formats upload their bytes unchanged: WebGPU has a texture format whose
// memory layout equals the DRM layout (little-endian DRM fourccs name the bits of
// a packed word from high to low). Where only the R/B order differs (ARGB2101010,
// ARGB16161616F) the texture holds the bytes as they are and the shader swaps R and
// B (swap_rb). RGB565 has no WebGPU format at all: the damaged region is converted
// on the CPU to RGBA8 on upload (cpu_convert); read_pixels converts back.
#include <cstdio>

#include "wlgpu/format.hpp"

namespace wlgpu {

namespace {

// drm_fourcc.h values, from the fourcc_code() rule.
constexpr uint32_t kARGB8888 = fourcc('A', 'R', '2', '4');
constexpr uint32_t kXRGB8888 = fourcc('X', 'R', '2', '4');
constexpr uint32_t kABGR8888 = fourcc('A', 'B', '2', '4');
constexpr uint32_t kXBGR8888 = fourcc('X', 'B', '2', '4');
constexpr uint32_t kARGB2101010 = fourcc('A', 'R', '3', '0');
constexpr uint32_t kXRGB2101010 = fourcc('X', 'R', '3', '0');
constexpr uint32_t kABGR2101010 = fourcc('A', 'B', '3', '0');
constexpr uint32_t kXBGR2101010 = fourcc('X', 'B', '3', '0');
constexpr uint32_t kRGB565 = fourcc('R', 'G', '1', '6');
constexpr uint32_t kABGR16161616F = fourcc('A', 'B', '4', 'H');
constexpr uint32_t kXBGR16161616F = fourcc('X', 'B', '4', 'H');
constexpr uint32_t kARGB16161616F = fourcc('A', 'R', '4', 'H');
constexpr uint32_t kXRGB16161616F = fourcc('X', 'R', '4', 'H');

//                        fourcc          texture                         bpp alpha  swap   cpu    render name
constexpr FormatInfo kFormats[] = {
    {kARGB8888,      WGPUTextureFormat_BGRA8Unorm,   4, true,  false, false, true,  "ARGB8888"},
    {kXRGB8888,      WGPUTextureFormat_BGRA8Unorm,   4, false, false, false, true,  "XRGB8888"},
    {kABGR8888,      WGPUTextureFormat_RGBA8Unorm,   4, true,  false, false, true,  "ABGR8888"},
    {kXBGR8888,      WGPUTextureFormat_RGBA8Unorm,   4, false, false, false, true,  "XBGR8888"},
    {kABGR2101010,   WGPUTextureFormat_RGB10A2Unorm, 4, true,  false, false, true,  "ABGR2101010"},
    {kXBGR2101010,   WGPUTextureFormat_RGB10A2Unorm, 4, false, false, false, true,  "XBGR2101010"},
    {kARGB2101010,   WGPUTextureFormat_RGB10A2Unorm, 4, true,  true,  false, false, "ARGB2101010"},
    {kXRGB2101010,   WGPUTextureFormat_RGB10A2Unorm, 4, false, true,  false, false, "XRGB2101010"},
    {kABGR16161616F, WGPUTextureFormat_RGBA16Float,  8, true,  false, false, true,  "ABGR16161616F"},
    {kXBGR16161616F, WGPUTextureFormat_RGBA16Float,  8, false, false, false, false, "XBGR16161616F"},
    {kARGB16161616F, WGPUTextureFormat_RGBA16Float,  8, true,  true,  false, false, "ARGB16161616F"},
    {kXRGB16161616F, WGPUTextureFormat_RGBA16Float,  8, false, true,  false, false, "XRGB16161616F"},
    {kRGB565,        WGPUTextureFormat_RGBA8Unorm,   2, false, false, true,  false, "RGB565"},
};

}  // namespace

std::span<const FormatInfo> shm_formats() { return kFormats; }

const FormatInfo* find_shm_format(uint32_t drm_fourcc) {
    for (const auto& f : kFormats)
        if (f.drm_fourcc == drm_fourcc) return &f;
    return nullptr;
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
