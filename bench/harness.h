/* The benchmark harness: what its parts share. */
#ifndef UEBPF_BENCH_HARNESS_H
#define UEBPF_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_insn;

/* elf.c: the instructions of .text in a clang-built BPF object, which must
 * start with the function `entry` and need no relocation. Returns 0 or -1
 * with the reason in err. The caller frees *insns. */
int bench_elf_text(const char *path, const char *entry, struct bpf_insn **insns, size_t *n,
		   char *err, size_t err_sz);

/* Index of the first backward jump, or -1 if the program has none. */
long bench_first_back_edge(const struct bpf_insn *insns, size_t n);

/* dpdk.c: librte_bpf. Validation explores every path of the program, which
 * can take forever on branchy code, so it is first tried in a child process
 * that gets timeout_s seconds. NULL with the reason in err on failure. */
struct bench_dpdk;
struct bench_dpdk *bench_dpdk_load(const struct bpf_insn *insns, size_t n, size_t mem_size,
				   double timeout_s, char *err, size_t err_sz);
void bench_dpdk_free(struct bench_dpdk *d);
uint64_t bench_dpdk_exec(const struct bench_dpdk *d, void *mem);
/* Runs the interpreter iters times; returns the xor of the results. */
uint64_t bench_dpdk_exec_loop(const struct bench_dpdk *d, void *mem, uint64_t iters);
typedef uint64_t (*bench_dpdk_jit_fn)(void *mem);
/* The JIT-compiled function, or NULL (reason in err). */
bench_dpdk_jit_fn bench_dpdk_jit(const struct bench_dpdk *d, char *err, size_t err_sz);

/* kernel.c: a program loaded into the kernel inside the XDP wrapper
 * (bench/xdp_wrap.bpf.c), its input in a map value, timed with
 * BPF_PROG_TEST_RUN. */
struct bench_kernel;
struct bench_kernel *bench_kernel_load(const char *obj_path, char *err, size_t err_sz);
void bench_kernel_free(struct bench_kernel *k);
/* Copy the input into the map value (done once; the program may write it). */
int bench_kernel_set_input(struct bench_kernel *k, const void *mem, size_t len, char *err,
			   size_t err_sz);
/* Run repeat times; *ns_per_run is the kernel's own measure, *ret the
 * value the body returned in the last run. */
int bench_kernel_run(struct bench_kernel *k, uint32_t repeat, double *ns_per_run, uint64_t *ret,
		     char *err, size_t err_sz);

#endif
