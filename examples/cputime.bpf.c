// SPDX-License-Identifier: GPL-2.0
/* Per-process CPU time from sched_switch: when a task is switched in, note
 * the time; when it is switched out, add the time it ran to its total. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* /sys/kernel/tracing/events/sched/sched_switch/format */
struct sched_switch {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	char prev_comm[16];
	int prev_pid;
	int prev_prio;
	long prev_state;
	char next_comm[16];
	int next_pid;
	int next_prio;
};

struct cputime {
	__u64 ns;        /* time on CPU */
	__u64 switches;  /* times switched out */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} oncpu_since SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct cputime);
} cputime SEC(".maps");

SEC("tracepoint/sched/sched_switch")
int on_switch(struct sched_switch *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 prev = ctx->prev_pid, next = ctx->next_pid;

	__u64 *since = bpf_map_lookup_elem(&oncpu_since, &prev);
	if (prev) {
		struct cputime *t = bpf_map_lookup_elem(&cputime, &prev);
		if (!t) {
			struct cputime zero = {};
			bpf_map_update_elem(&cputime, &prev, &zero, BPF_NOEXIST);
			t = bpf_map_lookup_elem(&cputime, &prev);
		}
		if (t) {
			if (since)
				__sync_fetch_and_add(&t->ns, now - *since);
			__sync_fetch_and_add(&t->switches, 1);
		}
	}
	bpf_map_update_elem(&oncpu_since, &next, &now, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
