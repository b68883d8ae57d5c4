/* The disassembler, in two styles read from the same opcode table.
 *
 * UEBPF: the assembler's syntax, with numeric jump offsets. An instruction
 * prints in its mnemonic form only if that form assembles back to the same
 * bytes (known row, reserved fields zero, registers r0..r10); anything else
 * prints as `.insn CODE, DST, SRC, OFF, IMM`, so every input round-trips.
 *
 * LLVM: what `llvm-objdump -d` (LLVM 14, default features) prints for the
 * instruction, text part only. Where LLVM 14 prints <unknown> or drops a
 * field (cpu v4: sdiv/smod, movsx, ldsx, bswap, gotol, st imm; mod, jset,
 * 32-bit fetching atomics) this prints the pseudo-C that newer LLVM and GNU
 * binutils print (r1 s/= r2, r1 = (s8)r2, gotol +3, if r1 & 2 goto +1);
 * callx names the register in dst_reg, where this assembler puts it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "isa/table.h"

/* Immediates as bpf_conformance prints them: small or negative in decimal, the rest in hex. */
static const char *imm_str(int32_t imm, char *buf, size_t sz)
{
	if ((imm < 0 && imm != INT32_MIN) || (imm >= -10 && imm <= 10))
		snprintf(buf, sz, "%d", imm);
	else
		snprintf(buf, sz, "0x%x", (uint32_t)imm);
	return buf;
}

static const char *mem_str(int reg, int16_t off, char *buf, size_t sz)
{
	if (off)
		snprintf(buf, sz, "[%%r%d%+d]", reg, off);
	else
		snprintf(buf, sz, "[%%r%d]", reg);
	return buf;
}

static bool lddw_pair_ok(const struct bpf_insn *insns, size_t n, size_t i)
{
	const struct bpf_insn *next = &insns[i + 1];
	return i + 1 < n && !next->code && !next->dst_reg && !next->src_reg && !next->off;
}

static int uebpf_style(const struct bpf_insn *insns, size_t n, size_t i, char *buf, size_t sz)
{
	const struct bpf_insn *in = &insns[i];
	const struct isa_op *op;
	char a[32], b[32];
	char msg[64];

	bool ok = isa_fields_check(in, &op, msg, sizeof(msg)) == 0 && op->name;
	if (ok && op->form == FORM_LDDW)
		ok = lddw_pair_ok(insns, n, i) && !(op->sel_val == BPF_PSEUDO_MAP_FD && insns[i + 1].imm);
	if (!ok) {
		snprintf(buf, sz, ".insn 0x%02x, %d, %d, %d, %s", in->code, in->dst_reg, in->src_reg, in->off,
			 imm_str(in->imm, a, sizeof(a)));
		return 1;
	}

	imm_str(in->imm, a, sizeof(a));
	switch (op->form) {
	case FORM_ALU_K:
		snprintf(buf, sz, "%s %%r%d, %s", op->name, in->dst_reg, a);
		break;
	case FORM_ALU_X:
	case FORM_MOVSX:
		snprintf(buf, sz, "%s %%r%d, %%r%d", op->name, in->dst_reg, in->src_reg);
		break;
	case FORM_NEG:
	case FORM_END:
		snprintf(buf, sz, "%s %%r%d", op->name, in->dst_reg);
		break;
	case FORM_LDDW: {
		uint32_t hi = (uint32_t)insns[i + 1].imm, lo = (uint32_t)in->imm;
		if (op->sel_val == BPF_PSEUDO_MAP_FD)
			snprintf(buf, sz, "lddw %%r%d, map:%" PRIu32, in->dst_reg, lo);
		else if (op->sel_val == BPF_PSEUDO_MAP_VALUE)
			snprintf(buf, sz, "lddw %%r%d, mapval:%" PRIu32 "+%" PRIu32, in->dst_reg, lo, hi);
		else
			snprintf(buf, sz, "lddw %%r%d, 0x%" PRIx64, in->dst_reg, (uint64_t)hi << 32 | lo);
		return 2;
	}
	case FORM_LDABS:
	case FORM_CALL:
		snprintf(buf, sz, "%s %s", op->name, a);
		break;
	case FORM_LDIND:
		snprintf(buf, sz, "%s %%r%d, %s", op->name, in->src_reg, a);
		break;
	case FORM_LDX:
		snprintf(buf, sz, "%s %%r%d, %s", op->name, in->dst_reg, mem_str(in->src_reg, in->off, b, sizeof(b)));
		break;
	case FORM_ST:
		snprintf(buf, sz, "%s %s, %s", op->name, mem_str(in->dst_reg, in->off, b, sizeof(b)), a);
		break;
	case FORM_STX:
	case FORM_ATOMIC:
		snprintf(buf, sz, "%s %s, %%r%d", op->name, mem_str(in->dst_reg, in->off, b, sizeof(b)), in->src_reg);
		break;
	case FORM_JA:
		snprintf(buf, sz, "ja %+d", in->off);
		break;
	case FORM_JA32:
		snprintf(buf, sz, "ja32 %+d", in->imm);
		break;
	case FORM_JCOND_K:
		snprintf(buf, sz, "%s %%r%d, %s, %+d", op->name, in->dst_reg, a, in->off);
		break;
	case FORM_JCOND_X:
		snprintf(buf, sz, "%s %%r%d, %%r%d, %+d", op->name, in->dst_reg, in->src_reg, in->off);
		break;
	case FORM_CALL_LOCAL:
		snprintf(buf, sz, "call local %+d", in->imm);
		break;
	case FORM_CALLX:
		snprintf(buf, sz, "call %%r%d", in->dst_reg);
		break;
	case FORM_EXIT:
		snprintf(buf, sz, "exit");
		break;
	case FORM_CALL_BTF: /* no name: printed as .insn above */
		break;
	}
	return 1;
}

