/* Scalar bounds: the tnum plus signed and unsigned ranges in 64 and 32
 * bits. Each operation computes every part soundly on its own and then
 * scalar_sync lets each part tighten the others. */
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>

#include <string.h>

#include "verifier/scalar.h"

#define U32 0xffffffffull

static uint64_t umax64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t umin64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static int64_t smax64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t smin64(int64_t a, int64_t b) { return a < b ? a : b; }

void scalar_unknown(struct uebpf_scalar *s)
{
	*s = (struct uebpf_scalar){ tnum_unknown(), INT64_MIN, INT64_MAX, 0, UINT64_MAX, INT32_MIN, INT32_MAX, 0, UINT32_MAX };
}

void scalar_const(struct uebpf_scalar *s, uint64_t v)
{
	*s = (struct uebpf_scalar){ tnum_const(v), (int64_t)v, (int64_t)v, v, v, (int32_t)v, (int32_t)v, (uint32_t)v,
				    (uint32_t)v };
}

bool scalar_is_const(const struct uebpf_scalar *s)
{
	return tnum_is_const(s->var_off);
}

bool scalar_is_unbounded(const struct uebpf_scalar *s)
{
	struct uebpf_scalar u;
	scalar_unknown(&u);
	return !memcmp(s, &u, sizeof(u));
}

/* the 64-bit ranges, from the tnum and from each other */
static void sync64(struct uebpf_scalar *s)
{
	struct tnum t = s->var_off;
	s->smin = smax64(s->smin, (int64_t)(t.value | (t.mask & (1ull << 63))));
	s->smax = smin64(s->smax, (int64_t)(t.value | (t.mask & ~(1ull << 63))));
	s->umin = umax64(s->umin, t.value);
	s->umax = umin64(s->umax, t.value | t.mask);
	/* where the signed range does not cross the sign, it is the unsigned one */
	if (s->smin >= 0 || s->smax < 0) {
		s->smin = (int64_t)umax64((uint64_t)s->smin, s->umin);
		s->umin = (uint64_t)s->smin;
		s->smax = (int64_t)umin64((uint64_t)s->smax, s->umax);
		s->umax = (uint64_t)s->smax;
	} else if ((int64_t)s->umax >= 0) {
		s->smin = (int64_t)s->umin;
		s->umax = umin64(s->umax, (uint64_t)s->smax);
		s->smax = (int64_t)s->umax;
	} else if ((int64_t)s->umin < 0) {
		s->umin = umax64(s->umin, (uint64_t)s->smin);
		s->smin = (int64_t)s->umin;
		s->smax = (int64_t)s->umax;
	}
	s->var_off = tnum_intersect(s->var_off, tnum_range(s->umin, s->umax));
}

static void sync32(struct uebpf_scalar *s)
{
	struct tnum t = tnum_subreg(s->var_off);
	int32_t tsmin = (int32_t)(uint32_t)(t.value | (t.mask & (1u << 31)));
	int32_t tsmax = (int32_t)(uint32_t)(t.value | (t.mask & ~(1u << 31)));
	if (tsmin > s->s32_min)
		s->s32_min = tsmin;
	if (tsmax < s->s32_max)
		s->s32_max = tsmax;
	if ((uint32_t)t.value > s->u32_min)
		s->u32_min = (uint32_t)t.value;
	if ((uint32_t)(t.value | t.mask) < s->u32_max)
		s->u32_max = (uint32_t)(t.value | t.mask);
	if (s->s32_min >= 0 || s->s32_max < 0) {
		uint32_t lo = (uint32_t)s->s32_min > s->u32_min ? (uint32_t)s->s32_min : s->u32_min;
		uint32_t hi = (uint32_t)s->s32_max < s->u32_max ? (uint32_t)s->s32_max : s->u32_max;
		s->u32_min = lo, s->u32_max = hi;
		s->s32_min = (int32_t)lo, s->s32_max = (int32_t)hi;
	} else if ((int32_t)s->u32_max >= 0) {
		s->s32_min = (int32_t)s->u32_min;
		if ((uint32_t)s->s32_max < s->u32_max)
			s->u32_max = (uint32_t)s->s32_max;
		s->s32_max = (int32_t)s->u32_max;
	} else if ((int32_t)s->u32_min < 0) {
		if ((uint32_t)s->s32_min > s->u32_min)
			s->u32_min = (uint32_t)s->s32_min;
		s->s32_min = (int32_t)s->u32_min;
		s->s32_max = (int32_t)s->u32_max;
	}
	s->var_off = tnum_with_subreg(s->var_off, tnum_intersect(tnum_subreg(s->var_off),
								  tnum_range(s->u32_min, s->u32_max)));
}

