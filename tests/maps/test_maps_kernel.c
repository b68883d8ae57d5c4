/* Our maps against the kernel's: the same deterministic sequence of
 * updates (with every flag), lookups, deletes, get_next_key walks and
 * full-map cases on a kernel map (through bpf()) and on ours, compared step
 * by step: return codes and values. LRU: eviction counts within a
 * tolerance. Skips when bpf() is not permitted. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uebpf/map.h>

static int failures;

static uint64_t rng_state = 0x1234567;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

#define CHECK(cond, ...)                                    \
	do {                                                \
		if (!(cond)) {                              \
			if (failures++ < 20) {              \
				printf("MISMATCH: ");       \
				printf(__VA_ARGS__);        \
				printf("\n");               \
			}                                   \
		}                                           \
	} while (0)

/* keyed maps: hash, array, percpu variants, with 4-byte keys and 8-byte
 * values (per CPU for percpu maps) */
static void keyed(enum bpf_map_type type, const char *name, uint32_t max, uint32_t key_range, int steps)
{
	int ncpus = libbpf_num_possible_cpus();
	bool percpu = type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY;
	size_t vsz = percpu ? 8 * (size_t)ncpus : 8;
	int fd = bpf_map_create(type, NULL, 4, 8, max, NULL);
	struct uebpf_map_opts o = { .sz = sizeof(o), .ncpus = (uint32_t)ncpus };
	struct uebpf_map *m;
	char log[256];
	if (fd < 0 || uebpf_map_create(type, 4, 8, max, &o, &m, log, sizeof(log))) {
		printf("%s: cannot create (%d %s)\n", name, fd, log);
		failures++;
		return;
	}
	uint64_t *kv = calloc(1, vsz), *uv = calloc(1, vsz), *val = calloc(1, vsz);
	for (int s = 0; s < steps; s++) {
		uint32_t key = rnd(key_range), op = rnd(10);
		int kr, ur;
		for (int c = 0; c < (percpu ? ncpus : 1); c++)
			val[c] = (uint64_t)s << 8 | c;
		if (op < 4) {
			uint64_t flags = rnd(4); /* BPF_ANY, NOEXIST, EXIST, 3 = invalid */
			kr = bpf_map_update_elem(fd, &key, val, flags);
			ur = uebpf_map_update(m, &key, val, flags);
			CHECK(kr == ur, "%s step %d: update key %u flags %llu: kernel %d uebpf %d", name, s, key,
			      (unsigned long long)flags, kr, ur);
		} else if (op < 7) {
			memset(kv, 0xaa, vsz);
			memset(uv, 0xaa, vsz);
			kr = bpf_map_lookup_elem(fd, &key, kv);
			ur = uebpf_map_lookup(m, &key, uv);
			CHECK(kr == ur, "%s step %d: lookup key %u: kernel %d uebpf %d", name, s, key, kr, ur);
			CHECK(kr || !memcmp(kv, uv, vsz), "%s step %d: lookup key %u: values differ", name, s, key);
		} else if (op < 9) {
			kr = bpf_map_delete_elem(fd, &key);
			ur = uebpf_map_delete(m, &key);
			CHECK(kr == ur, "%s step %d: delete key %u: kernel %d uebpf %d", name, s, key, kr, ur);
		} else {
			/* the set of keys, walked with get_next_key: the same set (the
			 * order of a hash map is the kernel's own) and the same ending */
			uint64_t kset[4] = { 0 }, uset[4] = { 0 };
			uint32_t cur, next;
			int n = 0;
			for (kr = bpf_map_get_next_key(fd, NULL, &next); !kr && n < 1000;
			     kr = bpf_map_get_next_key(fd, &cur, &next), n++)
				kset[next / 64 % 4] |= 1ull << (next % 64), cur = next;
			n = 0;
			for (ur = uebpf_map_get_next_key(m, NULL, &next); !ur && n < 1000;
			     ur = uebpf_map_get_next_key(m, &cur, &next), n++)
				uset[next / 64 % 4] |= 1ull << (next % 64), cur = next;
			CHECK(kr == ur && !memcmp(kset, uset, sizeof(kset)), "%s step %d: key walks differ (end %d vs %d)",
			      name, s, kr, ur);
			if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY) {
				kr = bpf_map_get_next_key(fd, &key, &next);
				uint32_t unext;
				ur = uebpf_map_get_next_key(m, &key, &unext);
				CHECK(kr == ur && (kr || next == unext), "%s: get_next_key(%u) differs", name, key);
			}
		}
	}
	free(kv);
	free(uv);
	free(val);
	close(fd);
	uebpf_map_close(m);
}

