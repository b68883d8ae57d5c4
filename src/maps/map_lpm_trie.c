/* LPM_TRIE: longest-prefix match on keys struct bpf_lpm_trie_key {u32
 * prefixlen; u8 data[]}. The entries are kept in a preallocated table under
 * one lock and a lookup takes the longest stored prefix that covers the
 * key; at the sizes these maps have (routes, allow lists) a scan of the
 * table is as fast as a trie walk and much simpler. */
#include <errno.h>
#include <string.h>

#include "isa/log.h"
#include "maps/map.h"

#define MAX_DATA 256

struct lpm {
	uint32_t lock;
	uint32_t count;
};

struct entry {
	uint32_t used;
	uint32_t prefixlen;
	uint8_t data[]; /* key data (rounded to 8), then the value */
};

static uint32_t data_len(const struct uebpf_map_info *i)
{
	return i->key_size - 4;
}

static size_t entry_size(const struct uebpf_map_info *i)
{
	return sizeof(struct entry) + UEBPF_ROUND8(data_len(i)) + UEBPF_ROUND8(i->value_size);
}

static int lpm_check(const struct uebpf_map_info *i, char *log, size_t log_sz)
{
	if (i->key_size < 5 || i->key_size > 4 + MAX_DATA || !i->value_size || i->value_size > 65536 ||
	    !i->max_entries || i->max_entries > (1u << 20) || !(i->map_flags & BPF_F_NO_PREALLOC) ||
	    (i->map_flags & ~(uint32_t)(BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY |
					BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG))) {
		uebpf_log(log, log_sz, "lpm_trie: key_size 5..%u (is %u), value_size > 0 (is %u), max_entries > 0 (is "
				       "%u), and BPF_F_NO_PREALLOC is required",
			  4 + MAX_DATA, i->key_size, i->value_size, i->max_entries);
		return -EINVAL;
	}
	return 0;
}

static size_t lpm_shm_size(const struct uebpf_map_info *i)
{
	return sizeof(struct lpm) + (size_t)i->max_entries * entry_size(i);
}

static int lpm_init(struct uebpf_map *m)
{
	return 0;
}

static struct lpm *L(const struct uebpf_map *m)
{
	return uebpf_map_data(m);
}

static struct entry *entry(const struct uebpf_map *m, uint32_t i)
{
	return (struct entry *)((uint8_t *)(L(m) + 1) + (size_t)i * entry_size(&m->info));
}

static void *entry_value(const struct uebpf_map *m, struct entry *e)
{
	return e->data + UEBPF_ROUND8(data_len(&m->info));
}

/* do the first bits of a and b agree? */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, uint32_t bits)
{
	uint32_t bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes))
		return false;
	return !rest || !((a[bytes] ^ b[bytes]) & (0xff00 >> rest));
}

static struct entry *longest(const struct uebpf_map *m, const void *key)
{
	uint32_t plen;
	memcpy(&plen, key, 4);
	const uint8_t *data = (const uint8_t *)key + 4;
	if (plen > data_len(&m->info) * 8)
		plen = data_len(&m->info) * 8;
	struct entry *best = NULL;
	for (uint32_t i = 0; i < m->info.max_entries; i++) {
		struct entry *e = entry(m, i);
		if (e->used && e->prefixlen <= plen && (!best || e->prefixlen > best->prefixlen) &&
		    prefix_eq(e->data, data, e->prefixlen))
			best = e;
	}
	return best;
}

static struct entry *exact(const struct uebpf_map *m, uint32_t plen, const uint8_t *data, struct entry **free_slot)
{
	if (free_slot)
		*free_slot = NULL;
	for (uint32_t i = 0; i < m->info.max_entries; i++) {
		struct entry *e = entry(m, i);
		if (!e->used) {
			if (free_slot && !*free_slot)
				*free_slot = e;
			continue;
		}
		if (e->prefixlen == plen && prefix_eq(e->data, data, plen))
			return e;
	}
	return NULL;
}

static void *lpm_lookup_elem(struct uebpf_map *m, const void *key)
{
	uebpf_map_lock(&L(m)->lock);
	struct entry *e = longest(m, key);
	uebpf_map_unlock(&L(m)->lock);
	return e ? entry_value(m, e) : NULL;
}

