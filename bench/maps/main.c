/* make bench (maps part): map operations and helper calls, uebpf against
 * the kernel measured in the same run.
 *   - user space: lookup/update per second through uebpf's API and through
 *     the bpf() syscall on a kernel map of the same shape;
 *   - programs: a program doing 64 map lookups (hash, then array), one
 *     doing 64 helper calls, and one writing 64 ring buffer records, run by
 *     uebpf's JIT and by the kernel (BPF_PROG_TEST_RUN, minus the time of an
 *     empty program), with the ring buffer drained by its consumer;
 *   - LRU under eviction: updates per second with 8x more keys than slots.
 * Prints one line per measure and a summary line with the ratios. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uebpf/uebpf.h>
#include <uebpf/map.h>
#include <uebpf/verifier.h>

#include "../timing.h"

#define REPS 7

static bool kernel_ok;
static double ratios[32];
static int n_ratios;

static void report(const char *what, double ours_ns, double kernel_ns)
{
	if (kernel_ns > 0) {
		double r = kernel_ns / ours_ns;
		ratios[n_ratios++] = r;
		printf("   %-34s uebpf %9.1f ns   kernel %9.1f ns   %6.2fx %s\n", what, ours_ns, kernel_ns,
		       r >= 1 ? r : 1 / r, r >= 1 ? "faster" : "slower");
	} else {
		printf("   %-34s uebpf %9.1f ns   kernel n/a\n", what, ours_ns);
	}
}

/* ---- user-space operations ---------------------------------------------- */

enum op { LOOKUP, UPDATE };

static double ours_ops(struct uebpf_map *m, enum op op, uint32_t keys, uint32_t iters)
{
	uint64_t v = 1;
	double best[REPS];
	for (int r = 0; r < REPS; r++) {
		double t0 = now_s();
		for (uint32_t i = 0; i < iters; i++) {
			uint32_t k = i % keys;
			if (op == LOOKUP)
				uebpf_map_lookup(m, &k, &v);
			else
				uebpf_map_update(m, &k, &v, BPF_ANY);
		}
		best[r] = (now_s() - t0) / iters * 1e9;
	}
	return median(best, REPS);
}

static double kernel_ops(int fd, enum op op, uint32_t keys, uint32_t iters)
{
	uint64_t v = 1;
	double best[REPS];
	for (int r = 0; r < REPS; r++) {
		double t0 = now_s();
		for (uint32_t i = 0; i < iters; i++) {
			uint32_t k = i % keys;
			if (op == LOOKUP)
				bpf_map_lookup_elem(fd, &k, &v);
			else
				bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		}
		best[r] = (now_s() - t0) / iters * 1e9;
	}
	return median(best, REPS);
}

static void user_space(enum bpf_map_type type, const char *name, uint32_t max, uint32_t keys)
{
	struct uebpf_map *m;
	char log[256];
	if (uebpf_map_create(type, 4, 8, max, NULL, &m, log, sizeof(log))) {
		printf("   %s: %s\n", name, log);
		return;
	}
	int fd = kernel_ok ? bpf_map_create(type, NULL, 4, 8, max, NULL) : -1;
	uint64_t v = 1;
	for (uint32_t k = 0; k < max && k < keys; k++) {
		uebpf_map_update(m, &k, &v, BPF_ANY);
		if (fd >= 0)
			bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	}
	char what[64];
	for (int op = LOOKUP; op <= UPDATE; op++) {
		snprintf(what, sizeof(what), "user %s %s%s", name, op == LOOKUP ? "lookup" : "update",
			 keys > max ? " (evicting)" : "");
		double o = ours_ops(m, op, keys, 200000);
		double k = fd >= 0 ? kernel_ops(fd, op, keys, 100000) : 0;
		report(what, o, k);
	}
	if (fd >= 0)
		close(fd);
	uebpf_map_close(m);
}

/* ---- programs ------------------------------------------------------------ */

/* 64 lookups of keys 0..63 in map:0, summing the first u64 of each value */
static const char lookup_prog[] =
	"mov %r6, 0\n"
	"mov %r7, 0\n"
	"loop:\n"
	"stxw [%r10-4], %r7\n"
	"lddw %r1, map:0\n"
	"mov %r2, %r10\n"
	"add %r2, -4\n"
	"call 1\n"
	"jeq %r0, 0, skip\n"
	"ldxdw %r1, [%r0]\n"
	"add %r6, %r1\n"
	"skip:\n"
	"add %r7, 1\n"
	"jlt %r7, 64, loop\n"
	"mov %r0, %r6\n"
	"exit\n";

