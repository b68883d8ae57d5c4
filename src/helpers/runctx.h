/* What a helper needs to know about the run that called it. Whoever runs a
 * program (the object layer's test run, an attach point) fills one on its own
 * stack and sets uebpf_run_ctx_cur for the duration of the run; it is per
 * thread, so concurrent runs on other threads do not see it. */
#ifndef UEBPF_HELPERS_RUNCTX_H
#define UEBPF_HELPERS_RUNCTX_H

#include <stddef.h>
#include <stdint.h>

struct uebpf_run_ctx {
	void *ctx;               /* what r1 pointed at on entry */
	uint64_t attach_cookie;  /* bpf_get_attach_cookie */
	uint64_t func_ip;        /* bpf_get_func_ip */
	/* bpf_trace_printk output: one formatted message (no trailing newline
	 * added); NULL: written to stderr */
	void (*print)(void *arg, const char *msg, size_t len);
	void *print_arg;
	void *regs;              /* struct pt_regs of the event (user stacks), or NULL */
	uint32_t tail_calls;     /* taken so far; at most 33 as in the kernel */
};

extern _Thread_local struct uebpf_run_ctx *uebpf_run_ctx_cur;

#endif
