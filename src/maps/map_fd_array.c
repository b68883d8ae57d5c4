/* PROG_ARRAY and ARRAY_OF_MAPS: slots that hold objects of this process
 * (programs for bpf_tail_call, inner maps). The shared region keeps a
 * nonzero id per filled slot, so another process sees which are set; the
 * pointers themselves are process-local. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isa/log.h"
#include "maps/map.h"

static int fd_array_check(const struct uebpf_map_info *i, char *log, size_t log_sz)
{
	const char *what = i->type == BPF_MAP_TYPE_PROG_ARRAY ? "prog_array" : "array_of_maps";
	if (i->key_size != 4 || i->value_size != 4 || !i->max_entries ||
	    (i->map_flags & ~(uint32_t)(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_PRESERVE_ELEMS))) {
		uebpf_log(log, log_sz, "%s: key_size and value_size must be 4 (are %u and %u), max_entries > 0 (is %u)",
			  what, i->key_size, i->value_size, i->max_entries);
		return -EINVAL;
	}
	return 0;
}

static size_t fd_array_shm_size(const struct uebpf_map_info *i)
{
	return (size_t)i->max_entries * 4;
}

static int fd_array_init(struct uebpf_map *m)
{
	return 0;
}

static int fd_array_attach(struct uebpf_map *m)
{
	m->local = calloc(m->info.max_entries, sizeof(void *));
	return m->local ? 0 : -ENOMEM;
}

static void fd_array_release(struct uebpf_map *m)
{
	free(m->local);
	m->local = NULL;
}

static uint32_t *ids(const struct uebpf_map *m)
{
	return uebpf_map_data(m);
}

static void *fd_array_lookup_elem(struct uebpf_map *m, const void *key)
{
	uint32_t idx;
	memcpy(&idx, key, 4);
	if (m->info.type == BPF_MAP_TYPE_PROG_ARRAY || idx >= m->info.max_entries)
		return NULL;
	return ((void **)m->local)[idx];
}

static int fd_array_sys_lookup(struct uebpf_map *m, const void *key, void *value)
{
	uint32_t idx;
	memcpy(&idx, key, 4);
	if (idx >= m->info.max_entries)
		return -ENOENT;
	uint32_t id = __atomic_load_n(&ids(m)[idx], __ATOMIC_ACQUIRE);
	if (!id)
		return -ENOENT;
	memcpy(value, &id, 4);
	return 0;
}

/* slots are filled with uebpf_map_set_prog / uebpf_map_set_inner: a value
 * from user space (a kernel fd) means nothing here */
static int fd_array_sys_update(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	return -EINVAL;
}

static int set_slot(struct uebpf_map *m, uint32_t idx, void *ptr)
{
	if (idx >= m->info.max_entries)
		return -E2BIG;
	((void **)m->local)[idx] = ptr;
	__atomic_store_n(&ids(m)[idx], ptr ? idx + 1 : 0, __ATOMIC_RELEASE);
	return 0;
}

static int fd_array_sys_delete(struct uebpf_map *m, const void *key)
{
	uint32_t idx;
	memcpy(&idx, key, 4);
	if (idx >= m->info.max_entries)
		return -EINVAL;
	if (!((void **)m->local)[idx] && !ids(m)[idx])
		return -ENOENT;
	return set_slot(m, idx, NULL);
}

static long fd_array_delete_elem(struct uebpf_map *m, const void *key)
{
	return -EINVAL;
}

int uebpf_map_set_prog(struct uebpf_map *m, uint32_t index, struct uebpf_prog *prog)
{
	if (m->info.type != BPF_MAP_TYPE_PROG_ARRAY)
		return -EINVAL;
	return set_slot(m, index, prog);
}

struct uebpf_prog *uebpf_map_prog_at(struct uebpf_map *m, uint32_t index)
{
	if (m->info.type != BPF_MAP_TYPE_PROG_ARRAY || index >= m->info.max_entries)
		return NULL;
	return ((struct uebpf_prog **)m->local)[index];
}

int uebpf_hash_of_maps_set(struct uebpf_map *m, const void *key, struct uebpf_map *inner);

int uebpf_map_set_inner(struct uebpf_map *m, const void *key, struct uebpf_map *inner)
{
	const struct uebpf_map *t = m->inner_template;
	if (inner && t &&
	    (inner->info.type != t->info.type || inner->info.key_size != t->info.key_size ||
	     inner->info.value_size != t->info.value_size ||
	     (inner->info.max_entries != t->info.max_entries && !(t->info.map_flags & BPF_F_INNER_MAP))))
		return -EINVAL;
	if (m->info.type == BPF_MAP_TYPE_HASH_OF_MAPS)
		return uebpf_hash_of_maps_set(m, key, inner);
	if (m->info.type != BPF_MAP_TYPE_ARRAY_OF_MAPS)
		return -EINVAL;
	uint32_t idx;
	memcpy(&idx, key, 4);
	return set_slot(m, idx, inner);
}

#define FD_ARRAY_OPS                                                                                       \
	.check = fd_array_check, .shm_size = fd_array_shm_size, .init = fd_array_init,                       \
	.attach = fd_array_attach, .release = fd_array_release, .lookup_elem = fd_array_lookup_elem,         \
	.delete_elem = fd_array_delete_elem, .sys_lookup = fd_array_sys_lookup,                              \
	.sys_update = fd_array_sys_update, .sys_delete = fd_array_sys_delete,                                \
	.get_next_key = uebpf_map_index_next_key

const struct uebpf_map_ops uebpf_prog_array_ops = { FD_ARRAY_OPS };
const struct uebpf_map_ops uebpf_array_of_maps_ops = { FD_ARRAY_OPS };
