/* `make bench`: every benchmark program on every engine, in one run.
 *
 * Each program in bench/NAME.bpf.c was built (bench/bench.mk) as a loop form
 * (NAME.loop.o), a fully unrolled form for librte_bpf (NAME.unrolled.o), the
 * loop form inside an XDP wrapper for the kernel (NAME.kern.o) and natively
 * with gcc -O2 (linked in as native_NAME). Every engine's result is checked
 * against the native one; times are the median of several interleaved
 * rounds, each a batch of runs long enough to time.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uebpf/engine.h>

#include "harness.h"

/* The native functions, one per program (see bench.h). */
typedef unsigned long long (*native_fn)(void *mem, unsigned long long len);
#define BENCH_PROG(n)                                                          \
	unsigned long long native_##n(void *mem, unsigned long long len);      \
	extern const unsigned long long native_len_##n;
#include "programs.h"
#undef BENCH_PROG

struct program {
	const char *name;
	native_fn native;
	const unsigned long long *len;
};

static const struct program programs[] = {
#define BENCH_PROG(n) { #n, native_##n, &native_len_##n },
#include "programs.h"
#undef BENCH_PROG
};
#define N_PROGRAMS (sizeof(programs) / sizeof(programs[0]))

enum col {
	C_INTERP_LOOP,
	C_INTERP_UNROLLED,
	C_DPDK_INTERP,
	C_JIT_LOOP,
	C_JIT_UNROLLED,
	C_DPDK_JIT,
	C_KERNEL,
	C_KERNEL_EMPTY, /* baseline, not shown as a row */
	C_NATIVE,
	N_COLS
};

static const struct {
	const char *engine, *form;
} col_names[N_COLS] = {
	[C_INTERP_LOOP] = { "uebpf interpreter (unchecked)", "loop" },
	[C_INTERP_UNROLLED] = { "uebpf interpreter (unchecked)", "unrolled" },
	[C_DPDK_INTERP] = { "librte_bpf interpreter", "unrolled" },
	[C_JIT_LOOP] = { "uebpf JIT", "loop" },
	[C_JIT_UNROLLED] = { "uebpf JIT", "unrolled" },
	[C_DPDK_JIT] = { "librte_bpf JIT", "unrolled" },
	[C_KERNEL] = { "kernel JIT (test_run - empty)", "loop" },
	[C_KERNEL_EMPTY] = { "kernel empty program", "-" },
	[C_NATIVE] = { "native gcc -O2", "C" },
};

#define MAX_REPS 31
#define KERNEL_LOADS 8
#define KERNEL_LOAD_BUDGET_NS 2e9 /* stop loading more copies after this long */

struct column {
	bool ok;
	char why[768];
	struct uebpf_prog *prog;
	uebpf_prog_fn fn; /* the JIT's function, called as DPDK's is (uebpf_prog_function) */
	struct bench_dpdk *dpdk;
	bench_dpdk_jit_fn dpdk_jit;
	/* The kernel puts each JIT image at a random offset, and code placement
	 * moves the time of a branchy program by 10-20% on this CPU: the
	 * program is loaded several times and the rounds take turns. */
	struct bench_kernel *kern[KERNEL_LOADS];
	int n_kern;
	uint64_t iters;
	double samples[MAX_REPS];
	int n_samples;
	double ns;     /* median ns per run (kernel: see kernel_estimate) */
	double spread; /* half the interquartile range (kernel: of the loads), ns */
	double raw_ns; /* kernel: before the empty program's time is taken off */
	double lo, hi; /* kernel: fastest and slowest load */
	int n_loads;   /* kernel: loads that were timed */
};

static struct {
	const char *filter;
	int reps;
	double batch_ms;
	int cpu;
	double dpdk_timeout;
	unsigned program_timeout; /* seconds for one program on every engine */
	bool no_kernel;
	char dir[PATH_MAX]; /* where the objects are: next to this binary */
} opt = { .reps = 16, .batch_ms = 4, .cpu = -1, .dpdk_timeout = 5, .program_timeout = 120 };

/* Why the kernel column is missing for every program, once found out. */
static char kernel_off[768];

/* Per-program ratios for the summary (0 = not measured). */
enum ratio { R_INTERP_DPDK, R_JIT_KERNEL, R_JIT_DPDK, R_JIT_NATIVE, N_RATIOS };
static const char *ratio_names[N_RATIOS] = { "interp/dpdk-interp", "jit/kernel-jit", "jit/dpdk-jit",
					     "jit/native" };

