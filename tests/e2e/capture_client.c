/* A screenshot taker for the tests (grim's job, with no grim in the sysroot): captures the first
 * wl_output through ext-image-copy-capture-v1 into a wl_shm buffer and writes it as a binary PPM.
 *
 *   capture_client OUT.ppm        (WAYLAND_DISPLAY names the compositor)
 *
 * Prints one line: "CAPTURE ok WxH format=0xF" or "CAPTURE error REASON". Exit status 0 on success. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

#include "client_common.h"
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"

struct capture {
	struct wl_shm *shm;
	struct wl_output *output;
	struct ext_output_image_capture_source_manager_v1 *sources;
	struct ext_image_copy_capture_manager_v1 *copy;
	uint32_t width, height, format;
	bool have_format, session_done, stopped, frame_done, ready;
	uint32_t failure;
};

static void global(void *data, struct wl_registry *r, uint32_t name, const char *iface, uint32_t version) {
	struct capture *c = data;
	if (strcmp(iface, wl_shm_interface.name) == 0) c->shm = wl_registry_bind(r, name, &wl_shm_interface, 1);
	else if (strcmp(iface, wl_output_interface.name) == 0 && !c->output)
		c->output = wl_registry_bind(r, name, &wl_output_interface, 1);
	else if (strcmp(iface, ext_output_image_capture_source_manager_v1_interface.name) == 0)
		c->sources = wl_registry_bind(r, name, &ext_output_image_capture_source_manager_v1_interface, 1);
	else if (strcmp(iface, ext_image_copy_capture_manager_v1_interface.name) == 0)
		c->copy = wl_registry_bind(r, name, &ext_image_copy_capture_manager_v1_interface, 1);
}
static void global_remove(void *data, struct wl_registry *r, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {global, global_remove};

static void s_buffer_size(void *data, struct ext_image_copy_capture_session_v1 *s, uint32_t w, uint32_t h) {
	struct capture *c = data;
	c->width = w;
	c->height = h;
}
static void s_shm_format(void *data, struct ext_image_copy_capture_session_v1 *s, uint32_t format) {
	struct capture *c = data;
	if (!c->have_format && (format == WL_SHM_FORMAT_XRGB8888 || format == WL_SHM_FORMAT_ARGB8888)) {
		c->format = format;
		c->have_format = true;
	}
}
static void s_dmabuf_device(void *data, struct ext_image_copy_capture_session_v1 *s, struct wl_array *dev) {}
static void s_dmabuf_format(void *data, struct ext_image_copy_capture_session_v1 *s, uint32_t f, struct wl_array *m) {}
static void s_done(void *data, struct ext_image_copy_capture_session_v1 *s) { ((struct capture *)data)->session_done = true; }
static void s_stopped(void *data, struct ext_image_copy_capture_session_v1 *s) { ((struct capture *)data)->stopped = true; }
static const struct ext_image_copy_capture_session_v1_listener session_listener = {
	s_buffer_size, s_shm_format, s_dmabuf_device, s_dmabuf_format, s_done, s_stopped,
};

static void f_transform(void *data, struct ext_image_copy_capture_frame_v1 *f, uint32_t t) {}
static void f_damage(void *data, struct ext_image_copy_capture_frame_v1 *f, int32_t x, int32_t y, int32_t w, int32_t h) {}
static void f_time(void *data, struct ext_image_copy_capture_frame_v1 *f, uint32_t hi, uint32_t lo, uint32_t ns) {}
static void f_ready(void *data, struct ext_image_copy_capture_frame_v1 *f) {
	struct capture *c = data;
	c->ready = c->frame_done = true;
}
static void f_failed(void *data, struct ext_image_copy_capture_frame_v1 *f, uint32_t reason) {
	struct capture *c = data;
	c->failure = reason;
	c->frame_done = true;
}
static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	f_transform, f_damage, f_time, f_ready, f_failed,
};

static int fail(const char *why) {
	printf("CAPTURE error %s\n", why);
	return 1;
}

static bool write_ppm(const char *path, const uint8_t *px, uint32_t w, uint32_t h) {
	FILE *f = fopen(path, "wb");
	if (!f) return false;
	fprintf(f, "P6\n%u %u\n255\n", w, h);
	for (size_t i = 0; i < (size_t)w * h; i++) {
		uint32_t p;
		memcpy(&p, px + i * 4, 4);  /* [AX]RGB8888: 0xAARRGGBB words */
		uint8_t rgb[3] = {(uint8_t)(p >> 16), (uint8_t)(p >> 8), (uint8_t)p};
		fwrite(rgb, 1, 3, f);
	}
	return fclose(f) == 0;
}

int main(int argc, char **argv) {
	if (argc != 2) return fail("usage: capture_client OUT.ppm");
	struct wl_display *display = wl_display_connect(NULL);
	if (!display) return fail("cannot connect to WAYLAND_DISPLAY");
	struct capture c = {0};
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	wl_display_roundtrip(display);
	if (!c.shm || !c.output) return fail("no wl_shm or wl_output");
	if (!c.sources || !c.copy) return fail("the compositor has no ext-image-copy-capture-v1");

	struct ext_image_capture_source_v1 *source =
		ext_output_image_capture_source_manager_v1_create_source(c.sources, c.output);
	struct ext_image_copy_capture_session_v1 *session =
		ext_image_copy_capture_manager_v1_create_session(c.copy, source, 0);
	ext_image_copy_capture_session_v1_add_listener(session, &session_listener, &c);
	if (tc_dispatch(display, 10000, &c.session_done) != 1 || c.stopped) return fail("no session constraints");
	if (!c.have_format || !c.width || !c.height) return fail("no XRGB8888/ARGB8888 shm format offered");

	size_t size = (size_t)c.width * c.height * 4;
	int fd = memfd_create("capture", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) return fail("memfd");
	uint8_t *px = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (px == MAP_FAILED) return fail("mmap");
	struct wl_shm_pool *pool = wl_shm_create_pool(c.shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, (int32_t)c.width, (int32_t)c.height,
		(int32_t)c.width * 4, c.format);

	struct ext_image_copy_capture_frame_v1 *frame = ext_image_copy_capture_session_v1_create_frame(session);
	ext_image_copy_capture_frame_v1_add_listener(frame, &frame_listener, &c);
	ext_image_copy_capture_frame_v1_attach_buffer(frame, buffer);
	ext_image_copy_capture_frame_v1_damage_buffer(frame, 0, 0, (int32_t)c.width, (int32_t)c.height);
	ext_image_copy_capture_frame_v1_capture(frame);
	if (tc_dispatch(display, 10000, &c.frame_done) != 1) return fail("no ready or failed event in 10 s");
	if (!c.ready) {
		char why[64];
		snprintf(why, sizeof(why), "frame failed (reason %u)", c.failure);
		return fail(why);
	}
	if (!write_ppm(argv[1], px, c.width, c.height)) return fail("cannot write the PPM file");
	printf("CAPTURE ok %ux%u format=%#x\n", c.width, c.height, c.format);

	/* Everything freed: the sanitizer build checks for leaks. */
	ext_image_copy_capture_frame_v1_destroy(frame);
	ext_image_copy_capture_session_v1_destroy(session);
	ext_image_capture_source_v1_destroy(source);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	munmap(px, size);
	close(fd);
	ext_image_copy_capture_manager_v1_destroy(c.copy);
	ext_output_image_capture_source_manager_v1_destroy(c.sources);
	wl_output_destroy(c.output);
	wl_shm_destroy(c.shm);
	wl_registry_destroy(registry);
	wl_display_disconnect(display);
	return 0;
}
