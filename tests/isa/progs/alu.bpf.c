/* Arithmetic of every width: the ALU and ALU64 forms clang emits. */
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef int s32;
typedef unsigned short u16;

u64 alu(u64 *p, u64 n)
{
	u64 a = p[0], b = p[1];
	u32 x = (u32)p[2], y = (u32)p[3] | 1;
	s64 s = (s64)p[4];
	s32 t = (s32)p[5];

	a += b * 7;
	a ^= b >> 3;
	a |= b << 11;
	a &= ~(b - 0x1234);
	x = x * y + (x / y) - (x % y);
	x ^= x << 5;
	x = (x >> 17) | (x << 15);
	s >>= 9;
	t >>= 3;
	a += (u64)(b ? a / b : 0) + (b ? a % b : 0);
	a -= (u64)-s;
	a += __builtin_bswap64(a) ^ __builtin_bswap32(x) ^ __builtin_bswap16((u16)t);
	a += (u64)(s64)t + (u64)(s32)x;
	a += 0x1122334455667788ull;
	a -= 0xffffffff00000001ull;
	return a + x + (u64)s + n;
}
