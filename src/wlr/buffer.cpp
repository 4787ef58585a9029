// Render targets: the wlgpu Texture of a target wlr_buffer, cached on the buffer with a
// wlr_addon (destroyed with the buffer or the renderer).
//
// Memory buffers (SHM / data-ptr, what wlroots' shm allocator gives when render_buffer_caps
// is DATA_PTR): the render Texture is filled from the buffer's memory on first use (so that
// buffer-age damage tracking stays right), and after each pass the part of the texture the
// pass drew is read back into the buffer's memory, so the buffer always holds what was rendered.
//
// DMA-BUF buffers (gbm / udmabuf allocators): the dma-buf itself is imported as the render
// target (usage sample|render, content kept), so the pass renders into it without copies.
#include "internal.hpp"

namespace wlgpu::wlr::detail {
namespace {

void buffer_addon_destroy(wlr_addon* addon) {
    auto* rb = wl_container_of(addon, static_cast<RenderBuffer*>(nullptr), addon);
    wlr_addon_finish(&rb->addon);
    wl_list_remove(&rb->link);
    delete rb;
}

const wlr_addon_interface kBufferAddon = {.name = "wlgpu_render_buffer", .destroy = buffer_addon_destroy};

RenderBuffer* attach(WlRenderer* r, wlr_buffer* buffer, std::shared_ptr<Texture> tex, uint32_t format, bool dmabuf) {
    auto* rb = new RenderBuffer();
    rb->renderer = r;
    rb->buffer = buffer;
    rb->texture = std::move(tex);
    rb->drm_format = format;
    rb->dmabuf = dmabuf;
    wlr_addon_init(&rb->addon, &buffer->addons, r, &kBufferAddon);
    wl_list_insert(&r->buffers, &rb->link);
    return rb;
}

// A render Texture for a memory buffer, filled with the buffer's current contents.
RenderBuffer* create_memory_target(WlRenderer* r, wlr_buffer* buffer, void* data, uint32_t format, uint32_t stride) {
    char name[8];
    const FormatInfo* f = find_shm_format(format);
    if (!f || !f->renderable) {
        log_error("cannot render into a %s buffer: not a render format", fourcc_name(format, name));
        return nullptr;
    }
    auto tex = Texture::create(*r->bridge, format, buffer->width, buffer->height,
                               TextureUsage::render | TextureUsage::sample);
    if (!tex) {
        log_error("creating a %dx%d %s render target: %s", buffer->width, buffer->height,
                  fourcc_name(format, name), error_text(tex.error()));
        return nullptr;
    }
    Box all{0, 0, buffer->width, buffer->height};
    if (auto u = (*tex)->update(data, stride, std::span<const Box>(&all, 1)); !u) {
        log_error("filling a render target from its buffer: %s", error_text(u.error()));
        return nullptr;
    }
    RenderBuffer* rb = attach(r, buffer, std::move(*tex), format, false);
    rb->may_import = memory_cannot_shrink(buffer, true);
    log_debug("render target %p: %dx%d memory, stride %u; %s", (void*)buffer, buffer->width, buffer->height, stride,
              rb->may_import ? "the GPU may write into it (no fd, or sealed against shrinking)"
                             : r->trust_target_memory ? "the GPU may write into it (trusted by the compositor)"
                                                      : "read back through the staging buffer (its fd is not sealed "
                                                        "against shrinking)");
    return rb;
}

// The dma-buf of buffer imported as a render target.
RenderBuffer* create_dmabuf_target(WlRenderer* r, wlr_buffer* buffer, const wlr_dmabuf_attributes& attrs) {
    if (!r->dmabuf_targets) {
        log_error("cannot render into buffer %p (%s): this device has no DMA-BUF render formats", (void*)buffer,
                  describe(attrs).c_str());
        return nullptr;
    }
    DmabufImportOptions o;
    o.usage = TextureUsage::sample | TextureUsage::render;
    o.initialized = true;  // buffer-age damage tracking relies on the old content
    auto tex = import_dmabuf(*r->bridge, to_dmabuf(attrs), o);
    if (!tex) {
        log_error("cannot render into buffer %p (%s): %s", (void*)buffer, describe(attrs).c_str(),
                  error_text(tex.error()));
        return nullptr;
    }
    log_debug("render target %p: %s, rendered into directly", (void*)buffer, describe(attrs).c_str());
    return attach(r, buffer, std::move(*tex), attrs.format, true);
}

}  // namespace

RenderBuffer* find_render_buffer(WlRenderer* r, wlr_buffer* buffer) {
    if (wlr_addon* a = wlr_addon_find(&buffer->addons, r, &kBufferAddon))
        return wl_container_of(a, static_cast<RenderBuffer*>(nullptr), addon);
    return nullptr;
}

RenderBuffer* get_render_buffer(WlRenderer* r, wlr_buffer* buffer) {
    if (RenderBuffer* rb = find_render_buffer(r, buffer)) return rb;
    RenderBuffer* rb = nullptr;
    bool accessed = with_data(buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, [&](void* data, uint32_t format, uint32_t stride) {
        rb = create_memory_target(r, buffer, data, format, stride);
    });
    if (accessed) return rb;
    wlr_dmabuf_attributes attrs{};
    if (wlr_buffer_get_dmabuf(buffer, &attrs)) return create_dmabuf_target(r, buffer, attrs);
    log_error("cannot render into buffer %p: it has neither memory nor DMA-BUF access", (void*)buffer);
    return nullptr;
}

void render_buffer_destroy(RenderBuffer* rb) { buffer_addon_destroy(&rb->addon); }

namespace {

// The union of the drawn boxes as non-overlapping boxes; their bounding box when the union has
// more than kMaxReadbackBoxes (one copy command each).
std::vector<Box> drawn_region(std::span<const Box> drawn) {
    constexpr int kMaxReadbackBoxes = 64;
    std::vector<pixman_box32_t> rects;
    rects.reserve(drawn.size());
    for (const Box& b : drawn) rects.push_back({b.x, b.y, b.x + b.width, b.y + b.height});
    pixman_region32_t region;
    pixman_region32_init_rects(&region, rects.data(), int(rects.size()));
    std::vector<Box> out;
    if (pixman_region32_n_rects(&region) > kMaxReadbackBoxes) {
        const pixman_box32_t* e = pixman_region32_extents(&region);
        out.push_back(Box{e->x1, e->y1, e->x2 - e->x1, e->y2 - e->y1});
    } else {
        out = region_boxes(&region);
    }
    pixman_region32_fini(&region);
    return out;
}

}  // namespace

Result<SyncPoint> render_buffer_submit(RenderBuffer* rb, Frame& frame, std::span<const Box> drawn) {
    if (rb->dmabuf || drawn.empty()) return frame.submit();  // drawn into the buffer itself, or nothing drawn
    wlr_buffer* buffer = rb->buffer;
    std::optional<Result<SyncPoint>> done;
    const std::vector<Box> boxes = drawn_region(drawn);
    bool accessed = with_data(buffer, WLR_BUFFER_DATA_PTR_ACCESS_WRITE, [&](void* data, uint32_t format, uint32_t stride) {
        // The buffer's memory lives (mapped, at one address) as long as the wlr_buffer and so
        // as long as rb->texture: the contract of read_back_to_memory.
        const bool may_import = rb->may_import || rb->renderer->trust_target_memory;
        done = frame.submit(MemoryTarget{boxes, data, stride, format, may_import});
    });
    if (accessed && done) return std::move(*done);
    // No memory access: the frame is still submitted (its completion is waited for by whoever
    // needs it), but the buffer does not hold it.
    auto s = frame.submit();
    if (!s) return s;
    return fail(Errc::invalid_argument, "buffer {}: no write access to its memory to copy the frame into",
                static_cast<void*>(buffer));
}

}  // namespace wlgpu::wlr::detail
