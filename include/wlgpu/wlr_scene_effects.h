/*
 * wlgpu's effects (docs/effects.md) on a wlr_scene, without a wlroots fork: rounded corners on
 * a buffer node, box shadows and backdrop blur as scene nodes of their own, a user WGSL effect
 * over a whole output. For a renderer from wlgpu_renderer_create; link libwlgpu-wlr-0.19 or
 * libwlgpu-wlr-0.20. docs/effects.md ("wlr_scene") says how it works and what it costs.
 *
 *   struct wlgpu_scene_effects *fx = wlgpu_scene_effects_create(renderer);
 *   wlgpu_scene_buffer_set_corner_radius(fx, toplevel_buffer, 12);
 *   struct wlgpu_scene_shadow_options so = { .box = {0, 0, w, h}, .corner_radius = 12,
 *       .color = {0, 0, 0, 0.5f}, .sigma = 10 };
 *   struct wlgpu_scene_effect *shadow = wlgpu_scene_shadow_create(fx, toplevel_tree, &so);
 *   wlr_scene_node_lower_to_bottom(wlgpu_scene_effect_node(shadow));
 *   ...
 *   wlgpu_scene_output_build_state(fx, scene_output, &state, NULL);  // not wlr_scene_output_build_state
 *
 * Boxes and radii are in the scene's (logical) coordinates, relative to the node's parent;
 * the pass scales them to output pixels. Colours are premultiplied.
 */
#ifndef WLGPU_WLR_SCENE_EFFECTS_H
#define WLGPU_WLR_SCENE_EFFECTS_H

#include <stdbool.h>
#include <stdint.h>

#include <wlr/render/pass.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/box.h>

#include "wlgpu/wlr_effects.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wlgpu_scene_effects;
struct wlgpu_scene_effect;

/* One per renderer (a wlgpu renderer; NULL otherwise, logged). Destroy it before the renderer;
 * effect nodes still in the scene then draw nothing. */
struct wlgpu_scene_effects *wlgpu_scene_effects_create(struct wlr_renderer *renderer);
void wlgpu_scene_effects_destroy(struct wlgpu_scene_effects *fx);

/* Rounded corners (radius in logical pixels, the same on all four corners) on a buffer node, e.g. a
 * toplevel's main surface (wlr_scene_surface->buffer); 0 removes them. The node's opacity is set
 * just below 1 (drawn as 1) so that wlr_scene does not treat it as opaque and draws what shows
 * through the cut corners; wlr_scene_surface puts it back to 1 on every commit, and
 * wlgpu_scene_output_build_state lowers it again (so each commit damages the whole node). The
 * setting goes with the node (a wlr_addon) and ends when it is destroyed. */
bool wlgpu_scene_buffer_set_corner_radius(struct wlgpu_scene_effects *fx, struct wlr_scene_buffer *buffer,
	float radius);
/* The same with a radius per corner (logical pixels, each >= 0; all 0 removes them). */
bool wlgpu_scene_buffer_set_corner_radii(struct wlgpu_scene_effects *fx, struct wlr_scene_buffer *buffer,
	const struct wlgpu_corner_radii *radii);

/* A box shadow under a window: box (parent coordinates) moved by offset, filled with color,
 * Gaussian-blurred (sigma), not drawn inside box itself (the window). The node covers box grown
 * by 3 sigma (plus the offset), so wlr_scene damages all of it when it moves or changes. */
struct wlgpu_scene_shadow_options {
	struct wlr_box box;
	float corner_radius;
	struct wlr_render_color color;
	float sigma;
	int offset_x, offset_y;
	struct wlgpu_corner_radii corners;  /* per corner; all 0: corner_radius for all four */
};

/* Backdrop blur of what lies under box (parent coordinates), e.g. behind a translucent
 * window: blur options as wlgpu_backdrop_blur_options (its box, corners and clip are ignored;
 * wlgpu_backdrop_blur_options_init sets the defaults). */
struct wlgpu_scene_blur_options {
	struct wlr_box box;
	float corner_radius;
	struct wlgpu_backdrop_blur_options blur;
	struct wlgpu_corner_radii corners;  /* per corner; all 0: corner_radius for all four */
};

/* Effect nodes: wlr_scene_buffer nodes under parent whose buffer is drawn by the effect.
 * NULL (logged) on bad options. The effect is freed with its node (wlr_scene_node_destroy). */
struct wlgpu_scene_effect *wlgpu_scene_shadow_create(struct wlgpu_scene_effects *fx,
	struct wlr_scene_tree *parent, const struct wlgpu_scene_shadow_options *options);
struct wlgpu_scene_effect *wlgpu_scene_blur_create(struct wlgpu_scene_effects *fx,
	struct wlr_scene_tree *parent, const struct wlgpu_scene_blur_options *options);
/* New options for an effect of the same kind (e.g. the window was resized); the node's old and
 * new areas are damaged. */
bool wlgpu_scene_shadow_update(struct wlgpu_scene_effect *effect, const struct wlgpu_scene_shadow_options *options);
bool wlgpu_scene_blur_update(struct wlgpu_scene_effect *effect, const struct wlgpu_scene_blur_options *options);
struct wlr_scene_node *wlgpu_scene_effect_node(struct wlgpu_scene_effect *effect);

/* A user effect (wlgpu_effect_create) over everything the scene draws on this output, applied
 * to the frame's damage only (pixels outside it keep last frame's processed value); NULL
 * removes it. The effect must outlive its use; params are copied. A time-driven effect needs
 * the compositor to damage the whole output each frame. */
bool wlgpu_scene_output_set_effect(struct wlgpu_scene_effects *fx, struct wlr_scene_output *scene_output,
	const struct wlgpu_effect *effect, const struct wlgpu_effect_params *params);

/* wlr_scene_output_build_state with the effects: first the damage each blur node needs (when
 * the frame's damage touches a blur node's box grown by the blur's reach, all of that grown box
 * is damaged: the blur reads what lies under it and around it), then wlroots' own build_state,
 * whose render pass draws the effect nodes and corners, and the output effect at the end. */
bool wlgpu_scene_output_build_state(struct wlgpu_scene_effects *fx, struct wlr_scene_output *scene_output,
	struct wlr_output_state *state, const struct wlr_scene_output_state_options *options);

#ifdef __cplusplus
}
#endif

#endif
