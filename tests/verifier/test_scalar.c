/* Soundness of the scalar domain (tnum + ranges): random chains of ALU
 * operations and branch refinements applied both to an abstract value and
 * to concrete members of it; every member must stay inside the abstract
 * value, and a branch judged always/never taken must agree with every
 * member. Fixed seed; plus exact unit cases. */
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "verifier/scalar.h"

#define MEMBERS 6
#define ROUNDS 400000

static uint64_t seed = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
	return seed;
}

static bool contains(const struct uebpf_scalar *s, uint64_t v)
{
	return v >= s->umin && v <= s->umax && (int64_t)v >= s->smin && (int64_t)v <= s->smax &&
	       (uint32_t)v >= s->u32_min && (uint32_t)v <= s->u32_max && (int32_t)v >= s->s32_min &&
	       (int32_t)v <= s->s32_max && (v & ~s->var_off.mask) == s->var_off.value;
}

static uint64_t concrete(uint64_t a, uint64_t b, uint8_t code, int32_t imm)
{
	uint8_t op = BPF_OP(code);
	bool is64 = BPF_CLASS(code) == BPF_ALU64;
	if (!is64)
		a = (uint32_t)a, b = (uint32_t)b;
	uint64_t r;
	switch (op) {
	case BPF_MOV: r = b; break;
	case BPF_ADD: r = a + b; break;
	case BPF_SUB: r = a - b; break;
	case BPF_MUL: r = a * b; break;
	case BPF_AND: r = a & b; break;
	case BPF_OR: r = a | b; break;
	case BPF_XOR: r = a ^ b; break;
	case BPF_LSH: r = a << (b & (is64 ? 63 : 31)); break;
	case BPF_RSH: r = a >> (b & (is64 ? 63 : 31)); break;
	case BPF_ARSH:
		r = is64 ? (uint64_t)((int64_t)a >> (b & 63)) : (uint32_t)((int32_t)a >> (b & 31));
		break;
	case BPF_DIV: r = b ? a / b : 0; break;
	case BPF_MOD: r = b ? a % b : a; break;
	case BPF_NEG: r = -a; break;
	default: r = 0;
	}
	return is64 ? r : (uint32_t)r;
}

static bool cond(uint64_t a, uint64_t b, uint8_t op, bool is32)
{
	if (is32)
		a = (uint32_t)a, b = (uint32_t)b;
	int64_t sa = is32 ? (int32_t)a : (int64_t)a, sb = is32 ? (int32_t)b : (int64_t)b;
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSGT: return sa > sb;
	case BPF_JSGE: return sa >= sb;
	case BPF_JSLT: return sa < sb;
	case BPF_JSLE: return sa <= sb;
	case BPF_JSET: return a & b;
	}
	return false;
}

struct val {
	struct uebpf_scalar s;
	uint64_t m[MEMBERS];
	int n;
};

static uint64_t interesting(void)
{
	static const uint64_t v[] = { 0, 1, 2, 7, 8, 255, 256, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
				      0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~0ull - 1 };
	return rnd() % 3 ? v[rnd() % (sizeof(v) / sizeof(v[0]))] : rnd() >> (rnd() % 64);
}

static void fresh(struct val *v)
{
	if (rnd() % 3 == 0) {
		scalar_const(&v->s, interesting());
		v->n = 1;
		v->m[0] = v->s.var_off.value;
		return;
	}
	scalar_unknown(&v->s);
	v->n = MEMBERS;
	for (int i = 0; i < MEMBERS; i++)
		v->m[i] = interesting();
}

static int failures;

static void check(const struct val *v, const char *what)
{
	for (int i = 0; i < v->n; i++)
		if (!contains(&v->s, v->m[i]) && failures++ < 10) {
			char buf[256];
			scalar_fmt(&v->s, buf, sizeof(buf));
			printf("UNSOUND after %s: %#" PRIx64 " not in %s u32=[%u,%u] s32=[%d,%d]\n", what, v->m[i], buf,
			       v->s.u32_min, v->s.u32_max, v->s.s32_min, v->s.s32_max);
		}
}

