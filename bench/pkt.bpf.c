/* Packet parsing with bounds checks: Ethernet (optionally one VLAN tag),
 * IPv4, TCP, then a sum over the payload bytes. Every header field is read
 * only after a check against the length, as a verified program must. */
#define BENCH_NAME pkt
#define BENCH_LEN 512
#include "bench.h"

#define ETH_HLEN 14
#define MIN_HDRS (ETH_HLEN + 20 + 20)

BENCH_ENTRY(void *mem, u64 len)
{
	const u8 *p = mem, *ip, *tcp;
	u64 off = ETH_HLEN, proto, ihl, doff, pay, sum = 0;

	BENCH_FIX_LEN(len);
	if (len < MIN_HDRS + 4)
		return 0;
	proto = (u64)p[12] << 8 | p[13];
	if (proto == 0x8100) {
		proto = (u64)p[16] << 8 | p[17];
		off += 4;
	}
	ip = PTR_ADD(p, off);
	if (proto != 0x0800 || ip[0] >> 4 != 4)
		return 1;
	ihl = (ip[0] & 15) * 4;
	if (ihl < 20 || ip[9] != 6)
		return 2;
	pay = off + ihl;
	if (pay + 20 > len)
		return 3;
	tcp = PTR_ADD(p, pay);
	doff = (tcp[12] >> 4) * 4;
	if (doff < 20)
		return 4;
	pay += doff;
	/* Every position is visited, so the unrolled form reads at constant
	 * offsets; the payload is what lies at or after pay. */
	UNROLL for (u64 i = MIN_HDRS; i < len; i++) {
		if (i >= pay)
			sum += p[i];
	}
	return sum << 16 | pay;
}
