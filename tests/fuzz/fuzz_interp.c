/* libFuzzer: arbitrary bytes as a program (n = size / 8 instructions).
 * Whatever uebpf_prog_load accepts runs in the checked interpreter with a
 * small instruction budget, on 64 bytes of input memory, with two registered
 * regions (one read-only) that pseudo lddw resolves to. It must never crash,
 * and a run that fails must say where: "insn N: ...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/uebpf.h>

static struct uebpf_helper_table *helpers;
static uint64_t region_rw[8], region_ro[8];

static uint64_t any_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a ^ b ^ c ^ d ^ e;
}

/* map-like pseudo sources point into a region, the rest to a plain value */
static int resolve(void *ctx, uint8_t src_reg, int32_t imm, int32_t next_imm, uint64_t *value)
{
	if (src_reg == BPF_PSEUDO_MAP_VALUE || src_reg == BPF_PSEUDO_MAP_IDX_VALUE)
		*value = (uintptr_t)(imm & 1 ? region_ro : region_rw) + (uint32_t)next_imm % sizeof(region_rw);
	else if (src_reg == BPF_PSEUDO_MAP_FD || src_reg == BPF_PSEUDO_MAP_IDX)
		*value = (uintptr_t)(imm & 1 ? region_ro : region_rw);
	else
		*value = (uint64_t)(uint32_t)next_imm << 32 | (uint32_t)imm;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!helpers) {
		helpers = uebpf_helper_table_new();
		for (uint32_t id = 1; helpers && id < 16; id++)
			uebpf_helper_table_set(helpers, id, NULL, any_helper);
		if (!helpers)
			abort();
	}
	size_t n = size / sizeof(struct bpf_insn);
	if (!n)
		return 0;
	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	if (!insns)
		return 0;
	memcpy(insns, data, n * sizeof(*insns));

	struct uebpf_prog_opts o = {
		.sz = sizeof(o), .helpers = helpers, .resolve = resolve, .insn_budget = 10000,
	};
	struct uebpf_prog *prog;
	char log[256];
	if (!uebpf_prog_load(insns, n, &o, &prog, log, sizeof(log))) {
		uint8_t mem[64];
		uint64_t ret;
		for (size_t i = 0; i < sizeof(mem); i++)
			mem[i] = (uint8_t)(i * 37 + size);
		/* the same start every run: the fuzzer wants determinism */
		memset(region_rw, 0, sizeof(region_rw));
		memset(region_ro, 0x5a, sizeof(region_ro));
		if (uebpf_prog_add_region(prog, region_rw, sizeof(region_rw), true) ||
		    uebpf_prog_add_region(prog, region_ro, sizeof(region_ro), false))
			abort();
		log[0] = 0;
		if (uebpf_prog_run(prog, mem, sizeof(mem), &ret, log, sizeof(log)) && strncmp(log, "insn ", 5)) {
			fprintf(stderr, "a failed run without \"insn N:\": \"%s\"\n", log);
			abort();
		}
		uebpf_prog_free(prog);
	}
	free(insns);
	return 0;
}
