/* Interpreter unit tests on hand-encoded programs: arithmetic edge cases,
 * atomics, legacy packet loads, calls, and every checked-mode error. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <uebpf/uebpf.h>

#include "gen.h"

#define I(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })
#define LDDW(DST, V) \
	I(BPF_LD | BPF_IMM | BPF_DW, DST, 0, 0, (int32_t)(uint32_t)(V)), I(0, 0, 0, 0, (int32_t)((uint64_t)(V) >> 32))
#define MOV64_IMM(DST, IMM) I(BPF_ALU64 | BPF_MOV | BPF_K, DST, 0, 0, IMM)
#define MOV64_REG(DST, SRC) I(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, 0, 0)
#define ALU64_IMM(OP, DST, IMM) I(BPF_ALU64 | (OP) | BPF_K, DST, 0, 0, IMM)
#define ALU64_REG(OP, DST, SRC) I(BPF_ALU64 | (OP) | BPF_X, DST, SRC, 0, 0)
#define LDX(SIZE, DST, SRC, OFF) I(BPF_LDX | BPF_MEM | (SIZE), DST, SRC, OFF, 0)
#define STX(SIZE, DST, SRC, OFF) I(BPF_STX | BPF_MEM | (SIZE), DST, SRC, OFF, 0)
#define ST(SIZE, DST, OFF, IMM) I(BPF_ST | BPF_MEM | (SIZE), DST, 0, OFF, IMM)
#define ATOMIC(SIZE, OP, DST, SRC, OFF) I(BPF_STX | BPF_ATOMIC | (SIZE), DST, SRC, OFF, OP)
#define JMP_IMM(OP, DST, IMM, OFF) I(BPF_JMP | (OP) | BPF_K, DST, 0, OFF, IMM)
#define CALL_HELPER(ID) I(BPF_JMP | BPF_CALL, 0, 0, 0, ID)
#define CALL_LOCAL(REL) I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, REL)
#define CALLX(REG) I(BPF_JMP | BPF_CALL | BPF_X, REG, 0, 0, 0)
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const uint32_t modes[] = { 0, UEBPF_F_VERIFIED };

static uint64_t helper_weighted(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + 10 * b + 100 * c + 1000 * d + 10000 * e;
}

static uint64_t helper_identity(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a;
}

struct run_opts {
	uint32_t flags;
	uint64_t budget;
	void *region;
	size_t region_len;
	bool region_writable;
};

/* Load (must succeed) and run; returns the run's result and fills *ret/log. */
static int run_with(const struct bpf_insn *insns, size_t n, const struct run_opts *ro, void *mem, size_t mem_len,
		    uint64_t *ret, char *log, size_t log_sz)
{
	struct uebpf_helper_table *t = uebpf_helper_table_new();
	assert_non_null(t);
	assert_int_equal(uebpf_helper_table_set(t, 1, "weighted", helper_weighted), 0);
	assert_int_equal(uebpf_helper_table_set(t, 5, "identity", helper_identity), 0);
	struct uebpf_prog_opts o = { .sz = sizeof(o), .flags = ro->flags, .helpers = t, .insn_budget = ro->budget };
	struct uebpf_prog *prog;
	char load_log[256] = "";
	int err = uebpf_prog_load(insns, n, &o, &prog, load_log, sizeof(load_log));
	if (err)
		fail_msg("load failed (%d): %s", err, load_log);
	if (ro->region)
		assert_int_equal(uebpf_prog_add_region(prog, ro->region, ro->region_len, ro->region_writable), 0);
	*ret = 0xdeadbeef;
	log[0] = 0;
	err = uebpf_prog_run(prog, mem, mem_len, ret, log, log_sz);
	uebpf_prog_free(prog);
	uebpf_helper_table_free(t);
	return err;
}

/* Run in both modes; both must succeed with the same r0, which is returned. */
static uint64_t run_ok(const struct bpf_insn *insns, size_t n, void *mem, size_t mem_len)
{
	uint64_t results[N(modes)];
	uint8_t saved[256];
	char log[256];

	assert_true(mem_len <= sizeof(saved));
	if (mem_len)
		memcpy(saved, mem, mem_len);
	for (size_t m = 0; m < N(modes); m++) {
		struct run_opts ro = { .flags = modes[m] };
		if (m && mem_len)
			memcpy(mem, saved, mem_len); /* each mode sees the same input */
		int err = run_with(insns, n, &ro, mem, mem_len, &results[m], log, sizeof(log));
		if (err)
			fail_msg("mode %u: run failed (%d): %s", modes[m], err, log);
	}
	assert_int_equal(results[0], results[1]);
	return results[0];
}

/* Checked run that must fail with err and a log starting with prefix. */
static void run_fault(const struct bpf_insn *insns, size_t n, const struct run_opts *ro, void *mem, size_t mem_len,
		      int expect_err, const char *prefix)
{
	char log[256];
	uint64_t ret;
	int err = run_with(insns, n, ro, mem, mem_len, &ret, log, sizeof(log));
	if (err != expect_err || strncmp(log, prefix, strlen(prefix)))
		fail_msg("expected %d \"%s...\", got %d \"%s\"", expect_err, prefix, err, log);
}

/* --- arithmetic ----------------------------------------------------------- */

struct alu_case {
	uint8_t code; /* BPF_ALU or BPF_ALU64 | op | BPF_X (the K form is derived) */
	int16_t off;
	uint64_t a, b, want;
};

