/* A loaded classic filter: checked, then translated to eBPF and prepared for
 * uebpf's interpreter or JIT, or kept for the cBPF interpreter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/engine.h>
#include <uebpf/verifier.h>

#include "classic/internal.h"
#include "progtypes/progtype.h"

struct uebpf_classic_prog {
	struct sock_filter *insns;
	size_t n;
	enum uebpf_classic_semantics sem;
	enum uebpf_classic_runner runner;
	bool kernel_checked;     /* passed uebpf_classic_check, not only the loose rules */
	struct uebpf_prog *ebpf; /* the translation, unless runner is RUN_CBPF */
	uebpf_prog_fn jit_fn;    /* its native code, when JIT-compiled */
	uebpf_prog_batch_fn batch_fn; /* ... and its batch entry, when the JIT made one */
};

/* Translate, verify and load for uebpf's interpreter or JIT. The kernel
 * trusts a converted classic filter after bpf_check_classic; uebpf also runs
 * its eBPF verifier on the translation (program type
 * UEBPF_PROG_TYPE_CLASSIC), so a mistake in the translation is a refusal,
 * not memory read out of bounds. */
static int load_ebpf(struct uebpf_classic_prog *p, char *log, size_t log_sz)
{
	struct bpf_insn *insns;
	size_t n;
	int err = uebpf_classic_translate(p->insns, p->n, p->sem, &insns, &n, log, log_sz);
	if (err)
		return err;

	struct uebpf_verify_opts vo = { .sz = sizeof(vo), .prog_type = UEBPF_PROG_TYPE_CLASSIC };
	struct uebpf_verify_result res = { 0 };
	char why[256];
	err = uebpf_verify(insns, n, &vo, &res, why, sizeof(why));
	free(insns);
	if (err) {
		/* the last line of the log is the refusal */
		char *nl;
		while ((nl = strrchr(why, '\n')) && !nl[1])
			*nl = 0;
		uebpf_log(log, log_sz, "the eBPF verifier refuses the translation: %s", nl ? nl + 1 : why);
		return err;
	}

	struct uebpf_helper_table *helpers = uebpf_helper_table_new();
	if (!helpers || (err = uebpf_classic_helpers_register(helpers))) {
		uebpf_log(log, log_sz, "out of memory");
		err = -ENOMEM;
	} else {
		struct uebpf_prog_opts opts = {
			.sz = sizeof(opts),
			.engine = p->runner == UEBPF_CLASSIC_RUN_JIT ? UEBPF_ENGINE_JIT : UEBPF_ENGINE_INTERP,
			.flags = UEBPF_F_VERIFIED,
			.helpers = helpers,
		};
		err = uebpf_prog_load(res.insns, res.n, &opts, &p->ebpf, log, log_sz);
		if (!err)
			p->jit_fn = uebpf_prog_function(p->ebpf); /* NULL on the interpreter */
		/* without a batch entry (out of memory: translations use
		 * nothing it refuses), uebpf_classic_run_batch goes packet by
		 * packet */
		if (p->jit_fn && !uebpf_prog_jit_batch(p->ebpf, NULL, 0))
			p->batch_fn = uebpf_prog_batch_function(p->ebpf);
	}
	uebpf_helper_table_free(helpers);
	uebpf_verify_result_free(&res);
	return err;
}

int uebpf_classic_load(const struct sock_filter *insns, size_t n, const struct uebpf_classic_opts *opts,
		       struct uebpf_classic_prog **out, char *log, size_t log_sz)
{
	struct uebpf_classic_opts o = { .sz = sizeof(o) };
	char why[256];
	int err;

