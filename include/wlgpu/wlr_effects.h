/*
 * wlgpu's effects (docs/effects.md) on a wlroots render pass begun by the wlgpu renderer
 * (wlr_renderer_begin_buffer_pass on a renderer from wlgpu_renderer_create). Link
 * libwlgpu-wlr-0.19 or libwlgpu-wlr-0.20.
 *
 * Coordinates are buffer pixels, as in wlr_render_texture_options / wlr_render_rect_options;
 * clip regions (may be NULL: no clip) are in the same coordinates; colours are premultiplied.
 * Each call draws into the pass in order with wlroots' own add_texture/add_rect calls. Each
 * returns false, draws nothing and logs (wlr_log) when the pass is not a wlgpu pass or an
 * argument is bad (no texture, a foreign texture, a NULL effect, blur passes not in 1..8).
 *
 *   struct wlgpu_shadow_options s = { .box = win, .corners = {12, 12, 12, 12},
 *       .color = {0, 0, 0, 0.5}, .sigma = 10 };
 *   wlgpu_render_pass_add_shadow(pass, &s);
 */
#ifndef WLGPU_WLR_EFFECTS_H
#define WLGPU_WLR_EFFECTS_H

#include <stdbool.h>
#include <stdint.h>

#include <pixman.h>
#include <wlr/render/pass.h>
#include <wlr/util/box.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wlr_renderer;
struct wlgpu_effect;

/* Per-corner radius in pixels, each clamped to [0, min(width, height) / 2] of its box; the
 * edge is anti-aliased (docs/effects.md, "Corners"). */
struct wlgpu_corner_radii {
	float top_left, top_right, bottom_right, bottom_left;
};

/* A rounded box; an empty box means none. */
struct wlgpu_rounded_box {
	struct wlr_box box;
	struct wlgpu_corner_radii corners;
};

/* wlroots' texture draw (every field of wlr_render_texture_options as add_texture takes it)
 * with rounded corners, relative to the dst box. It always blends premultiplied. */
struct wlgpu_rounded_texture_options {
	struct wlr_render_texture_options base;
	struct wlgpu_corner_radii corners;
};

enum wlgpu_fill_kind {
	WLGPU_FILL_SOLID,  /* from */
	WLGPU_FILL_LINEAR, /* from at start, to at end; t clamped to [0, 1] */
	WLGPU_FILL_CONIC,  /* from -> to over one clockwise turn around start, from angle radians off +x */
};

struct wlgpu_fill {
	enum wlgpu_fill_kind kind;
	struct wlr_render_color from, to;
	float start_x, start_y, end_x, end_y; /* buffer pixels */
	float angle;
};

/* A rect with rounded corners, filled, blended premultiplied; nothing inside hole. */
struct wlgpu_shape_options {
	struct wlr_box box;
	struct wlgpu_corner_radii corners;
	struct wlgpu_fill fill;
	const pixman_region32_t *clip;
	struct wlgpu_rounded_box hole;
};

/* A box shadow: the rounded box filled with color, Gaussian-blurred (sigma), drawn over the
 * box grown by 3 sigma each way; nothing inside hole (e.g. the window itself). */
struct wlgpu_shadow_options {
	struct wlr_box box;
	struct wlgpu_corner_radii corners;
	struct wlr_render_color color;
	float sigma;
	const pixman_region32_t *clip;
	struct wlgpu_rounded_box hole;
};

/* Backdrop blur: what the pass drew so far, dual-Kawase blurred, colour-adjusted, drawn back
 * into the rounded box (inside clip). wlgpu_backdrop_blur_options_init sets the defaults. */
struct wlgpu_backdrop_blur_options {
	struct wlr_box box;
	struct wlgpu_corner_radii corners;
	uint32_t passes; /* 1..8 (default 3) */
	float radius;    /* default 1 */
	float noise, brightness, contrast, saturation; /* defaults 0, 1, 1, 1 */
	const pixman_region32_t *clip;
};

/* The inputs of a user effect: its WGSL `user` block (user[i / 4][i % 4]) and time. */
struct wlgpu_effect_params {
	float user[32];
	float time;
};

/* A texture draw whose texels go through effect, then the corners, then alpha. */
struct wlgpu_texture_effect_options {
	struct wlr_render_texture_options base;
	struct wlgpu_corner_radii corners;
	const struct wlgpu_effect *effect;
	struct wlgpu_effect_params params;
};

void wlgpu_backdrop_blur_options_init(struct wlgpu_backdrop_blur_options *options);

bool wlgpu_render_pass_add_rounded_texture(struct wlr_render_pass *pass,
	const struct wlgpu_rounded_texture_options *options);
bool wlgpu_render_pass_add_shape(struct wlr_render_pass *pass, const struct wlgpu_shape_options *options);
bool wlgpu_render_pass_add_shadow(struct wlr_render_pass *pass, const struct wlgpu_shadow_options *options);
bool wlgpu_render_pass_add_backdrop_blur(struct wlr_render_pass *pass,
	const struct wlgpu_backdrop_blur_options *options);
bool wlgpu_render_pass_add_texture_effect(struct wlr_render_pass *pass,
	const struct wlgpu_texture_effect_options *options);
/* Post-process: what the pass drew so far, inside clip (NULL: the whole buffer), replaced by
 * the effect's output. */
bool wlgpu_render_pass_apply_effect(struct wlr_render_pass *pass, const struct wlgpu_effect *effect,
	const struct wlgpu_effect_params *params, const pixman_region32_t *clip);

/* A window over its shadow in one draw: the pixels of wlgpu_render_pass_add_shadow(shadow)
 * then wlgpu_render_pass_add_rounded_texture(window), with one draw instead of two (the
 * shadow may be offset from the window and have a hole). window->base.clip applies to both;
 * shadow->clip must be NULL. */
bool wlgpu_render_pass_add_shadowed_texture(struct wlr_render_pass *pass,
	const struct wlgpu_rounded_texture_options *window, const struct wlgpu_shadow_options *shadow);

/* A backdrop blur kept between frames (docs/effects.md, "Cached blur"): the blur is computed
 * again only after wlgpu_blur_cache_invalidate (what lies under it changed), when the passes,
 * radius or buffer size change, or on first use; otherwise the kept result is drawn (the
 * adjustments, box, corners and clip apply every time). One cache per blurred background
 * (e.g. per output); destroy it before the renderer. */
struct wlgpu_blur_cache;
struct wlgpu_blur_cache *wlgpu_blur_cache_create(void);
void wlgpu_blur_cache_invalidate(struct wlgpu_blur_cache *cache);
void wlgpu_blur_cache_destroy(struct wlgpu_blur_cache *cache);
bool wlgpu_render_pass_add_cached_backdrop_blur(struct wlr_render_pass *pass,
	const struct wlgpu_backdrop_blur_options *options, struct wlgpu_blur_cache *cache);

/* Compiles a user WGSL effect (it defines fn effect(texel: vec4f, pos: vec2f,
 * user: array<vec4f, 8>, time: f32) -> vec4f; docs/effects.md) for renderer, a wlgpu
 * renderer. NULL on failure; then, if error_message is not NULL, *error_message is a
 * malloc'ed text with the compiler's messages (":line:column error: ...") for the caller to
 * free(). */
struct wlgpu_effect *wlgpu_effect_create(struct wlr_renderer *renderer, const char *wgsl, char **error_message);
void wlgpu_effect_destroy(struct wlgpu_effect *effect);

#ifdef __cplusplus
}
#endif

#endif
