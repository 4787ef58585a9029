// Zero-copy import of DMA-BUFs (client buffers, scanout/render buffers) through Dawn's
// SharedTextureMemory (DmaBuf), including multi-planar YUV, and the format/modifier lists
// a wlroots renderer advertises (get_texture_formats / get_render_formats for DMABUF).
//
// Ownership: the fds in DmabufAttributes stay the caller's. Dawn duplicates the fd it imports
// (vkAllocateMemory owns the duplicate); import_dmabuf neither closes nor keeps the caller's
// fds, so the caller may close them as soon as import_dmabuf returns (wlroots closes them when
// the wlr_buffer goes away). The returned Texture keeps the imported memory alive by itself and
// holds up to two fds per plane texture (Dawn's duplicate, the last end-of-access sync_file):
// compositors with hundreds of client buffers should raise RLIMIT_NOFILE.
//
// Caching: import once per client buffer (the wlroots adapter keys on the wlr_buffer) and keep
// the Texture. An unchanged cached buffer costs no import, no allocation and no validation per
// frame: only Dawn's BeginAccess/EndAccess around the frame's submit (Frame does that, once per
// texture per frame, however often it is drawn). Re-import only when the buffer changes.
//
// Synchronisation: Frame::submit calls texture->shared_access->begin()/end(). Anything else
// that uses an imported texture on the GPU (Texture::read_pixels, a copy) must do the same:
//     tex->shared_access->begin(false); tex->read_pixels(...); tex->shared_access->end();
#pragma once

#include <array>
#include <optional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wlgpu/error.hpp"
#include "wlgpu/texture.hpp"

