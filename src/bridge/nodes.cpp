// Which DRM nodes stand for the bridge's device: towards clients (linux-dmabuf-v1's main device,
// the wlroots renderer's DRM fd) and for timeline syncobjs. The policy lives here, below the
// wlroots adapter, which only passes the backend's fd in (AdapterSelector::drm_fd) and opens
// what these return; the /dev/dri lookups are src/common/drm_nodes.
#include <cstdlib>

#include "common/drm_nodes.hpp"
#include "wlgpu/bridge.hpp"

namespace wlgpu {

std::string Bridge::client_render_node(bool stand_in, std::string* why) const {
    if (!identity_.render_node.empty()) {
        if (why) *why = "the adapter's render node";
        return identity_.render_node;
    }
    if (!stand_in) return "";
    if (why) *why = "a render node standing in for the adapter, which has no DRM node";
    if (const char* env = std::getenv("WLGPU_DMABUF_DRM_NODE")) return env;  // "" turns the stand-in off
    return drm::first_accessible_render_node();
}

std::vector<std::string> Bridge::syncobj_node_candidates() const {
    std::vector<std::string> nodes;
    if (!identity_.render_node.empty()) nodes.push_back(identity_.render_node);
    for (auto& n : drm::render_nodes())
        if (nodes.empty() || n != nodes[0]) nodes.push_back(n);
    return nodes;
}

}  // namespace wlgpu
