// wlgpu/wlr_scene_effects.h: the effects on a wlr_scene through the public wlroots API
// (docs/effects.md, "wlr_scene"). Three mechanisms, each riding on what wlr_scene already does:
//   * effect nodes (shadow, blur) are wlr_scene_buffer nodes of a 1x1 marker wlr_buffer sized
//     with wlr_scene_buffer_set_dest_size: wlr_scene places, clips, culls and damages them as
//     any buffer; texture_from_buffer turns the marker into a marker texture, and the pass
//     draws the effect where wlroots asks it to draw that texture (its dst_box and clip);
//   * rounded corners: wlr_scene passes `.alpha = &scene_buffer->opacity` (0.19 and 0.20), so
//     the pass finds the node of a texture draw by that address (nodes registered here, with a
//     wlr_addon on the node that ends the registration when the node goes);
//   * the output effect and the blur's damage: wlgpu_scene_output_build_state wraps
//     wlr_scene_output_build_state; the pass it begins applies the effect before its submit.
#include "internal.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

extern "C" {
#define static
#include <wlr/types/wlr_damage_ring.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/transform.h>
#undef static
}

#include "wlgpu/wlr_scene_effects.h"

namespace wlgpu::wlr::detail {
namespace {

// Drawn as opacity 1: an opacity of exactly 1 lets wlr_scene treat an opaque-format buffer as
// opaque and cull what lies under its cut corners.
constexpr float kAlmostOne = 0.99999994f;  // nextafter(1.0f, 0.0f)

enum class Kind { shadow, blur };

// The marker buffer of one effect node and the effect's options (logical pixels).
struct EffectBuffer {
    wlr_buffer base{};
    Kind kind = Kind::shadow;
    wlgpu_scene_shadow_options shadow{};
    wlgpu_scene_blur_options blur{};
    int reach = 0;  // logical pixels from the node's edge to the effect's box
    bool live = true;  // false once the wlgpu_scene_effects is gone: draws nothing
};

void effect_buffer_destroy(wlr_buffer* b) { delete reinterpret_cast<EffectBuffer*>(b); }
const wlr_buffer_impl kEffectBufferImpl = [] {
    wlr_buffer_impl impl{};  // no memory, no DMA-BUF: only texture_from_buffer (ours) takes it
    impl.destroy = effect_buffer_destroy;
    return impl;
}();

EffectBuffer* effect_buffer(wlr_buffer* b) {
    return b && b->impl == &kEffectBufferImpl ? reinterpret_cast<EffectBuffer*>(b) : nullptr;
}

// The marker texture: holds a lock on its buffer.
struct EffectTexture {
    wlr_texture base{};
    EffectBuffer* buffer = nullptr;
};

void effect_texture_destroy(wlr_texture* t) {
    auto* et = reinterpret_cast<EffectTexture*>(t);
    wlr_buffer_unlock(&et->buffer->base);
    delete et;
}
const wlr_texture_impl kEffectTextureImpl = [] {
    wlr_texture_impl impl{};  // nothing to read or update: the pass draws the effect instead
    impl.destroy = effect_texture_destroy;
    return impl;
}();

// How far (output pixels) a blur reads around a pixel: each down pass i reads its source level
// (2^i pixels a texel) radius/2 texels off, bilinearly (one more texel); each up pass radius
// texels off, plus one; summed over the levels.
int blur_reach(uint32_t passes, float radius) {
    const double per_level = 1.5 * std::max(radius, 0.0f) + 2.0;
    return int(std::ceil(per_level * double((1u << passes) - 1)));
}

}  // namespace
}  // namespace wlgpu::wlr::detail

using namespace wlgpu;
using namespace wlgpu::wlr::detail;

struct RoundedNode;

struct wlgpu_scene_effect {
    wlgpu_scene_effects* fx = nullptr;
    wlr_scene_buffer* node = nullptr;
    EffectBuffer* buffer = nullptr;
    wl_listener destroy{};
    wl_list link{};  // wlgpu_scene_effects::effects
};

