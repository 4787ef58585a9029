// Real kernel dma-bufs for tests: udmabuf (memfd-backed) and the system dma-heap from wlgpu's
// allocator (common/dmabuf_alloc.hpp), vgem dumb buffers (prime export on the vgem card). Content
// is written and read through the dma-buf's own mmap, bracketed by DMA_BUF_IOCTL_SYNC.
#pragma once

#include <dirent.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/dmabuf_alloc.hpp"
#include "common/drm_nodes.hpp"
#include "common/ioctl.hpp"

namespace wlgpu::test {

enum class Alloc { udmabuf, heap, vgem };
inline const char* alloc_name(Alloc a) { return a == Alloc::udmabuf ? "udmabuf" : a == Alloc::heap ? "dma-heap" : "vgem"; }

inline bool in_testbed() { return access("/dev/udmabuf", F_OK) == 0; }

// The buffer: `mem` owns the dma-buf and its mapping (udmabuf and dma-heap from wlgpu's own
// allocator, common/dmabuf_alloc.hpp); fd, map and size are views of it; vgem keeps its card open.
class DmaBuf {
public:
    void sync(bool start, bool write) const { start ? mem.begin_cpu(write) : mem.end_cpu(write); }
    MappedDmabuf mem;
    sync::Fd card;  // vgem: the card, kept open while the buffer lives
    int fd = -1;
    uint8_t* map = nullptr;
    size_t size = 0;
};

inline int open_vgem_card() {
    auto fd = drm::open_node_of_driver("card", "vgem");
    return fd ? fd->release() : -1;
}

// A dma-buf of at least `size` bytes from allocator a, mapped; why set on failure.
inline bool alloc_dmabuf(Alloc a, size_t size, DmaBuf& b, std::string& why) {
    size = (size + 4095) & ~size_t(4095);
    if (a != Alloc::vgem) {
        auto m = wlgpu::alloc_dmabuf(a == Alloc::udmabuf ? DmabufSource::udmabuf : DmabufSource::system_heap, size);
        if (!m) return why = m.error().message, false;
        b.mem = std::move(*m);
    } else {
        auto card = drm::open_node_of_driver("card", "vgem");
        if (!card) return why = "no vgem card", false;
        b.card = std::move(*card);
        drm_mode_create_dumb c{};
        c.width = 1024;
        c.bpp = 32;
        c.height = uint32_t((size + 4095) / 4096);
        if (xioctl(b.card.get(), DRM_IOCTL_MODE_CREATE_DUMB, &c) < 0) return why = std::string("CREATE_DUMB: ") + strerror(errno), false;
        drm_prime_handle p{};
        p.handle = c.handle;
        p.flags = DRM_CLOEXEC | DRM_RDWR;
        int r = xioctl(b.card.get(), DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);
        drm_mode_destroy_dumb dd{c.handle};
        xioctl(b.card.get(), DRM_IOCTL_MODE_DESTROY_DUMB, &dd);  // the dma-buf keeps the object alive
        if (r < 0) return why = std::string("PRIME_HANDLE_TO_FD: ") + strerror(errno), false;
        sync::Fd fd(p.fd);
        void* m = mmap(nullptr, size_t(c.size), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
        if (m == MAP_FAILED) return why = std::string("mmap: ") + strerror(errno), false;
        b.mem = MappedDmabuf(std::move(fd), static_cast<uint8_t*>(m), size_t(c.size));
    }
    b.fd = b.mem.fd(), b.map = b.mem.data(), b.size = b.mem.size();
    return true;
}

// A w x h 32-bpp vgem dumb buffer exported read-only (no DRM_RDWR), as Mesa's GBM exports client
// buffers: fd is O_RDONLY (the copy path's case on lavapipe); map is the card's read-write mapping
// of it (vgem is cached shmem: coherent), pitch its stride. Released by the destructor.
struct VgemReadOnly {
    VgemReadOnly() = default;
    VgemReadOnly(const VgemReadOnly&) = delete;
    VgemReadOnly& operator=(const VgemReadOnly&) = delete;
    ~VgemReadOnly() {
        if (map) munmap(map, size);
        if (handle) {
            drm_mode_destroy_dumb dd{handle};
            xioctl(card.get(), DRM_IOCTL_MODE_DESTROY_DUMB, &dd);  // the dma-buf keeps the object alive
        }
    }
    sync::Fd card, fd;
    uint32_t handle = 0, pitch = 0;
    uint8_t* map = nullptr;
    size_t size = 0;
};

inline bool make_vgem_read_only(uint32_t w, uint32_t h, VgemReadOnly& v, std::string& why) {
    auto card = drm::open_node_of_driver("card", "vgem");
    if (!card) return why = "no vgem card (the test bed has one)", false;
    v.card = std::move(*card);
    drm_mode_create_dumb c{};
    c.width = w, c.height = h, c.bpp = 32;
    if (xioctl(v.card.get(), DRM_IOCTL_MODE_CREATE_DUMB, &c) < 0) return why = std::string("CREATE_DUMB: ") + strerror(errno), false;
    v.handle = c.handle, v.pitch = c.pitch, v.size = size_t(c.size);
    drm_prime_handle ro{};
    ro.handle = c.handle;
    ro.flags = DRM_CLOEXEC;  // no DRM_RDWR
    if (xioctl(v.card.get(), DRM_IOCTL_PRIME_HANDLE_TO_FD, &ro) < 0) return why = std::string("PRIME_HANDLE_TO_FD: ") + strerror(errno), false;
    v.fd = sync::Fd(ro.fd);
    drm_mode_map_dumb md{};
    md.handle = c.handle;
    if (xioctl(v.card.get(), DRM_IOCTL_MODE_MAP_DUMB, &md) < 0) return why = std::string("MAP_DUMB: ") + strerror(errno), false;
    void* m = mmap(nullptr, v.size, PROT_READ | PROT_WRITE, MAP_SHARED, v.card.get(), off_t(md.offset));
    if (m == MAP_FAILED) return why = std::string("mmap: ") + strerror(errno), false;
    v.map = static_cast<uint8_t*>(m);
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
