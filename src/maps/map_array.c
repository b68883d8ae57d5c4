/* BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY: max_entries values, preallocated and
 * zeroed, indexed by a u32 key. An array's values are one contiguous area
 * (global data and BPF_PSEUDO_MAP_VALUE point into it); a percpu array keeps
 * ncpus slots per index. */
#include <errno.h>
#include <string.h>

#include "isa/log.h"
#include "maps/map.h"

#define MAX_VALUE (1u << 20) /* KMALLOC_MAX_SIZE as the kernel checks it, roughly */

static bool is_percpu(const struct uebpf_map *m)
{
	return m->info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static int array_check(const struct uebpf_map_info *i, char *log, size_t log_sz)
{
	const uint32_t known = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG |
			       BPF_F_WRONLY_PROG | BPF_F_INNER_MAP | BPF_F_PRESERVE_ELEMS;
	if (i->key_size != 4 || !i->value_size || !i->max_entries || i->value_size > MAX_VALUE ||
	    (i->map_flags & ~known)) {
		uebpf_log(log, log_sz, "array: key_size must be 4 (is %u), value_size 1..%u (is %u), max_entries > 0 "
				       "(is %u), flags known (0x%x)",
			  i->key_size, MAX_VALUE, i->value_size, i->max_entries, i->map_flags);
		return -EINVAL;
	}
	if (i->type == BPF_MAP_TYPE_PERCPU_ARRAY && (i->map_flags & BPF_F_MMAPABLE)) {
		uebpf_log(log, log_sz, "percpu_array: BPF_F_MMAPABLE is not allowed");
		return -EINVAL;
	}
	return 0;
}

static size_t slots(const struct uebpf_map_info *i)
{
	return (size_t)i->max_entries * (i->type == BPF_MAP_TYPE_PERCPU_ARRAY ? i->ncpus : 1);
}

static size_t array_shm_size(const struct uebpf_map_info *i)
{
	return slots(i) * UEBPF_ROUND8(i->value_size);
}

static int array_init(struct uebpf_map *m)
{
	return 0;
}

static void *slot(const struct uebpf_map *m, uint32_t idx, uint32_t cpu)
{
	size_t per = is_percpu(m) ? m->info.ncpus : 1;
	return (uint8_t *)uebpf_map_data(m) + ((size_t)idx * per + cpu) * UEBPF_ROUND8(m->info.value_size);
}

static void *array_lookup_elem(struct uebpf_map *m, const void *key)
{
	uint32_t idx;
	memcpy(&idx, key, 4);
	if (idx >= m->info.max_entries)
		return NULL;
	return slot(m, idx, is_percpu(m) ? uebpf_map_cpu(m) : 0);
}

static long array_update_elem(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx;
	memcpy(&idx, key, 4);
	if ((flags & ~(uint64_t)BPF_F_LOCK) > BPF_EXIST)
		return -EINVAL;
	if (idx >= m->info.max_entries)
		return -E2BIG;
	if ((flags & ~(uint64_t)BPF_F_LOCK) == BPF_NOEXIST)
		return -EEXIST;
	void *dst = slot(m, idx, is_percpu(m) ? uebpf_map_cpu(m) : 0);
	uebpf_map_copy_value(m, dst, value, dst, flags);
	return 0;
}

static long array_delete_elem(struct uebpf_map *m, const void *key)
{
	return -EINVAL;
}

static int array_sys_lookup(struct uebpf_map *m, const void *key, void *value)
{
	uint32_t idx;
	memcpy(&idx, key, 4);
	if (idx >= m->info.max_entries)
		return -ENOENT;
	if (!is_percpu(m)) {
		memcpy(value, slot(m, idx, 0), m->info.value_size);
		return 0;
	}
	size_t per = UEBPF_ROUND8(m->info.value_size);
	memset(value, 0, per * m->info.ncpus);
	for (uint32_t c = 0; c < m->info.ncpus; c++)
		memcpy((uint8_t *)value + c * per, slot(m, idx, c), m->info.value_size);
	return 0;
}

static int array_sys_update(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx;
	memcpy(&idx, key, 4);
	if (idx >= m->info.max_entries)
		return -E2BIG;
	if ((flags & ~(uint64_t)BPF_F_LOCK) == BPF_NOEXIST)
		return -EEXIST;
	if (!is_percpu(m)) {
		void *dst = slot(m, idx, 0);
		uebpf_map_copy_value(m, dst, value, dst, flags);
		return 0;
	}
	if (flags & BPF_F_LOCK)
		return -EINVAL;
	size_t per = UEBPF_ROUND8(m->info.value_size);
	for (uint32_t c = 0; c < m->info.ncpus; c++)
		memcpy(slot(m, idx, c), (const uint8_t *)value + c * per, m->info.value_size);
	return 0;
}

static int array_sys_delete(struct uebpf_map *m, const void *key)
{
	return -EINVAL;
}

#define ARRAY_OPS                                                                                      \
	.check = array_check, .shm_size = array_shm_size, .init = array_init,                          \
	.lookup_elem = array_lookup_elem, .update_elem = array_update_elem,                              \
	.delete_elem = array_delete_elem, .sys_lookup = array_sys_lookup, .sys_update = array_sys_update, \
	.sys_delete = array_sys_delete, .get_next_key = uebpf_map_index_next_key

const struct uebpf_map_ops uebpf_array_ops = { ARRAY_OPS };
const struct uebpf_map_ops uebpf_percpu_array_ops = { ARRAY_OPS };
