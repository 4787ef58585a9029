// The end-of-access fences of a SharedAccess as one sync_file: the one merge used by every
// export_end_sync_file (src/import/shared_access.cpp). Fd, import_fence and export_fence
// (wlgpu/sync_file.hpp) are implemented beside it, in src/common/sync_file.cpp.
#pragma once

#include <span>
#include <string_view>

#include "wlgpu/error.hpp"
#include "wlgpu/sync_file.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu {

// Merges the sync_files that Dawn's SyncFD fences hold (borrowed) into one new sync_file
// (SYNC_IOC_MERGE). An empty Fd: nothing to wait for (no fences, or Dawn holds -1 for each:
// already signalled). A fence of another type (an OPAQUE_FD VkSemaphore) is
// Errc::unsupported; errors start with `who`.
Result<sync::Fd> merge_end_sync_files(std::span<const wg::SharedFence> fences, std::string_view who);

}  // namespace wlgpu
