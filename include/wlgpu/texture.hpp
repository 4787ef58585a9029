// Textures from memory (wl_shm, data-ptr buffers) and render targets.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "wlgpu/error.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/sync_file.hpp"
#include "wlgpu/types.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu {

class Bridge;
class HostImport;

enum class TextureUsage : uint32_t {
    sample = 1,        // can be drawn (texture binding)
    render = 2,        // can be a render target
};
constexpr TextureUsage operator|(TextureUsage a, TextureUsage b) { return TextureUsage(uint32_t(a) | uint32_t(b)); }
constexpr bool operator&(TextureUsage a, TextureUsage b) { return (uint32_t(a) & uint32_t(b)) != 0; }

// Textures on memory shared with other APIs or processes (DMA-BUF, opaque fd) need Dawn's
// BeginAccess/EndAccess around the GPU work that uses them. A Frame calls begin() once for
// each such texture it uses (its target included) before it submits, and end() after the
// submit, in the same order. begin() may nest (a texture drawn twice, or both source and
// target): Dawn's access is the outermost one. One implementation serves every importer
// (src/import/shared_access.cpp: DMA-BUFs, host images); HostImage adds the host hand-over.
//
// The contract of the explicit-sync hooks, the same for every memory:
//  - add_wait_sync_file(fd): the next outermost begin() makes the GPU wait for this sync_file.
//    Takes ownership of fd (closed on error too); fd < 0 means "already signalled" (no wait).
//  - export_end_sync_file(): after end(), one sync_file that signals when the GPU work of that
//    access is done (the merge of Dawn's end-of-access fences); the caller owns it. An EMPTY Fd
//    means the work is already complete (Dawn left no fence, or only signalled ones): nothing
//    to wait for. Errc::unsupported when the memory cannot export a sync_file (no SharedFenceSyncFD:
//    Dawn's fence is an OPAQUE_FD VkSemaphore), Errc::invalid_argument when called at the wrong
//    time. Memory that is not shared (the defaults below) is Errc::unsupported for both.
class SharedAccess {
public:
    virtual ~SharedAccess() = default;
    virtual Result<void> begin(bool write) = 0;
    virtual Result<void> end() = 0;
    virtual Result<void> add_wait_sync_file(int fd);
    virtual Result<sync::Fd> export_end_sync_file();
};

// Rows of a client image copied by the CPU into memory the compositor owns: read on any thread,
// without Dawn (read_dmabuf_rows; the wlroots adapter's copies of wl_shm pools, made off the event
// loop), then uploaded by Texture::update_from_copy. An anonymous mapping as large as the image
// (pixel (0,0) at data(), rows stride() apart, page aligned) of which only rows [first(), end())
// are written; the other pages are never touched (not resident).
class RowCopy {
public:
    static Result<RowCopy> allocate(uint32_t stride, uint32_t height, uint32_t first, uint32_t end);
    RowCopy(RowCopy&& o) noexcept;
    RowCopy& operator=(RowCopy&& o) noexcept;
    RowCopy(const RowCopy&) = delete;
    RowCopy& operator=(const RowCopy&) = delete;
    ~RowCopy();
    uint8_t* data() const { return data_; }
    uint32_t stride() const { return stride_; }
    uint32_t first() const { return first_; }
    uint32_t end() const { return end_; }
    uint8_t* row(uint32_t y) const { return data_ + uint64_t(y) * stride_; }
    uint64_t bytes() const { return uint64_t(end_ - first_) * stride_; }  // what the rows hold
    // Whether every non-empty box lies within the copied rows.
    bool covers(std::span<const Box> boxes) const;
    // Whether an upload of boxes from an image with rows `stride` apart can take this copy
    // instead of reading the image: the same stride, and every box within the copied rows.
    bool serves(uint32_t stride, std::span<const Box> boxes) const { return stride_ == stride && covers(boxes); }

private:
    RowCopy() = default;
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    uint32_t stride_ = 0, first_ = 0, end_ = 0;
};

// CPU memory holding the same image as a texture (a wl_shm / data-ptr render target) and the
// boxes of the texture to copy into it: see Texture::read_back_to_memory.
struct MemoryTarget {
    std::span<const Box> boxes;
    void* data = nullptr;  // pixel (0,0)
    uint32_t stride = 0;
    uint32_t drm_format = 0;
    bool may_import = false;
};

class Texture {
public:
    // An uninitialised texture of the given DRM format and size.
    static Result<std::shared_ptr<Texture>> create(Bridge& bridge, uint32_t drm_format, uint32_t width,
                                                   uint32_t height, TextureUsage usage = TextureUsage::sample);
    // A texture filled from client memory (stride in bytes). Errors name the reason.
    static Result<std::shared_ptr<Texture>> from_pixels(Bridge& bridge, uint32_t drm_format, uint32_t width,
                                                        uint32_t height, uint32_t stride, const void* data,
                                                        TextureUsage usage = TextureUsage::sample);
    // Wraps an existing WebGPU texture (for importers); takes a reference.
    static std::shared_ptr<Texture> wrap(Bridge& bridge, WGPUTexture texture, const FormatInfo& format,
                                         uint32_t width, uint32_t height);

