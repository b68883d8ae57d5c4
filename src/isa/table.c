/* The opcode table of RFC 9669 and the per-instruction field check built on
 * it. A row is one instruction form: an opcode byte, plus, where several
 * forms share the byte, the value of the field that tells them apart. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "isa/table.h"

#define ALU2(cls, op, name, off, llvm)                                  \
	{ (cls) | (op) | BPF_K, FORM_ALU_K, SEL_OFF, off, name, llvm }, \
	{ (cls) | (op) | BPF_X, FORM_ALU_X, SEL_OFF, off, name, llvm }
#define ALU(op, name, off, llvm) ALU2(BPF_ALU64, op, name, off, llvm), ALU2(BPF_ALU, op, name "32", off, llvm)

#define END3(code, name)                                    \
	{ code, FORM_END, SEL_IMM, 16, name "16", name "16" }, \
	{ code, FORM_END, SEL_IMM, 32, name "32", name "32" }, \
	{ code, FORM_END, SEL_IMM, 64, name "64", name "64" }

#define MEM4(cls, mode, form, name, llvm)                          \
	{ (cls) | (mode) | BPF_B, form, SEL_NONE, 0, name "b", llvm "8" },   \
	{ (cls) | (mode) | BPF_H, form, SEL_NONE, 0, name "h", llvm "16" },  \
	{ (cls) | (mode) | BPF_W, form, SEL_NONE, 0, name "w", llvm "32" },  \
	{ (cls) | (mode) | BPF_DW, form, SEL_NONE, 0, name "dw", llvm "64" }

#define LDPKT(mode, form, name)                                      \
	{ BPF_LD | (mode) | BPF_B, form, SEL_NONE, 0, name "b", "u8" },  \
	{ BPF_LD | (mode) | BPF_H, form, SEL_NONE, 0, name "h", "u16" }, \
	{ BPF_LD | (mode) | BPF_W, form, SEL_NONE, 0, name "w", "u32" }

/* llvm: the compound operator for plain ops, the function name for fetching ones. */
#define ATOMIC2(op, name, plain, fetch)                                                        \
	{ BPF_STX | BPF_ATOMIC | BPF_DW, FORM_ATOMIC, SEL_IMM, op, "lock " name, plain },         \
	{ BPF_STX | BPF_ATOMIC | BPF_W, FORM_ATOMIC, SEL_IMM, op, "lock " name "32", plain },     \
	{ BPF_STX | BPF_ATOMIC | BPF_DW, FORM_ATOMIC, SEL_IMM, (op) | BPF_FETCH,                 \
	  "lock fetch " name, fetch },                                                          \
	{ BPF_STX | BPF_ATOMIC | BPF_W, FORM_ATOMIC, SEL_IMM, (op) | BPF_FETCH,                  \
	  "lock fetch " name "32", fetch }

#define JCOND(op, name, llvm)                                                  \
	{ BPF_JMP | (op) | BPF_K, FORM_JCOND_K, SEL_NONE, 0, name, llvm },         \
	{ BPF_JMP | (op) | BPF_X, FORM_JCOND_X, SEL_NONE, 0, name, llvm },         \
	{ BPF_JMP32 | (op) | BPF_K, FORM_JCOND_K, SEL_NONE, 0, name "32", llvm }, \
	{ BPF_JMP32 | (op) | BPF_X, FORM_JCOND_X, SEL_NONE, 0, name "32", llvm }

#define LDDW (BPF_LD | BPF_IMM | BPF_DW)

