// sync_files: the owned Fd, Dawn SharedFence import/export, and the merge of end-of-access fences.
#include "common/sync_file.hpp"

#include <fcntl.h>
#include <linux/sync_file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace wlgpu {

namespace sync {

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
}

void Fd::reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
}

Result<Fd> Fd::dup(int fd) {
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) return fail(Errc::system, "dup: {}", std::strerror(errno));
    return Fd(d);
}

Result<wg::SharedFence> import_fence(WGPUDevice device, int sync_file) {
    auto sd = wg::chained<WGPUSharedFenceSyncFDDescriptor>();
    sd.handle = sync_file;
    WGPUSharedFenceDescriptor d{};
    d.nextInChain = &sd.chain;
    d.label = wg::sv("wlgpu acquire");
    wg::SharedFence f = wg::SharedFence::Acquire(wgpuDeviceImportSharedFence(device, &d));
    if (!f) return fail(Errc::unsupported, "wgpuDeviceImportSharedFence(SyncFD) failed");
    return f;
}

Result<Fd> export_fence(WGPUSharedFence fence) {
    auto se = wg::chained<WGPUSharedFenceSyncFDExportInfo>();
    se.handle = -1;
    WGPUSharedFenceExportInfo info{};
    info.nextInChain = &se.chain;
    wgpuSharedFenceExportInfo(fence, &info);
    if (info.type != WGPUSharedFenceType_SyncFD)
        return fail(Errc::unsupported, "the end-of-access fence is not a SyncFD fence (type {})", int(info.type));
    if (se.handle < 0) return Fd();  // already signalled
    return Fd::dup(se.handle);        // the fence keeps its own fd
}

}  // namespace sync

Result<sync::Fd> merge_end_sync_files(std::span<const wg::SharedFence> fences, std::string_view who) {
    int merged = -1;
    for (const auto& f : fences) {
        WGPUSharedFenceSyncFDExportInfo sx{};
        sx.chain.sType = WGPUSType_SharedFenceSyncFDExportInfo;
        sx.handle = -1;
        WGPUSharedFenceExportInfo info{};
        info.nextInChain = &sx.chain;
        wgpuSharedFenceExportInfo(f.get(), &info);
        if (info.type != WGPUSharedFenceType_SyncFD) {
            if (merged >= 0) close(merged);
            return fail(Errc::unsupported,
                        "{}: Dawn's end-of-access fence is not a sync_file (type {}; no SharedFenceSyncFD on this device)",
                        who, int(info.type));
        }
        if (sx.handle < 0) continue;  // already signalled
        if (merged < 0) {
            merged = fcntl(sx.handle, F_DUPFD_CLOEXEC, 0);
            if (merged < 0) return fail(Errc::system, "{}: duplicating the end fence: {}", who, std::strerror(errno));
            continue;
        }
        sync_merge_data m{};
        std::snprintf(m.name, sizeof m.name, "wlgpu");
        m.fd2 = sx.handle;
        if (ioctl(merged, SYNC_IOC_MERGE, &m) < 0) {
            int e = errno;
            close(merged);
            return fail(Errc::system, "{}: merging end fences: {}", who, std::strerror(e));
        }
        close(merged);
        merged = m.fence;
    }
    return sync::Fd(merged);
}

}  // namespace wlgpu
