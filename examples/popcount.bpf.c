/* Number of bits set in the memory (r1 = data, r2 = length): eight bytes at a
 * time with the classic SWAR reduction, then the tail byte by byte. */
typedef unsigned long long u64;
typedef unsigned char u8;

static inline u64 bits64(u64 x)
{
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (x * 0x0101010101010101ull) >> 56;
}

u64 popcount(const u8 *data, u64 len)
{
	u64 n = 0, i = 0;

	for (; i + 8 <= len; i += 8) {
		u64 w;
		__builtin_memcpy(&w, data + i, sizeof(w));
		n += bits64(w);
	}
	for (; i < len; i++)
		n += bits64(data[i]);
	return n;
}
