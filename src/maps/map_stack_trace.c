/* STACK_TRACE: stacks of instruction pointers by id, for bpf_get_stackid.
 * The id is the stack's hash modulo the (power-of-two) number of buckets; a
 * different stack already in the bucket is -EEXIST unless
 * BPF_F_REUSE_STACKID replaces it, as in the kernel. */
#include <errno.h>
#include <string.h>

#include "isa/log.h"
#include "maps/map.h"

struct stacks {
	uint32_t lock;
	uint32_t n_buckets;
};

struct frame_set {
	uint32_t nr; /* 0: empty */
	uint32_t hash;
	uint64_t ips[];
};

static uint32_t buckets_for(uint32_t max)
{
	uint32_t n = 1;
	while (n < max && n < (1u << 24))
		n <<= 1;
	return n;
}

static int st_check(const struct uebpf_map_info *i, char *log, size_t log_sz)
{
	if (i->key_size != 4 || !i->value_size || i->value_size % 8 || i->value_size > 127 * 8 || !i->max_entries ||
	    i->max_entries > (1u << 24) ||
	    (i->map_flags & ~(uint32_t)(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_STACK_BUILD_ID))) {
		uebpf_log(log, log_sz, "stack_trace: key_size must be 4 (is %u), value_size a multiple of 8 up to %u "
				       "(is %u), max_entries > 0 (is %u)",
			  i->key_size, 127 * 8, i->value_size, i->max_entries);
		return -EINVAL;
	}
	if (i->map_flags & BPF_F_STACK_BUILD_ID) {
		uebpf_log(log, log_sz, "stack_trace: BPF_F_STACK_BUILD_ID is not supported");
		return -EINVAL;
	}
	return 0;
}

static size_t bucket_size(const struct uebpf_map_info *i)
{
	return sizeof(struct frame_set) + i->value_size;
}

static size_t st_shm_size(const struct uebpf_map_info *i)
{
	return sizeof(struct stacks) + buckets_for(i->max_entries) * bucket_size(i);
}

static struct stacks *S(const struct uebpf_map *m)
{
	return uebpf_map_data(m);
}

static struct frame_set *bucket(const struct uebpf_map *m, uint32_t id)
{
	return (struct frame_set *)((uint8_t *)(S(m) + 1) + (size_t)id * bucket_size(&m->info));
}

static int st_init(struct uebpf_map *m)
{
	S(m)->n_buckets = buckets_for(m->info.max_entries);
	return 0;
}

long uebpf_stackmap_store(struct uebpf_map *m, const uint64_t *ips, uint32_t n, uint64_t flags)
{
	if (m->info.type != BPF_MAP_TYPE_STACK_TRACE)
		return -EINVAL;
	uint32_t max = m->info.value_size / 8;
	if (n > max)
		n = max;
	uint32_t hash = (uint32_t)uebpf_map_hash(ips, n * 8, 0);
	uint32_t id = hash & (S(m)->n_buckets - 1);
	struct frame_set *b = bucket(m, id);
	long ret = id;
	uebpf_map_lock(&S(m)->lock);
	if (b->nr && b->hash == hash && b->nr == n && !memcmp(b->ips, ips, n * 8)) {
		/* the same stack again */
	} else if (b->nr && !(flags & BPF_F_REUSE_STACKID)) {
		ret = -EEXIST;
	} else {
		b->hash = hash;
		memcpy(b->ips, ips, n * 8);
		memset(b->ips + n, 0, (max - n) * 8);
		b->nr = n;
	}
	uebpf_map_unlock(&S(m)->lock);
	return ret;
}

static int st_sys_lookup(struct uebpf_map *m, const void *key, void *value)
{
	uint32_t id;
	memcpy(&id, key, 4);
	if (id >= S(m)->n_buckets)
		return -ENOENT;
	uebpf_map_lock(&S(m)->lock);
	struct frame_set *b = bucket(m, id);
	uint32_t nr = b->nr;
	if (nr)
		memcpy(value, b->ips, m->info.value_size);
	uebpf_map_unlock(&S(m)->lock);
	return nr ? 0 : -ENOENT;
}

static int st_sys_delete(struct uebpf_map *m, const void *key)
{
	uint32_t id;
	memcpy(&id, key, 4);
	if (id >= S(m)->n_buckets)
		return -EINVAL;
	uebpf_map_lock(&S(m)->lock);
	uint32_t nr = bucket(m, id)->nr;
	bucket(m, id)->nr = 0;
	uebpf_map_unlock(&S(m)->lock);
	return nr ? 0 : -ENOENT;
}

static long st_delete_elem(struct uebpf_map *m, const void *key)
{
	return st_sys_delete(m, key);
}

static int st_get_next_key(struct uebpf_map *m, const void *key, void *next_key)
{
	uint32_t id = 0;
	if (key) {
		memcpy(&id, key, 4);
		id = id >= S(m)->n_buckets ? 0 : id + 1;
	}
	for (; id < S(m)->n_buckets; id++)
		if (__atomic_load_n(&bucket(m, id)->nr, __ATOMIC_RELAXED)) {
			memcpy(next_key, &id, 4);
			return 0;
		}
	return -ENOENT;
}

static int st_sys_update(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	return -EINVAL;
}

const struct uebpf_map_ops uebpf_stack_trace_ops = {
	.check = st_check,
	.shm_size = st_shm_size,
	.init = st_init,
	.delete_elem = st_delete_elem,
	.sys_lookup = st_sys_lookup,
	.sys_update = st_sys_update,
	.sys_delete = st_sys_delete,
	.get_next_key = st_get_next_key,
};