	*out = NULL;
	if (opts) {
		if (opts->sz < offsetof(struct uebpf_classic_opts, flags) + sizeof(opts->flags) ||
		    opts->sz > sizeof(o)) {
			uebpf_log(log, log_sz, "uebpf_classic_opts: unsupported size %zu", opts->sz);
			return -EINVAL;
		}
		memcpy(&o, opts, opts->sz);
	}
	if (o.semantics != UEBPF_CLASSIC_LIBPCAP && o.semantics != UEBPF_CLASSIC_KERNEL) {
		uebpf_log(log, log_sz, "unknown classic semantics %d", (int)o.semantics);
		return -EINVAL;
	}
	if (o.runner != UEBPF_CLASSIC_RUN_CBPF && o.runner != UEBPF_CLASSIC_RUN_INTERP &&
	    o.runner != UEBPF_CLASSIC_RUN_JIT) {
		uebpf_log(log, log_sz, "unknown classic runner %d", (int)o.runner);
		return -EINVAL;
	}
	bool fallback = o.flags & UEBPF_CLASSIC_F_FALLBACK;

	/* the kernel's rules first; the loose ones only for the cBPF interpreter */
	bool kernel_ok = uebpf_classic_check(insns, n, why, sizeof(why)) == 0;
	if (!kernel_ok && !fallback) {
		uebpf_log(log, log_sz, "%s", why);
		return -EINVAL;
	}
	if (!kernel_ok && (err = uebpf_classic_check_loose(insns, n, log, log_sz)))
		return err;

	struct uebpf_classic_prog *p = calloc(1, sizeof(*p));
	if (!p || !(p->insns = malloc(n * sizeof(*insns)))) {
		free(p);
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	memcpy(p->insns, insns, n * sizeof(*insns));
	p->n = n;
	p->sem = o.semantics;
	p->kernel_checked = kernel_ok;
	p->runner = kernel_ok ? o.runner : UEBPF_CLASSIC_RUN_CBPF;
	if (kernel_ok)
		uebpf_log(log, log_sz, "%s", "");
	else
		uebpf_log(log, log_sz, "%s; running in the cBPF interpreter", why);

	if (p->runner != UEBPF_CLASSIC_RUN_CBPF && (err = load_ebpf(p, why, sizeof(why)))) {
		if (!fallback) {
			uebpf_log(log, log_sz, "%s", why);
			uebpf_classic_free(p);
			return err;
		}
		uebpf_log(log, log_sz, "%s; running in the cBPF interpreter", why);
		p->runner = UEBPF_CLASSIC_RUN_CBPF;
	}
	*out = p;
	return 0;
}

void uebpf_classic_free(struct uebpf_classic_prog *prog)
{
	if (!prog)
		return;
	uebpf_prog_free(prog->ebpf);
	free(prog->insns);
	free(prog);
}

enum uebpf_classic_runner uebpf_classic_prog_runner(const struct uebpf_classic_prog *prog)
{
	return prog->runner;
}

uint32_t uebpf_classic_run(const struct uebpf_classic_prog *prog, const struct uebpf_classic_pkt *pkt)
{
	/* a translated filter makes no calls back into the engine (no tail
	 * calls, no callbacks): its JIT code is called straight */
	if (prog->jit_fn)
		return (uint32_t)prog->jit_fn((void *)pkt, sizeof(*pkt));
	if (prog->ebpf) {
		uint64_t ret = 0;
		/* a translated filter reads the descriptor and never writes it */
		if (uebpf_prog_run(prog->ebpf, (void *)pkt, sizeof(*pkt), &ret, NULL, 0))
			return 0;
		return (uint32_t)ret;
	}
	return classic_interp(prog->insns, prog->sem, prog->kernel_checked, pkt);
}

uebpf_classic_fn uebpf_classic_prog_function(const struct uebpf_classic_prog *prog)
{
	return prog->jit_fn;
}

size_t uebpf_classic_run_batch(const struct uebpf_classic_prog *prog, const struct uebpf_classic_pkt *pkts,
			       size_t n, uint32_t *verdicts)
{
	if (prog->batch_fn && n)
		prog->batch_fn((void *)pkts, n, verdicts, sizeof(*pkts));
	else
		for (size_t i = 0; i < n; i++)
			verdicts[i] = uebpf_classic_run(prog, &pkts[i]);
	size_t accepted = 0;
	for (size_t i = 0; i < n; i++)
		accepted += verdicts[i] != 0;
	return accepted;
}
