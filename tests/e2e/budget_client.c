/*
 * budget_client: a client that tries to make the compositor hold more buffers than its limit
 * (wlgpu_surface_sync_set_client_limits), and a well-behaved one beside it (tests/e2e/budget.py).
 *
 *   budget_client --mode hog --size WxH [--surfaces N]
 *       maps a 64x64 toplevel, then commits a WxH wl_shm buffer (sealed memfd, fresh pixels) on
 *       new role-less surfaces, a round trip after each; after the 4th it gives two shares back
 *       (destroys one surface, unmaps another) and goes on until the compositor refuses a commit
 *       or N surfaces (default 64) were committed.
 *       Prints "BUDGET hog committed=K gave_back=2 error=E" (E: ENOMEM for wl_display's
 *       no_memory error, IFACE:CODE for another object's, none).
 *   budget_client --mode big --size WxH [--surfaces N] [--seconds S] [--unsealed 1]
 *       a toplevel that commits N (default 8) WxH wl_shm buffers with full damage, two pictures
 *       in turn (budget.py's pattern), one round trip each, then stays S seconds: each commit is
 *       a whole-buffer upload. Each commit is followed by a wl_display.sync; a commit whose
 *       buffer was released before that sync's done was uploaded while the compositor handled
 *       the commit request (inline), one released after it later (off the event loop, or kept
 *       by a renderer that reads the buffer while drawing). A buffer is committed again only
 *       once released. --unsealed 1: pool fds not sealed against shrinking (the GPU may not
 *       copy out of them). Prints "BUDGET big commits=N last_picture=K inline=I".
 *       --quit 1: after the first big commit, disconnect at once (no sync, no wait): the
 *       compositor is still copying it (prints "BUDGET big quit").
 *   budget_client --mode big-hidden ...
 *       the same, the big buffers on a role-less surface (uploaded, never drawn) beside a 64x64
 *       window: what the upload costs the compositor, without drawing a huge texture.
 *   budget_client --mode good --seconds S
 *       a 200x150 toplevel that redraws every frame callback for S seconds.
 *       Prints "BUDGET good frames=N max_gap_ms=X" (the longest wait for a frame callback).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

#include "client_common.h"

static struct tc_globals g;


static void show(struct wl_surface *s, struct wl_buffer *b, int w, int h) {
	wl_surface_attach(s, b, 0, 0);
	wl_surface_damage_buffer(s, 0, 0, w, h);
	wl_surface_commit(s);
}

/* How the connection ended: "IFACE:CODE" for a protocol error on an object, the errno's name for
 * an error on wl_display itself (libwayland maps no_memory to ENOMEM), or "none". */
static const char *error_name(struct wl_display *d, char *buf, size_t n) {
	const int err = wl_display_get_error(d);
	if (err == 0) return "none";
	if (err != EPROTO) return strerrorname_np(err);
	const struct wl_interface *iface = NULL;
	uint32_t code = wl_display_get_protocol_error(d, &iface, NULL);
	snprintf(buf, n, "%s:%u", iface ? iface->name : "?", code);
	return buf;
}

static int hog(struct wl_display *d, int w, int h, int max) {
	struct tc_window win;
	tc_window_init(&win, g.compositor, g.wm, "budget-hog");
	if (tc_dispatch(d, 10000, &win.configured) != 1) return 1;
	struct wl_buffer *small = tc_shm_buffer_random(g.shm, 64, 64, true, 7);
	bool framed = false;
	tc_request_frame(win.surface, &framed);
	show(win.surface, small, 64, 64);
	if (tc_dispatch(d, 10000, &framed) != 1) return 1;  /* mapped: the compositor counts us */
	struct wl_surface *surf[256] = {0};
	int committed = 0, gave_back = 0;
	if (max > 256) max = 256;
	for (int i = 0; i < max; i++) {
		surf[i] = wl_compositor_create_surface(g.compositor);
		struct wl_buffer *b = tc_shm_buffer_random(g.shm, w, h, true, 1000u + (unsigned)i);
		if (!b) return 1;
		show(surf[i], b, w, h);
		if (wl_display_roundtrip(d) < 0) break;
		committed++;
		if (committed == 4) {  /* two shares back: one surface destroyed, one unmapped */
			wl_surface_destroy(surf[0]);
			surf[0] = NULL;
			wl_surface_attach(surf[1], NULL, 0, 0);
			wl_surface_commit(surf[1]);
			if (wl_display_roundtrip(d) < 0) break;
			gave_back = 2;
		}
	}
	char buf[64];
	printf("BUDGET hog committed=%d gave_back=%d error=%s\n", committed, gave_back, error_name(d, buf, sizeof buf));
	return 0;
}

/* A w x h buffer (memfd, sealed unless `unsealed`) with pixel (x, y) of picture k: budget.py's pattern(). */
static bool unsealed, quit;
static struct wl_buffer *make_pattern(int w, int h, unsigned k) {
	uint32_t *px = NULL;
	struct wl_buffer *b = tc_shm_buffer(g.shm, w, h, !unsealed, &px);
	if (!b) return NULL;
	for (uint32_t y = 0; y < (uint32_t)h; y++)
		for (uint32_t x = 0; x < (uint32_t)w; x++)
			px[(size_t)y * w + x] = 0xff000000u | (((x * 3 + y * 5 + k * 40) & 255) << 16) |
				(((x ^ y) & 255) << 8) | ((x * y + k * 7) & 255);
	munmap(px, (size_t)w * 4 * h);
	return b;
}

