// The wlroots renderer adapter: implements wlr/render/interface.h on top of wlgpu::Renderer,
// wlgpu::Frame and wlgpu::Texture. No rendering logic lives here: this file only translates
// wlroots structs (buffers, boxes, pixman regions, option structs) into wlgpu calls.
//
// Built twice from the same source, against wlroots 0.19 and 0.20 (WLR_VERSION_* selects
// the fields that 0.20 added).
//
// Render targets: memory buffers (SHM / data-ptr, what wlroots' shm allocator gives when
// render_buffer_caps is DATA_PTR). Each target buffer gets a wlgpu render Texture, cached on
// the wlr_buffer with a wlr_addon; on submit, the part of the texture that the pass drew
// (the bounding box of all draws, clipped) is read back into the buffer's memory, so the
// buffer always holds what was rendered (wlroots relies on that for buffer-age damage).
// DMA-BUF targets and textures: the plumbing is here (caps, formats, the branch in
// texture_from_buffer) but the import itself arrives with the DMA-BUF importer.
#include <fcntl.h>
#include <pixman.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <xf86drm.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <drm_fourcc.h>

// wlroots headers are C: array parameters use C99 "[static N]", which C++ does not have.
extern "C" {
#define static
#include <wlr/backend.h>
#include <wlr/interfaces/wlr_buffer.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/interface.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>
#include <wlr/version.h>
#undef static
}

#include "wlgpu/bridge.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/render.hpp"
#include "wlgpu/texture.hpp"
#include "wlgpu/wlr.h"
#include "wlgpu/wlr.hpp"

#define WLGPU_WLR_020 (WLR_VERSION_NUM >= ((0 << 16) | (20 << 8) | 0))

