/* Differential test of the x86-64 JIT against the interpreter: random
 * programs run on both and must leave the same r0 and the same input memory.
 * Three kinds: the generator's (calls, atomics and helpers on), programs
 * with the shapes compilers emit and the JIT optimises (loops entered by a
 * jump to their test, if/else diamonds, addresses formed as base + index,
 * stack slots, short subprograms it inlines), and register-pressure programs
 * for the register allocator (many values, spills and reloads). Every few programs the JIT
 * code is also built hardened and without BMI2, which must agree too.
 *
 * UEBPF_JIT_DIFF_PROGRAMS (default 100000) and UEBPF_JIT_DIFF_SEED (default
 * 1) choose the run; a mismatch prints its seed, the program and the code. */
#include <capstone/capstone.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/uebpf.h>

#include "engine/jit.h"
#include "engine/prog.h"
#include "gen.h"

#define MEM_LEN 64
#define BATCH 3 /* contexts a batch entry runs on */
#define MAX_BODY 160
#define CAP (8 * MAX_BODY + 256)

static struct uebpf_helper_table *helpers;

enum variant { PLAIN, HARDENED, NO_BMI2 };
static const char *const variant_name[] = { "jit", "hardened jit", "jit without bmi2" };

/* Native code, each piece under the BPF instruction it came from. */
static void dump_native(const struct uebpf_prog *p)
{
	csh cs;
	cs_insn *ci;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return;
	for (size_t i = 0; i < p->n; i++) {
		size_t lo = p->jit_offsets[i], hi = p->jit_offsets[i + 1];
		if (lo == hi)
			continue;
		char text[128];
		if (uebpf_disasm_insn(p->insns, p->n, i, UEBPF_ASM_STYLE_UEBPF, text, sizeof(text)) < 0)
			text[0] = 0;
		printf("  %4zu: %s\n", i, text);
		size_t cnt = cs_disasm(cs, p->jit_code + lo, hi - lo, (uint64_t)lo, 0, &ci);
		for (size_t k = 0; k < cnt; k++)
			printf("        %5" PRIx64 ": %s %s\n", ci[k].address, ci[k].mnemonic, ci[k].op_str);
		cs_free(ci, cnt);
	}
	cs_close(&cs);
}

/* Compile prog, already loaded for the interpreter, as JIT variant v. */
static int compile(struct uebpf_prog *p, enum variant v, char *log, size_t log_sz)
{
	unsigned features = uebpf_jit_x86_64_cpu_features();
	uebpf_jit_free(p);
	p->flags = UEBPF_F_VERIFIED | (v == HARDENED ? UEBPF_F_HARDEN : 0);
	if (v == NO_BMI2)
		features &= ~UEBPF_JIT_X86_BMI2;
	/* the hardened variant also lays jumps out the other way (with the JCC
	 * erratum padding where this CPU goes without, and the reverse), so both
	 * layouts run on any machine */
	if (v == HARDENED)
		features ^= UEBPF_JIT_X86_JCC_PAD;
	return uebpf_jit_x86_64_compile_features(p, features, log, log_sz);
}

/* ---- structured programs ------------------------------------------------
 * r9 holds the input memory and r8 the loop counter; nothing else writes
 * them, and no pointer ever flows into a value (the two engines run on
 * buffers at different addresses). Stack slots -8..-32 are set first. */

#define I(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })

struct shape {
	struct bpf_insn *p;
	size_t n, cap;
	struct gen_rng *r;
	size_t calls[64], call_to[64], n_calls; /* call insns and the sub each targets */
};

static uint64_t pick(struct shape *s, uint64_t n)
{
	return gen_rand(s->r) % n;
}

static void put(struct shape *s, struct bpf_insn in)
{
	if (s->n < s->cap)
		s->p[s->n] = in;
	s->n++;
}

static int32_t some_imm(struct shape *s)
{
	static const int32_t special[] = { 0, 1, -1, 2, 3, 7, 10, 16, 255, 1000, 0x7fffffff, INT32_MIN, -7, 0x10000 };
	return pick(s, 3) ? special[pick(s, sizeof(special) / sizeof(special[0]))] : (int32_t)gen_rand(s->r);
}

