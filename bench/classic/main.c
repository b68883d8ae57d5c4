/* Classic filters, packets already in memory: nanoseconds per packet for
 * five filters from `tcp` to a long compound one, on uebpf's JIT, uebpf's
 * eBPF and cBPF interpreters, libpcap's bpf_filter, DPDK's rte_bpf_convert
 * plus its JIT, and the kernel's JIT (BPF_PROG_TEST_RUN, minus an empty
 * program). Every peer's count of accepted packets must equal libpcap's.
 *
 * Usage: classic-bench [CAPTURE.pcap] (default tests/data/mixed.pcap; at
 * most its first 4096 packets are used).
 */
#define bpf_insn pcap_bpf_insn
#include <pcap.h>
#undef bpf_insn

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uebpf/classic.h>

#include "bench_classic.h"
#include "exprs.h"

#define MAX_PACKETS 4096
#define TARGET_PACKETS 2000000 /* per timed pass set, whatever the capture size */


double cb_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile uint64_t sink;

/* ns per packet, best of five passes of reps runs of `all`, an expression
 * that handles the n packets once and gives a number to keep. The numbers
 * are summed in a register and stored once a pass: adding each one to the
 * volatile sink in memory would chain every run to the last through a store
 * and a reload (about 2 ns a packet on this machine, whatever runs). */
#define TIME_ALL_NS(reps, n, all)                                                \
	({                                                                       \
		double best_ = 1e30;                                             \
		for (int pass_ = 0; pass_ < 5; pass_++) {                        \
			uint64_t sum_ = 0;                                       \
			double t0_ = cb_now();                                   \
			for (int rep_ = 0; rep_ < (reps); rep_++)                \
				sum_ += (all);                                   \
			double t_ = (cb_now() - t0_) / (reps) / (double)(n) * 1e9; \
			sink += sum_;                                            \
			best_ = t_ < best_ ? t_ : best_;                         \
		}                                                                \
		best_;                                                           \
	})

/* The same with value computed for each packet i. */
#define TIME_NS(reps, n, value)                                                  \
	TIME_ALL_NS(reps, n, ({                                                  \
		uint64_t s_ = 0;                                                 \
		for (size_t i = 0; i < (n); i++)                                 \
			s_ += (value);                                           \
		s_;                                                              \
	}))

/* As the kernel's test_run times a program: each packet run `repeat` times
 * in a row (so its branches are learnt), the mean per run over the packets
 * not skipped; best of five. */
#define TIME_REPEAT_NS(repeat, n, skipped, value)                                 \
	({                                                                        \
		double best_ = 1e30;                                              \
		for (int pass_ = 0; pass_ < 5; pass_++) {                         \
			size_t runs_ = 0;                                         \
			uint64_t sum_ = 0;                                        \
			double t0_ = cb_now();                                    \
			for (size_t i = 0; i < (n); i++) {                        \
				if ((skipped)[i])                                 \
					continue;                                 \
				for (uint32_t rep_ = 0; rep_ < (repeat); rep_++) \
					sum_ += (value);                          \
				runs_ += (repeat);                                \
			}                                                         \
			double t_ = runs_ ? (cb_now() - t0_) / (double)runs_ * 1e9 : -1; \
			sink += sum_;                                             \
			best_ = t_ < best_ ? t_ : best_;                          \
		}                                                                 \
		best_;                                                            \
	})

#define KERNEL_REPEAT 1000

