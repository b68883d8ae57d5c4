/* Every map type through the user-space API and the program-side ops:
 * creation checks, flags, full maps, LRU eviction, percpu values,
 * get_next_key, batches, ring buffer order, queue/stack/bloom, LPM. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <uebpf/engine.h>
#include <uebpf/map.h>

#include "maps/map.h"

static struct uebpf_map *mk(enum bpf_map_type t, uint32_t k, uint32_t v, uint32_t max, uint32_t flags, uint32_t ncpus)
{
	struct uebpf_map_opts o = { .sz = sizeof(o), .map_flags = flags, .ncpus = ncpus };
	struct uebpf_map *m;
	char log[256] = "";
	if (uebpf_map_create(t, k, v, max, &o, &m, log, sizeof(log)))
		fail_msg("create type %d: %s", (int)t, log);
	return m;
}

static void test_create_errors(void **state)
{
	struct uebpf_map *m;
	char log[256];
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_ARRAY, 8, 8, 4, NULL, &m, log, sizeof(log)), -EINVAL);
	assert_non_null(strstr(log, "array: key_size must be 4 (is 8)"));
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 0, 4, NULL, &m, log, sizeof(log)), -EINVAL);
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 8, 0, NULL, &m, log, sizeof(log)), -EINVAL);
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, 5000, NULL, &m, log, sizeof(log)), -EINVAL);
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 4, NULL, &m, log, sizeof(log)), -EINVAL);
	assert_non_null(strstr(log, "BPF_F_NO_PREALLOC is required"));
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_CGROUP_STORAGE, 4, 8, 4, NULL, &m, log, sizeof(log)), -EINVAL);
	assert_string_equal(log, "map type 19 is not supported");
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, NULL, &m, log, sizeof(log)), -EINVAL);
	assert_string_equal(log, "a map of maps needs an inner map template");
	struct uebpf_map_opts o = { .sz = sizeof(o), .map_flags = 1u << 30 };
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, &o, &m, log, sizeof(log)), -EINVAL);
}

static void test_array(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_ARRAY, 4, 12, 3, 0, 0);
	uint32_t k = 1, next;
	uint8_t v[12] = { 1, 2, 3 }, got[12];
	assert_int_equal(uebpf_map_lookup(m, &k, got), 0);
	assert_int_equal(got[0], 0); /* preallocated and zeroed */
	assert_int_equal(uebpf_map_update(m, &k, v, BPF_ANY), 0);
	assert_int_equal(uebpf_map_update(m, &k, v, BPF_EXIST), 0);
	assert_int_equal(uebpf_map_update(m, &k, v, BPF_NOEXIST), -EEXIST);
	assert_int_equal(uebpf_map_update(m, &k, v, 7), -EINVAL);
	assert_int_equal(uebpf_map_update(m, &k, v, BPF_F_LOCK), -EINVAL); /* no spin lock in the value */
	assert_int_equal(uebpf_map_lookup(m, &k, got), 0);
	assert_memory_equal(got, v, 12);
	assert_int_equal(uebpf_map_delete(m, &k), -EINVAL);
	k = 3;
	assert_int_equal(uebpf_map_update(m, &k, v, BPF_ANY), -E2BIG);
	assert_int_equal(uebpf_map_lookup(m, &k, got), -ENOENT);
	/* get_next_key: from NULL or out of range 0, then +1, ENOENT at the end */
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &next), 0);
	assert_int_equal(next, 0);
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 0);
	k = 1;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 2);
	k = 2;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), -ENOENT);
	/* program side: a pointer into the one contiguous value area */
	k = 1;
	uint8_t *p = m->ops->lookup_elem(m, &k);
	assert_ptr_equal(p, (uint8_t *)uebpf_map_value_base(m) + 16);
	p[0] = 9;
	assert_int_equal(uebpf_map_lookup(m, &k, got), 0);
	assert_int_equal(got[0], 9);
	uebpf_map_close(m);
}

