/*
 * churn_client: clients coming and going, for the compositor soak (tests/e2e/churn.py).
 *
 *   churn_client --cycles N
 *
 * Each cycle forks a child that connects, maps an xdg toplevel with a wl_shm buffer (one of 8
 * sizes, fresh random pixels), commits, and then leaves one of three ways in
 * turn: waits for its frame callback and disconnects cleanly; is SIGKILLed by the parent right
 * after its commit (mid-frame, buffer still in use); or commits a second buffer and exits
 * without destroying anything. The parent waits for each child before the next.
 *
 * Results: "CHURN cycle=K ..." progress lines every 100 cycles, then "CHURN done cycles=N
 * frames=F killed=K failed=X seconds=S"; a child that cannot connect or map counts as failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wayland-client.h>

#include "client_common.h"

static struct tc_globals g;


/* The child: 0 after a frame, 3 when it should be killed (it waits), 1 on failure. */
static int child(int cycle) {
	struct wl_display *display = wl_display_connect(NULL);
	if (!display) return 1;
	if (!tc_bind_globals(display, &g)) return 1;
	struct tc_window win;
	tc_window_init(&win, g.compositor, g.wm, "churn");
	if (tc_dispatch(display, 10000, &win.configured) != 1) return 1;
	unsigned seed = (unsigned)cycle * 2654435761u;
	/* One of 8 sizes: lavapipe keeps ~140 KB per distinct texture size it samples (see
	 * docs/reliability.md); a bounded set lets its caches plateau, so growth is the compositor's. */
	static const int sizes[8][2] = {{32, 32}, {61, 17}, {200, 150}, {97, 131}, {256, 64}, {13, 190}, {128, 128}, {75, 75}};
	int w = sizes[cycle % 8][0], h = sizes[cycle % 8][1];
	struct wl_buffer *b = tc_shm_buffer_random(g.shm, w, h, false, seed);
	if (!b) return 1;
	bool frame = false;
	wl_surface_attach(win.surface, b, 0, 0);
	wl_surface_damage_buffer(win.surface, 0, 0, w, h);
	tc_request_frame(win.surface, &frame);
	wl_surface_commit(win.surface);
	wl_display_flush(display);
	switch (cycle % 3) {
	case 1:  /* killed by the parent now, mid-frame */
		for (;;) pause();
	case 2: {  /* a second buffer, then exit without cleaning up */
		struct wl_buffer *b2 = tc_shm_buffer_random(g.shm, w, h, false, seed + 1);
		if (!b2) return 1;
		wl_surface_attach(win.surface, b2, 0, 0);
		wl_surface_damage_buffer(win.surface, 0, 0, w, h);
		wl_surface_commit(win.surface);
		wl_display_flush(display);
		return 0;
	}
	default:
		if (tc_dispatch(display, 10000, &frame) != 1) return 1;
		wl_display_disconnect(display);
		return 0;
	}
}

int main(int argc, char **argv) {
	int cycles = 100;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cycles") && i + 1 < argc) cycles = atoi(argv[++i]);
		else { fprintf(stderr, "usage: churn_client [--cycles N]\n"); return 2; }
	}
	double start = tc_now_ms();
	int frames = 0, killed = 0, failed = 0;
	for (int k = 0; k < cycles; k++) {
		pid_t pid = fork();
		if (pid < 0) { printf("CHURN FAIL fork: %s\n", strerror(errno)); return 1; }
		if (pid == 0) _exit(child(k));
		if (k % 3 == 1) {
			usleep(20000);  /* after its commit went out (the compositor may be mid-frame) */
			kill(pid, SIGKILL);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		if (k % 3 == 1) killed += WIFSIGNALED(st);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) frames += k % 3 == 0;
		else failed++;
		if ((k + 1) % 100 == 0) {
			printf("CHURN cycle=%d frames=%d killed=%d failed=%d\n", k + 1, frames, killed, failed);
			fflush(stdout);
		}
	}
	printf("CHURN done cycles=%d frames=%d killed=%d failed=%d seconds=%.1f\n", cycles, frames, killed, failed,
		   (tc_now_ms() - start) / 1e3);
	fflush(stdout);
	return failed ? 1 : 0;
}