namespace wlgpu::wlr {
namespace {

#define log_error(fmt, ...) wlr_log(WLR_ERROR, "wlgpu: " fmt, ##__VA_ARGS__)
#define log_info(fmt, ...) wlr_log(WLR_INFO, "wlgpu: " fmt, ##__VA_ARGS__)
#define log_debug(fmt, ...) wlr_log(WLR_DEBUG, "wlgpu: " fmt, ##__VA_ARGS__)

extern const wlr_renderer_impl kRendererImpl;
extern const wlr_texture_impl kTextureImpl;
extern const wlr_render_pass_impl kPassImpl;
extern const wlr_render_timer_impl kTimerImpl;
extern const wlr_addon_interface kBufferAddon;

struct WlRenderer;

// The render Texture of one target wlr_buffer (wlr_addon on the buffer).
struct RenderBuffer {
    wlr_addon addon{};
    WlRenderer* renderer = nullptr;
    wlr_buffer* buffer = nullptr;
    std::shared_ptr<Texture> texture;
    uint32_t drm_format = 0;
    wl_list link{};  // WlRenderer::buffers
};

struct WlRenderer {
    wlr_renderer base{};
    std::unique_ptr<Bridge> bridge;
    std::unique_ptr<Renderer> renderer;
    wlr_drm_format_set texture_formats{}, render_formats{};
    int drm_fd = -1;
    bool drm_fd_tried = false;
    std::shared_ptr<std::atomic<bool>> lost = std::make_shared<std::atomic<bool>>(false);
    bool lost_emitted = false;
    std::string summary;
    wl_list buffers{};  // RenderBuffer::link
    bool warned_dmabuf = false, warned_color = false, warned_output_transform = false;
};

struct WlTexture {
    wlr_texture base{};
    WlRenderer* renderer = nullptr;
    std::shared_ptr<Texture> texture;
};

struct WlTimer {
    wlr_render_timer base{};
    WlRenderer* renderer = nullptr;
    std::unique_ptr<RenderTimer> timer;
};

struct WlPass {
    wlr_render_pass base{};
    WlRenderer* renderer = nullptr;
    RenderBuffer* target = nullptr;
    std::optional<Frame> frame;
    Box dirty{};            // bounding box of what the pass drew, in target pixels
    bool failed = false;
    std::deque<std::vector<Box>> clips;  // clip boxes stay alive until submit
};

WlRenderer* get_renderer(wlr_renderer* r) { return reinterpret_cast<WlRenderer*>(r); }
WlTexture* get_texture(wlr_texture* t) {
    return t && t->impl == &kTextureImpl ? reinterpret_cast<WlTexture*>(t) : nullptr;
}

// Emits renderer->events.lost once, on the compositor's thread (Dawn's callback only sets
// a flag). Returns true when the device is lost: the caller must fail and touch nothing.
bool check_lost(WlRenderer* r) {
    if (!r->lost->load() && !r->bridge->lost()) return false;
    if (!r->lost_emitted) {
        r->lost_emitted = true;
        log_error("the GPU device was lost; emitting wlr_renderer.events.lost");
        wl_signal_emit_mutable(&r->base.events.lost, nullptr);
    }
    return true;
}

Box to_box(const wlr_box& b) { return Box{b.x, b.y, b.width, b.height}; }

Box intersect(Box a, Box b) {
    int32_t x1 = std::max(a.x, b.x), y1 = std::max(a.y, b.y);
    int32_t x2 = std::min(a.x + a.width, b.x + b.width), y2 = std::min(a.y + a.height, b.y + b.height);
    if (x2 <= x1 || y2 <= y1) return Box{};
    return Box{x1, y1, x2 - x1, y2 - y1};
}

Box unite(Box a, Box b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    int32_t x1 = std::min(a.x, b.x), y1 = std::min(a.y, b.y);
    int32_t x2 = std::max(a.x + a.width, b.x + b.width), y2 = std::max(a.y + a.height, b.y + b.height);
    return Box{x1, y1, x2 - x1, y2 - y1};
}

std::vector<Box> region_boxes(const pixman_region32_t* region) {
    int n = 0;
    const pixman_box32_t* rects = pixman_region32_rectangles(const_cast<pixman_region32_t*>(region), &n);
    std::vector<Box> out;
    out.reserve(n);
    for (int i = 0; i < n; i++)
        out.push_back(Box{rects[i].x1, rects[i].y1, rects[i].x2 - rects[i].x1, rects[i].y2 - rects[i].y1});
    return out;
}

// Records the clip of a draw (kept alive until submit) and grows the pass's dirty box.
Clip pass_clip(WlPass* p, const pixman_region32_t* clip, Box dst) {
    Box target{0, 0, int32_t(p->target->texture->width()), int32_t(p->target->texture->height())};
    Box touched = intersect(dst, target);
    if (!clip) {
        p->dirty = unite(p->dirty, touched);
        return std::nullopt;
    }
    const pixman_box32_t* e = pixman_region32_extents(const_cast<pixman_region32_t*>(clip));
    touched = intersect(touched, Box{e->x1, e->y1, e->x2 - e->x1, e->y2 - e->y1});
    p->dirty = unite(p->dirty, touched);
    p->clips.push_back(region_boxes(clip));
    return std::span<const Box>(p->clips.back());
}

const char* error_text(const Error& e) {
    static thread_local std::string s;
    s = std::string(errc_name(e.code)) + ": " + e.message;
    return s.c_str();
}

// ---- formats ---------------------------------------------------------------------------

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

// ---- wlr_texture -----------------------------------------------------------------------

// Runs fn(data, format, stride) with read (or write) access to buffer's memory.
template <typename Fn>
bool with_data(wlr_buffer* buffer, uint32_t flags, Fn&& fn) {
    void* data = nullptr;
    uint32_t format = 0;
    size_t stride = 0;
    if (!wlr_buffer_begin_data_ptr_access(buffer, flags, &data, &format, &stride)) return false;
    fn(data, format, uint32_t(stride));
    wlr_buffer_end_data_ptr_access(buffer);
    return true;
}

bool texture_update_from_buffer(wlr_texture* wt, wlr_buffer* buffer, const pixman_region32_t* damage) {
    WlTexture* t = get_texture(wt);
    if (!t || check_lost(t->renderer)) return false;
    if (uint32_t(buffer->width) != wt->width || uint32_t(buffer->height) != wt->height) return false;
    bool ok = false;
    bool accessed = with_data(buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, [&](void* data, uint32_t format, uint32_t stride) {
        if (format != t->texture->format().drm_fourcc) return;  // wlroots then re-creates the texture
        std::vector<Box> boxes = damage ? region_boxes(damage)
                                        : std::vector<Box>{Box{0, 0, buffer->width, buffer->height}};
        auto r = t->texture->update(data, stride, boxes);
        if (!r) log_error("updating a texture from buffer %p: %s", (void*)buffer, error_text(r.error()));
        ok = bool(r);
    });
    return accessed && ok;
}

bool texture_read_pixels(wlr_texture* wt, const wlr_texture_read_pixels_options* options) {
    WlTexture* t = get_texture(wt);
    if (!t || check_lost(t->renderer)) return false;
    wlr_box src{};
    wlr_texture_read_pixels_options_get_src_box(options, wt, &src);
    void* dst = wlr_texture_read_pixel_options_get_data(options);
    auto r = t->texture->read_pixels(options->format, to_box(src), options->stride, dst);
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

void texture_destroy(wlr_texture* wt) { delete get_texture(wt); }

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
    return &t->base;
}

// ---- wlr_renderer ----------------------------------------------------------------------

const wlr_drm_format_set* renderer_get_texture_formats(wlr_renderer* wr, uint32_t caps) {
    WlRenderer* r = get_renderer(wr);
    if (caps & WLR_BUFFER_CAP_DATA_PTR) return &r->texture_formats;
    // DMA-BUF textures: none until the DMA-BUF importer exists (then NULL here would
    // become the importer's format/modifier set, and linux-dmabuf-v1 gets advertised by
    // wlr_renderer_init_wl_display).
    return nullptr;
}

const wlr_drm_format_set* renderer_get_render_formats(wlr_renderer* wr) { return &get_renderer(wr)->render_formats; }

int renderer_get_drm_fd(wlr_renderer* wr) {
    WlRenderer* r = get_renderer(wr);
    if (!r->drm_fd_tried) {
        r->drm_fd_tried = true;
        const std::string& node = r->bridge->identity().render_node;
        if (!node.empty()) {
            r->drm_fd = open(node.c_str(), O_RDWR | O_CLOEXEC);
            if (r->drm_fd < 0) log_error("cannot open the adapter's render node %s: %s", node.c_str(), strerror(errno));
        }
    }
    return r->drm_fd;
}

wlr_texture* renderer_texture_from_buffer(wlr_renderer* wr, wlr_buffer* buffer) {
    WlRenderer* r = get_renderer(wr);
    if (check_lost(r)) return nullptr;
    wlr_texture* out = nullptr;
    bool accessed = with_data(buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, [&](void* data, uint32_t format, uint32_t stride) {
        auto tex = Texture::from_pixels(*r->bridge, format, buffer->width, buffer->height, stride, data,
                                        TextureUsage::sample);
        if (!tex) {
            char name[8];
            log_error("cannot import %dx%d %s memory buffer: %s", buffer->width, buffer->height,
                      fourcc_name(format, name), error_text(tex.error()));
            return;
        }
        out = wrap_texture(r, std::move(*tex));
    });
    if (accessed) return out;
    wlr_dmabuf_attributes dmabuf{};
    if (wlr_buffer_get_dmabuf(buffer, &dmabuf)) {
        if (!r->warned_dmabuf) {
            char name[8];
            log_error("DMA-BUF textures are not supported yet (buffer %dx%d %s); the buffer is not shown",
                      dmabuf.width, dmabuf.height, fourcc_name(dmabuf.format, name));
            r->warned_dmabuf = true;
        }
        return nullptr;
    }
    log_error("buffer %p has neither memory nor DMA-BUF access", (void*)buffer);
    return nullptr;
}

void buffer_addon_destroy(wlr_addon* addon) {
    auto* rb = wl_container_of(addon, static_cast<RenderBuffer*>(nullptr), addon);
    wlr_addon_finish(&rb->addon);
    wl_list_remove(&rb->link);
    delete rb;
}

const wlr_addon_interface kBufferAddon = {.name = "wlgpu_render_buffer", .destroy = buffer_addon_destroy};

// The cached render Texture of buffer, created (and filled with the buffer's current
// contents, so that buffer-age damage tracking stays right) on first use.
RenderBuffer* get_render_buffer(WlRenderer* r, wlr_buffer* buffer) {
    if (wlr_addon* a = wlr_addon_find(&buffer->addons, r, &kBufferAddon))
        return wl_container_of(a, static_cast<RenderBuffer*>(nullptr), addon);
    RenderBuffer* rb = nullptr;
    bool accessed = with_data(buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, [&](void* data, uint32_t format, uint32_t stride) {
        char name[8];
        const FormatInfo* f = find_shm_format(format);
        if (!f || !f->renderable) {
            log_error("cannot render into a %s buffer: not a render format", fourcc_name(format, name));
            return;
        }
        auto tex = Texture::create(*r->bridge, format, buffer->width, buffer->height,
                                   TextureUsage::render | TextureUsage::sample);
        if (!tex) {
            log_error("creating a %dx%d %s render target: %s", buffer->width, buffer->height,
                      fourcc_name(format, name), error_text(tex.error()));
            return;
        }
        Box all{0, 0, buffer->width, buffer->height};
        if (auto u = (*tex)->update(data, stride, std::span<const Box>(&all, 1)); !u) {
            log_error("filling a render target from its buffer: %s", error_text(u.error()));
            return;
        }
        rb = new RenderBuffer();
        rb->renderer = r;
        rb->buffer = buffer;
        rb->texture = std::move(*tex);
        rb->drm_format = format;
        wlr_addon_init(&rb->addon, &buffer->addons, r, &kBufferAddon);
        wl_list_insert(&r->buffers, &rb->link);
    });
    if (!accessed) {
        if (!r->warned_dmabuf) {
            log_error("render targets must be memory (SHM/data-ptr) buffers for now; DMA-BUF targets are not "
                      "supported yet");
            r->warned_dmabuf = true;
        }
        return nullptr;
    }
    return rb;
}

wlr_render_pass* renderer_begin_buffer_pass(wlr_renderer* wr, wlr_buffer* buffer, const wlr_buffer_pass_options* options) {
    WlRenderer* r = get_renderer(wr);
    if (check_lost(r)) return nullptr;
    RenderBuffer* rb = get_render_buffer(r, buffer);
    if (!rb) return nullptr;
    RenderTimer* timer = nullptr;
    if (options && options->timer && options->timer->impl == &kTimerImpl)
        timer = reinterpret_cast<WlTimer*>(options->timer)->timer.get();
    if (options && options->color_transform && !r->warned_output_transform) {
        log_info("output colour transforms are not supported (features.output_color_transform is false); "
                 "the pass renders without it");
        r->warned_output_transform = true;
    }
    auto frame = r->renderer->begin(*rb->texture, timer);
    if (!frame) {
        log_error("beginning a render pass: %s", error_text(frame.error()));
        check_lost(r);
        return nullptr;
    }
    auto* p = new WlPass();
    wlr_render_pass_init(&p->base, &kPassImpl);
    p->renderer = r;
    p->target = rb;
    p->frame.emplace(std::move(*frame));
    wlr_buffer_lock(buffer);
    return &p->base;
}

wlr_render_timer* renderer_render_timer_create(wlr_renderer* wr) {
    WlRenderer* r = get_renderer(wr);
    auto timer = r->renderer->create_timer();
    if (!timer) {
        log_debug("render timers need timestamp queries, which this adapter lacks");
        return nullptr;
    }
    auto* t = new WlTimer();
    t->base.impl = &kTimerImpl;
    t->renderer = r;
    t->timer = std::move(timer);
    return &t->base;
}

void renderer_destroy(wlr_renderer* wr) {
    WlRenderer* r = get_renderer(wr);
    RenderBuffer *rb, *tmp;
    wl_list_for_each_safe(rb, tmp, &r->buffers, link) buffer_addon_destroy(&rb->addon);
    wlr_drm_format_set_finish(&r->texture_formats);
    wlr_drm_format_set_finish(&r->render_formats);
    if (r->drm_fd >= 0) close(r->drm_fd);
    r->renderer.reset();
    r->bridge.reset();
    delete r;
}

const wlr_renderer_impl kRendererImpl = {
    .get_texture_formats = renderer_get_texture_formats,
    .get_render_formats = renderer_get_render_formats,
    .destroy = renderer_destroy,
    .get_drm_fd = renderer_get_drm_fd,
    .texture_from_buffer = renderer_texture_from_buffer,
    .begin_buffer_pass = renderer_begin_buffer_pass,
    .render_timer_create = renderer_render_timer_create,
};

// ---- wlr_render_timer ------------------------------------------------------------------

int timer_get_duration_ns(wlr_render_timer* wt) {
    auto* t = reinterpret_cast<WlTimer*>(wt);
    auto d = t->timer->duration_ns();
    if (!d) return -1;
    return int(std::min<uint64_t>(*d, INT32_MAX));
}

void timer_destroy(wlr_render_timer* wt) { delete reinterpret_cast<WlTimer*>(wt); }

const wlr_render_timer_impl kTimerImpl = {.get_duration_ns = timer_get_duration_ns, .destroy = timer_destroy};

// ---- wlr_render_pass -------------------------------------------------------------------

Blend to_blend(wlr_render_blend_mode m) { return m == WLR_RENDER_BLEND_MODE_NONE ? Blend::none : Blend::premultiplied; }

#if WLGPU_WLR_020
// 0.20's colour fields. wlgpu renders in the encoded (sRGB) domain without colour
// management: sRGB and gamma 2.2 transfer functions, sRGB/BT.709 primaries (the same),
// identity/BT.709 YCbCr encodings (RGB textures ignore it), full range and a luminance
// multiplier of 1 are exact. Anything else (PQ, linear, BT.1886, BT.2020 primaries,
// limited range, other multipliers) is refused: features.input_color_transform is false,
// so wlr_scene does not send them; if a caller does, the texture is drawn as sRGB
// (approximation) and it is logged once.
bool colour_supported(const wlr_render_texture_options* o) {
    const uint32_t tf_ok = WLR_COLOR_TRANSFER_FUNCTION_SRGB | WLR_COLOR_TRANSFER_FUNCTION_GAMMA22;
    if (o->transfer_function != 0 && !(o->transfer_function & tf_ok)) return false;
    if (o->primaries) {
        wlr_color_primaries srgb{};
        wlr_color_primaries_from_named(&srgb, WLR_COLOR_NAMED_PRIMARIES_SRGB);
        auto near = [](const wlr_color_cie1931_xy& a, const wlr_color_cie1931_xy& b) {
            return std::abs(a.x - b.x) < 1e-3 && std::abs(a.y - b.y) < 1e-3;
        };
        if (!near(o->primaries->red, srgb.red) || !near(o->primaries->green, srgb.green) ||
            !near(o->primaries->blue, srgb.blue) || !near(o->primaries->white, srgb.white))
            return false;
    }
    if (o->color_encoding != WLR_COLOR_ENCODING_NONE && o->color_encoding != WLR_COLOR_ENCODING_IDENTITY &&
        o->color_encoding != WLR_COLOR_ENCODING_BT709)
        return false;
    if (o->color_range == WLR_COLOR_RANGE_LIMITED) return false;
    if (o->luminance_multiplier && std::abs(*o->luminance_multiplier - 1.0f) > 1e-6f) return false;
    return true;
}
#endif

void pass_add_texture(wlr_render_pass* wp, const wlr_render_texture_options* o) {
    auto* p = reinterpret_cast<WlPass*>(wp);
    if (p->failed) return;
    WlTexture* t = get_texture(o->texture);
    if (!t) {
        log_error("add_texture: the texture is not a wlgpu texture");
        return;
    }
#if WLGPU_WLR_020
    if (!colour_supported(o) && !p->renderer->warned_color) {
        log_error("add_texture: unsupported colour description (transfer %d, encoding %d, range %d); "
                  "drawn as sRGB",
                  int(o->transfer_function), int(o->color_encoding), int(o->color_range));
        p->renderer->warned_color = true;
    }
#endif
    wlr_fbox src{};
    wlr_render_texture_options_get_src_box(o, &src);
    wlr_box dst{};
    wlr_render_texture_options_get_dst_box(o, &dst);
    TextureDraw d;
    d.texture = t->texture.get();
    d.src = FBox{src.x, src.y, src.width, src.height};
    d.dst = to_box(dst);
    d.transform = Transform(uint32_t(o->transform));
    d.alpha = wlr_render_texture_options_get_alpha(o);
    d.filter = o->filter_mode == WLR_SCALE_FILTER_NEAREST ? Filter::nearest : Filter::bilinear;
    d.blend = to_blend(o->blend_mode);
    d.clip = pass_clip(p, o->clip, d.dst);
    if (auto r = p->frame->draw_texture(d); !r) {
        log_error("add_texture: %s", error_text(r.error()));
        if (r.error().code == Errc::device_lost) p->failed = true;
    }
}

void pass_add_rect(wlr_render_pass* wp, const wlr_render_rect_options* o) {
    auto* p = reinterpret_cast<WlPass*>(wp);
    if (p->failed) return;
    wlr_box box{};
    wlr_render_rect_options_get_box(o, p->target->buffer, &box);
    RectDraw d;
    d.box = to_box(box);
    d.color = Color{o->color.r, o->color.g, o->color.b, o->color.a};
    d.blend = to_blend(o->blend_mode);
    d.clip = pass_clip(p, o->clip, d.box);
    if (auto r = p->frame->draw_rect(d); !r) {
        log_error("add_rect: %s", error_text(r.error()));
        if (r.error().code == Errc::device_lost) p->failed = true;
    }
}

// Submits the frame, then copies the drawn box back into the buffer's memory.
bool pass_submit(wlr_render_pass* wp) {
    auto* p = reinterpret_cast<WlPass*>(wp);
    WlRenderer* r = p->renderer;
    RenderBuffer* rb = p->target;
    wlr_buffer* buffer = rb->buffer;
    bool ok = !p->failed;
    if (ok) {
        if (auto s = p->frame->submit(); !s) {
            log_error("submitting a render pass: %s", error_text(s.error()));
            ok = false;
        }
    }
    p->frame.reset();
    if (ok && !p->dirty.empty()) {
        Box d = p->dirty;
        bool accessed = with_data(buffer, WLR_BUFFER_DATA_PTR_ACCESS_WRITE, [&](void* data, uint32_t format, uint32_t stride) {
            uint8_t* at = static_cast<uint8_t*>(data) + size_t(d.y) * stride +
                          size_t(d.x) * rb->texture->format().bytes_per_pixel;
            if (auto rp = rb->texture->read_pixels(format, d, stride, at); !rp) {
                log_error("copying the rendered frame into buffer %p: %s", (void*)buffer, error_text(rp.error()));
                ok = false;
            }
        });
        if (!accessed) ok = false;
    }
    delete p;
    wlr_buffer_unlock(buffer);
    if (!ok) check_lost(r);
    return ok;
}

const wlr_render_pass_impl kPassImpl = {
    .submit = pass_submit,
    .add_texture = pass_add_texture,
    .add_rect = pass_add_rect,
};

std::string backend_drm_node(wlr_backend* backend) {
    if (!backend) return {};
    int fd = wlr_backend_get_drm_fd(backend);
    if (fd < 0) return {};
    char* name = drmGetRenderDeviceNameFromFd(fd);
    if (!name) name = drmGetDeviceNameFromFd2(fd);
    std::string out = name ? name : "";
    free(name);
    return out;
}

}  // namespace

Result<wlr_renderer*> create_renderer(wlr_backend* backend, RendererOptions options) {
    if (options.adapter.drm_node.empty()) options.adapter.drm_node = backend_drm_node(backend);
    auto* r = new WlRenderer();
    BridgeOptions bo;
    bo.adapter = options.adapter;
    bo.on_device_lost = [flag = r->lost](WGPUDeviceLostReason reason, std::string_view m) {
        if (reason == WGPUDeviceLostReason_Destroyed) return;  // our own wlr_renderer_destroy
        flag->store(true);
        wlr_log(WLR_ERROR, "wlgpu: device lost: %.*s", int(m.size()), m.data());
    };
    bo.on_uncaptured_error = [](WGPUErrorType, std::string_view m) {
        wlr_log(WLR_ERROR, "wlgpu: uncaptured WebGPU error: %.*s", int(m.size()), m.data());
    };
    auto bridge = Bridge::create(std::move(bo));
    if (!bridge) {
        delete r;
        return std::unexpected(bridge.error().context("creating the wlgpu renderer"));
    }
    r->bridge = std::move(*bridge);
    auto renderer = Renderer::create(*r->bridge);
    if (!renderer) {
        delete r;
        return std::unexpected(renderer.error().context("creating the wlgpu renderer"));
    }
    r->renderer = std::move(*renderer);
    r->summary = r->bridge->summary();
    wl_list_init(&r->buffers);
    build_format_sets(r);
    wlr_renderer_init(&r->base, &kRendererImpl, WLR_BUFFER_CAP_DATA_PTR);
    r->base.features.output_color_transform = false;
    r->base.features.timeline = false;
#if WLGPU_WLR_020
    r->base.features.input_color_transform = false;
#endif
    log_info("renderer on %s", r->summary.c_str());
    return &r->base;
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
    }
    auto r = wlgpu::wlr::create_renderer(backend, std::move(o));
    if (!r) {
        wlr_log(WLR_ERROR, "wlgpu: %s", wlgpu::wlr::error_text(r.error()));
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
    return renderer && renderer->WLR_PRIVATE.impl == &wlgpu::wlr::kRendererImpl;
}

const char* wlgpu_renderer_get_summary(struct wlr_renderer* renderer) {
    return wlr_renderer_is_wlgpu(renderer) ? wlgpu::wlr::get_renderer(renderer)->summary.c_str() : "";
}

}  // extern "C"
