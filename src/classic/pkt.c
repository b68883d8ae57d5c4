/* Packets as classic filters see them: loads at positive and negative
 * offsets, ancillary values, the descriptor of a captured frame, and the
 * helpers that translated programs call for the rare cases. */
#include <sched.h>
#include <string.h>

#include <uebpf/engine.h>

#include "classic/internal.h"

/* pcap link types (DLT_* as pcap_datalink returns them; this layer does not
 * depend on libpcap) and the kernel values they map to. */
enum {
	LT_NULL = 0,
	LT_EN10MB = 1,
	LT_PPP = 9,
	LT_RAW = 12,
	LT_RAW_OPENBSD = 14,
	LT_RAW_FILE = 101, /* LINKTYPE_RAW, before libpcap maps it to DLT_RAW */
	LT_LOOP = 108,
	LT_LINUX_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
};

enum {
	ETH_P_IP_ = 0x0800,
	ETH_P_IPV6_ = 0x86dd,
	ETH_P_8021Q_ = 0x8100,
	ETH_P_8021AD_ = 0x88a8,
	ETH_P_802_3_ = 0x0001,
	ETH_P_802_2_ = 0x0004,
	ARPHRD_ETHER_ = 1,
	ARPHRD_PPP_ = 512,
	ARPHRD_NONE_ = 0xfffe,
	ARPHRD_LOOPBACK_ = 772,
	PACKET_BROADCAST_ = 1,
	PACKET_MULTICAST_ = 2,
};

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool classic_load(const struct uebpf_classic_pkt *pkt, uint64_t off, uint32_t size, uint32_t *val)
{
	uint64_t at;

	if (off > UINT32_MAX)
		return false;
	int32_t o = (int32_t)(uint32_t)off;
	if (o >= 0)
		at = (uint64_t)o;
	else if (o >= SKF_NET_OFF)
		at = (uint64_t)pkt->net_off + (uint64_t)(o - SKF_NET_OFF);
	else if (o >= SKF_LL_OFF)
		at = (uint64_t)(o - SKF_LL_OFF);
	else
		return false;
	if (at + size > pkt->caplen)
		return false;
	const uint8_t *p = pkt->data + at;
	*val = size == 4 ? be32(p) : size == 2 ? be16(p) : p[0];
	return true;
}

/* The transport payload offset, as the kernel's skb_get_poff finds it with
 * its flow dissector (IPv4, IPv6 with extension headers, VLAN tags in the
 * data); 0 when the headers cannot be parsed. */
static uint32_t pay_offset(const struct uebpf_classic_pkt *pkt)
{
	const uint8_t *d = pkt->data;
	uint64_t len = pkt->caplen, off = pkt->net_off;
	uint32_t proto = pkt->protocol, ip_proto;
	bool later_fragment = false;

	while ((proto == ETH_P_8021Q_ || proto == ETH_P_8021AD_) && off + 4 <= len) {
		proto = be16(d + off + 2);
		off += 4;
	}
	if (proto == ETH_P_IP_) {
		if (off + 20 > len || (d[off] >> 4) != 4 || (d[off] & 0xf) < 5)
			return 0;
		later_fragment = (be16(d + off + 6) & 0x1fff) != 0;
		ip_proto = d[off + 9];
		off += (d[off] & 0xfu) * 4;
	} else if (proto == ETH_P_IPV6_) {
		if (off + 40 > len)
			return 0;
		ip_proto = d[off + 6];
		off += 40;
		/* hop-by-hop, routing, destination options, fragment */
		for (;;) {
			if (ip_proto == 0 || ip_proto == 43 || ip_proto == 60) {
				if (off + 8 > len)
					return 0;
				ip_proto = d[off];
				off += 8 + d[off + 1] * 8u;
			} else if (ip_proto == 44) {
				if (off + 8 > len)
					return 0;
				ip_proto = d[off];
				later_fragment = (be16(d + off + 2) & 0xfff8) != 0;
				off += 8;
			} else {
				break;
			}
		}
	} else {
		return 0;
	}
	if (off > len)
		return 0;
	if (later_fragment)
		return (uint32_t)off;
	switch (ip_proto) {
	case 6: { /* TCP: the data offset, at least the fixed header */
		if (off + 13 > len)
			return (uint32_t)off;
		uint32_t doff = (d[off + 12] & 0xf0u) >> 2;
		return (uint32_t)off + (doff > 20 ? doff : 20);
	}
	case 17:  /* UDP */
	case 136: /* UDP-Lite */
	case 1:   /* ICMP */
	case 58:  /* ICMPv6 */
	case 2:   /* IGMP */
		return (uint32_t)off + 8;
	case 33: /* DCCP */
	case 132: /* SCTP */
		return (uint32_t)off + (ip_proto == 33 ? 16 : 12);
	default:
		return (uint32_t)off;
	}
}