/* "(r10 - 8)" */
static const char *llvm_addr(int reg, int16_t off, char *buf, size_t sz)
{
	snprintf(buf, sz, "r%d %c %d", reg, off < 0 ? '-' : '+', off < 0 ? -(int)off : off);
	return buf;
}

static void llvm_atomic(const struct bpf_insn *in, const struct isa_op *op, char *buf, size_t sz)
{
	bool w = BPF_SIZE(in->code) == BPF_W;
	char r = w ? 'w' : 'r', a[32];
	const char *size = w ? "u32" : "u64";

	llvm_addr(in->dst_reg, in->off, a, sizeof(a));
	if (in->imm == BPF_CMPXCHG)
		snprintf(buf, sz, "%c0 = %s(%s, %c0, %c%d)", r, op->llvm, a, r, r, in->src_reg);
	else if (in->imm == BPF_XCHG)
		snprintf(buf, sz, "%c%d = %s(%s, %c%d)", r, in->src_reg, op->llvm, a, r, in->src_reg);
	else if (in->imm & BPF_FETCH)
		snprintf(buf, sz, "%c%d = %s((%s *)(%s), %c%d)", r, in->src_reg, op->llvm, size, a, r, in->src_reg);
	else /* LLVM 14 prints the 32-bit add without alu32, with an r register */
		snprintf(buf, sz, "lock *(%s *)(%s) %s %c%d", size, a, op->llvm,
			 in->imm == BPF_ADD ? 'r' : r, in->src_reg);
}

static int llvm_style(const struct bpf_insn *insns, size_t n, size_t i, char *buf, size_t sz);

/* The kernel's print_bpf_insn (kernel/bpf/disasm.c), without the "(code) "
 * prefix; where it differs from llvm-objdump: "(r1 +0)", "goto pc+1", jump
 * immediates in hex, the atomics' names, lddw and helper calls. */