/* dst op= src/imm, dst in [lo, hi], sources among r0-r7 */
static void shape_alu(struct shape *s, int lo, int hi)
{
	static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH,
				       BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH };
	uint8_t op = ops[pick(s, sizeof(ops))];
	uint8_t cls = pick(s, 3) ? BPF_ALU64 : BPF_ALU;
	int dst = lo + (int)pick(s, (uint64_t)(hi - lo + 1));
	int16_t off = (op == BPF_DIV || op == BPF_MOD) && pick(s, 2);
	if (op == BPF_NEG)
		put(s, I(cls | BPF_NEG, dst, 0, 0, 0));
	else if (pick(s, 2))
		put(s, I(cls | op | BPF_K, dst, 0, off, some_imm(s)));
	else
		put(s, I(cls | op | BPF_X, dst, (int)pick(s, 8), off, 0));
}

/* a load or store through r9 + index (or + constant), maybe with unrelated
 * instructions between forming the address and using it */
static void shape_mem(struct shape *s)
{
	static const uint8_t sizes[] = { BPF_B, BPF_H, BPF_W, BPF_DW };
	int a = 1 + (int)pick(s, 3), idx = 4 + (int)pick(s, 2), val = 6 + (int)pick(s, 2);
	int k = (int)pick(s, 4), bytes = 1 << k;
	uint8_t size = sizes[k];
	if (pick(s, 2)) {
		put(s, I(BPF_ALU64 | BPF_MOV | BPF_X, idx, (int)pick(s, 8), 0, 0));
		put(s, I(BPF_ALU64 | BPF_AND | BPF_K, idx, 0, 0, 0x38));
		put(s, I(BPF_ALU64 | BPF_MOV | BPF_X, a, BPF_REG_9, 0, 0));
		put(s, I(BPF_ALU64 | BPF_ADD | BPF_X, a, idx, 0, 0));
	} else {
		put(s, I(BPF_ALU64 | BPF_MOV | BPF_X, a, BPF_REG_9, 0, 0));
		put(s, I(BPF_ALU64 | BPF_ADD | BPF_K, a, 0, 0, 8 * (int32_t)pick(s, 6)));
	}
	for (int n = (int)pick(s, 3); n > 0; n--) {
		/* maybe through a fresh temporary, which may take the
		 * register of the index once that is dead */
		int t = (int)pick(s, 8);
		if (t != a && t != idx && t != val && pick(s, 2)) {
			put(s, I(BPF_ALU64 | BPF_MOV | BPF_K, t, 0, 0, some_imm(s)));
			put(s, I(BPF_ALU64 | BPF_XOR | BPF_X, val, t, 0, 0));
		} else {
			put(s, I(BPF_ALU64 | BPF_XOR | BPF_K, val, 0, 0, some_imm(s)));
		}
	}
	for (int uses = 1 + (int)pick(s, 2); uses > 0; uses--) {
		int16_t off = (int16_t)pick(s, (uint64_t)(9 - bytes)); /* within the 8 bytes at a */
		if (pick(s, 2))
			put(s, I(BPF_LDX | BPF_MEM | size, val, a, off, 0));
		else
			put(s, I(BPF_STX | BPF_MEM | size, a, val, off, 0));
	}
	put(s, I(BPF_ALU64 | BPF_MOV | BPF_K, a, 0, 0, 0)); /* the pointer dies */
}