/* base_ns: uebpf's JIT, to say how many times faster it is */
static void result(const char *name, double ns, size_t accepted, size_t want, double base_ns, const char *why)
{
	if (ns < 0) {
		printf("   %-34s %9s   (%s)\n", name, "-", why);
		return;
	}
	printf("   %-34s %9.2f %8.1f", name, ns, 1e3 / ns);
	if (base_ns > 0)
		printf(" %8.2fx", ns / base_ns);
	else
		printf(" %9s", "");
	if (accepted != want)
		printf("   WRONG: accepts %zu packets, libpcap %zu", accepted, want);
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "tests/data/mixed.pcap";
	char err[PCAP_ERRBUF_SIZE + 256];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "classic-bench: %s\n", err);
		return 1;
	}
	struct cb_packets pk = { 0 };
	pk.data = calloc(MAX_PACKETS, sizeof(*pk.data));
	pk.caplen = calloc(MAX_PACKETS, sizeof(*pk.caplen));
	pk.wirelen = calloc(MAX_PACKETS, sizeof(*pk.wirelen));
	struct uebpf_classic_pkt *descs = calloc(MAX_PACKETS, sizeof(*descs));
	uint8_t *skipped = calloc(MAX_PACKETS, 1);
	uint32_t *verdicts = calloc(MAX_PACKETS, sizeof(*verdicts));
	if (!pk.data || !pk.caplen || !pk.wirelen || !descs || !skipped || !verdicts)
		return 1;
	int linktype = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pk.n < MAX_PACKETS && pcap_next_ex(p, &h, &d) == 1) {
		uint8_t *copy = malloc(h->caplen ? h->caplen : 1);
		memcpy(copy, d, h->caplen);
		pk.data[pk.n] = copy;
		pk.caplen[pk.n] = h->caplen;
		pk.wirelen[pk.n] = h->len;
		uebpf_classic_pkt_init(&descs[pk.n], linktype, copy, h->caplen, h->len);
		pk.n++;
	}
	int reps = (int)(TARGET_PACKETS / pk.n) + 1;
	printf("classic filters on %zu packets of %s, in memory; ns per packet (best of 5 x %d passes),\n"
	       "million packets per second, and how many times faster uebpf's JIT is than each\n",
	       pk.n, path, reps);

	double init_ns = TIME_NS(reps, pk.n, ({
					 struct uebpf_classic_pkt desc;
					 uebpf_classic_pkt_init(&desc, linktype, pk.data[i], pk.caplen[i], pk.wirelen[i]);
					 desc.protocol;
				 }));
	printf("(uebpf's runs get packet descriptors built beforehand; building one costs %.2f ns)\n", init_ns);

	/* the cost of a call, as test_run's empty-program baseline measures it for the kernel */
	const struct sock_filter empty[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct uebpf_classic_opts jit_opts = { .sz = sizeof(jit_opts), .runner = UEBPF_CLASSIC_RUN_JIT };
	struct uebpf_classic_prog *empty_prog = NULL;
	double empty_ns = -1;
	if (!uebpf_classic_load(empty, 1, &jit_opts, &empty_prog, err, sizeof(err))) {
		uebpf_classic_fn fn = uebpf_classic_prog_function(empty_prog);
		empty_ns = fn ? TIME_NS(reps, pk.n, (uint32_t)fn(&descs[i], sizeof(descs[i])))
			      : TIME_NS(reps, pk.n, uebpf_classic_run(empty_prog, &descs[i]));
		printf("(calling uebpf's JIT-compiled empty program costs %.2f ns a packet)\n", empty_ns);
	}

	char dpdk_err[256] = "", kern_err[256] = "";
	struct cb_dpdk *dpdk = cb_dpdk_open(&pk, dpdk_err, sizeof(dpdk_err));
	struct cb_kernel *kern = cb_kernel_open(kern_err, sizeof(kern_err));

	for (size_t e = 0; e < CB_NEXPRS; e++) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, cb_exprs[e], 1, 0) < 0) {
			fprintf(stderr, "classic-bench: %s: %s\n", cb_exprs[e], pcap_geterr(p));
			return 1;
		}
		const struct sock_filter *insns = (const struct sock_filter *)prog.bf_insns;
		printf("\n== %s (%u classic insns)\n   %-34s %9s %8s %9s\n", cb_exprs[e], prog.bf_len, "", "ns/pkt", "Mpps",
		       "JIT gain");

		size_t want = 0;
		for (size_t i = 0; i < pk.n; i++)
			want += bpf_filter(prog.bf_insns, pk.data[i], pk.wirelen[i], pk.caplen[i]) != 0;

		double ns[3];
		size_t acc[3];
		struct uebpf_classic_prog *jit_prog = NULL;
		static const char *const names[] = { "uebpf cBPF interpreter", "uebpf eBPF interpreter", "uebpf JIT" };
		for (int r = 0; r < 3; r++) {
			struct uebpf_classic_opts o = { .sz = sizeof(o), .runner = r };
			struct uebpf_classic_prog *cp;
			if (uebpf_classic_load(insns, prog.bf_len, &o, &cp, err, sizeof(err))) {
				ns[r] = -1;
				continue;
			}
			acc[r] = 0;
			for (size_t i = 0; i < pk.n; i++)
				acc[r] += uebpf_classic_run(cp, &descs[i]) != 0;
			/* the JIT's function called directly, as DPDK's is */
			uebpf_classic_fn fn = uebpf_classic_prog_function(cp);
			if (fn)
				ns[r] = TIME_NS(reps, pk.n, (uint32_t)fn(&descs[i], sizeof(descs[i])));
			else
				ns[r] = TIME_NS(reps, pk.n, uebpf_classic_run(cp, &descs[i]));
			if (r == UEBPF_CLASSIC_RUN_JIT)
				jit_prog = cp;
			else
				uebpf_classic_free(cp);
		}
		double jit = ns[2];
		for (int r = 0; r < 3; r++)
			result(names[r], ns[r], acc[r], want, r == 2 ? -1 : jit, "does not load");
		/* the loop over the packets inside the JIT code */
		size_t bacc = jit_prog ? uebpf_classic_run_batch(jit_prog, descs, pk.n, verdicts) : 0;
		double bns = jit_prog ? TIME_ALL_NS(reps, pk.n, uebpf_classic_run_batch(jit_prog, descs, pk.n, verdicts))
				      : -1;
		result("uebpf JIT, batch", bns, bacc, want, jit, "no JIT");

		double lp = TIME_NS(reps, pk.n, bpf_filter(prog.bf_insns, pk.data[i], pk.wirelen[i], pk.caplen[i]));
		result("libpcap bpf_filter", lp, want, want, jit, "");

		/* the ceiling: the same program as C, compiled by gcc into the loop */
		bool eth = linktype == DLT_EN10MB;
		size_t nacc = eth ? cb_native_pass(e, &pk, 1) : 0;
		double nns = eth ? TIME_ALL_NS(reps, pk.n, cb_native_pass(e, &pk, 0)) : -1;
		result("native C (gcc -O2, inlined)", nns, nacc, want, jit, "generated for Ethernet captures only");
		if (nns > 0)
			printf("   (libpcap / native C: %.2fx, libpcap / uebpf JIT: %.2fx, batch %.2fx)\n", lp / nns,
			       lp / jit, lp / bns);

		size_t dacc = 0;
		double dns = dpdk ? cb_dpdk_run(dpdk, insns, prog.bf_len, reps, &dacc, dpdk_err, sizeof(dpdk_err)) : -1;
		result("DPDK rte_bpf_convert + JIT", dns, dacc, want, jit, dpdk_err);

		/* compare on the packets the kernel's test_run takes */
		size_t kacc = 0, tested = 0, kwant = 0;
		double kns = kern ? cb_kernel_run(kern, insns, prog.bf_len, &pk, 1000, &kacc, &tested, skipped, kern_err,
						  sizeof(kern_err))
				  : -1;
		for (size_t i = 0; i < pk.n; i++)
			kwant += !skipped[i] && bpf_filter(prog.bf_insns, pk.data[i], pk.wirelen[i], pk.caplen[i]) != 0;
		if (empty_ns >= 0 && jit >= 0)
			result("uebpf JIT - empty", jit - empty_ns, acc[2], want, -1, "under the empty program's time: noise");
		/* like with like: uebpf's JIT timed the way test_run times the
		 * kernel's, on the same packets, minus its empty program timed so */
		double rep_ns = -1;
		size_t racc = 0;
		for (size_t i = 0; jit_prog && i < pk.n; i++)
			racc += !skipped[i] && uebpf_classic_run(jit_prog, &descs[i]) != 0;
		if (kns >= 0 && jit_prog && empty_prog)
			rep_ns = TIME_REPEAT_NS(KERNEL_REPEAT, pk.n, skipped, uebpf_classic_run(jit_prog, &descs[i])) -
				 TIME_REPEAT_NS(KERNEL_REPEAT, pk.n, skipped, uebpf_classic_run(empty_prog, &descs[i]));
		if (rep_ns >= 0 || kns < 0)
			result("uebpf JIT as test_run - empty", rep_ns, racc, kwant, -1, "no kernel comparison");
		result("kernel JIT (test_run - empty)", kns, kacc, kwant, rep_ns > 0 ? rep_ns : -1, kern_err);
		if (kns >= 0)
			printf("   (the kernel's test_run takes %zu of the %zu packets, and runs each %d times in a row)\n",
			       tested, pk.n, KERNEL_REPEAT);
		uebpf_classic_free(jit_prog);
		pcap_freecode(&prog);
	}
	uebpf_classic_free(empty_prog);
	cb_kernel_close(kern);
	pcap_close(p);
	return 0;
}
