/* uebpf: engines. A program is loaded once (checked, pseudo-instructions
 * resolved, compiled for the chosen engine) and then run any number of times.
 *
 * Errors are values: every call returns 0 or a negative errno and, where a
 * log is passed, writes one human line into it.
 */
#ifndef UEBPF_ENGINE_H
#define UEBPF_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

enum uebpf_engine {
	UEBPF_ENGINE_INTERP = 0,
	UEBPF_ENGINE_JIT = 1,
};

/* Helpers take and return 64-bit values, as in the kernel (r1..r5 -> r0). */
typedef uint64_t (*uebpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);

#define UEBPF_MAX_HELPERS 512

/* A BPF function handed to a helper as a callback (lddw src=BPF_PSEUDO_FUNC,
 * for bpf_loop and bpf_for_each_map_elem): the engine resolves the lddw to
 * one of these, and the helper calls it with r1..r5, getting its r0. */
struct uebpf_callback {
	uint64_t (*call)(const struct uebpf_callback *cb, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5);
};

/* A table an embedder fills: helper id -> function. Shared by every engine. */
struct uebpf_helper_table;
struct uebpf_helper_table *uebpf_helper_table_new(void);
void uebpf_helper_table_free(struct uebpf_helper_table *t);
int uebpf_helper_table_set(struct uebpf_helper_table *t, uint32_t id, const char *name, uebpf_helper_fn fn);
uebpf_helper_fn uebpf_helper_table_get(const struct uebpf_helper_table *t, uint32_t id);
const char *uebpf_helper_table_name(const struct uebpf_helper_table *t, uint32_t id);
/* Every helper uebpf implements (maps, probe_read, printk, ring buffer, ...),
 * under the kernel's ids and names; shared, never freed. */
const struct uebpf_helper_table *uebpf_helpers_default(void);

/* Resolves a pseudo lddw (src_reg = BPF_PSEUDO_MAP_FD, _VALUE, _IDX, ...; imm
 * and next_imm as in the instruction) to the 64-bit value to load. Returns 0
 * or a negative errno. This is how maps and global data reach an engine. */
typedef int (*uebpf_pseudo_resolver)(void *ctx, uint8_t src_reg, int32_t imm, int32_t next_imm,
				     uint64_t *value);

#define UEBPF_F_VERIFIED (1u << 0) /* the verifier accepted it: run without checks */
#define UEBPF_F_HARDEN (1u << 1)   /* JIT: blind every immediate (bpf_jit_harden) */

struct uebpf_prog_opts {
	size_t sz;                         /* sizeof(struct uebpf_prog_opts) */
	enum uebpf_engine engine;
	uint32_t flags;                    /* UEBPF_F_* */
	const struct uebpf_helper_table *helpers; /* may be NULL: no helpers */
	uebpf_pseudo_resolver resolve;     /* may be NULL: pseudo lddw is an error */
	void *resolve_ctx;
	uint64_t insn_budget;              /* checked mode: 0 means the default */
};

#define UEBPF_DEFAULT_INSN_BUDGET 100000000ull

struct uebpf_prog;

/* Check insns, resolve pseudo lddw, and prepare the program for opts->engine.
 * Without UEBPF_F_VERIFIED the program runs in checked mode (interpreter only;
 * asking for the JIT without it is -EPERM). */
int uebpf_prog_load(const struct bpf_insn *insns, size_t n, const struct uebpf_prog_opts *opts,
		    struct uebpf_prog **out, char *log, size_t log_sz);
void uebpf_prog_free(struct uebpf_prog *prog);

/* Checked mode: memory besides the stack and the input that the program may
 * touch (map values, global data...). */
int uebpf_prog_add_region(struct uebpf_prog *prog, void *addr, size_t len, bool writable);
/* Forget the region that starts at addr (-ENOENT if none). */
int uebpf_prog_remove_region(struct uebpf_prog *prog, void *addr);

/* Run with r1 = mem, r2 = mem_len. Returns 0 and stores r0 in *ret, or a
 * negative errno when a checked run faults (log: "insn N: ..."). */
int uebpf_prog_run(struct uebpf_prog *prog, void *mem, size_t mem_len, uint64_t *ret, char *log,
		   size_t log_sz);

/* The native function of a JIT-compiled program that tail-calls nothing and
 * has no callbacks, or NULL: fn(mem, mem_len) returns r0, exactly what
 * uebpf_prog_run does for such a program, without the call around it (as
 * DPDK's rte_bpf_get_jit hands out its function). Valid until the program
 * is freed. */
typedef uint64_t (*uebpf_prog_fn)(void *mem, uint64_t mem_len);
uebpf_prog_fn uebpf_prog_function(const struct uebpf_prog *prog);

/* A batch entry for a JIT-compiled program: fn(ctxs, n, rets, stride) runs
 * the program once for each of n >= 1 contexts stride bytes apart (r1 =
 * ctxs + i * stride, r2 = stride), the loop inside the JIT code, and stores
 * the low 32 bits of each run's r0 in rets[i]. uebpf_prog_jit_batch
 * compiles it (once; 0 if already there); -EOPNOTSUPP for hardened
 * programs and programs with ld_abs/ld_ind, tail calls, callbacks or
 * helper ids in a register, -EINVAL if the program is not JIT-compiled. uebpf_prog_batch_function
 * returns it, or NULL. Valid until the program is freed. */
typedef void (*uebpf_prog_batch_fn)(void *ctxs, uint64_t n, uint32_t *rets, uint64_t stride);
int uebpf_prog_jit_batch(struct uebpf_prog *prog, char *log, size_t log_sz);
uebpf_prog_batch_fn uebpf_prog_batch_function(const struct uebpf_prog *prog);

/* The instructions as loaded (after pseudo-lddw resolution). */
const struct bpf_insn *uebpf_prog_insns(const struct uebpf_prog *prog, size_t *n);
enum uebpf_engine uebpf_prog_engine(const struct uebpf_prog *prog);

/* JIT only: the native code, and for each BPF instruction the offset of its
 * first native byte (offsets has n+1 entries, the last one the code size). */
int uebpf_prog_jited(const struct uebpf_prog *prog, const uint8_t **code, size_t *code_sz,
		     const uint32_t **offsets);

#ifdef __cplusplus
}
#endif

#endif
