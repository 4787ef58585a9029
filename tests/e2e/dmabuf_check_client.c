/*
 * dmabuf_check_client: sends malformed linux-dmabuf-v1 buffers to the compositor, one after
 * another, and checks that each gets the protocol's answer (tests/e2e/dmabuf_check.py): a
 * `failed` event for create, the INVALID_WL_BUFFER protocol error for create_immed (each on a
 * connection of its own: the error ends it). Every case passes wlroots' own checks (fds set,
 * no gaps, plane 0 inside its buffer, offset+stride inside every buffer); only the renderer's
 * check (wlgpu_renderer_check_dmabuf) can refuse them. Then a valid XRGB8888 buffer must be
 * created (both ways), map as an xdg toplevel and get a frame callback; a valid NV12 buffer
 * must be created. Buffers are real dma-bufs (udmabuf); one case is a memfd.
 *
 * Results: lines "DMABUF_CHECK <case> <create|immed> <failed|error=N|created|...>", then
 * "DMABUF_CHECK PASS" or "DMABUF_CHECK FAIL ..." (exit 1). After PASS the client stays
 * connected, showing the valid buffer, until the compositor ends it.
 * Must run in the test bed (/dev/udmabuf): it fails, never skips, without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <drm_fourcc.h>

#include "client_common.h"
#include "linux-dmabuf-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define W 64
#define H 32
#define COLOR 0xff30a0d0u /* XRGB of the valid buffer (dmabuf_check.py looks for it) */

#define out(...) do { printf("DMABUF_CHECK "); printf(__VA_ARGS__); printf("\n"); fflush(stdout); } while (0)
#define die(...) do { out("FAIL " __VA_ARGS__); exit(1); } while (0)

static int failures;

/* ---- buffers ------------------------------------------------------------------------- */

/* A udmabuf of size bytes filled with fill (4-byte pattern); the dma-buf fd. */
static int udmabuf(size_t size, uint32_t fill) {
	int fd = tc_udmabuf(size, fill, NULL);
	if (fd < 0) die("udmabuf: %s (run in the test bed)", strerror(errno));
	return fd;
}

