/* cBPF -> eBPF, after the kernel's bpf_convert_filter, in a form uebpf's
 * verifier accepts (program type UEBPF_PROG_TYPE_CLASSIC).
 *
 * Registers: A = r0 and X = r1 (zero-extended 32-bit values: every ALU
 * operation is ALU32), r4 = the packet's data and r5 its data_end pointer,
 * r2-r3 scratch; the packet descriptor (struct uebpf_classic_pkt, r1 at
 * entry) waits in a stack slot when something needs it later. M[k] is the
 * 32-bit stack word at r10 - 4k - 4. Only caller-saved registers, so the
 * JIT-compiled filter saves none: a helper call (slow paths, computed
 * ancillary values) spills X, data and data_end around itself instead, and
 * the verifier follows the pointers through the stack.
 *
 * A packet load at a constant offset k becomes `r2 = data + k + size; if r2 >
 * data_end goto fail`, then a direct load plus byte swap; the failure is a
 * shared `return 0`. A check is left out where every path to the load has
 * already checked as far (the verifier follows the same reasoning, so it
 * still accepts the load). An indirect load bounds X + k below
 * MAX_PACKET_OFF - size, as the verifier requires of a variable packet
 * offset, checks the pointer the same way, and calls the slow-load helper
 * when either check fails (negative SKF_NET_OFF/SKF_LL_OFF offsets, far
 * offsets, or a real miss). Conditional jumps compare 32 bits (JMP32), so a
 * k with its top bit set needs no temporary register. cBPF instructions no
 * path reaches are left out: the kernel's classic checker allows them, the
 * eBPF verifier does not.
 */
#include <errno.h>
#include <stdlib.h>

#include <uebpf/engine.h>

#include "classic/internal.h"

enum {
	REG_A = BPF_REG_0,
	REG_X = BPF_REG_1,
	REG_TMP = BPF_REG_2,
	REG_TMP2 = BPF_REG_3,
	REG_DATA = BPF_REG_4,
	REG_END = BPF_REG_5,
	REG_FP = BPF_REG_10,
};

/* Stack slots below M[0..15] (r10 - 4 .. r10 - 64). */
enum {
	SLOT_CTX = -72,  /* the descriptor, for field loads and helper calls */
	SLOT_X = -80,    /* X, data and data_end around a helper call */
	SLOT_DATA = -88,
	SLOT_END = -96,
	SLOT_A = -104,   /* A around the slow load of ldxb 4*([k]&0xf) */
};

/* Jump targets not known while emitting: a cBPF instruction index, or
 * FAIL for the shared `return 0` at the end. */
#define TARGET_FAIL SIZE_MAX

/* The verifier's MAX_PACKET_OFF: a packet pointer's offset, constant plus
 * variable, must stay below it for a comparison with data_end to count. */
#define MAX_PKT_OFF 0xffff

struct fixup {
	size_t at;     /* eBPF index of the jump */
	size_t target; /* cBPF index, or TARGET_FAIL */
};

