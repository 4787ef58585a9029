// wlr_renderer: creation and destruction, texture/render formats, the DRM fd, and the C
// entry points (wlgpu/wlr.h). See internal.hpp for how src/wlr is split.
#include "internal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wlgpu::wlr::detail {
namespace {

void build_format_sets(WlRenderer* r) {
    for (const FormatInfo& f : shm_formats()) {
        wlr_drm_format_set_add(&r->texture_formats, f.drm_fourcc, DRM_FORMAT_MOD_INVALID);
        wlr_drm_format_set_add(&r->texture_formats, f.drm_fourcc, DRM_FORMAT_MOD_LINEAR);
        if (f.renderable) {
            wlr_drm_format_set_add(&r->render_formats, f.drm_fourcc, DRM_FORMAT_MOD_INVALID);
            wlr_drm_format_set_add(&r->render_formats, f.drm_fourcc, DRM_FORMAT_MOD_LINEAR);
        }
    }
}

// DATA_PTR: the SHM formats. DMABUF: what the importer really imports (probed), with
// modifiers; NULL when nothing imports, so that wlr_renderer_init_wl_display does not
// advertise linux-dmabuf-v1.
const wlr_drm_format_set* renderer_get_texture_formats(wlr_renderer* wr, uint32_t caps) {
    WlRenderer* r = get_renderer(wr);
    if (caps & WLR_BUFFER_CAP_DATA_PTR) return &r->texture_formats;
    if ((caps & WLR_BUFFER_CAP_DMABUF) && r->dmabuf_textures) return &r->dmabuf_texture_formats;
    return nullptr;
}

const wlr_drm_format_set* renderer_get_render_formats(wlr_renderer* wr) { return &get_renderer(wr)->render_formats; }

// The device's render node for wlroots (linux-dmabuf-v1's main device, its PRIME import check):
// Bridge::client_render_node chooses it; an adapter without one (lavapipe) has a node of the
// machine stand in when it imports DMA-BUFs. -1 when there is none.
int renderer_get_drm_fd(wlr_renderer* wr) {
    WlRenderer* r = get_renderer(wr);
    if (r->drm_fd_tried) return r->drm_fd;
    r->drm_fd_tried = true;
    std::string why;
    const std::string node = r->bridge->client_render_node(r->dmabuf_textures, &why);
    if (node.empty()) return r->drm_fd;
    r->drm_fd = open(node.c_str(), O_RDWR | O_CLOEXEC);
    if (r->drm_fd < 0) log_error("cannot open %s %s: %s", why.c_str(), node.c_str(), strerror(errno));
    else log_info("DRM fd: %s %s", why.c_str(), node.c_str());
    return r->drm_fd;
}

void renderer_destroy(wlr_renderer* wr) {
    WlRenderer* r = get_renderer(wr);
    shm_imports_destroy_all(r);
    RenderBuffer *rb, *tmp;
    wl_list_for_each_safe(rb, tmp, &r->buffers, link) render_buffer_destroy(rb);
    textures_destroy_all(r);
    dmabuf_imports_destroy_all(r);
    wlr_drm_format_set_finish(&r->texture_formats);
    wlr_drm_format_set_finish(&r->dmabuf_texture_formats);
    wlr_drm_format_set_finish(&r->render_formats);
    if (r->drm_fd >= 0) close(r->drm_fd);
    r->sync.reset();  // before the device: its release worker uses the queue
    r->renderer.reset();
    r->bridge.reset();
    delete r;
}

BridgeOptions bridge_options(const RendererOptions& options, std::shared_ptr<std::atomic<bool>> lost) {
    BridgeOptions bo;
    bo.adapter = options.adapter;
    bo.on_device_lost = [flag = std::move(lost)](WGPUDeviceLostReason reason, std::string_view m) {
        if (reason == WGPUDeviceLostReason_Destroyed) return;  // our own wlr_renderer_destroy
        flag->store(true);
        wlr_log(WLR_ERROR, "wlgpu: device lost: %.*s", int(m.size()), m.data());
    };
    bo.on_uncaptured_error = [](WGPUErrorType, std::string_view m) {
        wlr_log(WLR_ERROR, "wlgpu: uncaptured WebGPU error: %.*s", int(m.size()), m.data());
    };
    return bo;
}

}  // namespace

const wlr_renderer_impl kRendererImpl = {
    .get_texture_formats = renderer_get_texture_formats,
    .get_render_formats = renderer_get_render_formats,
    .destroy = renderer_destroy,
    .get_drm_fd = renderer_get_drm_fd,
    .texture_from_buffer = texture_from_buffer,
    .begin_buffer_pass = begin_buffer_pass,
    .render_timer_create = render_timer_create,
};

}  // namespace wlgpu::wlr::detail