static void test_alu_edges(void **state)
{
	static const struct alu_case cases[] = {
		/* unsigned division by zero: quotient 0, remainder the dividend */
		{ BPF_ALU64 | BPF_DIV, 0, 7, 0, 0 },
		{ BPF_ALU | BPF_DIV, 0, 0xffffffff00000007ull, 0, 0 },
		{ BPF_ALU64 | BPF_MOD, 0, 7, 0, 7 },
		{ BPF_ALU | BPF_MOD, 0, 0xffffffff00000007ull, 0, 7 },
		{ BPF_ALU | BPF_MOD, 0, 0xffffffff00000007ull, 0xffffffff00000000ull, 7 },
		{ BPF_ALU64 | BPF_DIV, 0, UINT64_MAX, 2, UINT64_MAX / 2 },
		{ BPF_ALU | BPF_DIV, 0, 0x1ffffffffull, 2, 0x7fffffff },
		/* signed division (off = 1) */
		{ BPF_ALU64 | BPF_DIV, 1, (uint64_t)INT64_MIN, (uint64_t)-1, (uint64_t)INT64_MIN },
		{ BPF_ALU64 | BPF_MOD, 1, (uint64_t)INT64_MIN, (uint64_t)-1, 0 },
		{ BPF_ALU | BPF_DIV, 1, 0x80000000u, 0xffffffffu, 0x80000000u },
		{ BPF_ALU | BPF_MOD, 1, 0x80000000u, 0xffffffffu, 0 },
		{ BPF_ALU64 | BPF_DIV, 1, (uint64_t)-7, 2, (uint64_t)-3 },
		{ BPF_ALU64 | BPF_MOD, 1, (uint64_t)-7, 2, (uint64_t)-1 },
		{ BPF_ALU | BPF_DIV, 1, (uint32_t)-7, 2, (uint32_t)-3 },
		{ BPF_ALU | BPF_MOD, 1, (uint32_t)-7, 2, (uint32_t)-1 },
		{ BPF_ALU64 | BPF_DIV, 1, (uint64_t)-7, 0, 0 },
		{ BPF_ALU64 | BPF_MOD, 1, (uint64_t)-7, 0, (uint64_t)-7 },
		{ BPF_ALU | BPF_MOD, 1, 0xabcdef00fffffff9ull, 0, 0xfffffff9u },
		/* shift counts are masked to the width */
		{ BPF_ALU64 | BPF_LSH, 0, 1, 65, 2 },
		{ BPF_ALU | BPF_LSH, 0, 1, 33, 2 },
		{ BPF_ALU64 | BPF_RSH, 0, 0x8000000000000000ull, 127, 1 },
		{ BPF_ALU | BPF_RSH, 0, 0xffffffff80000000ull, 63, 1 },
		{ BPF_ALU64 | BPF_ARSH, 0, 0x8000000000000000ull, 63, UINT64_MAX },
		{ BPF_ALU | BPF_ARSH, 0, 0x80000000u, 31, 0xffffffffu },
		{ BPF_ALU | BPF_ARSH, 0, 0x80000000u, 36, 0xf8000000u },
		/* 32-bit results are zero-extended */
		{ BPF_ALU | BPF_ADD, 0, 0xffffffffu, 1, 0 },
		{ BPF_ALU | BPF_SUB, 0, 0, 1, 0xffffffffu },
		{ BPF_ALU | BPF_MUL, 0, 0x80000000u, (uint32_t)-1, 0x80000000u },
		{ BPF_ALU64 | BPF_MUL, 0, (uint64_t)INT64_MIN, (uint64_t)-1, (uint64_t)INT64_MIN },
		{ BPF_ALU | BPF_MOV, 0, 0, 0xffffffffffffffffull, 0xffffffffu },
		{ BPF_ALU | BPF_XOR, 0, 0xffffffff00000000ull, 1, 1 },
		/* sign-extending moves (off = 8/16/32) */
		{ BPF_ALU64 | BPF_MOV, 8, 0, 0x180, 0xffffffffffffff80ull },
		{ BPF_ALU64 | BPF_MOV, 16, 0, 0x18000, 0xffffffffffff8000ull },
		{ BPF_ALU64 | BPF_MOV, 32, 0, 0x180000000ull, 0xffffffff80000000ull },
		{ BPF_ALU | BPF_MOV, 8, 0, 0x180, 0xffffff80u },
		{ BPF_ALU | BPF_MOV, 16, 0, 0x8000, 0xffff8000u },
		{ BPF_ALU64 | BPF_MOV, 8, 0, 0x7f, 0x7f },
	};
	for (size_t i = 0; i < N(cases); i++) {
		const struct alu_case *c = &cases[i];
		struct bpf_insn reg[] = { LDDW(0, c->a), LDDW(1, c->b), I(c->code | BPF_X, 0, 1, c->off, 0), EXIT };
		uint64_t got = run_ok(reg, N(reg), NULL, 0);
		if (got != c->want)
			fail_msg("case %zu (op 0x%02x off %d, reg): want 0x%" PRIx64 " got 0x%" PRIx64, i,
				 c->code | BPF_X, c->off, c->want, got);
		if (BPF_OP(c->code) == BPF_MOV && c->off)
			continue; /* movsx has no immediate form */
		/* the immediate form, where it means the same: 32-bit ops see only
		 * the low half, 64-bit ops a sign-extended 32-bit value */
		if (BPF_CLASS(c->code) == BPF_ALU64 && (uint64_t)(int64_t)(int32_t)c->b != c->b)
			continue;
		struct bpf_insn imm[] = { LDDW(0, c->a), I(c->code | BPF_K, 0, 0, c->off, (int32_t)c->b), EXIT };
		got = run_ok(imm, N(imm), NULL, 0);
		if (got != c->want)
			fail_msg("case %zu (op 0x%02x off %d, imm): want 0x%" PRIx64 " got 0x%" PRIx64, i,
				 c->code | BPF_K, c->off, c->want, got);
	}
}

static void test_div_by_zero_imm_sign_extends(void **state)
{
	/* ALU64 immediates are sign-extended: 10 / (u64)-1 = 0, 10 % (u64)-1 = 10 */
	struct bpf_insn div[] = { MOV64_IMM(0, 10), ALU64_IMM(BPF_DIV, 0, -1), EXIT };
	struct bpf_insn mod[] = { MOV64_IMM(0, 10), ALU64_IMM(BPF_MOD, 0, -1), EXIT };
	assert_int_equal(run_ok(div, N(div), NULL, 0), 0);
	assert_int_equal(run_ok(mod, N(mod), NULL, 0), 10);
}

