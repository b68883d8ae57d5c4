/* The five filter expressions the classic benchmark times, from `tcp` to a
 * long compound one; shared by the benchmark and the generator of their
 * native-C versions. */
static const char *const cb_exprs[] = {
	"tcp",
	"tcp port 80",
	"host 10.0.0.1 and (tcp port 80 or udp port 53)",
	"udp and (dst portrange 5000-5010 or src port 53) and not net 192.168.0.0/16",
	"(tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and not src net 192.168.0.0/16) or (ip6 and udp port 53) or "
	"(vlan 100 and tcp port 80) or icmp[icmptype] == icmp-echo or len > 1000",
};
#define CB_NEXPRS (sizeof(cb_exprs) / sizeof(cb_exprs[0]))
