/* Loads and stores of every size on the stack and through pointers. */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef signed char s8;
typedef short s16;
typedef int s32;

struct rec {
	u8 a;
	u16 b;
	u32 c;
	u64 d;
	s8 e;
	s16 f;
	s32 g;
};

u64 mem(struct rec *r, u8 *buf)
{
	volatile struct rec local;
	volatile u8 bytes[16];

	local.a = r->a;
	local.b = r->b;
	local.c = r->c + 1;
	local.d = r->d;
	local.e = r->e;
	local.f = r->f;
	local.g = r->g;
	for (int i = 0; i < 16; i++)
		bytes[i] = buf[i] ^ (u8)i;
	r->d = local.d + bytes[3];
	r->c = 7;
	r->b = 0x1234;
	r->a = 0;
	buf[5] = bytes[0];
	return local.a + local.b + local.c + local.d + (u64)(long)local.e + (u64)(long)local.f +
	       (u64)(long)local.g + bytes[15];
}
