/* uebpf: maps. Every map type of <linux/bpf.h> that uebpf supports, behind one
 * API, living in shared memory so that another process can open a map by name
 * and read it while programs update it.
 *
 * Calls return 0 or a negative errno (the kernel's: -ENOENT for a missing key,
 * -EEXIST / -ENOENT for BPF_NOEXIST / BPF_EXIST, -E2BIG for a full map, ...)
 * and, where a log is passed, write one human line into it.
 */
#ifndef UEBPF_MAP_H
#define UEBPF_MAP_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uebpf_map;

#define UEBPF_MAP_NAME_MAX 64
#define UEBPF_SHM_PREFIX "uebpf." /* shared-memory object: /dev/shm/uebpf.<name> */

struct uebpf_map_opts {
	size_t sz;             /* sizeof(struct uebpf_map_opts) */
	const char *name;      /* NULL: anonymous (memfd); else /dev/shm/uebpf.<name> */
	uint32_t map_flags;    /* BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, ... */
	uint32_t ncpus;        /* percpu maps: 0 means the number of possible CPUs */
	struct uebpf_map *inner_map; /* array_of_maps / hash_of_maps: the template */
	bool replace;          /* a named map that exists is replaced, not refused */
	uint64_t map_extra;    /* bloom filter: number of hashes in the low 4 bits */
	bool has_spin_lock;    /* the value holds a struct bpf_spin_lock ... */
	uint32_t spin_lock_off; /* ... at this offset (BPF_F_LOCK updates take it) */
};

struct uebpf_map_info {
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries, map_flags;
	uint32_t ncpus;        /* percpu maps: values per key */
	uint64_t map_extra;
	int32_t spin_lock_off; /* -1: no spin lock in the value */
	char name[UEBPF_MAP_NAME_MAX];
};

int uebpf_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
		     uint32_t max_entries, const struct uebpf_map_opts *opts, struct uebpf_map **out,
		     char *log, size_t log_sz);
/* Open a named map created by this or another process. */
int uebpf_map_open(const char *name, struct uebpf_map **out, char *log, size_t log_sz);
/* Unmaps; a named map stays in /dev/shm until uebpf_map_unlink. */
void uebpf_map_close(struct uebpf_map *map);
int uebpf_map_unlink(const char *name);
/* Names of the maps under /dev/shm, for `uebpf map list`; callback per name. */
int uebpf_map_list(int (*cb)(void *arg, const char *name), void *arg);

const struct uebpf_map_info *uebpf_map_info(const struct uebpf_map *map);
/* Value bytes that user-space lookups copy: value_size, or for percpu maps
 * ncpus * round_up(value_size, 8), as the kernel's syscall does. */
size_t uebpf_map_user_value_size(const struct uebpf_map *map);

/* User-space operations, with the semantics of the bpf() syscall commands. */
int uebpf_map_lookup(struct uebpf_map *map, const void *key, void *value);
int uebpf_map_lookup_and_delete(struct uebpf_map *map, const void *key, void *value);
int uebpf_map_update(struct uebpf_map *map, const void *key, const void *value, uint64_t flags);
int uebpf_map_delete(struct uebpf_map *map, const void *key);
/* key NULL: the first key. -ENOENT after the last. */
int uebpf_map_get_next_key(struct uebpf_map *map, const void *key, void *next_key);
/* BPF_MAP_LOOKUP_BATCH: in_batch NULL starts; fills up to *count entries,
 * sets *count and out_batch (a key_size token); -ENOENT when it reached the end. */
int uebpf_map_lookup_batch(struct uebpf_map *map, const void *in_batch, void *out_batch,
			   void *keys, void *values, uint32_t *count);

/* An array's values (and global data): the address of the whole value area,
 * values 8-byte aligned one after another, for BPF_PSEUDO_MAP_VALUE and the
 * verifier's inlined lookups; NULL for other types. */
void *uebpf_map_value_base(struct uebpf_map *map);

/* Ring buffer (BPF_MAP_TYPE_RINGBUF) consumer: calls cb for each submitted
 * record in order and consumes it; returns the number consumed or -errno. */
int uebpf_ringbuf_consume(struct uebpf_map *map, int (*cb)(void *arg, const void *data, size_t len),
			  void *arg);
/* Perf event array consumer: records written by bpf_perf_event_output. */
int uebpf_perfbuf_consume(struct uebpf_map *map, int (*cb)(void *arg, int cpu, const void *data, size_t len),
			  void *arg);

/* prog_array: slots hold programs of this process (struct uebpf_prog *); the
 * shared value is the program's id (uebpf_prog_id). */
struct uebpf_prog;
int uebpf_map_set_prog(struct uebpf_map *map, uint32_t index, struct uebpf_prog *prog);
/* array_of_maps / hash_of_maps: the inner map for a slot (process-local). */
int uebpf_map_set_inner(struct uebpf_map *map, const void *key, struct uebpf_map *inner);

#ifdef __cplusplus
}
#endif

#endif
