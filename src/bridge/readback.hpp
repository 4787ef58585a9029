// Texture -> CPU memory: the one texture-to-buffer copy of wlgpu (read_pixels, the DMA-BUF format
// probe, the sync probe's "frame that samples the buffer"). Two ways in:
//   read_back        copies boxes into the bridge's persistent MapRead staging buffer (grown when
//                    too small, never one per frame) and maps it; the caller copies out;
//   HostImport       caller memory imported once as a WGPUBuffer (HostMappedPointer): the GPU
//                    copies straight into it and the CPU copies nothing. The same import serves
//                    the other direction (HostUse::upload: client memory -> texture).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "wlgpu/bridge.hpp"
#include "wlgpu/types.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu {

// WebGPU's bytesPerRow alignment for texture <-> buffer copies.
constexpr uint32_t kCopyRowAlign = 256;
constexpr uint32_t copy_row_bytes(uint32_t width, uint32_t texel_bytes) {
    return (width * texel_bytes + kCopyRowAlign - 1) / kCopyRowAlign * kCopyRowAlign;
}

// One texture region -> buffer copy: the texels `src` land at `offset`, rows `bytes_per_row` apart.
struct TextureCopy {
    Box src;
    uint64_t offset = 0;
    uint32_t bytes_per_row = 0;
};

// Records the copies of `tex` into `buf` into enc (the caller submits it).
void encode_texture_copies(WGPUCommandEncoder enc, WGPUTexture tex, WGPUBuffer buf, std::span<const TextureCopy> copies);
// Records and submits the copies of `tex` into `buf` in one command buffer. Does not wait.
void submit_texture_copies(WGPUDevice device, WGPUQueue queue, WGPUTexture tex, WGPUBuffer buf,
                           std::span<const TextureCopy> copies);
inline void submit_texture_copy(WGPUDevice device, WGPUQueue queue, WGPUTexture tex, Box src, WGPUBuffer buf,
                                uint64_t offset, uint32_t bytes_per_row) {
    const TextureCopy c{src, offset, bytes_per_row};
    submit_texture_copies(device, queue, tex, buf, std::span<const TextureCopy>(&c, 1));
}

// The bridge's read-back staging buffer (one per device, reused by every read_back).
class ReadbackStaging {
public:
    wg::Buffer buffer;
    uint64_t capacity = 0;
    bool in_use = false;  // mapped by a live Readback
};

// Texture regions copied to the staging buffer and mapped for reading: row y of box i is row(i, y).
class Readback {
public:
    Readback() = default;
    Readback(Readback&& o) noexcept
        : staging_(std::exchange(o.staging_, nullptr)), own_(std::move(o.own_)), buf_(std::exchange(o.buf_, nullptr)),
          size_(o.size_), data_(std::exchange(o.data_, nullptr)), boxes_(std::move(o.boxes_)) {}
    Readback& operator=(Readback&&) = delete;
    ~Readback();
    const uint8_t* row(size_t box, uint32_t y) const {
        return data_ + boxes_[box].offset + size_t(y) * boxes_[box].bytes_per_row;
    }
    const uint8_t* row(uint32_t y) const { return row(0, y); }
    uint32_t row_bytes(size_t box = 0) const { return boxes_[box].bytes_per_row; }
    // After the command buffer holding record_read_back's copies was submitted: waits until
    // they are mapped (rows readable).
    Result<void> map(const Bridge& b, const char* label);

private:
    friend Result<Readback> record_read_back(const Bridge&, WGPUTexture, uint32_t, std::span<const Box>,
                                             WGPUCommandEncoder, const char*);
    ReadbackStaging* staging_ = nullptr;  // set while the bridge's staging buffer is held for us
    wg::Buffer own_;                      // a buffer of our own when the staging one was busy
    WGPUBuffer buf_ = nullptr;            // the one of the two the copies go to
    uint64_t size_ = 0;
    const uint8_t* data_ = nullptr;
    std::vector<TextureCopy> boxes_;
};

// read_back in two halves, for a caller that submits the copies with other work in one command
// buffer (Frame::submit: a frame and its read-back, one submit): encodes the copies of the boxes
// into enc; after enc's command buffer was submitted, map() waits for them.
Result<Readback> record_read_back(const Bridge& b, WGPUTexture tex, uint32_t texel_bytes, std::span<const Box> boxes,
                                  WGPUCommandEncoder enc, const char* label);

