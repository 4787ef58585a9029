// wlgpu as a wlroots renderer, the C++ twin of wlgpu/wlr.h.
#pragma once

#include "wlgpu/bridge.hpp"
#include "wlgpu/error.hpp"
#include "wlgpu/render.hpp"
#include "wlgpu/wlr.h"

namespace wlgpu::wlr {

struct RendererOptions {
    AdapterSelector adapter;  // empty drm_node: the backend's DRM device if it has one
    std::string syncobj_node;  // explicit sync: see wlgpu_renderer_options.syncobj_node
};

// Creates a wlr_renderer that renders with wlgpu; destroy it with wlr_renderer_destroy().
Result<wlr_renderer*> create_renderer(wlr_backend* backend, RendererOptions options = {});

// The wlgpu objects behind a wlgpu wlr_renderer; nullptr for other renderers.
Bridge* bridge(wlr_renderer* renderer);
Renderer* renderer(wlr_renderer* renderer);

}  // namespace wlgpu::wlr
