/*
 * wlgpu-tinywl: wlroots' tinywl, cut down, rendering with wlgpu. Copy it to start a compositor.
 *
 *   wlgpu-tinywl [-s STARTUP_COMMAND]
 *
 * wlroots 0.20, wlr_backend_autocreate: nested in a Wayland or X11 session (WAYLAND_DISPLAY /
 * DISPLAY), on DRM from a VT, or headless with WLR_BACKENDS=headless (one 1280x720 output).
 * wlr_scene draws xdg-shell toplevels and popups; clients give wl_shm or linux-dmabuf-v1 buffers,
 * with linux-drm-syncobj-v1 explicit sync where the renderer supports timelines. Screenshots:
 * grim (wlr-screencopy or ext-image-copy-capture). Keyboard: the newest window has the focus,
 * Alt+Escape quits. No pointer, no move/resize: add them from tinywl.
 *
 * What wlgpu adds to tinywl is marked "wlgpu:" (a handful of calls); the rest is plain wlroots.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <xkbcommon/xkbcommon.h>
#include <wlr/backend.h>
#include <wlr/render/allocator.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_ext_image_capture_source_v1.h>
#include <wlr/types/wlr_ext_image_copy_capture_v1.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_linux_dmabuf_v1.h>
#include <wlr/types/wlr_linux_drm_syncobj_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_screencopy_v1.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_subcompositor.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include "wlgpu/wlr.h"
#include "wlgpu/wlr_sync.h"

struct server {
	struct wl_display *display;
	struct wlr_backend *backend;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_scene *scene;
	struct wlr_scene_output_layout *scene_layout;
	struct wlr_output_layout *output_layout;
	struct wlr_seat *seat;
	struct wl_listener new_output, new_input, new_toplevel, new_popup;
};

struct output {
	struct server *server;
	struct wlr_output *wlr_output;
	struct wl_listener frame, request_state, destroy;
};

struct toplevel {
	struct server *server;
	struct wlr_xdg_toplevel *xdg;
	struct wl_listener map, commit, destroy;
};

struct popup {
	struct wlr_xdg_popup *xdg;
	struct wl_listener commit, destroy;
};

struct keyboard {
	struct server *server;
	struct wlr_keyboard *wlr_keyboard;
	struct wl_listener modifiers, key, destroy;
};

/* ---- outputs ---- */

static void output_frame(struct wl_listener *listener, void *data) {
	struct output *output = wl_container_of(listener, output, frame);
	struct wlr_scene_output *scene_output =
		wlr_scene_get_scene_output(output->server->scene, output->wlr_output);
	wlr_scene_output_commit(scene_output, NULL);  /* renders the scene with wlgpu */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	wlr_scene_output_send_frame_done(scene_output, &now);
}

static void output_request_state(struct wl_listener *listener, void *data) {
	struct output *output = wl_container_of(listener, output, request_state);
	const struct wlr_output_event_request_state *event = data;
	wlr_output_commit_state(output->wlr_output, event->state);  /* the nested window resized */
}

static void output_destroy(struct wl_listener *listener, void *data) {
	struct output *output = wl_container_of(listener, output, destroy);
	wl_list_remove(&output->frame.link);
	wl_list_remove(&output->request_state.link);
	wl_list_remove(&output->destroy.link);
	free(output);
}

static void server_new_output(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, new_output);
	struct wlr_output *wlr_output = data;
	wlr_output_init_render(wlr_output, server->allocator, server->renderer);

	struct wlr_output_state state;
	wlr_output_state_init(&state);
	wlr_output_state_set_enabled(&state, true);
	struct wlr_output_mode *mode = wlr_output_preferred_mode(wlr_output);
	if (mode) wlr_output_state_set_mode(&state, mode);
	wlr_output_commit_state(wlr_output, &state);
	wlr_output_state_finish(&state);

	struct output *output = calloc(1, sizeof(*output));
	output->server = server;
	output->wlr_output = wlr_output;
	output->frame.notify = output_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->request_state.notify = output_request_state;
	wl_signal_add(&wlr_output->events.request_state, &output->request_state);
	output->destroy.notify = output_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);

	struct wlr_output_layout_output *l_output = wlr_output_layout_add_auto(server->output_layout, wlr_output);
	struct wlr_scene_output *scene_output = wlr_scene_output_create(server->scene, wlr_output);
	wlr_scene_output_layout_add_output(server->scene_layout, l_output, scene_output);
}

