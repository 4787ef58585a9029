#include "sync/stm_access.hpp"
#include "bridge/readback.hpp"
#include "common/ioctl.hpp"
#include "common/signals_blocked.hpp"
#include "common/sync_file_merge.hpp"

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include "sync/vgem_uapi.h"
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wlgpu::sync {

namespace {
constexpr int32_t kLayoutGeneral = 1;  // VK_IMAGE_LAYOUT_GENERAL

}  // namespace

StmAccess::~StmAccess() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (in_access_) (void)end();
}

Result<void> StmAccess::add_wait_sync_file(int fd) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    Fd own(fd);
    if (fd < 0) return {};  // already signalled
    auto f = import_fence(device_, fd);
    if (!f) return std::unexpected(f.error());
    waits_.push_back(std::move(*f));
    return {};
}

Result<void> StmAccess::begin(bool) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (in_access_) return fail(Errc::invalid_argument, "begin(): already in an access");
    std::vector<WGPUSharedFence> fences;
    std::vector<uint64_t> values;
    for (auto& f : waits_) fences.push_back(f.get()), values.push_back(1);
    WGPUSharedTextureMemoryVkImageLayoutBeginState layout{};
    layout.chain.sType = WGPUSType_SharedTextureMemoryVkImageLayoutBeginState;
    layout.oldLayout = kLayoutGeneral;
    layout.newLayout = kLayoutGeneral;
    WGPUSharedTextureMemoryBeginAccessDescriptor d{};
    d.nextInChain = &layout.chain;
    d.initialized = initialized_;
    d.fenceCount = fences.size();
    d.fences = fences.data();
    d.signaledValues = values.data();
    WGPUStatus s = wgpuSharedTextureMemoryBeginAccess(memory_.get(), texture_.get(), &d);
    waits_.clear();
    if (s != WGPUStatus_Success) return fail(Errc::gpu_error, "wgpuSharedTextureMemoryBeginAccess failed");
    in_access_ = true;
    return {};
}

Result<void> StmAccess::end() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (!in_access_) return fail(Errc::invalid_argument, "end(): not in an access");
    in_access_ = false;
    WGPUSharedTextureMemoryVkImageLayoutEndState layout{};
    layout.chain.sType = WGPUSType_SharedTextureMemoryVkImageLayoutEndState;
    WGPUSharedTextureMemoryEndAccessState st{};
    st.nextInChain = &layout.chain;
    WGPUStatus s = wgpuSharedTextureMemoryEndAccess(memory_.get(), texture_.get(), &st);
    end_fences_.clear();
    if (s == WGPUStatus_Success) {
        initialized_ = st.initialized;
        for (size_t i = 0; i < st.fenceCount; i++) end_fences_.push_back(wg::SharedFence(st.fences[i]));
    }
    wgpuSharedTextureMemoryEndAccessStateFreeMembers(st);
    if (s != WGPUStatus_Success) return fail(Errc::gpu_error, "wgpuSharedTextureMemoryEndAccess failed");
    return {};
}

void StmAccess::read_into(WGPUQueue queue, WGPUBuffer buf, uint64_t offset, uint32_t w, uint32_t h) const {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    submit_texture_copy(device_, queue, texture_.get(), Box{0, 0, int32_t(w), int32_t(h)}, buf, offset, kCopyRowAlign);
}

Result<int> StmAccess::export_end_sync_file() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto fd = merge_end_sync_files(end_fences_, "udmabuf texture");  // -1: nothing pending
    end_fences_.clear();
    return fd;
}

void Udmabuf::fill(uint32_t rgba) {
    for (uint32_t y = 0; y < height; y++) {
        auto* row = reinterpret_cast<uint32_t*>(mem.data() + size_t(y) * stride);
        for (uint32_t x = 0; x < width; x++) row[x] = rgba;
    }
}

Result<std::unique_ptr<Udmabuf>> make_udmabuf(uint32_t w, uint32_t h) {
    auto b = std::make_unique<Udmabuf>();
    b->width = w, b->height = h, b->stride = w * 4;
    auto mem = alloc_dmabuf(DmabufSource::udmabuf, size_t(b->stride) * h);
    if (!mem) return std::unexpected(mem.error());
    b->mem = std::move(*mem);
    return b;
}

