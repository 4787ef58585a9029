/*
 * wlgpu-test-compositor: the test and benchmark harness (see harness.h), built from the same
 * source against wlroots 0.20 (wlgpu-test-compositor) and 0.19 (wlgpu-test-compositor-0.19).
 *
 *   wlgpu-test-compositor --clients "weston-simple-shm;weston-flower" --frames 120 --screenshot out.png
 *
 * Headless by default (no display needed); --backend auto uses wlroots' autocreate (nested
 * wayland/x11 when WAYLAND_DISPLAY/DISPLAY are set, DRM on a VT). Toplevels are placed on a
 * fixed grid by the index of the --clients command that created them, so screenshots from two
 * renderers are comparable. Run with --help for the options.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/backend/headless.h>
#include <wlr/render/allocator.h>
#include <wlr/render/gles2.h>
#include <wlr/render/pixman.h>
#include <wlr/render/vulkan.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_drm.h>
#include <wlr/types/wlr_linux_dmabuf_v1.h>
#include <wlr/types/wlr_linux_drm_syncobj_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_subcompositor.h>
#include <wlr/types/wlr_viewporter.h>
#include <wlr/types/wlr_xdg_output_v1.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include "wlgpu/wlr.h"
#include "wlgpu/wlr_sync.h"
#include "harness.h"

/* ---- frames -------------------------------------------------------------------------- */

/* Every --clients command has mapped a toplevel (once: a client that maps and then goes away,
 * e.g. one disconnected for misbehaving, does not hold the others' start back). */
static int clients_mapped(struct server *s) { return __builtin_popcount(s->ever_mapped); }
static bool clients_ready(struct server *s) { return clients_mapped(s) >= s->opt.nclients; }
static void place(struct toplevel *tl);

