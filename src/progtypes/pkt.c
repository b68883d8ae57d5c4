/* Packet program types: socket filters and tc programs see a __sk_buff,
 * XDP programs an xdp_md; both are rewritten onto struct uebpf_pkt_ctx
 * (include/uebpf/ctx.h), where data, data_end and data_meta are real
 * 64-bit pointers. */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>

#include <uebpf/ctx.h>

#include "progtypes/funcs.h"
#include "progtypes/progtype.h"

enum {
	RD_SOCK = 1 << 0,  /* readable by socket filters */
	WR_SOCK = 1 << 1,  /* writable by socket filters */
	WR_TC = 1 << 2,    /* writable by tc programs */
	FIXED = 1 << 3,    /* only whole-field access (no narrow loads) */
};

struct field {
	uint16_t off, size;     /* in the program's struct */
	uint16_t to, to_size;   /* in struct uebpf_pkt_ctx */
	uint8_t flags;
	enum uebpf_ctx_field kind;
};

#define SKB(f, fl) { offsetof(struct __sk_buff, f), sizeof(((struct __sk_buff *)0)->f), \
		     offsetof(struct uebpf_pkt_ctx, f), sizeof(((struct uebpf_pkt_ctx *)0)->f), fl, UEBPF_CTX_SCALAR }
#define SKB_PTR(f, k) { offsetof(struct __sk_buff, f), 4, offsetof(struct uebpf_pkt_ctx, f), 8, FIXED, k }

static const struct field skb_fields[] = {
	SKB(len, RD_SOCK),
	SKB(pkt_type, RD_SOCK),
	SKB(mark, RD_SOCK | WR_TC),
	SKB(queue_mapping, RD_SOCK | WR_TC),
	SKB(protocol, RD_SOCK),
	SKB(vlan_present, RD_SOCK),
	SKB(vlan_tci, RD_SOCK),
	SKB(vlan_proto, RD_SOCK),
	SKB(priority, RD_SOCK | WR_TC),
	SKB(ingress_ifindex, RD_SOCK),
	SKB(ifindex, RD_SOCK),
	SKB(tc_index, RD_SOCK | WR_TC),
	SKB(cb, RD_SOCK | WR_SOCK | WR_TC),
	SKB(hash, RD_SOCK),
	SKB(tc_classid, WR_TC),
	SKB_PTR(data, UEBPF_CTX_PKT),
	SKB_PTR(data_end, UEBPF_CTX_PKT_END),
	SKB(napi_id, RD_SOCK),
	SKB_PTR(data_meta, UEBPF_CTX_PKT_META),
	SKB(tstamp, WR_TC | FIXED),
	SKB(wire_len, 0),
	SKB(gso_segs, RD_SOCK),
	SKB(gso_size, RD_SOCK),
	SKB(hwtstamp, FIXED),
};

#define XDP(f, to_f, k) { offsetof(struct xdp_md, f), 4, offsetof(struct uebpf_pkt_ctx, to_f), \
			  sizeof(((struct uebpf_pkt_ctx *)0)->to_f), FIXED, k }

static const struct field xdp_fields[] = {
	XDP(data, data, UEBPF_CTX_PKT),
	XDP(data_end, data_end, UEBPF_CTX_PKT_END),
	XDP(data_meta, data_meta, UEBPF_CTX_PKT_META),
	XDP(ingress_ifindex, ingress_ifindex, UEBPF_CTX_SCALAR),
	XDP(rx_queue_index, rx_queue_index, UEBPF_CTX_SCALAR),
};

static const struct field *find(const struct field *f, size_t n, int off, int size)
{
	if (off < 0 || size <= 0 || off % size)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (off < f[i].off || off + size > f[i].off + f[i].size)
			continue;
		if ((f[i].flags & FIXED) && (off != f[i].off || size != f[i].size))
			return NULL;
		return &f[i];
	}
	return NULL;
}

