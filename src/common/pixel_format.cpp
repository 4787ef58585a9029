// The rows. Most memory formats upload their bytes unchanged: WebGPU has a texture format whose
// memory layout equals the DRM layout (little-endian DRM fourccs name the bits of a packed word
// from high to low). Where only the R/B order differs (ARGB2101010, ARGB16161616F) the texture
// holds the bytes as they are and the shader swaps R and B (swap_rb). RGB565 has no WebGPU format:
// it is converted on the CPU to RGBA8 on upload (cpu_convert). As DMA-BUFs, Dawn imports
// AR24/XR24/AB24/XB24/AB30/AB4H; the X and R/B-swapped variants of AB30 and AB4H have the same
// memory layout and are imported as those (dawn_fourcc), the shader fixes alpha / R-B.
#include "common/pixel_format.hpp"

#include <vulkan/vulkan_core.h>

namespace wlgpu::pixel {

namespace {

using enum YuvLayout;
constexpr WGPUTextureFormat kBGRA8 = WGPUTextureFormat_BGRA8Unorm, kRGBA8 = WGPUTextureFormat_RGBA8Unorm,
                            kRGB10A2 = WGPUTextureFormat_RGB10A2Unorm, kRGBA16F = WGPUTextureFormat_RGBA16Float,
                            kR8 = WGPUTextureFormat_R8Unorm, kRG8 = WGPUTextureFormat_RG8Unorm;
constexpr uint32_t kR8cc = fourcc('R', '8', ' ', ' '), kGR88 = fourcc('G', 'R', '8', '8');
constexpr uint32_t kAR24 = fourcc('A', 'R', '2', '4'), kXR24 = fourcc('X', 'R', '2', '4');
constexpr uint32_t kAB24 = fourcc('A', 'B', '2', '4'), kXB24 = fourcc('X', 'B', '2', '4');
constexpr uint32_t kAB30 = fourcc('A', 'B', '3', '0'), kAB4H = fourcc('A', 'B', '4', 'H');

// One memory plane of an RGB format, imported by Dawn as `dawn`.
constexpr DmabufLayout rgb_plane(uint32_t dawn, WGPUTextureFormat f, uint32_t bpp) {
    return {1, {PlaneSpec{dawn, f, bpp, 1, 1}}, rgb, false, 8, false};
}
constexpr PlaneSpec kPlaneR8{kR8cc, kR8, 1, 1, 1};
constexpr PlaneSpec kPlaneR8Half{kR8cc, kR8, 1, 2, 2};
constexpr PlaneSpec kPlaneRG8Half{kGR88, kRG8, 2, 2, 2};
constexpr PlaneSpec kPlaneRG8HalfX{kGR88, kRG8, 2, 2, 1};
// P010 by same-size reinterpretation (Dawn imports no R16/GR1616): the Y plane (one 16-bit
// sample per pixel) as GR88 of the same width (R = low byte, G = high byte), the CbCr plane
// (Cb16 Cr16 per chroma pair) as ABGR8888 of width/2 (R,G = Cb low/high, B,A = Cr low/high).
// The WGSL rebuilds each 16-bit sample from the bytes with textureLoad (no filtering of bytes).
constexpr PlaneSpec kPlaneY16AsRG8{kGR88, kRG8, 2, 1, 1};
constexpr PlaneSpec kPlaneCbCr16AsRGBA8Half{kAB24, kRGBA8, 4, 2, 2};
constexpr PlaneSpec kPlanePacked{kAB24, kRGBA8, 4, 2, 1};
constexpr DmabufLayout kNone{};

constexpr int32_t kVkR8G8B8A8 = VK_FORMAT_R8G8B8A8_UNORM, kVkB8G8R8A8 = VK_FORMAT_B8G8R8A8_UNORM,
                  kVkA2B10G10R10 = VK_FORMAT_A2B10G10R10_UNORM_PACK32, kVkR16G16B16A16F = VK_FORMAT_R16G16B16A16_SFLOAT;

// clang-format off
//   FormatInfo: fourcc, texture, bpp, alpha, swap_rb, cpu_convert, renderable, name      shm    DMA-BUF                                  VkFormat
constexpr PixelFormat kRows[] = {
    {{kAR24,                      kBGRA8,   4, true,  false, false, true,  "ARGB8888"},      true,  rgb_plane(kAR24, kBGRA8, 4),   kVkB8G8R8A8, "B8G8R8A8_UNORM"},
    {{kXR24,                      kBGRA8,   4, false, false, false, true,  "XRGB8888"},      true,  rgb_plane(kXR24, kBGRA8, 4),   0, nullptr},
    {{kAB24,                      kRGBA8,   4, true,  false, false, true,  "ABGR8888"},      true,  rgb_plane(kAB24, kRGBA8, 4),   kVkR8G8B8A8, "R8G8B8A8_UNORM"},
    {{kXB24,                      kRGBA8,   4, false, false, false, true,  "XBGR8888"},      true,  rgb_plane(kXB24, kRGBA8, 4),   0, nullptr},
    {{kAB30,                      kRGB10A2, 4, true,  false, false, true,  "ABGR2101010"},   true,  rgb_plane(kAB30, kRGB10A2, 4), kVkA2B10G10R10, "A2B10G10R10_UNORM_PACK32"},
    {{fourcc('X', 'B', '3', '0'), kRGB10A2, 4, false, false, false, true,  "XBGR2101010"},   true,  rgb_plane(kAB30, kRGB10A2, 4), 0, nullptr},
    {{fourcc('A', 'R', '3', '0'), kRGB10A2, 4, true,  true,  false, false, "ARGB2101010"},   true,  rgb_plane(kAB30, kRGB10A2, 4), 0, nullptr},
    {{fourcc('X', 'R', '3', '0'), kRGB10A2, 4, false, true,  false, false, "XRGB2101010"},   true,  rgb_plane(kAB30, kRGB10A2, 4), 0, nullptr},
    {{kAB4H,                      kRGBA16F, 8, true,  false, false, true,  "ABGR16161616F"}, true,  rgb_plane(kAB4H, kRGBA16F, 8), kVkR16G16B16A16F, "R16G16B16A16_SFLOAT"},
    {{fourcc('X', 'B', '4', 'H'), kRGBA16F, 8, false, false, false, false, "XBGR16161616F"}, true,  rgb_plane(kAB4H, kRGBA16F, 8), 0, nullptr},
    {{fourcc('A', 'R', '4', 'H'), kRGBA16F, 8, true,  true,  false, false, "ARGB16161616F"}, true,  rgb_plane(kAB4H, kRGBA16F, 8), 0, nullptr},
    {{fourcc('X', 'R', '4', 'H'), kRGBA16F, 8, false, true,  false, false, "XRGB16161616F"}, true,  rgb_plane(kAB4H, kRGBA16F, 8), 0, nullptr},
    {{fourcc('R', 'G', '1', '6'), kRGBA8,   2, false, false, true,  false, "RGB565"},        true,  kNone,                   0, nullptr},
    // YUV: DMA-BUF only (the renderer reads only name/has_alpha of their FormatInfo).
    {{fourcc('N', 'V', '1', '2'), kR8,   1, false, false, false, false, "NV12"},   false, {2, {kPlaneR8, kPlaneRG8Half}, two_plane, false, 8, true}, 0, nullptr},
    {{fourcc('N', 'V', '2', '1'), kR8,   1, false, false, false, false, "NV21"},   false, {2, {kPlaneR8, kPlaneRG8Half}, two_plane, true, 8, false}, 0, nullptr},
    {{fourcc('N', 'V', '1', '6'), kR8,   1, false, false, false, false, "NV16"},   false, {2, {kPlaneR8, kPlaneRG8HalfX}, two_plane, false, 8, false}, 0, nullptr},
    {{fourcc('P', '0', '1', '0'), kRG8,  2, false, false, false, false, "P010"},   false, {2, {kPlaneY16AsRG8, kPlaneCbCr16AsRGBA8Half}, p010, false, 10, false}, 0, nullptr},
    {{fourcc('Y', 'U', '1', '2'), kR8,   1, false, false, false, false, "YUV420"}, false, {3, {kPlaneR8, kPlaneR8Half, kPlaneR8Half}, three_plane, false, 8, false}, 0, nullptr},
    {{fourcc('Y', 'V', '1', '2'), kR8,   1, false, false, false, false, "YVU420"}, false, {3, {kPlaneR8, kPlaneR8Half, kPlaneR8Half}, three_plane, true, 8, false}, 0, nullptr},
    {{fourcc('Y', 'U', 'Y', 'V'), kRGBA8, 2, false, false, false, false, "YUYV"},  false, {1, {kPlanePacked}, yuyv, false, 8, false}, 0, nullptr},
    {{fourcc('U', 'Y', 'V', 'Y'), kRGBA8, 2, false, false, false, false, "UYVY"},  false, {1, {kPlanePacked}, uyvy, false, 8, false}, 0, nullptr},
};
// clang-format on

}  // namespace

std::span<const PixelFormat> formats() { return kRows; }

const PixelFormat* find(uint32_t drm_fourcc) {
    for (const auto& r : kRows)
        if (r.info.drm_fourcc == drm_fourcc) return &r;
    return nullptr;
}

uint64_t image_bytes(const PixelFormat& f, uint32_t w, uint32_t h) {
    if (f.dmabuf.n_planes == 0) return uint64_t(w) * h * (f.info.cpu_convert ? 4 : f.info.bytes_per_pixel);
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < f.dmabuf.n_planes; i++) bytes += f.dmabuf.planes[i].bytes(w, h);
    return bytes;
}

const PixelFormat* find_vk(int32_t vk_format) {
    for (const auto& r : kRows)
        if (r.vk_format != 0 && r.vk_format == vk_format) return &r;
    return nullptr;
}

}  // namespace wlgpu::pixel
