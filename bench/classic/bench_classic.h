/* The classic-filter benchmark: what its parts share. Each peer lives in
 * its own file because their headers clash (libpcap's and DPDK's classic
 * `struct bpf_insn` / BPF_* macros, <linux/bpf.h>'s eBPF one). */
#ifndef UEBPF_BENCH_CLASSIC_H
#define UEBPF_BENCH_CLASSIC_H

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

/* The packets, in memory. */
struct cb_packets {
	size_t n;
	const uint8_t **data;
	uint32_t *caplen, *wirelen;
};

double cb_now(void); /* seconds, monotonic */

/* dpdk.c: librte_bpf's rte_bpf_convert, then its JIT, on mbufs. */
struct cb_dpdk;
/* Starts DPDK's EAL (no hugepages) and copies the packets into mbufs. */
struct cb_dpdk *cb_dpdk_open(const struct cb_packets *pk, char *err, size_t err_sz);
/* Mean ns per packet of the JIT-compiled conversion over reps passes; the
 * number of packets it accepts goes to *accepted. -1 with err on failure. */
double cb_dpdk_run(struct cb_dpdk *d, const struct sock_filter *insns, size_t n, int reps, size_t *accepted,
		   char *err, size_t err_sz);

/* kernel.c: the filter translated for SCHED_CLS (direct packet access, as
 * the kernel's own conversion of a classic filter loads packets), run by
 * the kernel's JIT with BPF_PROG_TEST_RUN. */
struct cb_kernel;
struct cb_kernel *cb_kernel_open(char *err, size_t err_sz);
/* Mean ns per packet, the kernel's own measure minus that of an empty
 * program. test_run refuses frames whose headers it cannot parse; those
 * are marked in skipped[] (pk->n entries) and not counted. */
double cb_kernel_run(struct cb_kernel *k, const struct sock_filter *insns, size_t n, const struct cb_packets *pk,
		     uint32_t repeat, size_t *accepted, size_t *tested, uint8_t *skipped, char *err, size_t err_sz);
void cb_kernel_close(struct cb_kernel *k);

/* native_filters.c, written by gen_native.c: the benchmark's expression e
 * as C, inlined into a loop over the packets (Ethernet captures only). One
 * pass returns the sum of the filter's results, or with count the number
 * of packets it accepts. */
uint64_t cb_native_pass(size_t e, const struct cb_packets *pk, int count);

#endif
