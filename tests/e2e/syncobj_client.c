/*
 * syncobj_client: a minimal Wayland client speaking linux-drm-syncobj-v1, for the test bed
 * (tests/e2e/syncobj.py). No unmodified client in the sysroot can (docs/sync.md, "Clients in
 * the test bed"), so this one does what a GPU client's WSI does, with kernel objects instead of
 * a GPU: its buffers are udmabufs (memfd -> dma-buf, linux-dmabuf-v1; --shm: wl_shm) written by
 * the CPU, its "GPU work" is a vgem fence that it signals when it likes, attached to a timeline
 * point of a syncobj on the virtio_gpu render node (imported by the compositor).
 *
 *   syncobj_client --mode good   frames whose acquire point is an unsignalled vgem fence: the
 *                                buffer is blue (poison) at the commit and gets its frame's own
 *                                colour (magenta, green level = frame number) just before the
 *                                signal, as a GPU would write it; each buffer reused only after
 *                                its release point signalled (5 s limit: else FAIL)
 *   syncobj_client --mode late   shows red (point 1), measures the compositor's round trips
 *                                (baseline), then commits a buffer painted blue whose acquire
 *                                point is an unsignalled vgem fence; measures the round trips
 *                                while it is pending; paints it green just before signalling;
 *                                the surface must then show green
 *   syncobj_client --mode never  shows red, then commits blue with a fence it never signals
 *                                (the compositor must name it in a timeout log line, keep red)
 *   syncobj_client --mode flood  shows red, then makes 40 commits whose fences never signal
 *                                (the compositor must disconnect it past its limit of held
 *                                commits); prints how it was disconnected
 *
 * Results are lines "SYNCOBJ_CLIENT <mode> key=value..." on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xf86drm.h>
#include <drm_fourcc.h>

#include "client_common.h"
#include "linux-dmabuf-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#include "common/vgem_uapi.h"

#define W 200
#define H 150
#define NBUF 3

static const char *mode = "good";
static bool use_shm = false;
static int late_ms = 1500;

struct buffer {
	struct wl_buffer *wl;
	uint32_t *px;
	uint64_t release_point;  /* 0: free */
};

static struct {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct wp_linux_drm_syncobj_manager_v1 *syncobj;
	struct wl_surface *surface;
	struct tc_window win;
	struct wp_linux_drm_syncobj_surface_v1 *sync_surface;
	struct wp_linux_drm_syncobj_timeline_v1 *acquire_tl, *release_tl;
	uint32_t acquire_handle, release_handle;
	int drm_fd, vgem_fd;
	bool frame_done;
	uint64_t point;
	struct buffer buf[NBUF];
} c;

#define out(...) do { printf("SYNCOBJ_CLIENT %s ", mode); printf(__VA_ARGS__); printf("\n"); fflush(stdout); } while (0)
#define die(...) do { out("FAIL " __VA_ARGS__); exit(1); } while (0)

/* ---- registry / xdg ------------------------------------------------------------------- */

static void global(void *d, struct wl_registry *r, uint32_t name, const char *iface, uint32_t ver) {
	(void)d;
	if (!strcmp(iface, wl_compositor_interface.name)) c.compositor = wl_registry_bind(r, name, &wl_compositor_interface, 4);
	else if (!strcmp(iface, wl_shm_interface.name)) c.shm = wl_registry_bind(r, name, &wl_shm_interface, 1);
	else if (!strcmp(iface, xdg_wm_base_interface.name)) c.wm = wl_registry_bind(r, name, &xdg_wm_base_interface, 1);
	else if (!strcmp(iface, zwp_linux_dmabuf_v1_interface.name) && ver >= 3)
		c.dmabuf = wl_registry_bind(r, name, &zwp_linux_dmabuf_v1_interface, 3);
	else if (!strcmp(iface, wp_linux_drm_syncobj_manager_v1_interface.name))
		c.syncobj = wl_registry_bind(r, name, &wp_linux_drm_syncobj_manager_v1_interface, 1);
}
static void global_remove(void *d, struct wl_registry *r, uint32_t name) { (void)d; (void)r; (void)name; }
static const struct wl_registry_listener registry_listener = {global, global_remove};

/* ---- buffers -------------------------------------------------------------------------- */

