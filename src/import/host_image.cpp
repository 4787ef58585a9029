// Same GPU as the host (an importer, beside the DMA-BUF one; the bridge picks the device and
// reports its capabilities): OPAQUE_FD VkDeviceMemory imported as a Dawn SharedTextureMemory, and
// semaphores both ways as Dawn SharedFences (VkSemaphore OPAQUE_FD or SYNC_FD), with the
// queue-family-transfer layouts in Dawn's Vulkan Begin/End state chains.
#include "wlgpu/host_share.hpp"
#include "common/signals_blocked.hpp"
#include "import/shared_access.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <format>

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "wlgpu/bridge.hpp"
#include "common/pixel_format.hpp"
#include "wlgpu/format.hpp"

namespace wlgpu {

using wg::sv;

struct HostImage::Private {
    Bridge* bridge;
    std::unique_ptr<SharedMemoryAccess> access;
};

namespace {


void close_all(std::vector<HostSemaphore>& sems) {
    for (auto& s : sems)
        if (s.fd >= 0) close(std::exchange(s.fd, -1));
}

Result<int> dup_fd(int fd, std::string_view what) {
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) return fail(Errc::system, "{}: duplicating fd {}: {}", what, fd, std::strerror(errno));
    return d;
}

// The fd a Dawn fence holds (borrowed: valid while the fence lives).
int fence_fd(WGPUSharedFence fence, SemaphoreFd type) {
    WGPUSharedFenceExportInfo info{};
    WGPUSharedFenceSyncFDExportInfo sync{};
    WGPUSharedFenceVkSemaphoreOpaqueFDExportInfo opaque{};
    sync.chain.sType = WGPUSType_SharedFenceSyncFDExportInfo;
    sync.handle = -1;
    opaque.chain.sType = WGPUSType_SharedFenceVkSemaphoreOpaqueFDExportInfo;
    opaque.handle = -1;
    info.nextInChain = type == SemaphoreFd::sync_fd ? &sync.chain : &opaque.chain;
    wgpuSharedFenceExportInfo(fence, &info);
    return type == SemaphoreFd::sync_fd ? sync.handle : opaque.handle;
}

}  // namespace

const char* to_string(SemaphoreFd t) { return t == SemaphoreFd::sync_fd ? "SYNC_FD" : "OPAQUE_FD"; }

HostImage::HostImage(Private p) : bridge_(p.bridge), access_(std::move(p.access)) {}

HostImage::~HostImage() = default;  // the access ends a Dawn access still open

const std::string& HostImage::label() const { return access_->name(); }
bool HostImage::in_access() const { return access_->depth() > 0; }

