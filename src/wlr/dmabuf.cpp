// DMA-BUF buffers in the wlroots adapter. Thin: the importer (wlgpu/dmabuf.hpp) does the
// validation, the import and the YUV conversion; this file translates wlroots' structs, caches
// one imported texture per wlr_buffer (wlr_addon, so an unchanged buffer costs nothing per
// frame), and provides what linux-dmabuf-v1 needs from a renderer (formats, a DRM fd).
#include "internal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wlgpu::wlr::detail {
namespace {

void add_formats(wlr_drm_format_set* set, const std::vector<DmabufFormat>& formats) {
    for (const DmabufFormat& f : formats)
        for (uint64_t m : f.modifiers) wlr_drm_format_set_add(set, f.fourcc, m);
}

void import_addon_destroy(wlr_addon* addon) {
    auto* d = wl_container_of(addon, static_cast<DmabufImport*>(nullptr), addon);
    wlr_addon_finish(&d->addon);
    wl_list_remove(&d->link);
    delete d;
}

const wlr_addon_interface kImportAddon = {.name = "wlgpu_dmabuf_texture", .destroy = import_addon_destroy};

DmabufImport* add_import(WlRenderer* r, wlr_buffer* buffer, DmabufTexture tex) {
    auto* d = new DmabufImport();
    d->renderer = r;
    d->texture = std::move(tex);
    wlr_addon_init(&d->addon, &buffer->addons, r, &kImportAddon);
    wl_list_insert(&r->dmabuf_imports, &d->link);
    return d;
}

// A commit of the buffer: what of a copy to make again. The surface damage says what changed
// since the surface's previous buffer; it is what changed in this buffer's copy only when that
// previous buffer was this one (shown: the texture the surface showed).
struct Commit {
    const Texture* shown = nullptr;
    std::span<const Box> damage;
};

// The texture of buffer: the render target's own texture when the buffer is one (an output
// buffer read back for a screenshot), the cached one (a copy is refreshed: each call is a
// commit), or a new one from the importer, which decides between import and copy.
std::shared_ptr<Texture> import_cached(WlRenderer* r, wlr_buffer* buffer, const wlr_dmabuf_attributes& attrs,
                                       bool* copy, Commit commit = {}) {
    *copy = false;
    if (RenderBuffer* rb = find_render_buffer(r, buffer); rb && rb->dmabuf) return rb->texture;
    if (wlr_addon* a = wlr_addon_find(&buffer->addons, r, &kImportAddon)) {
        DmabufImport* cached = wl_container_of(a, static_cast<DmabufImport*>(nullptr), addon);
        if (!cached->texture.texture) return nullptr;  // failed before (logged then)
        *copy = cached->texture.path == DmabufPath::copy;
        const bool same_buffer = commit.shown && commit.shown == cached->texture.texture.get();
        const Box all{0, 0, attrs.width, attrs.height};
        auto c = refresh_dmabuf_texture(cached->texture, to_dmabuf(attrs),
                                        same_buffer ? commit.damage : std::span<const Box>(&all, 1),
                                        copied_rows(r, buffer));
        if (!c && !cached->warned_recopy) {
            log_error("client buffer %p: copying it again failed, showing its previous content: %s",
                      (void*)buffer, error_text(c.error()));
            cached->warned_recopy = true;
        }
        return cached->texture.texture;
    }
    DmabufImportOptions options;
    options.copied = copied_rows(r, buffer);  // read off the event loop (commit_copy.cpp), if it was
    auto tex = dmabuf_texture(*r->bridge, to_dmabuf(attrs), options);
    if (!tex) {
        log_error("cannot import client buffer %p (%s): %s (not retried for this buffer)", (void*)buffer,
                  describe(attrs).c_str(), error_text(tex.error()));
        add_import(r, buffer, {});
        return nullptr;
    }
    if (tex->path == DmabufPath::copy)
        log_info("client buffer %p (%s) is shown through a CPU copy, made again on each commit (no zero-copy "
                 "import: %s)", (void*)buffer, describe(attrs).c_str(), tex->copy_reason.c_str());
    else
        log_debug("imported client buffer %p (%s)", (void*)buffer, describe(attrs).c_str());
    *copy = tex->path == DmabufPath::copy;
    return add_import(r, buffer, std::move(*tex))->texture.texture;
}

}  // namespace

void dmabuf_init_formats(WlRenderer* r) {
    if (!r->bridge->caps().dmabuf_import) {
        log_info("no DMA-BUF import on this adapter (SharedTextureMemoryDmaBuf missing); "
                 "linux-dmabuf-v1 is not advertised");
        return;
    }
    const auto& textures = dmabuf_texture_formats(*r->bridge);
    const auto& targets = dmabuf_render_formats(*r->bridge);
    add_formats(&r->dmabuf_texture_formats, textures);
    add_formats(&r->render_formats, targets);
    r->dmabuf_textures = !textures.empty();
    r->dmabuf_targets = !targets.empty();
    log_info("DMA-BUF: %zu texture formats, %zu render formats%s", textures.size(), targets.size(),
             textures.empty() ? " (the import probe failed: no dma-buf allocator or no driver import here)" : "");
}