static void test_neg_and_byte_swaps(void **state)
{
	static const struct {
		struct bpf_insn op;
		uint64_t a, want;
	} cases[] = {
		{ I(BPF_ALU64 | BPF_NEG, 0, 0, 0, 0), 1, UINT64_MAX },
		{ I(BPF_ALU | BPF_NEG, 0, 0, 0, 0), 0xffffffff00000001ull, 0xffffffffu },
		{ I(BPF_ALU | BPF_NEG, 0, 0, 0, 0), 0x80000000u, 0x80000000u },
		{ I(BPF_ALU | BPF_END | BPF_TO_LE, 0, 0, 0, 16), 0x1122334455667788ull, 0x7788 },
		{ I(BPF_ALU | BPF_END | BPF_TO_LE, 0, 0, 0, 32), 0x1122334455667788ull, 0x55667788 },
		{ I(BPF_ALU | BPF_END | BPF_TO_LE, 0, 0, 0, 64), 0x1122334455667788ull, 0x1122334455667788ull },
		{ I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 16), 0x1122334455667788ull, 0x8877 },
		{ I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 32), 0x1122334455667788ull, 0x88776655 },
		{ I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 64), 0x1122334455667788ull, 0x8877665544332211ull },
		{ I(BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 0, 0, 16), 0x1122334455667788ull, 0x8877 },
		{ I(BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 0, 0, 32), 0x1122334455667788ull, 0x88776655 },
		{ I(BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 0, 0, 64), 0x1122334455667788ull, 0x8877665544332211ull },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct bpf_insn p[] = { LDDW(0, cases[i].a), cases[i].op, EXIT };
		uint64_t got = run_ok(p, N(p), NULL, 0);
		if (got != cases[i].want)
			fail_msg("case %zu: want 0x%" PRIx64 " got 0x%" PRIx64, i, cases[i].want, got);
	}
}

static void test_jumps(void **state)
{
	/* each: r0 = 1 if the jump is taken, 0 if not */
	static const struct {
		uint8_t code;
		uint64_t a, b;
		bool taken;
	} cases[] = {
		{ BPF_JMP | BPF_JSGT, (uint64_t)-1, 0, false },
		{ BPF_JMP | BPF_JGT, (uint64_t)-1, 0, true },
		{ BPF_JMP32 | BPF_JSLT, 0x80000000u, 0, true },
		{ BPF_JMP | BPF_JSLT, 0x80000000u, 0, false },
		{ BPF_JMP32 | BPF_JEQ, 0xffffffff00000005ull, 5, true },
		{ BPF_JMP | BPF_JEQ, 0xffffffff00000005ull, 5, false },
		{ BPF_JMP | BPF_JSET, 0x100000000ull, 0x100000000ull, true },
		{ BPF_JMP32 | BPF_JSET, 0x100000000ull, 0x100000000ull, false },
		{ BPF_JMP | BPF_JSGE, (uint64_t)-5, (uint64_t)-5, true },
		{ BPF_JMP32 | BPF_JSLE, 0x1ffffffffull, 0, true },
		{ BPF_JMP | BPF_JLE, 3, 3, true },
		{ BPF_JMP | BPF_JLT, 3, 3, false },
		{ BPF_JMP32 | BPF_JGE, 0x100000000ull, 1, false },
		{ BPF_JMP | BPF_JNE, 1, 2, true },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct bpf_insn p[] = {
			LDDW(1, cases[i].a), LDDW(2, cases[i].b), MOV64_IMM(0, 1),
			I(cases[i].code | BPF_X, 1, 2, 1, 0), MOV64_IMM(0, 0), EXIT,
		};
		if (run_ok(p, N(p), NULL, 0) != cases[i].taken)
			fail_msg("case %zu (op 0x%02x): want %s", i, cases[i].code, cases[i].taken ? "taken" : "not taken");
	}
	/* gotol: BPF_JMP32 | BPF_JA takes its offset from imm */
	struct bpf_insn gotol[] = { MOV64_IMM(0, 1), I(BPF_JMP32 | BPF_JA, 0, 0, 0, 1), MOV64_IMM(0, 2), EXIT };
	assert_int_equal(run_ok(gotol, N(gotol), NULL, 0), 1);
	/* a counted backward loop */
	struct bpf_insn loop[] = {
		MOV64_IMM(0, 0), MOV64_IMM(1, 1000),
		ALU64_REG(BPF_ADD, 0, 1), ALU64_IMM(BPF_SUB, 1, 1), JMP_IMM(BPF_JNE, 1, 0, -3), EXIT,
	};
	assert_int_equal(run_ok(loop, N(loop), NULL, 0), 500500);
}

/* --- memory ------------------------------------------------------------------ */

static void test_loads_stores(void **state)
{
	uint8_t mem[16] = { 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89 };
	/* unaligned and sign-extending loads from input memory */
	struct bpf_insn ldsx[] = { I(BPF_LDX | BPF_MEMSX | BPF_H, 0, 1, 1, 0), EXIT };
	assert_int_equal(run_ok(ldsx, N(ldsx), mem, sizeof(mem)), 0xffffffffffff8382ull);
	struct bpf_insn ldsb[] = { I(BPF_LDX | BPF_MEMSX | BPF_B, 0, 1, 0, 0), EXIT };
	assert_int_equal(run_ok(ldsb, N(ldsb), mem, sizeof(mem)), 0xffffffffffffff81ull);
	struct bpf_insn ldsw[] = { I(BPF_LDX | BPF_MEMSX | BPF_W, 0, 1, 3, 0), EXIT };
	assert_int_equal(run_ok(ldsw, N(ldsw), mem, sizeof(mem)), 0xffffffff87868584ull);
	struct bpf_insn ldxdw[] = { LDX(BPF_DW, 0, 1, 1), EXIT };
	assert_int_equal(run_ok(ldxdw, N(ldxdw), mem, sizeof(mem)), 0x8988878685848382ull);
	/* stores of each size through the stack, read back as one word */
	struct bpf_insn st[] = {
		ST(BPF_DW, 10, -8, -1), ST(BPF_B, 10, -8, 0x11), ST(BPF_H, 10, -6, 0x2233),
		MOV64_IMM(2, 0x44), STX(BPF_B, 10, 2, -7), ST(BPF_W, 10, -16, 0x55667788),
		LDX(BPF_DW, 0, 10, -8), LDX(BPF_W, 3, 10, -16), ALU64_REG(BPF_XOR, 0, 3), EXIT,
	};
	assert_int_equal(run_ok(st, N(st), NULL, 0), 0xffffffff22334411ull ^ 0x55667788);
	/* the whole 512-byte stack is usable */
	struct bpf_insn deep[] = { ST(BPF_DW, 10, -512, 42), LDX(BPF_DW, 0, 10, -512), EXIT };
	assert_int_equal(run_ok(deep, N(deep), NULL, 0), 42);
	/* lddw */
	struct bpf_insn lddw[] = { LDDW(0, 0x1122334455667788ull), EXIT };
	assert_int_equal(run_ok(lddw, N(lddw), NULL, 0), 0x1122334455667788ull);
}