static const uint8_t alu_ops[] = { BPF_MOV, BPF_ADD, BPF_SUB, BPF_MUL, BPF_AND, BPF_OR,  BPF_XOR,
				   BPF_LSH, BPF_RSH, BPF_ARSH, BPF_DIV, BPF_MOD, BPF_NEG };
static const uint8_t jmp_ops[] = { BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
				   BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET };

int main(void)
{
	/* exact cases */
	struct uebpf_scalar a, b;
	scalar_unknown(&a);
	scalar_const(&b, 0xff);
	scalar_alu(&a, &b, BPF_ALU64 | BPF_AND | BPF_K, 0, 0);
	if (a.umin != 0 || a.umax != 255 || a.var_off.value != 0 || a.var_off.mask != 0xff) {
		printf("r &= 0xff: umax %" PRIu64 " mask %#" PRIx64 "\n", a.umax, a.var_off.mask);
		failures++;
	}
	scalar_const(&b, 16);
	scalar_refine(&a, &b, BPF_JLT, false, true);
	if (a.umax != 15) {
		printf("after r < 16: umax %" PRIu64 "\n", a.umax);
		failures++;
	}
	if (scalar_branch(&a, &b, BPF_JGE, false) != 0) {
		printf("r >= 16 should never be taken\n");
		failures++;
	}

	for (int r = 0; r < ROUNDS; r++) {
		struct val x, y;
		fresh(&x);
		for (int step = 0; step < 6; step++) {
			fresh(&y);
			if (rnd() % 3) {
				uint8_t op = alu_ops[rnd() % sizeof(alu_ops)];
				uint8_t code = (rnd() & 1 ? BPF_ALU64 : BPF_ALU) | op;
				/* shifts by a register: the kernel masks nothing, programs
				 * must keep it in range; the domain assumes constants < width */
				if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) {
					scalar_const(&y.s, rnd() % (BPF_CLASS(code) == BPF_ALU64 ? 64 : 32));
					y.n = 1, y.m[0] = y.s.var_off.value;
				}
				struct val before = x;
				scalar_alu(&x.s, &y.s, code, 0, 0);
				int n = 0;
				for (int i = 0; i < before.n; i++)
					for (int j = 0; j < y.n && n < MEMBERS; j++)
						if ((rnd() & 3) == 0 || (i == 0 && j == 0) || n < 2)
							x.m[n++] = concrete(before.m[i], y.m[j], code, 0);
				x.n = n;
				char what[32];
				snprintf(what, sizeof(what), "alu op %#x", code);
				check(&x, what);
			} else {
				uint8_t op = jmp_ops[rnd() % sizeof(jmp_ops)];
				bool is32 = rnd() & 1;
				int verdict = scalar_branch(&x.s, &y.s, op, is32);
				for (int i = 0; i < x.n; i++)
					for (int j = 0; j < y.n; j++)
						if (verdict >= 0 && cond(x.m[i], y.m[j], op, is32) != verdict && failures++ < 10)
							printf("WRONG branch verdict %d for op %#x is32 %d: %#" PRIx64 " vs %#" PRIx64 "\n",
							       verdict, op, is32, x.m[i], y.m[j]);
				if (verdict >= 0)
					continue;
				/* refine for a side some pair takes; keep the members that take it */
				bool taken = cond(x.m[0], y.m[0], op, is32);
				uint64_t yv = y.m[0];
				struct uebpf_scalar ys = y.s;
				scalar_refine(&x.s, &ys, op, is32, taken);
				int n = 0;
				for (int i = 0; i < x.n; i++)
					if (cond(x.m[i], yv, op, is32) == taken)
						x.m[n++] = x.m[i];
				x.n = n;
				char what[48];
				snprintf(what, sizeof(what), "refine op %#x is32 %d taken %d", op, is32, taken);
				check(&x, what);
				if (!contains(&ys, yv) && failures++ < 10)
					printf("UNSOUND refine of the other side, op %#x\n", op);
			}
		}
	}
	printf("%d rounds, %d failures\n", ROUNDS, failures);
	return failures ? 1 : 0;
}
