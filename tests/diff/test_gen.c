/* The random program generator (tests/lib/gen.c) under every combination of
 * its options: programs are deterministic from the seed, pass the instruction
 * check, run in the checked interpreter without a fault, give the same result
 * unchecked, and together use every instruction form the generator promises. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/uebpf.h>

#include "gen.h"

#define PROGRAMS_PER_COMBO 250
#define MEM_LEN 48
#define MAX_BODY 120
#define CAP (8 * MAX_BODY + 256)

/* Instruction forms: opcode plus the field that selects a variant (off for
 * sdiv/smod and movsx, imm for byte swaps and atomics). */
#define VARIANTS 32
static bool seen[256][VARIANTS];

static int variant(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	if ((cls == BPF_ALU || cls == BPF_ALU64) && (op == BPF_DIV || op == BPF_MOD))
		return in->off;
	if ((cls == BPF_ALU || cls == BPF_ALU64) && op == BPF_MOV && BPF_SRC(in->code) == BPF_X)
		return in->off / 8;
	if ((cls == BPF_ALU || cls == BPF_ALU64) && op == BPF_END)
		return in->imm / 16;
	if (in->code == (BPF_STX | BPF_ATOMIC | BPF_W) || in->code == (BPF_STX | BPF_ATOMIC | BPF_DW))
		return (in->imm >> 4) | ((in->imm & BPF_FETCH) ? 16 : 0);
	if (in->code == (BPF_JMP | BPF_CALL))
		return in->src_reg;
	return 0;
}

static void expect(uint8_t code, int v, int *missing)
{
	if (!seen[code][v]) {
		printf("never generated: opcode 0x%02x variant %d\n", code, v);
		(*missing)++;
	}
}

/* Every form the generator's contract names, with all options on. */
static int check_coverage(void)
{
	static const uint8_t alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH,
					   BPF_RSH, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH };
	static const uint8_t jmp_ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
					   BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE };
	static const uint8_t sizes[] = { BPF_B, BPF_H, BPF_W, BPF_DW };
	static const int atomic_ops[] = { BPF_ADD, BPF_OR, BPF_AND, BPF_XOR };
	int missing = 0;

	for (int c = 0; c < 2; c++) {
		uint8_t cls = c ? BPF_ALU64 : BPF_ALU;
		for (size_t i = 0; i < sizeof(alu_ops); i++)
			for (int src = 0; src <= BPF_X; src += BPF_X)
				expect(cls | alu_ops[i] | src, 0, &missing);
		for (int src = 0; src <= BPF_X; src += BPF_X) {
			expect(cls | BPF_DIV | src, 1, &missing);
			expect(cls | BPF_MOD | src, 1, &missing);
		}
		for (int v = 1; v <= (c ? 4 : 2); v *= 2)
			expect(cls | BPF_MOV | BPF_X, v, &missing);
		expect(cls | BPF_NEG, 0, &missing);
		for (int v = 1; v <= 4; v *= 2) {
			expect(cls | BPF_END | BPF_TO_LE, v, &missing);
			if (!c)
				expect(cls | BPF_END | BPF_TO_BE, v, &missing);
		}
		uint8_t jcls = c ? BPF_JMP : BPF_JMP32;
		for (size_t i = 0; i < sizeof(jmp_ops); i++) {
			expect(jcls | jmp_ops[i] | BPF_K, 0, &missing);
			expect(jcls | jmp_ops[i] | BPF_X, 0, &missing);
		}
		expect(jcls | BPF_JA, 0, &missing);
	}
	for (size_t i = 0; i < sizeof(sizes); i++) {
		expect(BPF_LDX | BPF_MEM | sizes[i], 0, &missing);
		expect(BPF_STX | BPF_MEM | sizes[i], 0, &missing);
		expect(BPF_ST | BPF_MEM | sizes[i], 0, &missing);
		if (sizes[i] != BPF_DW)
			expect(BPF_LDX | BPF_MEMSX | sizes[i], 0, &missing);
	}
	for (int w = 0; w < 2; w++) {
		uint8_t code = BPF_STX | BPF_ATOMIC | (w ? BPF_DW : BPF_W);
		for (size_t i = 0; i < 4; i++) {
			expect(code, atomic_ops[i] >> 4, &missing);
			expect(code, (atomic_ops[i] >> 4) | 16, &missing);
		}
		expect(code, (BPF_XCHG >> 4) | 16, &missing);
		expect(code, (BPF_CMPXCHG >> 4) | 16, &missing);
	}
	expect(BPF_LD | BPF_IMM | BPF_DW, 0, &missing);
	expect(BPF_JMP | BPF_CALL, 0, &missing);
	expect(BPF_JMP | BPF_CALL, BPF_PSEUDO_CALL, &missing);
	expect(BPF_JMP | BPF_EXIT, 0, &missing);
	return missing;
}

