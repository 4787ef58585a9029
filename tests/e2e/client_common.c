/* The pieces test clients share (client_common.h). */
#define _GNU_SOURCE
#include "client_common.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/udmabuf.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>

double tc_now_ms(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int tc_open_drm(const char *prefix, const char *driver) {
	char pat[64];
	glob_t g;
	snprintf(pat, sizeof pat, "/dev/dri/%s[0-9]*", prefix);
	if (glob(pat, 0, NULL, &g)) return -1;
	int fd = -1;
	for (size_t i = 0; i < g.gl_pathc && fd < 0; i++) {
		fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);
		if (fd < 0) continue;
		drmVersionPtr v = drmGetVersion(fd);
		uint64_t cap = 0;
		bool ok = v && (driver ? strcmp(v->name, driver) == 0
			: drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) == 0 && cap);
		if (!ok) { close(fd); fd = -1; }
		drmFreeVersion(v);
	}
	globfree(&g);
	return fd;
}

int tc_udmabuf(size_t size, uint32_t fill, uint32_t **map) {
	size = (size + 4095) & ~(size_t)4095;
	int memfd = memfd_create("wlgpu-test-client", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0) return -1;
	int fd = -1, dev = -1, err = 0;
	uint32_t *px = MAP_FAILED;
	if (ftruncate(memfd, (off_t)size) < 0) goto out;
	px = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (px == MAP_FAILED) goto out;
	for (size_t i = 0; i < size / 4; i++) px[i] = fill;
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) goto out;
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) goto out;
	struct udmabuf_create uc = {.memfd = (uint32_t)memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = size};
	fd = ioctl(dev, UDMABUF_CREATE, &uc);
out:
	err = errno;
	if (dev >= 0) close(dev);
	if (px != MAP_FAILED && (fd < 0 || !map)) munmap(px, size);
	else if (map) *map = px;
	close(memfd);
	errno = err;
	return fd;
}

static void global(void *d, struct wl_registry *r, uint32_t name, const char *iface, uint32_t ver) {
	(void)ver;
	struct tc_globals *g = d;
	if (!strcmp(iface, wl_compositor_interface.name)) g->compositor = wl_registry_bind(r, name, &wl_compositor_interface, 4);
	else if (!strcmp(iface, wl_shm_interface.name)) g->shm = wl_registry_bind(r, name, &wl_shm_interface, 1);
	else if (!strcmp(iface, xdg_wm_base_interface.name)) g->wm = wl_registry_bind(r, name, &xdg_wm_base_interface, 1);
}
static void global_remove(void *d, struct wl_registry *r, uint32_t name) { (void)d, (void)r, (void)name; }
static const struct wl_registry_listener registry_listener = {global, global_remove};

bool tc_bind_globals(struct wl_display *display, struct tc_globals *g) {
	*g = (struct tc_globals){0};
	struct wl_registry *reg = wl_display_get_registry(display);
	wl_registry_add_listener(reg, &registry_listener, g);
	wl_display_roundtrip(display);
	return g->compositor && g->shm && g->wm;
}

struct wl_buffer *tc_shm_buffer(struct wl_shm *shm, int w, int h, bool seal, uint32_t **pixels) {
	const size_t size = (size_t)w * 4 * h;
	int fd = memfd_create("wlgpu-test-client-shm", MFD_CLOEXEC | (seal ? MFD_ALLOW_SEALING : 0));
	if (fd < 0) return NULL;
	if (ftruncate(fd, (off_t)size) < 0 || (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)) {
		close(fd);
		return NULL;
	}
	if (pixels) {
		*pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (*pixels == MAP_FAILED) { close(fd); return NULL; }
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, fd, (int32_t)size);
	struct wl_buffer *b = wl_shm_pool_create_buffer(pool, 0, w, h, w * 4, WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return b;
}

struct wl_buffer *tc_shm_buffer_random(struct wl_shm *shm, int w, int h, bool seal, unsigned seed) {
	uint32_t *px = NULL;
	struct wl_buffer *b = tc_shm_buffer(shm, w, h, seal, &px);
	if (!b) return NULL;
	for (size_t i = 0; i < (size_t)w * h; i++) px[i] = 0xff000000u | (uint32_t)rand_r(&seed);
	munmap(px, (size_t)w * 4 * h);
	return b;
}

static void wm_ping(void *d, struct xdg_wm_base *wm, uint32_t serial) { (void)d; xdg_wm_base_pong(wm, serial); }
static const struct xdg_wm_base_listener wm_listener = {wm_ping};
static void xs_configure(void *d, struct xdg_surface *s, uint32_t serial) {
	xdg_surface_ack_configure(s, serial);
	((struct tc_window *)d)->configured = true;
}
static const struct xdg_surface_listener xs_listener = {xs_configure};
static void tl_configure(void *d, struct xdg_toplevel *t, int32_t w, int32_t h, struct wl_array *s) {
	(void)d; (void)t; (void)w; (void)h; (void)s;
}
static void tl_close(void *d, struct xdg_toplevel *t) { (void)d; (void)t; exit(0); }
static const struct xdg_toplevel_listener tl_listener = {.configure = tl_configure, .close = tl_close};

void tc_window_init(struct tc_window *w, struct wl_compositor *compositor, struct xdg_wm_base *wm, const char *title) {
	if (!wl_proxy_get_listener((struct wl_proxy *)wm)) xdg_wm_base_add_listener(wm, &wm_listener, NULL);
	w->configured = false;
	w->surface = wl_compositor_create_surface(compositor);
	w->xdg_surface = xdg_wm_base_get_xdg_surface(wm, w->surface);
	xdg_surface_add_listener(w->xdg_surface, &xs_listener, w);
	w->toplevel = xdg_surface_get_toplevel(w->xdg_surface);
	xdg_toplevel_add_listener(w->toplevel, &tl_listener, w);
	xdg_toplevel_set_title(w->toplevel, title);
	wl_surface_commit(w->surface);
}

static void frame_done(void *d, struct wl_callback *cb, uint32_t t) {
	(void)t;
	wl_callback_destroy(cb);
	*(bool *)d = true;
}
static const struct wl_callback_listener frame_listener = {frame_done};

void tc_request_frame(struct wl_surface *s, bool *done) {
	*done = false;
	wl_callback_add_listener(wl_surface_frame(s), &frame_listener, done);
}

int tc_dispatch(struct wl_display *display, int ms, const bool *until) {
	double end = tc_now_ms() + ms;
	while (!(until && *until)) {
		int left = (int)(end - tc_now_ms());
		if (left <= 0) return 0;
		wl_display_flush(display);
		if (wl_display_prepare_read(display) != 0) {
			if (wl_display_dispatch_pending(display) < 0) return -1;
			continue;
		}
		struct pollfd p = {.fd = wl_display_get_fd(display), .events = POLLIN};
		if (poll(&p, 1, left) > 0) {
			if (wl_display_read_events(display) < 0) return -1;
		} else {
			wl_display_cancel_read(display);
		}
		if (wl_display_dispatch_pending(display) < 0) return -1;
	}
	return 1;
}
