/*
 * The harness's effects (effects.h): what a wlr_scene compositor adds to use wlgpu's scene
 * helper (wlgpu/wlr_scene_effects.h). Shadows and blur are scene nodes at the bottom of each
 * toplevel's tree, resized on commit to the window geometry; corners go on the toplevel's
 * surface buffer; the output effect on every scene output; rendering goes through
 * wlgpu_scene_output_build_state.
 */
#define _GNU_SOURCE
#include "effects.h"

#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_xdg_shell.h>

#include "wlgpu/wlr.h"
#include "wlgpu/wlr_scene_effects.h"
#include "harness.h"

#define SHADOW_SIGMA 10.0f
#define SHADOW_ALPHA 0.5f
#define CHECKER 40  /* the --blur background's squares (logical pixels) */

bool effects_option(struct effects_options *o, int code, const char *arg) {
	switch (code) {
	case 1000:
		o->corner_radius = strtof(arg, NULL);
		if (!(o->corner_radius >= 0 && o->corner_radius <= 1000)) { say("bad --corner-radius"); return false; }
		return true;
	case 1001: o->shadow = true; return true;
	case 1002: o->blur = true; return true;
	case 1003: o->effect_file = arg; return true;
	}
	return false;
}

void effects_usage(FILE *f) {
	fprintf(f,
		"  --corner-radius N  rounded corners (N logical px) on every toplevel (wlgpu renderer)\n"
		"  --shadow           a box shadow under every toplevel (sigma %.0f, black at %.1f alpha)\n"
		"  --blur             backdrop blur behind every toplevel, over a checkered background\n"
		"  --effect F.wgsl    a user WGSL effect over the output (docs/effects.md); one that does not\n"
		"                     compile is reported with its line:column and left out\n",
		SHADOW_SIGMA, SHADOW_ALPHA);
}

static bool wanted(const struct effects_options *o) {
	return o->corner_radius > 0 || o->shadow || o->blur || o->effect_file;
}

static char *read_text(const char *path) {
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, m);
	fclose(m);
	fclose(f);
	return text;
}

/* Squares of two greys under everything, so that a blur has something to blur. */
static void add_checker(struct server *s) {
	const float dark[4] = {0.15f, 0.18f, 0.22f, 1}, light[4] = {0.55f, 0.45f, 0.30f, 1};
	struct wlr_scene_tree *tree = wlr_scene_tree_create(&s->scene->tree);  /* above the background */
	int w = s->opt.width * s->opt.outputs, h = s->opt.height;
	for (int y = 0; y < h; y += CHECKER)
		for (int x = 0; x < w; x += CHECKER) {
			struct wlr_scene_rect *r = wlr_scene_rect_create(tree, CHECKER, CHECKER,
				((x + y) / CHECKER) % 2 ? light : dark);
			wlr_scene_node_set_position(&r->node, x, y);
		}
}

void effects_init(struct server *s) {
	const struct effects_options *o = &s->opt.fx;
	if (!wanted(o)) return;
	if (!wlr_renderer_is_wlgpu(s->renderer)) {
		say("effects: only with the wlgpu renderer; running without them");
		return;
	}
	s->scene_fx = wlgpu_scene_effects_create(s->renderer);
	if (o->blur) add_checker(s);
	if (!o->effect_file) return;
	char *src = read_text(o->effect_file);
	if (!src) {
		say("effect %s: cannot read it; running without it", o->effect_file);
		return;
	}
	char *error = NULL;
	s->output_effect = wlgpu_effect_create(s->renderer, src, &error);
	free(src);
	if (!s->output_effect) {
		say("effect %s: %s", o->effect_file, error ? error : "(no message)");
		say("effect %s: not applied; the compositor runs on without it", o->effect_file);
	} else {
		say("effect %s: compiled", o->effect_file);
	}
	free(error);
}

void effects_output_new(struct output *o) {
	struct server *s = o->server;
	if (s->scene_fx && s->output_effect)
		wlgpu_scene_output_set_effect(s->scene_fx, o->scene_output, s->output_effect, NULL);
}

/* The scene buffer of the toplevel's own surface (enabled or not yet). */
static struct wlr_scene_buffer *surface_buffer(struct wlr_scene_node *node, struct wlr_surface *surface) {
	if (node->type == WLR_SCENE_NODE_BUFFER) {
		struct wlr_scene_buffer *b = wlr_scene_buffer_from_node(node);
		struct wlr_scene_surface *ss = wlr_scene_surface_try_from_buffer(b);
		return ss && ss->surface == surface ? b : NULL;
	}
	if (node->type != WLR_SCENE_NODE_TREE) return NULL;
	struct wlr_scene_node *child;
	wl_list_for_each(child, &wlr_scene_tree_from_node(node)->children, link) {
		struct wlr_scene_buffer *b = surface_buffer(child, surface);
		if (b) return b;
	}
	return NULL;
}

void effects_toplevel_new(struct toplevel *tl) {
	struct server *s = tl->server;
	if (!s->scene_fx || s->opt.fx.corner_radius <= 0) return;
	struct wlr_scene_buffer *b = surface_buffer(&tl->tree->node, tl->xdg->base->surface);
	if (!b || !wlgpu_scene_buffer_set_corner_radius(s->scene_fx, b, s->opt.fx.corner_radius))
		say("effects: no surface buffer for the corners of client %d", tl->slot);
}

void effects_toplevel_commit(struct toplevel *tl) {
	struct server *s = tl->server;
	if (!s->scene_fx) return;
	struct wlr_box g = tl->xdg->base->geometry;
	if (g.width <= 0 || g.height <= 0) return;
	struct wlr_box box = {0, 0, g.width, g.height};  /* the xdg tree's origin is the geometry's */
	float r = s->opt.fx.corner_radius;
	if (s->opt.fx.blur) {
		struct wlgpu_scene_blur_options bo = {.box = box, .corner_radius = r};
		wlgpu_backdrop_blur_options_init(&bo.blur);
		bo.blur.passes = 3;
		bo.blur.radius = 2;
		if (tl->blur) wlgpu_scene_blur_update(tl->blur, &bo);
		else if ((tl->blur = wlgpu_scene_blur_create(s->scene_fx, tl->tree, &bo)))
			wlr_scene_node_lower_to_bottom(wlgpu_scene_effect_node(tl->blur));
	}
	if (s->opt.fx.shadow) {
		struct wlgpu_scene_shadow_options so = {.box = box, .corner_radius = r,
			.color = {0, 0, 0, SHADOW_ALPHA}, .sigma = SHADOW_SIGMA};
		if (tl->shadow) wlgpu_scene_shadow_update(tl->shadow, &so);
		else if ((tl->shadow = wlgpu_scene_shadow_create(s->scene_fx, tl->tree, &so)))
			wlr_scene_node_lower_to_bottom(wlgpu_scene_effect_node(tl->shadow));  /* under the blur */
	}
}

bool effects_build_state(struct output *o, struct wlr_output_state *state) {
	struct server *s = o->server;
	const struct wlr_scene_output_state_options options = {.timer = s->opt.gpu_timer ? &o->timer : NULL};
	if (!s->scene_fx) return wlr_scene_output_build_state(o->scene_output, state, &options);
	return wlgpu_scene_output_build_state(s->scene_fx, o->scene_output, state, &options);
}

void effects_finish(struct server *s) {
	wlgpu_scene_effects_destroy(s->scene_fx);
	s->scene_fx = NULL;
	wlgpu_effect_destroy(s->output_effect);
	s->output_effect = NULL;
}
