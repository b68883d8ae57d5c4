/* Differential test: for every bundled capture and every filter expression
 * below, libpcap compiles the expression (optimised and not) for the
 * capture's link type, and on every packet the verdict of libpcap's
 * bpf_filter must equal uebpf's: the cBPF interpreter, the translation run
 * by uebpf's eBPF interpreter, and the translation run by the JIT. */
#include <pcap.h>

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <uebpf/classic.h>

static const char *const files[] = {
	"tests/data/mixed.pcap", "tests/data/mixed.pcapng", "tests/data/sll.pcap",
	"tests/data/sll2.pcap",  "tests/data/raw.pcap",     "tests/data/null.pcap",
	"tests/data/ppp.pcap",   "tests/data/radiotap.pcap",
};

static const char *const exprs[] = {
	"tcp",
	"udp",
	"icmp",
	"ip",
	"ip6",
	"arp",
	"not ip and not ip6",
	"host 10.0.0.1",
	"src host 192.168.1.10",
	"dst host 10.0.0.2 or dst host 8.8.8.8",
	"net 10.0.0.0/24",
	"src net 192.168.0.0/16 and not dst net 10.0.0.0/8",
	"port 80",
	"tcp port 443",
	"udp port 53",
	"portrange 5000-5010",
	"tcp dst portrange 1-1023",
	"udp src portrange 5005-65535",
	"vlan",
	"vlan 100",
	"vlan and tcp",
	"vlan 300 and vlan 200",
	"ip6 and tcp",
	"ip6 host 2001:db8::1",
	"ip6 net 2001:db8::/32 and udp",
	"icmp6",
	"ip6 protochain 6",
	"ip protochain 17",
	"tcp[tcpflags] & tcp-syn != 0",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
	"tcp[13] == 0x12",
	"tcp[tcpflags] & (tcp-fin|tcp-rst) != 0 and not port 22",
	"len > 100",
	"less 64",
	"greater 1000",
	"len >= 60 and len <= 200",
	"ip[6:2] & 0x1fff != 0",
	"ip[6:2] & 0x2000 != 0",
	"ip[0] & 0xf > 5",
	"ip[8] < 2",
	"udp[8:2] == 0x1234",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"icmp[icmptype] == icmp-echo",
	"icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
	"ip proto 47",
	"ip multicast",
	"ether broadcast",
	"ether multicast",
	"ether host 00:11:22:33:44:55",
	"ether src 66:77:88:99:aa:bb and ip",
	"ether proto 0x88cc",
	"llc",
	"not tcp",
	"tcp or udp",
	"host 10.0.0.1 and not port 22",
	"(tcp port 80 or tcp port 8080) and src net 10.0.0.0/8",
	"(ip and udp) or (ip6 and tcp) or arp",
	"udp and (ip[2:2] - ((ip[0] & 0xf) << 2) - 8) > 40",
	"ip[2:2] * 2 / 3 % 7 == 1 or ip[1] ^ 0xff == 0xff",
	"ip[2:2] << 2 > 400 or ip[2:2] >> 1 < 30",
	"ip and ip[2:2] - 20 > 100 and len - 14 > 120",
	"ip6[6] == 58",
	"ip6 and ip6[40] == 0x80",
	"inbound",
	"outbound",
	"wlan addr2 02:00:00:00:00:0c",
	"type data and ip",
	"type mgt subtype beacon",
	"wlan dst 00:11:22:33:44:55 or wlan src 00:11:22:33:44:55",
	"link[2:2] == 0xc021",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct capture {
	int linktype;
	size_t n;
	struct pcap_pkthdr *hdr;
	uint8_t **data;
};

static void read_capture(const char *path, struct capture *c, pcap_t **handle)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p)
		fail_msg("%s: %s", path, err);
	memset(c, 0, sizeof(*c));
	c->linktype = pcap_datalink(p);
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int rc = pcap_next_ex(p, &h, &d);
		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc != 1)
			fail_msg("%s: %s", path, pcap_geterr(p));
		c->hdr = realloc(c->hdr, (c->n + 1) * sizeof(*c->hdr));
		c->data = realloc(c->data, (c->n + 1) * sizeof(*c->data));
		assert_non_null(c->hdr);
		assert_non_null(c->data);
		c->hdr[c->n] = *h;
		/* an exact-size copy, so ASan catches a load one byte past the capture */
		c->data[c->n] = malloc(h->caplen ? h->caplen : 1);
		memcpy(c->data[c->n], d, h->caplen);
		c->n++;
	}
	*handle = p;
}

static void free_capture(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->data[i]);
	free(c->data);
	free(c->hdr);
}

static const char *const runner_names[] = { "cBPF interpreter", "eBPF interpreter", "JIT" };

