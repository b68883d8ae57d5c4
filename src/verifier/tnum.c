/* Tracked numbers: for each bit, known 0, known 1 or unknown (value holds
 * the known ones, mask the unknown ones; value & mask == 0). Every
 * operation's result contains every result of the operation on concrete
 * numbers its operands contain. */
#include "verifier/scalar.h"

struct tnum tnum_const(uint64_t v)
{
	return (struct tnum){ v, 0 };
}

struct tnum tnum_unknown(void)
{
	return (struct tnum){ 0, ~0ull };
}

/* the bits above the highest one in which min and max differ are known */
struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max;
	if (!chi)
		return tnum_const(min);
	int bits = 64 - __builtin_clzll(chi);
	if (bits > 63)
		return tnum_unknown();
	uint64_t delta = (1ull << bits) - 1;
	return (struct tnum){ min & ~delta, delta };
}

bool tnum_is_const(struct tnum a)
{
	return !a.mask;
}

bool tnum_in(struct tnum outer, struct tnum inner)
{
	if (inner.mask & ~outer.mask)
		return false;
	return (inner.value & ~outer.mask) == outer.value;
}

/* carries may spread from any unknown bit up through the sum */
struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sm = a.mask + b.mask, sv = a.value + b.value, sigma = sm + sv;
	uint64_t mu = (sigma ^ sv) | a.mask | b.mask;
	return (struct tnum){ sv & ~mu, mu };
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t dv = a.value - b.value, alpha = dv + a.mask, beta = dv - b.mask;
	uint64_t mu = (alpha ^ beta) | a.mask | b.mask;
	return (struct tnum){ dv & ~mu, mu };
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t alpha = a.value | a.mask, beta = b.value | b.mask, v = a.value & b.value;
	return (struct tnum){ v, alpha & beta & ~v };
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask | b.mask;
	return (struct tnum){ v, mu & ~v };
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t v = a.value ^ b.value, mu = a.mask | b.mask;
	return (struct tnum){ v & ~mu, mu };
}

struct tnum tnum_lshift(struct tnum a, uint8_t shift)
{
	return (struct tnum){ a.value << shift, a.mask << shift };
}

struct tnum tnum_rshift(struct tnum a, uint8_t shift)
{
	return (struct tnum){ a.value >> shift, a.mask >> shift };
}

struct tnum tnum_arshift(struct tnum a, uint8_t shift, uint8_t insn_bitness)
{
	if (insn_bitness == 32)
		return (struct tnum){ (uint32_t)((int32_t)a.value >> shift), (uint32_t)((int32_t)a.mask >> shift) };
	return (struct tnum){ (uint64_t)((int64_t)a.value >> shift), (uint64_t)((int64_t)a.mask >> shift) };
}

/* long multiplication: each bit of a that may be set adds b, shifted */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	uint64_t acc_v = a.value * b.value;
	struct tnum acc_m = tnum_const(0);
	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = tnum_add(acc_m, (struct tnum){ 0, b.mask });
		else if (a.mask & 1)
			acc_m = tnum_add(acc_m, (struct tnum){ 0, b.value | b.mask });
		a = tnum_rshift(a, 1);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(tnum_const(acc_v), acc_m);
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask & b.mask;
	return (struct tnum){ v & ~mu, mu };
}

struct tnum tnum_cast(struct tnum a, uint8_t size)
{
	uint64_t keep = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
	return (struct tnum){ a.value & keep, a.mask & keep };
}

struct tnum tnum_subreg(struct tnum a)
{
	return tnum_cast(a, 4);
}

struct tnum tnum_with_subreg(struct tnum a, struct tnum subreg)
{
	struct tnum hi = { a.value & ~0xffffffffull, a.mask & ~0xffffffffull };
	return tnum_or(hi, tnum_subreg(subreg));
}