/* Each program is measured in a child process, so that an engine that
 * crashes or hangs costs one program, not the run. The child reports
 * through this shared page: what it is doing (for the crash message) and,
 * at the end, its results. */
struct program_result {
	char stage[160];
	bool measured;
	double ratios[N_RATIOS];
	char notes[256];
	char failure[256]; /* set by the parent when the child died */
	char wrong[256];   /* engines whose result differed from native */
};
static struct program_result *results; /* N_PROGRAMS entries, MAP_SHARED */
static struct program_result *current;

static void set_stage(const char *what, enum col c)
{
	snprintf(current->stage, sizeof(current->stage), "%s %s (%s)", what, col_names[c].engine,
		 col_names[c].form);
}

static volatile uint64_t sink;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Runs column c iters times; returns the thread's CPU time in ns and the ns
 * per run in *per_run (the kernel's own measure for the kernel columns). */
static double batch(struct column *col, enum col c, void *mem, uint64_t len, native_fn native,
		    uint64_t iters, int round, double *per_run)
{
	uint64_t x = 0, r;
	double t0 = now_ns(), t;

	switch (c) {
	case C_JIT_LOOP:
	case C_JIT_UNROLLED:
		if (col->fn) {
			for (uint64_t i = 0; i < iters; i++)
				x ^= col->fn(mem, len);
			break;
		}
		/* fall through */
	case C_INTERP_LOOP:
	case C_INTERP_UNROLLED:
		for (uint64_t i = 0; i < iters; i++) {
			uebpf_prog_run(col->prog, mem, len, &r, NULL, 0);
			x ^= r;
		}
		break;
	case C_DPDK_INTERP:
		x = bench_dpdk_exec_loop(col->dpdk, mem, iters);
		break;
	case C_DPDK_JIT:
		for (uint64_t i = 0; i < iters; i++)
			x ^= col->dpdk_jit(mem);
		break;
	case C_KERNEL:
	case C_KERNEL_EMPTY: {
		char err[256];
		if (bench_kernel_run(col->kern[round % col->n_kern], (uint32_t)iters, per_run, &r, err,
				     sizeof(err))) {
			col->ok = false;
			snprintf(col->why, sizeof(col->why), "%s", err);
		}
		return now_ns() - t0;
	}
	case C_NATIVE:
		for (uint64_t i = 0; i < iters; i++)
			x ^= native(mem, len);
		break;
	default:
		break;
	}
	t = now_ns() - t0;
	sink ^= x;
	*per_run = t / (double)iters;
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of v[0..n) (left in order); *spread, if asked, is half the
 * interquartile range. */
static double median_of(const double *v, int n, double *spread)
{
	double s[MAX_REPS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	if (spread)
		*spread = (s[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1] - s[n / 4]) / 2;
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static bool filtered_in(const char *name)
{
	char buf[256], *save, *tok;

	if (!opt.filter || !*opt.filter)
		return true;
	snprintf(buf, sizeof(buf), "%s", opt.filter);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strstr(name, tok))
			return true;
	return false;
}

/* The input: an Ethernet/IPv4/TCP packet header, then pseudo-random bytes. */
static void fill_input(uint8_t *buf, size_t sz)
{
	static const uint8_t hdr[54] = {
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,        /* Ethernet, IPv4 */
		0x45, 0, 0x01, 0xf2, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,       /* IPv4 for TCP */
		10, 0, 0, 1, 10, 0, 0, 2,                                    /* addresses */
		0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, /* TCP, doff 5 */
		0xff, 0xff, 0, 0, 0, 0,
	};
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sz; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		buf[i] = (uint8_t)(s >> 24);
	}
	memcpy(buf, hdr, sizeof(hdr));
}

static void path_of(char *out, size_t sz, const char *name, const char *suffix)
{
	snprintf(out, sz, "%s/%s%s", opt.dir, name, suffix);
}

static void read_notes(const char *name, char *out, size_t sz)
{
	char path[PATH_MAX + 64];
	FILE *f;

	out[0] = 0;
	path_of(path, sizeof(path), name, ".native.notes");
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(out, (int)sz, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

/* Records why a column has no numbers (the first reason wins). */
static void unavailable(struct column *col, const char *why)
{
	if (!col->why[0])
		snprintf(col->why, sizeof(col->why), "%s", why);
}

static void load_uebpf(struct column *cols, enum col c, const struct bpf_insn *insns, size_t n,
		       enum uebpf_engine engine)
{
	struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = engine, .flags = UEBPF_F_VERIFIED };
	struct column *col = &cols[c];
	char log[512] = "";

	set_stage("loading", c);
	if (uebpf_prog_load(insns, n, &o, &col->prog, log, sizeof(log))) {
		snprintf(col->why, sizeof(col->why), "unavailable: %s", log);
	} else {
		col->ok = true;
		col->fn = uebpf_prog_function(col->prog);
	}
}

static bool has_bpf_calls(const struct bpf_insn *insns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == BPF_PSEUDO_CALL)
			return true;
	return false;
}

static bool same_insns(const struct bpf_insn *a, size_t na, const struct bpf_insn *b, size_t nb)
{
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}

/* Loads every engine for program p; returns the loop/unrolled sizes. */
static void load_all(const struct program *p, struct column *cols, uint8_t *mem, size_t len,
		     struct bench_kernel *empty, size_t *n_loop, size_t *n_unrolled, char *kern_note,
		     size_t kern_note_sz)
{
	char path[PATH_MAX + 64], err[512];
	struct bpf_insn *loop = NULL, *unrolled = NULL, *kbody = NULL;
	size_t n_kbody = 0;
	long back;

	*n_loop = *n_unrolled = 0;
	kern_note[0] = 0;
	path_of(path, sizeof(path), p->name, ".loop.o");
	if (bench_elf_text(path, p->name, &loop, n_loop, err, sizeof(err))) {
		unavailable(&cols[C_INTERP_LOOP], err);
		unavailable(&cols[C_JIT_LOOP], err);
	} else {
		load_uebpf(cols, C_INTERP_LOOP, loop, *n_loop, UEBPF_ENGINE_INTERP);
		load_uebpf(cols, C_JIT_LOOP, loop, *n_loop, UEBPF_ENGINE_JIT);
	}

	path_of(path, sizeof(path), p->name, ".unrolled.o");
	if (bench_elf_text(path, p->name, &unrolled, n_unrolled, err, sizeof(err))) {
		unavailable(&cols[C_INTERP_UNROLLED], err);
		unavailable(&cols[C_JIT_UNROLLED], err);
	} else {
		load_uebpf(cols, C_INTERP_UNROLLED, unrolled, *n_unrolled, UEBPF_ENGINE_INTERP);
		load_uebpf(cols, C_JIT_UNROLLED, unrolled, *n_unrolled, UEBPF_ENGINE_JIT);
		back = bench_first_back_edge(unrolled, *n_unrolled);
		set_stage("loading", C_DPDK_INTERP);
		if (back >= 0)
			snprintf(err, sizeof(err), "the unrolled form still has a loop (insn %ld)", back);
		else if (has_bpf_calls(unrolled, *n_unrolled))
			snprintf(err, sizeof(err), "librte_bpf (DPDK 22.11) has no bpf-to-bpf calls");
		else
			cols[C_DPDK_INTERP].dpdk = bench_dpdk_load(unrolled, *n_unrolled, len,
								   opt.dpdk_timeout, err, sizeof(err));
		cols[C_DPDK_INTERP].ok = cols[C_DPDK_INTERP].dpdk != NULL;
		if (cols[C_DPDK_INTERP].ok)
			cols[C_DPDK_JIT].dpdk_jit = bench_dpdk_jit(cols[C_DPDK_INTERP].dpdk, err, sizeof(err));
		cols[C_DPDK_JIT].ok = cols[C_DPDK_JIT].dpdk_jit != NULL;
	}
	if (!cols[C_DPDK_INTERP].ok)
		unavailable(&cols[C_DPDK_INTERP], err);
	if (!cols[C_DPDK_JIT].ok)
		unavailable(&cols[C_DPDK_JIT], err);

	if (kernel_off[0]) {
		snprintf(cols[C_KERNEL].why, sizeof(cols[C_KERNEL].why), "%s", kernel_off);
	} else {
		path_of(path, sizeof(path), p->name, ".kern.o");
		set_stage("loading", C_KERNEL);
		struct column *k = &cols[C_KERNEL];
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (k->ok = true; k->ok && k->n_kern < KERNEL_LOADS; k->n_kern++) {
			struct bench_kernel *kern = bench_kernel_load(path, err, sizeof(err));
			if (!kern) {
				snprintf(k->why, sizeof(k->why), "kernel refused it: %s", err);
				k->ok = false;
			} else if (bench_kernel_set_input(kern, mem, len, err, sizeof(err))) {
				unavailable(k, err);
				k->ok = false;
			}
			k->kern[k->n_kern] = kern;
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((t.tv_sec - t0.tv_sec) * 1e9 + (t.tv_nsec - t0.tv_nsec) > KERNEL_LOAD_BUDGET_NS) {
				k->n_kern++;
				break;
			}
		}
		cols[C_KERNEL_EMPTY].kern[0] = empty;
		cols[C_KERNEL_EMPTY].n_kern = 1;
		cols[C_KERNEL_EMPTY].ok = k->ok;
		/* the body in the kernel object must be the bytecode the others run */
		if (loop && !bench_elf_text(path, p->name, &kbody, &n_kbody, err, sizeof(err)))
			snprintf(kern_note, kern_note_sz, "%s",
				 same_insns(loop, *n_loop, kbody, n_kbody)
					 ? "the same bytecode as the loop form"
					 : "NOT the same bytecode as the loop form (clang compiled the body differently)");
	}
	cols[C_NATIVE].ok = true;
	free(loop);
	free(unrolled);
	free(kbody);
}

/* One run of each column, checked against the native result. */
static void check_results(const struct program *p, struct column *cols, uint8_t *mem, size_t len)
{
	uint64_t want = p->native(mem, len), got = 0;
	char err[256];
	double per_run;

	for (int c = 0; c < N_COLS; c++) {
		struct column *col = &cols[c];
		if (!col->ok || c == C_NATIVE || c == C_KERNEL_EMPTY)
			continue;
		set_stage("checking the result of", c);
		switch (c) {
		case C_DPDK_INTERP:
			got = bench_dpdk_exec(col->dpdk, mem);
			break;
		case C_DPDK_JIT:
			got = col->dpdk_jit(mem);
			break;
		case C_KERNEL:
			/* every load must agree; the first that does not is reported */
			for (int k = 0; k < col->n_kern; k++) {
				if (bench_kernel_run(col->kern[k], 1, &per_run, &got, err, sizeof(err))) {
					col->ok = false;
					snprintf(col->why, sizeof(col->why), "%s", err);
					break;
				}
				if (got != want)
					break;
			}
			if (!col->ok)
				continue;
			break;
		default:
			if (uebpf_prog_run(col->prog, mem, len, &got, err, sizeof(err))) {
				col->ok = false;
				snprintf(col->why, sizeof(col->why), "run failed: %s", err);
				continue;
			}
		}
		if (got != want) {
			size_t used = strlen(current->wrong);
			snprintf(current->wrong + used, sizeof(current->wrong) - used, "%s%s (%s)",
				 used ? ", " : "", col_names[c].engine, col_names[c].form);
			col->ok = false;
			snprintf(col->why, sizeof(col->why), "WRONG RESULT 0x%llx (native 0x%llx)",
				 (unsigned long long)got, (unsigned long long)want);
		}
	}
}

/* The kernel's time is the mean over its loads (code placements) of each
 * load's median, less the empty program's time in the same rounds. */
static void kernel_estimate(struct column *k, const struct column *empty)
{
	double net[MAX_REPS], raw[MAX_REPS], sum = 0, raw_sum = 0;
	int loads = 0;

	k->lo = INFINITY;
	k->hi = 0;
	for (int l = 0; l < k->n_kern; l++) {
		int n = 0;
		for (int r = l; r < k->n_samples; r += k->n_kern) {
			raw[n] = k->samples[r];
			net[n++] = k->samples[r] - empty->samples[r];
		}
		if (!n)
			continue;
		double m = median_of(net, n, NULL);
		sum += m;
		raw_sum += median_of(raw, n, NULL);
		k->lo = fmin(k->lo, m);
		k->hi = fmax(k->hi, m);
		loads++;
	}
	k->ns = sum / loads;
	k->raw_ns = raw_sum / loads;
	k->n_loads = loads;
	k->spread = (k->hi - k->lo) / 2;
}

static void measure(const struct program *p, struct column *cols, uint8_t *mem, size_t len)
{
	double target = opt.batch_ms * 1e6, per_run;

	/* calibrate (and warm up): a batch should take about batch_ms */
	for (int c = 0; c < N_COLS; c++) {
		struct column *col = &cols[c];
		uint64_t iters = 1;
		if (!col->ok)
			continue;
		set_stage("timing", c);
		for (;;) {
			double t = batch(col, c, mem, len, p->native, iters, 0, &per_run);
			if (!col->ok || t >= target / 4 || iters >= (1ull << 31))
				break;
			iters *= t > 0 ? (t * 64 < target ? 16 : 2) : 16;
		}
		double t1 = batch(col, c, mem, len, p->native, iters, 0, &per_run);
		col->iters = (uint64_t)fmax(1, fmin((double)iters * target / fmax(t1, 1), 2e9));
	}
	/* interleaved rounds, the order rotated so drift hits every column */
	for (int r = 0; r < opt.reps; r++)
		for (int i = 0; i < N_COLS; i++) {
			int c = (i + r) % N_COLS;
			struct column *col = &cols[c];
			if (!col->ok)
				continue;
			set_stage("timing", c);
			batch(col, c, mem, len, p->native, col->iters, r, &per_run);
			col->samples[r] = per_run;
			col->n_samples = r + 1;
		}
	if (cols[C_KERNEL].ok && !cols[C_KERNEL_EMPTY].ok) {
		cols[C_KERNEL].ok = false;
		unavailable(&cols[C_KERNEL], cols[C_KERNEL_EMPTY].why);
	}
	for (int c = 0; c < N_COLS; c++)
		if (cols[c].ok && c != C_KERNEL)
			cols[c].ns = median_of(cols[c].samples, cols[c].n_samples, &cols[c].spread);
	if (cols[C_KERNEL].ok)
		kernel_estimate(&cols[C_KERNEL], &cols[C_KERNEL_EMPTY]);
}

/* "1.83x faster" or "1.20x slower": how uebpf compares with a peer. */
static const char *speed(double ratio, char *buf, size_t sz)
{
	if (ratio <= 0)
		snprintf(buf, sz, "n/a");
	else if (ratio >= 1)
		snprintf(buf, sz, "%.2fx faster", ratio);
	else
		snprintf(buf, sz, "%.2fx slower", 1 / ratio);
	return buf;
}

static double ratio_of(struct column *cols, enum col uebpf, enum col peer)
{
	if (!cols[uebpf].ok || !cols[peer].ok || cols[uebpf].ns <= 0 || cols[peer].ns <= 0)
		return 0;
	return cols[peer].ns / cols[uebpf].ns;
}

static void print_program(const struct program *p, struct column *cols, size_t len, size_t n_loop,
			  size_t n_unrolled, const char *kern_note)
{
	char b[4][64];

	printf("\n== %s: %zu-byte input; loop form %zu insns (-mcpu=v3), unrolled form %zu insns (-mcpu=v2)\n",
	       p->name, len, n_loop, n_unrolled);
	if (current->notes[0])
		printf("   native: %s\n", current->notes);
	if (kern_note[0])
		printf("   kernel object: %s\n", kern_note);
	printf("   %-30s %-9s %10s %7s %10s\n", "engine", "form", "ns/run", "+-", "vs native");
	for (int c = 0; c < N_COLS; c++) {
		if (c == C_KERNEL_EMPTY)
			continue;
		if (!cols[c].ok) {
			printf("   %-30s %-9s %10s   %s\n", col_names[c].engine, col_names[c].form, "-",
			       cols[c].why);
			continue;
		}
		printf("   %-30s %-9s %10.1f %6.1f%% %9.2fx", col_names[c].engine, col_names[c].form,
		       cols[c].ns, cols[c].ns > 0 ? 100 * cols[c].spread / cols[c].ns : 0,
		       cols[C_NATIVE].ns > 0 ? cols[c].ns / cols[C_NATIVE].ns : 0);
		if (c == C_KERNEL)
			printf("   (test_run %.0f - empty %.0f; %d loads: %.0f-%.0f)", cols[C_KERNEL].raw_ns,
			       cols[C_KERNEL_EMPTY].ns, cols[C_KERNEL].n_loads, cols[C_KERNEL].lo,
			       cols[C_KERNEL].hi);
		printf("\n");
	}
	double *ratios = current->ratios;

	ratios[R_INTERP_DPDK] = ratio_of(cols, C_INTERP_UNROLLED, C_DPDK_INTERP);
	ratios[R_JIT_KERNEL] = ratio_of(cols, C_JIT_LOOP, C_KERNEL);
	ratios[R_JIT_DPDK] = ratio_of(cols, C_JIT_UNROLLED, C_DPDK_JIT);
	ratios[R_JIT_NATIVE] = ratio_of(cols, C_JIT_LOOP, C_NATIVE);
	printf("   uebpf interp vs librte_bpf interp (unrolled): %s; uebpf JIT vs kernel JIT (loop): %s;\n"
	       "   uebpf JIT vs librte_bpf JIT (unrolled): %s; uebpf JIT vs native (loop): %s\n",
	       speed(ratios[R_INTERP_DPDK], b[0], 64), speed(ratios[R_JIT_KERNEL], b[1], 64),
	       speed(ratios[R_JIT_DPDK], b[2], 64), speed(ratios[R_JIT_NATIVE], b[3], 64));
	fflush(stdout);
}

static double geomean(enum ratio r, int *count)
{
	double s = 0;
	*count = 0;
	for (size_t i = 0; i < N_PROGRAMS; i++)
		if (results[i].measured && results[i].ratios[r] > 0) {
			s += log(results[i].ratios[r]);
			(*count)++;
		}
	return *count ? exp(s / *count) : 0;
}

/* gcc turned the loop into vector code or a library call: the native
 * target does not apply there. */
static bool native_special(size_t i)
{
	return strstr(results[i].notes, "gcc vectorised") || strstr(results[i].notes, "gcc calls");
}

static void print_summary(void)
{
	char b[64];
	int count[N_RATIOS];
	double g[N_RATIOS];

	printf("\n== summary (uebpf compared with each peer; n/a = not measured)\n");
	printf("   %-10s", "program");
	for (int r = 0; r < N_RATIOS; r++)
		printf(" %-19s", ratio_names[r]);
	printf("\n");
	for (size_t i = 0; i < N_PROGRAMS; i++) {
		if (results[i].failure[0])
			printf("   %-10s %s\n", programs[i].name, results[i].failure);
		if (!results[i].measured)
			continue;
		printf("   %-10s", programs[i].name);
		for (int r = 0; r < N_RATIOS; r++)
			printf(" %-19s", speed(results[i].ratios[r], b, sizeof(b)));
		printf("%s\n", native_special(i) ? "  (gcc: see notes)" : "");
	}
	printf("   %-10s", "geomean");
	for (int r = 0; r < N_RATIOS; r++) {
		g[r] = geomean(r, &count[r]);
		printf(" %-19s", speed(g[r], b, sizeof(b)));
	}
	printf("\n   %-10s", "programs");
	for (int r = 0; r < N_RATIOS; r++)
		printf(" %-19d", count[r]);
	printf("\n");

	printf("\n== correctness (every engine's result compared with native)\n");
	bool all_right = true;
	for (size_t i = 0; i < N_PROGRAMS; i++)
		if (results[i].wrong[0]) {
			printf("   %s: WRONG RESULT from %s\n", programs[i].name, results[i].wrong);
			all_right = false;
		}
	if (all_right)
		printf("   all results agree\n");

	printf("\n== targets\n");
	if (count[R_INTERP_DPDK])
		printf("   interp >= 1.5x faster than librte_bpf interp (geomean): %s (%.2fx)\n",
		       g[R_INTERP_DPDK] >= 1.5 ? "met" : "NOT met", g[R_INTERP_DPDK]);
	else
		printf("   interp >= 1.5x faster than librte_bpf interp (geomean): not measured\n");
	if (!count[R_JIT_KERNEL] && !count[R_JIT_DPDK] && !count[R_JIT_NATIVE]) {
		printf("   JIT targets: not measured (no JIT numbers)\n");
	} else {
		char worse[512] = "", far[512] = "";
		for (size_t i = 0; i < N_PROGRAMS; i++) {
			const double *ratios = results[i].ratios;
			if (!results[i].measured)
				continue;
			if ((ratios[R_JIT_KERNEL] > 0 && ratios[R_JIT_KERNEL] < 1 / 1.05) ||
			    (ratios[R_JIT_DPDK] > 0 && ratios[R_JIT_DPDK] < 1 / 1.05))
				snprintf(worse + strlen(worse), sizeof(worse) - strlen(worse), " %s",
					 programs[i].name);
			if (ratios[R_JIT_NATIVE] > 0 && ratios[R_JIT_NATIVE] < 1 / 1.2 &&
			    !native_special(i))
				snprintf(far + strlen(far), sizeof(far) - strlen(far), " %s", programs[i].name);
		}
		if (count[R_JIT_KERNEL])
			printf("   JIT >= 1.2x faster than kernel JIT (geomean): %s (%.2fx)\n",
			       g[R_JIT_KERNEL] >= 1.2 ? "met" : "NOT met", g[R_JIT_KERNEL]);
		printf("   JIT never > 5%% slower than kernel JIT or librte_bpf JIT: %s%s\n",
		       worse[0] ? "NOT met on" : "met", worse);
		printf("   JIT within 1.2x of native where gcc neither vectorises nor calls a library: %s%s\n",
		       far[0] ? "NOT met on" : "met", far);
	}

	printf("summary: ");
	for (int r = 0; r < N_RATIOS; r++) {
		printf("%s%s %s", r ? "; " : "", ratio_names[r], speed(g[r], b, sizeof(b)));
		if (count[r])
			printf(" (geomean of %d)", count[r]);
	}
	printf("\n");
}

/* Loads, checks, times and prints one program (in a child process). */
static void run_program(const struct program *p, struct bench_kernel *empty)
{
	static uint8_t mem[65536] __attribute__((aligned(64)));
	struct column cols[N_COLS];
	size_t len = *p->len, n_loop, n_unrolled;
	char kern_note[160];

	if (len > sizeof(mem)) {
		printf("\n== %s: input of %zu bytes is too large for the harness\n", p->name, len);
		return;
	}
	memset(cols, 0, sizeof(cols));
	fill_input(mem, len);
	read_notes(p->name, current->notes, sizeof(current->notes));
	load_all(p, cols, mem, len, empty, &n_loop, &n_unrolled, kern_note, sizeof(kern_note));
	check_results(p, cols, mem, len);
	measure(p, cols, mem, len);
	print_program(p, cols, len, n_loop, n_unrolled, kern_note);
	current->measured = true;
	for (int c = 0; c < N_COLS; c++) {
		uebpf_prog_free(cols[c].prog);
		bench_dpdk_free(cols[c].dpdk);
		for (int k = 0; c != C_KERNEL_EMPTY && k < cols[c].n_kern; k++)
			bench_kernel_free(cols[c].kern[k]);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench [--filter NAME[,NAME...]] [--reps N] [--batch-ms MS] [--cpu N]\n"
		"             [--dpdk-timeout S] [--no-kernel] [--list]\n"
		"Runs each benchmark program on the uebpf interpreter and JIT, librte_bpf's\n"
		"interpreter and JIT, the kernel's JIT and natively; prints ns per run (median of\n"
		"--reps rounds of --batch-ms each) and the ratios. --filter keeps programs whose\n"
		"name contains one of the given strings.\n");
}

/* The first line of path starting with prefix, after its ": " if any. */
static void read_line(const char *path, const char *prefix, char *out, size_t sz)
{
	char line[256];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)))
			continue;
		char *v = strstr(line, ": ");
		v = v ? v + 2 : line;
		size_t n = strcspn(v, "\n");
		n = n < sz ? n : sz - 1;
		memcpy(out, v, n);
		out[n] = 0;
		break;
	}
	if (f)
		fclose(f);
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "filter", required_argument, NULL, 'f' }, { "reps", required_argument, NULL, 'r' },
		{ "batch-ms", required_argument, NULL, 'b' }, { "cpu", required_argument, NULL, 'c' },
		{ "dpdk-timeout", required_argument, NULL, 't' }, { "no-kernel", no_argument, NULL, 'k' },
		{ "list", no_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	int ch;
	struct bench_kernel *empty = NULL;
	char err[512], path[PATH_MAX + 64];
	bool any = false;

	while ((ch = getopt_long(argc, argv, "f:r:b:c:t:klh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			opt.filter = optarg;
			break;
		case 'r':
			opt.reps = atoi(optarg);
			if (opt.reps < 1 || opt.reps > MAX_REPS)
				return fprintf(stderr, "bench: --reps must be 1..%d\n", MAX_REPS), 1;
			break;
		case 'b':
			opt.batch_ms = atof(optarg);
			if (opt.batch_ms <= 0)
				return fprintf(stderr, "bench: --batch-ms must be positive\n"), 1;
			break;
		case 'c':
			opt.cpu = atoi(optarg);
			break;
		case 't':
			opt.dpdk_timeout = atof(optarg);
			break;
		case 'k':
			opt.no_kernel = true;
			break;
		case 'l':
			for (size_t i = 0; i < N_PROGRAMS; i++)
				printf("%s\n", programs[i].name);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 1;
	}

	for (size_t i = 0; i < N_PROGRAMS; i++)
		any |= filtered_in(programs[i].name);
	if (!any) {
		fprintf(stderr, "bench: no program matches --filter %s (see --list)\n", opt.filter);
		return 1;
	}

	ssize_t got = readlink("/proc/self/exe", opt.dir, sizeof(opt.dir) - 1);
	if (got <= 0)
		return fprintf(stderr, "bench: cannot find my own directory\n"), 1;
	opt.dir[got] = 0;
	*strrchr(opt.dir, '/') = 0;

	if (opt.cpu < 0)
		opt.cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	if (pin_cpu(opt.cpu))
		printf("note: cannot pin to CPU %d: %s\n", opt.cpu, strerror(errno));

	if (opt.no_kernel) {
		snprintf(kernel_off, sizeof(kernel_off), "skipped (--no-kernel)");
	} else {
		path_of(path, sizeof(path), "empty", ".kern.o");
		empty = bench_kernel_load(path, err, sizeof(err));
		if (!empty) {
			snprintf(kernel_off, sizeof(kernel_off), "skipped: cannot load into the kernel (%s)", err);
		} else {
			uint8_t zero[64] = { 0 };
			bench_kernel_set_input(empty, zero, sizeof(zero), err, sizeof(err));
		}
	}

	char host[256] = "?";
	gethostname(host, sizeof(host));
	time_t now = time(NULL);
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&now));
	printf("uebpf benchmarks, %s on %s, pinned to CPU %d; median of %d rounds of ~%.0f ms\n", when,
	       host, opt.cpu, opt.reps, opt.batch_ms);
	char cpu_model[128] = "?", jit_enable[16] = "?", jit_harden[16] = "?";
	read_line("/proc/cpuinfo", "model name", cpu_model, sizeof(cpu_model));
	read_line("/proc/sys/net/core/bpf_jit_enable", "", jit_enable, sizeof(jit_enable));
	read_line("/proc/sys/net/core/bpf_jit_harden", "", jit_harden, sizeof(jit_harden));
	printf("cpu: %s; kernel: bpf_jit_enable=%s bpf_jit_harden=%s\n", cpu_model, jit_enable,
	       jit_harden);
	if (kernel_off[0])
		printf("kernel JIT column: %s\n", kernel_off);

	results = mmap(NULL, N_PROGRAMS * sizeof(*results), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (results == MAP_FAILED)
		return fprintf(stderr, "bench: mmap: %s\n", strerror(errno)), 1;
	for (size_t i = 0; i < N_PROGRAMS; i++) {
		if (!filtered_in(programs[i].name))
			continue;
		current = &results[i];
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			return fprintf(stderr, "bench: fork: %s\n", strerror(errno)), 1;
		if (pid == 0) {
			alarm(opt.program_timeout);
			run_program(&programs[i], empty);
			fflush(stdout);
			_exit(0);
		}
		int status;
		waitpid(pid, &status, 0);
		if (WIFSIGNALED(status) || !WIFEXITED(status) || WEXITSTATUS(status)) {
			int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			current->measured = false;
			snprintf(current->failure, sizeof(current->failure), "%s while %s",
				 sig == SIGALRM ? "TIMED OUT" : sig ? strsignal(sig) : "FAILED",
				 current->stage[0] ? current->stage : "starting");
			printf("\n== %s: %s\n", programs[i].name, current->failure);
		}
	}
	print_summary();
	bench_kernel_free(empty);
	return 0;
}
