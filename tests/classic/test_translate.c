/* Run-time semantics of classic filters on every runner (cBPF interpreter,
 * translation on the eBPF interpreter, translation on the JIT), in both
 * libpcap and kernel modes; the shape of the translation; the translation
 * run in the checked eBPF interpreter (it must touch nothing but the
 * descriptor, the packet and its stack); and, where a kernel lets us attach
 * filters to a socket, random programs in kernel mode against the kernel
 * itself. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <uebpf/classic.h>
#include <uebpf/uebpf.h>

#define S(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define J(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define AD(x) ((uint32_t)(SKF_AD_OFF + (x)))
#define NET(x) ((uint32_t)(SKF_NET_OFF + (x)))
#define LL(x) ((uint32_t)(SKF_LL_OFF + (x)))
#define RET_K(k) S(BPF_RET | BPF_K, k)
#define RET_A S(BPF_RET | BPF_A, 0)
#define TXA S(BPF_MISC | BPF_TXA, 0)
#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_CASE 8

static const char *const runner_names[] = { "cBPF interpreter", "eBPF interpreter", "JIT" };
static bool jit_missing;

/* An IPv4/TCP frame: Ethernet, IP with IHL 5, TCP with data offset 8. */
static uint8_t frame[80];

static void build_frame(void)
{
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 1);
	frame[12] = 0x08, frame[13] = 0x00;
	frame[14] = 0x45;
	frame[14 + 9] = 6;
	frame[14 + 6] = 0, frame[14 + 7] = 0;
	frame[34 + 12] = 0x80;
}

static struct uebpf_classic_pkt pkt_of(const uint8_t *data, uint32_t len)
{
	struct uebpf_classic_pkt p;
	uebpf_classic_pkt_init(&p, 1 /* DLT_EN10MB */, data, len, len);
	return p;
}

/* Run on every runner that takes the program; all must return want. */
static void expect(const char *name, const struct sock_filter *insns, size_t n, enum uebpf_classic_semantics sem,
		   const struct uebpf_classic_pkt *pkt, uint32_t want)
{
	bool kernel_valid = uebpf_classic_check(insns, n, NULL, 0) == 0;

	for (int r = 0; r < 3; r++) {
		struct uebpf_classic_opts o = { .sz = sizeof(o), .semantics = sem, .runner = r,
						.flags = UEBPF_CLASSIC_F_FALLBACK };
		struct uebpf_classic_prog *prog;
		char log[256];

		if (uebpf_classic_load(insns, n, &o, &prog, log, sizeof(log)))
			fail_msg("%s: %s", name, log);
		if (kernel_valid && uebpf_classic_prog_runner(prog) != (enum uebpf_classic_runner)r) {
			if (r != UEBPF_CLASSIC_RUN_JIT)
				fail_msg("%s: fell back: %s", name, log);
			if (!jit_missing)
				printf("JIT not available, that part is not tested: %s\n", log);
			jit_missing = true;
		}
		uint32_t got = uebpf_classic_run(prog, pkt);
		uebpf_classic_free(prog);
		if (got != want)
			fail_msg("%s (%s semantics): %s returns 0x%x, expected 0x%x", name,
				 sem == UEBPF_CLASSIC_KERNEL ? "kernel" : "libpcap", runner_names[r], got, want);
	}
}

struct sem_case {
	const char *name;
	size_t n;
	struct sock_filter insns[MAX_CASE];
	uint32_t len;     /* bytes of frame[] the packet has */
	uint32_t libpcap; /* expected result per semantics */
	uint32_t kernel;
};

#define BOTH(v) v, v