struct OutputEffect {
    wlgpu_scene_effects* fx = nullptr;
    wlr_scene_output* output = nullptr;
    const wlgpu_effect* effect = nullptr;
    wlgpu_effect_params params{};
    wl_listener destroy{};  // the scene output's: the entry goes with it
};

struct wlgpu_scene_effects {
    WlRenderer* renderer = nullptr;
    wl_list effects{};  // wlgpu_scene_effect::link
    std::unordered_map<const float*, RoundedNode*> rounded;  // by &scene_buffer->opacity
    std::unordered_map<wlr_scene_output*, std::unique_ptr<OutputEffect>> outputs;
    const OutputEffect* building = nullptr;  // inside wlgpu_scene_output_build_state
};

struct RoundedNode {
    wlr_addon addon{};
    wlgpu_scene_effects* fx = nullptr;
    wlr_scene_buffer* node = nullptr;
    wlgpu_corner_radii radii{};  // logical pixels
};

namespace {

void rounded_addon_destroy(wlr_addon* addon) {
    RoundedNode* n = wl_container_of(addon, n, addon);
    n->fx->rounded.erase(&n->node->opacity);
    wlr_addon_finish(&n->addon);
    delete n;
}
const wlr_addon_interface kRoundedAddon = {.name = "wlgpu_scene_corner_radius", .destroy = rounded_addon_destroy};

// A node's size in the scene (logical pixels), as wlr_scene sizes it.
void node_size(const wlr_scene_buffer* b, int* w, int* h) {
    *w = b->dst_width, *h = b->dst_height;
    if ((*w == 0 || *h == 0) && b->buffer) {
        const bool swap = b->transform & WL_OUTPUT_TRANSFORM_90;
        *w = swap ? b->buffer->height : b->buffer->width;
        *h = swap ? b->buffer->width : b->buffer->height;
    }
}

// Output pixels per logical pixel for a draw of a node of logical size w x h into dst.
float draw_scale(Box dst, int w, int h) {
    if (w <= 0 || h <= 0) return 1;
    return float(std::sqrt(double(dst.width) * dst.height / (double(w) * h)));
}

// Per-corner radii (logical pixels) scaled by k; all 0: radius on every corner.
CornerRadii corners_of(const wlgpu_corner_radii& c, float radius, float k) {
    if (c.top_left == 0 && c.top_right == 0 && c.bottom_right == 0 && c.bottom_left == 0)
        return CornerRadii::all(radius * k);
    return {c.top_left * k, c.top_right * k, c.bottom_right * k, c.bottom_left * k};
}

bool valid(const wlgpu_corner_radii& c) {
    for (float r : {c.top_left, c.top_right, c.bottom_right, c.bottom_left})
        if (!(r >= 0) || !std::isfinite(r)) return false;
    return true;
}

Box inset(Box b, float by) {
    const int i = int(std::lround(by));
    return {b.x + i, b.y + i, b.width - 2 * i, b.height - 2 * i};
}

void draw_effect(WlPass* p, EffectBuffer* b, const wlr_render_texture_options* o) {
    if (!b->live) return;
    wlr_box wdst{};
    wlr_render_texture_options_get_dst_box(o, &wdst);
    const Box dst = to_box(wdst);
    const float alpha = wlr_render_texture_options_get_alpha(o);
    if (b->kind == Kind::shadow) {
        const auto& s = b->shadow;
        const int lw = s.box.width + 2 * b->reach, lh = s.box.height + 2 * b->reach;
        const float k = draw_scale(dst, lw, lh);
        const auto& c = s.color;
        ShadowDraw d{inset(dst, b->reach * k), corners_of(s.corners, s.corner_radius, k),
                     Color{c.r * alpha, c.g * alpha, c.b * alpha, c.a * alpha}, s.sigma * k};
        d.hole = {d.box, d.corners};
        d.hole.box.x -= int(std::lround(s.offset_x * k));
        d.hole.box.y -= int(std::lround(s.offset_y * k));
        // The hole (the window) is left out by draw_shadow's geometry (a frame around it), in
        // one draw: no clip region less the window's inside, which took up to 8 scissored draws.
        d.clip = pass_clip(p, o->clip, dst);
        pass_check(p, "scene shadow", p->frame->draw_shadow(d));
        return;
    }
    const auto& s = b->blur;
    const float k = draw_scale(dst, s.box.width + 2 * b->reach, s.box.height + 2 * b->reach);
    BlurDraw d;
    d.box = inset(dst, b->reach * k);
    d.corners = corners_of(s.corners, s.corner_radius, k);
    d.passes = s.blur.passes;
    d.radius = s.blur.radius;
    d.noise = s.blur.noise;
    d.brightness = s.blur.brightness;
    d.contrast = s.blur.contrast;
    d.saturation = s.blur.saturation;
    d.clip = pass_clip(p, o->clip, d.box);
    pass_check(p, "scene blur", p->frame->draw_backdrop_blur(d));
}

bool draw_rounded(WlPass* p, RoundedNode* n, const wlr_render_texture_options* o) {
    auto d = pass_texture_draw(p, o, "add_texture (rounded)");
    if (!d) return true;
    if (d->alpha >= kAlmostOne) d->alpha = 1;
    int w = 0, h = 0;
    node_size(n->node, &w, &h);
    const float k = draw_scale(d->dst, w, h);
    pass_check(p, "add_texture (rounded)", p->frame->draw_rounded_texture(*d, corners_of(n->radii, 0, k)));
    return true;
}

void effect_node_destroy(wl_listener* l, void*) {
    wlgpu_scene_effect* e = wl_container_of(l, e, destroy);
    wl_list_remove(&e->destroy.link);
    wl_list_remove(&e->link);
    wlr_buffer_drop(&e->buffer->base);
    delete e;
}

bool valid(const wlgpu_scene_shadow_options* o) {
    return o && o->box.width > 0 && o->box.height > 0 && o->sigma >= 0 && std::isfinite(o->sigma) &&
           o->sigma <= 1000 && o->corner_radius >= 0 && valid(o->corners);
}

bool valid(const wlgpu_scene_blur_options* o) {
    return o && o->box.width > 0 && o->box.height > 0 && o->blur.passes >= 1 && o->blur.passes <= 8 &&
           o->corner_radius >= 0 && std::isfinite(o->blur.radius) && valid(o->corners);
}

// Places the node over the effect's box grown by its reach (and the shadow's offset).
void place(wlgpu_scene_effect* e) {
    EffectBuffer* b = e->buffer;
    wlr_box box = b->kind == Kind::shadow ? b->shadow.box : b->blur.box;
    if (b->kind == Kind::shadow) {
        box.x += b->shadow.offset_x;
        box.y += b->shadow.offset_y;
        b->reach = int(std::ceil(3 * b->shadow.sigma));
    } else {
        b->reach = blur_reach(b->blur.blur.passes, b->blur.blur.radius);
    }
    wlr_scene_node_set_position(&e->node->node, box.x - b->reach, box.y - b->reach);
    wlr_scene_buffer_set_dest_size(e->node, box.width + 2 * b->reach, box.height + 2 * b->reach);
}

// Damages the whole node (its visible part on every output), through wlroots' own path.
void damage_node(wlgpu_scene_effect* e) {
    pixman_region32_t all;
    pixman_region32_init_rect(&all, 0, 0, 1, 1);
    wlr_scene_buffer_set_buffer_with_damage(e->node, &e->buffer->base, &all);
    pixman_region32_fini(&all);
}

// A new effect node of kind under parent (nullptr, logged as what, on bad arguments).
template <typename Options>
wlgpu_scene_effect* effect_create(wlgpu_scene_effects* fx, wlr_scene_tree* parent, Kind kind,
                                  Options EffectBuffer::*member, const Options* options, const char* what) {
    if (!fx || !parent || !valid(options)) {
        log_error("%s: bad arguments", what);
        return nullptr;
    }
    auto* b = new EffectBuffer{};
    b->kind = kind;
    b->*member = *options;
    wlr_buffer_init(&b->base, &kEffectBufferImpl, 1, 1);
    wlr_scene_buffer* node = wlr_scene_buffer_create(parent, &b->base);
    if (!node) {
        wlr_buffer_drop(&b->base);
        return nullptr;
    }
    auto* e = new wlgpu_scene_effect{};
    e->fx = fx;
    e->node = node;
    e->buffer = b;
    e->destroy.notify = effect_node_destroy;
    wl_signal_add(&node->node.events.destroy, &e->destroy);
    wl_list_insert(&fx->effects, &e->link);
    place(e);
    return e;
}

// New options of an effect of kind (EffectBuffer::*member): the old and new areas damaged.
template <typename Options>
bool effect_update(wlgpu_scene_effect* e, Kind kind, Options EffectBuffer::*member, const Options* options,
                   const char* what) {
    if (!e || e->buffer->kind != kind || !valid(options)) {
        log_error("%s: bad arguments", what);
        return false;
    }
    Options& current = e->buffer->*member;
    if (std::memcmp(&current, options, sizeof(*options)) == 0) return true;
    damage_node(e);
    current = *options;
    place(e);
    damage_node(e);
    return true;
}

// The box (output buffer pixels, as the damage ring holds them) of a blur node on an output.
bool blur_output_box(wlgpu_scene_effect* e, wlr_scene_output* so, wlr_box* out) {
    int lx = 0, ly = 0;
    if (!e->node->node.enabled || !wlr_scene_node_coords(&e->node->node, &lx, &ly)) return false;
    int w = 0, h = 0;
    node_size(e->node, &w, &h);
    wlr_output* o = so->output;
    const double s = o->scale;
    const double x0 = std::floor((lx - so->x) * s), y0 = std::floor((ly - so->y) * s);
    const double x1 = std::ceil((lx - so->x + w) * s), y1 = std::ceil((ly - so->y + h) * s);
    wlr_box b{int(x0), int(y0), int(x1 - x0), int(y1 - y0)};
    int tw = 0, th = 0;
    wlr_output_transformed_resolution(o, &tw, &th);
    wlr_box_transform(out, &b, wlr_output_transform_invert(o->transform), tw, th);
    return true;
}

// Damages every blur node whose area the frame's damage touches (to a fixed point: a damaged
// blur can touch another).
void extend_blur_damage(wlgpu_scene_effects* fx, wlr_scene_output* so) {
    std::unordered_map<wlgpu_scene_effect*, bool> done;
    for (bool changed = true; changed;) {
        changed = false;
        wlgpu_scene_effect* e;
        wl_list_for_each(e, &fx->effects, link) {
            if (e->buffer->kind != Kind::blur || done[e]) continue;
            wlr_box b{};
            if (!blur_output_box(e, so, &b)) continue;
            pixman_box32_t pb{b.x, b.y, b.x + b.width, b.y + b.height};
            if (pixman_region32_contains_rectangle(&so->damage_ring.current, &pb) == PIXMAN_REGION_OUT) continue;
            damage_node(e);
            done[e] = changed = true;
        }
    }
}

void output_effect_remove(OutputEffect* oe) {
    wl_list_remove(&oe->destroy.link);
    oe->fx->outputs.erase(oe->output);  // frees oe
}

void output_destroyed(wl_listener* l, void*) {
    OutputEffect* oe = wl_container_of(l, oe, destroy);
    output_effect_remove(oe);
}

// wlr_scene_surface sets its buffer's opacity on every commit (1, or the alpha-modifier-v1
// multiplier): a rounded node back at 1 goes just below it again before the frame.
void keep_corners_unculled(wlgpu_scene_effects* fx) {
    for (auto& [alpha, n] : fx->rounded)
        if (n->node->opacity >= 1) wlr_scene_buffer_set_opacity(n->node, kAlmostOne);
}

}  // namespace

