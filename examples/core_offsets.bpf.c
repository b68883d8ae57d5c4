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

/* Bitfields and enums. A local struct of bitfields read through CO-RE
 * (byte offset and size of the load, then the shifts), and enumerators of
 * the kernel's enum bpf_func_id, found by name: the ___x flavour is
 * dropped when the names are matched, as libbpf does. */
struct uebpf_core_bits {
	unsigned int a : 3;
	unsigned int b : 7;
	int c : 5;
	unsigned long long d : 40;
} __attribute__((preserve_access_index));

enum bpf_func_id___x {
	BPF_FUNC_map_lookup_elem___x = 100,
	BPF_FUNC_no_such_helper___x = 101,
};

__u64 core_out[6];

SEC("raw_tp/sys_enter")
int core_bits(void *ctx)
{
	struct uebpf_core_bits *p = ctx;
	core_out[0] = BPF_CORE_READ_BITFIELD_PROBED(p, b);
	core_out[1] = BPF_CORE_READ_BITFIELD_PROBED(p, c);
	core_out[2] = BPF_CORE_READ_BITFIELD_PROBED(p, d);
	core_out[3] = bpf_core_enum_value(enum bpf_func_id___x, BPF_FUNC_map_lookup_elem___x);
	core_out[4] = bpf_core_enum_value_exists(enum bpf_func_id___x, BPF_FUNC_map_lookup_elem___x);
	core_out[5] = bpf_core_enum_value_exists(enum bpf_func_id___x, BPF_FUNC_no_such_helper___x);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