static int kernel_style(const struct bpf_insn *insns, size_t n, size_t i, char *buf, size_t sz)
{
	static const char *const alu[16] = { "+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
					     "neg", "%=", "^=", "=", "s>>=", "endian", "", "" };
	static const char *const size_name[4] = { "u32", "u16", "u8", "u64" };
	const struct bpf_insn *in = &insns[i];
	const struct isa_op *op = isa_lookup(in);
	uint8_t cls = BPF_CLASS(in->code);
	char r = cls == BPF_ALU || cls == BPF_JMP32 ? 'w' : 'r';
	const char *sz_name = size_name[BPF_SIZE(in->code) >> 3];

	if (!op || (op->form == FORM_LDDW && i + 1 >= n)) {
		snprintf(buf, sz, "<unknown>");
		return 1;
	}
	switch (op->form) {
	case FORM_LDX:
		snprintf(buf, sz, "r%d = *(%s *)(r%d %+d)", in->dst_reg, op->llvm, in->src_reg, in->off);
		return 1;
	case FORM_ST:
		snprintf(buf, sz, "*(%s *)(r%d %+d) = %d", sz_name, in->dst_reg, in->off, in->imm);
		return 1;
	case FORM_STX:
		snprintf(buf, sz, "*(%s *)(r%d %+d) = r%d", sz_name, in->dst_reg, in->off, in->src_reg);
		return 1;
	case FORM_ATOMIC: {
		const char *w = BPF_SIZE(in->code) == BPF_DW ? "64" : "";
		static const char *const fetch[16] = { [BPF_ADD >> 4] = "add", [BPF_AND >> 4] = "and",
						       [BPF_OR >> 4] = "or", [BPF_XOR >> 4] = "xor" };
		if (in->imm == BPF_CMPXCHG)
			snprintf(buf, sz, "r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)", w, sz_name, in->dst_reg,
				 in->off, in->src_reg);
		else if (in->imm == BPF_XCHG)
			snprintf(buf, sz, "r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)", in->src_reg, w, sz_name,
				 in->dst_reg, in->off, in->src_reg);
		else if (in->imm & BPF_FETCH)
			snprintf(buf, sz, "r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)", in->src_reg, w,
				 fetch[(in->imm & ~BPF_FETCH) >> 4 & 15], sz_name, in->dst_reg, in->off, in->src_reg);
		else
			snprintf(buf, sz, "lock *(%s *)(r%d %+d) %s r%d", sz_name, in->dst_reg, in->off,
				 alu[in->imm >> 4 & 15], in->src_reg);
		return 1;
	}
	case FORM_LDDW:
		if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_IDX)
			snprintf(buf, sz, "r%d = map[id:%d]", in->dst_reg, in->imm);
		else if (in->src_reg == BPF_PSEUDO_MAP_VALUE || in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE)
			snprintf(buf, sz, "r%d = map[id:%d][0]+%d", in->dst_reg, in->imm, insns[i + 1].imm);
		else if (in->src_reg == BPF_PSEUDO_FUNC)
			snprintf(buf, sz, "r%d = func pc%+d", in->dst_reg, in->imm);
		else
			snprintf(buf, sz, "r%d = 0x%" PRIx64, in->dst_reg,
				 (uint64_t)(uint32_t)insns[i + 1].imm << 32 | (uint32_t)in->imm);
		return 2;
	case FORM_LDIND:
		snprintf(buf, sz, "r0 = *(%s *)skb[r%d + %d]", sz_name, in->src_reg, in->imm);
		return 1;
	case FORM_JA:
		snprintf(buf, sz, "goto pc%+d", in->off);
		return 1;
	case FORM_JA32:
		snprintf(buf, sz, "gotol pc%+d", in->imm);
		return 1;
	case FORM_JCOND_K:
		snprintf(buf, sz, "if %c%d %s 0x%x goto pc%+d", r, in->dst_reg, op->llvm, (uint32_t)in->imm, in->off);
		return 1;
	case FORM_JCOND_X:
		snprintf(buf, sz, "if %c%d %s %c%d goto pc%+d", r, in->dst_reg, op->llvm, r, in->src_reg, in->off);
		return 1;
	case FORM_CALL_LOCAL:
		snprintf(buf, sz, "call pc%+d", in->imm);
		return 1;
	case FORM_CALL:
		snprintf(buf, sz, "call #%d", in->imm);
		return 1;
	default:
		return llvm_style(insns, n, i, buf, sz);
	}
}