static const struct sem_case sem_cases[] = {
	{ "ld [10] inside", 2, { S(BPF_LD | BPF_W | BPF_ABS, 10), RET_A }, 14, BOTH(0x474e0800) },
	{ "ld [11] one byte past", 2, { S(BPF_LD | BPF_W | BPF_ABS, 11), RET_K(1) }, 14, BOTH(0) },
	{ "ldh [12] at the end", 2, { S(BPF_LD | BPF_H | BPF_ABS, 12), RET_A }, 14, BOTH(0x0800) },
	{ "ldb on an empty packet", 2, { S(BPF_LD | BPF_B | BPF_ABS, 0), RET_K(1) }, 0, BOTH(0) },
	{ "ld #pktlen", 2, { S(BPF_LD | BPF_W | BPF_LEN, 0), RET_A }, 33, BOTH(33) },
	{ "ldx #pktlen", 3, { S(BPF_LDX | BPF_W | BPF_LEN, 0), TXA, RET_A }, 21, BOTH(21) },
	{ "div x by zero", 4, { S(BPF_LDX | BPF_IMM, 0), S(BPF_LD | BPF_IMM, 5), S(BPF_ALU | BPF_DIV | BPF_X, 0), RET_K(7) },
	  14, BOTH(0) },
	{ "mod x by zero", 4, { S(BPF_LDX | BPF_IMM, 0), S(BPF_LD | BPF_IMM, 5), S(BPF_ALU | BPF_MOD | BPF_X, 0), RET_K(7) },
	  14, BOTH(0) },
	{ "div and mod x", 6,
	  { S(BPF_LDX | BPF_IMM, 7), S(BPF_LD | BPF_IMM, 100), S(BPF_ALU | BPF_DIV | BPF_X, 0), S(BPF_ST, 0),
	    S(BPF_ALU | BPF_MOD | BPF_K, 5), RET_A },
	  14, BOTH(4) },
	{ "lsh x by 33", 4, { S(BPF_LD | BPF_IMM, 1), S(BPF_LDX | BPF_IMM, 33), S(BPF_ALU | BPF_LSH | BPF_X, 0), RET_A },
	  14, 0, 2 },
	{ "rsh x by 32", 4,
	  { S(BPF_LD | BPF_IMM, 0x80000000), S(BPF_LDX | BPF_IMM, 32), S(BPF_ALU | BPF_RSH | BPF_X, 0), RET_A },
	  14, 0, 0x80000000 },
	{ "rsh x by 31", 4,
	  { S(BPF_LD | BPF_IMM, 0x80000000), S(BPF_LDX | BPF_IMM, 31), S(BPF_ALU | BPF_RSH | BPF_X, 0), RET_A },
	  14, BOTH(1) },
	{ "ldb [x + k] past 2^32", 3, { S(BPF_LDX | BPF_IMM, 0xffffffff), S(BPF_LD | BPF_B | BPF_IND, 2), RET_A },
	  14, 0, 8 },
	{ "ldh [x + k] inside", 3, { S(BPF_LDX | BPF_IMM, 10), S(BPF_LD | BPF_H | BPF_IND, 2), RET_A }, 14, BOTH(0x0800) },
	{ "ld [x + k] past the end", 3, { S(BPF_LDX | BPF_IMM, 10), S(BPF_LD | BPF_W | BPF_IND, 1), RET_K(1) }, 14, BOTH(0) },
	{ "ld [x + SKF_NET_OFF]", 3, { S(BPF_LDX | BPF_IMM, 0), S(BPF_LD | BPF_W | BPF_IND, NET(0)), RET_A },
	  40, BOTH(0x456a7178) },
	{ "ldh [SKF_NET_OFF + 6]", 2, { S(BPF_LD | BPF_H | BPF_ABS, NET(6)), RET_A }, 40, BOTH(0) },
	{ "ldb [SKF_NET_OFF + 9]", 2, { S(BPF_LD | BPF_B | BPF_ABS, NET(9)), RET_A }, 40, BOTH(6) },
	{ "ldb [SKF_NET_OFF + 30] past the end", 2, { S(BPF_LD | BPF_B | BPF_ABS, NET(30)), RET_K(1) }, 40, BOTH(0) },
	{ "ldb [SKF_LL_OFF + 3]", 2, { S(BPF_LD | BPF_B | BPF_ABS, LL(3)), RET_A }, 14, BOTH(22) },
	{ "ldb below SKF_LL_OFF", 2, { S(BPF_LD | BPF_B | BPF_ABS, LL(-1)), RET_K(1) }, 14, BOTH(0) },
	{ "ldxb 4*([14]&0xf)", 3, { S(BPF_LDX | BPF_B | BPF_MSH, 14), TXA, RET_A }, 40, BOTH(20) },
	{ "ldxb 4*([k]&0xf) past the end", 3, { S(BPF_LDX | BPF_B | BPF_MSH, 14), TXA, RET_K(1) }, 14, BOTH(0) },
	{ "ldxb 4*([SKF_NET_OFF]&0xf) keeps A", 4,
	  { S(BPF_LD | BPF_IMM, 7), S(BPF_LDX | BPF_B | BPF_MSH, NET(0)), S(BPF_ALU | BPF_ADD | BPF_X, 0), RET_A },
	  40, BOTH(27) },
	{ "ldb [40000] far away", 2, { S(BPF_LD | BPF_B | BPF_ABS, 40000), RET_K(1) }, 80, BOTH(0) },
	{ "jgt with the top bit of k", 4,
	  { S(BPF_LD | BPF_IMM, 0x80000000), J(BPF_JMP | BPF_JGT | BPF_K, 0x7fffffff, 0, 1), RET_K(1), RET_K(2) },
	  14, BOTH(1) },
	{ "jge k 0xffffffff", 4,
	  { S(BPF_LD | BPF_IMM, 0xfffffffe), J(BPF_JMP | BPF_JGE | BPF_K, 0xffffffff, 0, 1), RET_K(1), RET_K(2) },
	  14, BOTH(2) },
	{ "jset, then jeq x", 7,
	  { S(BPF_LD | BPF_IMM, 0x10), J(BPF_JMP | BPF_JSET | BPF_K, 0x30, 1, 0), RET_K(9), S(BPF_LDX | BPF_IMM, 0x10),
	    J(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1), RET_K(3), RET_K(4) },
	  14, BOTH(3) },
	{ "neg", 3, { S(BPF_LD | BPF_IMM, 5), S(BPF_ALU | BPF_NEG, 0), RET_A }, 14, BOTH(0xfffffffb) },
	{ "ret #0xffffffff", 1, { RET_K(0xffffffff) }, 14, BOTH(0xffffffff) },
	{ "scratch slots", 8,
	  { S(BPF_LD | BPF_IMM, 3), S(BPF_ST, 0), S(BPF_LDX | BPF_IMM, 4), S(BPF_STX, 15), S(BPF_LD | BPF_MEM, 15),
	    S(BPF_LDX | BPF_MEM, 0), S(BPF_ALU | BPF_MUL | BPF_X, 0), RET_A },
	  14, BOTH(12) },
	{ "alu with k", 8,
	  { S(BPF_LD | BPF_IMM, 0xf0), S(BPF_ALU | BPF_ADD | BPF_K, 0x10), S(BPF_ALU | BPF_SUB | BPF_K, 1),
	    S(BPF_ALU | BPF_OR | BPF_K, 0x100), S(BPF_ALU | BPF_AND | BPF_K, 0x1f0), S(BPF_ALU | BPF_XOR | BPF_K, 0x3),
	    S(BPF_ALU | BPF_LSH | BPF_K, 4), RET_A },
	  14, BOTH(0x1f30) },
	{ "ld [xor_x]", 4,
	  { S(BPF_LD | BPF_IMM, 0xf0), S(BPF_LDX | BPF_IMM, 0xff), S(BPF_LD | BPF_W | BPF_ABS, AD(SKF_AD_ALU_XOR_X)), RET_A },
	  14, BOTH(0x0f) },
	{ "ldb [proto] (any size)", 2, { S(BPF_LD | BPF_B | BPF_ABS, AD(SKF_AD_PROTOCOL)), RET_A }, 14, BOTH(0x800) },
	{ "ld [poff]", 2, { S(BPF_LD | BPF_W | BPF_ABS, AD(SKF_AD_PAY_OFFSET)), RET_A }, 80, BOTH(14 + 20 + 32) },
	{ "a loop (backward ja)", 5,
	  { S(BPF_LD | BPF_IMM, 0), S(BPF_ALU | BPF_ADD | BPF_K, 1), J(BPF_JMP | BPF_JGT | BPF_K, 10, 0, 1), RET_A,
	    S(BPF_JMP | BPF_JA, (uint32_t)-4) },
	  14, BOTH(11) },
	{ "an endless loop", 2, { RET_K(1), S(BPF_JMP | BPF_JA, (uint32_t)-1) }, 14, BOTH(1) },
	{ "an endless loop, entered", 2, { S(BPF_JMP | BPF_JA, (uint32_t)0), S(BPF_JMP | BPF_JA, (uint32_t)-1) }, 14,
	  BOTH(0) },
	{ "shift by k 40 (libpcap only)", 3, { S(BPF_LD | BPF_IMM, 1), S(BPF_ALU | BPF_LSH | BPF_K, 40), RET_A }, 14, 0,
	  1 << 8 },
	{ "unwritten scratch reads 0", 2, { S(BPF_LD | BPF_MEM, 4), RET_A }, 14, BOTH(0) },
};

