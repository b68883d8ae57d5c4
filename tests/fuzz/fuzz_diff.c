/* libFuzzer: the input picks a generator seed, options and input memory; the
 * generated program must load, run without a fault in the checked
 * interpreter, and give the same r0 and memory in the unchecked one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/uebpf.h>

#include "gen.h"

#define MEM_LEN 64
#define MAX_BODY 200
#define CAP (8 * MAX_BODY + 256)

static struct uebpf_helper_table *helpers;

static int run(const struct bpf_insn *prog, size_t n, uint32_t flags, const uint8_t *input, uint8_t *mem,
	       uint64_t *r0, char *log, size_t log_sz)
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

static void fail(const char *what, const char *log, const struct bpf_insn *prog, size_t n)
{
	printf("fuzz_diff: %s: %s\n", what, log);
	uebpf_disasm(prog, n, UEBPF_ASM_STYLE_UEBPF, stdout);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bpf_insn prog[CAP];
	if (!helpers) {
		helpers = uebpf_helper_table_new();
		if (!helpers || gen_register_helpers(helpers))
			abort();
	}
	if (size < 10)
		return 0;
	uint64_t seed;
	memcpy(&seed, data, 8);
	struct gen_rng rng = { seed };
	struct gen_opts o = {
		.body_insns = data[8] % MAX_BODY,
		.mem_len = MEM_LEN,
		.calls = data[9] & 1,
		.atomics = data[9] & 2,
		.helpers = data[9] & 4,
		.kernel_compatible = data[9] & 8,
	};
	uint8_t input[MEM_LEN] = { 0 }, mem_c[MEM_LEN], mem_u[MEM_LEN];
	memcpy(input, data + 10, size - 10 < MEM_LEN ? size - 10 : MEM_LEN);

	size_t n = gen_program(&rng, &o, prog, CAP);
	if (!n)
		abort();
	char log[256] = "";
	uint64_t r0_c, r0_u;
	if (run(prog, n, 0, input, mem_c, &r0_c, log, sizeof(log)))
		fail("checked run", log, prog, n);
	if (run(prog, n, UEBPF_F_VERIFIED, input, mem_u, &r0_u, log, sizeof(log)))
		fail("unchecked run", log, prog, n);
	if (r0_c != r0_u || memcmp(mem_c, mem_u, MEM_LEN))
		fail("checked and unchecked runs differ", "", prog, n);
	return 0;
}