namespace wlgpu::wlr {
using namespace detail;

Result<wlr_renderer*> create_renderer(wlr_backend* backend, RendererOptions options) {
    // The backend's device: the bridge picks the adapter of that DRM fd (borrowed for create).
    if (options.adapter.drm_node.empty() && options.adapter.drm_fd < 0 && backend)
        options.adapter.drm_fd = wlr_backend_get_drm_fd(backend);
    auto r = std::make_unique<WlRenderer>();
    auto bridge = Bridge::create(bridge_options(options, r->lost));
    if (!bridge) return std::unexpected(bridge.error().context("creating the wlgpu renderer"));
    r->bridge = std::move(*bridge);
    auto renderer = Renderer::create(*r->bridge);
    if (!renderer) return std::unexpected(renderer.error().context("creating the wlgpu renderer"));
    r->renderer = std::move(*renderer);
    r->summary = r->bridge->summary() +
                 (r->renderer->composite() == Composite::compute ? " composite=compute" : " composite=raster");
    wl_list_init(&r->buffers);
    wl_list_init(&r->dmabuf_imports);
    wl_list_init(&r->shm_imports);
    wl_list_init(&r->textures);
    build_format_sets(r.get());
    dmabuf_init_formats(r.get());
    // Render targets: memory buffers always; DMA-BUF buffers when the device renders into
    // imported dma-bufs (wlr_allocator_autocreate still prefers shm while DATA_PTR is set, unless
    // the renderer's DRM fd gives it gbm).
    uint32_t render_caps = WLR_BUFFER_CAP_DATA_PTR | (r->dmabuf_targets ? WLR_BUFFER_CAP_DMABUF : 0);
    wlr_renderer_init(&r->base, &kRendererImpl, render_caps);
    r->base.features.output_color_transform = false;
    r->base.features.timeline = false;
    sync_init(r.get(), options.syncobj_node);  // sets features.timeline (sync.cpp)
#if WLGPU_WLR_020
    r->base.features.input_color_transform = false;
    if (r->dmabuf_textures)  // YCbCr encodings set_yuv_color converts (RGB ignores the encoding)
        r->base.color_encodings = WLR_COLOR_ENCODING_IDENTITY | WLR_COLOR_ENCODING_BT601 | WLR_COLOR_ENCODING_BT709 |
                                  WLR_COLOR_ENCODING_BT2020;
#endif
    log_info("renderer on %s", r->summary.c_str());
    return &r.release()->base;
}

Bridge* bridge(wlr_renderer* renderer) {
    return wlr_renderer_is_wlgpu(renderer) ? get_renderer(renderer)->bridge.get() : nullptr;
}

Renderer* renderer(wlr_renderer* renderer) {
    return wlr_renderer_is_wlgpu(renderer) ? get_renderer(renderer)->renderer.get() : nullptr;
}

}  // namespace wlgpu::wlr

extern "C" {

void wlgpu_renderer_options_init(struct wlgpu_renderer_options* options) {
    *options = wlgpu_renderer_options{};
    options->allow_software = true;
}

struct wlr_renderer* wlgpu_renderer_create_with_options(struct wlr_backend* backend,
                                                        const struct wlgpu_renderer_options* options) {
    wlgpu::wlr::RendererOptions o;
    if (options) {
        if (options->drm_node) o.adapter.drm_node = options->drm_node;
        o.adapter.vendor_id = options->vendor_id;
        o.adapter.device_id = options->device_id;
        o.adapter.allow_software = options->allow_software;
        if (options->syncobj_node) o.syncobj_node = options->syncobj_node;
    }
    auto r = wlgpu::wlr::create_renderer(backend, std::move(o));
    if (!r) {
        wlr_log(WLR_ERROR, "wlgpu: %s", wlgpu::wlr::detail::error_text(r.error()));
        return nullptr;
    }
    return *r;
}

struct wlr_renderer* wlgpu_renderer_create(struct wlr_backend* backend) {
    wlgpu_renderer_options o;
    wlgpu_renderer_options_init(&o);
    return wlgpu_renderer_create_with_options(backend, &o);
}

bool wlr_renderer_is_wlgpu(struct wlr_renderer* renderer) {
    return renderer && renderer->WLR_PRIVATE.impl == &wlgpu::wlr::detail::kRendererImpl;
}

bool wlgpu_renderer_finish(struct wlr_renderer* renderer) {
    if (!wlr_renderer_is_wlgpu(renderer)) return false;
    if (auto r = wlgpu::wlr::detail::get_renderer(renderer)->bridge->release_deferred(); !r) {
        wlr_log(WLR_ERROR, "wlgpu: finishing the GPU work: %s", wlgpu::wlr::detail::error_text(r.error()));
        return false;
    }
    return true;
}

void wlgpu_renderer_set_trust_target_memory(struct wlr_renderer* renderer, bool trusted) {
    if (wlr_renderer_is_wlgpu(renderer)) wlgpu::wlr::detail::get_renderer(renderer)->trust_target_memory = trusted;
}

const char* wlgpu_renderer_get_transfer_stats(struct wlr_renderer* renderer) {
    if (!wlr_renderer_is_wlgpu(renderer)) return "";
    auto* r = wlgpu::wlr::detail::get_renderer(renderer);
    const wlgpu::TransferStats& t = r->bridge->transfers();
    r->transfer_text = std::format(
        "uploads copies={} pixels={} host_mapped={} staged={} | read-backs copies={} pixels={} host_mapped={} "
        "staged={} staging_buffers={} imports={}",
        t.upload_copies, t.upload_pixels, t.upload_host_mapped, t.upload_staged, t.readback_copies, t.readback_pixels, t.readback_host_mapped,
        t.readback_staged, t.staging_buffers_created, t.host_imports_created);
    return r->transfer_text.c_str();
}

const char* wlgpu_renderer_get_summary(struct wlr_renderer* renderer) {
    return wlr_renderer_is_wlgpu(renderer) ? wlgpu::wlr::detail::get_renderer(renderer)->summary.c_str() : "";
}

}  // extern "C"
