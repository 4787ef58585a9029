#include "sync/stm_access.hpp"
#include "common/signals_blocked.hpp"
#include "common/sync_file_merge.hpp"

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include "sync/vgem_uapi.h"
#include <fcntl.h>
#include <glob.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wlgpu::sync {

namespace {
constexpr int32_t kLayoutGeneral = 1;  // VK_IMAGE_LAYOUT_GENERAL


int xioctl(int fd, unsigned long req, void* arg) {
    int r;
    do r = ioctl(fd, req, arg);
    while (r == -1 && (errno == EINTR || errno == EAGAIN));
    return r;
}
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
        for (size_t i = 0; i < st.fenceCount; i++) end_fences_.push_back(wg::SharedFence::share(st.fences[i]));
    }
    wgpuSharedTextureMemoryEndAccessStateFreeMembers(st);
    if (s != WGPUStatus_Success) return fail(Errc::gpu_error, "wgpuSharedTextureMemoryEndAccess failed");
    return {};
}

void StmAccess::read_into(WGPUQueue queue, WGPUBuffer buf, uint64_t offset, uint32_t w, uint32_t h) const {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    wg::CommandEncoder enc(wgpuDeviceCreateCommandEncoder(device_, nullptr));
    WGPUTexelCopyTextureInfo src{};
    src.texture = texture_.get();
    src.aspect = WGPUTextureAspect_All;
    WGPUTexelCopyBufferInfo dst{};
    dst.buffer = buf;
    dst.layout.offset = offset;
    dst.layout.bytesPerRow = 256;
    dst.layout.rowsPerImage = h;
    WGPUExtent3D size{w, h, 1};
    wgpuCommandEncoderCopyTextureToBuffer(enc.get(), &src, &dst, &size);
    wg::CommandBuffer cmd(wgpuCommandEncoderFinish(enc.get(), nullptr));
    WGPUCommandBuffer c = cmd.get();
    wgpuQueueSubmit(queue, 1, &c);
}

Result<int> StmAccess::export_end_sync_file() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto fd = merge_end_sync_files(end_fences_, "udmabuf texture");  // -1: nothing pending
    end_fences_.clear();
    return fd;
}

Udmabuf::~Udmabuf() {
    if (pixels) munmap(pixels, size);
}

void Udmabuf::fill(uint32_t rgba) {
    for (uint32_t y = 0; y < height; y++) {
        auto* row = reinterpret_cast<uint32_t*>(pixels + size_t(y) * stride);
        for (uint32_t x = 0; x < width; x++) row[x] = rgba;
    }
}

Result<std::unique_ptr<Udmabuf>> make_udmabuf(uint32_t w, uint32_t h) {
    auto b = std::make_unique<Udmabuf>();
    b->width = w, b->height = h, b->stride = w * 4;
    long page = sysconf(_SC_PAGESIZE);
    b->size = (size_t(b->stride) * h + page - 1) / page * page;
    b->memfd.reset(memfd_create("wlgpu-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC));
    if (!b->memfd) return fail(Errc::system, "memfd_create: {}", std::strerror(errno));
    if (ftruncate(b->memfd.get(), b->size) || fcntl(b->memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK))
        return fail(Errc::system, "memfd size/seal: {}", std::strerror(errno));
    Fd dev(open("/dev/udmabuf", O_RDWR | O_CLOEXEC));
    if (!dev) return fail(Errc::unsupported, "/dev/udmabuf: {}", std::strerror(errno));
    udmabuf_create c{};
    c.memfd = b->memfd.get();
    c.flags = UDMABUF_FLAGS_CLOEXEC;
    c.size = b->size;
    int d = ioctl(dev.get(), UDMABUF_CREATE, &c);
    if (d < 0) return fail(Errc::system, "UDMABUF_CREATE: {}", std::strerror(errno));
    b->dmabuf.reset(d);
    void* p = mmap(nullptr, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->memfd.get(), 0);
    if (p == MAP_FAILED) return fail(Errc::system, "mmap memfd: {}", std::strerror(errno));
    b->pixels = static_cast<uint8_t*>(p);
    return b;
}

Result<std::shared_ptr<StmAccess>> import_udmabuf(WGPUDevice device, const Udmabuf& buf) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    WGPUSharedTextureMemoryDmaBufPlane plane{buf.dmabuf.get(), 0, buf.stride};
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
    wg::SharedTextureMemory mem(wgpuDeviceImportSharedTextureMemory(device, &d));
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
    wg::Texture tex(wgpuSharedTextureMemoryCreateTexture(mem.get(), &td));
    if (!tex) return fail(Errc::gpu_error, "wgpuSharedTextureMemoryCreateTexture failed");
    return std::make_shared<StmAccess>(device, std::move(mem), std::move(tex));
}

Result<Fd> open_drm_node(std::string_view prefix, std::string_view driver) {
    glob_t g{};
    std::string pat = "/dev/dri/" + std::string(prefix) + "*";
    if (glob(pat.c_str(), 0, nullptr, &g) != 0) return fail(Errc::unsupported, "no {} node", pat);
    Result<Fd> out = fail(Errc::unsupported, "no {} node of driver {}", pat, driver);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        Fd fd(open(g.gl_pathv[i], O_RDWR | O_CLOEXEC));
        if (!fd) continue;
        char name[64] = {};
        drm_version v{};
        v.name = name;
        v.name_len = sizeof name - 1;
        if (xioctl(fd.get(), DRM_IOCTL_VERSION, &v) == 0 && driver == std::string_view(name)) {
            out = std::move(fd);
            break;
        }
    }
    globfree(&g);
    return out;
}

Result<Fd> open_timeline_node() {
    glob_t g{};
    if (glob("/dev/dri/renderD*", 0, nullptr, &g) != 0) return fail(Errc::unsupported, "no /dev/dri/renderD* node");
    Result<Fd> out = fail(Errc::unsupported, "no render node has DRM_CAP_SYNCOBJ_TIMELINE");
    for (size_t i = 0; i < g.gl_pathc; i++) {
        Fd fd(open(g.gl_pathv[i], O_RDWR | O_CLOEXEC));
        if (!fd) continue;
        drm_get_cap c{DRM_CAP_SYNCOBJ_TIMELINE, 0};
        if (xioctl(fd.get(), DRM_IOCTL_GET_CAP, &c) == 0 && c.value) {
            out = std::move(fd);
            break;
        }
    }
    globfree(&g);
    return out;
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
