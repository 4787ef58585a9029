/*
 * implicit_client: a Wayland client whose DMA-BUF carries an implicit write fence (the way a
 * GPU client's buffer does while its rendering is in flight), for tests/e2e/implicit_sync.py in
 * the test bed. Its buffer is a vgem dumb buffer (the card node: the only place one can be made
 * here) exported read-only (--ro: what Mesa's GBM sends; wlgpu shows it through a CPU copy) or
 * read-write (--rw: imported zero-copy).
 *
 * It paints the buffer STALE, attaches an unsignalled vgem write fence to it, commits it (first
 * commit: the toplevel maps with it), then after --late-ms paints the final picture (a
 * gradient, FINAL(x, y) below) and only then signals the fence. A compositor that honours
 * implicit sync never shows STALE. Lines "IMPLICIT_CLIENT key=value" on stdout. --size WxH
 * (default 160x120): 2048x1024 (8 MiB) is a read-only buffer big enough for wlgpu to copy it off
 * the event loop (src/wlr/commit_copy.cpp), after the fence.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <wayland-client.h>
#include <xf86drm.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>

#include "client_common.h"
#include "linux-dmabuf-v1-client-protocol.h"

#include "common/vgem_uapi.h"

static int W = 160, H = 120; /* --size WxH */
#define STALE 0xff00ff00u /* opaque green: what must never show */
/* The final picture: every pixel different, independent channels. */
#define FINAL(x, y) (0xff000000u | (uint32_t)((x) * 255 / (W - 1)) << 16 | (uint32_t)((y) * 255 / (H - 1)) << 8 | \
	(uint32_t)(((x) * 7 + (y) * 13) & 255))

static struct {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct xdg_wm_base *wm;
	struct zwp_linux_dmabuf_v1 *dmabuf;
} c;

#define out(...) do { printf("IMPLICIT_CLIENT " __VA_ARGS__); printf("\n"); fflush(stdout); } while (0)
#define die(...) do { out("FAIL " __VA_ARGS__); exit(1); } while (0)

static void global(void *d, struct wl_registry *r, uint32_t name, const char *iface, uint32_t ver) {
	(void)d;
	if (!strcmp(iface, wl_compositor_interface.name)) c.compositor = wl_registry_bind(r, name, &wl_compositor_interface, 4);
	else if (!strcmp(iface, xdg_wm_base_interface.name)) c.wm = wl_registry_bind(r, name, &xdg_wm_base_interface, 1);
	else if (!strcmp(iface, zwp_linux_dmabuf_v1_interface.name) && ver >= 3)
		c.dmabuf = wl_registry_bind(r, name, &zwp_linux_dmabuf_v1_interface, 3);
}
static void global_remove(void *d, struct wl_registry *r, uint32_t name) { (void)d; (void)r; (void)name; }
static const struct wl_registry_listener registry_listener = {global, global_remove};

int main(int argc, char **argv) {
	bool rw = false;
	int late_ms = 1500;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rw")) rw = true;
		else if (!strcmp(argv[i], "--ro")) rw = false;
		else if (!strcmp(argv[i], "--late-ms") && i + 1 < argc) late_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc) sscanf(argv[++i], "%dx%d", &W, &H);
		else die("usage: implicit_client [--ro|--rw] [--late-ms MS]");
	}
	int vgem = tc_open_drm("card", "vgem");
	if (vgem < 0) die("no vgem card node (run in the test bed)");
	struct drm_mode_create_dumb cd = {.width = W, .height = H, .bpp = 32};
	if (drmIoctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) die("vgem dumb buffer: %s", strerror(errno));
	struct drm_mode_map_dumb md = {.handle = cd.handle};
	if (drmIoctl(vgem, DRM_IOCTL_MODE_MAP_DUMB, &md)) die("map dumb: %s", strerror(errno));
	uint32_t *px = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, vgem, (off_t)md.offset);
	if (px == MAP_FAILED) die("mmap: %s", strerror(errno));
	uint32_t stride_px = cd.pitch / 4;
	for (uint32_t y = 0; y < (uint32_t)H; y++)
		for (uint32_t x = 0; x < (uint32_t)W; x++) px[y * stride_px + x] = STALE;
	int dmabuf = -1;
	if (drmPrimeHandleToFD(vgem, cd.handle, DRM_CLOEXEC | (rw ? DRM_RDWR : 0), &dmabuf))
		die("prime export: %s", strerror(errno));

	c.display = wl_display_connect(NULL);
	if (!c.display) die("cannot connect to the compositor");
	struct wl_registry *reg = wl_display_get_registry(c.display);
	wl_registry_add_listener(reg, &registry_listener, NULL);
	wl_display_roundtrip(c.display);
	if (!c.compositor || !c.wm || !c.dmabuf) die("compositor lacks wl_compositor, xdg_wm_base or linux-dmabuf v3");
	struct tc_window win;
	tc_window_init(&win, c.compositor, c.wm, "implicit_client");
	if (tc_dispatch(c.display, 20000, &win.configured) != 1) die("no configure within 20 s");
	struct wl_surface *surface = win.surface;

	struct zwp_linux_buffer_params_v1 *p = zwp_linux_dmabuf_v1_create_params(c.dmabuf);
	zwp_linux_buffer_params_v1_add(p, dmabuf, 0, 0, cd.pitch, DRM_FORMAT_MOD_LINEAR >> 32,
		DRM_FORMAT_MOD_LINEAR & 0xffffffff);
	struct wl_buffer *buffer = zwp_linux_buffer_params_v1_create_immed(p, W, H, DRM_FORMAT_XRGB8888, 0);
	zwp_linux_buffer_params_v1_destroy(p);

	/* The "GPU work": an unsignalled write fence on the buffer, then the commit. */
	struct vgem_fence_attach fa = {.handle = cd.handle, .flags = VGEM_FENCE_WRITE};
	if (drmIoctl(vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa)) die("VGEM_FENCE_ATTACH: %s", strerror(errno));
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, W, H);
	wl_surface_commit(surface);
	wl_display_flush(c.display);
	out("committed %s buffer %dx%d with an unsignalled write fence", rw ? "read-write" : "read-only", W, H);
	if (tc_dispatch(c.display, late_ms, NULL) < 0) die("connection lost");
	for (uint32_t y = 0; y < (uint32_t)H; y++)
		for (uint32_t x = 0; x < (uint32_t)W; x++) px[y * stride_px + x] = FINAL(x, y);
	struct vgem_fence_signal sig = {.fence = fa.out_fence};
	if (drmIoctl(vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig)) die("VGEM_FENCE_SIGNAL: %s", strerror(errno));
	out("painted the final picture and signalled the fence after %d ms", late_ms);
	for (;;) /* until the compositor ends the test */
		if (tc_dispatch(c.display, 1000, NULL) < 0) die("connection lost");
}
