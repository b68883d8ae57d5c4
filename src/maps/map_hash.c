/* Hash maps: HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and HASH_OF_MAPS.
 *
 * Preallocated elements in shared memory, chained from a power-of-two array
 * of buckets by index (never by pointer: another process maps the region at
 * another address). Each bucket is a seqlock: writers make its sequence odd
 * while they change the chain, readers walk it without writing and retry if
 * the sequence moved, so program lookups take no lock. Free elements form a
 * lock-free stack with an ABA tag. An element is allocated before its bucket
 * is locked, so LRU eviction (which locks the victim's bucket) never waits
 * while holding a bucket. LRU is a clock: lookups set a reference bit, and
 * eviction passes over referenced elements once, clearing the bit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isa/log.h"
#include "maps/map.h"

#define MAX_KEY 512
#define MAX_VALUE (1u << 20)

struct htab {
	uint32_t n_buckets;
	uint32_t elem_size;
	uint64_t free_top;   /* element index + 1 in the low half, ABA tag in the high half */
	uint32_t count;      /* elements in use */
	uint32_t clock_hand; /* LRU: next element to look at */
	uint32_t evict_lock;
	uint32_t next_inner; /* hash of maps: ids handed out */
};

struct bucket {
	uint32_t seq;  /* odd while a writer changes the chain */
	uint32_t head; /* element index + 1; 0: empty */
};

struct elem {
	uint32_t next; /* chain or free list: index + 1 */
	uint32_t hash;
	uint8_t ref;   /* LRU: used since the clock hand last passed */
	uint8_t used;
	uint8_t pad[6];
	uint8_t data[]; /* key (rounded to 8), then the value(s) */
};

/* hash of maps: this process's inner maps, by the id stored as the value */
struct inner_table {
	struct uebpf_map **maps;
	uint32_t n;
};