static void shape_item(struct shape *s, int depth, size_t n_subs, size_t *latch_jumps, size_t *n_latch)
{
	switch (pick(s, 10)) {
	case 0:
	case 1:
		shape_mem(s);
		break;
	case 2:
		if (pick(s, 2))
			put(s, I(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, (int)pick(s, 8), -8 * (1 + (int)pick(s, 4)), 0));
		else
			put(s, I(BPF_LDX | BPF_MEM | BPF_DW, (int)pick(s, 8), BPF_REG_10, -8 * (1 + (int)pick(s, 4)), 0));
		break;
	case 3:
		if (depth < 2) { /* if/else diamond */
			size_t br = s->n;
			put(s, I(BPF_JMP | BPF_JGT | BPF_K, (int)pick(s, 8), 0, 0, some_imm(s)));
			for (int k = 1 + (int)pick(s, 3); k > 0; k--)
				shape_item(s, depth + 1, n_subs, latch_jumps, n_latch);
			size_t over = s->n;
			put(s, I(BPF_JMP | BPF_JA, 0, 0, 0, 0));
			for (int k = (int)pick(s, 3); k > 0; k--)
				shape_item(s, depth + 1, n_subs, latch_jumps, n_latch);
			if (over < s->cap && br < s->cap) {
				s->p[br].off = (int16_t)(over - br);
				s->p[over].off = (int16_t)(s->n - over - 1);
			}
			break;
		}
		/* fall through */
	case 4:
		if (pick(s, 2)) { /* a divisor known nonzero, or zero again on some path */
			int d = (int)pick(s, 8);
			uint8_t cls = pick(s, 2) ? BPF_ALU64 : BPF_ALU;
			put(s, I(cls | BPF_OR | BPF_K, d, 0, 0, 1 + (int32_t)pick(s, 4)));
			if (pick(s, 2)) {
				put(s, I(BPF_JMP | BPF_JEQ | BPF_K, (int)pick(s, 8), 0, 1, (int32_t)pick(s, 3)));
				put(s, I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, 0));
			}
			put(s, I(cls | (pick(s, 2) ? BPF_DIV : BPF_MOD) | BPF_X, (int)pick(s, 8), d, (int16_t)pick(s, 2), 0));
			break;
		}
		if (latch_jumps && *n_latch < 8) { /* "continue" */
			latch_jumps[(*n_latch)++] = s->n;
			put(s, I(BPF_JMP | BPF_JEQ | BPF_K, (int)pick(s, 8), 0, 0, (int32_t)pick(s, 4)));
			break;
		}
		/* fall through */
	case 5:
		if (n_subs && s->n_calls < 64) {
			for (int r = 1; r <= 3; r++)
				put(s, I(BPF_ALU64 | BPF_MOV | BPF_X, r, (int)pick(s, 8), 0, 0));
			s->call_to[s->n_calls] = pick(s, n_subs);
			s->calls[s->n_calls++] = s->n;
			put(s, I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
			break;
		}
		/* fall through */
	default:
		shape_alu(s, 0, 7);
		break;
	}
}

/* A straight-line subprogram: r6-r9 written before read (when at all), maybe
 * calling the next subprogram, which writes none of them. */
