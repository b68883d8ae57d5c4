/* bpf_loop, the run's identity (func ip, attach cookie) and spin locks. */
#include <errno.h>
#include <linux/bpf.h>

#include <uebpf/engine.h>

#include "helpers/impl.h"
#include "helpers/runctx.h"

#define MAX_LOOPS (1u << 23) /* BPF_MAX_LOOPS */

/* bpf_loop(nr, cb, ctx, flags): cb(i, ctx) returns 0 to go on, 1 to stop;
 * the result is the number of calls made */
HELPER(loop)
{
	const struct uebpf_callback *cb = (const struct uebpf_callback *)(uintptr_t)r2;
	if (r4)
		return -EINVAL;
	if (r1 > MAX_LOOPS)
		return -E2BIG;
	uint64_t i;
	for (i = 0; i < r1;)
		if (cb->call(cb, i++, r3, 0, 0, 0))
			break;
	return i;
}

HELPER(get_func_ip)
{
	return uebpf_run_ctx_cur ? uebpf_run_ctx_cur->func_ip : 0;
}

HELPER(get_attach_cookie)
{
	return uebpf_run_ctx_cur ? uebpf_run_ctx_cur->attach_cookie : 0;
}

/* struct bpf_spin_lock is one u32 inside a map value in shared memory, so
 * another process's program contends for the same lock */
HELPER(spin_lock)
{
	uint32_t *lock = (uint32_t *)(uintptr_t)r1;
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	return 0;
}

HELPER(spin_unlock)
{
	__atomic_store_n((uint32_t *)(uintptr_t)r1, 0, __ATOMIC_RELEASE);
	return 0;
}