/* Netlink attributes (struct nlattr: u16 length, u16 type, host order),
 * as the kernel's nla_find walks them: the offset of the first attribute of
 * type x in [start, start + len), or 0. */
static uint32_t nla_find(const struct uebpf_classic_pkt *pkt, uint64_t start, int64_t len, uint32_t x)
{
	while (len >= 4) {
		uint16_t nla_len, nla_type;
		memcpy(&nla_len, pkt->data + start, 2);
		memcpy(&nla_type, pkt->data + start + 2, 2);
		if (nla_len < 4 || nla_len > len)
			break;
		if ((nla_type & 0x3fff) == x)
			return (uint32_t)start;
		uint32_t step = (nla_len + 3u) & ~3u;
		start += step;
		len -= step;
	}
	return 0;
}

static uint32_t nlattr(const struct uebpf_classic_pkt *pkt, uint32_t a, uint32_t x, bool nested)
{
	if (pkt->caplen < 4 || a > pkt->caplen - 4)
		return 0;
	if (!nested)
		return nla_find(pkt, a, (int64_t)pkt->caplen - a, x);
	uint16_t outer;
	memcpy(&outer, pkt->data + a, 2);
	if (outer > pkt->caplen - a)
		return 0;
	return nla_find(pkt, (uint64_t)a + 4, (int64_t)outer - 4, x);
}

static uint32_t cpu_now(void)
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : (uint32_t)cpu;
}

/* prandom: not cryptographic, as in the kernel; one stream per thread. */
static uint32_t random_u32(void)
{
	static __thread uint64_t state;
	if (!state)
		state = (uintptr_t)&state ^ 0x9e3779b97f4a7c15ull;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state >> 32);
}

uint32_t classic_ancillary(const struct uebpf_classic_pkt *pkt, uint32_t ad, uint32_t a, uint32_t x)
{
	switch (ad) {
	case SKF_AD_PROTOCOL:
		return pkt->protocol;
	case SKF_AD_PKTTYPE:
		return pkt->pkttype;
	case SKF_AD_IFINDEX:
		return pkt->ifindex;
	case SKF_AD_NLATTR:
		return nlattr(pkt, a, x, false);
	case SKF_AD_NLATTR_NEST:
		return nlattr(pkt, a, x, true);
	case SKF_AD_MARK:
		return pkt->mark;
	case SKF_AD_QUEUE:
		return pkt->queue;
	case SKF_AD_HATYPE:
		return pkt->hatype;
	case SKF_AD_RXHASH:
		return pkt->rxhash;
	case SKF_AD_CPU:
		return cpu_now();
	case SKF_AD_VLAN_TAG:
		return pkt->vlan_tci;
	case SKF_AD_VLAN_TAG_PRESENT:
		return pkt->vlan_present;
	case SKF_AD_PAY_OFFSET:
		return pay_offset(pkt);
	case SKF_AD_RANDOM:
		return random_u32();
	case SKF_AD_VLAN_TPID:
		return pkt->vlan_tpid;
	default:
		return 0;
	}
}

/* Translated programs call these with r1 = the packet descriptor. The slow
 * load returns the value, or -1 when the load fails. */
static uint64_t helper_load(uint64_t pkt, uint64_t off, uint64_t size, uint64_t r4, uint64_t r5)
{
	uint32_t v;
	return classic_load((const struct uebpf_classic_pkt *)(uintptr_t)pkt, off, (uint32_t)size, &v) ? v
												 : (uint64_t)-1;
}

#define ANCILLARY_HELPER(name, ad)                                                                     \
	static uint64_t helper_##name(uint64_t pkt, uint64_t a, uint64_t x, uint64_t r4, uint64_t r5)  \
	{                                                                                              \
		return classic_ancillary((const struct uebpf_classic_pkt *)(uintptr_t)pkt, ad, (uint32_t)a, \
					 (uint32_t)x);                                                 \
	}
ANCILLARY_HELPER(pay_offset, SKF_AD_PAY_OFFSET)
ANCILLARY_HELPER(nlattr, SKF_AD_NLATTR)
ANCILLARY_HELPER(nlattr_nest, SKF_AD_NLATTR_NEST)
ANCILLARY_HELPER(cpu, SKF_AD_CPU)
ANCILLARY_HELPER(random, SKF_AD_RANDOM)

