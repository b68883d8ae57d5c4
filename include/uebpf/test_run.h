/* uebpf: running a loaded program once or many times on given input, the
 * equivalent of the kernel's BPF_PROG_TEST_RUN, for every program type
 * uebpf runs: packet programs get a packet context built from data_in,
 * tracing programs get ctx_in as their context. */
#ifndef UEBPF_TEST_RUN_H
#define UEBPF_TEST_RUN_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uebpf_test_run_opts {
	size_t sz;               /* sizeof(struct uebpf_test_run_opts) */
	const void *data_in;     /* packet types: the frame, from its Ethernet header */
	uint32_t data_size_in;
	void *data_out;          /* may be NULL: the packet after the run */
	uint32_t data_size_out;  /* in: capacity of data_out; out: bytes the packet has */
	const void *ctx_in;      /* tracing types: the context (pt_regs, a tracepoint */
	uint32_t ctx_size_in;    /* record, raw tracepoint args...), zero-padded */
	void *ctx_out;           /* may be NULL: the context after the run */
	uint32_t ctx_size_out;
	uint32_t repeat;         /* 0 means 1; every run sees a fresh copy of the input */
	uint32_t retval;         /* out: r0 of the last run (low 32 bits, as the kernel) */
	uint64_t retval64;       /* out: all of r0 */
	uint64_t duration_ns;    /* out: mean time per run */
	/* bpf_trace_printk output, one message per call; NULL: to stderr */
	void (*print)(void *arg, const char *msg, size_t len);
	void *print_arg;
	uint32_t ifindex;        /* packet types: the ifindex of the context (default 1) */
};

/* prog was loaded for type (the object loader knows it). Returns 0, or a
 * negative errno with a log line (bad input size, a checked-mode fault). */
int uebpf_prog_test_run(struct uebpf_prog *prog, enum bpf_prog_type type, struct uebpf_test_run_opts *opts,
			char *log, size_t log_sz);

/* Packets one after another through a packet program (socket filter, tc,
 * XDP), for filters over captures: the buffer and context are made once,
 * each frame is copied in with the XDP headroom before it. */
struct uebpf_pkt_runner;
int uebpf_pkt_runner_new(struct uebpf_prog *prog, enum bpf_prog_type type, uint32_t ifindex,
			 struct uebpf_pkt_runner **out, char *log, size_t log_sz);
/* frame: from its Ethernet header; *ret is r0. The frame after the run (a
 * program may change it) is returned through data/len when not NULL. */
int uebpf_pkt_runner_run(struct uebpf_pkt_runner *r, const void *frame, uint32_t len, uint64_t *ret,
			 const void **data, uint32_t *data_len, char *log, size_t log_sz);
void uebpf_pkt_runner_free(struct uebpf_pkt_runner *r);
/* The largest frame a packet run takes. */
#define UEBPF_PKT_MAX 3520

#ifdef __cplusplus
}
#endif

#endif
