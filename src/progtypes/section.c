/* libbpf's section-name conventions (SEC("...")), mapped to program type,
 * expected attach type and attach target (libbpf's SEC_DEF table; a prefix
 * entry, written "name+" there, takes "name" or "name/target"). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "progtypes/progtype.h"

static const struct {
	const char *name;
	bool prefix; /* "name" or "name/target" */
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
} sections[] = {
	{ "socket", false, BPF_PROG_TYPE_SOCKET_FILTER, 0 },
	{ "kprobe", true, BPF_PROG_TYPE_KPROBE, 0 },
	{ "kretprobe", true, BPF_PROG_TYPE_KPROBE, 0 },
	{ "uprobe", true, BPF_PROG_TYPE_KPROBE, 0 },
	{ "uprobe.s", true, BPF_PROG_TYPE_KPROBE, 0 },
	{ "uretprobe", true, BPF_PROG_TYPE_KPROBE, 0 },
	{ "uretprobe.s", true, BPF_PROG_TYPE_KPROBE, 0 },
	{ "kprobe.multi", true, BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI },
	{ "kretprobe.multi", true, BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI },
	{ "usdt", true, BPF_PROG_TYPE_KPROBE, 0 },
	{ "usdt.s", true, BPF_PROG_TYPE_KPROBE, 0 },
	{ "tc", false, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ "tc/ingress", false, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ "tc/egress", false, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ "tcx/ingress", false, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ "tcx/egress", false, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ "classifier", false, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ "action", false, BPF_PROG_TYPE_SCHED_ACT, 0 },
	{ "tracepoint", true, BPF_PROG_TYPE_TRACEPOINT, 0 },
	{ "tp", true, BPF_PROG_TYPE_TRACEPOINT, 0 },
	{ "raw_tracepoint", true, BPF_PROG_TYPE_RAW_TRACEPOINT, 0 },
	{ "raw_tp", true, BPF_PROG_TYPE_RAW_TRACEPOINT, 0 },
	{ "raw_tracepoint.w", true, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0 },
	{ "raw_tp.w", true, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0 },
	{ "tp_btf", true, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP },
	{ "fentry", true, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY },
	{ "fmod_ret", true, BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN },
	{ "fexit", true, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT },
	{ "fentry.s", true, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY },
	{ "fmod_ret.s", true, BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN },
	{ "fexit.s", true, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT },
	{ "freplace", true, BPF_PROG_TYPE_EXT, 0 },
	{ "lsm", true, BPF_PROG_TYPE_LSM, BPF_LSM_MAC },
	{ "lsm.s", true, BPF_PROG_TYPE_LSM, BPF_LSM_MAC },
	{ "iter", true, BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER },
	{ "iter.s", true, BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER },
	{ "syscall", false, BPF_PROG_TYPE_SYSCALL, 0 },
	{ "xdp.frags/devmap", false, BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP },
	{ "xdp/devmap", false, BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP },
	{ "xdp.frags/cpumap", false, BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP },
	{ "xdp/cpumap", false, BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP },
	{ "xdp.frags", false, BPF_PROG_TYPE_XDP, BPF_XDP },
	{ "xdp", false, BPF_PROG_TYPE_XDP, BPF_XDP },
	{ "perf_event", false, BPF_PROG_TYPE_PERF_EVENT, 0 },
	{ "lwt_in", false, BPF_PROG_TYPE_LWT_IN, 0 },
	{ "lwt_out", false, BPF_PROG_TYPE_LWT_OUT, 0 },
	{ "lwt_xmit", false, BPF_PROG_TYPE_LWT_XMIT, 0 },
	{ "lwt_seg6local", false, BPF_PROG_TYPE_LWT_SEG6LOCAL, 0 },
	{ "sockops", false, BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS },
	{ "sk_skb/stream_parser", false, BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_PARSER },
	{ "sk_skb/stream_verdict", false, BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_VERDICT },
	{ "sk_skb", false, BPF_PROG_TYPE_SK_SKB, 0 },
	{ "sk_msg", false, BPF_PROG_TYPE_SK_MSG, BPF_SK_MSG_VERDICT },
	{ "lirc_mode2", false, BPF_PROG_TYPE_LIRC_MODE2, BPF_LIRC_MODE2 },
	{ "flow_dissector", false, BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR },
	{ "cgroup_skb/ingress", false, BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS },
	{ "cgroup_skb/egress", false, BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS },
	{ "cgroup/skb", false, BPF_PROG_TYPE_CGROUP_SKB, 0 },
	{ "cgroup/sock_create", false, BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE },
	{ "cgroup/sock_release", false, BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_RELEASE },
	{ "cgroup/sock", false, BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE },
	{ "cgroup/dev", false, BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE },
	{ "cgroup/sysctl", false, BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL },
	{ "cgroup/getsockopt", false, BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT },
	{ "cgroup/setsockopt", false, BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_SETSOCKOPT },
	{ "cgroup/connect4", false, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT },
	{ "cgroup/connect6", false, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT },
	{ "cgroup/bind4", false, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND },
	{ "cgroup/bind6", false, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND },
	{ "sk_lookup", false, BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP },
	{ "struct_ops", true, BPF_PROG_TYPE_STRUCT_OPS, 0 },
};

int uebpf_progtype_from_section(const char *sec, struct uebpf_section_info *info)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const char *name = sections[i].name;
		size_t len = strlen(name);
		const char *target = NULL;
		if (sections[i].prefix) {
			if (strncmp(sec, name, len) || (sec[len] && sec[len] != '/'))
				continue;
			target = sec[len] == '/' && sec[len + 1] ? sec + len + 1 : NULL;
		} else if (strcmp(sec, name)) {
			continue;
		}
		*info = (struct uebpf_section_info){ sections[i].type, sections[i].attach, target, name };
		return 0;
	}
	return -ENOENT;
}
