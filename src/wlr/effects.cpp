// wlgpu/wlr_effects.h: the Frame's effects (docs/effects.md) on a wlgpu wlr_render_pass. Each
// call translates its C options into one wlgpu::Frame call, as pass.cpp does for wlroots' own.
#include "internal.hpp"

#include <cstring>

#include "wlgpu/wlr_effects.h"

struct wlgpu_effect {
    wlgpu::wlr::detail::WlRenderer* renderer = nullptr;
    std::shared_ptr<wlgpu::Effect> effect;
};

struct wlgpu_blur_cache {
    wlgpu::BlurCache cache;
};

namespace wlgpu::wlr::detail {
namespace {

// The pass when it is a live wlgpu pass and options is set; nullptr (logged) otherwise.
WlPass* effect_pass(wlr_render_pass* wp, const void* options, const char* what) {
    if (!wp || wp->impl != &kPassImpl) {
        log_error("%s: the render pass is not a wlgpu render pass", what);
        return nullptr;
    }
    if (!options) {
        log_error("%s: no options (or no effect)", what);
        return nullptr;
    }
    WlPass* p = get_pass(wp);
    return p->failed ? nullptr : p;
}

CornerRadii to_corners(const wlgpu_corner_radii& c) { return {c.top_left, c.top_right, c.bottom_right, c.bottom_left}; }
Color to_color(const wlr_render_color& c) { return {c.r, c.g, c.b, c.a}; }
RoundedBox to_rounded(const wlgpu_rounded_box& b) { return {to_box(b.box), to_corners(b.corners)}; }

EffectParams to_params(const wlgpu_effect_params* params) {
    EffectParams e;
    if (params) {
        std::memcpy(e.user, params->user, sizeof(e.user));
        e.time = params->time;
    }
    return e;
}

std::optional<Fill> to_fill(const wlgpu_fill& f) {
    switch (f.kind) {
        case WLGPU_FILL_SOLID: return Fill::solid(to_color(f.from));
        case WLGPU_FILL_LINEAR:
            return Fill::linear(to_color(f.from), to_color(f.to), f.start_x, f.start_y, f.end_x, f.end_y);
        case WLGPU_FILL_CONIC: return Fill::conic(to_color(f.from), to_color(f.to), f.start_x, f.start_y, f.angle);
    }
    return std::nullopt;
}

BlurDraw to_blur(const wlgpu_backdrop_blur_options& o) {
    BlurDraw d;
    d.box = to_box(o.box);
    d.corners = to_corners(o.corners);
    d.passes = o.passes;
    d.radius = o.radius;
    d.noise = o.noise;
    d.brightness = o.brightness;
    d.contrast = o.contrast;
    d.saturation = o.saturation;
    return d;
}

}  // namespace

const Effect* effect_of(const wlgpu_effect* e, const WlRenderer* r) {
    return e && e->renderer == r ? e->effect.get() : nullptr;
}

}  // namespace wlgpu::wlr::detail

using namespace wlgpu;
using namespace wlgpu::wlr::detail;

