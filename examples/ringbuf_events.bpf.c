// SPDX-License-Identifier: GPL-2.0
/* Streams one event per call through a ring buffer: the probed function's
 * first two arguments, the pid and the comm, as uprobe tools do. */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct event {
	__u32 pid;
	__u32 tid;
	__u64 arg0;
	__u64 arg1;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(on_call, long a, long b)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 1;
	__u64 id = bpf_get_current_pid_tgid();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->arg0 = a;
	e->arg1 = b;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (a < 0) {
		bpf_ringbuf_discard(e, 0);
		return 2;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