Result<std::shared_ptr<Texture>> HostImage::import(Bridge& bridge, const HostImageDesc& d) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    const pixel::PixelFormat* fm = pixel::find_vk(d.vk_format);  // the one format table
    const std::string name = std::format("host image '{}' ({}x{} {})", d.label, d.width, d.height,
                                         fm ? fm->vk_name : std::format("VkFormat {}", d.vk_format));
    auto bad = [&](Errc c, std::string why) { return std::unexpected(Error{c, name + ": " + why}); };

    // Validate everything before any driver call.
    if (!bridge.caps().opaque_fd_memory)
        return bad(Errc::unsupported, "this device cannot import OPAQUE_FD memory (no SharedTextureMemoryOpaqueFD)");
    if (!fm) return bad(Errc::invalid_argument, "unsupported VkFormat");
    if (d.memory_fd < 0 || fcntl(d.memory_fd, F_GETFD) < 0)
        return bad(Errc::invalid_argument, std::format("memory_fd {} is not an open file descriptor", d.memory_fd));
    const uint32_t max = bridge.limits().maxTextureDimension2D;
    if (d.width == 0 || d.height == 0 || d.width > max || d.height > max)
        return bad(Errc::invalid_argument, std::format("size is 0 or over the device limit {}", max));
    if (!(d.vk_usage & VK_IMAGE_USAGE_TRANSFER_DST_BIT))
        return bad(Errc::invalid_argument, "vk_usage lacks VK_IMAGE_USAGE_TRANSFER_DST_BIT (Dawn requires it)");
    if (!(d.vk_usage & (VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT)))
        return bad(Errc::invalid_argument, "vk_usage has neither SAMPLED nor COLOR_ATTACHMENT: wlgpu can neither draw nor render into it");
    if (d.vk_tiling != VK_IMAGE_TILING_OPTIMAL && d.vk_tiling != VK_IMAGE_TILING_LINEAR)
        return bad(Errc::invalid_argument, std::format("vk_tiling {} is neither OPTIMAL nor LINEAR", d.vk_tiling));
    const bool srgb_twin = fm->vk_format == VK_FORMAT_R8G8B8A8_UNORM || fm->vk_format == VK_FORMAT_B8G8R8A8_UNORM;
    if (srgb_twin && !(d.vk_flags & VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT))
        return bad(Errc::invalid_argument,
                   "vk_flags lacks VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT (Dawn requires it for formats with an sRGB view format)");
    if (d.allocation_size == 0) return bad(Errc::invalid_argument, "allocation_size is 0");
    const FormatInfo* info = find_shm_format(fm->info.drm_fourcc);
    if (!info) return bad(Errc::unsupported, "no wlgpu format table entry");

    // The VkImageCreateInfo the host used; Dawn creates its own VkImage from it.
    std::vector<VkFormat> views;
    for (int32_t f : d.view_formats) views.push_back(VkFormat(f));
    VkImageFormatListCreateInfo list{};
    list.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_LIST_CREATE_INFO;
    list.viewFormatCount = uint32_t(views.size());
    list.pViewFormats = views.data();
    VkExternalMemoryImageCreateInfo ext{};
    ext.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO;
    ext.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    ext.pNext = views.empty() ? nullptr : &list;
    VkImageCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO;
    ci.pNext = &ext;
    ci.flags = d.vk_flags;
    ci.imageType = VK_IMAGE_TYPE_2D;
    ci.format = VkFormat(fm->vk_format);
    ci.extent = {d.width, d.height, 1};
    ci.mipLevels = 1;
    ci.arrayLayers = 1;
    ci.samples = VK_SAMPLE_COUNT_1_BIT;
    ci.tiling = VkImageTiling(d.vk_tiling);
    ci.usage = d.vk_usage;
    ci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    ci.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;

    // Dawn duplicates memoryFD; the caller keeps its own.
    WGPUSharedTextureMemoryOpaqueFDDescriptor ofd{};
    ofd.chain.sType = WGPUSType_SharedTextureMemoryOpaqueFDDescriptor;
    ofd.vkImageCreateInfo = &ci;
    ofd.memoryFD = d.memory_fd;
    ofd.memoryTypeIndex = d.memory_type_index;
    ofd.allocationSize = d.allocation_size;
    ofd.dedicatedAllocation = d.dedicated_allocation;
    WGPUSharedTextureMemoryDescriptor desc{};
    desc.nextInChain = &ofd.chain;
    desc.label = sv(d.label.c_str());

    wg::SharedTextureMemory memory;
    wg::Texture tex;
    auto r = bridge.scoped(
        [&] {
            memory = wg::SharedTextureMemory::Acquire(wgpuDeviceImportSharedTextureMemory(bridge.device(), &desc));
            // A null descriptor: the texture has the memory's properties (size, format, usage).
            if (memory) tex = wg::Texture::Acquire(wgpuSharedTextureMemoryCreateTexture(memory.get(), nullptr));
        },
        "importing the OPAQUE_FD memory");
    if (!r) return std::unexpected(r.error().context(name));
    if (!memory || !tex) return bad(Errc::gpu_error, "Dawn returned no shared texture memory or texture");
    if (wgpuTextureGetFormat(tex.get()) != fm->info.texture)
        return bad(Errc::gpu_error, std::format("Dawn made a texture of WGPUTextureFormat {:#x}, not {:#x}",
                                                uint32_t(wgpuTextureGetFormat(tex.get())), uint32_t(fm->info.texture)));

    auto texture = Texture::wrap(bridge, tex.get(), *info, d.width, d.height);
    std::vector<SharedMemoryAccess::Part> parts;
    parts.push_back({std::move(memory), std::move(tex)});
    auto access = std::make_unique<SharedMemoryAccess>(bridge, std::move(parts), false, name);
    texture->shared_access = std::make_shared<HostImage>(Private{&bridge, std::move(access)});
    return texture;
}

std::shared_ptr<HostImage> host_image(const Texture& texture) {
    return std::dynamic_pointer_cast<HostImage>(texture.shared_access);
}

