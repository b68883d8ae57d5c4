/* Engine-private view of a loaded program, shared by the interpreter and the
 * JIT back ends. Nothing outside src/engine includes this. */
#ifndef UEBPF_ENGINE_PROG_H
#define UEBPF_ENGINE_PROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/engine.h>

#include "isa/log.h"

struct uebpf_region {
	uintptr_t start, end; /* [start, end) */
	bool writable;
};

typedef uebpf_prog_fn uebpf_jit_fn;

/* A BPF function passed to helpers (lddw src=BPF_PSEUDO_FUNC): entry is its
 * first instruction. base.call runs it in the interpreter (interp_call), or,
 * once the JIT compiled it, is the JIT's entry for it (C calling convention,
 * cb first), until the JIT code is freed. */
struct uebpf_engine_callback {
	struct uebpf_callback base;
	struct uebpf_prog *prog;
	uint32_t entry;
	uint64_t (*interp_call)(const struct uebpf_callback *cb, uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5);
};

struct uebpf_prog {
	struct bpf_insn *insns;
	size_t n;
	enum uebpf_engine engine;
	uint32_t flags;
	uint64_t insn_budget;
	/* helper id -> function, copied from the embedder's table at load */
	uebpf_helper_fn helpers[UEBPF_MAX_HELPERS];

	struct uebpf_engine_callback *callbacks; /* one per BPF_PSEUDO_FUNC lddw */
	size_t n_callbacks;

	uint64_t *map_ptrs;   /* what pseudo map lddw resolved to: the maps a checked */
	size_t n_map_ptrs;    /* run may tail-call through */

	struct uebpf_region *regions; /* checked mode: extra memory */
	size_t n_regions;

	/* interpreter state (engine == UEBPF_ENGINE_INTERP): the decoded program */
	struct uebpf_interp_insn *interp_code;

	/* JIT state (engine == UEBPF_ENGINE_JIT) */
	uint8_t *jit_code;     /* executable mapping, read+exec only once written */
	size_t jit_code_sz;    /* bytes of code */
	size_t jit_map_sz;     /* bytes mapped */
	uint32_t *jit_offsets; /* n + 1 entries */
	uebpf_jit_fn jit_fn;
	bool jit_sub_tail_calls; /* a subprogram tail-calls: runs need a way out of every frame */
	bool jit_plain;          /* JIT code with no tail calls and no callbacks: a run is one call */
	bool jit_allocated;      /* its registers were allocated, not taken from the fixed mapping */
	uint8_t *jit_batch_code; /* the batch entry (uebpf_prog_jit_batch), or NULL */
	size_t jit_batch_map_sz;
	uebpf_prog_batch_fn jit_batch_fn;
};

/* Interpreter: prepare decodes prog->insns into interp_code at load (freed
 * with free()); a run is checked when !(prog->flags & UEBPF_F_VERIFIED). */
int uebpf_interp_prepare(struct uebpf_prog *prog, char *log, size_t log_sz);
int uebpf_interp_run(const struct uebpf_prog *prog, void *mem, size_t mem_len, uint64_t *ret,
		     char *log, size_t log_sz);
/* Run from insn entry with r1..r5 = args (callbacks). */
int uebpf_interp_call(const struct uebpf_prog *prog, uint32_t entry, const uint64_t args[5], uint64_t *ret,
		      char *log, size_t log_sz);

/* bpf_tail_call(ctx, prog_array, index), for every engine: when a program
 * is in the slot and fewer than 33 tail calls were taken in this run, runs
 * it on ctx and returns taken = 1 with its r0 (the caller then returns that
 * value at once); else taken = 0 and value = -ENOENT, and the caller goes on. */
struct uebpf_tail_result {
	uint64_t taken, value;
};
struct uebpf_tail_result uebpf_engine_tail_call(uint64_t ctx, uint64_t map, uint64_t index);
/* The same from JIT code in a subprogram: not taken, returns -ENOENT; taken,
 * leaves every frame of the JIT-compiled run at once (longjmp to the run's
 * start, which returns the target's r0). */
uint64_t uebpf_engine_tail_call_sub(uint64_t ctx, uint64_t map, uint64_t index);

/* x86-64 JIT: fills the jit_* fields or returns a negative errno with
 * "insn N: ..." in log; jit_free releases them. */
int uebpf_jit_x86_64_compile(struct uebpf_prog *prog, char *log, size_t log_sz);
void uebpf_jit_free(struct uebpf_prog *prog);
/* The batch entry (uebpf_prog_jit_batch), compiled apart from the program's
 * code; -EOPNOTSUPP for the programs it does not take. */
int uebpf_jit_x86_64_compile_batch(struct uebpf_prog *prog, char *log, size_t log_sz);

#endif
