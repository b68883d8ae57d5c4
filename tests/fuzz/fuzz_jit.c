/* libFuzzer: arbitrary bytes as a program. Whatever uebpf_insns_check
 * accepts is compiled by the x86-64 JIT (with and without BMI2, hardened or
 * not, as the first byte says) and never run: an unverified program may do
 * anything. Compiling must not crash, and its offsets must be in order and
 * its code of bounded size. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/uebpf.h>

#include "engine/jit.h"
#include "engine/prog.h"

/* Code size bound: an instruction emits at most about 100 bytes, and is
 * emitted at most eight times (once, in up to six copies of a loop latch,
 * once inlined, with 4096 more inlined in all); prologues and stubs besides. */
#define MAX_BYTES_PER_INSN 128
#define MAX_EMITTED(n) (8 * (n) + 4096)
#define MAX_FIXED_BYTES 65536

static struct uebpf_helper_table *helpers;

static uint64_t any_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a ^ b ^ c ^ d ^ e;
}

static int resolve_any(void *ctx, uint8_t src_reg, int32_t imm, int32_t next_imm, uint64_t *value)
{
	*value = (uint64_t)(uint32_t)next_imm << 32 | (uint32_t)imm;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!helpers) {
		helpers = uebpf_helper_table_new();
		for (uint32_t id = 0; helpers && id < UEBPF_MAX_HELPERS; id += 1 + id % 7)
			uebpf_helper_table_set(helpers, id, NULL, any_helper);
		if (!helpers)
			abort();
	}
	if (size < 1 + sizeof(struct bpf_insn))
		return 0;
	uint8_t mode = data[0];
	size_t n = (size - 1) / sizeof(struct bpf_insn);
	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	if (!insns)
		return 0;
	memcpy(insns, data + 1, n * sizeof(*insns));

	struct uebpf_prog_opts o = {
		.sz = sizeof(o),
		.engine = UEBPF_ENGINE_INTERP,
		.flags = UEBPF_F_VERIFIED | (mode & 1 ? UEBPF_F_HARDEN : 0),
		.helpers = helpers,
		.resolve = resolve_any,
	};
	struct uebpf_prog *p;
	char log[256];
	if (uebpf_insns_check(insns, n, NULL, 0) || uebpf_prog_load(insns, n, &o, &p, log, sizeof(log))) {
		free(insns);
		return 0;
	}
	unsigned features = uebpf_jit_x86_64_cpu_features() & (mode & 2 ? ~0u : ~UEBPF_JIT_X86_BMI2);
	int err = uebpf_jit_x86_64_compile_features(p, features, log, sizeof(log));
	if (err) {
		/* a refused instruction is named */
		if (err == -EINVAL && strncmp(log, "insn ", 5)) {
			printf("fuzz_jit: refusal without an instruction index: %s\n", log);
			abort();
		}
	} else {
		for (size_t i = 0; i < n; i++)
			if (p->jit_offsets[i] > p->jit_offsets[i + 1])
				abort();
		if (p->jit_offsets[n] != p->jit_code_sz || p->jit_code_sz > p->jit_map_sz ||
		    p->jit_code_sz > MAX_BYTES_PER_INSN * MAX_EMITTED(n) + MAX_FIXED_BYTES)
			abort();
		/* the batch entry: compiled, or refused for what it does not take */
		err = uebpf_jit_x86_64_compile_batch_features(p, features, log, sizeof(log));
		if (err && err != -EOPNOTSUPP && err != -E2BIG && err != -ENOMEM) {
			printf("fuzz_jit: batch entry: %d: %s\n", err, log);
			abort();
		}
		if (!err && (!p->jit_batch_fn || p->jit_batch_map_sz > MAX_BYTES_PER_INSN * MAX_EMITTED(n) + 2 * MAX_FIXED_BYTES))
			abort();
	}
	uebpf_prog_free(p);
	free(insns);
	return 0;
}