/* What an atomic op leaves in memory, computed independently. */
static uint64_t atomic_result(int32_t op, uint64_t old, uint64_t src, uint64_t r0)
{
	switch (op & ~BPF_FETCH) {
	case BPF_ADD: return old + src;
	case BPF_OR: return old | src;
	case BPF_AND: return old & src;
	case BPF_XOR: return old ^ src;
	case BPF_XCHG & ~BPF_FETCH: return src;
	case BPF_CMPXCHG & ~BPF_FETCH: return old == r0 ? src : old;
	}
	fail_msg("bad op %d", op);
	return 0;
}

static void test_atomics(void **state)
{
	static const int32_t ops[] = {
		BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH,
		BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG,
	};
	/* r0 equal to the old value or not (cmpxchg); high halves that a 32-bit
	 * op must ignore (src, r0) or preserve (memory) */
	static const struct { uint64_t old, src, r0; } vals[] = {
		{ 0xa5a5a5a5f0f0f0f5ull, 0x123456789abcdef3ull, 0xa5a5a5a5f0f0f0f5ull },
		{ 0xa5a5a5a5f0f0f0f5ull, 0xffffffff00000003ull, 0x00000000f0f0f0f5ull },
		{ 0x80000000ffffffffull, 0x80000000ffffffffull, 0x1ull },
	};
	for (size_t i = 0; i < N(ops); i++) {
		for (size_t v = 0; v < N(vals); v++) {
			for (int wide = 0; wide < 2; wide++) {
				uint64_t old = vals[v].old, src = vals[v].src, r0 = vals[v].r0;
				uint64_t mem[2] = { old, 0x1234 };
				bool cmpxchg = ops[i] == BPF_CMPXCHG;
				struct bpf_insn p[] = {
					LDDW(2, src), LDDW(0, r0), ATOMIC(wide ? BPF_DW : BPF_W, ops[i], 1, 2, 0),
					cmpxchg ? MOV64_IMM(3, 0) : MOV64_REG(0, 2), EXIT,
				};
				uint64_t got = run_ok(p, N(p), mem, sizeof(mem));
				uint64_t want_mem, want_reg;
				if (wide) {
					want_mem = atomic_result(ops[i], old, src, r0);
					want_reg = ops[i] & BPF_FETCH ? old : src;
				} else {
					want_mem = (old & ~0xffffffffull) |
						   (uint32_t)atomic_result(ops[i], (uint32_t)old, (uint32_t)src, (uint32_t)r0);
					want_reg = ops[i] & BPF_FETCH ? (uint32_t)old : src;
				}
				if (mem[0] != want_mem || got != want_reg || mem[1] != 0x1234)
					fail_msg("op 0x%x values %zu (%s): mem 0x%" PRIx64 " (want 0x%" PRIx64
						 "), reg 0x%" PRIx64 " (want 0x%" PRIx64 ")",
						 ops[i], v, wide ? "64" : "32", mem[0], want_mem, got, want_reg);
			}
		}
	}
}