static void shape_sub(struct shape *s, size_t self, size_t n_subs)
{
	bool leaf = self + 1 == n_subs;
	if (!leaf || pick(s, 2)) {
		put(s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0));
		put(s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_2, 0, 0));
		if (pick(s, 2))
			put(s, I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8 + (int)pick(s, 2), 0, 0, some_imm(s)));
	}
	for (int k = 1 + (int)pick(s, 8); k > 0; k--) {
		shape_alu(s, 0, leaf ? 5 : 7);
		if (!leaf && pick(s, 4) == 0 && s->n_calls < 64) {
			s->call_to[s->n_calls] = self + 1;
			s->calls[s->n_calls++] = s->n;
			put(s, I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
		}
	}
	if (!leaf)
		put(s, I(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_0, BPF_REG_6, 0, 0));
	put(s, I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static size_t shape_program(struct gen_rng *r, struct bpf_insn *out, size_t cap)
{
	struct shape s = { .p = out, .cap = cap, .r = r };
	size_t n_subs = pick(&s, 3), sub_start[3];
	size_t latch_jumps[8], n_latch = 0;

	put(&s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_1, 0, 0));
	for (int k = 0; k <= 7; k++)
		put(&s, I(BPF_ALU64 | BPF_MOV | BPF_K, k, 0, 0, some_imm(&s)));
	for (int k = 1; k <= 4; k++)
		put(&s, I(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, k, -8 * k, 0));
	/* r8 = 0; goto test; body: ...; latch: r8 += 1; test: if r8 < N goto body */
	bool via_latch = pick(&s, 2);
	put(&s, I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, 0));
	size_t entry = s.n;
	put(&s, I(BPF_JMP | BPF_JA, 0, 0, 0, 0));
	size_t body = s.n;
	for (int k = 2 + (int)pick(&s, 10); k > 0; k--)
		shape_item(&s, 0, n_subs, latch_jumps, &n_latch);
	size_t latch = s.n;
	put(&s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_8, 0, 0, 1));
	size_t test = s.n;
	put(&s, I(BPF_JMP | BPF_JLT | BPF_K, BPF_REG_8, 0, 0, 1 + (int32_t)pick(&s, 12)));
	if (test < cap) {
		out[entry].off = (int16_t)((via_latch ? latch : test) - entry - 1);
		out[test].off = (int16_t)(body - test - 1);
		for (size_t k = 0; k < n_latch; k++)
			out[latch_jumps[k]].off = (int16_t)(latch - latch_jumps[k] - 1);
	}
	for (int k = 1; k <= 7; k++)
		put(&s, I(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_0, k, 0, 0));
	for (int k = 1; k <= 4; k++) {
		put(&s, I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, -8 * k, 0));
		put(&s, I(BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0));
	}
	put(&s, I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	for (size_t k = 0; k < n_subs; k++) {
		sub_start[k] = s.n;
		shape_sub(&s, k, n_subs);
	}
	if (s.n > cap)
		return 0;
	for (size_t k = 0; k < s.n_calls; k++)
		out[s.calls[k]].imm = (int32_t)(sub_start[s.call_to[k]] - s.calls[k] - 1);
	return s.n;
}

/* ---- register pressure ---------------------------------------------------
 * What the register allocator sees in clang's code under pressure: up to 20
 * 8-byte stack slots used as spill slots (loads, stores, copies between
 * them through registers), values in r0-r8, r9 the input memory, a loop
 * whose counter lives on the stack, early exits, division and shifts by a
 * register (which need rax, rdx, rcx, r11), sometimes a slot also accessed
 * by 4 bytes (which keeps it in memory), and r2 (the length) read late. */

