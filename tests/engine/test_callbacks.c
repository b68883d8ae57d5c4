/* Callbacks (lddw src=BPF_PSEUDO_FUNC passed to bpf_loop) on every engine,
 * through the default helper table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <uebpf/engine.h>

#define I(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })

/* sum of i for i < 10 through bpf_loop, accumulated in a stack slot the
 * callback reaches through its ctx argument; a second loop stops early */
static const struct bpf_insn loop_prog[] = {
	I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 10),
	I(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_FUNC, 0, 18 - 2 - 1), I(0, 0, 0, 0, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0),
	I(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -8),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0),
	I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_loop),
	I(BPF_ALU64 | BPF_MOV | BPF_X, 6, 0, 0, 0), /* r6 = iterations of loop 1 */
	I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 100),
	I(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_FUNC, 0, 24 - 10 - 1), I(0, 0, 0, 0, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0),
	I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_loop),
	/* r0 = sum * 1000 + iterations1 * 100 + iterations2 */
	I(BPF_LDX | BPF_MEM | BPF_DW, 7, 10, -8, 0),
	I(BPF_ALU64 | BPF_MUL | BPF_K, 7, 0, 0, 1000),
	I(BPF_ALU64 | BPF_MUL | BPF_K, 6, 0, 0, 100),
	/* 18: */ I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 7, 0, 0),
	I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 6, 0, 0),
	I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
};

static void test_loop(void **state)
{
	/* the first callback is at 21: fix the targets relative to the lddw */
	struct bpf_insn p[64];
	size_t n = sizeof(loop_prog) / sizeof(loop_prog[0]);
	for (size_t i = 0; i < n; i++)
		p[i] = loop_prog[i];
	size_t cb1 = n, cb2 = n + 5;
	/* cb1(i, ctx): *ctx += i; return 0 */
	p[n++] = I(BPF_LDX | BPF_MEM | BPF_DW, 3, 2, 0, 0);
	p[n++] = I(BPF_ALU64 | BPF_ADD | BPF_X, 3, 1, 0, 0);
	p[n++] = I(BPF_STX | BPF_MEM | BPF_DW, 2, 3, 0, 0);
	p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	p[n++] = I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	/* cb2(i, ctx): return i == 6 (stop after the 7th call) */
	p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	p[n++] = I(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 1, 6);
	p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
	p[n++] = I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	p[2].imm = (int32_t)(cb1 - 2 - 1);
	p[10].imm = (int32_t)(cb2 - 10 - 1);

	for (int e = 0; e < 3; e++) {
		struct uebpf_prog_opts opts = { .sz = sizeof(opts), .helpers = uebpf_helpers_default(),
						.engine = e == 2 ? UEBPF_ENGINE_JIT : UEBPF_ENGINE_INTERP,
						.flags = e ? UEBPF_F_VERIFIED : 0 };
		struct uebpf_prog *prog;
		char log[256] = "";
		int err = uebpf_prog_load(p, n, &opts, &prog, log, sizeof(log));
		if (err)
			fail_msg("engine %d: %s", e, log);
		uint64_t r0 = 0;
		assert_int_equal(uebpf_prog_run(prog, NULL, 0, &r0, log, sizeof(log)), 0);
		assert_int_equal(r0, 45 * 1000 + 10 * 100 + 7);
		uebpf_prog_free(prog);
	}
}

static void test_bad_callback_target(void **state)
{
	const struct bpf_insn p[] = {
		I(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_FUNC, 0, 40), I(0, 0, 0, 0, 0),
		I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct uebpf_prog_opts opts = { .sz = sizeof(opts), .helpers = uebpf_helpers_default() };
	struct uebpf_prog *prog;
	char log[256] = "";
	assert_int_equal(uebpf_prog_load(p, 4, &opts, &prog, log, sizeof(log)), -EINVAL);
	assert_string_equal(log, "insn 0: call to invalid destination insn 41");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_bad_callback_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
