/* The interpreter: the whole RFC 9669 instruction set, dispatched with
 * computed gotos through a 256-entry table indexed by opcode.
 *
 * One body serves both modes. Unchecked runs (verified programs) dispatch
 * straight to the handlers. Checked runs dispatch every instruction to `step`,
 * which charges the instruction budget and then jumps through a second table
 * in which loads, stores, atomics and bpf-to-bpf calls lead to a `_chk` label
 * that validates the access and falls through into the shared handler.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine/prog.h"

/* Unaligned accesses are legal in BPF; these types make them legal in C. */
typedef uint16_t u16_u __attribute__((aligned(1), may_alias));
typedef uint32_t u32_u __attribute__((aligned(1), may_alias));
typedef uint64_t u64_u __attribute__((aligned(1), may_alias));
typedef int8_t s8_u __attribute__((may_alias));
typedef int16_t s16_u __attribute__((aligned(1), may_alias));
typedef int32_t s32_u __attribute__((aligned(1), may_alias));

/* What a bpf-to-bpf call saves: where to return and the callee-saved r6-r10. */
struct frame {
	const struct bpf_insn *ret;
	uint64_t saved[5];
};

enum access { ACC_LOAD, ACC_STORE, ACC_ATOMIC };
enum fault { FAULT_NONE, FAULT_OOB, FAULT_RDONLY, FAULT_ALIGN };

static bool inside(uintptr_t lo, uintptr_t hi, uint64_t addr, uint64_t size)
{
	return addr >= lo && addr <= hi && hi - addr >= size;
}

/* Checked mode: may the program touch [addr, addr+size)? The stack is every
 * live frame (callers' frames are reachable through pointers they passed). */
static __attribute__((noinline)) enum fault check_access(const struct uebpf_prog *prog, uintptr_t stack_lo,
							  uintptr_t stack_hi, uintptr_t mem, size_t mem_len,
							  uint64_t addr, uint32_t size, enum access acc)
{
	bool read_only = false;

	/* the kernel requires aligned atomics; x86 would split-lock them */
	if (acc == ACC_ATOMIC && (addr & (size - 1)))
		return FAULT_ALIGN;
	if (inside(stack_lo, stack_hi, addr, size) || inside(mem, mem + mem_len, addr, size))
		return FAULT_NONE;
	for (size_t i = 0; i < prog->n_regions; i++) {
		const struct uebpf_region *r = &prog->regions[i];
		if (!inside(r->start, r->end, addr, size))
			continue;
		if (acc == ACC_LOAD || r->writable)
			return FAULT_NONE;
		read_only = true;
	}
	return read_only ? FAULT_RDONLY : FAULT_OOB;
}

#define STACK_WORDS (UEBPF_MAX_CALL_DEPTH * UEBPF_STACK_SIZE / 8)

/* Tables name handlers by opcode; an entry left out means "invalid". The
 * [0 ... 255] default is overridden on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

/* Binary ALU operations and jump conditions as expressions of a (dst) and b
 * (src or immediate), both uint32_t or both uint64_t. */
#define SIGNED(x) _Generic((x), uint32_t: (int32_t)(x), uint64_t: (int64_t)(x))
#define SHIFT_MASK (sizeof(a) * 8 - 1)
#define ALU_OPS(X)                                \
	X(ADD, a + b)                             \
	X(SUB, a - b)                             \
	X(MUL, a * b)                             \
	X(OR, a | b)                              \
	X(AND, a & b)                             \
	X(XOR, a ^ b)                             \
	X(LSH, a << (b & SHIFT_MASK))             \
	X(RSH, a >> (b & SHIFT_MASK))             \
	X(ARSH, (__typeof__(a))(SIGNED(a) >> (b & SHIFT_MASK)))

#define JMP_OPS(X)               \
	X(JEQ, a == b)           \
	X(JNE, a != b)           \
	X(JGT, a > b)            \
	X(JGE, a >= b)           \
	X(JLT, a < b)            \
	X(JLE, a <= b)           \
	X(JSET, (a & b) != 0)    \
	X(JSGT, SIGNED(a) > SIGNED(b))     \
	X(JSGE, SIGNED(a) >= SIGNED(b))    \
	X(JSLT, SIGNED(a) < SIGNED(b))     \
	X(JSLE, SIGNED(a) <= SIGNED(b))

