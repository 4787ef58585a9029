// ioctl(2) retried while the kernel answers EINTR or EAGAIN (as libdrm's drmIoctl does): the
// one wrapper every DRM, dma-buf and syncobj call in wlgpu goes through.
#pragma once

#include <sys/ioctl.h>

#include <cerrno>

namespace wlgpu {

inline int xioctl(int fd, unsigned long request, void* arg) {
    int r;
    do r = ioctl(fd, request, arg);
    while (r == -1 && (errno == EINTR || errno == EAGAIN));
    return r;
}

}  // namespace wlgpu
