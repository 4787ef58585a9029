/* A C compositor's first steps with wlgpu, built against the installed tree only
 * (pkg-config wlgpu-wlr-0.20): headless backend, wlgpu renderer, wlgpu's allocator, one output
 * buffer. Exit 0 and one line "consumer-c: ..." when all of it worked. */
#include <stdio.h>
#include <string.h>

#include <drm_fourcc.h>
#include <wayland-server-core.h>
#include <wlr/backend/headless.h>
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>

#include <wlgpu/version.h>
#include <wlgpu/wlr.h>

int main(void) {
	if (strcmp(wlgpu_version(), WLGPU_VERSION_STRING) != 0) {
		fprintf(stderr, "consumer-c: library %s, headers %s\n", wlgpu_version(), WLGPU_VERSION_STRING);
		return 1;
	}
	struct wl_display *display = wl_display_create();
	struct wlr_backend *backend = wlr_headless_backend_create(wl_display_get_event_loop(display));
	struct wlr_renderer *renderer = backend ? wlgpu_renderer_create(backend) : NULL;
	if (!renderer || !wlr_renderer_is_wlgpu(renderer)) {
		fprintf(stderr, "consumer-c: no wlgpu renderer\n");
		return 1;
	}
	struct wlr_allocator *allocator = wlgpu_allocator_autocreate(backend, renderer);
	struct wlr_drm_format_set set = {0};
	wlr_drm_format_set_add(&set, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
	struct wlr_buffer *buffer = allocator ?
		wlr_allocator_create_buffer(allocator, 64, 64, wlr_drm_format_set_get(&set, DRM_FORMAT_XRGB8888)) : NULL;
	wlr_drm_format_set_finish(&set);
	if (!buffer) {
		fprintf(stderr, "consumer-c: no output buffer from wlgpu_allocator_autocreate\n");
		return 1;
	}
	printf("consumer-c: wlgpu %s (version num %d): %s\n", wlgpu_version(), WLGPU_VERSION_NUM,
		wlgpu_renderer_get_summary(renderer));
	wlr_buffer_drop(buffer);
	wlr_allocator_destroy(allocator);
	wlr_renderer_destroy(renderer);
	wlr_backend_destroy(backend);
	wl_display_destroy(display);
	return 0;
}