static int plain_memfd(size_t size) {
	int fd = memfd_create("dmabuf-check-not-a-dmabuf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) die("memfd: %s", strerror(errno));
	return fd;
}

struct plane {
	int fd; /* owned by the case */
	uint32_t offset, stride;
};

struct params {
	const char *name;
	int32_t width, height;
	uint32_t format;
	uint64_t modifier;
	int n_planes;
	struct plane planes[4];
};

static void params_free(struct params *p) {
	for (int i = 0; i < p->n_planes; i++)
		if (p->planes[i].fd >= 0) close(p->planes[i].fd);
}

/* The cases of the defect report; each passes wlroots' own checks in params_create_common. */
static int make_bad(struct params *c, int i) {
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	memset(c, 0, sizeof(*c));
	c->width = W, c->height = H, c->modifier = linear;
	switch (i) {
	case 0:  /* NV12, plane 1 (64 x 16 rows) starts 64 bytes before the end of its own dma-buf */
		*c = (struct params){"nv12_plane1_past_end", W, H, DRM_FORMAT_NV12, linear, 2,
			{{udmabuf(4096, 0x80808080), 0, W}, {udmabuf(4096, 0x80808080), 4096 - W, W}}};
		return 1;
	case 1:  /* stride below width x 4 */
		*c = (struct params){"stride_below_width", W, H, DRM_FORMAT_XRGB8888, linear, 1, {{udmabuf(W * 4 * H, 0), 0, W * 2}}};
		return 1;
	case 2:  /* NV12, both planes in one dma-buf, plane 1 inside plane 0 */
		*c = (struct params){"overlapping_planes", W, H, DRM_FORMAT_NV12, linear, 2,
			{{udmabuf(8192, 0), 0, W}, {-1, 1024, W}}};
		c->planes[1].fd = dup(c->planes[0].fd);
		return 1;
	case 3:  /* a modifier this renderer does not advertise (Intel X-tiling), RGB layout */
		*c = (struct params){"unknown_modifier", W, H, DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_X_TILED, 1,
			{{udmabuf(W * 4 * H, 0), 0, W * 4}}};
		return 1;
	case 4:  /* NV12 with one plane */
		*c = (struct params){"wrong_plane_count", W, H, DRM_FORMAT_NV12, linear, 1, {{udmabuf(8192, 0), 0, W}}};
		return 1;
	case 5:  /* implicit modifier */
		*c = (struct params){"implicit_modifier", W, H, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID, 1,
			{{udmabuf(W * 4 * H, 0), 0, W * 4}}};
		return 1;
	case 6:  /* a memfd, not a dma-buf */
		*c = (struct params){"memfd", W, H, DRM_FORMAT_XRGB8888, linear, 1, {{plain_memfd(W * 4 * H), 0, W * 4}}};
		return 1;
	case 7:  /* offset 1: not on a 4-byte texel */
		*c = (struct params){"offset_not_on_texel", W, H, DRM_FORMAT_XRGB8888, linear, 1,
			{{udmabuf(W * 4 * H + 4096, 0), 1, W * 4}}};
		return 1;
	case 8:  /* stride not a multiple of 4 */
		*c = (struct params){"stride_not_on_texel", W, H, DRM_FORMAT_XRGB8888, linear, 1,
			{{udmabuf((W * 4 + 2) * H, 0), 0, W * 4 + 2}}};
		return 1;
	case 9:  /* NV12 plane 1 (2-byte CbCr texels) at an odd offset */
		*c = (struct params){"nv12_plane1_offset_odd", W, H, DRM_FORMAT_NV12, linear, 2,
			{{udmabuf(4096, 0), 0, W}, {udmabuf(4096, 0), 1, W}}};
		return 1;
	case 10: /* a format the renderer does not import */
		*c = (struct params){"unknown_format", W, H, DRM_FORMAT_RGB565, linear, 1, {{udmabuf(W * 2 * H, 0), 0, W * 2}}};
		return 1;
	case 11: /* packed 4:2:2 with an odd width */
		*c = (struct params){"yuyv_odd_width", W - 1, H, DRM_FORMAT_YUYV, linear, 1, {{udmabuf(W * 2 * H, 0), 0, W * 2}}};
		return 1;
	case 12: /* YUV with a non-LINEAR modifier */
		*c = (struct params){"nv12_tiled_modifier", W, H, DRM_FORMAT_NV12, I915_FORMAT_MOD_Y_TILED, 2,
			{{udmabuf(4096, 0), 0, W}, {udmabuf(4096, 0), 0, W}}};
		return 1;
	}
	return 0;
}

/* ---- a connection -------------------------------------------------------------------- */

struct conn {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct xdg_wm_base *wm;
	struct zwp_linux_dmabuf_v1 *dmabuf;
};

static void global(void *d, struct wl_registry *r, uint32_t name, const char *iface, uint32_t ver) {
	struct conn *c = d;
	if (!strcmp(iface, wl_compositor_interface.name)) c->compositor = wl_registry_bind(r, name, &wl_compositor_interface, 4);
	else if (!strcmp(iface, xdg_wm_base_interface.name)) c->wm = wl_registry_bind(r, name, &xdg_wm_base_interface, 1);
	else if (!strcmp(iface, zwp_linux_dmabuf_v1_interface.name) && ver >= 3)
		c->dmabuf = wl_registry_bind(r, name, &zwp_linux_dmabuf_v1_interface, 3);
}
static void global_remove(void *d, struct wl_registry *r, uint32_t name) { (void)d; (void)r; (void)name; }
static const struct wl_registry_listener registry_listener = {global, global_remove};

static void connect_to(struct conn *c) {
	memset(c, 0, sizeof(*c));
	c->display = wl_display_connect(NULL);
	if (!c->display) die("cannot connect");
	struct wl_registry *reg = wl_display_get_registry(c->display);
	wl_registry_add_listener(reg, &registry_listener, c);
	if (wl_display_roundtrip(c->display) < 0) die("registry round trip");
	if (!c->compositor || !c->wm) die("no wl_compositor/xdg_wm_base");
	if (!c->dmabuf) die("the compositor does not advertise zwp_linux_dmabuf_v1 (v3): run in the test bed");
}

static struct zwp_linux_buffer_params_v1 *send_params(struct conn *c, const struct params *p) {
	struct zwp_linux_buffer_params_v1 *par = zwp_linux_dmabuf_v1_create_params(c->dmabuf);
	for (int i = 0; i < p->n_planes; i++)
		zwp_linux_buffer_params_v1_add(par, p->planes[i].fd, (uint32_t)i, p->planes[i].offset, p->planes[i].stride,
			(uint32_t)(p->modifier >> 32), (uint32_t)(p->modifier & 0xffffffff));
	return par;
}

/* ---- create: created / failed -------------------------------------------------------- */

struct result {
	int state; /* 0 pending, 1 created, 2 failed */
	struct wl_buffer *buffer;
};
static void created(void *d, struct zwp_linux_buffer_params_v1 *p, struct wl_buffer *b) {
	(void)p;
	struct result *r = d;
	r->state = 1, r->buffer = b;
}
static void failed(void *d, struct zwp_linux_buffer_params_v1 *p) {
	(void)p;
	((struct result *)d)->state = 2;
}
static const struct zwp_linux_buffer_params_v1_listener params_listener = {created, failed};

/* 1 created (*buffer set), 2 failed. */
static int create(struct conn *c, const struct params *p, struct wl_buffer **buffer) {
	struct result r = {0};
	struct zwp_linux_buffer_params_v1 *par = send_params(c, p);
	zwp_linux_buffer_params_v1_add_listener(par, &params_listener, &r);
	zwp_linux_buffer_params_v1_create(par, p->width, p->height, p->format, 0);
	while (r.state == 0)
		if (wl_display_dispatch(c->display) < 0) die("%s create: connection error %d", p->name, wl_display_get_error(c->display));
	zwp_linux_buffer_params_v1_destroy(par);
	if (buffer) *buffer = r.buffer;
	else if (r.buffer) wl_buffer_destroy(r.buffer);
	return r.state;
}

/* create_immed on a new connection: the protocol error code, or -1 when none came. */
static int create_immed(const struct params *p) {
	struct conn c;
	connect_to(&c);
	struct zwp_linux_buffer_params_v1 *par = send_params(&c, p);
	struct wl_buffer *b = zwp_linux_buffer_params_v1_create_immed(par, p->width, p->height, p->format, 0);
	int code = -1;
	if (wl_display_roundtrip(c.display) < 0) {
		const struct wl_interface *iface = NULL;
		uint32_t id = 0;
		uint32_t e = wl_display_get_protocol_error(c.display, &iface, &id);
		if (iface == &zwp_linux_buffer_params_v1_interface) code = (int)e;
		else code = 1000 + (int)e;  /* some other object's error */
	} else {
		wl_buffer_destroy(b);
		zwp_linux_buffer_params_v1_destroy(par);
	}
	wl_display_disconnect(c.display);
	return code;
}

/* ---- the valid buffer, shown --------------------------------------------------------- */

/* Dispatches until *flag or ms; dies on a connection or protocol error. */
static bool dispatch_until(struct conn *c, bool *flag, int ms) {
	int r = tc_dispatch(c->display, ms, flag);
	if (r < 0) die("connection lost or protocol error %d", wl_display_get_error(c->display));
	return r == 1;
}

static void expect(bool ok, const char *what, const char *name) {
	if (!ok) {
		out("FAIL %s: %s", name, what);
		failures++;
	}
}

int main(void) {
	struct conn c;
	connect_to(&c);
	out("start pid=%d", (int)getpid());

	struct params p;
	for (int i = 0; make_bad(&p, i); i++) {
		int r = create(&c, &p, NULL);
		out("%s create %s", p.name, r == 2 ? "failed" : "created");
		expect(r == 2, "create: the compositor created a wl_buffer instead of sending `failed`", p.name);
		int e = create_immed(&p);
		out("%s immed error=%d", p.name, e);
		expect(e == ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
			"create_immed: no INVALID_WL_BUFFER protocol error on the params", p.name);
		params_free(&p);
	}

	/* Valid buffers are still accepted. */
	struct params nv12 = {"valid_nv12", W, H, DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR, 2,
		{{udmabuf(8192, 0x80808080), 0, W}, {-1, 4096, W}}};
	nv12.planes[1].fd = dup(nv12.planes[0].fd);
	int r = create(&c, &nv12, NULL);
	out("valid_nv12 create %s", r == 1 ? "created" : "failed");
	expect(r == 1, "a valid NV12 buffer got `failed`", "valid_nv12");
	params_free(&nv12);

	struct params rgb = {"valid_xrgb", W, H, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, 1,
		{{udmabuf(W * 4 * H, COLOR), 0, W * 4}}};
	int e = create_immed(&rgb);
	out("valid_xrgb immed error=%d", e);
	expect(e == -1, "create_immed of a valid buffer got a protocol error", "valid_xrgb");
	struct wl_buffer *buffer = NULL;
	r = create(&c, &rgb, &buffer);
	out("valid_xrgb create %s", r == 1 ? "created" : "failed");
	expect(r == 1 && buffer, "a valid XRGB8888 buffer got `failed`", "valid_xrgb");
	params_free(&rgb);
	if (!buffer) die("%d failures; no valid buffer to show", failures);

	struct tc_window win;
	tc_window_init(&win, c.compositor, c.wm, "dmabuf-check");
	if (!dispatch_until(&c, &win.configured, 20000)) die("no configure within 20 s");
	struct wl_surface *surface = win.surface;
	bool frame = false;
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, W, H);
	tc_request_frame(surface, &frame);
	wl_surface_commit(surface);
	bool shown = dispatch_until(&c, &frame, 20000);
	out("valid_xrgb mapped=%d", shown);
	expect(shown, "no frame callback for the valid buffer within 20 s", "valid_xrgb");

	if (failures) die("%d failures", failures);
	out("PASS");
	for (bool never = false;;) dispatch_until(&c, &never, 1000);
}
