/* BLOOM_FILTER: values are added (push) and tested (peek); a test says
 * -ENOENT only when the value was certainly never added. map_extra's low 4
 * bits give the number of hash functions (5 when 0), and the bit array is
 * sized as the kernel sizes it: max_entries * hashes / ln 2, rounded up to a
 * power of two. */
#include <errno.h>
#include <string.h>

#include "isa/log.h"
#include "maps/map.h"

struct bloom {
	uint32_t n_hashes;
	uint32_t mask; /* bits - 1 */
	uint64_t bits[];
};

static uint32_t hashes_of(const struct uebpf_map_info *i)
{
	return (i->map_extra & 0xf) ? (uint32_t)(i->map_extra & 0xf) : 5;
}

static uint64_t n_bits(const struct uebpf_map_info *i)
{
	uint64_t want = (uint64_t)i->max_entries * hashes_of(i) * 1443 / 1000 + 1, n = 64;
	while (n < want && n < (1ull << 32))
		n <<= 1;
	return n;
}

static int bloom_check(const struct uebpf_map_info *i, char *log, size_t log_sz)
{
	if (i->key_size || !i->value_size || i->value_size > (1u << 20) || !i->max_entries ||
	    (i->map_extra & ~0xfull) || (i->map_flags & ~(uint32_t)(BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_RDONLY |
								     BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG))) {
		uebpf_log(log, log_sz, "bloom_filter: key_size must be 0 (is %u), value_size > 0 (is %u), max_entries > 0 "
				       "(is %u), map_extra at most 15 (is %llu)",
			  i->key_size, i->value_size, i->max_entries, (unsigned long long)i->map_extra);
		return -EINVAL;
	}
	return 0;
}

static size_t bloom_shm_size(const struct uebpf_map_info *i)
{
	return sizeof(struct bloom) + n_bits(i) / 8;
}

static struct bloom *B(const struct uebpf_map *m)
{
	return uebpf_map_data(m);
}

static int bloom_init(struct uebpf_map *m)
{
	B(m)->n_hashes = hashes_of(&m->info);
	B(m)->mask = (uint32_t)(n_bits(&m->info) - 1);
	return 0;
}

static uint32_t bit(const struct uebpf_map *m, const void *value, uint32_t i)
{
	return (uint32_t)uebpf_map_hash(value, m->info.value_size, i) & B(m)->mask;
}

static long bloom_push(struct uebpf_map *m, const void *value, uint64_t flags)
{
	if (flags != BPF_ANY)
		return -EINVAL;
	for (uint32_t i = 0; i < B(m)->n_hashes; i++) {
		uint32_t b = bit(m, value, i);
		__atomic_fetch_or(&B(m)->bits[b / 64], 1ull << (b % 64), __ATOMIC_RELAXED);
	}
	return 0;
}

static long bloom_peek(struct uebpf_map *m, void *value)
{
	for (uint32_t i = 0; i < B(m)->n_hashes; i++) {
		uint32_t b = bit(m, value, i);
		if (!(__atomic_load_n(&B(m)->bits[b / 64], __ATOMIC_RELAXED) & (1ull << (b % 64))))
			return -ENOENT;
	}
	return 0;
}

static int bloom_sys_lookup(struct uebpf_map *m, const void *key, void *value)
{
	return (int)bloom_peek(m, value);
}

static int bloom_sys_update(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	return (int)bloom_push(m, value, flags);
}

const struct uebpf_map_ops uebpf_bloom_filter_ops = {
	.check = bloom_check,
	.shm_size = bloom_shm_size,
	.init = bloom_init,
	.push_elem = bloom_push,
	.peek_elem = bloom_peek,
	.sys_lookup = bloom_sys_lookup,
	.sys_update = bloom_sys_update,
};
