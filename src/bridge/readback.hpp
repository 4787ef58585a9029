// Texture -> CPU memory: the one texture-to-buffer copy of wlgpu (read_pixels, the DMA-BUF format
// probe, the sync probe's "frame that samples the buffer").
#pragma once

#include <cstdint>
#include <utility>

#include "wlgpu/bridge.hpp"
#include "wlgpu/types.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu {

// WebGPU's bytesPerRow alignment for texture <-> buffer copies.
constexpr uint32_t kCopyRowAlign = 256;
constexpr uint32_t copy_row_bytes(uint32_t width, uint32_t texel_bytes) {
    return (width * texel_bytes + kCopyRowAlign - 1) / kCopyRowAlign * kCopyRowAlign;
}

// Records and submits a copy of the texels `src` of `tex` into `buf` at `offset`, rows
// `bytes_per_row` apart (a multiple of kCopyRowAlign). Does not wait.
void submit_texture_copy(WGPUDevice device, WGPUQueue queue, WGPUTexture tex, Box src, WGPUBuffer buf,
                         uint64_t offset, uint32_t bytes_per_row);

// A texture region copied to a buffer and mapped for reading: row y starts at row(y).
class Readback {
public:
    Readback() = default;
    Readback(Readback&& o) noexcept
        : buffer_(std::move(o.buffer_)), data_(std::exchange(o.data_, nullptr)), row_bytes_(o.row_bytes_) {}
    Readback& operator=(Readback&&) = delete;
    ~Readback();
    const uint8_t* row(uint32_t y) const { return data_ + size_t(y) * row_bytes_; }
    uint32_t row_bytes() const { return row_bytes_; }

private:
    friend Result<Readback> read_back(const Bridge&, WGPUTexture, uint32_t, Box, const char*);
    wg::Buffer buffer_;
    const uint8_t* data_ = nullptr;
    uint32_t row_bytes_ = 0;
};

// Copies the region `src` (texels of texel_bytes) of `tex` and waits until it is mapped.
Result<Readback> read_back(const Bridge& b, WGPUTexture tex, uint32_t texel_bytes, Box src, const char* label);

}  // namespace wlgpu
