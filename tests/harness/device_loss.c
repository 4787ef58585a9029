/*
 * Device loss in the running test compositor: injection (--lose-device PHASE, armed by SIGUSR1
 * from outside) and recovery (the renderer's events.lost).
 *
 * Recovery is sway's (sway/server.c handle_renderer_lost / do_renderer_recreate): events.lost
 * only schedules an idle callback (the renderer is in the middle of a call when it emits the
 * signal, and wlr_renderer_destroy asserts that no lost listener is left), which creates a new
 * renderer and allocator, moves the lost listener, hands the renderer to wlr_compositor (clients'
 * next commits are imported by the new one; wlgpu's surface sync follows it) and to
 * linux-dmabuf-v1's check, re-inits every output's rendering (new swapchains), then destroys the old allocator and
 * renderer (wlroots drops the textures it cached on client buffers and scene buffers).
 *
 * Injection (lose_device.cpp does the loss itself, with Dawn's wgpuDeviceForceLoss as
 * tests/wlr/test_wlr_lost does), after SIGUSR1, in the phase --lose-device names:
 *   idle     at once, in the signal's callback: between two frames;
 *   frame    in output 0's next render pass, from the output_sample signal wlr_scene emits right
 *            after it drew a client's buffer (more draws and the submit follow on a lost device);
 *   import   in the next client commit that carries a buffer, from the surface's client_commit
 *            signal, before wlroots imports the buffer (the import runs on the lost device);
 *   acquire  in the next commit held by wlgpu's surface sync (its acquire point or implicit fence
 *            not signalled yet), from the same signal after the hold was taken.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <wlr/render/allocator.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_linux_dmabuf_v1.h>
#include <wlr/types/wlr_xdg_shell.h>

#include "wlgpu/wlr.h"
#include "harness.h"
#include "effects.h"

bool harness_lose_device(struct wlr_renderer *renderer, const char *why);  /* lose_device.cpp */

static const char *phase_names[] = {"none", "idle", "frame", "import", "acquire"};

bool device_loss_parse(const char *name, int *phase) {
	for (int i = LOSS_IDLE; i <= LOSS_ACQUIRE; i++)
		if (strcmp(name, phase_names[i]) == 0) { *phase = i; return true; }
	return false;
}

static void inject(struct server *s, const char *where) {
	s->loss.armed = false;
	s->loss.injected = true;
	bool lost = harness_lose_device(s->renderer, "harness: --lose-device");
	say("DEVICE_LOSS injected phase=%s %s: device %s", phase_names[s->opt.lose_device], where,
		lost ? "lost" : "NOT lost");
	if (!lost) s->exit_code = 1;
}

/* ---- recovery ------------------------------------------------------------------------ */

static void recreate_renderer(void *data) {
	struct server *s = data;
	s->loss.recreate = NULL;
	say("re-creating the renderer after the device loss");
	struct wlr_renderer *renderer = create_renderer(s);
	if (!renderer) { say("cannot re-create the renderer"); s->exit_code = 1; return; }
	struct wlr_allocator *allocator = wlgpu_allocator_autocreate(s->backend, renderer);
	if (!allocator) {
		say("cannot re-create the allocator");
		wlr_renderer_destroy(renderer);
		s->exit_code = 1;
		return;
	}
	struct wlr_renderer *old_renderer = s->renderer;
	struct wlr_allocator *old_allocator = s->allocator;
	s->renderer = renderer;
	s->allocator = allocator;
	wl_list_remove(&s->loss.renderer_lost.link);
	wl_signal_add(&renderer->events.lost, &s->loss.renderer_lost);
	wlr_compositor_set_renderer(s->compositor, renderer);
	if (s->dmabuf && wlr_renderer_is_wlgpu(renderer))
		wlr_linux_dmabuf_v1_set_check_dmabuf_callback(s->dmabuf, wlgpu_renderer_check_dmabuf, renderer);
	struct output *o;
	wl_list_for_each(o, &s->outputs, link) {
		if (!wlr_output_init_render(o->wlr_output, allocator, renderer)) {
			say("output %s: cannot re-initialise rendering", o->wlr_output->name);
			s->exit_code = 1;
		}
		wlr_output_schedule_frame(o->wlr_output);
	}
	if (s->scene_fx || s->output_effect) {
		/* The scene helper and a compiled effect belong to one renderer (effects.c). */
		say("effects: dropped with the lost renderer (they are made per renderer)");
		effects_finish(s);
	}
	wlr_allocator_destroy(old_allocator);
	wlr_renderer_destroy(old_renderer);
	s->loss.recreations++;
	s->loss.recovered = true;
	/* --frames and --seconds count again from here: the screenshot shows what the new renderer
	 * drew, however long the re-creation took. */
	if (s->ready_frame >= 0) {
		s->ready_frame = s->frame;
		clock_gettime(CLOCK_MONOTONIC, &s->ready_at);
	}
	say("DEVICE_LOSS recovered: new renderer and allocator at frame %ld", s->frame);
}

