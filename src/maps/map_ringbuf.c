/* BPF_MAP_TYPE_RINGBUF with the kernel's layout: a consumer page, a producer
 * page, then the data; each record is an 8-byte header (length with
 * BPF_RINGBUF_BUSY_BIT while being written, BPF_RINGBUF_DISCARD_BIT when
 * dropped; the page offset back to the ring) and its data, 8-byte aligned.
 * The kernel maps the data twice so records wrap; here a record that would
 * wrap is preceded by a discarded filler record up to the end instead, so a
 * consumer skips it like any discarded record. */
#include <errno.h>
#include <string.h>

#include "isa/log.h"
#include "maps/map.h"

#define PAGE 4096

struct ring {
	uint64_t consumer_pos;
	uint8_t pad0[PAGE - 8];
	uint64_t producer_pos;
	uint32_t lock;
	uint32_t mask;
	uint8_t pad1[PAGE - 16];
	uint8_t data[];
};

struct rec {
	uint32_t len;
	uint32_t pg_off;
};

static int rb_check(const struct uebpf_map_info *i, char *log, size_t log_sz)
{
	uint32_t n = i->max_entries;
	if (i->key_size || i->value_size || !n || (n & (n - 1)) || n % PAGE || (i->map_flags & ~BPF_F_NUMA_NODE)) {
		uebpf_log(log, log_sz, "ringbuf: max_entries must be a power of 2 and a multiple of %d (is %u), "
				       "key_size and value_size 0 (are %u and %u)",
			  PAGE, n, i->key_size, i->value_size);
		return -EINVAL;
	}
	return 0;
}

/* the ring starts on a page of its own so that a record finds it back from
 * its page offset */
static size_t rb_shm_size(const struct uebpf_map_info *i)
{
	return (PAGE - UEBPF_MAP_HDR_SIZE) + sizeof(struct ring) + i->max_entries;
}

static struct ring *R(const struct uebpf_map *m)
{
	return (struct ring *)((uint8_t *)m->shm + PAGE);
}

static int rb_init(struct uebpf_map *m)
{
	R(m)->mask = m->info.max_entries - 1;
	return 0;
}

void *uebpf_ringbuf_reserve(struct uebpf_map *m, uint64_t size, uint64_t flags)
{
	struct ring *r = R(m);
	uint64_t ring_size = (uint64_t)r->mask + 1;
	if (flags || size > ring_size - sizeof(struct rec) || size > UINT32_MAX >> 2)
		return NULL;
	uint64_t len = UEBPF_ROUND8(size + sizeof(struct rec));
	uebpf_map_lock(&r->lock);
	uint64_t cons = __atomic_load_n(&r->consumer_pos, __ATOMIC_ACQUIRE), prod = r->producer_pos;
	uint64_t pos = prod & r->mask, pad = pos + len > ring_size ? ring_size - pos : 0;
	if (prod + pad + len - cons > ring_size) {
		uebpf_map_unlock(&r->lock);
		return NULL;
	}
	if (pad) {
		struct rec *f = (struct rec *)(r->data + pos);
		f->pg_off = (uint32_t)(((uintptr_t)f & ~(uintptr_t)(PAGE - 1)) - (uintptr_t)r) / PAGE;
		__atomic_store_n(&f->len, (uint32_t)(pad - sizeof(struct rec)) | BPF_RINGBUF_DISCARD_BIT, __ATOMIC_RELEASE);
		prod += pad;
		pos = 0;
	}
	struct rec *h = (struct rec *)(r->data + pos);
	h->pg_off = (uint32_t)(((uintptr_t)h & ~(uintptr_t)(PAGE - 1)) - (uintptr_t)r) / PAGE;
	__atomic_store_n(&h->len, (uint32_t)size | BPF_RINGBUF_BUSY_BIT, __ATOMIC_RELAXED);
	__atomic_store_n(&r->producer_pos, prod + len, __ATOMIC_RELEASE);
	uebpf_map_unlock(&r->lock);
	return h + 1;
}

static void commit(void *sample, bool discard)
{
	struct rec *h = (struct rec *)sample - 1;
	uint32_t len = h->len & ~BPF_RINGBUF_BUSY_BIT;
	__atomic_store_n(&h->len, discard ? len | BPF_RINGBUF_DISCARD_BIT : len, __ATOMIC_RELEASE);
}

void uebpf_ringbuf_submit(void *sample, uint64_t flags)
{
	commit(sample, false);
}

void uebpf_ringbuf_discard(void *sample, uint64_t flags)
{
	commit(sample, true);
}

long uebpf_ringbuf_output(struct uebpf_map *m, const void *data, uint64_t size, uint64_t flags)
{
	if (flags & ~(uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
		return -EINVAL;
	void *s = uebpf_ringbuf_reserve(m, size, 0);
	if (!s)
		return -EAGAIN;
	memcpy(s, data, size);
	commit(s, false);
	return 0;
}

uint64_t uebpf_ringbuf_query(struct uebpf_map *m, uint64_t flags)
{
	struct ring *r = R(m);
	uint64_t cons = __atomic_load_n(&r->consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n(&r->producer_pos, __ATOMIC_ACQUIRE);
	switch (flags) {
	case BPF_RB_AVAIL_DATA:
		return prod - cons;
	case BPF_RB_RING_SIZE:
		return (uint64_t)r->mask + 1;
	case BPF_RB_CONS_POS:
		return cons;
	case BPF_RB_PROD_POS:
		return prod;
	}
	return 0;
}

int uebpf_ringbuf_consume(struct uebpf_map *m, int (*cb)(void *arg, const void *data, size_t len), void *arg)
{
	if (m->info.type != BPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	struct ring *r = R(m);
	uint64_t cons = __atomic_load_n(&r->consumer_pos, __ATOMIC_ACQUIRE);
	int n = 0;
	for (;;) {
		uint64_t prod = __atomic_load_n(&r->producer_pos, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		struct rec *h = (struct rec *)(r->data + (cons & r->mask));
		uint32_t len = __atomic_load_n(&h->len, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		uint32_t data_len = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		int stop = 0;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			stop = cb(arg, h + 1, data_len);
			n++;
		}
		cons += UEBPF_ROUND8(data_len + sizeof(*h));
		__atomic_store_n(&r->consumer_pos, cons, __ATOMIC_RELEASE);
		if (stop)
			break;
	}
	return n;
}

const struct uebpf_map_ops uebpf_ringbuf_ops = {
	.check = rb_check,
	.shm_size = rb_shm_size,
	.init = rb_init,
};
