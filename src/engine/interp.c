/* The interpreter: the whole RFC 9669 instruction set.
 *
 * uebpf_interp_prepare() decodes a program once, at load, into instructions
 * whose first word is the address of their handler: the 256-entry label table
 * indexed by opcode is consulted then, and each step dispatches with a single
 * `goto *insn->op`.
 *
 * Registers live in a local array. Every handler that writes a register also
 * leaves the value in `acc`, which the compiler keeps in a host register.
 * Where the next instruction reads that register and can only be reached from
 * the one before, the decoder picks a variant of its handler that takes the
 * operand from `acc`: a chain of dependent instructions then does not wait for
 * each result to make the round trip through memory.
 *
 * Checked mode (a program not verified) decodes through a second table. In
 * it, loads, stores, atomics and calls lead to a `_chk` label that validates
 * the access, then falls into the shared handler; and jumps, calls and exit
 * lead to `_chk` handlers that also charge the instruction budget with the
 * length of the straight run of instructions that led to them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/prog.h"
#include "helpers/proto.h"
#include "maps/map.h"

struct uebpf_interp_insn {
	const void *op; /* handler label */
	uint8_t dst, src;
	int16_t off;
	int32_t imm;
};

/* Unaligned accesses are legal in BPF; these types make them legal in C. */
typedef uint16_t u16_u __attribute__((aligned(1), may_alias));
typedef uint32_t u32_u __attribute__((aligned(1), may_alias));
typedef uint64_t u64_u __attribute__((aligned(1), may_alias));
typedef int8_t s8_u __attribute__((may_alias));
typedef int16_t s16_u __attribute__((aligned(1), may_alias));
typedef int32_t s32_u __attribute__((aligned(1), may_alias));

/* What a bpf-to-bpf call saves: where to return and the callee-saved r6-r10. */
struct frame {
	const struct uebpf_interp_insn *ret;
	uint64_t saved[5];
};

/* Handler variants: which operands the handler takes from acc. */
enum { V_DST = 1, V_SRC = 2, N_VARIANTS = 4 };

/* The labels the decoder needs, handed out by interp() when prog is NULL. */
struct labels {
	const void *const (*fast)[256]; /* [variant][opcode] */
	const void *const *checked;     /* [opcode] */
	const void *const *ldst;        /* [BPF_SIZE >> 3]: a load and the store of what it loaded */
	const void *const *movk;        /* [BPF_OP >> 4]: "rD = rS; rD op= K" */
	const void *const *movst;       /* [0]: "rD = rS; *(u64 *)(rB + o) = rD" */
};

enum access { ACC_LOAD, ACC_STORE, ACC_ATOMIC };
enum fault { FAULT_NONE, FAULT_OOB, FAULT_RDONLY, FAULT_ALIGN };

static bool inside(uintptr_t lo, uintptr_t hi, uint64_t addr, uint64_t size)
{
	return addr >= lo && addr <= hi && hi - addr >= size;
}

/* The stacks of checked runs further up this thread's call chain: a
 * callback (bpf_loop) runs in a nested interpreter and may touch its
 * caller's stack through the pointer the caller passed. */
struct outer_stack {
	uintptr_t lo, hi;
	const struct outer_stack *up;
};
static _Thread_local const struct outer_stack *outer_stacks;

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
	for (const struct outer_stack *o = outer_stacks; o; o = o->up)
		if (inside(o->lo, o->hi, addr, size))
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

/* Checked mode: is v a map this program's lddw resolved (not any number)? */
static bool loaded_map(const struct uebpf_prog *prog, uint64_t v)
{
	for (size_t k = 0; k < prog->n_map_ptrs; k++)
		if (prog->map_ptrs[k] == v)
			return true;
	return false;
}

/* Checked mode, before a helper call: the arguments must be what the
 * helper's prototype says, as the verifier would have proven (maps this
 * program loaded, memory inside the regions the program may touch, its own
 * callbacks and context), or the helper would be handed wild pointers. A
 * helper the table replaced, or one without a prototype, is trusted as the
 * embedder's. Returns NULL, or what is wrong, for the log. */