static void queue_stack(enum bpf_map_type type, const char *name)
{
	int fd = bpf_map_create(type, NULL, 0, 4, 8, NULL);
	struct uebpf_map *m;
	char log[256];
	if (fd < 0 || uebpf_map_create(type, 0, 4, 8, NULL, &m, log, sizeof(log))) {
		printf("%s: cannot create\n", name);
		failures++;
		return;
	}
	for (int s = 0; s < 2000; s++) {
		uint32_t v = (uint32_t)s, kv = 0, uv = 0, op = rnd(3);
		int kr, ur;
		if (op == 0) {
			uint64_t flags = rnd(3);
			kr = bpf_map_update_elem(fd, NULL, &v, flags);
			ur = uebpf_map_update(m, NULL, &v, flags);
			CHECK(kr == ur, "%s step %d: push flags %llu: kernel %d uebpf %d", name, s, (unsigned long long)flags,
			      kr, ur);
		} else if (op == 1) {
			kr = bpf_map_lookup_elem(fd, NULL, &kv);
			ur = uebpf_map_lookup(m, NULL, &uv);
			CHECK(kr == ur && (kr || kv == uv), "%s step %d: peek: kernel %d/%u uebpf %d/%u", name, s, kr, kv, ur,
			      uv);
		} else {
			kr = bpf_map_lookup_and_delete_elem(fd, NULL, &kv);
			ur = uebpf_map_lookup_and_delete(m, NULL, &uv);
			CHECK(kr == ur && (kr || kv == uv), "%s step %d: pop: kernel %d/%u uebpf %d/%u", name, s, kr, kv, ur,
			      uv);
		}
	}
	close(fd);
	uebpf_map_close(m);
}

struct lpm_key {
	uint32_t prefixlen;
	uint8_t ip[4];
};

static void lpm(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, ko, .map_flags = BPF_F_NO_PREALLOC);
	int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, NULL, 8, 4, 64, &ko);
	struct uebpf_map_opts o = { .sz = sizeof(o), .map_flags = BPF_F_NO_PREALLOC };
	struct uebpf_map *m;
	char log[256];
	if (fd < 0 || uebpf_map_create(BPF_MAP_TYPE_LPM_TRIE, 8, 4, 64, &o, &m, log, sizeof(log))) {
		printf("lpm_trie: cannot create\n");
		failures++;
		return;
	}
	for (int s = 0; s < 3000; s++) {
		struct lpm_key k = { rnd(3) ? 8 + rnd(25) : 32, { 10, (uint8_t)rnd(4), (uint8_t)rnd(4), (uint8_t)rnd(256) } };
		uint32_t v = (uint32_t)s, kv = 0, uv = 0, op = rnd(4);
		int kr, ur;
		if (op == 0) {
			uint64_t flags = rnd(3);
			kr = bpf_map_update_elem(fd, &k, &v, flags);
			ur = uebpf_map_update(m, &k, &v, flags);
			CHECK(kr == ur, "lpm step %d: update /%u flags %llu: kernel %d uebpf %d", s, k.prefixlen,
			      (unsigned long long)flags, kr, ur);
		} else if (op < 3) {
			k.prefixlen = 32;
			kr = bpf_map_lookup_elem(fd, &k, &kv);
			ur = uebpf_map_lookup(m, &k, &uv);
			CHECK(kr == ur && (kr || kv == uv), "lpm step %d: lookup %u.%u.%u.%u: kernel %d/%u uebpf %d/%u", s,
			      k.ip[0], k.ip[1], k.ip[2], k.ip[3], kr, kv, ur, uv);
		} else {
			kr = bpf_map_delete_elem(fd, &k);
			ur = uebpf_map_delete(m, &k);
			CHECK(kr == ur, "lpm step %d: delete /%u: kernel %d uebpf %d", s, k.prefixlen, kr, ur);
		}
	}
	/* get_next_key walks both in the same order (the kernel's: post-order
	 * of the trie), from the start and from a key that is not there */
	for (int from_missing = 0; from_missing < 2; from_missing++) {
		struct lpm_key kk, uk, start = { 32, { 11, 0, 0, 0 } };
		int kr = bpf_map_get_next_key(fd, from_missing ? &start : NULL, &kk);
		int ur = uebpf_map_get_next_key(m, from_missing ? &start : NULL, &uk);
		int steps = 0;
		while (!kr && !ur) {
			CHECK(!memcmp(&kk, &uk, sizeof(kk)), "lpm get_next_key step %d: kernel /%u %u.%u.%u.%u uebpf /%u %u.%u.%u.%u",
			      steps, kk.prefixlen, kk.ip[0], kk.ip[1], kk.ip[2], kk.ip[3], uk.prefixlen, uk.ip[0], uk.ip[1],
			      uk.ip[2], uk.ip[3]);
			if (memcmp(&kk, &uk, sizeof(kk)))
				break;
			struct lpm_key prev = kk;
			kr = bpf_map_get_next_key(fd, &prev, &kk);
			ur = uebpf_map_get_next_key(m, &prev, &uk);
			steps++;
		}
		CHECK(kr == ur, "lpm get_next_key after %d steps: kernel %d uebpf %d", steps, kr, ur);
		if (!from_missing)
			printf("lpm_trie: get_next_key walked %d keys in the kernel's order\n", steps);
	}
	close(fd);
	uebpf_map_close(m);
}

