/* A dependent ALU chain: each 64-bit word is mixed into the state with a
 * sequence of shifts, xors, adds and 32-bit operations, every one waiting
 * for the previous. */
#define BENCH_NAME alu
#define BENCH_LEN 512
#include "bench.h"

BENCH_ENTRY(void *mem, u64 len)
{
	const u64 *w = mem;
	u64 x = 0x243f6a8885a308d3ull;

	BENCH_FIX_LEN(len);
	UNROLL for (u64 i = 0; i < len / 8; i++) {
		u32 lo;

		x ^= w[i];
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x -= 0x61c8864680b583ebull;
		lo = (u32)x;
		lo ^= lo >> 15;
		lo += 0x6d2b79f5u;
		lo ^= lo << 5;
		x = (x & 0xffffffff00000000ull) ^ lo;
		x ^= x >> 31;
		x |= x >> 60;
		x -= i;
	}
	return x;
}
