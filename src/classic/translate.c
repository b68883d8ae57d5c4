/* cBPF -> eBPF, after the kernel's bpf_convert_filter.
 *
 * Registers: A = r0 and X = r7 (zero-extended 32-bit values: every ALU
 * operation is ALU32), r6 = the packet descriptor (struct uebpf_classic_pkt,
 * r1 at entry), r8 = its data pointer and r9 = its caplen, r2/r3 scratch.
 * M[k] is the 32-bit stack word at r10 - 4k - 4.
 *
 * Packet loads at constant non-negative offsets become a bounds check of
 * offset + size against r9 and a direct load plus byte swap; a failed check
 * jumps to a shared `return 0`. Indirect loads check X + k the same way and
 * call a helper only when the check fails (negative SKF_NET_OFF/SKF_LL_OFF
 * offsets, or a real miss). Conditional jumps compare 32 bits (JMP32), so a
 * k with its top bit set needs no temporary register.
 */
#include <errno.h>
#include <stdlib.h>

#include <uebpf/engine.h>

#include "classic/internal.h"

enum {
	REG_A = BPF_REG_0,
	REG_TMP = BPF_REG_2,
	REG_TMP2 = BPF_REG_3,
	REG_CTX = BPF_REG_6,
	REG_X = BPF_REG_7,
	REG_DATA = BPF_REG_8,
	REG_LEN = BPF_REG_9,
	REG_FP = BPF_REG_10,
};

/* Jump targets not known while emitting: a cBPF instruction index, or
 * FAIL for the shared `return 0` at the end. */
#define TARGET_FAIL SIZE_MAX

struct fixup {
	size_t at;     /* eBPF index of the jump */
	size_t target; /* cBPF index, or TARGET_FAIL */
};

struct out {
	struct bpf_insn *insns;
	size_t n, cap;
	struct fixup *fix;
	size_t n_fix, cap_fix;
	bool oom;
};

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static void emit(struct out *o, struct bpf_insn in)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		struct bpf_insn *p = realloc(o->insns, cap * sizeof(*p));
		if (!p) {
			o->oom = true;
			return;
		}
		o->insns = p;
		o->cap = cap;
	}
	o->insns[o->n++] = in;
}

/* A jump (already in JMP or JMP32 form) whose offset is patched later. */
static void emit_jump(struct out *o, struct bpf_insn in, size_t target)
{
	if (o->n_fix == o->cap_fix) {
		size_t cap = o->cap_fix ? o->cap_fix * 2 : 64;
		struct fixup *p = realloc(o->fix, cap * sizeof(*p));
		if (!p) {
			o->oom = true;
			return;
		}
		o->fix = p;
		o->cap_fix = cap;
	}
	o->fix[o->n_fix++] = (struct fixup){ o->n, target };
	emit(o, in);
}

static uint8_t ldx_size(uint32_t size)
{
	return size == 8 ? BPF_DW : size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
}

/* dst = big-endian value of size bytes at REG_DATA + k (k >= 0). */
static void emit_direct_load(struct out *o, uint8_t dst, uint32_t k, uint32_t size)
{
	if (k <= INT16_MAX) {
		emit(o, insn(BPF_LDX | BPF_MEM | ldx_size(size), dst, REG_DATA, (int16_t)k, 0));
	} else {
		emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP, REG_DATA, 0, 0));
		emit(o, insn(BPF_ALU64 | BPF_ADD | BPF_K, REG_TMP, 0, 0, (int32_t)k));
		emit(o, insn(BPF_LDX | BPF_MEM | ldx_size(size), dst, REG_TMP, 0, 0));
	}
	if (size > 1)
		emit(o, insn(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, (int32_t)size * 8));
}

/* A = slow_load(pkt, REG_TMP, size), or return 0 when it fails. Clobbers
 * r1-r5, which hold nothing of the filter's. */
