/* uebpf filter: a tcpdump-style front end. libpcap compiles the expression
 * for the capture's link type and reads and writes the packets; uebpf
 * checks the classic program with the kernel's rules, translates it to
 * eBPF and runs it JIT-compiled. */

/* libpcap names its classic instruction `struct bpf_insn`, as <linux/bpf.h>
 * names the eBPF one that cli.h brings in: rename libpcap's in this file. */
#define bpf_insn pcap_bpf_insn
#include <pcap.h>
#undef bpf_insn

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uebpf/classic.h>
#include <uebpf/object.h>
#include <uebpf/test_run.h>

#include "cli.h"

_Static_assert(sizeof(struct pcap_bpf_insn) == sizeof(struct sock_filter), "libpcap and Linux insns share a layout");

static const char help[] =
	"Usage: uebpf filter [-r FILE | -i IFACE] [-w OUT.pcap] [-c COUNT] [-n] [-q] [-e]\n"
	"                    [-O] [-v] [-d | -dd | -ddd] [--engine=E] [--semantics=S]\n"
	"                    [EXPRESSION | --prog OBJECT.o[:NAME]]\n\n"
	"Select packets with a tcpdump filter expression (pcap-filter(7)). libpcap\n"
	"compiles the expression to classic BPF for the capture's link type; uebpf\n"
	"checks it with the kernel's rules, translates it to eBPF and JIT-compiles it.\n"
	"A program the kernel's rules refuse (ip6 protochain jumps backwards) runs in\n"
	"the classic BPF interpreter instead, as libpcap filters in user space then.\n"
	"Several operands are joined with spaces into one expression; none selects\n"
	"every packet. Each selected packet is printed as one line:\n"
	"  TIME PROTO SRC[.PORT] > DST[.PORT]: WHAT, length N\n"
	"where N is the length of what the protocol carries, as tcpdump prints it,\n"
	"and a last line \"N packets read, M matched\" goes to standard error.\n\n"
	"Options:\n"
	"  -r FILE          read a pcap or pcapng file (- for standard input)\n"
	"  -i IFACE         capture live on IFACE (needs root or CAP_NET_RAW); stop\n"
	"                   with Ctrl-C\n"
	"  -w OUT.pcap      write the selected packets to a pcap file (- for standard\n"
	"                   output) instead of printing them\n"
	"  -c COUNT         stop after COUNT selected packets\n"
	"  -n               print port numbers, not service names (uebpf never looks\n"
	"                   up host names)\n"
	"  -q               print less protocol detail\n"
	"  -e               print the link-layer header too\n"
	"  -O               do not optimise the compiled program (as tcpdump -O)\n"
	"  -d, -dd, -ddd    print the compiled program as tcpdump -d/-dd/-ddd does and\n"
	"                   exit; without -r or -i it is compiled for Ethernet\n"
	"  -v               say on standard error what runs the filter, and why\n"
	"      --engine=E   jit (default), interp (the translation on uebpf's eBPF\n"
	"                   interpreter) or cbpf (the classic BPF interpreter)\n"
	"      --semantics=S  libpcap (default) or kernel: where the two run the same\n"
	"                   program differently (shifts by 32 or more, X + k past\n"
	"                   2^32), whose answer to give\n"
	"      --prog=OBJECT.o[:NAME]  select with an eBPF socket filter, XDP or tc\n"
	"                   program from a BPF object (the first one, or NAME) instead\n"
	"                   of an expression: a socket filter keeps a packet when it\n"
	"                   returns non-zero, XDP on XDP_PASS, tc on TC_ACT_OK; the\n"
	"                   capture must be Ethernet\n"
	"  -h, --help       show this help\n";

struct options {
	const char *read_file, *iface, *write_file, *prog;
	uint64_t count;
	bool numeric, quiet, link, no_optimize, verbose;
	int dump;
	enum uebpf_classic_runner runner;
	enum uebpf_classic_semantics semantics;
};

static pcap_t *active; /* for the signal handler */

static void on_signal(int sig)
{
	if (active)
		pcap_breakloop(active);
}

/* --- printing one packet ------------------------------------------------------- */

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* One output line, built piece by piece; text past the end is dropped. */
struct line {
	char buf[512];
	size_t len;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;

	if (l->len >= sizeof(l->buf))
		return;
	va_start(ap, fmt);
	int n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
}