static void test_ld_abs_ind(void **state)
{
	uint8_t pkt[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	struct bpf_insn w[] = { I(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 4), EXIT };
	assert_int_equal(run_ok(w, N(w), pkt, sizeof(pkt)), 0x55667788);
	struct bpf_insn h[] = { I(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 1), EXIT };
	assert_int_equal(run_ok(h, N(h), pkt, sizeof(pkt)), 0x2233);
	struct bpf_insn b[] = { I(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 7), EXIT };
	assert_int_equal(run_ok(b, N(b), pkt, sizeof(pkt)), 0x88);
	struct bpf_insn ind[] = { MOV64_IMM(3, 5), I(BPF_LD | BPF_IND | BPF_H, 0, 3, 0, 1), EXIT };
	assert_int_equal(run_ok(ind, N(ind), pkt, sizeof(pkt)), 0x7788);
	struct bpf_insn indneg[] = { MOV64_IMM(3, 8), I(BPF_LD | BPF_IND | BPF_B, 0, 3, 0, -1), EXIT };
	assert_int_equal(run_ok(indneg, N(indneg), pkt, sizeof(pkt)), 0x88);

	/* out of bounds ends the program with 0, in a callee too */
	static const struct {
		size_t n;
		struct bpf_insn p[6];
	} oob[] = {
		{ 4, { MOV64_IMM(0, 9), I(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 5), MOV64_IMM(0, 9), EXIT } },
		{ 4, { MOV64_IMM(0, 9), I(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 8), MOV64_IMM(0, 9), EXIT } },
		{ 4, { MOV64_IMM(0, 9), I(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, -1), MOV64_IMM(0, 9), EXIT } },
		{ 4, { MOV64_IMM(3, -9), I(BPF_LD | BPF_IND | BPF_H, 0, 3, 0, 8), MOV64_IMM(0, 9), EXIT } },
		{ 5, { LDDW(3, 0x100000000ull), I(BPF_LD | BPF_IND | BPF_H, 0, 3, 0, 0x7fffffff), MOV64_IMM(0, 9), EXIT } },
		{ 5, { MOV64_IMM(0, 9), CALL_LOCAL(1), EXIT, I(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 7), EXIT } },
	};
	for (size_t i = 0; i < N(oob); i++)
		if (run_ok(oob[i].p, oob[i].n, pkt, sizeof(pkt)) != 0)
			fail_msg("out-of-bounds case %zu did not end the program with 0", i);
	/* no input memory at all */
	assert_int_equal(run_ok(b, N(b), NULL, 0), 0);
}

/* --- calls ----------------------------------------------------------------- */

static void test_helper_five_args(void **state)
{
	struct bpf_insn p[] = {
		MOV64_IMM(1, 1), MOV64_IMM(2, 2), MOV64_IMM(3, 3), MOV64_IMM(4, 4), MOV64_IMM(5, 5),
		CALL_HELPER(1), EXIT,
	};
	assert_int_equal(run_ok(p, N(p), NULL, 0), 54321);
	/* callx: the register holds the helper id */
	struct bpf_insn x[] = { MOV64_IMM(1, 77), MOV64_IMM(7, 5), CALLX(7), EXIT };
	assert_int_equal(run_ok(x, N(x), NULL, 0), 77);
}

static void test_local_calls(void **state)
{
	/* the callee gets r1-r5 and its own frame (r10 512 bytes lower), may write
	 * the caller's frame through a pointer; r6-r9 and r10 come back intact */
	struct bpf_insn p[] = {
		MOV64_IMM(6, 6), MOV64_IMM(7, 7), MOV64_IMM(8, 8), MOV64_IMM(9, 9),
		ST(BPF_DW, 10, -8, 100),
		STX(BPF_DW, 10, 10, -16),
		MOV64_REG(1, 10), ALU64_IMM(BPF_ADD, 1, -8),
		CALL_LOCAL(10),
		LDX(BPF_DW, 2, 10, -8), ALU64_REG(BPF_ADD, 0, 2), /* + 1000 written by the callee */
		ALU64_REG(BPF_ADD, 0, 6), ALU64_REG(BPF_ADD, 0, 7), ALU64_REG(BPF_ADD, 0, 8), ALU64_REG(BPF_ADD, 0, 9),
		LDX(BPF_DW, 3, 10, -16), ALU64_REG(BPF_SUB, 3, 10), ALU64_REG(BPF_ADD, 0, 3), /* + 0: r10 restored */
		EXIT,
		/* callee, insn 19 */
		MOV64_IMM(6, 0), MOV64_IMM(7, 0), MOV64_IMM(8, 0), MOV64_IMM(9, 0),
		ST(BPF_DW, 10, -8, 1), /* its own slot, not the caller's */
		ST(BPF_DW, 1, 0, 1000),
		MOV64_REG(0, 1), ALU64_REG(BPF_SUB, 0, 10), /* (caller r10 - 8) - callee r10 = 504 */
		EXIT,
	};
	assert_int_equal(run_ok(p, N(p), NULL, 0), 504 + 1000 + 6 + 7 + 8 + 9);
}

/* main calls f(k); f(k) calls f(k-1) until 0: k + 2 frames in all */
static size_t recursion(struct bpf_insn *p, int k)
{
	struct bpf_insn prog[] = {
		MOV64_IMM(1, k), CALL_LOCAL(2), MOV64_IMM(0, 1), EXIT,
		JMP_IMM(BPF_JEQ, 1, 0, 2), ALU64_IMM(BPF_SUB, 1, 1), CALL_LOCAL(-3), EXIT,
	};
	memcpy(p, prog, sizeof(prog));
	return N(prog);
}

static void test_call_depth(void **state)
{
	struct bpf_insn p[8];
	size_t n = recursion(p, UEBPF_MAX_CALL_DEPTH - 2);
	assert_int_equal(run_ok(p, n, NULL, 0), 1);
	n = recursion(p, UEBPF_MAX_CALL_DEPTH - 1);
	run_fault(p, n, &(struct run_opts){ 0 }, NULL, 0, -EOVERFLOW, "insn 6: call depth exceeds 8");
}

/* --- operand forwarding --------------------------------------------------------
 * Unchecked runs take an operand from the previous instruction's result where
 * the decoder can prove it is that register's value; these programs probe the
 * places where that proof must fail or hold. run_ok also runs them checked,
 * where no forwarding happens. */

static void test_forwarding(void **state)
{
	uint8_t pkt[4] = { 0x12, 0x34, 0x56, 0x78 };
	static const struct {
		const char *what;
		size_t n;
		struct bpf_insn p[10];
		uint64_t want;
	} cases[] = {
		{ "jump target after a different write", 6,
		  { MOV64_IMM(0, 1), MOV64_IMM(1, 5), JMP_IMM(BPF_JEQ, 1, 5, 1), MOV64_IMM(0, 100),
		    ALU64_REG(BPF_ADD, 0, 0), EXIT }, 2 },
		{ "conditional fall-through keeps the value", 5,
		  { MOV64_IMM(3, 7), JMP_IMM(BPF_JEQ, 3, 0, 1), ALU64_REG(BPF_ADD, 3, 3), MOV64_REG(0, 3), EXIT }, 14 },
		{ "fetching atomic rewrites src", 6,
		  { ST(BPF_DW, 10, -8, 40), MOV64_IMM(2, 1), ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 10, 2, -8),
		    ALU64_REG(BPF_ADD, 2, 2), MOV64_REG(0, 2), EXIT }, 80 },
		{ "cmpxchg rewrites r0", 5,
		  { ST(BPF_DW, 10, -8, 40), MOV64_IMM(0, 3), ATOMIC(BPF_DW, BPF_CMPXCHG, 10, 0, -8),
		    ALU64_REG(BPF_ADD, 0, 0), EXIT }, 80 },
		{ "stores pass the value on", 6,
		  { MOV64_IMM(3, 9), STX(BPF_DW, 10, 3, -8), ST(BPF_W, 10, -16, 1), ALU64_IMM(BPF_ADD, 3, 1),
		    MOV64_REG(0, 3), EXIT }, 10 },
		{ "store of a register through itself", 6,
		  { MOV64_REG(3, 10), ALU64_IMM(BPF_ADD, 3, -8), STX(BPF_DW, 3, 3, 0), LDX(BPF_DW, 0, 10, -8),
		    ALU64_REG(BPF_SUB, 0, 10), EXIT }, (uint64_t)-8 },
		{ "lddw, then 32-bit op", 5,
		  { LDDW(3, 0x100000005ull), I(BPF_ALU | BPF_ADD | BPF_K, 3, 0, 0, 1), MOV64_REG(0, 3), EXIT }, 6 },
		{ "packet load sets r0", 3,
		  { I(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 1), ALU64_REG(BPF_ADD, 0, 0), EXIT }, 0x68ac },
		{ "helper result", 8,
		  { MOV64_IMM(1, 1), MOV64_IMM(2, 0), MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, 0),
		    MOV64_IMM(0, 1000), CALL_HELPER(1), ALU64_REG(BPF_ADD, 0, 0) }, 2 },
		{ "return from a call", 7,
		  { MOV64_IMM(0, 7), CALL_LOCAL(2), ALU64_REG(BPF_ADD, 0, 0), EXIT, MOV64_IMM(0, 21), MOV64_IMM(1, 1),
		    EXIT }, 42 },
		{ "compare a register with itself, 32-bit view", 6,
		  { LDDW(4, 0x700000000ull), MOV64_IMM(0, 1), I(BPF_JMP32 | BPF_JNE | BPF_X, 4, 4, 1, 0),
		    MOV64_IMM(0, 2), EXIT }, 2 },
		{ "load through the value just computed", 5,
		  { MOV64_REG(2, 1), ALU64_IMM(BPF_ADD, 2, 2), LDX(BPF_H, 0, 2, 0), I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 16),
		    EXIT }, 0x5678 },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct bpf_insn p[11];
		size_t n = cases[i].n;
		memcpy(p, cases[i].p, n * sizeof(p[0]));
		if (BPF_CLASS(p[n - 1].code) != BPF_JMP || BPF_OP(p[n - 1].code) != BPF_EXIT)
			p[n++] = EXIT;
		uint64_t got = run_ok(p, n, pkt, sizeof(pkt));
		if (got != cases[i].want)
			fail_msg("%s: want 0x%" PRIx64 " got 0x%" PRIx64, cases[i].what, cases[i].want, got);
	}
}