static void test_semantics(void **state)
{
	for (size_t i = 0; i < N(sem_cases); i++) {
		const struct sem_case *c = &sem_cases[i];
		struct uebpf_classic_pkt pkt = pkt_of(frame, c->len);
		expect(c->name, c->insns, c->n, UEBPF_CLASSIC_LIBPCAP, &pkt, c->libpcap);
		expect(c->name, c->insns, c->n, UEBPF_CLASSIC_KERNEL, &pkt, c->kernel);
	}
	/* the far load again, on a packet long enough */
	static uint8_t big[40001];
	big[40000] = 0x5a;
	const struct sock_filter far[] = { S(BPF_LD | BPF_B | BPF_ABS, 40000), RET_A };
	struct uebpf_classic_pkt pkt = pkt_of(big, sizeof(big));
	expect("ldb [40000]", far, 2, UEBPF_CLASSIC_LIBPCAP, &pkt, 0x5a);
}

/* Every ancillary field from the descriptor, at every load size. */
static void test_ancillary(void **state)
{
	struct uebpf_classic_pkt pkt = pkt_of(frame, 40);
	static const struct {
		uint32_t ad, want;
	} fields[] = {
		{ SKF_AD_PROTOCOL, 0x86dd }, { SKF_AD_PKTTYPE, 4 },     { SKF_AD_IFINDEX, 0x12345 },
		{ SKF_AD_MARK, 0xdeadbeef },  { SKF_AD_QUEUE, 3 },       { SKF_AD_HATYPE, 772 },
		{ SKF_AD_RXHASH, 0xfeedf00d }, { SKF_AD_VLAN_TAG, 0x2064 }, { SKF_AD_VLAN_TAG_PRESENT, 1 },
		{ SKF_AD_VLAN_TPID, 0x88a8 },
	};
	pkt.protocol = 0x86dd;
	pkt.pkttype = 4;
	pkt.ifindex = 0x12345;
	pkt.mark = 0xdeadbeef;
	pkt.queue = 3;
	pkt.hatype = 772;
	pkt.rxhash = 0xfeedf00d;
	pkt.vlan_tci = 0x2064;
	pkt.vlan_present = 1;
	pkt.vlan_tpid = 0x88a8;
	for (size_t i = 0; i < N(fields); i++) {
		static const uint16_t sizes[] = { BPF_W, BPF_H, BPF_B };
		for (size_t s = 0; s < 3; s++) {
			const struct sock_filter p[] = { S(BPF_LD | sizes[s] | BPF_ABS, AD(fields[i].ad)), RET_A };
			char name[64];
			snprintf(name, sizeof(name), "ancillary %u size %u", fields[i].ad, sizes[s]);
			expect(name, p, 2, UEBPF_CLASSIC_LIBPCAP, &pkt, fields[i].want);
		}
	}

	/* netlink attributes: {len 8, type 1} {len 6, type 5, padded} {len 20,
	 * type 2 nesting {len 8, type 3} {len 8, type 4}} */
	uint8_t nl[44] = { 0 };
	const uint16_t attrs[][3] = { { 0, 8, 1 }, { 8, 6, 5 }, { 16, 20, 2 }, { 20, 8, 3 }, { 28, 8, 4 }, { 36, 8, 9 } };
	for (size_t i = 0; i < N(attrs); i++) {
		memcpy(nl + attrs[i][0], &attrs[i][1], 2);
		memcpy(nl + attrs[i][0] + 2, &attrs[i][2], 2);
	}
	struct uebpf_classic_pkt nlpkt;
	uebpf_classic_pkt_init(&nlpkt, 253 /* DLT_NETLINK */, nl, sizeof(nl), sizeof(nl));
	static const struct {
		uint32_t a, x, ad, want;
	} finds[] = {
		{ 0, 5, SKF_AD_NLATTR, 8 },       { 0, 2, SKF_AD_NLATTR, 16 },       { 0, 9, SKF_AD_NLATTR, 36 },
		{ 0, 3, SKF_AD_NLATTR, 0 },       { 16, 4, SKF_AD_NLATTR_NEST, 28 }, { 16, 9, SKF_AD_NLATTR_NEST, 0 },
		{ 41, 1, SKF_AD_NLATTR, 0 },      { 40, 1, SKF_AD_NLATTR_NEST, 0 },
	};
	for (size_t i = 0; i < N(finds); i++) {
		const struct sock_filter p[] = { S(BPF_LD | BPF_IMM, finds[i].a), S(BPF_LDX | BPF_IMM, finds[i].x),
						 S(BPF_LD | BPF_W | BPF_ABS, AD(finds[i].ad)), RET_A };
		char name[64];
		snprintf(name, sizeof(name), "nlattr A=%u X=%u", finds[i].a, finds[i].x);
		expect(name, p, 4, UEBPF_CLASSIC_KERNEL, &nlpkt, finds[i].want);
	}

	/* cpu and random: values we cannot predict, from every runner */
	const struct sock_filter cpu[] = { S(BPF_LD | BPF_W | BPF_ABS, AD(SKF_AD_CPU)), S(BPF_ALU | BPF_ADD | BPF_K, 1),
					   RET_A };
	const struct sock_filter rnd[] = { S(BPF_LD | BPF_W | BPF_ABS, AD(SKF_AD_RANDOM)), RET_A };
	for (int r = 0; r < 3; r++) {
		struct uebpf_classic_opts o = { .sz = sizeof(o), .runner = r, .flags = UEBPF_CLASSIC_F_FALLBACK };
		struct uebpf_classic_prog *p1, *p2;
		assert_int_equal(uebpf_classic_load(cpu, 3, &o, &p1, NULL, 0), 0);
		assert_int_equal(uebpf_classic_load(rnd, 2, &o, &p2, NULL, 0), 0);
		uint32_t c = uebpf_classic_run(p1, &pkt);
		assert_true(c >= 1 && c <= 65536);
		uint32_t r1 = uebpf_classic_run(p2, &pkt), r2 = uebpf_classic_run(p2, &pkt), r3 = uebpf_classic_run(p2, &pkt);
		assert_false(r1 == r2 && r2 == r3);
		uebpf_classic_free(p1);
		uebpf_classic_free(p2);
	}
}

