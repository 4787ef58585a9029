// The one SharedAccess implementation: Dawn SharedTextureMemory BeginAccess/EndAccess over one
// memory or several (the planes of a DMA-BUF imported one texture per plane), with the Vulkan
// image layouts, the initialized flag, the waits of the next access and the fences of the last.
// Used by the DMA-BUF importer (DmabufAccess adds the YUV planes) and by HostImage (which adds
// the host hand-over); tests and benchmarks reach it through Texture::shared_access.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wlgpu/sync_file.hpp"
#include "wlgpu/texture.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu {

class Bridge;

class SharedMemoryAccess : public SharedAccess {
public:
    struct Part {
        wg::SharedTextureMemory memory;
        wg::Texture texture;
    };
    // A queue family transfer's two VkImageLayout values (Dawn's Vulkan Begin/End state chains).
    struct Layouts {
        int32_t old_layout = 0, new_layout = 0;
    };

    // initialized: the content is defined at the first access, which goes from GENERAL (or
    // UNDEFINED when not initialized) to GENERAL; later accesses start from the layouts and the
    // initialized flag the last EndAccess left. name starts every error.
    SharedMemoryAccess(Bridge& bridge, std::vector<Part> parts, bool initialized, std::string name);
    ~SharedMemoryAccess() override;

    // The contract is SharedAccess's (wlgpu/texture.hpp).
    Result<void> begin(bool write) override;
    Result<void> end() override;
    Result<void> add_wait_sync_file(int fd) override;
    Result<sync::Fd> export_end_sync_file() override;

    // For an owner that hands the memory to another user between accesses (HostImage):
    void add_wait(wg::SharedFence fence);                    // the next begin() waits for it (value 1)
    void set_next_begin(Layouts layouts, bool initialized);  // for every part
    std::vector<wg::SharedFence> take_end_fences();          // those of the last end()
    Layouts end_layouts() const { return next_.empty() ? Layouts{} : next_[0]; }  // part 0's
    bool initialized() const { return initialized_; }

    const std::string& name() const { return name_; }
    uint32_t depth() const { return depth_; }
    // Dawn accesses made so far (outermost begin() calls that reached BeginAccess).
    uint64_t accesses() const { return accesses_; }
    const std::vector<Part>& parts() const { return parts_; }

private:
    void undo_begin(size_t n);

    Bridge* bridge_;
    std::vector<Part> parts_;
    std::string name_;
    bool initialized_;
    uint32_t depth_ = 0;  // begin() nesting: Dawn's BeginAccess runs for the outermost only
    uint64_t accesses_ = 0;
    std::vector<Layouts> next_;                // per part: the next BeginAccess's layouts
    std::vector<wg::SharedFence> waits_;       // waited on by the next BeginAccess (all parts)
    std::vector<wg::SharedFence> end_fences_;  // from the last EndAccess (all parts)
};

}  // namespace wlgpu