Result<std::shared_ptr<StmAccess>> import_udmabuf(WGPUDevice device, const Udmabuf& buf) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    WGPUSharedTextureMemoryDmaBufPlane plane{buf.mem.fd(), 0, buf.stride};
    WGPUSharedTextureMemoryDmaBufDescriptor dd{};
    dd.chain.sType = WGPUSType_SharedTextureMemoryDmaBufDescriptor;
    dd.size = {buf.width, buf.height, 1};
    dd.drmFormat = 0x34324241;  // DRM_FORMAT_ABGR8888: bytes R, G, B, A
    dd.drmModifier = 0;         // DRM_FORMAT_MOD_LINEAR
    dd.planeCount = 1;
    dd.planes = &plane;
    WGPUSharedTextureMemoryDescriptor d{};
    d.nextInChain = &dd.chain;
    d.label = wg::sv("wlgpu udmabuf");
    wg::SharedTextureMemory mem = wg::SharedTextureMemory::Acquire(wgpuDeviceImportSharedTextureMemory(device, &d));
    if (!mem) return fail(Errc::unsupported, "importing the udmabuf as SharedTextureMemory failed");
    WGPUSharedTextureMemoryProperties props{};
    wgpuSharedTextureMemoryGetProperties(mem.get(), &props);
    WGPUTextureDescriptor td{};
    td.usage = props.usage & (WGPUTextureUsage_CopySrc | WGPUTextureUsage_TextureBinding | WGPUTextureUsage_CopyDst);
    td.dimension = WGPUTextureDimension_2D;
    td.size = {buf.width, buf.height, 1};
    td.format = WGPUTextureFormat_RGBA8Unorm;
    td.mipLevelCount = 1;
    td.sampleCount = 1;
    wg::Texture tex = wg::Texture::Acquire(wgpuSharedTextureMemoryCreateTexture(mem.get(), &td));
    if (!tex) return fail(Errc::gpu_error, "wgpuSharedTextureMemoryCreateTexture failed");
    return std::make_shared<StmAccess>(device, std::move(mem), std::move(tex));
}

Result<VgemFence> vgem_fence(int vgem_fd) {
    drm_mode_create_dumb cd{};
    cd.width = 4, cd.height = 4, cd.bpp = 32;
    if (xioctl(vgem_fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) return fail(Errc::system, "vgem dumb buffer: {}", std::strerror(errno));
    struct Close {
        int fd; uint32_t h;
        ~Close() { drm_gem_close c{h, 0}; ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c); }
    } close_bo{vgem_fd, cd.handle};
    drm_prime_handle ph{};
    ph.handle = cd.handle;
    ph.flags = DRM_CLOEXEC | DRM_RDWR;
    if (xioctl(vgem_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph)) return fail(Errc::system, "vgem prime export: {}", std::strerror(errno));
    Fd dmabuf(ph.fd);
    vgem_fence_attach fa{};
    fa.handle = cd.handle;
    fa.flags = VGEM_FENCE_WRITE;
    if (xioctl(vgem_fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa)) return fail(Errc::system, "VGEM_FENCE_ATTACH: {}", std::strerror(errno));
    dma_buf_export_sync_file es{};
    es.flags = DMA_BUF_SYNC_RW;
    es.fd = -1;
    if (xioctl(dmabuf.get(), DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &es)) {
        int e = errno;
        (void)vgem_signal(vgem_fd, fa.out_fence);
        return fail(Errc::system, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE: {}", std::strerror(e));
    }
    return VgemFence{Fd(es.fd), fa.out_fence};
}

Result<void> vgem_signal(int vgem_fd, uint32_t id) {
    vgem_fence_signal s{id, 0};
    if (xioctl(vgem_fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &s)) return fail(Errc::system, "VGEM_FENCE_SIGNAL: {}", std::strerror(errno));
    return {};
}

}  // namespace wlgpu::sync
