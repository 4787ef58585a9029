/*
 * The harness's effect options (effects.c): wlgpu's wlr_scene helper (wlgpu/wlr_scene_effects.h)
 * on the toplevels and outputs of the test compositor, for scripts/demo and tests/e2e/scene_effects.py.
 *
 *   --corner-radius N  rounded corners (N logical pixels) on every toplevel's surface
 *   --shadow           a box shadow under every toplevel
 *   --blur             backdrop blur behind every toplevel (and a checkered background to blur)
 *   --effect F.wgsl    a user WGSL effect over every output; a source that does not compile is
 *                      reported (with Dawn's line:column) and the compositor runs on without it
 */
#ifndef WLGPU_HARNESS_EFFECTS_H
#define WLGPU_HARNESS_EFFECTS_H

#include <stdbool.h>
#include <stdio.h>

struct server;
struct output;
struct toplevel;
struct wlr_output_state;

struct effects_options {
	float corner_radius;
	bool shadow, blur;
	const char *effect_file;
};

/* getopt_long entries and their codes (compositor.c's option table and switch). */
#define EFFECTS_LONG_OPTIONS \
	{"corner-radius", 1, 0, 1000}, {"shadow", 0, 0, 1001}, {"blur", 0, 0, 1002}, {"effect", 1, 0, 1003},
#define EFFECTS_FIRST_OPTION 1000
#define EFFECTS_LAST_OPTION 1003

bool effects_option(struct effects_options *o, int code, const char *arg);
void effects_usage(FILE *f);
/* After the scene exists: the helper, the background pattern, the output effect. */
void effects_init(struct server *s);
void effects_output_new(struct output *o);
void effects_toplevel_new(struct toplevel *tl);
void effects_toplevel_commit(struct toplevel *tl);
/* wlr_scene_output_build_state, through the helper when effects are on. */
bool effects_build_state(struct output *o, struct wlr_output_state *state);
/* After the scene is destroyed, before the renderer. */
void effects_finish(struct server *s);

#endif
