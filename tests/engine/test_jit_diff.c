/* Differential test of the x86-64 JIT against the interpreter: random
 * programs from the generator (calls, atomics and helpers on) run on both
 * and must leave the same r0 and the same input memory. Every few programs
 * the JIT code is also built hardened and without BMI2, which must agree too.
 *
 * UEBPF_JIT_DIFF_PROGRAMS (default 100000) and UEBPF_JIT_DIFF_SEED (default
 * 1) choose the run; a mismatch prints its seed, the program and the code. */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/uebpf.h>

#include "engine/jit.h"
#include "engine/prog.h"
#include "gen.h"

#define MEM_LEN 64
#define MAX_BODY 160
#define CAP (8 * MAX_BODY + 256)

static struct uebpf_helper_table *helpers;

enum variant { PLAIN, HARDENED, NO_BMI2 };
static const char *const variant_name[] = { "jit", "hardened jit", "jit without bmi2" };

/* Native code, each piece under the BPF instruction it came from. */
static void dump_native(const struct uebpf_prog *p)
{
	csh cs;
	cs_insn *ci;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return;
	for (size_t i = 0; i < p->n; i++) {
		size_t lo = p->jit_offsets[i], hi = p->jit_offsets[i + 1];
		if (lo == hi)
			continue;
		char text[128];
		if (uebpf_disasm_insn(p->insns, p->n, i, UEBPF_ASM_STYLE_UEBPF, text, sizeof(text)) < 0)
			text[0] = 0;
		printf("  %4zu: %s\n", i, text);
		size_t cnt = cs_disasm(cs, p->jit_code + lo, hi - lo, (uint64_t)lo, 0, &ci);
		for (size_t k = 0; k < cnt; k++)
			printf("        %5" PRIx64 ": %s %s\n", ci[k].address, ci[k].mnemonic, ci[k].op_str);
		cs_free(ci, cnt);
	}
	cs_close(&cs);
}

/* Compile prog, already loaded for the interpreter, as JIT variant v. */
static int compile(struct uebpf_prog *p, enum variant v, char *log, size_t log_sz)
{
	unsigned features = uebpf_jit_x86_64_cpu_features();
	uebpf_jit_free(p);
	p->flags = UEBPF_F_VERIFIED | (v == HARDENED ? UEBPF_F_HARDEN : 0);
	if (v == NO_BMI2)
		features &= ~UEBPF_JIT_X86_BMI2;
	return uebpf_jit_x86_64_compile_features(p, features, log, log_sz);
}

static int mismatch(uint64_t seed, const char *what, const struct bpf_insn *insns, size_t n,
		    const struct uebpf_prog *jit)
{
	printf("seed %" PRIu64 ": %s\n", seed, what);
	uebpf_disasm(insns, n, UEBPF_ASM_STYLE_UEBPF, stdout);
	if (jit && jit->jit_code) {
		printf("native code:\n");
		dump_native(jit);
	}
	return 1;
}

/* Run the program of this seed on the interpreter and on each JIT variant
 * in variants (bit per enum variant). */
static int one(uint64_t seed, unsigned variants)
{
	static struct bpf_insn insns[CAP];
	struct gen_rng rng = { seed };
	struct gen_opts o = {
		.body_insns = 1 + gen_rand(&rng) % MAX_BODY,
		.mem_len = MEM_LEN,
		.calls = true,
		.atomics = true,
		.helpers = true,
		.kernel_compatible = seed % 4 == 0,
	};
	uint8_t input[MEM_LEN], mem_i[MEM_LEN], mem_j[MEM_LEN];
	for (size_t k = 0; k < MEM_LEN; k++)
		input[k] = (uint8_t)gen_rand(&rng);
	size_t n = gen_program(&rng, &o, insns, CAP);
	if (!n)
		return mismatch(seed, "the generator made no program", insns, 0, NULL);

	char log[256] = "", what[400];
	struct uebpf_prog_opts po = { .sz = sizeof(po), .engine = UEBPF_ENGINE_INTERP,
				      .flags = UEBPF_F_VERIFIED, .helpers = helpers };
	struct uebpf_prog *p;
	if (uebpf_prog_load(insns, n, &po, &p, log, sizeof(log)))
		return mismatch(seed, log, insns, n, NULL);
	uint64_t r_i, r_j;
	memcpy(mem_i, input, MEM_LEN);
	int rc = 0;
	if (uebpf_prog_run(p, mem_i, MEM_LEN, &r_i, log, sizeof(log))) {
		snprintf(what, sizeof(what), "interpreter failed: %s", log);
		rc = mismatch(seed, what, insns, n, NULL);
	}
	for (int v = PLAIN; v <= NO_BMI2 && !rc; v++) {
		if (!(variants & (1u << v)))
			continue;
		if (compile(p, v, log, sizeof(log))) {
			snprintf(what, sizeof(what), "%s refused the program: %s", variant_name[v], log);
			rc = mismatch(seed, what, insns, n, NULL);
			break;
		}
		memcpy(mem_j, input, MEM_LEN);
		r_j = p->jit_fn(mem_j, MEM_LEN);
		if (r_i != r_j || memcmp(mem_i, mem_j, MEM_LEN)) {
			snprintf(what, sizeof(what), "%s: r0 0x%" PRIx64 ", interpreter: r0 0x%" PRIx64 "%s",
				 variant_name[v], r_j, r_i, memcmp(mem_i, mem_j, MEM_LEN) ? "; memory differs" : "");
			rc = mismatch(seed, what, insns, n, p);
		}
	}
	uebpf_prog_free(p);
	return rc;
}

int main(void)
{
	const char *s = getenv("UEBPF_JIT_DIFF_PROGRAMS");
	uint64_t count = s ? strtoull(s, NULL, 0) : 100000;
	s = getenv("UEBPF_JIT_DIFF_SEED");
	uint64_t first = s ? strtoull(s, NULL, 0) : 1;
	unsigned failures = 0;

	helpers = uebpf_helper_table_new();
	if (!helpers || gen_register_helpers(helpers)) {
		printf("cannot set up the helper table\n");
		return 1;
	}
	for (uint64_t k = 0; k < count && failures < 5; k++) {
		uint64_t seed = first + k;
		/* one program in 8 also hardened, one in 8 also without bmi2 */
		unsigned variants = 1u << PLAIN | (k % 8 == 3) << HARDENED | (k % 8 == 7) << NO_BMI2;
		failures += (unsigned)one(seed, variants);
	}
	uebpf_helper_table_free(helpers);
	printf("%" PRIu64 " programs from seed %" PRIu64 ": %u mismatches\n", count, first, failures);
	return failures ? 1 : 0;
}