/* ---- keyboard ---- */

static void keyboard_modifiers(struct wl_listener *listener, void *data) {
	struct keyboard *kb = wl_container_of(listener, kb, modifiers);
	wlr_seat_set_keyboard(kb->server->seat, kb->wlr_keyboard);
	wlr_seat_keyboard_notify_modifiers(kb->server->seat, &kb->wlr_keyboard->modifiers);
}

static void keyboard_key(struct wl_listener *listener, void *data) {
	struct keyboard *kb = wl_container_of(listener, kb, key);
	struct wlr_keyboard_key_event *event = data;
	const xkb_keysym_t *syms;
	int n = xkb_state_key_get_syms(kb->wlr_keyboard->xkb_state, event->keycode + 8, &syms);
	bool alt = wlr_keyboard_get_modifiers(kb->wlr_keyboard) & WLR_MODIFIER_ALT;
	for (int i = 0; i < n; i++) {
		if (alt && event->state == WL_KEYBOARD_KEY_STATE_PRESSED && syms[i] == XKB_KEY_Escape) {
			wl_display_terminate(kb->server->display);
			return;
		}
	}
	wlr_seat_set_keyboard(kb->server->seat, kb->wlr_keyboard);
	wlr_seat_keyboard_notify_key(kb->server->seat, event->time_msec, event->keycode, event->state);
}

static void keyboard_destroy(struct wl_listener *listener, void *data) {
	struct keyboard *kb = wl_container_of(listener, kb, destroy);
	wl_list_remove(&kb->modifiers.link);
	wl_list_remove(&kb->key.link);
	wl_list_remove(&kb->destroy.link);
	free(kb);
}

static void server_new_input(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, new_input);
	struct wlr_input_device *device = data;
	if (device->type != WLR_INPUT_DEVICE_KEYBOARD) return;
	struct keyboard *kb = calloc(1, sizeof(*kb));
	kb->server = server;
	kb->wlr_keyboard = wlr_keyboard_from_input_device(device);
	struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_keymap *keymap = xkb_keymap_new_from_names(context, NULL, XKB_KEYMAP_COMPILE_NO_FLAGS);
	wlr_keyboard_set_keymap(kb->wlr_keyboard, keymap);
	xkb_keymap_unref(keymap);
	xkb_context_unref(context);
	wlr_keyboard_set_repeat_info(kb->wlr_keyboard, 25, 600);
	kb->modifiers.notify = keyboard_modifiers;
	wl_signal_add(&kb->wlr_keyboard->events.modifiers, &kb->modifiers);
	kb->key.notify = keyboard_key;
	wl_signal_add(&kb->wlr_keyboard->events.key, &kb->key);
	kb->destroy.notify = keyboard_destroy;
	wl_signal_add(&device->events.destroy, &kb->destroy);
	wlr_seat_set_keyboard(server->seat, kb->wlr_keyboard);
	wlr_seat_set_capabilities(server->seat, WL_SEAT_CAPABILITY_KEYBOARD);
}

/* ---- xdg-shell ---- */

static void toplevel_map(struct wl_listener *listener, void *data) {
	struct toplevel *toplevel = wl_container_of(listener, toplevel, map);
	struct wlr_seat *seat = toplevel->server->seat;
	struct wlr_keyboard *kb = wlr_seat_get_keyboard(seat);
	wlr_xdg_toplevel_set_activated(toplevel->xdg, true);
	if (kb)
		wlr_seat_keyboard_notify_enter(seat, toplevel->xdg->base->surface, kb->keycodes, kb->num_keycodes,
			&kb->modifiers);
}