const struct isa_op isa_ops[] = {
	ALU(BPF_ADD, "add", 0, "+="),
	ALU(BPF_SUB, "sub", 0, "-="),
	ALU(BPF_MUL, "mul", 0, "*="),
	ALU(BPF_DIV, "div", 0, "/="),
	ALU(BPF_DIV, "sdiv", 1, "s/="),
	ALU(BPF_OR, "or", 0, "|="),
	ALU(BPF_AND, "and", 0, "&="),
	ALU(BPF_LSH, "lsh", 0, "<<="),
	ALU(BPF_RSH, "rsh", 0, ">>="),
	ALU(BPF_MOD, "mod", 0, "%="),
	ALU(BPF_MOD, "smod", 1, "s%="),
	ALU(BPF_XOR, "xor", 0, "^="),
	ALU(BPF_MOV, "mov", 0, "="),
	ALU(BPF_ARSH, "arsh", 0, "s>>="),
	{ BPF_ALU64 | BPF_NEG, FORM_NEG, SEL_NONE, 0, "neg", "-" },
	{ BPF_ALU | BPF_NEG, FORM_NEG, SEL_NONE, 0, "neg32", "-" },
	/* sign-extending moves: off is the source width */
	{ BPF_ALU64 | BPF_MOV | BPF_X, FORM_MOVSX, SEL_OFF, 8, "movsx864", "s8" },
	{ BPF_ALU64 | BPF_MOV | BPF_X, FORM_MOVSX, SEL_OFF, 16, "movsx1664", "s16" },
	{ BPF_ALU64 | BPF_MOV | BPF_X, FORM_MOVSX, SEL_OFF, 32, "movsx3264", "s32" },
	{ BPF_ALU | BPF_MOV | BPF_X, FORM_MOVSX, SEL_OFF, 8, "movsx832", "s8" },
	{ BPF_ALU | BPF_MOV | BPF_X, FORM_MOVSX, SEL_OFF, 16, "movsx1632", "s16" },
	END3(BPF_ALU | BPF_END | BPF_TO_BE, "be"),
	END3(BPF_ALU | BPF_END | BPF_TO_LE, "le"),
	END3(BPF_ALU64 | BPF_END | BPF_TO_LE, "bswap"),

	/* lddw and its pseudo sources; the kinds without a text form print as .insn */
	{ LDDW, FORM_LDDW, SEL_SRC, 0, "lddw", "ll" },
	{ LDDW, FORM_LDDW, SEL_SRC, BPF_PSEUDO_MAP_FD, "lddw", "ld_pseudo" },
	{ LDDW, FORM_LDDW, SEL_SRC, BPF_PSEUDO_MAP_VALUE, "lddw", "ld_pseudo" },
	{ LDDW, FORM_LDDW, SEL_SRC, BPF_PSEUDO_BTF_ID, NULL, "ld_pseudo" },
	{ LDDW, FORM_LDDW, SEL_SRC, BPF_PSEUDO_FUNC, NULL, "ld_pseudo" },
	{ LDDW, FORM_LDDW, SEL_SRC, BPF_PSEUDO_MAP_IDX, NULL, "ld_pseudo" },
	{ LDDW, FORM_LDDW, SEL_SRC, BPF_PSEUDO_MAP_IDX_VALUE, NULL, "ld_pseudo" },
	LDPKT(BPF_ABS, FORM_LDABS, "ldabs"),
	LDPKT(BPF_IND, FORM_LDIND, "ldind"),

	MEM4(BPF_LDX, BPF_MEM, FORM_LDX, "ldx", "u"),
	{ BPF_LDX | BPF_MEMSX | BPF_B, FORM_LDX, SEL_NONE, 0, "ldxsb", "s8" },
	{ BPF_LDX | BPF_MEMSX | BPF_H, FORM_LDX, SEL_NONE, 0, "ldxsh", "s16" },
	{ BPF_LDX | BPF_MEMSX | BPF_W, FORM_LDX, SEL_NONE, 0, "ldxsw", "s32" },
	MEM4(BPF_ST, BPF_MEM, FORM_ST, "st", "u"),
	MEM4(BPF_STX, BPF_MEM, FORM_STX, "stx", "u"),

	ATOMIC2(BPF_ADD, "add", "+=", "atomic_fetch_add"),
	ATOMIC2(BPF_OR, "or", "|=", "atomic_fetch_or"),
	ATOMIC2(BPF_AND, "and", "&=", "atomic_fetch_and"),
	ATOMIC2(BPF_XOR, "xor", "^=", "atomic_fetch_xor"),
	{ BPF_STX | BPF_ATOMIC | BPF_DW, FORM_ATOMIC, SEL_IMM, BPF_XCHG, "lock xchg", "xchg_64" },
	{ BPF_STX | BPF_ATOMIC | BPF_W, FORM_ATOMIC, SEL_IMM, BPF_XCHG, "lock xchg32", "xchg32_32" },
	{ BPF_STX | BPF_ATOMIC | BPF_DW, FORM_ATOMIC, SEL_IMM, BPF_CMPXCHG, "lock cmpxchg", "cmpxchg_64" },
	{ BPF_STX | BPF_ATOMIC | BPF_W, FORM_ATOMIC, SEL_IMM, BPF_CMPXCHG, "lock cmpxchg32", "cmpxchg32_32" },

	{ BPF_JMP | BPF_JA, FORM_JA, SEL_NONE, 0, "ja", "goto" },
	{ BPF_JMP32 | BPF_JA, FORM_JA32, SEL_NONE, 0, "ja32", "gotol" },
	JCOND(BPF_JEQ, "jeq", "=="),
	JCOND(BPF_JGT, "jgt", ">"),
	JCOND(BPF_JGE, "jge", ">="),
	JCOND(BPF_JSET, "jset", "&"),
	JCOND(BPF_JNE, "jne", "!="),
	JCOND(BPF_JSGT, "jsgt", "s>"),
	JCOND(BPF_JSGE, "jsge", "s>="),
	JCOND(BPF_JLT, "jlt", "<"),
	JCOND(BPF_JLE, "jle", "<="),
	JCOND(BPF_JSLT, "jslt", "s<"),
	JCOND(BPF_JSLE, "jsle", "s<="),
	{ BPF_JMP | BPF_CALL, FORM_CALL, SEL_SRC, 0, "call", "call" },
	{ BPF_JMP | BPF_CALL, FORM_CALL_LOCAL, SEL_SRC, BPF_PSEUDO_CALL, "call", "call" },
	{ BPF_JMP | BPF_CALL, FORM_CALL_BTF, SEL_SRC, BPF_PSEUDO_KFUNC_CALL, NULL, "call" },
	/* callx: the register is in dst_reg, as bpf_conformance's assembler encodes it */
	{ BPF_JMP | BPF_CALL | BPF_X, FORM_CALLX, SEL_NONE, 0, "call", "callx" },
	{ BPF_JMP | BPF_EXIT, FORM_EXIT, SEL_NONE, 0, "exit", "exit" },
};

