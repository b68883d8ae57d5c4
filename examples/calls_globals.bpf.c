// SPDX-License-Identifier: GPL-2.0
/* bpf-to-bpf calls and global variables: a .rodata table, a .data
 * counter and a .bss accumulator, reached from non-inlined functions. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u64 weights[4] = { 1, 10, 100, 1000 };
__u64 calls = 7;        /* .data: starts at 7 */
__u64 total;            /* .bss */

static __noinline __u64 weigh(__u64 i)
{
	calls++;
	return weights[i & 3] * i;
}

static __noinline __u64 sum_to(__u64 n)
{
	__u64 s = 0;
	for (__u64 i = 1; i <= n && i < 16; i++)
		s += weigh(i);
	return s;
}

SEC("raw_tp/sys_enter")
int calls_and_globals(__u64 *args)
{
	__u64 s = sum_to(8);
	total += s;
	bpf_printk("sum %llu calls %llu", s, calls);
	return s & 0xffff;
}

char LICENSE[] SEC("license") = "GPL";
