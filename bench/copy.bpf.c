/* A byte copy loop: the first half of the buffer is copied, byte by byte,
 * onto the second half (so every run does the same work). */
#define BENCH_NAME copy
#define BENCH_LEN 512
#include "bench.h"

BENCH_ENTRY(void *mem, u64 len)
{
	u8 *p = mem;
	u64 half;

	BENCH_FIX_LEN(len);
	half = len / 2;
	UNROLL for (u64 i = 0; i < half; i++)
		p[half + i] = p[i];
	return (u64)p[half] << 8 | p[len - 1];
}
