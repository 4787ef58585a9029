// Test-bed helper for the sync tests and benchmarks (tests/support, linked by tests/ and bench/):
// a w x h RGBA8 (DRM ABGR8888, LINEAR) udmabuf, mapped for the CPU (what a client writes), and
// its import through the public DMA-BUF importer (what the compositor samples).
#pragma once

#include <cstdint>
#include <memory>

#include "common/dmabuf_alloc.hpp"  // MappedDmabuf: the one dma-buf allocator
#include "wlgpu/bridge.hpp"
#include "wlgpu/texture.hpp"

namespace wlgpu::test {

struct UdmabufImage {
    MappedDmabuf mem;
    uint32_t width = 0, height = 0, stride = 0;
    std::shared_ptr<Texture> texture;  // texture->shared_access: its SharedAccess
    SharedAccess& access() const { return *texture->shared_access; }
    void fill(uint32_t rgba);  // bytes R,G,B,A from the low byte up
};
Result<std::unique_ptr<UdmabufImage>> make_udmabuf_image(Bridge& bridge, uint32_t width, uint32_t height);

// Submits a GPU copy of the texture's top-left w x h texels into buf at offset (rows of 256
// bytes): "the frame that samples the buffer". Call it between begin() and end().
void read_into(const Texture& texture, WGPUBuffer buf, uint64_t offset, uint32_t w, uint32_t h);

}  // namespace wlgpu::test