static bool is_percpu(const struct uebpf_map_info *i)
{
	return i->type == BPF_MAP_TYPE_PERCPU_HASH || i->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_lru(const struct uebpf_map_info *i)
{
	return i->type == BPF_MAP_TYPE_LRU_HASH || i->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static size_t value_area(const struct uebpf_map_info *i)
{
	return UEBPF_ROUND8(i->value_size) * (is_percpu(i) ? i->ncpus : 1);
}

static uint32_t buckets_for(uint32_t max)
{
	uint32_t n = 1;
	while (n < max && n < (1u << 31))
		n <<= 1;
	return n;
}

static size_t elem_size(const struct uebpf_map_info *i)
{
	return sizeof(struct elem) + UEBPF_ROUND8(i->key_size) + value_area(i);
}

static int hash_check(const struct uebpf_map_info *i, char *log, size_t log_sz)
{
	const uint32_t known = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_RDONLY |
			       BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | BPF_F_ZERO_SEED | BPF_F_INNER_MAP;
	const char *what = i->type == BPF_MAP_TYPE_HASH_OF_MAPS ? "hash_of_maps" : is_lru(i) ? "lru_hash" : "hash";
	if (!i->key_size || i->key_size > MAX_KEY || !i->value_size || i->value_size > MAX_VALUE || !i->max_entries ||
	    i->max_entries > (1u << 24) || (i->map_flags & ~known)) {
		uebpf_log(log, log_sz, "%s: key_size 1..%u (is %u), value_size 1..%u (is %u), max_entries 1..%u (is %u), "
				       "flags known (0x%x)",
			  what, MAX_KEY, i->key_size, MAX_VALUE, i->value_size, 1u << 24, i->max_entries, i->map_flags);
		return -EINVAL;
	}
	if (is_lru(i) && (i->map_flags & BPF_F_NO_PREALLOC)) {
		uebpf_log(log, log_sz, "lru_hash: BPF_F_NO_PREALLOC is not allowed");
		return -EINVAL;
	}
	if (!is_lru(i) && (i->map_flags & BPF_F_NO_COMMON_LRU)) {
		uebpf_log(log, log_sz, "hash: BPF_F_NO_COMMON_LRU needs an LRU map");
		return -EINVAL;
	}
	if (i->type == BPF_MAP_TYPE_HASH_OF_MAPS && i->value_size != 4) {
		uebpf_log(log, log_sz, "hash_of_maps: value_size must be 4 (is %u)", i->value_size);
		return -EINVAL;
	}
	return 0;
}

static size_t hash_shm_size(const struct uebpf_map_info *i)
{
	return sizeof(struct htab) + (size_t)buckets_for(i->max_entries) * sizeof(struct bucket) +
	       (size_t)i->max_entries * elem_size(i);
}

static struct htab *H(const struct uebpf_map *m)
{
	return uebpf_map_data(m);
}

static struct bucket *buckets(const struct uebpf_map *m)
{
	return (struct bucket *)(H(m) + 1);
}

static struct elem *E(const struct uebpf_map *m, uint32_t idx1)
{
	return (struct elem *)((uint8_t *)(buckets(m) + H(m)->n_buckets) + (size_t)(idx1 - 1) * H(m)->elem_size);
}

static void *elem_key(struct elem *e)
{
	return e->data;
}

static void *elem_value(const struct uebpf_map *m, struct elem *e, uint32_t cpu)
{
	return e->data + UEBPF_ROUND8(m->info.key_size) + (size_t)cpu * UEBPF_ROUND8(m->info.value_size);
}

static int hash_init(struct uebpf_map *m)
{
	struct htab *h = H(m);
	h->n_buckets = buckets_for(m->info.max_entries);
	h->elem_size = elem_size(&m->info);
	/* the free stack holds every element, 1 on top */
	for (uint32_t i = 1; i <= m->info.max_entries; i++)
		E(m, i)->next = i < m->info.max_entries ? i + 1 : 0;
	h->free_top = 1;
	return 0;
}

static int hash_attach(struct uebpf_map *m)
{
	if (m->info.type != BPF_MAP_TYPE_HASH_OF_MAPS)
		return 0;
	m->local = calloc(1, sizeof(struct inner_table));
	return m->local ? 0 : -ENOMEM;
}

static void hash_release(struct uebpf_map *m)
{
	struct inner_table *t = m->local;
	if (t)
		free(t->maps);
	free(t);
	m->local = NULL;
}

/* ---- free list ---- */

static uint32_t pop_free(struct uebpf_map *m)
{
	struct htab *h = H(m);
	uint64_t top = __atomic_load_n(&h->free_top, __ATOMIC_ACQUIRE);
	for (;;) {
		uint32_t idx = (uint32_t)top;
		if (!idx)
			return 0;
		uint32_t next = __atomic_load_n(&E(m, idx)->next, __ATOMIC_RELAXED);
		uint64_t want = ((top >> 32) + 1) << 32 | next;
		if (__atomic_compare_exchange_n(&h->free_top, &top, want, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			__atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
			return idx;
		}
	}
}

static void push_free(struct uebpf_map *m, uint32_t idx)
{
	struct htab *h = H(m);
	uint64_t top = __atomic_load_n(&h->free_top, __ATOMIC_ACQUIRE);
	__atomic_fetch_sub(&h->count, 1, __ATOMIC_RELAXED);
	for (;;) {
		__atomic_store_n(&E(m, idx)->next, (uint32_t)top, __ATOMIC_RELAXED);
		uint64_t want = ((top >> 32) + 1) << 32 | idx;
		if (__atomic_compare_exchange_n(&h->free_top, &top, want, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return;
	}
}

/* ---- buckets ---- */

static void bucket_lock(struct bucket *b)
{
	for (;;) {
		uint32_t s = __atomic_load_n(&b->seq, __ATOMIC_RELAXED);
		if (!(s & 1) && __atomic_compare_exchange_n(&b->seq, &s, s + 1, false, __ATOMIC_ACQUIRE,
							    __ATOMIC_RELAXED))
			return;
		__builtin_ia32_pause();
	}
}

static void bucket_unlock(struct bucket *b)
{
	__atomic_fetch_add(&b->seq, 1, __ATOMIC_RELEASE);
}

/* 4- and 8-byte keys (pids, addresses, indexes) are most keys: one
 * multiply spreads them; longer keys take the general hash */
static inline uint32_t key_hash(const struct uebpf_map *m, const void *key)
{
	uint64_t k;
	switch (m->info.key_size) {
	case 4: {
		uint32_t k4;
		memcpy(&k4, key, 4);
		return (uint32_t)(((uint64_t)k4 * 0x9e3779b97f4a7c15ull) >> 32);
	}
	case 8:
		memcpy(&k, key, 8);
		k *= 0x9e3779b97f4a7c15ull;
		return (uint32_t)(k >> 32) ^ (uint32_t)(k >> 11);
	}
	return (uint32_t)uebpf_map_hash(key, m->info.key_size, 0);
}

static inline bool key_eq(const void *a, const void *b, uint32_t size)
{
	switch (size) {
	case 4: {
		uint32_t x, y;
		memcpy(&x, a, 4), memcpy(&y, b, 4);
		return x == y;
	}
	case 8: {
		uint64_t x, y;
		memcpy(&x, a, 8), memcpy(&y, b, 8);
		return x == y;
	}
	}
	return !memcmp(a, b, size);
}

/* Where one lookup looks: computed once per operation. */
struct where {
	struct bucket *b;
	uint8_t *elems;      /* element 1 */
	uint32_t elem_size, max, key_size, hash;
};

static inline struct where where_of(const struct uebpf_map *m, const void *key)
{
	struct htab *h = H(m);
	struct bucket *bk = (struct bucket *)(h + 1);
	uint32_t hash = key_hash(m, key);
	return (struct where){ &bk[hash & (h->n_buckets - 1)], (uint8_t *)(bk + h->n_buckets), h->elem_size,
			       m->info.max_entries, m->info.key_size, hash };
}

/* Walk a chain; idx1 of the match or 0; *prev1 the element before it. The
 * walk is bounded: a reader racing a writer may see a stale chain, and then
 * retries. */
static inline uint32_t find_in(const struct where *w, const void *key, uint32_t *prev1)
{
	uint32_t idx = __atomic_load_n(&w->b->head, __ATOMIC_ACQUIRE), prev = 0;
	for (uint32_t steps = 0; idx && idx <= w->max && steps <= w->max; steps++) {
		struct elem *e = (struct elem *)(w->elems + (size_t)(idx - 1) * w->elem_size);
		if (e->hash == w->hash && key_eq(e->data, key, w->key_size)) {
			if (prev1)
				*prev1 = prev;
			return idx;
		}
		prev = idx;
		idx = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
	}
	return 0;
}

static uint32_t find(const struct uebpf_map *m, const struct bucket *b, const void *key, uint32_t hash,
		     uint32_t *prev1)
{
	struct where w = where_of(m, key);
	w.b = (struct bucket *)b;
	w.hash = hash;
	return find_in(&w, key, prev1);
}

static inline struct elem *lookup(struct uebpf_map *m, const void *key)
{
	struct where w = where_of(m, key);
	for (;;) {
		uint32_t s = __atomic_load_n(&w.b->seq, __ATOMIC_ACQUIRE);
		if (s & 1) {
			__builtin_ia32_pause();
			continue;
		}
		uint32_t idx = find_in(&w, key, NULL);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&w.b->seq, __ATOMIC_RELAXED) == s)
			return idx ? (struct elem *)(w.elems + (size_t)(idx - 1) * w.elem_size) : NULL;
	}
}

/* ---- LRU eviction ---- */

static bool unlink_elem(struct uebpf_map *m, uint32_t idx)
{
	struct elem *e = E(m, idx);
	struct bucket *b = &buckets(m)[e->hash & (H(m)->n_buckets - 1)];
	bucket_lock(b);
	uint32_t prev, found = e->used ? find(m, b, elem_key(e), e->hash, &prev) : 0;
	if (found == idx) {
		if (prev)
			__atomic_store_n(&E(m, prev)->next, e->next, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&b->head, e->next, __ATOMIC_RELEASE);
		e->used = 0;
	}
	bucket_unlock(b);
	return found == idx;
}

static void evict_one(struct uebpf_map *m)
{
	struct htab *h = H(m);
	uint32_t max = m->info.max_entries;
	uebpf_map_lock(&h->evict_lock);
	for (uint32_t steps = 0; steps < 3 * max; steps++) {
		uint32_t idx = h->clock_hand % max + 1;
		h->clock_hand = idx % max;
		struct elem *e = E(m, idx);
		if (!__atomic_load_n(&e->used, __ATOMIC_ACQUIRE))
			continue;
		if (__atomic_load_n(&e->ref, __ATOMIC_RELAXED)) {
			__atomic_store_n(&e->ref, 0, __ATOMIC_RELAXED);
			continue;
		}
		if (unlink_elem(m, idx)) {
			push_free(m, idx);
			break;
		}
	}
	uebpf_map_unlock(&h->evict_lock);
}

static uint32_t alloc_elem(struct uebpf_map *m)
{
	uint32_t idx = pop_free(m);
	for (int tries = 0; !idx && is_lru(&m->info) && tries < 4; tries++) {
		evict_one(m);
		idx = pop_free(m);
	}
	return idx;
}

/* ---- operations ---- */

/* value for the new or existing element: who = -1 copies all CPUs' values
 * from a user buffer, else this CPU's from a program (a new percpu element
 * gets zeroes on the other CPUs, as in the kernel) */
static void set_value(struct uebpf_map *m, struct elem *e, const void *value, bool fresh, bool all_cpus,
		      uint64_t flags)
{
	if (!is_percpu(&m->info)) {
		void *dst = elem_value(m, e, 0);
		uebpf_map_copy_value(m, dst, value, dst, fresh ? 0 : flags);
		return;
	}
	size_t per = UEBPF_ROUND8(m->info.value_size);
	uint32_t me = uebpf_map_cpu(m);
	for (uint32_t c = 0; c < m->info.ncpus; c++) {
		if (all_cpus)
			memcpy(elem_value(m, e, c), (const uint8_t *)value + c * per, m->info.value_size);
		else if (c == me)
			memcpy(elem_value(m, e, c), value, m->info.value_size);
		else if (fresh)
			memset(elem_value(m, e, c), 0, m->info.value_size);
	}
}

static long update(struct uebpf_map *m, const void *key, const void *value, uint64_t flags, bool all_cpus)
{
	uint64_t cmd = flags & ~(uint64_t)BPF_F_LOCK;
	if (cmd > BPF_EXIST || ((flags & BPF_F_LOCK) && m->info.spin_lock_off < 0))
		return -EINVAL;
	uint32_t hash = key_hash(m, key);
	struct bucket *b = &buckets(m)[hash & (H(m)->n_buckets - 1)];
	/* a new element is taken (maybe evicting one) only for a key that is
	 * not there; if it appears meanwhile the element goes back */
	uint32_t fresh = 0, idx;
	long err = 0;
	for (;;) {
		if (cmd != BPF_EXIST && !fresh && !lookup(m, key) && !(fresh = alloc_elem(m)))
			return -E2BIG;
		bucket_lock(b);
		idx = find(m, b, key, hash, NULL);
		if (idx || fresh || cmd == BPF_EXIST)
			break;
		bucket_unlock(b); /* deleted since the look: take an element after all */
	}
	if (idx) {
		if (cmd == BPF_NOEXIST)
			err = -EEXIST;
		else
			set_value(m, E(m, idx), value, false, all_cpus, flags);
	} else if (cmd == BPF_EXIST) {
		err = -ENOENT;
	} else {
		struct elem *e = E(m, fresh);
		e->hash = hash;
		e->ref = 1;
		memcpy(elem_key(e), key, m->info.key_size);
		set_value(m, e, value, true, all_cpus, 0);
		e->next = b->head;
		__atomic_store_n(&e->used, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&b->head, fresh, __ATOMIC_RELEASE);
		fresh = 0;
	}
	bucket_unlock(b);
	if (fresh)
		push_free(m, fresh);
	return err;
}

/* the value(s) of an element as the syscall returns them: every CPU's for
 * a percpu map, each rounded up to 8 bytes */
static void copy_out(const struct uebpf_map *m, struct elem *e, void *value)
{
	if (!is_percpu(&m->info)) {
		memcpy(value, elem_value(m, e, 0), m->info.value_size);
		return;
	}
	size_t per = UEBPF_ROUND8(m->info.value_size);
	memset(value, 0, per * m->info.ncpus);
	for (uint32_t c = 0; c < m->info.ncpus; c++)
		memcpy((uint8_t *)value + c * per, elem_value(m, e, c), m->info.value_size);
}

static long delete(struct uebpf_map *m, const void *key, void *value_out)
{
	uint32_t hash = key_hash(m, key);
	struct bucket *b = &buckets(m)[hash & (H(m)->n_buckets - 1)];
	bucket_lock(b);
	uint32_t prev, idx = find(m, b, key, hash, &prev);
	if (idx) {
		struct elem *e = E(m, idx);
		if (value_out)
			copy_out(m, e, value_out);
		if (prev)
			__atomic_store_n(&E(m, prev)->next, e->next, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&b->head, e->next, __ATOMIC_RELEASE);
		e->used = 0;
	}
	bucket_unlock(b);
	if (!idx)
		return -ENOENT;
	push_free(m, idx);
	return 0;
}

/* The lookup of 4- and 8-byte keys, for programs: the same walk as
 * lookup() with the key compared as one word and nothing kept across the
 * loop but the bucket, so it runs in the caller-saved registers. */
#define DEFINE_LOOKUP_WORD(NAME, TYPE)                                                                     \
	static void *NAME(struct uebpf_map *m, const void *key)                                             \
	{                                                                                                  \
		struct htab *h = H(m);                                                                     \
		struct bucket *bk = (struct bucket *)(h + 1);                                              \
		TYPE k;                                                                                    \
		memcpy(&k, key, sizeof(k));                                                                \
		uint32_t hash = key_hash(m, key), max = m->info.max_entries, esz = h->elem_size;          \
		struct bucket *b = &bk[hash & (h->n_buckets - 1)];                                         \
		uint8_t *elems = (uint8_t *)(bk + h->n_buckets);                                           \
		for (;;) {                                                                                 \
			uint32_t s = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);                           \
			if (s & 1) {                                                                       \
				__builtin_ia32_pause();                                                    \
				continue;                                                                  \
			}                                                                                  \
			struct elem *found = NULL;                                                         \
			uint32_t idx = __atomic_load_n(&b->head, __ATOMIC_ACQUIRE);                        \
			for (uint32_t steps = 0; idx - 1 < max && steps <= max; steps++) {                 \
				struct elem *e = (struct elem *)(elems + (size_t)(idx - 1) * esz);         \
				TYPE ek;                                                                   \
				memcpy(&ek, e->data, sizeof(ek));                                          \
				if (e->hash == hash && ek == k) {                                          \
					found = e;                                                         \
					break;                                                             \
				}                                                                          \
				idx = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);                         \
			}                                                                                  \
			__atomic_thread_fence(__ATOMIC_ACQUIRE);                                           \
			if (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) == s)                               \
				return found ? found->data + 8 : NULL;                                     \
		}                                                                                          \
	}

