/* Bit counting: a shift-and-add loop over the 64 bits of every word. */
#define BENCH_NAME popcount
#define BENCH_LEN 64
#include "bench.h"

BENCH_ENTRY(void *mem, u64 len)
{
	const u64 *w = mem;
	u64 n = 0;

	BENCH_FIX_LEN(len);
	UNROLL for (u64 i = 0; i < len / 8; i++) {
		u64 x = w[i];

		UNROLL for (int b = 0; b < 64; b++) {
			n += x & 1;
			x >>= 1;
			ITER_KEEP(n);
		}
	}
	return n;
}
