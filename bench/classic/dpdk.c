/* DPDK librte_bpf as a peer: rte_bpf_convert turns the classic program
 * into DPDK's eBPF, rte_bpf_load validates it, and its JIT runs it on mbufs.
 * rte_bpf_convert allocates with rte_malloc, so DPDK's EAL is started
 * (without hugepages, PCI or shared files). */
#define bpf_insn pcap_bpf_insn
#include <pcap.h>
#undef bpf_insn

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bpf.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "bench_classic.h"

struct cb_dpdk {
	size_t n;
	struct rte_mbuf **mbufs;
};

struct cb_dpdk *cb_dpdk_open(const struct cb_packets *pk, char *err, size_t err_sz)
{
	char *args[] = { "uebpf-bench", "--no-huge", "--no-pci", "-m", "256", "--no-shconf", "--log-level=error" };

	if (rte_eal_init((int)(sizeof(args) / sizeof(args[0])), args) < 0) {
		snprintf(err, err_sz, "rte_eal_init: %s", rte_strerror(rte_errno));
		return NULL;
	}
	struct rte_mempool *pool =
		rte_pktmbuf_pool_create("cb", (unsigned)pk->n + 64, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE + 16384, 0);
	struct cb_dpdk *d = calloc(1, sizeof(*d));
	if (!pool || !d || !(d->mbufs = calloc(pk->n, sizeof(*d->mbufs)))) {
		snprintf(err, err_sz, "out of memory for mbufs");
		free(d);
		return NULL;
	}
	for (size_t i = 0; i < pk->n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		char *p = m ? rte_pktmbuf_append(m, (uint16_t)pk->caplen[i]) : NULL;
		if (!p && pk->caplen[i]) {
			snprintf(err, err_sz, "packet %zu does not fit an mbuf", i);
			return NULL;
		}
		memcpy(p, pk->data[i], pk->caplen[i]);
		d->mbufs[i] = m;
	}
	d->n = pk->n;
	return d;
}

double cb_dpdk_run(struct cb_dpdk *d, const struct sock_filter *insns, size_t n, int reps, size_t *accepted,
		   char *err, size_t err_sz)
{
	struct bpf_program prog = { .bf_len = (u_int)n, .bf_insns = (struct pcap_bpf_insn *)insns };
	struct rte_bpf_prm *prm = rte_bpf_convert(&prog);
	if (!prm) {
		snprintf(err, err_sz, "rte_bpf_convert: %s", rte_strerror(rte_errno));
		return -1;
	}
	struct rte_bpf *bpf = rte_bpf_load(prm);
	rte_free(prm);
	if (!bpf) {
		snprintf(err, err_sz, "rte_bpf_load: %s", rte_strerror(rte_errno));
		return -1;
	}
	struct rte_bpf_jit jit;
	if (rte_bpf_get_jit(bpf, &jit) || !jit.func) {
		snprintf(err, err_sz, "no JIT for this program");
		rte_bpf_destroy(bpf);
		return -1;
	}
	*accepted = 0;
	for (size_t i = 0; i < d->n; i++)
		*accepted += jit.func(d->mbufs[i]) != 0;

	double best = 1e30;
	volatile uint64_t sink = 0;
	for (int r = 0; r < 5; r++) {
		uint64_t sum = 0; /* in a register: see TIME_NS in main.c */
		double t0 = cb_now();
		for (int rep = 0; rep < reps; rep++)
			for (size_t i = 0; i < d->n; i++)
				sum += jit.func(d->mbufs[i]);
		double t = (cb_now() - t0) / reps / (double)d->n * 1e9;
		sink += sum;
		best = t < best ? t : best;
	}
	rte_bpf_destroy(bpf);
	return best;
}
