/* uebpf_prog_test_run: the context each program type gets, fresh input per
 * run, data_out after bpf_xdp_adjust_head, trace output, bad sizes. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <uebpf/ctx.h>
#include <uebpf/engine.h>
#include <uebpf/test_run.h>

#define I(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static struct uebpf_prog *load(const struct bpf_insn *insns, size_t n, enum uebpf_engine engine)
{
	struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = engine, .helpers = uebpf_helpers_default(),
				     .flags = engine == UEBPF_ENGINE_JIT ? UEBPF_F_VERIFIED : 0 };
	struct uebpf_prog *p;
	char log[256];
	if (uebpf_prog_load(insns, n, &o, &p, log, sizeof(log)))
		fail_msg("load: %s", log);
	return p;
}

/* kprobe: r1 is a pt_regs; the program returns di + si (x86-64 offsets
 * 112 and 104) */
static void test_kprobe_ctx(void **state)
{
	const struct bpf_insn prog[] = {
		I(BPF_LDX | BPF_MEM | BPF_DW, 0, 1, 112, 0),
		I(BPF_LDX | BPF_MEM | BPF_DW, 2, 1, 104, 0),
		I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0),
		EXIT,
	};
	uint64_t regs[21] = { 0 };
	regs[14] = 40;
	regs[13] = 2;
	for (int e = 0; e < 2; e++) {
		struct uebpf_prog *p = load(prog, 4, e ? UEBPF_ENGINE_JIT : UEBPF_ENGINE_INTERP);
		struct uebpf_test_run_opts o = { .sz = sizeof(o), .ctx_in = regs, .ctx_size_in = sizeof(regs), .repeat = 3 };
		char log[256] = "";
		assert_int_equal(uebpf_prog_test_run(p, BPF_PROG_TYPE_KPROBE, &o, log, sizeof(log)), 0);
		assert_int_equal(o.retval, 42);
		/* a short context is zero-padded: di and si read as 0 */
		o.ctx_size_in = 8;
		assert_int_equal(uebpf_prog_test_run(p, BPF_PROG_TYPE_KPROBE, &o, log, sizeof(log)), 0);
		assert_int_equal(o.retval, 0);
		uebpf_prog_free(p);
	}
}

/* XDP, as the verifier's rewrite leaves it (64-bit data/data_end in struct
 * uebpf_pkt_ctx): pop 14 bytes with bpf_xdp_adjust_head, return the first
 * byte now at data. data_out is the packet after the run; each run starts
 * from the original frame. */
static void test_xdp_adjust(void **state)
{
	const struct bpf_insn prog[] = {
		I(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
		I(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 14),
		I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_adjust_head),
		I(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 5, 0),
		I(BPF_LDX | BPF_MEM | BPF_DW, 2, 6, offsetof(struct uebpf_pkt_ctx, data), 0),
		I(BPF_LDX | BPF_MEM | BPF_DW, 3, 6, offsetof(struct uebpf_pkt_ctx, data_end), 0),
		I(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0),
		I(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 1),
		I(BPF_JMP | BPF_JLE | BPF_X, 4, 3, 2, 0),
		I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 99),
		EXIT,
		I(BPF_LDX | BPF_MEM | BPF_B, 0, 2, 0, 0),
		EXIT,
	};
	uint8_t frame[60], out[128];
	for (int i = 0; i < 60; i++)
		frame[i] = (uint8_t)(i + 100);
	for (int e = 0; e < 2; e++) {
		struct uebpf_prog *p = load(prog, sizeof(prog) / sizeof(prog[0]), e ? UEBPF_ENGINE_JIT : UEBPF_ENGINE_INTERP);
		struct uebpf_test_run_opts o = { .sz = sizeof(o), .data_in = frame, .data_size_in = sizeof(frame),
						 .data_out = out, .data_size_out = sizeof(out), .repeat = 5 };
		char log[256] = "";
		assert_int_equal(uebpf_prog_test_run(p, BPF_PROG_TYPE_XDP, &o, log, sizeof(log)), 0);
		assert_int_equal(o.retval, 114);
		assert_int_equal(o.data_size_out, 46);
		assert_memory_equal(out, frame + 14, 46);
		uebpf_prog_free(p);
	}
}

