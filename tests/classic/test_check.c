/* The cBPF checker: a table of valid and invalid programs with the kernel's
 * verdict and our message, then the same table and 20,000 random programs
 * attached to a real socket with SO_ATTACH_FILTER (where permitted) to
 * confirm that the kernel agrees with every verdict. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <uebpf/classic.h>

#define S(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define J(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define AD(x) ((uint32_t)(SKF_AD_OFF + (x)))
#define RET_K(k) S(BPF_RET | BPF_K, k)
#define RET_A S(BPF_RET | BPF_A, 0)
#define MAX_CASE 8

struct check_case {
	const char *name;
	size_t n;
	struct sock_filter insns[MAX_CASE];
	const char *error; /* NULL: valid; else the start of our message */
};

static const struct check_case cases[] = {
	{ "ret #0", 1, { RET_K(0) }, NULL },
	{ "ret a", 1, { RET_A }, NULL },
	{ "ethertype test", 4,
	  { S(BPF_LD | BPF_H | BPF_ABS, 12), J(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 1), RET_K(0xffffffff), RET_K(0) },
	  NULL },
	{ "unreachable code after ret", 3, { RET_K(0), S(BPF_LD | BPF_W | BPF_ABS, 0), RET_A }, NULL },
	{ "both jump targets 0", 2, { J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0), RET_K(0) }, NULL },
	{ "ja to the last insn", 3, { S(BPF_JMP | BPF_JA, 1), RET_K(1), RET_K(2) }, NULL },
	{ "scratch slot 15 written then read", 3, { S(BPF_ST, 15), S(BPF_LDX | BPF_MEM, 15), RET_A }, NULL },
	{ "scratch written on both paths", 6,
	  { J(BPF_JMP | BPF_JGT | BPF_K, 5, 0, 2), S(BPF_ST, 3), S(BPF_JMP | BPF_JA, 1), S(BPF_STX, 3),
	    S(BPF_LD | BPF_MEM, 3), RET_A },
	  NULL },
	{ "every ALU op", 8,
	  { S(BPF_ALU | BPF_ADD | BPF_K, 1), S(BPF_ALU | BPF_MUL | BPF_X, 0), S(BPF_ALU | BPF_DIV | BPF_K, 3),
	    S(BPF_ALU | BPF_MOD | BPF_X, 0), S(BPF_ALU | BPF_XOR | BPF_K, 7), S(BPF_ALU | BPF_LSH | BPF_K, 31),
	    S(BPF_ALU | BPF_NEG, 0), RET_A },
	  NULL },
	{ "lengths, msh, tax/txa", 6,
	  { S(BPF_LD | BPF_W | BPF_LEN, 0), S(BPF_LDX | BPF_W | BPF_LEN, 0), S(BPF_LDX | BPF_B | BPF_MSH, 14),
	    S(BPF_MISC | BPF_TAX, 0), S(BPF_MISC | BPF_TXA, 0), RET_A },
	  NULL },
	{ "ancillary protocol/vlan/random", 5,
	  { S(BPF_LD | BPF_H | BPF_ABS, AD(SKF_AD_PROTOCOL)), S(BPF_LD | BPF_B | BPF_ABS, AD(SKF_AD_VLAN_TAG_PRESENT)),
	    S(BPF_LD | BPF_W | BPF_ABS, AD(SKF_AD_RANDOM)), S(BPF_LD | BPF_W | BPF_ABS, AD(SKF_AD_VLAN_TPID)), RET_A },
	  NULL },
	{ "negative network and link offsets", 4,
	  { S(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF), S(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_LL_OFF + 5),
	    S(BPF_LD | BPF_H | BPF_IND, (uint32_t)SKF_NET_OFF), RET_A },
	  NULL },
	{ "indirect load in the ancillary range", 2, { S(BPF_LD | BPF_W | BPF_IND, AD(3)), RET_A }, NULL },

	{ "empty", 0, { RET_K(0) }, "program is empty" },
	{ "last insn not ret", 1, { S(BPF_LD | BPF_IMM, 1) }, "insn 0: the last instruction must be ret" },
	{ "jt past the end", 2, { J(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0), RET_K(0) }, "insn 0: jump past the end" },
	{ "jf past the end", 3, { RET_K(0), J(BPF_JMP | BPF_JSET | BPF_X, 1, 0, 5), RET_K(0) },
	  "insn 1: jump past the end" },
	{ "ja past the end", 2, { S(BPF_JMP | BPF_JA, 1), RET_K(0) }, "insn 0: jump past the end" },
	{ "ja backwards", 3, { S(BPF_LD | BPF_IMM, 0), S(BPF_JMP | BPF_JA, (uint32_t)-2), RET_A },
	  "insn 1: jump backwards" },
	{ "div #0", 2, { S(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A }, "insn 0: division by constant zero" },
	{ "mod #0", 2, { S(BPF_ALU | BPF_MOD | BPF_K, 0), RET_A }, "insn 0: modulo by constant zero" },
	{ "lsh #32", 2, { S(BPF_ALU | BPF_LSH | BPF_K, 32), RET_A }, "insn 0: shift by 32" },
	{ "rsh #33", 2, { S(BPF_ALU | BPF_RSH | BPF_K, 33), RET_A }, "insn 0: shift by 33" },
	{ "st M[16]", 2, { S(BPF_ST, 16), RET_A }, "insn 0: scratch slot M[16] out of range" },
	{ "ld M[16]", 2, { S(BPF_LD | BPF_MEM, 16), RET_A }, "insn 0: scratch slot M[16] out of range" },
	{ "M[0] read before any write", 2, { S(BPF_LD | BPF_MEM, 0), RET_A },
	  "insn 0: M[0] is read before it is written" },
	{ "M[2] written on one path only", 4,
	  { J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), S(BPF_ST, 2), S(BPF_LDX | BPF_MEM, 2), RET_A },
	  "insn 2: M[2] is read before it is written" },
	/* reachable only with M[0] written, but the mask of the `ret` before
	 * it runs on: the kernel refuses this too */
	{ "scratch mask runs past ret", 7,
	  { J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3), S(BPF_ST, 0), S(BPF_JMP | BPF_JA, 2), RET_K(1), RET_K(0),
	    S(BPF_LD | BPF_MEM, 0), RET_A },
	  "insn 5: M[0] is read before it is written" },
	{ "ret x", 1, { S(BPF_RET | BPF_X, 0) }, "insn 0: ret x is not allowed" },
	{ "ldx [k]", 2, { S(BPF_LDX | BPF_W | BPF_ABS, 0), RET_A }, "insn 0: ldx [k] is allowed in seccomp" },
	{ "ldxh 4*([k]&0xf)", 2, { S(BPF_LDX | BPF_H | BPF_MSH, 14), RET_A }, "insn 0: 4*([k]&0xf) loads a byte only" },
	{ "ldxw 4*([k]&0xf)", 2, { S(BPF_LDX | BPF_W | BPF_MSH, 14), RET_A }, "insn 0: 4*([k]&0xf) loads a byte only" },
	{ "opcode 0xff", 2, { S(0xff, 0), RET_A }, "insn 0: unknown opcode 0xff" },
	{ "ldh #k", 2, { S(BPF_LD | BPF_H | BPF_IMM, 0), RET_A }, "insn 0: unknown opcode 0x8" },
	{ "ja x", 2, { S(BPF_JMP | BPF_JA | BPF_X, 0), RET_A }, "insn 0: unknown opcode 0xd" },
	{ "neg x", 2, { S(BPF_ALU | BPF_NEG | BPF_X, 0), RET_A }, "insn 0: unknown opcode 0x8c" },
	{ "code above 0xff", 2, { S(0x106, 0), RET_A }, "insn 0: unknown opcode 0x106" },
	{ "ancillary SKF_AD_MAX", 2, { S(BPF_LD | BPF_W | BPF_ABS, AD(SKF_AD_MAX)), RET_A },
	  "insn 0: unknown ancillary offset SKF_AD_OFF+64" },
	{ "misaligned ancillary", 2, { S(BPF_LD | BPF_B | BPF_ABS, AD(2)), RET_A },
	  "insn 0: unknown ancillary offset SKF_AD_OFF+2" },
	{ "ancillary at -1", 2, { S(BPF_LD | BPF_H | BPF_ABS, 0xffffffff), RET_A },
	  "insn 0: unknown ancillary offset SKF_AD_OFF+4095" },
};