static void buffer_release(void *data, struct wl_buffer *b) {
	(void)b;
	*(bool *)data = true;
}
static const struct wl_buffer_listener release_listener = {.release = buffer_release};

static void sync_done(void *data, struct wl_callback *cb, uint32_t serial) {
	(void)serial;
	*(bool *)data = true;
	wl_callback_destroy(cb);
}
static const struct wl_callback_listener sync_listener = {.done = sync_done};

static int big(struct wl_display *d, int w, int h, int n, double seconds, bool hidden) {
	struct tc_window win;
	tc_window_init(&win, g.compositor, g.wm, "budget-big");
	if (tc_dispatch(d, 10000, &win.configured) != 1) return 1;
	struct wl_surface *target = win.surface;
	if (hidden) {  /* a 64x64 window maps; the big buffers go to a role-less surface */
		struct wl_buffer *small = tc_shm_buffer_random(g.shm, 64, 64, true, 7);
		bool framed = false;
		tc_request_frame(win.surface, &framed);
		show(win.surface, small, 64, 64);
		if (tc_dispatch(d, 10000, &framed) != 1) return 1;
		target = wl_compositor_create_surface(g.compositor);
	}
	const double start = tc_now_ms();
	struct wl_buffer *bufs[2] = {make_pattern(w, h, 0), make_pattern(w, h, 1)};
	if (!bufs[0] || !bufs[1]) return 1;
	bool released[2] = {true, true};
	wl_buffer_add_listener(bufs[0], &release_listener, &released[0]);
	wl_buffer_add_listener(bufs[1], &release_listener, &released[1]);
	printf("BUDGET big patterns_ms=%.0f at_ms=%.0f\n", tc_now_ms() - start, tc_now_ms());
	int done = 0, inline_uploads = 0;
	for (; done < n; done++) {
		const int k = done % 2;
		if (!released[k] && tc_dispatch(d, 20000, &released[k]) != 1) break;
		released[k] = false;
		show(target, bufs[k], w, h);
		if (quit) {
			wl_display_flush(d);
			printf("BUDGET big quit\n");
			exit(0);
		}
		bool synced = false;
		wl_callback_add_listener(wl_display_sync(d), &sync_listener, &synced);
		if (tc_dispatch(d, 20000, &synced) != 1) break;
		inline_uploads += released[k];
	}
	printf("BUDGET big commits=%d last_picture=%d inline=%d\n", done, (done - 1) % 2, inline_uploads);
	while (tc_now_ms() - start < seconds * 1000 && tc_dispatch(d, 100, NULL) >= 0) {}
	return 0;
}

static void redraw(struct wl_surface *s, struct wl_buffer **bufs, int frame) {
	show(s, bufs[frame % 2], 200, 150);
}

static int good(struct wl_display *d, double seconds) {
	struct tc_window win;
	tc_window_init(&win, g.compositor, g.wm, "budget-good");
	if (tc_dispatch(d, 10000, &win.configured) != 1) return 1;
	struct wl_buffer *bufs[2] = {tc_shm_buffer_random(g.shm, 200, 150, true, 1), tc_shm_buffer_random(g.shm, 200, 150, true, 2)};
	if (!bufs[0] || !bufs[1]) return 1;
	const double start = tc_now_ms();
	printf("BUDGET good start_ms=%.0f\n", start);
	double last = start, max_gap = 0, max_at = 0;
	int frames = 0;
	while (tc_now_ms() - start < seconds * 1000) {
		bool done = false;
		tc_request_frame(win.surface, &done);
		redraw(win.surface, bufs, frames);
		if (tc_dispatch(d, 5000, &done) != 1) break;
		const double now = tc_now_ms();
		if (frames > 0 && now - last > max_gap) max_gap = now - last, max_at = last;  /* the first waits for mapping */
		last = now;
		frames++;
	}
	printf("BUDGET good frames=%d max_gap_ms=%.0f at_ms=%.0f\n", frames, max_gap, max_at);
	return 0;
}

int main(int argc, char **argv) {
	const char *mode = "good";
	int w = 1024, h = 1024, max = -1;
	double seconds = 3;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
		else if (!strcmp(argv[i], "--size")) sscanf(argv[i + 1], "%dx%d", &w, &h);
		else if (!strcmp(argv[i], "--surfaces")) max = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--unsealed")) unsealed = atoi(argv[i + 1]) != 0;
		else if (!strcmp(argv[i], "--quit")) quit = atoi(argv[i + 1]) != 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct wl_display *d = wl_display_connect(NULL);
	if (!d) { printf("BUDGET %s cannot connect\n", mode); return 1; }
	if (!tc_bind_globals(d, &g)) { printf("BUDGET %s missing globals\n", mode); return 1; }
	if (!strcmp(mode, "hog")) return hog(d, w, h, max < 0 ? 64 : max);
	if (!strcmp(mode, "big")) return big(d, w, h, max < 0 ? 8 : max, seconds, false);
	if (!strcmp(mode, "big-hidden")) return big(d, w, h, max < 0 ? 8 : max, seconds, true);
	return good(d, seconds);
}