static const char *port_name(uint32_t port, bool tcp, bool numeric, char *buf, size_t sz)
{
	if (!numeric) {
		/* the entry is static: copy the name before the next lookup */
		struct servent *s = getservbyport(htons((uint16_t)port), tcp ? "tcp" : "udp");
		if (s) {
			snprintf(buf, sz, "%s", s->s_name);
			return buf;
		}
	}
	snprintf(buf, sz, "%u", port);
	return buf;
}

static void print_addrs(struct line *l, int af, const uint8_t *src, const uint8_t *dst, const uint8_t *ports,
			bool tcp, const struct options *o)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], pa[64], pb[64];

	inet_ntop(af, src, a, sizeof(a));
	inet_ntop(af, dst, b, sizeof(b));
	if (ports)
		put(l, "%s.%s > %s.%s: ", a, port_name(be16(ports), tcp, o->numeric, pa, sizeof(pa)), b,
		    port_name(be16(ports + 2), tcp, o->numeric, pb, sizeof(pb)));
	else
		put(l, "%s > %s: ", a, b);
}

static const char *icmp_type_name(uint32_t proto, uint8_t type)
{
	switch (proto << 8 | type) {
	case 1 << 8 | 0: return "echo reply";
	case 1 << 8 | 3: return "unreachable";
	case 1 << 8 | 8: return "echo request";
	case 1 << 8 | 11: return "time exceeded";
	case 58 << 8 | 1: return "unreachable";
	case 58 << 8 | 2: return "packet too big";
	case 58 << 8 | 3: return "time exceeded";
	case 58 << 8 | 128: return "echo request";
	case 58 << 8 | 129: return "echo reply";
	case 58 << 8 | 135: return "neighbor solicitation";
	case 58 << 8 | 136: return "neighbor advertisement";
	default: return NULL;
	}
}

/* The transport part: p points at the transport header, len bytes of it
 * captured, payload bytes of IP payload on the wire. */
static void print_transport(struct line *l, int af, const uint8_t *src, const uint8_t *dst, uint32_t proto,
			    const uint8_t *p, uint32_t len, uint32_t payload, bool later_fragment,
			    const struct options *o)
{
	static const char flag_chars[] = "FSRP.UEW";

	if (later_fragment) {
		print_addrs(l, af, src, dst, NULL, false, o);
		put(l, "ip-proto-%u fragment, length %u", proto, payload);
		return;
	}
	switch (proto) {
	case 6: {
		if (len < 20) {
			print_addrs(l, af, src, dst, len >= 4 ? p : NULL, true, o);
			put(l, "[|tcp]");
			return;
		}
		uint32_t hdr = (p[12] >> 4) * 4u, data = payload > hdr ? payload - hdr : 0;
		print_addrs(l, af, src, dst, p, true, o);
		if (o->quiet) {
			put(l, "tcp %u", data);
			return;
		}
		char flags[9];
		size_t n = 0;
		for (int bit = 0; bit < 8; bit++)
			if (p[13] & (1u << bit))
				flags[n++] = flag_chars[bit];
		flags[n] = '\0';
		put(l, "Flags [%s], length %u", n ? flags : "none", data);
		return;
	}
	case 17:
		if (len < 8) {
			print_addrs(l, af, src, dst, len >= 4 ? p : NULL, false, o);
			put(l, "[|udp]");
			return;
		}
		print_addrs(l, af, src, dst, p, false, o);
		put(l, o->quiet ? "udp %u" : "UDP, length %u", payload > 8 ? payload - 8 : 0);
		return;
	case 1:
	case 58: {
		const char *name = proto == 1 ? "ICMP" : "ICMP6";
		print_addrs(l, af, src, dst, NULL, false, o);
		if (len < 1) {
			put(l, "[|%s]", proto == 1 ? "icmp" : "icmp6");
		} else if (o->quiet) {
			put(l, "%s %u", proto == 1 ? "icmp" : "icmp6", payload);
		} else {
			const char *type = icmp_type_name(proto, p[0]);
			if (type)
				put(l, "%s %s, length %u", name, type, payload);
			else
				put(l, "%s type %u, length %u", name, p[0], payload);
		}
		return;
	}
	default:
		print_addrs(l, af, src, dst, NULL, false, o);
		put(l, "ip-proto-%u, length %u", proto, payload);
		return;
	}
}