static void emit_helper_load(struct out *o, uint32_t size)
{
	emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, REG_CTX, 0, 0));
	emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, (int32_t)size));
	emit(o, insn(BPF_JMP | BPF_CALL, 0, 0, 0, CLASSIC_HELPER_LOAD));
	emit_jump(o, insn(BPF_JMP | BPF_JSLT | BPF_K, REG_A, 0, 0, 0), TARGET_FAIL);
}

/* dst = P[k:size] for a constant k (ld ABS, ldxb MSH); negative k goes
 * through the helper, which also needs A in r0 to survive: callers that
 * load into X handle that themselves. */
static void emit_abs_load(struct out *o, uint8_t dst, uint32_t k, uint32_t size)
{
	if ((int32_t)k < 0) {
		emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_TMP, 0, 0, (int32_t)k));
		emit_helper_load(o, size);
		if (dst != REG_A)
			emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, REG_A, 0, 0));
		return;
	}
	uint64_t end = (uint64_t)k + size;
	if (end <= INT32_MAX) {
		emit_jump(o, insn(BPF_JMP | BPF_JLT | BPF_K, REG_LEN, 0, 0, (int32_t)end), TARGET_FAIL);
	} else {
		emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_TMP, 0, 0, (int32_t)(uint32_t)end));
		emit_jump(o, insn(BPF_JMP | BPF_JLT | BPF_X, REG_LEN, REG_TMP, 0, 0), TARGET_FAIL);
	}
	emit_direct_load(o, dst, k, size);
}

/* A = P[X + k:size]. libpcap adds in 64 bits (no wrap), the kernel in 32. */
static void emit_ind_load(struct out *o, uint32_t k, uint32_t size, enum uebpf_classic_semantics sem)
{
	emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_TMP, 0, 0, (int32_t)k));
	emit(o, insn((sem == UEBPF_CLASSIC_KERNEL ? BPF_ALU : BPF_ALU64) | BPF_ADD | BPF_X, REG_TMP, REG_X, 0, 0));
	emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP2, REG_TMP, 0, 0));
	emit(o, insn(BPF_ALU64 | BPF_ADD | BPF_K, REG_TMP2, 0, 0, (int32_t)size));
	/* offset + size > caplen: negative offset or out of bounds */
	emit(o, insn(BPF_JMP | BPF_JGT | BPF_X, REG_TMP2, REG_LEN, 3 + (size > 1), 0));
	emit(o, insn(BPF_ALU64 | BPF_ADD | BPF_X, REG_TMP, REG_DATA, 0, 0));
	emit(o, insn(BPF_LDX | BPF_MEM | ldx_size(size), REG_A, REG_TMP, 0, 0));
	if (size > 1)
		emit(o, insn(BPF_ALU | BPF_END | BPF_TO_BE, REG_A, 0, 0, (int32_t)size * 8));
	emit(o, insn(BPF_JMP | BPF_JA, 0, 0, 4, 0));
	emit_helper_load(o, size);
}

/* X = 4 * (P[k:1] & 0xf) */
static void emit_msh(struct out *o, uint32_t k)
{
	if ((int32_t)k < 0) {
		/* the helper returns into r0: keep A in X meanwhile, as the kernel does */
		emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_X, REG_A, 0, 0));
		emit_abs_load(o, REG_A, k, 1);
		emit(o, insn(BPF_ALU | BPF_AND | BPF_K, REG_A, 0, 0, 0xf));
		emit(o, insn(BPF_ALU | BPF_LSH | BPF_K, REG_A, 0, 0, 2));
		emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP, REG_X, 0, 0));
		emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_X, REG_A, 0, 0));
		emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_A, REG_TMP, 0, 0));
		return;
	}
	emit_abs_load(o, REG_X, k, 1);
	emit(o, insn(BPF_ALU | BPF_AND | BPF_K, REG_X, 0, 0, 0xf));
	emit(o, insn(BPF_ALU | BPF_LSH | BPF_K, REG_X, 0, 0, 2));
}