/* `tcp port 80` as tcpdump -dd prints it for Ethernet, and the HTTP GET
 * test with indirect loads. */
static const struct sock_filter tcp_port_80[] = {
	{ 0x28, 0, 0, 0x0000000c }, { 0x15, 0, 6, 0x000086dd }, { 0x30, 0, 0, 0x00000014 }, { 0x15, 0, 15, 0x00000006 },
	{ 0x28, 0, 0, 0x00000036 }, { 0x15, 12, 0, 0x00000050 }, { 0x28, 0, 0, 0x00000038 }, { 0x15, 10, 11, 0x00000050 },
	{ 0x15, 0, 10, 0x00000800 }, { 0x30, 0, 0, 0x00000017 }, { 0x15, 0, 8, 0x00000006 }, { 0x28, 0, 0, 0x00000014 },
	{ 0x45, 6, 0, 0x00001fff }, { 0xb1, 0, 0, 0x0000000e }, { 0x48, 0, 0, 0x0000000e }, { 0x15, 2, 0, 0x00000050 },
	{ 0x48, 0, 0, 0x00000010 }, { 0x15, 0, 1, 0x00000050 }, { 0x6, 0, 0, 0x00040000 }, { 0x6, 0, 0, 0x00000000 },
};
static const struct sock_filter http_get[] = {
	{ 0x28, 0, 0, 12 }, { 0x15, 0, 13, 0x800 }, { 0x30, 0, 0, 23 },   { 0x15, 0, 11, 6 },
	{ 0x28, 0, 0, 20 }, { 0x45, 9, 0, 0x1fff }, { 0xb1, 0, 0, 14 },   { 0x50, 0, 0, 26 },
	{ 0x54, 0, 0, 0xf0 }, { 0x74, 0, 0, 2 },    { 0x0c, 0, 0, 0 },    { 0x07, 0, 0, 0 },
	{ 0x40, 0, 0, 14 }, { 0x15, 0, 1, 0x47455420 }, { 0x6, 0, 0, 262144 }, { 0x6, 0, 0, 0 },
};