DEFINE_LOOKUP_WORD(lookup_word4, uint32_t)
DEFINE_LOOKUP_WORD(lookup_word8, uint64_t)

static __attribute__((noinline)) void *lookup_value(struct uebpf_map *m, const void *key)
{
	struct elem *e = lookup(m, key);
	return e ? elem_value(m, e, 0) : NULL;
}

/* the other sizes out of line, so that the word lookups save no registers */
void *uebpf_hash_lookup(struct uebpf_map *m, const void *key)
{
	switch (m->info.key_size) {
	case 4:
		return lookup_word4(m, key);
	case 8:
		return lookup_word8(m, key);
	}
	return lookup_value(m, key);
}

static void *hash_lookup_elem(struct uebpf_map *m, const void *key)
{
	struct elem *e = lookup(m, key);
	if (!e)
		return NULL;
	if (is_lru(&m->info) && !e->ref)
		__atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
	if (m->info.type == BPF_MAP_TYPE_HASH_OF_MAPS) {
		struct inner_table *t = m->local;
		uint32_t id;
		memcpy(&id, elem_value(m, e, 0), 4);
		return id && id <= t->n ? t->maps[id - 1] : NULL;
	}
	return elem_value(m, e, is_percpu(&m->info) ? uebpf_map_cpu(m) : 0);
}