static void emit_field_load(struct out *o, uint8_t dst, size_t off, uint32_t size)
{
	emit(o, insn(BPF_LDX | BPF_MEM | ldx_size(size), dst, REG_CTX, (int16_t)off, 0));
}

#define FIELD(name) offsetof(struct uebpf_classic_pkt, name), sizeof(((struct uebpf_classic_pkt *)0)->name)

/* A = ancillary value at SKF_AD_OFF + ad; the load size does not matter,
 * as in the kernel. */
static void emit_ancillary(struct out *o, uint32_t ad)
{
	uint32_t helper = 0;

	switch (ad) {
	case SKF_AD_PROTOCOL:
		emit_field_load(o, REG_A, FIELD(protocol));
		return;
	case SKF_AD_PKTTYPE:
		emit_field_load(o, REG_A, FIELD(pkttype));
		return;
	case SKF_AD_IFINDEX:
		emit_field_load(o, REG_A, FIELD(ifindex));
		return;
	case SKF_AD_MARK:
		emit_field_load(o, REG_A, FIELD(mark));
		return;
	case SKF_AD_QUEUE:
		emit_field_load(o, REG_A, FIELD(queue));
		return;
	case SKF_AD_HATYPE:
		emit_field_load(o, REG_A, FIELD(hatype));
		return;
	case SKF_AD_RXHASH:
		emit_field_load(o, REG_A, FIELD(rxhash));
		return;
	case SKF_AD_VLAN_TAG:
		emit_field_load(o, REG_A, FIELD(vlan_tci));
		return;
	case SKF_AD_VLAN_TAG_PRESENT:
		emit_field_load(o, REG_A, FIELD(vlan_present));
		return;
	case SKF_AD_VLAN_TPID:
		emit_field_load(o, REG_A, FIELD(vlan_tpid));
		return;
	case SKF_AD_ALU_XOR_X:
		emit(o, insn(BPF_ALU | BPF_XOR | BPF_X, REG_A, REG_X, 0, 0));
		return;
	case SKF_AD_PAY_OFFSET:
		helper = CLASSIC_HELPER_PAY_OFFSET;
		break;
	case SKF_AD_NLATTR:
		helper = CLASSIC_HELPER_NLATTR;
		break;
	case SKF_AD_NLATTR_NEST:
		helper = CLASSIC_HELPER_NLATTR_NEST;
		break;
	case SKF_AD_CPU:
		helper = CLASSIC_HELPER_CPU;
		break;
	case SKF_AD_RANDOM:
		helper = CLASSIC_HELPER_RANDOM;
		break;
	}
	/* computed values: helper(pkt, A, X), as the kernel calls them */
	emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, REG_CTX, 0, 0));
	emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, REG_A, 0, 0));
	emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, REG_X, 0, 0));
	emit(o, insn(BPF_JMP | BPF_CALL, 0, 0, 0, (int32_t)helper));
}

static void emit_shift_x(struct out *o, uint8_t op, enum uebpf_classic_semantics sem)
{
	if (sem == UEBPF_CLASSIC_LIBPCAP) {
		/* libpcap: a shift by 32 or more gives 0; eBPF would mask the count */
		emit(o, insn(BPF_JMP32 | BPF_JLT | BPF_K, REG_X, 0, 2, 32));
		emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_A, 0, 0, 0));
		emit(o, insn(BPF_JMP | BPF_JA, 0, 0, 1, 0));
	}
	emit(o, insn(BPF_ALU | op | BPF_X, REG_A, REG_X, 0, 0));
}

static int16_t stack_slot(uint32_t k)
{
	return (int16_t)(-4 * (int32_t)k - 4);
}