static void test_agree(void **state)
{
	size_t pairs = 0, interesting = 0, verdicts = 0, fallbacks = 0, batch_verdicts = 0;
	bool jit_missing = false;

	for (size_t f = 0; f < N(files); f++) {
		struct capture cap;
		pcap_t *p;
		read_capture(files[f], &cap, &p);
		assert_true(cap.n >= 50);
		struct uebpf_classic_pkt *pkts = calloc(cap.n, sizeof(*pkts));
		uint32_t *batch = calloc(cap.n, sizeof(*batch));
		assert_non_null(pkts);
		assert_non_null(batch);
		for (size_t i = 0; i < cap.n; i++)
			uebpf_classic_pkt_init(&pkts[i], cap.linktype, cap.data[i], cap.hdr[i].caplen, cap.hdr[i].len);

		for (size_t e = 0; e < N(exprs); e++) {
			for (int optimize = 1; optimize >= 0; optimize--) {
				struct bpf_program prog;
				if (pcap_compile(p, &prog, exprs[e], optimize, PCAP_NETMASK_UNKNOWN) < 0)
					continue; /* not for this link type (vlan on raw IP, ...) */
				const struct sock_filter *insns = (const struct sock_filter *)prog.bf_insns;
				struct uebpf_classic_prog *progs[3];
				char log[256];

				for (int r = 0; r < 3; r++) {
					struct uebpf_classic_opts o = { .sz = sizeof(o), .runner = r,
									.flags = UEBPF_CLASSIC_F_FALLBACK };
					int err = uebpf_classic_load(insns, prog.bf_len, &o, &progs[r], log, sizeof(log));
					if (err)
						fail_msg("%s on %s: %s", exprs[e], files[f], log);
					if (uebpf_classic_prog_runner(progs[r]) != (enum uebpf_classic_runner)r) {
						/* only the kernel-refused programs, and the JIT while it is missing */
						if (uebpf_classic_check(insns, prog.bf_len, NULL, 0) == 0) {
							if (r != UEBPF_CLASSIC_RUN_JIT)
								fail_msg("%s: %s fell back: %s", exprs[e], runner_names[r], log);
							if (!jit_missing)
								printf("JIT not available, that part is not tested: %s\n", log);
							jit_missing = true;
						} else {
							fallbacks++;
						}
					}
				}

				size_t matched = 0;
				for (size_t i = 0; i < cap.n; i++) {
					u_int want = bpf_filter(prog.bf_insns, cap.data[i], cap.hdr[i].len, cap.hdr[i].caplen);
					struct uebpf_classic_pkt pkt;
					uebpf_classic_pkt_init(&pkt, cap.linktype, cap.data[i], cap.hdr[i].caplen, cap.hdr[i].len);
					for (int r = 0; r < 3; r++) {
						uint32_t got = uebpf_classic_run(progs[r], &pkt);
						if (got != want)
							fail_msg("'%s'%s on %s packet %zu: %s returns %u, libpcap %u", exprs[e],
								 optimize ? "" : " (-O)", files[f], i + 1, runner_names[r], got, want);
						verdicts++;
					}
					matched += want != 0;
				}
				/* the JIT's batch entry, over the whole capture at once */
				if (uebpf_classic_prog_runner(progs[UEBPF_CLASSIC_RUN_JIT]) == UEBPF_CLASSIC_RUN_JIT) {
					size_t accepted = uebpf_classic_run_batch(progs[UEBPF_CLASSIC_RUN_JIT], pkts, cap.n,
										 batch);
					assert_int_equal(accepted, matched);
					for (size_t i = 0; i < cap.n; i++) {
						u_int want = bpf_filter(prog.bf_insns, cap.data[i], cap.hdr[i].len,
									cap.hdr[i].caplen);
						if (batch[i] != want)
							fail_msg("'%s'%s on %s packet %zu: batch JIT returns %u, libpcap %u",
								 exprs[e], optimize ? "" : " (-O)", files[f], i + 1, batch[i],
								 want);
					}
					batch_verdicts += cap.n;
				}
				pairs++;
				interesting += optimize && matched > 0 && matched < cap.n;
				for (int r = 0; r < 3; r++)
					uebpf_classic_free(progs[r]);
				pcap_freecode(&prog);
			}
		}
		free(pkts);
		free(batch);
		pcap_close(p);
		free_capture(&cap);
	}
	printf("%zu expression/capture pairs, %zu verdicts agree with libpcap; %zu pairs select some but not all "
	       "packets; %zu loads ran in the cBPF interpreter by the kernel's rules\n",
	       pairs, verdicts, interesting, fallbacks);
	printf("%zu batch verdicts (the JIT's loop over a whole capture) agree with libpcap\n", batch_verdicts);
	assert_true(jit_missing || batch_verdicts > 0);
	/* at least 30 expressions must really discriminate on the captures */
	assert_true(interesting >= 30 * 2);
	assert_true(fallbacks > 0); /* ip6 protochain */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