static int run(const struct bpf_insn *prog, size_t n, const struct uebpf_helper_table *helpers, uint32_t flags,
	       const uint8_t *input, uint8_t *mem, uint64_t *r0, char *log, size_t log_sz)
{
	struct uebpf_prog_opts po = { .sz = sizeof(po), .engine = UEBPF_ENGINE_INTERP, .flags = flags,
				      .helpers = helpers };
	struct uebpf_prog *p;
	int err = uebpf_prog_load(prog, n, &po, &p, log, log_sz);
	if (err)
		return err;
	memcpy(mem, input, MEM_LEN);
	err = uebpf_prog_run(p, mem, MEM_LEN, r0, log, log_sz);
	uebpf_prog_free(p);
	return err;
}

/* One program; returns 0 or 1 (a failure, already printed). */
static int check_one(uint64_t seed, const struct gen_opts *base, const struct uebpf_helper_table *helpers)
{
	static struct bpf_insn prog[CAP], again[CAP];
	struct gen_rng rng = { seed };
	struct gen_opts o = *base;
	o.body_insns = gen_rand(&rng) % MAX_BODY;
	uint8_t input[MEM_LEN], mem_c[MEM_LEN], mem_u[MEM_LEN];
	for (size_t i = 0; i < MEM_LEN; i++)
		input[i] = (uint8_t)gen_rand(&rng);
	struct gen_rng rng2 = rng;
	size_t n = gen_program(&rng, &o, prog, CAP);
	size_t n2 = gen_program(&rng2, &o, again, CAP);
	const char *why = NULL;
	char log[256] = "";
	uint64_t r0_c = 0, r0_u = 0;
	int err;

	if (!n)
		why = "no program generated";
	else if (n != n2 || memcmp(prog, again, n * sizeof(*prog)))
		why = "not deterministic";
	else if (uebpf_insns_check(prog, n, log, sizeof(log)))
		why = "uebpf_insns_check";
	else if ((err = run(prog, n, helpers, 0, input, mem_c, &r0_c, log, sizeof(log))))
		why = "checked run";
	else if ((err = run(prog, n, helpers, UEBPF_F_VERIFIED, input, mem_u, &r0_u, log, sizeof(log))))
		why = "unchecked run";
	else if (r0_c != r0_u || memcmp(mem_c, mem_u, MEM_LEN))
		why = "checked and unchecked runs differ";
	if (!why) {
		for (size_t i = 0; i < n; i += uebpf_insn_slots(&prog[i])) {
			int v = variant(&prog[i]);
			if (v >= 0 && v < VARIANTS)
				seen[prog[i].code][v] = true;
		}
		return 0;
	}
	printf("seed %llu (calls %d atomics %d helpers %d kernel_compatible %d): %s: %s\n", (unsigned long long)seed,
	       o.calls, o.atomics, o.helpers, o.kernel_compatible, why, log);
	printf("r0 checked 0x%llx, unchecked 0x%llx\n", (unsigned long long)r0_c, (unsigned long long)r0_u);
	uebpf_disasm(prog, n, UEBPF_ASM_STYLE_UEBPF, stdout);
	return 1;
}

int main(void)
{
	struct uebpf_helper_table *helpers = uebpf_helper_table_new();
	if (!helpers || gen_register_helpers(helpers)) {
		printf("cannot register the generator's helpers\n");
		return 1;
	}
	int failures = 0;
	uint64_t seed = 1;
	for (int combo = 0; combo < 16 && failures < 3; combo++) {
		struct gen_opts o = {
			.mem_len = MEM_LEN,
			.calls = combo & 1,
			.atomics = combo & 2,
			.helpers = combo & 4,
			.kernel_compatible = combo & 8,
		};
		for (int i = 0; i < PROGRAMS_PER_COMBO && failures < 3; i++)
			failures += check_one(seed++, &o, helpers);
	}
	/* Tiny bodies and bad memory sizes. */
	struct bpf_insn small[CAP];
	struct gen_rng rng = { 7 };
	struct gen_opts o = { .mem_len = 8, .calls = true, .atomics = true, .helpers = true };
	size_t n = gen_program(&rng, &o, small, CAP);
	if (!n || uebpf_insns_check(small, n, NULL, 0)) {
		printf("an empty body with calls does not give a valid program\n");
		failures++;
	}
	o.mem_len = 4;
	if (gen_program(&rng, &o, small, CAP)) {
		printf("mem_len 4 was accepted\n");
		failures++;
	}
	o.mem_len = 64;
	o.body_insns = 100;
	if (gen_program(&rng, &o, small, 10)) {
		printf("a program larger than cap was produced\n");
		failures++;
	}
	if (!failures)
		failures += check_coverage();
	uebpf_helper_table_free(helpers);
	printf("generator: %llu programs, %d failures\n", (unsigned long long)seed - 1, failures);
	return failures ? 1 : 0;
}