static __attribute__((noinline)) const char *check_helper_args(const struct uebpf_prog *prog, uint32_t id,
								const uint64_t *r, uintptr_t stack_lo, uintptr_t stack_hi,
								uintptr_t mem, size_t mem_len, int *bad)
{
	static char why[160];
	static const enum uebpf_arg_type ld_abs_args[5] = { UEBPF_ARG_PTR_TO_CTX, UEBPF_ARG_SCALAR };
	const enum uebpf_arg_type *args;
	if (uebpf_helper_internal(id) && prog->helpers[id] == uebpf_helper_internal(id)) {
		/* what the verifier's rewrites call: a hash lookup (the
		 * lookup's arguments), LD_ABS loads (the context, an offset) */
		args = id == UEBPF_FUNC_hash_lookup ? uebpf_helper_proto(BPF_FUNC_map_lookup_elem)->arg : ld_abs_args;
	} else {
		const struct uebpf_helper_proto *p = uebpf_helper_proto(id);
		if (!p || !p->fn || p->fn != prog->helpers[id])
			return NULL;
		args = p->arg;
	}
	const struct uebpf_map *map = NULL;
	for (int a = 0; a < 5 && args[a] != UEBPF_ARG_NONE; a++) {
		uint64_t v = r[a + 1], size = a < 4 ? r[a + 2] : 0;
		enum access acc = ACC_LOAD;
		uint64_t len = 0;
		*bad = a + 1;
		switch (args[a]) {
		case UEBPF_ARG_CONST_MAP_PTR:
			if (!loaded_map(prog, v))
				return "not a map this program loaded";
			map = (const struct uebpf_map *)(uintptr_t)v;
			continue;
		case UEBPF_ARG_PTR_TO_MAP_KEY:
			len = map ? map->info.key_size : 0;
			break;
		case UEBPF_ARG_PTR_TO_MAP_VALUE:
			len = map ? map->info.value_size : 0;
			break;
		case UEBPF_ARG_PTR_TO_UNINIT_MAP_VALUE:
			len = map ? map->info.value_size : 0, acc = ACC_STORE;
			break;
		case UEBPF_ARG_PTR_TO_MEM_OR_NULL:
			if (!v)
				continue;
			/* fall through */
		case UEBPF_ARG_PTR_TO_MEM:
			len = size;
			break;
		case UEBPF_ARG_PTR_TO_UNINIT_MEM:
			len = size, acc = ACC_STORE;
			break;
		case UEBPF_ARG_PTR_TO_LONG:
			len = 8, acc = ACC_STORE;
			break;
		case UEBPF_ARG_PTR_TO_SPIN_LOCK:
			len = 4, acc = ACC_STORE;
			break;
		case UEBPF_ARG_PTR_TO_RINGBUF_MEM:
			/* the record header before the data */
			v -= 8, len = 8, acc = ACC_STORE;
			break;
		case UEBPF_ARG_PTR_TO_CTX_OR_NULL:
			if (!v)
				continue;
			/* fall through */
		case UEBPF_ARG_PTR_TO_CTX:
			if (v != mem)
				return "not the context";
			continue;
		case UEBPF_ARG_PTR_TO_FUNC: {
			bool known = false;
			for (size_t k = 0; k < prog->n_callbacks && !known; k++)
				known = (uintptr_t)&prog->callbacks[k] == v;
			if (!known)
				return "not a function of this program";
			continue;
		}
		case UEBPF_ARG_PTR_TO_CONST_STR:
			/* readable up to its NUL */
			for (uint64_t k = 0;; k++) {
				if (k >= 4096 || check_access(prog, stack_lo, stack_hi, mem, mem_len, v + k, 1, ACC_LOAD))
					return "not a string in memory the program may read";
				if (!*(const char *)(uintptr_t)(v + k))
					break;
			}
			continue;
		default:
			continue; /* scalars, sizes, callback contexts (passed on, not read) */
		}
		if (!len)
			continue;
		if (len > UINT32_MAX || check_access(prog, stack_lo, stack_hi, mem, mem_len, v, (uint32_t)len, acc)) {
			snprintf(why, sizeof(why), "%" PRIu64 " bytes at 0x%" PRIx64 " are outside memory the program may %s",
				 len, v, acc == ACC_LOAD ? "read" : "write");
			return why;
		}
	}
	return NULL;
}

/* Division never traps: x/0 = 0, x%0 = x, and the signed forms (off = 1)
 * take INT_MIN / -1 to INT_MIN with remainder 0. */
static inline uint64_t div64(uint64_t a, uint64_t b, bool sign)
{
	if (!b)
		return 0;
	if (!sign)
		return a / b;
	return b == UINT64_MAX ? -a : (uint64_t)((int64_t)a / (int64_t)b);
}

static inline uint64_t mod64(uint64_t a, uint64_t b, bool sign)
{
	if (!b)
		return a;
	if (!sign)
		return a % b;
	return b == UINT64_MAX ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
}

static inline uint32_t div32(uint32_t a, uint32_t b, bool sign)
{
	if (!b)
		return 0;
	if (!sign)
		return a / b;
	return b == UINT32_MAX ? -a : (uint32_t)((int32_t)a / (int32_t)b);
}

static inline uint32_t mod32(uint32_t a, uint32_t b, bool sign)
{
	if (!b)
		return a;
	if (!sign)
		return a % b;
	return b == UINT32_MAX ? 0 : (uint32_t)((int32_t)a % (int32_t)b);
}

/* movsx: off is the source width (8, 16 or 32; 0 is a plain mov) */
static inline uint64_t sign_extend(uint64_t v, int16_t bits)
{
	switch (bits) {
	case 8: return (uint64_t)(int64_t)(int8_t)v;
	case 16: return (uint64_t)(int64_t)(int16_t)v;
	case 32: return (uint64_t)(int64_t)(int32_t)v;
	}
	return v;
}

/* The host is little-endian: "le" only truncates, "be" and bswap swap. */
static inline uint64_t to_le(uint64_t v, int32_t bits)
{
	return bits == 16 ? (uint16_t)v : bits == 32 ? (uint32_t)v : v;
}

static inline uint64_t swap(uint64_t v, int32_t bits)
{
	return bits == 16 ? __builtin_bswap16((uint16_t)v) : bits == 32 ? __builtin_bswap32((uint32_t)v)
									: __builtin_bswap64(v);
}

#define STACK_WORDS (UEBPF_MAX_CALL_DEPTH * UEBPF_STACK_SIZE / 8)

/* Binary ALU operations and jump conditions as expressions of a (dst) and b
 * (src or immediate), both uint32_t or both uint64_t. */
#define SIGNED(x) _Generic((x), uint32_t: (int32_t)(x), uint64_t: (int64_t)(x))
#define SHIFT_MASK (sizeof(a) * 8 - 1)
#define ALU_OPS(X)			\
	X(ADD, a + b)			\
	X(SUB, a - b)			\
	X(MUL, a * b)			\
	X(OR, a | b)			\
	X(AND, a & b)			\
	X(XOR, a ^ b)			\
	X(LSH, a << (b & SHIFT_MASK))	\
	X(RSH, a >> (b & SHIFT_MASK))	\
	X(ARSH, (__typeof__(a))(SIGNED(a) >> (b & SHIFT_MASK)))
#define JMP_OPS(X)			\
	X(JEQ, a == b)			\
	X(JNE, a != b)			\
	X(JGT, a > b)			\
	X(JGE, a >= b)			\
	X(JLT, a < b)			\
	X(JLE, a <= b)			\
	X(JSET, (a & b) != 0)		\
	X(JSGT, SIGNED(a) > SIGNED(b))	\
	X(JSGE, SIGNED(a) >= SIGNED(b))	\
	X(JSLT, SIGNED(a) < SIGNED(b))	\
	X(JSLE, SIGNED(a) <= SIGNED(b))