    // Uploads only the damaged boxes of a full client image (data points at pixel 0,0): the CPU
    // copies them into Dawn's staging memory (wgpuQueueWriteTexture).
    Result<void> update(const void* data, uint32_t stride, std::span<const Box> damage);
    // Uploads the damaged boxes of a client image that `from` imports (HostImport::create with
    // HostUse::upload, over memory of this texture's format, size and no CPU conversion): the
    // GPU copies them out of the memory, the CPU copies nothing; only narrow boxes of a stride
    // that takes a copy per row go through update (HostImport::gpu_copy_cheaper). Submits the
    // GPU's copies at once and returns the future of their completion (id 0 when the GPU copies
    // nothing): until it completes the memory must stay mapped and the client must not write
    // into it.
    Result<WGPUFuture> update_from_import(const HostImport& from, std::span<const Box> damage);
    // Uploads the damaged boxes of a RowCopy of this texture's image (every box within its rows,
    // Errc::invalid_argument otherwise): copied by the GPU out of an import of the memory where
    // the device allows (HostImport), else by update. Returns once the GPU has finished (the
    // memory may be freed): the calling thread waits for the GPU's copy, not for a CPU memcpy.
    Result<void> update_from_copy(const RowCopy& from, std::span<const Box> damage);
    // Reads back src (in texture pixels) into dst as drm_format with dst_stride.
    Result<void> read_pixels(uint32_t drm_format, Box src, uint32_t dst_stride, void* dst);
    // Copies the boxes of this texture into CPU memory that holds the same image (a wl_shm /
    // data-ptr render target): data points at pixel (0,0) of a width() x height() image in
    // drm_format, rows stride apart. With may_import, where the device has HostMappedPointer, the
    // formats match and the stride is a multiple of 256, the memory is imported once and the GPU
    // writes the boxes straight into it; otherwise they go through the bridge's staging buffer
    // and a CPU copy. may_import is the caller's promise that the memory stays mapped at that
    // address, and cannot be truncated under the GPU, while this texture lives (or until a call
    // with other memory). Waits until the pixels are in memory.
    Result<void> read_back_to_memory(std::span<const Box> boxes, void* data, uint32_t stride, uint32_t drm_format,
                                     bool may_import);
    // read_back_to_memory in two halves, for a caller that submits the copies in one command
    // buffer with its own work (Frame::submit: a frame and its read-back, one submit):
    // record_read_back encodes the copies into enc (false: nothing to copy, nothing recorded);
    // after enc's command buffer was submitted, finish_read_back waits until the pixels are in
    // memory. A recorded read-back whose command buffer is not submitted is dropped with
    // cancel_read_back. One read-back at a time per texture.
    Result<bool> record_read_back(WGPUCommandEncoder enc, const MemoryTarget& target);
    Result<void> finish_read_back();
    void cancel_read_back();

    uint32_t width() const { return width_; }
    uint32_t height() const { return height_; }
    const FormatInfo& format() const { return *format_; }
    // A caller that writes into the texture through handle() (anything but this class's
    // update* methods) calls mark_changed() before the next frame that draws it: otherwise a
    // renderer may keep drawing the previous content from its atlas (src/render/atlas.hpp;
    // render targets and wrapped textures never enter one).
    WGPUTexture handle() const { return texture_.get(); }
    // Counts the writes into the texture's content (update*, mark_changed); the renderer's atlas
    // copies a texture again when it changed.
    uint64_t content_version() const { return version_; }
    void mark_changed() { version_++; }
    // Every write into the texture goes through its own methods (made by create or from_pixels,
    // not wrapped): the renderer may keep a copy of it in its atlas.
    bool content_tracked() const { return content_tracked_; }
    WGPUTextureView view() const { return view_.get(); }
    // The texture's WebGPU usage, read once when it was made (checked per frame).
    WGPUTextureUsage usage() const { return usage_; }
    Bridge& bridge() const { return *bridge_; }

    // Set by importers of shared memory; null for ordinary textures.
    std::shared_ptr<SharedAccess> shared_access;

    // Renderer-owned cache slot (bind groups per filter); opaque to everyone else.
    struct RendererCache;
    std::shared_ptr<RendererCache> renderer_cache;

    Texture(Bridge& b, wg::Texture t, const FormatInfo& f, uint32_t w, uint32_t h);

private:
    Bridge* bridge_;
    wg::Texture texture_;
    wg::TextureView view_;
    const FormatInfo* format_;
    uint32_t width_, height_;
    WGPUTextureUsage usage_;
    uint64_t version_ = 1;
    bool content_tracked_ = false;
    std::shared_ptr<HostImport> host_import_;  // read_back_to_memory's imported target memory
    const void* host_import_refused_ = nullptr;  // memory the device could not import (not retried)
    struct PendingReadback;
    std::shared_ptr<PendingReadback> pending_;  // between record_read_back and finish_read_back
};

}  // namespace wlgpu