/* Packet loads are direct loads from the data pointer (r8): no helper call
 * for constant offsets, and for indirect ones only on the path where the
 * bounds check failed. A constant-offset check is left out where every path
 * has checked as far already. */
static void test_shape(void **state)
{
	struct bpf_insn *e;
	size_t n;
	char log[256];

	assert_int_equal(uebpf_classic_translate(tcp_port_80, N(tcp_port_80), UEBPF_CLASSIC_LIBPCAP, &e, &n, log,
						 sizeof(log)),
			 0);
	size_t direct = 0, calls = 0, end_checks = 0;
	for (size_t i = 0; i < n; i++) {
		/* a packet load from r4 (the data) or r2 (data + X + k) */
		direct += BPF_CLASS(e[i].code) == BPF_LDX && (e[i].src_reg == BPF_REG_4 || e[i].src_reg == BPF_REG_2);
		calls += e[i].code == (BPF_JMP | BPF_CALL);
		/* compared with data_end (r5) */
		end_checks += e[i].code == (BPF_JMP | BPF_JGT | BPF_X) && e[i].src_reg == BPF_REG_5;
	}
	/* 9 packet loads in the cBPF program, 9 direct loads; the only calls
	 * are the slow paths of the two ldh [x + k], after a failed check */
	assert_int_equal(direct, 9);
	assert_int_equal(calls, 2);
	/* compared with data_end: ldh [12], then on the IPv6 path ldb [20],
	 * ldh [54], ldh [56]; on the IPv4 path ldb [23] but not ldh [20] nor
	 * ldxb 4*([14]&0xf), which lie below 24; and the two ldh [x + k] */
	assert_int_equal(end_checks, 7);
	free(e);

	/* only loads at constant offsets: no call at all */
	const struct sock_filter fixed[] = { S(BPF_LD | BPF_H | BPF_ABS, 12), J(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 1),
					     RET_K(1), RET_K(0) };
	assert_int_equal(uebpf_classic_translate(fixed, N(fixed), UEBPF_CLASSIC_LIBPCAP, &e, &n, log, sizeof(log)), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(e[i].code, BPF_JMP | BPF_CALL);
	free(e);

	/* instructions no path reaches (the kernel's checker allows them, the
	 * eBPF verifier would refuse them) are left out, and the rest loads
	 * without falling back */
	const struct sock_filter dead[] = { S(BPF_JMP | BPF_JA, 1), S(BPF_LD | BPF_H | BPF_ABS, 12), RET_K(2) };
	assert_int_equal(uebpf_classic_translate(dead, N(dead), UEBPF_CLASSIC_LIBPCAP, &e, &n, log, sizeof(log)), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(BPF_CLASS(e[i].code), BPF_LDX);
	free(e);
	struct uebpf_classic_opts o = { .sz = sizeof(o), .runner = UEBPF_CLASSIC_RUN_INTERP };
	struct uebpf_classic_prog *prog;
	assert_int_equal(uebpf_classic_load(dead, N(dead), &o, &prog, log, sizeof(log)), 0);
	struct uebpf_classic_pkt pkt;
	uebpf_classic_pkt_init(&pkt, 1, frame, 14, 14);
	assert_int_equal(uebpf_classic_run(prog, &pkt), 2);
	uebpf_classic_free(prog);

	/* a program the kernel refuses is not translated */
	const struct sock_filter back[] = { S(BPF_JMP | BPF_JA, 0), S(BPF_JMP | BPF_JA, (uint32_t)-2), RET_K(0) };
	assert_int_equal(uebpf_classic_translate(back, 3, UEBPF_CLASSIC_LIBPCAP, &e, &n, log, sizeof(log)), -EINVAL);
	assert_string_equal(log, "insn 1: jump backwards (ja -2)");
	assert_null(e);
}

/* The translation run by the *checked* eBPF interpreter, with only the
 * descriptor, the packet bytes and the stack accessible: any access outside
 * them is a fault. Results must equal the cBPF interpreter's. */
static uint32_t run_checked(const struct sock_filter *insns, size_t n, enum uebpf_classic_semantics sem,
			    const struct uebpf_classic_pkt *pkt)
{
	struct bpf_insn *e;
	size_t en;
	char log[256];

	if (uebpf_classic_translate(insns, n, sem, &e, &en, log, sizeof(log)))
		fail_msg("translate: %s", log);
	struct uebpf_helper_table *t = uebpf_helper_table_new();
	assert_non_null(t);
	assert_int_equal(uebpf_classic_helpers_register(t), 0);
	struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = UEBPF_ENGINE_INTERP, .helpers = t };
	struct uebpf_prog *prog;
	if (uebpf_prog_load(e, en, &o, &prog, log, sizeof(log)))
		fail_msg("load: %s", log);
	if (pkt->caplen)
		assert_int_equal(uebpf_prog_add_region(prog, (void *)pkt->data, pkt->caplen, false), 0);
	uint64_t ret;
	if (uebpf_prog_run(prog, (void *)pkt, sizeof(*pkt), &ret, log, sizeof(log)))
		fail_msg("checked run faults: %s", log);
	uebpf_prog_free(prog);
	uebpf_helper_table_free(t);
	free(e);
	return (uint32_t)ret;
}

static void test_checked(void **state)
{
	for (size_t i = 0; i < N(sem_cases); i++) {
		const struct sem_case *c = &sem_cases[i];
		if (uebpf_classic_check(c->insns, c->n, NULL, 0))
			continue;
		struct uebpf_classic_pkt pkt = pkt_of(frame, c->len);
		assert_int_equal(run_checked(c->insns, c->n, UEBPF_CLASSIC_LIBPCAP, &pkt), c->libpcap);
		assert_int_equal(run_checked(c->insns, c->n, UEBPF_CLASSIC_KERNEL, &pkt), c->kernel);
	}
	for (uint32_t len = 0; len <= sizeof(frame); len++) {
		/* an exact-size copy: ASan sees any byte read past the capture */
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, frame, len);
		copy[len > 47 ? 47 : 0] ^= (uint8_t)len; /* vary the TCP ports/offsets */
		struct uebpf_classic_pkt pkt = pkt_of(copy, len);
		const struct sock_filter *progs[] = { tcp_port_80, http_get };
		size_t lens[] = { N(tcp_port_80), N(http_get) };
		for (int p = 0; p < 2; p++) {
			struct uebpf_classic_prog *cp;
			assert_int_equal(uebpf_classic_load(progs[p], lens[p], NULL, &cp, NULL, 0), 0);
			assert_int_equal(run_checked(progs[p], lens[p], UEBPF_CLASSIC_LIBPCAP, &pkt), uebpf_classic_run(cp, &pkt));
			uebpf_classic_free(cp);
		}
		free(copy);
	}
}

