/* Differential test: random programs (tests/lib/gen.c) run in the uebpf
 * interpreter and in the kernel (BPF_PROG_TEST_RUN) must return the same
 * 64-bit r0 and leave the same bytes in their input memory.
 *
 * The kernel gives a program neither our memory nor a 64-bit return value, so
 * each generated program is wrapped before loading it there:
 *   prologue: look up the only element of an array map whose value is the
 *             input memory followed by 8 bytes for r0; r1 = value, r2 = length;
 *   body:     the generated program, each `exit` of its main function turned
 *             into a jump to the epilogue (subprograms are left as they are);
 *   epilogue: look the element up again, store r0 after the memory, return 0.
 * The test fills the value before each run and reads it back afterwards.
 *
 * Env: UEBPF_DIFF_PROGRAMS (default 20000), UEBPF_DIFF_SEED (first seed,
 * default 1; program i uses seed + i, so one failing seed reruns alone with
 * UEBPF_DIFF_SEED=S UEBPF_DIFF_PROGRAMS=1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <uebpf/uebpf.h>

#include "gen.h"

#define MEM_LEN 64
#define VALUE_LEN (MEM_LEN + 8)
#define MAX_BODY 160
#define CAP (8 * MAX_BODY + 256)
#define WRAP_EXTRA 32
#define MAX_MISMATCHES 3
#define MAX_LOGGED_REJECTS 3

static char klog[1 << 20];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct bpf_insn mk(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static bool is_pseudo_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
}

/* A pc-relative jump or a bpf-to-bpf call. */
static bool has_target(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	if (cls != BPF_JMP && cls != BPF_JMP32)
		return false;
	if (op == BPF_CALL)
		return is_pseudo_call(in);
	return op != BPF_EXIT;
}

static int64_t target_of(const struct bpf_insn *in, size_t i)
{
	bool by_imm = is_pseudo_call(in) || in->code == (BPF_JMP32 | BPF_JA);
	return (int64_t)i + 1 + (by_imm ? in->imm : in->off);
}

static void set_target(struct bpf_insn *in, size_t i, size_t t)
{
	int32_t d = (int32_t)((int64_t)t - (int64_t)i - 1);
	if (is_pseudo_call(in) || in->code == (BPF_JMP32 | BPF_JA))
		in->imm = d;
	else
		in->off = (int16_t)d;
}

/* Look up element 0 of map_fd; leaves the value pointer (or NULL) in r0. */
static size_t emit_lookup(struct bpf_insn *out, int map_fd)
{
	size_t k = 0;
	out[k++] = mk(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0);
	out[k++] = mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	out[k++] = mk(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
	out[k++] = mk(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd);
	out[k++] = mk(0, 0, 0, 0, 0);
	out[k++] = mk(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	return k;
}

static size_t moved(size_t i, size_t main_end, size_t prologue, size_t epilogue)
{
	return i < main_end ? prologue + i : prologue + epilogue + i;
}

/* The kernel form of prog[0..n) (see the top of this file); returns its length. */
static size_t wrap_for_kernel(const struct bpf_insn *prog, size_t n, int map_fd, struct bpf_insn *out)
{
	size_t main_end = n;
	for (size_t i = 0; i < n; i += uebpf_insn_slots(&prog[i]))
		if (is_pseudo_call(&prog[i]) && (size_t)target_of(&prog[i], i) < main_end)
			main_end = (size_t)target_of(&prog[i], i);

	size_t p = emit_lookup(out, map_fd);
	out[p++] = mk(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, 0);
	out[p++] = mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	out[p++] = mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	out[p++] = mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0);
	out[p++] = mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, MEM_LEN);

	size_t epi = p + main_end, e = epi;
	out[e++] = mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_0, 0, 0);
	e += emit_lookup(&out[e], map_fd);
	out[e++] = mk(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0);
	out[e++] = mk(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_6, MEM_LEN, 0);
	out[e++] = mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	out[e++] = mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	/* main moves down by the prologue, subprograms also by the epilogue */
	size_t shift = e - epi;
	for (size_t i = 0; i < n; i++) {
		struct bpf_insn in = prog[i];
		size_t at = moved(i, main_end, p, shift);
		if (in.code == (BPF_LD | BPF_IMM | BPF_DW)) {
			out[at] = in;
			out[at + 1] = prog[++i];
			continue;
		}
		if (in.code == (BPF_JMP | BPF_EXIT) && i < main_end) {
			in = mk(BPF_JMP | BPF_JA, 0, 0, 0, 0);
			set_target(&in, at, epi);
		} else if (has_target(&in)) {
			set_target(&in, at, moved((size_t)target_of(&in, i), main_end, p, shift));
		}
		out[at] = in;
	}
	return n + p + shift;
}

