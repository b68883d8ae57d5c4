// SPDX-License-Identifier: GPL-2.0
/* An XDP program that parses Ethernet (with one VLAN tag), IPv4 and IPv6,
 * TCP and UDP with a bounds check before every header, counts packets per
 * layer-4 protocol, and drops UDP to the discard port (9). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

enum { STAT_TCP, STAT_UDP, STAT_OTHER, STAT_MALFORMED, STAT_DROPPED, N_STATS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, N_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline int bump(__u32 what, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &what);
	if (c)
		*c += 1;
	return verdict;
}

SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u16 proto;
	__u8 l4;
	void *l4h;

	if ((void *)(eth + 1) > end)
		return bump(STAT_MALFORMED, XDP_DROP);
	proto = eth->h_proto;
	l4h = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *v = l4h;
		if ((void *)(v + 1) > end)
			return bump(STAT_MALFORMED, XDP_DROP);
		proto = v->proto;
		l4h = v + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l4h;
		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return bump(STAT_MALFORMED, XDP_DROP);
		l4 = ip->protocol;
		l4h = (void *)ip + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l4h;
		if ((void *)(ip6 + 1) > end)
			return bump(STAT_MALFORMED, XDP_DROP);
		l4 = ip6->nexthdr;
		l4h = ip6 + 1;
	} else {
		return bump(STAT_OTHER, XDP_PASS);
	}
	if (l4 == IPPROTO_TCP) {
		struct tcphdr *tcp = l4h;
		if ((void *)(tcp + 1) > end)
			return bump(STAT_MALFORMED, XDP_DROP);
		return bump(STAT_TCP, XDP_PASS);
	}
	if (l4 == IPPROTO_UDP) {
		struct udphdr *udp = l4h;
		if ((void *)(udp + 1) > end)
			return bump(STAT_MALFORMED, XDP_DROP);
		if (udp->dest == bpf_htons(9))
			return bump(STAT_DROPPED, XDP_DROP);
		return bump(STAT_UDP, XDP_PASS);
	}
	return bump(STAT_OTHER, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