void scalar_sync(struct uebpf_scalar *s)
{
	/* 64 -> 32: when the high halves of umin and umax agree, the low
	 * halves bound the subregister */
	if ((s->umin >> 32) == (s->umax >> 32)) {
		if ((uint32_t)s->umin > s->u32_min)
			s->u32_min = (uint32_t)s->umin;
		if ((uint32_t)s->umax < s->u32_max)
			s->u32_max = (uint32_t)s->umax;
	}
	if ((s->smin >> 32) == (s->smax >> 32) && (int32_t)s->smin <= (int32_t)s->smax) {
		if ((int32_t)s->smin > s->s32_min)
			s->s32_min = (int32_t)s->smin;
		if ((int32_t)s->smax < s->s32_max)
			s->s32_max = (int32_t)s->smax;
	}
	sync32(s);
	/* 32 -> 64: a value known to fit in 32 bits is its subregister */
	if (s->umax <= U32) {
		s->umin = umax64(s->umin, s->u32_min);
		s->umax = umin64(s->umax, s->u32_max);
	}
	sync64(s);
	sync32(s);
	sync64(s);
}

void scalar_zext32(struct uebpf_scalar *s)
{
	struct tnum sub = tnum_subreg(s->var_off);
	uint32_t lo = s->u32_min, hi = s->u32_max;
	int32_t slo = s->s32_min, shi = s->s32_max;
	scalar_unknown(s);
	s->var_off = sub;
	s->umin = lo, s->umax = hi;
	s->smin = lo, s->smax = hi;
	s->u32_min = lo, s->u32_max = hi;
	s->s32_min = slo, s->s32_max = shi;
	scalar_sync(s);
}

static bool add_overflows_s(int64_t a, int64_t b, int64_t *r)
{
	return __builtin_add_overflow(a, b, r);
}

/* dst OP src on 64-bit values */
static void alu64(struct uebpf_scalar *d, const struct uebpf_scalar *s, uint8_t op, int16_t off)
{
	struct uebpf_scalar r;
	scalar_unknown(&r);
	bool sconst = scalar_is_const(s);
	uint64_t k = s->var_off.value;
	switch (op) {
	case BPF_MOV:
		r = *s;
		break;
	case BPF_ADD: {
		int64_t a, b;
		if (!add_overflows_s(d->smin, s->smin, &a) && !add_overflows_s(d->smax, s->smax, &b))
			r.smin = a, r.smax = b;
		if (d->umax + s->umax >= d->umax && d->umin + s->umin >= d->umin && d->umax <= UINT64_MAX - s->umax)
			r.umin = d->umin + s->umin, r.umax = d->umax + s->umax;
		r.var_off = tnum_add(d->var_off, s->var_off);
		break;
	}
	case BPF_SUB: {
		int64_t a, b;
		if (!__builtin_sub_overflow(d->smin, s->smax, &a) && !__builtin_sub_overflow(d->smax, s->smin, &b))
			r.smin = a, r.smax = b;
		if (d->umin >= s->umax)
			r.umin = d->umin - s->umax, r.umax = d->umax - s->umin;
		r.var_off = tnum_sub(d->var_off, s->var_off);
		break;
	}
	case BPF_MUL:
		r.var_off = tnum_mul(d->var_off, s->var_off);
		if (d->smin >= 0 && s->smin >= 0 && d->umax <= U32 && s->umax <= U32) {
			r.umin = d->umin * s->umin, r.umax = d->umax * s->umax;
		}
		break;
	case BPF_AND:
		r.var_off = tnum_and(d->var_off, s->var_off);
		r.umin = r.var_off.value;
		r.umax = umin64(d->umax, s->umax);
		if (d->smin >= 0 || s->smin >= 0)
			r.smin = 0, r.smax = (int64_t)umin64((uint64_t)INT64_MAX, r.umax);
		break;
	case BPF_OR:
		r.var_off = tnum_or(d->var_off, s->var_off);
		r.umin = umax64(d->umin, s->umin);
		r.umax = r.var_off.value | r.var_off.mask;
		break;
	case BPF_XOR:
		r.var_off = tnum_xor(d->var_off, s->var_off);
		r.umin = r.var_off.value;
		r.umax = r.var_off.value | r.var_off.mask;
		break;
	case BPF_LSH:
		if (sconst && k < 64) {
			r.var_off = tnum_lshift(d->var_off, (uint8_t)k);
			if (d->umax <= (UINT64_MAX >> k))
				r.umin = d->umin << k, r.umax = d->umax << k;
		}
		break;
	case BPF_RSH:
		if (sconst && k < 64) {
			r.var_off = tnum_rshift(d->var_off, (uint8_t)k);
			r.umin = d->umin >> k, r.umax = d->umax >> k;
		}
		break;
	case BPF_ARSH:
		if (sconst && k < 64) {
			r.var_off = tnum_arshift(d->var_off, (uint8_t)k, 64);
			r.smin = d->smin >> k, r.smax = d->smax >> k;
		}
		break;
	case BPF_DIV:
		if (sconst && k && !off)
			r.umin = d->umin / k, r.umax = d->umax / k;
		else if (sconst && !k)
			scalar_const(&r, 0);
		break;
	case BPF_MOD:
		if (sconst && k && !off)
			r.umin = 0, r.umax = umin64(d->umax, k - 1);
		else if (sconst && !k)
			r = *d;
		break;
	default:
		break;
	}
	*d = r;
	scalar_sync(d);
}