static void pressure_item(struct shape *s, int slots, int depth)
{
	int x = (int)pick(s, 9), k = 1 + (int)pick(s, (uint64_t)slots);
	switch (pick(s, 15)) {
	case 14: { /* a 16- or 32-bit load, swapped, compared with constants
		    * (the JIT may compare the bytes as loaded instead) */
		bool h = pick(s, 2);
		int16_t off = (int16_t)(pick(s, MEM_LEN / 4) * 4);
		int32_t val = h ? (int32_t)pick(s, 0x10000) : some_imm(s);
		if (pick(s, 2))
			put(s, I(BPF_ST | BPF_MEM | (h ? BPF_H : BPF_W), BPF_REG_9, 0, off, val));
		put(s, I(BPF_LDX | BPF_MEM | (h ? BPF_H : BPF_W), x, BPF_REG_9, off, 0));
		put(s, I((pick(s, 4) ? BPF_ALU | BPF_TO_BE : BPF_ALU64) | BPF_END, x, 0, 0, h ? 16 : 32));
		for (int c = 1 + (int)pick(s, 3); c > 0; c--) {
			uint32_t swapped = h ? __builtin_bswap16((uint16_t)val) : __builtin_bswap32((uint32_t)val);
			int32_t k = pick(s, 2) ? (int32_t)swapped : pick(s, 2) ? (int32_t)val : some_imm(s);
			static const uint8_t ops[] = { BPF_JEQ, BPF_JNE, BPF_JSET };
			put(s, I((pick(s, 2) ? BPF_JMP32 : BPF_JMP) | ops[pick(s, 3)] | BPF_K, x, 0, 1, k));
			put(s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_0, 0, 0, c));
		}
		if (pick(s, 4))
			put(s, I(BPF_ALU64 | BPF_MOV | BPF_K, x, 0, 0, some_imm(s)));
		break;
	}
	case 13: /* a helper call: r1-r5 in, r0 out; r1-r5 written again after
		  * (a call leaves them undefined), values across it in
		  * callee-saved registers or the stack */
		put(s, I(BPF_JMP | BPF_CALL, 0, 0, 0, GEN_HELPER_FIRST + (int32_t)pick(s, 3)));
		for (int r = BPF_REG_1; r <= BPF_REG_5; r++) {
			int from = (int)pick(s, 5);
			if (from < 4)
				put(s, I(BPF_ALU64 | BPF_MOV | BPF_X, r, from == 0 ? BPF_REG_0 : BPF_REG_5 + from, 0, 0));
			else
				put(s, I(BPF_ALU64 | BPF_MOV | BPF_K, r, 0, 0, some_imm(s)));
		}
		break;
	case 12: { /* a slot updated in place through a register that dies */
		static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_AND, BPF_OR, BPF_XOR };
		put(s, I(BPF_LDX | BPF_MEM | BPF_DW, x, BPF_REG_10, (int16_t)(-8 * k), 0));
		put(s, I(BPF_ALU64 | ops[pick(s, 5)] | BPF_K, x, 0, 0, some_imm(s)));
		put(s, I(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, x, (int16_t)(-8 * k), 0));
		if (pick(s, 4))
			put(s, I(BPF_ALU64 | BPF_MOV | BPF_K, x, 0, 0, some_imm(s)));
		break;
	}
	case 0:
	case 1:
		put(s, I(BPF_LDX | BPF_MEM | BPF_DW, x, BPF_REG_10, (int16_t)(-8 * k), 0));
		break;
	case 2:
	case 3:
		put(s, I(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, x, (int16_t)(-8 * k), 0));
		break;
	case 4:
		if (pick(s, 4))
			put(s, I(BPF_ALU64 | BPF_MOV | BPF_X, x, (int)pick(s, 9), 0, 0));
		else
			put(s, I(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, (int16_t)(-8 * k), some_imm(s)));
		break;
	case 5: {
		static const uint8_t sizes[] = { BPF_B, BPF_H, BPF_W, BPF_DW };
		int z = (int)pick(s, 4);
		int16_t off = (int16_t)(pick(s, (uint64_t)(MEM_LEN >> z)) << z);
		if (pick(s, 3))
			put(s, I(BPF_LDX | BPF_MEM | sizes[z], x, BPF_REG_9, off, 0));
		else
			put(s, I(BPF_STX | BPF_MEM | sizes[z], BPF_REG_9, x, off, 0));
		break;
	}
	case 6:
		if (depth < 2) {
			size_t br = s->n;
			put(s, I(BPF_JMP | (pick(s, 2) ? BPF_JGT : BPF_JSET) | BPF_K, x, 0, 0, some_imm(s)));
			for (int m = 1 + (int)pick(s, 4); m > 0; m--)
				pressure_item(s, slots, depth + 1);
			size_t over = s->n;
			put(s, I(BPF_JMP | BPF_JA, 0, 0, 0, 0));
			for (int m = (int)pick(s, 3); m > 0; m--)
				pressure_item(s, slots, depth + 1);
			if (over < s->cap) {
				s->p[br].off = (int16_t)(over - br);
				s->p[over].off = (int16_t)(s->n - over - 1);
			}
			break;
		}
		/* fall through */
	case 7:
		if (!pick(s, 4)) { /* an early exit */
			put(s, I(BPF_JMP | BPF_JNE | BPF_K, x, 0, 1, (int32_t)pick(s, 4)));
			put(s, I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
			break;
		}
		/* fall through */
	case 8:
		if (!pick(s, 3)) { /* a 4-byte access to a slot: it stays in memory */
			if (pick(s, 2))
				put(s, I(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, x, (int16_t)(-8 * k + 4 * (int)pick(s, 2)), 0));
			else
				put(s, I(BPF_LDX | BPF_MEM | BPF_W, x, BPF_REG_10, (int16_t)(-8 * k), 0));
			break;
		}
		/* fall through */
	default: {
		/* dst op= src, sources among r0-r8 */
		static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH,
					       BPF_RSH, BPF_MOD, BPF_XOR, BPF_ARSH, BPF_ADD, BPF_XOR };
		uint8_t op = ops[pick(s, sizeof(ops))], cls = pick(s, 4) ? BPF_ALU64 : BPF_ALU;
		int16_t off = (op == BPF_DIV || op == BPF_MOD) && pick(s, 2);
		if (pick(s, 3))
			put(s, I(cls | op | BPF_X, x, (int)pick(s, 9), off, 0));
		else
			put(s, I(cls | op | BPF_K, x, 0, off, some_imm(s)));
		break;
	}
	}
}