static int kernel_load(const struct bpf_insn *insns, size_t n, bool with_log)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	if (with_log) {
		o.log_buf = klog;
		o.log_size = sizeof(klog);
		o.log_level = 1;
		klog[0] = 0;
	}
	/* SCHED_CLS needs privilege, so an unprivileged run skips at the probe
	 * instead of meeting the stricter unprivileged verifier. */
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, NULL, "GPL", insns, n, &o);
	return fd < 0 ? -errno : fd;
}

/* Run prog_fd on mem; fills mem and *r0 from the map afterwards. */
static int kernel_run(int prog_fd, int map_fd, uint8_t *mem, uint64_t *r0)
{
	static uint8_t pkt[64];
	uint8_t value[VALUE_LEN];
	uint32_t key = 0;
	memcpy(value, mem, MEM_LEN);
	memset(value + MEM_LEN, 0xa5, 8);
	if (bpf_map_update_elem(map_fd, &key, value, BPF_ANY))
		return -errno;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);
	if (bpf_prog_test_run_opts(prog_fd, &t))
		return -errno;
	if (bpf_map_lookup_elem(map_fd, &key, value))
		return -errno;
	memcpy(mem, value, MEM_LEN);
	memcpy(r0, value + MEM_LEN, 8);
	return 0;
}

/* Skips (exit 77) when this kernel cannot take part. */
static void probe_kernel(void)
{
	const struct bpf_insn trivial[] = { mk(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0), mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0) };
	int fd = kernel_load(trivial, 2, false);
	if (fd == -EPERM || fd == -ENOSYS || fd == -EACCES) {
		printf("skip: bpf() not permitted: loading a trivial program: %s\n", strerror(-fd));
		exit(77);
	}
	if (fd < 0) {
		printf("loading a trivial program failed: %s\n", strerror(-fd));
		exit(1);
	}
	close(fd);
	/* cpu v4 (Linux 6.6): sdiv, movsx, ldsx, bswap, gotol */
	const struct bpf_insn v4[] = {
		mk(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 7),
		mk(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 1, -1),
		mk(BPF_ALU64 | BPF_MOV | BPF_X, 0, 0, 8, 0),
		mk(BPF_JMP32 | BPF_JA, 0, 0, 0, 0),
		mk(BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 0, 0, 64),
		mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	fd = kernel_load(v4, sizeof(v4) / sizeof(v4[0]), true);
	if (fd < 0) {
		printf("skip: this kernel lacks cpu v4 instructions (sdiv/movsx/bswap/gotol): %s\n", strerror(-fd));
		exit(77);
	}
	close(fd);
}

struct stats {
	size_t programs, mismatches, rejected, insns;
	double t_gen, t_uebpf, t_kload, t_krun;
};

static void report_mismatch(uint64_t seed, const struct bpf_insn *prog, size_t n, const char *what,
			    uint64_t r0_u, uint64_t r0_k, const uint8_t *mem_u, const uint8_t *mem_k)
{
	printf("MISMATCH seed %llu: %s\n", (unsigned long long)seed, what);
	uebpf_disasm(prog, n, UEBPF_ASM_STYLE_UEBPF, stdout);
	printf("r0: uebpf 0x%llx, kernel 0x%llx\n", (unsigned long long)r0_u, (unsigned long long)r0_k);
	for (size_t i = 0; i < MEM_LEN; i++)
		if (mem_u[i] != mem_k[i]) {
			printf("mem[%zu]: uebpf 0x%02x, kernel 0x%02x\n", i, mem_u[i], mem_k[i]);
			break;
		}
}

/* Runs prog in the interpreter (checked, then unchecked when verified). */
static int uebpf_exec(const struct bpf_insn *prog, size_t n, uint32_t flags, const uint8_t *input,
		      uint8_t *mem, uint64_t *r0, char *log, size_t log_sz)
{
	struct uebpf_prog_opts po = { .sz = sizeof(po), .engine = UEBPF_ENGINE_INTERP, .flags = flags };
	struct uebpf_prog *p;
	int err = uebpf_prog_load(prog, n, &po, &p, log, log_sz);
	if (err)
		return err;
	memcpy(mem, input, MEM_LEN);
	err = uebpf_prog_run(p, mem, MEM_LEN, r0, log, log_sz);
	uebpf_prog_free(p);
	return err;
}