static bool uses_packet(const struct sock_filter *insns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t c = insns[i].code;
		if (BPF_CLASS(c) == BPF_LD && BPF_MODE(c) == BPF_IND)
			return true;
		if (c == (BPF_LDX | BPF_B | BPF_MSH))
			return true;
		if (BPF_CLASS(c) == BPF_LD && BPF_MODE(c) == BPF_ABS && !classic_is_ancillary(insns[i].k))
			return true;
	}
	return false;
}

/* The inverse of a JMP32 condition, where eBPF has one. */
static uint8_t inverse(uint8_t op)
{
	switch (op) {
	case BPF_JEQ:
		return BPF_JNE;
	case BPF_JGT:
		return BPF_JLE;
	case BPF_JGE:
		return BPF_JLT;
	default:
		return 0;
	}
}

static void emit_cond_jump(struct out *o, const struct sock_filter *in, size_t i)
{
	uint8_t op = BPF_OP(in->code), src = BPF_SRC(in->code);
	size_t t = i + 1 + in->jt, f = i + 1 + in->jf;
	struct bpf_insn j = src == BPF_X ? insn(BPF_JMP32 | op | BPF_X, REG_A, REG_X, 0, 0)
					 : insn(BPF_JMP32 | op | BPF_K, REG_A, 0, 0, (int32_t)in->k);

	if (t == f) {
		if (t != i + 1)
			emit_jump(o, insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), t);
	} else if (f == i + 1) {
		emit_jump(o, j, t);
	} else if (t == i + 1 && inverse(op)) {
		j.code = BPF_JMP32 | inverse(op) | src;
		emit_jump(o, j, f);
	} else {
		emit_jump(o, j, t);
		emit_jump(o, insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), f);
	}
}

static void emit_one(struct out *o, const struct sock_filter *insns, size_t i, enum uebpf_classic_semantics sem)
{
	const struct sock_filter *in = &insns[i];
	uint32_t k = in->k;
	uint32_t size = BPF_SIZE(in->code) == BPF_W ? 4 : BPF_SIZE(in->code) == BPF_H ? 2 : 1;

	switch (in->code) {
	case BPF_RET | BPF_K:
		emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_A, 0, 0, (int32_t)k));
		emit(o, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
		return;
	case BPF_RET | BPF_A:
		emit(o, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
		return;
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
		if (classic_is_ancillary(k))
			emit_ancillary(o, k - (uint32_t)SKF_AD_OFF);
		else
			emit_abs_load(o, REG_A, k, size);
		return;
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
		emit_ind_load(o, k, size, sem);
		return;
	case BPF_LDX | BPF_B | BPF_MSH:
		emit_msh(o, k);
		return;
	case BPF_LD | BPF_W | BPF_LEN:
		emit_field_load(o, REG_A, FIELD(wirelen));
		return;
	case BPF_LDX | BPF_W | BPF_LEN:
		emit_field_load(o, REG_X, FIELD(wirelen));
		return;
	case BPF_LD | BPF_IMM:
		emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_A, 0, 0, (int32_t)k));
		return;
	case BPF_LDX | BPF_IMM:
		emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_X, 0, 0, (int32_t)k));
		return;
	case BPF_LD | BPF_MEM:
		emit(o, insn(BPF_LDX | BPF_MEM | BPF_W, REG_A, REG_FP, stack_slot(k), 0));
		return;
	case BPF_LDX | BPF_MEM:
		emit(o, insn(BPF_LDX | BPF_MEM | BPF_W, REG_X, REG_FP, stack_slot(k), 0));
		return;
	case BPF_ST:
		emit(o, insn(BPF_STX | BPF_MEM | BPF_W, REG_FP, REG_A, stack_slot(k), 0));
		return;
	case BPF_STX:
		emit(o, insn(BPF_STX | BPF_MEM | BPF_W, REG_FP, REG_X, stack_slot(k), 0));
		return;
	case BPF_MISC | BPF_TAX:
		emit(o, insn(BPF_ALU | BPF_MOV | BPF_X, REG_X, REG_A, 0, 0));
		return;
	case BPF_MISC | BPF_TXA:
		emit(o, insn(BPF_ALU | BPF_MOV | BPF_X, REG_A, REG_X, 0, 0));
		return;
	case BPF_JMP | BPF_JA:
		if (k)
			emit_jump(o, insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), i + 1 + k);
		return;
	case BPF_ALU | BPF_NEG:
		emit(o, insn(BPF_ALU | BPF_NEG, REG_A, 0, 0, 0));
		return;
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_X:
		/* division by zero X ends the filter with 0 */
		emit_jump(o, insn(BPF_JMP32 | BPF_JEQ | BPF_K, REG_X, 0, 0, 0), TARGET_FAIL);
		emit(o, insn(BPF_ALU | BPF_OP(in->code) | BPF_X, REG_A, REG_X, 0, 0));
		return;
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_X:
		emit_shift_x(o, BPF_OP(in->code), sem);
		return;
	default:
		break;
	}
	if (BPF_CLASS(in->code) == BPF_ALU) {
		if (BPF_SRC(in->code) == BPF_X)
			emit(o, insn(BPF_ALU | BPF_OP(in->code) | BPF_X, REG_A, REG_X, 0, 0));
		else
			emit(o, insn(BPF_ALU | BPF_OP(in->code) | BPF_K, REG_A, 0, 0, (int32_t)k));
		return;
	}
	emit_cond_jump(o, in, i);
}

