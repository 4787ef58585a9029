/*
 * wlgpu as a wlroots renderer (C API). Link libwlgpu-wlr-0.19 or libwlgpu-wlr-0.20,
 * matching the wlroots the compositor is built against.
 *
 *   struct wlr_renderer *r = wlgpu_renderer_create(backend);
 *   wlr_renderer_init_wl_display(r, display);
 *   struct wlr_allocator *a = wlgpu_allocator_autocreate(backend, r);
 *
 * The renderer renders with WebGPU (Dawn, Vulkan backend) and behaves like any other
 * wlr_renderer: wlr_scene, wlr_output_init_render, screencopy and wlr_texture_read_pixels
 * work unchanged. Render targets are memory buffers, and DMA-BUFs where the device renders
 * into imported ones. An unmodified compositor gets both through the preload library
 * libwlgpu-autocreate-0.19/0.20.so (docs/compositors.md).
 */
#ifndef WLGPU_WLR_H
#define WLGPU_WLR_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wlr_allocator;
struct wlr_backend;
struct wlr_compositor;
struct wlr_dmabuf_attributes;
struct wlr_renderer;
struct wlgpu_surface_sync;

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

/* The output-buffer allocator for renderer (call instead of wlr_allocator_autocreate):
 * wlroots' own choice if it can allocate a buffer, else udmabuf (DMA-BUF buffers rendered
 * into directly, when the renderer renders into DMA-BUFs), else shm. wlroots picks gbm when
 * the renderer has a DRM fd and renders into DMA-BUFs; on a node without a GPU driver (vgem,
 * where wlgpu on lavapipe finds one) gbm_bo_create fails ("Permission denied"), which
 * wlr_allocator_autocreate does not notice. WLGPU_ALLOCATOR=udmabuf|shm forces one. The
 * choice is logged (WLR_INFO); NULL (logged) if none allocates. Works for any renderer. */
struct wlr_allocator *wlgpu_allocator_autocreate(struct wlr_backend *backend,
	struct wlr_renderer *renderer);

/* Whether renderer was created by wlgpu. */
bool wlr_renderer_is_wlgpu(struct wlr_renderer *renderer);

/* One line naming the adapter, backend and capabilities ("" if not a wlgpu renderer).
 * Valid as long as the renderer. */
const char *wlgpu_renderer_get_summary(struct wlr_renderer *renderer);

/* Memory render targets (wl_shm / data-ptr output buffers) whose memory no other process can
 * truncate, such as the buffers of the compositor's own shm allocator: with trusted = true the
 * GPU writes each pass's drawn region straight into them (Dawn's HostMappedPointer, where the
 * device has it and the stride is a multiple of 256) and the CPU copies nothing. The default
 * (false) does that only for memory without an fd or whose fd is sealed against shrinking
 * (F_SEAL_SHRINK); other memory goes through a staging buffer and a CPU copy, since another
 * process holding the fd could truncate it while the GPU writes. */
void wlgpu_renderer_set_trust_target_memory(struct wlr_renderer *renderer, bool trusted);

/* One line of transfer counters since the renderer was created: uploads (copies, pixels) and
 * read-backs (copies, pixels, host-mapped, staged, staging buffers, imports). "" if not a
 * wlgpu renderer. Valid until the next call. */
const char *wlgpu_renderer_get_transfer_stats(struct wlr_renderer *renderer);

/* Surface sync: acquire (and, with wlroots 0.20, release) for a compositor that uses wlroots'
 * own wlr_linux_drm_syncobj_manager_v1, plus implicit sync for DMA-BUF clients; all a
 * compositor adds to tinywl for sync (docs/sync.md, "wlroots integration"):
 *
 *   struct wlgpu_surface_sync *sync = wlgpu_surface_sync_create(compositor, renderer, 0);
 *   int fd = wlgpu_renderer_get_syncobj_drm_fd(renderer);
 *   if (wlgpu_surface_sync_get_path(sync) && backend->features.timeline)
 *       wlr_linux_drm_syncobj_manager_v1_create(display, 1, fd);
 *
 * A surface commit is held with wlr_surface_lock_pending() until its buffer is safe to read,
 * waiting on the compositor's event loop (the surface keeps its previous content meanwhile and
 * other clients are not delayed):
 *   - with an acquire point, on the renderer's "cpu" acquire path (drivers whose GPU-side wait
 *     blocks the submitting thread: lavapipe) until the point has signalled; on the "gpu" path
 *     nothing is held (wlroots passes the point to the renderer, which the GPU waits for). A
 *     point still unsignalled after acquire_timeout_ms (0: 2000) is logged (WLR_ERROR) naming
 *     the client ("client 'name' (pid N) surface S"); the commit stays held until it signals.
 *     A non-DMA-BUF buffer with an acquire point is refused (protocol error unsupported_buffer);
 *   - a DMA-BUF without one, until its implicit write fences have signalled (needed where a
 *     buffer is read at commit time: wlgpu's CPU copy of read-only dma-bufs).
 * At most 16 commits of a surface are held: the next one is rejected and the client
 * disconnected (wl_display error "implementation"), its name logged, so that a client cannot
 * grow the compositor's memory and fds by committing buffers that never become ready.
 * With wlroots 0.20, the client's release point is signalled when the buffer is released (as
 * 0.19's wlr_scene does), not at the next commit. Starts the renderer's explicit sync
 * (wlgpu_renderer_init_explicit_sync) on the compositor's event loop. renderer may be another
 * wlroots renderer (then only the protocol check and the 0.20 release are done). Call once,
 * after wlr_compositor_create() (before or after creating the syncobj manager); it is freed
 * with the compositor. NULL if compositor is NULL.
 * After a device loss it follows the compositor's renderer: when its renderer is destroyed it
 * takes the compositor's current one, so a compositor that recovers as sway does
 * (wlr_compositor_set_renderer(new) before wlr_renderer_destroy(old)) needs no call here; the
 * acquire waits pending on the old renderer are cancelled and made again on the new one, and
 * each surface's current buffer is imported again by the new renderer (wlroots itself would
 * leave a surface blank until its client commits again), where wlroots still has that buffer. */