static uint64_t sign_extend(uint64_t v, int bits)
{
	return bits >= 64 ? v : (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

/* a scalar from the zero-extended low 32 bits of x */
static struct uebpf_scalar low32(const struct uebpf_scalar *x)
{
	struct uebpf_scalar r = *x;
	scalar_zext32(&r);
	return r;
}

void scalar_alu(struct uebpf_scalar *dst, const struct uebpf_scalar *src, uint8_t code, int16_t off, int32_t imm)
{
	uint8_t op = BPF_OP(code);
	bool is64 = BPF_CLASS(code) == BPF_ALU64;
	if (op == BPF_NEG || op == BPF_END) {
		if (scalar_is_const(dst)) {
			uint64_t v = dst->var_off.value;
			if (op == BPF_NEG)
				v = is64 ? -v : (uint32_t)-(uint32_t)v;
			else if (imm == 16)
				v = (BPF_SRC(code) == BPF_TO_BE || is64) ? __builtin_bswap16((uint16_t)v) : (uint16_t)v;
			else if (imm == 32)
				v = (BPF_SRC(code) == BPF_TO_BE || is64) ? __builtin_bswap32((uint32_t)v) : (uint32_t)v;
			else
				v = (BPF_SRC(code) == BPF_TO_BE || is64) ? __builtin_bswap64(v) : v;
			scalar_const(dst, v);
		} else {
			scalar_unknown(dst);
			if (op == BPF_END && imm < 64) {
				dst->umax = imm == 16 ? 0xffff : U32;
				dst->var_off = tnum_range(0, dst->umax);
				scalar_sync(dst);
			}
		}
		return;
	}
	if (op == BPF_MOV && off) {
		/* movsx: sign-extend the low off bits */
		if (scalar_is_const(src)) {
			uint64_t v = sign_extend(src->var_off.value, off);
			scalar_const(dst, is64 ? v : (uint32_t)v);
		} else {
			scalar_unknown(dst);
			dst->smin = -(1ll << (off - 1)), dst->smax = (1ll << (off - 1)) - 1;
			scalar_sync(dst);
			if (!is64)
				scalar_zext32(dst);
		}
		return;
	}
	if (is64) {
		alu64(dst, src, op, off);
		return;
	}
	/* 32-bit: the operation on the zero-extended subregisters, whose low
	 * 32 bits are the result when nothing carried past them */
	struct uebpf_scalar a = low32(dst), b = low32(src);
	if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && (!scalar_is_const(&b) || b.var_off.value >= 32)) {
		scalar_unknown(dst);
		scalar_zext32(dst);
		return;
	}
	if (op == BPF_ARSH) {
		uint8_t k = (uint8_t)b.var_off.value;
		struct uebpf_scalar r;
		scalar_unknown(&r);
		r.var_off = tnum_arshift(tnum_subreg(dst->var_off), k, 32);
		r.s32_min = dst->s32_min >> k, r.s32_max = dst->s32_max >> k;
		scalar_sync(&r);
		*dst = r;
		scalar_zext32(dst);
		return;
	}
	if ((op == BPF_DIV || op == BPF_MOD) && off) {
		scalar_unknown(dst); /* sdiv/smod: not modelled */
		scalar_zext32(dst);
		return;
	}
	alu64(&a, &b, op, off);
	if (a.umax > U32) {
		/* it carried out: only the tnum's low half stays known */
		struct tnum t = tnum_subreg(a.var_off);
		scalar_unknown(&a);
		a.var_off = t;
		a.umin = 0, a.umax = U32;
		a.smin = 0, a.smax = U32;
	}
	*dst = a;
	scalar_sync(dst);
	scalar_zext32(dst);
}

static void as32(const struct uebpf_scalar *x, uint64_t *umin, uint64_t *umax, int64_t *smin, int64_t *smax,
		 struct tnum *t)
{
	*umin = x->u32_min, *umax = x->u32_max, *smin = x->s32_min, *smax = x->s32_max;
	*t = tnum_subreg(x->var_off);
}

int scalar_branch(const struct uebpf_scalar *a, const struct uebpf_scalar *b, uint8_t op, bool is32)
{
	uint64_t aul, auh, bul, buh;
	int64_t asl, ash, bsl, bsh;
	struct tnum at, bt;
	if (is32) {
		as32(a, &aul, &auh, &asl, &ash, &at);
		as32(b, &bul, &buh, &bsl, &bsh, &bt);
	} else {
		aul = a->umin, auh = a->umax, asl = a->smin, ash = a->smax, at = a->var_off;
		bul = b->umin, buh = b->umax, bsl = b->smin, bsh = b->smax, bt = b->var_off;
	}
	switch (op) {
	case BPF_JEQ:
	case BPF_JNE: {
		int eq;
		if (tnum_is_const(at) && tnum_is_const(bt))
			eq = at.value == bt.value;
		else if (auh < bul || aul > buh || ash < bsl || asl > bsh ||
			 ((at.value ^ bt.value) & ~(at.mask | bt.mask)))
			eq = 0;
		else
			return -1;
		return op == BPF_JEQ ? eq : !eq;
	}
	case BPF_JGT:
		return aul > buh ? 1 : auh <= bul ? 0 : -1;
	case BPF_JGE:
		return aul >= buh ? 1 : auh < bul ? 0 : -1;
	case BPF_JLT:
		return auh < bul ? 1 : aul >= buh ? 0 : -1;
	case BPF_JLE:
		return auh <= bul ? 1 : aul > buh ? 0 : -1;
	case BPF_JSGT:
		return asl > bsh ? 1 : ash <= bsl ? 0 : -1;
	case BPF_JSGE:
		return asl >= bsh ? 1 : ash < bsl ? 0 : -1;
	case BPF_JSLT:
		return ash < bsl ? 1 : asl >= bsh ? 0 : -1;
	case BPF_JSLE:
		return ash <= bsl ? 1 : asl > bsh ? 0 : -1;
	case BPF_JSET:
		if (at.value & bt.value)
			return 1;
		if (!((at.value | at.mask) & (bt.value | bt.mask)))
			return 0;
		return -1;
	}
	return -1;
}

static uint8_t negate(uint8_t op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JNE: return BPF_JEQ;
	case BPF_JGT: return BPF_JLE;
	case BPF_JLE: return BPF_JGT;
	case BPF_JGE: return BPF_JLT;
	case BPF_JLT: return BPF_JGE;
	case BPF_JSGT: return BPF_JSLE;
	case BPF_JSLE: return BPF_JSGT;
	case BPF_JSGE: return BPF_JSLT;
	case BPF_JSLT: return BPF_JSGE;
	}
	return 0;
}