int uebpf_classic_helpers_register(struct uebpf_helper_table *t)
{
	static const struct {
		uint32_t id;
		const char *name;
		uebpf_helper_fn fn;
	} helpers[] = {
		{ CLASSIC_HELPER_LOAD, "classic_load", helper_load },
		{ CLASSIC_HELPER_PAY_OFFSET, "classic_pay_offset", helper_pay_offset },
		{ CLASSIC_HELPER_NLATTR, "classic_nlattr", helper_nlattr },
		{ CLASSIC_HELPER_NLATTR_NEST, "classic_nlattr_nest", helper_nlattr_nest },
		{ CLASSIC_HELPER_CPU, "classic_cpu", helper_cpu },
		{ CLASSIC_HELPER_RANDOM, "classic_random", helper_random },
	};
	for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++) {
		int err = uebpf_helper_table_set(t, helpers[i].id, helpers[i].name, helpers[i].fn);
		if (err)
			return err;
	}
	return 0;
}

/* Ethernet: the kernel's eth_type_trans decides protocol and packet type
 * (without the device's own address, every unicast frame is for this host). */
static void init_ethernet(struct uebpf_classic_pkt *pkt)
{
	const uint8_t *d = pkt->data;

	pkt->hatype = ARPHRD_ETHER_;
	pkt->net_off = 14;
	if (pkt->caplen < 14)
		return;
	if (d[0] & 1)
		pkt->pkttype = memcmp(d, "\xff\xff\xff\xff\xff\xff", 6) ? PACKET_MULTICAST_ : PACKET_BROADCAST_;
	uint32_t type = be16(d + 12);
	if (type >= 0x600)
		pkt->protocol = (uint16_t)type;
	else if (pkt->caplen >= 16 && be16(d + 14) == 0xffff)
		pkt->protocol = ETH_P_802_3_;
	else
		pkt->protocol = ETH_P_802_2_;
}

static uint16_t ip_version_protocol(const uint8_t *p, uint32_t len)
{
	if (len < 1)
		return 0;
	return (p[0] >> 4) == 4 ? ETH_P_IP_ : (p[0] >> 4) == 6 ? ETH_P_IPV6_ : 0;
}

void uebpf_classic_pkt_init(struct uebpf_classic_pkt *pkt, int linktype, const void *data, uint32_t caplen,
			    uint32_t wirelen)
{
	const uint8_t *d = data;

	*pkt = (struct uebpf_classic_pkt){ .data = d, .data_end = caplen ? d + caplen : d, .caplen = caplen, .wirelen = wirelen };
	switch (linktype) {
	case LT_EN10MB:
		init_ethernet(pkt);
		break;
	case LT_RAW:
	case LT_RAW_OPENBSD:
	case LT_RAW_FILE:
	case LT_IPV4:
	case LT_IPV6:
		pkt->hatype = ARPHRD_NONE_;
		pkt->protocol = ip_version_protocol(d, caplen);
		break;
	case LT_NULL:
	case LT_LOOP:
		/* the header is an address family whose byte order depends on
		 * the capturing host; the IP version says the same */
		pkt->hatype = ARPHRD_LOOPBACK_;
		pkt->net_off = 4;
		if (caplen >= 4)
			pkt->protocol = ip_version_protocol(d + 4, caplen - 4);
		break;
	case LT_PPP:
		pkt->hatype = ARPHRD_PPP_;
		pkt->net_off = 4;
		if (caplen >= 4)
			pkt->protocol = be16(d + 2) == 0x21 ? ETH_P_IP_ : be16(d + 2) == 0x57 ? ETH_P_IPV6_ : 0;
		break;
	case LT_LINUX_SLL:
		pkt->net_off = 16;
		if (caplen >= 16) {
			pkt->pkttype = (uint8_t)be16(d);
			pkt->hatype = (uint16_t)be16(d + 2);
			pkt->protocol = (uint16_t)be16(d + 14);
		}
		break;
	case LT_LINUX_SLL2:
		pkt->net_off = 20;
		if (caplen >= 20) {
			pkt->protocol = (uint16_t)be16(d);
			pkt->ifindex = be32(d + 4);
			pkt->hatype = (uint16_t)be16(d + 8);
			pkt->pkttype = d[10];
		}
		break;
	default:
		break;
	}
}
