/*
 * wlgpu-test-compositor: the test and benchmark harness (tests/harness). A wlroots compositor
 * that renders real clients' toplevels on a fixed grid with wlgpu or, for comparison, wlroots'
 * pixman / gles2 / vulkan renderers, and measures and checks what it rendered: screenshots
 * (screenshot.c), frame times and fd counts (stats.c); its allocator is wlgpu_allocator_autocreate
 * (works on render nodes without a GPU driver). The tests/e2e scripts and bench/wlr.py drive it; the example a
 * compositor author copies is examples/tinywl.
 */
#ifndef WLGPU_HARNESS_H
#define WLGPU_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>
#include <wayland-server-core.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>

#include "effects.h"

#define MAX_CLIENTS 16
#define CELL_W 340
#define CELL_H 330

struct options {
	int width, height, outputs;
	float scale;
	enum wl_output_transform transform;
	char *clients[MAX_CLIENTS];  /* point into client_list */
	char *client_list;
	int nclients;
	int frames;             /* frames to render once the clients are up (0: run until killed) */
	double seconds;         /* alternatively, run this long */
	const char *screenshot;
	bool stats;
	bool gpu_timer;         /* --gpu-timer: wlr_scene_timer per output, the render timer's ms in the stats */
	const char *renderer;   /* wlgpu, pixman, gles2, vulkan */
	const char *backend;    /* headless, auto */
	long frame_time_ms;     /* >= 0: fixed timestamp in frame callbacks (deterministic clients) */
	int32_t refresh_mhz;    /* > 0: headless outputs' refresh (--refresh); 0: wlroots' default */
	int kill_client, kill_frame;  /* kill client #kill_client at frame kill_frame */
	bool check_fds;
	double ready_timeout;
	bool full_redraw;
	bool damaged_screenshot; /* screenshot an incremental (damage-only, buffer-age) frame */
	bool move;               /* move the toplevels a little every frame (damage to repaint) */
	bool verbose;
	long acquire_timeout_ms; /* explicit sync: log a client whose acquire point stays unsignalled */
	bool no_syncobj;         /* do not advertise linux-drm-syncobj-v1 */
	unsigned long long client_max_bytes;  /* --client-limits: wlgpu_surface_sync_set_client_limits */
	unsigned client_max_buffers;
	struct effects_options fx;  /* effects.c */
	int lose_device;         /* enum loss_phase: where SIGUSR1 makes the device lost (device_loss.c) */
};

/* --lose-device PHASE (device_loss.c): where the loss is injected once SIGUSR1 arms it. */
enum loss_phase {
	LOSS_NONE,
	LOSS_IDLE,     /* at once, between two frames */
	LOSS_FRAME,    /* in the next render pass, right after a client's texture was drawn */
	LOSS_IMPORT,   /* in the next client commit with a buffer, before wlroots imports it */
	LOSS_ACQUIRE,  /* in the next commit held for its explicit-sync acquire point (wait pending) */
};

/* Device loss and recovery: the renderer's events.lost re-creates the renderer and allocator on
 * an idle callback, as sway does (device_loss.c). */
struct device_loss {
	bool armed, injected, recovered;
	int lost_events, recreations;
	struct wl_event_source *sigusr1, *recreate;
	struct wl_listener renderer_lost, sample;
	bool sample_attached;
};

struct server {
	struct options opt;
	struct wl_display *display;
	const char *socket;  /* the clients' WAYLAND_DISPLAY */
	struct wl_event_loop *loop;
	struct wlr_backend *backend;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_scene *scene;
	struct wlr_scene_output_layout *scene_layout;
	struct wlr_output_layout *output_layout;
	struct wlr_xdg_shell *xdg_shell;
	struct wlr_seat *seat;
	struct wl_listener new_output, new_xdg_toplevel, new_xdg_popup;
	struct wl_list outputs, toplevels;
	int noutputs;

