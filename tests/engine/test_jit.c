/* x86-64 JIT unit tests: arithmetic edge cases against a C model of the ISA,
 * division by every kind of constant, shifts by large counts, rel8/rel32
 * jump boundaries, large programs, deep call chains, legacy packet loads,
 * callx, atomics in awkward registers, hardening, W^X and refusals. Each
 * JIT run is also compared with the interpreter, and the code paths for CPUs
 * without BMI2 are run too. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <capstone/capstone.h>

#include <uebpf/uebpf.h>

#include "engine/jit.h"
#include "engine/prog.h"

#define I(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })
#define LDDW(DST, V) \
	I(BPF_LD | BPF_IMM | BPF_DW, DST, 0, 0, (int32_t)(uint32_t)(V)), I(0, 0, 0, 0, (int32_t)((uint64_t)(V) >> 32))
#define MOV64_IMM(DST, IMM) I(BPF_ALU64 | BPF_MOV | BPF_K, DST, 0, 0, IMM)
#define MOV64_REG(DST, SRC) I(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, 0, 0)
#define ALU64_IMM(OP, DST, IMM) I(BPF_ALU64 | (OP) | BPF_K, DST, 0, 0, IMM)
#define LDX(SIZE, DST, SRC, OFF) I(BPF_LDX | BPF_MEM | (SIZE), DST, SRC, OFF, 0)
#define STX(SIZE, DST, SRC, OFF) I(BPF_STX | BPF_MEM | (SIZE), DST, SRC, OFF, 0)
#define JMP_IMM(OP, DST, IMM, OFF) I(BPF_JMP | (OP) | BPF_K, DST, 0, OFF, IMM)
#define CALL_LOCAL(REL) I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, REL)
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define N(a) (sizeof(a) / sizeof((a)[0]))

#define MEM_LEN 64

static struct uebpf_helper_table *helpers;

static uint64_t helper_weighted(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + 10 * b + 100 * c + 1000 * d + 10000 * e;
}

/* The feature sets to test: this CPU's, and none (if it differs). */
static unsigned feature_sets[2];
static size_t n_feature_sets;

static int setup(void **state)
{
	helpers = uebpf_helper_table_new();
	if (!helpers || uebpf_helper_table_set(helpers, 1, "weighted", helper_weighted))
		return -1;
	feature_sets[0] = uebpf_jit_x86_64_cpu_features();
	n_feature_sets = 1;
	if (feature_sets[0])
		feature_sets[n_feature_sets++] = 0;
	return 0;
}

static int teardown(void **state)
{
	uebpf_helper_table_free(helpers);
	return 0;
}

/* Load a program and compile it for the JIT with the given features. */
static struct uebpf_prog *jit_load(const struct bpf_insn *insns, size_t n, unsigned features, uint32_t flags)
{
	struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = UEBPF_ENGINE_INTERP,
				     .flags = UEBPF_F_VERIFIED | flags, .helpers = helpers };
	struct uebpf_prog *p;
	char log[256] = "";
	if (uebpf_prog_load(insns, n, &o, &p, log, sizeof(log)))
		fail_msg("load failed: %s", log);
	if (uebpf_jit_x86_64_compile_features(p, features, log, sizeof(log)))
		fail_msg("JIT failed: %s", log);
	return p;
}

/* Run on the interpreter and the JIT'd prog from the same input memory:
 * r0 and the memory must agree. Returns r0; mem holds the JIT's memory. */
static uint64_t run_both(struct uebpf_prog *jit, uint8_t *mem, size_t len)
{
	uint8_t copy[MEM_LEN];
	uint64_t r_interp;
	char log[256] = "";
	assert_true(len <= MEM_LEN);
	memcpy(copy, mem, len);
	if (uebpf_interp_run(jit, copy, len, &r_interp, log, sizeof(log)))
		fail_msg("interpreter failed: %s", log);
	uint64_t r = jit->jit_fn(mem, len);
	if (r != r_interp)
		fail_msg("JIT r0 0x%" PRIx64 ", interpreter 0x%" PRIx64, r, r_interp);
	assert_memory_equal(mem, copy, len);
	return r;
}

/* ---- division ------------------------------------------------------------- */

/* The ISA's division, from RFC 9669, written independently of the engines. */
static uint64_t model_div(bool w, bool sgn, bool mod, uint64_t x, uint64_t y)
{
	if (!w) {
		x = (uint32_t)x;
		y = (uint32_t)y;
	}
	if (!y)
		return mod ? x : 0;
	if (!sgn)
		return mod ? x % y : x / y;
	if (w) {
		int64_t a = (int64_t)x, b = (int64_t)y;
		if (b == -1)
			return mod ? 0 : -x;
		return (uint64_t)(mod ? a % b : a / b);
	}
	int32_t a = (int32_t)x, b = (int32_t)y;
	if (b == -1)
		return mod ? 0 : (uint32_t)-(uint32_t)x;
	return (uint32_t)(mod ? a % b : a / b);
}

static const uint64_t dividends[] = {
	0, 1, 2, 3, 7, 10, 99, 100, 101, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
	0x100000000ull, 0x123456789abcdefull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	0x8000000000000001ull, 0xfffffffffffffffeull, 0xffffffffffffffffull, 0xffffffff80000000ull,
	(uint64_t)-7, (uint64_t)-100, (uint64_t)-101, 0xdeadbeefcafef00dull, 0x00000000fffffff9ull,
};

/* r0 and r3 are rax and rdx, which x86 division uses: their values must
 * survive a division into another register. */
#define SENTINEL0 0x1111111111111111ull
#define SENTINEL3 0x3333333333333333ull