static int access(const struct field *f, bool tc, bool write, enum uebpf_ctx_field *kind)
{
	if (!f)
		return -EACCES;
	if (write ? !(f->flags & (tc ? WR_TC : WR_SOCK)) : !tc && !(f->flags & RD_SOCK))
		return -EACCES;
	if (write && f->kind != UEBPF_CTX_SCALAR)
		return -EACCES;
	*kind = f->kind;
	return 0;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int sock_access(int off, int size, bool write, bool priv, enum uebpf_ctx_field *kind)
{
	return access(find(skb_fields, N(skb_fields), off, size), false, write, kind);
}

static int tc_access(int off, int size, bool write, bool priv, enum uebpf_ctx_field *kind)
{
	return access(find(skb_fields, N(skb_fields), off, size), true, write, kind);
}

static int xdp_access(int off, int size, bool write, bool priv, enum uebpf_ctx_field *kind)
{
	const struct field *f = find(xdp_fields, N(xdp_fields), off, size);
	if (!f || write)
		return -EACCES;
	*kind = f->kind;
	return 0;
}

static const uint8_t bpf_size[9] = { [1] = BPF_B, [2] = BPF_H, [4] = BPF_W, [8] = BPF_DW };
static const uint8_t size_bytes[4] = { [BPF_W >> 3] = 4, [BPF_H >> 3] = 2, [BPF_B >> 3] = 1, [BPF_DW >> 3] = 8 };

/* The access is valid (the verifier checked it), so the field exists: move
 * the offset, and widen pointer loads to 64 bits. */
static int convert(const struct field *fields, size_t n, const struct bpf_insn *insn, struct bpf_insn *out,
		   size_t max)
{
	int size = size_bytes[BPF_SIZE(insn->code) >> 3];
	const struct field *f = find(fields, n, insn->off, size);
	if (!f || !max)
		return -EINVAL;
	out[0] = *insn;
	if (f->to_size != f->size) {
		out[0].code = (insn->code & ~0x18) | bpf_size[f->to_size];
		out[0].off = f->to;
	} else {
		out[0].off = f->to + (insn->off - f->off);
	}
	return 1;
}

static int skb_convert(const struct bpf_insn *insn, struct bpf_insn *out, size_t max)
{
	return convert(skb_fields, N(skb_fields), insn, out, max);
}

static int xdp_convert(const struct bpf_insn *insn, struct bpf_insn *out, size_t max)
{
	return convert(xdp_fields, N(xdp_fields), insn, out, max);
}

/* r0 = helper(ctx = r6, offset); a negative result ends the program with 0,
 * as an out-of-packet LD_ABS does. r1-r5 are clobbered, as LD_ABS may. */
static int gen_ld_abs(const struct bpf_insn *insn, struct bpf_insn *out, size_t max)
{
	static const int32_t fn[4] = { [BPF_W >> 3] = UEBPF_FUNC_ld_abs_32, [BPF_H >> 3] = UEBPF_FUNC_ld_abs_16,
				       [BPF_B >> 3] = UEBPF_FUNC_ld_abs_8, [BPF_DW >> 3] = 0 };
	int32_t id = fn[BPF_SIZE(insn->code) >> 3];
	size_t n = 0;
	if (!id || max < 7)
		return -EINVAL;
	if (BPF_MODE(insn->code) == BPF_IND) {
		out[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2,
					      .src_reg = insn->src_reg };
		out[n++] = (struct bpf_insn){ .code = BPF_ALU | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = insn->imm };
	} else {
		out[n++] = (struct bpf_insn){ .code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = insn->imm };
	}
	out[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_6 };
	out[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = id };
	out[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_JSGE | BPF_K, .dst_reg = BPF_REG_0, .off = 2 };
	out[n++] = (struct bpf_insn){ .code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 };
	out[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	return n;
}

static const struct uebpf_helper_proto *sock_proto(uint32_t id, bool priv)
{
	switch (id) {
	case BPF_FUNC_skb_load_bytes:
	case BPF_FUNC_perf_event_output:
		return uebpf_helper_proto(id);
	}
	return uebpf_base_func_proto(id, priv);
}

static const struct uebpf_helper_proto *tc_proto(uint32_t id, bool priv)
{
	switch (id) {
	case BPF_FUNC_skb_load_bytes:
	case BPF_FUNC_csum_diff:
	case BPF_FUNC_perf_event_output:
		return uebpf_helper_proto(id);
	}
	return uebpf_base_func_proto(id, priv);
}

static const struct uebpf_helper_proto *xdp_proto(uint32_t id, bool priv)
{
	switch (id) {
	case BPF_FUNC_perf_event_output:
	case BPF_FUNC_csum_diff:
	case BPF_FUNC_xdp_adjust_head:
	case BPF_FUNC_xdp_adjust_tail:
		return uebpf_helper_proto(id);
	}
	return uebpf_base_func_proto(id, priv);
}

const struct uebpf_progtype uebpf_progtype_socket_filter = {
	.type = BPF_PROG_TYPE_SOCKET_FILTER,
	.name = "socket_filter",
	.ctx_size = sizeof(struct __sk_buff),
	.is_valid_access = sock_access,
	.convert_ctx_access = skb_convert,
	.func_proto = sock_proto,
	.ld_abs = true,
	.gen_ld_abs = gen_ld_abs,
};

const struct uebpf_progtype uebpf_progtype_sched_cls = {
	.type = BPF_PROG_TYPE_SCHED_CLS,
	.name = "sched_cls",
	.ctx_size = sizeof(struct __sk_buff),
	.is_valid_access = tc_access,
	.convert_ctx_access = skb_convert,
	.func_proto = tc_proto,
	.ld_abs = true,
	.gen_ld_abs = gen_ld_abs,
	.pkt_access = true,
};

const struct uebpf_progtype uebpf_progtype_sched_act = {
	.type = BPF_PROG_TYPE_SCHED_ACT,
	.name = "sched_act",
	.ctx_size = sizeof(struct __sk_buff),
	.is_valid_access = tc_access,
	.convert_ctx_access = skb_convert,
	.func_proto = tc_proto,
	.ld_abs = true,
	.gen_ld_abs = gen_ld_abs,
	.pkt_access = true,
};

const struct uebpf_progtype uebpf_progtype_xdp = {
	.type = BPF_PROG_TYPE_XDP,
	.name = "xdp",
	.ctx_size = sizeof(struct xdp_md),
	.is_valid_access = xdp_access,
	.convert_ctx_access = xdp_convert,
	.func_proto = xdp_proto,
	.pkt_access = true,
};
