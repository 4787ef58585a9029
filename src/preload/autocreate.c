/*
 * libwlgpu-autocreate-0.19.so / -0.20.so: wlgpu inside an unmodified wlroots compositor.
 *
 *   LD_PRELOAD=libwlgpu-autocreate-0.20.so WLR_RENDERER=wlgpu sway
 *
 * Defines wlroots' exported autocreate calls ahead of libwlroots (the dynamic linker binds the
 * compositor's calls to the first definition); with WLR_RENDERER=wlgpu they answer with wlgpu,
 * otherwise they hand the call to wlroots (dlsym(RTLD_NEXT)):
 *   wlr_renderer_autocreate               wlgpu_renderer_create(backend): the backend's DRM
 *                                         device, else the first usable Vulkan adapter
 *   wlr_allocator_autocreate              for a wlgpu renderer: wlgpu_allocator_autocreate
 *                                         (wlroots' choice if it allocates, else udmabuf, shm)
 *   wlr_linux_dmabuf_v1_create_with_renderer  for a wlgpu renderer: wlroots' object, with
 *                                         wlgpu_renderer_check_dmabuf as its check
 *   wlr_compositor_create                 for a wlgpu renderer: wlroots' object, plus
 *                                         wlgpu_surface_sync_create (acquire waits on the event
 *                                         loop, implicit sync of DMA-BUF clients: wlgpu/wlr.h)
 * and, as the demo compositor does, raises the fd limit (wlgpu_raise_fd_limit) when it creates
 * the wlgpu renderer.
 * wlroots 0.19/0.20 do not export wlr_renderer_autocreate_with_drm_fd (their DRM backend's
 * secondary-GPU renderers are created inside libwlroots and stay wlroots' own). docs/compositors.md
 * lists the compositors this covers. When wlr_renderer_autocreate is called (in the compositor,
 * before it starts any client), the library takes itself out of LD_PRELOAD, so that the
 * compositor's clients (terminals, bars) do not load Dawn; not when it loads, or a wrapper that
 * starts the compositor (timeout, a shell, dbus-run-session) would drop it before the compositor.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <wlr/render/allocator.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_linux_dmabuf_v1.h>
#include <wlr/util/log.h>

#include "wlgpu/wlr.h"

static bool want_wlgpu(void) {
	const char *r = getenv("WLR_RENDERER");
	return r && strcmp(r, "wlgpu") == 0;
}

/* wlroots' definition of name (the next one after this library). */
static void *next(const char *name) {
	void *fn = dlsym(RTLD_NEXT, name);
	if (!fn) wlr_log(WLR_ERROR, "wlgpu-autocreate: %s not found in wlroots: %s", name, dlerror());
	return fn;
}

static void drop_self_from_ld_preload(void);

struct wlr_renderer *wlr_renderer_autocreate(struct wlr_backend *backend) {
	drop_self_from_ld_preload();
	if (want_wlgpu()) {
		wlgpu_raise_fd_limit();  /* each cached client DMA-BUF holds about 2 fds */
		struct wlr_renderer *r = wlgpu_renderer_create(backend);
		if (!r) wlr_log(WLR_ERROR, "wlgpu-autocreate: WLR_RENDERER=wlgpu: the wlgpu renderer failed (above)");
		return r;
	}
	struct wlr_renderer *(*fn)(struct wlr_backend *) = next("wlr_renderer_autocreate");
	return fn ? fn(backend) : NULL;
}

struct wlr_allocator *wlr_allocator_autocreate(struct wlr_backend *backend, struct wlr_renderer *renderer) {
	if (wlr_renderer_is_wlgpu(renderer)) return wlgpu_allocator_autocreate(backend, renderer);
	struct wlr_allocator *(*fn)(struct wlr_backend *, struct wlr_renderer *) = next("wlr_allocator_autocreate");
	return fn ? fn(backend, renderer) : NULL;
}

struct wlr_linux_dmabuf_v1 *wlr_linux_dmabuf_v1_create_with_renderer(struct wl_display *display,
		uint32_t version, struct wlr_renderer *renderer) {
	struct wlr_linux_dmabuf_v1 *(*fn)(struct wl_display *, uint32_t, struct wlr_renderer *) =
		next("wlr_linux_dmabuf_v1_create_with_renderer");
	struct wlr_linux_dmabuf_v1 *d = fn ? fn(display, version, renderer) : NULL;
	if (d && wlr_renderer_is_wlgpu(renderer))
		wlr_linux_dmabuf_v1_set_check_dmabuf_callback(d, wlgpu_renderer_check_dmabuf, renderer);
	return d;
}

struct wlr_compositor *wlr_compositor_create(struct wl_display *display, uint32_t version,
		struct wlr_renderer *renderer) {
	struct wlr_compositor *(*fn)(struct wl_display *, uint32_t, struct wlr_renderer *) =
		next("wlr_compositor_create");
	struct wlr_compositor *c = fn ? fn(display, version, renderer) : NULL;
	if (c && wlr_renderer_is_wlgpu(renderer) && !wlgpu_surface_sync_create(c, renderer, 0))
		wlr_log(WLR_ERROR, "wlgpu-autocreate: wlgpu_surface_sync_create failed");
	return c;
}

/* Removes the entries naming this library from LD_PRELOAD (separators: space and colon). */
static void drop_self_from_ld_preload(void) {
	const char *env = getenv("LD_PRELOAD");
	Dl_info self;
	if (!env || !dladdr((void *)drop_self_from_ld_preload, &self) || !self.dli_fname) return;
	const char *base = strrchr(self.dli_fname, '/');
	base = base ? base + 1 : self.dli_fname;
	char *copy = strdup(env), *out = calloc(1, strlen(env) + 1), *save = NULL;
	if (!copy || !out) { free(copy); free(out); return; }
	for (char *tok = strtok_r(copy, " :", &save); tok; tok = strtok_r(NULL, " :", &save)) {
		const char *tb = strrchr(tok, '/');
		if (strcmp(tb ? tb + 1 : tok, base) == 0) continue;
		if (*out) strcat(out, ":");
		strcat(out, tok);
	}
	if (*out) setenv("LD_PRELOAD", out, 1);
	else unsetenv("LD_PRELOAD");
	free(copy);
	free(out);
}