static void toplevel_commit(struct wl_listener *listener, void *data) {
	struct toplevel *toplevel = wl_container_of(listener, toplevel, commit);
	if (toplevel->xdg->base->initial_commit) wlr_xdg_toplevel_set_size(toplevel->xdg, 0, 0);
}

static void toplevel_destroy(struct wl_listener *listener, void *data) {
	struct toplevel *toplevel = wl_container_of(listener, toplevel, destroy);
	wl_list_remove(&toplevel->map.link);
	wl_list_remove(&toplevel->commit.link);
	wl_list_remove(&toplevel->destroy.link);
	free(toplevel);
}

static void server_new_toplevel(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, new_toplevel);
	struct wlr_xdg_toplevel *xdg = data;
	struct toplevel *toplevel = calloc(1, sizeof(*toplevel));
	toplevel->server = server;
	toplevel->xdg = xdg;
	xdg->base->data = wlr_scene_xdg_surface_create(&server->scene->tree, xdg->base);
	toplevel->map.notify = toplevel_map;
	wl_signal_add(&xdg->base->surface->events.map, &toplevel->map);
	toplevel->commit.notify = toplevel_commit;
	wl_signal_add(&xdg->base->surface->events.commit, &toplevel->commit);
	toplevel->destroy.notify = toplevel_destroy;
	wl_signal_add(&xdg->events.destroy, &toplevel->destroy);
}

static void popup_commit(struct wl_listener *listener, void *data) {
	struct popup *popup = wl_container_of(listener, popup, commit);
	if (popup->xdg->base->initial_commit) wlr_xdg_surface_schedule_configure(popup->xdg->base);
}

static void popup_destroy(struct wl_listener *listener, void *data) {
	struct popup *popup = wl_container_of(listener, popup, destroy);
	wl_list_remove(&popup->commit.link);
	wl_list_remove(&popup->destroy.link);
	free(popup);
}

static void server_new_popup(struct wl_listener *listener, void *data) {
	struct wlr_xdg_popup *xdg = data;
	struct wlr_xdg_surface *parent = wlr_xdg_surface_try_from_wlr_surface(xdg->parent);
	if (!parent || !parent->data) return;
	xdg->base->data = wlr_scene_xdg_surface_create(parent->data, xdg->base);
	struct popup *popup = calloc(1, sizeof(*popup));
	popup->xdg = xdg;
	popup->commit.notify = popup_commit;
	wl_signal_add(&xdg->base->surface->events.commit, &popup->commit);
	popup->destroy.notify = popup_destroy;
	wl_signal_add(&xdg->events.destroy, &popup->destroy);
}

static int handle_signal(int sig, void *data) {
	wl_display_terminate(data);  /* SIGINT, SIGTERM: quit cleanly */
	return 0;
}