/* Memory operations: opcode, label, C type of the access. */
#define LDX_OPS(X)					\
	X(BPF_LDX | BPF_MEM | BPF_B, ldxb, uint8_t)	\
	X(BPF_LDX | BPF_MEM | BPF_H, ldxh, u16_u)	\
	X(BPF_LDX | BPF_MEM | BPF_W, ldxw, u32_u)	\
	X(BPF_LDX | BPF_MEM | BPF_DW, ldxdw, u64_u)	\
	X(BPF_LDX | BPF_MEMSX | BPF_B, ldxsb, s8_u)	\
	X(BPF_LDX | BPF_MEMSX | BPF_H, ldxsh, s16_u)	\
	X(BPF_LDX | BPF_MEMSX | BPF_W, ldxsw, s32_u)
#define ST_OPS(X)					\
	X(BPF_ST | BPF_MEM | BPF_B, stb, uint8_t)	\
	X(BPF_ST | BPF_MEM | BPF_H, sth, u16_u)		\
	X(BPF_ST | BPF_MEM | BPF_W, stw, u32_u)		\
	X(BPF_ST | BPF_MEM | BPF_DW, stdw, u64_u)
#define STX_OPS(X)					\
	X(BPF_STX | BPF_MEM | BPF_B, stxb, uint8_t)	\
	X(BPF_STX | BPF_MEM | BPF_H, stxh, u16_u)	\
	X(BPF_STX | BPF_MEM | BPF_W, stxw, u32_u)	\
	X(BPF_STX | BPF_MEM | BPF_DW, stxdw, u64_u)

/* Table entries. `fast` has a row per variant; `checked` holds the plain
 * handlers, with the `_chk` ones for memory accesses and control flow. */
