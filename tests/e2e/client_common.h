/* What the test clients (tests/e2e/..._client.c) share: time, DRM nodes, udmabufs, one xdg
 * toplevel, frame callbacks and dispatching with a timeout. Errors are returned, never fatal:
 * each client reports them in its own result lines. */
#ifndef WLGPU_TEST_CLIENT_COMMON_H
#define WLGPU_TEST_CLIENT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-client.h>

#include "xdg-shell-client-protocol.h"

double tc_now_ms(void);

/* Opens the first /dev/dri/<prefix>N whose DRM driver is `driver` ("vgem"), or, with driver
 * NULL, the first with timeline syncobjs. -1 if none. */
int tc_open_drm(const char *prefix, const char *driver);

/* A udmabuf of at least size bytes (rounded up to pages) over a memfd sealed against
 * shrinking; every 32-bit word set to fill. *map (if map is not NULL) gets a read-write mapping
 * of it. Returns the dma-buf fd, or -1 with errno set. */
int tc_udmabuf(size_t size, uint32_t fill, uint32_t **map);

/* The globals a window client binds: wl_compositor (version 4), wl_shm and xdg_wm_base (1). */
struct tc_globals {
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm;
};
/* Binds them (one round trip); false when one is missing. */
bool tc_bind_globals(struct wl_display *display, struct tc_globals *g);

/* A w x h XRGB8888 wl_shm buffer in a memfd of its own (sealed against shrinking when seal);
 * *pixels (when pixels is not NULL) gets its read-write mapping of w * h * 4 bytes for the caller
 * to fill and munmap. NULL on failure. */
struct wl_buffer *tc_shm_buffer(struct wl_shm *shm, int w, int h, bool seal, uint32_t **pixels);
/* The same, filled with opaque random pixels from seed (rand_r) and unmapped. */
struct wl_buffer *tc_shm_buffer_random(struct wl_shm *shm, int w, int h, bool seal, unsigned seed);

/* An xdg toplevel: surface, xdg_surface, toplevel with title; pongs pings; closing exits(0). */
struct tc_window {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
};
/* Creates the window and commits it without a buffer; dispatch until w->configured. */
void tc_window_init(struct tc_window *w, struct wl_compositor *compositor, struct xdg_wm_base *wm, const char *title);

/* Asks for a frame callback on s; *done is false until it arrives. */
void tc_request_frame(struct wl_surface *s, bool *done);

/* Flushes and dispatches events for up to ms milliseconds, or until *until (if not NULL) is
 * true. Returns 1 when *until became true, 0 on timeout, -1 when the connection failed. */
int tc_dispatch(struct wl_display *display, int ms, const bool *until);

#endif