struct out {
	struct bpf_insn *insns;
	size_t n, cap;
	struct fixup *fix;
	size_t n_fix, cap_fix;
	bool pkt; /* data and data_end are loaded (the filter reads the packet) */
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

static struct bpf_insn stx64(int16_t slot, uint8_t src)
{
	return insn(BPF_STX | BPF_MEM | BPF_DW, REG_FP, src, slot, 0);
}

static struct bpf_insn ldx64(uint8_t dst, int16_t slot)
{
	return insn(BPF_LDX | BPF_MEM | BPF_DW, dst, REG_FP, slot, 0);
}

static struct bpf_insn st0(int16_t slot)
{
	return insn(BPF_ST | BPF_MEM | BPF_DW, REG_FP, 0, slot, 0);
}

/* r0 = helper(ctx, r2, r3) with r2 and r3 set by the caller: X, data and
 * data_end go to the stack and come back after the call. The slots are
 * zeroed then, as the start of the program zeroed them, so that paths
 * through different calls (or none) leave the same stack and the
 * verifier's pruning recognises them: it compares stack slots as they are,
 * live or not. */
static void emit_call(struct out *o, uint32_t helper)
{
	emit(o, stx64(SLOT_X, REG_X));
	if (o->pkt) {
		emit(o, stx64(SLOT_DATA, REG_DATA));
		emit(o, stx64(SLOT_END, REG_END));
	}
	emit(o, ldx64(BPF_REG_1, SLOT_CTX));
	emit(o, insn(BPF_JMP | BPF_CALL, 0, 0, 0, (int32_t)helper));
	emit(o, ldx64(REG_X, SLOT_X));
	emit(o, st0(SLOT_X));
	if (o->pkt) {
		emit(o, ldx64(REG_DATA, SLOT_DATA));
		emit(o, ldx64(REG_END, SLOT_END));
		emit(o, st0(SLOT_DATA));
		emit(o, st0(SLOT_END));
	}
}

/* A = slow_load(pkt, REG_TMP, size), or return 0 when it fails. */
static void emit_helper_load(struct out *o, uint32_t size)
{
	emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_TMP2, 0, 0, (int32_t)size));
	emit_call(o, CLASSIC_HELPER_LOAD);
	emit_jump(o, insn(BPF_JMP | BPF_JSLT | BPF_K, REG_A, 0, 0, 0), TARGET_FAIL);
}

/* Is P[k:size] loaded directly (else through the helper)? */
static bool direct(uint32_t k, uint32_t size)
{
	return (int32_t)k >= 0 && (uint64_t)k + size <= MAX_PKT_OFF;
}

/* dst = P[k:size] for a constant k (ld ABS, ldxb MSH). checked: the
 * bytes below this length are known to be in the packet on every path here.
 * Loads that are not direct go through the helper, whose result arrives in
 * A: emit_msh keeps A itself. */
static void emit_abs_load(struct out *o, uint8_t dst, uint32_t k, uint32_t size, uint32_t checked)
{
	uint64_t end = (uint64_t)k + size;
	if (!direct(k, size)) {
		emit(o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_TMP, 0, 0, (int32_t)k));
		emit_helper_load(o, size);
		if (dst != REG_A)
			emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, REG_A, 0, 0));
		return;
	}
	if (end > checked) {
		emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP, REG_DATA, 0, 0));
		emit(o, insn(BPF_ALU64 | BPF_ADD | BPF_K, REG_TMP, 0, 0, (int32_t)end));
		emit_jump(o, insn(BPF_JMP | BPF_JGT | BPF_X, REG_TMP, REG_END, 0, 0), TARGET_FAIL);
	}
	emit_direct_load(o, dst, k, size);
}

/* A = P[X + k:size]. libpcap adds in 64 bits (no wrap), the kernel in 32.
 * Far or negative offsets, and misses, take the helper. */
static void emit_ind_load(struct out *o, uint32_t k, uint32_t size, enum uebpf_classic_semantics sem)
{
	struct bpf_insn off[2] = {
		insn(BPF_ALU | BPF_MOV | BPF_K, REG_TMP, 0, 0, (int32_t)k),
		insn((sem == UEBPF_CLASSIC_KERNEL ? BPF_ALU : BPF_ALU64) | BPF_ADD | BPF_X, REG_TMP, REG_X, 0, 0),
	};
	int swap = size > 1;
	emit(o, off[0]);
	emit(o, off[1]);
	emit(o, insn(BPF_JMP | BPF_JGT | BPF_K, REG_TMP, 0, 6 + swap, MAX_PKT_OFF - (int32_t)size));
	emit(o, insn(BPF_ALU64 | BPF_ADD | BPF_X, REG_TMP, REG_DATA, 0, 0));
	emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP2, REG_TMP, 0, 0));
	emit(o, insn(BPF_ALU64 | BPF_ADD | BPF_K, REG_TMP2, 0, 0, (int32_t)size));
	emit(o, insn(BPF_JMP | BPF_JGT | BPF_X, REG_TMP2, REG_END, 2 + swap, 0));
	emit(o, insn(BPF_LDX | BPF_MEM | ldx_size(size), REG_A, REG_TMP, 0, 0));
	if (swap)
		emit(o, insn(BPF_ALU | BPF_END | BPF_TO_BE, REG_A, 0, 0, (int32_t)size * 8));
	size_t ja = o->n;
	emit(o, insn(BPF_JMP | BPF_JA, 0, 0, 0, 0));
	/* the slow path: r2 = X + k again, as the fast path moved it */
	emit(o, off[0]);
	emit(o, off[1]);
	emit_helper_load(o, size);
	if (!o->oom)
		o->insns[ja].off = (int16_t)(o->n - ja - 1);
}

