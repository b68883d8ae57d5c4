/* The IPv4/TCP parser of tcp_parse.s written in C, to compare the two:
 * (TCP flags << 16) | TCP destination port for an IPv4 TCP packet, else 0.
 * r1 = an Ethernet frame, r2 = its length. */
typedef unsigned long long u64;
typedef unsigned short u16;
typedef unsigned char u8;

static inline u16 be16_at(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

u64 tcp_parse(const u8 *frame, u64 len)
{
	if (len < 14 + 20 || be16_at(frame + 12) != 0x0800)
		return 0;
	const u8 *ip = frame + 14;
	u64 ihl = (u64)(ip[0] & 0xf) * 4;
	if (ip[0] >> 4 != 4 || ihl < 20 || ip[9] != 6)
		return 0;
	if (14 + ihl + 20 > len)
		return 0;
	const u8 *tcp = ip + ihl;
	return (u64)tcp[13] << 16 | be16_at(tcp + 2);
}