const size_t isa_n_ops = sizeof(isa_ops) / sizeof(isa_ops[0]);

/* Rows grouped by opcode byte: rows_by_code[start[c] .. start[c + 1]). */
static uint16_t rows_by_code[sizeof(isa_ops) / sizeof(isa_ops[0])];
static uint16_t start[257];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void build_index(void)
{
	uint16_t fill[256] = { 0 };

	for (size_t i = 0; i < isa_n_ops; i++)
		start[isa_ops[i].code + 1]++;
	for (int c = 0; c < 256; c++)
		start[c + 1] += start[c];
	for (size_t i = 0; i < isa_n_ops; i++) {
		uint8_t c = isa_ops[i].code;
		rows_by_code[start[c] + fill[c]++] = (uint16_t)i;
	}
}

static int32_t sel_field(const struct bpf_insn *insn, enum isa_sel sel)
{
	switch (sel) {
	case SEL_OFF:
		return insn->off;
	case SEL_IMM:
		return insn->imm;
	case SEL_SRC:
		return insn->src_reg;
	case SEL_NONE:
		break;
	}
	return 0;
}

const struct isa_op *isa_lookup(const struct bpf_insn *insn)
{
	pthread_once(&index_once, build_index);
	for (uint16_t k = start[insn->code]; k < start[insn->code + 1]; k++) {
		const struct isa_op *op = &isa_ops[rows_by_code[k]];
		if (op->sel == SEL_NONE || sel_field(insn, op->sel) == op->sel_val)
			return op;
	}
	return NULL;
}

/* The first row with this opcode byte, whatever its selecting field. */
static const struct isa_op *any_row(uint8_t code)
{
	pthread_once(&index_once, build_index);
	return start[code] != start[code + 1] ? &isa_ops[rows_by_code[start[code]]] : NULL;
}

enum { F_DST = 1, F_SRC = 2, F_OFF = 4, F_IMM = 8 };