	pid_t pids[MAX_CLIENTS];
	bool spawned;
	uint32_t ever_mapped;  /* bit i: client i (--clients) has mapped a toplevel */
	long frame;              /* frames of output 0 since start */
	long ready_frame;        /* frame at which all clients were mapped (-1: not yet) */
	struct timespec start, ready_at;
	int fds_before, fds_after;
	int exit_code;
	bool done;
	int screenshots_pending;

	/* Frame times (stats.c): one sample per frame of output 0, summed over every output
	 * rendered since the previous one (--outputs N: the cost of one refresh of all of them).
	 * cpu: the process's CPU clock (all threads: the driver's too); thread: the compositor
	 * thread's own CPU clock (what it did itself, a spinning wait included); gpu (--gpu-timer):
	 * the renderer's render timer (wlgpu: the render pass's GPU time from timestamps; pixman:
	 * its CPU time), -1 in a frame where an output's timer had no figure. */
	double *ms_wall, *ms_cpu, *ms_thread, *ms_gpu;
	size_t nstats, capstats;
	double sum_wall, sum_cpu, sum_thread, sum_gpu;
	bool sum_pending;

	/* Sync: commits held until their buffers are ready; linux-drm-syncobj-v1. */
	struct wlr_compositor *compositor;
	struct wlgpu_surface_sync *surface_sync;
	struct wlr_linux_drm_syncobj_manager_v1 *syncobj_manager;

	/* Effects (effects.c): wlgpu's scene helper and the --effect output effect. */
	struct wlgpu_scene_effects *scene_fx;
	struct wlgpu_effect *output_effect;
	struct wlr_linux_dmabuf_v1 *dmabuf;  /* its check_dmabuf callback names the renderer */

	struct device_loss loss;
};

struct output {
	struct wl_list link;
	struct server *server;
	struct wlr_output *wlr_output;
	struct wlr_scene_output *scene_output;
	int index;
	bool screenshot_done;
	struct wlr_buffer *recent[8];  /* buffers of the last frames, newest first (buffer age) */
	struct wlr_scene_timer timer;  /* --gpu-timer */
	struct wl_listener frame, destroy;
};

struct toplevel {
	struct wl_list link;
	struct server *server;
	struct wlr_xdg_toplevel *xdg;
	struct wlr_scene_tree *tree;
	int slot;
	struct wlgpu_scene_effect *shadow, *blur;  /* effects.c; freed with the tree */
	struct wl_listener map, commit, destroy;
	struct wl_listener loss_commit;  /* device_loss.c: --lose-device import/acquire */
};

struct popup {
	struct wlr_xdg_popup *xdg;
	struct wl_listener commit, destroy;
};

#define say(...) do { fprintf(stderr, "[compositor] " __VA_ARGS__); fputc('\n', stderr); } while (0)

static inline double ts_ms(const struct timespec *t) { return t->tv_sec * 1e3 + t->tv_nsec / 1e6; }
static inline double now_ms(clockid_t c) {
	struct timespec t;
	clock_gettime(c, &t);
	return ts_ms(&t);
}

/* stats.c */
int count_fds(void);
int count_fds_settled(struct wlr_renderer *renderer, int before);
void print_fds(void);
void stats_add(struct server *s, double wall, double cpu, double thread, double gpu);
void stats_end_frame(struct server *s);
void print_stats(struct server *s);
void print_sync_stats(struct server *s);

/* compositor.c */
struct wlr_renderer *create_renderer(struct server *s);

/* device_loss.c */
bool device_loss_parse(const char *name, int *phase);
void device_loss_init(struct server *s);
void device_loss_finish(struct server *s);
bool device_loss_pending(struct server *s);  /* --lose-device given and not recovered yet */
void device_loss_frame_begin(struct output *o);
void device_loss_frame_end(struct output *o);
void device_loss_toplevel_init(struct toplevel *tl);
void device_loss_toplevel_finish(struct toplevel *tl);

/* screenshot.c */
char *screenshot_path(const char *base, int index);
bool save_buffer(struct server *s, struct wlr_buffer *buffer, const char *path);
void print_buffer_box(struct wlr_scene_buffer *b, int lx, int ly, void *data);
void print_frame_damage(struct output *o, const struct wlr_output_state *state);


#endif
