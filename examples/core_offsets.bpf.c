// SPDX-License-Identifier: GPL-2.0
/* CO-RE: the program asks for field offsets and sizes of kernel structs it
 * declares only partly; the loader computes them from the running kernel's
 * BTF, as libbpf does, so the program returns the real layout. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

/* a type the kernel does not have: resolved against the object's own BTF */
struct local_only {
	long a;
	int b;
} __attribute__((preserve_access_index));

SEC("raw_tp/sys_enter")
int core_offsets(void *ctx)
{
	/* pid offset in the low 16 bits, tgid offset in the next 16, and the
	 * local struct's b offset above */
	__u64 pid = bpf_core_field_offset(struct task_struct, pid);
	__u64 tgid = bpf_core_field_offset(struct task_struct, tgid);
	__u64 b = bpf_core_field_offset(struct local_only, b);
	return (int)(pid | tgid << 16 | b << 32);
}

char LICENSE[] SEC("license") = "GPL";
