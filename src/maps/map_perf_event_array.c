/* PERF_EVENT_ARRAY: one record buffer per entry (per CPU, as libbpf sizes
 * these maps), for bpf_perf_event_output. Each buffer is a ring of records
 * {u32 size; u32 pad; data rounded to 8}; a record that does not fit is
 * dropped and counted, as the kernel counts lost samples. */
#include <errno.h>
#include <string.h>

#include "isa/log.h"
#include "maps/map.h"

#define BUF_BYTES (64 * 1024)

struct pbuf {
	uint32_t lock;
	uint32_t lost;
	uint64_t head; /* written up to */
	uint64_t tail; /* consumed up to */
	uint8_t data[BUF_BYTES];
};

static int pe_check(const struct uebpf_map_info *i, char *log, size_t log_sz)
{
	if (i->key_size != 4 || i->value_size != 4 || !i->max_entries || i->max_entries > 4096 ||
	    (i->map_flags & ~(uint32_t)(BPF_F_NUMA_NODE | BPF_F_PRESERVE_ELEMS))) {
		uebpf_log(log, log_sz, "perf_event_array: key_size and value_size must be 4 (are %u and %u), "
				       "max_entries 1..4096 (is %u)",
			  i->key_size, i->value_size, i->max_entries);
		return -EINVAL;
	}
	return 0;
}

static size_t pe_shm_size(const struct uebpf_map_info *i)
{
	return (size_t)i->max_entries * sizeof(struct pbuf);
}

static int pe_init(struct uebpf_map *m)
{
	return 0;
}

static struct pbuf *buf(const struct uebpf_map *m, uint32_t i)
{
	return (struct pbuf *)uebpf_map_data(m) + i;
}

long uebpf_perfbuf_output(struct uebpf_map *m, uint64_t flags, const void *data, uint64_t size)
{
	if (m->info.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || (flags & ~BPF_F_INDEX_MASK))
		return -EINVAL;
	uint32_t idx = (uint32_t)(flags & BPF_F_INDEX_MASK);
	if (idx == (uint32_t)BPF_F_CURRENT_CPU)
		idx = uebpf_map_cpu(m) % m->info.max_entries;
	if (idx >= m->info.max_entries)
		return -E2BIG;
	uint64_t len = 8 + UEBPF_ROUND8(size);
	if (len > BUF_BYTES)
		return -E2BIG;
	struct pbuf *b = buf(m, idx);
	uebpf_map_lock(&b->lock);
	uint64_t tail = __atomic_load_n(&b->tail, __ATOMIC_ACQUIRE);
	if (b->head + len - tail > BUF_BYTES) {
		b->lost++;
		uebpf_map_unlock(&b->lock);
		return -ENOSPC;
	}
	/* records are copied byte by byte around the end of the ring */
	uint32_t hdr[2] = { (uint32_t)size, 0 };
	for (uint64_t i = 0; i < 8; i++)
		b->data[(b->head + i) % BUF_BYTES] = ((uint8_t *)hdr)[i];
	for (uint64_t i = 0; i < size; i++)
		b->data[(b->head + 8 + i) % BUF_BYTES] = ((const uint8_t *)data)[i];
	__atomic_store_n(&b->head, b->head + len, __ATOMIC_RELEASE);
	uebpf_map_unlock(&b->lock);
	return 0;
}

int uebpf_perfbuf_consume(struct uebpf_map *m, int (*cb)(void *arg, int cpu, const void *data, size_t len), void *arg)
{
	if (m->info.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;
	static _Thread_local uint8_t rec[BUF_BYTES];
	int n = 0;
	for (uint32_t c = 0; c < m->info.max_entries; c++) {
		struct pbuf *b = buf(m, c);
		uint64_t tail = b->tail, head = __atomic_load_n(&b->head, __ATOMIC_ACQUIRE);
		while (tail < head) {
			uint32_t hdr[2];
			for (uint64_t i = 0; i < 8; i++)
				((uint8_t *)hdr)[i] = b->data[(tail + i) % BUF_BYTES];
			for (uint64_t i = 0; i < hdr[0]; i++)
				rec[i] = b->data[(tail + 8 + i) % BUF_BYTES];
			tail += 8 + UEBPF_ROUND8(hdr[0]);
			__atomic_store_n(&b->tail, tail, __ATOMIC_RELEASE);
			n++;
			if (cb(arg, (int)c, rec, hdr[0]))
				return n;
		}
	}
	return n;
}

static int pe_sys_update(struct uebpf_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx;
	memcpy(&idx, key, 4);
	return idx < m->info.max_entries ? 0 : -E2BIG;
}

static int pe_sys_delete(struct uebpf_map *m, const void *key)
{
	uint32_t idx;
	memcpy(&idx, key, 4);
	return idx < m->info.max_entries ? 0 : -EINVAL;
}

const struct uebpf_map_ops uebpf_perf_event_array_ops = {
	.check = pe_check,
	.shm_size = pe_shm_size,
	.init = pe_init,
	.sys_update = pe_sys_update,
	.sys_delete = pe_sys_delete,
	.get_next_key = uebpf_map_index_next_key,
};
