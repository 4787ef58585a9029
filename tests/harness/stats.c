/* The harness's measurements: frame times (--stats), explicit-sync counters, fd counts (--check-fds). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>
#include <wlr/types/wlr_linux_drm_syncobj_v1.h>

#include "harness.h"
#include "wlgpu/wlr.h"
#include "wlgpu/wlr_sync.h"

int count_fds(void) {
	DIR *d = opendir("/proc/self/fd");
	if (!d) return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* The fds held once deferred releases are done: wlgpu keeps an imported DMA-BUF's fds until
 * the GPU is past its last use (it notices at a later frame, and no frame follows the clients'
 * exit), so the renderer finishes its work first; what is still above `before` is re-counted
 * for up to 1 s (a release under way elsewhere). A real leak stays and is reported. */
int count_fds_settled(struct wlr_renderer *renderer, int before) {
	int n = count_fds();
	if (n > before) say("fds: %d more than before the clients; waiting for deferred releases", n - before);
	for (int i = 0; i < 20 && n > before; i++) {
		if (wlr_renderer_is_wlgpu(renderer)) wlgpu_renderer_finish(renderer);
		n = count_fds();
		if (n > before) usleep(50 * 1000);
	}
	return n;
}

/* Each open fd and what it is (after a leak: which fds grew). */
void print_fds(void) {
	DIR *d = opendir("/proc/self/fd");
	if (!d) return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		char path[300], target[256];
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n > 0 ? n : 0] = 0;
		say("fd %s -> %s", e->d_name, target);
	}
	closedir(d);
}

static void record_stat(struct server *s, double wall, double cpu, double thread, double gpu) {
	if (s->nstats == s->capstats) {
		s->capstats = s->capstats ? s->capstats * 2 : 256;
		s->ms_wall = realloc(s->ms_wall, s->capstats * sizeof(double));
		s->ms_cpu = realloc(s->ms_cpu, s->capstats * sizeof(double));
		s->ms_thread = realloc(s->ms_thread, s->capstats * sizeof(double));
		s->ms_gpu = realloc(s->ms_gpu, s->capstats * sizeof(double));
	}
	s->ms_wall[s->nstats] = wall;
	s->ms_cpu[s->nstats] = cpu;
	s->ms_thread[s->nstats] = thread;
	s->ms_gpu[s->nstats] = gpu;
	s->nstats++;
}

/* One output's render time in the current frame. */
void stats_add(struct server *s, double wall, double cpu, double thread, double gpu) {
	s->sum_wall += wall;
	s->sum_cpu += cpu;
	s->sum_thread += thread;
	if (!s->sum_pending) s->sum_gpu = 0;
	s->sum_gpu = gpu < 0 || s->sum_gpu < 0 ? -1 : s->sum_gpu + gpu;
	s->sum_pending = true;
}

/* Records the frame's times summed over the outputs (at output 0's next frame, and at exit). */
void stats_end_frame(struct server *s) {
	if (!s->sum_pending) return;
	record_stat(s, s->sum_wall, s->sum_cpu, s->sum_thread, s->sum_gpu);
	s->sum_wall = s->sum_cpu = s->sum_thread = s->sum_gpu = 0;
	s->sum_pending = false;
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void print_stats(struct server *s) {
	if (s->nstats == 0) { say("stats: no frames were rendered"); return; }
	/* The render timer's figures: only the frames that had one. */
	size_t ngpu = 0;
	for (size_t i = 0; i < s->nstats; i++)
		if (s->ms_gpu[i] >= 0) s->ms_gpu[ngpu++] = s->ms_gpu[i];
	double *v[4] = {s->ms_wall, s->ms_cpu, s->ms_thread, s->ms_gpu};
	size_t n[4] = {s->nstats, s->nstats, s->nstats, ngpu};
	const char *name[4] = {"wall ms", "cpu ms", "thread ms", "timer ms"};
	const char *kind[4] = {"wall", "cpu", "thread", "gpu"};
	if (s->opt.gpu_timer && ngpu < s->nstats)
		say("stats: the render timer gave no figure in %zu of %zu frames", s->nstats - ngpu, s->nstats);
	fprintf(stderr, "[compositor] frame times over %zu rendered frames (renderer %s, %d outputs %dx%d):\n",
		s->nstats, s->opt.renderer, s->noutputs, s->opt.width, s->opt.height);
	fprintf(stderr, "  %-9s %9s %9s %9s %9s\n", "", "min", "median", "p99", "mean");
	for (int k = 0; k < 4; k++) {
		if (n[k] == 0) continue;
		double sum = 0;
		for (size_t i = 0; i < n[k]; i++) sum += v[k][i];
		qsort(v[k], n[k], sizeof(double), cmp_double);
		size_t p99 = (size_t)(0.99 * (n[k] - 1) + 0.5);
		fprintf(stderr, "  %-9s %9.3f %9.3f %9.3f %9.3f\n", name[k], v[k][0], v[k][n[k] / 2], v[k][p99],
			sum / n[k]);
		/* machine-readable line for bench/wlr */
		fprintf(stdout, "STATS renderer=%s kind=%s frames=%zu min=%.4f median=%.4f p99=%.4f mean=%.4f\n",
			s->opt.renderer, kind[k], n[k], v[k][0], v[k][n[k] / 2], v[k][p99], sum / n[k]);
	}
	if (wlr_renderer_is_wlgpu(s->renderer)) {
		const char *t = wlgpu_renderer_get_transfer_stats(s->renderer);
		say("transfers: %s", t);
		fprintf(stdout, "TRANSFERS %s\n", t);
	}
}

void print_sync_stats(struct server *s) {
	if (s->surface_sync) fprintf(stdout, "SURFACE_SYNC %s\n", wlgpu_surface_sync_get_stats(s->surface_sync));
	if (!s->syncobj_manager) {
		say("explicit sync: not advertised");
		fprintf(stdout, "SYNC advertised=0\n");
		return;
	}
	const char *lib = wlr_renderer_is_wlgpu(s->renderer) ? wlgpu_renderer_get_sync_stats(s->renderer) : "";
	const char *held = wlgpu_surface_sync_get_stats(s->surface_sync);
	say("explicit sync: %s; %s", held, lib);
	fprintf(stdout, "SYNC advertised=1 %s | %s\n", held, lib);
}
