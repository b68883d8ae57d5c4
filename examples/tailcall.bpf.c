// SPDX-License-Identifier: GPL-2.0
/* Tail calls: an XDP dispatcher jumps to a handler per IP version through a
 * prog_array that the object itself fills (libbpf's __array initialiser). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { V4, V6 };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline void mark(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&seen, &slot);
	if (c)
		*c += 1;
}

SEC("xdp")
int handle_v4(struct xdp_md *ctx)
{
	mark(V4);
	return XDP_PASS;
}

SEC("xdp")
int handle_v6(struct xdp_md *ctx)
{
	mark(V6);
	return XDP_DROP;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} handlers SEC(".maps") = {
	.values = { [V4] = (void *)&handle_v4, [V6] = (void *)&handle_v6 },
};

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &handlers, V4);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(ctx, &handlers, V6);
	mark(2); /* no handler: the tail call fell through */
	return XDP_PASS;
}

/* The same dispatch with the tail call inside a function: a taken tail call
 * leaves the function and the program at once; route() returns only when
 * the slot is empty. */
static __attribute__((noinline)) int route(struct xdp_md *ctx, __u32 slot)
{
	bpf_tail_call(ctx, &handlers, slot);
	return slot;
}

SEC("xdp")
int dispatch_sub(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		route(ctx, V4);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		route(ctx, V6);
	mark(2);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
