// SPDX-License-Identifier: GPL-2.0
/* A socket filter that counts IPv4 and IPv6 packets by transport protocol
 * (TCP, UDP, ICMP, other) and keeps only TCP ones. Like libpcap's "tcp",
 * it looks through one 802.1Q tag and one IPv6 fragment header. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { TCP, UDP, ICMP, OTHER, N_COUNTERS };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, N_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void count(__u32 what)
{
	__u64 *c = bpf_map_lookup_elem(&counts, &what);
	if (c)
		__sync_fetch_and_add(c, 1);
}

SEC("socket")
int count_protocols(struct __sk_buff *skb)
{
	__u16 proto;
	__u8 l4;
	__u32 off = ETH_HLEN;

	if (bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto)))
		return 0;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		if (bpf_skb_load_bytes(skb, 16, &proto, sizeof(proto)))
			return 0;
		off += 4;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, off + 9, &l4, 1))
			return 0;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, off + 6, &l4, 1))
			return 0;
		if (l4 == IPPROTO_FRAGMENT && bpf_skb_load_bytes(skb, off + 40, &l4, 1))
			return 0;
	} else {
		return 0;
	}
	switch (l4) {
	case IPPROTO_TCP:
		count(TCP);
		return skb->len;
	case IPPROTO_UDP:
		count(UDP);
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		count(ICMP);
		return 0;
	default:
		count(OTHER);
		return 0;
	}
}

char LICENSE[] SEC("license") = "GPL";
