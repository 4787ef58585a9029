// Internal state of imported DMA-BUF textures, shared by src/import/dmabuf*.cpp (the renderer
// sees YUV textures through wlgpu/dmabuf.hpp yuv_plane_views).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/pixel_format.hpp"
#include "import/shared_access.hpp"
#include "wlgpu/dmabuf.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu::dmabuf {

// The layout types of the one format table (src/common/pixel_format.hpp).
using pixel::PlaneSpec;
using pixel::YuvLayout;

struct FormatSpec {
    uint32_t fourcc;
    const char* name;
    uint32_t n_planes;  // memory planes with the LINEAR modifier
    std::array<PlaneSpec, 3> planes;
    YuvLayout layout;
    bool swap_uv;            // NV21 / YVU420: Cr before Cb
    uint32_t bits;           // 8 or 10 (P010: the shader hands the matrix 10-bit integer codes)
    bool native_multiplanar; // Dawn imports it as one multi-planar texture when all planes share an fd
    const FormatInfo* info;  // FormatInfo handed to Texture (RGB: the shm table's entry)
    bool yuv() const { return layout != YuvLayout::rgb; }
};

const FormatSpec* find_format(uint32_t fourcc);
std::span<const FormatSpec> formats();

// The size and identity (same dma-buf: same dev and ino) of each plane's buffer.
struct BufferInfo {
    uint64_t size;
    dev_t dev;
    ino_t ino;
};
// The one validation of a buffer's attributes, before any driver call (src/import/dmabuf.cpp):
// format, size and device limits, modifier, plane count, fds (open, with a size, dma-bufs:
// fstatfs f_type == DMA_BUF_MAGIC), per-plane offset/stride (multiples of the plane's texel,
// rows inside the buffer, 64-bit arithmetic), planes not overlapping. import_dmabuf adds what
// the driver cannot map (read-only fds on CPU adapters); the copy path (dmabuf_copy.cpp) adds
// its own format restrictions.
Result<std::array<BufferInfo, kDmabufMaxPlanes>> validate_layout(const Bridge& bridge, const DmabufAttributes& a,
                                                                 const FormatSpec** spec_out);

// The modifiers the device reports for single-plane images of texture format f
// (DawnDrmFormatCapabilities; empty without that feature). LINEAR is not implied.
std::vector<uint64_t> reported_modifiers(const Bridge& bridge, WGPUTextureFormat f);

// Everything import_dmabuf refuses before its first driver call, for validate_dmabuf and
// validate_dmabuf_texture too: validate_layout, read-only fds on CPU adapters, the device's
// DMA-BUF import, a modifier the device does not list, render usage of a format that cannot be
// rendered to, an unknown YUV encoding.
Result<std::array<BufferInfo, kDmabufMaxPlanes>> validate_import(const Bridge& bridge, const DmabufAttributes& a,
                                                                 const DmabufImportOptions& options,
                                                                 const FormatSpec** spec_out);

// The YUV planes (the renderer binds them through yuv_plane_views), and the encoding to convert with.
struct YuvPlanes {
    const FormatSpec* spec = nullptr;
    uint32_t width = 0, height = 0;
    std::array<wg::TextureView, 3> views;  // Y, C (or Cb), Cr; unused slots repeat view 0/1
    YuvColor color;
    uint64_t color_generation = 1;  // bumped by set_yuv_color; bind groups rewrite their uniform
    bool native = false;            // one multi-planar Dawn texture (plane views), not one per plane
};

// The SharedAccess of an imported texture (the one implementation, over every memory it is
// made of: one, or one per plane), and the YUV planes the renderer binds.
class DmabufAccess final : public SharedMemoryAccess {
public:
    using SharedMemoryAccess::SharedMemoryAccess;
    std::shared_ptr<YuvPlanes> yuv;  // null for RGB
};

DmabufAccess* access_of(const Texture& t);
YuvPlanes* yuv_of(const Texture& t);

}  // namespace wlgpu::dmabuf
