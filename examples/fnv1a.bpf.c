/* FNV-1a, 64-bit, over the memory the program is given (r1 = data, r2 = length). */
typedef unsigned long long u64;
typedef unsigned char u8;

u64 fnv1a(const u8 *data, u64 len)
{
	u64 h = 0xcbf29ce484222325ull;

	for (u64 i = 0; i < len; i++) {
		h ^= data[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
