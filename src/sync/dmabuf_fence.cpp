// Implicit sync: the fences a reader of a dma-buf must wait for (the writers' fences in the
// dma-buf's reservation object), as one pollable fd, without blocking.
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/ioctl.hpp"
#include "wlgpu/sync.hpp"

namespace wlgpu::sync {

Result<Fd> dmabuf_write_fences(int dmabuf_fd) {
    dma_buf_export_sync_file es{};
    es.flags = DMA_BUF_SYNC_READ;  // a reader waits for the writers
    es.fd = -1;
    if (xioctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &es) == 0) {
        Fd fence(es.fd);
        if (fence_signalled(fence.get())) return Fd();
        return fence;
    }
    if (errno != ENOTTY && errno != EINVAL)
        return fail(Errc::system, "dma-buf fd {}: DMA_BUF_IOCTL_EXPORT_SYNC_FILE: {}", dmabuf_fd, std::strerror(errno));
    // Linux < 5.20: poll(POLLIN) on the dma-buf itself waits for the same (write) fences.
    if (fence_signalled(dmabuf_fd)) return Fd();
    return Fd::dup(dmabuf_fd);
}

}  // namespace wlgpu::sync