static void test_percpu_array(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0, 3);
	assert_int_equal(uebpf_map_user_value_size(m), 24);
	uint64_t all[3] = { 11, 22, 33 }, got[3];
	uint32_t k = 1;
	assert_int_equal(uebpf_map_update(m, &k, all, BPF_ANY), 0);
	assert_int_equal(uebpf_map_lookup(m, &k, got), 0);
	assert_memory_equal(got, all, sizeof(all));
	uint32_t *mine = m->ops->lookup_elem(m, &k);
	assert_int_equal(*mine, all[uebpf_map_cpu(m)]);
	assert_null(uebpf_map_value_base(m));
	uebpf_map_close(m);
}

static void test_hash(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_HASH, 8, 8, 4, 0, 0);
	uint64_t k, v, got;
	for (k = 0; k < 4; k++) {
		v = k * 10;
		assert_int_equal(uebpf_map_update(m, &k, &v, BPF_NOEXIST), 0);
	}
	k = 9;
	assert_int_equal(uebpf_map_update(m, &k, &v, BPF_ANY), -E2BIG);
	assert_int_equal(uebpf_map_update(m, &k, &v, BPF_NOEXIST), -E2BIG);
	assert_int_equal(uebpf_map_update(m, &k, &v, BPF_EXIST), -ENOENT);
	k = 2;
	v = 77;
	assert_int_equal(uebpf_map_update(m, &k, &v, BPF_NOEXIST), -EEXIST);
	/* a full map still takes updates of existing keys */
	assert_int_equal(uebpf_map_update(m, &k, &v, BPF_ANY), 0);
	assert_int_equal(uebpf_map_lookup(m, &k, &got), 0);
	assert_int_equal(got, 77);
	assert_int_equal(uebpf_map_delete(m, &k), 0);
	assert_int_equal(uebpf_map_delete(m, &k), -ENOENT);
	assert_int_equal(uebpf_map_lookup(m, &k, &got), -ENOENT);
	k = 9;
	assert_int_equal(uebpf_map_update(m, &k, &v, BPF_ANY), 0);
	/* get_next_key visits every key once; a missing key restarts */
	uint64_t seen = 0, cur, next;
	int n = 0, err;
	for (err = uebpf_map_get_next_key(m, NULL, &next); !err; err = uebpf_map_get_next_key(m, &cur, &next)) {
		seen |= 1ull << next;
		cur = next;
		n++;
	}
	assert_int_equal(err, -ENOENT);
	assert_int_equal(n, 4);
	assert_int_equal(seen, 1 << 0 | 1 << 1 | 1 << 3 | 1 << 9);
	uint64_t first, missing = 1234;
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &first), 0);
	assert_int_equal(uebpf_map_get_next_key(m, &missing, &next), 0);
	assert_int_equal(next, first);
	/* lookup_and_delete */
	k = 3;
	assert_int_equal(uebpf_map_lookup_and_delete(m, &k, &got), 0);
	assert_int_equal(got, 30);
	assert_int_equal(uebpf_map_lookup(m, &k, &got), -ENOENT);
	/* program side */
	k = 1;
	uint64_t *p = m->ops->lookup_elem(m, &k);
	assert_non_null(p);
	assert_int_equal(*p, 10);
	k = 5;
	assert_null(m->ops->lookup_elem(m, &k));
	v = 55;
	assert_int_equal(m->ops->update_elem(m, &k, &v, BPF_ANY), 0);
	assert_int_equal(m->ops->delete_elem(m, &k), 0);
	uebpf_map_close(m);
}

/* The programs' lookup (uebpf_hash_lookup: word compares for 4- and 8-byte
 * keys, the general walk otherwise) finds what the ops lookup finds, in
 * full chains (more keys than buckets would spread) and after deletes. */