static long hash_update_elem(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	if (m->info.type == BPF_MAP_TYPE_HASH_OF_MAPS)
		return -EINVAL;
	return update(m, key, value, flags, false);
}

static long hash_delete_elem(struct uebpf_map *m, const void *key)
{
	return delete(m, key, NULL);
}

static int hash_sys_lookup(struct uebpf_map *m, const void *key, void *value)
{
	uint32_t hash = key_hash(m, key);
	struct bucket *b = &buckets(m)[hash & (H(m)->n_buckets - 1)];
	bucket_lock(b);
	uint32_t idx = find(m, b, key, hash, NULL);
	if (idx) {
		copy_out(m, E(m, idx), value);
	}
	bucket_unlock(b);
	return idx ? 0 : -ENOENT;
}

static int hash_sys_update(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	if (m->info.type == BPF_MAP_TYPE_HASH_OF_MAPS)
		return -EINVAL; /* inner maps go in with uebpf_map_set_inner */
	if ((flags & BPF_F_LOCK) && is_percpu(&m->info))
		return -EINVAL;
	return (int)update(m, key, value, flags, true);
}

static int hash_sys_delete(struct uebpf_map *m, const void *key)
{
	return (int)delete(m, key, NULL);
}

static int hash_sys_lookup_and_delete(struct uebpf_map *m, const void *key, void *value)
{
	return (int)delete(m, key, value);
}

