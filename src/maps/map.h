/* Map internals shared by the map types, the helpers and the engine. The core
 * (map.c) never switches on a map type: each type fills one ops table, as the
 * kernel's bpf_map_ops. */
#ifndef UEBPF_MAPS_MAP_H
#define UEBPF_MAPS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/map.h>

struct uebpf_map_ops {
	/* creation: check the attributes (-EINVAL with a log line naming the
	 * rule), then size the shared region and lay it out */
	int (*check)(const struct uebpf_map_info *info, char *log, size_t log_sz);
	size_t (*shm_size)(const struct uebpf_map_info *info);
	int (*init)(struct uebpf_map *map); /* fresh shared region, zeroed */
	int (*attach)(struct uebpf_map *map); /* process-local state for an existing region (may be NULL) */
	void (*release)(struct uebpf_map *map); /* process-local state (may be NULL) */

	/* program side (helpers): pointer to the value for this CPU, or NULL */
	void *(*lookup_elem)(struct uebpf_map *map, const void *key);
	long (*update_elem)(struct uebpf_map *map, const void *key, const void *value, uint64_t flags);
	long (*delete_elem)(struct uebpf_map *map, const void *key);
	long (*push_elem)(struct uebpf_map *map, const void *value, uint64_t flags);
	long (*pop_elem)(struct uebpf_map *map, void *value);
	long (*peek_elem)(struct uebpf_map *map, void *value);
	/* bpf_for_each_map_elem: cb(map, key, value, ctx) returns 0 to go on */
	long (*for_each)(struct uebpf_map *map, uint64_t (*cb)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t),
			 void *cb_ctx, uint64_t flags);

	/* user side (syscall semantics): value is uebpf_map_user_value_size bytes */
	int (*sys_lookup)(struct uebpf_map *map, const void *key, void *value);
	int (*sys_update)(struct uebpf_map *map, const void *key, const void *value, uint64_t flags);
	int (*sys_delete)(struct uebpf_map *map, const void *key);
	int (*sys_lookup_and_delete)(struct uebpf_map *map, const void *key, void *value);
	int (*get_next_key)(struct uebpf_map *map, const void *key, void *next_key);
};

/* A map as one process sees it. Everything the map holds lives in shm (which
 * starts with a header another process validates); local is per-process. */
struct uebpf_map {
	struct uebpf_map_info info;
	const struct uebpf_map_ops *ops;
	void *shm;          /* the shared region */
	size_t shm_size;
	int fd;             /* memfd or /dev/shm file */
	void *local;        /* process-local state of the type (prog_array slots, inner maps...) */
	struct uebpf_map *inner_template; /* map-in-map */
};

/* The region: a header (the info, checked by uebpf_map_open), then the
 * type's data at this offset. */
#define UEBPF_MAP_HDR_SIZE 256
#define UEBPF_ROUND8(x) (((size_t)(x) + 7) & ~(size_t)7)

static inline void *uebpf_map_data(const struct uebpf_map *m)
{
	return (uint8_t *)m->shm + UEBPF_MAP_HDR_SIZE;
}

/* Hash of key bytes (buckets, bloom filters, stack ids). */
uint64_t uebpf_map_hash(const void *data, uint32_t len, uint64_t seed);
/* A spin lock in shared memory (one u32), for every process. */
void uebpf_map_lock(uint32_t *lock);
void uebpf_map_unlock(uint32_t *lock);
/* Copy a value (value_size bytes) between a map and a caller; with
 * BPF_F_LOCK and a spin lock in the value, under the lock in map_value and
 * without touching the lock word. */
void uebpf_map_copy_value(const struct uebpf_map *m, void *dst, const void *src, void *map_value, uint64_t flags);

/* Ring buffer producer side, for the helpers (the kernel's record layout:
 * an 8-byte header with BPF_RINGBUF_BUSY_BIT / DISCARD_BIT, 8-byte aligned). */
void *uebpf_ringbuf_reserve(struct uebpf_map *map, uint64_t size, uint64_t flags);
void uebpf_ringbuf_submit(void *sample, uint64_t flags);
void uebpf_ringbuf_discard(void *sample, uint64_t flags);
long uebpf_ringbuf_output(struct uebpf_map *map, const void *data, uint64_t size, uint64_t flags);
uint64_t uebpf_ringbuf_query(struct uebpf_map *map, uint64_t flags);
/* bpf_perf_event_output into the buffer of a CPU (BPF_F_CURRENT_CPU or an index). */
long uebpf_perfbuf_output(struct uebpf_map *map, uint64_t flags, const void *data, uint64_t size);
/* bpf_get_stackid: store a stack, return its id or -errno. */
long uebpf_stackmap_store(struct uebpf_map *map, const uint64_t *ips, uint32_t n, uint64_t flags);

/* bpf_map_lookup_elem on a HASH map, without the ops table (the verifier
 * points such calls here when it knows the map). */
void *uebpf_hash_lookup(struct uebpf_map *map, const void *key);

/* get_next_key of maps keyed by a u32 index below max_entries (arrays,
 * prog arrays, perf event arrays): NULL or out of range gives 0. */
int uebpf_map_index_next_key(struct uebpf_map *map, const void *key, void *next_key);

/* The ops table of a map type, or NULL when uebpf does not support it. */
const struct uebpf_map_ops *uebpf_map_ops_for(enum bpf_map_type type);

/* The CPU whose slot percpu maps use for the calling thread. */
uint32_t uebpf_map_cpu(const struct uebpf_map *map);

/* prog_array: the program in a slot (NULL when empty), for bpf_tail_call. */
struct uebpf_prog *uebpf_map_prog_at(struct uebpf_map *map, uint32_t index);


#endif