namespace wlgpu::wlr::detail {

wlr_texture* scene_effect_texture(WlRenderer* r, wlr_buffer* buffer) {
    EffectBuffer* b = effect_buffer(buffer);
    if (!b) return nullptr;
    auto* t = new EffectTexture{};
    wlr_texture_init(&t->base, &r->base, &kEffectTextureImpl, 1, 1);
    t->buffer = b;
    wlr_buffer_lock(buffer);
    return &t->base;
}

bool scene_effect_add_texture(WlPass* p, const wlr_render_texture_options* o) {
    if (o->texture && o->texture->impl == &kEffectTextureImpl) {
        draw_effect(p, reinterpret_cast<EffectTexture*>(o->texture)->buffer, o);
        return true;
    }
    wlgpu_scene_effects* fx = p->renderer->scene_effects;
    if (!fx || !o->alpha) return false;
    auto it = fx->rounded.find(o->alpha);
    return it != fx->rounded.end() && draw_rounded(p, it->second, o);
}

void scene_effect_before_submit(WlPass* p) {
    wlgpu_scene_effects* fx = p->renderer->scene_effects;
    if (!fx || !fx->building || !fx->building->effect || p->drawn.empty() || p->failed) return;
    // The frame's damage: the union of what the scene drew (wlr_scene clips every draw to it,
    // and its background rect fills the rest).
    pixman_region32_t drawn;
    pixman_region32_init(&drawn);
    for (const Box& b : p->drawn) pixman_region32_union_rect(&drawn, &drawn, b.x, b.y, b.width, b.height);
    p->clips.push_back(region_boxes(&drawn));
    pixman_region32_fini(&drawn);
    const Effect* effect = effect_of(fx->building->effect, p->renderer);
    if (!effect) return;
    const wlgpu_effect_params& ps = fx->building->params;
    EffectParams params;
    std::copy(std::begin(ps.user), std::end(ps.user), std::begin(params.user));
    params.time = ps.time;
    pass_check(p, "scene output effect",
               p->frame->apply_effect(*effect, params,
                                      std::span<const Box>(p->clips.back())));
}

}  // namespace wlgpu::wlr::detail