int main(int argc, char **argv) {
	const char *startup_cmd = NULL;
	int c;
	while ((c = getopt(argc, argv, "s:h")) != -1) {
		if (c != 's') {
			fprintf(stderr, "usage: %s [-s STARTUP_COMMAND]\n", argv[0]);
			return c == 'h' ? 0 : 1;
		}
		startup_cmd = optarg;
	}
	wlr_log_init(WLR_INFO, NULL);
	struct server server = {0};
	server.display = wl_display_create();
	struct wl_event_loop *loop = wl_display_get_event_loop(server.display);
	server.backend = wlr_backend_autocreate(loop, NULL);
	if (!server.backend) return 1;

	/* wlgpu: each client DMA-BUF the renderer caches holds about 2 fds; raising the limit is the
	 * compositor's choice. */
	wlgpu_raise_fd_limit();
	/* wlgpu: the renderer (tinywl: wlr_renderer_autocreate). */
	server.renderer = wlgpu_renderer_create(server.backend);
	if (!server.renderer) return 1;  /* it logs the adapter it renders on, or why it could not start */
	/* Buffer protocols (tinywl: wlr_renderer_init_wl_display). wlgpu: linux-dmabuf-v1 checks
	 * each client DMA-BUF with wlgpu's validation, so a bad one gets the protocol's error. */
	wlr_renderer_init_wl_shm(server.renderer, server.display);
	if (wlr_renderer_get_texture_formats(server.renderer, WLR_BUFFER_CAP_DMABUF)) {
		struct wlr_linux_dmabuf_v1 *dmabuf =
			wlr_linux_dmabuf_v1_create_with_renderer(server.display, 4, server.renderer);
		wlr_linux_dmabuf_v1_set_check_dmabuf_callback(dmabuf, wlgpu_renderer_check_dmabuf, server.renderer);
	}
	server.allocator = wlr_allocator_autocreate(server.backend, server.renderer);
	if (!server.allocator) return 1;

	struct wlr_compositor *compositor = wlr_compositor_create(server.display, 5, server.renderer);
	/* wlgpu: explicit and implicit sync for client buffers (commits held until their acquire
	 * point or write fences signal), then wlroots' own linux-drm-syncobj-v1 where the renderer
	 * and backend support timelines. docs/sync.md. */
	struct wlgpu_surface_sync *sync = wlgpu_surface_sync_create(compositor, server.renderer, 0);
	int syncobj_fd = wlgpu_renderer_get_syncobj_drm_fd(server.renderer);
	if (wlgpu_surface_sync_get_path(sync) && server.backend->features.timeline && syncobj_fd >= 0)
		wlr_linux_drm_syncobj_manager_v1_create(server.display, 1, syncobj_fd);
	wlr_subcompositor_create(server.display);
	wlr_data_device_manager_create(server.display);
	/* Screenshots (grim): wlr-screencopy and ext-image-copy-capture. */
	wlr_screencopy_manager_v1_create(server.display);
	wlr_ext_image_copy_capture_manager_v1_create(server.display, 1);
	wlr_ext_output_image_capture_source_manager_v1_create(server.display, 1);

	server.output_layout = wlr_output_layout_create(server.display);
	server.new_output.notify = server_new_output;
	wl_signal_add(&server.backend->events.new_output, &server.new_output);
	server.scene = wlr_scene_create();
	server.scene_layout = wlr_scene_attach_output_layout(server.scene, server.output_layout);

	struct wlr_xdg_shell *xdg_shell = wlr_xdg_shell_create(server.display, 3);
	server.new_toplevel.notify = server_new_toplevel;
	wl_signal_add(&xdg_shell->events.new_toplevel, &server.new_toplevel);
	server.new_popup.notify = server_new_popup;
	wl_signal_add(&xdg_shell->events.new_popup, &server.new_popup);

	server.seat = wlr_seat_create(server.display, "seat0");
	server.new_input.notify = server_new_input;
	wl_signal_add(&server.backend->events.new_input, &server.new_input);

	const char *socket = wl_display_add_socket_auto(server.display);
	if (!socket || !wlr_backend_start(server.backend)) return 1;
	setenv("WAYLAND_DISPLAY", socket, true);
	if (startup_cmd && fork() == 0) {
		execl("/bin/sh", "/bin/sh", "-c", startup_cmd, (void *)NULL);
		_exit(127);
	}
	wlr_log(WLR_INFO, "Running Wayland compositor on WAYLAND_DISPLAY=%s", socket);
	struct wl_event_source *sigint = wl_event_loop_add_signal(loop, SIGINT, handle_signal, server.display);
	struct wl_event_source *sigterm = wl_event_loop_add_signal(loop, SIGTERM, handle_signal, server.display);
	wl_display_run(server.display);
	wl_event_source_remove(sigint);
	wl_event_source_remove(sigterm);

	wl_display_destroy_clients(server.display);
	wl_list_remove(&server.new_output.link);
	wl_list_remove(&server.new_input.link);
	wl_list_remove(&server.new_toplevel.link);
	wl_list_remove(&server.new_popup.link);
	wlr_scene_node_destroy(&server.scene->tree.node);
	wlr_backend_destroy(server.backend);
	wlr_allocator_destroy(server.allocator);
	wlr_renderer_destroy(server.renderer);
	wl_display_destroy(server.display);
	return 0;
}