/* The fields each form uses besides its selecting field. */
static const uint8_t form_fields[] = {
	[FORM_ALU_K] = F_DST | F_IMM,
	[FORM_ALU_X] = F_DST | F_SRC,
	[FORM_NEG] = F_DST,
	[FORM_END] = F_DST,
	[FORM_MOVSX] = F_DST | F_SRC,
	[FORM_LDDW] = F_DST | F_IMM,
	[FORM_LDABS] = F_IMM,
	[FORM_LDIND] = F_SRC | F_IMM,
	[FORM_LDX] = F_DST | F_SRC | F_OFF,
	[FORM_ST] = F_DST | F_OFF | F_IMM,
	[FORM_STX] = F_DST | F_SRC | F_OFF,
	[FORM_ATOMIC] = F_DST | F_SRC | F_OFF,
	[FORM_JA] = F_OFF,
	[FORM_JA32] = F_IMM,
	[FORM_JCOND_K] = F_DST | F_OFF | F_IMM,
	[FORM_JCOND_X] = F_DST | F_SRC | F_OFF,
	[FORM_CALL] = F_IMM,
	[FORM_CALL_LOCAL] = F_IMM,
	[FORM_CALL_BTF] = F_OFF | F_IMM, /* off: which BTF object, as in the kernel */
	[FORM_CALLX] = F_DST,
	[FORM_EXIT] = 0,
};

bool isa_form_uses_dst(enum isa_form f)
{
	return form_fields[f] & F_DST;
}

bool isa_form_uses_src(enum isa_form f)
{
	return form_fields[f] & F_SRC;
}

/* The kernel verifier's name for an instruction family in its messages. */
static const char *family(uint8_t code, enum isa_form form)
{
	switch (form) {
	case FORM_ALU_K:
	case FORM_ALU_X:
		return BPF_OP(code) == BPF_MOV ? "BPF_MOV" : "BPF_ALU";
	case FORM_MOVSX:
		return "BPF_MOV";
	case FORM_NEG:
		return "BPF_NEG";
	case FORM_END:
		return "BPF_END";
	case FORM_LDDW:
		return "BPF_LD_IMM64";
	case FORM_LDABS:
	case FORM_LDIND:
		return "BPF_LD_[ABS|IND]";
	case FORM_LDX:
		return "BPF_LDX";
	case FORM_ST:
		return "BPF_ST";
	case FORM_STX:
	case FORM_ATOMIC:
		return "BPF_STX";
	case FORM_JA:
	case FORM_JA32:
		return "BPF_JA";
	case FORM_JCOND_K:
	case FORM_JCOND_X:
		return "BPF_JMP/JMP32";
	case FORM_CALL:
	case FORM_CALL_LOCAL:
	case FORM_CALL_BTF:
	case FORM_CALLX:
		return "BPF_CALL";
	case FORM_EXIT:
		return "BPF_EXIT";
	}
	return "BPF";
}

int isa_fields_check(const struct bpf_insn *insn, const struct isa_op **op_out, char *msg, size_t msg_sz)
{
	const struct isa_op *op = isa_lookup(insn);

	*op_out = op;
	if (!op) {
		if (!any_row(insn->code))
			uebpf_log(msg, msg_sz, "unknown opcode %02x", insn->code);
		else if (insn->code == LDDW)
			uebpf_log(msg, msg_sz, "unrecognized bpf_ld_imm64 insn");
		else if (BPF_CLASS(insn->code) == BPF_STX)
			uebpf_log(msg, msg_sz, "BPF_ATOMIC uses invalid atomic opcode %02x", (uint32_t)insn->imm);
		else /* a known byte whose selecting field matches no row */
			uebpf_log(msg, msg_sz, "%s uses reserved fields", family(insn->code, any_row(insn->code)->form));
		return -EINVAL;
	}

	uint8_t used = form_fields[op->form];
	bool bad = (!(used & F_DST) && insn->dst_reg) ||
		   (!(used & F_SRC) && op->sel != SEL_SRC && insn->src_reg) ||
		   (!(used & F_OFF) && op->sel != SEL_OFF && insn->off) ||
		   (!(used & F_IMM) && op->sel != SEL_IMM && insn->imm);
	if (bad) {
		uebpf_log(msg, msg_sz, "%s uses reserved fields", family(insn->code, op->form));
		return -EINVAL;
	}
	if ((used & F_DST) && insn->dst_reg > BPF_REG_10) {
		uebpf_log(msg, msg_sz, "R%d is invalid", insn->dst_reg);
		return -EINVAL;
	}
	if ((used & F_SRC) && insn->src_reg > BPF_REG_10) {
		uebpf_log(msg, msg_sz, "R%d is invalid", insn->src_reg);
		return -EINVAL;
	}
	return 0;
}

void uebpf_log(char *buf, size_t sz, const char *fmt, ...)
{
	if (!buf || !sz)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}