static void spawn_clients(struct server *s) {
	s->spawned = true;
	s->fds_before = count_fds();
	for (int i = 0; i < s->opt.nclients; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			sigset_t set;
			sigemptyset(&set);
			sigprocmask(SIG_SETMASK, &set, NULL);
			setenv("WAYLAND_DISPLAY", s->socket, 1);
			char *cmd;
			if (asprintf(&cmd, "exec %s", s->opt.clients[i]) < 0) _exit(127);
			execl("/bin/sh", "/bin/sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		s->pids[i] = pid;
		say("client %d: '%s' (pid %d)", i, s->opt.clients[i], pid);
	}
	if (s->opt.nclients == 0) {
		s->ready_frame = s->frame;
		clock_gettime(CLOCK_MONOTONIC, &s->ready_at);
	}
}

static void finish(struct server *s) {
	if (s->done) return;
	s->done = true;
	wl_display_terminate(s->display);
}

static void output_frame(struct wl_listener *listener, void *data) {
	(void)data;
	struct output *o = wl_container_of(listener, o, frame);
	struct server *s = o->server;
	if (s->done) return;
	bool first = o->index == 0;
	if (first) {
		s->frame++;
		stats_end_frame(s);
	}

	/* Deadlines and events are driven by output 0's frames. */
	bool capture = false;
	if (first) {
		if (!s->spawned && s->frame >= 2) spawn_clients(s);
		if (s->spawned && s->ready_frame < 0) {
			double waited = now_ms(CLOCK_MONOTONIC) - ts_ms(&s->start);
			if (clients_ready(s) || waited > s->opt.ready_timeout * 1e3) {
				if (!clients_ready(s))
					say("warning: only %d of %d clients mapped after %.0f s; going on", clients_mapped(s),
						s->opt.nclients, s->opt.ready_timeout);
				else
					say("all %d clients mapped at frame %ld", s->opt.nclients, s->frame);
				s->ready_frame = s->frame;
				clock_gettime(CLOCK_MONOTONIC, &s->ready_at);
			}
		}
		if (s->ready_frame >= 0) {
			long f = s->frame - s->ready_frame;
			if (s->opt.kill_client >= 0 && f == s->opt.kill_frame && s->pids[s->opt.kill_client] > 0) {
				say("killing client %d (pid %d) at frame %ld", s->opt.kill_client,
					s->pids[s->opt.kill_client], f);
				kill(s->pids[s->opt.kill_client], SIGKILL);
			}
			double elapsed = now_ms(CLOCK_MONOTONIC) - ts_ms(&s->ready_at);
			bool end = ((s->opt.frames > 0 && f >= s->opt.frames) ||
				(s->opt.seconds > 0 && elapsed >= s->opt.seconds * 1e3)) && !device_loss_pending(s);
			if (end) {
				if (s->opt.screenshot && s->screenshots_pending > 0) capture = true;
				else { finish(s); return; }
			}
		}
	}
	if (s->screenshots_pending > 0 && !o->screenshot_done && s->ready_frame >= 0 && !device_loss_pending(s) &&
			s->opt.frames > 0 && s->frame - s->ready_frame >= s->opt.frames)
		capture = true;

	if (s->opt.move && first && s->ready_frame >= 0) {
		struct toplevel *tl;
		wl_list_for_each(tl, &s->toplevels, link) place(tl);
	}
	struct wlr_scene_output *so = o->scene_output;
	/* The screenshot is a full render, unless --damaged-screenshot. */
	if (capture && !s->opt.damaged_screenshot) wlr_damage_ring_add_whole(&so->damage_ring);
	struct wlr_output_state state;
	wlr_output_state_init(&state);
	device_loss_frame_begin(o);
	double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID), t0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
	bool ok = effects_build_state(o, &state);
	double w1 = now_ms(CLOCK_MONOTONIC), c1 = now_ms(CLOCK_PROCESS_CPUTIME_ID), t1 = now_ms(CLOCK_THREAD_CPUTIME_ID);
	device_loss_frame_end(o);
	bool rendered = ok && (state.committed & WLR_OUTPUT_STATE_BUFFER);
	if (!ok) say("output %s: rendering the scene failed", o->wlr_output->name);
	double gpu = -1;
	if (rendered && s->opt.gpu_timer && o->timer.render_timer) {
		int ns = wlr_render_timer_get_duration_ns(o->timer.render_timer);
		if (ns >= 0) gpu = ns / 1e6;
	}
	if (rendered && s->ready_frame >= 0) stats_add(s, w1 - w0, c1 - c0, t1 - t0, gpu);
	if (capture && rendered) {
		wlr_scene_output_for_each_buffer(so, print_buffer_box, o);
		print_frame_damage(o, &state);
		char *path = screenshot_path(s->opt.screenshot, o->index);
		if (save_buffer(s, state.buffer, path)) say("screenshot of %s: %s (%dx%d)", o->wlr_output->name,
			path, state.buffer->width, state.buffer->height);
		else s->exit_code = 1;
		free(path);
		o->screenshot_done = true;
		s->screenshots_pending--;
	}
	if (rendered) {
		memmove(o->recent + 1, o->recent, sizeof(o->recent) - sizeof(o->recent[0]));
		o->recent[0] = state.buffer;
	}
	if (ok && !wlr_output_commit_state(o->wlr_output, &state))
		say("output %s: commit failed", o->wlr_output->name);
	wlr_output_state_finish(&state);

	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (s->opt.frame_time_ms >= 0) {
		t.tv_sec = s->opt.frame_time_ms / 1000;
		t.tv_nsec = (s->opt.frame_time_ms % 1000) * 1000000;
	}
	wlr_scene_output_send_frame_done(so, &t);
	/* Keep frames coming also when nothing is damaged (frame counts and deadlines). */
	wlr_output_schedule_frame(o->wlr_output);
	if (s->screenshots_pending == 0 && capture) finish(s);
}

static void output_destroy(struct wl_listener *listener, void *data) {
	(void)data;
	struct output *o = wl_container_of(listener, o, destroy);
	wl_list_remove(&o->frame.link);
	wl_list_remove(&o->destroy.link);
	wl_list_remove(&o->link);
	wlr_scene_timer_finish(&o->timer);
	free(o);
}

static void server_new_output(struct wl_listener *listener, void *data) {
	struct server *s = wl_container_of(listener, s, new_output);
	struct wlr_output *wo = data;
	if (!wlr_output_init_render(wo, s->allocator, s->renderer)) {
		say("output %s: cannot initialise rendering", wo->name);
		return;
	}
	struct wlr_output_state state;
	wlr_output_state_init(&state);
	wlr_output_state_set_enabled(&state, true);
	struct wlr_output_mode *mode = wlr_output_preferred_mode(wo);
	if (mode) wlr_output_state_set_mode(&state, mode);
	else wlr_output_state_set_custom_mode(&state, s->opt.width, s->opt.height, s->opt.refresh_mhz);
	wlr_output_state_set_scale(&state, s->opt.scale);
	wlr_output_state_set_transform(&state, s->opt.transform);
	if (!wlr_output_commit_state(wo, &state)) say("output %s: mode commit failed", wo->name);
	wlr_output_state_finish(&state);

	struct output *o = calloc(1, sizeof(*o));
	o->server = s;
	o->wlr_output = wo;
	o->index = s->noutputs++;
	o->frame.notify = output_frame;
	wl_signal_add(&wo->events.frame, &o->frame);
	o->destroy.notify = output_destroy;
	wl_signal_add(&wo->events.destroy, &o->destroy);
	wl_list_insert(s->outputs.prev, &o->link);

	struct wlr_output_layout_output *lo = wlr_output_layout_add_auto(s->output_layout, wo);
	o->scene_output = wlr_scene_output_create(s->scene, wo);
	wlr_scene_output_layout_add_output(s->scene_layout, lo, o->scene_output);
	effects_output_new(o);
	if (s->opt.screenshot) s->screenshots_pending++;
	say("output %s: %dx%d, scale %.2f, transform %d, renderer %s", wo->name, wo->width, wo->height,
		wo->scale, (int)wo->transform, s->opt.renderer);
}