static void make_buffer(struct buffer *b) {
	size_t size = (size_t)W * H * 4;
	size = (size + 4095) & ~(size_t)4095;
	if (use_shm) {
		int memfd = memfd_create("syncobj-client", MFD_CLOEXEC);
		if (memfd < 0 || ftruncate(memfd, (off_t)size) < 0) die("memfd: %s", strerror(errno));
		b->px = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
		if (b->px == MAP_FAILED) die("mmap: %s", strerror(errno));
		struct wl_shm_pool *pool = wl_shm_create_pool(c.shm, memfd, (int32_t)size);
		b->wl = wl_shm_pool_create_buffer(pool, 0, W, H, W * 4, WL_SHM_FORMAT_XRGB8888);
		wl_shm_pool_destroy(pool);
		close(memfd);
	} else {
		int dmabuf = tc_udmabuf(size, 0, &b->px);
		if (dmabuf < 0) die("udmabuf: %s", strerror(errno));
		struct zwp_linux_buffer_params_v1 *p = zwp_linux_dmabuf_v1_create_params(c.dmabuf);
		zwp_linux_buffer_params_v1_add(p, dmabuf, 0, 0, W * 4, DRM_FORMAT_MOD_LINEAR >> 32,
			DRM_FORMAT_MOD_LINEAR & 0xffffffff);
		b->wl = zwp_linux_buffer_params_v1_create_immed(p, W, H, DRM_FORMAT_XRGB8888, 0);
		zwp_linux_buffer_params_v1_destroy(p);
		close(dmabuf);
	}
}

static void fill(struct buffer *b, uint32_t xrgb) {
	for (int i = 0; i < W * H; i++) b->px[i] = xrgb;
}

/* ---- timelines ------------------------------------------------------------------------ */

static struct wp_linux_drm_syncobj_timeline_v1 *make_timeline(uint32_t *handle) {
	if (drmSyncobjCreate(c.drm_fd, 0, handle)) die("drmSyncobjCreate: %s", strerror(errno));
	int fd = -1;
	if (drmSyncobjHandleToFD(c.drm_fd, *handle, &fd)) die("drmSyncobjHandleToFD: %s", strerror(errno));
	struct wp_linux_drm_syncobj_timeline_v1 *t = wp_linux_drm_syncobj_manager_v1_import_timeline(c.syncobj, fd);
	close(fd);
	return t;
}

/* Attaches an unsignalled vgem fence at the acquire point (materialised, not signalled, as
 * after a GPU submit); returns the vgem fence id to signal later. */