DmabufAttributes to_dmabuf(const wlr_dmabuf_attributes& a) {
    DmabufAttributes d;
    d.width = uint32_t(a.width);
    d.height = uint32_t(a.height);
    d.format = a.format;
    d.modifier = a.modifier;
    d.n_planes = uint32_t(std::clamp(a.n_planes, 0, int(kDmabufMaxPlanes)));
    for (uint32_t i = 0; i < d.n_planes; i++) d.planes[i] = DmabufPlane{a.fd[i], a.offset[i], a.stride[i]};
    return d;
}

std::string describe(const wlr_dmabuf_attributes& a) { return describe_dmabuf(to_dmabuf(a)); }

wlr_texture* texture_from_dmabuf(WlRenderer* r, wlr_buffer* buffer, const wlr_dmabuf_attributes& attrs) {
    if (!r->dmabuf_textures) {
        if (!r->warned_dmabuf) {
            log_error("client buffer %p (%s) is a DMA-BUF, which this device cannot import; not shown",
                      (void*)buffer, describe(attrs).c_str());
            r->warned_dmabuf = true;
        }
        return nullptr;
    }
    bool copy = false;
    auto tex = import_cached(r, buffer, attrs, &copy);
    if (!tex) return nullptr;
    wlr_texture* wt = wrap_texture(r, std::move(tex));
    get_texture(wt)->dmabuf_copy = copy;
    if (!copy) get_texture(wt)->locked_buffer = wlr_buffer_lock(buffer);
    return wt;
}

bool dmabuf_copy_update(WlTexture* t, wlr_buffer* buffer, std::span<const Box> damage) {
    wlr_dmabuf_attributes attrs{};
    if (!t->dmabuf_copy || !wlr_buffer_get_dmabuf(buffer, &attrs)) return false;
    bool copy = false;
    auto tex = import_cached(t->renderer, buffer, attrs, &copy, Commit{t->texture.get(), damage});
    if (!tex || tex->width() != t->texture->width() || tex->height() != t->texture->height()) return false;
    t->texture = std::move(tex);  // the buffer's own (re-)copied texture: no writes into another buffer's
    t->dmabuf_copy = copy;
    return true;
}

bool dmabuf_takes_copy(WlRenderer* r, wlr_buffer* buffer, const wlr_dmabuf_attributes& attrs) {
    if (!r->dmabuf_textures) return false;
    if (wlr_addon* a = wlr_addon_find(&buffer->addons, r, &kImportAddon)) {
        const DmabufImport* cached = wl_container_of(a, static_cast<DmabufImport*>(nullptr), addon);
        return cached->texture.texture && cached->texture.path == DmabufPath::copy;
    }
    const DmabufAttributes d = to_dmabuf(attrs);
    return d.n_planes == 1 && d.modifier == kDrmFormatModLinear && find_shm_format(d.format) && dmabuf_read_only(d);
}

bool check_dmabuf(WlRenderer* r, const wlr_dmabuf_attributes& attrs) {
    const DmabufAttributes d = to_dmabuf(attrs);
    std::string why;
    if (!r->dmabuf_textures) {
        why = describe(attrs) + ": this renderer imports no DMA-BUFs";
    } else if (auto v = validate_dmabuf_texture(*r->bridge, d); !v) {  // import or, if need be, copy
        why = error_text(v.error());
    }
    if (why.empty() && !wlr_drm_format_set_has(&r->dmabuf_texture_formats, attrs.format, attrs.modifier))
        why = describe(attrs) + ": this format and modifier are not among the ones this renderer advertises";
    if (why.empty()) return true;
    log_error("linux-dmabuf-v1: refusing a client buffer: %s", why.c_str());
    return false;
}

void dmabuf_imports_destroy_all(WlRenderer* r) {
    DmabufImport *d, *tmp;
    wl_list_for_each_safe(d, tmp, &r->dmabuf_imports, link) import_addon_destroy(&d->addon);
}

}  // namespace wlgpu::wlr::detail

extern "C" bool wlgpu_renderer_check_dmabuf(struct wlr_dmabuf_attributes* attribs, void* renderer) {
    auto* wr = static_cast<wlr_renderer*>(renderer);
    if (!attribs || !wlr_renderer_is_wlgpu(wr)) {
        log_error("wlgpu_renderer_check_dmabuf: the callback data %p is not a wlgpu renderer; refusing the buffer",
                  renderer);
        return false;
    }
    return wlgpu::wlr::detail::check_dmabuf(wlgpu::wlr::detail::get_renderer(wr), *attribs);
}
