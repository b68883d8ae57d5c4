/* Random valid eBPF programs, deterministic from a seed.
 *
 * Shape of a program: function 0 (main) followed by up to three subprograms.
 * Each function is a list of items (a few instructions that belong together,
 * never the target of a jump in their middle); jumps go forward to the start
 * of a later item of the same function, calls go to a later function only (no
 * recursion), and every function ends with `exit`.
 *
 * Register discipline, which keeps programs valid for the kernel verifier:
 * r9 holds the input-memory pointer (copied from r1 in the prologue) and is
 * never written again; r0-r8 always hold initialised scalars (the prologue
 * sets them, and after any call r1-r5 are set again before use); r10 is only
 * used as the base of stack accesses. Every stack slot a function uses is
 * written by its prologue, so reads never see uninitialised stack. An
 * unconditional jump or exit in the middle of a function is always preceded
 * by a conditional jump over it, so no instruction is unreachable.
 * Without kernel_compatible, stack accesses may also be misaligned.
 */
#include <stdlib.h>
#include <string.h>

#include <uebpf/engine.h> /* also isa.h: BPF_MEMSX */

#include "gen.h"

#define MEM_REG BPF_REG_9
#define MAX_FUNCS 4
#define ITEM_MAX 8

uint64_t gen_rand(struct gen_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct gen_rng *r, uint64_t n)
{
	return gen_rand(r) % n;
}

static bool chance(struct gen_rng *r, unsigned percent)
{
	return rnd(r, 100) < percent;
}

struct item {
	struct bpf_insn insn[ITEM_MAX];
	int n;
	int jump_slot;  /* index in insn[] of a forward jump to resolve, or -1 */
	size_t target;  /* item index the jump goes to (same function) */
	bool fixed;     /* target chosen when the item was made */
	int call_slot;  /* index in insn[] of a call to function call_fn, or -1 */
	int call_fn;
};

struct func {
	struct item *items;
	size_t n, cap;
	int stack_slots; /* 8-byte slots below r10 written by the prologue */
	size_t start;    /* instruction index after layout */
};

struct gen {
	struct gen_rng *rng;
	const struct gen_opts *o;
	struct func f[MAX_FUNCS];
	int nfuncs;
	bool oom;
};

static struct bpf_insn mk(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static struct item *new_item(struct gen *g, struct func *f)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		struct item *it = realloc(f->items, cap * sizeof(*it));
		if (!it) {
			g->oom = true;
			return NULL;
		}
		f->items = it;
		f->cap = cap;
	}
	struct item *it = &f->items[f->n++];
	memset(it, 0, sizeof(*it));
	it->jump_slot = it->call_slot = -1;
	return it;
}

static void put(struct item *it, struct bpf_insn in)
{
	it->insn[it->n++] = in;
}

/* A single-instruction item (or nothing when out of memory). */
static void emit(struct gen *g, struct func *f, struct bpf_insn in)
{
	struct item *it = new_item(g, f);
	if (it)
		put(it, in);
}