/* Large programs are built at run time. */
static struct sock_filter *long_program(size_t n)
{
	struct sock_filter *p = calloc(n, sizeof(*p));
	assert_non_null(p);
	for (size_t i = 0; i + 1 < n; i++)
		p[i] = S(BPF_LD | BPF_IMM, (uint32_t)i);
	p[n - 1] = RET_A;
	return p;
}

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct check_case *c = &cases[i];
		char log[256] = "";
		int err = uebpf_classic_check(c->n ? c->insns : NULL, c->n, log, sizeof(log));

		if (!c->error) {
			if (err)
				fail_msg("%s: refused: %s", c->name, log);
			continue;
		}
		if (err != -EINVAL)
			fail_msg("%s: accepted, expected '%s'", c->name, c->error);
		if (strncmp(log, c->error, strlen(c->error)))
			fail_msg("%s: message '%s', expected '%s...'", c->name, log, c->error);
	}
}

static void test_lengths(void **state)
{
	char log[256];
	struct sock_filter *p = long_program(UEBPF_CLASSIC_MAX_INSNS + 1);

	assert_int_equal(uebpf_classic_check(p + 1, UEBPF_CLASSIC_MAX_INSNS, log, sizeof(log)), 0);
	assert_int_equal(uebpf_classic_check(p, UEBPF_CLASSIC_MAX_INSNS + 1, log, sizeof(log)), -EINVAL);
	assert_string_equal(log, "program has 4097 instructions, more than 4096");
	/* libpcap allows longer programs; the loose rules do too */
	assert_int_equal(uebpf_classic_check_loose(p, UEBPF_CLASSIC_MAX_INSNS + 1, log, sizeof(log)), 0);
	free(p);
}