/* X = 4 * (P[k:1] & 0xf) */
static void emit_msh(struct out *o, uint32_t k, uint32_t checked)
{
	if (!direct(k, 1)) {
		/* the helper returns into r0: keep A in the stack meanwhile */
		emit(o, stx64(SLOT_A, REG_A));
		emit_abs_load(o, REG_A, k, 1, checked);
		emit(o, insn(BPF_ALU | BPF_AND | BPF_K, REG_A, 0, 0, 0xf));
		emit(o, insn(BPF_ALU | BPF_LSH | BPF_K, REG_A, 0, 0, 2));
		emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_X, REG_A, 0, 0));
		emit(o, ldx64(REG_A, SLOT_A));
		emit(o, st0(SLOT_A));
		return;
	}
	emit_abs_load(o, REG_X, k, 1, checked);
	emit(o, insn(BPF_ALU | BPF_AND | BPF_K, REG_X, 0, 0, 0xf));
	emit(o, insn(BPF_ALU | BPF_LSH | BPF_K, REG_X, 0, 0, 2));
}

/* dst = a field of the descriptor, through REG_TMP */
static void emit_field_load(struct out *o, uint8_t dst, size_t off, uint32_t size)
{
	emit(o, ldx64(REG_TMP, SLOT_CTX));
	emit(o, insn(BPF_LDX | BPF_MEM | ldx_size(size), dst, REG_TMP, (int16_t)off, 0));
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
	emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP, REG_A, 0, 0));
	emit(o, insn(BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP2, REG_X, 0, 0));
	emit_call(o, helper);
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

static uint32_t load_size(uint16_t code)
{
	return BPF_SIZE(code) == BPF_W ? 4 : BPF_SIZE(code) == BPF_H ? 2 : 1;
}

/* Is insn a packet load at a constant offset (ld ABS that is not ancillary,
 * ldxb MSH)? *size: its bytes. */
static bool packet_abs(const struct sock_filter *in, uint32_t *size)
{
	*size = load_size(in->code);
	return (BPF_CLASS(in->code) == BPF_LD && BPF_MODE(in->code) == BPF_ABS && !classic_is_ancillary(in->k)) ||
	       in->code == (BPF_LDX | BPF_B | BPF_MSH);
}

/* What the reachable instructions need: the packet's data and data_end
 * (*pkt), the descriptor after the start (*ctx: fields, helper calls), the
 * spill slots of helper calls (*calls). */
static void uses(const struct sock_filter *insns, size_t n, const bool *reach, bool *pkt, bool *ctx, bool *calls)
{
	*pkt = *ctx = *calls = false;
	for (size_t i = 0; i < n; i++) {
		const struct sock_filter *in = &insns[i];
		uint16_t c = in->code;
		uint32_t size;
		if (!reach[i])
			continue;
		if (BPF_CLASS(c) == BPF_LD && BPF_MODE(c) == BPF_IND) {
			*pkt = *calls = true;
		} else if (packet_abs(in, &size)) {
			*pkt = true;
			*calls |= !direct(in->k, size);
		} else if (BPF_CLASS(c) == BPF_LD && BPF_MODE(c) == BPF_ABS) {
			uint32_t ad = in->k - (uint32_t)SKF_AD_OFF;
			*ctx |= ad != SKF_AD_ALU_XOR_X;
			*calls |= ad == SKF_AD_PAY_OFFSET || ad == SKF_AD_NLATTR || ad == SKF_AD_NLATTR_NEST ||
				  ad == SKF_AD_CPU || ad == SKF_AD_RANDOM;
		} else if ((BPF_CLASS(c) == BPF_LD || BPF_CLASS(c) == BPF_LDX) && BPF_MODE(c) == BPF_LEN) {
			*ctx = true;
		}
	}
	*ctx |= *calls;
}