static void check_div_prog(const struct bpf_insn *prog, size_t n, bool w, bool sgn, bool mod, int dst, int src,
			   const uint64_t *divisors, size_t n_div)
{
	for (size_t f = 0; f < n_feature_sets; f++) {
		struct uebpf_prog *p = jit_load(prog, n, feature_sets[f], 0);
		for (size_t a = 0; a < N(dividends); a++) {
			for (size_t b = 0; b < n_div; b++) {
				uint8_t mem[MEM_LEN] = { 0 };
				uint64_t x = dividends[a], y = divisors[b];
				memcpy(mem, &x, 8);
				memcpy(mem + 8, &y, 8);
				uint64_t r = run_both(p, mem, MEM_LEN), r0, r3;
				uint64_t want = src == dst ? model_div(w, sgn, mod, x, x) : model_div(w, sgn, mod, x, y);
				memcpy(&r0, mem + 16, 8);
				memcpy(&r3, mem + 24, 8);
				if (r != want)
					fail_msg("%s%s%d r%d, r%d: 0x%" PRIx64 " by 0x%" PRIx64 " gave 0x%" PRIx64
						 " instead of 0x%" PRIx64 " (features %u)",
						 sgn ? "s" : "", mod ? "mod" : "div", w ? 64 : 32, dst, src, x, y, r,
						 want, feature_sets[f]);
				if (dst != 0 && src != 0)
					assert_int_equal(r0, SENTINEL0);
				if (dst != 3 && src != 3)
					assert_int_equal(r3, SENTINEL3);
			}
		}
		uebpf_prog_free(p);
	}
}

/* dst = x; src = y; dst op= src; save r0 and r3; return dst */
static void test_div_by_register(void **state)
{
	static const int pairs[][2] = { { 0, 1 }, { 1, 0 }, { 3, 2 }, { 2, 3 }, { 0, 3 }, { 3, 0 },
					{ 4, 5 }, { 5, 4 }, { 6, 7 }, { 8, 7 }, { 2, 2 }, { 0, 0 }, { 3, 3 } };
	static const uint64_t divisors[] = { 0, 1, 2, 3, 7, 0xffffffff, 0x80000000, (uint64_t)-1, (uint64_t)-2,
					     0x8000000000000000ull, 0x100000000ull, 0x7fffffffffffffffull };
	for (size_t k = 0; k < N(pairs); k++) {
		int dst = pairs[k][0], src = pairs[k][1];
		for (int c = 0; c < 8; c++) {
			bool w = c & 1, sgn = c & 2, mod = c & 4;
			uint8_t cls = w ? BPF_ALU64 : BPF_ALU;
			struct bpf_insn prog[] = {
				MOV64_REG(9, 1),
				LDDW(0, SENTINEL0),
				LDDW(3, SENTINEL3),
				LDX(BPF_DW, dst, 9, 0),
				LDX(BPF_DW, src == dst ? 8 : src, 9, 8),
				I(cls | (mod ? BPF_MOD : BPF_DIV) | BPF_X, dst, src, sgn, 0),
				STX(BPF_DW, 9, 0, 16),
				STX(BPF_DW, 9, 3, 24),
				MOV64_REG(0, dst),
				EXIT,
			};
			check_div_prog(prog, N(prog), w, sgn, mod, dst, src, divisors, N(divisors));
		}
	}
}

static void test_div_by_constant(void **state)
{
	static const int32_t fixed[] = {
		0, 1, -1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16, 25, 60, 100, 125, 255, 641, 1000, 1024, 3600,
		65535, 65536, 65537, 1000000, 0x3fffffff, 0x40000000, 0x55555555, 0x7ffffffe, 0x7fffffff, -2,
		-3, -4, -5, -7, -10, -16, -1000, -0x55555555, -0x40000000, -0x7fffffff, INT32_MIN,
	};
	int32_t divisors[N(fixed) + 40];
	uint64_t state_ = 42;
	size_t nd = 0;
	for (size_t k = 0; k < N(fixed); k++)
		divisors[nd++] = fixed[k];
	while (nd < N(divisors)) {
		state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
		divisors[nd++] = (int32_t)(state_ >> 33) >> (state_ & 31);
	}
	static const int dsts[] = { 0, 3, 6 };
	for (size_t d = 0; d < nd; d++) {
		for (size_t r = 0; r < N(dsts); r++) {
			for (int c = 0; c < 8; c++) {
				bool w = c & 1, sgn = c & 2, mod = c & 4;
				int dst = dsts[r];
				uint8_t cls = w ? BPF_ALU64 : BPF_ALU;
				uint64_t y = w ? (uint64_t)(int64_t)divisors[d] : (uint32_t)divisors[d];
				struct bpf_insn prog[] = {
					MOV64_REG(9, 1),
					LDDW(0, SENTINEL0),
					LDDW(3, SENTINEL3),
					LDX(BPF_DW, dst, 9, 0),
					I(cls | (mod ? BPF_MOD : BPF_DIV) | BPF_K, dst, 0, sgn, divisors[d]),
					STX(BPF_DW, 9, 0, 16),
					STX(BPF_DW, 9, 3, 24),
					MOV64_REG(0, dst),
					EXIT,
				};
				check_div_prog(prog, N(prog), w, sgn, mod, dst, -1, &y, 1);
			}
		}
	}
}

/* A divisor known nonzero needs no check, but only until a jump lands:
 * here r2 is 0 again on the path that reaches the division by falling. */