#define ALU_ENTRIES(OP, E)							\
	[0][BPF_ALU64 | BPF_##OP | BPF_K] = &&alu64_##OP##_k,			\
	[V_DST][BPF_ALU64 | BPF_##OP | BPF_K] = &&alu64_##OP##_k_d,		\
	[0][BPF_ALU64 | BPF_##OP | BPF_X] = &&alu64_##OP##_x,			\
	[V_DST][BPF_ALU64 | BPF_##OP | BPF_X] = &&alu64_##OP##_x_d,		\
	[V_SRC][BPF_ALU64 | BPF_##OP | BPF_X] = &&alu64_##OP##_x_s,		\
	[V_DST | V_SRC][BPF_ALU64 | BPF_##OP | BPF_X] = &&alu64_##OP##_x_ds,	\
	[0][BPF_ALU | BPF_##OP | BPF_K] = &&alu32_##OP##_k,			\
	[V_DST][BPF_ALU | BPF_##OP | BPF_K] = &&alu32_##OP##_k_d,		\
	[0][BPF_ALU | BPF_##OP | BPF_X] = &&alu32_##OP##_x,			\
	[V_DST][BPF_ALU | BPF_##OP | BPF_X] = &&alu32_##OP##_x_d,		\
	[V_SRC][BPF_ALU | BPF_##OP | BPF_X] = &&alu32_##OP##_x_s,		\
	[V_DST | V_SRC][BPF_ALU | BPF_##OP | BPF_X] = &&alu32_##OP##_x_ds,
#define JMP_ENTRIES(OP, E)							\
	[0][BPF_JMP | BPF_##OP | BPF_K] = &&jmp64_##OP##_k,			\
	[V_DST][BPF_JMP | BPF_##OP | BPF_K] = &&jmp64_##OP##_k_d,		\
	[0][BPF_JMP | BPF_##OP | BPF_X] = &&jmp64_##OP##_x,			\
	[V_DST][BPF_JMP | BPF_##OP | BPF_X] = &&jmp64_##OP##_x_d,		\
	[V_SRC][BPF_JMP | BPF_##OP | BPF_X] = &&jmp64_##OP##_x_s,		\
	[V_DST | V_SRC][BPF_JMP | BPF_##OP | BPF_X] = &&jmp64_##OP##_x_ds,	\
	[0][BPF_JMP32 | BPF_##OP | BPF_K] = &&jmp32_##OP##_k,			\
	[V_DST][BPF_JMP32 | BPF_##OP | BPF_K] = &&jmp32_##OP##_k_d,		\
	[0][BPF_JMP32 | BPF_##OP | BPF_X] = &&jmp32_##OP##_x,			\
	[V_DST][BPF_JMP32 | BPF_##OP | BPF_X] = &&jmp32_##OP##_x_d,		\
	[V_SRC][BPF_JMP32 | BPF_##OP | BPF_X] = &&jmp32_##OP##_x_s,		\
	[V_DST | V_SRC][BPF_JMP32 | BPF_##OP | BPF_X] = &&jmp32_##OP##_x_ds,
#define LDX_ENTRIES(CODE, NAME, T) [0][CODE] = &&NAME, [V_SRC][CODE] = &&NAME##_s,
#define ST_ENTRIES(CODE, NAME, T) [0][CODE] = &&NAME, [V_DST][CODE] = &&NAME##_d,
#define STX_ENTRIES(CODE, NAME, T)							\
	[0][CODE] = &&NAME, [V_DST][CODE] = &&NAME##_d, [V_SRC][CODE] = &&NAME##_s,	\
	[V_DST | V_SRC][CODE] = &&NAME##_ds,
#define ALU_BASE_ENTRIES(OP, E)					\
	[BPF_ALU64 | BPF_##OP | BPF_K] = &&alu64_##OP##_k,	\
	[BPF_ALU64 | BPF_##OP | BPF_X] = &&alu64_##OP##_x,	\
	[BPF_ALU | BPF_##OP | BPF_K] = &&alu32_##OP##_k,	\
	[BPF_ALU | BPF_##OP | BPF_X] = &&alu32_##OP##_x,
#define JMP_CHK_ENTRIES(OP, E)					\
	[BPF_JMP | BPF_##OP | BPF_K] = &&jmp64_##OP##_k_chk,	\
	[BPF_JMP | BPF_##OP | BPF_X] = &&jmp64_##OP##_x_chk,	\
	[BPF_JMP32 | BPF_##OP | BPF_K] = &&jmp32_##OP##_k_chk,	\
	[BPF_JMP32 | BPF_##OP | BPF_X] = &&jmp32_##OP##_x_chk,
#define MEM_CHK_ENTRIES(CODE, NAME, T) [CODE] = &&NAME##_chk,
/* the rest, identical in both tables (ROW is [0] or nothing) */
#define OTHER_ENTRIES(ROW)					\
	ROW[BPF_ALU64 | BPF_MOV | BPF_K] = &&alu64_mov_k,	\
	ROW[BPF_ALU64 | BPF_MOV | BPF_X] = &&alu64_mov_x,	\
	ROW[BPF_ALU | BPF_MOV | BPF_K] = &&alu32_mov_k,		\
	ROW[BPF_ALU | BPF_MOV | BPF_X] = &&alu32_mov_x,		\
	ROW[BPF_ALU64 | BPF_DIV | BPF_K] = &&alu64_div_k,	\
	ROW[BPF_ALU64 | BPF_DIV | BPF_X] = &&alu64_div_x,	\
	ROW[BPF_ALU | BPF_DIV | BPF_K] = &&alu32_div_k,		\
	ROW[BPF_ALU | BPF_DIV | BPF_X] = &&alu32_div_x,		\
	ROW[BPF_ALU64 | BPF_MOD | BPF_K] = &&alu64_mod_k,	\
	ROW[BPF_ALU64 | BPF_MOD | BPF_X] = &&alu64_mod_x,	\
	ROW[BPF_ALU | BPF_MOD | BPF_K] = &&alu32_mod_k,		\
	ROW[BPF_ALU | BPF_MOD | BPF_X] = &&alu32_mod_x,		\
	ROW[BPF_ALU64 | BPF_NEG] = &&alu64_neg,			\
	ROW[BPF_ALU | BPF_NEG] = &&alu32_neg,			\
	ROW[BPF_ALU | BPF_END | BPF_TO_LE] = &&end_le,		\
	ROW[BPF_ALU | BPF_END | BPF_TO_BE] = &&end_swap,	\
	ROW[BPF_ALU64 | BPF_END | BPF_TO_LE] = &&end_swap,	\
	ROW[BPF_JMP | BPF_CALL | BPF_X] = &&callx,		\
	ROW[BPF_LD | BPF_IMM | BPF_DW] = &&lddw,		\
	ROW[BPF_LD | BPF_ABS | BPF_B] = &&ld_abs_b,		\
	ROW[BPF_LD | BPF_ABS | BPF_H] = &&ld_abs_h,		\
	ROW[BPF_LD | BPF_ABS | BPF_W] = &&ld_abs_w,		\
	ROW[BPF_LD | BPF_IND | BPF_B] = &&ld_ind_b,		\
	ROW[BPF_LD | BPF_IND | BPF_H] = &&ld_ind_h,		\
	ROW[BPF_LD | BPF_IND | BPF_W] = &&ld_ind_w,

/* Handlers. SET writes dst and acc; every handler of an instruction that
 * writes its dst register goes through it, which the decoder relies on. */
#define DST r[insn->dst]
#define SRC r[insn->src]
#define IMM64 ((uint64_t)(int64_t)insn->imm)
#define DISPATCH() goto *insn->op
#define NEXT()			\
	do {			\
		insn++;		\
		DISPATCH();	\
	} while (0)
#define SET(V)			\
	do {			\
		acc = (V);	\
		DST = acc;	\
		NEXT();		\
	} while (0)
#define JUMP_IF(COND)					\
	do {						\
		insn += 1 + ((COND) ? insn->off : 0);	\
		DISPATCH();				\
	} while (0)
#define LOAD(T, ADDR) ((uint64_t)(int64_t) * (const T *)(uintptr_t)(ADDR))
#define STORE(T, ADDR, V) (*(T *)(uintptr_t)(ADDR) = (T)(V))
/* checked mode: the live stack and the input memory inline, the rest (and
 * the reason for a fault) out of line */
#define CHECK(ADDR, SIZE, ACC)												\
	do {														\
		uintptr_t stack_lo = stack_top - (depth + 1) * UEBPF_STACK_SIZE;					\
		fault_addr = (ADDR);											\
		if ((ACC) != ACC_ATOMIC && (inside(stack_lo, stack_top, fault_addr, SIZE) ||				\
					    inside((uintptr_t)mem, (uintptr_t)mem + mem_len, fault_addr, SIZE)))	\
			break;												\
		fault_size = (SIZE);											\
		fault_acc = (ACC);											\
		fault = check_access(prog, stack_lo, stack_top, (uintptr_t)mem, mem_len, fault_addr, fault_size,	\
				     fault_acc);									\
		if (fault)												\
			goto mem_fault;											\
	} while (0)
/* checked mode, at a jump, call or exit: pay for the run since `run`, the
 * first instruction after the last transfer of control */
#define CHARGE()						\
	do {							\
		uint64_t used = (uint64_t)(insn - run) + 1;	\
		if (used > budget)				\
			goto budget_fault;			\
		budget -= used;					\
	} while (0)

#define ALU_H(LABEL, T, A, B, E)		\
	LABEL : {				\
		T a = (T)(A), b = (T)(B);	\
		SET(E);				\
	}
#define ALU_HANDLERS(OP, E)					\
	ALU_H(alu64_##OP##_k, uint64_t, DST, IMM64, E)		\
	ALU_H(alu64_##OP##_k_d, uint64_t, acc, IMM64, E)	\
	ALU_H(alu64_##OP##_x, uint64_t, DST, SRC, E)		\
	ALU_H(alu64_##OP##_x_d, uint64_t, acc, SRC, E)		\
	ALU_H(alu64_##OP##_x_s, uint64_t, DST, acc, E)		\
	ALU_H(alu64_##OP##_x_ds, uint64_t, acc, acc, E)		\
	ALU_H(alu32_##OP##_k, uint32_t, DST, insn->imm, E)	\
	ALU_H(alu32_##OP##_k_d, uint32_t, acc, insn->imm, E)	\
	ALU_H(alu32_##OP##_x, uint32_t, DST, SRC, E)		\
	ALU_H(alu32_##OP##_x_d, uint32_t, acc, SRC, E)		\
	ALU_H(alu32_##OP##_x_s, uint32_t, DST, acc, E)		\
	ALU_H(alu32_##OP##_x_ds, uint32_t, acc, acc, E)
#define JMP_H(LABEL, T, A, B, E)		\
	LABEL : {				\
		T a = (T)(A), b = (T)(B);	\
		JUMP_IF(E);			\
	}
#define JMP_CHK_H(LABEL, T, A, B, E)			\
	LABEL##_chk : {					\
		T a = (T)(A), b = (T)(B);		\
		CHARGE();				\
		insn += 1 + ((E) ? insn->off : 0);	\
		run = insn;				\
		DISPATCH();				\
	}
#define JMP_HANDLERS(OP, E)					\
	JMP_H(jmp64_##OP##_k, uint64_t, DST, IMM64, E)		\
	JMP_H(jmp64_##OP##_k_d, uint64_t, acc, IMM64, E)	\
	JMP_H(jmp64_##OP##_x, uint64_t, DST, SRC, E)		\
	JMP_H(jmp64_##OP##_x_d, uint64_t, acc, SRC, E)		\
	JMP_H(jmp64_##OP##_x_s, uint64_t, DST, acc, E)		\
	JMP_H(jmp64_##OP##_x_ds, uint64_t, acc, acc, E)		\
	JMP_H(jmp32_##OP##_k, uint32_t, DST, insn->imm, E)	\
	JMP_H(jmp32_##OP##_k_d, uint32_t, acc, insn->imm, E)	\
	JMP_H(jmp32_##OP##_x, uint32_t, DST, SRC, E)		\
	JMP_H(jmp32_##OP##_x_d, uint32_t, acc, SRC, E)		\
	JMP_H(jmp32_##OP##_x_s, uint32_t, DST, acc, E)		\
	JMP_H(jmp32_##OP##_x_ds, uint32_t, acc, acc, E)		\
	JMP_CHK_H(jmp64_##OP##_k, uint64_t, DST, IMM64, E)	\
	JMP_CHK_H(jmp64_##OP##_x, uint64_t, DST, SRC, E)	\
	JMP_CHK_H(jmp32_##OP##_k, uint32_t, DST, insn->imm, E)	\
	JMP_CHK_H(jmp32_##OP##_x, uint32_t, DST, SRC, E)
#define LDX_HANDLERS(CODE, NAME, T)					\
	NAME##_chk : CHECK(SRC + insn->off, sizeof(T), ACC_LOAD);	\
	NAME : SET(LOAD(T, SRC + insn->off));				\
	NAME##_s : SET(LOAD(T, acc + insn->off));
#define ST_HANDLERS(CODE, NAME, T)					\
	NAME##_chk : CHECK(DST + insn->off, sizeof(T), ACC_STORE);	\
	NAME : STORE(T, DST + insn->off, insn->imm);			\
	NEXT();								\
	NAME##_d : STORE(T, acc + insn->off, insn->imm);		\
	NEXT();
#define STX_HANDLERS(CODE, NAME, T)					\
	NAME##_chk : CHECK(DST + insn->off, sizeof(T), ACC_STORE);	\
	NAME : STORE(T, DST + insn->off, SRC);				\
	NEXT();								\
	NAME##_d : STORE(T, acc + insn->off, SRC);			\
	NEXT();								\
	NAME##_s : STORE(T, DST + insn->off, acc);			\
	NEXT();								\
	NAME##_ds : STORE(T, acc + insn->off, acc);			\
	NEXT();
/* cmpxchg: r0 receives the old value whether or not the swap happened */
#define SEQ __ATOMIC_SEQ_CST
#define ATOMIC_OPS(T)									\
	do {										\
		T *p = (T *)(uintptr_t)(DST + insn->off), v = (T)SRC, old;		\
		switch (insn->imm) {							\
		case BPF_ADD: __atomic_fetch_add(p, v, SEQ); break;			\
		case BPF_OR: __atomic_fetch_or(p, v, SEQ); break;			\
		case BPF_AND: __atomic_fetch_and(p, v, SEQ); break;			\
		case BPF_XOR: __atomic_fetch_xor(p, v, SEQ); break;			\
		case BPF_ADD | BPF_FETCH: SRC = __atomic_fetch_add(p, v, SEQ); break;	\
		case BPF_OR | BPF_FETCH: SRC = __atomic_fetch_or(p, v, SEQ); break;	\
		case BPF_AND | BPF_FETCH: SRC = __atomic_fetch_and(p, v, SEQ); break;	\
		case BPF_XOR | BPF_FETCH: SRC = __atomic_fetch_xor(p, v, SEQ); break;	\
		case BPF_XCHG: SRC = __atomic_exchange_n(p, v, SEQ); break;		\
		case BPF_CMPXCHG:							\
			old = (T)r[0];							\
			__atomic_compare_exchange_n(p, &old, v, false, SEQ, SEQ);	\
			r[0] = old;							\
			break;								\
		default: goto invalid;							\
		}									\
		NEXT();									\
	} while (0)

/* The tables name handlers by opcode; the [0 ... 255] defaults are
 * overridden on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

static int interp(const struct uebpf_prog *prog, uint32_t entry, const uint64_t *args, void *mem, size_t mem_len,
		  uint64_t *ret, char *log, size_t log_sz, struct labels *labels)
{
	static const void *const fast[N_VARIANTS][256] = {
		[0][0 ... 255] = &&invalid,
		ALU_OPS(ALU_ENTRIES)
		JMP_OPS(JMP_ENTRIES)
		LDX_OPS(LDX_ENTRIES)
		ST_OPS(ST_ENTRIES)
		STX_OPS(STX_ENTRIES)
		OTHER_ENTRIES([0])
		[0][BPF_JMP | BPF_JA] = &&ja,
		[0][BPF_JMP32 | BPF_JA] = &&gotol,
		[0][BPF_JMP | BPF_EXIT] = &&exit,
		[0][BPF_JMP | BPF_CALL] = &&call,
		[0][BPF_STX | BPF_ATOMIC | BPF_W] = &&atomic32,
		[0][BPF_STX | BPF_ATOMIC | BPF_DW] = &&atomic64,
		[V_SRC][BPF_ALU64 | BPF_MOV | BPF_X] = &&alu64_mov_x_s,
		[V_SRC][BPF_ALU | BPF_MOV | BPF_X] = &&alu32_mov_x_s,
		[V_DST][BPF_ALU64 | BPF_NEG] = &&alu64_neg_d,
		[V_DST][BPF_ALU | BPF_NEG] = &&alu32_neg_d,
		[V_DST][BPF_ALU | BPF_END | BPF_TO_LE] = &&end_le_d,
		[V_DST][BPF_ALU | BPF_END | BPF_TO_BE] = &&end_swap_d,
		[V_DST][BPF_ALU64 | BPF_END | BPF_TO_LE] = &&end_swap_d,
	};
	static const void *const checked[256] = {
		[0 ... 255] = &&invalid,
		ALU_OPS(ALU_BASE_ENTRIES)
		JMP_OPS(JMP_CHK_ENTRIES)
		LDX_OPS(MEM_CHK_ENTRIES)
		ST_OPS(MEM_CHK_ENTRIES)
		STX_OPS(MEM_CHK_ENTRIES)
		OTHER_ENTRIES()
		[BPF_JMP | BPF_JA] = &&ja_chk,
		[BPF_JMP32 | BPF_JA] = &&gotol_chk,
		[BPF_JMP | BPF_EXIT] = &&exit_chk,
		[BPF_JMP | BPF_CALL] = &&call_chk,
		[BPF_STX | BPF_ATOMIC | BPF_W] = &&atomic32_chk,
		[BPF_STX | BPF_ATOMIC | BPF_DW] = &&atomic64_chk,
	};

	/* "rX = *(T *)(rA + o1); *(T *)(rB + o2) = rX" in one dispatch (copies,
	 * spills): unverified programs never get it, their accesses are checked */
	static const void *const ldst[4] = { [BPF_W >> 3] = &&ldst_w, [BPF_H >> 3] = &&ldst_h, [BPF_B >> 3] = &&ldst_b,
					     [BPF_DW >> 3] = &&ldst_dw };
	/* "rD = rS; rD op= K" as rD = rS op K, and a copy and its spill, in
	 * one dispatch each */
#define MOVK_ENTRY(OP, E) [BPF_##OP >> 4] = &&movk_##OP,
	static const void *const movk[16] = { ALU_OPS(MOVK_ENTRY) };
	static const void *const movst_label[1] = { &&movst };
	if (!prog) {
		*labels = (struct labels){ fast, checked, ldst, movk, movst_label };
		return 0;
	}

	const struct uebpf_interp_insn *const code = prog->interp_code;
	const struct uebpf_interp_insn *insn = code + entry, *run = code + entry;
	uint64_t stack[STACK_WORDS] __attribute__((aligned(16)));
	const uintptr_t stack_top = (uintptr_t)(stack + STACK_WORDS);
	struct frame frames[UEBPF_MAX_CALL_DEPTH];
	uint32_t depth = 0;
	uint64_t budget = prog->insn_budget;
	uint64_t r[MAX_BPF_REG], acc = 0;
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
	if (args)
		memcpy(&r[1], args, 5 * sizeof(uint64_t));
	r[10] = stack_top;
	/* an unverified program could read stack it never wrote: give it zeros,
	 * not the host's leftovers */
	if (!(prog->flags & UEBPF_F_VERIFIED))
		memset(stack + STACK_WORDS - UEBPF_STACK_SIZE / 8, 0, UEBPF_STACK_SIZE);
	DISPATCH();

	ALU_OPS(ALU_HANDLERS)
	JMP_OPS(JMP_HANDLERS)
	LDX_OPS(LDX_HANDLERS)
#define LDST_HANDLER(NAME, T)									\
	NAME : {										\
		acc = LOAD(T, SRC + insn->off);							\
		DST = acc;									\
		STORE(T, r[insn[1].dst] + insn[1].off, acc);					\
		insn += 2;									\
		DISPATCH();									\
	}
	LDST_HANDLER(ldst_b, uint8_t)
	LDST_HANDLER(ldst_h, u16_u)
	LDST_HANDLER(ldst_w, u32_u)
	LDST_HANDLER(ldst_dw, u64_u)
#define MOVK_HANDLER(OP, E)						\
	movk_##OP : {							\
		uint64_t a = SRC, b = (uint64_t)(int64_t)insn[1].imm;	\
		acc = (E);						\
		DST = acc;						\
		insn += 2;						\
		DISPATCH();						\
	}
	ALU_OPS(MOVK_HANDLER)
movst:
	acc = SRC;
	DST = acc;
	STORE(u64_u, r[insn[1].dst] + insn[1].off, acc);
	insn += 2;
	DISPATCH();
	ST_OPS(ST_HANDLERS)
	STX_OPS(STX_HANDLERS)

alu64_mov_k:
	SET(IMM64);
alu32_mov_k:
	SET((uint32_t)insn->imm);
alu64_mov_x:
	SET(insn->off ? sign_extend(SRC, insn->off) : SRC);
alu64_mov_x_s:
	SET(insn->off ? sign_extend(acc, insn->off) : acc);
alu32_mov_x:
	SET((uint32_t)(insn->off ? sign_extend(SRC, insn->off) : SRC));
alu32_mov_x_s:
	SET((uint32_t)(insn->off ? sign_extend(acc, insn->off) : acc));
alu64_div_k:
	SET(div64(DST, IMM64, insn->off));
alu64_div_x:
	SET(div64(DST, SRC, insn->off));
alu32_div_k:
	SET(div32((uint32_t)DST, (uint32_t)insn->imm, insn->off));
alu32_div_x:
	SET(div32((uint32_t)DST, (uint32_t)SRC, insn->off));
alu64_mod_k:
	SET(mod64(DST, IMM64, insn->off));
alu64_mod_x:
	SET(mod64(DST, SRC, insn->off));
alu32_mod_k:
	SET(mod32((uint32_t)DST, (uint32_t)insn->imm, insn->off));
alu32_mod_x:
	SET(mod32((uint32_t)DST, (uint32_t)SRC, insn->off));
alu64_neg:
	SET(-DST);
alu64_neg_d:
	SET(-acc);
alu32_neg:
	SET((uint32_t)-(uint32_t)DST);
alu32_neg_d:
	SET((uint32_t)-(uint32_t)acc);
end_le:
	SET(to_le(DST, insn->imm));
end_le_d:
	SET(to_le(acc, insn->imm));
end_swap:
	SET(swap(DST, insn->imm));
end_swap_d:
	SET(swap(acc, insn->imm));

atomic32_chk:
	CHECK(DST + insn->off, 4, ACC_ATOMIC);
atomic32:
	ATOMIC_OPS(uint32_t);
atomic64_chk:
	CHECK(DST + insn->off, 8, ACC_ATOMIC);
atomic64:
	ATOMIC_OPS(uint64_t);

lddw:
	acc = (uint32_t)insn[0].imm | (uint64_t)(uint32_t)insn[1].imm << 32;
	DST = acc;
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
	pkt_off = (int32_t)(uint32_t)(SRC + IMM64), pkt_size = 1;
	goto ld_pkt;
ld_ind_h:
	pkt_off = (int32_t)(uint32_t)(SRC + IMM64), pkt_size = 2;
	goto ld_pkt;
ld_ind_w:
	pkt_off = (int32_t)(uint32_t)(SRC + IMM64), pkt_size = 4;
ld_pkt:
	if (pkt_off < 0 || (uint64_t)pkt_off + pkt_size > mem_len) {
		*ret = 0;
		return 0;
	} else {
		const uint8_t *p = (const uint8_t *)mem + pkt_off;
		acc = pkt_size == 1 ? *p : pkt_size == 2 ? __builtin_bswap16(*(const u16_u *)p)
							 : __builtin_bswap32(*(const u32_u *)p);
		r[0] = acc;
	}
	NEXT();

ja_chk:
	CHARGE();
	run = insn + 1 + insn->off;
ja:
	insn += 1 + insn->off;
	DISPATCH();
gotol_chk:
	CHARGE();
	run = insn + 1 + insn->imm;
gotol:
	insn += 1 + insn->imm;
	DISPATCH();

call_chk:
	if (insn->src == 0) {
		/* a helper may call back into a nested checked run */
		struct outer_stack me = { stack_top - (depth + 1) * UEBPF_STACK_SIZE, stack_top, outer_stacks };
		outer_stacks = &me;
		if (insn->imm == BPF_FUNC_tail_call) {
			/* unverified: r2 must be a map this program loaded, not any number */
			struct uebpf_tail_result t = loaded_map(prog, r[2]) ? uebpf_engine_tail_call(r[1], r[2], r[3])
									    : (struct uebpf_tail_result){ 0, (uint64_t)-EINVAL };
			outer_stacks = me.up;
			if (t.taken) {
				*ret = t.value;
				return 0;
			}
			r[0] = t.value;
		} else {
			int bad = 0;
			const char *why = check_helper_args(prog, (uint32_t)insn->imm, r, me.lo, me.hi, (uintptr_t)mem,
							    mem_len, &bad);
			if (why) {
				outer_stacks = me.up;
				const char *name = uebpf_helper_name((uint32_t)insn->imm);
				uebpf_log(log, log_sz, "insn %td: helper %s#%d: R%d: %s", insn - code, name ? name : "uebpf",
					  insn->imm, bad, why);
				return -EFAULT;
			}
			r[0] = prog->helpers[insn->imm](r[1], r[2], r[3], r[4], r[5]);
			outer_stacks = me.up;
		}
		NEXT();
	}
	if (insn->src == BPF_PSEUDO_CALL) {
		CHARGE();
		run = insn + 1 + insn->imm;
		if (depth + 1 >= UEBPF_MAX_CALL_DEPTH) {
			uebpf_log(log, log_sz, "insn %td: call depth exceeds %d", insn - code, UEBPF_MAX_CALL_DEPTH);
			return -EOVERFLOW;
		}
		memset((void *)(stack_top - (depth + 2) * UEBPF_STACK_SIZE), 0, UEBPF_STACK_SIZE);
	}
call:
	if (insn->src == 0) {
		if (insn->imm == BPF_FUNC_tail_call) {
			struct uebpf_tail_result t = uebpf_engine_tail_call(r[1], r[2], r[3]);
			if (t.taken) {
				*ret = t.value;
				return 0;
			}
			r[0] = t.value;
			NEXT();
		}
		r[0] = prog->helpers[insn->imm](r[1], r[2], r[3], r[4], r[5]);
		NEXT();
	}
	if (insn->src != BPF_PSEUDO_CALL)
		goto invalid; /* kfuncs: none in user space */
	frames[depth] = (struct frame){ insn + 1, { r[6], r[7], r[8], r[9], r[10] } };
	depth++;
	r[10] = stack_top - depth * UEBPF_STACK_SIZE;
	insn += 1 + insn->imm;
	DISPATCH();

callx: {
	/* the register holds a helper id, known only now */
	uint64_t id = DST;
	if (id >= UEBPF_MAX_HELPERS || !prog->helpers[id]) {
		uebpf_log(log, log_sz, "insn %td: call to unknown helper %" PRIu64 " through r%u", insn - code, id,
			  insn->dst);
		return -ENOSYS;
	}
	r[0] = prog->helpers[id](r[1], r[2], r[3], r[4], r[5]);
	NEXT();
}

exit_chk:
	CHARGE();
	if (depth)
		run = frames[depth - 1].ret;
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
	uebpf_log(log, log_sz, "insn %td: %s%s of %u bytes at 0x%" PRIx64, insn - code, why[fault], verb[fault_acc],
		  fault_size, fault_addr);
	return -EFAULT;
}

budget_fault:
	uebpf_log(log, log_sz, "insn %td: instruction budget of %" PRIu64 " exhausted", insn - code, prog->insn_budget);
	return -ELOOP;

invalid:
	uebpf_log(log, log_sz, "insn %td: invalid instruction (opcode 0x%02x)", insn - code,
		  prog->insns[insn - code].code);
	return -EINVAL;
}

#pragma GCC diagnostic pop

int uebpf_interp_run(const struct uebpf_prog *prog, void *mem, size_t mem_len, uint64_t *ret, char *log,
		     size_t log_sz)
{
	if (!prog->interp_code) {
		uebpf_log(log, log_sz, "the program was not prepared for the interpreter");
		return -EINVAL;
	}
	return interp(prog, 0, NULL, mem, mem_len, ret, log, log_sz, NULL);
}

int uebpf_interp_call(const struct uebpf_prog *prog, uint32_t entry, const uint64_t args[5], uint64_t *ret,
		      char *log, size_t log_sz)
{
	if (!prog->interp_code || entry >= prog->n) {
		uebpf_log(log, log_sz, "the program was not prepared for the interpreter");
		return -EINVAL;
	}
	return interp(prog, entry, args, NULL, 0, ret, log, log_sz, NULL);
}

/* The register whose value acc holds after `in` ran, given the one it held
 * before (-1: none known). */
static int acc_after(const struct bpf_insn *in, int before)
{
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
	case BPF_ALU64:
	case BPF_LDX:
		return in->dst_reg;
	case BPF_LD:
		return BPF_MODE(in->code) == BPF_IMM ? in->dst_reg : BPF_REG_0;
	case BPF_ST:
		return before;
	case BPF_STX:
		return BPF_MODE(in->code) == BPF_MEM ? before : -1; /* atomics write src or r0 */
	default: /* jumps: a conditional one keeps acc on its fall-through */
		switch (BPF_OP(in->code)) {
		case BPF_JA:
		case BPF_CALL:
		case BPF_EXIT:
			return -1;
		}
		return before;
	}
}

/* Instructions reached other than from the one before: jump and call targets. */
static void mark_targets(const struct bpf_insn *insns, size_t n, bool *target)
{
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &insns[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		int64_t t;

		if (in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
			i++;
			continue;
		}
		if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_EXIT)
			continue;
		if (op == BPF_CALL && in->src_reg != BPF_PSEUDO_CALL)
			continue;
		t = (int64_t)i + 1 + (op == BPF_CALL || in->code == (BPF_JMP32 | BPF_JA) ? in->imm : in->off);
		if (t >= 0 && (size_t)t < n)
			target[t] = true;
	}
}

int uebpf_interp_prepare(struct uebpf_prog *prog, char *log, size_t log_sz)
{
	struct labels l;
	const bool checked = !(prog->flags & UEBPF_F_VERIFIED);
	struct uebpf_interp_insn *code = calloc(prog->n ? prog->n : 1, sizeof(*code));
	bool *target = calloc(prog->n ? prog->n : 1, sizeof(*target));
	int cached = -1; /* the register acc holds */

	if (!code || !target) {
		free(code);
		free(target);
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	interp(NULL, 0, NULL, NULL, 0, NULL, NULL, 0, &l);
	mark_targets(prog->insns, prog->n, target);
	for (size_t i = 0; i < prog->n; i++) {
		const struct bpf_insn *in = &prog->insns[i];
		unsigned v = 0;

		if (target[i])
			cached = -1;
		if (cached >= 0)
			v = (in->dst_reg == cached ? V_DST : 0) | (in->src_reg == cached ? V_SRC : 0);
		/* the variant for every operand acc holds, else one for fewer */
		const void *op = l.fast[v][in->code];
		if (!op)
			op = l.fast[v & V_DST][in->code];
		if (!op)
			op = l.fast[v & V_SRC][in->code];
		if (!op)
			op = l.fast[0][in->code];
		/* a load whose value the next instruction stores, with nothing
		 * jumping between them: one handler does both */
		if (!checked && BPF_CLASS(in->code) == BPF_LDX && BPF_MODE(in->code) == BPF_MEM && i + 1 < prog->n &&
		    !target[i + 1] && prog->insns[i + 1].code == (BPF_STX | BPF_MEM | BPF_SIZE(in->code)) &&
		    prog->insns[i + 1].src_reg == in->dst_reg)
			op = l.ldst[BPF_SIZE(in->code) >> 3];
		/* a copy the next instruction changes by a constant, or spills */
		if (!checked && in->code == (BPF_ALU64 | BPF_MOV | BPF_X) && !in->off && i + 1 < prog->n &&
		    !target[i + 1]) {
			const struct bpf_insn *nx = &prog->insns[i + 1];
			if (BPF_CLASS(nx->code) == BPF_ALU64 && BPF_SRC(nx->code) == BPF_K && nx->dst_reg == in->dst_reg &&
			    !nx->off && l.movk[BPF_OP(nx->code) >> 4])
				op = l.movk[BPF_OP(nx->code) >> 4];
			else if (nx->code == (BPF_STX | BPF_MEM | BPF_DW) && nx->src_reg == in->dst_reg)
				op = l.movst[0];
		}
		code[i] = (struct uebpf_interp_insn){ checked ? l.checked[in->code] : op, in->dst_reg, in->src_reg,
						      in->off, in->imm };
		cached = acc_after(in, cached);
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < prog->n) {
			i++;
			/* lddw's second half: its imm is read, it never runs */
			code[i] = (struct uebpf_interp_insn){ l.fast[0][0], 0, 0, 0, prog->insns[i].imm };
		}
	}
	free(target);
	prog->interp_code = code;
	return 0;
}
