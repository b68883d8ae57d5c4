/* bpf-to-bpf calls: every word goes through two levels of functions that
 * are never inlined, so the cost is calls, returns and argument moves. */
#define BENCH_NAME calls
#define BENCH_LEN 512
#include "bench.h"

static NOINLINE u64 mix(u64 a, u64 b);
static NOINLINE u64 fold(u64 h, u64 v, u64 k);

BENCH_ENTRY(void *mem, u64 len)
{
	const u64 *w = mem;
	u64 h = 0xcbf29ce484222325ull;

	BENCH_FIX_LEN(len);
	UNROLL for (u64 i = 0; i < len / 8; i++)
		h = fold(h, w[i], i);
	return h;
}

static NOINLINE u64 mix(u64 a, u64 b)
{
	return (a ^ b) * 0x100000001b3ull;
}

static NOINLINE u64 fold(u64 h, u64 v, u64 k)
{
	return mix(h + k, v) ^ h >> 29;
}
