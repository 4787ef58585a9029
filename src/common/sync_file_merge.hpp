// The end-of-access fences of a SharedAccess as one sync_file: the one merge used by every
// importer's export_end_sync_file (DMA-BUF, host images, the udmabuf StmAccess).
#pragma once

#include <span>
#include <string_view>

#include "wlgpu/error.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu {

// Merges the sync_files that Dawn's SyncFD fences hold (borrowed) into one new sync_file
// (SYNC_IOC_MERGE); the caller owns the result. -1: nothing to wait for (no fences, or Dawn holds
// -1 for each: already signalled). A fence of another type (an OPAQUE_FD VkSemaphore) is
// Errc::unsupported; errors start with `who`.
Result<int> merge_end_sync_files(std::span<const wg::SharedFence> fences, std::string_view who);

}  // namespace wlgpu