/* __sk_buff fields the test run fills, read at uebpf's offsets */
static void test_skb_fields(void **state)
{
	const struct bpf_insn prog[] = {
		I(BPF_LDX | BPF_MEM | BPF_W, 0, 1, offsetof(struct uebpf_pkt_ctx, len), 0),
		I(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct uebpf_pkt_ctx, protocol), 0),
		I(BPF_ALU64 | BPF_LSH | BPF_K, 2, 0, 0, 16),
		I(BPF_ALU64 | BPF_OR | BPF_X, 0, 2, 0, 0),
		I(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct uebpf_pkt_ctx, vlan_tci), 0),
		I(BPF_ALU64 | BPF_LSH | BPF_K, 2, 0, 0, 32),
		I(BPF_ALU64 | BPF_OR | BPF_X, 0, 2, 0, 0),
		EXIT,
	};
	uint8_t frame[64] = { [12] = 0x81, [13] = 0x00, [14] = 0x00, [15] = 0x05, [16] = 0x86, [17] = 0xdd };
	struct uebpf_prog *p = load(prog, sizeof(prog) / sizeof(prog[0]), UEBPF_ENGINE_INTERP);
	struct uebpf_test_run_opts o = { .sz = sizeof(o), .data_in = frame, .data_size_in = sizeof(frame) };
	char log[256] = "";
	assert_int_equal(uebpf_prog_test_run(p, BPF_PROG_TYPE_SCHED_CLS, &o, log, sizeof(log)), 0);
	/* len 64, protocol ETH_P_IPV6 in network order (0xdd86), VLAN id 5 */
	assert_int_equal(o.retval64, 5ull << 32 | 0xdd86ull << 16 | 64);

	/* a frame shorter than an Ethernet header, or too big, is refused */
	o.data_size_in = 10;
	assert_int_equal(uebpf_prog_test_run(p, BPF_PROG_TYPE_SCHED_CLS, &o, log, sizeof(log)), -EINVAL);
	assert_string_equal(log, "packet of 10 bytes: a packet run takes 14 to 3520 bytes");
	uebpf_prog_free(p);
}

struct captured {
	char msg[128];
};

static void capture(void *arg, const char *msg, size_t len)
{
	snprintf(((struct captured *)arg)->msg, sizeof(((struct captured *)arg)->msg), "%.*s", (int)len, msg);
}

/* bpf_trace_printk output reaches the run's printer; a checked-mode fault
 * is an error with the instruction */
static void test_trace_and_fault(void **state)
{
	const struct bpf_insn prog[] = {
		/* "hi %d" on the stack */
		I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -8, 0x25206968),
		I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0x64),
		I(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0),
		I(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),
		I(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 6),
		I(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 7),
		I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_trace_printk),
		I(BPF_LDX | BPF_MEM | BPF_DW, 0, 0, 0, 0), /* r0 = 4, the length printed: a wild load */
		EXIT,
	};
	struct captured c = { "" };
	struct uebpf_prog *p = load(prog, sizeof(prog) / sizeof(prog[0]), UEBPF_ENGINE_INTERP);
	struct uebpf_test_run_opts o = { .sz = sizeof(o), .print = capture, .print_arg = &c };
	char log[256] = "";
	assert_int_equal(uebpf_prog_test_run(p, BPF_PROG_TYPE_KPROBE, &o, log, sizeof(log)), -EFAULT);
	assert_string_equal(c.msg, "hi 7");
	assert_string_equal(log, "insn 7: out-of-bounds load of 8 bytes at 0x4");
	uebpf_prog_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kprobe_ctx),
		cmocka_unit_test(test_xdp_adjust),
		cmocka_unit_test(test_skb_fields),
		cmocka_unit_test(test_trace_and_fault),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
