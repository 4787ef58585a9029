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

// The YUV planes (the renderer binds them through yuv_plane_views), and the encoding to convert with.
struct YuvPlanes {
    const FormatSpec* spec = nullptr;
    uint32_t width = 0, height = 0;
    std::array<wg::TextureView, 3> views;  // Y, C (or Cb), Cr; unused slots repeat view 0/1
    YuvColor color;
    uint64_t color_generation = 1;  // bumped by set_yuv_color; bind groups rewrite their uniform
    bool native = false;            // one multi-planar Dawn texture (plane views), not one per plane
};

// The SharedAccess of an imported texture: every (memory, texture) pair it is made of.
class DmabufAccess final : public SharedAccess {
public:
    struct Part {
        wg::SharedTextureMemory memory;
        wg::Texture texture;
    };
    DmabufAccess(Bridge& b, std::vector<Part> parts, bool initialized, std::string name)
        : bridge_(&b), parts_(std::move(parts)), initialized_(initialized), name_(std::move(name)) {}
    ~DmabufAccess() override;

    Result<void> begin(bool write) override;
    Result<void> end() override;
    Result<void> add_wait_sync_file(int fd) override;
    Result<int> export_end_sync_file() override;

    uint32_t depth() const { return depth_; }
    // Dawn accesses made so far (outermost begin() calls that reached BeginAccess).
    uint64_t accesses() const { return accesses_; }
    const std::vector<Part>& parts() const { return parts_; }
    std::shared_ptr<YuvPlanes> yuv;  // null for RGB

private:
    Bridge* bridge_;
    std::vector<Part> parts_;
    bool initialized_;
    std::string name_;
    uint32_t depth_ = 0;  // begin() nesting: Dawn's BeginAccess runs for the outermost only
    uint64_t accesses_ = 0;
    struct Layouts {
        int32_t old_layout, new_layout;
    };
    std::vector<Layouts> layouts_;              // per part, from the last EndAccess
    std::vector<wg::SharedFence> wait_fences_;  // waited on by the next BeginAccess (all parts)
    std::vector<uint64_t> wait_values_;
    std::vector<wg::SharedFence> end_fences_;   // from the last EndAccess
};

DmabufAccess* access_of(const Texture& t);
YuvPlanes* yuv_of(const Texture& t);

}  // namespace wlgpu::dmabuf