/* Random valid programs: checked (plain handlers) and unchecked (forwarding
 * variants) runs must leave the same r0 and memory. */
static void test_modes_agree(void **state)
{
	enum { CAP = 1024, MEM = 64, PROGRAMS = 1500 };
	static struct bpf_insn prog[CAP];
	struct uebpf_helper_table *t = uebpf_helper_table_new();
	assert_non_null(t);
	assert_int_equal(gen_register_helpers(t), 0);
	for (uint64_t seed = 1; seed <= PROGRAMS; seed++) {
		struct gen_rng rng = { seed };
		struct gen_opts go = { .body_insns = 8 + gen_rand(&rng) % 200, .mem_len = MEM, .calls = seed & 1,
				       .atomics = seed & 2, .helpers = seed & 4, .kernel_compatible = true };
		uint8_t input[MEM], mem[2][MEM];
		uint64_t r0[2];
		for (size_t i = 0; i < MEM; i++)
			input[i] = (uint8_t)gen_rand(&rng);
		size_t n = gen_program(&rng, &go, prog, CAP);
		assert_true(n > 0);
		for (int m = 0; m < 2; m++) {
			struct uebpf_prog_opts o = { .sz = sizeof(o), .flags = modes[m], .helpers = t };
			struct uebpf_prog *p;
			char log[256];
			if (uebpf_prog_load(prog, n, &o, &p, log, sizeof(log)))
				fail_msg("seed %" PRIu64 ": load: %s", seed, log);
			memcpy(mem[m], input, MEM);
			if (uebpf_prog_run(p, mem[m], MEM, &r0[m], log, sizeof(log)))
				fail_msg("seed %" PRIu64 " mode %u: %s", seed, modes[m], log);
			uebpf_prog_free(p);
		}
		if (r0[0] != r0[1] || memcmp(mem[0], mem[1], MEM)) {
			uebpf_disasm(prog, n, UEBPF_ASM_STYLE_UEBPF, stdout);
			fail_msg("seed %" PRIu64 ": checked r0 0x%" PRIx64 ", unchecked 0x%" PRIx64 "%s", seed, r0[0],
				 r0[1], memcmp(mem[0], mem[1], MEM) ? ", memory differs" : "");
		}
	}
	uebpf_helper_table_free(t);
}

/* --- checked-mode faults ----------------------------------------------------- */

static void test_fault_input_memory(void **state)
{
	uint8_t mem[8] = { 0 };
	char want[128];
	struct run_opts ro = { 0 };

	struct bpf_insn load[] = { MOV64_IMM(0, 0), LDX(BPF_W, 0, 1, 5), EXIT };
	snprintf(want, sizeof(want), "insn 1: out-of-bounds load of 4 bytes at 0x%" PRIxPTR, (uintptr_t)mem + 5);
	run_fault(load, N(load), &ro, mem, sizeof(mem), -EFAULT, want);

	struct bpf_insn store[] = { ST(BPF_B, 1, -1, 1), EXIT };
	snprintf(want, sizeof(want), "insn 0: out-of-bounds store of 1 bytes at 0x%" PRIxPTR, (uintptr_t)mem - 1);
	run_fault(store, N(store), &ro, mem, sizeof(mem), -EFAULT, want);

	struct bpf_insn stx[] = { STX(BPF_DW, 1, 1, 8), EXIT };
	run_fault(stx, N(stx), &ro, mem, sizeof(mem), -EFAULT, "insn 0: out-of-bounds store of 8 bytes");

	/* the last byte is fine, one past is not; no memory at all */
	struct bpf_insn last[] = { LDX(BPF_B, 0, 1, 7), EXIT };
	assert_int_equal(run_ok(last, N(last), mem, sizeof(mem)), 0);
	run_fault(last, N(last), &ro, NULL, 0, -EFAULT, "insn 0: out-of-bounds load of 1 bytes at 0x7");

	/* a wild pointer and an address that wraps around */
	struct bpf_insn wild[] = { LDDW(2, 0xdead0000ull), LDX(BPF_DW, 0, 2, 0), EXIT };
	run_fault(wild, N(wild), &ro, mem, sizeof(mem), -EFAULT,
		  "insn 2: out-of-bounds load of 8 bytes at 0xdead0000");
	struct bpf_insn wrap[] = { LDDW(2, UINT64_MAX - 2), LDX(BPF_DW, 0, 2, 0), EXIT };
	run_fault(wrap, N(wrap), &ro, mem, sizeof(mem), -EFAULT, "insn 2: out-of-bounds load of 8 bytes");
}

