/*
 * Explicit sync (linux-drm-syncobj-v1) with the wlgpu wlroots renderer. See docs/sync.md,
 * "wlroots integration".
 *
 * What the renderer does by itself (no compositor code needed):
 *   - features.timeline is true when the device has SyncFD fences and a DRM node with timeline
 *     syncobjs is open (wlgpu_renderer_get_syncobj_drm_fd);
 *   - render_texture with wait_timeline/wait_point: on the GPU path the point is exported as a
 *     sync_file and the GPU waits for it (BeginAccess); on the CPU path a point that has not
 *     signalled is still handed to the GPU (correct, but the submit may block on such drivers:
 *     the compositor should wait first, below);
 *   - begin_buffer_pass with signal_timeline/signal_point: after the submit, the point is
 *     signalled from the end-of-access fence (or, without one, from the queue's work-done by a
 *     worker thread). The compositor's thread never waits for the GPU.
 *
 * What a compositor does (examples/tinywl/tinywl.c): wlgpu_surface_sync_create() (wlgpu/wlr.h)
 * and wlroots' own manager:
 *
 *   struct wlgpu_surface_sync *sync = wlgpu_surface_sync_create(compositor, renderer, 0);
 *   if (wlgpu_surface_sync_get_path(sync) && backend->features.timeline)
 *       wlr_linux_drm_syncobj_manager_v1_create(display, 1, wlgpu_renderer_get_syncobj_drm_fd(renderer));
 *
 * The helper calls wlgpu_renderer_init_explicit_sync() and, on the "cpu" path (drivers whose
 * GPU-side wait blocks the submitting thread: lavapipe), holds each commit until its acquire
 * point has signalled (wlr_surface_lock_pending, wlgpu_acquire_create, wlr_surface_unlock_cached).
 * The functions below are its building blocks.
 */
#ifndef WLGPU_WLR_SYNC_H
#define WLGPU_WLR_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wl_event_loop;
struct wlr_renderer;
struct wlr_drm_syncobj_timeline;

/* The DRM node (fd) on which the renderer handles timeline syncobjs, for
 * wlr_linux_drm_syncobj_manager_v1_create(); -1 when there is none (then features.timeline is
 * false). Chosen by wlgpu_renderer_options.syncobj_node / WLGPU_SYNCOBJ_NODE, else the
 * adapter's render node if it has DRM_CAP_SYNCOBJ_TIMELINE, else the first render node that
 * has it (software adapters such as lavapipe have no DRM node of their own). Owned by the
 * renderer. */
int wlgpu_renderer_get_syncobj_drm_fd(struct wlr_renderer *renderer);

/* Starts explicit sync on the compositor's event loop: detects the acquire path once (logged:
 * "acquire path cpu (probe: ...)") and returns "gpu" or "cpu"; NULL when the renderer has no
 * timeline support. acquire_timeout_ms: how long an acquire point may stay unsignalled before
 * the client is named in the log (0: 2000 ms). Idempotent (later calls return the same path). */
const char *wlgpu_renderer_init_explicit_sync(struct wlr_renderer *renderer, struct wl_event_loop *loop,
	uint32_t acquire_timeout_ms);

enum wlgpu_acquire_status {
	WLGPU_ACQUIRE_READY,     /* the point has signalled (CPU path) or the GPU will wait for it */
	WLGPU_ACQUIRE_TIMED_OUT, /* not signalled after the timeout; message names the client */
	WLGPU_ACQUIRE_ERROR,     /* bad timeline/point; message says why */
};

typedef void (*wlgpu_acquire_func)(void *data, enum wlgpu_acquire_status status, const char *message);

/* One pending acquire wait (CPU path): done is called exactly once on the event loop's thread,
 * possibly before this returns (already signalled), unless the acquire is destroyed first.
 * The timeline is referenced until then. who names the client in log lines
 * ("client 'name' (pid N) surface S"). NULL on failure (logged), then done is not called.
 * Needs wlgpu_renderer_init_explicit_sync() first. */
struct wlgpu_acquire;
struct wlgpu_acquire *wlgpu_acquire_create(struct wlr_renderer *renderer,
	struct wlr_drm_syncobj_timeline *timeline, uint64_t point, const char *who,
	wlgpu_acquire_func done, void *data);
/* Cancels a pending acquire (no callback), or frees a finished one. NULL is fine. */
void wlgpu_acquire_destroy(struct wlgpu_acquire *acquire);

/* One line of explicit-sync counters ("sync path=cpu(probe) acquires=... gpu_waits=...
 * cpu_waits=... timeouts=... releases=..."); "" before wlgpu_renderer_init_explicit_sync().
 * Valid until the next call. */
const char *wlgpu_renderer_get_sync_stats(struct wlr_renderer *renderer);

#ifdef __cplusplus
}
#endif

#endif
