#include "common/vgem.hpp"

#include <drm/drm.h>
#include <fcntl.h>
#include <drm/drm_mode.h>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "common/ioctl.hpp"
#include "common/vgem_uapi.h"

namespace wlgpu::vgem {

Result<Fence> fence(int vgem_fd) {
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
    sync::Fd dmabuf(ph.fd);
    vgem_fence_attach fa{};
    fa.handle = cd.handle;
    fa.flags = VGEM_FENCE_WRITE;
    if (xioctl(vgem_fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa)) return fail(Errc::system, "VGEM_FENCE_ATTACH: {}", std::strerror(errno));
    dma_buf_export_sync_file es{};
    es.flags = DMA_BUF_SYNC_RW;
    es.fd = -1;
    if (xioctl(dmabuf.get(), DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &es)) {
        int e = errno;
        (void)signal(vgem_fd, fa.out_fence);
        return fail(Errc::system, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE: {}", std::strerror(e));
    }
    return Fence{sync::Fd(es.fd), fa.out_fence};
}

Result<void> signal(int vgem_fd, uint32_t id) {
    vgem_fence_signal s{id, 0};
    if (xioctl(vgem_fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &s)) return fail(Errc::system, "VGEM_FENCE_SIGNAL: {}", std::strerror(errno));
    return {};
}

}  // namespace wlgpu::vgem