static void print_ipv4(struct line *l, const uint8_t *p, uint32_t len, const struct options *o)
{
	put(l, "IP ");
	if (len < 20 || (p[0] & 0xf) < 5) {
		put(l, "[|ip]");
		return;
	}
	uint32_t hl = (p[0] & 0xfu) * 4, total = be16(p + 2);
	uint32_t payload = total > hl ? total - hl : 0;
	bool later = (be16(p + 6) & 0x1fff) != 0;
	if (len < hl) {
		print_addrs(l, AF_INET, p + 12, p + 16, NULL, false, o);
		put(l, "[|ip]");
		return;
	}
	print_transport(l, AF_INET, p + 12, p + 16, p[9], p + hl, len - hl, payload, later, o);
}

static void print_ipv6(struct line *l, const uint8_t *p, uint32_t len, const struct options *o)
{
	put(l, "IP6 ");
	if (len < 40) {
		put(l, "[|ip6]");
		return;
	}
	uint32_t nh = p[6], off = 40, payload = be16(p + 4);
	bool later = false;
	/* hop-by-hop, routing, destination options, fragment */
	while (nh == 0 || nh == 43 || nh == 60 || nh == 44) {
		uint32_t ext = off + 8 > len ? 8 : nh == 44 ? 8 : 8 + p[off + 1] * 8u;
		if (off + ext > len) {
			print_addrs(l, AF_INET6, p + 8, p + 24, NULL, false, o);
			put(l, "[|ip6]");
			return;
		}
		if (nh == 44)
			later = (be16(p + off + 2) & 0xfff8) != 0;
		nh = p[off];
		payload = payload > ext ? payload - ext : 0;
		off += ext;
	}
	print_transport(l, AF_INET6, p + 8, p + 24, nh, p + off, len - off, payload, later, o);
}

static void print_arp(struct line *l, const uint8_t *p, uint32_t len, uint32_t wirelen)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const uint32_t arp_len = 28; /* for IPv4 over Ethernet, the only kind decoded */

	if (len < arp_len || be16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4) {
		put(l, "ARP, length %u", wirelen);
		return;
	}
	inet_ntop(AF_INET, p + 14, a, sizeof(a));
	inet_ntop(AF_INET, p + 24, b, sizeof(b));
	if (be16(p + 6) == 1)
		put(l, "ARP, Request who-has %s tell %s, length %u", b, a, arp_len);
	else if (be16(p + 6) == 2)
		put(l, "ARP, Reply %s is-at %02x:%02x:%02x:%02x:%02x:%02x, length %u", a, p[8], p[9], p[10], p[11],
		    p[12], p[13], arp_len);
	else
		put(l, "ARP, opcode %u, length %u", be16(p + 6), arp_len);
}

static void print_network(struct line *l, uint32_t type, const uint8_t *p, uint32_t len, uint32_t wirelen,
			  const struct options *o)
{
	switch (type) {
	case 0x0800:
		print_ipv4(l, p, len, o);
		break;
	case 0x86dd:
		print_ipv6(l, p, len, o);
		break;
	case 0x0806:
		print_arp(l, p, len, wirelen);
		break;
	default:
		put(l, "ethertype 0x%04x, length %u", type, wirelen);
		break;
	}
}

static void print_ethernet(struct line *l, const uint8_t *p, uint32_t len, uint32_t wirelen, const struct options *o)
{
	if (len < 14) {
		put(l, "[|ether]");
		return;
	}
	if (o->link)
		put(l, "%02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x, ethertype 0x%04x, length %u: ",
		    p[6], p[7], p[8], p[9], p[10], p[11], p[0], p[1], p[2], p[3], p[4], p[5], be16(p + 12), wirelen);
	uint32_t type = be16(p + 12), off = 14;
	while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
		if (len < off + 4) {
			put(l, "[|vlan]");
			return;
		}
		if (o->link)
			put(l, "vlan %u, p %u, ", be16(p + off) & 0xfff, p[off] >> 5);
		type = be16(p + off + 2);
		off += 4;
	}
	if (type < 0x600) {
		put(l, "LLC, length %u", wirelen);
		return;
	}
	print_network(l, type, p + off, len - off, wirelen, o);
}

/* PPP in HDLC-like framing (ff 03 before the protocol) or without it */
static void print_ppp(struct line *l, const uint8_t *p, uint32_t len, uint32_t wirelen, const struct options *o)
{
	uint32_t off = len >= 2 && p[0] == 0xff && p[1] == 0x03 ? 2 : 0;

	if (len < off + 2) {
		put(l, "[|ppp]");
		return;
	}
	uint32_t proto = be16(p + off);
	if (proto == 0x21 || proto == 0x57)
		print_network(l, proto == 0x21 ? 0x0800 : 0x86dd, p + off + 2, len - off - 2, wirelen, o);
	else
		put(l, "PPP protocol 0x%04x, length %u", proto, wirelen);
}