/* ---- toplevels ----------------------------------------------------------------------- */

static pid_t parent_pid(pid_t pid) {
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f) return 0;
	int ppid = 0;
	/* "pid (comm) state ppid ...": comm may hold spaces; ppid follows the last ')'. */
	char buf[512];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *close = strrchr(buf, ')');
	if (!close || sscanf(close + 1, " %*c %d", &ppid) != 1) return 0;
	return ppid;
}

/* The index of the --clients command whose process (or a process it forked) owns the toplevel
 * (fixed placement). */
static int client_slot(struct server *s, struct wlr_xdg_toplevel *t) {
	pid_t pid = 0;
	wl_client_get_credentials(wl_resource_get_client(t->resource), &pid, NULL, NULL);
	for (int depth = 0; depth < 4 && pid > 1; depth++, pid = parent_pid(pid))
		for (int i = 0; i < s->opt.nclients; i++) if (s->pids[i] == pid) return i;
	return MAX_CLIENTS - 1;
}

/* Client i's cell on the grid of output i % N (--outputs N; outputs side by side). */
static void place(struct toplevel *tl) {
	struct server *s = tl->server;
	int output_w = (int)((s->opt.transform % 2 ? s->opt.height : s->opt.width) / s->opt.scale);
	int cols = output_w / CELL_W;
	if (cols < 1) cols = 1;
	int output = tl->slot % s->opt.outputs, cell = tl->slot / s->opt.outputs;
	int dx = 0, dy = 0;
	if (s->opt.move && s->ready_frame >= 0) {  /* a deterministic wobble of +-8 px per frame */
		long f = s->frame - s->ready_frame + tl->slot;
		dx = (int)(f * 5 % 17) - 8;
		dy = (int)(f * 3 % 13) - 6;
	}
	wlr_scene_node_set_position(&tl->tree->node, output * output_w + 10 + (cell % cols) * CELL_W + dx,
		10 + (cell / cols) * CELL_H + dy);
}

static void toplevel_map(struct wl_listener *listener, void *data) {
	(void)data;
	struct toplevel *tl = wl_container_of(listener, tl, map);
	if (tl->slot < tl->server->opt.nclients) tl->server->ever_mapped |= 1u << tl->slot;
	say("toplevel '%s' of client %d mapped (%dx%d)", tl->xdg->title ? tl->xdg->title : "",
		tl->slot, tl->xdg->base->surface->current.width, tl->xdg->base->surface->current.height);
}

static void toplevel_commit(struct wl_listener *listener, void *data) {
	(void)data;
	struct toplevel *tl = wl_container_of(listener, tl, commit);
	if (tl->xdg->base->initial_commit) wlr_xdg_toplevel_set_size(tl->xdg, 0, 0);
	effects_toplevel_commit(tl);
}

static void toplevel_destroy(struct wl_listener *listener, void *data) {
	(void)data;
	struct toplevel *tl = wl_container_of(listener, tl, destroy);
	wl_list_remove(&tl->map.link);
	wl_list_remove(&tl->commit.link);
	wl_list_remove(&tl->destroy.link);
	device_loss_toplevel_finish(tl);
	wl_list_remove(&tl->link);
	free(tl);
}