static void test_nonzero_divisor_tracking(void **state)
{
	for (int taken = 0; taken < 2; taken++) {
		struct bpf_insn prog[] = {
			LDX(BPF_DW, 2, 1, 0),
			LDX(BPF_DW, 3, 1, 8),
			MOV64_IMM(0, 1000),
			I(BPF_ALU64 | BPF_OR | BPF_K, 2, 0, 0, 4),
			JMP_IMM(BPF_JEQ, 3, 0, 1),
			MOV64_IMM(2, 0),
			I(BPF_ALU64 | BPF_DIV | BPF_X, 0, 2, 0, 0),
			EXIT,
		};
		for (size_t f = 0; f < n_feature_sets; f++) {
			struct uebpf_prog *p = jit_load(prog, N(prog), feature_sets[f], 0);
			uint8_t mem[MEM_LEN] = { 0 };
			uint64_t three = 3, cond = !taken;
			memcpy(mem, &three, 8);
			memcpy(mem + 8, &cond, 8);
			assert_int_equal(run_both(p, mem, MEM_LEN), taken ? 1000 / 7 : 0);
			uebpf_prog_free(p);
		}
	}
}

/* ---- shifts ----------------------------------------------------------------- */

static uint64_t model_shift(uint8_t op, bool w, uint64_t x, uint64_t count)
{
	count &= w ? 63 : 31;
	if (!w) {
		uint32_t a = (uint32_t)x;
		return op == BPF_LSH ? (uint32_t)(a << count)
		       : op == BPF_RSH ? a >> count
				       : (uint32_t)((int32_t)a >> count);
	}
	return op == BPF_LSH ? x << count : op == BPF_RSH ? x >> count : (uint64_t)((int64_t)x >> count);
}

static void test_shift_by_register(void **state)
{
	/* r4 is rcx, which x86 shifts count in */
	static const int pairs[][2] = { { 0, 1 }, { 4, 1 }, { 1, 4 }, { 4, 4 }, { 3, 3 }, { 6, 2 } };
	static const uint64_t values[] = { 0xfedcba9876543210ull, 0x8000000000000001ull, 0x80000000, 1 };
	static const uint8_t ops[] = { BPF_LSH, BPF_RSH, BPF_ARSH };
	for (size_t k = 0; k < N(pairs); k++) {
		int dst = pairs[k][0], src = pairs[k][1];
		for (size_t o = 0; o < N(ops); o++) {
			for (int w = 0; w < 2; w++) {
				struct bpf_insn prog[] = {
					MOV64_REG(9, 1),
					LDX(BPF_DW, dst, 9, 0),
					LDX(BPF_DW, src, 9, 8),
					I((w ? BPF_ALU64 : BPF_ALU) | ops[o] | BPF_X, dst, src, 0, 0),
					MOV64_REG(0, dst),
					EXIT,
				};
				for (size_t f = 0; f < n_feature_sets; f++) {
					struct uebpf_prog *p = jit_load(prog, N(prog), feature_sets[f], 0);
					for (size_t v = 0; v < N(values); v++) {
						for (uint64_t count = 0; count < 140; count++) {
							uint8_t mem[MEM_LEN] = { 0 };
							uint64_t c = count | (count & 1 ? 0xabcd00000000ull : 0);
							uint64_t x = dst == src ? c : values[v];
							memcpy(mem, &values[v], 8);
							memcpy(mem + 8, &c, 8);
							assert_int_equal(run_both(p, mem, MEM_LEN),
									 model_shift(ops[o], w, x, c));
						}
					}
					uebpf_prog_free(p);
				}
			}
		}
	}
}

/* ---- jumps ------------------------------------------------------------------- */

/* The code of insn i ends with a jump: is it rel8 (7x or EB, then the
 * displacement) or rel32 (0F 8x or E9, then four bytes)? */
static bool ends_in_rel8(const struct uebpf_prog *p, size_t i)
{
	const uint8_t *end = p->jit_code + p->jit_offsets[i + 1];
	if ((end[-2] & 0xf0) == 0x70 || end[-2] == 0xEB)
		return true;
	assert_true((end[-6] == 0x0F && (end[-5] & 0xf0) == 0x80) || end[-5] == 0xE9);
	return false;
}

/* insn 7 jumps forward over k instructions of 4 bytes each (r6 += 1, in a
 * callee-saved register: it lives across the call) to a helper call (a
 * jump to a short block would become a copy of it). */
static void test_forward_jump_boundary(void **state)
{
	for (int uncond = 0; uncond < 2; uncond++) {
		for (int k = 26; k <= 36; k++) {
			struct bpf_insn prog[64];
			size_t n = 0;
			for (int r = 0; r <= 6; r++)
				prog[n++] = MOV64_IMM(r, 0);
			prog[n++] = uncond ? I(BPF_JMP | BPF_JA, 0, 0, (int16_t)k, 0) : JMP_IMM(BPF_JEQ, 0, 0, k);
			for (int a = 0; a < k; a++)
				prog[n++] = ALU64_IMM(BPF_ADD, 6, 1);
			prog[n++] = I(BPF_JMP | BPF_CALL, 0, 0, 0, 1);
			prog[n++] = ALU64_IMM(BPF_ADD, 0, 100);
			prog[n++] = I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 6, 0, 0);
			prog[n++] = EXIT;
			struct uebpf_prog *p = jit_load(prog, n, feature_sets[0], 0);
			uint8_t mem[MEM_LEN] = { 0 };
			assert_int_equal(run_both(p, mem, MEM_LEN), 100);
			bool fits = 4 * k <= 127;
			if (ends_in_rel8(p, 7) != fits)
				fail_msg("jump over %d bytes: %s form", 4 * k, fits ? "rel32" : "rel8");
			uebpf_prog_free(p);
		}
	}
}

/* A jump lands on an instruction the allocator drops (it writes a value no
 * one reads); the compare after it must not take the zero flag of the
 * instruction before the drop, which the jump skipped. */
