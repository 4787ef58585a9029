// Unsignalled kernel fences from vgem (the test bed's software DRM driver): the sync probe's
// "client fence that has not signalled yet" (src/sync/probe.cpp), and the tests' and benchmarks'.
// vgem's node: drm::open_node_of_driver("card", "vgem") (common/drm_nodes.hpp).
#pragma once

#include <cstdint>

#include "wlgpu/error.hpp"
#include "wlgpu/sync_file.hpp"  // Fd

namespace wlgpu::vgem {

struct Fence {
    sync::Fd sync_file;  // unsignalled until signal(id) (the kernel expires it after ~10 s)
    uint32_t id = 0;
};
// A write fence on a new vgem buffer, as a sync_file (DMA_BUF_IOCTL_EXPORT_SYNC_FILE).
Result<Fence> fence(int vgem_fd);
Result<void> signal(int vgem_fd, uint32_t id);

}  // namespace wlgpu::vgem