static void test_hash_program_lookup(void **state)
{
	static const uint32_t key_sizes[] = { 4, 8, 12 };
	for (size_t s = 0; s < 3; s++) {
		uint32_t ks = key_sizes[s];
		struct uebpf_map *m;
		char log[256];
		assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_HASH, ks, 8, 512, NULL, &m, log, sizeof(log)), 0);
		uint8_t key[16];
		for (uint32_t i = 0; i < 512; i++) {
			memset(key, 0, sizeof(key));
			uint64_t k = (uint64_t)i * 0x10001 + 7, v = i;
			memcpy(key, &k, ks < 8 ? ks : 8);
			assert_int_equal(uebpf_map_update(m, key, &v, BPF_NOEXIST), 0);
		}
		for (uint32_t i = 0; i < 512; i += 3) {
			memset(key, 0, sizeof(key));
			uint64_t k = (uint64_t)i * 0x10001 + 7;
			memcpy(key, &k, ks < 8 ? ks : 8);
			assert_int_equal(uebpf_map_delete(m, key), 0);
		}
		for (uint32_t i = 0; i < 1024; i++) {
			memset(key, 0, sizeof(key));
			uint64_t k = (uint64_t)i * 0x10001 + 7;
			memcpy(key, &k, ks < 8 ? ks : 8);
			void *want = m->ops->lookup_elem(m, key), *got = uebpf_hash_lookup(m, key);
			assert_ptr_equal(got, want);
			if (i < 512 && i % 3) {
				assert_non_null(got);
				uint64_t v;
				memcpy(&v, got, 8);
				assert_int_equal(v, i);
			} else {
				assert_null(got);
			}
		}
		uebpf_map_close(m);
	}
}

static void test_batch(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_HASH, 4, 4, 64, 0, 0);
	for (uint32_t k = 0; k < 50; k++) {
		uint32_t v = k + 1000;
		assert_int_equal(uebpf_map_update(m, &k, &v, BPF_ANY), 0);
	}
	uint32_t keys[16], vals[16], token, total = 0, count;
	uint64_t seen[1] = { 0 };
	const void *in = NULL;
	int err;
	do {
		count = 16;
		err = uebpf_map_lookup_batch(m, in, &token, keys, vals, &count);
		assert_true(err == 0 || err == -ENOENT);
		for (uint32_t i = 0; i < count; i++) {
			assert_int_equal(vals[i], keys[i] + 1000);
			assert_false(seen[0] & (1ull << keys[i]));
			seen[0] |= 1ull << keys[i];
		}
		total += count;
		in = &token;
	} while (!err);
	assert_int_equal(total, 50);
	uebpf_map_close(m);
}

static void test_percpu_hash(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 8, 0, 4);
	uint32_t k = 7;
	uint64_t v = 5, all[4];
	/* a program's update sets its CPU's value; the others start at zero */
	assert_int_equal(m->ops->update_elem(m, &k, &v, BPF_ANY), 0);
	assert_int_equal(uebpf_map_lookup(m, &k, all), 0);
	for (uint32_t c = 0; c < 4; c++)
		assert_int_equal(all[c], c == uebpf_map_cpu(m) ? 5 : 0);
	uint64_t set[4] = { 1, 2, 3, 4 };
	assert_int_equal(uebpf_map_update(m, &k, set, BPF_EXIST), 0);
	assert_int_equal(*(uint64_t *)m->ops->lookup_elem(m, &k), set[uebpf_map_cpu(m)]);
	uebpf_map_close(m);
}

/* An LRU map never refuses an update: the least recently used key goes. A
 * key looked up just before the map fills survives the next evictions. */
static void test_lru(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_LRU_HASH, 4, 4, 8, 0, 0);
	for (uint32_t k = 0; k < 8; k++)
		assert_int_equal(uebpf_map_update(m, &k, &k, BPF_ANY), 0);
	/* one pass of the clock clears every reference bit set by insertion */
	uint32_t k = 100;
	assert_int_equal(uebpf_map_update(m, &k, &k, BPF_ANY), 0);
	uint32_t hot = 5;
	for (k = 101; k < 140; k++) {
		assert_non_null(m->ops->lookup_elem(m, &hot));
		assert_int_equal(uebpf_map_update(m, &k, &k, BPF_NOEXIST), 0);
	}
	uint32_t v, n = 0, cur, next;
	assert_int_equal(uebpf_map_lookup(m, &hot, &v), 0);
	for (int err = uebpf_map_get_next_key(m, NULL, &next); !err; err = uebpf_map_get_next_key(m, &cur, &next))
		cur = next, n++;
	assert_int_equal(n, 8);
	k = 139;
	assert_int_equal(uebpf_map_lookup(m, &k, &v), 0);
	assert_int_equal(v, 139);
	uebpf_map_close(m);
}

static int collect(void *arg, const void *data, size_t len)
{
	char *out = arg;
	strncat(out, data, len);
	strcat(out, ",");
	return 0;
}

