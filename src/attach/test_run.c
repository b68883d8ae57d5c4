/* BPF_PROG_TEST_RUN in user space. Packet programs run on a struct
 * uebpf_pkt_ctx built around a copy of the frame, with the kernel's XDP
 * headroom in front for bpf_xdp_adjust_head; tracing programs run on a
 * zero-padded copy of the context. The input is fresh for every run. */
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

/* The context fields the kernel's test run fills for a frame. */
static void fill_pkt(struct uebpf_pkt_ctx *c, uint8_t *buf, const struct uebpf_test_run_opts *o)
{
	uint8_t *data = buf + HEADROOM;
	memcpy(data, o->data_in, o->data_size_in);
	memset(c, 0, sizeof(*c));
	c->buf_start = buf;
	c->buf_end = buf + BUF_SIZE - TAILROOM_RESERVED;
	c->data = c->data_meta = data;
	c->data_end = data + o->data_size_in;
	c->len = c->wire_len = o->data_size_in;
	c->pkt_type = PACKET_HOST;
	c->ifindex = c->ingress_ifindex = o->ifindex ? o->ifindex : 1;
	c->gso_segs = 1;
	if (o->data_size_in >= ETH_HLEN) {
		uint16_t proto;
		memcpy(&proto, data + 12, 2);
		c->protocol = proto;
		/* an 802.1Q tag is what the kernel strips into vlan_tci */
		if (proto == __builtin_bswap16(ETH_P_8021Q) && o->data_size_in >= ETH_HLEN + 4) {
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

int uebpf_prog_test_run(struct uebpf_prog *prog, enum bpf_prog_type type, struct uebpf_test_run_opts *o, char *log,
			size_t log_sz)
{
	if (!prog || !o || o->sz < sizeof(*o)) {
		uebpf_log(log, log_sz, "uebpf_test_run_opts: unsupported size");
		return -EINVAL;
	}
	bool pkt = is_packet_type(type);
	if (pkt && (o->data_size_in < ETH_HLEN || o->data_size_in > BUF_SIZE - HEADROOM - TAILROOM_RESERVED)) {
		uebpf_log(log, log_sz, "packet of %u bytes: a test run takes %d to %d bytes", o->data_size_in, ETH_HLEN,
			  BUF_SIZE - HEADROOM - TAILROOM_RESERVED);
		return -EINVAL;
	}
	if (!pkt && o->ctx_size_in > MAX_CTX) {
		uebpf_log(log, log_sz, "context of %u bytes is larger than %d", o->ctx_size_in, MAX_CTX);
		return -EINVAL;
	}
	uint8_t *buf = calloc(1, BUF_SIZE);
	size_t ctx_sz = pkt ? sizeof(struct uebpf_pkt_ctx) : (o->ctx_size_in > 4096 ? o->ctx_size_in : 4096);
	void *ctx = calloc(1, ctx_sz);
	if (!buf || !ctx) {
		free(buf);
		free(ctx);
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	/* checked mode reaches the packet and the context through regions */
	int err = uebpf_prog_add_region(prog, buf, BUF_SIZE, true);
	if (!err && !pkt)
		err = uebpf_prog_add_region(prog, ctx, ctx_sz, type == BPF_PROG_TYPE_SYSCALL);

	struct uebpf_run_ctx rc = { .ctx = ctx, .print = o->print, .print_arg = o->print_arg };
	if (type == BPF_PROG_TYPE_KPROBE || type == BPF_PROG_TYPE_PERF_EVENT)
		rc.regs = ctx;
	struct uebpf_run_ctx *saved = uebpf_run_ctx_cur;
	uebpf_run_ctx_cur = &rc;
	uint32_t repeat = o->repeat ? o->repeat : 1;
	uint64_t r0 = 0, total = 0;
	for (uint32_t i = 0; i < repeat && !err; i++) {
		if (pkt) {
			fill_pkt(ctx, buf, o);
		} else {
			memset(ctx, 0, ctx_sz);
			if (o->ctx_in)
				memcpy(ctx, o->ctx_in, o->ctx_size_in);
		}
		uint64_t t0 = now_ns();
		err = uebpf_prog_run(prog, ctx, pkt ? sizeof(struct uebpf_pkt_ctx) : ctx_sz, &r0, log, log_sz);
		total += now_ns() - t0;
	}
	uebpf_run_ctx_cur = saved;
	if (!err) {
		o->retval64 = r0;
		o->retval = (uint32_t)r0;
		o->duration_ns = total / repeat;
		if (pkt) {
			struct uebpf_pkt_ctx *c = ctx;
			uint32_t len = (uint8_t *)c->data_end - (uint8_t *)c->data;
			if (o->data_out)
				memcpy(o->data_out, c->data, len < o->data_size_out ? len : o->data_size_out);
			o->data_size_out = len;
		} else if (o->ctx_out) {
			uint32_t len = o->ctx_size_out < ctx_sz ? o->ctx_size_out : ctx_sz;
			memcpy(o->ctx_out, ctx, len);
			o->ctx_size_out = len;
		}
	}
	uebpf_prog_remove_region(prog, buf);
	uebpf_prog_remove_region(prog, ctx);
	free(buf);
	free(ctx);
	return err;
}