static void server_new_xdg_toplevel(struct wl_listener *listener, void *data) {
	struct server *s = wl_container_of(listener, s, new_xdg_toplevel);
	struct wlr_xdg_toplevel *xt = data;
	struct toplevel *tl = calloc(1, sizeof(*tl));
	tl->server = s;
	tl->xdg = xt;
	tl->tree = wlr_scene_xdg_surface_create(&s->scene->tree, xt->base);
	tl->tree->node.data = tl;
	xt->base->data = tl->tree;
	tl->slot = client_slot(s, xt);
	place(tl);
	tl->map.notify = toplevel_map;
	wl_signal_add(&xt->base->surface->events.map, &tl->map);
	tl->commit.notify = toplevel_commit;
	wl_signal_add(&xt->base->surface->events.commit, &tl->commit);
	tl->destroy.notify = toplevel_destroy;
	wl_signal_add(&xt->events.destroy, &tl->destroy);
	device_loss_toplevel_init(tl);
	wl_list_insert(&s->toplevels, &tl->link);
	effects_toplevel_new(tl);
}

static void popup_commit(struct wl_listener *listener, void *data) {
	(void)data;
	struct popup *p = wl_container_of(listener, p, commit);
	if (p->xdg->base->initial_commit) wlr_xdg_surface_schedule_configure(p->xdg->base);
}

static void popup_destroy(struct wl_listener *listener, void *data) {
	(void)data;
	struct popup *p = wl_container_of(listener, p, destroy);
	wl_list_remove(&p->commit.link);
	wl_list_remove(&p->destroy.link);
	free(p);
}

static void server_new_xdg_popup(struct wl_listener *listener, void *data) {
	(void)listener;
	struct wlr_xdg_popup *xp = data;
	struct wlr_xdg_surface *parent = wlr_xdg_surface_try_from_wlr_surface(xp->parent);
	if (!parent || !parent->data) return;
	xp->base->data = wlr_scene_xdg_surface_create(parent->data, xp->base);
	struct popup *p = calloc(1, sizeof(*p));
	p->xdg = xp;
	p->commit.notify = popup_commit;
	wl_signal_add(&xp->base->surface->events.commit, &p->commit);
	p->destroy.notify = popup_destroy;
	wl_signal_add(&xp->events.destroy, &p->destroy);
}

/* ---- explicit sync (linux-drm-syncobj-v1) -------------------------------------------- */

/* What a compositor adds for sync: wlgpu_surface_sync_create() (wlgpu/wlr.h) holds commits
 * until their buffers are ready (acquire points on drivers whose GPU-side wait would block,
 * implicit write fences), and wlroots' own manager advertises the protocol when the renderer
 * and the backend support timelines. */
static void setup_sync(struct server *s) {
	if (strcmp(s->opt.renderer, "autocreate") == 0) {
		/* an unmodified compositor: the preload library's wlr_compositor_create adds it */
		say("explicit sync: not set up by this compositor (--renderer autocreate)");
		return;
	}
	s->surface_sync = wlgpu_surface_sync_create(s->compositor, s->renderer, (uint32_t)s->opt.acquire_timeout_ms);
	wlgpu_surface_sync_set_client_limits(s->surface_sync, s->opt.client_max_bytes, s->opt.client_max_buffers);
	const char *path = wlgpu_surface_sync_get_path(s->surface_sync);
	int fd = wlr_renderer_is_wlgpu(s->renderer) ? wlgpu_renderer_get_syncobj_drm_fd(s->renderer)
		: wlr_renderer_get_drm_fd(s->renderer);
	if (s->opt.no_syncobj || !path || !s->backend->features.timeline || fd < 0) {
		say("explicit sync: not advertised (%s; acquire path %s, backend timeline %d, syncobj fd %d)",
			s->opt.no_syncobj ? "--no-syncobj" : "no support", path ? path : "none",
			s->backend->features.timeline, fd);
		return;
	}
	s->syncobj_manager = wlr_linux_drm_syncobj_manager_v1_create(s->display, 1, fd);
	if (!s->syncobj_manager) { say("explicit sync: wlr_linux_drm_syncobj_manager_v1_create failed"); return; }
	say("explicit sync: linux-drm-syncobj-v1 advertised; acquire path %s", path);
}

/* ---- setup --------------------------------------------------------------------------- */

static int handle_sigchld(int sig, void *data) {
	(void)sig;
	struct server *s = data;
	pid_t pid;
	int status;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < s->opt.nclients; i++) {
			if (s->pids[i] != pid) continue;
			s->pids[i] = -1;
			if (WIFSIGNALED(status)) say("client %d (pid %d) ended by signal %d", i, pid, WTERMSIG(status));
			else say("client %d (pid %d) exited with status %d", i, pid, WEXITSTATUS(status));
		}
	}
	return 0;
}

static int handle_term(int sig, void *data) {
	say("signal %d: quitting", sig);
	finish(data);
	return 0;
}

