/* uebpf: classic BPF (cBPF), the packet filter of tcpdump and SO_ATTACH_FILTER.
 *
 * A classic program is an array of the kernel's `struct sock_filter` from
 * <linux/filter.h> (the same layout as libpcap's `struct bpf_insn`). uebpf
 * checks it with the kernel's rules (bpf_check_classic), runs it in a cBPF
 * interpreter, and translates it to eBPF as the kernel's bpf_convert_filter
 * does, so that uebpf's eBPF interpreter or JIT runs it.
 *
 * This header does not include <linux/bpf.h>: libpcap's <pcap.h> defines a
 * classic `struct bpf_insn` that clashes with the eBPF one, and programs that
 * compile filters with libpcap include both this header and <pcap.h> (include
 * <pcap.h> first: its BPF_STMT/BPF_JUMP macros are unconditional).
 *
 * Errors are values: calls return 0 or a negative errno and write one line
 * "insn N: what is wrong" (or a plain line) into the caller's log.
 */
#ifndef UEBPF_CLASSIC_H
#define UEBPF_CLASSIC_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UEBPF_CLASSIC_MAX_INSNS 4096 /* the kernel's BPF_MAXINSNS */

/* One packet as a classic filter sees it. The payload fields are what
 * libpcap passes to bpf_filter; the others are the socket-buffer metadata
 * that the kernel's ancillary loads (SKF_AD_*) read. A translated program
 * receives the address of this struct in r1 and reads every field with
 * plain loads. Fields may be appended in later versions. */
struct uebpf_classic_pkt {
	const uint8_t *data; /* the frame as captured, link-layer header first */
	const uint8_t *data_end; /* data + caplen: what translated filters compare against */
	uint32_t caplen;     /* bytes at data; loads beyond fail */
	uint32_t wirelen;    /* length on the wire: `ld #pktlen` (BPF_LEN) */
	uint32_t net_off;    /* offset of the network header in data: base of SKF_NET_OFF */
	uint32_t ifindex;    /* SKF_AD_IFINDEX */
	uint32_t mark;       /* SKF_AD_MARK */
	uint32_t rxhash;     /* SKF_AD_RXHASH */
	uint16_t protocol;   /* SKF_AD_PROTOCOL: ETH_P_* in host order */
	uint16_t hatype;     /* SKF_AD_HATYPE: ARPHRD_* */
	uint16_t queue;      /* SKF_AD_QUEUE */
	uint16_t vlan_tci;   /* SKF_AD_VLAN_TAG */
	uint16_t vlan_tpid;  /* SKF_AD_VLAN_TPID, host order */
	uint8_t pkttype;     /* SKF_AD_PKTTYPE: PACKET_HOST, PACKET_OUTGOING, ... */
	uint8_t vlan_present; /* SKF_AD_VLAN_TAG_PRESENT: 1 if vlan_tci holds a tag */
};

/* Fill pkt for a frame of the given pcap link type (DLT_*): the payload
 * fields, and the metadata the link-layer header carries (network header
 * offset and protocol for Ethernet, Linux cooked SLL/SLL2, raw IP, BSD
 * loopback; packet type, ifindex and hardware type where SLL/SLL2 record
 * them). The rest is zero, as on a Linux socket without VLAN offload: VLAN
 * tags stay in the data and `protocol` is the outer ethertype. */
void uebpf_classic_pkt_init(struct uebpf_classic_pkt *pkt, int linktype, const void *data,
			    uint32_t caplen, uint32_t wirelen);

/* The kernel's rules for SO_ATTACH_FILTER (bpf_check_classic): 1..4096
 * instructions, the 49 opcodes Linux allows, no division or modulo by
 * constant zero, no shift by a constant of 32 or more, scratch slots below 16
 * and written on every path before they are read, jumps forward and inside
 * the program, ancillary loads at known offsets, a `ret` last. Returns 0 or
 * -EINVAL ("insn N: rule"). */
int uebpf_classic_check(const struct sock_filter *insns, size_t n, char *log, size_t log_sz);

/* Where libpcap's bpf_filter and the kernel behave differently at run time:
 * shifts by X >= 32 (libpcap: A = 0, kernel: the count is masked to 5 bits)
 * and indirect loads whose X + k passes 2^32 (libpcap:
 * out of bounds, kernel: the offset wraps to 32 bits). Both modes support the
 * kernel's ancillary loads and negative SKF_NET_OFF / SKF_LL_OFF offsets. */
enum uebpf_classic_semantics {
	UEBPF_CLASSIC_LIBPCAP = 0,
	UEBPF_CLASSIC_KERNEL = 1,
};

/* What runs a loaded filter. */
enum uebpf_classic_runner {
	UEBPF_CLASSIC_RUN_CBPF = 0,   /* the cBPF interpreter */
	UEBPF_CLASSIC_RUN_INTERP = 1, /* translated to eBPF, uebpf's interpreter */
	UEBPF_CLASSIC_RUN_JIT = 2,    /* translated to eBPF, uebpf's JIT */
};

/* When the kernel's rules refuse the program (libpcap's `ip6 protochain`
 * jumps backwards) or the runner asked for is not available, run it in the
 * cBPF interpreter instead, as libpcap falls back to filtering in user space;
 * the log then says why. Without this flag those cases are errors. */