/* refine the 64-bit ranges of a and b for `a op b` known true */
static void refine64(struct uebpf_scalar *a, struct uebpf_scalar *b, uint8_t op)
{
	switch (op) {
	case BPF_JEQ:
		a->umin = b->umin = umax64(a->umin, b->umin);
		a->umax = b->umax = umin64(a->umax, b->umax);
		a->smin = b->smin = smax64(a->smin, b->smin);
		a->smax = b->smax = smin64(a->smax, b->smax);
		a->var_off = b->var_off = tnum_intersect(a->var_off, b->var_off);
		break;
	case BPF_JNE:
		if (scalar_is_const(b)) {
			uint64_t v = b->var_off.value;
			if (a->umin == v && a->umin < a->umax)
				a->umin++;
			else if (a->umax == v && a->umax > a->umin)
				a->umax--;
			if (a->smin == (int64_t)v && a->smin < a->smax)
				a->smin++;
			else if (a->smax == (int64_t)v && a->smax > a->smin)
				a->smax--;
		}
		break;
	case BPF_JGT:
		a->umin = umax64(a->umin, b->umin + 1);
		b->umax = umin64(b->umax, a->umax - 1);
		break;
	case BPF_JGE:
		a->umin = umax64(a->umin, b->umin);
		b->umax = umin64(b->umax, a->umax);
		break;
	case BPF_JLT:
		a->umax = umin64(a->umax, b->umax - 1);
		b->umin = umax64(b->umin, a->umin + 1);
		break;
	case BPF_JLE:
		a->umax = umin64(a->umax, b->umax);
		b->umin = umax64(b->umin, a->umin);
		break;
	case BPF_JSGT:
		a->smin = smax64(a->smin, b->smin + 1);
		b->smax = smin64(b->smax, a->smax - 1);
		break;
	case BPF_JSGE:
		a->smin = smax64(a->smin, b->smin);
		b->smax = smin64(b->smax, a->smax);
		break;
	case BPF_JSLT:
		a->smax = smin64(a->smax, b->smax - 1);
		b->smin = smax64(b->smin, a->smin + 1);
		break;
	case BPF_JSLE:
		a->smax = smin64(a->smax, b->smax);
		b->smin = smax64(b->smin, a->smin);
		break;
	}
}