// Copies the regions `boxes` (texels of texel_bytes) of `tex` and waits until they are mapped.
// tex must have CopySrc usage (the caller checks: Texture::usage(); every read_back here and
// in HostImport has that precondition).
Result<Readback> read_back(const Bridge& b, WGPUTexture tex, uint32_t texel_bytes, std::span<const Box> boxes,
                           const char* label);
inline Result<Readback> read_back(const Bridge& b, WGPUTexture tex, uint32_t texel_bytes, Box src,
                                  const char* label) {
    return read_back(b, tex, texel_bytes, std::span<const Box>(&src, 1), label);
}

// Which way the GPU copies through a HostImport.
enum class HostUse {
    read_back,  // texture -> the memory (a memory render target)
    upload,     // the memory -> texture (a client's wl_shm buffer)
};

// CPU memory of a width x height image (rows `stride` bytes apart, pixel (0,0) at `data`)
// imported as a WGPUBuffer (HostMappedPointer), so that texture copies land in it (read_back)
// or start from it (upload) directly. The memory must stay mapped at that address while the
// HostImport lives, and until the GPU has finished the copies recorded with it.
class HostImport {
public:
    // Whether the device can import this memory and copies can address it: the feature, its
    // alignment no larger than a page (the import covers the whole pages the image touches), a
    // stride that is a multiple of texel_bytes and, for read_back, of 256 (bytesPerRow; uploads
    // of other strides are copied row by row), a pointer that is a multiple of texel_bytes.
    // Else the reason, for the log.
    static Result<void> usable(const Bridge& b, const void* data, uint32_t stride, uint32_t width, uint32_t height,
                               uint32_t texel_bytes, HostUse use = HostUse::read_back);
    static Result<HostImport> create(const Bridge& b, void* data, uint32_t stride, uint32_t width, uint32_t height,
                                     uint32_t texel_bytes, HostUse use = HostUse::read_back);
    bool matches(const void* data, uint32_t stride, uint32_t width, uint32_t height) const {
        return data == data_ && stride == stride_ && width == width_ && height == height_;
    }
    uint32_t width() const { return width_; }
    uint32_t height() const { return height_; }
    const void* data() const { return data_; }
    uint32_t stride() const { return stride_; }
    // HostUse::upload: whether the GPU copying box out of the memory costs the CPU less than
    // writeTexture's memcpy: always where one copy takes the box; with one copy per row, where a
    // row has at least kMinRowCopyBytes (bench/upload: a row copy costs the calling thread about
    // what the memcpy of 1 KiB does).
    static constexpr uint32_t kMinRowCopyBytes = 1024;
    bool gpu_copy_cheaper(const Box& x) const {
        return stride_ % kCopyRowAlign == 0 || uint64_t(x.width) * texel_ >= kMinRowCopyBytes;
    }
    // Copies the boxes of tex into the memory and waits until the GPU has written them.
    Result<void> copy_from(const Bridge& b, WGPUTexture tex, std::span<const Box> boxes) const;
    // copy_from in two halves (as record_read_back): encode_copy records the copies into enc;
    // after enc's command buffer was submitted, wait() waits until the GPU has written them.
    Result<void> encode_copy(const Bridge& b, WGPUCommandEncoder enc, WGPUTexture tex, std::span<const Box> boxes) const;
    Result<void> wait(const Bridge& b, std::span<const Box> boxes) const;
    // HostUse::upload: records copies of the boxes (inside the image) from the memory into tex,
    // one per box where the stride is a valid bytesPerRow (a multiple of 256), else one per row
    // (a one-row copy needs none). Counts them; the caller submits enc.
    void encode_upload(const Bridge& b, WGPUCommandEncoder enc, WGPUTexture tex, std::span<const Box> boxes) const;

private:
    wg::Buffer buffer_;
    const void* data_ = nullptr;
    uint64_t data_offset_ = 0;  // of pixel (0,0) in the buffer (the import starts on an aligned address)
    uint32_t stride_ = 0, width_ = 0, height_ = 0, texel_ = 0;
};

}  // namespace wlgpu
