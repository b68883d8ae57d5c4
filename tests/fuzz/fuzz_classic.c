/* libFuzzer target for the classic layer. Input: one byte of options, one
 * byte L, L bytes of packet, then struct sock_filter instructions.
 *
 * - The checker and the loose checker never crash.
 * - What the loose checker accepts, the cBPF interpreter runs (loops end at
 *   the backward-jump budget).
 * - What the kernel's checker accepts  translates to eBPF that uebpf's eBPF
 *   verifier accepts (program type UEBPF_PROG_TYPE_CLASSIC), that runs in the *checked* eBPF interpreter
 *   with nothing but the descriptor, the packet and the stack reachable
 *   without a fault, and that returns what the cBPF interpreter returns;
 *   the JIT, where it compiles the translation, agrees too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/classic.h>
#include <uebpf/uebpf.h>
#include <uebpf/verifier.h>

#include "progtypes/progtype.h"

static struct uebpf_helper_table *helpers;

static void die(const char *what, const char *log)
{
	fprintf(stderr, "fuzz_classic: %s: %s\n", what, log);
	abort();
}

static uint32_t run_translation(const struct bpf_insn *e, size_t n, enum uebpf_engine engine,
				const struct uebpf_classic_pkt *pkt, int *ok)
{
	struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = engine, .helpers = helpers };
	struct uebpf_prog *prog;
	char log[256];
	uint64_t ret = 0;

	*ok = 0;
	if (engine == UEBPF_ENGINE_JIT)
		o.flags = UEBPF_F_VERIFIED;
	if (uebpf_prog_load(e, n, &o, &prog, log, sizeof(log))) {
		if (engine == UEBPF_ENGINE_JIT)
			return 0; /* not built, or out of memory: nothing to compare */
		die("the translation does not load", log);
	}
	if (engine == UEBPF_ENGINE_INTERP && pkt->caplen &&
	    uebpf_prog_add_region(prog, (void *)pkt->data, pkt->caplen, false))
		abort();
	if (uebpf_prog_run(prog, (void *)pkt, sizeof(*pkt), &ret, log, sizeof(log)))
		die("the translation faults", log);
	uebpf_prog_free(prog);
	*ok = 1;
	return (uint32_t)ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (!helpers) {
		helpers = uebpf_helper_table_new();
		if (!helpers || uebpf_classic_helpers_register(helpers))
			abort();
	}
	enum uebpf_classic_semantics sem = data[0] & 1 ? UEBPF_CLASSIC_KERNEL : UEBPF_CLASSIC_LIBPCAP;
	int linktype = data[0] & 2 ? 113 /* Linux SLL */ : 1 /* Ethernet */;
	size_t pkt_len = data[1];
	if (size < 2 + pkt_len)
		return 0;
	size_t n = (size - 2 - pkt_len) / sizeof(struct sock_filter);
	if (n > 1024)
		return 0;

	/* exact-size copies: ASan reports any byte read outside them */
	uint8_t *packet = malloc(pkt_len ? pkt_len : 1);
	struct sock_filter *insns = malloc(n ? n * sizeof(*insns) : 1);
	if (!packet || !insns)
		abort();
	memcpy(packet, data + 2, pkt_len);
	memcpy(insns, data + 2 + pkt_len, n * sizeof(*insns));

	char log[256];
	int kernel_ok = uebpf_classic_check(n ? insns : NULL, n, log, sizeof(log)) == 0;
	int loose_ok = uebpf_classic_check_loose(n ? insns : NULL, n, log, sizeof(log)) == 0;
	if (kernel_ok && !loose_ok)
		abort(); /* the loose rules must include the kernel's */

	if (loose_ok) {
		struct uebpf_classic_opts o = { .sz = sizeof(o), .semantics = sem, .runner = UEBPF_CLASSIC_RUN_CBPF,
						.flags = UEBPF_CLASSIC_F_FALLBACK };
		struct uebpf_classic_prog *prog;
		if (uebpf_classic_load(insns, n, &o, &prog, log, sizeof(log)))
			die("the loose checker accepts, the load refuses", log);

		/* the packet whole, cut short, and empty */
		const uint32_t lens[] = { (uint32_t)pkt_len, (uint32_t)pkt_len / 2, 0 };
		struct bpf_insn *e = NULL;
		size_t en = 0;
		if (kernel_ok && uebpf_classic_translate(insns, n, sem, &e, &en, log, sizeof(log)) &&
		    !strstr(log, "jump too far"))
			die("the checker accepts, the translation refuses", log);
		if (e) {
			/* every translation passes uebpf's eBPF verifier */
			struct uebpf_verify_opts vo = { .sz = sizeof(vo), .prog_type = UEBPF_PROG_TYPE_CLASSIC };
			struct uebpf_verify_result res = { 0 };
			char vlog[512];
			if (uebpf_verify(e, en, &vo, &res, vlog, sizeof(vlog)))
				die("the eBPF verifier refuses a translation", vlog);
			uebpf_verify_result_free(&res);
		}
		for (int i = 0; i < 3; i++) {
			struct uebpf_classic_pkt pkt;
			uebpf_classic_pkt_init(&pkt, linktype, packet, lens[i], (uint32_t)pkt_len + 7);
			pkt.mark = 0x1234;
			uint32_t want = uebpf_classic_run(prog, &pkt);
			if (!e)
				continue;
			/* values that are not a function of the packet */
			int unpredictable = 0;
			for (size_t j = 0; j < n; j++)
				unpredictable |= (insns[j].code & 0x07) == BPF_LD && (insns[j].code & 0xe0) == BPF_ABS &&
						 (insns[j].k == (uint32_t)(SKF_AD_OFF + SKF_AD_RANDOM) ||
						  insns[j].k == (uint32_t)(SKF_AD_OFF + SKF_AD_CPU));
			int ok;
			uint32_t got = run_translation(e, en, UEBPF_ENGINE_INTERP, &pkt, &ok);
			if (!unpredictable && got != want)
				die("the eBPF interpreter disagrees with the cBPF one", "");
			got = run_translation(e, en, UEBPF_ENGINE_JIT, &pkt, &ok);
			if (ok && !unpredictable && got != want)
				die("the JIT disagrees with the cBPF interpreter", "");
		}
		free(e);
		uebpf_classic_free(prog);
	}
	free(insns);
	free(packet);
	return 0;
}
