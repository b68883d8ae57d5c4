/* uebpf_insns_check: the structural checks the kernel makes before it
 * simulates anything (resolve_pseudo_ldimm64, check_subprogs, the reserved
 * field checks of do_check), with the kernel's wording.
 *
 * Pass 1 checks each instruction on its own and marks the second slots of
 * lddw. Pass 2 finds the subprograms (insn 0 and every bpf-to-bpf call or
 * function-pointer target), then checks that every jump stays inside its
 * subprogram and that each subprogram ends in exit or an unconditional jump,
 * so no path runs off the end. */
#include <errno.h>
#include <stdlib.h>

#include "isa/table.h"

enum { SLOT_SECOND = 1, SLOT_SUBPROG = 2 };

#define LDDW (BPF_LD | BPF_IMM | BPF_DW)

/* Does the instruction write its dst (or, for fetching atomics, its src)? */
static int written_reg(const struct bpf_insn *insn, const struct isa_op *op)
{
	switch (op->form) {
	case FORM_ALU_K:
	case FORM_ALU_X:
	case FORM_NEG:
	case FORM_END:
	case FORM_MOVSX:
	case FORM_LDDW:
	case FORM_LDX:
		return insn->dst_reg;
	case FORM_ATOMIC:
		/* fetching forms load the old value into src; cmpxchg loads it into r0 */
		if ((insn->imm & BPF_FETCH) && insn->imm != BPF_CMPXCHG)
			return insn->src_reg;
		return -1;
	default:
		return -1;
	}
}

static int check_one(const struct bpf_insn *insns, size_t n, size_t i, char *log, size_t log_sz)
{
	const struct bpf_insn *insn = &insns[i];
	const struct isa_op *op;
	char msg[96];

	if (isa_fields_check(insn, &op, msg, sizeof(msg)) < 0) {
		uebpf_log(log, log_sz, "insn %zu: %s", i, msg);
		return -EINVAL;
	}
	if (written_reg(insn, op) == BPF_REG_10) {
		uebpf_log(log, log_sz, "insn %zu: frame pointer is read only", i);
		return -EINVAL;
	}
	if (op->form != FORM_LDDW)
		return 0;

	const struct bpf_insn *next = &insns[i + 1];
	if (i + 1 >= n || next->code || next->dst_reg || next->src_reg || next->off) {
		uebpf_log(log, log_sz, "insn %zu: invalid bpf_ld_imm64 insn", i);
		return -EINVAL;
	}
	/* these pseudo sources carry nothing in the second slot */
	if ((insn->src_reg == BPF_PSEUDO_MAP_FD || insn->src_reg == BPF_PSEUDO_MAP_IDX ||
	     insn->src_reg == BPF_PSEUDO_FUNC) && next->imm) {
		uebpf_log(log, log_sz, "insn %zu: unrecognized bpf_ld_imm64 insn", i);
		return -EINVAL;
	}
	return 0;
}

/* The target of a bpf-to-bpf call or a function pointer (lddw src=BPF_PSEUDO_FUNC). */
static bool subprog_target(const struct bpf_insn *insn, size_t i, int64_t *t)
{
	if ((insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL) ||
	    (insn->code == LDDW && insn->src_reg == BPF_PSEUDO_FUNC)) {
		*t = (int64_t)i + insn->imm + 1;
		return true;
	}
	return false;
}

/* The target of a jump (gotol keeps its offset in imm). */
static bool jump_target(const struct bpf_insn *insn, size_t i, int64_t *t)
{
	uint8_t cls = BPF_CLASS(insn->code), opc = BPF_OP(insn->code);

	if ((cls != BPF_JMP && cls != BPF_JMP32) || opc == BPF_CALL || opc == BPF_EXIT)
		return false;
	*t = (int64_t)i + (cls == BPF_JMP32 && opc == BPF_JA ? insn->imm : insn->off) + 1;
	return true;
}

static bool ends_subprog(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_EXIT) || insn->code == (BPF_JMP | BPF_JA) ||
	       insn->code == (BPF_JMP32 | BPF_JA);
}

/* Pass 2 on the subprogram [start, end). */
static int check_subprog(const struct bpf_insn *insns, const uint8_t *slot, size_t start, size_t end,
			 char *log, size_t log_sz)
{
	for (size_t i = start; i < end; i++) {
		int64_t t;
		if ((slot[i] & SLOT_SECOND) || !jump_target(&insns[i], i, &t))
			continue;
		if (t < (int64_t)start || t >= (int64_t)end) {
			uebpf_log(log, log_sz, "insn %zu: jump out of range from insn %zu to %lld", i, i, (long long)t);
			return -EINVAL;
		}
		if (slot[t] & SLOT_SECOND) {
			uebpf_log(log, log_sz, "insn %zu: jump into the middle of ldimm64 insn %lld", i, (long long)t - 1);
			return -EINVAL;
		}
	}
	if (!ends_subprog(&insns[end - 1]) || (slot[end - 1] & SLOT_SECOND)) {
		uebpf_log(log, log_sz, "insn %zu: last insn is not an exit or jmp", end - 1);
		return -EINVAL;
	}
	return 0;
}

int uebpf_insns_check(const struct bpf_insn *insns, size_t n, char *log, size_t log_sz)
{
	if (n == 0) {
		uebpf_log(log, log_sz, "insn 0: empty program");
		return -EINVAL;
	}
	if (n > UEBPF_MAX_INSNS) {
		uebpf_log(log, log_sz, "insn %u: program too large: %zu insns, at most %u", UEBPF_MAX_INSNS, n,
			UEBPF_MAX_INSNS);
		return -EINVAL;
	}
	uint8_t *slot = calloc(n, 1);
	if (!slot) {
		uebpf_log(log, log_sz, "insn 0: out of memory");
		return -ENOMEM;
	}
	int err = -EINVAL;

	for (size_t i = 0; i < n; i += uebpf_insn_slots(&insns[i])) {
		if (check_one(insns, n, i, log, log_sz) < 0)
			goto out;
		if (insns[i].code == LDDW)
			slot[i + 1] = SLOT_SECOND;
	}

	slot[0] |= SLOT_SUBPROG;
	for (size_t i = 0; i < n; i++) {
		int64_t t;
		if ((slot[i] & SLOT_SECOND) || !subprog_target(&insns[i], i, &t))
			continue;
		if (t < 0 || t >= (int64_t)n) {
			uebpf_log(log, log_sz, "insn %zu: call to invalid destination insn %lld", i, (long long)t);
			goto out;
		}
		if (slot[t] & SLOT_SECOND) {
			uebpf_log(log, log_sz, "insn %zu: jump into the middle of ldimm64 insn %lld", i, (long long)t - 1);
			goto out;
		}
		slot[t] |= SLOT_SUBPROG;
	}

	for (size_t start = 0, end; start < n; start = end) {
		for (end = start + 1; end < n && !(slot[end] & SLOT_SUBPROG);)
			end++;
		if (check_subprog(insns, slot, start, end, log, log_sz) < 0)
			goto out;
	}
	err = 0;
out:
	free(slot);
	return err;
}