int uebpf_classic_translate(const struct sock_filter *insns, size_t n, enum uebpf_classic_semantics sem,
			    struct bpf_insn **out, size_t *n_out, char *log, size_t log_sz)
{
	struct out o = { 0 };
	size_t *start = NULL;
	int err;

	*out = NULL;
	*n_out = 0;
	err = uebpf_classic_check(insns, n, log, log_sz);
	if (err)
		return err;
	start = malloc((n + 1) * sizeof(*start));
	if (!start)
		goto oom;

	emit(&o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_A, 0, 0, 0));
	emit(&o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_X, 0, 0, 0));
	emit(&o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_CTX, BPF_REG_1, 0, 0));
	if (uses_packet(insns, n)) {
		emit_field_load(&o, REG_DATA, offsetof(struct uebpf_classic_pkt, data), 8);
		emit_field_load(&o, REG_LEN, FIELD(caplen));
	}
	for (size_t i = 0; i < n; i++) {
		start[i] = o.n;
		emit_one(&o, insns, i, sem);
	}
	/* the shared `return 0` of failed loads and division by zero */
	start[n] = o.n;
	bool fails = false;
	for (size_t f = 0; f < o.n_fix; f++)
		fails |= o.fix[f].target == TARGET_FAIL;
	if (fails) {
		emit(&o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_A, 0, 0, 0));
		emit(&o, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	}
	if (o.oom)
		goto oom;

	for (size_t f = 0; f < o.n_fix; f++) {
		size_t target = start[o.fix[f].target == TARGET_FAIL ? n : o.fix[f].target];
		int64_t off = (int64_t)target - (int64_t)o.fix[f].at - 1;
		if (off < INT16_MIN || off > INT16_MAX) {
			size_t from = 0;
			while (from + 1 < n && start[from + 1] <= o.fix[f].at)
				from++;
			uebpf_log(log, log_sz, "insn %zu: jump too far for eBPF's 16-bit offsets after translation",
				    from);
			err = -EINVAL;
			goto out;
		}
		o.insns[o.fix[f].at].off = (int16_t)off;
	}
	*out = o.insns;
	*n_out = o.n;
	o.insns = NULL;
	err = 0;
	goto out;
oom:
	uebpf_log(log, log_sz, "out of memory");
	err = -ENOMEM;
out:
	free(start);
	free(o.fix);
	free(o.insns);
	return err;
}
