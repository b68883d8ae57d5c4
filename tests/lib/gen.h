/* Random valid eBPF programs for differential tests (interpreter vs kernel,
 * interpreter vs JIT). Everything is deterministic from the rng seed. */
#ifndef UEBPF_TESTS_GEN_H
#define UEBPF_TESTS_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

struct uebpf_helper_table;

struct gen_rng { uint64_t s; };                 /* splitmix64: deterministic per seed */
uint64_t gen_rand(struct gen_rng *r);

struct gen_opts {
	size_t body_insns;     /* about this many instructions */
	size_t mem_len;        /* bytes of input memory the program may load/store at constant offsets */
	bool calls;            /* emit bpf-to-bpf calls to generated subprograms (kernel-valid) */
	bool atomics;          /* emit every atomic form on stack and input memory */
	bool helpers;          /* emit calls to the helpers of gen_register_helpers() (uebpf only) */
	bool kernel_compatible;/* only what the kernel verifier accepts for a privileged program */
};

/* Fills out[0..cap) with a complete, valid program (passes uebpf_insns_check) whose input
 * memory pointer arrives in r1 and length in r2, as in the conformance suite; returns its
 * length. Every ALU/ALU64/JMP/JMP32 form incl. sdiv/smod/movsx/bswap/ldsx, stores/loads on
 * the stack and input memory, forward jumps, lddw, atomics and calls as enabled.
 * mem_len must be 8..32767 (else returns 0); a cap of 8 * body_insns + 256 always suffices
 * (returns 0 if the program does not fit). */
size_t gen_program(struct gen_rng *rng, const struct gen_opts *o, struct bpf_insn *out, size_t cap);

/* The deterministic helpers that programs generated with o->helpers call: ids
 * GEN_HELPER_FIRST .. GEN_HELPER_LAST, each a pure function of r1..r5. */
#define GEN_HELPER_FIRST 1
#define GEN_HELPER_LAST 3
int gen_register_helpers(struct uebpf_helper_table *t);

#endif