/* One program; returns false on a mismatch. */
static bool diff_one(uint64_t seed, size_t idx, int map_fd, struct stats *st)
{
	static struct bpf_insn prog[CAP], kprog[CAP + WRAP_EXTRA];
	struct gen_rng rng = { seed };
	struct gen_opts o = {
		.body_insns = 8 + gen_rand(&rng) % (MAX_BODY - 8),
		.mem_len = MEM_LEN,
		.calls = idx & 1,
		.atomics = idx & 2,
		.kernel_compatible = true,
	};
	uint8_t input[MEM_LEN], mem_u[MEM_LEN], mem_v[MEM_LEN], mem_k[MEM_LEN];
	uint64_t r0_u = 0, r0_v = 0, r0_k = 0;
	char log[256];
	double t0 = now();

	for (size_t i = 0; i < MEM_LEN; i += 8) {
		uint64_t v = gen_rand(&rng);
		memcpy(input + i, &v, 8);
	}
	size_t n = gen_program(&rng, &o, prog, CAP);
	st->programs++;
	st->insns += n;
	if (!n) {
		printf("MISMATCH seed %llu: the generator produced no program\n", (unsigned long long)seed);
		return false;
	}
	double t1 = now();
	st->t_gen += t1 - t0;

	int err = uebpf_exec(prog, n, 0, input, mem_u, &r0_u, log, sizeof(log));
	double t2 = now();
	st->t_uebpf += t2 - t1;
	if (err) {
		printf("MISMATCH seed %llu: uebpf (checked): %s (%s)\n", (unsigned long long)seed, log, strerror(-err));
		uebpf_disasm(prog, n, UEBPF_ASM_STYLE_UEBPF, stdout);
		return false;
	}

	size_t kn = wrap_for_kernel(prog, n, map_fd, kprog);
	int fd = kernel_load(kprog, kn, false);
	double t3 = now();
	st->t_kload += t3 - t2;
	if (fd < 0) {
		if (st->rejected++ < MAX_LOGGED_REJECTS) {
			kernel_load(kprog, kn, true);
			printf("REJECTED seed %llu by the kernel: %s\n", (unsigned long long)seed, strerror(-fd));
			uebpf_disasm(prog, n, UEBPF_ASM_STYLE_UEBPF, stdout);
			printf("kernel log (tail):\n%s\n", strlen(klog) > 3000 ? klog + strlen(klog) - 3000 : klog);
		}
		return true;
	}
	memcpy(mem_k, input, MEM_LEN);
	err = kernel_run(fd, map_fd, mem_k, &r0_k);
	close(fd);
	st->t_krun += now() - t3;
	if (err) {
		printf("MISMATCH seed %llu: kernel test run failed: %s\n", (unsigned long long)seed, strerror(-err));
		return false;
	}
	if (r0_u != r0_k || memcmp(mem_u, mem_k, MEM_LEN)) {
		report_mismatch(seed, prog, n, "interpreter vs kernel", r0_u, r0_k, mem_u, mem_k);
		return false;
	}

	/* The kernel verified it, so the unchecked interpreter must agree too. */
	err = uebpf_exec(prog, n, UEBPF_F_VERIFIED, input, mem_v, &r0_v, log, sizeof(log));
	if (err || r0_v != r0_k || memcmp(mem_v, mem_k, MEM_LEN)) {
		report_mismatch(seed, prog, n, err ? log : "unchecked interpreter vs kernel", r0_v, r0_k, mem_v, mem_k);
		return false;
	}
	return true;
}

int main(void)
{
	const char *env = getenv("UEBPF_DIFF_PROGRAMS");
	size_t programs = env ? strtoull(env, NULL, 0) : 20000;
	env = getenv("UEBPF_DIFF_SEED");
	uint64_t seed0 = env ? strtoull(env, NULL, 0) : 1;

	int map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "uebpf_diff", 4, VALUE_LEN, 1, NULL);
	if (map_fd < 0) {
		bool denied = errno == EPERM || errno == ENOSYS || errno == EACCES;
		printf("%screating an array map: %s\n", denied ? "skip: bpf() not permitted: " : "", strerror(errno));
		return denied ? 77 : 1;
	}
	probe_kernel();

	struct stats st = { 0 };
	double t0 = now();
	for (size_t i = 0; i < programs && st.mismatches < MAX_MISMATCHES; i++)
		if (!diff_one(seed0 + i, i, map_fd, &st))
			st.mismatches++;
	close(map_fd);

	printf("first seed %llu, %zu instructions in all, %.1fs (generate %.1fs, uebpf %.1fs, kernel load %.1fs, "
	       "kernel run %.1fs)\n",
	       (unsigned long long)seed0, st.insns, now() - t0, st.t_gen, st.t_uebpf, st.t_kload, st.t_krun);
	printf("kernel diff: %zu programs, %zu mismatches, %zu rejected by the kernel\n", st.programs, st.mismatches,
	       st.rejected);
	return st.mismatches || st.rejected ? 1 : 0;
}