static void emit_lddw(struct gen *g, struct func *f, uint8_t dst, uint64_t v)
{
	struct item *it = new_item(g, f);
	if (!it)
		return;
	put(it, mk(BPF_LD | BPF_IMM | BPF_DW, dst, 0, 0, (int32_t)(uint32_t)v));
	put(it, mk(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

/* Immediates: edge values often, small values often, anything sometimes. */
static int32_t rand_imm(struct gen_rng *r)
{
	static const int32_t edge[] = { 0,      1,      -1,     2,          7,         8,
					15,     16,     31,     32,         63,        64,
					0x7f,   0x80,   0xff,   0x7fff,     0x8000,    0xffff,
					-2,     -128,   -32768, 0x7fffffff, INT32_MIN, 0x12345678 };
	switch (rnd(r, 3)) {
	case 0: return edge[rnd(r, sizeof(edge) / sizeof(edge[0]))];
	case 1: return (int32_t)rnd(r, 129) - 64;
	default: return (int32_t)(uint32_t)gen_rand(r);
	}
}

static uint64_t rand_u64(struct gen_rng *r)
{
	static const uint64_t edge[] = { 0, 1, ~0ull, 0x8000000000000000ull, 0x7fffffffffffffffull,
					 0xffffffffull, 0x100000000ull, 0x80000000ull, 0xffffffff80000000ull,
					 0x00000000ffff0000ull };
	switch (rnd(r, 4)) {
	case 0: return edge[rnd(r, sizeof(edge) / sizeof(edge[0]))];
	case 1: return (uint64_t)(int64_t)rand_imm(r);
	default: return gen_rand(r);
	}
}

static uint8_t scalar_reg(struct gen_rng *r)
{
	return (uint8_t)rnd(r, 9); /* r0..r8 */
}

static const uint8_t sizes[] = { BPF_B, BPF_H, BPF_W, BPF_DW };

static int size_bytes(uint8_t sz)
{
	return sz == BPF_B ? 1 : sz == BPF_H ? 2 : sz == BPF_W ? 4 : 8;
}

/* --- ALU ------------------------------------------------------------------- */

static void gen_alu(struct gen *g, struct func *f)
{
	static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND, BPF_LSH,
				       BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END };
	struct gen_rng *r = g->rng;
	bool is64 = chance(r, 60);
	uint8_t cls = is64 ? BPF_ALU64 : BPF_ALU;
	uint8_t op = ops[rnd(r, sizeof(ops) / sizeof(ops[0]))];
	uint8_t dst = rnd(r, 4) == 0 ? BPF_REG_0 : scalar_reg(r);
	bool reg = chance(r, 50);
	int width = is64 ? 64 : 32;

	switch (op) {
	case BPF_NEG:
		emit(g, f, mk(cls | BPF_NEG | BPF_K, dst, 0, 0, 0));
		return;
	case BPF_END:
		if (is64) /* bswap16/32/64 */
			emit(g, f, mk(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, 16 << rnd(r, 3)));
		else /* le16/32/64, be16/32/64 */
			emit(g, f, mk(BPF_ALU | BPF_END | (chance(r, 50) ? BPF_TO_BE : BPF_TO_LE), dst, 0, 0,
				      16 << rnd(r, 3)));
		return;
	case BPF_MOV:
		if (reg && chance(r, 40)) { /* movsx: 8/16 (and 32 for ALU64) */
			int16_t off = (int16_t)(8 << rnd(r, is64 ? 3 : 2));
			emit(g, f, mk(cls | BPF_MOV | BPF_X, dst, scalar_reg(r), off, 0));
			return;
		}
		break;
	case BPF_LSH: case BPF_RSH: case BPF_ARSH:
		if (!reg) { /* the kernel rejects constant shifts by the width or more */
			emit(g, f, mk(cls | op | BPF_K, dst, 0, 0, (int32_t)rnd(r, width)));
			return;
		}
		break;
	case BPF_DIV: case BPF_MOD: {
		int16_t off = chance(r, 50); /* 1: sdiv/smod */
		int32_t imm = rand_imm(r);
		if (!reg && imm == 0) /* constant division by zero is rejected */
			imm = chance(r, 50) ? -1 : 3;
		emit(g, f, reg ? mk(cls | op | BPF_X, dst, scalar_reg(r), off, 0) : mk(cls | op | BPF_K, dst, 0, off, imm));
		return;
	}
	}
	emit(g, f, reg ? mk(cls | op | BPF_X, dst, scalar_reg(r), 0, 0) : mk(cls | op | BPF_K, dst, 0, 0, rand_imm(r)));
}

/* --- loads, stores, atomics ------------------------------------------------- */

/* A base register and offset for a `bytes`-wide access: the stack of this
 * function or the input memory, in bounds and, where needed, aligned. */
static void rand_addr(struct gen *g, struct func *f, int bytes, bool must_align, uint8_t *base, int16_t *off)
{
	struct gen_rng *r = g->rng;
	bool stack = chance(r, 50);
	int span = stack ? f->stack_slots * 8 : (int)g->o->mem_len;
	/* The kernel requires aligned stack accesses. */
	bool align = must_align || (stack && g->o->kernel_compatible) || chance(r, 50);
	int o = (int)rnd(r, (uint64_t)(span - bytes + 1));
	if (align)
		o -= o % bytes;
	*base = stack ? BPF_REG_10 : MEM_REG;
	*off = (int16_t)(stack ? o - span : o);
}

static void gen_ldst(struct gen *g, struct func *f)
{
	struct gen_rng *r = g->rng;
	uint8_t sz = sizes[rnd(r, 4)];
	uint8_t base;
	int16_t off;
	rand_addr(g, f, size_bytes(sz), false, &base, &off);

	switch (rnd(r, 4)) {
	case 0: /* ldx */
		emit(g, f, mk(BPF_LDX | BPF_MEM | sz, scalar_reg(r), base, off, 0));
		break;
	case 1: /* ldsx: no DW form */
		if (sz == BPF_DW)
			sz = BPF_W;
		emit(g, f, mk(BPF_LDX | BPF_MEMSX | sz, scalar_reg(r), base, off, 0));
		break;
	case 2: /* stx */
		emit(g, f, mk(BPF_STX | BPF_MEM | sz, base, scalar_reg(r), off, 0));
		break;
	default: /* st imm */
		emit(g, f, mk(BPF_ST | BPF_MEM | sz, base, 0, off, rand_imm(r)));
		break;
	}
}

static void gen_atomic(struct gen *g, struct func *f)
{
	static const int32_t ops[] = { BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_XCHG, BPF_CMPXCHG };
	struct gen_rng *r = g->rng;
	uint8_t sz = chance(r, 50) ? BPF_DW : BPF_W;
	int32_t op = ops[rnd(r, sizeof(ops) / sizeof(ops[0]))];
	if (op != BPF_XCHG && op != BPF_CMPXCHG && chance(r, 50))
		op |= BPF_FETCH;
	uint8_t base;
	int16_t off;
	rand_addr(g, f, size_bytes(sz), true, &base, &off);
	emit(g, f, mk(BPF_STX | BPF_ATOMIC | sz, base, scalar_reg(r), off, op));
}

/* --- jumps ------------------------------------------------------------------ */

static const uint8_t conds[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
				 BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE };

static struct item *gen_cond(struct gen *g, struct func *f)
{
	struct gen_rng *r = g->rng;
	uint8_t cls = chance(r, 50) ? BPF_JMP : BPF_JMP32;
	uint8_t op = conds[rnd(r, sizeof(conds) / sizeof(conds[0]))];
	struct item *it = new_item(g, f);
	if (!it)
		return NULL;
	put(it, chance(r, 50) ? mk(cls | op | BPF_X, scalar_reg(r), scalar_reg(r), 0, 0)
			      : mk(cls | op | BPF_K, scalar_reg(r), 0, 0, rand_imm(r)));
	it->jump_slot = 0;
	return it;
}

/* ja, gotol or exit, behind a conditional jump over it so that what follows
 * stays reachable. */
static void gen_uncond(struct gen *g, struct func *f)
{
	struct gen_rng *r = g->rng;
	struct item *c = gen_cond(g, f);
	if (!c)
		return;
	c->fixed = true;
	c->target = f->n + 1;
	struct item *it = new_item(g, f);
	if (!it)
		return;
	switch (rnd(r, 3)) {
	case 0:
		put(it, mk(BPF_JMP | BPF_JA, 0, 0, 0, 0));
		it->jump_slot = 0;
		break;
	case 1:
		put(it, mk(BPF_JMP32 | BPF_JA, 0, 0, 0, 0)); /* gotol */
		it->jump_slot = 0;
		break;
	default:
		put(it, mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
		break;
	}
}

/* --- calls ------------------------------------------------------------------ */

/* After a call r1-r5 hold nothing the program may read: set them again from
 * registers that survive calls, or from constants. */
static void reinit_args(struct gen_rng *r, struct item *it)
{
	static const uint8_t keep[] = { BPF_REG_0, BPF_REG_6, BPF_REG_7, BPF_REG_8 };
	for (uint8_t reg = BPF_REG_1; reg <= BPF_REG_5; reg++)
		put(it, chance(r, 50) ? mk(BPF_ALU64 | BPF_MOV | BPF_X, reg, keep[rnd(r, 4)], 0, 0)
				      : mk(BPF_ALU64 | BPF_MOV | BPF_K, reg, 0, 0, rand_imm(r)));
}

/* bpf-to-bpf call: r1 carries the memory pointer, r2-r5 scalars. */
static void gen_call(struct gen *g, struct func *f, int callee)
{
	struct item *it = new_item(g, f);
	if (!it)
		return;
	put(it, mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, MEM_REG, 0, 0));
	it->call_slot = it->n;
	it->call_fn = callee;
	put(it, mk(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
	reinit_args(g->rng, it);
}

static void gen_helper_call(struct gen *g, struct func *f)
{
	struct item *it = new_item(g, f);
	if (!it)
		return;
	put(it, mk(BPF_JMP | BPF_CALL, 0, 0, 0,
		   GEN_HELPER_FIRST + (int32_t)rnd(g->rng, GEN_HELPER_LAST - GEN_HELPER_FIRST + 1)));
	reinit_args(g->rng, it);
}

/* --- functions ---------------------------------------------------------------- */

static void gen_prologue(struct gen *g, struct func *f, bool is_main)
{
	struct gen_rng *r = g->rng;
	emit(g, f, mk(BPF_ALU64 | BPF_MOV | BPF_X, MEM_REG, BPF_REG_1, 0, 0));
	/* main: r2 is the length, the rest is unset; subprograms: r2-r5 are arguments. */
	for (uint8_t reg = BPF_REG_0; reg <= BPF_REG_8; reg++) {
		if (reg >= BPF_REG_2 && reg <= (is_main ? BPF_REG_2 : BPF_REG_5))
			continue;
		if (chance(r, 50))
			emit_lddw(g, f, reg, rand_u64(r));
		else
			emit(g, f, mk((chance(r, 50) ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_K, reg, 0, 0, rand_imm(r)));
	}
	for (int k = 1; k <= f->stack_slots; k++) {
		int16_t off = (int16_t)(-8 * k);
		switch (rnd(r, 3)) {
		case 0:
			emit(g, f, mk(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, scalar_reg(r), off, 0));
			break;
		case 1:
			emit(g, f, mk(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, off, rand_imm(r)));
			break;
		default:
			emit(g, f, mk(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, scalar_reg(r), off, 0));
			emit(g, f, mk(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, off + 4, rand_imm(r)));
			break;
		}
	}
}

/* Fold every register into r0 so that the result depends on all of them. */
static void gen_fold(struct gen *g, struct func *f)
{
	for (uint8_t reg = BPF_REG_1; reg <= BPF_REG_8; reg++) {
		emit(g, f, mk(BPF_ALU64 | BPF_MUL | BPF_K, BPF_REG_0, 0, 0, 0x2545f491));
		emit(g, f, mk(BPF_ALU64 | (chance(g->rng, 50) ? BPF_XOR : BPF_ADD) | BPF_X, BPF_REG_0, reg, 0, 0));
	}
}

/* forced[0..n_forced): subprograms this function must call at least once. */
static void gen_func(struct gen *g, int fi, size_t budget, const int *forced, int n_forced)
{
	struct gen_rng *r = g->rng;
	const struct gen_opts *o = g->o;
	struct func *f = &g->f[fi];
	bool is_main = fi == 0;
	bool can_call = o->calls && fi + 1 < g->nfuncs;

	gen_prologue(g, f, is_main);
	for (size_t step = 0; step < budget && !g->oom; step++) {
		/* Spread the calls this function must make over its body. */
		if (n_forced && rnd(r, budget - step) < (uint64_t)n_forced) {
			gen_call(g, f, forced[--n_forced]);
			continue;
		}
		unsigned k = (unsigned)rnd(r, 100);
		if (k < 45)
			gen_alu(g, f);
		else if (k < 58)
			gen_cond(g, f);
		else if (k < 62)
			gen_uncond(g, f);
		else if (k < 80)
			gen_ldst(g, f);
		else if (k < 84)
			emit_lddw(g, f, scalar_reg(r), rand_u64(r));
		else if (k < 92 && o->atomics)
			gen_atomic(g, f);
		else if (k < 96 && can_call)
			gen_call(g, f, fi + 1 + (int)rnd(r, (uint64_t)(g->nfuncs - fi - 1)));
		else if (o->helpers)
			gen_helper_call(g, f);
		else
			gen_alu(g, f);
	}
	while (n_forced)
		gen_call(g, f, forced[--n_forced]);
	gen_fold(g, f);
	emit(g, f, mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

/* Give every open jump a forward target in its function, preferring near ones. */
static void pick_targets(struct gen *g, struct func *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct item *it = &f->items[i];
		if (it->jump_slot < 0 || it->fixed)
			continue;
		size_t left = f->n - 1 - i; /* items after this one; the last is exit */
		size_t span = chance(g->rng, 70) && left > 8 ? 8 : left;
		it->target = i + 1 + rnd(g->rng, span);
	}
}

size_t gen_program(struct gen_rng *rng, const struct gen_opts *o, struct bpf_insn *out, size_t cap)
{
	struct gen g = { .rng = rng, .o = o };
	size_t n = 0;
	bool ok = true;

	if (o->mem_len < 8 || o->mem_len > INT16_MAX) /* offsets are 16-bit */
		return 0;

	g.nfuncs = o->calls ? 2 + (int)rnd(rng, MAX_FUNCS - 1) : 1;
	/* Every subprogram is called by some earlier function, hence reachable. */
	int forced[MAX_FUNCS][MAX_FUNCS], n_forced[MAX_FUNCS] = { 0 };
	for (int s = 1; s < g.nfuncs; s++) {
		int caller = (int)rnd(rng, (uint64_t)s);
		forced[caller][n_forced[caller]++] = s;
	}
	for (int fi = 0; fi < g.nfuncs; fi++) {
		size_t share = o->body_insns / (size_t)(g.nfuncs + 1);
		size_t budget = fi == 0 ? o->body_insns - share * (size_t)(g.nfuncs - 1) : share;
		g.f[fi].stack_slots = 4 + (int)rnd(rng, 9);
		gen_func(&g, fi, budget, forced[fi], n_forced[fi]);
		pick_targets(&g, &g.f[fi]);
	}
	ok = !g.oom;

	/* Layout: instruction index of every item, then resolve jumps and calls. */
	size_t *pos = NULL;
	size_t total_items = 0;
	for (int fi = 0; fi < g.nfuncs; fi++)
		total_items += g.f[fi].n;
	if (ok && !(pos = malloc((total_items + 1) * sizeof(*pos))))
		ok = false;
	for (int fi = 0, p = 0; fi < g.nfuncs && ok; fi++) {
		struct func *f = &g.f[fi];
		f->start = n;
		for (size_t i = 0; i < f->n; i++) {
			pos[p++] = n;
			n += (size_t)f->items[i].n;
		}
	}
	ok = ok && n <= cap && n < 32768;
	for (int fi = 0, p = 0; fi < g.nfuncs && ok; fi++) {
		struct func *f = &g.f[fi];
		size_t first = (size_t)p;
		for (size_t i = 0; i < f->n; i++, p++) {
			struct item *it = &f->items[i];
			memcpy(&out[pos[p]], it->insn, (size_t)it->n * sizeof(struct bpf_insn));
			if (it->jump_slot >= 0) {
				struct bpf_insn *j = &out[pos[p] + (size_t)it->jump_slot];
				int32_t d = (int32_t)(pos[first + it->target] - (pos[p] + (size_t)it->jump_slot + 1));
				if (j->code == (BPF_JMP32 | BPF_JA))
					j->imm = d;
				else
					j->off = (int16_t)d;
			}
			if (it->call_slot >= 0)
				out[pos[p] + (size_t)it->call_slot].imm =
					(int32_t)(g.f[it->call_fn].start - (pos[p] + (size_t)it->call_slot + 1));
		}
	}
	free(pos);
	for (int fi = 0; fi < g.nfuncs; fi++)
		free(g.f[fi].items);
	return ok ? n : 0;
}

/* --- helpers ------------------------------------------------------------------- */

static uint64_t rotl(uint64_t v, unsigned k)
{
	return (v << k) | (v >> (64 - k));
}

static uint64_t helper_mix(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return (r1 * 0x9e3779b97f4a7c15ull) ^ rotl(r2, 13) ^ (r3 + rotl(r4, 29)) ^ ~r5;
}

static uint64_t helper_sum(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return r1 + r2 + r3 + r4 + r5;
}

static uint64_t helper_first(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return r1;
}

int gen_register_helpers(struct uebpf_helper_table *t)
{
	int err = uebpf_helper_table_set(t, GEN_HELPER_FIRST, "gen_mix", helper_mix);
	if (!err)
		err = uebpf_helper_table_set(t, GEN_HELPER_FIRST + 1, "gen_sum", helper_sum);
	if (!err)
		err = uebpf_helper_table_set(t, GEN_HELPER_FIRST + 2, "gen_first", helper_first);
	return err;
}
