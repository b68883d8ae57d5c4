/* Checking classic programs: the kernel's rules (bpf_check_classic, applied
 * to SO_ATTACH_FILTER), and a looser set for programs that only uebpf's cBPF
 * interpreter runs (libpcap's validator, made safe). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "classic/internal.h"

/* The loose rules allow longer programs than the kernel, as libpcap does;
 * this bound only keeps offsets far from overflow. */
#define LOOSE_MAX_INSNS (1u << 20)

bool classic_code_allowed(uint16_t code)
{
	switch (code) {
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LD | BPF_IMM:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_B | BPF_MSH:
	case BPF_LDX | BPF_IMM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	default:
		return false;
	}
}

bool classic_is_ancillary(uint32_t k)
{
	uint32_t ad = k - (uint32_t)SKF_AD_OFF;

	return k >= (uint32_t)SKF_AD_OFF && ad < SKF_AD_MAX && ad % 4 == 0;
}

static bool is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

static int refuse_code(const struct sock_filter *in, size_t i, char *log, size_t log_sz)
{
	switch (in->code) {
	case BPF_RET | BPF_X:
		uebpf_log(log, log_sz, "insn %zu: ret x is not allowed (only ret #k and ret a)", i);
		break;
	case BPF_LDX | BPF_W | BPF_ABS:
		uebpf_log(log, log_sz, "insn %zu: ldx [k] is allowed in seccomp filters only", i);
		break;
	case BPF_LDX | BPF_H | BPF_MSH:
	case BPF_LDX | BPF_W | BPF_MSH:
		uebpf_log(log, log_sz, "insn %zu: 4*([k]&0xf) loads a byte only (ldxb, not ldx%s)", i,
			    BPF_SIZE(in->code) == BPF_H ? "h" : "");
		break;
	default:
		uebpf_log(log, log_sz, "insn %zu: unknown opcode 0x%x", i, in->code);
		break;
	}
	return -EINVAL;
}

static int check_size(const struct sock_filter *insns, size_t n, size_t max, char *log, size_t log_sz)
{
	if (!insns || n == 0) {
		uebpf_log(log, log_sz, "program is empty");
		return -EINVAL;
	}
	if (n > max) {
		uebpf_log(log, log_sz, "program has %zu instructions, more than %zu", n, max);
		return -EINVAL;
	}
	return 0;
}

/* The kernel's check_load_and_stores: one pass in program order with a
 * 16-bit mask of written slots; a jump ANDs its mask into its targets and
 * resets the running mask. The mask also runs on past a `ret`, as the
 * kernel's does, which makes the rule slightly stricter than reachability. */
static int check_scratch(const struct sock_filter *insns, size_t n, char *log, size_t log_sz)
{
	uint16_t masks[UEBPF_CLASSIC_MAX_INSNS];
	uint16_t valid = 0;

	for (size_t i = 0; i < n; i++)
		masks[i] = 0xffff;
	for (size_t i = 0; i < n; i++) {
		const struct sock_filter *in = &insns[i];

		valid &= masks[i];
		switch (in->code) {
		case BPF_ST:
		case BPF_STX:
			valid |= 1u << in->k;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(valid & (1u << in->k))) {
				uebpf_log(log, log_sz, "insn %zu: M[%u] is read before it is written on every path", i,
					    in->k);
				return -EINVAL;
			}
			break;
		case BPF_JMP | BPF_JA:
			masks[i + 1 + in->k] &= valid;
			valid = 0xffff;
			break;
		default:
			if (is_cond_jump(in->code)) {
				masks[i + 1 + in->jt] &= valid;
				masks[i + 1 + in->jf] &= valid;
				valid = 0xffff;
			}
			break;
		}
	}
	return 0;
}

/* The rules for one instruction; kernel selects bpf_check_classic's, else
 * the loose ones. */
static int check_insn(const struct sock_filter *insns, size_t n, size_t i, bool kernel, char *log, size_t log_sz)
{
	const struct sock_filter *in = &insns[i];

	if (!classic_code_allowed(in->code))
		return refuse_code(in, i, log, log_sz);
	switch (in->code) {
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		if (in->k == 0) {
			uebpf_log(log, log_sz, "insn %zu: %s by constant zero", i,
				    BPF_OP(in->code) == BPF_DIV ? "division" : "modulo");
			return -EINVAL;
		}
		return 0;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		if (kernel && in->k >= 32) {
			uebpf_log(log, log_sz, "insn %zu: shift by %u (32 or more)", i, in->k);
			return -EINVAL;
		}
		return 0;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		if (in->k >= BPF_MEMWORDS) {
			uebpf_log(log, log_sz, "insn %zu: scratch slot M[%u] out of range (M[0] to M[15])", i, in->k);
			return -EINVAL;
		}
		return 0;
	case BPF_JMP | BPF_JA: {
		if (kernel && in->k >= n - i - 1) {
			/* k is unsigned here: a backward jump is a huge forward one */
			if ((int32_t)in->k < 0)
				uebpf_log(log, log_sz, "insn %zu: jump backwards (ja %d)", i, (int32_t)in->k);
			else
				uebpf_log(log, log_sz, "insn %zu: jump past the end (ja %u)", i, in->k);
			return -EINVAL;
		}
		/* libpcap's interpreter adds k as a signed offset */
		int64_t target = (int64_t)i + 1 + (int32_t)in->k;
		if (!kernel && (target < 0 || target >= (int64_t)n)) {
			uebpf_log(log, log_sz, "insn %zu: jump outside the program (ja %d)", i, (int32_t)in->k);
			return -EINVAL;
		}
		return 0;
	}
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
		if (kernel && in->k >= (uint32_t)SKF_AD_OFF && !classic_is_ancillary(in->k)) {
			uebpf_log(log, log_sz, "insn %zu: unknown ancillary offset SKF_AD_OFF+%u", i,
				    in->k - (uint32_t)SKF_AD_OFF);
			return -EINVAL;
		}
		return 0;
	default:
		if (is_cond_jump(in->code) && (i + in->jt + 1 >= n || i + in->jf + 1 >= n)) {
			uebpf_log(log, log_sz, "insn %zu: jump past the end (jt %u, jf %u)", i, in->jt, in->jf);
			return -EINVAL;
		}
		return 0;
	}
}

int uebpf_classic_check(const struct sock_filter *insns, size_t n, char *log, size_t log_sz)
{
	int err = check_size(insns, n, UEBPF_CLASSIC_MAX_INSNS, log, log_sz);

	for (size_t i = 0; !err && i < n; i++)
		err = check_insn(insns, n, i, true, log, log_sz);
	if (err)
		return err;
	uint16_t last = insns[n - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A)) {
		uebpf_log(log, log_sz, "insn %zu: the last instruction must be ret", n - 1);
		return -EINVAL;
	}
	return check_scratch(insns, n, log, log_sz);
}

int uebpf_classic_check_loose(const struct sock_filter *insns, size_t n, char *log, size_t log_sz)
{
	int err = check_size(insns, n, LOOSE_MAX_INSNS, log, log_sz);

	for (size_t i = 0; !err && i < n; i++)
		err = check_insn(insns, n, i, false, log, log_sz);
	if (err)
		return err;
	/* every other instruction continues with the next one */
	uint16_t last = insns[n - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A) && last != (BPF_JMP | BPF_JA)) {
		uebpf_log(log, log_sz, "insn %zu: runs off the end of the program", n - 1);
		return -EINVAL;
	}
	return 0;
}