/* 64 calls of bpf_get_prandom_u32, xor-ed */
static const char helper_prog[] =
	"mov %r6, 0\n"
	"mov %r7, 0\n"
	"loop:\n"
	"call 7\n"
	"xor %r6, %r0\n"
	"add %r7, 1\n"
	"jlt %r7, 64, loop\n"
	"mov %r0, %r6\n"
	"exit\n";

/* 64 ring buffer records of 16 bytes (bpf_ringbuf_output from the stack) */
static const char ringbuf_prog[] =
	"mov %r7, 0\n"
	"stdw [%r10-16], 0\n"
	"loop:\n"
	"stxdw [%r10-8], %r7\n"
	"lddw %r1, map:0\n"
	"mov %r2, %r10\n"
	"add %r2, -16\n"
	"mov %r3, 16\n"
	"mov %r4, 0\n"
	"call 130\n"
	"add %r7, 1\n"
	"jlt %r7, 64, loop\n"
	"mov %r0, 0\n"
	"exit\n";

static const char empty_prog[] = "mov %r0, 0\nexit\n";

static int resolve(void *ctx, uint8_t src, int32_t imm, int32_t next_imm, uint64_t *value)
{
	if (imm != 0 || !ctx)
		return -ENOENT;
	if (src == BPF_PSEUDO_MAP_FD || src == BPF_PSEUDO_MAP_IDX) {
		*value = (uintptr_t)ctx;
		return 0;
	}
	/* the verifier's inlined array lookups address the values directly */
	uint8_t *base = uebpf_map_value_base(ctx);
	if (!base)
		return -ENOENT;
	*value = (uintptr_t)(base + next_imm);
	return 0;
}

static int count_record(void *arg, const void *data, size_t len)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static int kernel_count_record(void *arg, void *data, size_t len)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static double ours_prog(const char *text, struct uebpf_map *m, uint32_t iters)
{
	struct bpf_insn *insns;
	size_t n;
	char log[256];
	if (uebpf_asm(text, &insns, &n, log, sizeof(log)))
		return printf("   asm: %s\n", log), 0;
	/* verified first, as the object loader does: the verifier inlines
	 * array lookups */
	struct uebpf_verifier_map vm = { 0 };
	if (m) {
		const struct uebpf_map_info *mi = uebpf_map_info(m);
		vm = (struct uebpf_verifier_map){ mi->type, mi->key_size, mi->value_size, mi->max_entries, mi->map_flags, NULL, NULL };
	}
	struct uebpf_verify_opts vo = { .sz = sizeof(vo), .prog_type = BPF_PROG_TYPE_XDP, .gpl = true, .maps = &vm,
					.n_maps = m ? 1 : 0 };
	struct uebpf_verify_result res;
	static char vlog[1 << 14];
	int err = uebpf_verify(insns, n, &vo, &res, vlog, sizeof(vlog));
	free(insns);
	if (err)
		return printf("   verify: %s\n", vlog), 0;
	struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = UEBPF_ENGINE_JIT, .flags = UEBPF_F_VERIFIED,
				     .helpers = uebpf_helpers_default(), .resolve = resolve, .resolve_ctx = m };
	struct uebpf_prog *p;
	err = uebpf_prog_load(res.insns, res.n, &o, &p, log, sizeof(log));
	uebpf_verify_result_free(&res);
	if (err)
		return printf("   load: %s\n", log), 0;
	double t[REPS];
	uint64_t r0, records = 0;
	for (int r = 0; r < REPS; r++) {
		double t0 = now_s();
		for (uint32_t i = 0; i < iters; i++) {
			uebpf_prog_run(p, NULL, 0, &r0, NULL, 0);
			if (m && uebpf_map_info(m)->type == BPF_MAP_TYPE_RINGBUF && (i & 63) == 63)
				uebpf_ringbuf_consume(m, count_record, &records);
		}
		if (m && uebpf_map_info(m)->type == BPF_MAP_TYPE_RINGBUF)
			uebpf_ringbuf_consume(m, count_record, &records);
		t[r] = (now_s() - t0) / iters * 1e9;
	}
	uebpf_prog_free(p);
	return median(t, REPS);
}