static void test_fault_stack(void **state)
{
	struct run_opts ro = { 0 };
	struct bpf_insn above[] = { ST(BPF_W, 10, 0, 1), EXIT };
	run_fault(above, N(above), &ro, NULL, 0, -EFAULT, "insn 0: out-of-bounds store of 4 bytes at 0x");
	struct bpf_insn below[] = { LDX(BPF_DW, 0, 10, -520), EXIT };
	run_fault(below, N(below), &ro, NULL, 0, -EFAULT, "insn 0: out-of-bounds load of 8 bytes");
	struct bpf_insn straddle[] = { LDX(BPF_DW, 0, 10, -4), EXIT };
	run_fault(straddle, N(straddle), &ro, NULL, 0, -EFAULT, "insn 0: out-of-bounds load of 8 bytes");
	/* after a callee returns, its frame is gone */
	struct bpf_insn stale[] = {
		CALL_LOCAL(3), ALU64_IMM(BPF_ADD, 0, -8), LDX(BPF_DW, 0, 0, 0), EXIT,
		MOV64_REG(0, 10), EXIT,
	};
	run_fault(stale, N(stale), &ro, NULL, 0, -EFAULT, "insn 2: out-of-bounds load of 8 bytes");
	/* unwritten stack reads as zero in checked mode */
	struct bpf_insn fresh[] = { LDX(BPF_DW, 0, 10, -256), EXIT };
	uint64_t ret;
	char log[128];
	assert_int_equal(run_with(fresh, N(fresh), &ro, NULL, 0, &ret, log, sizeof(log)), 0);
	assert_int_equal(ret, 0);
}

static void test_fault_regions(void **state)
{
	uint64_t region[4] = { 11, 22, 33, 44 };
	char want[128];
	uint64_t ret;
	char log[128];
	struct bpf_insn load[] = { LDDW(2, (uintptr_t)region), LDX(BPF_DW, 0, 2, 24), EXIT };
	struct bpf_insn store[] = { LDDW(2, (uintptr_t)region), ST(BPF_DW, 2, 8, 5), LDX(BPF_DW, 0, 2, 8), EXIT };
	struct bpf_insn atomic[] = { LDDW(2, (uintptr_t)region), MOV64_IMM(3, 1), ATOMIC(BPF_DW, BPF_ADD, 2, 3, 0), EXIT };
	struct bpf_insn past[] = { LDDW(2, (uintptr_t)region), LDX(BPF_W, 0, 2, 30), EXIT };

	/* read-only region: loads pass, stores and atomics fault */
	struct run_opts ro = { .region = region, .region_len = sizeof(region) };
	assert_int_equal(run_with(load, N(load), &ro, NULL, 0, &ret, log, sizeof(log)), 0);
	assert_int_equal(ret, 44);
	snprintf(want, sizeof(want), "insn 2: read-only-memory store of 8 bytes at 0x%" PRIxPTR,
		 (uintptr_t)&region[1]);
	run_fault(store, N(store), &ro, NULL, 0, -EFAULT, want);
	run_fault(atomic, N(atomic), &ro, NULL, 0, -EFAULT, "insn 3: read-only-memory atomic of 8 bytes");
	run_fault(past, N(past), &ro, NULL, 0, -EFAULT, "insn 2: out-of-bounds load of 4 bytes");
	assert_int_equal(region[1], 22);

	/* writable region */
	ro.region_writable = true;
	assert_int_equal(run_with(store, N(store), &ro, NULL, 0, &ret, log, sizeof(log)), 0);
	assert_int_equal(ret, 5);
	assert_int_equal(run_with(atomic, N(atomic), &ro, NULL, 0, &ret, log, sizeof(log)), 0);
	assert_int_equal(region[0], 12);

	/* no region registered: the same load is out of bounds */
	run_fault(load, N(load), &(struct run_opts){ 0 }, NULL, 0, -EFAULT, "insn 2: out-of-bounds load of 8 bytes");
}

static void test_fault_atomics(void **state)
{
	uint64_t mem[2] = { 0 };
	struct run_opts ro = { 0 };
	struct bpf_insn misaligned[] = { MOV64_IMM(2, 1), ATOMIC(BPF_W, BPF_ADD, 1, 2, 2), EXIT };
	run_fault(misaligned, N(misaligned), &ro, mem, sizeof(mem), -EFAULT, "insn 1: misaligned atomic of 4 bytes");
	struct bpf_insn oob[] = { MOV64_IMM(2, 1), ATOMIC(BPF_DW, BPF_XCHG, 1, 2, 16), EXIT };
	run_fault(oob, N(oob), &ro, mem, sizeof(mem), -EFAULT, "insn 1: out-of-bounds atomic of 8 bytes");
	/* on the stack it works */
	struct bpf_insn stack[] = {
		ST(BPF_DW, 10, -8, 40), MOV64_IMM(2, 2), ATOMIC(BPF_DW, BPF_ADD, 10, 2, -8), LDX(BPF_DW, 0, 10, -8), EXIT,
	};
	assert_int_equal(run_ok(stack, N(stack), NULL, 0), 42);
}

static void test_fault_budget(void **state)
{
	uint64_t ret;
	char log[128];

	struct bpf_insn spin[] = { MOV64_IMM(0, 0), ALU64_IMM(BPF_ADD, 0, 1), I(BPF_JMP | BPF_JA, 0, 0, -2, 0), EXIT };
	run_fault(spin, N(spin), &(struct run_opts){ .budget = 1000 }, NULL, 0, -ELOOP,
		  "insn 2: instruction budget of 1000 exhausted");
	/* 1 + 10 * 2 + 2 instructions run: the budget is exact */
	struct bpf_insn loop[] = {
		MOV64_IMM(1, 10), ALU64_IMM(BPF_SUB, 1, 1), JMP_IMM(BPF_JNE, 1, 0, -2), MOV64_REG(0, 1), EXIT,
	};
	assert_int_equal(run_with(loop, N(loop), &(struct run_opts){ .budget = 23 }, NULL, 0, &ret, log, sizeof(log)),
			 0);
	run_fault(loop, N(loop), &(struct run_opts){ .budget = 22 }, NULL, 0, -ELOOP,
		  "insn 4: instruction budget of 22 exhausted");
	struct bpf_insn three[] = { MOV64_IMM(0, 3), MOV64_IMM(0, 4), EXIT };
	assert_int_equal(run_with(three, N(three), &(struct run_opts){ .budget = 3 }, NULL, 0, &ret, log, sizeof(log)),
			 0);
	assert_int_equal(ret, 4);
	run_fault(three, N(three), &(struct run_opts){ .budget = 2 }, NULL, 0, -ELOOP,
		  "insn 2: instruction budget of 2 exhausted");
	/* through calls and returns: main 4, f(3), f(2), f(1) 4 each, f(0) 2 */
	struct bpf_insn p[8];
	size_t n = recursion(p, 3);
	assert_int_equal(run_with(p, n, &(struct run_opts){ .budget = 18 }, NULL, 0, &ret, log, sizeof(log)), 0);
	run_fault(p, n, &(struct run_opts){ .budget = 17 }, NULL, 0, -ELOOP, "insn 3: instruction budget of 17");
}

