/* The vgem uapi (include/uapi/drm/vgem_drm.h), which neither linux-libc-dev nor libdrm-dev
 * ships: unsignalled fences on vgem buffers, for the sync probe and the test bed's tests.
 * C and C++; include <drm/drm.h> or <xf86drm.h> first (DRM_IOWR, DRM_COMMAND_BASE). */
#pragma once

#include <stdint.h>

struct vgem_fence_attach { uint32_t handle, flags, out_fence, pad; };
struct vgem_fence_signal { uint32_t fence, flags; };
#define VGEM_FENCE_WRITE 0x1
#define DRM_IOCTL_VGEM_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x01, struct vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x02, struct vgem_fence_signal)