static void refine32(struct uebpf_scalar *a, struct uebpf_scalar *b, uint8_t op)
{
	/* the same on the subregisters, through 64-bit stand-ins */
	struct uebpf_scalar x = low32(a), y = low32(b);
	int32_t axl = a->s32_min, axh = a->s32_max, byl = b->s32_min, byh = b->s32_max;
	if (op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE) {
		x.smin = axl, x.smax = axh, y.smin = byl, y.smax = byh;
		x.umin = 0, x.umax = UINT64_MAX, y.umin = 0, y.umax = UINT64_MAX;
		x.var_off = tnum_unknown(), y.var_off = tnum_unknown();
	}
	refine64(&x, &y, op);
	if (op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE) {
		a->s32_min = (int32_t)smax64(a->s32_min, x.smin), a->s32_max = (int32_t)smin64(a->s32_max, x.smax);
		b->s32_min = (int32_t)smax64(b->s32_min, y.smin), b->s32_max = (int32_t)smin64(b->s32_max, y.smax);
	} else {
		a->u32_min = (uint32_t)umax64(a->u32_min, x.umin), a->u32_max = (uint32_t)umin64(a->u32_max, x.umax);
		b->u32_min = (uint32_t)umax64(b->u32_min, y.umin), b->u32_max = (uint32_t)umin64(b->u32_max, y.umax);
		if (op == BPF_JEQ) {
			a->var_off = tnum_with_subreg(a->var_off, tnum_subreg(x.var_off));
			b->var_off = tnum_with_subreg(b->var_off, tnum_subreg(y.var_off));
		}
	}
}

void scalar_refine(struct uebpf_scalar *a, struct uebpf_scalar *b, uint8_t op, bool is32, bool taken)
{
	if (op == BPF_JSET) {
		/* not taken: the bits of a constant b are clear in a */
		if (!taken && scalar_is_const(b)) {
			uint64_t m = is32 ? (uint32_t)b->var_off.value : b->var_off.value;
			a->var_off = tnum_and(a->var_off, tnum_const(~m));
			scalar_sync(a);
		}
		return;
	}
	if (!taken)
		op = negate(op);
	if (is32)
		refine32(a, b, op);
	else
		refine64(a, b, op);
	scalar_sync(a);
	scalar_sync(b);
}

