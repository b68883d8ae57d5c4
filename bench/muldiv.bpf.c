/* 64-bit multiply, divide and modulo: by data-dependent divisors and by
 * constants (which a compiler can turn into multiplications). */
#define BENCH_NAME muldiv
#define BENCH_LEN 256
#include "bench.h"

BENCH_ENTRY(void *mem, u64 len)
{
	const u64 *w = mem;
	u64 x = 0x9e3779b97f4a7c15ull, y = 0;

	BENCH_FIX_LEN(len);
	UNROLL for (u64 i = 0; i < len / 8; i++) {
		u64 v = w[i] | 1, q;

		x = x * v + 0x632be59bd9b4e019ull;
		q = x / ((v >> 40) | 1);
		y += q % 1000003 + x / 10;
		y ^= (u32)x % (u32)(v | 3) * 7;
		ITER_KEEP(x);
		ITER_KEEP(y);
	}
	return x ^ y;
}
