/* The harness's allocator: wlroots' choice, else udmabuf, else shm (WLGPU_ALLOCATOR forces one). */
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/backend.h>
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/types/wlr_buffer.h>

#include "harness.h"

/* wlroots 0.19 and 0.20 export these allocators but install no header for them. */
struct wlr_allocator *wlr_udmabuf_allocator_create(void);
struct wlr_allocator *wlr_shm_allocator_create(void);

/* Whether a can make an output buffer (64x64 XRGB8888, implicit or LINEAR modifier). */
static bool allocator_works(struct wlr_allocator *a) {
	struct wlr_drm_format_set set = {0};
	wlr_drm_format_set_add(&set, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID);
	wlr_drm_format_set_add(&set, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
	struct wlr_buffer *b = wlr_allocator_create_buffer(a, 64, 64, wlr_drm_format_set_get(&set, DRM_FORMAT_XRGB8888));
	wlr_drm_format_set_finish(&set);
	if (!b) return false;
	wlr_buffer_drop(b);
	return true;
}

static const char *caps_name(uint32_t caps) {
	if (caps & WLR_BUFFER_CAP_DMABUF) return (caps & WLR_BUFFER_CAP_SHM) ? "DMA-BUF+SHM" : "DMA-BUF";
	if (caps & WLR_BUFFER_CAP_DATA_PTR) return "memory";
	return "SHM";
}

/* wlroots' choice first. A renderer with a DRM fd but no GPU driver behind it (wlgpu on
 * lavapipe names a vgem/virtio_gpu render node for linux-dmabuf-v1) gets wlroots' gbm
 * allocator, which cannot allocate there (Mesa falls back to kms_swrast, whose dumb buffers
 * render nodes refuse): then udmabuf (DMA-BUF output buffers the renderer draws into
 * directly), then shm. WLGPU_ALLOCATOR=udmabuf|shm forces one. */
struct wlr_allocator *create_allocator(struct server *s) {
	const char *want = getenv("WLGPU_ALLOCATOR");
	if (!want || !*want) want = "auto";
	uint32_t caps = s->renderer->render_buffer_caps;
	struct wlr_allocator *a = NULL;
	if (strcmp(want, "auto") == 0) {
		a = wlr_allocator_autocreate(s->backend, s->renderer);
		if (a && allocator_works(a)) {
			say("allocator: wlroots' choice, %s buffers", caps_name(a->buffer_caps));
			return a;
		}
		if (a) {
			say("allocator: wlroots' choice cannot allocate output buffers here (gbm on a node without a GPU "
				"driver); trying udmabuf");
			wlr_allocator_destroy(a);
			a = NULL;
		}
	}
	if ((strcmp(want, "auto") == 0 || strcmp(want, "udmabuf") == 0) && (caps & WLR_BUFFER_CAP_DMABUF)) {
		a = wlr_udmabuf_allocator_create();
		if (a && allocator_works(a)) {
			say("allocator: udmabuf, DMA-BUF output buffers (rendered into directly)");
			return a;
		}
		if (a) wlr_allocator_destroy(a);
		a = NULL;
	}
	if ((strcmp(want, "auto") == 0 || strcmp(want, "shm") == 0) && (caps & WLR_BUFFER_CAP_DATA_PTR)) {
		a = wlr_shm_allocator_create();
		if (a) say("allocator: shm, memory output buffers");
	}
	return a;
}
