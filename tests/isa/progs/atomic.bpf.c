/* Every atomic clang emits: add/or/and/xor with and without fetch, xchg, cmpxchg. */
typedef unsigned long long u64;
typedef unsigned int u32;

u64 atomic(u64 *p, u32 *q, u64 v)
{
	u64 r = 0;

	__sync_fetch_and_add(p, v);
	r += __sync_fetch_and_add(p + 1, v);
	__sync_fetch_and_or(p, v);
	r += __sync_fetch_and_or(p + 1, v);
	__sync_fetch_and_and(p, v);
	r += __sync_fetch_and_and(p + 1, v);
	__sync_fetch_and_xor(p, v);
	r += __sync_fetch_and_xor(p + 1, v);
	r += __sync_lock_test_and_set(p + 2, v);
	r += __sync_val_compare_and_swap(p + 3, r, v);
	__sync_fetch_and_add(q, (u32)v);
	r += __sync_fetch_and_add(q + 1, (u32)v);
	r += __sync_fetch_and_or(q + 1, (u32)v);
	r += __sync_lock_test_and_set(q + 2, (u32)v);
	r += __sync_val_compare_and_swap(q + 3, (u32)r, (u32)v);
	return r;
}