static int llvm_style(const struct bpf_insn *insns, size_t n, size_t i, char *buf, size_t sz)
{
	const struct bpf_insn *in = &insns[i];
	const struct isa_op *op = isa_lookup(in);
	uint8_t cls = BPF_CLASS(in->code);
	char r = cls == BPF_ALU || cls == BPF_JMP32 ? 'w' : 'r';
	char a[32];

	if (!op || (op->form == FORM_LDDW && i + 1 >= n)) {
		snprintf(buf, sz, "<unknown>");
		return 1;
	}
	switch (op->form) {
	case FORM_ALU_K:
		snprintf(buf, sz, "%c%d %s %d", r, in->dst_reg, op->llvm, in->imm);
		break;
	case FORM_ALU_X:
		snprintf(buf, sz, "%c%d %s %c%d", r, in->dst_reg, op->llvm, r, in->src_reg);
		break;
	case FORM_NEG:
		snprintf(buf, sz, "%c%d = -%c%d", r, in->dst_reg, r, in->dst_reg);
		break;
	case FORM_END:
		snprintf(buf, sz, "r%d = %s r%d", in->dst_reg, op->llvm, in->dst_reg);
		break;
	case FORM_MOVSX:
		snprintf(buf, sz, "%c%d = (%s)%c%d", r, in->dst_reg, op->llvm, r, in->src_reg);
		break;
	case FORM_LDDW:
		if (in->src_reg)
			snprintf(buf, sz, "ld_pseudo\tr%d, %d, %d", in->dst_reg, in->src_reg, in->imm);
		else
			snprintf(buf, sz, "r%d = %" PRId64 " ll", in->dst_reg,
				 (int64_t)((uint64_t)(uint32_t)insns[i + 1].imm << 32 | (uint32_t)in->imm));
		return 2;
	case FORM_LDABS:
		snprintf(buf, sz, "r0 = *(%s *)skb[%d]", op->llvm, in->imm);
		break;
	case FORM_LDIND:
		snprintf(buf, sz, "r0 = *(%s *)skb[r%d]", op->llvm, in->src_reg);
		break;
	case FORM_LDX:
		snprintf(buf, sz, "r%d = *(%s *)(%s)", in->dst_reg, op->llvm, llvm_addr(in->src_reg, in->off, a, sizeof(a)));
		break;
	case FORM_ST:
		snprintf(buf, sz, "*(%s *)(%s) = %d", op->llvm, llvm_addr(in->dst_reg, in->off, a, sizeof(a)), in->imm);
		break;
	case FORM_STX:
		snprintf(buf, sz, "*(%s *)(%s) = r%d", op->llvm, llvm_addr(in->dst_reg, in->off, a, sizeof(a)),
			 in->src_reg);
		break;
	case FORM_ATOMIC:
		llvm_atomic(in, op, buf, sz);
		break;
	case FORM_JA:
		snprintf(buf, sz, "goto %+d", in->off);
		break;
	case FORM_JA32:
		snprintf(buf, sz, "gotol %+d", in->imm);
		break;
	case FORM_JCOND_K:
		snprintf(buf, sz, "if %c%d %s %d goto %+d", r, in->dst_reg, op->llvm, in->imm, in->off);
		break;
	case FORM_JCOND_X:
		snprintf(buf, sz, "if %c%d %s %c%d goto %+d", r, in->dst_reg, op->llvm, r, in->src_reg, in->off);
		break;
	case FORM_CALL:
	case FORM_CALL_LOCAL:
	case FORM_CALL_BTF:
		snprintf(buf, sz, "call %d", in->imm);
		break;
	case FORM_CALLX:
		snprintf(buf, sz, "callx r%d", in->dst_reg);
		break;
	case FORM_EXIT:
		snprintf(buf, sz, "exit");
		break;
	}
	return 1;
}

int uebpf_disasm_insn(const struct bpf_insn *insns, size_t n, size_t i, enum uebpf_asm_style style, char *buf,
		      size_t buf_sz)
{
	char tmp[1];
	if (!buf || !buf_sz) {
		buf = tmp;
		buf_sz = sizeof(tmp);
	}
	if (!insns || i >= n) {
		snprintf(buf, buf_sz, "insn %zu: past the end of the program (%zu insns)", i, n);
		return -EINVAL;
	}
	if (style == UEBPF_ASM_STYLE_LLVM)
		return llvm_style(insns, n, i, buf, buf_sz);
	if (style == UEBPF_ASM_STYLE_KERNEL)
		return kernel_style(insns, n, i, buf, buf_sz);
	return uebpf_style(insns, n, i, buf, buf_sz);
}

int uebpf_disasm(const struct bpf_insn *insns, size_t n, enum uebpf_asm_style style, FILE *out)
{
	char text[128];

	for (size_t i = 0; i < n;) {
		int slots = uebpf_disasm_insn(insns, n, i, style, text, sizeof(text));
		if (slots < 0)
			return slots;
		if (style == UEBPF_ASM_STYLE_LLVM) {
			/* llvm-objdump's layout: index, the instruction's bytes, text */
			const uint8_t *bytes = (const uint8_t *)&insns[i];
			fprintf(out, "%8zu:\t", i);
			for (size_t k = 0; k < (size_t)slots * sizeof(struct bpf_insn); k++)
				fprintf(out, k ? " %02x" : "%02x", bytes[k]);
			fprintf(out, "\t%s\n", text);
		} else {
			fprintf(out, "%s\n", text);
		}
		i += (size_t)slots;
	}
	return ferror(out) ? -EIO : 0;
}
