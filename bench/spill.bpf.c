/* Register pressure: twelve accumulators live across the loop, more than
 * the BPF registers a compiler has, so clang spills to the stack. */
#define BENCH_NAME spill
#define BENCH_LEN 512
#include "bench.h"

BENCH_ENTRY(void *mem, u64 len)
{
	const u64 *w = mem;
	u64 a0 = 1, a1 = 2, a2 = 3, a3 = 4, a4 = 5, a5 = 6;
	u64 a6 = 7, a7 = 8, a8 = 9, a9 = 10, a10 = 11, a11 = 12;

	BENCH_FIX_LEN(len);
	UNROLL for (u64 i = 0; i < len / 8; i++) {
		u64 v = w[i];

		a0 += v;
		a1 ^= v >> 3;
		a2 += a0 ^ a1;
		a3 ^= a2 >> 5;
		a4 += v << 7;
		a5 ^= a4 + a3;
		a6 += a5 >> 11;
		a7 ^= a6 + v;
		a8 += a7 ^ (v >> 13);
		a9 ^= a8 + a1;
		a10 += a9 >> 17;
		a11 ^= a10 + a4;
		ITER_KEEP(a0); ITER_KEEP(a1); ITER_KEEP(a2); ITER_KEEP(a3);
		ITER_KEEP(a4); ITER_KEEP(a5); ITER_KEEP(a6); ITER_KEEP(a7);
		ITER_KEEP(a8); ITER_KEEP(a9); ITER_KEEP(a10); ITER_KEEP(a11);
	}
	return a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7 ^ a8 ^ a9 ^ a10 ^ a11;
}
