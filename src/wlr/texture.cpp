// wlr_texture: textures from memory (SHM / data-ptr) buffers (uploads: upload.cpp); update_from_buffer with damage,
// read_pixels (imported DMA-BUF textures too), preferred_read_format. DMA-BUF buffers are
// imported (or, where the driver cannot, copied) by dmabuf.cpp.
#include "internal.hpp"

namespace wlgpu::wlr::detail {
namespace {

bool texture_update_from_buffer(wlr_texture* wt, wlr_buffer* buffer, const pixman_region32_t* damage) {
    WlTexture* t = get_texture(wt);
    if (!t || check_lost(t->renderer)) return false;
    if (uint32_t(buffer->width) != wt->width || uint32_t(buffer->height) != wt->height) return false;
    bool ok = false;
    const std::vector<Box> boxes = damage ? region_boxes(damage)
                                          : std::vector<Box>{Box{0, 0, buffer->width, buffer->height}};
    bool accessed = with_data(buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, [&](void* data, uint32_t format, uint32_t stride) {
        if (format != t->texture->format().drm_fourcc) return;  // wlroots then re-creates the texture
        auto r = upload_memory(t->renderer, *t->texture, buffer, data, stride, boxes);
        if (!r) log_error("updating a texture from buffer %p: %s", (void*)buffer, error_text(r.error()));
        ok = bool(r);
    });
    if (!accessed) return dmabuf_copy_update(t, buffer, boxes);  // DMA-BUF: only copies are updated in place
    return ok;
}

bool texture_read_pixels(wlr_texture* wt, const wlr_texture_read_pixels_options* options) {
    WlTexture* t = get_texture(wt);
    if (!t || check_lost(t->renderer)) return false;
    wlr_box src{};
    wlr_texture_read_pixels_options_get_src_box(options, wt, &src);
    void* dst = wlr_texture_read_pixel_options_get_data(options);
    // Imported (shared) memory needs Dawn's BeginAccess/EndAccess around the copy.
    const auto& shared = t->texture->shared_access;
    if (shared) {
        if (auto b = shared->begin(false); !b) {
            log_error("read_pixels: beginning access to the imported buffer: %s", error_text(b.error()));
            return false;
        }
    }
    auto r = t->texture->read_pixels(options->format, to_box(src), options->stride, dst);
    if (shared) {
        if (auto e = shared->end(); !e) {
            log_error("read_pixels: ending access to the imported buffer: %s", error_text(e.error()));
            return false;
        }
    }
    if (!r) {
        log_error("read_pixels: %s", error_text(r.error()));
        return false;
    }
    return true;
}

uint32_t texture_preferred_read_format(wlr_texture* wt) {
    WlTexture* t = get_texture(wt);
    return t ? t->texture->format().drm_fourcc : DRM_FORMAT_INVALID;
}

void texture_destroy(wlr_texture* wt) {
    WlTexture* t = get_texture(wt);
    if (t->locked_buffer) wlr_buffer_unlock(t->locked_buffer);
    wl_list_remove(&t->link);
    delete t;
}

// A texture from a memory buffer: one upload of the whole buffer (upload_memory); nullptr
// (logged) when the format is unknown or the upload fails.
wlr_texture* texture_from_data(WlRenderer* r, wlr_buffer* buffer, void* data, uint32_t format, uint32_t stride) {
    auto tex = Texture::create(*r->bridge, format, buffer->width, buffer->height, TextureUsage::sample);
    const Box all{0, 0, buffer->width, buffer->height};
    Result<void> up = tex ? upload_memory(r, **tex, buffer, data, stride, std::span<const Box>(&all, 1))
                          : Result<void>(std::unexpected(tex.error()));
    if (!up) {
        char name[8];
        log_error("cannot import %dx%d %s memory buffer: %s", buffer->width, buffer->height,
                  fourcc_name(format, name), error_text(up.error()));
        return nullptr;
    }
    return wrap_texture(r, std::move(*tex));
}

}  // namespace

const wlr_texture_impl kTextureImpl = {
    .update_from_buffer = texture_update_from_buffer,
    .read_pixels = texture_read_pixels,
    .preferred_read_format = texture_preferred_read_format,
    .destroy = texture_destroy,
};

wlr_texture* wrap_texture(WlRenderer* r, std::shared_ptr<Texture> tex) {
    auto* t = new WlTexture();
    wlr_texture_init(&t->base, &r->base, &kTextureImpl, tex->width(), tex->height());
    t->renderer = r;
    t->texture = std::move(tex);
    wl_list_insert(&r->textures, &t->link);
    return &t->base;
}

void textures_destroy_all(WlRenderer* r) {
    WlTexture *t, *tmp;
    wl_list_for_each_safe(t, tmp, &r->textures, link) wlr_texture_destroy(&t->base);
}

wlr_texture* texture_from_buffer(wlr_renderer* wr, wlr_buffer* buffer) {
    WlRenderer* r = get_renderer(wr);
    if (check_lost(r)) return nullptr;
    if (wlr_texture* marker = scene_effect_texture(r, buffer)) return marker;
    wlr_texture* out = nullptr;
    bool accessed = with_data(buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, [&](void* data, uint32_t format, uint32_t stride) {
        out = texture_from_data(r, buffer, data, format, stride);
    });
    if (accessed) return out;
    wlr_dmabuf_attributes dmabuf{};
    if (wlr_buffer_get_dmabuf(buffer, &dmabuf)) return texture_from_dmabuf(r, buffer, dmabuf);
    log_error("buffer %p has neither memory nor DMA-BUF access", (void*)buffer);
    return nullptr;
}

}  // namespace wlgpu::wlr::detail