static void test_dead_insn_at_jump_target(void **state)
{
	struct bpf_insn prog[] = {
		MOV64_IMM(0, 5),
		I(BPF_LDX | BPF_MEM | BPF_DW, 5, 1, 0, 0),
		JMP_IMM(BPF_JEQ, 5, 0, 1),
		ALU64_IMM(BPF_ADD, 0, 1),
		MOV64_IMM(5, 7), /* dead, and the jump's target */
		JMP_IMM(BPF_JNE, 0, 0, 1),
		EXIT,
		MOV64_IMM(0, 42),
		EXIT,
	};
	for (int zero = 0; zero < 2; zero++) {
		struct uebpf_prog *p = jit_load(prog, N(prog), feature_sets[0], 0);
		assert_true(p->jit_allocated);
		uint8_t mem[MEM_LEN] = { 0 };
		mem[0] = (uint8_t)!zero;
		assert_int_equal(run_both(p, mem, MEM_LEN), 42);
		uebpf_prog_free(p);
	}
}

/* A loop whose back edge spans k 4-byte instructions plus the counter update. */
static void test_backward_jump_boundary(void **state)
{
	for (int k = 24; k <= 34; k++) {
		struct bpf_insn prog[64];
		size_t n = 0;
		prog[n++] = MOV64_IMM(0, 0);
		prog[n++] = MOV64_IMM(2, 3);
		for (int a = 0; a < k; a++)
			prog[n++] = ALU64_IMM(BPF_ADD, 0, 1);
		prog[n++] = ALU64_IMM(BPF_ADD, 2, -1);
		prog[n] = JMP_IMM(BPF_JNE, 2, 0, -(int16_t)(n - 1));
		n++;
		prog[n++] = EXIT;
		struct uebpf_prog *p = jit_load(prog, n, feature_sets[0], 0);
		uint8_t mem[MEM_LEN] = { 0 };
		assert_int_equal(run_both(p, mem, MEM_LEN), 3 * k);
		int64_t disp = (int64_t)p->jit_offsets[2] - p->jit_offsets[n - 1]; /* as if rel8 */
		if (ends_in_rel8(p, n - 2) != (disp >= -128))
			fail_msg("back edge of %" PRId64 " bytes in the wrong form", disp);
		uebpf_prog_free(p);
	}
}

/* Many instructions, jumps spanning megabytes of code, every offset in order. */
static void test_large_program(void **state)
{
	const size_t n = 300000;
	struct bpf_insn *prog = calloc(n, sizeof(*prog));
	assert_non_null(prog);
	size_t k = 0;
	prog[k++] = MOV64_IMM(0, 0);
	struct bpf_insn lddw[] = { LDDW(3, 0x123456789ull) };
	prog[k++] = lddw[0];
	prog[k++] = lddw[1];
	while (k < n - 1) {
		if (k % 5000 == 10 && k + 60000 < n - 1) {
			/* r2 is the memory length: never 12345, taken otherwise */
			prog[k] = JMP_IMM(k % 10000 == 10 ? BPF_JEQ : BPF_JNE, 2, 12345, 30000);
		} else {
			prog[k] = ALU64_IMM(k % 3 ? BPF_ADD : BPF_XOR, 0, (int32_t)(k * 2654435761u));
		}
		k++;
	}
	prog[k++] = EXIT;
	struct uebpf_prog *p = jit_load(prog, n, feature_sets[0], 0);
	uint8_t mem[MEM_LEN] = { 0 };
	run_both(p, mem, MEM_LEN);
	const uint32_t *off = p->jit_offsets;
	size_t code_sz = p->jit_code_sz;
	for (size_t i = 0; i < n; i++)
		assert_true(off[i] <= off[i + 1]);
	assert_int_equal(off[n], code_sz);
	assert_int_equal(off[1], off[2]); /* lddw's second slot */
	assert_true(code_sz > 1000000);
	uebpf_prog_free(p);
	free(prog);
}

/* ---- calls ------------------------------------------------------------------- */

/* main + 7 nested subprograms (8 frames): each keeps a value on its own stack
 * and in r6 across the call below it; one lets r10 escape. */
static void test_deep_calls(void **state)
{
	enum { DEPTH = 8, BODY = 12 };
	struct bpf_insn prog[DEPTH * BODY];
	size_t n = 0;
	for (int level = 0; level < DEPTH; level++) {
		size_t start = n;
		prog[n++] = MOV64_IMM(6, level * 11);
		prog[n++] = I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, level * 1000);
		if (level == 3) {
			prog[n++] = MOV64_REG(1, 10); /* r10 escapes: a full 512-byte frame */
			prog[n++] = I(BPF_ST | BPF_MEM | BPF_DW, 1, 0, -512, level);
		}
		if (level < DEPTH - 1) {
			size_t next = start + BODY;
			prog[n] = CALL_LOCAL((int32_t)(next - n - 1));
			n++;
		} else {
			prog[n++] = MOV64_IMM(0, 1);
		}
		prog[n++] = LDX(BPF_DW, 2, 10, -8);
		prog[n++] = ALU64_IMM(BPF_ADD, 0, 0); /* keeps r0 */
		prog[n++] = I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0);
		prog[n++] = I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 6, 0, 0);
		if (level == 3) {
			prog[n++] = LDX(BPF_DW, 2, 10, -512);
			prog[n++] = I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0);
		}
		prog[n++] = EXIT;
		while (n < start + BODY)
			prog[n++] = EXIT; /* unreachable padding, still valid */
	}
	uint64_t want = 1 + 3;
	for (int level = 0; level < DEPTH; level++)
		want += level * 1000 + level * 11;
	for (size_t f = 0; f < n_feature_sets; f++) {
		struct uebpf_prog *p = jit_load(prog, n, feature_sets[f], 0);
		uint8_t mem[MEM_LEN] = { 0 };
		assert_int_equal(run_both(p, mem, MEM_LEN), want);
		uebpf_prog_free(p);
	}
}

