/* Branchy dispatch: a tiny register machine whose program is the buffer.
 * Each byte is an instruction (top 3 bits the opcode, low 5 bits the
 * operand), so the switch takes an unpredictable path for every byte. The
 * machine's three registers start from the first 24 bytes. */
#define BENCH_NAME dispatch
#define BENCH_LEN 128
#include "bench.h"

BENCH_ENTRY(void *mem, u64 len)
{
	const u8 *p = mem;
	const u64 *w = mem;
	u64 a, b, c, t;

	BENCH_FIX_LEN(len);
	if (len < 24)
		return 0;
	a = w[0];
	b = w[1];
	c = w[2];
	UNROLL for (u64 i = 24; i < len; i++) {
		u64 k = p[i] & 31;
		switch (p[i] >> 5) {
		case 0:
			a += k;
			break;
		case 1:
			b ^= a << (k & 15);
			break;
		case 2:
			c = c * 3 + k;
			break;
		case 3:
			t = a;
			a = b;
			b = c;
			c = t;
			break;
		case 4:
			if (a > b)
				a -= b;
			else
				b -= a;
			break;
		case 5:
			c ^= c >> (k | 1);
			break;
		case 6:
			b += c - k;
			break;
		default:
			a = a << 1 | b >> 63;
			break;
		}
	}
	return a ^ b << 1 ^ c << 2;
}