struct wlgpu_surface_sync *wlgpu_surface_sync_create(struct wlr_compositor *compositor,
	struct wlr_renderer *renderer, uint32_t acquire_timeout_ms);

/* Limits on what one client can make the compositor hold through its surfaces: the sum of the
 * latest committed buffer of each of its surfaces, counted as the bytes of the textures a copy or
 * import may need (its planes: 4 bytes a pixel for ARGB8888, 1.5 for NV12, 3 for P010; 4 for a
 * format wlgpu does not know; max_bytes, 0: the default 2 GiB), and the number of its
 * surfaces that have a buffer (max_buffers, 0: the default 1024). A surface that unmaps or is
 * destroyed gives its share back. A commit that would pass a limit is rejected and the client
 * disconnected (wl_display error no_memory), its name, pid and the limit logged; other clients
 * are not affected. The defaults apply from wlgpu_surface_sync_create(). */
void wlgpu_surface_sync_set_client_limits(struct wlgpu_surface_sync *sync, uint64_t max_bytes,
	uint32_t max_buffers);

/* The acquire path: "gpu", "cpu", or NULL when the renderer has no timeline support (then
 * linux-drm-syncobj-v1 must not be advertised). */
const char *wlgpu_surface_sync_get_path(struct wlgpu_surface_sync *sync);

/* One line of counters: "path=cpu wait_in_loop=1 commits=N held=N held_max_ms=X timeouts=N
 * errors=N refused=N over_budget=N" (commits: syncobj commits seen on the cpu path; refused:
 * commits rejected past the limit of held commits; over_budget: commits rejected past the client
 * limits; held: those not yet signalled at
 * commit). Valid until the next call. */
const char *wlgpu_surface_sync_get_stats(struct wlgpu_surface_sync *sync);

/* linux-dmabuf-v1's check: refuses a client's DMA-BUF that this renderer could not show, so
 * that the client gets the protocol's answer (a `failed` event for create, the
 * INVALID_WL_BUFFER error for create_immed) instead of a surface that maps and shows nothing.
 * The signature of wlroots' check_dmabuf callback (0.19 and 0.20); user data is the wlgpu
 * wlr_renderer itself:
 *
 *   struct wlr_linux_dmabuf_v1 *dmabuf =
 *       wlr_linux_dmabuf_v1_create_with_renderer(display, 4, renderer);
 *   wlr_linux_dmabuf_v1_set_check_dmabuf_callback(dmabuf, wlgpu_renderer_check_dmabuf, renderer);
 *
 * It runs wlgpu's own validation, the one every import runs before any driver call (dma-buf fds
 * only, plane count, offsets/strides per plane, sizes against the real buffers, overlaps, known
 * format and modifier; see wlgpu/dmabuf.hpp validate_dmabuf), then refuses a format/modifier pair
 * the renderer does not advertise. No driver call: a few syscalls per plane. It replaces
 * wlroots' default check (a PRIME import into the main device), whose test of "is a dma-buf" it
 * includes. Each refusal logs one line (WLR_ERROR) naming the buffer and the reason. Returns
 * false for a renderer that is not wlgpu's. The fds stay wlroots'. */
bool wlgpu_renderer_check_dmabuf(struct wlr_dmabuf_attributes *attribs, void *renderer);

/* Waits until the GPU work submitted so far is done and lets Dawn free what it kept for that
 * work: an imported client DMA-BUF keeps its fds until the GPU is past its last use, which the
 * renderer notices at a later frame. For a compositor that counts its fds (or will quit) after
 * clients went away. Bounded: a few waits for the queue. False if renderer is not wlgpu's or
 * waiting failed (device lost; logged). */
bool wlgpu_renderer_finish(struct wlr_renderer *renderer);

/* Raises this process's RLIMIT_NOFILE soft limit to its hard limit. Each imported client
 * DMA-BUF holds about 2 fds while the renderer caches it, so a compositor with many clients'
 * buffers should call this once at start-up; the renderer never changes a process-wide limit
 * itself. Logs what it did (WLR_INFO). False if getrlimit/setrlimit failed (logged). */
bool wlgpu_raise_fd_limit(void);

#ifdef __cplusplus
}
#endif

#endif