/* --- kernel semantics against the kernel ------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static uint32_t interesting_k(void)
{
	static const uint32_t ks[] = { 0, 1, 2, 3, 4, 7, 8, 14, 31, 32, 33, 63, 64, 100, 255, 1000, 2047, 0x7fffffff,
				       0x80000000, 0xfffffff0, 0xfffffffe, 0xffffffff };
	return rnd() % 3 ? ks[rnd() % N(ks)] : rnd();
}

/* A random program the kernel's rules accept, ending in a shared tail that
 * keeps A below 2048 so the socket shows it as the received length. */
static size_t random_program(struct sock_filter *p, size_t cap)
{
	static const uint16_t alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND,
					    BPF_OR,  BPF_XOR, BPF_LSH, BPF_RSH };
	static const uint16_t jmp_ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
	static const uint16_t sizes[] = { BPF_W, BPF_H, BPF_B };
	size_t body = 4 + rnd() % 20, n = 0;
	uint16_t written = 0;

	assert_true(body + 3 <= cap);
	for (size_t i = 0; i < body; i++) {
		uint32_t k = interesting_k();
		size_t left = body - i; /* jumps may land anywhere up to the tail */
		switch (rnd() % 12) {
		case 0:
			p[n++] = S(BPF_LD | sizes[rnd() % 3] | BPF_ABS, rnd() % 2 ? rnd() % 64 : k % 0x7fffffff);
			break;
		case 1:
			p[n++] = S(BPF_LD | sizes[rnd() % 3] | BPF_IND, rnd() % 2 ? rnd() % 64 : k);
			break;
		case 2:
			p[n++] = S(BPF_LDX | BPF_B | BPF_MSH, rnd() % 64);
			break;
		case 3:
			p[n++] = S(rnd() % 2 ? BPF_LD | BPF_IMM : BPF_LDX | BPF_IMM, k);
			break;
		case 4:
			p[n++] = S(rnd() % 2 ? BPF_LD | BPF_W | BPF_LEN : BPF_LDX | BPF_W | BPF_LEN, 0);
			break;
		case 5: {
			uint16_t op = alu_ops[rnd() % N(alu_ops)];
			if (rnd() % 2) {
				p[n++] = S(BPF_ALU | op | BPF_X, 0);
			} else {
				if ((op == BPF_DIV || op == BPF_MOD) && k == 0)
					k = 3;
				if (op == BPF_LSH || op == BPF_RSH)
					k %= 32;
				p[n++] = S(BPF_ALU | op | BPF_K, k);
			}
			break;
		}
		case 6:
			p[n++] = S(BPF_ALU | BPF_NEG, 0);
			break;
		case 7:
			p[n++] = S(rnd() % 2 ? BPF_MISC | BPF_TAX : BPF_MISC | BPF_TXA, 0);
			break;
		case 8: {
			uint32_t slot = rnd() % 4;
			p[n++] = S(rnd() % 2 ? BPF_ST : BPF_STX, slot);
			written |= (uint16_t)(1u << slot);
			break;
		}
		case 9:
			/* only slots stored on the straight-line path so far: still
			 * refused after a jump, the check below drops those */
			if (written) {
				uint32_t slot;
				do
					slot = rnd() % 4;
				while (!(written & (1u << slot)));
				p[n++] = S(rnd() % 2 ? BPF_LD | BPF_MEM : BPF_LDX | BPF_MEM, slot);
			}
			break;
		case 10:
			p[n++] = J(BPF_JMP | jmp_ops[rnd() % N(jmp_ops)] | (rnd() % 2 ? BPF_X : BPF_K), k,
				   (uint8_t)(rnd() % left), (uint8_t)(rnd() % left));
			break;
		default:
			p[n++] = rnd() % 4 ? RET_A : RET_K(rnd() % 2048);
			break;
		}
	}
	/* the tail: pad the body to its planned length so jumps stay in range */
	while (n < body)
		p[n++] = S(BPF_MISC | BPF_TXA, 0);
	p[n++] = S(BPF_ALU | BPF_AND | BPF_K, 0x7ff);
	p[n++] = RET_A;
	return n;
}