struct wlr_renderer *create_renderer(struct server *s) {
	const char *name = s->opt.renderer;
	if (strcmp(name, "wlgpu") == 0) {
		/* Each imported client DMA-BUF holds about 2 fds: a compositor raises its own limit. */
		wlgpu_raise_fd_limit();
		struct wlr_renderer *r = wlgpu_renderer_create(s->backend);
		if (!r) return NULL;
		say("wlgpu renderer: %s", wlgpu_renderer_get_summary(r));
		/* The output buffers are this compositor's own (no other process has their fds): the
		 * GPU may write the rendered pixels straight into them (docs/perf.md). */
		wlgpu_renderer_set_trust_target_memory(r, true);
		return r;
	}
	if (strcmp(name, "pixman") == 0) return wlr_pixman_renderer_create();
	/* As an unmodified compositor does it: wlroots' choice, WLR_RENDERER from the environment
	 * (with libwlgpu-autocreate-V.so preloaded and WLR_RENDERER=wlgpu: wlgpu, through it). */
	if (strcmp(name, "autocreate") == 0) return wlr_renderer_autocreate(s->backend);
	if (strcmp(name, "gles2") == 0 || strcmp(name, "vulkan") == 0) {
		/* wlroots' own selection, forced to this renderer (it finds a DRM render node when
		 * the backend has none). */
		setenv("WLR_RENDERER", name, 1);
		struct wlr_renderer *r = wlr_renderer_autocreate(s->backend);
		unsetenv("WLR_RENDERER");
		return r;
	}
	say("unknown renderer '%s' (wlgpu, pixman, gles2, vulkan, autocreate)", name);
	return NULL;
}

static void usage(FILE *f) {
	fprintf(f,
		"usage: wlgpu-test-compositor [options]\n"
		"  --renderer R       wlgpu (default), pixman, gles2, vulkan, or autocreate: wlroots'\n"
		"                     wlr_renderer_autocreate/wlr_allocator_autocreate as an unmodified\n"
		"                     compositor calls them (WLR_RENDERER from the environment)\n"
		"  --backend B        headless (default) or auto (wlroots' choice: nested wayland/x11, DRM)\n"
		"  --size WxH         output size in pixels (default 1280x720)\n"
		"  --outputs N        number of headless outputs, side by side (default 1); --stats sums\n"
		"                     their render times per frame\n"
		"  --scale S          output scale (default 1)\n"
		"  --transform T      output transform: normal, 90, 180, 270, flipped, flipped-90, ...\n"
		"  --clients \"a;b\"    commands to launch (sh -c), ';'-separated; placed by their index\n"
		"                     (client i on output i %% N)\n"
		"  --frames N         stop N frames after every client mapped (default 120)\n"
		"  --seconds S        or stop S seconds after every client mapped\n"
		"  --screenshot F.png write the last frame of each output (F.png, F-1.png, ...)\n"
		"  --stats            print frame times (min, median, p99, mean)\n"
		"  --gpu-timer        with --stats: also the render timer per frame (wlr_scene_timer: GPU time\n"
		"                     of the render pass where the renderer has timestamps)\n"
		"  --frame-time MS    send this fixed time in frame callbacks (deterministic animations)\n"
		"  --refresh HZ       headless outputs' refresh rate (default: wlroots' 60 Hz); a high rate\n"
		"                     renders frames back to back (benchmarks: a warm frame against a paced one)\n"
		"  --kill I@F         kill client I (SIGKILL) F frames after every client mapped\n"
		"  --check-fds        fail if the compositor holds more fds at the end than before clients\n"
		"  --full-redraw      re-render the whole output every frame (benchmarks)\n"
		"  --damaged-screenshot  screenshot an incremental frame (damage only), not a full render\n"
		"  --move             move the toplevels a few pixels every frame once all are mapped\n"
		"  --ready-timeout S  wait at most S seconds for the clients to map (default 20)\n"
		"  --acquire-timeout MS  explicit sync: name a client whose acquire point stays unsignalled\n"
		"                     this long (default 2000; its surface keeps its previous content)\n"
		"  --no-syncobj       do not advertise linux-drm-syncobj-v1\n"
		"  --client-limits B,N  a client's surfaces may hold at most B bytes of buffers and N\n"
		"                     buffers (wlgpu_surface_sync_set_client_limits; 0: its default)\n"
		"  --lose-device P    on SIGUSR1, lose the (wlgpu) device: idle (at once, between frames),\n"
		"                     frame (in the next render pass), import (in the next client commit,\n"
		"                     before its import) or acquire (in the next commit held for its acquire\n"
		"                     point); the renderer is re-created as sway does, and --frames counts\n"
		"                     from the recovery (device_loss.c)\n"
		"  -v, --verbose      wlroots debug log\n");
	effects_usage(f);
}

