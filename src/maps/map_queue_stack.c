/* QUEUE (first in, first out) and STACK (last in, first out): max_entries
 * values in a circular buffer under one lock. Pushing onto a full map with
 * BPF_EXIST drops the oldest value, as the kernel does. */
#include <errno.h>
#include <string.h>

#include "isa/log.h"
#include "maps/map.h"

struct qs {
	uint32_t lock;
	uint32_t head;  /* oldest value */
	uint32_t count;
	uint32_t pad;
	uint8_t slots[];
};

static int qs_check(const struct uebpf_map_info *i, char *log, size_t log_sz)
{
	const uint32_t known = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
	if (i->key_size || !i->value_size || i->value_size > (1u << 20) || !i->max_entries ||
	    (i->map_flags & ~known)) {
		uebpf_log(log, log_sz, "%s: key_size must be 0 (is %u), value_size 1..%u (is %u), max_entries > 0 (is %u)",
			  i->type == BPF_MAP_TYPE_QUEUE ? "queue" : "stack", i->key_size, 1u << 20, i->value_size,
			  i->max_entries);
		return -EINVAL;
	}
	return 0;
}

static size_t qs_shm_size(const struct uebpf_map_info *i)
{
	return sizeof(struct qs) + (size_t)i->max_entries * UEBPF_ROUND8(i->value_size);
}

static int qs_init(struct uebpf_map *m)
{
	return 0;
}

static struct qs *Q(const struct uebpf_map *m)
{
	return uebpf_map_data(m);
}

static void *slot(const struct uebpf_map *m, uint32_t i)
{
	return Q(m)->slots + (size_t)(i % m->info.max_entries) * UEBPF_ROUND8(m->info.value_size);
}

static long qs_push(struct uebpf_map *m, const void *value, uint64_t flags)
{
	struct qs *q = Q(m);
	if (flags != BPF_ANY && flags != BPF_EXIST)
		return -EINVAL;
	uebpf_map_lock(&q->lock);
	if (q->count == m->info.max_entries) {
		if (flags != BPF_EXIST) {
			uebpf_map_unlock(&q->lock);
			return -E2BIG;
		}
		q->head = (q->head + 1) % m->info.max_entries;
		q->count--;
	}
	memcpy(slot(m, q->head + q->count), value, m->info.value_size);
	q->count++;
	uebpf_map_unlock(&q->lock);
	return 0;
}

static long take(struct uebpf_map *m, void *value, bool remove)
{
	struct qs *q = Q(m);
	uebpf_map_lock(&q->lock);
	if (!q->count) {
		uebpf_map_unlock(&q->lock);
		return -ENOENT;
	}
	bool fifo = m->info.type == BPF_MAP_TYPE_QUEUE;
	uint32_t at = fifo ? q->head : q->head + q->count - 1;
	memcpy(value, slot(m, at), m->info.value_size);
	if (remove) {
		if (fifo)
			q->head = (q->head + 1) % m->info.max_entries;
		q->count--;
	}
	uebpf_map_unlock(&q->lock);
	return 0;
}

static long qs_pop(struct uebpf_map *m, void *value)
{
	return take(m, value, true);
}

static long qs_peek(struct uebpf_map *m, void *value)
{
	return take(m, value, false);
}

static int qs_sys_lookup(struct uebpf_map *m, const void *key, void *value)
{
	return (int)take(m, value, false);
}

static int qs_sys_update(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	return (int)qs_push(m, value, flags);
}

static int qs_sys_lookup_and_delete(struct uebpf_map *m, const void *key, void *value)
{
	return (int)take(m, value, true);
}

#define QS_OPS                                                                                       \
	.check = qs_check, .shm_size = qs_shm_size, .init = qs_init, .push_elem = qs_push,             \
	.pop_elem = qs_pop, .peek_elem = qs_peek, .sys_lookup = qs_sys_lookup, .sys_update = qs_sys_update, \
	.sys_lookup_and_delete = qs_sys_lookup_and_delete

const struct uebpf_map_ops uebpf_queue_ops = { QS_OPS };
const struct uebpf_map_ops uebpf_stack_ops = { QS_OPS };