static void test_ringbuf(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, 0);
	char out[8192] = "";
	char *a = uebpf_ringbuf_reserve(m, 3, 0), *b = uebpf_ringbuf_reserve(m, 3, 0);
	assert_non_null(a);
	assert_non_null(b);
	memcpy(a, "aa", 3);
	memcpy(b, "bb", 3);
	/* b is submitted first, but the consumer stops at the busy a */
	uebpf_ringbuf_submit(b, 0);
	assert_int_equal(uebpf_ringbuf_consume(m, collect, out), 0);
	uebpf_ringbuf_submit(a, 0);
	char *c = uebpf_ringbuf_reserve(m, 3, 0);
	memcpy(c, "cc", 3);
	uebpf_ringbuf_discard(c, 0);
	assert_int_equal(uebpf_ringbuf_output(m, "dd", 3, 0), 0);
	assert_int_equal(uebpf_ringbuf_query(m, BPF_RB_AVAIL_DATA), 4 * 16);
	assert_int_equal(uebpf_ringbuf_consume(m, collect, out), 3);
	assert_string_equal(out, "aa,bb,dd,");
	assert_int_equal(uebpf_ringbuf_query(m, BPF_RB_AVAIL_DATA), 0);
	assert_int_equal(uebpf_ringbuf_query(m, BPF_RB_RING_SIZE), 4096);
	/* full: 4096 bytes hold 255 records of 16 bytes after the 4 so far */
	int n = 0;
	while (uebpf_ringbuf_reserve(m, 8, 0))
		n++;
	assert_int_equal(n, 4096 / 16);
	assert_null(uebpf_ringbuf_reserve(m, 4096, 0));
	assert_null(uebpf_ringbuf_reserve(m, 8, 1)); /* flags must be 0 */
	assert_int_equal(uebpf_ringbuf_output(m, "x", 2, 0), -EAGAIN);
	assert_int_equal(uebpf_ringbuf_output(m, "x", 2, 8), -EINVAL);
	uebpf_map_close(m);

	/* records wrap around the end of the ring */
	m = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, 0);
	char rec[1000];
	int total = 0;
	for (int round = 0; round < 20; round++) {
		memset(rec, 'a' + round, sizeof(rec) - 1);
		rec[sizeof(rec) - 1] = 0;
		assert_int_equal(uebpf_ringbuf_output(m, rec, sizeof(rec), 0), 0);
		out[0] = 0;
		total += uebpf_ringbuf_consume(m, collect, out);
		assert_int_equal(strlen(out), sizeof(rec));
		assert_int_equal(out[0], 'a' + round);
	}
	assert_int_equal(total, 20);
	uebpf_map_close(m);
}

static void test_queue_stack(void **state)
{
	struct uebpf_map *q = mk(BPF_MAP_TYPE_QUEUE, 0, 4, 3, 0, 0), *s = mk(BPF_MAP_TYPE_STACK, 0, 4, 3, 0, 0);
	for (uint32_t v = 1; v <= 3; v++) {
		assert_int_equal(uebpf_map_update(q, NULL, &v, BPF_ANY), 0);
		assert_int_equal(s->ops->push_elem(s, &v, BPF_ANY), 0);
	}
	uint32_t v = 4, got;
	assert_int_equal(uebpf_map_update(q, NULL, &v, BPF_ANY), -E2BIG);
	assert_int_equal(uebpf_map_update(q, NULL, &v, BPF_NOEXIST), -EINVAL);
	/* BPF_EXIST on a full map drops the oldest */
	assert_int_equal(uebpf_map_update(q, NULL, &v, BPF_EXIST), 0);
	assert_int_equal(s->ops->push_elem(s, &v, BPF_EXIST), 0);
	assert_int_equal(uebpf_map_lookup(q, NULL, &got), 0);
	assert_int_equal(got, 2);
	uint32_t want_q[] = { 2, 3, 4 }, want_s[] = { 4, 3, 2 };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(uebpf_map_lookup_and_delete(q, NULL, &got), 0);
		assert_int_equal(got, want_q[i]);
		assert_int_equal(s->ops->pop_elem(s, &got), 0);
		assert_int_equal(got, want_s[i]);
	}
	assert_int_equal(uebpf_map_lookup_and_delete(q, NULL, &got), -ENOENT);
	assert_int_equal(s->ops->peek_elem(s, &got), -ENOENT);
	assert_int_equal(uebpf_map_delete(q, NULL), -EINVAL);
	uebpf_map_close(q);
	uebpf_map_close(s);
}