/* The kernel's order: the chain after key, then the following buckets; a
 * key that is not there restarts from the first bucket. */
static int hash_get_next_key(struct uebpf_map *m, const void *key, void *next_key)
{
	uint32_t nb = H(m)->n_buckets, start = 0;
	if (key) {
		uint32_t hash = key_hash(m, key);
		struct bucket *b = &buckets(m)[hash & (nb - 1)];
		bucket_lock(b);
		uint32_t idx = find(m, b, key, hash, NULL);
		uint32_t next = idx ? E(m, idx)->next : 0;
		if (next)
			memcpy(next_key, elem_key(E(m, next)), m->info.key_size);
		bucket_unlock(b);
		if (next)
			return 0;
		start = idx ? (hash & (nb - 1)) + 1 : 0;
	}
	for (uint32_t i = start; i < nb; i++) {
		struct bucket *b = &buckets(m)[i];
		if (!__atomic_load_n(&b->head, __ATOMIC_ACQUIRE))
			continue;
		bucket_lock(b);
		uint32_t head = b->head;
		if (head)
			memcpy(next_key, elem_key(E(m, head)), m->info.key_size);
		bucket_unlock(b);
		if (head)
			return 0;
	}
	return -ENOENT;
}

/* hash of maps: the inner map goes in this process's table; the shared
 * value is its id */
