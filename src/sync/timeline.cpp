// DRM syncobj timelines through the kernel uapi (no libdrm dependency in libwlgpu).
#include <drm/drm.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "common/ioctl.hpp"
#include "wlgpu/sync.hpp"

namespace wlgpu::sync {

namespace {

std::unexpected<Error> sys_fail(std::string_view what) {
    return fail(Errc::system, "{}: {}", what, std::strerror(errno));
}

int64_t abs_timeout(std::chrono::nanoseconds rel) {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (rel.count() <= 0) return 0;  // the kernel treats a past deadline as "test only"
    return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec + rel.count();
}

Result<uint32_t> create_binary(int drm_fd) {
    drm_syncobj_create c{};
    if (xioctl(drm_fd, DRM_IOCTL_SYNCOBJ_CREATE, &c)) return sys_fail("DRM_IOCTL_SYNCOBJ_CREATE");
    return c.handle;
}

void destroy_handle(int drm_fd, uint32_t h) {
    drm_syncobj_destroy d{};
    d.handle = h;
    xioctl(drm_fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

}  // namespace

bool fence_signalled(int fd) {
    if (fd < 0) return true;
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLERR | POLLHUP));
}

Result<Timeline> Timeline::create(int drm_fd) {
    auto h = create_binary(drm_fd);
    if (!h) return std::unexpected(h.error());
    return Timeline(drm_fd, *h, true);
}

Result<Timeline> Timeline::import(int drm_fd, int syncobj_fd) {
    drm_syncobj_handle a{};
    a.fd = syncobj_fd;
    if (xioctl(drm_fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &a)) return sys_fail("importing a syncobj fd");
    return Timeline(drm_fd, a.handle, true);
}

Timeline Timeline::adopt(int drm_fd, uint32_t handle, bool borrowed) { return Timeline(drm_fd, handle, !borrowed); }

Timeline::Timeline(Timeline&& o) noexcept
    : drm_fd_(o.drm_fd_), handle_(std::exchange(o.handle_, 0)), owned_(std::exchange(o.owned_, false)) {}

Timeline& Timeline::operator=(Timeline&& o) noexcept {
    if (this != &o) {
        destroy();
        drm_fd_ = o.drm_fd_;
        handle_ = std::exchange(o.handle_, 0);
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

Timeline::~Timeline() { destroy(); }

void Timeline::destroy() {
    if (owned_ && handle_) destroy_handle(drm_fd_, handle_);
    handle_ = 0;
    owned_ = false;
}

Result<Fd> Timeline::export_fd() const {
    drm_syncobj_handle a{};
    a.handle = handle_;
    a.flags = 0;
    if (xioctl(drm_fd_, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &a)) return sys_fail("exporting a syncobj fd");
    fcntl(a.fd, F_SETFD, FD_CLOEXEC);
    return Fd(a.fd);
}

Result<Fd> Timeline::export_sync_file(uint64_t point) const {
    auto bin = create_binary(drm_fd_);
    if (!bin) return std::unexpected(bin.error());
    drm_syncobj_transfer t{};
    t.src_handle = handle_;
    t.src_point = point;
    t.dst_handle = *bin;
    t.dst_point = 0;
    if (xioctl(drm_fd_, DRM_IOCTL_SYNCOBJ_TRANSFER, &t)) {
        int e = errno;
        destroy_handle(drm_fd_, *bin);
        errno = e;
        return fail(e == EINVAL || e == ENOENT ? Errc::invalid_argument : Errc::system,
                    "point {} has no fence (not materialised?): {}", point, std::strerror(e));
    }
    drm_syncobj_handle a{};
    a.handle = *bin;
    a.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
    int r = xioctl(drm_fd_, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &a);
    int e = errno;
    destroy_handle(drm_fd_, *bin);
    if (r) return fail(Errc::system, "exporting point {} as a sync_file: {}", point, std::strerror(e));
    return Fd(a.fd);
}

Result<void> Timeline::import_sync_file(uint64_t point, int sync_file) const {
    if (sync_file < 0) return signal(point);
    auto bin = create_binary(drm_fd_);
    if (!bin) return std::unexpected(bin.error());
    drm_syncobj_handle a{};
    a.handle = *bin;
    a.fd = sync_file;
    a.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
    if (xioctl(drm_fd_, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &a)) {
        int e = errno;
        destroy_handle(drm_fd_, *bin);
        return fail(Errc::system, "importing a sync_file: {}", std::strerror(e));
    }
    drm_syncobj_transfer t{};
    t.src_handle = *bin;
    t.src_point = 0;
    t.dst_handle = handle_;
    t.dst_point = point;
    int r = xioctl(drm_fd_, DRM_IOCTL_SYNCOBJ_TRANSFER, &t);
    int e = errno;
    destroy_handle(drm_fd_, *bin);
    if (r) return fail(Errc::system, "attaching a sync_file at point {}: {}", point, std::strerror(e));
    return {};
}

Result<uint64_t> Timeline::query() const {
    uint64_t v = 0;
    drm_syncobj_timeline_array a{};
    uint32_t h = handle_;
    a.handles = uintptr_t(&h);
    a.points = uintptr_t(&v);
    a.count_handles = 1;
    if (xioctl(drm_fd_, DRM_IOCTL_SYNCOBJ_QUERY, &a)) return sys_fail("DRM_IOCTL_SYNCOBJ_QUERY");
    return v;
}

Result<void> Timeline::signal(uint64_t point) const {
    drm_syncobj_timeline_array a{};
    uint32_t h = handle_;
    a.handles = uintptr_t(&h);
    a.points = uintptr_t(&point);
    a.count_handles = 1;
    if (xioctl(drm_fd_, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &a))
        return fail(Errc::system, "signalling point {}: {}", point, std::strerror(errno));
    return {};
}

Result<bool> Timeline::wait(uint64_t point, std::chrono::nanoseconds timeout, bool available) const {
    drm_syncobj_timeline_wait w{};
    uint32_t h = handle_;
    w.handles = uintptr_t(&h);
    w.points = uintptr_t(&point);
    w.count_handles = 1;
    w.timeout_nsec = abs_timeout(timeout);
    w.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
    if (available)
        w.flags |= DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE | DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
    else if (timeout.count() > 0)
        w.flags |= DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
    int r;
    do r = ioctl(drm_fd_, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
    while (r == -1 && errno == EINTR);
    if (r == 0) return true;
    // ETIME: timed out; EINVAL without WAIT_FOR_SUBMIT: the point has no fence yet.
    if (errno == ETIME || errno == ETIMEDOUT || (errno == EINVAL && !(w.flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)))
        return false;
    return fail(Errc::system, "waiting for point {}: {}", point, std::strerror(errno));
}

Result<Fd> Timeline::eventfd(uint64_t point, bool available) const {
    Fd ev(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!ev) return sys_fail("eventfd");
    drm_syncobj_eventfd a{};
    a.handle = handle_;
    a.flags = available ? DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE : 0;
    a.point = point;
    a.fd = ev.get();
    if (xioctl(drm_fd_, DRM_IOCTL_SYNCOBJ_EVENTFD, &a))
        return fail(errno == ENOTTY || errno == EINVAL ? Errc::unsupported : Errc::system,
                    "DRM_IOCTL_SYNCOBJ_EVENTFD (Linux >= 6.6): {}", std::strerror(errno));
    return ev;
}

bool eventfd_supported(int drm_fd) {
    auto t = Timeline::create(drm_fd);
    if (!t) return false;
    return bool(t->eventfd(1, true));
}

}  // namespace wlgpu::sync
