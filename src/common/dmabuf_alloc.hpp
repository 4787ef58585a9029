// Real kernel dma-bufs in system memory, mapped for the CPU: udmabuf (over a sealed memfd) or the
// system dma-heap. The one dma-buf allocator of wlgpu (the DMA-BUF format probe, the sync probe)
// and of its tests and benchmarks (tests/import/test_dmabuf_alloc.hpp adds vgem dumb buffers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "wlgpu/error.hpp"
#include "wlgpu/sync_file.hpp"  // Fd

namespace wlgpu {

enum class DmabufSource { udmabuf, system_heap };
const char* to_string(DmabufSource s);

class MappedDmabuf {
public:
    MappedDmabuf() = default;
    MappedDmabuf(sync::Fd fd, uint8_t* map, size_t size) : fd_(std::move(fd)), map_(map), size_(size) {}
    MappedDmabuf(MappedDmabuf&& o) noexcept
        : fd_(std::move(o.fd_)), map_(std::exchange(o.map_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    MappedDmabuf& operator=(MappedDmabuf&& o) noexcept;
    MappedDmabuf(const MappedDmabuf&) = delete;
    MappedDmabuf& operator=(const MappedDmabuf&) = delete;
    ~MappedDmabuf();

    int fd() const { return fd_.get(); }
    uint8_t* data() const { return map_; }  // size() bytes, MAP_SHARED of the dma-buf
    size_t size() const { return size_; }
    // DMA_BUF_IOCTL_SYNC around CPU access: begin_cpu(write) ... end_cpu(write).
    void begin_cpu(bool write) const;
    void end_cpu(bool write) const;

private:
    sync::Fd fd_;
    uint8_t* map_ = nullptr;
    size_t size_ = 0;
};

// A dma-buf of at least `size` bytes (rounded up to whole pages) from `source`, mapped.
Result<MappedDmabuf> alloc_dmabuf(DmabufSource source, size_t size);
// udmabuf, else the system dma-heap.
Result<MappedDmabuf> alloc_dmabuf(size_t size);

}  // namespace wlgpu