static void test_kernel_semantics(void **state)
{
	int sv[2];
	struct sock_filter p[32];
	uint8_t payload[2048], buf[4096];
	size_t programs = 0, packets = 0, dropped = 0;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		printf("skip: kernel comparison: socketpair: %s\n", strerror(errno));
		skip();
	}
	int sndbuf = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	const struct sock_filter accept_all[] = { RET_K(0xffffffff) };
	struct sock_fprog fp = { 1, (struct sock_filter *)accept_all };
	if (setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp))) {
		printf("skip: kernel comparison: SO_ATTACH_FILTER: %s\n", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		skip();
	}

	while (programs < 3000) {
		size_t n = random_program(p, N(p));
		if (uebpf_classic_check(p, n, NULL, 0))
			continue;
		fp = (struct sock_fprog){ (unsigned short)n, p };
		if (setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)))
			fail_msg("the kernel refuses a program uebpf accepts: %s", strerror(errno));
		programs++;

		struct uebpf_classic_prog *progs[3];
		for (int r = 0; r < 3; r++) {
			struct uebpf_classic_opts o = { .sz = sizeof(o), .semantics = UEBPF_CLASSIC_KERNEL, .runner = r,
							.flags = UEBPF_CLASSIC_F_FALLBACK };
			char log[256];
			assert_int_equal(uebpf_classic_load(p, n, &o, &progs[r], log, sizeof(log)), 0);
			if (uebpf_classic_prog_runner(progs[r]) != (enum uebpf_classic_runner)r &&
			    !(r == UEBPF_CLASSIC_RUN_JIT && jit_missing))
				fail_msg("program %zu: the %s fell back: %s", programs, runner_names[r], log);
		}
		for (int t = 0; t < 4; t++) {
			size_t len = 1 + rnd() % sizeof(payload);
			for (size_t i = 0; i < len; i++)
				payload[i] = (uint8_t)rnd();
			if (send(sv[0], payload, len, 0) != (ssize_t)len)
				fail_msg("send: %s", strerror(errno));
			/* the kernel keeps max(1, ret) bytes, or drops the packet on 0 */
			ssize_t got = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
			if (got < 0 && errno != EAGAIN)
				fail_msg("recv: %s", strerror(errno));

			struct uebpf_classic_pkt pkt;
			uebpf_classic_pkt_init(&pkt, -1, payload, (uint32_t)len, (uint32_t)len);
			for (int r = 0; r < 3; r++) {
				uint32_t ret = uebpf_classic_run(progs[r], &pkt);
				ssize_t want = ret == 0 ? -1 : (ssize_t)(ret < len ? ret : len);
				if (want != got) {
					for (size_t j = 0; j < n; j++)
						print_error("  { 0x%02x, %u, %u, 0x%08x },\n", p[j].code, p[j].jt, p[j].jf, p[j].k);
					fail_msg("program %zu, %zu-byte packet: the kernel keeps %zd bytes, the %s %zd", programs,
						 len, got, runner_names[r], want);
				}
			}
			packets++;
			dropped += got < 0;
		}
		for (int r = 0; r < 3; r++)
			uebpf_classic_free(progs[r]);
	}
	close(sv[0]);
	close(sv[1]);
	printf("%zu random programs on %zu packets agree with the kernel (%zu dropped)\n", programs, packets, dropped);
	assert_true(dropped > packets / 20 && dropped < packets - packets / 20);
}

static int setup(void **state)
{
	build_frame();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_ancillary),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_checked),
		cmocka_unit_test(test_kernel_semantics),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