/* radiotap, then an 802.11 frame: data frames carry LLC/SNAP and an ethertype */
static void print_radiotap(struct line *l, const uint8_t *p, uint32_t len, uint32_t wirelen, const struct options *o)
{
	static const char *const kinds[] = { "management", "control", "data", "extension" };

	if (len < 4 || len < (uint32_t)(p[2] | p[3] << 8) + 2) {
		put(l, "[|radiotap]");
		return;
	}
	uint32_t off = (uint32_t)(p[2] | p[3] << 8);
	uint32_t type = p[off] >> 2 & 3, subtype = p[off] >> 4, flags = p[off + 1];
	if (type != 2) {
		put(l, "802.11 %s subtype %u, length %u", kinds[type], subtype, wirelen);
		return;
	}
	/* 24 bytes, a fourth address between access points, 2 bytes of QoS */
	uint32_t hdr = 24 + ((flags & 3) == 3 ? 6 : 0) + (subtype & 8 ? 2 : 0);
	if (len < off + hdr + 8) {
		put(l, "802.11 data, length %u", wirelen);
		return;
	}
	const uint8_t *llc = p + off + hdr;
	if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03) {
		put(l, "802.11 data, length %u", wirelen);
		return;
	}
	print_network(l, be16(llc + 6), llc + 8, len - off - hdr - 8, wirelen, o);
}

static uint32_t ip_version_type(const uint8_t *p, uint32_t len)
{
	return len && (p[0] >> 4) == 4 ? 0x0800 : len && (p[0] >> 4) == 6 ? 0x86dd : 0;
}

static void print_packet(const struct pcap_pkthdr *h, const uint8_t *p, int linktype, const struct options *o)
{
	struct line l = { .len = 0 };
	uint32_t len = h->caplen;
	time_t sec = h->ts.tv_sec;
	struct tm tm;

	localtime_r(&sec, &tm);
	put(&l, "%02d:%02d:%02d.%06ld ", tm.tm_hour, tm.tm_min, tm.tm_sec, (long)h->ts.tv_usec);
	if (o->link && linktype != DLT_EN10MB)
		put(&l, "%s, length %u: ", pcap_datalink_val_to_name(linktype), h->len);
	switch (linktype) {
	case DLT_EN10MB:
		print_ethernet(&l, p, len, h->len, o);
		break;
	case DLT_LINUX_SLL:
		if (len < 16)
			put(&l, "[|sll]");
		else
			print_network(&l, be16(p + 14), p + 16, len - 16, h->len, o);
		break;
	case DLT_LINUX_SLL2:
		if (len < 20)
			put(&l, "[|sll2]");
		else
			print_network(&l, be16(p), p + 20, len - 20, h->len, o);
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		print_network(&l, ip_version_type(p, len), p, len, h->len, o);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		if (len < 4)
			put(&l, "[|null]");
		else
			print_network(&l, ip_version_type(p + 4, len - 4), p + 4, len - 4, h->len, o);
		break;
	case DLT_PPP:
		print_ppp(&l, p, len, h->len, o);
		break;
	case DLT_IEEE802_11_RADIO:
		print_radiotap(&l, p, len, h->len, o);
		break;
	default:
		if (!o->link)
			put(&l, "%s, length %u", pcap_datalink_val_to_name(linktype), h->len);
		break;
	}
	printf("%s\n", l.buf);
}

/* --- the command ----------------------------------------------------------------- */

static void dump_program(const struct bpf_program *prog, int level)
{
	const struct sock_filter *insns = (const struct sock_filter *)prog->bf_insns;
	char line[128];

	if (level >= 3)
		printf("%u\n", prog->bf_len);
	for (u_int i = 0; i < prog->bf_len; i++) {
		const struct sock_filter *in = &insns[i];
		if (level >= 3) {
			printf("%u %u %u %u\n", in->code, in->jt, in->jf, in->k);
		} else if (level == 2) {
			printf("{ 0x%x, %d, %d, 0x%08x },\n", in->code, in->jt, in->jf, in->k);
		} else {
			uebpf_classic_format_insn(in, i, line, sizeof(line));
			printf("%s\n", line);
		}
	}
}

/* Join the operands into one expression, as tcpdump does. */
static char *join_operands(int argc, char **argv)
{
	size_t len = 1;
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *expr = calloc(1, len);
	if (!expr)
		return NULL;
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			strcat(expr, " ");
		strcat(expr, argv[i]);
	}
	return expr;
}

