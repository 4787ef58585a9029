// Real kernel dma-bufs for tests: udmabuf (memfd-backed), the system dma-heap, vgem dumb
// buffers (prime export on the vgem card). Content is written and read through the dma-buf's
// own mmap, bracketed by DMA_BUF_IOCTL_SYNC.
#pragma once

#include <dirent.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace wlgpu::test {

enum class Alloc { udmabuf, heap, vgem };
inline const char* alloc_name(Alloc a) { return a == Alloc::udmabuf ? "udmabuf" : a == Alloc::heap ? "dma-heap" : "vgem"; }

inline bool in_testbed() { return access("/dev/udmabuf", F_OK) == 0; }

class DmaBuf {
public:
    DmaBuf() = default;
    DmaBuf(const DmaBuf&) = delete;
    DmaBuf& operator=(const DmaBuf&) = delete;
    DmaBuf(DmaBuf&& o) noexcept { *this = std::move(o); }
    DmaBuf& operator=(DmaBuf&& o) noexcept {
        std::swap(fd, o.fd), std::swap(map, o.map), std::swap(size, o.size), std::swap(drm_fd, o.drm_fd);
        return *this;
    }
    ~DmaBuf() {
        if (map) munmap(map, size);
        if (fd >= 0) close(fd);
        if (drm_fd >= 0) close(drm_fd);
    }
    void sync(bool start, bool write) const {
        dma_buf_sync s{uint64_t((start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) | (write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ))};
        while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) < 0 && (errno == EINTR || errno == EAGAIN)) {
        }
    }
    int fd = -1;
    uint8_t* map = nullptr;
    size_t size = 0;
    int drm_fd = -1;  // vgem: the card, kept open while the buffer lives
};

inline int open_vgem_card() {
    for (int i = 0; i < 8; i++) {
        std::string path = "/dev/dri/card" + std::to_string(i);
        int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) continue;
        char name[32]{};
        drm_version v{};
        v.name = name;
        v.name_len = sizeof(name) - 1;
        if (ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 && std::strcmp(name, "vgem") == 0) return fd;
        close(fd);
    }
    return -1;
}

// A dma-buf of at least `size` bytes from allocator a, mapped; why set on failure.
inline bool alloc_dmabuf(Alloc a, size_t size, DmaBuf& b, std::string& why) {
    size = (size + 4095) & ~size_t(4095);
    if (a == Alloc::udmabuf) {
        int u = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
        if (u < 0) return why = "no /dev/udmabuf", false;
        int m = memfd_create("wlgpu-test", MFD_ALLOW_SEALING | MFD_CLOEXEC);
        if (m < 0 || ftruncate(m, off_t(size)) || fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK)) return why = "memfd", false;
        udmabuf_create c{};
        c.memfd = uint32_t(m);
        c.flags = UDMABUF_FLAGS_CLOEXEC;
        c.size = size;
        b.fd = ioctl(u, UDMABUF_CREATE, &c);
        close(m);
        close(u);
        if (b.fd < 0) return why = std::string("UDMABUF_CREATE: ") + strerror(errno), false;
    } else if (a == Alloc::heap) {
        int h = open("/dev/dma_heap/system", O_RDWR | O_CLOEXEC);
        if (h < 0) return why = "no /dev/dma_heap/system", false;
        dma_heap_allocation_data d{};
        d.len = size;
        d.fd_flags = O_RDWR | O_CLOEXEC;
        int r = ioctl(h, DMA_HEAP_IOCTL_ALLOC, &d);
        close(h);
        if (r < 0) return why = std::string("DMA_HEAP_IOCTL_ALLOC: ") + strerror(errno), false;
        b.fd = int(d.fd);
    } else {
        b.drm_fd = open_vgem_card();
        if (b.drm_fd < 0) return why = "no vgem card", false;
        drm_mode_create_dumb c{};
        c.width = 1024;
        c.bpp = 32;
        c.height = uint32_t((size + 4095) / 4096);
        if (ioctl(b.drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &c) < 0) return why = std::string("CREATE_DUMB: ") + strerror(errno), false;
        drm_prime_handle p{};
        p.handle = c.handle;
        p.flags = DRM_CLOEXEC | DRM_RDWR;
        int r = ioctl(b.drm_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);
        drm_mode_destroy_dumb dd{c.handle};
        ioctl(b.drm_fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);  // the dma-buf keeps the object alive
        if (r < 0) return why = std::string("PRIME_HANDLE_TO_FD: ") + strerror(errno), false;
        b.fd = p.fd;
        size = size_t(c.size);
    }
    off_t end = lseek(b.fd, 0, SEEK_END);
    b.size = end > 0 ? size_t(end) : size;
    void* m = mmap(nullptr, b.size, PROT_READ | PROT_WRITE, MAP_SHARED, b.fd, 0);
    if (m == MAP_FAILED) return why = std::string("mmap: ") + strerror(errno), false;
    b.map = static_cast<uint8_t*>(m);
    return true;
}

inline int count_fds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (readdir(d)) n++;
        closedir(d);
    }
    return n;
}

}  // namespace wlgpu::test
