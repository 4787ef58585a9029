#include "common/dmabuf_alloc.hpp"

#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/ioctl.hpp"

namespace wlgpu {

using sync::Fd;

const char* to_string(DmabufSource s) { return s == DmabufSource::udmabuf ? "udmabuf" : "dma-heap"; }

MappedDmabuf& MappedDmabuf::operator=(MappedDmabuf&& o) noexcept {
    std::swap(fd_, o.fd_), std::swap(map_, o.map_), std::swap(size_, o.size_);
    return *this;
}

MappedDmabuf::~MappedDmabuf() {
    if (map_) munmap(map_, size_);
}

void MappedDmabuf::begin_cpu(bool write) const {
    dma_buf_sync s{uint64_t(DMA_BUF_SYNC_START | (write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ))};
    (void)xioctl(fd_.get(), DMA_BUF_IOCTL_SYNC, &s);
}

void MappedDmabuf::end_cpu(bool write) const {
    dma_buf_sync s{uint64_t(DMA_BUF_SYNC_END | (write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ))};
    (void)xioctl(fd_.get(), DMA_BUF_IOCTL_SYNC, &s);
}

namespace {

Result<Fd> create_udmabuf(size_t size) {
    Fd dev(open("/dev/udmabuf", O_RDWR | O_CLOEXEC));
    if (!dev) return fail(Errc::unsupported, "/dev/udmabuf: {}", std::strerror(errno));
    Fd memfd(memfd_create("wlgpu-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC));
    if (!memfd) return fail(Errc::system, "memfd_create: {}", std::strerror(errno));
    if (ftruncate(memfd.get(), off_t(size)) || fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK))
        return fail(Errc::system, "memfd size/seal: {}", std::strerror(errno));
    udmabuf_create c{};
    c.memfd = uint32_t(memfd.get());
    c.flags = UDMABUF_FLAGS_CLOEXEC;
    c.size = size;
    int fd = xioctl(dev.get(), UDMABUF_CREATE, &c);  // the dma-buf keeps the memfd's pages
    if (fd < 0) return fail(Errc::system, "UDMABUF_CREATE: {}", std::strerror(errno));
    return Fd(fd);
}

Result<Fd> create_heap_buffer(size_t size) {
    Fd heap(open("/dev/dma_heap/system", O_RDWR | O_CLOEXEC));
    if (!heap) return fail(Errc::unsupported, "/dev/dma_heap/system: {}", std::strerror(errno));
    dma_heap_allocation_data a{};
    a.len = size;
    a.fd_flags = O_RDWR | O_CLOEXEC;
    if (xioctl(heap.get(), DMA_HEAP_IOCTL_ALLOC, &a)) return fail(Errc::system, "DMA_HEAP_IOCTL_ALLOC: {}", std::strerror(errno));
    return Fd(int(a.fd));
}

}  // namespace

Result<MappedDmabuf> alloc_dmabuf(DmabufSource source, size_t size) {
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    size = (size + page - 1) / page * page;
    auto fd = source == DmabufSource::udmabuf ? create_udmabuf(size) : create_heap_buffer(size);
    if (!fd) return std::unexpected(fd.error());
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd->get(), 0);
    if (p == MAP_FAILED) return fail(Errc::system, "mmap of the {} dma-buf: {}", to_string(source), std::strerror(errno));
    return MappedDmabuf(std::move(*fd), static_cast<uint8_t*>(p), size);
}

Result<MappedDmabuf> alloc_dmabuf(size_t size) {
    auto u = alloc_dmabuf(DmabufSource::udmabuf, size);
    if (u) return u;
    auto h = alloc_dmabuf(DmabufSource::system_heap, size);
    if (h) return h;
    return fail(Errc::unsupported, "no dma-buf allocator: {}; {}", u.error().message, h.error().message);
}

}  // namespace wlgpu
