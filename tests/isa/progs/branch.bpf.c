/* Loops and every comparison, signed and unsigned, against registers and immediates. */
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef int s32;
typedef unsigned char u8;

static __attribute__((noinline)) u64 mix(u64 a, u64 b)
{
	return (a ^ (b << 7)) + (b >> 3);
}

u64 branch(u8 *data, u64 len)
{
	u64 h = 5381, acc = 0;
	s64 sacc = 0;
	u32 w = 0;

	for (u64 i = 0; i < len && i < 64; i++) {
		u8 c = data[i];
		h = h * 33 + c;
		if (c == 0x7f)
			acc += 3;
		else if (c > 200)
			acc ^= h;
		else if ((s64)h < -5)
			sacc -= c;
		else if ((s32)w >= 1000)
			w = 0;
		else if (w != (u32)len)
			w += c;
		if ((s64)acc <= sacc)
			acc = mix(acc, h);
		if (h & 0x10000)
			h ^= 0xdeadbeef;
		switch (c & 7) {
		case 0: acc += 1; break;
		case 1: acc *= 3; break;
		case 2: acc -= h; break;
		case 3: acc ^= 0x55; break;
		default: acc = mix(acc, c); break;
		}
	}
	if (w < 17 || (s32)w > -3)
		acc += w;
	return acc + h + (u64)sacc;
}
