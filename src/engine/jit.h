/* JIT internals shared by the back ends, exec memory and the JIT tests.
 * Nothing outside src/engine and tests/engine includes this. */
#ifndef UEBPF_ENGINE_JIT_H
#define UEBPF_ENGINE_JIT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/prog.h"

/* CPU features the x86-64 back end may use. */
#define UEBPF_JIT_X86_BMI2 (1u << 0) /* shlx/shrx/sarx, mulx */
#define UEBPF_JIT_X86_JCC_PAD (1u << 1) /* keep jumps off 32-byte boundaries (Intel's JCC erratum fix) */

/* The features of the CPU we run on. */
unsigned uebpf_jit_x86_64_cpu_features(void);

/* uebpf_jit_x86_64_compile with an explicit feature set, so tests can check
 * the code paths for CPUs without them. */
int uebpf_jit_x86_64_compile_features(struct uebpf_prog *prog, unsigned features, char *log, size_t log_sz);
int uebpf_jit_x86_64_compile_batch_features(struct uebpf_prog *prog, unsigned features, char *log, size_t log_sz);

/* Copy code into fresh pages that end up read+exec, never writable and
 * executable at once. Returns 0 or -errno; *map_sz is what to unmap. */
int uebpf_exec_mem_alloc(const void *code, size_t sz, uint8_t **out, size_t *map_sz);
void uebpf_exec_mem_free(uint8_t *mem, size_t map_sz);

#endif