int uebpf_hash_of_maps_set(struct uebpf_map *m, const void *key, struct uebpf_map *inner)
{
	struct inner_table *t = m->local;
	struct uebpf_map **maps = realloc(t->maps, (t->n + 1) * sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	t->maps = maps;
	maps[t->n++] = inner;
	uint32_t id = t->n;
	return (int)update(m, key, &id, BPF_ANY, false);
}

#define HASH_OPS                                                                                                  \
	.check = hash_check, .shm_size = hash_shm_size, .init = hash_init, .attach = hash_attach,                 \
	.release = hash_release, .lookup_elem = hash_lookup_elem, .update_elem = hash_update_elem,                \
	.delete_elem = hash_delete_elem, .sys_lookup = hash_sys_lookup, .sys_update = hash_sys_update,             \
	.sys_delete = hash_sys_delete, .sys_lookup_and_delete = hash_sys_lookup_and_delete,                        \
	.get_next_key = hash_get_next_key

const struct uebpf_map_ops uebpf_hash_ops = { HASH_OPS };
const struct uebpf_map_ops uebpf_percpu_hash_ops = { HASH_OPS };
const struct uebpf_map_ops uebpf_lru_hash_ops = { HASH_OPS };
const struct uebpf_map_ops uebpf_lru_percpu_hash_ops = { HASH_OPS };
const struct uebpf_map_ops uebpf_hash_of_maps_ops = { HASH_OPS };
