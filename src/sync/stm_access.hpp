// SharedAccess over a Dawn SharedTextureMemory with the explicit-sync hooks: a reference
// implementation for importers (the DMA-BUF importer's Texture::shared_access does the same),
// used by the sync probe, tests and benchmarks on udmabuf-backed textures.
#pragma once

#include <vector>

#include "common/dmabuf_alloc.hpp"
#include "wlgpu/sync.hpp"
#include "wlgpu/texture.hpp"

namespace wlgpu::sync {

class StmAccess final : public SharedAccess {
public:
    StmAccess(WGPUDevice device, wg::SharedTextureMemory memory, wg::Texture texture)
        : device_(device), memory_(std::move(memory)), texture_(std::move(texture)) {}
    ~StmAccess() override;
    Result<void> begin(bool write) override;
    Result<void> end() override;
    Result<void> add_wait_sync_file(int fd) override;
    Result<int> export_end_sync_file() override;

    // Submits a GPU read of the texture's top-left w x h texels into buf at offset (rows of 256
    // bytes): the "frame that samples the buffer" of the probe, tests and benchmarks. Call it
    // between begin() and end().
    void read_into(WGPUQueue queue, WGPUBuffer buf, uint64_t offset, uint32_t w, uint32_t h) const;

    WGPUTexture texture() const { return texture_.get(); }
    WGPUSharedTextureMemory memory() const { return memory_.get(); }
    bool in_access() const { return in_access_; }

private:
    WGPUDevice device_;
    wg::SharedTextureMemory memory_;
    wg::Texture texture_;
    std::vector<wg::SharedFence> waits_;      // for the next begin()
    std::vector<wg::SharedFence> end_fences_; // from the last end()
    bool in_access_ = false, initialized_ = true;
};

// A udmabuf (memfd-backed dma-buf) of w x h RGBA8 (DRM ABGR8888, LINEAR) mapped for the CPU,
// and its Dawn import.
struct Udmabuf {
    MappedDmabuf mem;  // the dma-buf and its mapping (what a client writes)
    uint32_t width = 0, height = 0, stride = 0;
    void fill(uint32_t rgba);  // bytes R,G,B,A from the low byte up
};
Result<std::unique_ptr<Udmabuf>> make_udmabuf(uint32_t width, uint32_t height);
// Imports the dma-buf; usage of the texture: CopySrc | TextureBinding (| RenderAttachment).
Result<std::shared_ptr<StmAccess>> import_udmabuf(WGPUDevice device, const Udmabuf& buf);

// Kernel objects of the test bed (its DRM nodes: common/drm_nodes.hpp).
struct VgemFence {
    Fd sync_file;  // unsignalled until vgem_signal(id) (the kernel expires it after ~10 s)
    uint32_t id = 0;
};
Result<VgemFence> vgem_fence(int vgem_fd);
Result<void> vgem_signal(int vgem_fd, uint32_t id);

}  // namespace wlgpu::sync
