/*
 * LD_PRELOAD into an unmodified wlroots compositor (tests/compositors): every wl_surface frame
 * callback carries the timestamp 0, as the demo compositor's --frame-time 0 does, so that clients
 * that paint a function of it (weston-simple-shm) draw the same picture in every run. wlroots
 * calls wlr_surface_send_frame_done through its PLT (wlr_scene_surface_send_frame_done and
 * wlr_scene_output_send_frame_done do), so this definition is the one it reaches.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct wlr_surface;

void wlr_surface_send_frame_done(struct wlr_surface *surface, const struct timespec *when) {
	static void (*next)(struct wlr_surface *, const struct timespec *);
	if (!next) next = (void (*)(struct wlr_surface *, const struct timespec *))dlsym(RTLD_NEXT,
			"wlr_surface_send_frame_done");
	if (!next) {
		fprintf(stderr, "frame_time: wlr_surface_send_frame_done not found: %s\n", dlerror());
		abort();
	}
	(void)when;
	const struct timespec zero = {0, 0};
	next(surface, &zero);
}