/* Memory operations: opcode, C type of the access, checked-mode access kind. */
#define LDX_OPS(X)                                    \
	X(BPF_LDX | BPF_MEM | BPF_B, ldxb, uint8_t)    \
	X(BPF_LDX | BPF_MEM | BPF_H, ldxh, u16_u)      \
	X(BPF_LDX | BPF_MEM | BPF_W, ldxw, u32_u)      \
	X(BPF_LDX | BPF_MEM | BPF_DW, ldxdw, u64_u)    \
	X(BPF_LDX | BPF_MEMSX | BPF_B, ldxsb, s8_u)    \
	X(BPF_LDX | BPF_MEMSX | BPF_H, ldxsh, s16_u)   \
	X(BPF_LDX | BPF_MEMSX | BPF_W, ldxsw, s32_u)
#define ST_OPS(X)                                   \
	X(BPF_ST | BPF_MEM | BPF_B, stb, uint8_t)    \
	X(BPF_ST | BPF_MEM | BPF_H, sth, u16_u)      \
	X(BPF_ST | BPF_MEM | BPF_W, stw, u32_u)      \
	X(BPF_ST | BPF_MEM | BPF_DW, stdw, u64_u)
#define STX_OPS(X)                                   \
	X(BPF_STX | BPF_MEM | BPF_B, stxb, uint8_t)   \
	X(BPF_STX | BPF_MEM | BPF_H, stxh, u16_u)     \
	X(BPF_STX | BPF_MEM | BPF_W, stxw, u32_u)     \
	X(BPF_STX | BPF_MEM | BPF_DW, stxdw, u64_u)

/* table entries */
#define ALU_ENTRIES(OP, E)                                           \
	[BPF_ALU64 | BPF_##OP | BPF_K] = &&alu64_##OP##_k,           \
	[BPF_ALU64 | BPF_##OP | BPF_X] = &&alu64_##OP##_x,           \
	[BPF_ALU | BPF_##OP | BPF_K] = &&alu32_##OP##_k,             \
	[BPF_ALU | BPF_##OP | BPF_X] = &&alu32_##OP##_x,
#define JMP_ENTRIES(OP, E)                                           \
	[BPF_JMP | BPF_##OP | BPF_K] = &&jmp64_##OP##_k,             \
	[BPF_JMP | BPF_##OP | BPF_X] = &&jmp64_##OP##_x,             \
	[BPF_JMP32 | BPF_##OP | BPF_K] = &&jmp32_##OP##_k,           \
	[BPF_JMP32 | BPF_##OP | BPF_X] = &&jmp32_##OP##_x,
#define MEM_ENTRIES(CODE, NAME, T) [CODE] = &&NAME,
#define MEM_CHK_ENTRIES(CODE, NAME, T) [CODE] = &&NAME##_chk,

/* handlers */
#define ALU64_HANDLERS(OP, E)                                                      \
	alu64_##OP##_k : {                                                          \
		uint64_t a = DST, b = (uint64_t)(int64_t)insn->imm;                                     \
		DST = (E);                                                          \
		NEXT();                                                             \
	}                                                                           \
	alu64_##OP##_x : {                                                          \
		uint64_t a = DST, b = SRC;                                                 \
		DST = (E);                                                          \
		NEXT();                                                             \
	}
#define ALU32_HANDLERS(OP, E)                                                      \
	alu32_##OP##_k : {                                                          \
		uint32_t a = (uint32_t)DST, b = (uint32_t)insn->imm;                                     \
		DST = (uint32_t)(E);                                                       \
		NEXT();                                                             \
	}                                                                           \
	alu32_##OP##_x : {                                                          \
		uint32_t a = (uint32_t)DST, b = (uint32_t)SRC;                                           \
		DST = (uint32_t)(E);                                                       \
		NEXT();                                                             \
	}
#define JMP64_HANDLERS(OP, E)                                              \
	jmp64_##OP##_k : {                                                  \
		uint64_t a = DST, b = (uint64_t)(int64_t)insn->imm;                             \
		JUMP_IF(E);                                                 \
	}                                                                   \
	jmp64_##OP##_x : {                                                  \
		uint64_t a = DST, b = SRC;                                         \
		JUMP_IF(E);                                                 \
	}
#define JMP32_HANDLERS(OP, E)                                              \
	jmp32_##OP##_k : {                                                  \
		uint32_t a = (uint32_t)DST, b = (uint32_t)insn->imm;                             \
		JUMP_IF(E);                                                 \
	}                                                                   \
	jmp32_##OP##_x : {                                                  \
		uint32_t a = (uint32_t)DST, b = (uint32_t)SRC;                                   \
		JUMP_IF(E);                                                 \
	}