/* BPF_PROG_TEST_RUN with a repeat count on an XDP program: ns per run */
static double kernel_prog(const char *text, int map_fd, uint32_t iters, struct ring_buffer *rb)
{
	struct bpf_insn *insns;
	size_t n;
	char log[256];
	if (uebpf_asm(text, &insns, &n, log, sizeof(log)))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[i].src_reg == BPF_PSEUDO_MAP_FD)
			insns[i].imm = map_fd;
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "bench", "GPL", insns, n, NULL);
	free(insns);
	if (fd < 0)
		return 0;
	uint8_t pkt[64] = { 0 };
	double t[REPS];
	for (int r = 0; r < REPS; r++) {
		uint32_t left = iters;
		double total = 0;
		while (left) {
			uint32_t batch = rb && left > 64 ? 64 : left;
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = batch);
			if (bpf_prog_test_run_opts(fd, &o)) {
				close(fd);
				return 0;
			}
			total += (double)o.duration * batch;
			left -= batch;
			if (rb)
				ring_buffer__consume(rb);
		}
		t[r] = total / iters;
	}
	close(fd);
	return median(t, REPS);
}

static void programs(void)
{
	double empty_k = kernel_ok ? kernel_prog(empty_prog, -1, 100000, NULL) : 0;
	double empty_o = ours_prog(empty_prog, NULL, 1000000);
	struct {
		const char *what, *text;
		enum bpf_map_type type;
		uint32_t value_size, max;
	} cases[] = {
		{ "prog 64 hash lookups", lookup_prog, BPF_MAP_TYPE_HASH, 8, 1024 },
		{ "prog 64 array lookups", lookup_prog, BPF_MAP_TYPE_ARRAY, 8, 64 },
		{ "prog 64 helper calls", helper_prog, 0, 0, 0 },
		{ "prog 64 ringbuf records", ringbuf_prog, BPF_MAP_TYPE_RINGBUF, 0, 1 << 20 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct uebpf_map *m = NULL;
		int fd = -1;
		char log[256];
		bool keyed = cases[c].type == BPF_MAP_TYPE_HASH || cases[c].type == BPF_MAP_TYPE_ARRAY;
		if (cases[c].type) {
			if (uebpf_map_create(cases[c].type, keyed ? 4 : 0, cases[c].value_size, cases[c].max, NULL, &m,
					     log, sizeof(log))) {
				printf("   %s: %s\n", cases[c].what, log);
				continue;
			}
			if (kernel_ok)
				fd = bpf_map_create(cases[c].type, NULL, keyed ? 4 : 0, cases[c].value_size, cases[c].max,
						    NULL);
		}
		if (keyed)
			for (uint32_t k = 0; k < 64; k++) {
				uint64_t v = k;
				uebpf_map_update(m, &k, &v, BPF_ANY);
				if (fd >= 0)
					bpf_map_update_elem(fd, &k, &v, BPF_ANY);
			}
		uint64_t kernel_records = 0;
		struct ring_buffer *rb = fd >= 0 && cases[c].type == BPF_MAP_TYPE_RINGBUF
						 ? ring_buffer__new(fd, kernel_count_record, &kernel_records, NULL)
						 : NULL;
		double o = ours_prog(cases[c].text, m, 20000) - empty_o;
		double k = kernel_ok && (fd >= 0 || !cases[c].type) ? kernel_prog(cases[c].text, fd, 20000, rb) - empty_k
								    : 0;
		report(cases[c].what, o > 0 ? o : 0.1, k);
		ring_buffer__free(rb);
		if (fd >= 0)
			close(fd);
		uebpf_map_close(m);
	}
}

int main(void)
{
	int probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	kernel_ok = probe >= 0;
	if (probe >= 0)
		close(probe);
	printf("== maps and helpers (median of %d; kernel: bpf() from user space, BPF_PROG_TEST_RUN for programs)\n",
	       REPS);
	if (!kernel_ok)
		printf("   kernel: unavailable (bpf() not permitted: %s)\n", strerror(-probe));
	user_space(BPF_MAP_TYPE_ARRAY, "array", 1024, 1024);
	user_space(BPF_MAP_TYPE_HASH, "hash", 1024, 1024);
	user_space(BPF_MAP_TYPE_LRU_HASH, "lru_hash", 1024, 8192);
	programs();
	double g = 0;
	for (int i = 0; i < n_ratios; i++)
		g += log(ratios[i]);
	if (n_ratios)
		printf("maps summary: uebpf/kernel %.2fx faster (geomean of %d measures)\n", exp(g / n_ratios), n_ratios);
	else
		printf("maps summary: kernel not measured\n");
	return 0;
}