static void test_bloom(void **state)
{
	struct uebpf_map_opts o = { .sz = sizeof(o), .map_extra = 3 };
	struct uebpf_map *m;
	char log[256];
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 1000, &o, &m, log, sizeof(log)), 0);
	for (uint64_t v = 0; v < 1000; v += 2)
		assert_int_equal(uebpf_map_update(m, NULL, &v, BPF_ANY), 0);
	int false_pos = 0;
	for (uint64_t v = 0; v < 1000; v++) {
		int r = uebpf_map_lookup(m, NULL, &v);
		if (v % 2 == 0)
			assert_int_equal(r, 0); /* never a false negative */
		else
			false_pos += r == 0;
	}
	assert_true(false_pos < 100);
	uint64_t v = 1;
	assert_int_equal(uebpf_map_update(m, NULL, &v, BPF_EXIST), -EINVAL);
	uebpf_map_close(m);
	o.map_extra = 16;
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 10, &o, &m, log, sizeof(log)), -EINVAL);
}

struct lpm_key4 {
	uint32_t prefixlen;
	uint8_t ip[4];
};

static void test_lpm(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_LPM_TRIE, 8, 4, 8, BPF_F_NO_PREALLOC, 0);
	struct lpm_key4 k8 = { 8, { 10, 0, 0, 0 } }, k16 = { 16, { 10, 1, 0, 0 } }, k24 = { 24, { 10, 1, 2, 99 } };
	uint32_t v8 = 8, v16 = 16, v24 = 24, got;
	assert_int_equal(uebpf_map_update(m, &k8, &v8, BPF_ANY), 0);
	assert_int_equal(uebpf_map_update(m, &k16, &v16, BPF_ANY), 0);
	assert_int_equal(uebpf_map_update(m, &k24, &v24, BPF_NOEXIST), 0);
	assert_int_equal(uebpf_map_update(m, &k24, &v24, BPF_NOEXIST), -EEXIST);
	struct lpm_key4 q = { 32, { 10, 1, 2, 3 } };
	assert_int_equal(uebpf_map_lookup(m, &q, &got), 0);
	assert_int_equal(got, 24); /* 10.1.2.0/24: the host bits of 10.1.2.99 were dropped */
	q.ip[2] = 3;
	assert_int_equal(uebpf_map_lookup(m, &q, &got), 0);
	assert_int_equal(got, 16);
	q.ip[1] = 2;
	assert_int_equal(uebpf_map_lookup(m, &q, &got), 0);
	assert_int_equal(got, 8);
	q.ip[0] = 11;
	assert_int_equal(uebpf_map_lookup(m, &q, &got), -ENOENT);
	/* a shorter query prefix cannot match a longer entry */
	struct lpm_key4 q12 = { 12, { 10, 1, 2, 3 } };
	assert_int_equal(uebpf_map_lookup(m, &q12, &got), 0);
	assert_int_equal(got, 8);
	assert_int_equal(uebpf_map_delete(m, &k16), 0);
	assert_int_equal(uebpf_map_delete(m, &k16), -ENOENT);
	struct lpm_key4 bad = { 33, { 0 } };
	assert_int_equal(uebpf_map_update(m, &bad, &v8, BPF_ANY), -EINVAL);
	uebpf_map_close(m);
}

static void test_stack_trace(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_STACK_TRACE, 4, 4 * 8, 16, 0, 0);
	uint64_t a[3] = { 0x1000, 0x2000, 0x3000 }, got[4];
	long id = uebpf_stackmap_store(m, a, 3, 0);
	assert_true(id >= 0 && id < 16);
	assert_int_equal(uebpf_stackmap_store(m, a, 3, 0), id);
	uint32_t key = (uint32_t)id;
	assert_int_equal(uebpf_map_lookup(m, &key, got), 0);
	assert_memory_equal(got, a, sizeof(a));
	assert_int_equal(got[3], 0);
	/* a different stack in the same bucket */
	uint64_t b[2];
	for (uint64_t x = 1;; x++) {
		b[0] = x, b[1] = x * 7;
		if (uebpf_map_hash(b, 16, 0) % 16 == (uint64_t)id)
			break;
	}
	assert_int_equal(uebpf_stackmap_store(m, b, 2, 0), -EEXIST);
	assert_int_equal(uebpf_stackmap_store(m, b, 2, BPF_F_REUSE_STACKID), id);
	uint32_t next;
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &next), 0);
	assert_int_equal(next, id);
	assert_int_equal(uebpf_map_delete(m, &key), 0);
	assert_int_equal(uebpf_map_lookup(m, &key, got), -ENOENT);
	uebpf_map_close(m);
}

