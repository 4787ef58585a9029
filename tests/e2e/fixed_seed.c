/*
 * LD_PRELOAD shim for the e2e tests: makes the random seeds of unmodified weston clients
 * fixed, so that two runs (one per renderer) draw the same pictures. weston-simple-damage
 * seeds rand() with gettimeofday() (ball position and direction), weston-flower seeds
 * random() with time(). The clients' binaries and code are untouched; only the seed is.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

void srand(unsigned int seed) {
	(void)seed;
	void (*real)(unsigned int) = (void (*)(unsigned int))dlsym(RTLD_NEXT, "srand");
	if (real) real(12345);
}

void srandom(unsigned int seed) {
	(void)seed;
	void (*real)(unsigned int) = (void (*)(unsigned int))dlsym(RTLD_NEXT, "srandom");
	if (real) real(12345);
}
