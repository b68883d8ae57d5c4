/* Events out of a program: ring buffer, perf event array, stacks. The
 * buffers are the map types' (src/maps); here are the helper-facing rules. */
#include <errno.h>
#include <execinfo.h>
#include <linux/bpf.h>
#include <string.h>

#include "helpers/impl.h"
#include "helpers/memory.h"
#include "helpers/runctx.h"
#include "maps/map.h"

#define MAP ((struct uebpf_map *)(uintptr_t)r1)
#define PTR(r) ((void *)(uintptr_t)(r))
#define MAX_STACK 127 /* sysctl kernel.perf_event_max_stack */

HELPER(ringbuf_output)
{
	return uebpf_ringbuf_output(MAP, PTR(r2), r3, r4);
}

HELPER(ringbuf_reserve)
{
	return (uintptr_t)uebpf_ringbuf_reserve(MAP, r2, r3);
}

HELPER(ringbuf_submit)
{
	uebpf_ringbuf_submit(PTR(r1), r2);
	return 0;
}

HELPER(ringbuf_discard)
{
	uebpf_ringbuf_discard(PTR(r1), r2);
	return 0;
}

HELPER(ringbuf_query)
{
	return uebpf_ringbuf_query(MAP, r2);
}

/* bpf_perf_event_output(ctx, map, flags, data, size) */
HELPER(perf_event_output)
{
	return uebpf_perfbuf_output((struct uebpf_map *)(uintptr_t)r2, r3, PTR(r4), r5);
}

/* The user stack of the event: a frame-pointer walk from the event's
 * registers, as the kernel's perf_callchain_user does; every read is
 * fault-safe. Without registers (a program run outside a probe) it is the
 * calling thread's own stack. */
static uint32_t user_stack(uint64_t *ips, uint32_t max)
{
	struct uebpf_run_ctx *rc = uebpf_run_ctx_cur;
	uint32_t n = 0;
	if (!rc || !rc->regs) {
		void *buf[MAX_STACK + 4];
		int got = backtrace(buf, max + 4 < MAX_STACK + 4 ? (int)max + 4 : MAX_STACK + 4);
		/* skip this function and the helper: the program's caller is what counts */
		for (int i = 2; i < got && n < max; i++)
			ips[n++] = (uintptr_t)buf[i];
		return n;
	}
	const uint64_t *regs = rc->regs; /* struct pt_regs: bp at 4, ip at 16 */
	uint64_t fp = regs[4];
	if (max)
		ips[n++] = regs[16];
	while (n < max && fp) {
		uint64_t frame[2];
		if (uebpf_safe_read(frame, (void *)(uintptr_t)fp, sizeof(frame)) || !frame[1])
			break;
		ips[n++] = frame[1];
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}
	return n;
}

/* uebpf has no kernel stack to show: a kernel stack request finds no frames,
 * which the kernel reports as -EFAULT */
static long collect(uint64_t flags, uint64_t *ips, uint32_t max, uint32_t *n)
{
	uint32_t skip = flags & BPF_F_SKIP_FIELD_MASK;
	uint64_t all[MAX_STACK];
	if (!(flags & BPF_F_USER_STACK))
		return -EFAULT;
	uint32_t got = user_stack(all, MAX_STACK);
	if (got <= skip)
		return -EFAULT;
	*n = got - skip < max ? got - skip : max;
	memcpy(ips, all + skip, *n * sizeof(uint64_t));
	return 0;
}

/* bpf_get_stackid(ctx, map, flags) */
HELPER(get_stackid)
{
	struct uebpf_map *map = (struct uebpf_map *)(uintptr_t)r2;
	uint64_t flags = r3;
	if (flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID))
		return -EINVAL;
	uint64_t ips[MAX_STACK];
	uint32_t n;
	long err = collect(flags, ips, map->info.value_size / 8, &n);
	return err ? err : uebpf_stackmap_store(map, ips, n, flags);
}

/* bpf_get_stack(ctx, buf, size, flags): bytes copied; the rest is zeroed */
HELPER(get_stack)
{
	uint64_t flags = r4;
	uint32_t size = (uint32_t)r3;
	memset(PTR(r2), 0, size);
	if (flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID) ||
	    (flags & BPF_F_USER_BUILD_ID) || size % 8)
		return -EINVAL;
	uint32_t n;
	long err = collect(flags, PTR(r2), size / 8, &n);
	return err ? err : n * 8;
}
