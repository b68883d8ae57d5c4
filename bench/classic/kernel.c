/* The kernel's JIT as a peer. A classic filter cannot be test-run as such,
 * so it is translated here for SCHED_CLS (whose context sees the whole
 * frame) with direct packet loads guarded the way the kernel's verifier
 * accepts, which is what the kernel's own conversion of a classic filter
 * (bpf_convert_filter's inline fast path) executes. Only what libpcap's
 * offline filters use is supported: no ancillary or negative offsets. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "bench_classic.h"

#define MAX_OUT 65536
#define FAIL SIZE_MAX

struct out {
	struct bpf_insn insns[MAX_OUT];
	size_t n;
	size_t fix_at[MAX_OUT], fix_to[MAX_OUT], n_fix;
	size_t start[4097];
};

struct cb_kernel {
	int empty_fd;
	struct out out;
};

static void emit(struct out *o, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (o->n < MAX_OUT)
		o->insns[o->n++] = (struct bpf_insn){ code, dst, src, off, imm };
}

static void emit_jump(struct out *o, uint8_t code, uint8_t dst, uint8_t src, int32_t imm, size_t to)
{
	if (o->n_fix < MAX_OUT) {
		o->fix_at[o->n_fix] = o->n;
		o->fix_to[o->n_fix++] = to;
	}
	emit(o, code, dst, src, 0, imm);
}

static uint8_t size_code(uint32_t size)
{
	return size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
}

/* dst = P[k:size], k constant */
static bool emit_abs(struct out *o, uint8_t dst, uint32_t k, uint32_t size)
{
	if (k > 0xffff - size)
		return false;
	emit(o, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_8, 0, 0);
	emit(o, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, (int32_t)(k + size));
	emit_jump(o, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_2, BPF_REG_9, 0, FAIL);
	emit(o, BPF_LDX | BPF_MEM | size_code(size), dst, BPF_REG_8, (int16_t)k, 0);
	return true;
}