static size_t pressure_program(struct gen_rng *r, struct bpf_insn *out, size_t cap)
{
	struct shape s = { .p = out, .cap = cap, .r = r };
	int slots = 2 + (int)pick(&s, 19), counter = -8 * (slots + 1);
	bool keep_len = pick(&s, 2);

	put(&s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_1, 0, 0));
	if (keep_len)
		put(&s, I(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_2, (int16_t)(counter - 8), 0));
	for (int k = 0; k <= 8; k++)
		put(&s, I(BPF_ALU64 | BPF_MOV | BPF_K, k, 0, 0, some_imm(&s)));
	for (int k = 1; k <= slots; k++)
		put(&s, I(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, (int16_t)(-8 * k), some_imm(&s)));
	put(&s, I(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, (int16_t)counter, 0));
	size_t body = s.n;
	for (int k = 4 + (int)pick(&s, 40); k > 0; k--)
		pressure_item(&s, slots, 0);
	int t = (int)pick(&s, 9);
	put(&s, I(BPF_LDX | BPF_MEM | BPF_DW, t, BPF_REG_10, (int16_t)counter, 0));
	put(&s, I(BPF_ALU64 | BPF_ADD | BPF_K, t, 0, 0, 1));
	put(&s, I(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, t, (int16_t)counter, 0));
	size_t test = s.n;
	put(&s, I(BPF_JMP | BPF_JLT | BPF_K, t, 0, 0, 1 + (int32_t)pick(&s, 8)));
	if (test < cap)
		out[test].off = (int16_t)(body - test - 1);
	for (int k = 1; k <= 8; k++)
		put(&s, I(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_0, k, 0, 0));
	for (int k = 1; k <= slots; k++) {
		put(&s, I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, (int16_t)(-8 * k), 0));
		put(&s, I(BPF_ALU64 | (k % 2 ? BPF_ADD : BPF_XOR) | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0));
	}
	if (keep_len) {
		put(&s, I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, (int16_t)(counter - 8), 0));
		put(&s, I(BPF_ALU64 | BPF_MUL | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0));
	}
	put(&s, I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	return s.n > cap ? 0 : s.n;
}

static int mismatch(uint64_t seed, const char *what, const struct bpf_insn *insns, size_t n,
		    const struct uebpf_prog *jit)
{
	printf("seed %" PRIu64 ": %s\n", seed, what);
	uebpf_disasm(insns, n, UEBPF_ASM_STYLE_UEBPF, stdout);
	if (jit && jit->jit_code) {
		printf("native code:\n");
		dump_native(jit);
	}
	return 1;
}

/* Run the program of this seed on the interpreter and on each JIT variant
 * in variants (bit per enum variant). */
static uint64_t n_allocated; /* programs whose registers the JIT allocated */
static uint64_t n_batch;     /* programs with a batch entry */
static uint64_t n_alloc_calls; /* ... allocated, with helper calls */