/* Does the native code of insn i contain a call instruction? */
static bool code_calls(const struct uebpf_prog *p, size_t i)
{
	csh cs;
	cs_insn *ci;
	bool found = false;
	assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_64, &cs), CS_ERR_OK);
	size_t cnt = cs_disasm(cs, p->jit_code + p->jit_offsets[i], p->jit_offsets[i + 1] - p->jit_offsets[i],
			       0, 0, &ci);
	for (size_t k = 0; k < cnt; k++)
		found |= !strcmp(ci[k].mnemonic, "call");
	cs_free(ci, cnt);
	cs_close(&cs);
	return found;
}

/* Short straight-line subprograms are inlined, nested too; a callee's
 * r6/r7 live in scratch registers, so the caller's survive. A callee that
 * reads r6 before writing it is really called. */
static void test_inlined_calls(void **state)
{
	struct bpf_insn prog[] = {
		MOV64_IMM(6, 111),                    /* 0 */
		MOV64_IMM(7, 222),                    /* 1 */
		MOV64_IMM(1, 5),                      /* 2 */
		MOV64_IMM(2, 9),                      /* 3 */
		CALL_LOCAL(8),                        /* 4: f */
		I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 6, 0, 0),
		I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 7, 0, 0),
		CALL_LOCAL(13),                       /* 7: h */
		EXIT,                                 /* 8 */
		EXIT,                                 /* 9: padding */
		EXIT,                                 /* 10 */
		EXIT,                                 /* 11 */
		EXIT,                                 /* 12 */
		MOV64_REG(6, 1),                      /* 13: f(r1, r2) = 3 * (r1 + r2) */
		MOV64_REG(7, 2),
		I(BPF_ALU64 | BPF_ADD | BPF_X, 6, 7, 0, 0),
		MOV64_REG(0, 6),
		CALL_LOCAL(1),                        /* 17: g */
		EXIT,
		ALU64_IMM(BPF_MUL, 0, 3),             /* 19: g: r0 *= 3 */
		EXIT,
		I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 6, 0, 0), /* 21: h: r0 += r6 (the caller's) */
		EXIT,
	};
	for (int harden = 0; harden < 2; harden++) {
		struct uebpf_prog *p = jit_load(prog, N(prog), feature_sets[0], harden ? UEBPF_F_HARDEN : 0);
		uint8_t mem[MEM_LEN] = { 0 };
		assert_int_equal(run_both(p, mem, MEM_LEN), 3 * (5 + 9) + 111 + 222 + 111);
		assert_false(code_calls(p, 4));
		assert_true(code_calls(p, 7));
		uebpf_prog_free(p);
	}
}

/* Many calls to an inlinable function: inlined while a budget of code
 * growth lasts (each body here is over 512 bytes of code), called after. */
static void test_inline_budget(void **state)
{
	enum { CALLS = 3000, BODY = 24 };
	struct bpf_insn prog[CALLS + 2 + BODY + 1];
	size_t n = 0;
	prog[n++] = MOV64_IMM(0, 1);
	for (int k = 0; k < CALLS; k++) {
		prog[n] = CALL_LOCAL((int32_t)(CALLS - k));
		n++;
	}
	prog[n++] = EXIT;
	for (int k = 0; k < BODY; k += 2) {
		prog[n++] = ALU64_IMM(BPF_MUL, 0, 1000003);
		prog[n++] = I(BPF_ALU64 | BPF_MOD | BPF_K, 0, 0, 1, 7); /* smod: 39 bytes */
	}
	prog[n++] = EXIT;
	for (size_t f = 0; f < n_feature_sets; f++) {
		struct uebpf_prog *p = jit_load(prog, n, feature_sets[f], 0);
		uint8_t mem[MEM_LEN] = { 0 };
		run_both(p, mem, MEM_LEN);
		assert_false(code_calls(p, 1));
		assert_true(p->jit_offsets[2] - p->jit_offsets[1] > 512);
		assert_true(code_calls(p, CALLS));
		uebpf_prog_free(p);
	}
}

/* A helper id in a register: registered ones are called, others give 0. */
static void test_callx(void **state)
{
	static const uint64_t ids[] = { 1, 7, 511, 512, 0x100000001ull, (uint64_t)-1 };
	for (size_t k = 0; k < N(ids); k++) {
		struct bpf_insn prog[] = {
			LDDW(6, ids[k]),
			MOV64_IMM(1, 1), MOV64_IMM(2, 2), MOV64_IMM(3, 3), MOV64_IMM(4, 4), MOV64_IMM(5, 5),
			I(BPF_JMP | BPF_CALL | BPF_X, 6, 0, 0, 0),
			EXIT,
		};
		struct uebpf_prog *p = jit_load(prog, N(prog), feature_sets[0], 0);
		assert_int_equal(p->jit_fn(NULL, 0), ids[k] == 1 ? 54321 : 0);
		uebpf_prog_free(p);
	}
}

/* ---- memory ------------------------------------------------------------------ */

