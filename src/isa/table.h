/* The opcode table: the one place that knows every instruction form of
 * RFC 9669. The checker, the assembler and both disassembler styles read it;
 * nothing else in src/isa switches on opcodes. Private to src/isa. */
#ifndef UEBPF_ISA_TABLE_H
#define UEBPF_ISA_TABLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/isa.h>

#include "isa/log.h"

/* Operand form: which fields an instruction uses and how its text looks.
 * Every field a form does not list must be zero. */
enum isa_form {
	FORM_ALU_K,      /* add %rD, IMM         dst, imm */
	FORM_ALU_X,      /* add %rD, %rS         dst, src */
	FORM_NEG,        /* neg %rD              dst */
	FORM_END,        /* be16 %rD             dst (imm selects the width) */
	FORM_MOVSX,      /* movsx832 %rD, %rS    dst, src (off selects the width) */
	FORM_LDDW,       /* lddw %rD, IMM64      dst, imm, next imm (src selects the pseudo kind) */
	FORM_LDABS,      /* ldabsw IMM           imm */
	FORM_LDIND,      /* ldindw %rS, IMM      src, imm */
	FORM_LDX,        /* ldxw %rD, [%rS+OFF]  dst, src, off */
	FORM_ST,         /* stw [%rD+OFF], IMM   dst, off, imm */
	FORM_STX,        /* stxw [%rD+OFF], %rS  dst, src, off */
	FORM_ATOMIC,     /* lock add [%rD+OFF], %rS (imm selects the operation) */
	FORM_JA,         /* ja +OFF */
	FORM_JA32,       /* ja32 +IMM (gotol) */
	FORM_JCOND_K,    /* jeq %rD, IMM, +OFF */
	FORM_JCOND_X,    /* jeq %rD, %rS, +OFF */
	FORM_CALL,       /* call IMM             helper by id */
	FORM_CALL_LOCAL, /* call local +IMM      bpf-to-bpf call, pc-relative */
	FORM_CALL_BTF,   /* helper by BTF id (kfunc): imm, off; no text form of its own */
	FORM_CALLX,      /* call %rD             helper id in a register */
	FORM_EXIT,       /* exit */
};

/* The field that tells apart rows sharing one opcode byte (sdiv vs div, the
 * atomic operations, the lddw pseudo sources, ...). */
enum isa_sel { SEL_NONE, SEL_OFF, SEL_IMM, SEL_SRC };

struct isa_op {
	uint8_t code;
	uint8_t form;      /* enum isa_form */
	uint8_t sel;       /* enum isa_sel */
	int32_t sel_val;   /* value the selecting field must hold */
	const char *name;  /* conformance-suite mnemonic; NULL: no text form (.insn) */
	const char *llvm;  /* the operator or word llvm-objdump prints for it */
};

extern const struct isa_op isa_ops[];
extern const size_t isa_n_ops;

/* The row describing insn, or NULL if its opcode is unknown or no row's
 * selecting field matches. */
const struct isa_op *isa_lookup(const struct bpf_insn *insn);

/* Check the fields of one instruction against its row (stored in *op, NULL
 * if none): opcode known, reserved fields zero, registers in range. Returns 0
 * or -EINVAL with the kernel's wording in msg ("unknown opcode e7", "BPF_ALU
 * uses reserved fields", "R11 is invalid", ...). Does not look at a lddw's
 * second slot, control flow or which registers are written. */
int isa_fields_check(const struct bpf_insn *insn, const struct isa_op **op, char *msg, size_t msg_sz);

/* Which registers an instruction's form reads as dst / src fields. */
bool isa_form_uses_dst(enum isa_form f);
bool isa_form_uses_src(enum isa_form f);

/* printf into a caller's buffer; tolerates buf == NULL / sz == 0. */

#endif
