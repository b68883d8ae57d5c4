/* BPF_PROG_TEST_RUN in user space, and packet runs for filters. Packet
 * programs run on a struct uebpf_pkt_ctx built around a copy of the frame,
 * with the kernel's XDP headroom in front for bpf_xdp_adjust_head; tracing
 * programs run on a zero-padded copy of the context. The input is fresh for
 * every run. */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uebpf/ctx.h>
#include <uebpf/test_run.h>

#include "helpers/runctx.h"
#include "isa/log.h"

#define HEADROOM 256      /* XDP_PACKET_HEADROOM */
#define BUF_SIZE 4096     /* one page per packet, as the kernel's test run */
#define TAILROOM_RESERVED 320 /* skb_shared_info at the end of the page */
#define MAX_CTX 65536

_Static_assert(UEBPF_PKT_MAX == BUF_SIZE - HEADROOM - TAILROOM_RESERVED, "UEBPF_PKT_MAX");

struct uebpf_pkt_runner {
	struct uebpf_prog *prog;
	uint32_t ifindex;
	uint8_t buf[BUF_SIZE] __attribute__((aligned(64)));
	struct uebpf_pkt_ctx ctx;
};

static bool is_packet_type(enum bpf_prog_type type)
{
	return type == BPF_PROG_TYPE_SOCKET_FILTER || type == BPF_PROG_TYPE_SCHED_CLS ||
	       type == BPF_PROG_TYPE_SCHED_ACT || type == BPF_PROG_TYPE_XDP;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The context fields the kernel fills for a received frame. */
static void fill_pkt(struct uebpf_pkt_runner *r, const uint8_t *frame, uint32_t len)
{
	struct uebpf_pkt_ctx *c = &r->ctx;
	uint8_t *data = r->buf + HEADROOM;
	memcpy(data, frame, len);
	memset(c, 0, sizeof(*c));
	c->buf_start = r->buf;
	c->buf_end = r->buf + BUF_SIZE - TAILROOM_RESERVED;
	c->data = c->data_meta = data;
	c->data_end = data + len;
	c->len = c->wire_len = len;
	c->pkt_type = PACKET_HOST;
	c->ifindex = c->ingress_ifindex = r->ifindex;
	c->gso_segs = 1;
	if (len >= ETH_HLEN) {
		uint16_t proto;
		memcpy(&proto, data + 12, 2);
		c->protocol = proto;
		/* an 802.1Q tag is what the kernel strips into vlan_tci */
		if (proto == __builtin_bswap16(ETH_P_8021Q) && len >= ETH_HLEN + 4) {
			uint16_t tci, inner;
			memcpy(&tci, data + 14, 2);
			memcpy(&inner, data + 16, 2);
			c->vlan_present = 1;
			c->vlan_tci = __builtin_bswap16(tci);
			c->vlan_proto = proto;
			c->protocol = inner;
		}
	}
}

int uebpf_pkt_runner_new(struct uebpf_prog *prog, enum bpf_prog_type type, uint32_t ifindex,
			 struct uebpf_pkt_runner **out, char *log, size_t log_sz)
{
	*out = NULL;
	if (!is_packet_type(type)) {
		uebpf_log(log, log_sz, "program type %d does not take packets", (int)type);
		return -EINVAL;
	}
	struct uebpf_pkt_runner *r = calloc(1, sizeof(*r));
	if (!r) {
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	r->prog = prog;
	r->ifindex = ifindex ? ifindex : 1;
	/* checked mode reaches the packet through a region */
	int err = uebpf_prog_add_region(prog, r->buf, BUF_SIZE, true);
	if (err) {
		free(r);
		uebpf_log(log, log_sz, "out of memory");
		return err;
	}
	*out = r;
	return 0;
}

int uebpf_pkt_runner_run(struct uebpf_pkt_runner *r, const void *frame, uint32_t len, uint64_t *ret,
			 const void **data, uint32_t *data_len, char *log, size_t log_sz)
{
	if (len < ETH_HLEN || len > UEBPF_PKT_MAX) {
		uebpf_log(log, log_sz, "packet of %u bytes: a packet run takes %d to %d bytes", len, ETH_HLEN,
			  UEBPF_PKT_MAX);
		return -EINVAL;
	}
	fill_pkt(r, frame, len);
	int err = uebpf_prog_run(r->prog, &r->ctx, sizeof(r->ctx), ret, log, log_sz);
	if (data)
		*data = r->ctx.data;
	if (data_len)
		*data_len = (uint8_t *)r->ctx.data_end - (uint8_t *)r->ctx.data;
	return err;
}

void uebpf_pkt_runner_free(struct uebpf_pkt_runner *r)
{
	if (!r)
		return;
	uebpf_prog_remove_region(r->prog, r->buf);
	free(r);
}

static int run_packets(struct uebpf_prog *prog, enum bpf_prog_type type, struct uebpf_test_run_opts *o,
		       uint32_t repeat, uint64_t *r0, uint64_t *total, char *log, size_t log_sz)
{
	struct uebpf_pkt_runner *r;
	int err = uebpf_pkt_runner_new(prog, type, o->ifindex, &r, log, log_sz);
	const void *data = NULL;
	uint32_t len = 0;
	for (uint32_t i = 0; i < repeat && !err; i++) {
		uint64_t t0 = now_ns();
		err = uebpf_pkt_runner_run(r, o->data_in, o->data_size_in, r0, &data, &len, log, log_sz);
		*total += now_ns() - t0;
	}
	if (!err) {
		if (o->data_out)
			memcpy(o->data_out, data, len < o->data_size_out ? len : o->data_size_out);
		o->data_size_out = len;
	}
	uebpf_pkt_runner_free(r);
	return err;
}

static int run_contexts(struct uebpf_prog *prog, enum bpf_prog_type type, struct uebpf_test_run_opts *o,
			uint32_t repeat, uint64_t *r0, uint64_t *total, char *log, size_t log_sz)
{
	if (o->ctx_size_in > MAX_CTX) {
		uebpf_log(log, log_sz, "context of %u bytes is larger than %d", o->ctx_size_in, MAX_CTX);
		return -EINVAL;
	}
	size_t ctx_sz = o->ctx_size_in > 4096 ? o->ctx_size_in : 4096;
	void *ctx = calloc(1, ctx_sz);
	if (!ctx) {
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	int err = uebpf_prog_add_region(prog, ctx, ctx_sz, type == BPF_PROG_TYPE_SYSCALL);
	struct uebpf_run_ctx *rc = uebpf_run_ctx_cur;
	if (rc && (type == BPF_PROG_TYPE_KPROBE || type == BPF_PROG_TYPE_PERF_EVENT))
		rc->regs = ctx;
	for (uint32_t i = 0; i < repeat && !err; i++) {
		memset(ctx, 0, ctx_sz);
		if (o->ctx_in)
			memcpy(ctx, o->ctx_in, o->ctx_size_in);
		rc->ctx = ctx;
		uint64_t t0 = now_ns();
		err = uebpf_prog_run(prog, ctx, ctx_sz, r0, log, log_sz);
		*total += now_ns() - t0;
	}
	if (!err && o->ctx_out) {
		uint32_t len = o->ctx_size_out < ctx_sz ? o->ctx_size_out : ctx_sz;
		memcpy(o->ctx_out, ctx, len);
		o->ctx_size_out = len;
	}
	uebpf_prog_remove_region(prog, ctx);
	free(ctx);
	return err;
}

int uebpf_prog_test_run(struct uebpf_prog *prog, enum bpf_prog_type type, struct uebpf_test_run_opts *o, char *log,
			size_t log_sz)
{
	if (!prog || !o || o->sz < sizeof(*o)) {
		uebpf_log(log, log_sz, "uebpf_test_run_opts: unsupported size");
		return -EINVAL;
	}
	struct uebpf_run_ctx rc = { .print = o->print, .print_arg = o->print_arg };
	struct uebpf_run_ctx *saved = uebpf_run_ctx_cur;
	uebpf_run_ctx_cur = &rc;
	uint32_t repeat = o->repeat ? o->repeat : 1;
	uint64_t r0 = 0, total = 0;
	int err = is_packet_type(type) ? run_packets(prog, type, o, repeat, &r0, &total, log, log_sz)
				       : run_contexts(prog, type, o, repeat, &r0, &total, log, log_sz);
	uebpf_run_ctx_cur = saved;
	if (!err) {
		o->retval64 = r0;
		o->retval = (uint32_t)r0;
		o->duration_ns = total / repeat;
	}
	return err;
}
