// Same GPU as the host: a compositor with its own Vulkan device shares images and
// semaphores with wlgpu by file descriptor (this replaces sharing one VkDevice).
//
//   1. Pick the same physical GPU: BridgeOptions::adapter.device_uuid (or .drm_node).
//   2. The host creates a VkImage with VkExternalMemoryImageCreateInfo{OPAQUE_FD}, allocates its
//      memory with VkExportMemoryAllocateInfo{OPAQUE_FD} and exports it (vkGetMemoryFdKHR);
//      HostImage::import() makes a wlgpu::Texture of the same memory.
//   3. Each time the host hands the image to wlgpu it records a release barrier (dst queue family
//      VK_QUEUE_FAMILY_EXTERNAL) and signals a semaphore, then calls hand_over() with the
//      semaphore's fd and the barrier's layouts. wlgpu uses the texture between
//      SharedAccess::begin() and end() (the renderer's frames, read_pixels...).
//   4. hand_back() gives the host the semaphores to wait on and the layouts of its acquire barrier
//      (src queue family VK_QUEUE_FAMILY_EXTERNAL).
//
// Semaphores travel as OPAQUE_FD (VkSemaphore payload reference) or SYNC_FD (a sync_file):
// Capabilities::opaque_fd_semaphore / sync_fd_fence say which this device can import. What
// hand_back() returns is what Dawn exports: SYNC_FD when the device has SharedFenceSyncFD,
// otherwise OPAQUE_FD.
//
// DMA-BUF images go through the DMA-BUF importer (include/wlgpu/dmabuf.hpp) instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wlgpu/error.hpp"
#include "wlgpu/texture.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu {

class Bridge;
class SharedMemoryAccess;  // src/import/shared_access.hpp

enum class SemaphoreFd : uint32_t {
    opaque_fd = 1,  // VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT
    sync_fd = 2,    // VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT (a sync_file)
};
const char* to_string(SemaphoreFd t);

struct HostSemaphore {
    SemaphoreFd type = SemaphoreFd::opaque_fd;
    int fd = -1;
};

// How the host created and allocated the image: the values it passed to vkCreateImage and
// vkAllocateMemory. wlgpu creates its own VkImage from the same VkImageCreateInfo (2D, 1 mip,
// 1 layer, 1 sample, VK_SHARING_MODE_EXCLUSIVE, initialLayout UNDEFINED, chained
// VkExternalMemoryImageCreateInfo{OPAQUE_FD} and, if view_formats is not empty,
// VkImageFormatListCreateInfo), so the host must use exactly these too.
struct HostImageDesc {
    uint32_t width = 0, height = 0;
    // VK_FORMAT_R8G8B8A8_UNORM, B8G8R8A8_UNORM, A2B10G10R10_UNORM_PACK32 or R16G16B16A16_SFLOAT.
    int32_t vk_format = 0;
    // VkImageUsageFlags. Dawn needs TRANSFER_DST; SAMPLED to draw it, COLOR_ATTACHMENT to render
    // into it, TRANSFER_SRC to read it back.
    uint32_t vk_usage = 0;
    // VkImageCreateFlags: the 8-bit UNORM formats have an sRGB view format, so Dawn requires
    // VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT for them (with SAMPLED or COLOR_ATTACHMENT usage).
    uint32_t vk_flags = 0;
    int32_t vk_tiling = 0;               // VK_IMAGE_TILING_OPTIMAL (0) or LINEAR (1)
    std::vector<int32_t> view_formats;   // VkImageFormatListCreateInfo::pViewFormats; empty: none
    // The memory. memory_fd is borrowed: wlgpu duplicates it, the caller still closes its own.
    int memory_fd = -1;                  // vkGetMemoryFdKHR(OPAQUE_FD)
    uint64_t allocation_size = 0;        // VkMemoryAllocateInfo::allocationSize
    uint32_t memory_type_index = 0;      // VkMemoryAllocateInfo::memoryTypeIndex (same device)
    bool dedicated_allocation = false;   // VkMemoryDedicatedAllocateInfo was chained
    std::string label;                   // names the image in errors
};

// The two layouts of a queue family ownership transfer: the releasing side's barrier and the
// acquiring side's barrier use the same pair (VkImageLayout values).
struct LayoutTransition {
    int32_t old_layout = 0;  // VK_IMAGE_LAYOUT_UNDEFINED
    int32_t new_layout = 0;
};

// Host -> wlgpu, before wlgpu's next begin().
struct HostRelease {
    std::vector<HostSemaphore> wait;  // wlgpu's next access waits for these; their fds become wlgpu's
    LayoutTransition layouts;         // of the host's release barrier (dst family EXTERNAL)
    bool initialized = true;          // false: the content is undefined, wlgpu may discard it
};

// wlgpu -> host, after wlgpu's end().
struct HostAcquire {
    // The host waits for these (import, then wait); the caller owns the fds. Empty, or a SYNC_FD
    // of -1, when wlgpu's work was already done.
    std::vector<HostSemaphore> wait;
    LayoutTransition layouts;         // for the host's acquire barrier (src family EXTERNAL)
    bool initialized = true;          // false: wlgpu left the content undefined
};

// The host-sharing side of a texture made by HostImage::import(). It is that texture's
// shared_access: begin()/end() are Dawn's BeginAccess/EndAccess; begin() may nest (one Dawn
// access), so a texture drawn twice works.
//
// Ownership cycle: host_owned (after import, or hand_back) -> hand_over() -> begin() ... end()
// -> hand_back() -> host_owned. Between end() and hand_back() wlgpu may begin() again; it then
// waits for its own previous access. begin() right after import (never handed over) starts from
// undefined content (a render target the host has not touched).
class HostImage : public SharedAccess {
public:
    // Imports the host's OPAQUE_FD memory as a texture; texture->shared_access is the HostImage
    // (host_image() finds it). Needs Capabilities::opaque_fd_memory.
    static Result<std::shared_ptr<Texture>> import(Bridge& bridge, const HostImageDesc& desc);

    // Takes ownership of every fd in release.wait (closed on error too).
    Result<void> hand_over(HostRelease release);
    // After end(): what the host waits for and acquires with. The caller owns the returned fds.
    Result<HostAcquire> hand_back();

    // SharedAccess: the one implementation's (src/import/shared_access.cpp) and its contract
    // (wlgpu/texture.hpp), with the ownership cycle checked. export_end_sync_file() after end():
    // the merged end fences (an empty Fd when the work is already done); Errc::unsupported when
    // Dawn's fence is an OPAQUE_FD semaphore (use hand_back()).
    Result<void> begin(bool write) override;
    Result<void> end() override;
    Result<void> add_wait_sync_file(int fd) override;
    Result<sync::Fd> export_end_sync_file() override;

    const std::string& label() const;
    bool in_access() const;
    bool host_owned() const { return state_ == State::host_owned; }

    ~HostImage() override;
    struct Private;
    HostImage(Private);

private:
    enum class State { fresh, host_owned, handed_over, in_access, wlgpu_idle };
    Result<void> import_waits(std::vector<HostSemaphore>& sems);

    Bridge* bridge_;
    std::unique_ptr<SharedMemoryAccess> access_;
    State state_ = State::fresh;
    LayoutTransition begin_layouts_;  // from the host's hand_over(), for the next begin()
    bool begin_initialized_ = false;
};

// The HostImage of a texture from HostImage::import(), or null.
std::shared_ptr<HostImage> host_image(const Texture& texture);

}  // namespace wlgpu