static void test_atomics_in_any_register(void **state)
{
	static const int pairs[][2] = { { 1, 2 }, { 0, 2 }, { 2, 0 }, { 0, 3 }, { 3, 0 }, { 6, 7 } };
	static const int32_t ops[] = { BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH,
				       BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG };
	for (size_t k = 0; k < N(pairs); k++) {
		int dst = pairs[k][0], src = pairs[k][1];
		for (size_t o = 0; o < N(ops); o++) {
			for (int w = 0; w < 2; w++) {
				for (int hit = 0; hit < 2; hit++) {
					/* cmpxchg: r0 holds the comparand, equal to memory or not */
					uint64_t r0 = hit ? 0x8899aabbccddeeffull : 0x0123456789abcdefull;
					struct bpf_insn prog[] = {
						MOV64_REG(9, 1),
						LDDW(0, r0),
						LDDW(src, 0xf0f0f0f0a5a5a5a5ull),
						MOV64_REG(dst, 9),
						ALU64_IMM(BPF_ADD, dst, 8),
						I(BPF_STX | BPF_ATOMIC | (w ? BPF_DW : BPF_W), dst, src, 8, ops[o]),
						STX(BPF_DW, 9, src, 32),
						/* r0 as the base is still a pointer unless cmpxchg replaced it */
						dst != 0 || ops[o] == BPF_CMPXCHG ? STX(BPF_DW, 9, 0, 40) : MOV64_IMM(0, 0),
						MOV64_IMM(0, 0),
						EXIT,
					};
					struct uebpf_prog *p = jit_load(prog, N(prog), feature_sets[0], 0);
					uint8_t mem[MEM_LEN];
					for (size_t b = 0; b < MEM_LEN; b++)
						mem[b] = (uint8_t)(0xff - b);
					uint64_t cur = 0x8899aabbccddeeffull;
					memcpy(mem + 16, &cur, 8);
					run_both(p, mem, MEM_LEN);
					uebpf_prog_free(p);
				}
			}
		}
	}
}

static void test_legacy_packet_loads(void **state)
{
	struct {
		uint8_t code;
		uint8_t src;
		uint64_t src_val;
		int32_t imm;
		uint64_t want; /* 0: out of bounds, the program returns 0 */
	} cases[] = {
		{ BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 0x100 + 0x00 },
		{ BPF_LD | BPF_ABS | BPF_H, 0, 0, 2, 0x100 + 0x0203 },
		{ BPF_LD | BPF_ABS | BPF_W, 0, 0, 4, 0x100 + 0x04050607 },
		{ BPF_LD | BPF_ABS | BPF_W, 0, 0, MEM_LEN - 4, 0x100 + 0x3c3d3e3f },
		{ BPF_LD | BPF_ABS | BPF_W, 0, 0, MEM_LEN - 3, 0 },
		{ BPF_LD | BPF_ABS | BPF_B, 0, 0, MEM_LEN, 0 },
		{ BPF_LD | BPF_ABS | BPF_B, 0, 0, -1, 0 },
		{ BPF_LD | BPF_ABS | BPF_H, 0, 0, INT32_MAX, 0 },
		{ BPF_LD | BPF_IND | BPF_B, 3, (uint64_t)-1, 5, 0x100 + 0x04 },
		{ BPF_LD | BPF_IND | BPF_H, 3, 0x100000004ull, 0, 0x100 + 0x0405 },
		{ BPF_LD | BPF_IND | BPF_W, 7, 10, 50, 0x100 + 0x3c3d3e3f },
		{ BPF_LD | BPF_IND | BPF_W, 7, 10, 51, 0 },
		{ BPF_LD | BPF_IND | BPF_B, 3, 0x7fffffff, 1, 0 },
		{ BPF_LD | BPF_IND | BPF_B, 3, (uint64_t)-10, 3, 0 },
	};
	for (size_t k = 0; k < N(cases); k++) {
		for (int harden = 0; harden < 2; harden++) {
			struct bpf_insn prog[] = {
				LDDW(cases[k].src, cases[k].src_val),
				I(cases[k].code, 0, cases[k].src, 0, cases[k].imm),
				ALU64_IMM(BPF_ADD, 0, 0x100),
				EXIT,
			};
			struct uebpf_prog *p = jit_load(prog, N(prog), feature_sets[0], harden ? UEBPF_F_HARDEN : 0);
			uint8_t mem[MEM_LEN];
			for (size_t b = 0; b < MEM_LEN; b++)
				mem[b] = (uint8_t)b;
			if (run_both(p, mem, MEM_LEN) != cases[k].want)
				fail_msg("case %zu (hardened %d)", k, harden);
			uebpf_prog_free(p);
		}
	}
}

/* The code is mapped read+exec, never writable. */
static void test_code_is_not_writable(void **state)
{
	struct bpf_insn prog[] = { MOV64_IMM(0, 7), EXIT };
	struct uebpf_prog *p = jit_load(prog, N(prog), feature_sets[0], 0);
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	char line[512], perms[8] = "";
	uintptr_t code = (uintptr_t)p->jit_code;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;
		char pr[8];
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &lo, &hi, pr) == 3 && code >= lo && code < hi)
			strcpy(perms, pr);
	}
	fclose(f);
	assert_string_equal(perms, "r-xp");
	assert_int_equal(p->jit_fn(NULL, 0), 7);
	uebpf_prog_free(p);
}

/* ---- hardening ----------------------------------------------------------------- */

static bool contains(const uint8_t *code, size_t sz, uint32_t v)
{
	return memmem(code, sz, &v, 4) != NULL;
}

