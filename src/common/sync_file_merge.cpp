#include "common/sync_file_merge.hpp"

#include <fcntl.h>
#include <linux/sync_file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace wlgpu {

Result<int> merge_end_sync_files(std::span<const wg::SharedFence> fences, std::string_view who) {
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
    return merged;
}

}  // namespace wlgpu