#define UEBPF_CLASSIC_F_FALLBACK (1u << 0)

struct uebpf_classic_opts {
	size_t sz; /* sizeof(struct uebpf_classic_opts) */
	enum uebpf_classic_semantics semantics;
	enum uebpf_classic_runner runner;
	uint32_t flags; /* UEBPF_CLASSIC_F_* */
};

struct uebpf_classic_prog;

/* Check the program and prepare it for opts->runner (NULL opts: libpcap
 * semantics, cBPF interpreter). For the eBPF runners the translation is
 * verified by uebpf's verifier first, and runs unchecked once accepted. The cBPF interpreter also accepts programs
 * that only libpcap's looser validator allows (backward jumps, shifts by
 * constants of 32 or more, unknown ancillary offsets: see
 * uebpf_classic_check_loose) when UEBPF_CLASSIC_F_FALLBACK is set. On success
 * the log is empty, or says why the program fell back to the interpreter. */
int uebpf_classic_load(const struct sock_filter *insns, size_t n, const struct uebpf_classic_opts *opts,
		       struct uebpf_classic_prog **out, char *log, size_t log_sz);
void uebpf_classic_free(struct uebpf_classic_prog *prog);
enum uebpf_classic_runner uebpf_classic_prog_runner(const struct uebpf_classic_prog *prog);

/* Run the filter on one packet: the `ret` value (the number of bytes to
 * keep), 0 to reject. Never fails: out-of-bounds loads, division by zero X
 * and, in the interpreter, more than UEBPF_CLASSIC_MAX_BACKJUMPS backward
 * jumps all end the run with 0. */
uint32_t uebpf_classic_run(const struct uebpf_classic_prog *prog, const struct uebpf_classic_pkt *pkt);

/* The JIT-compiled filter's native function, or NULL (the interpreters):
 * fn(pkt, sizeof(*pkt)) returns (in its low 32 bits) what uebpf_classic_run
 * does, without the call around it, as uebpf_prog_function and DPDK's
 * rte_bpf_get_jit hand out theirs. Valid until the filter is freed. */
typedef uint64_t (*uebpf_classic_fn)(void *pkt, uint64_t size);
uebpf_classic_fn uebpf_classic_prog_function(const struct uebpf_classic_prog *prog);

/* Run the filter on n packets: verdicts[i] = uebpf_classic_run(prog,
 * &pkts[i]); returns how many are non-zero. With the JIT the loop over the
 * packets runs inside the compiled code, with no call per packet (the
 * batch entry, uebpf_prog_jit_batch); otherwise packet by packet. */
size_t uebpf_classic_run_batch(const struct uebpf_classic_prog *prog, const struct uebpf_classic_pkt *pkts,
			       size_t n, uint32_t *verdicts);

#define UEBPF_CLASSIC_MAX_BACKJUMPS 65536

/* libpcap's validator, made safe: the rules the cBPF interpreter needs to
 * run a program without faulting (known opcodes, scratch slots below 16,
 * every jump target inside the program in either direction, no path running
 * off the end, no division by constant zero). Returns 0 or -EINVAL. */
int uebpf_classic_check_loose(const struct sock_filter *insns, size_t n, char *log, size_t log_sz);

/* The eBPF instruction of <linux/bpf.h>: declared, not defined, here (see
 * the top of this file). */
struct bpf_insn;
struct uebpf_helper_table;

/* Translate a program that passes uebpf_classic_check into eBPF (malloc'd
 * into *out, *n_out instructions), as the kernel's bpf_convert_filter does:
 * A in r0, X in r1, M[k] in the stack word at r10 - 4k - 4; packet loads are
 * direct loads with bounds checks against pkt->data_end, written so that
 * uebpf's verifier accepts them (uebpf_classic_load verifies every
 * translation before it runs it). The program takes
 * r1 = struct uebpf_classic_pkt * and returns the cBPF return value. Loads
 * at negative offsets and the computed ancillary values (PAY_OFFSET, NLATTR,
 * NLATTR_NEST, CPU, RANDOM) call helpers that uebpf_classic_helpers_register
 * provides. Returns 0, -EINVAL (not valid, or a jump too long for eBPF's
 * 16-bit offsets) or -ENOMEM. */
int uebpf_classic_translate(const struct sock_filter *insns, size_t n, enum uebpf_classic_semantics sem,
			    struct bpf_insn **out, size_t *n_out, char *log, size_t log_sz);

/* Add the helpers translated programs call to a helper table. Their ids are
 * uebpf's own, in UEBPF_CLASSIC_HELPER_FIRST .. UEBPF_CLASSIC_HELPER_LAST,
 * above every kernel helper id. */
#define UEBPF_CLASSIC_HELPER_FIRST 500
#define UEBPF_CLASSIC_HELPER_LAST 505
int uebpf_classic_helpers_register(struct uebpf_helper_table *t);

/* Format instruction i the way libpcap's bpf_image does ("(002) jeq
 * #0x800 jt 3 jf 5"), so `-d` output matches tcpdump's byte for byte. */
void uebpf_classic_format_insn(const struct sock_filter *insn, size_t i, char *buf, size_t buf_sz);

#ifdef __cplusplus
}
#endif

#endif
