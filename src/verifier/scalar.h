/* Scalar value tracking: a tnum (known bits) plus signed/unsigned 64- and
 * 32-bit bounds, kept mutually consistent, as the kernel's bpf_reg_state does
 * for SCALAR_VALUE and for the variable part of pointers.
 *
 * Invariant after every function here: the value set described by the tnum
 * and by each of the four ranges contains every concrete value the register
 * can hold; scalar_sync() tightens each from the others. */
#ifndef UEBPF_VERIFIER_SCALAR_H
#define UEBPF_VERIFIER_SCALAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tnum {
	uint64_t value; /* bits known to be 1 */
	uint64_t mask;  /* bits unknown */
};

struct tnum tnum_const(uint64_t v);
struct tnum tnum_unknown(void);
struct tnum tnum_range(uint64_t min, uint64_t max);
bool tnum_is_const(struct tnum a);
bool tnum_in(struct tnum outer, struct tnum inner); /* inner's values are all in outer */
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_lshift(struct tnum a, uint8_t shift);
struct tnum tnum_rshift(struct tnum a, uint8_t shift);
struct tnum tnum_arshift(struct tnum a, uint8_t shift, uint8_t insn_bitness);
struct tnum tnum_intersect(struct tnum a, struct tnum b);
struct tnum tnum_cast(struct tnum a, uint8_t size); /* keep the low size bytes */
struct tnum tnum_subreg(struct tnum a);              /* low 32 bits */
struct tnum tnum_with_subreg(struct tnum a, struct tnum subreg);

struct uebpf_scalar {
	struct tnum var_off;
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32_min, s32_max;
	uint32_t u32_min, u32_max;
};

void scalar_unknown(struct uebpf_scalar *s);
void scalar_const(struct uebpf_scalar *s, uint64_t v);
bool scalar_is_const(const struct uebpf_scalar *s);
/* nothing known: the kernel's __is_scalar_unbounded */
bool scalar_is_unbounded(const struct uebpf_scalar *s);
/* Tighten tnum and all four ranges from each other (__update_reg_bounds,
 * __reg_deduce_bounds, __reg_bound_offset). */
void scalar_sync(struct uebpf_scalar *s);
/* Zero-extend the low 32 bits into 64 (what a 32-bit ALU op does to dst). */
void scalar_zext32(struct uebpf_scalar *s);

/* dst = dst OP src for BPF_ADD..BPF_END / BPF_MOV with its sign-extending
 * forms; code is the instruction's code, off its off field (movsx size,
 * sdiv/smod), imm the immediate (bswap width). alu32 ops leave the result
 * zero-extended. Unknown or unmodelled results become unknown, never wrong. */
void scalar_alu(struct uebpf_scalar *dst, const struct uebpf_scalar *src, uint8_t code, int16_t off,
		int32_t imm);

/* Outcome of a conditional jump `if a OP b` (op = BPF_JEQ..BPF_JSLE, JSET):
 * 1 always taken, 0 never taken, -1 unknown. is32: JMP32. */
int scalar_branch(const struct uebpf_scalar *a, const struct uebpf_scalar *b, uint8_t op, bool is32);
/* Refine a and b for the branch side (taken or not) of `if a OP b`. */
void scalar_refine(struct uebpf_scalar *a, struct uebpf_scalar *b, uint8_t op, bool is32, bool taken);

/* Every value cur allows, old allows too (for state pruning: range_within
 * and tnum_in). */
bool scalar_within(const struct uebpf_scalar *old, const struct uebpf_scalar *cur);

/* The kernel's log notation of a scalar: "0", "-5", or
 * "scalar(smin=...,umax=...,var_off=(0x0; 0xff))" printing only the fields
 * that carry information, in the kernel's order. Returns what snprintf does. */
int scalar_fmt(const struct uebpf_scalar *s, char *buf, size_t sz);
/* The bounds and var_off part alone, each item after sep (then ","); and
 * a number as the kernel prints one (decimal while small, else hex). */
int scalar_fmt_ranges(const struct uebpf_scalar *s, const char *sep, char *buf, size_t sz);
int scalar_fmt_const(int64_t v, char *buf, size_t sz);

#endif