/* The loose rules: what the cBPF interpreter can run safely. */
static void test_loose(void **state)
{
	char log[256];
	const struct sock_filter backward[] = { S(BPF_LD | BPF_IMM, 0), S(BPF_JMP | BPF_JA, (uint32_t)-2), RET_A };
	const struct sock_filter before_start[] = { S(BPF_JMP | BPF_JA, (uint32_t)-2), RET_A };
	const struct sock_filter shift_k[] = { S(BPF_ALU | BPF_LSH | BPF_K, 40), RET_A };
	const struct sock_filter unwritten[] = { S(BPF_LD | BPF_MEM, 3), RET_A };
	const struct sock_filter unknown_anc[] = { S(BPF_LD | BPF_W | BPF_ABS, AD(100)), RET_A };
	const struct sock_filter ends_in_ja[] = { RET_K(1), S(BPF_JMP | BPF_JA, (uint32_t)-2) };
	const struct sock_filter falls_off[] = { RET_K(1), S(BPF_LD | BPF_IMM, 0) };
	const struct sock_filter ret_x[] = { S(BPF_RET | BPF_X, 0) };
	const struct sock_filter div0[] = { S(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A };

	assert_int_equal(uebpf_classic_check_loose(backward, 3, log, sizeof(log)), 0);
	assert_int_equal(uebpf_classic_check_loose(shift_k, 2, log, sizeof(log)), 0);
	assert_int_equal(uebpf_classic_check_loose(unwritten, 2, log, sizeof(log)), 0);
	assert_int_equal(uebpf_classic_check_loose(unknown_anc, 2, log, sizeof(log)), 0);
	assert_int_equal(uebpf_classic_check_loose(ends_in_ja, 2, log, sizeof(log)), 0);
	assert_int_equal(uebpf_classic_check_loose(before_start, 2, log, sizeof(log)), -EINVAL);
	assert_string_equal(log, "insn 0: jump outside the program (ja -2)");
	assert_int_equal(uebpf_classic_check_loose(falls_off, 2, log, sizeof(log)), -EINVAL);
	assert_string_equal(log, "insn 1: runs off the end of the program");
	assert_int_equal(uebpf_classic_check_loose(ret_x, 1, log, sizeof(log)), -EINVAL);
	assert_int_equal(uebpf_classic_check_loose(div0, 2, log, sizeof(log)), -EINVAL);
}

/* --- the kernel's verdicts --------------------------------------------------- */

static int sock = -1;
static const char *kernel_skip;

/* 0 if the kernel attaches the program, else -errno. */
static int kernel_attach(const struct sock_filter *insns, size_t n)
{
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = (struct sock_filter *)insns };

	if (n > 0xffff)
		return -EINVAL;
	return setsockopt(sock, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

static int kernel_setup(void **state)
{
	const struct sock_filter ok[] = { RET_K(0) };

	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0) {
		kernel_skip = "cannot create a socket";
		return 0;
	}
	int err = kernel_attach(ok, 1);
	if (err) {
		kernel_skip = "SO_ATTACH_FILTER is not permitted here";
		printf("kernel cross-check skipped: %s (%s)\n", kernel_skip, strerror(-err));
	}
	return 0;
}

static int kernel_teardown(void **state)
{
	if (sock >= 0)
		close(sock);
	return 0;
}

static void test_table_kernel(void **state)
{
	if (kernel_skip)
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct check_case *c = &cases[i];
		int err = kernel_attach(c->insns, c->n);
		if (err && err != -EINVAL)
			fail_msg("%s: SO_ATTACH_FILTER: %s", c->name, strerror(-err));
		if ((err == 0) != (c->error == NULL))
			fail_msg("%s: the kernel %s it", c->name, err ? "refuses" : "accepts");
	}
	struct sock_filter *p = long_program(UEBPF_CLASSIC_MAX_INSNS + 1);
	assert_int_equal(kernel_attach(p + 1, UEBPF_CLASSIC_MAX_INSNS), 0);
	assert_int_equal(kernel_attach(p, UEBPF_CLASSIC_MAX_INSNS + 1), -EINVAL);
	free(p);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Random programs biased towards the edges of each rule. */
static size_t random_program(struct sock_filter *p)
{
	static const uint32_t ks[] = { 0, 1, 2, 15, 16, 31, 32, 33, 0x7fffffff, 0xfffff000, 0xfffff004, 0xfffff028,
				       0xfffff03c, 0xfffff040, 0xfffff002, 0xfff00000, 0xffe00000, 0xffffffff,
				       (uint32_t)-2 };
	size_t n = 1 + rnd() % 8;

	for (size_t i = 0; i < n; i++) {
		uint16_t code = rnd() % 8 ? (uint16_t)(rnd() & 0xff) : (uint16_t)(rnd() & 0x1ff);
		/* bias towards the codes that exist: half of the draws */
		if (rnd() % 2) {
			static const uint16_t common[] = {
				BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
				BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX, BPF_JMP | BPF_JA,
				BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JGT | BPF_X, BPF_ALU | BPF_DIV | BPF_K,
				BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_MOD | BPF_K, BPF_LD | BPF_H | BPF_IND,
			};
			code = common[rnd() % (sizeof(common) / sizeof(common[0]))];
		}
		uint32_t k = rnd() % 2 ? ks[rnd() % (sizeof(ks) / sizeof(ks[0]))] : rnd() % 20;
		p[i] = (struct sock_filter){ code, (uint8_t)(rnd() % 4), (uint8_t)(rnd() % 4), k };
	}
	if (rnd() % 4)
		p[n - 1] = rnd() % 2 ? RET_A : RET_K(rnd());
	return n;
}

static void test_random_kernel(void **state)
{
	struct sock_filter p[8];
	size_t accepted = 0, refused = 0;

	if (kernel_skip)
		skip();
	for (int i = 0; i < 20000; i++) {
		size_t n = random_program(p);
		char log[256];
		int ours = uebpf_classic_check(p, n, log, sizeof(log));
		int kernel = kernel_attach(p, n);

		if (kernel && kernel != -EINVAL)
			fail_msg("program %d: SO_ATTACH_FILTER: %s", i, strerror(-kernel));
		if ((ours == 0) != (kernel == 0)) {
			for (size_t j = 0; j < n; j++)
				print_error("  { 0x%x, %u, %u, 0x%x }\n", p[j].code, p[j].jt, p[j].jf, p[j].k);
			fail_msg("program %d: uebpf %s (%s), the kernel %s", i, ours ? "refuses" : "accepts", ours ? log : "",
				 kernel ? "refuses" : "accepts");
		}
		ours ? refused++ : accepted++;
	}
	printf("20000 random programs: %zu accepted, %zu refused, all as the kernel\n", accepted, refused);
	/* the generator must exercise both sides */
	assert_true(accepted > 2000 && refused > 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_loose),
		cmocka_unit_test(test_table_kernel),
		cmocka_unit_test(test_random_kernel),
	};
	return cmocka_run_group_tests(tests, kernel_setup, kernel_teardown);
}
