/* FNV-1a, 64 bit, over every byte of the buffer: one load, xor and multiply
 * per byte in a dependent chain. */
#define BENCH_NAME fnv
#define BENCH_LEN 512
#include "bench.h"

BENCH_ENTRY(void *mem, u64 len)
{
	const u8 *p = mem;
	u64 h = 0xcbf29ce484222325ull;

	BENCH_FIX_LEN(len);
	UNROLL for (u64 i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}