static bool parse_transform(const char *s, enum wl_output_transform *t) {
	static const char *names[] = {"normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270"};
	for (int i = 0; i < 8; i++) if (strcmp(s, names[i]) == 0) { *t = i; return true; }
	return false;
}

static bool parse_args(int argc, char **argv, struct options *o) {
	*o = (struct options){.width = 1280, .height = 720, .outputs = 1, .scale = 1, .frames = 120,
		.renderer = "wlgpu", .backend = "headless", .frame_time_ms = -1, .kill_client = -1,
		.ready_timeout = 20, .acquire_timeout_ms = 2000};
	static const struct option longs[] = {
		{"renderer", 1, 0, 'r'}, {"backend", 1, 0, 'b'}, {"size", 1, 0, 's'}, {"outputs", 1, 0, 'o'},
		{"scale", 1, 0, 'S'}, {"transform", 1, 0, 't'}, {"clients", 1, 0, 'c'}, {"frames", 1, 0, 'f'},
		{"seconds", 1, 0, 'T'}, {"screenshot", 1, 0, 'p'}, {"stats", 0, 0, 'x'}, {"gpu-timer", 0, 0, 'g'}, {"frame-time", 1, 0, 'F'},
		{"kill", 1, 0, 'k'}, {"check-fds", 0, 0, 'd'}, {"full-redraw", 0, 0, 'R'},
		{"damaged-screenshot", 0, 0, 'D'}, {"move", 0, 0, 'M'},
		{"ready-timeout", 1, 0, 'w'}, {"verbose", 0, 0, 'v'}, {"help", 0, 0, 'h'},
		{"acquire-timeout", 1, 0, 'A'}, {"no-syncobj", 0, 0, 'N'}, {"lose-device", 1, 0, 'L'},
		{"client-limits", 1, 0, 'B'}, {"refresh", 1, 0, 'H'},
		EFFECTS_LONG_OPTIONS {0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "vh", longs, NULL)) != -1) {
		switch (c) {
		case 'r': o->renderer = optarg; break;
		case 'b': o->backend = optarg; break;
		case 's':
			if (sscanf(optarg, "%dx%d", &o->width, &o->height) != 2 || o->width <= 0 || o->height <= 0) {
				say("bad --size '%s'", optarg);
				return false;
			}
			break;
		case 'o': o->outputs = atoi(optarg); break;
		case 'S': o->scale = strtof(optarg, NULL); break;
		case 't':
			if (!parse_transform(optarg, &o->transform)) { say("bad --transform '%s'", optarg); return false; }
			break;
		case 'c': {
			free(o->client_list);  /* the last --clients wins */
			o->nclients = 0;
			char *list = o->client_list = strdup(optarg), *save = NULL;
			for (char *tok = strtok_r(list, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
				while (*tok == ' ') tok++;
				if (*tok && o->nclients < MAX_CLIENTS - 1) o->clients[o->nclients++] = tok;
			}
			break;
		}
		case 'f': o->frames = atoi(optarg); break;
		case 'T': o->seconds = atof(optarg); o->frames = 0; break;
		case 'p': o->screenshot = optarg; break;
		case 'x': o->stats = true; break;
		case 'g': o->gpu_timer = true; break;
		case 'F': o->frame_time_ms = atol(optarg); break;
		case 'H': {
			double hz = atof(optarg);
			if (!(hz > 0 && hz <= 100000)) {
				say("bad --refresh '%s' (Hz, 0 < HZ <= 100000)", optarg);
				return false;
			}
			o->refresh_mhz = (int32_t)(hz * 1000 + 0.5);
			break;
		}
		case 'k':
			if (sscanf(optarg, "%d@%d", &o->kill_client, &o->kill_frame) != 2) { say("bad --kill"); return false; }
			break;
		case 'd': o->check_fds = true; break;
		case 'R': o->full_redraw = true; break;
		case 'D': o->damaged_screenshot = true; break;
		case 'M': o->move = true; break;
		case 'w': o->ready_timeout = atof(optarg); break;
		case 'v': o->verbose = true; break;
		case 'A': o->acquire_timeout_ms = atol(optarg); break;
		case 'N': o->no_syncobj = true; break;
		case 'B':
			if (sscanf(optarg, "%llu,%u", &o->client_max_bytes, &o->client_max_buffers) != 2) {
				say("bad --client-limits '%s'", optarg);
				return false;
			}
			break;
		case 'L':
			if (!device_loss_parse(optarg, &o->lose_device)) { say("bad --lose-device '%s'", optarg); return false; }
			break;
		case 'h': usage(stdout); exit(0);
		case EFFECTS_FIRST_OPTION ... EFFECTS_LAST_OPTION:
			if (!effects_option(&o->fx, c, optarg)) return false;
			break;
		default: usage(stderr); return false;
		}
	}
	if (o->outputs < 1 || o->scale <= 0) { say("bad --outputs or --scale"); return false; }
	if (o->kill_client >= o->nclients) { say("--kill: no client %d", o->kill_client); return false; }
	return true;
}

