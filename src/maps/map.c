/* The map core: shared-memory regions, their header, naming, and the
 * user-space API, dispatched to each type's ops table. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "isa/log.h"
#include "maps/map.h"

#define MAP_MAGIC 0x50414d4650424555ull /* "UEBPFMAP" */
#define MAP_LAYOUT 1

/* The start of every region; another process checks it before use. */
struct shm_hdr {
	uint64_t magic;
	uint32_t layout;
	uint32_t ready;      /* set last: the region is initialised */
	uint64_t shm_size;
	struct uebpf_map_info info;
};
_Static_assert(sizeof(struct shm_hdr) <= UEBPF_MAP_HDR_SIZE, "header too big");

extern const struct uebpf_map_ops uebpf_array_ops, uebpf_percpu_array_ops, uebpf_hash_ops, uebpf_percpu_hash_ops,
	uebpf_lru_hash_ops, uebpf_lru_percpu_hash_ops, uebpf_ringbuf_ops, uebpf_prog_array_ops,
	uebpf_perf_event_array_ops, uebpf_queue_ops, uebpf_stack_ops, uebpf_bloom_filter_ops, uebpf_stack_trace_ops,
	uebpf_lpm_trie_ops, uebpf_array_of_maps_ops, uebpf_hash_of_maps_ops;

static const struct uebpf_map_ops *const ops_by_type[] = {
	[BPF_MAP_TYPE_ARRAY] = &uebpf_array_ops,
	[BPF_MAP_TYPE_PERCPU_ARRAY] = &uebpf_percpu_array_ops,
	[BPF_MAP_TYPE_HASH] = &uebpf_hash_ops,
	[BPF_MAP_TYPE_PERCPU_HASH] = &uebpf_percpu_hash_ops,
	[BPF_MAP_TYPE_LRU_HASH] = &uebpf_lru_hash_ops,
	[BPF_MAP_TYPE_LRU_PERCPU_HASH] = &uebpf_lru_percpu_hash_ops,
	[BPF_MAP_TYPE_RINGBUF] = &uebpf_ringbuf_ops,
	[BPF_MAP_TYPE_PROG_ARRAY] = &uebpf_prog_array_ops,
	[BPF_MAP_TYPE_PERF_EVENT_ARRAY] = &uebpf_perf_event_array_ops,
	[BPF_MAP_TYPE_QUEUE] = &uebpf_queue_ops,
	[BPF_MAP_TYPE_STACK] = &uebpf_stack_ops,
	[BPF_MAP_TYPE_BLOOM_FILTER] = &uebpf_bloom_filter_ops,
	[BPF_MAP_TYPE_STACK_TRACE] = &uebpf_stack_trace_ops,
	[BPF_MAP_TYPE_LPM_TRIE] = &uebpf_lpm_trie_ops,
	[BPF_MAP_TYPE_ARRAY_OF_MAPS] = &uebpf_array_of_maps_ops,
	[BPF_MAP_TYPE_HASH_OF_MAPS] = &uebpf_hash_of_maps_ops,
};

const struct uebpf_map_ops *uebpf_map_ops_for(enum bpf_map_type type)
{
	return (size_t)type < sizeof(ops_by_type) / sizeof(ops_by_type[0]) ? ops_by_type[type] : NULL;
}

uint32_t uebpf_map_cpu(const struct uebpf_map *map)
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : (uint32_t)cpu % map->info.ncpus;
}

/* 64-bit multiply-xor mixing over 8-byte words: fast and well spread, for
 * hash buckets, bloom filters and stack ids */
