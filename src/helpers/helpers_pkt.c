/* Packet helpers. After the verifier's context rewrite, a packet program's
 * ctx is a struct uebpf_pkt_ctx (include/uebpf/ctx.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <uebpf/ctx.h>

#include "helpers/impl.h"

#define PKT ((struct uebpf_pkt_ctx *)(uintptr_t)r1)
#define ETH_HLEN 14

/* bpf_skb_load_bytes(skb, offset, to, len) */
HELPER(skb_load_bytes)
{
	struct uebpf_pkt_ctx *p = PKT;
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	size_t avail = (uint8_t *)p->data_end - (uint8_t *)p->data;
	if ((int32_t)off < 0 || off > avail || len > avail - off) {
		memset((void *)(uintptr_t)r3, 0, len);
		return -EFAULT;
	}
	memcpy((void *)(uintptr_t)r3, (uint8_t *)p->data + off, len);
	return 0;
}

/* bpf_xdp_adjust_head(xdp, delta): moves data; metadata moves with it when
 * there is none, and at least an Ethernet header must remain */
HELPER(xdp_adjust_head)
{
	struct uebpf_pkt_ctx *p = PKT;
	uint8_t *data = (uint8_t *)p->data + (int32_t)r2;
	bool no_meta = p->data_meta == p->data;
	uint8_t *lo = no_meta ? p->buf_start : p->data_meta;
	if (data < lo || data > (uint8_t *)p->data_end - ETH_HLEN)
		return -EINVAL;
	if (no_meta)
		p->data_meta = data;
	p->data = data;
	p->len = (uint8_t *)p->data_end - data;
	return 0;
}

HELPER(xdp_adjust_tail)
{
	struct uebpf_pkt_ctx *p = PKT;
	uint8_t *end = (uint8_t *)p->data_end + (int32_t)r2;
	if (end > (uint8_t *)p->buf_end || end < (uint8_t *)p->data + ETH_HLEN)
		return -EINVAL;
	if ((int32_t)r2 > 0)
		memset(p->data_end, 0, (int32_t)r2);
	p->data_end = end;
	p->len = end - (uint8_t *)p->data;
	return 0;
}

/* bpf_csum_diff(from, from_size, to, to_size, seed): the 32-bit one's-complement
 * sum of seed, the words of to and the complements of the words of from */
HELPER(csum_diff)
{
	const uint32_t *from = (const uint32_t *)(uintptr_t)r1, *to = (const uint32_t *)(uintptr_t)r3;
	uint32_t from_sz = (uint32_t)r2, to_sz = (uint32_t)r4;
	if (from_sz % 4 || to_sz % 4 || from_sz + to_sz > 512)
		return -EINVAL;
	uint64_t acc = (uint32_t)r5;
	for (uint32_t i = 0; i < from_sz / 4; i++)
		acc += (uint32_t)~from[i];
	for (uint32_t i = 0; i < to_sz / 4; i++)
		acc += to[i];
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return acc;
}

/* LD_ABS / LD_IND after the rewrite: (ctx, offset) -> the big-endian value,
 * or -EFAULT when it is not inside the packet */
static uint64_t ld_abs(uint64_t r1, uint64_t r2, uint32_t size)
{
	struct uebpf_pkt_ctx *p = PKT;
	int32_t off = (int32_t)r2;
	size_t avail = (uint8_t *)p->data_end - (uint8_t *)p->data;
	if (off < 0 || (size_t)off > avail || size > avail - off)
		return -EFAULT;
	const uint8_t *b = (const uint8_t *)p->data + off;
	uint32_t v = 0;
	for (uint32_t i = 0; i < size; i++)
		v = v << 8 | b[i];
	return v;
}

HELPER(ld_abs_8)
{
	return ld_abs(r1, r2, 1);
}

HELPER(ld_abs_16)
{
	return ld_abs(r1, r2, 2);
}

HELPER(ld_abs_32)
{
	return ld_abs(r1, r2, 4);
}