extern "C" {

void wlgpu_backdrop_blur_options_init(struct wlgpu_backdrop_blur_options* options) {
    *options = wlgpu_backdrop_blur_options{};
    const BlurDraw defaults;
    options->passes = defaults.passes;
    options->radius = defaults.radius;
    options->noise = defaults.noise;
    options->brightness = defaults.brightness;
    options->contrast = defaults.contrast;
    options->saturation = defaults.saturation;
}

bool wlgpu_render_pass_add_rounded_texture(struct wlr_render_pass* wp,
                                           const struct wlgpu_rounded_texture_options* o) {
    const char* what = "add_rounded_texture";
    WlPass* p = effect_pass(wp, o, what);
    if (!p) return false;
    auto d = pass_texture_draw(p, &o->base, what);
    return d && pass_check(p, what, p->frame->draw_rounded_texture(*d, to_corners(o->corners)));
}

bool wlgpu_render_pass_add_shape(struct wlr_render_pass* wp, const struct wlgpu_shape_options* o) {
    const char* what = "add_shape";
    WlPass* p = effect_pass(wp, o, what);
    if (!p) return false;
    auto fill = to_fill(o->fill);
    if (!fill) {
        log_error("%s: unknown fill kind %d", what, int(o->fill.kind));
        return false;
    }
    ShapeDraw d{to_box(o->box), to_corners(o->corners), *fill};
    d.hole = to_rounded(o->hole);
    d.clip = pass_clip(p, o->clip, d.box);
    return pass_check(p, what, p->frame->draw_shape(d));
}

bool wlgpu_render_pass_add_shadow(struct wlr_render_pass* wp, const struct wlgpu_shadow_options* o) {
    const char* what = "add_shadow";
    WlPass* p = effect_pass(wp, o, what);
    if (!p) return false;
    ShadowDraw d{to_box(o->box), to_corners(o->corners), to_color(o->color), o->sigma};
    d.hole = to_rounded(o->hole);
    d.clip = pass_clip(p, o->clip, shadow_extent(d));
    return pass_check(p, what, p->frame->draw_shadow(d));
}

bool wlgpu_render_pass_add_backdrop_blur(struct wlr_render_pass* wp, const struct wlgpu_backdrop_blur_options* o) {
    const char* what = "add_backdrop_blur";
    WlPass* p = effect_pass(wp, o, what);
    if (!p) return false;
    BlurDraw d = to_blur(*o);
    d.clip = pass_clip(p, o->clip, d.box);
    return pass_check(p, what, p->frame->draw_backdrop_blur(d));
}

bool wlgpu_render_pass_add_cached_backdrop_blur(struct wlr_render_pass* wp, const struct wlgpu_backdrop_blur_options* o,
                                                struct wlgpu_blur_cache* cache) {
    const char* what = "add_cached_backdrop_blur";
    WlPass* p = effect_pass(wp, cache ? o : nullptr, what);
    if (!p) return false;
    BlurDraw d = to_blur(*o);
    d.clip = pass_clip(p, o->clip, d.box);
    return pass_check(p, what, p->frame->draw_backdrop_blur(d, cache->cache));
}

struct wlgpu_blur_cache* wlgpu_blur_cache_create(void) { return new wlgpu_blur_cache; }
void wlgpu_blur_cache_invalidate(struct wlgpu_blur_cache* cache) {
    if (cache) cache->cache.invalidate();
}
void wlgpu_blur_cache_destroy(struct wlgpu_blur_cache* cache) { delete cache; }

bool wlgpu_render_pass_add_shadowed_texture(struct wlr_render_pass* wp, const struct wlgpu_rounded_texture_options* w,
                                            const struct wlgpu_shadow_options* s) {
    const char* what = "add_shadowed_texture";
    WlPass* p = effect_pass(wp, s ? w : nullptr, what);
    if (!p) return false;
    if (s->clip) {
        log_error("%s: the shadow's clip must be NULL (the window's clip applies to both)", what);
        return false;
    }
    auto d = pass_texture_draw(p, &w->base, what);
    if (!d) return false;
    ShadowDraw sd{to_box(s->box), to_corners(s->corners), to_color(s->color), s->sigma};
    sd.hole = to_rounded(s->hole);
    // The draw covers the window and the shadow's quad: both are what the pass drew.
    d->clip = pass_clip(p, w->base.clip, shadow_extent(sd));
    return pass_check(p, what, p->frame->draw_rounded_texture(*d, to_corners(w->corners), sd));
}

bool wlgpu_render_pass_add_texture_effect(struct wlr_render_pass* wp, const struct wlgpu_texture_effect_options* o) {
    const char* what = "add_texture_effect";
    WlPass* p = effect_pass(wp, o, what);
    if (!p) return false;
    if (!o->effect || o->effect->renderer != p->renderer) {
        log_error("%s: %s", what, o->effect ? "the effect belongs to another renderer" : "no effect");
        return false;
    }
    auto d = pass_texture_draw(p, &o->base, what);
    return d && pass_check(p, what,
                           p->frame->draw_texture_effect(*d, *o->effect->effect, to_params(&o->params),
                                                         to_corners(o->corners)));
}

bool wlgpu_render_pass_apply_effect(struct wlr_render_pass* wp, const struct wlgpu_effect* effect,
                                    const struct wlgpu_effect_params* params, const pixman_region32_t* clip) {
    const char* what = "apply_effect";
    WlPass* p = effect_pass(wp, effect, what);
    if (!p) return false;
    if (effect->renderer != p->renderer) {
        log_error("%s: the effect belongs to another renderer", what);
        return false;
    }
    const Box whole{0, 0, int32_t(p->target->texture->width()), int32_t(p->target->texture->height())};
    return pass_check(p, what, p->frame->apply_effect(*effect->effect, to_params(params), pass_clip(p, clip, whole)));
}

struct wlgpu_effect* wlgpu_effect_create(struct wlr_renderer* renderer, const char* wgsl, char** error_message) {
    auto fail = [&](const std::string& why) -> wlgpu_effect* {
        log_error("creating an effect: %s", why.c_str());
        if (error_message) *error_message = strdup(why.c_str());
        return nullptr;
    };
    if (error_message) *error_message = nullptr;
    if (!wlr_renderer_is_wlgpu(renderer)) return fail("the renderer is not a wlgpu renderer");
    if (!wgsl) return fail("no WGSL source");
    WlRenderer* r = get_renderer(renderer);
    auto e = r->renderer->create_effect(wgsl, "wlgpu_effect_create");
    if (!e) return fail(e.error().message);
    return new wlgpu_effect{r, std::move(*e)};
}

void wlgpu_effect_destroy(struct wlgpu_effect* effect) { delete effect; }

}  // extern "C"