/* The packet length that a direct load of insn checks, or 0. */
static uint32_t checks(const struct sock_filter *in)
{
	uint32_t size;
	if (!packet_abs(in, &size) || !direct(in->k, size))
		return 0;
	return in->k + size;
}

/* Which instructions some path reaches (reach[i]), and the packet length
 * that every path to instruction i has checked (checked[i]); cBPF jumps
 * only go forward, so one pass in order sees every predecessor first. */
static void analyse(const struct sock_filter *insns, size_t n, bool *reach, uint32_t *checked)
{
	for (size_t i = 0; i < n; i++)
		reach[i] = false, checked[i] = UINT32_MAX;
	reach[0] = true;
	checked[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (!reach[i])
			continue;
		const struct sock_filter *in = &insns[i];
		uint32_t out = checked[i], c = checks(in);
		size_t succ[2], n_succ = 0;
		if (c > out)
			out = c;
		if (BPF_CLASS(in->code) == BPF_RET)
			continue;
		if (in->code == (BPF_JMP | BPF_JA)) {
			succ[n_succ++] = i + 1 + in->k;
		} else if (BPF_CLASS(in->code) == BPF_JMP) {
			succ[n_succ++] = i + 1 + in->jt;
			succ[n_succ++] = i + 1 + in->jf;
		} else {
			succ[n_succ++] = i + 1;
		}
		for (size_t j = 0; j < n_succ; j++) {
			/* the checker keeps targets inside the program */
			reach[succ[j]] = true;
			if (out < checked[succ[j]])
				checked[succ[j]] = out;
		}
	}
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

static void emit_one(struct out *o, const struct sock_filter *insns, size_t i, enum uebpf_classic_semantics sem,
		     uint32_t checked)
{
	const struct sock_filter *in = &insns[i];
	uint32_t k = in->k;
	uint32_t size = load_size(in->code);

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
			emit_abs_load(o, REG_A, k, size, checked);
		return;
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
		emit_ind_load(o, k, size, sem);
		return;
	case BPF_LDX | BPF_B | BPF_MSH:
		emit_msh(o, k, checked);
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
	bool *reach = NULL;
	uint32_t *checked = NULL;
	int err;

	*out = NULL;
	*n_out = 0;
	err = uebpf_classic_check(insns, n, log, log_sz);
	if (err)
		return err;
	start = malloc((n + 1) * sizeof(*start));
	reach = malloc(n * sizeof(*reach));
	checked = malloc(n * sizeof(*checked));
	if (!start || !reach || !checked)
		goto oom;
	analyse(insns, n, reach, checked);

	bool ctx, calls;
	uses(insns, n, reach, &o.pkt, &ctx, &calls);
	emit(&o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_A, 0, 0, 0));
	if (ctx)
		emit(&o, stx64(SLOT_CTX, BPF_REG_1));
	if (calls) {
		emit(&o, st0(SLOT_X));
		emit(&o, st0(SLOT_A));
	}
	if (calls && o.pkt) {
		emit(&o, st0(SLOT_DATA));
		emit(&o, st0(SLOT_END));
	}
	if (o.pkt) {
		emit(&o, insn(BPF_LDX | BPF_MEM | BPF_DW, REG_DATA, BPF_REG_1,
			      offsetof(struct uebpf_classic_pkt, data), 0));
		emit(&o, insn(BPF_LDX | BPF_MEM | BPF_DW, REG_END, BPF_REG_1,
			      offsetof(struct uebpf_classic_pkt, data_end), 0));
	}
	emit(&o, insn(BPF_ALU | BPF_MOV | BPF_K, REG_X, 0, 0, 0));
	for (size_t i = 0; i < n; i++) {
		start[i] = o.n;
		if (reach[i])
			emit_one(&o, insns, i, sem, checked[i]);
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
	free(reach);
	free(checked);
	free(o.fix);
	free(o.insns);
	return err;
}