/* The batch entry (uebpf_prog_jit_batch) over 1..BATCH contexts side by
 * side gives each the interpreter's r0 (low 32 bits) and memory. Programs
 * it refuses must be ones with tail calls, callbacks, ld_abs/ld_ind or
 * indirect calls. */
static int check_batch(uint64_t seed, struct uebpf_prog *p, const struct bpf_insn *insns, size_t n,
		       uint8_t in[BATCH][MEM_LEN], uint8_t mem[BATCH][MEM_LEN], uint8_t want[BATCH][MEM_LEN])
{
	char log[256], what[400];
	int err = uebpf_jit_x86_64_compile_batch_features(p, uebpf_jit_x86_64_cpu_features(), log, sizeof(log));
	if (err) {
		bool special = p->n_callbacks;
		for (size_t i = 0; i < n; i++)
			special |= (BPF_CLASS(insns[i].code) == BPF_LD && BPF_MODE(insns[i].code) != BPF_IMM) ||
				   insns[i].code == (BPF_JMP | BPF_CALL | BPF_X) ||
				   (insns[i].code == (BPF_JMP | BPF_CALL) && !insns[i].src_reg &&
				    insns[i].imm == BPF_FUNC_tail_call);
		if (err == -EOPNOTSUPP && special)
			return 0;
		snprintf(what, sizeof(what), "no batch entry (%d): %s", err, log);
		return mismatch(seed, what, insns, n, p);
	}
	n_batch++;
	size_t count = 1 + seed % BATCH;
	uint32_t got[BATCH + 1], expect[BATCH];
	for (size_t c = 0; c < count; c++) {
		uint64_t r;
		memcpy(want[c], in[c], MEM_LEN);
		if (uebpf_interp_run(p, want[c], MEM_LEN, &r, NULL, 0))
			return 0; /* the interpreter faulted on this input: nothing to compare */
		expect[c] = (uint32_t)r;
	}
	memcpy(mem, in, sizeof(uint8_t[BATCH][MEM_LEN]));
	got[count] = 0xdeadbeef;
	p->jit_batch_fn(mem, count, got, MEM_LEN);
	for (size_t c = 0; c < count; c++)
		if (got[c] != expect[c] || memcmp(mem[c], want[c], MEM_LEN)) {
			snprintf(what, sizeof(what), "batch context %zu of %zu: r0 0x%x, interpreter 0x%x%s", c, count,
				 got[c], expect[c], memcmp(mem[c], want[c], MEM_LEN) ? "; memory differs" : "");
			return mismatch(seed, what, insns, n, p);
		}
	if (got[count] != 0xdeadbeef)
		return mismatch(seed, "the batch entry wrote past its last result", insns, n, p);
	return 0;
}

