/*
 * wlgpu as a wlroots renderer (C API). Link libwlgpu-wlr-0.19 or libwlgpu-wlr-0.20,
 * matching the wlroots the compositor is built against.
 *
 *   struct wlr_renderer *r = wlgpu_renderer_create(backend);
 *   wlr_renderer_init_wl_display(r, display);
 *   struct wlr_allocator *a = wlr_allocator_autocreate(backend, r);
 *
 * The renderer renders with WebGPU (Dawn, Vulkan backend) and behaves like any other
 * wlr_renderer: wlr_scene, wlr_output_init_render, screencopy and wlr_texture_read_pixels
 * work unchanged. Render targets are memory (SHM / data-ptr) buffers for now, so the
 * allocator that wlroots picks for it is the shm allocator, as for the pixman renderer.
 */
#ifndef WLGPU_WLR_H
#define WLGPU_WLR_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wlr_backend;
struct wlr_renderer;

struct wlgpu_renderer_options {
	/* DRM node of the GPU to use ("/dev/dri/renderD128"); NULL: the backend's DRM
	 * device when it has one, else the first usable adapter (hardware first). */
	const char *drm_node;
	/* PCI ids to match, 0 = any. */
	uint32_t vendor_id, device_id;
	/* Accept software Vulkan adapters (lavapipe, SwiftShader). Default true. */
	bool allow_software;
	/* Explicit sync: the DRM node whose timeline syncobjs carry linux-drm-syncobj-v1 points
	 * ("/dev/dri/renderD128", "none" = no explicit sync). NULL: WLGPU_SYNCOBJ_NODE, else the
	 * adapter's render node if it has timeline syncobjs, else the first render node that has
	 * them. See wlgpu/wlr_sync.h. */
	const char *syncobj_node;
};

/* Fills *options with the defaults. */
void wlgpu_renderer_options_init(struct wlgpu_renderer_options *options);

/* Creates the renderer for backend (may be NULL); NULL on failure (the reason is logged
 * through wlr_log). */
struct wlr_renderer *wlgpu_renderer_create(struct wlr_backend *backend);
struct wlr_renderer *wlgpu_renderer_create_with_options(struct wlr_backend *backend,
	const struct wlgpu_renderer_options *options);

/* Whether renderer was created by wlgpu. */
bool wlr_renderer_is_wlgpu(struct wlr_renderer *renderer);

/* One line naming the adapter, backend and capabilities ("" if not a wlgpu renderer).
 * Valid as long as the renderer. */
const char *wlgpu_renderer_get_summary(struct wlr_renderer *renderer);

/* Waits until the GPU work submitted so far is done and lets Dawn free what it kept for that
 * work: an imported client DMA-BUF keeps its fds until the GPU is past its last use, which the
 * renderer notices at a later frame. For a compositor that counts its fds (or will quit) after
 * clients went away. Bounded: a few waits for the queue. False if renderer is not wlgpu's or
 * waiting failed (device lost; logged). */
bool wlgpu_renderer_finish(struct wlr_renderer *renderer);

#ifdef __cplusplus
}
#endif

#endif