// Imports each semaphore as a Dawn SharedFence (Dawn duplicates the fd) and closes the fds.
Result<void> HostImage::import_waits(std::vector<HostSemaphore>& sems) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    const auto& caps = bridge_->caps();
    Result<void> result;
    for (auto& s : sems) {
        if (s.fd < 0) {
            if (s.type == SemaphoreFd::sync_fd) continue;  // a sync_file of -1 is already signalled
            result = fail(Errc::invalid_argument, "{}: OPAQUE_FD semaphore fd is {}", label(), s.fd);
            break;
        }
        if (s.type == SemaphoreFd::opaque_fd && !caps.opaque_fd_semaphore) {
            result = fail(Errc::unsupported,
                          "{}: this device cannot import OPAQUE_FD semaphores (no SharedFenceVkSemaphoreOpaqueFD){}",
                          label(), caps.sync_fd_fence ? "; use SYNC_FD" : "");
            break;
        }
        if (s.type == SemaphoreFd::sync_fd && !caps.sync_fd_fence) {
            result = fail(Errc::unsupported, "{}: this device cannot import SYNC_FD semaphores (no SharedFenceSyncFD){}",
                          label(), caps.opaque_fd_semaphore ? "; use OPAQUE_FD" : "");
            break;
        }
        WGPUSharedFenceSyncFDDescriptor sync{};
        sync.chain.sType = WGPUSType_SharedFenceSyncFDDescriptor;
        sync.handle = s.fd;
        WGPUSharedFenceVkSemaphoreOpaqueFDDescriptor opaque{};
        opaque.chain.sType = WGPUSType_SharedFenceVkSemaphoreOpaqueFDDescriptor;
        opaque.handle = s.fd;
        WGPUSharedFenceDescriptor desc{};
        desc.nextInChain = s.type == SemaphoreFd::sync_fd ? &sync.chain : &opaque.chain;
        desc.label = sv("wlgpu host semaphore");
        wg::SharedFence fence;
        auto r = bridge_->scoped([&] { fence = wg::SharedFence::Acquire(wgpuDeviceImportSharedFence(bridge_->device(), &desc)); },
                                 std::format("importing a {} semaphore (fd {})", to_string(s.type), s.fd));
        if (!r) {
            result = std::unexpected(r.error().context(label()));
            break;
        }
        close(std::exchange(s.fd, -1));
        access_->add_wait(std::move(fence));
    }
    close_all(sems);
    return result;
}

Result<void> HostImage::hand_over(HostRelease rel) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (state_ == State::in_access || state_ == State::wlgpu_idle) {
        close_all(rel.wait);
        return fail(Errc::invalid_argument, "{}: hand_over() while wlgpu has the image ({}): end() and hand_back() first",
                    label(), state_ == State::in_access ? "inside begin/end" : "hand_back() not called");
    }
    if (auto r = import_waits(rel.wait); !r) return r;
    begin_layouts_ = rel.layouts;
    begin_initialized_ = rel.initialized;
    state_ = State::handed_over;
    return {};
}

Result<void> HostImage::add_wait_sync_file(int fd) { return access_->add_wait_sync_file(fd); }

Result<void> HostImage::begin(bool write) {
    if (access_->depth() > 0) return access_->begin(write);  // nested: one Dawn access
    if (state_ == State::host_owned)
        return fail(Errc::invalid_argument, "{}: begin() while the host has the image: hand_over() first", label());
    if (state_ == State::fresh) {
        access_->set_next_begin({}, false);  // never handed over: undefined content
    } else if (state_ == State::handed_over) {
        access_->set_next_begin({begin_layouts_.old_layout, begin_layouts_.new_layout}, begin_initialized_);
    } else if (state_ == State::wlgpu_idle) {
        // Our own previous access, not handed back: wait for it, from the layouts it left.
        for (auto& f : access_->take_end_fences()) access_->add_wait(std::move(f));
    }
    if (auto r = access_->begin(write); !r) return r;
    state_ = State::in_access;
    return {};
}

Result<void> HostImage::end() {
    auto r = access_->end();
    if (state_ == State::in_access && access_->depth() == 0) state_ = State::wlgpu_idle;
    return r;
}

Result<HostAcquire> HostImage::hand_back() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (state_ != State::wlgpu_idle)
        return fail(Errc::invalid_argument, "{}: hand_back() {}", label(),
                    state_ == State::in_access ? "inside begin/end: end() first" : "without a wlgpu access since the last hand_over()");
    HostAcquire a;
    const auto layouts = access_->end_layouts();
    a.layouts = {layouts.old_layout, layouts.new_layout};
    a.initialized = access_->initialized();
    for (const auto& f : access_->take_end_fences()) {
        WGPUSharedFenceExportInfo info{};
        wgpuSharedFenceExportInfo(f.get(), &info);
        const SemaphoreFd type = info.type == WGPUSharedFenceType_SyncFD ? SemaphoreFd::sync_fd : SemaphoreFd::opaque_fd;
        int fd = fence_fd(f.get(), type);
        if (fd < 0 && type == SemaphoreFd::sync_fd) {
            a.wait.push_back({type, -1});  // already signalled
            continue;
        }
        auto d = dup_fd(fd, label() + ": exporting the end-of-access semaphore");
        if (!d) {
            close_all(a.wait);
            return std::unexpected(d.error());
        }
        a.wait.push_back({type, *d});
    }
    state_ = State::host_owned;
    return a;
}

Result<sync::Fd> HostImage::export_end_sync_file() {
    if (state_ != State::wlgpu_idle)
        return fail(Errc::invalid_argument, "{}: export_end_sync_file() without a finished wlgpu access", label());
    return access_->export_end_sync_file();  // empty: everything is already signalled
}

}  // namespace wlgpu