uint64_t uebpf_map_hash(const void *data, uint32_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = (seed + 1) * 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 31)) * 0xd6e8feb86659fd93ull ^ len;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8, len -= 8;
	}
	if (len) {
		uint64_t w = 0;
		memcpy(&w, p, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

void uebpf_map_lock(uint32_t *lock)
{
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

void uebpf_map_unlock(uint32_t *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static int shm_name(const char *name, char *out, size_t sz, char *log, size_t log_sz)
{
	size_t len = strlen(name);
	if (!len || len >= UEBPF_MAP_NAME_MAX || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		uebpf_log(log, log_sz, "bad map name '%s' (1 to %d characters, no '/')", name, UEBPF_MAP_NAME_MAX - 1);
		return -EINVAL;
	}
	snprintf(out, sz, "/" UEBPF_SHM_PREFIX "%s", name);
	return 0;
}

static uint32_t possible_cpus(void)
{
	int n = get_nprocs_conf();
	return n > 0 ? (uint32_t)n : 1;
}

static void map_free(struct uebpf_map *m)
{
	if (m->ops && m->ops->release)
		m->ops->release(m);
	if (m->shm)
		munmap(m->shm, m->shm_size);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}

int uebpf_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
		     const struct uebpf_map_opts *opts, struct uebpf_map **out, char *log, size_t log_sz)
{
	struct uebpf_map_opts o = { .sz = sizeof(o) };
	*out = NULL;
	if (opts) {
		if (opts->sz < offsetof(struct uebpf_map_opts, replace) + sizeof(bool) || opts->sz > sizeof(o)) {
			uebpf_log(log, log_sz, "uebpf_map_opts: unsupported size %zu", opts->sz);
			return -EINVAL;
		}
		memcpy(&o, opts, opts->sz);
	}
	const struct uebpf_map_ops *ops = uebpf_map_ops_for(type);
	if (!ops) {
		uebpf_log(log, log_sz, "map type %d is not supported", (int)type);
		return -EINVAL;
	}
	struct uebpf_map_info info = { .type = type, .key_size = key_size, .value_size = value_size,
				       .max_entries = max_entries, .map_flags = o.map_flags,
				       .ncpus = o.ncpus ? o.ncpus : possible_cpus(), .map_extra = o.map_extra,
				       .spin_lock_off = o.has_spin_lock ? (int32_t)o.spin_lock_off : -1 };
	if (o.name)
		snprintf(info.name, sizeof(info.name), "%s", o.name);
	if (o.has_spin_lock && (o.spin_lock_off % 4 || o.spin_lock_off + 4 > value_size)) {
		uebpf_log(log, log_sz, "spin lock at offset %u is not inside the %u-byte value", o.spin_lock_off,
			  value_size);
		return -EINVAL;
	}
	int err = ops->check(&info, log, log_sz);
	if (err)
		return err;
	if ((type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS) && !o.inner_map) {
		uebpf_log(log, log_sz, "a map of maps needs an inner map template");
		return -EINVAL;
	}

	struct uebpf_map *m = calloc(1, sizeof(*m));
	if (!m) {
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	m->info = info;
	m->ops = ops;
	m->fd = -1;
	m->inner_template = o.inner_map;
	size_t size = UEBPF_MAP_HDR_SIZE + ops->shm_size(&info);
	m->shm_size = (size + 4095) & ~(size_t)4095;
	char path[UEBPF_MAP_NAME_MAX + 16];
	if (o.name) {
		if ((err = shm_name(o.name, path, sizeof(path), log, log_sz))) {
			free(m);
			return err;
		}
		if (o.replace)
			shm_unlink(path);
		m->fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	} else {
		m->fd = memfd_create("uebpf-map", MFD_CLOEXEC);
	}
	if (m->fd < 0) {
		err = -errno;
		uebpf_log(log, log_sz, "%s%s: %s", o.name ? "/dev/shm" : "memfd", o.name ? path : "", strerror(errno));
		free(m);
		return err;
	}
	if (ftruncate(m->fd, (off_t)m->shm_size) ||
	    (m->shm = mmap(NULL, m->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0)) == MAP_FAILED) {
		err = -errno;
		uebpf_log(log, log_sz, "map of %zu bytes: %s", m->shm_size, strerror(errno));
		m->shm = NULL;
		if (o.name)
			shm_unlink(path);
		map_free(m);
		return err;
	}
	struct shm_hdr *h = m->shm;
	h->magic = MAP_MAGIC;
	h->layout = MAP_LAYOUT;
	h->shm_size = m->shm_size;
	h->info = info;
	if ((err = ops->init(m)) || (ops->attach && (err = ops->attach(m)))) {
		uebpf_log(log, log_sz, "map initialisation: %s", strerror(-err));
		if (o.name)
			shm_unlink(path);
		map_free(m);
		return err;
	}
	__atomic_store_n(&h->ready, 1, __ATOMIC_RELEASE);
	*out = m;
	return 0;
}

int uebpf_map_open(const char *name, struct uebpf_map **out, char *log, size_t log_sz)
{
	char path[UEBPF_MAP_NAME_MAX + 16];
	*out = NULL;
	int err = shm_name(name, path, sizeof(path), log, log_sz);
	if (err)
		return err;
	struct uebpf_map *m = calloc(1, sizeof(*m));
	if (!m) {
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	m->fd = shm_open(path, O_RDWR, 0);
	struct stat st;
	if (m->fd < 0 || fstat(m->fd, &st)) {
		err = -errno;
		uebpf_log(log, log_sz, "/dev/shm%s: %s", path, strerror(errno));
		map_free(m);
		return err;
	}
	struct shm_hdr h;
	if ((size_t)st.st_size < UEBPF_MAP_HDR_SIZE || pread(m->fd, &h, sizeof(h), 0) != sizeof(h) ||
	    h.magic != MAP_MAGIC || h.layout != MAP_LAYOUT || h.shm_size != (uint64_t)st.st_size ||
	    !__atomic_load_n(&h.ready, __ATOMIC_ACQUIRE)) {
		uebpf_log(log, log_sz, "/dev/shm%s: not a uebpf map (bad header, size or layout)", path);
		map_free(m);
		return -EINVAL;
	}
	m->info = h.info;
	m->info.name[UEBPF_MAP_NAME_MAX - 1] = 0;
	m->ops = uebpf_map_ops_for(m->info.type);
	if (!m->ops || m->ops->check(&m->info, NULL, 0) || !m->info.ncpus ||
	    UEBPF_MAP_HDR_SIZE + m->ops->shm_size(&m->info) > h.shm_size) {
		uebpf_log(log, log_sz, "/dev/shm%s: map attributes do not match its size", path);
		m->ops = NULL;
		map_free(m);
		return -EINVAL;
	}
	m->shm_size = h.shm_size;
	m->shm = mmap(NULL, m->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->shm == MAP_FAILED) {
		err = -errno;
		m->shm = NULL;
		uebpf_log(log, log_sz, "/dev/shm%s: %s", path, strerror(errno));
		map_free(m);
		return err;
	}
	if (m->ops->attach && (err = m->ops->attach(m))) {
		uebpf_log(log, log_sz, "/dev/shm%s: %s", path, strerror(-err));
		map_free(m);
		return err;
	}
	*out = m;
	return 0;
}

void uebpf_map_close(struct uebpf_map *map)
{
	if (map)
		map_free(map);
}

int uebpf_map_unlink(const char *name)
{
	char path[UEBPF_MAP_NAME_MAX + 16];
	int err = shm_name(name, path, sizeof(path), NULL, 0);
	if (err)
		return err;
	return shm_unlink(path) ? -errno : 0;
}

int uebpf_map_list(int (*cb)(void *arg, const char *name), void *arg)
{
	DIR *d = opendir("/dev/shm");
	if (!d)
		return -errno;
	struct dirent *e;
	int n = 0, err = 0;
	while (!err && (e = readdir(d))) {
		if (strncmp(e->d_name, UEBPF_SHM_PREFIX, strlen(UEBPF_SHM_PREFIX)))
			continue;
		err = cb(arg, e->d_name + strlen(UEBPF_SHM_PREFIX));
		n++;
	}
	closedir(d);
	return err < 0 ? err : n;
}

const struct uebpf_map_info *uebpf_map_info(const struct uebpf_map *map)
{
	return &map->info;
}

static bool percpu(const struct uebpf_map *m)
{
	return m->info.type == BPF_MAP_TYPE_PERCPU_ARRAY || m->info.type == BPF_MAP_TYPE_PERCPU_HASH ||
	       m->info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

size_t uebpf_map_user_value_size(const struct uebpf_map *map)
{
	return percpu(map) ? (size_t)map->info.ncpus * UEBPF_ROUND8(map->info.value_size) : map->info.value_size;
}

/* flags the syscall accepts for an update; the type checks the rest */
static int check_update_flags(const struct uebpf_map *m, uint64_t flags)
{
	uint64_t cmd = flags & ~(uint64_t)BPF_F_LOCK;
	if (cmd > BPF_EXIST)
		return -EINVAL;
	if ((flags & BPF_F_LOCK) && m->info.spin_lock_off < 0)
		return -EINVAL;
	return 0;
}

int uebpf_map_lookup(struct uebpf_map *map, const void *key, void *value)
{
	return map->ops->sys_lookup ? map->ops->sys_lookup(map, key, value) : -EINVAL;
}

int uebpf_map_lookup_and_delete(struct uebpf_map *map, const void *key, void *value)
{
	return map->ops->sys_lookup_and_delete ? map->ops->sys_lookup_and_delete(map, key, value) : -EINVAL;
}

int uebpf_map_update(struct uebpf_map *map, const void *key, const void *value, uint64_t flags)
{
	int err = check_update_flags(map, flags);
	if (err)
		return err;
	return map->ops->sys_update ? map->ops->sys_update(map, key, value, flags) : -EINVAL;
}

int uebpf_map_delete(struct uebpf_map *map, const void *key)
{
	return map->ops->sys_delete ? map->ops->sys_delete(map, key) : -EINVAL;
}

int uebpf_map_get_next_key(struct uebpf_map *map, const void *key, void *next_key)
{
	return map->ops->get_next_key ? map->ops->get_next_key(map, key, next_key) : -EINVAL;
}

/* BPF_MAP_LOOKUP_BATCH over get_next_key: the batch token is the last key
 * returned */
int uebpf_map_lookup_batch(struct uebpf_map *map, const void *in_batch, void *out_batch, void *keys, void *values,
			   uint32_t *count)
{
	uint32_t ksz = map->info.key_size, want = *count, got = 0;
	size_t vsz = uebpf_map_user_value_size(map);
	if (!ksz || !map->ops->get_next_key || !want)
		return -EINVAL;
	uint8_t *k = keys, *v = values;
	const void *prev = in_batch;
	int err = 0;
	while (got < want) {
		err = map->ops->get_next_key(map, prev, k + (size_t)got * ksz);
		if (err)
			break;
		prev = k + (size_t)got * ksz;
		if (map->ops->sys_lookup(map, prev, v + got * vsz))
			continue;
		got++;
	}
	*count = got;
	if (got)
		memcpy(out_batch, k + (size_t)(got - 1) * ksz, ksz);
	return err == -ENOENT ? -ENOENT : err ? err : 0;
}

void *uebpf_map_value_base(struct uebpf_map *map)
{
	return map->info.type == BPF_MAP_TYPE_ARRAY ? uebpf_map_data(map) : NULL;
}

void uebpf_map_copy_value(const struct uebpf_map *m, void *dst, const void *src, void *map_value, uint64_t flags)
{
	int32_t off = m->info.spin_lock_off;
	if (!(flags & BPF_F_LOCK) || off < 0) {
		memcpy(dst, src, m->info.value_size);
		return;
	}
	uint32_t *lock = (uint32_t *)((uint8_t *)map_value + off);
	uebpf_map_lock(lock);
	memcpy(dst, src, off);
	memcpy((uint8_t *)dst + off + 4, (const uint8_t *)src + off + 4, m->info.value_size - off - 4);
	uebpf_map_unlock(lock);
}

int uebpf_map_index_next_key(struct uebpf_map *m, const void *key, void *next_key)
{
	uint32_t idx = 0, next;
	if (key)
		memcpy(&idx, key, 4);
	if (!key || idx >= m->info.max_entries)
		next = 0;
	else if (idx == m->info.max_entries - 1)
		return -ENOENT;
	else
		next = idx + 1;
	memcpy(next_key, &next, 4);
	return 0;
}
