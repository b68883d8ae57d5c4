/* Concurrency: 4 threads, 10 million updates in all, nothing lost.
 * Half the threads add to shared counters through program-side lookups
 * and atomic adds (what a program's __sync_fetch_and_add does), half insert
 * and delete their own keys in one hash map with user-space calls; at the
 * end every counter holds its exact sum and every thread's keys are as it
 * left them. */
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <uebpf/map.h>

#include "maps/map.h"

#define THREADS 4
#define TOTAL 10000000u
#define KEYS 64
/* churner rounds: 3 updates per key per round, 16 keys, enough that the
 * two churners' share reaches TOTAL / 2 */
#define ROUNDS ((TOTAL / 2 + 2 * 3 * 16 - 1) / (2 * 3 * 16))

static struct uebpf_map *counters, *table;
static int errors;

static void *adder(void *arg)
{
	uint64_t t = (uintptr_t)arg;
	for (uint32_t i = 0; i < TOTAL / THREADS; i++) {
		uint32_t k = (uint32_t)(i * 7 + t) % KEYS;
		uint64_t *v = uebpf_hash_lookup(counters, &k); /* what a program's lookup calls */
		if (!v) {
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* each thread owns keys t, t + THREADS, ...: insert, update, delete, and
 * leave the last round's keys in */
static void *churner(void *arg)
{
	uint64_t t = (uintptr_t)arg;
	uint32_t rounds = ROUNDS;
	for (uint32_t r = 0; r < rounds; r++) {
		for (uint32_t j = 0; j < 16; j++) {
			uint32_t k = (uint32_t)(t + THREADS * j);
			uint64_t v = (uint64_t)r << 32 | k;
			if (uebpf_map_update(table, &k, &v, BPF_NOEXIST) || uebpf_map_update(table, &k, &v, BPF_EXIST))
				__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
			if (r + 1 < rounds && uebpf_map_delete(table, &k))
				__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

int main(void)
{
	char log[256];
	if (uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 8, KEYS, NULL, &counters, log, sizeof(log)) ||
	    uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 8, THREADS * 16, NULL, &table, log, sizeof(log))) {
		printf("create: %s\n", log);
		return 1;
	}
	for (uint32_t k = 0; k < KEYS; k++) {
		uint64_t zero = 0;
		uebpf_map_update(counters, &k, &zero, BPF_ANY);
	}
	pthread_t th[THREADS];
	for (uintptr_t t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, t % 2 ? churner : adder, (void *)(t / 2));
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);

	/* adders: 2 threads x TOTAL/4 adds, spread over the keys */
	uint64_t sum = 0, v;
	for (uint32_t k = 0; k < KEYS; k++) {
		uebpf_map_lookup(counters, &k, &v);
		sum += v;
	}
	uint64_t want_adds = 2ull * (TOTAL / THREADS);
	/* churners: 3 updates per key per round */
	uint32_t rounds = ROUNDS, present = 0;
	for (uint32_t t = 0; t < 2; t++)
		for (uint32_t j = 0; j < 16; j++) {
			uint32_t k = t + THREADS * j;
			if (!uebpf_map_lookup(table, &k, &v) && v == ((uint64_t)(rounds - 1) << 32 | k))
				present++;
		}
	printf("adds: %llu of %llu; churned keys present: %u of 32; errors: %d\n", (unsigned long long)sum,
	       (unsigned long long)want_adds, present, errors);
	/* the last round deletes nothing */
	uint64_t updates = want_adds + 2ull * (rounds * 16 * 3 - 16);
	printf("updates in all: %llu\n", (unsigned long long)updates);
	uebpf_map_close(counters);
	uebpf_map_close(table);
	return sum == want_adds && present == 32 && !errors && updates >= TOTAL ? 0 : 1;
}