#define LDX_HANDLERS(CODE, NAME, T)                                         \
	NAME##_chk : CHECK(SRC + insn->off, sizeof(T), ACC_LOAD);             \
	NAME : DST = (uint64_t)(int64_t) * (const T *)(uintptr_t)(SRC + insn->off); \
	NEXT();
#define ST_HANDLERS(CODE, NAME, T)                                          \
	NAME##_chk : CHECK(DST + insn->off, sizeof(T), ACC_STORE);            \
	NAME : *(T *)(uintptr_t)(DST + insn->off) = (T)insn->imm;             \
	NEXT();
#define STX_HANDLERS(CODE, NAME, T)                                         \
	NAME##_chk : CHECK(DST + insn->off, sizeof(T), ACC_STORE);            \
	NAME : *(T *)(uintptr_t)(DST + insn->off) = (T)SRC;                   \
	NEXT();

#define DST r[insn->dst_reg]
#define SRC r[insn->src_reg]
#define DISPATCH() goto *table[insn->code]
#define NEXT()          \
	do {            \
		insn++; \
		DISPATCH(); \
	} while (0)
#define JUMP_IF(COND)                                     \
	do {                                              \
		insn += 1 + ((COND) ? insn->off : 0);     \
		DISPATCH();                               \
	} while (0)
#define CHECK(ADDR, SIZE, ACC)                                                                      \
	do {                                                                                        \
		fault_addr = (ADDR);                                                                \
		fault_size = (SIZE);                                                                \
		fault_acc = (ACC);                                                                  \
		fault = check_access(prog, stack_top - (depth + 1) * UEBPF_STACK_SIZE, stack_top,   \
				     (uintptr_t)mem, mem_len, fault_addr, fault_size, fault_acc);   \
		if (fault)                                                                          \
			goto mem_fault;                                                             \
	} while (0)