bool scalar_within(const struct uebpf_scalar *old, const struct uebpf_scalar *cur)
{
	return old->umin <= cur->umin && old->umax >= cur->umax && old->smin <= cur->smin && old->smax >= cur->smax &&
	       old->u32_min <= cur->u32_min && old->u32_max >= cur->u32_max && old->s32_min <= cur->s32_min &&
	       old->s32_max >= cur->s32_max && tnum_in(old->var_off, cur->var_off);
}

/* the kernel's verbose_snum / verbose_unum: decimal while small, else hex */
static int fmt_snum(char *buf, size_t sz, int64_t v)
{
	return v >= INT16_MIN && v <= INT16_MAX ? snprintf(buf, sz, "%" PRId64, v) : snprintf(buf, sz, "%#" PRIx64, (uint64_t)v);
}

static int fmt_unum(char *buf, size_t sz, uint64_t v)
{
	return v <= UINT16_MAX ? snprintf(buf, sz, "%" PRIu64, v) : snprintf(buf, sz, "%#" PRIx64, v);
}

#define AT(n) (buf + ((size_t)(n) < sz ? (size_t)(n) : sz)), ((size_t)(n) < sz ? sz - (size_t)(n) : 0)

int scalar_fmt_const(int64_t v, char *buf, size_t sz)
{
	return fmt_snum(buf, sz, v);
}

/* The kernel's print_scalar_ranges: each bound that says something, equal
 * ones of the same sign joined ("smax=umax=255"), then var_off unless
 * unknown. sep is what goes before the first item. */
int scalar_fmt_ranges(const struct uebpf_scalar *s, const char *sep, char *buf, size_t sz)
{
	struct {
		const char *name;
		uint64_t val;
		bool omit, sgn;
	} m[] = {
		{ "smin", (uint64_t)s->smin, s->smin == INT64_MIN, true },
		{ "smax", (uint64_t)s->smax, s->smax == INT64_MAX, true },
		{ "umin", s->umin, s->umin == 0, false },
		{ "umax", s->umax, s->umax == UINT64_MAX, false },
		/* 32-bit signed bounds sign-extended only where printed in decimal */
		{ "smin32", s->s32_min >= INT16_MIN && s->s32_min <= INT16_MAX ? (uint64_t)(int64_t)s->s32_min : (uint32_t)s->s32_min,
		  s->s32_min == INT32_MIN, true },
		{ "smax32", s->s32_max >= INT16_MIN && s->s32_max <= INT16_MAX ? (uint64_t)(int64_t)s->s32_max : (uint32_t)s->s32_max,
		  s->s32_max == INT32_MAX, true },
		{ "umin32", s->u32_min, s->u32_min == 0, false },
		{ "umax32", s->u32_max, s->u32_max == UINT32_MAX, false },
	};
	const size_t nm = sizeof(m) / sizeof(m[0]);
	int n = 0;
	for (size_t a = 0; a < nm; a++) {
		if (m[a].omit)
			continue;
		bool neg = m[a].sgn && (int64_t)m[a].val < 0;
		n += snprintf(AT(n), "%s%s=", sep, m[a].name);
		sep = ",";
		for (size_t b = a + 2; b < nm; b += 2) {
			if (m[b].omit || m[b].val != m[a].val || (m[b].sgn && (int64_t)m[b].val < 0) != neg)
				continue;
			m[b].omit = true;
			n += snprintf(AT(n), "%s=", m[b].name);
		}
		n += m[a].sgn ? fmt_snum(AT(n), (int64_t)m[a].val) : fmt_unum(AT(n), m[a].val);
	}
	if (!(s->var_off.value == 0 && s->var_off.mask == UINT64_MAX))
		n += snprintf(AT(n), "%svar_off=(0x%" PRIx64 "; 0x%" PRIx64 ")", sep, s->var_off.value, s->var_off.mask);
	return n;
}

/* a scalar as the kernel's print_reg_state shows it: "5", "scalar()",
 * "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))" */
int scalar_fmt(const struct uebpf_scalar *s, char *buf, size_t sz)
{
	if (scalar_is_const(s))
		return fmt_snum(buf, sz, (int64_t)s->var_off.value);
	int n = snprintf(buf, sz, "scalar(");
	n += scalar_fmt_ranges(s, "", AT(n));
	n += snprintf(AT(n), ")");
	return n;
}
#undef AT