static void ensure_runtime_dir(void) {
	if (getenv("XDG_RUNTIME_DIR")) return;
	char tmpl[] = "/tmp/wlgpu-runtime-XXXXXX";
	if (mkdtemp(tmpl)) {
		chmod(tmpl, 0700);
		setenv("XDG_RUNTIME_DIR", tmpl, 1);
		say("XDG_RUNTIME_DIR was unset; using %s", tmpl);
	}
}

/* wlr_renderer_init_wl_display, with wlgpu's check on linux-dmabuf-v1 buffers: a client whose
 * dma-buf wlgpu cannot import gets `failed` (or the protocol error) instead of a surface that
 * maps and shows nothing. */
static bool init_buffer_protocols(struct server *s) {
	if (!wlr_renderer_init_wl_shm(s->renderer, s->display)) { say("wl_shm failed"); return false; }
	if (!wlr_renderer_get_texture_formats(s->renderer, WLR_BUFFER_CAP_DMABUF)) return true;
	if (wlr_renderer_get_drm_fd(s->renderer) >= 0 && !wlr_drm_create(s->display, s->renderer)) {
		say("wl_drm failed");
		return false;
	}
	struct wlr_linux_dmabuf_v1 *dmabuf = wlr_linux_dmabuf_v1_create_with_renderer(s->display, 4, s->renderer);
	if (!dmabuf) { say("linux-dmabuf-v1 failed"); return false; }
	if (wlr_renderer_is_wlgpu(s->renderer) && strcmp(s->opt.renderer, "autocreate") != 0)
		wlr_linux_dmabuf_v1_set_check_dmabuf_callback(dmabuf, wlgpu_renderer_check_dmabuf, s->renderer);
	s->dmabuf = dmabuf;
	return true;
}

