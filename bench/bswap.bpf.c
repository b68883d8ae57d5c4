/* Byte swapping: 16-, 32- and 64-bit swaps of every word (network/host
 * order conversions), mixed so none can be skipped. */
#define BENCH_NAME bswap
#define BENCH_LEN 512
#include "bench.h"

BENCH_ENTRY(void *mem, u64 len)
{
	const u64 *w = mem;
	u64 x = 0, y = 0, z = 0;

	BENCH_FIX_LEN(len);
	UNROLL for (u64 i = 0; i < len / 8; i++) {
		u64 v = w[i];

		x = __builtin_bswap64(x ^ v) + i;
		y += __builtin_bswap32((u32)(v >> 16) ^ (u32)y);
		z ^= __builtin_bswap16((u16)(v >> 8) + (u16)z);
	}
	return x ^ y << 7 ^ z << 40;
}