static void handle_renderer_lost(struct wl_listener *listener, void *data) {
	(void)data;
	struct server *s = wl_container_of(listener, s, loss.renderer_lost);
	s->loss.lost_events++;
	say("renderer lost (events.lost #%d)", s->loss.lost_events);
	if (s->loss.recreate) return;  /* already scheduled */
	s->loss.recreate = wl_event_loop_add_idle(s->loop, recreate_renderer, s);
}

/* ---- injection ----------------------------------------------------------------------- */

static int handle_sigusr1(int sig, void *data) {
	(void)sig;
	struct server *s = data;
	if (s->loss.injected || s->loss.armed) { say("SIGUSR1: the device loss was already armed"); return 0; }
	say("SIGUSR1: device loss armed (phase %s)", phase_names[s->opt.lose_device]);
	s->loss.armed = true;
	if (s->opt.lose_device == LOSS_IDLE) inject(s, "between frames");
	return 0;
}

static void handle_sample(struct wl_listener *listener, void *data) {
	(void)data;
	struct server *s = wl_container_of(listener, s, loss.sample);
	wl_list_remove(&listener->link);
	s->loss.sample_attached = false;
	inject(s, "in a render pass (after drawing a client's buffer, before the submit)");
}

static void find_client_buffer(struct wlr_scene_buffer *b, int sx, int sy, void *data) {
	(void)sx, (void)sy;
	struct wlr_scene_buffer **out = data;
	if (!*out && b->buffer && wlr_scene_surface_try_from_buffer(b)) *out = b;
}

void device_loss_frame_begin(struct output *o) {
	struct server *s = o->server;
	if (!s->loss.armed || s->opt.lose_device != LOSS_FRAME || o->index != 0) return;
	struct wlr_scene_buffer *b = NULL;
	wlr_scene_node_for_each_buffer(&s->scene->tree.node, find_client_buffer, &b);
	if (!b) return;
	s->loss.sample.notify = handle_sample;
	wl_signal_add(&b->events.output_sample, &s->loss.sample);
	s->loss.sample_attached = true;
}

void device_loss_frame_end(struct output *o) {
	struct server *s = o->server;
	if (!s->loss.sample_attached) return;  /* the buffer was not drawn: try again next frame */
	wl_list_remove(&s->loss.sample.link);
	s->loss.sample_attached = false;
}

static void toplevel_loss_commit(struct wl_listener *listener, void *data) {
	(void)data;
	struct toplevel *tl = wl_container_of(listener, tl, loss_commit);
	struct server *s = tl->server;
	struct wlr_surface *surface = tl->xdg->base->surface;
	if (!s->loss.armed || !(surface->pending.committed & WLR_SURFACE_STATE_BUFFER) || !surface->pending.buffer)
		return;
	if (s->opt.lose_device == LOSS_IMPORT) {
		inject(s, "in a client commit, before its buffer is imported");
	} else if (s->opt.lose_device == LOSS_ACQUIRE && surface->pending.cached_state_locks > 0) {
		/* wlgpu's surface sync (listening before us) has just held this commit. */
		inject(s, "while a commit is held for its acquire point");
	}
}

void device_loss_toplevel_init(struct toplevel *tl) {
	tl->loss_commit.notify = toplevel_loss_commit;
	wl_signal_add(&tl->xdg->base->surface->events.client_commit, &tl->loss_commit);
}

void device_loss_toplevel_finish(struct toplevel *tl) { wl_list_remove(&tl->loss_commit.link); }

/* ---- setup --------------------------------------------------------------------------- */

void device_loss_init(struct server *s) {
	s->loss.renderer_lost.notify = handle_renderer_lost;
	wl_signal_add(&s->renderer->events.lost, &s->loss.renderer_lost);
	if (s->opt.lose_device != LOSS_NONE) s->loss.sigusr1 = wl_event_loop_add_signal(s->loop, SIGUSR1, handle_sigusr1, s);
}

bool device_loss_pending(struct server *s) { return s->opt.lose_device != LOSS_NONE && !s->loss.recovered; }

void device_loss_finish(struct server *s) {
	if (s->loss.sigusr1) wl_event_source_remove(s->loss.sigusr1);
	if (s->loss.recreate) wl_event_source_remove(s->loss.recreate);
	wl_list_remove(&s->loss.renderer_lost.link);
	if (s->opt.lose_device != LOSS_NONE)
		say("DEVICE_LOSS summary: phase=%s injected=%d lost_events=%d recreations=%d",
			phase_names[s->opt.lose_device], s->loss.injected, s->loss.lost_events, s->loss.recreations);
}
