// DRM device nodes under /dev/dri: listing them, the render node of a device number, opening one
// by kernel driver or by capability. The one place wlgpu looks into /dev/dri.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wlgpu/error.hpp"
#include "wlgpu/sync_file.hpp"  // Fd

namespace wlgpu::drm {

using sync::Fd;

// The paths "/dev/dri/<prefix>*", sorted ("renderD128" before "renderD129"); empty if none.
std::vector<std::string> nodes(std::string_view prefix);
inline std::vector<std::string> render_nodes() { return nodes("renderD"); }

// "/dev/dri/renderD<minor>" if that path is the character device (major, minor), else "".
std::string render_node_of(int64_t major, int64_t minor);

// The first render node this process may open for reading and writing, or "".
std::string first_accessible_render_node();

// The first "/dev/dri/<prefix>*" node whose kernel driver is `driver` (e.g. "card", "vgem").
Result<Fd> open_node_of_driver(std::string_view prefix, std::string_view driver);

// The first render node with DRM_CAP_SYNCOBJ_TIMELINE.
Result<Fd> open_timeline_node();

}  // namespace wlgpu::drm
