/* uebpf: the instruction set (RFC 9669): checking, assembling, disassembling.
 *
 * Instructions are the kernel's `struct bpf_insn` and opcodes are the kernel's
 * BPF_* macros from <linux/bpf.h>; this header adds only the few names that
 * older UAPI headers lack (cpu v4: sign-extending loads, gotol).
 */
#ifndef UEBPF_ISA_H
#define UEBPF_ISA_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80 /* sign-extending load mode (cpu v4) */
#endif

#define UEBPF_MAX_INSNS (1u << 20)
#define UEBPF_STACK_SIZE 512      /* bytes per frame, as MAX_BPF_STACK */
#define UEBPF_MAX_CALL_DEPTH 8    /* frames, as MAX_CALL_FRAMES */

/* Check that insns[0..n) is a well-formed program: every opcode known, every
 * reserved field zero, registers in range, lddw pairs complete, jump and call
 * targets inside the program and never into the second half of a lddw, and no
 * path that runs off the end. Returns 0 or -EINVAL; on error writes one line
 * "insn N: what is wrong" into log (if log_sz > 0). */
int uebpf_insns_check(const struct bpf_insn *insns, size_t n, char *log, size_t log_sz);

/* Number of slots (1, or 2 for lddw) the instruction at insns[i] occupies. */
static inline size_t uebpf_insn_slots(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW) ? 2 : 1;
}

/* Assemble text (the syntax of the conformance suite, plus map:N, mapval:N+OFF,
 * ldabs/ldind and .insn) into a malloc'd array. Returns 0 or a negative errno;
 * on error writes "line N: what is wrong" into log. The caller frees *out. */
int uebpf_asm(const char *text, struct bpf_insn **out, size_t *n_out, char *log, size_t log_sz);

enum uebpf_asm_style {
	UEBPF_ASM_STYLE_UEBPF = 0, /* the conformance-suite syntax; reassembles to the same bytes */
	UEBPF_ASM_STYLE_LLVM = 1,  /* as llvm-objdump -d prints it: r0 = *(u32 *)(r1 + 0) */
	UEBPF_ASM_STYLE_KERNEL = 2, /* as the kernel's verifier log prints it: r0 = *(u32 *)(r1 +0),
				     * if r1 == 0x0 goto pc+1 (helper calls as "call #ID") */
};

/* Format the instruction at insns[i] into buf (no newline, no index prefix).
 * Returns the number of slots consumed (1 or 2), or -EINVAL if i is past the
 * end (the text then says why). Any bytes decode: the UEBPF style prints what
 * has no mnemonic form (unknown opcode, nonzero reserved field, register above
 * r10, broken lddw pair) as `.insn CODE, DST, SRC, OFF, IMM`, which assembles
 * back to the same bytes; the LLVM style prints <unknown>, as llvm-objdump. */
int uebpf_disasm_insn(const struct bpf_insn *insns, size_t n, size_t i, enum uebpf_asm_style style,
		      char *buf, size_t buf_sz);

/* Disassemble a whole program, one instruction per line; returns 0 or a
 * negative errno. The LLVM style uses llvm-objdump's layout: index, bytes, text. */
int uebpf_disasm(const struct bpf_insn *insns, size_t n, enum uebpf_asm_style style, FILE *out);

#ifdef __cplusplus
}
#endif

#endif