/* LRU: fill to four times capacity while looking up a hot set from user
 * space. Both keep the map at max_entries; and lookups through the syscall
 * do not count as uses (the kernel's rule), so both let the hot keys go as
 * well: the counts must agree. The kernel's LRU is per-CPU and approximate,
 * so they are compared loosely. */
static void lru(void)
{
	const uint32_t max = 256;
	int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, NULL, 4, 8, max, NULL);
	struct uebpf_map *m;
	char log[256];
	if (fd < 0 || uebpf_map_create(BPF_MAP_TYPE_LRU_HASH, 4, 8, max, NULL, &m, log, sizeof(log))) {
		printf("lru_hash: cannot create\n");
		failures++;
		return;
	}
	uint64_t v = 1, out;
	for (uint32_t k = 0; k < 4 * max; k++) {
		int kr = bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), ur = uebpf_map_update(m, &k, &v, BPF_NOEXIST);
		CHECK(kr == 0 && ur == 0, "lru insert %u: kernel %d uebpf %d", k, kr, ur);
		for (uint32_t hot = 0; hot < 16; hot++) {
			bpf_map_lookup_elem(fd, &hot, &out);
			uebpf_map_lookup(m, &hot, &out);
		}
	}
	int kcount = 0, ucount = 0, khot = 0, uhot = 0;
	for (uint32_t k = 0; k < 4 * max; k++) {
		kcount += !bpf_map_lookup_elem(fd, &k, &out);
		ucount += !uebpf_map_lookup(m, &k, &out);
	}
	for (uint32_t k = 0; k < 16; k++) {
		khot += !bpf_map_lookup_elem(fd, &k, &out);
		uhot += !uebpf_map_lookup(m, &k, &out);
	}
	printf("lru_hash: %d (kernel) and %d (uebpf) of %u keys kept; hot keys kept %d and %d of 16\n", kcount, ucount,
	       4 * max, khot, uhot);
	CHECK(ucount <= (int)max && ucount >= (int)max * 3 / 4, "lru keeps %d keys of %u slots", ucount, max);
	CHECK(abs(kcount - ucount) <= (int)max / 4, "lru counts differ: kernel %d uebpf %d", kcount, ucount);
	CHECK(abs(khot - uhot) <= 4, "lru hot keys kept differ: kernel %d uebpf %d", khot, uhot);
	close(fd);
	uebpf_map_close(m);
}

int main(void)
{
	int probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	if (probe < 0) {
		printf("bpf() not permitted here (%s): skipped\n", strerror(-probe));
		return 77;
	}
	close(probe);
	keyed(BPF_MAP_TYPE_HASH, "hash", 64, 100, 20000);
	keyed(BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash", 32, 50, 5000);
	keyed(BPF_MAP_TYPE_ARRAY, "array", 64, 80, 10000);
	keyed(BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", 16, 20, 5000);
	queue_stack(BPF_MAP_TYPE_QUEUE, "queue");
	queue_stack(BPF_MAP_TYPE_STACK, "stack");
	lpm();
	lru();
	printf("%d mismatches\n", failures);
	return failures ? 1 : 0;
}