static pcap_t *open_source(const struct options *o, bpf_u_int32 *netmask)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	*netmask = 0; /* what tcpdump uses when it knows no better */
	if (o->read_file) {
		p = pcap_open_offline(o->read_file, err);
		if (!p)
			cli_err("filter: %s", err);
		return p;
	}
	if (!o->iface)
		return pcap_open_dead(DLT_EN10MB, 262144);

	p = pcap_create(o->iface, err);
	if (!p) {
		cli_err("filter: %s", err);
		return NULL;
	}
	pcap_set_snaplen(p, 262144);
	pcap_set_promisc(p, 1);
	pcap_set_immediate_mode(p, 1);
	int rc = pcap_activate(p);
	if (rc < 0) {
		cli_err("filter: %s: %s", o->iface, rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
		pcap_close(p);
		return NULL;
	}
	bpf_u_int32 net;
	if (pcap_lookupnet(o->iface, &net, netmask, err) < 0)
		*netmask = 0;
	return p;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_ENGINE = 256, OPT_SEMANTICS, OPT_PROG };
	static const struct option longopts[] = {
		{ "engine", required_argument, NULL, OPT_ENGINE },
		{ "prog", required_argument, NULL, OPT_PROG },
		{ "semantics", required_argument, NULL, OPT_SEMANTICS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = cli_getopt("filter", argc, argv, "r:i:w:c:nqeOdvh", longopts)) != -1) {
		switch (c) {
		case 'r':
			o->read_file = optarg;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'w':
			o->write_file = optarg;
			break;
		case 'c': {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end || errno || !v) {
				cli_err("filter: bad -c value '%s' (want a positive integer)", optarg);
				return -1;
			}
			o->count = v;
			break;
		}
		case 'n':
			o->numeric = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'e':
			o->link = true;
			break;
		case 'O':
			o->no_optimize = true;
			break;
		case 'd':
			o->dump++;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_ENGINE:
			if (!strcmp(optarg, "jit")) {
				o->runner = UEBPF_CLASSIC_RUN_JIT;
			} else if (!strcmp(optarg, "interp")) {
				o->runner = UEBPF_CLASSIC_RUN_INTERP;
			} else if (!strcmp(optarg, "cbpf")) {
				o->runner = UEBPF_CLASSIC_RUN_CBPF;
			} else {
				cli_err("filter: unknown engine '%s' (want jit, interp or cbpf)", optarg);
				return -1;
			}
			break;
		case OPT_PROG:
			o->prog = optarg;
			break;
		case OPT_SEMANTICS:
			if (!strcmp(optarg, "libpcap")) {
				o->semantics = UEBPF_CLASSIC_LIBPCAP;
			} else if (!strcmp(optarg, "kernel")) {
				o->semantics = UEBPF_CLASSIC_KERNEL;
			} else {
				cli_err("filter: unknown semantics '%s' (want libpcap or kernel)", optarg);
				return -1;
			}
			break;
		case 'h':
			fputs(help, stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (o->read_file && o->iface) {
		cli_err("filter: -r and -i cannot be used together");
		return -1;
	}
	if (!o->read_file && !o->iface && !o->dump) {
		cli_err("filter: no packets to filter: give -r FILE or -i IFACE (try 'uebpf filter --help')");
		return -1;
	}
	return 0;
}

static const char *const runner_names[] = { "the classic BPF interpreter", "uebpf's eBPF interpreter",
					    "uebpf's JIT" };

/* an eBPF packet program selecting packets (--prog) */
struct ebpf_filter {
	struct uebpf_object *obj;
	enum bpf_prog_type type;
	struct uebpf_pkt_runner *runner;
	uint64_t unfit; /* packets a run cannot take (shorter than an Ethernet header) */
};

struct run {
	pcap_t *p;
	const struct uebpf_classic_prog *prog;
	struct ebpf_filter *ebpf;
	pcap_dumper_t *dumper;
	const struct options *o;
	int linktype;
	bool done; /* -c reached */
	uint64_t read, matched;
	/* -w from a mapped microsecond pcap: its records are byte for byte
	 * what pcap_dump writes, so matching ones go out with writev straight
	 * from the mapping, runs of adjacent ones as one piece */
	bool raw;
	int raw_fd, raw_err;
	int n_iov;
	struct iovec iov[256];
};

static void raw_flush(struct run *r)
{
	struct iovec *v = r->iov;
	int n = r->n_iov;
	r->n_iov = 0;
	while (n > 0 && !r->raw_err) {
		ssize_t w = writev(r->raw_fd, v, n);
		if (w < 0) {
			if (errno != EINTR)
				r->raw_err = errno;
			continue;
		}
		while (n > 0 && (size_t)w >= v->iov_len)
			w -= (ssize_t)v->iov_len, v++, n--;
		if (n > 0) {
			v->iov_base = (uint8_t *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
}

static void raw_add(struct run *r, const void *p, size_t len)
{
	struct iovec *last = r->n_iov ? &r->iov[r->n_iov - 1] : NULL;
	if (last && (const uint8_t *)last->iov_base + last->iov_len == p) {
		last->iov_len += len;
		return;
	}
	if (r->n_iov == (int)(sizeof(r->iov) / sizeof(r->iov[0])))
		raw_flush(r);
	r->iov[r->n_iov++] = (struct iovec){ (void *)p, len };
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct run *r = (struct run *)user;
	struct uebpf_classic_pkt pkt;

	r->read++;
	if (r->ebpf) {
		uint64_t r0;
		char log[CLI_LOG_SZ];
		struct ebpf_filter *f = r->ebpf;
		if (h->caplen < 14 || h->caplen > UEBPF_PKT_MAX) {
			f->unfit++;
			return;
		}
		if (uebpf_pkt_runner_run(f->runner, data, h->caplen, &r0, NULL, NULL, log, sizeof(log)))
			return;
		bool pass = f->type == BPF_PROG_TYPE_SOCKET_FILTER ? r0 != 0
			    : f->type == BPF_PROG_TYPE_XDP	 ? r0 == XDP_PASS
								 : r0 == 0 /* TC_ACT_OK */;
		if (!pass)
			return;
	} else {
		uebpf_classic_pkt_init(&pkt, r->linktype, data, h->caplen, h->len);
		if (!uebpf_classic_run(r->prog, &pkt))
			return;
	}
	r->matched++;
	if (r->raw)
		raw_add(r, data - 16, 16 + (size_t)h->caplen);
	else if (r->dumper)
		pcap_dump((u_char *)r->dumper, h, data);
	else
		print_packet(h, data, r->linktype, r->o);
	if (r->o->count && r->matched >= r->o->count) {
		r->done = true;
		pcap_breakloop(r->p);
	}
}

/* Link types whose records libpcap hands over exactly as stored. */
static bool plain_linktype(int linktype)
{
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_PPP:
	case DLT_IEEE802_11:
	case DLT_IEEE802_11_RADIO:
		return true;
	default:
		return false;
	}
}

/* libpcap reads each record of a file with two freads, which costs more
 * than filtering it. A plain pcap file (this host's byte order, version
 * 2.4) is read here from a mapping instead, until its end or the first
 * record that is not plainly well formed; returns the file offset where
 * libpcap is to go on (so that its messages about a bad record are its
 * own), the file size when done, or -1 when libpcap reads it all. */
/* pcap_dump_open writing through a 1 MiB buffer: one write system call a
 * MiB instead of one each 4 KiB */
static pcap_dumper_t *open_dumper(pcap_t *p, const char *path)
{
	static char buf[1 << 20];
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!f)
		return pcap_dump_open(p, path); /* fails again, with libpcap's message */
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	pcap_dumper_t *d = pcap_dump_fopen(p, f);
	if (!d && f != stdout)
		fclose(f);
	return d;
}

static off_t read_mapped(struct run *r, FILE *f)
{
	struct stat st;
	int fd = f ? fileno(f) : -1;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 24 || !plain_linktype(r->linktype))
		return -1;
	size_t size = (size_t)st.st_size;
	/* populated at once: one fault for the file, not one per few pages */
	const uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	madvise((void *)map, size, MADV_SEQUENTIAL);

	uint32_t magic, snaplen, linktype;
	uint16_t major, minor;
	memcpy(&magic, map, 4);
	memcpy(&major, map + 4, 2);
	memcpy(&minor, map + 6, 2);
	memcpy(&snaplen, map + 16, 4);
	memcpy(&linktype, map + 20, 4);
	bool nano = magic == 0xa1b23c4d;
	/* the high bits of the link type carry FCS details libpcap acts on */
	if ((magic != 0xa1b2c3d4 && !nano) || major != 2 || minor != 4 || !snaplen || snaplen > 262144 ||
	    (linktype >> 16)) {
		munmap((void *)map, size);
		return -1;
	}
	if (r->dumper && !nano) {
		FILE *out = pcap_dump_file(r->dumper);
		if (!fflush(out)) {
			r->raw = true;
			r->raw_fd = fileno(out);
		}
	}
	size_t off = 24;
	while (off < size && !r->done) {
		uint32_t rec[4]; /* seconds, micro- or nanoseconds, captured length, length */
		if (size - off < sizeof(rec))
			break;
		/* records ahead, as the hardware prefetcher stops at pages */
		__builtin_prefetch(map + off + 1024);
		__builtin_prefetch(map + off + 2048);
		memcpy(rec, map + off, sizeof(rec));
		if (rec[2] > snaplen || rec[2] > size - off - sizeof(rec))
			break;
		struct pcap_pkthdr h = { .caplen = rec[2], .len = rec[3] };
		h.ts.tv_sec = (time_t)rec[0];
		h.ts.tv_usec = (suseconds_t)(nano ? rec[1] / 1000 : rec[1]);
		on_packet((u_char *)r, &h, map + off + sizeof(rec));
		off += sizeof(rec) + rec[2];
	}
	if (r->raw)
		raw_flush(r);
	r->raw = false;
	munmap((void *)map, size);
	return (off_t)off;
}

/* Filter every packet of r->p; returns 0, or -1 after reporting a read
 * error. */
static int filter_packets(struct run *r)
{
	const char *source = r->o->read_file ? cli_name(r->o->read_file) : r->o->iface;
	FILE *f = r->o->read_file && strcmp(r->o->read_file, "-") ? pcap_file(r->p) : NULL;

	r->linktype = pcap_datalink(r->p);
	off_t resume = read_mapped(r, f);
	if (r->raw_err) {
		cli_err("%s: %s", r->o->write_file, strerror(r->raw_err));
		return -1;
	}
	if (r->done)
		return 0;
	if (resume >= 0) {
		struct stat st;
		if (!fstat(fileno(f), &st) && resume == st.st_size)
			return 0;
		if (fseeko(f, resume, SEEK_SET)) {
			cli_err("%s: %s", source, strerror(errno));
			return -1;
		}
	}
	if (pcap_loop(r->p, -1, on_packet, (u_char *)r) == PCAP_ERROR) {
		cli_err("%s: %s", source, pcap_geterr(r->p));
		return -1;
	}
	return 0;
}

/* --prog OBJECT.o[:NAME]: the object's program selects the packets */
static int filter_with_prog(struct options *o, int argc, char **argv)
{
	if (optind < argc) {
		cli_err("filter: --prog and an expression ('%s') cannot be used together", argv[optind]);
		return 1;
	}
	if (o->dump) {
		cli_err("filter: -d prints a compiled expression; --prog has none");
		return 1;
	}
	char path[4096], *name = NULL;
	snprintf(path, sizeof(path), "%s", o->prog);
	char *colon = strrchr(path, ':');
	if (colon && colon > strrchr(path, '/') && !cli_is_elf(path))
		*colon = 0, name = colon + 1;
	char log[8192] = "";
	struct ebpf_filter f = { 0 };
	int rc = 1;
	if (uebpf_object_open_file(path, NULL, &f.obj, log, sizeof(log))) {
		cli_err_log(cli_name(path), log, -EINVAL);
		return 1;
	}
	struct uebpf_object_prog *prog = name ? uebpf_object_find_prog(f.obj, name) : uebpf_object_next_prog(f.obj, NULL);
	struct uebpf_object_load_opts lo = { .sz = sizeof(lo), .engine = o->runner == UEBPF_CLASSIC_RUN_JIT ? UEBPF_ENGINE_JIT : UEBPF_ENGINE_INTERP };
	pcap_t *p = NULL;
	pcap_dumper_t *dumper = NULL;
	if (!prog) {
		cli_err(name ? "filter: %s: no program named '%s'" : "filter: %s: no programs", cli_name(path), name);
		goto out;
	}
	f.type = uebpf_object_prog_type(prog);
	if (f.type != BPF_PROG_TYPE_SOCKET_FILTER && f.type != BPF_PROG_TYPE_XDP && f.type != BPF_PROG_TYPE_SCHED_CLS &&
	    f.type != BPF_PROG_TYPE_SCHED_ACT) {
		cli_err("filter: %s: program '%s' is not a socket filter, XDP or tc program", cli_name(path),
			uebpf_object_prog_name(prog));
		goto out;
	}
	if (uebpf_object_load(f.obj, &lo, log, sizeof(log))) {
		fputs(log, stderr);
		cli_err("filter: %s: cannot load", cli_name(path));
		goto out;
	}
	if (uebpf_pkt_runner_new(uebpf_object_prog_prog(prog), f.type, 1, &f.runner, log, sizeof(log))) {
		cli_err("filter: %s", log);
		goto out;
	}
	bpf_u_int32 netmask;
	if (!(p = open_source(o, &netmask)))
		goto out;
	if (pcap_datalink(p) != DLT_EN10MB) {
		cli_err("filter: --prog needs Ethernet frames; %s has link type %s", o->read_file ? cli_name(o->read_file) : o->iface,
			pcap_datalink_val_to_name(pcap_datalink(p)));
		goto out;
	}
	if (o->verbose)
		cli_err("filter: running %s (%s) from %s", uebpf_object_prog_name(prog), cli_prog_type_name(f.type),
			cli_name(path));
	if (o->write_file && !(dumper = open_dumper(p, o->write_file))) {
		cli_err("filter: %s", pcap_geterr(p));
		goto out;
	}
	struct run run = { .p = p, .ebpf = &f, .dumper = dumper, .o = o };
	int err = filter_packets(&run);
	if (dumper && pcap_dump_flush(dumper)) {
		cli_err("filter: %s: %s", o->write_file, strerror(errno));
		err = -1;
	}
	fflush(stdout);
	fprintf(stderr, "%llu packets read, %llu matched\n", (unsigned long long)run.read, (unsigned long long)run.matched);
	if (f.unfit && o->verbose)
		cli_err("filter: %llu packets shorter than an Ethernet header were not given to the program",
			(unsigned long long)f.unfit);
	rc = err ? 1 : 0;
out:
	if (dumper)
		pcap_dump_close(dumper);
	if (p)
		pcap_close(p);
	uebpf_pkt_runner_free(f.runner);
	uebpf_object_close(f.obj);
	return rc;
}

int cmd_filter(int argc, char **argv)
{
	struct options o = { .runner = UEBPF_CLASSIC_RUN_JIT, .semantics = UEBPF_CLASSIC_LIBPCAP };
	int rc = parse_options(argc, argv, &o);
	if (rc)
		return rc < 0 ? 1 : 0;

	if (o.prog)
		return filter_with_prog(&o, argc, argv);
	char *expr = join_operands(argc, argv);
	bpf_u_int32 netmask;
	pcap_t *p = expr ? open_source(&o, &netmask) : NULL;
	if (!p) {
		if (!expr)
			cli_err("filter: out of memory");
		free(expr);
		return 1;
	}

	struct bpf_program bpf;
	if (pcap_compile(p, &bpf, expr, !o.no_optimize, netmask) < 0) {
		cli_err("filter: %s", pcap_geterr(p));
		pcap_close(p);
		free(expr);
		return 1;
	}
	free(expr);
	if (o.dump) {
		dump_program(&bpf, o.dump);
		pcap_freecode(&bpf);
		pcap_close(p);
		return 0;
	}

	struct uebpf_classic_opts copts = { .sz = sizeof(copts), .semantics = o.semantics, .runner = o.runner,
					    .flags = UEBPF_CLASSIC_F_FALLBACK };
	struct uebpf_classic_prog *prog;
	char log[CLI_LOG_SZ] = "";
	int err = uebpf_classic_load((const struct sock_filter *)bpf.bf_insns, bpf.bf_len, &copts, &prog, log,
				     sizeof(log));
	pcap_freecode(&bpf);
	if (err) {
		cli_err("filter: %s", log);
		pcap_close(p);
		return 1;
	}
	if (o.verbose) {
		if (*log)
			cli_err("filter: %s", log);
		else
			cli_err("filter: running in %s", runner_names[uebpf_classic_prog_runner(prog)]);
	}

	pcap_dumper_t *dumper = NULL;
	if (o.write_file && !(dumper = open_dumper(p, o.write_file))) {
		cli_err("filter: %s", pcap_geterr(p));
		uebpf_classic_free(prog);
		pcap_close(p);
		return 1;
	}
	if (o.iface) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		active = p;
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}

	struct run run = { .p = p, .prog = prog, .dumper = dumper, .o = &o };
	err = filter_packets(&run);
	active = NULL;
	if (dumper) {
		if (pcap_dump_flush(dumper)) {
			cli_err("filter: %s: %s", o.write_file, strerror(errno));
			err = -1;
		}
		pcap_dump_close(dumper);
	}
	fflush(stdout);
	fprintf(stderr, "%llu packets read, %llu matched\n", (unsigned long long)run.read,
		(unsigned long long)run.matched);
	uebpf_classic_free(prog);
	pcap_close(p);
	return err ? 1 : 0;
}