static void test_fault_helper(void **state)
{
	struct run_opts ro = { 0 };
	struct bpf_insn unset[] = { MOV64_IMM(2, 7), CALLX(2), EXIT };
	run_fault(unset, N(unset), &ro, NULL, 0, -ENOSYS, "insn 1: call to unknown helper 7 through r2");
	struct bpf_insn huge[] = { MOV64_IMM(4, -1), CALLX(4), EXIT };
	run_fault(huge, N(huge), &ro, NULL, 0, -ENOSYS, "insn 1: call to unknown helper 18446744073709551615");
	/* a direct call to an unknown helper is refused at load */
	struct bpf_insn direct[] = { CALL_HELPER(9), EXIT };
	struct uebpf_prog *prog;
	char log[128];
	struct uebpf_prog_opts o = { .sz = sizeof(o) };
	assert_int_equal(uebpf_prog_load(direct, N(direct), &o, &prog, log, sizeof(log)), -EINVAL);
}

/* A load whose value the next instruction stores is one step in the fast
 * interpreter: every size, a store through another base register, and a
 * store that a jump lands on (not fused, still right). Both modes. */
static void test_load_store_pairs(void **state)
{
	const struct bpf_insn prog[] = {
		MOV64_REG(2, 1),
		LDX(BPF_B, 3, 1, 0), STX(BPF_B, 1, 3, 24),
		LDX(BPF_H, 4, 1, 2), STX(BPF_H, 2, 4, 26),
		LDX(BPF_W, 5, 1, 4), STX(BPF_W, 1, 5, 28),
		LDX(BPF_DW, 0, 2, 8), STX(BPF_DW, 1, 0, 32),
		LDX(BPF_DW, 6, 1, 16),
		JMP_IMM(BPF_JEQ, 6, 0, 0), /* falls into the store: a jump target */
		STX(BPF_DW, 1, 6, 40),
		LDX(BPF_DW, 0, 1, 24),
		EXIT,
	};
	for (size_t m = 0; m < N(modes); m++) {
		uint8_t mem[48];
		for (int k = 0; k < 24; k++)
			mem[k] = (uint8_t)(0x11 * (k + 1));
		memset(mem + 24, 0, 24);
		uint8_t want[48];
		memcpy(want, mem, sizeof(want));
		want[24] = mem[0];
		memcpy(want + 26, mem + 2, 2);
		memcpy(want + 28, mem + 4, 4);
		memcpy(want + 32, mem + 8, 8);
		memcpy(want + 40, mem + 16, 8);
		uint64_t r0, w0;
		char log[128];
		struct run_opts ro = { .flags = modes[m] };
		assert_int_equal(run_with(prog, N(prog), &ro, mem, sizeof(mem), &r0, log, sizeof(log)), 0);
		assert_memory_equal(mem, want, sizeof(mem));
		memcpy(&w0, want + 24, 8);
		assert_int_equal(r0, w0);
	}
}

/* A copy changed by a constant ("rD = rS; rD op= K") and a copy spilled
 * ("rD = rS; *(u64 *)(rB + o) = rD") are one step each in the fast
 * interpreter: every ALU op, and a pair the second half of which is a jump
 * target (not fused). Both modes agree with C. */
static void test_copy_pairs(void **state)
{
	static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_OR, BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH, BPF_ARSH };
	static const int32_t ks[] = { 5, 7, -3, 0x100, 0xff, -1, 3, 9, 4 };
	struct bpf_insn prog[64];
	size_t n = 0;
	prog[n++] = LDX(BPF_DW, 2, 1, 0);
	for (size_t k = 0; k < N(ops); k++) {
		prog[n++] = MOV64_REG(3, 2);
		prog[n++] = I(BPF_ALU64 | ops[k] | BPF_K, 3, 0, 0, ks[k]);
		prog[n++] = STX(BPF_DW, 1, 3, (int16_t)(8 * (k + 1)));
	}
	prog[n++] = MOV64_REG(4, 2);
	prog[n++] = STX(BPF_DW, 1, 4, 80);
	/* the add is a jump target: not fused */
	prog[n++] = MOV64_REG(5, 2);
	prog[n++] = JMP_IMM(BPF_JEQ, 5, 0, 0);
	prog[n++] = I(BPF_ALU64 | BPF_ADD | BPF_K, 5, 0, 0, 1);
	prog[n++] = STX(BPF_DW, 1, 5, 88);
	prog[n++] = MOV64_IMM(0, 0);
	prog[n++] = EXIT;
	int64_t v = -0x123456789abcdefll;
	uint64_t u = (uint64_t)v, want[12] = { u, u + 5, u - 7, u * (uint64_t)(int64_t)-3, u | 0x100, u & 0xff, ~u, u << 3,
					       u >> 9, (uint64_t)(v >> 4), u, u + 1 };
	for (size_t m = 0; m < N(modes); m++) {
		uint64_t mem[12] = { u };
		uint64_t r0;
		char log[128];
		struct run_opts ro = { .flags = modes[m] };
		assert_int_equal(run_with(prog, n, &ro, mem, sizeof(mem), &r0, log, sizeof(log)), 0);
		assert_memory_equal(mem, want, sizeof(want));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alu_edges),
		cmocka_unit_test(test_load_store_pairs),
		cmocka_unit_test(test_copy_pairs),
		cmocka_unit_test(test_div_by_zero_imm_sign_extends),
		cmocka_unit_test(test_neg_and_byte_swaps),
		cmocka_unit_test(test_jumps),
		cmocka_unit_test(test_loads_stores),
		cmocka_unit_test(test_atomics),
		cmocka_unit_test(test_ld_abs_ind),
		cmocka_unit_test(test_helper_five_args),
		cmocka_unit_test(test_local_calls),
		cmocka_unit_test(test_call_depth),
		cmocka_unit_test(test_forwarding),
		cmocka_unit_test(test_modes_agree),
		cmocka_unit_test(test_fault_input_memory),
		cmocka_unit_test(test_fault_stack),
		cmocka_unit_test(test_fault_regions),
		cmocka_unit_test(test_fault_atomics),
		cmocka_unit_test(test_fault_budget),
		cmocka_unit_test(test_fault_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
