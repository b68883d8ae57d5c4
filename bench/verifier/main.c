/* make bench (verifier part): verification time of large programs, uebpf's
 * verifier against the kernel's, measured in the same run.
 *
 * Each program is generated here as assembly text (uebpf's assembler), 10,000
 * instructions or more: thousands of branches on unknown values, map lookups
 * with null checks, bounds-checked packet reads, nested bounded loops, and
 * bpf-to-bpf calls. uebpf: uebpf_verify() with the log off; the kernel:
 * bpf(BPF_PROG_LOAD) through libbpf with the log off, which also JIT-compiles
 * (the kernel has no way to verify without loading), so the kernel's time is
 * a little more than its verifier's. Medians of REPS runs; the peak memory is
 * what uebpf's verifier had allocated at its highest (malloc is counted by
 * this program), with the processed-instruction counts of both.
 * Prints one line per program and a summary line with the geometric mean. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uebpf/isa.h>
#include <uebpf/verifier.h>

#include "../timing.h"

#define REPS 5

/* ---- counting malloc ---------------------------------------------------------
 * Every allocation of the process goes through these; while `counting`, the
 * live bytes and their high-water mark are kept. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static int counting;
static long long live, peak;

static void count_add(void *p)
{
	if (p && counting) {
		live += (long long)malloc_usable_size(p);
		if (live > peak)
			peak = live;
	}
}

static void count_sub(void *p)
{
	if (p && counting)
		live -= (long long)malloc_usable_size(p);
}

void *malloc(size_t n)
{
	void *p = __libc_malloc(n);
	count_add(p);
	return p;
}

void *calloc(size_t n, size_t m)
{
	void *p = __libc_calloc(n, m);
	count_add(p);
	return p;
}

void *realloc(void *old, size_t n)
{
	count_sub(old);
	void *p = __libc_realloc(old, n);
	count_add(p ? p : n ? old : NULL);
	return p;
}

void free(void *p)
{
	count_sub(p);
	__libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	count_add(p);
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);
	count_add(p);
	return p;
}

void *memalign(size_t align, size_t n)
{
	return aligned_alloc(align, n);
}

/* ---- generated programs ---------------------------------------------------- */

struct text {
	char *buf;
	size_t len, cap;
};

static void emit(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (k >= 0 && t->len + (size_t)k + 1 < t->cap) {
			t->len += (size_t)k;
			t->buf[t->len++] = '\n';
			t->buf[t->len] = 0;
			return;
		}
		t->cap = t->cap ? t->cap * 2 : 1 << 16;
		t->buf = realloc(t->buf, t->cap);
		if (!t->buf)
			abort();
	}
}

/* 2,500 if/else, each on a value read afresh from the packet's length;
 * both sides only change counters nothing checks, so a verifier that
 * compared every register at the join would explore 2^2500 paths */
/* one if/else on the packet's length, read afresh into %tmp from the
 * context in r1: one side adds 1 to %up, the other xors %flip with i;
 * labels PREFIXaI and PREFIXjI */
static void diamond(struct text *t, const char *tmp, const char *up, const char *flip, const char *prefix, int i,
		    int threshold)
{
	emit(t, "ldxw %s, [%%r1+0]", tmp);
	emit(t, "jgt %s, %d, %sa%d", tmp, threshold, prefix, i);
	emit(t, "add %s, 1", up);
	emit(t, "ja %sj%d", prefix, i);
	emit(t, "%sa%d:", prefix, i);
	emit(t, "xor %s, %d", flip, i);
	emit(t, "%sj%d:", prefix, i);
}

static void gen_diamonds(struct text *t)
{
	emit(t, "mov %%r0, 0");
	emit(t, "mov %%r7, 0");
	for (int i = 0; i < 2500; i++)
		diamond(t, "%r6", "%r0", "%r7", "", i, (i * 37) % 1500);
	emit(t, "exit");
}

/* 1,000 array lookups, each null-checked, its value incremented */
static void gen_maps(struct text *t)
{
	emit(t, "mov %%r6, 0");
	for (int i = 0; i < 1000; i++) {
		emit(t, "stw [%%r10-4], %d", i % 4);
		emit(t, "lddw %%r1, map:0");
		emit(t, "mov %%r2, %%r10");
		emit(t, "add %%r2, -4");
		emit(t, "call 1");
		emit(t, "jeq %%r0, 0, m%d", i);
		emit(t, "ldxdw %%r3, [%%r0+%d]", (i % 8) * 8);
		emit(t, "add %%r3, 1");
		emit(t, "stxdw [%%r0+%d], %%r3", (i % 8) * 8);
		emit(t, "m%d:", i);
	}
	emit(t, "mov %%r0, 0");
	emit(t, "exit");
}