static void test_prog_array_and_maps_of_maps(void **state)
{
	struct uebpf_map *pa = mk(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, 0);
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct uebpf_prog *p;
	char log[256];
	assert_int_equal(uebpf_prog_load(insns, 2, NULL, &p, log, sizeof(log)), 0);
	assert_int_equal(uebpf_map_set_prog(pa, 2, p), 0);
	assert_int_equal(uebpf_map_set_prog(pa, 4, p), -E2BIG);
	assert_ptr_equal(uebpf_map_prog_at(pa, 2), p);
	assert_null(uebpf_map_prog_at(pa, 1));
	assert_null(uebpf_map_prog_at(pa, 99));
	uint32_t k = 2, id;
	assert_int_equal(uebpf_map_lookup(pa, &k, &id), 0);
	assert_int_equal(uebpf_map_update(pa, &k, &id, BPF_ANY), -EINVAL);
	assert_int_equal(uebpf_map_delete(pa, &k), 0);
	assert_null(uebpf_map_prog_at(pa, 2));
	assert_int_equal(uebpf_map_delete(pa, &k), -ENOENT);
	uebpf_prog_free(p);
	uebpf_map_close(pa);

	struct uebpf_map *inner = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0, 0), *other = mk(BPF_MAP_TYPE_HASH, 4, 8, 4, 0, 0);
	for (int t = 0; t < 2; t++) {
		struct uebpf_map_opts o = { .sz = sizeof(o), .inner_map = inner };
		struct uebpf_map *outer;
		enum bpf_map_type type = t ? BPF_MAP_TYPE_HASH_OF_MAPS : BPF_MAP_TYPE_ARRAY_OF_MAPS;
		assert_int_equal(uebpf_map_create(type, 4, 4, 4, &o, &outer, log, sizeof(log)), 0);
		k = 1;
		assert_int_equal(uebpf_map_set_inner(outer, &k, inner), 0);
		assert_ptr_equal(outer->ops->lookup_elem(outer, &k), inner);
		assert_int_equal(uebpf_map_set_inner(outer, &k, other), -EINVAL); /* not like the template */
		k = 3;
		assert_null(outer->ops->lookup_elem(outer, &k));
		uebpf_map_close(outer);
	}
	uebpf_map_close(inner);
	uebpf_map_close(other);
}

static void test_spin_lock(void **state)
{
	struct uebpf_map_opts o = { .sz = sizeof(o), .has_spin_lock = true, .spin_lock_off = 0 };
	struct uebpf_map *m;
	char log[256];
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 16, 4, &o, &m, log, sizeof(log)), 0);
	uint32_t k = 1;
	uint32_t v[4] = { 0xdead, 0, 5, 6 }, got[4];
	assert_int_equal(uebpf_map_update(m, &k, v, BPF_ANY), 0);
	uint32_t *inmap = m->ops->lookup_elem(m, &k);
	*inmap = 0; /* the lock word is the map's own */
	v[2] = 7;
	assert_int_equal(uebpf_map_update(m, &k, v, BPF_EXIST | BPF_F_LOCK), 0);
	assert_int_equal(uebpf_map_lookup(m, &k, got), 0);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[2], 7);
	uebpf_map_close(m);
	o.spin_lock_off = 14;
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 16, 4, &o, &m, log, sizeof(log)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_percpu_array),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hash_program_lookup),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_percpu_hash),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_ringbuf),
		cmocka_unit_test(test_queue_stack),
		cmocka_unit_test(test_bloom),
		cmocka_unit_test(test_lpm),
		cmocka_unit_test(test_stack_trace),
		cmocka_unit_test(test_prog_array_and_maps_of_maps),
		cmocka_unit_test(test_spin_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
