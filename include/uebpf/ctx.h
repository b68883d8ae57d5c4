/* uebpf: the context that packet programs really receive. A socket filter,
 * tc or XDP program is written against the kernel's __sk_buff or xdp_md; the
 * verifier rewrites its context loads to this layout, and whoever runs the
 * program fills one of these for each packet. */
#ifndef UEBPF_CTX_H
#define UEBPF_CTX_H

#include <stdint.h>

struct uebpf_pkt_ctx {
	void *data;          /* first byte of the packet (after adjust_head) */
	void *data_end;      /* one past the last byte */
	void *data_meta;     /* XDP metadata start (== data when none) */
	void *buf_start;     /* headroom limit for bpf_xdp_adjust_head */
	void *buf_end;       /* tailroom limit for bpf_xdp_adjust_tail */
	uint32_t len;        /* skb->len: wire bytes available (data_end - data) */
	uint32_t pkt_type;   /* PACKET_HOST, ... */
	uint32_t mark;
	uint32_t queue_mapping;
	uint32_t protocol;   /* ethertype, network byte order, as skb->protocol */
	uint32_t vlan_present;
	uint32_t vlan_tci;
	uint32_t vlan_proto;
	uint32_t priority;
	uint32_t ingress_ifindex;
	uint32_t ifindex;
	uint32_t tc_index;
	uint32_t cb[5];
	uint32_t hash;
	uint32_t tc_classid;
	uint32_t napi_id;
	uint32_t rx_queue_index; /* xdp_md */
	uint32_t egress_ifindex; /* xdp_md */
	uint64_t tstamp;
	uint32_t wire_len;
	uint32_t gso_segs;
	uint32_t gso_size;
	uint32_t hwtstamp_pad;
	uint64_t hwtstamp;
};

#endif
