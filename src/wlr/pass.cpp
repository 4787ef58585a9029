// wlr_render_pass: begin_buffer_pass, add_texture (every field of wlr_render_texture_options),
// add_rect, submit. Each call becomes one wlgpu::Frame call.
#include "internal.hpp"

#include <cmath>

namespace wlgpu::wlr::detail {

Clip pass_clip(WlPass* p, const pixman_region32_t* clip, Box dst) {
    Box target{0, 0, int32_t(p->target->texture->width()), int32_t(p->target->texture->height())};
    Box touched = intersect(dst, target);
    if (touched.empty()) return std::nullopt;
    if (!clip) {
        p->dirty = unite(p->dirty, touched);
        p->drawn.push_back(touched);
        return std::nullopt;
    }
    p->clips.push_back(region_boxes(clip));
    for (const Box& c : p->clips.back()) {
        Box b = intersect(touched, c);
        if (b.empty()) continue;
        p->dirty = unite(p->dirty, b);
        p->drawn.push_back(b);
    }
    return std::span<const Box>(p->clips.back());
}

bool pass_check(WlPass* p, const char* what, const Result<void>& r) {
    if (r) return true;
    log_error("%s: %s", what, error_text(r.error()));
    if (r.error().code == Errc::device_lost) p->failed = true;
    return false;
}

namespace {

Blend to_blend(wlr_render_blend_mode m) { return m == WLR_RENDER_BLEND_MODE_NONE ? Blend::none : Blend::premultiplied; }

#if WLGPU_WLR_020
// 0.20's colour fields. wlgpu renders in the encoded (sRGB) domain without colour
// management: sRGB and gamma 2.2 transfer functions, sRGB/BT.709 primaries (the same),
// identity/BT.709 YCbCr encodings (RGB textures ignore it), full range and a luminance
// multiplier of 1 are exact. Anything else (PQ, linear, BT.1886, BT.2020 primaries,
// limited range, other multipliers) is refused: features.input_color_transform is false,
// so wlr_scene does not send them; if a caller does, the texture is drawn as sRGB
// (approximation) and it is logged once.
bool colour_supported(const wlr_render_texture_options* o, bool yuv) {
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
    if (yuv) {
        // YCbCr textures: the encoding and range select the conversion (yuv_color below).
        if (o->color_encoding != WLR_COLOR_ENCODING_NONE && o->color_encoding != WLR_COLOR_ENCODING_BT601 &&
            o->color_encoding != WLR_COLOR_ENCODING_BT709 && o->color_encoding != WLR_COLOR_ENCODING_BT2020)
            return false;
    } else {
        if (o->color_encoding != WLR_COLOR_ENCODING_NONE && o->color_encoding != WLR_COLOR_ENCODING_IDENTITY &&
            o->color_encoding != WLR_COLOR_ENCODING_BT709)
            return false;
        if (o->color_range == WLR_COLOR_RANGE_LIMITED) return false;
    }
    if (o->luminance_multiplier && std::abs(*o->luminance_multiplier - 1.0f) > 1e-6f) return false;
    return true;
}

// The YCbCr -> RGB conversion wlroots asks for; NONE means its default, BT.601 limited.
YuvColor yuv_color(const wlr_render_texture_options* o) {
    YuvColor c;
    if (o->color_encoding == WLR_COLOR_ENCODING_BT709) c.matrix = YuvMatrix::bt709;
    else if (o->color_encoding == WLR_COLOR_ENCODING_BT2020) c.matrix = YuvMatrix::bt2020;
    c.range = o->color_range == WLR_COLOR_RANGE_FULL ? YuvRange::full : YuvRange::limited;
    return c;
}
#endif

}  // namespace

std::optional<TextureDraw> pass_texture_draw(WlPass* p, const wlr_render_texture_options* o, const char* what) {
    WlTexture* t = get_texture(o->texture);
    if (!t) {
        log_error("%s: the texture is not a wlgpu texture", what);
        return std::nullopt;
    }
#if WLGPU_WLR_020
    const bool yuv = is_yuv(*t->texture);
    if (!colour_supported(o, yuv) && !p->renderer->warned_color) {
        log_error("add_texture: unsupported colour description (transfer %d, encoding %d, range %d); "
                  "drawn as sRGB",
                  int(o->transfer_function), int(o->color_encoding), int(o->color_range));
        p->renderer->warned_color = true;
    }
    if (yuv) {
        if (auto c = set_yuv_color(*t->texture, yuv_color(o)); !c)
            log_error("add_texture: setting the YCbCr encoding: %s", error_text(c.error()));
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
    if (o->wait_timeline) sync_wait_for_draw(p->renderer, t, o->wait_timeline, o->wait_point);
    return d;
}

namespace {

void pass_add_texture(wlr_render_pass* wp, const wlr_render_texture_options* o) {
    WlPass* p = get_pass(wp);
    if (p->failed || scene_effect_add_texture(p, o)) return;
    if (auto d = pass_texture_draw(p, o, "add_texture")) pass_check(p, "add_texture", p->frame->draw_texture(*d));
}

void pass_add_rect(wlr_render_pass* wp, const wlr_render_rect_options* o) {
    WlPass* p = get_pass(wp);
    if (p->failed) return;
    wlr_box box{};
    wlr_render_rect_options_get_box(o, p->target->buffer, &box);
    RectDraw d;
    d.box = to_box(box);
    d.color = Color{o->color.r, o->color.g, o->color.b, o->color.a};
    d.blend = to_blend(o->blend_mode);
    d.clip = pass_clip(p, o->clip, d.box);
    pass_check(p, "add_rect", p->frame->draw_rect(d));
}

// Submits the frame; the target's buffer holds the drawn boxes when it returns.
bool pass_submit(wlr_render_pass* wp) {
    WlPass* p = get_pass(wp);
    WlRenderer* r = p->renderer;
    RenderBuffer* rb = p->target;
    wlr_buffer* buffer = rb->buffer;
    bool ok = !p->failed;
    SyncPoint done;  // the frame's completion; work_done when it was not submitted
    if (ok) scene_effect_before_submit(p);
    if (ok) {
        if (auto s = render_buffer_submit(rb, *p->frame, p->drawn); !s) {
            log_error("submitting a render pass into buffer %p: %s", (void*)buffer, error_text(s.error()));
            ok = false;
        } else {
            done = std::move(*s);
        }
    }
    p->frame.reset();
    const bool read_back = !p->dirty.empty() && !rb->texture->shared_access;
    if (p->signal_timeline) sync_pass_end(p, std::move(done), read_back && ok);
    delete p;
    wlr_buffer_unlock(buffer);
    if (!ok) check_lost(r);
    return ok;
}

}  // namespace

const wlr_render_pass_impl kPassImpl = {
    .submit = pass_submit,
    .add_texture = pass_add_texture,
    .add_rect = pass_add_rect,
};

wlr_render_pass* begin_buffer_pass(wlr_renderer* wr, wlr_buffer* buffer, const wlr_buffer_pass_options* options) {
    WlRenderer* r = get_renderer(wr);
    if (check_lost(r)) return nullptr;
    RenderBuffer* rb = get_render_buffer(r, buffer);
    if (!rb) return nullptr;
    RenderTimer* timer = nullptr;
    if (options && options->timer)
        if (WlTimer* t = get_timer(options->timer)) timer = t->timer.get();
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
    sync_pass_begin(p, options);
    wlr_buffer_lock(buffer);
    return &p->base;
}

}  // namespace wlgpu::wlr::detail