static int one(uint64_t seed, unsigned variants)
{
	static struct bpf_insn insns[CAP];
	struct gen_rng rng = { seed };
	struct gen_opts o = {
		.body_insns = 1 + gen_rand(&rng) % MAX_BODY,
		.mem_len = MEM_LEN,
		.calls = true,
		.atomics = true,
		.helpers = true,
		.kernel_compatible = seed % 4 == 0,
	};
	uint8_t input[MEM_LEN], mem_i[MEM_LEN], mem_j[MEM_LEN];
	/* the batch entry runs on BATCH contexts: the input and variations */
	uint8_t batch_in[BATCH][MEM_LEN], batch_mem[BATCH][MEM_LEN], batch_want[BATCH][MEM_LEN];
	for (size_t k = 0; k < MEM_LEN; k++)
		input[k] = (uint8_t)gen_rand(&rng);
	size_t n = seed % 3 == 2   ? shape_program(&rng, insns, CAP)
		   : seed % 3 == 1 ? pressure_program(&rng, insns, CAP)
				   : gen_program(&rng, &o, insns, CAP);
	if (!n)
		return mismatch(seed, "the generator made no program", insns, 0, NULL);
	/* after the program, so that a seed makes the program it always made */
	for (size_t c = 0; c < BATCH; c++)
		for (size_t k = 0; k < MEM_LEN; k++)
			batch_in[c][k] = c == 0 ? input[k] : (uint8_t)gen_rand(&rng);

	char log[256] = "", what[400];
	struct uebpf_prog_opts po = { .sz = sizeof(po), .engine = UEBPF_ENGINE_INTERP,
				      .flags = UEBPF_F_VERIFIED, .helpers = helpers };
	struct uebpf_prog *p;
	if (uebpf_prog_load(insns, n, &po, &p, log, sizeof(log)))
		return mismatch(seed, log, insns, n, NULL);
	uint64_t r_i, r_j;
	memcpy(mem_i, input, MEM_LEN);
	int rc = 0;
	if (uebpf_prog_run(p, mem_i, MEM_LEN, &r_i, log, sizeof(log))) {
		snprintf(what, sizeof(what), "interpreter failed: %s", log);
		rc = mismatch(seed, what, insns, n, NULL);
	}
	for (int v = PLAIN; v <= NO_BMI2 && !rc; v++) {
		if (!(variants & (1u << v)))
			continue;
		if (compile(p, v, log, sizeof(log))) {
			snprintf(what, sizeof(what), "%s refused the program: %s", variant_name[v], log);
			rc = mismatch(seed, what, insns, n, NULL);
			break;
		}
		n_allocated += v == PLAIN && p->jit_allocated;
		if (v == PLAIN && p->jit_allocated)
			for (size_t i = 0; i < n; i++)
				if (insns[i].code == (BPF_JMP | BPF_CALL)) {
					n_alloc_calls++;
					break;
				}
		if (v == PLAIN && !rc)
			rc = check_batch(seed, p, insns, n, batch_in, batch_mem, batch_want);
		memcpy(mem_j, input, MEM_LEN);
		r_j = p->jit_fn(mem_j, MEM_LEN);
		if (r_i != r_j || memcmp(mem_i, mem_j, MEM_LEN)) {
			snprintf(what, sizeof(what), "%s: r0 0x%" PRIx64 ", interpreter: r0 0x%" PRIx64 "%s",
				 variant_name[v], r_j, r_i, memcmp(mem_i, mem_j, MEM_LEN) ? "; memory differs" : "");
			rc = mismatch(seed, what, insns, n, p);
		}
	}
	uebpf_prog_free(p);
	return rc;
}

int main(void)
{
	const char *s = getenv("UEBPF_JIT_DIFF_PROGRAMS");
	uint64_t count = s ? strtoull(s, NULL, 0) : 100000;
	s = getenv("UEBPF_JIT_DIFF_SEED");
	uint64_t first = s ? strtoull(s, NULL, 0) : 1;
	unsigned failures = 0;

	helpers = uebpf_helper_table_new();
	if (!helpers || gen_register_helpers(helpers)) {
		printf("cannot set up the helper table\n");
		return 1;
	}
	for (uint64_t k = 0; k < count && failures < 5; k++) {
		uint64_t seed = first + k;
		/* one program in 8 also hardened, one in 8 also without bmi2 */
		unsigned variants = 1u << PLAIN | (k % 8 == 3) << HARDENED | (k % 8 == 7) << NO_BMI2;
		failures += (unsigned)one(seed, variants);
	}
	uebpf_helper_table_free(helpers);
	printf("%" PRIu64 " programs from seed %" PRIu64 ": %u mismatches; registers allocated in %" PRIu64
	       " (%" PRIu64 " with helper calls), batch entries checked in %" PRIu64 "\n",
	       count, first, failures, n_allocated, n_alloc_calls, n_batch);
	/* a third are register-pressure programs, which the allocator takes */
	if (!failures && count >= 300 && n_allocated < count / 4) {
		printf("the register allocator took too few programs\n");
		return 1;
	}
	if (!failures && count >= 300 && n_alloc_calls < count / 20) {
		printf("too few programs with helper calls got their registers allocated\n");
		return 1;
	}
	if (!failures && count >= 300 && n_batch < count / 2) {
		printf("too few programs got a batch entry\n");
		return 1;
	}
	return failures ? 1 : 0;
}
