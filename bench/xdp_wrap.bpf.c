/* The kernel runs a program only with a context, so each benchmark body is
 * wrapped in this XDP program: the harness puts the input in a map value
 * (length, then bytes), the body runs on it as (mem, len) - a map value
 * pointer and a bounded length, which the verifier can check - and the
 * result goes back into the map. Built with `-include bench/NAME.bpf.c
 * -DBENCH_KERNEL`; without a program it is the empty baseline whose time is
 * subtracted (the same lookup, call and store around a body that does
 * nothing). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef BENCH_NAME
#define BENCH_NAME empty
#define BENCH_LEN 64
#include "bench.h"

BENCH_ENTRY(void *mem, u64 len)
{
	return *(const u8 *)mem + len;
}
#endif

struct bench_buf {
	u64 ret;
	u64 len;
	u8 data[BENCH_LEN] __attribute__((aligned(8)));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct bench_buf);
} bench_buf SEC(".maps");

SEC("xdp")
int bench_xdp(struct xdp_md *ctx)
{
	u32 key = 0;
	struct bench_buf *b = bpf_map_lookup_elem(&bench_buf, &key);
	u64 len;

	if (!b)
		return XDP_ABORTED;
	len = b->len;
	if (len > BENCH_LEN)
		return XDP_ABORTED;
	b->ret = BENCH_NAME(b->data, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
