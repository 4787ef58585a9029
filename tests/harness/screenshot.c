/* Screenshots (--screenshot): the buffer an output is about to show, as PNG; the scene buffers'
 * boxes (SCENE_BOX) and the frame's damage (FRAME_DAMAGE) for tests/e2e/e2e.py. */
#define _GNU_SOURCE
#include <drm_fourcc.h>
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/box.h>
#include <wlr/util/transform.h>

#include "harness.h"

static bool write_png(const char *path, const uint8_t *rgba, int w, int h) {
	FILE *f = fopen(path, "wb");
	if (!f) { say("cannot write %s: %s", path, strerror(errno)); return false; }
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(f);
		return false;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
		PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < h; y++) png_write_row(png, (png_const_bytep)(rgba + (size_t)y * w * 4));
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	fclose(f);
	return true;
}

/* Converts little-endian [AX]RGB8888 / [AX]BGR8888 rows to RGBA8 bytes. */
static bool to_rgba(uint8_t *out, const uint8_t *src, int w, int h, size_t stride, uint32_t fmt) {
	bool abgr = fmt == DRM_FORMAT_ABGR8888 || fmt == DRM_FORMAT_XBGR8888;
	bool alpha = fmt == DRM_FORMAT_ARGB8888 || fmt == DRM_FORMAT_ABGR8888;
	if (!abgr && fmt != DRM_FORMAT_ARGB8888 && fmt != DRM_FORMAT_XRGB8888) return false;
	for (int y = 0; y < h; y++) {
		const uint32_t *row = (const uint32_t *)(src + (size_t)y * stride);
		uint8_t *o = out + (size_t)y * w * 4;
		for (int x = 0; x < w; x++) {
			uint32_t p = row[x];
			uint8_t c0 = p >> 16, c2 = p;
			o[4 * x + 0] = abgr ? c2 : c0;
			o[4 * x + 1] = p >> 8;
			o[4 * x + 2] = abgr ? c0 : c2;
			o[4 * x + 3] = alpha ? p >> 24 : 255;
		}
	}
	return true;
}

char *screenshot_path(const char *base, int index) {
	char *out;
	if (index == 0) return strdup(base);
	const char *dot = strrchr(base, '.');
	int stem = dot ? (int)(dot - base) : (int)strlen(base);
	if (asprintf(&out, "%.*s-%d%s", stem, base, index, dot ? dot : "") < 0) return NULL;
	return out;
}

/* Saves the buffer the output is about to show: memory buffers directly, others through
 * the renderer (wlr_texture_read_pixels). */
bool save_buffer(struct server *s, struct wlr_buffer *buffer, const char *path) {
	int w = buffer->width, h = buffer->height;
	uint8_t *rgba = malloc((size_t)w * h * 4);
	bool ok = false;
	void *data;
	uint32_t fmt;
	size_t stride;
	if (wlr_buffer_begin_data_ptr_access(buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, &data, &fmt, &stride)) {
		ok = to_rgba(rgba, data, w, h, stride, fmt);
		wlr_buffer_end_data_ptr_access(buffer);
		if (!ok) say("screenshot: unsupported buffer format %#x", fmt);
	} else {
		struct wlr_texture *tex = wlr_texture_from_buffer(s->renderer, buffer);
		uint8_t *tmp = malloc((size_t)w * h * 4);
		if (tex) {
			struct wlr_texture_read_pixels_options o = {
				.data = tmp, .format = DRM_FORMAT_ARGB8888, .stride = (uint32_t)w * 4,
			};
			ok = wlr_texture_read_pixels(tex, &o) && to_rgba(rgba, tmp, w, h, (size_t)w * 4, DRM_FORMAT_XRGB8888);
			wlr_texture_destroy(tex);
		}
		free(tmp);
		if (!ok) say("screenshot: cannot read the output buffer back");
	}
	if (ok) ok = write_png(path, rgba, w, h);
	free(rgba);
	return ok;
}

/* Prints each scene buffer's box in the output buffer's pixels (as wlr_scene renders it: scaled,
 * then transformed) for tests/e2e/e2e.py, which allows filtering differences only on these edges. */
static int round_px(double v) { return (int)(v < 0 ? v - 0.5 : v + 0.5); }

void print_buffer_box(struct wlr_scene_buffer *b, int lx, int ly, void *data) {
	struct output *o = data;
	int w = b->dst_width, h = b->dst_height;
	if ((w <= 0 || h <= 0) && b->buffer) {
		w = b->transform % 2 ? b->buffer->height : b->buffer->width;
		h = b->transform % 2 ? b->buffer->width : b->buffer->height;
	}
	float sc = o->wlr_output->scale;
	int x = lx - o->scene_output->x, y = ly - o->scene_output->y;
	struct wlr_box box = {round_px(x * sc), round_px(y * sc), 0, 0};
	box.width = round_px((x + w) * sc) - box.x;
	box.height = round_px((y + h) * sc) - box.y;
	int tw, th;
	wlr_output_transformed_resolution(o->wlr_output, &tw, &th);
	wlr_box_transform(&box, &box, wlr_output_transform_invert(o->wlr_output->transform), tw, th);
	printf("SCENE_BOX output=%d x=%d y=%d w=%d h=%d\n", o->index, box.x, box.y, box.width, box.height);
}

/* The frame's damage and its buffer's age (frames since it was last rendered into; 0: new). */
void print_frame_damage(struct output *o, const struct wlr_output_state *state) {
	long area = -1;
	if (state->committed & WLR_OUTPUT_STATE_DAMAGE) {
		int n;
		const pixman_box32_t *r = pixman_region32_rectangles(&state->damage, &n);
		area = 0;
		for (int i = 0; i < n; i++) area += (long)(r[i].x2 - r[i].x1) * (r[i].y2 - r[i].y1);
	}
	int age = 0;
	for (int i = 0; i < 8 && !age; i++) if (o->recent[i] == state->buffer) age = i + 1;
	printf("FRAME_DAMAGE output=%d damage_px=%ld of=%d age=%d\n", o->index, area,
		state->buffer->width * state->buffer->height, age);
}