static long lpm_update_elem(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t plen;
	memcpy(&plen, key, 4);
	if (flags > BPF_EXIST || plen > data_len(&m->info) * 8)
		return -EINVAL;
	const uint8_t *data = (const uint8_t *)key + 4;
	long err = 0;
	uebpf_map_lock(&L(m)->lock);
	struct entry *slot, *e = exact(m, plen, data, &slot);
	if (e && flags == BPF_NOEXIST) {
		err = -EEXIST;
	} else if (!e && flags == BPF_EXIST) {
		err = -ENOENT;
	} else if (!e && !slot) {
		err = -ENOSPC;
	} else {
		if (!e) {
			e = slot;
			e->prefixlen = plen;
			e->used = 1;
			L(m)->count++;
		}
		/* the key as given, bits past the prefix too: the kernel's node
		 * keeps them (get_next_key returns them); only the prefix matches */
		memcpy(e->data, data, data_len(&m->info));
		memcpy(entry_value(m, e), value, m->info.value_size);
	}
	uebpf_map_unlock(&L(m)->lock);
	return err;
}

static long lpm_delete_elem(struct uebpf_map *m, const void *key)
{
	uint32_t plen;
	memcpy(&plen, key, 4);
	if (plen > data_len(&m->info) * 8)
		return -EINVAL;
	uebpf_map_lock(&L(m)->lock);
	struct entry *e = exact(m, plen, (const uint8_t *)key + 4, NULL);
	if (e) {
		e->used = 0;
		L(m)->count--;
	}
	uebpf_map_unlock(&L(m)->lock);
	return e ? 0 : -ENOENT;
}

static int lpm_sys_lookup(struct uebpf_map *m, const void *key, void *value)
{
	uebpf_map_lock(&L(m)->lock);
	struct entry *e = longest(m, key);
	if (e)
		memcpy(value, entry_value(m, e), m->info.value_size);
	uebpf_map_unlock(&L(m)->lock);
	return e ? 0 : -ENOENT;
}

static int lpm_sys_update(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	return (int)lpm_update_elem(m, key, value, flags);
}

static int lpm_sys_delete(struct uebpf_map *m, const void *key)
{
	return (int)lpm_delete_elem(m, key);
}

/* The kernel's order: a post-order walk of the trie (the 0 side of a bit
 * before the 1 side, longer prefixes before the prefix they extend). For two
 * entries: < 0 when a comes first. */
static int trie_order(uint32_t la, const uint8_t *a, uint32_t lb, const uint8_t *b)
{
	uint32_t m = la < lb ? la : lb;
	for (uint32_t i = 0; i < m; i++) {
		int x = a[i / 8] >> (7 - i % 8) & 1, y = b[i / 8] >> (7 - i % 8) & 1;
		if (x != y)
			return x - y;
	}
	return la == lb ? 0 : la > lb ? -1 : 1;
}

/* the entry after key's exact match in the kernel's order; the first one
 * when key is NULL or not there (as trie_get_next_key) */
static int lpm_get_next_key(struct uebpf_map *m, const void *key, void *next_key)
{
	uint32_t n = data_len(&m->info), plen = 0;
	const uint8_t *kd = NULL;
	uebpf_map_lock(&L(m)->lock);
	if (key) {
		memcpy(&plen, key, 4);
		kd = (const uint8_t *)key + 4;
		if (plen > n * 8 || !exact(m, plen, kd, NULL))
			kd = NULL;
	}
	struct entry *best = NULL;
	for (uint32_t i = 0; i < m->info.max_entries; i++) {
		struct entry *e = entry(m, i);
		if (!e->used || (kd && trie_order(e->prefixlen, e->data, plen, kd) <= 0))
			continue;
		if (!best || trie_order(e->prefixlen, e->data, best->prefixlen, best->data) < 0)
			best = e;
	}
	if (best) {
		memcpy(next_key, &best->prefixlen, 4);
		memcpy((uint8_t *)next_key + 4, best->data, n);
	}
	uebpf_map_unlock(&L(m)->lock);
	return best ? 0 : -ENOENT;
}

const struct uebpf_map_ops uebpf_lpm_trie_ops = {
	.check = lpm_check,
	.shm_size = lpm_shm_size,
	.init = lpm_init,
	.lookup_elem = lpm_lookup_elem,
	.update_elem = lpm_update_elem,
	.delete_elem = lpm_delete_elem,
	.sys_lookup = lpm_sys_lookup,
	.sys_update = lpm_sys_update,
	.sys_delete = lpm_sys_delete,
	.get_next_key = lpm_get_next_key,
};