/* XDP: 2,000 bounds-checked packet reads at growing offsets */
static void gen_packet(struct text *t)
{
	emit(t, "ldxw %%r2, [%%r1+0]");
	emit(t, "ldxw %%r3, [%%r1+4]");
	emit(t, "mov %%r0, 0");
	for (int i = 0; i < 2000; i++) {
		int off = (i * 8) % 1400;
		emit(t, "mov %%r4, %%r2");
		emit(t, "add %%r4, %d", off + 8);
		emit(t, "jgt %%r4, %%r3, out");
		emit(t, "ldxdw %%r5, [%%r2+%d]", off);
		emit(t, "xor %%r0, %%r5");
	}
	emit(t, "and %%r0, 3");
	emit(t, "exit");
	emit(t, "out:");
	emit(t, "mov %%r0, 2");
	emit(t, "exit");
}

/* 400 nested loops: 8 x 8 iterations each, a stack store in the body */
static void gen_loops(struct text *t)
{
	emit(t, "mov %%r0, 0");
	for (int i = 0; i < 400; i++) {
		emit(t, "mov %%r6, 0");
		emit(t, "o%d:", i);
		emit(t, "mov %%r7, 0");
		emit(t, "i%d:", i);
		emit(t, "mov %%r8, %%r6");
		emit(t, "mul %%r8, 8");
		emit(t, "add %%r8, %%r7");
		emit(t, "stxdw [%%r10-%d], %%r8", 8 + (i % 16) * 8);
		emit(t, "xor %%r0, %%r8");
		emit(t, "add %%r7, 1");
		emit(t, "jlt %%r7, 8, i%d", i);
		emit(t, "add %%r6, 1");
		emit(t, "jlt %%r6, 8, o%d", i);
	}
	emit(t, "and %%r0, 1");
	emit(t, "exit");
}

/* 40 functions of 60 if/else each on the packet's length (the context is
 * their argument), each called from 2 places (the branches pending along
 * one path stay under the kernel's 8192) */
static void gen_calls(struct text *t)
{
	emit(t, "mov %%r6, %%r1");
	emit(t, "mov %%r7, 0");
	for (int c = 0; c < 2; c++)
		for (int f = 0; f < 40; f++) {
			emit(t, "mov %%r1, %%r6");
			emit(t, "call local f%d", f);
			emit(t, "xor %%r7, %%r0");
		}
	emit(t, "mov %%r0, %%r7");
	emit(t, "and %%r0, 1");
	emit(t, "exit");
	for (int f = 0; f < 40; f++) {
		emit(t, "f%d:", f);
		emit(t, "mov %%r3, 0");
		char prefix[16];
		snprintf(prefix, sizeof(prefix), "f%d", f);
		for (int i = 0; i < 60; i++)
			diamond(t, "%r2", "%r3", "%r3", prefix, i, (i * 13 + f) % 1500);
		emit(t, "mov %%r0, %d", f);
		emit(t, "exit");
	}
}

struct bench_prog {
	const char *name;
	enum bpf_prog_type type;
	bool map;
	void (*gen)(struct text *t);
};

static const struct bench_prog progs[] = {
	{ "diamonds", BPF_PROG_TYPE_SOCKET_FILTER, false, gen_diamonds },
	{ "map lookups", BPF_PROG_TYPE_SOCKET_FILTER, true, gen_maps },
	{ "packet reads", BPF_PROG_TYPE_XDP, false, gen_packet },
	{ "nested loops", BPF_PROG_TYPE_SOCKET_FILTER, false, gen_loops },
	{ "bpf-to-bpf calls", BPF_PROG_TYPE_SOCKET_FILTER, false, gen_calls },
};

/* ---- measuring -------------------------------------------------------------- */

static const struct uebpf_verifier_map array_map = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 64,
						     .max_entries = 4 };

