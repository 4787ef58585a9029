/* scripts/testbed-gather-probe.c — does this CPU (or its emulator) execute AVX2 gathers right?
 *
 * Run by scripts/testbed-guest-init before the command. QEMU before 9.0.3/9.1 decodes the VSIB
 * byte wrongly when the index register is ymm4/ymm12 (QEMU issue #2474, "target/i386: Fix VSIB
 * decode"): every lane then reads base+0. llvmpipe/lavapipe fetch texels with AVX2 gathers, so
 * such an emulator silently corrupts bilinear sampling. This gathers a known table with every
 * index register (0-15), dword and float forms, and compares with the CPU's own scalar loads.
 * Exit 0: gathers are right (or the CPU has no AVX2, so nothing uses them); 1: wrong. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int32_t table[64];
static const int32_t lanes[8] = {3, 17, 42, 5, 60, 29, 11, 50};

/* vpgatherdd / vgatherdps with ymm<I> as the index register; ymm<D> is the destination and ymm<M>
 * the mask (both differ from I). */
#define GATHER(NAME, OP, I, D, M)                                                               \
	static void NAME(int32_t out[8]) {                                                          \
		__asm__ volatile("vmovdqu (%[idx]), %%ymm" #I "\n\t"                                    \
						 "vpcmpeqd %%ymm" #M ", %%ymm" #M ", %%ymm" #M "\n\t"                   \
						 "vpxor %%ymm" #D ", %%ymm" #D ", %%ymm" #D "\n\t" OP                   \
						 " %%ymm" #M ", (%[base], %%ymm" #I ", 4), %%ymm" #D "\n\t"             \
						 "vmovdqu %%ymm" #D ", (%[out])\n\t"                                    \
						 "vzeroupper"                                                           \
						 :                                                                      \
						 : [idx] "r"(lanes), [base] "r"(table), [out] "r"(out)                  \
						 : "memory", "xmm" #I, "xmm" #D, "xmm" #M);                            \
	}

#define BOTH(I, D, M) GATHER(dd_##I, "vpgatherdd", I, D, M) GATHER(ps_##I, "vgatherdps", I, D, M)
BOTH(0, 2, 3)
BOTH(1, 2, 3)
BOTH(2, 0, 1)
BOTH(3, 0, 1)
BOTH(4, 0, 1)
BOTH(5, 0, 1)
BOTH(6, 0, 1)
BOTH(7, 0, 1)
BOTH(8, 0, 1)
BOTH(9, 0, 1)
BOTH(10, 0, 1)
BOTH(11, 0, 1)
BOTH(12, 0, 1)
BOTH(13, 0, 1)
BOTH(14, 0, 1)
BOTH(15, 0, 1)

typedef void (*gather_fn)(int32_t[8]);
#define ROW(I) {I, dd_##I, ps_##I}
static const struct {
	int reg;
	gather_fn dd, ps;
} gathers[] = {ROW(0), ROW(1), ROW(2),  ROW(3),  ROW(4),  ROW(5),  ROW(6),  ROW(7),
			   ROW(8), ROW(9), ROW(10), ROW(11), ROW(12), ROW(13), ROW(14), ROW(15)};

static int check(const char *op, int reg, const int32_t got[8]) {
	int bad = 0;
	for (int l = 0; l < 8; l++) bad += got[l] != table[lanes[l]];
	if (bad)
		printf("gather-probe: %s with index ymm%d: %d of 8 lanes wrong (lane 0: got %#x, want %#x)\n", op, reg, bad,
			   (unsigned)got[0], (unsigned)table[lanes[0]]);
	return bad != 0;
}

int main(void) {
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2")) {
		printf("gather-probe: no AVX2 on this CPU: nothing uses gathers\n");
		return 0;
	}
	for (int i = 0; i < 64; i++) table[i] = (int32_t)(0x1000u * (unsigned)i + 0x5a5u + (unsigned)i * 7u);
	int wrong = 0;
	for (size_t g = 0; g < sizeof gathers / sizeof gathers[0]; g++) {
		int32_t out[8];
		memset(out, 0, sizeof out);
		gathers[g].dd(out);
		wrong += check("vpgatherdd", gathers[g].reg, out);
		memset(out, 0, sizeof out);
		gathers[g].ps(out);
		wrong += check("vgatherdps", gathers[g].reg, out);
	}
	if (wrong) {
		printf("gather-probe: %d of 32 AVX2 gathers wrong: this CPU/emulator mis-executes them\n", wrong);
		return 1;
	}
	printf("gather-probe: AVX2 gathers right with all 16 index registers\n");
	return 0;
}