extern "C" {

struct wlgpu_scene_effects* wlgpu_scene_effects_create(struct wlr_renderer* renderer) {
    if (!renderer || !wlr_renderer_is_wlgpu(renderer)) {
        log_error("wlgpu_scene_effects_create: not a wlgpu renderer");
        return nullptr;
    }
    WlRenderer* r = get_renderer(renderer);
    if (r->scene_effects) {
        log_error("wlgpu_scene_effects_create: the renderer has one already");
        return nullptr;
    }
    auto* fx = new wlgpu_scene_effects{};
    fx->renderer = r;
    wl_list_init(&fx->effects);
    r->scene_effects = fx;
    return fx;
}

void wlgpu_scene_effects_destroy(struct wlgpu_scene_effects* fx) {
    if (!fx) return;
    while (!fx->rounded.empty()) rounded_addon_destroy(&fx->rounded.begin()->second->addon);
    while (!fx->outputs.empty()) output_effect_remove(fx->outputs.begin()->second.get());
    wlgpu_scene_effect *e, *tmp;
    wl_list_for_each_safe(e, tmp, &fx->effects, link) {
        e->buffer->live = false;  // the node stays in the scene (the compositor's), drawing nothing
        wl_list_remove(&e->link);
        wl_list_init(&e->link);
        e->fx = nullptr;
    }
    fx->renderer->scene_effects = nullptr;
    delete fx;
}

bool wlgpu_scene_buffer_set_corner_radius(struct wlgpu_scene_effects* fx, struct wlr_scene_buffer* buffer,
                                          float radius) {
    const wlgpu_corner_radii radii{radius, radius, radius, radius};
    return wlgpu_scene_buffer_set_corner_radii(fx, buffer, &radii);
}

bool wlgpu_scene_buffer_set_corner_radii(struct wlgpu_scene_effects* fx, struct wlr_scene_buffer* buffer,
                                         const struct wlgpu_corner_radii* radii) {
    if (!fx || !buffer || !radii || !valid(*radii)) {
        log_error("wlgpu_scene_buffer_set_corner_radii: bad arguments");
        return false;
    }
    wlr_addon* a = wlr_addon_find(&buffer->node.addons, fx, &kRoundedAddon);
    RoundedNode* n = a ? wl_container_of(a, n, addon) : nullptr;
    if (!corners_of(*radii, 0, 1).any()) {
        if (n) rounded_addon_destroy(&n->addon);
        if (n && buffer->opacity == kAlmostOne) wlr_scene_buffer_set_opacity(buffer, 1);
        return true;
    }
    if (!n) {
        n = new RoundedNode{};
        n->fx = fx;
        n->node = buffer;
        wlr_addon_init(&n->addon, &buffer->node.addons, fx, &kRoundedAddon);
        fx->rounded[&buffer->opacity] = n;
    }
    n->radii = *radii;
    if (buffer->opacity >= 1) wlr_scene_buffer_set_opacity(buffer, kAlmostOne);
    wlr_scene_node_set_enabled(&buffer->node, !buffer->node.enabled);  // damage it: new corners
    wlr_scene_node_set_enabled(&buffer->node, !buffer->node.enabled);
    return true;
}

struct wlgpu_scene_effect* wlgpu_scene_shadow_create(struct wlgpu_scene_effects* fx, struct wlr_scene_tree* parent,
                                                     const struct wlgpu_scene_shadow_options* options) {
    return effect_create(fx, parent, Kind::shadow, &EffectBuffer::shadow, options, "wlgpu_scene_shadow_create");
}

struct wlgpu_scene_effect* wlgpu_scene_blur_create(struct wlgpu_scene_effects* fx, struct wlr_scene_tree* parent,
                                                   const struct wlgpu_scene_blur_options* options) {
    return effect_create(fx, parent, Kind::blur, &EffectBuffer::blur, options,
                         "wlgpu_scene_blur_create (blur passes are 1..8)");
}

bool wlgpu_scene_shadow_update(struct wlgpu_scene_effect* e, const struct wlgpu_scene_shadow_options* options) {
    return effect_update(e, Kind::shadow, &EffectBuffer::shadow, options, "wlgpu_scene_shadow_update");
}

bool wlgpu_scene_blur_update(struct wlgpu_scene_effect* e, const struct wlgpu_scene_blur_options* options) {
    return effect_update(e, Kind::blur, &EffectBuffer::blur, options, "wlgpu_scene_blur_update");
}

struct wlr_scene_node* wlgpu_scene_effect_node(struct wlgpu_scene_effect* e) { return e ? &e->node->node : nullptr; }

bool wlgpu_scene_output_set_effect(struct wlgpu_scene_effects* fx, struct wlr_scene_output* so,
                                   const struct wlgpu_effect* effect, const struct wlgpu_effect_params* params) {
    if (!fx || !so) {
        log_error("wlgpu_scene_output_set_effect: bad arguments");
        return false;
    }
    auto it = fx->outputs.find(so);
    if (!effect) {
        if (it != fx->outputs.end()) output_effect_remove(it->second.get());
    } else {
        if (!effect_of(effect, fx->renderer)) {
            log_error("wlgpu_scene_output_set_effect: the effect belongs to another renderer");
            return false;
        }
        if (it == fx->outputs.end()) {
            auto oe = std::make_unique<OutputEffect>();
            oe->fx = fx;
            oe->output = so;
            oe->destroy.notify = output_destroyed;
            wl_signal_add(&so->events.destroy, &oe->destroy);
            it = fx->outputs.emplace(so, std::move(oe)).first;
        }
        it->second->effect = effect;
        it->second->params = params ? *params : wlgpu_effect_params{};
    }
    wlr_damage_ring_add_whole(&so->damage_ring);
    wlr_output_schedule_frame(so->output);
    return true;
}

bool wlgpu_scene_output_build_state(struct wlgpu_scene_effects* fx, struct wlr_scene_output* so,
                                    struct wlr_output_state* state,
                                    const struct wlr_scene_output_state_options* options) {
    if (!fx) return wlr_scene_output_build_state(so, state, options);
    keep_corners_unculled(fx);
    extend_blur_damage(fx, so);
    auto it = fx->outputs.find(so);
    fx->building = it == fx->outputs.end() ? nullptr : it->second.get();
    const bool ok = wlr_scene_output_build_state(so, state, options);
    fx->building = nullptr;
    return ok;
}

}  // extern "C"