/* uebpf: median seconds, processed count, peak bytes; < 0 when rejected */
static double ours(const struct bench_prog *p, const struct bpf_insn *insns, size_t n, uint64_t *processed,
		   long long *peak_bytes)
{
	struct uebpf_verify_opts o = { .sz = sizeof(o), .prog_type = p->type, .gpl = true,
				       .maps = p->map ? &array_map : NULL, .n_maps = p->map ? 1 : 0 };
	double t[REPS];
	static char log[4096];
	for (int r = 0; r < REPS; r++) {
		struct uebpf_verify_result res;
		live = peak = 0;
		counting = 1;
		double t0 = now_s();
		int err = uebpf_verify(insns, n, &o, &res, log, sizeof(log));
		t[r] = now_s() - t0;
		counting = 0;
		*peak_bytes = peak;
		if (err) {
			fprintf(stderr, "verifier-bench: uebpf rejected %s: %s\n", p->name, log);
			return -1;
		}
		*processed = res.insns_processed;
		uebpf_verify_result_free(&res);
	}
	return median(t, REPS);
}

/* the kernel: median seconds of BPF_PROG_LOAD with the log off; processed
 * from one more load at log level 4 (statistics only); < 0 when refused */
static double kernel(const struct bench_prog *p, const struct bpf_insn *src, size_t n, uint64_t *processed)
{
	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	if (!insns)
		abort();
	memcpy(insns, src, n * sizeof(*insns));
	int map_fd = -1;
	if (p->map) {
		map_fd = bpf_map_create(array_map.type, NULL, array_map.key_size, array_map.value_size,
					array_map.max_entries, NULL);
		if (map_fd < 0) {
			free(insns);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[i].src_reg == BPF_PSEUDO_MAP_FD)
				insns[i].imm = map_fd;
	}
	double t[REPS], result = -1;
	for (int r = 0; r < REPS; r++) {
		double t0 = now_s();
		int fd = bpf_prog_load(p->type, "vbench", "GPL", insns, n, NULL);
		t[r] = now_s() - t0;
		if (fd < 0) {
			fprintf(stderr, "verifier-bench: the kernel refused %s: %s\n", p->name, strerror(errno));
			goto out;
		}
		close(fd);
	}
	result = median(t, REPS);
	static char log[1 << 16];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = sizeof(log), .log_level = 4);
	int fd = bpf_prog_load(p->type, "vbench", "GPL", insns, n, &o);
	if (fd >= 0)
		close(fd);
	const char *s = strstr(log, "processed ");
	*processed = s ? strtoull(s + 10, NULL, 10) : 0;
out:
	if (map_fd >= 0)
		close(map_fd);
	free(insns);
	return result;
}

int main(void)
{
	libbpf_set_print(NULL);
	printf("== verifier: uebpf_verify against the kernel's BPF_PROG_LOAD (log off), medians of %d\n", REPS);
	printf("   %-17s %6s %10s %10s %10s %10s %9s %12s\n", "program", "insns", "processed", "kernel", "uebpf ms",
	       "kernel ms", "peak KiB", "ratio");
	double logsum = 0;
	int n_ratios = 0, failed = 0;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		const struct bench_prog *p = &progs[i];
		struct text t = { 0 };
		p->gen(&t);
		struct bpf_insn *insns;
		size_t n;
		char err[256];
		if (uebpf_asm(t.buf, &insns, &n, err, sizeof(err))) {
			fprintf(stderr, "verifier-bench: %s: %s\n", p->name, err);
			return 1;
		}
		free(t.buf);
		uint64_t our_proc = 0, k_proc = 0;
		long long peak_bytes = 0;
		double u = ours(p, insns, n, &our_proc, &peak_bytes);
		double k = kernel(p, insns, n, &k_proc);
		free(insns);
		if (u < 0) {
			failed++;
			continue;
		}
		if (k > 0) {
			double r = k / u;
			logsum += log(r);
			n_ratios++;
			printf("   %-17s %6zu %10llu %10llu %10.2f %10.2f %9.0f %6.2fx %s\n", p->name, n,
			       (unsigned long long)our_proc, (unsigned long long)k_proc, u * 1e3, k * 1e3, peak_bytes / 1024.0,
			       r >= 1 ? r : 1 / r, r >= 1 ? "faster" : "slower");
		} else {
			printf("   %-17s %6zu %10llu %10s %10.2f %10s %9.0f %12s\n", p->name, n, (unsigned long long)our_proc,
			       "n/a", u * 1e3, "n/a", peak_bytes / 1024.0, "n/a");
		}
	}
	if (n_ratios) {
		double g = exp(logsum / n_ratios);
		printf("\nsummary: verifier/kernel %.2fx %s (geomean of %d); target no slower than the kernel: %s\n",
		       g >= 1 ? g : 1 / g, g >= 1 ? "faster" : "slower", n_ratios, g >= 1 ? "met" : "NOT met");
	} else {
		printf("summary: verifier: the kernel could not load the programs here (bpf() not permitted?)\n");
	}
	return failed ? 1 : 0;
}