static void test_hardening(void **state)
{
	static const int32_t imms[] = { 0x1badb002, 0x2bad5eed, 0x3cafe0d0, 0x4eedface, 0x5ca1ab1e, 0x6d0d0cac,
					0x7a11f00d, -0x3eadbeef, 0x1337c0de };
	struct bpf_insn prog[] = {
		MOV64_REG(9, 1),
		I(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, imms[0]),
		MOV64_IMM(2, imms[1]),
		I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, imms[2]),
		I(BPF_ALU | BPF_XOR | BPF_K, 2, 0, 0, imms[3]),
		I(BPF_ALU64 | BPF_MUL | BPF_K, 2, 0, 0, imms[4]),
		I(BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, imms[5]),
		I(BPF_ALU64 | BPF_DIV | BPF_K, 2, 0, 0, imms[6]),
		I(BPF_ALU | BPF_MOD | BPF_K, 0, 0, 1, imms[7]),
		I(BPF_ST | BPF_MEM | BPF_W, 9, 0, 0, imms[8]),
		JMP_IMM(BPF_JEQ, 2, imms[1], 1),
		I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0),
		LDDW(3, 0x0badc0de600dd00dull),
		I(BPF_ALU64 | BPF_SUB | BPF_X, 0, 3, 0, 0),
		EXIT,
	};
	uint8_t mem_plain[MEM_LEN] = { 0 }, mem_hard[MEM_LEN] = { 0 };
	struct uebpf_prog *plain = jit_load(prog, N(prog), feature_sets[0], 0);
	struct uebpf_prog *hard = jit_load(prog, N(prog), feature_sets[0], UEBPF_F_HARDEN);
	struct uebpf_prog *hard2 = jit_load(prog, N(prog), feature_sets[0], UEBPF_F_HARDEN);
	assert_int_equal(run_both(plain, mem_plain, MEM_LEN), run_both(hard, mem_hard, MEM_LEN));
	assert_memory_equal(mem_plain, mem_hard, MEM_LEN);
	/* a random key per program: two hardened builds differ */
	assert_true(hard->jit_code_sz != hard2->jit_code_sz ||
		    memcmp(hard->jit_code, hard2->jit_code, hard->jit_code_sz) != 0);
	for (size_t k = 0; k < N(imms); k++) {
		/* the plain build shows the immediates; the hardened one none */
		if (k != 6 && k != 7)
			assert_true(contains(plain->jit_code, plain->jit_code_sz, (uint32_t)imms[k]));
		assert_false(contains(hard->jit_code, hard->jit_code_sz, (uint32_t)imms[k]));
	}
	assert_false(contains(hard->jit_code, hard->jit_code_sz, 0x600dd00d));
	assert_false(contains(hard->jit_code, hard->jit_code_sz, 0x0badc0de));
	uebpf_prog_free(plain);
	uebpf_prog_free(hard);
	uebpf_prog_free(hard2);
}

/* ---- refusals -------------------------------------------------------------------- */

static void expect_refused(const struct bpf_insn *prog, size_t n, const char *msg)
{
	struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = UEBPF_ENGINE_JIT, .flags = UEBPF_F_VERIFIED,
				     .helpers = helpers };
	struct uebpf_prog *p = (struct uebpf_prog *)1;
	char log[256] = "";
	assert_int_equal(uebpf_prog_load(prog, n, &o, &p, log, sizeof(log)), -EINVAL);
	assert_null(p);
	if (!strstr(log, msg))
		fail_msg("log \"%s\" lacks \"%s\"", log, msg);
	/* the interpreter still takes it */
	o.engine = UEBPF_ENGINE_INTERP;
	assert_int_equal(uebpf_prog_load(prog, n, &o, &p, log, sizeof(log)), 0);
	uebpf_prog_free(p);
}

static void test_refusals(void **state)
{
	struct bpf_insn kfunc[] = { MOV64_IMM(0, 0), I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 7), EXIT };
	expect_refused(kfunc, N(kfunc), "insn 1: ");
	struct bpf_insn ld_in_sub[] = {
		CALL_LOCAL(1),
		EXIT,
		I(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 0),
		EXIT,
	};
	expect_refused(ld_in_sub, N(ld_in_sub), "insn 2: ");
}

/* uebpf_prog_function: the JIT's function for programs nothing can
 * re-enter (it returns what uebpf_prog_run returns), NULL for the others. */
static void test_prog_function(void **state)
{
	struct bpf_insn plain[] = { MOV64_IMM(0, 41), I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0), EXIT };
	struct bpf_insn tail[] = { MOV64_IMM(2, 0), MOV64_IMM(3, 0), I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
				   MOV64_IMM(0, 0), EXIT };
	char log[256] = "";
	for (int k = 0; k < 3; k++) {
		struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = k == 1 ? UEBPF_ENGINE_INTERP : UEBPF_ENGINE_JIT,
					     .flags = UEBPF_F_VERIFIED, .helpers = helpers };
		struct uebpf_prog *p;
		if (uebpf_prog_load(k == 2 ? tail : plain, k == 2 ? N(tail) : N(plain), &o, &p, log, sizeof(log)))
			fail_msg("load failed: %s", log);
		uebpf_prog_fn fn = uebpf_prog_function(p);
		if (k == 0) {
			uint64_t r;
			assert_non_null(fn);
			assert_int_equal(uebpf_prog_run(p, NULL, 1, &r, log, sizeof(log)), 0);
			assert_int_equal(r, 42);
			assert_int_equal(fn(NULL, 1), 42);
		} else {
			assert_null(fn); /* the interpreter; a tail call needs the run's state */
		}
		uebpf_prog_free(p);
	}
}

/* The batch entry: r1 is each context in turn and r2 the stride, r0's low
 * 32 bits land in rets[i] and nothing past rets[n - 1]; compiled once; for
 * programs on the interpreter -EINVAL, hardened or tail-calling ones
 * -EOPNOTSUPP with a message. */