static uint32_t attach_unsignalled(uint64_t point) {
	struct drm_mode_create_dumb cd = {.width = 16, .height = 16, .bpp = 32};
	if (drmIoctl(c.vgem_fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) die("vgem dumb: %s", strerror(errno));
	int buf = -1;
	if (drmPrimeHandleToFD(c.vgem_fd, cd.handle, DRM_CLOEXEC | DRM_RDWR, &buf)) die("vgem prime: %s", strerror(errno));
	struct vgem_fence_attach fa = {.handle = cd.handle, .flags = VGEM_FENCE_WRITE};
	if (drmIoctl(c.vgem_fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa)) die("vgem fence: %s", strerror(errno));
	struct dma_buf_export_sync_file es = {.flags = DMA_BUF_SYNC_RW, .fd = -1};
	if (ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &es)) die("EXPORT_SYNC_FILE: %s", strerror(errno));
	uint32_t tmp = 0;
	if (drmSyncobjCreate(c.drm_fd, 0, &tmp) || drmSyncobjImportSyncFile(c.drm_fd, tmp, es.fd) ||
			drmSyncobjTransfer(c.drm_fd, c.acquire_handle, point, tmp, 0, 0))
		die("attaching the fence to point %" PRIu64 ": %s", point, strerror(errno));
	drmSyncobjDestroy(c.drm_fd, tmp);
	close(es.fd);
	close(buf);
	struct drm_mode_destroy_dumb dd = {.handle = cd.handle};
	drmIoctl(c.vgem_fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	return fa.out_fence;
}

static void signal_vgem(uint32_t fence) {
	struct vgem_fence_signal s = {.fence = fence};
	if (drmIoctl(c.vgem_fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &s)) die("VGEM_FENCE_SIGNAL: %s", strerror(errno));
}

static bool release_signalled(uint64_t point, int timeout_ms) {
	int64_t abs = (int64_t)((tc_now_ms() + timeout_ms) * 1e6);
	int r = drmSyncobjTimelineWait(c.drm_fd, &c.release_handle, &point, 1, abs, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL);
	return r == 0;
}

/* Commits b with acquire point `point` (signalled from the CPU now unless late_fence) and
 * release point `point`. */
static void commit(struct buffer *b, uint64_t point, bool signal_now) {
	if (signal_now && drmSyncobjTimelineSignal(c.drm_fd, &c.acquire_handle, &point, 1))
		die("signal acquire %" PRIu64 ": %s", point, strerror(errno));
	wp_linux_drm_syncobj_surface_v1_set_acquire_point(c.sync_surface, c.acquire_tl, point >> 32, point & 0xffffffff);
	wp_linux_drm_syncobj_surface_v1_set_release_point(c.sync_surface, c.release_tl, point >> 32, point & 0xffffffff);
	b->release_point = point;
	wl_surface_attach(c.surface, b->wl, 0, 0);
	wl_surface_damage_buffer(c.surface, 0, 0, W, H);
	tc_request_frame(c.surface, &c.frame_done);
	wl_surface_commit(c.surface);
	wl_display_flush(c.display);
}

/* Dispatches events for up to ms (or until the frame callback when until_frame). */
static bool dispatch(int ms, bool until_frame) {
	int r = tc_dispatch(c.display, ms, until_frame ? &c.frame_done : NULL);
	if (r < 0) die("connection lost or protocol error: %s", strerror(errno));
	return r == 1 || !until_frame;
}

static const uint32_t RED = 0xffd02020, BLUE = 0xff2020d0, GREEN = 0xff20c040, GOOD = 0xffc000c0;

/* Round trips to the compositor every 50 ms for ms; returns the longest, counts them. */
static double roundtrips(double ms, int *count) {
	double start = tc_now_ms(), max_rt = 0;
	*count = 0;
	while (tc_now_ms() - start < ms) {
		double t0 = tc_now_ms();
		wl_display_roundtrip(c.display);
		double rt = tc_now_ms() - t0;
		if (rt > max_rt) max_rt = rt;
		(*count)++;
		usleep(50000);
	}
	return max_rt;
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) mode = argv[++i];
		else if (!strcmp(argv[i], "--shm")) use_shm = true;
		else if (!strcmp(argv[i], "--late-ms") && i + 1 < argc) late_ms = atoi(argv[++i]);
		else { fprintf(stderr, "usage: syncobj_client [--mode good|late|never|flood] [--shm] [--late-ms MS]\n"); return 2; }
	}
	c.display = wl_display_connect(NULL);
	if (!c.display) die("cannot connect");
	struct wl_registry *reg = wl_display_get_registry(c.display);
	wl_registry_add_listener(reg, &registry_listener, NULL);
	wl_display_roundtrip(c.display);
	if (!c.compositor || !c.wm) die("no wl_compositor/xdg_wm_base");
	if (!c.syncobj) die("the compositor does not advertise wp_linux_drm_syncobj_manager_v1");
	if (!use_shm && !c.dmabuf) {
		out("note: no zwp_linux_dmabuf_v1 (v3) advertised; using wl_shm buffers");
		use_shm = true;
	}
	if (use_shm && !c.shm) die("no wl_shm");
	c.drm_fd = tc_open_drm("renderD", NULL);
	if (c.drm_fd < 0) die("no render node with timeline syncobjs");
	c.vgem_fd = tc_open_drm("card", "vgem");
	if (c.vgem_fd < 0) die("no vgem node");
	out("start pid=%d buffers=%s", (int)getpid(), use_shm ? "shm" : "udmabuf");

	char title[64];
	snprintf(title, sizeof title, "syncobj-%s", mode);
	tc_window_init(&c.win, c.compositor, c.wm, title);
	c.surface = c.win.surface;
	c.sync_surface = wp_linux_drm_syncobj_manager_v1_get_surface(c.syncobj, c.surface);
	c.acquire_tl = make_timeline(&c.acquire_handle);
	c.release_tl = make_timeline(&c.release_handle);
	if (tc_dispatch(c.display, 20000, &c.win.configured) != 1) die("no configure within 20 s");
	for (int i = 0; i < NBUF; i++) make_buffer(&c.buf[i]);
	wl_display_roundtrip(c.display);  /* create_immed failures arrive as errors */

	if (!strcmp(mode, "good")) {
		/* Frames with signalled acquire points; a buffer is reused only after its release point
		 * has signalled. Reports every second. */
		long frames = 0, releases = 0;
		double last = tc_now_ms(), start = last, max_gap = 0, last_report = last;
		for (uint64_t n = 1;; n++) {
			struct buffer *b = &c.buf[n % NBUF];
			if (b->release_point) {
				if (!release_signalled(b->release_point, 5000))
					die("release point %" PRIu64 " did not signal within 5 s", b->release_point);
				releases++;
			}
			/* Content differs per commit and is written after the commit, before the signal:
			 * a compositor that samples before the acquire point signals shows blue. */
			fill(b, BLUE);
			uint32_t fence = attach_unsignalled(n);
			commit(b, n, false);
			usleep(5000);
			fill(b, GOOD | (uint32_t)(0x40 + n % 64) << 8);
			signal_vgem(fence);
			if (!dispatch(10000, true)) die("no frame callback within 10 s");
			double t = tc_now_ms();
			if (frames > 0 && t - last > max_gap) max_gap = t - last;
			last = t;
			frames++;
			if (t - last_report > 1000) {
				out("frames=%ld releases=%ld max_gap_ms=%.0f fps=%.1f", frames, releases, max_gap,
					frames * 1e3 / (t - start));
				last_report = t;
			}
		}
	}

	/* late / never: red first (signalled), then blue with an unsignalled fence. */
	struct buffer *a = &c.buf[0], *b = &c.buf[1];
	fill(a, RED);
	commit(a, 1, true);
	if (!dispatch(20000, true)) die("the first frame was not shown within 20 s");
	out("red shown");
	if (!strcmp(mode, "flood")) {
		/* 40 commits whose acquire points never signal, none waiting for its fence: the
		 * compositor must refuse to hold more than its limit and disconnect this client with a
		 * protocol error. A round trip follows each commit so that nothing of ours is unread in
		 * the compositor's socket when it closes it: a close with unread data resets the
		 * connection (ECONNRESET) and the error event in flight to us is lost. */
		int sent = 0;
		for (uint64_t p = 2; p < 42; p++) {
			fill(b, BLUE);
			attach_unsignalled(p);
			commit(b, p, false);
			sent++;
			if (wl_display_roundtrip(c.display) < 0) break;
		}
		while (wl_display_roundtrip(c.display) >= 0) usleep(100000);
		const struct wl_interface *iface = NULL;
		uint32_t id = 0, code = wl_display_get_protocol_error(c.display, &iface, &id);
		out("disconnected commits=%d error=%d protocol_error_interface=%s code=%u", sent,
			wl_display_get_error(c.display), iface ? iface->name : "none", code);
		return 0;
	}
	/* Baseline: the compositor's round trips with nothing pending, at the same cadence. */
	int n_base = 0;
	double base_rt = roundtrips(1000, &n_base);
	fill(b, BLUE);
	uint32_t fence = attach_unsignalled(2);
	double committed = tc_now_ms();
	commit(b, 2, false);
	if (!strcmp(mode, "never")) {
		out("committed blue with a fence that is never signalled");
		/* Keep the connection alive (the vgem fence expires after about 10 s). */
		for (;;) {
			dispatch(1000, false);
			if (c.frame_done) die("the never-signalled commit was applied (frame callback)");
		}
	}

	/* late: the compositor must stay responsive while the acquire is pending. */
	int n_rt = 0;
	double max_rt = roundtrips(late_ms - (tc_now_ms() - committed), &n_rt);
	bool early = c.frame_done;
	fill(b, GREEN);  /* the content the compositor must show: written just before the signal */
	double signalled = tc_now_ms();
	signal_vgem(fence);
	bool shown = dispatch(20000, true);
	double frame_ms = tc_now_ms() - signalled;
	bool rel1 = release_signalled(1, 5000);
	out("pending_ms=%.0f max_roundtrip_ms=%.1f roundtrips=%d baseline_max_roundtrip_ms=%.1f baseline_roundtrips=%d "
		"applied_early=%d frame_after_signal=%d frame_after_signal_ms=%.0f release1=%d", signalled - committed,
		max_rt, n_rt, base_rt, n_base, early, shown, frame_ms, rel1);
	if (early) die("the commit was applied before its acquire point signalled");
	if (!shown) die("no frame after the signal");
	if (!rel1) die("release point 1 did not signal");
	out("PASS");
	for (;;) dispatch(1000, false);
}