static bool translate(struct out *o, const struct sock_filter *f, size_t n)
{
	o->n = o->n_fix = 0;
	emit(o, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(o, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_7, 0, 0, 0);
	emit(o, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	emit(o, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_8, BPF_REG_6, offsetof(struct __sk_buff, data), 0);
	emit(o, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_9, BPF_REG_6, offsetof(struct __sk_buff, data_end), 0);
	for (size_t i = 0; i < n; i++) {
		uint16_t c = f[i].code;
		uint32_t k = f[i].k, size = BPF_SIZE(c) == BPF_W ? 4 : BPF_SIZE(c) == BPF_H ? 2 : 1;
		o->start[i] = o->n;
		switch (BPF_CLASS(c)) {
		case BPF_RET:
			if (BPF_RVAL(c) == BPF_K)
				emit(o, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, (int32_t)k);
			emit(o, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
			break;
		case BPF_LD:
		case BPF_LDX: {
			uint8_t dst = BPF_CLASS(c) == BPF_LD ? BPF_REG_0 : BPF_REG_7;
			switch (BPF_MODE(c)) {
			case BPF_ABS:
				if (!emit_abs(o, BPF_REG_0, k, size))
					return false;
				break;
			case BPF_IND:
				if (k > 0xffff)
					return false;
				emit(o, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_7, 0, 0);
				emit(o, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, (int32_t)k);
				emit_jump(o, BPF_JMP | BPF_JGT | BPF_K, BPF_REG_2, 0, 0xffff, FAIL);
				emit(o, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_8, 0, 0);
				emit(o, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
				emit(o, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_3, 0, 0);
				emit(o, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, (int32_t)size);
				emit_jump(o, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_2, BPF_REG_9, 0, FAIL);
				emit(o, BPF_LDX | BPF_MEM | size_code(size), BPF_REG_0, BPF_REG_3, 0, 0);
				break;
			case BPF_MSH:
				if (!emit_abs(o, BPF_REG_7, k, 1))
					return false;
				emit(o, BPF_ALU | BPF_AND | BPF_K, BPF_REG_7, 0, 0, 0xf);
				emit(o, BPF_ALU | BPF_LSH | BPF_K, BPF_REG_7, 0, 0, 2);
				break;
			case BPF_LEN:
				emit(o, BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_6, offsetof(struct __sk_buff, len), 0);
				break;
			case BPF_IMM:
				emit(o, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (int32_t)k);
				break;
			case BPF_MEM:
				emit(o, BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10, (int16_t)(-4 * (int)k - 4), 0);
				break;
			default:
				return false;
			}
			if ((BPF_MODE(c) == BPF_ABS || BPF_MODE(c) == BPF_IND) && size > 1)
				emit(o, BPF_ALU | BPF_END | BPF_TO_BE, BPF_REG_0, 0, 0, (int32_t)size * 8);
			break;
		}
		case BPF_ST:
		case BPF_STX:
			emit(o, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, c == BPF_ST ? BPF_REG_0 : BPF_REG_7,
			     (int16_t)(-4 * (int)k - 4), 0);
			break;
		case BPF_MISC:
			if (BPF_MISCOP(c) == BPF_TAX)
				emit(o, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
			else
				emit(o, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_7, 0, 0);
			break;
		case BPF_ALU:
			if (BPF_OP(c) == BPF_NEG) {
				emit(o, BPF_ALU | BPF_NEG, BPF_REG_0, 0, 0, 0);
			} else if (BPF_SRC(c) == BPF_X) {
				if (BPF_OP(c) == BPF_DIV || BPF_OP(c) == BPF_MOD)
					emit_jump(o, BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_7, 0, 0, FAIL);
				if (BPF_OP(c) == BPF_LSH || BPF_OP(c) == BPF_RSH) {
					/* libpcap: a shift by 32 or more gives 0 */
					emit(o, BPF_JMP32 | BPF_JLT | BPF_K, BPF_REG_7, 0, 2, 32);
					emit(o, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
					emit(o, BPF_JMP | BPF_JA, 0, 0, 1, 0);
				}
				emit(o, BPF_ALU | BPF_OP(c) | BPF_X, BPF_REG_0, BPF_REG_7, 0, 0);
			} else {
				emit(o, BPF_ALU | BPF_OP(c) | BPF_K, BPF_REG_0, 0, 0, (int32_t)k);
			}
			break;
		case BPF_JMP:
			if (BPF_OP(c) == BPF_JA) {
				emit_jump(o, BPF_JMP | BPF_JA, 0, 0, 0, i + 1 + k);
				break;
			}
			{
				/* one conditional jump where one target is the next insn, as the kernel does */
				uint8_t op = BPF_OP(c), src = BPF_SRC(c) == BPF_X ? BPF_REG_7 : 0;
				uint8_t inv = op == BPF_JEQ ? BPF_JNE : op == BPF_JGT ? BPF_JLE : op == BPF_JGE ? BPF_JLT : 0;
				int32_t imm = src ? 0 : (int32_t)k;
				size_t t = i + 1 + f[i].jt, fl = i + 1 + f[i].jf;
				if (t == fl) {
					emit_jump(o, BPF_JMP | BPF_JA, 0, 0, 0, t);
				} else if (fl == i + 1) {
					emit_jump(o, BPF_JMP32 | op | BPF_SRC(c), BPF_REG_0, src, imm, t);
				} else if (t == i + 1 && inv) {
					emit_jump(o, BPF_JMP32 | inv | BPF_SRC(c), BPF_REG_0, src, imm, fl);
				} else {
					emit_jump(o, BPF_JMP32 | op | BPF_SRC(c), BPF_REG_0, src, imm, t);
					emit_jump(o, BPF_JMP | BPF_JA, 0, 0, 0, fl);
				}
			}
			break;
		}
	}
	o->start[n] = o->n;
	emit(o, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(o, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t j = 0; j < o->n_fix; j++) {
		size_t to = o->fix_to[j] == FAIL ? o->start[n] : o->start[o->fix_to[j]];
		o->insns[o->fix_at[j]].off = (int16_t)((long)to - (long)o->fix_at[j] - 1);
	}
	return o->n < MAX_OUT;
}

static int load(const struct bpf_insn *insns, size_t n, char *err, size_t err_sz)
{
	static char log[65536];
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "classic", "GPL", insns, n, &opts);
	if (fd < 0) {
		/* the verifier's complaint is the line before its statistics */
		char *end = strstr(log, "\nprocessed"), *line = end;
		while (line && line > log && line[-1] != '\n')
			line--;
		snprintf(err, err_sz, "BPF_PROG_LOAD: %s%s%.*s", strerror(errno), end ? ": " : "",
			 end ? (int)(end - line) : 0, end ? line : "");
	}
	return fd;
}

/* Mean of the kernel's per-run ns over the packets it takes: test_run
 * refuses frames whose headers it cannot parse (EINVAL), which are marked
 * in skipped[]. */
static double time_prog(int fd, const struct cb_packets *pk, uint32_t repeat, size_t *accepted, size_t *tested,
			uint8_t *skipped, char *err, size_t err_sz)
{
	double sum = 0;

	*accepted = *tested = 0;
	for (size_t i = 0; i < pk->n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pk->data[i], .data_size_in = pk->caplen[i],
			    .repeat = repeat);
		skipped[i] = 1;
		if (bpf_prog_test_run_opts(fd, &run)) {
			if (errno == EINVAL)
				continue;
			snprintf(err, err_sz, "BPF_PROG_TEST_RUN: %s", strerror(errno));
			return -1;
		}
		skipped[i] = 0;
		sum += run.duration;
		*accepted += run.retval != 0;
		(*tested)++;
	}
	return *tested ? sum / (double)*tested : -1;
}

struct cb_kernel *cb_kernel_open(char *err, size_t err_sz)
{
	const struct bpf_insn empty[] = { { BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 0 }, { BPF_JMP | BPF_EXIT, 0, 0, 0, 0 } };
	struct cb_kernel *k = calloc(1, sizeof(*k));

	if (!k) {
		snprintf(err, err_sz, "out of memory");
		return NULL;
	}
	k->empty_fd = load(empty, 2, err, err_sz);
	if (k->empty_fd < 0) {
		free(k);
		return NULL;
	}
	return k;
}

double cb_kernel_run(struct cb_kernel *k, const struct sock_filter *insns, size_t n, const struct cb_packets *pk,
		     uint32_t repeat, size_t *accepted, size_t *tested, uint8_t *skipped, char *err, size_t err_sz)
{
	size_t dummy_acc, dummy_tested;

	if (n > 4096 || !translate(&k->out, insns, n)) {
		snprintf(err, err_sz, "the program uses what the SCHED_CLS translation does not support");
		return -1;
	}
	int fd = load(k->out.insns, k->out.n, err, err_sz);
	if (fd < 0)
		return -1;
	double ns = time_prog(fd, pk, repeat, accepted, tested, skipped, err, err_sz);
	double base = ns < 0 ? -1 : time_prog(k->empty_fd, pk, repeat, &dummy_acc, &dummy_tested, skipped, err, err_sz);
	close(fd);
	return ns < 0 || base < 0 ? -1 : ns - base;
}

void cb_kernel_close(struct cb_kernel *k)
{
	if (!k)
		return;
	close(k->empty_fd);
	free(k);
}