static void test_batch_entry(void **state)
{
	/* r0 = *(u64 *)(r1 + 8) * 3 + r2, the top half of r0 set too */
	struct bpf_insn prog[] = {
		I(BPF_LDX | BPF_MEM | BPF_DW, 0, 1, 8, 0),
		I(BPF_ALU64 | BPF_MUL | BPF_K, 0, 0, 0, 3),
		I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0),
		I(BPF_LD | BPF_IMM | BPF_DW, 3, 0, 0, 0), I(0, 0, 0, 0, 7),
		I(BPF_ALU64 | BPF_OR | BPF_X, 0, 3, 0, 0),
		EXIT,
	};
	struct bpf_insn tail[] = { MOV64_IMM(2, 0), MOV64_IMM(3, 0), I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
				   MOV64_IMM(0, 0), EXIT };
	uint64_t ctx[5][3] = { { 0 } };
	for (size_t i = 0; i < 5; i++)
		ctx[i][1] = 100 * i + 1;
	char log[256] = "";
	for (int k = 0; k < 4; k++) {
		struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = k == 1 ? UEBPF_ENGINE_INTERP : UEBPF_ENGINE_JIT,
					     .flags = UEBPF_F_VERIFIED | (k == 2 ? UEBPF_F_HARDEN : 0),
					     .helpers = helpers };
		struct uebpf_prog *p;
		if (uebpf_prog_load(k == 3 ? tail : prog, k == 3 ? N(tail) : N(prog), &o, &p, log, sizeof(log)))
			fail_msg("load failed: %s", log);
		int err = uebpf_prog_jit_batch(p, log, sizeof(log));
		if (k == 0) {
			assert_int_equal(err, 0);
			assert_int_equal(uebpf_prog_jit_batch(p, log, sizeof(log)), 0);
			uebpf_prog_batch_fn fn = uebpf_prog_batch_function(p);
			assert_non_null(fn);
			for (uint64_t n = 1; n <= 4; n++) {
				uint32_t rets[6];
				memset(rets, 0xee, sizeof(rets));
				fn(ctx, n, rets, sizeof(ctx[0]));
				for (size_t i = 0; i < n; i++)
					assert_int_equal(rets[i], (uint32_t)((100 * i + 1) * 3 + sizeof(ctx[0])));
				assert_int_equal(rets[n], 0xeeeeeeeeu);
			}
		} else {
			assert_int_equal(err, k == 1 ? -EINVAL : -EOPNOTSUPP);
			assert_null(uebpf_prog_batch_function(p));
			assert_non_null(strstr(log, k == 1 ? "not JIT-compiled" : "no batch entry"));
		}
		uebpf_prog_free(p);
	}
}

/* Callbacks (bpf_loop) are compiled: the helper calls the JIT code, which
 * gives the same result as the interpreter, hardened too; one that takes a
 * tail call stays in the interpreter; freeing the JIT code puts every
 * callback back on the interpreter. */
static void test_callbacks_compiled(void **state)
{
	/* r0 = sum of i * i + 3 for i < 10, through *(r10 - 8) */
	struct bpf_insn p[] = {
		I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0),
		MOV64_IMM(1, 10),
		I(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_FUNC, 0, 7), I(0, 0, 0, 0, 0),
		I(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0),
		I(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -8),
		MOV64_IMM(4, 0),
		I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_loop),
		I(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -8, 0),
		EXIT,
		/* 10: cb(i, ctx): *ctx += i * i + 3; a local frame too */
		I(BPF_STX | BPF_MEM | BPF_DW, 10, 1, -16, 0),
		I(BPF_ALU64 | BPF_MUL | BPF_X, 1, 1, 0, 0),
		I(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 3),
		I(BPF_LDX | BPF_MEM | BPF_DW, 3, 2, 0, 0),
		I(BPF_ALU64 | BPF_ADD | BPF_X, 3, 1, 0, 0),
		I(BPF_STX | BPF_MEM | BPF_DW, 2, 3, 0, 0),
		MOV64_IMM(0, 0),
		EXIT,
	};
	struct bpf_insn tail[N(p) + 3];
	memcpy(tail, p, sizeof(p));
	/* the callback starts with a tail call it never takes (i < 10) */
	memmove(&tail[13], &tail[10], (N(p) - 10) * sizeof(p[0]));
	tail[10] = I(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 2, 12345);
	tail[11] = MOV64_IMM(3, 0);
	tail[12] = I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call);
	char log[256] = "";
	for (int k = 0; k < 3; k++) {
		struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = UEBPF_ENGINE_JIT,
					     .flags = UEBPF_F_VERIFIED | (k == 1 ? UEBPF_F_HARDEN : 0),
					     .helpers = uebpf_helpers_default() };
		struct uebpf_prog *prog;
		if (uebpf_prog_load(k == 2 ? tail : p, k == 2 ? N(tail) : N(p), &o, &prog, log, sizeof(log)))
			fail_msg("load failed: %s", log);
		assert_int_equal(prog->n_callbacks, 1);
		uintptr_t call = (uintptr_t)prog->callbacks[0].base.call, code = (uintptr_t)prog->jit_code;
		if (k == 2)
			assert_true(prog->callbacks[0].base.call == prog->callbacks[0].interp_call);
		else
			assert_true(call >= code && call < code + prog->jit_code_sz);
		uint64_t r0 = 0;
		assert_int_equal(uebpf_prog_run(prog, NULL, 0, &r0, log, sizeof(log)), 0);
		assert_int_equal(r0, 285 + 30);
		uebpf_jit_free(prog);
		assert_true(prog->callbacks[0].base.call == prog->callbacks[0].interp_call);
		uebpf_prog_free(prog);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prog_function),
		cmocka_unit_test(test_batch_entry),
		cmocka_unit_test(test_callbacks_compiled),
		cmocka_unit_test(test_div_by_register),
		cmocka_unit_test(test_div_by_constant),
		cmocka_unit_test(test_nonzero_divisor_tracking),
		cmocka_unit_test(test_shift_by_register),
		cmocka_unit_test(test_forward_jump_boundary),
		cmocka_unit_test(test_backward_jump_boundary),
		cmocka_unit_test(test_dead_insn_at_jump_target),
		cmocka_unit_test(test_large_program),
		cmocka_unit_test(test_deep_calls),
		cmocka_unit_test(test_inlined_calls),
		cmocka_unit_test(test_inline_budget),
		cmocka_unit_test(test_callx),
		cmocka_unit_test(test_atomics_in_any_register),
		cmocka_unit_test(test_legacy_packet_loads),
		cmocka_unit_test(test_code_is_not_writable),
		cmocka_unit_test(test_hardening),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