namespace wlgpu {

class Bridge;

constexpr uint64_t kDrmFormatModLinear = 0;
constexpr uint64_t kDrmFormatModInvalid = 0x00ffffffffffffffull;
constexpr uint32_t kDmabufMaxPlanes = 4;

struct DmabufPlane {
    int fd = -1;          // borrowed: the caller keeps ownership
    uint32_t offset = 0;  // bytes from the start of the fd's buffer
    uint32_t stride = 0;  // bytes per row
};

// Same fields as struct wlr_dmabuf_attributes.
struct DmabufAttributes {
    uint32_t width = 0, height = 0;
    uint32_t format = 0;                    // DRM_FORMAT_* fourcc
    uint64_t modifier = kDrmFormatModLinear;
    uint32_t n_planes = 0;
    std::array<DmabufPlane, kDmabufMaxPlanes> planes{};
};

// YCbCr -> RGB conversion (wlroots 0.20: wlr_render_texture_options.color_encoding / color_range).
enum class YuvMatrix : uint32_t { bt601 = 0, bt709 = 1, bt2020 = 2 };
enum class YuvRange : uint32_t { limited = 0, full = 1 };
struct YuvColor {
    YuvMatrix matrix = YuvMatrix::bt601;  // wlroots' default for YCbCr
    YuvRange range = YuvRange::limited;
    bool operator==(const YuvColor&) const = default;
};

struct DmabufImportOptions {
    // sample: drawable texture. render: also a render target (Renderer::begin); RGB formats only.
    TextureUsage usage = TextureUsage::sample;
    // The buffer holds content (client buffers: true). false lets the first access discard it.
    bool initialized = true;
    YuvColor color;  // initial YCbCr encoding of YUV formats (see set_yuv_color)
    // The copy path's bound (a client cannot raise it by asking): a buffer that only the copy
    // path can show and whose plane holds more bytes than this is refused (Errc::unsupported,
    // naming the limit) at validation time, before anything is mapped or copied. The default
    // covers 7680x4320 at 4 bytes per pixel; a 16384x16384 read-only buffer (1 GiB) would stall
    // the compositor's thread for seconds on each copy.
    uint64_t max_copy_bytes = kDefaultMaxCopyBytes;
    static constexpr uint64_t kDefaultMaxCopyBytes = 128ull << 20;
    // The copy path only: plane 0 already read into compositor memory (read_dmabuf_rows, for
    // instance on a thread other than the event loop's). Where it holds every row to copy (and
    // has the plane's stride) the copy path uploads it (Texture::update_from_copy) instead of
    // mapping and reading the buffer on the calling thread. Borrowed for the call.
    const RowCopy* copied = nullptr;
};

// Checks the attributes without any driver call, exactly as import_dmabuf does before it calls
// the driver: fds (open, dma-bufs: fstatfs f_type == DMA_BUF_MAGIC, not a memfd or a file; not
// overlapping), plane count for the format and modifier, offsets and strides that are multiples
// of the plane's bytes per texel, 64-bit offset/stride/size arithmetic against each buffer's real
// size (lseek SEEK_END), device size limits, known format, a modifier the device lists for it
// (DawnDrmFormatCapabilities), the device's DMA-BUF import, and (CPU adapters) fds the driver can
// map read-write. The error names the buffer ("dmabuf 64x32 NV12 plane 1: ...") and
// the reason.
Result<void> validate_dmabuf(const Bridge& bridge, const DmabufAttributes& attrs);

// Validates, then imports. RGB formats become one texture; YUV formats a texture that
// Frame::draw_texture converts to RGB in WGSL (is_yuv() is true; read_pixels is not available).
Result<std::shared_ptr<Texture>> import_dmabuf(Bridge& bridge, const DmabufAttributes& attrs,
                                               const DmabufImportOptions& options = {});

// The copy path, for DMA-BUFs the driver cannot import zero-copy: a software Vulkan driver
// (lavapipe) maps imports read-write, so it refuses read-only dma-bufs (Mesa's GBM exports
// client buffers without DRM_RDWR), and import_dmabuf fails with Errc::unsupported. Use it only
// after import_dmabuf failed: it costs a CPU read of the whole buffer and an upload per call.
//
// True when a plane's fd is not open read-write (F_GETFL), the reason import_dmabuf refuses it
// on CPU adapters.
bool dmabuf_read_only(const DmabufAttributes& attrs);
// A memory Texture (no shared_access) holding a copy of the buffer: the dma-buf is mapped
// read-only (PROT_READ, MAP_SHARED) and read between DMA_BUF_IOCTL_SYNC START/END READ, then
// unmapped. Single-plane RGB formats with the LINEAR modifier only (Errc::unsupported otherwise).
// The fds stay the caller's and nothing is kept open.
Result<std::shared_ptr<Texture>> copy_dmabuf(Bridge& bridge, const DmabufAttributes& attrs,
                                             const DmabufImportOptions& options = {});
// The checks copy_dmabuf runs before it maps the buffer: its format range, options.max_copy_bytes,
// then the same layout validation as validate_dmabuf (read-only fds are what it is for, so those
// pass).
Result<void> validate_copy_dmabuf(const Bridge& bridge, const DmabufAttributes& attrs,
                                  const DmabufImportOptions& options = {});
// Copies the buffer's current content again into a texture from copy_dmabuf (same size and
// format): call it each time the client commits the buffer. With damage, only the damaged
// boxes (buffer coordinates, clamped to the buffer) are read and uploaded: valid when the
// texture holds the buffer's content as of its previous commit and damage is what changed since
// (the surface damage of a re-commit of the same buffer).
Result<void> recopy_dmabuf(Texture& texture, const DmabufAttributes& attrs);
Result<void> recopy_dmabuf(Texture& texture, const DmabufAttributes& attrs, std::span<const Box> damage,
                           const RowCopy* copied = nullptr);
// What the copy path reads, without Dawn or a Bridge (any thread; the buffer must have passed
// validate_copy_dmabuf): rows [into.first(), into.end()) of plane 0, mapped read-only between
// DMA_BUF_IOCTL_SYNC START/END READ, copied into `into` (made with the plane's stride). The
// copy path (DmabufImportOptions::copied, recopy_dmabuf's copied) uploads it later.
Result<void> read_dmabuf_rows(const DmabufAttributes& attrs, RowCopy& into);
// Successful copy_dmabuf + recopy_dmabuf calls in this process, and the bytes they read from
// dma-bufs (damaged boxes only, for a recopy with damage).
uint64_t dmabuf_copy_count();
uint64_t dmabuf_copy_bytes();

// A texture of a client DMA-BUF, the importer's choice: zero-copy (import_dmabuf), or a CPU copy
// (copy_dmabuf) where the driver cannot import the buffer (Errc::unsupported for a read-only
// dma-buf). A compositor asks for this, keeps it per client buffer, and calls
// refresh_dmabuf_texture on each commit of the buffer.
enum class DmabufPath : uint8_t { import, copy };
struct DmabufTexture {
    std::shared_ptr<Texture> texture;
    DmabufPath path = DmabufPath::import;
    std::string copy_reason;  // path == copy: why the buffer was not imported (the import's error)
};
// The error of a buffer that can be neither imported nor copied names both reasons.
Result<DmabufTexture> dmabuf_texture(Bridge& bridge, const DmabufAttributes& attrs,
                                     const DmabufImportOptions& options = {});
// The checks dmabuf_texture runs before any driver call, for the path it would take
// (validate_dmabuf plus the options: render usage of a format that cannot be rendered to, the
// YUV encoding; or validate_copy_dmabuf for a buffer only the copy path can show).
Result<void> validate_dmabuf_texture(const Bridge& bridge, const DmabufAttributes& attrs,
                                     const DmabufImportOptions& options = {});
// A commit of the buffer: a copy is made again (recopy_dmabuf, with damage when given: see
// there); an import shares the memory and needs nothing.
Result<void> refresh_dmabuf_texture(const DmabufTexture& texture, const DmabufAttributes& attrs);
Result<void> refresh_dmabuf_texture(const DmabufTexture& texture, const DmabufAttributes& attrs,
                                    std::span<const Box> damage, const RowCopy* copied = nullptr);

// What a renderer binds to draw a YUV texture. The importer owns the memory, the plane views and
// the colour description; the renderer keeps its own bind groups and uniforms.
struct YuvPlaneViews {
    std::array<WGPUTextureView, 3> views{};  // Y, C (or Cb), Cr; unused slots repeat view 0/1
    YuvLayout layout = YuvLayout::rgb;
    bool swap_uv = false;    // two_plane: Cr before Cb (NV21)
    uint32_t bits = 8;       // 8, or 10 (P010: the shader gets 10-bit integer codes)
    YuvColor color;
    uint64_t color_generation = 0;  // changes with set_yuv_color: rewrite the uniform
    const char* format_name = "";
};
// The plane views of a YUV texture from import_dmabuf; nullopt for any other texture. Borrowed:
// valid while the texture lives.
std::optional<YuvPlaneViews> yuv_plane_views(const Texture& texture);

// True for a texture from import_dmabuf of a YUV format.
bool is_yuv(const Texture& texture);
// Sets the YCbCr encoding used when the texture is drawn next (wlroots passes it per draw).
// No-op (success) for RGB textures; error for unknown values.
Result<void> set_yuv_color(const Texture& texture, YuvColor color);

// A format and the modifiers it can be imported with.
struct DmabufFormat {
    uint32_t fourcc;
    std::vector<uint64_t> modifiers;
};
// What import_dmabuf really handles on this device: DawnDrmFormatCapabilities filtered by a
// probe import (plus content read-back) of a small real dma-buf per format (udmabuf or dma-heap),
// done once per device and cached. Formats Dawn lists but that fail the probe are left out.
const std::vector<DmabufFormat>& dmabuf_texture_formats(Bridge& bridge);
// The subset that can be a render target (import with TextureUsage::render).
const std::vector<DmabufFormat>& dmabuf_render_formats(Bridge& bridge);

// "dmabuf 64x32 NV12 (LINEAR, 2 planes)": how errors name a buffer.
std::string describe_dmabuf(const DmabufAttributes& attrs);
// Short format name: "NV12", "ARGB8888", or the fourcc characters.
std::string drm_format_name(uint32_t fourcc);

}  // namespace wlgpu