int main(int argc, char **argv) {
	struct server s = {0};
	if (!parse_args(argc, argv, &s.opt)) return 2;
	wlr_log_init(s.opt.verbose ? WLR_DEBUG : WLR_INFO, NULL);
	ensure_runtime_dir();
	if (s.opt.full_redraw) setenv("WLR_SCENE_DEBUG_DAMAGE", "rerender", 1);
	/* Screenshots must show what the renderer drew, not a client buffer scanned out. */
	setenv("WLR_SCENE_DISABLE_DIRECT_SCANOUT", "1", 1);
	s.ready_frame = -1;
	clock_gettime(CLOCK_MONOTONIC, &s.start);
	wl_list_init(&s.outputs);
	wl_list_init(&s.toplevels);

	s.display = wl_display_create();
	s.loop = wl_display_get_event_loop(s.display);
	if (strcmp(s.opt.backend, "headless") == 0) {
		s.backend = wlr_headless_backend_create(s.loop);
	} else {
		s.backend = wlr_backend_autocreate(s.loop, NULL);
	}
	if (!s.backend) { say("cannot create the %s backend", s.opt.backend); return 1; }
	s.renderer = create_renderer(&s);
	if (!s.renderer) {
		say("cannot create the %s renderer (run with -v for wlroots' reasons)", s.opt.renderer);
		return 3;
	}
	if (!init_buffer_protocols(&s)) return 1;
	/* wlroots' choice where it can allocate, else udmabuf, else shm (gbm fails on vgem);
	 * --renderer autocreate: wlr_allocator_autocreate, as an unmodified compositor calls it. */
	s.allocator = strcmp(s.opt.renderer, "autocreate") == 0 ? wlr_allocator_autocreate(s.backend, s.renderer)
		: wlgpu_allocator_autocreate(s.backend, s.renderer);
	if (!s.allocator) { say("cannot create an allocator for the %s renderer", s.opt.renderer); return 1; }

	s.compositor = wlr_compositor_create(s.display, 5, s.renderer);
	setup_sync(&s);
	device_loss_init(&s);
	wlr_subcompositor_create(s.display);
	wlr_data_device_manager_create(s.display);
	wlr_viewporter_create(s.display);
	s.output_layout = wlr_output_layout_create(s.display);
	wlr_xdg_output_manager_v1_create(s.display, s.output_layout);
	s.scene = wlr_scene_create();
	float bg[4] = {0.2f, 0.25f, 0.3f, 1.0f};
	wlr_scene_rect_create(&s.scene->tree, 16384, 16384, bg);
	effects_init(&s);
	s.scene_layout = wlr_scene_attach_output_layout(s.scene, s.output_layout);
	s.xdg_shell = wlr_xdg_shell_create(s.display, 3);
	s.new_xdg_toplevel.notify = server_new_xdg_toplevel;
	wl_signal_add(&s.xdg_shell->events.new_toplevel, &s.new_xdg_toplevel);
	s.new_xdg_popup.notify = server_new_xdg_popup;
	wl_signal_add(&s.xdg_shell->events.new_popup, &s.new_xdg_popup);
	s.seat = wlr_seat_create(s.display, "seat0");

	s.new_output.notify = server_new_output;
	wl_signal_add(&s.backend->events.new_output, &s.new_output);
	const char *socket = wl_display_add_socket_auto(s.display);
	if (!socket) { say("cannot create a Wayland socket"); return 1; }
	if (!wlr_backend_start(s.backend)) { say("cannot start the backend"); return 1; }
	/* After the start, so that new_output comes in creation order (HEADLESS-1 is output 0). */
	if (strcmp(s.opt.backend, "headless") == 0)
		for (int i = 0; i < s.opt.outputs; i++) wlr_headless_add_output(s.backend, s.opt.width, s.opt.height);
	/* The clients' environment only (spawn_clients): with WAYLAND_DISPLAY in the compositor's own,
	 * Mesa's Vulkan device-select layer connects to this very compositor while a renderer is
	 * created (vkEnumeratePhysicalDevices) and waits for its answer: a renderer re-created after
	 * a device loss (device_loss.c) deadlocked there. */
	s.socket = socket;
	say("running on WAYLAND_DISPLAY=%s (%s backend, %s renderer, pid %d)", socket, s.opt.backend,
		s.opt.renderer, getpid());

	struct wl_event_source *sigchld = wl_event_loop_add_signal(s.loop, SIGCHLD, handle_sigchld, &s);
	struct wl_event_source *sigint = wl_event_loop_add_signal(s.loop, SIGINT, handle_term, &s);
	struct wl_event_source *sigterm = wl_event_loop_add_signal(s.loop, SIGTERM, handle_term, &s);
	wl_display_run(s.display);

	for (int i = 0; i < s.opt.nclients; i++) if (s.pids[i] > 0) kill(s.pids[i], SIGTERM);
	wl_display_destroy_clients(s.display);
	for (int i = 0; i < s.opt.nclients; i++) if (s.pids[i] > 0) waitpid(s.pids[i], NULL, 0);
	if (s.opt.check_fds) s.fds_after = count_fds_settled(s.renderer, s.fds_before);
	stats_end_frame(&s);
	if (s.opt.stats) print_stats(&s);
	if (s.opt.stats || s.syncobj_manager) print_sync_stats(&s);
	if (s.screenshots_pending > 0 && s.opt.screenshot) { say("no screenshot was taken"); s.exit_code = 1; }
	if (s.opt.check_fds) {
		say("fds: %d before the clients, %d after they are gone", s.fds_before, s.fds_after);
		if (s.fds_after > s.fds_before) {
			say("fd leak: %d more", s.fds_after - s.fds_before);
			print_fds();
			s.exit_code = 1;
		}
	}
	device_loss_finish(&s);
	wl_event_source_remove(sigchld);
	wl_event_source_remove(sigint);
	wl_event_source_remove(sigterm);
	wl_list_remove(&s.new_xdg_toplevel.link);
	wl_list_remove(&s.new_xdg_popup.link);
	wl_list_remove(&s.new_output.link);
	wlr_scene_node_destroy(&s.scene->tree.node);
	effects_finish(&s);
	wlr_backend_destroy(s.backend);
	wlr_allocator_destroy(s.allocator);
	wlr_renderer_destroy(s.renderer);
	wl_display_destroy(s.display);
	free(s.ms_wall);
	free(s.ms_cpu);
	free(s.ms_thread);
	free(s.ms_gpu);
	free(s.opt.client_list);
	say("done (exit %d)", s.exit_code);
	return s.exit_code;
}