int uebpf_interp_run(const struct uebpf_prog *prog, void *mem, size_t mem_len, uint64_t *ret, char *log,
		     size_t log_sz)
{
	static const void *const fast[256] = {
		[0 ... 255] = &&invalid,
		ALU_OPS(ALU_ENTRIES)
		JMP_OPS(JMP_ENTRIES)
		LDX_OPS(MEM_ENTRIES)
		ST_OPS(MEM_ENTRIES)
		STX_OPS(MEM_ENTRIES)
		[BPF_ALU64 | BPF_MOV | BPF_K] = &&alu64_mov_k,
		[BPF_ALU64 | BPF_MOV | BPF_X] = &&alu64_mov_x,
		[BPF_ALU | BPF_MOV | BPF_K] = &&alu32_mov_k,
		[BPF_ALU | BPF_MOV | BPF_X] = &&alu32_mov_x,
		[BPF_ALU64 | BPF_DIV | BPF_K] = &&alu64_div_k,
		[BPF_ALU64 | BPF_DIV | BPF_X] = &&alu64_div_x,
		[BPF_ALU | BPF_DIV | BPF_K] = &&alu32_div_k,
		[BPF_ALU | BPF_DIV | BPF_X] = &&alu32_div_x,
		[BPF_ALU64 | BPF_MOD | BPF_K] = &&alu64_mod_k,
		[BPF_ALU64 | BPF_MOD | BPF_X] = &&alu64_mod_x,
		[BPF_ALU | BPF_MOD | BPF_K] = &&alu32_mod_k,
		[BPF_ALU | BPF_MOD | BPF_X] = &&alu32_mod_x,
		[BPF_ALU64 | BPF_NEG] = &&alu64_neg,
		[BPF_ALU | BPF_NEG] = &&alu32_neg,
		[BPF_ALU | BPF_END | BPF_TO_LE] = &&end_le,
		[BPF_ALU | BPF_END | BPF_TO_BE] = &&end_be,
		[BPF_ALU64 | BPF_END | BPF_TO_LE] = &&end_be, /* bswap: unconditional */
		[BPF_JMP | BPF_JA] = &&ja,
		[BPF_JMP32 | BPF_JA] = &&gotol,
		[BPF_JMP | BPF_CALL | BPF_K] = &&call,
		[BPF_JMP | BPF_CALL | BPF_X] = &&callx,
		[BPF_JMP | BPF_EXIT] = &&exit,
		[BPF_LD | BPF_IMM | BPF_DW] = &&lddw,
		[BPF_LD | BPF_ABS | BPF_B] = &&ld_abs_b,
		[BPF_LD | BPF_ABS | BPF_H] = &&ld_abs_h,
		[BPF_LD | BPF_ABS | BPF_W] = &&ld_abs_w,
		[BPF_LD | BPF_IND | BPF_B] = &&ld_ind_b,
		[BPF_LD | BPF_IND | BPF_H] = &&ld_ind_h,
		[BPF_LD | BPF_IND | BPF_W] = &&ld_ind_w,
		[BPF_STX | BPF_ATOMIC | BPF_W] = &&atomic32,
		[BPF_STX | BPF_ATOMIC | BPF_DW] = &&atomic64,
	};
	/* checked mode, after `step`: as fast[] but memory accesses and
	 * bpf-to-bpf calls are validated first */
	static const void *const checked_impl[256] = {
		[0 ... 255] = &&invalid,
		ALU_OPS(ALU_ENTRIES)
		JMP_OPS(JMP_ENTRIES)
		LDX_OPS(MEM_CHK_ENTRIES)
		ST_OPS(MEM_CHK_ENTRIES)
		STX_OPS(MEM_CHK_ENTRIES)
		[BPF_ALU64 | BPF_MOV | BPF_K] = &&alu64_mov_k,
		[BPF_ALU64 | BPF_MOV | BPF_X] = &&alu64_mov_x,
		[BPF_ALU | BPF_MOV | BPF_K] = &&alu32_mov_k,
		[BPF_ALU | BPF_MOV | BPF_X] = &&alu32_mov_x,
		[BPF_ALU64 | BPF_DIV | BPF_K] = &&alu64_div_k,
		[BPF_ALU64 | BPF_DIV | BPF_X] = &&alu64_div_x,
		[BPF_ALU | BPF_DIV | BPF_K] = &&alu32_div_k,
		[BPF_ALU | BPF_DIV | BPF_X] = &&alu32_div_x,
		[BPF_ALU64 | BPF_MOD | BPF_K] = &&alu64_mod_k,
		[BPF_ALU64 | BPF_MOD | BPF_X] = &&alu64_mod_x,
		[BPF_ALU | BPF_MOD | BPF_K] = &&alu32_mod_k,
		[BPF_ALU | BPF_MOD | BPF_X] = &&alu32_mod_x,
		[BPF_ALU64 | BPF_NEG] = &&alu64_neg,
		[BPF_ALU | BPF_NEG] = &&alu32_neg,
		[BPF_ALU | BPF_END | BPF_TO_LE] = &&end_le,
		[BPF_ALU | BPF_END | BPF_TO_BE] = &&end_be,
		[BPF_ALU64 | BPF_END | BPF_TO_LE] = &&end_be,
		[BPF_JMP | BPF_JA] = &&ja,
		[BPF_JMP32 | BPF_JA] = &&gotol,
		[BPF_JMP | BPF_CALL | BPF_K] = &&call_chk,
		[BPF_JMP | BPF_CALL | BPF_X] = &&callx,
		[BPF_JMP | BPF_EXIT] = &&exit,
		[BPF_LD | BPF_IMM | BPF_DW] = &&lddw,
		[BPF_LD | BPF_ABS | BPF_B] = &&ld_abs_b,
		[BPF_LD | BPF_ABS | BPF_H] = &&ld_abs_h,
		[BPF_LD | BPF_ABS | BPF_W] = &&ld_abs_w,
		[BPF_LD | BPF_IND | BPF_B] = &&ld_ind_b,
		[BPF_LD | BPF_IND | BPF_H] = &&ld_ind_h,
		[BPF_LD | BPF_IND | BPF_W] = &&ld_ind_w,
		[BPF_STX | BPF_ATOMIC | BPF_W] = &&atomic32_chk,
		[BPF_STX | BPF_ATOMIC | BPF_DW] = &&atomic64_chk,
	};
	static const void *const checked[256] = { [0 ... 255] = &&step };

	const bool is_checked = !(prog->flags & UEBPF_F_VERIFIED);
	const void *const *const table = is_checked ? checked : fast;
	const struct bpf_insn *insn = prog->insns;
	uint64_t stack[STACK_WORDS] __attribute__((aligned(16)));
	const uintptr_t stack_top = (uintptr_t)(stack + STACK_WORDS);
	struct frame frames[UEBPF_MAX_CALL_DEPTH];
	uint32_t depth = 0;
	uint64_t budget = prog->insn_budget;
	uint64_t r[MAX_BPF_REG];
	/* what a checked access that failed was */
	enum fault fault;
	uint64_t fault_addr;
	uint32_t fault_size;
	enum access fault_acc;
	int64_t pkt_off;
	uint32_t pkt_size;

	r[0] = 0;
	r[1] = (uintptr_t)mem;
	r[2] = mem_len;
	r[3] = r[4] = r[5] = r[6] = r[7] = r[8] = r[9] = 0;
	r[10] = stack_top;
	/* an unverified program could read stack it never wrote: give it zeros,
	 * not the host's leftovers */
	if (is_checked)
		memset(stack + STACK_WORDS - UEBPF_STACK_SIZE / 8, 0, UEBPF_STACK_SIZE);
	DISPATCH();

step:
	if (budget-- == 0) {
		uebpf_log(log, log_sz, "insn %td: instruction budget of %" PRIu64 " exhausted", insn - prog->insns,
			  prog->insn_budget);
		return -ELOOP;
	}
	goto *checked_impl[insn->code];

	ALU_OPS(ALU64_HANDLERS)
	ALU_OPS(ALU32_HANDLERS)
	JMP_OPS(JMP64_HANDLERS)
	JMP_OPS(JMP32_HANDLERS)

alu64_mov_k:
	DST = (uint64_t)(int64_t)insn->imm;
	NEXT();
alu64_mov_x:
	switch (insn->off) {
	case 0: DST = SRC; break;
	case 8: DST = (uint64_t)(int64_t)(int8_t)SRC; break;
	case 16: DST = (uint64_t)(int64_t)(int16_t)SRC; break;
	case 32: DST = (uint64_t)(int64_t)(int32_t)SRC; break;
	default: goto invalid;
	}
	NEXT();
alu32_mov_k:
	DST = (uint32_t)insn->imm;
	NEXT();
alu32_mov_x:
	switch (insn->off) {
	case 0: DST = (uint32_t)SRC; break;
	case 8: DST = (uint32_t)(int32_t)(int8_t)SRC; break;
	case 16: DST = (uint32_t)(int32_t)(int16_t)SRC; break;
	default: goto invalid;
	}
	NEXT();

	/* Division never traps: x/0 = 0, x%0 = x, and signed INT_MIN/-1 wraps
	 * to INT_MIN with remainder 0 (off = 1 selects signed). */
	{
		uint64_t b64;
		uint32_t b32;
alu64_div_k:
		b64 = (uint64_t)(int64_t)insn->imm;
		goto div64;
alu64_div_x:
		b64 = SRC;
div64:
		if (!b64)
			DST = 0;
		else if (!insn->off)
			DST /= b64;
		else if (b64 == UINT64_MAX)
			DST = -DST;
		else
			DST = (uint64_t)((int64_t)DST / (int64_t)b64);
		NEXT();
alu64_mod_k:
		b64 = (uint64_t)(int64_t)insn->imm;
		goto mod64;
alu64_mod_x:
		b64 = SRC;
mod64:
		if (!b64)
			NEXT();
		if (!insn->off)
			DST %= b64;
		else if (b64 == UINT64_MAX)
			DST = 0;
		else
			DST = (uint64_t)((int64_t)DST % (int64_t)b64);
		NEXT();
alu32_div_k:
		b32 = (uint32_t)insn->imm;
		goto div32;
alu32_div_x:
		b32 = (uint32_t)SRC;
div32:
		if (!b32)
			DST = 0;
		else if (!insn->off)
			DST = (uint32_t)DST / b32;
		else if (b32 == UINT32_MAX)
			DST = (uint32_t)-(uint32_t)DST;
		else
			DST = (uint32_t)((int32_t)DST / (int32_t)b32);
		NEXT();
alu32_mod_k:
		b32 = (uint32_t)insn->imm;
		goto mod32;
alu32_mod_x:
		b32 = (uint32_t)SRC;
mod32:
		if (!b32)
			DST = (uint32_t)DST;
		else if (!insn->off)
			DST = (uint32_t)DST % b32;
		else if (b32 == UINT32_MAX)
			DST = 0;
		else
			DST = (uint32_t)((int32_t)DST % (int32_t)b32);
		NEXT();
	}

alu64_neg:
	DST = -DST;
	NEXT();
alu32_neg:
	DST = (uint32_t)-(uint32_t)DST;
	NEXT();

	/* the host is little-endian: "le" only truncates, "be" and bswap swap */
end_le:
	switch (insn->imm) {
	case 16: DST = (uint16_t)DST; break;
	case 32: DST = (uint32_t)DST; break;
	case 64: break;
	default: goto invalid;
	}
	NEXT();
end_be:
	switch (insn->imm) {
	case 16: DST = __builtin_bswap16((uint16_t)DST); break;
	case 32: DST = __builtin_bswap32((uint32_t)DST); break;
	case 64: DST = __builtin_bswap64(DST); break;
	default: goto invalid;
	}
	NEXT();

	LDX_OPS(LDX_HANDLERS)
	ST_OPS(ST_HANDLERS)
	STX_OPS(STX_HANDLERS)

atomic32_chk:
	CHECK(DST + insn->off, 4, ACC_ATOMIC);
atomic32: {
	uint32_t *p = (uint32_t *)(uintptr_t)(DST + insn->off);
	uint32_t v = (uint32_t)SRC;
	switch (insn->imm) {
	case BPF_ADD: __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_OR: __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_AND: __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_XOR: __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_ADD | BPF_FETCH: SRC = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_OR | BPF_FETCH: SRC = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_AND | BPF_FETCH: SRC = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_XOR | BPF_FETCH: SRC = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_XCHG: SRC = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_CMPXCHG: {
		/* r0 receives the old value whether or not the swap happened */
		uint32_t expected = (uint32_t)r[0];
		__atomic_compare_exchange_n(p, &expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		r[0] = expected;
		break;
	}
	default: goto invalid;
	}
	NEXT();
}
atomic64_chk:
	CHECK(DST + insn->off, 8, ACC_ATOMIC);
atomic64: {
	uint64_t *p = (uint64_t *)(uintptr_t)(DST + insn->off);
	uint64_t v = SRC;
	switch (insn->imm) {
	case BPF_ADD: __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_OR: __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_AND: __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_XOR: __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_ADD | BPF_FETCH: SRC = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_OR | BPF_FETCH: SRC = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_AND | BPF_FETCH: SRC = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_XOR | BPF_FETCH: SRC = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_XCHG: SRC = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); break;
	case BPF_CMPXCHG: {
		uint64_t expected = r[0];
		__atomic_compare_exchange_n(p, &expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		r[0] = expected;
		break;
	}
	default: goto invalid;
	}
	NEXT();
}

lddw:
	DST = (uint32_t)insn[0].imm | (uint64_t)(uint32_t)insn[1].imm << 32;
	insn += 2;
	DISPATCH();

	/* Legacy packet loads read the input memory in network byte order at a
	 * 32-bit signed offset; out of bounds ends the program with 0, as in the
	 * kernel. */
ld_abs_b:
	pkt_off = insn->imm, pkt_size = 1;
	goto ld_pkt;
ld_abs_h:
	pkt_off = insn->imm, pkt_size = 2;
	goto ld_pkt;
ld_abs_w:
	pkt_off = insn->imm, pkt_size = 4;
	goto ld_pkt;
ld_ind_b:
	pkt_off = (int32_t)(uint32_t)(SRC + (uint64_t)(int64_t)insn->imm), pkt_size = 1;
	goto ld_pkt;
ld_ind_h:
	pkt_off = (int32_t)(uint32_t)(SRC + (uint64_t)(int64_t)insn->imm), pkt_size = 2;
	goto ld_pkt;
ld_ind_w:
	pkt_off = (int32_t)(uint32_t)(SRC + (uint64_t)(int64_t)insn->imm), pkt_size = 4;
ld_pkt:
	if (pkt_off < 0 || (uint64_t)pkt_off + pkt_size > mem_len) {
		*ret = 0;
		return 0;
	} else {
		const uint8_t *p = (const uint8_t *)mem + pkt_off;
		r[0] = pkt_size == 1 ? *p
		       : pkt_size == 2 ? __builtin_bswap16(*(const u16_u *)p)
				       : __builtin_bswap32(*(const u32_u *)p);
	}
	NEXT();

ja:
	insn += 1 + insn->off;
	DISPATCH();
gotol:
	insn += 1 + insn->imm;
	DISPATCH();

call_chk:
	if (insn->src_reg == BPF_PSEUDO_CALL) {
		if (depth + 1 >= UEBPF_MAX_CALL_DEPTH) {
			uebpf_log(log, log_sz, "insn %td: call depth exceeds %d", insn - prog->insns,
				  UEBPF_MAX_CALL_DEPTH);
			return -EOVERFLOW;
		}
		memset((void *)(stack_top - (depth + 2) * UEBPF_STACK_SIZE), 0, UEBPF_STACK_SIZE);
	}
call:
	if (insn->src_reg == 0) {
		r[0] = prog->helpers[insn->imm](r[1], r[2], r[3], r[4], r[5]);
		NEXT();
	}
	if (insn->src_reg != BPF_PSEUDO_CALL)
		goto invalid;
	frames[depth] = (struct frame){ insn + 1, { r[6], r[7], r[8], r[9], r[10] } };
	depth++;
	r[10] = stack_top - depth * UEBPF_STACK_SIZE;
	insn += 1 + insn->imm;
	DISPATCH();

callx: {
	/* the register holds a helper id, known only now */
	uint64_t id = DST;
	if (id >= UEBPF_MAX_HELPERS || !prog->helpers[id]) {
		uebpf_log(log, log_sz, "insn %td: call to unknown helper %" PRIu64 " through r%u", insn - prog->insns,
			  id, insn->dst_reg);
		return -ENOSYS;
	}
	r[0] = prog->helpers[id](r[1], r[2], r[3], r[4], r[5]);
	NEXT();
}

exit:
	if (depth == 0) {
		*ret = r[0];
		return 0;
	}
	depth--;
	r[6] = frames[depth].saved[0];
	r[7] = frames[depth].saved[1];
	r[8] = frames[depth].saved[2];
	r[9] = frames[depth].saved[3];
	r[10] = frames[depth].saved[4];
	insn = frames[depth].ret;
	DISPATCH();

mem_fault: {
	static const char *const verb[] = { [ACC_LOAD] = "load", [ACC_STORE] = "store", [ACC_ATOMIC] = "atomic" };
	static const char *const why[] = { [FAULT_OOB] = "out-of-bounds ",
					   [FAULT_RDONLY] = "read-only-memory ",
					   [FAULT_ALIGN] = "misaligned " };
	uebpf_log(log, log_sz, "insn %td: %s%s of %u bytes at 0x%" PRIx64, insn - prog->insns, why[fault],
		  verb[fault_acc], fault_size, fault_addr);
	return -EFAULT;
}

invalid:
	uebpf_log(log, log_sz, "insn %td: invalid instruction (opcode 0x%02x)", insn - prog->insns, insn->code);
	return -EINVAL;
}

#pragma GCC diagnostic pop
