/* x86-64 JIT for verified programs: no runtime checks, semantics of the
 * interpreter (RFC 9669) to the bit.
 *
 * Registers: every BPF register lives in one x86 register for the whole
 * program: r1, r2, r4, r5 in the SysV argument registers they are passed in
 * to helpers, r6-r9 in callee-saved registers, r10 in rbp, and r0 and r3 in
 * r9 and r10, so that rax and rdx, which division, wide multiplication and
 * cmpxchg need, are free scratch registers like r11. That costs a move for
 * r3 and one for the result around a helper call, and one at the main
 * program's exit. r12 holds blinded immediates when hardening.
 *
 * A program that calls nothing (one function, no helpers, no packet loads,
 * no atomics, r10 only as a base) has its registers allocated instead (see
 * plan_alloc): each value of a BPF register or of an 8-byte stack slot gets
 * an x86 register by graph colouring, so clang's spill code under register
 * pressure runs in registers, and the stack it still needs is addressed
 * from rsp, leaving all fifteen registers to allocate.
 *
 * Functions: the main program and each bpf-to-bpf subprogram become native
 * functions. A function pushes only the callee-saved registers it writes and
 * reserves only the stack its r10-relative accesses reach (512 bytes when r10
 * escapes into another register), so a callee's r10 is its own frame. Short
 * straight-line subprograms are inlined instead.
 *
 * Beyond one x86 instruction or two per BPF one (immediate and 32-bit forms,
 * fused compare-and-branch, zero-extension only where x86 does not do it):
 * division and modulo by constants become multiplications and shifts, and
 * by a register known nonzero lose their check; jumps are threaded through
 * unconditional jumps, an unconditional jump to a short block ending in a
 * conditional one (a loop latch) becomes a copy of it, and "if c goto L;
 * goto M; L:" one inverted jump; loop heads are placed so small loops fit a
 * fetch window; "rA = rB; rA += rC" goes into the address of the load or
 * store through rA that follows (right after it, when allocated); without
 * allocation, the most used stack slots of a function live in registers its
 * code leaves free; "== 0" tests reuse the flags of the arithmetic before. Everything is decided from the BPF code before
 * emission, so every pass emits the same instructions.
 *
 * Emission runs in passes over the whole program. A jump takes the rel8 form
 * until its displacement does not fit, then rel32 for good; a forward target
 * is taken from the previous pass. When a pass changes no offset and widens
 * no jump, its bytes are exact and become the code.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "engine/jit.h"
#include "engine/prog.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

static const uint8_t reg_of[MAX_BPF_REG] = { R9, RDI, RSI, R10, RCX, R8, RBX, R13, R14, R15, RBP };

#define AX R12 /* blinded immediates */
static const uint8_t arg_reg[5] = { RDI, RSI, RDX, RCX, R8 }; /* the C ABI's, for r1-r5 */

/* condition codes (low nibble of jcc/setcc/cmovcc) */
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7, CC_L = 12, CC_GE = 13, CC_LE = 14, CC_G = 15 };

/* ModRM extension of the group-1 immediate ALU ops (0x81/0x83) */
enum { EXT_ADD = 0, EXT_OR = 1, EXT_AND = 4, EXT_SUB = 5, EXT_XOR = 6, EXT_CMP = 7 };
/* and of the shift group (0xC1/0xD1/0xD3) */
enum { EXT_SHL = 4, EXT_SHR = 5, EXT_SAR = 7 };

#define MAX_CODE_SIZE (1u << 30)  /* keeps every rel32 in range */
#define INSN_ROOM 512             /* more than any instruction emits */
#define MAX_PASSES 32             /* then every jump goes rel32 */
#define CALLX_SLOTS (UEBPF_MAX_HELPERS + 1) /* the last slot: unknown helper */

#define MAX_DUP_INSNS 6 /* longest block a jump is replaced by a copy of */
#define MAX_SLOT_REGS 4 /* stack slots a function may keep in registers */
#define MAX_INLINE_INSNS 24 /* longest subprogram inlined, with what it inlines */
#define INLINE_BUDGET 4096  /* instructions inlined beyond the program's size */
#define ALIGN_FALL_PAD 15 /* most nop bytes run to align a loop head */
#define FETCH_WINDOW 32   /* bytes the uop cache delivers per cycle */

/* per-insn flags */
#define F_TARGET 1      /* some jump lands here */
#define F_BACK_TARGET 2 /* ... from a later instruction: a loop head */

#define BIT(r) (1u << (r))
#define ARG_REGS (BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5))
/* x86 registers a C function may clobber */
#define CALLER_SAVED (BIT(RAX) | BIT(RCX) | BIT(RDX) | BIT(RSI) | BIT(RDI) | BIT(R8) | BIT(R9) | BIT(R10) | BIT(R11))
#define CALL_CLOBBER (BIT(0) | ARG_REGS)

struct func {
	uint32_t start, end;   /* insns [start, end) */
	uint32_t frame;        /* bytes of stack below rbp (with frame) */
	uint32_t pkt_slot;     /* main with ld_abs: rbp - pkt_slot holds the input
				* memory, 8 bytes above its length */
	uint16_t saved;        /* callee-saved x86 registers pushed, bit per register */
	bool has_frame;        /* push rbp; mov rbp, rsp */
	uint32_t rsp_frame;    /* allocated (no frame): bytes of BPF stack below the pushes, from rsp */
	bool pad;              /* no frame but calls: 8 bytes keep rsp aligned */
	bool calls;
	bool r10_escapes;      /* r10 is used other than as a load/store base */
	/* 8-byte stack slots kept in registers instead: r10 offset, register */
	int16_t slot_off[MAX_SLOT_REGS];
	uint8_t slot_reg[MAX_SLOT_REGS];
	uint8_t n_slots;
	/* calls to it emit its body in place, its r6-r9 (bit r - 6 of
	 * renamed) in these scratch registers instead */
	bool inline_ok;
	uint8_t renamed;
	uint8_t rename[4];
	uint32_t inlined_size;  /* instructions its body emits, callees included */
};

struct jit {
	struct uebpf_prog *prog;
	uint8_t reg[MAX_BPF_REG]; /* BPF -> x86 register, reg_of but while inlining */
	const struct bpf_insn *insns;
	size_t n;
	unsigned features;
	bool harden;
	uint64_t key;

	uint8_t *buf;
	size_t len, cap;

	/* labels: insns 0..n, then each function's body, then the abort stub
	 * and the callx table */
	size_t n_labels, body_label, abort_label, table_label;
	uint32_t *lab[2];      /* this pass and the previous one, by pass parity */
	uint32_t *stamp;       /* pass that last set each label */
	uint32_t pass;

	bool *jlong;           /* per variable jump, in emission order: rel32 */
	size_t n_jumps, max_jumps;
	bool widened;

	struct func *funcs;
	size_t n_funcs;
	uint32_t *func_of;     /* insn -> function */
	uint16_t *live_out;    /* BPF registers live after each insn */
	uint8_t *flags;        /* F_* per insn */
	uint32_t *dup;         /* ja: 1 + the insn ending the block it copies, or 0 */
	uint32_t *loop_end;    /* loop head: 1 + its last back edge's insn */
	uint32_t *fold_from;   /* load/store: 1 + the insn forming its address */
	uint8_t *fold_skip;    /* that insn: it and the next emit nothing */
	uint8_t *inline_at;    /* bpf-to-bpf call: inline the callee here */
	uint8_t *swap;         /* SWAP_*: byte swaps left out (plan_swaps), or NULL */
	struct alloc *alloc;   /* registers allocated (see plan_alloc), or NULL: reg_of */
	bool align_fixed;      /* loop alignment stops looking at loop sizes */
	bool has_ld_pkt, has_callx, has_tail_call;
	uint8_t *cb_jit;       /* per callback: compiled, with an entry at label cb_label + k */
	size_t cb_label;
	bool batch;            /* compiling the batch entry (uebpf_jit_x86_64_compile_batch) */
	size_t batch_label;    /* ... its loop head, once per context */
	bool fell;             /* the code emitted last can fall through */
	uint16_t nonzero;      /* BPF registers whose low 32 bits are known nonzero */
	int zf_reg;            /* x86 register the zero flag describes now, or -1 */
	size_t cmp_start;      /* where the compare for the next jump starts */
	bool cmp_pending;      /* ... when there is one */
	bool zf_32;            /* ... its low 32 bits (the high ones are zero) */

	char *log;
	size_t log_sz;
};

/* ---- bytes ------------------------------------------------------------- */

static void b1(struct jit *j, uint8_t v)
{
	j->buf[j->len++] = v;
}

static void b2(struct jit *j, uint16_t v)
{
	memcpy(j->buf + j->len, &v, 2);
	j->len += 2;
}

static void b4(struct jit *j, uint32_t v)
{
	memcpy(j->buf + j->len, &v, 4);
	j->len += 4;
}

static void b8(struct jit *j, uint64_t v)
{
	memcpy(j->buf + j->len, &v, 8);
	j->len += 8;
}

static bool is_s8(int64_t v)
{
	return v >= -128 && v <= 127;
}

static bool is_s32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* ---- encoding ---------------------------------------------------------- */

/* REX prefix; `force` when a byte operand is spl/bpl/sil/dil. */
static void rex(struct jit *j, bool w, int r, int x, int b, bool force)
{
	uint8_t v = 0x40 | (w ? 8 : 0) | (r & 8) >> 1 | (x & 8) >> 2 | (b & 8) >> 3;
	if (v != 0x40 || force)
		b1(j, v);
}

static bool byte_rex(int r)
{
	return r >= RSP && r <= RDI;
}

static void opcode(struct jit *j, uint32_t op)
{
	if (op > 0xffff)
		b1(j, op >> 16);
	if (op > 0xff)
		b1(j, op >> 8);
	b1(j, op);
}

static void modrm(struct jit *j, int mod, int reg, int rm)
{
	b1(j, mod << 6 | (reg & 7) << 3 | (rm & 7));
}

/* ModRM, SIB and displacement of [base + index*2^scale + disp]; index < 0: none. */
static void mem_sib(struct jit *j, int reg, int base, int index, int scale, int32_t disp)
{
	int mod = disp == 0 && (base & 7) != RBP ? 0 : is_s8(disp) ? 1 : 2;

	if (index >= 0 || (base & 7) == RSP) {
		modrm(j, mod, reg, RSP);
		b1(j, scale << 6 | (index >= 0 ? index & 7 : RSP) << 3 | (base & 7));
	} else {
		modrm(j, mod, reg, base);
	}
	if (mod == 1)
		b1(j, (uint8_t)disp);
	else if (mod == 2)
		b4(j, (uint32_t)disp);
}

/* [pfx] op reg, r/m (register direct) */
static void op_rr(struct jit *j, uint8_t pfx, bool w, uint32_t op, int reg, int rm, bool force)
{
	if (pfx)
		b1(j, pfx);
	rex(j, w, reg, 0, rm, force);
	opcode(j, op);
	modrm(j, 3, reg, rm);
}

/* [pfx] op reg, [base + disp] */
static void op_mem(struct jit *j, uint8_t pfx, bool w, uint32_t op, int reg, int base, int32_t disp, bool force)
{
	if (pfx)
		b1(j, pfx);
	rex(j, w, reg, 0, base, force);
	opcode(j, op);
	mem_sib(j, reg, base, -1, 0, disp);
}

/* op dst, src with op one of add 01, or 09, and 21, sub 29, xor 31, cmp 39, test 85, mov 89 */
static void alu_rr(struct jit *j, uint8_t op, bool w, int dst, int src)
{
	op_rr(j, 0, w, op, src, dst, false);
}

static void mov_rr(struct jit *j, bool w, int dst, int src)
{
	if (w && dst == src)
		return;
	alu_rr(j, 0x89, w, dst, src);
}

/* mov r32, r32: keeps the low half and clears the high one */
static void zext32(struct jit *j, int r)
{
	mov_rr(j, false, r, r);
}

static void zero(struct jit *j, int r)
{
	alu_rr(j, 0x31, false, r, r);
}

/* group-1 op dst, imm: shortest of imm8, eax short form, imm32 */
static void alu_ri(struct jit *j, int ext, bool w, int dst, int32_t imm)
{
	rex(j, w, 0, 0, dst, false);
	if (is_s8(imm)) {
		b1(j, 0x83);
		modrm(j, 3, ext, dst);
		b1(j, (uint8_t)imm);
	} else if (dst == RAX) {
		b1(j, ext << 3 | 5);
		b4(j, (uint32_t)imm);
	} else {
		b1(j, 0x81);
		modrm(j, 3, ext, dst);
		b4(j, (uint32_t)imm);
	}
}

/* group-1 op with an imm32 always, for blinded values */
static void alu_ri32(struct jit *j, int ext, bool w, int dst, int32_t imm)
{
	rex(j, w, 0, 0, dst, false);
	b1(j, 0x81);
	modrm(j, 3, ext, dst);
	b4(j, (uint32_t)imm);
}

/* mov r32, imm32 (zero-extends) */
static void mov_r32_imm(struct jit *j, int dst, uint32_t imm)
{
	rex(j, false, 0, 0, dst, false);
	b1(j, 0xB8 + (dst & 7));
	b4(j, imm);
}

/* mov r64, simm32 (sign-extends) */
static void mov_r64_simm(struct jit *j, int dst, int32_t imm)
{
	rex(j, true, 0, 0, dst, false);
	b1(j, 0xC7);
	modrm(j, 3, 0, dst);
	b4(j, (uint32_t)imm);
}

static void movabs(struct jit *j, int dst, uint64_t v)
{
	rex(j, true, 0, 0, dst, false);
	b1(j, 0xB8 + (dst & 7));
	b8(j, v);
}

/* dst = v, in the shortest form */
static void load_imm(struct jit *j, int dst, uint64_t v)
{
	if (v == 0)
		zero(j, dst);
	else if (v <= UINT32_MAX)
		mov_r32_imm(j, dst, (uint32_t)v);
	else if (is_s32((int64_t)v))
		mov_r64_simm(j, dst, (int32_t)v);
	else
		movabs(j, dst, v);
}

static void shift_ri(struct jit *j, int ext, bool w, int dst, uint8_t count)
{
	rex(j, w, 0, 0, dst, false);
	if (count == 1) {
		b1(j, 0xD1);
		modrm(j, 3, ext, dst);
	} else {
		b1(j, 0xC1);
		modrm(j, 3, ext, dst);
		b1(j, count);
	}
}

/* 3-byte VEX prefix, map 0F38: pp 1 = 66, 2 = F3, 3 = F2 */
static void vex38(struct jit *j, bool w, int reg, int vvvv, int rm, int pp)
{
	b1(j, 0xC4);
	b1(j, (~reg & 8) << 4 | 0x40 | (~rm & 8) << 2 | 0x02);
	b1(j, (w ? 0x80 : 0) | (~vvvv & 15) << 3 | pp);
}

/* shlx/shrx/sarx dst, src, count */
static void shiftx(struct jit *j, int ext, bool w, int dst, int src, int count)
{
	vex38(j, w, dst, count, src, ext == EXT_SHL ? 1 : ext == EXT_SAR ? 2 : 3);
	b1(j, 0xF7);
	modrm(j, 3, dst, src);
}

/* mulx hi, lo, src: hi:lo = rdx * src */
static void mulx(struct jit *j, int hi, int lo, int src)
{
	vex38(j, true, hi, lo, src, 3);
	b1(j, 0xF6);
	modrm(j, 3, hi, src);
}

/* group-3 (F7) op on a register: /2 not, /3 neg, /4 mul, /5 imul, /6 div, /7 idiv */
static void grp3(struct jit *j, int ext, bool w, int r)
{
	op_rr(j, 0, w, 0xF7, ext, r, false);
}

/* imul dst, src, imm */
static void imul_ri(struct jit *j, bool w, int dst, int src, int32_t imm)
{
	rex(j, w, dst, 0, src, false);
	b1(j, is_s8(imm) ? 0x6B : 0x69);
	modrm(j, 3, dst, src);
	if (is_s8(imm))
		b1(j, (uint8_t)imm);
	else
		b4(j, (uint32_t)imm);
}

static void bswap(struct jit *j, bool w, int r)
{
	rex(j, w, 0, 0, r, false);
	b1(j, 0x0F);
	b1(j, 0xC8 + (r & 7));
}

/* lea dst, [base + index*2^scale + disp] */
static void lea(struct jit *j, bool w, int dst, int base, int index, int scale, int32_t disp)
{
	rex(j, w, dst, index < 0 ? 0 : index, base, false);
	b1(j, 0x8D);
	mem_sib(j, dst, base, index, scale, disp);
}

/* ---- labels and jumps -------------------------------------------------- */

static void set_label(struct jit *j, size_t l)
{
	j->lab[j->pass & 1][l] = (uint32_t)j->len;
	j->stamp[l] = j->pass;
}

/* Where label l is: exact if already placed this pass, else last pass's
 * place; *known is false only in the first pass. */
static int64_t label_pos(const struct jit *j, size_t l, bool *known)
{
	if (j->stamp[l] == j->pass) {
		*known = true;
		return j->lab[j->pass & 1][l];
	}
	*known = j->pass > 1;
	return j->lab[(j->pass - 1) & 1][l];
}

static void nops(struct jit *j, size_t count)
{
	static const uint8_t nop[][9] = {
		{ 0x90 },
		{ 0x66, 0x90 },
		{ 0x0F, 0x1F, 0x00 },
		{ 0x0F, 0x1F, 0x40, 0x00 },
		{ 0x0F, 0x1F, 0x44, 0x00, 0x00 },
		{ 0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00 },
		{ 0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00 },
		{ 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
		{ 0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	};
	while (count) {
		size_t k = count > 9 ? 9 : count;
		memcpy(j->buf + j->len, nop[k - 1], k);
		j->len += k;
		count -= k;
	}
}

/* Bytes to put before [start, end) so that it neither crosses nor ends at a
 * 32-byte boundary: on CPUs with the JCC erratum fix, a jump that does is
 * not served from the uop cache. */
static size_t jcc_erratum_pad(const struct jit *j, size_t start, size_t end)
{
	if (!(j->features & UEBPF_JIT_X86_JCC_PAD))
		return 0;
	if (start / FETCH_WINDOW == (end - 1) / FETCH_WINDOW && end % FETCH_WINDOW)
		return 0;
	return FETCH_WINDOW - start % FETCH_WINDOW;
}

/* Jump (cc < 0: unconditional) to a label, rel8 while it fits. A compare
 * emitted just before (from cmp_start) moves along with any padding, since
 * the two execute as one. */
static void jump(struct jit *j, int cc, size_t l)
{
	bool known;
	int64_t target = label_pos(j, l, &known);
	bool *is_long = &j->jlong[j->n_jumps++];
	size_t start = j->cmp_pending ? j->cmp_start : j->len, pad;
	int64_t end;

	j->cmp_pending = false;
	if (cc < 0)
		j->fell = false;
	for (;;) {
		size_t size = !*is_long ? 2 : cc < 0 ? 5 : 6;
		pad = jcc_erratum_pad(j, start, j->len + size);
		end = (int64_t)(j->len + pad + size);
		if (*is_long || !known || is_s8(target - end))
			break;
		*is_long = true;
		j->widened = true;
	}
	if (pad) {
		memmove(j->buf + start + pad, j->buf + start, j->len - start);
		size_t after = j->len;
		j->len = start;
		nops(j, pad);
		j->len = after + pad;
	}
	int64_t disp = known ? target - end : 0;
	if (!*is_long) {
		b1(j, cc < 0 ? 0xEB : 0x70 | cc);
		b1(j, (uint8_t)disp);
	} else {
		if (cc < 0) {
			b1(j, 0xE9);
		} else {
			b1(j, 0x0F);
			b1(j, 0x80 | cc);
		}
		b4(j, (uint32_t)(int32_t)disp);
	}
}

/* call rel32 to a label */
static void call_label(struct jit *j, size_t l)
{
	bool known;
	int64_t target = label_pos(j, l, &known);
	b1(j, 0xE8);
	b4(j, (uint32_t)(int32_t)(target - (int64_t)(j->len + 4)));
}

/* Short forward jumps inside one instruction's code: emit, then patch. */
static size_t fwd8(struct jit *j, int cc)
{
	b1(j, cc < 0 ? 0xEB : 0x70 | cc);
	b1(j, 0);
	return j->len;
}

static void patch8(struct jit *j, size_t after)
{
	j->buf[after - 1] = (uint8_t)(j->len - after);
}

/* ---- analysis ---------------------------------------------------------- */

static bool is_lddw(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static bool is_local_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
}

static bool is_ja(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_JA) || in->code == (BPF_JMP32 | BPF_JA);
}

/* Conditional and unconditional jumps: the target index. */
static bool jump_target(const struct bpf_insn *in, size_t i, size_t *t)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_CALL || op == BPF_EXIT)
		return false;
	*t = i + 1 + (size_t)(int64_t)(cls == BPF_JMP32 && op == BPF_JA ? in->imm : in->off);
	return true;
}

/* BPF registers an instruction reads and writes (for liveness). */
static void use_def(const struct bpf_insn *in, bool in_main, uint16_t *use, uint16_t *def)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	uint16_t d = BIT(in->dst_reg), s = BIT(in->src_reg);

	*use = *def = 0;
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		*def = d;
		if (op == BPF_MOV)
			*use = BPF_SRC(in->code) == BPF_X ? s : 0;
		else
			*use = d | (BPF_SRC(in->code) == BPF_X && op != BPF_NEG && op != BPF_END ? s : 0);
		break;
	case BPF_LD:
		if (is_lddw(in)) {
			*def = d;
		} else {
			*def = BIT(0);
			*use = BPF_MODE(in->code) == BPF_IND ? s : 0;
		}
		break;
	case BPF_LDX:
		*use = s;
		*def = d;
		break;
	case BPF_ST:
		*use = d;
		break;
	case BPF_STX:
		*use = d | s;
		if (BPF_MODE(in->code) == BPF_ATOMIC) {
			if (in->imm == BPF_CMPXCHG) {
				*use |= BIT(0);
				*def = BIT(0);
			} else if (in->imm & BPF_FETCH) {
				*def = s;
			}
		}
		break;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_CALL) {
			/* a callee may look at anything its caller had */
			*use = is_local_call(in) ? 0x3ff : ARG_REGS | (BPF_SRC(in->code) == BPF_X ? d : 0);
			*def = CALL_CLOBBER;
		} else if (op == BPF_EXIT) {
			*use = in_main ? BIT(0) : CALL_CLOBBER;
		} else if (op != BPF_JA) {
			*use = d | (BPF_SRC(in->code) == BPF_X ? s : 0);
		}
		break;
	}
}

static bool is_exit(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_EXIT);
}

/* Where control goes after insn i within the program: up to two places. */
static size_t succs(const struct jit *j, size_t i, size_t s[2])
{
	const struct bpf_insn *in = &j->insns[i];
	size_t k = 0, t;
	if (jump_target(in, i, &t) && t < j->n)
		s[k++] = t;
	if (!is_exit(in) && !is_ja(in) && i + uebpf_insn_slots(in) < j->n)
		s[k++] = i + uebpf_insn_slots(in);
	return k;
}

/* Backward liveness over the instructions that start at start[]: a bit per
 * value in use[]/def[]; live_in must start zeroed. */
static void live_values(const struct jit *j, const uint8_t *start, const uint64_t *use, const uint64_t *def,
			uint64_t *live_in, uint64_t *live_out)
{
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t k = j->n; k-- > 0;) {
			if (!start[k])
				continue;
			size_t s[2], ns = succs(j, k, s);
			uint64_t out = 0;
			for (size_t x = 0; x < ns; x++)
				out |= live_in[s[x]];
			uint64_t in = use[k] | (out & ~def[k]);
			live_out[k] = out;
			if (in != live_in[k]) {
				live_in[k] = in;
				changed = true;
			}
		}
	}
}

/* BPF registers live after each insn (j->live_out). */
static int liveness(struct jit *j)
{
	size_t n = j->n;
	uint8_t *start = calloc(n + 1, 1);
	uint64_t *m = calloc(4 * n + 1, sizeof(*m)), *use = m, *def = m + n, *in = m + 2 * n, *out = m + 3 * n;
	if (!start || !m) {
		free(start);
		free(m);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k += uebpf_insn_slots(&j->insns[k])) {
		uint16_t u, d;
		start[k] = 1;
		use_def(&j->insns[k], j->func_of[k] == 0, &u, &d);
		use[k] = u;
		def[k] = d;
	}
	live_values(j, start, use, def, in, out);
	for (size_t k = 0; k < n; k++)
		j->live_out[k] = (uint16_t)out[k];
	free(start);
	free(m);
	return 0;
}

static bool is_cond_jump(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_JA && op != BPF_CALL && op != BPF_EXIT;
}

/* Where a jump to t ends up: through any unconditional jumps there. */
static size_t thread(const struct jit *j, size_t t)
{
	for (int hops = 0; hops < 8 && is_ja(&j->insns[t]); hops++) {
		size_t u;
		jump_target(&j->insns[t], t, &u);
		if (u == t)
			break;
		t = u;
	}
	return t;
}

/* Instructions a copied block may hold: no control flow, no packet loads. */
static bool dup_ok(const struct bpf_insn *in)
{
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
	case BPF_ALU64:
	case BPF_LDX:
	case BPF_ST:
	case BPF_STX:
		return true;
	case BPF_LD:
		return is_lddw(in);
	}
	return false;
}

/* A jump from the code of insn src to insn t. */
static void note_jump(struct jit *j, size_t src, size_t t)
{
	t = thread(j, t);
	if (is_exit(&j->insns[t]))
		return; /* becomes an epilogue when unconditional; a target otherwise */
	j->flags[t] |= F_TARGET;
	if (t <= src) {
		j->flags[t] |= F_BACK_TARGET;
		if (src + 1 > j->loop_end[t])
			j->loop_end[t] = (uint32_t)src + 1;
	}
}

/* "if cond goto i+2; i+1: goto M" folds into "if !cond goto M" unless
 * something else jumps to i+1. */
static bool folds_jump(const struct jit *j, size_t i)
{
	size_t t;
	return i + 1 < j->n && is_cond_jump(&j->insns[i]) && jump_target(&j->insns[i], i, &t) && t == i + 2 &&
	       is_ja(&j->insns[i + 1]) && !(j->flags[i + 1] & F_TARGET);
}

/* Mark jump targets, then decide which unconditional jumps become copies of
 * the short block they lead to (a loop latch "i++; if (i < n) goto head"
 * typically, so the loop takes one branch per iteration instead of two). */
static void plan_jumps(struct jit *j)
{
	size_t t, c, tc;
	for (size_t i = 0; i < j->n; i += uebpf_insn_slots(&j->insns[i]))
		if (jump_target(&j->insns[i], i, &t) && t != i + 1)
			note_jump(j, i, t);
	for (size_t i = 0; i < j->n; i += uebpf_insn_slots(&j->insns[i])) {
		if (!is_ja(&j->insns[i]) || (i > 0 && folds_jump(j, i - 1)))
			continue;
		jump_target(&j->insns[i], i, &t);
		t = thread(j, t);
		if (is_exit(&j->insns[t]) || t == i + 1)
			continue;
		size_t count = 0;
		for (c = t; count < MAX_DUP_INSNS && dup_ok(&j->insns[c]); c += uebpf_insn_slots(&j->insns[c]))
			count += uebpf_insn_slots(&j->insns[c]);
		if (is_exit(&j->insns[c])) {
			j->dup[i] = (uint32_t)c + 1;
		} else if (is_cond_jump(&j->insns[c]) && jump_target(&j->insns[c], c, &tc) && tc != c + 1) {
			j->dup[i] = (uint32_t)c + 1;
			note_jump(j, i, tc);
			note_jump(j, i, c + 1);
		}
	}
}

/* Registers an instruction writes, for the callee-saved set of its function. */
static uint16_t written(const struct bpf_insn *in)
{
	uint16_t use, def;
	use_def(in, true, &use, &def);
	return def;
}

/* Does the instruction read r10 other than as the base of a memory access? */
static bool r10_escapes(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code);
	uint16_t use, def;
	use_def(in, true, &use, &def);
	if (!(use & BIT(BPF_REG_10)))
		return false;
	switch (cls) {
	case BPF_LDX:
		return false;
	case BPF_ST:
		return false;
	case BPF_STX:
		return in->src_reg == BPF_REG_10;
	default:
		return true;
	}
}

/* Memory access based on r10: the deepest byte below r10 it touches. */
static uint32_t stack_depth(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code);
	int base = cls == BPF_LDX ? in->src_reg : in->dst_reg;
	if ((cls != BPF_LDX && cls != BPF_ST && cls != BPF_STX) || base != BPF_REG_10 || in->off >= 0)
		return 0;
	return (uint32_t)-(int32_t)in->off;
}

static int fail(struct jit *j, size_t i, int err, const char *what)
{
	uebpf_log(j->log, j->log_sz, "insn %zu: %s", i, what);
	return err;
}

/* Split the program into functions and work out what each one needs. */
static int analyse(struct jit *j)
{
	size_t n = j->n;
	uint8_t *starts = calloc(n, 1);
	if (!starts)
		return -ENOMEM;
	starts[0] = 1;
	for (size_t i = 0; i < n; i += uebpf_insn_slots(&j->insns[i])) {
		const struct bpf_insn *in = &j->insns[i];
		size_t t;
		if (is_local_call(in)) {
			t = i + 1 + (size_t)(int64_t)in->imm;
			if (t == 0) {
				free(starts);
				return fail(j, i, -EINVAL, "call to the main program (recursion)");
			}
			starts[t] = 1;
		}
		if (BPF_CLASS(in->code) == BPF_LD && !is_lddw(in))
			j->has_ld_pkt = true;
		if (in->code == (BPF_JMP | BPF_CALL | BPF_X))
			j->has_callx = true;
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0 && in->imm == BPF_FUNC_tail_call)
			j->has_tail_call = true;
	}
	/* callbacks become functions, unless a packet load may be in one (only
	 * the main function has the way out of those) */
	for (size_t k = 0; k < j->prog->n_callbacks && !j->has_ld_pkt; k++) {
		uint32_t t = j->prog->callbacks[k].entry;
		size_t i = 0;
		while (i < t)
			i += uebpf_insn_slots(&j->insns[i]);
		if (t > 0 && i == t && t < n)
			starts[t] = 1;
	}
	for (size_t i = 0; i < n; i++)
		j->n_funcs += starts[i];
	j->funcs = calloc(j->n_funcs, sizeof(*j->funcs));
	if (!j->funcs) {
		free(starts);
		return -ENOMEM;
	}
	size_t f = 0;
	for (size_t i = 0; i < n; i++) {
		if (starts[i]) {
			if (i)
				j->funcs[f - 1].end = (uint32_t)i;
			j->funcs[f++].start = (uint32_t)i;
		}
		j->func_of[i] = (uint32_t)(f - 1);
	}
	j->funcs[f - 1].end = (uint32_t)n;
	free(starts);
	/* a callback is compiled when it is a function of its own that takes
	 * no tail call (the way out of those would cross the helper's frame) */
	for (size_t k = 0; k < j->prog->n_callbacks; k++) {
		uint32_t t = j->prog->callbacks[k].entry;
		if (t >= n || !t || j->funcs[j->func_of[t]].start != t)
			continue;
		j->cb_jit[k] = 1;
		for (size_t i = t; i < j->funcs[j->func_of[t]].end; i++)
			if (j->insns[i].code == (BPF_JMP | BPF_CALL) && !j->insns[i].src_reg &&
			    j->insns[i].imm == BPF_FUNC_tail_call)
				j->cb_jit[k] = 0;
	}

	for (f = 0; f < j->n_funcs; f++) {
		struct func *fn = &j->funcs[f];
		uint16_t writes = 0;
		uint32_t depth = 0;
		bool escapes = false, calls = false, uses_r10 = false;
		for (size_t i = fn->start; i < fn->end; i += uebpf_insn_slots(&j->insns[i])) {
			const struct bpf_insn *in = &j->insns[i];
			uint16_t use, def;
			use_def(in, f == 0, &use, &def);
			writes |= written(in);
			if (use & BIT(BPF_REG_10))
				uses_r10 = true;
			escapes |= r10_escapes(in);
			if (stack_depth(in) > depth)
				depth = stack_depth(in);
			if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_CALL)
				calls = true;
			/* its out-of-bounds exit returns from the main function only */
			if (BPF_CLASS(in->code) == BPF_LD && !is_lddw(in) && f != 0)
				return fail(j, i, -EINVAL, "ld_abs/ld_ind in a subprogram");
		}
		if (escapes)
			depth = UEBPF_STACK_SIZE > depth ? UEBPF_STACK_SIZE : depth;
		for (int r = BPF_REG_6; r <= BPF_REG_9; r++)
			if (writes & BIT(r))
				fn->saved |= BIT(reg_of[r]);
		uint32_t frame = (depth + 7) & ~7u;
		if (f == 0 && j->has_ld_pkt) {
			frame += 16;
			fn->pkt_slot = frame;
		}
		if (j->harden || (j->batch && f == 0))
			fn->saved |= BIT(AX); /* R12: blinding, or the batch loop's count */
		fn->has_frame = uses_r10 || frame;
		fn->frame = frame;
		fn->calls = calls;
		fn->r10_escapes = escapes;
	}
	return 0;
}

/* Frame padding, once the pushed registers are known: at entry rsp is 8
 * mod 16 and calls need it 0 mod 16. */
static void align_frames(struct jit *j)
{
	for (size_t f = 0; f < j->n_funcs; f++) {
		struct func *fn = &j->funcs[f];
		unsigned pushes = (unsigned)__builtin_popcount(fn->saved);
		if (fn->has_frame)
			fn->frame += (8 + 8 * pushes + 8 + fn->frame) % 16;
		else /* rsp_frame: the stack an allocated program keeps in memory */
			fn->pad = fn->calls && (8 + 8 * pushes + fn->rsp_frame) % 16;
	}
}

/* Scratch registers the code of an instruction may clobber (besides those
 * of calls, which clobber every caller-saved one). */
static uint16_t scratch_of(const struct jit *j, const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	const uint16_t all = BIT(RAX) | BIT(RDX) | BIT(R11);
	if (cls == BPF_ALU || cls == BPF_ALU64) {
		if (op == BPF_DIV || op == BPF_MOD)
			return all;
		if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && !(j->features & UEBPF_JIT_X86_BMI2))
			return BIT(R11);
		return 0;
	}
	if (cls == BPF_LD && !is_lddw(in))
		return BIT(RAX) | BIT(R11);
	if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC)
		return BIT(RAX) | BIT(R11);
	return 0;
}

/* Each r10-based access (offset, size) of a function, and whether r10 is
 * its base at insn in. */
static bool stack_access(const struct bpf_insn *in, int16_t *off, int *size, bool *plain)
{
	uint8_t cls = BPF_CLASS(in->code);
	if ((cls != BPF_LDX && cls != BPF_ST && cls != BPF_STX) || (cls == BPF_LDX ? in->src_reg : in->dst_reg) != BPF_REG_10)
		return false;
	static const int sizes[] = { [BPF_W >> 3] = 4, [BPF_H >> 3] = 2, [BPF_B >> 3] = 1, [BPF_DW >> 3] = 8 };
	*off = in->off;
	*size = sizes[BPF_SIZE(in->code) >> 3];
	*plain = BPF_MODE(in->code) == BPF_MEM && *size == 8;
	return true;
}

/* Keep the most used 8-byte stack slots of a function in registers its code
 * leaves free, when r10 does not escape (so nothing else can reach them)
 * and every access to such a slot is a plain 8-byte load or store of it. */
static int plan_slots(struct jit *j)
{
	static const uint8_t candidates[] = { R11, RAX, RDX, R12 };
	for (size_t f = 0; f < j->n_funcs; f++) {
		struct func *fn = &j->funcs[f];
		if (fn->r10_escapes)
			continue;
		uint16_t busy = j->harden || j->batch ? BIT(AX) : 0;
		if (fn->calls)
			busy |= BIT(RAX) | BIT(RDX) | BIT(R11);
		uint32_t depth = 0;
		for (size_t i = fn->start; i < fn->end; i += uebpf_insn_slots(&j->insns[i])) {
			busy |= scratch_of(j, &j->insns[i]);
			if (stack_depth(&j->insns[i]) > depth)
				depth = stack_depth(&j->insns[i]);
		}
		size_t n_free = 0;
		for (size_t k = 0; k < sizeof(candidates); k++)
			n_free += !(busy & BIT(candidates[k]));
		size_t n_slots = (depth + 7) / 8;
		if (!n_free || !n_slots)
			continue;
		/* weight: uses, times 8 per enclosing loop; -1: not promotable */
		int64_t *weight = calloc(n_slots, sizeof(*weight));
		uint8_t *nest = calloc(fn->end - fn->start + 1, 1);
		if (!weight || !nest) {
			free(weight);
			free(nest);
			return -ENOMEM;
		}
		for (size_t t = fn->start; t < fn->end; t++)
			if (j->flags[t] & F_BACK_TARGET)
				for (size_t k = t; k < j->loop_end[t] && k < fn->end; k++)
					nest[k - fn->start] += nest[k - fn->start] < 3;
		for (size_t i = fn->start; i < fn->end; i += uebpf_insn_slots(&j->insns[i])) {
			int16_t off;
			int size;
			bool plain;
			if (!stack_access(&j->insns[i], &off, &size, &plain) || off >= 0)
				continue;
			for (int64_t b = off; b < off + size && b < 0; b++) {
				size_t slot = (size_t)(-b - 1) / 8;
				if (!plain || off % 8)
					weight[slot] = -1;
				else if (weight[slot] >= 0)
					weight[slot] += (int64_t)1 << (3 * nest[i - fn->start]);
			}
		}
		for (size_t k = 0; k < sizeof(candidates) && fn->n_slots < MAX_SLOT_REGS; k++) {
			if (busy & BIT(candidates[k]))
				continue;
			size_t best = n_slots;
			for (size_t slot = 0; slot < n_slots; slot++)
				if (weight[slot] > 0 && (best == n_slots || weight[slot] > weight[best]))
					best = slot;
			if (best == n_slots)
				break;
			weight[best] = -1;
			fn->slot_off[fn->n_slots] = (int16_t)(-8 * (int)(best + 1));
			fn->slot_reg[fn->n_slots++] = candidates[k];
			if (candidates[k] == R12)
				fn->saved |= BIT(R12);
		}
		free(weight);
		free(nest);
	}
	return 0;
}

/* ---- register allocation ---------------------------------------------- */

/* A program of one function that calls nothing (no helpers, subprograms,
 * tail calls or packet loads), takes no atomics and keeps r10 to itself has
 * its registers allocated instead of taking reg_of. A value here is a web:
 * the definitions and uses of one BPF register, or of one 8-byte stack slot
 * that is only ever loaded and stored whole, that reach each other (an ALU
 * result starts a web of its own: alu_split). Each web gets an x86 register
 * by colouring the graph of webs live at once (Chaitin-Briggs, a copy's two
 * sides not interfering; conservative coalescing first). Before that, a
 * read takes the copy of its value written last (alloc_copies,
 * alloc_redirect), so a spilled register dies at its spill. clang's spills
 * under register pressure (more live values than BPF's ten registers) so
 * end up in the fifteen x86 ones, and a spill or reload between two webs in
 * the same register emits nothing. A stack slot's web that gets no register
 * stays in the slot (addressed from rsp); a BPF register's web that gets
 * none makes the program take reg_of. Several colourings are tried and the
 * cheapest kept (alloc_cost). */

#define NV 64 /* values: r0-r9, then up to 54 stack slots */
#define SLOT_VAR0 10
#define MAX_ALLOC_INSNS 4096
#define MAX_WEBS 4096
#define NO_WEB UINT16_MAX

/* ways alloc_try colours */
#define TRY_REDIRECT 1   /* reads moved to the copy written last */
#define TRY_COALESCE 2   /* copies coalesced before colouring */
#define TRY_SAME_VALUE 4 /* a copy conflicts with no copy of its source */

struct alloc {
	uint8_t *start;                           /* an instruction starts here (not lddw's second half) */
	uint64_t *use, *def, *live_in, *live_out; /* per insn, a bit per value */
	uint64_t *base_use;                       /* use before reads move to slots */
	uint64_t *eq;                             /* insn * NV + v: values equal to v (alloc_copies) */
	int8_t *redirect;                         /* insn * NV + v: the value read instead of v, or -1 */
	uint16_t *web_in, *web_def;               /* insn * NV + value: its web there, or NO_WEB */
	int8_t *color;                            /* web -> x86 register, -1: in its stack slot */
	size_t n_webs;
	uint8_t web_var[MAX_WEBS];                /* web -> its value */
	int8_t slot_var[UEBPF_STACK_SIZE / 8];    /* slot k (at r10 - 8 * (k + 1)) -> value, or -1 */
};

static void alloc_free(struct alloc *a)
{
	if (!a)
		return;
	free(a->start);
	free(a->use);
	free(a->base_use);
	free(a->eq);
	free(a->redirect);
	free(a->def);
	free(a->live_in);
	free(a->live_out);
	free(a->web_in);
	free(a->web_def);
	free(a->color);
	free(a);
}

/* The value of the stack slot insn in loads or stores whole, or -1. */
static int alloc_slot(const struct alloc *a, const struct bpf_insn *in)
{
	int16_t off;
	int size;
	bool plain;
	if (!stack_access(in, &off, &size, &plain) || !plain || off >= 0 || off % 8 || -off > UEBPF_STACK_SIZE)
		return -1;
	return a->slot_var[-off / 8 - 1];
}

static void alloc_use_def(const struct alloc *a, const struct bpf_insn *in, uint64_t *use, uint64_t *def)
{
	uint16_t u, d;
	use_def(in, true, &u, &d);
	*use = u & 0x3ff;
	*def = d & 0x3ff;
	int s = alloc_slot(a, in);
	if (s >= 0)
		*(BPF_CLASS(in->code) == BPF_LDX ? use : def) |= (uint64_t)1 << s;
}

/* Is insn in the copy "v = w" of all 64 bits? */
static bool alloc_move(const struct alloc *a, const struct bpf_insn *in, int *v, int *w)
{
	int s = alloc_slot(a, in);
	if (in->code == (BPF_ALU64 | BPF_MOV | BPF_X) && !in->off && in->src_reg < BPF_REG_10) {
		*v = in->dst_reg;
		*w = in->src_reg;
	} else if (s >= 0 && BPF_CLASS(in->code) == BPF_LDX) {
		*v = in->dst_reg;
		*w = s;
	} else if (s >= 0 && BPF_CLASS(in->code) == BPF_STX && in->src_reg < BPF_REG_10) {
		*v = s;
		*w = in->src_reg;
	} else {
		return false;
	}
	return true;
}

/* An ALU instruction other than a move: it reads and writes dst, and its
 * result may go to another register than dst's value came in (see
 * alu_split), so the two are separate webs. */
static bool alloc_split(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code);
	return (cls == BPF_ALU || cls == BPF_ALU64) && BPF_OP(in->code) != BPF_MOV;
}

static bool commutes(const struct bpf_insn *in)
{
	switch (BPF_OP(in->code)) {
	case BPF_ADD:
	case BPF_OR:
	case BPF_AND:
	case BPF_XOR:
	case BPF_MUL:
		return true;
	}
	return false;
}

static bool alloc_eligible(const struct jit *j)
{
	if (j->n_funcs != 1 || j->harden || j->n > MAX_ALLOC_INSNS || j->has_ld_pkt || j->has_callx ||
	    j->has_tail_call || j->prog->n_callbacks || j->funcs[0].r10_escapes)
		return false;
	for (size_t i = 0; i < j->n; i++) {
		const struct bpf_insn *in = &j->insns[i];
		if (written(in) & BIT(BPF_REG_10))
			return false;
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg != 0)
			return false; /* only helper calls: no subprograms or kernel functions */
		if ((BPF_CLASS(in->code) == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC) || in->dst_reg > BPF_REG_10 ||
		    in->src_reg > BPF_REG_10)
			return false;
	}
	return true;
}

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void uf_union(uint32_t *parent, uint32_t x, uint32_t y)
{
	x = uf_find(parent, x);
	y = uf_find(parent, y);
	if (x != y)
		parent[x > y ? x : y] = x < y ? x : y;
}

/* The interference graph, as a bit matrix, and what colouring needs. */
struct igraph {
	size_t n, words;
	uint64_t *adj;
	uint16_t *forbid;   /* x86 registers the web may not take */
	int8_t *pref;       /* x86 register it should take (argument, result), or -1 */
	int64_t *weight;    /* stack slot webs: accesses saved, by loop depth */
	uint8_t *is_slot;
	uint32_t *moves;    /* pairs of webs a copy joins */
	uint32_t *move_w;   /* and how often it runs (by loop depth) */
	size_t n_moves;
	uint32_t *deg;      /* neighbours of each web */
	uint32_t *alias;    /* the web each was joined to (coalesce), itself if none */
};

static void set_edge(struct igraph *g, size_t x, size_t y, bool on)
{
	uint64_t bx = (uint64_t)1 << (x % 64), by = (uint64_t)1 << (y % 64);
	if (on) {
		g->adj[x * g->words + y / 64] |= by;
		g->adj[y * g->words + x / 64] |= bx;
	} else {
		g->adj[x * g->words + y / 64] &= ~by;
		g->adj[y * g->words + x / 64] &= ~bx;
	}
}

static void edge(struct igraph *g, size_t x, size_t y)
{
	if (x != y && x != NO_WEB && y != NO_WEB)
		set_edge(g, x, y, true);
}

static bool adjacent(const struct igraph *g, size_t x, size_t y)
{
	return g->adj[x * g->words + y / 64] >> (y % 64) & 1;
}

/* Caller-saved registers first: those cost no push. */
static const uint8_t color_order[] = { RAX, RCX, RDX, RSI, RDI, R8, R9, R10, R11, RBX, R12, R13, R14, R15, RBP };


/* Joining y into x adds no neighbour of significant degree to x. */
static bool george(const struct igraph *g, size_t y, size_t x, uint32_t K)
{
	for (size_t w = 0; w < g->words; w++)
		for (uint64_t b = g->adj[y * g->words + w] & ~g->adj[x * g->words + w]; b; b &= b - 1)
			if (g->deg[w * 64 + (size_t)__builtin_ctzll(b)] >= K)
				return false;
	return true;
}

struct wmove {
	uint32_t w, x, y;
};

static int by_weight(const void *p, const void *q)
{
	const struct wmove *a = p, *b = q;
	return a->w != b->w ? (a->w < b->w ? 1 : -1) : a->x != b->x ? (a->x < b->x ? -1 : 1) : (a->y > b->y) - (a->y < b->y);
}

/* Conservative coalescing (Briggs, else George): the two webs of a copy
 * that do not interfere become one when the one has fewer neighbours of
 * significant degree than it has registers to take, or when one adds no
 * such neighbour to the other, so colouring stays as easy; copies in loops
 * first. The copy then emits nothing. */
static int coalesce(struct igraph *g, uint16_t allowed)
{
	struct wmove *m = malloc((g->n_moves + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t k = 0; k < g->n_moves; k++)
		m[k] = (struct wmove){ g->move_w[k], g->moves[2 * k], g->moves[2 * k + 1] };
	qsort(m, g->n_moves, sizeof(*m), by_weight);
	for (size_t k = 0; k < g->n_moves; k++) {
		uint32_t x = m[k].x, y = m[k].y;
		if (x == NO_WEB || y == NO_WEB)
			continue;
		while (g->alias[x] != x)
			x = g->alias[x];
		while (g->alias[y] != y)
			y = g->alias[y];
		if (x == y || adjacent(g, x, y))
			continue;
		uint16_t forbid = g->forbid[x] | g->forbid[y];
		uint32_t K = (uint32_t)__builtin_popcount(allowed & ~forbid), significant = 0;
		if (g->pref[x] >= 0 && g->pref[y] >= 0 && g->pref[x] != g->pref[y])
			continue;
		for (size_t w = 0; w < g->words; w++)
			for (uint64_t b = g->adj[x * g->words + w] | g->adj[y * g->words + w]; b; b &= b - 1) {
				size_t z = w * 64 + (size_t)__builtin_ctzll(b);
				/* a neighbour of both loses one */
				uint32_t dz = g->deg[z] - (adjacent(g, z, x) && adjacent(g, z, y));
				significant += dz >= K;
			}
		if (significant >= K) {
			/* George: every significant neighbour of one is a
			 * neighbour of the other already */
			if (george(g, y, x, K)) {
			} else if (george(g, x, y, K)) {
				uint32_t t = x;
				x = y;
				y = t;
			} else {
				continue;
			}
		}
		for (size_t w = 0; w < g->words; w++)
			for (uint64_t b = g->adj[y * g->words + w]; b; b &= b - 1) {
				size_t z = w * 64 + (size_t)__builtin_ctzll(b);
				set_edge(g, z, y, false);
				g->deg[z]--;
				if (!adjacent(g, z, x)) {
					set_edge(g, z, x, true);
					g->deg[z]++;
					g->deg[x]++;
				}
			}
		g->deg[y] = 0;
		g->alias[y] = x;
		g->forbid[x] = forbid;
		if (g->pref[x] < 0)
			g->pref[x] = g->pref[y];
		g->weight[x] += g->weight[y];
		g->is_slot[x] = g->is_slot[x] && g->is_slot[y];
	}
	free(m);
	return 0;
}

/* The web x is part of after coalescing (NO_WEB stays NO_WEB). */
static size_t joined_to(const struct igraph *g, size_t x)
{
	if (x >= g->n)
		return x;
	while (g->alias[x] != x)
		x = g->alias[x];
	return x;
}

/* Simplify, then select (optimistic), over the webs coalescing kept; a
 * joined web takes the colour of the one it joined. Returns 0, or -1 when
 * a web that must have a register got none. */
static int color_graph(const struct igraph *g, uint16_t allowed, int8_t *color)
{
	size_t n = g->n, top = 0;
	uint32_t *deg = calloc(n, sizeof(*deg)), *stack = calloc(n, sizeof(*stack));
	uint32_t *first = calloc(n + 1, sizeof(*first)), *partner = calloc(2 * g->n_moves + 1, sizeof(*partner));
	uint8_t *gone = calloc(n, 1);
	int err = -1;
	if (!deg || !stack || !first || !partner || !gone)
		goto out;
	memcpy(deg, g->deg, n * sizeof(*deg));
	/* each web's copy partners (after coalescing), as lists */
	for (size_t m = 0; m < g->n_moves; m++) {
		size_t mx = joined_to(g, g->moves[2 * m]), my = joined_to(g, g->moves[2 * m + 1]);
		if (mx < n && my < n && mx != my) {
			first[mx]++;
			first[my]++;
		}
	}
	for (size_t x = 0, sum = 0; x <= n; x++) {
		size_t k = x < n ? first[x] : 0;
		first[x] = (uint32_t)sum;
		sum += k;
	}
	for (size_t m = 0; m < g->n_moves; m++) {
		size_t mx = joined_to(g, g->moves[2 * m]), my = joined_to(g, g->moves[2 * m + 1]);
		if (mx < n && my < n && mx != my) {
			partner[first[mx]++] = (uint32_t)my;
			partner[first[my]++] = (uint32_t)mx;
		}
	}
	for (size_t x = n; x > 0; x--) /* back to starts */
		first[x] = first[x - 1];
	first[0] = 0;
	size_t joined = 0; /* not on the stack: coloured at the end */
	for (size_t x = 0; x < n; x++)
		if (g->alias[x] != x) {
			gone[x] = 1;
			joined++;
		}
	while (top + joined < n) {
		size_t pick = n;
		for (size_t x = 0; x < n && pick == n; x++)
			if (!gone[x] && deg[x] < (uint32_t)__builtin_popcount(allowed & ~g->forbid[x]))
				pick = x;
		if (pick == n) {
			/* blocked: the stack slot web worth least per neighbour
			 * may end up in its slot; BPF registers' webs last */
			double best = 0;
			for (size_t x = 0; x < n; x++) {
				if (gone[x])
					continue;
				double cost = g->is_slot[x] ? (double)g->weight[x] / (deg[x] + 1) : 1e300 / (deg[x] + 1);
				if (pick == n || cost < best) {
					pick = x;
					best = cost;
				}
			}
		}
		gone[pick] = 1;
		stack[top++] = (uint32_t)pick;
		for (size_t y = 0; y < n; y++)
			if (!gone[y] && adjacent(g, pick, y))
				deg[y]--;
	}
	memset(color, -2, n);
	while (top) {
		size_t x = stack[--top];
		uint16_t avail = allowed & ~g->forbid[x];
		for (size_t y = 0; y < n; y++)
			if (color[y] >= 0 && adjacent(g, x, y))
				avail &= (uint16_t)~BIT(color[y]);
		if (!avail) {
			if (!g->is_slot[x])
				goto out;
			color[x] = -1;
			continue;
		}
		int c = -1;
		for (size_t k = first[x]; k < first[x + 1] && c < 0; k++) {
			size_t other = partner[k];
			if (color[other] >= 0 && (avail & BIT(color[other])))
				c = color[other];
		}
		if (c < 0 && g->pref[x] >= 0 && (avail & BIT(g->pref[x])))
			c = g->pref[x];
		for (size_t k = 0; k < sizeof(color_order) && c < 0; k++)
			if (avail & BIT(color_order[k]))
				c = color_order[k];
		color[x] = (int8_t)c;
	}
	for (size_t x = 0; x < n; x++)
		color[x] = color[joined_to(g, x)];
	err = 0;
out:
	free(deg);
	free(stack);
	free(first);
	free(partner);
	free(gone);
	return err;
}

static uint16_t web_at(const struct alloc *a, const uint16_t *webs, size_t i, int v)
{
	return webs[i * NV + (size_t)v];
}

/* The value insn i reads for v: v, or the copy its read moved to (alloc_redirect). */
static int read_value(const struct alloc *a, size_t i, int v)
{
	int r = a->redirect[i * NV + (size_t)v];
	return r >= 0 ? r : v;
}

/* Choose the stack slots that become values: whole 8-byte accesses only,
 * the most used (by loop depth) first. Returns whether the frame is needed
 * whatever the colouring (some access is not to such a slot). */
static bool alloc_slots(const struct jit *j, struct alloc *a, const uint8_t *nest)
{
	int64_t weight[UEBPF_STACK_SIZE / 8] = { 0 };
	bool bad[UEBPF_STACK_SIZE / 8] = { false }, frame = false;
	memset(a->slot_var, -1, sizeof(a->slot_var));
	for (size_t i = 0; i < j->n; i++) {
		int16_t off;
		int size;
		bool plain;
		if (!a->start[i] || !stack_access(&j->insns[i], &off, &size, &plain))
			continue;
		if (off >= 0 || -off > UEBPF_STACK_SIZE) {
			frame = true;
			continue;
		}
		for (int b = off; b < off + size && b < 0; b++) {
			size_t slot = (size_t)(-b - 1) / 8;
			if (!plain || off % 8)
				bad[slot] = true;
			else
				weight[slot] += (int64_t)1 << (3 * nest[i]);
		}
	}
	for (int v = SLOT_VAR0; v < NV; v++) {
		size_t best = UEBPF_STACK_SIZE / 8;
		for (size_t s = 0; s < UEBPF_STACK_SIZE / 8; s++)
			if (!bad[s] && weight[s] > 0 && a->slot_var[s] < 0 &&
			    (best == UEBPF_STACK_SIZE / 8 || weight[s] > weight[best]))
				best = s;
		if (best == UEBPF_STACK_SIZE / 8)
			break;
		a->slot_var[best] = (int8_t)v;
	}
	for (size_t s = 0; s < UEBPF_STACK_SIZE / 8; s++)
		frame |= bad[s] || (weight[s] > 0 && a->slot_var[s] < 0);
	return frame;
}

/* Webs: union-find over (insn, value) live into the insn and (insn, value)
 * defined there, joined along every edge of the control flow and where an
 * insn reads and writes the same value. Returns -ENOSPC past MAX_WEBS. */
static int alloc_webs(const struct jit *j, struct alloc *a)
{
	size_t n = j->n, nodes = 2 * n * NV;
	uint32_t *parent = malloc(nodes * sizeof(*parent));
	if (!parent)
		return -ENOMEM;
	for (size_t x = 0; x < nodes; x++)
		parent[x] = (uint32_t)x;
#define IN_NODE(i, v) ((uint32_t)((i) * NV + (size_t)(v)))
#define DEF_NODE(i, v) ((uint32_t)((n + (i)) * NV + (size_t)(v)))
	for (size_t i = 0; i < n; i++) {
		if (!a->start[i])
			continue;
		size_t s[2], ns = succs(j, i, s);
		for (size_t x = 0; x < ns; x++)
			for (uint64_t m = a->live_in[s[x]]; m; m &= m - 1) {
				int v = __builtin_ctzll(m);
				uf_union(parent, IN_NODE(s[x], v), a->def[i] >> v & 1 ? DEF_NODE(i, v) : IN_NODE(i, v));
			}
		for (uint64_t m = a->use[i] & a->def[i] & (alloc_split(&j->insns[i]) ? 0 : ~0ull); m; m &= m - 1)
			uf_union(parent, IN_NODE(i, __builtin_ctzll(m)), DEF_NODE(i, __builtin_ctzll(m)));
	}
	uint16_t *dense = malloc(nodes * sizeof(*dense));
	int err = 0;
	if (!dense) {
		free(parent);
		return -ENOMEM;
	}
	memset(dense, 0xff, nodes * sizeof(*dense));
	for (size_t i = 0; i < n && !err; i++) {
		for (int pass = 0; pass < 2 && a->start[i]; pass++) {
			uint64_t m = pass ? a->def[i] : a->live_in[i];
			for (; m; m &= m - 1) {
				int v = __builtin_ctzll(m);
				uint32_t root = uf_find(parent, pass ? DEF_NODE(i, v) : IN_NODE(i, v));
				if (dense[root] == NO_WEB) {
					if (a->n_webs == MAX_WEBS) {
						err = -ENOSPC;
						break;
					}
					a->web_var[a->n_webs] = (uint8_t)v;
					dense[root] = (uint16_t)a->n_webs++;
				}
				(pass ? a->web_def : a->web_in)[i * NV + (size_t)v] = dense[root];
			}
		}
	}
#undef IN_NODE
#undef DEF_NODE
	free(parent);
	free(dense);
	return err;
}

static int alloc_graph(const struct jit *j, const struct alloc *a, struct igraph *g, const uint8_t *nest,
		       bool same_value)
{
	uint8_t *cold = calloc(g->n + 1, 1); /* a stack slot live across a call outside loops */
	if (!cold)
		return -ENOMEM;
	for (size_t x = 0; x < g->n; x++)
		g->pref[x] = -1;
	for (size_t i = 0; i < j->n; i++) {
		if (!a->start[i])
			continue;
		const struct bpf_insn *in = &j->insns[i];
		uint16_t scratch = scratch_of(j, in);
		int mv = -1, mw = -1;
		bool move = alloc_move(a, in, &mv, &mw);
		if (move)
			mw = read_value(a, i, mw); /* the copy reads that value */
		for (uint64_t m = a->live_in[i]; m && scratch; m &= m - 1)
			g->forbid[web_at(a, a->web_in, i, __builtin_ctzll(m))] |= scratch;
		for (uint64_t d = a->def[i]; d; d &= d - 1) {
			int v = __builtin_ctzll(d);
			size_t dw = web_at(a, a->web_def, i, v);
			g->forbid[dw] |= scratch;
			for (uint64_t m = a->live_out[i]; m; m &= m - 1) {
				int w = __builtin_ctzll(m);
				/* a copy's result holds what its source and the
				 * source's copies hold: no conflict with those */
				if (w == v ||
				    (move && v == mv && (w == mw || (same_value && (a->eq[i * NV + (size_t)mw] >> w & 1)))))
					continue;
				edge(g, dw, web_at(a, a->def[i] >> w & 1 ? a->web_def : a->web_in, i, w));
			}
		}
		/* how often it runs, then: a copy first (it costs an
		 * instruction whatever happens), then a result next to the
		 * source it may replace (commuting), then next to dst */
		uint32_t w8 = (uint32_t)4 << (3 * nest[i]);
		if (move) {
			g->move_w[g->n_moves] = w8 + 3;
			g->moves[2 * g->n_moves] = web_at(a, a->web_def, i, mv);
			g->moves[2 * g->n_moves++ + 1] = web_at(a, a->web_in, i, mw);
		}
		if (alloc_split(in)) {
			/* the result where dst came in, or (commuting) where the
			 * source dies; a source that does not commute must not
			 * share the result's register */
			size_t dw = web_at(a, a->web_def, i, in->dst_reg);
			g->move_w[g->n_moves] = w8 + 1;
			g->moves[2 * g->n_moves] = dw;
			g->moves[2 * g->n_moves++ + 1] = web_at(a, a->web_in, i, in->dst_reg);
			if (BPF_SRC(in->code) == BPF_X && in->src_reg != in->dst_reg && in->src_reg < BPF_REG_10) {
				size_t sw = web_at(a, a->web_in, i, read_value(a, i, in->src_reg));
				if (commutes(in)) {
					g->move_w[g->n_moves] = w8 + 2;
					g->moves[2 * g->n_moves] = dw;
					g->moves[2 * g->n_moves++ + 1] = sw;
				} else {
					edge(g, dw, sw);
				}
			}
		}
		int s = alloc_slot(a, in);
		if (s >= 0 && BPF_CLASS(in->code) == BPF_LDX)
			s = read_value(a, i, s);
		if (s >= SLOT_VAR0) {
			size_t w = web_at(a, BPF_CLASS(in->code) == BPF_LDX ? a->web_in : a->web_def, i, s);
			g->weight[w] += (int64_t)1 << (3 * nest[i]);
		}
		if (is_exit(in)) {
			g->pref[web_at(a, a->web_in, i, read_value(a, i, BPF_REG_0))] = RAX;
		}
		if (in->code == (BPF_JMP | BPF_CALL)) {
			/* a helper call: what lives across it stays in the
			 * callee-saved registers or in memory; the arguments
			 * would rather be where the C ABI wants them */
			for (uint64_t m = a->live_out[i] & ~a->def[i]; m; m &= m - 1) {
				size_t w = web_at(a, a->web_in, i, __builtin_ctzll(m));
				g->forbid[w] |= CALLER_SAVED;
				cold[w] |= !nest[i] && __builtin_ctzll(m) >= SLOT_VAR0;
			}
			for (int r = BPF_REG_1; r <= BPF_REG_5; r++) {
				size_t w = web_at(a, a->web_in, i, read_value(a, i, r));
				if (g->pref[w] < 0)
					g->pref[w] = arg_reg[r - BPF_REG_1];
			}
			g->pref[web_at(a, a->web_def, i, BPF_REG_0)] = RAX;
		}
	}
	/* what the program starts with: its arguments and anything read
	 * before it is written (garbage) are all live at once */
	for (uint64_t m = a->live_in[0]; m; m &= m - 1)
		for (uint64_t o = m & (m - 1); o; o &= o - 1)
			edge(g, web_at(a, a->web_in, 0, __builtin_ctzll(m)), web_at(a, a->web_in, 0, __builtin_ctzll(o)));
	if (a->live_in[0] & BIT(BPF_REG_1))
		g->pref[web_at(a, a->web_in, 0, BPF_REG_1)] = RDI;
	if (a->live_in[0] & BIT(BPF_REG_2))
		g->pref[web_at(a, a->web_in, 0, BPF_REG_2)] = RSI;
	/* a slot's web may stay in memory unless some read was moved to it */
	for (size_t x = 0; x < g->n; x++)
		g->is_slot[x] = a->web_var[x] >= SLOT_VAR0;
	for (size_t i = 0; i < j->n; i++)
		for (int v = 0; v < NV && a->start[i]; v++)
			if (a->redirect[i * NV + (size_t)v] >= 0)
				g->is_slot[web_at(a, a->web_in, i, a->redirect[i * NV + (size_t)v])] = 0;
	/* a slot spilled around a call outside any loop (a slow path,
	 * mostly) stays in memory: in a callee-saved register it would cost
	 * a push and a pop on every run, taken or not */
	for (size_t x = 0; x < g->n; x++)
		if (cold[x] && g->is_slot[x])
			g->forbid[x] = 0xffff;
	free(cold);
	return 0;
}

/* Values known equal at each insn on every path: eq[i * NV + v] has a bit
 * for each value holding the same as v (a copy, spill or reload makes two
 * equal until either is written again). */
static int alloc_copies(const struct jit *j, struct alloc *a)
{
	size_t n = j->n;
	uint8_t *reached = calloc(n, 1);
	uint64_t *out = malloc(NV * sizeof(*out));
	if (!reached || !out) {
		free(reached);
		free(out);
		return -ENOMEM;
	}
	memset(a->eq, 0, n * NV * sizeof(*a->eq));
	reached[0] = 1;
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			if (!a->start[i] || !reached[i])
				continue;
			const uint64_t *in = &a->eq[i * NV];
			memcpy(out, in, NV * sizeof(*out));
			for (uint64_t d = a->def[i]; d; d &= d - 1) {
				int v = __builtin_ctzll(d);
				out[v] = 0;
				for (int u = 0; u < NV; u++)
					out[u] &= ~((uint64_t)1 << v);
			}
			int v, w;
			if (alloc_move(a, &j->insns[i], &v, &w) && v != w) {
				uint64_t cls = (in[w] | (uint64_t)1 << w) & ~((uint64_t)1 << v);
				out[v] = cls;
				for (uint64_t m = cls; m; m &= m - 1)
					out[__builtin_ctzll(m)] |= (uint64_t)1 << v;
			}
			size_t succ[2], ns = succs(j, i, succ);
			for (size_t x = 0; x < ns; x++) {
				uint64_t *to = &a->eq[succ[x] * NV];
				for (int u = 0; u < NV; u++) {
					uint64_t m = reached[succ[x]] ? to[u] & out[u] : out[u];
					if (m != to[u] || !reached[succ[x]]) {
						to[u] = m;
						changed = true;
					}
				}
				reached[succ[x]] = 1;
			}
		}
	}
	free(reached);
	free(out);
	return 0;
}

/* A read of a value that an insn only reads (not also writes) takes the
 * copy of it written last before the insn (in program order): after "*(r10 - 8) = r1" later reads of r1 take
 * the slot and r1 dies at the spill; after "r3 = *(r10 - 8); *(r10 - 16) =
 * r3" a read of r10 - 8 takes r10 - 16. Two copies of one value then need
 * not both stay live. */
static void alloc_redirect(const struct jit *j, struct alloc *a)
{
	for (size_t i = 0; i < j->n; i++) {
		if (!a->start[i])
			continue;
		for (uint64_t m = a->base_use[i] & ~a->def[i]; m; m &= m - 1) {
			int v = __builtin_ctzll(m);
			uint64_t cand = a->eq[i * NV + (size_t)v] | (uint64_t)1 << v;
			if (cand == (uint64_t)1 << v)
				continue;
			int w = v;
			for (size_t k = i, steps = 0; k-- > 0 && steps < 64; steps++) {
				if (a->start[k] && (a->def[k] & cand)) {
					w = __builtin_ctzll(a->def[k] & cand);
					break;
				}
			}
			if (w == v)
				continue;
			a->redirect[i * NV + (size_t)v] = (int8_t)w;
			a->use[i] = (a->use[i] & ~((uint64_t)1 << v)) | (uint64_t)1 << w;
		}
	}
}

/* Does insn i only write values no one reads (so it need not run)? */
static bool alloc_dead(const struct jit *j, size_t i)
{
	const struct alloc *a = j->alloc;
	const struct bpf_insn *in = &j->insns[i];
	if (!a || !a->def[i] || (a->def[i] & a->live_out[i]))
		return false;
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		return true;
	case BPF_LD:
		return is_lddw(in);
	case BPF_LDX:
		return in->src_reg == BPF_REG_10;
	case BPF_ST:
	case BPF_STX:
		return alloc_slot(a, in) >= 0;
	}
	return false;
}

/* One colouring of the program, with reads moved to copies (redirect) or
 * not. Returns 0 (a->color set, *frame: some stack stays in memory), -1
 * when some value that must have an x86 register gets none, or a negative
 * errno. */
static int use_color(const struct alloc *a, size_t i, int v)
{
	uint16_t w = a->web_in[i * NV + (size_t)read_value(a, i, v)];
	return w == NO_WEB ? -2 : a->color[w];
}

static int def_color(const struct alloc *a, size_t i, int v)
{
	uint16_t w = a->web_def[i * NV + (size_t)v];
	return w == NO_WEB ? -2 : a->color[w];
}

/* The colour of the slot web insn i reads or writes. */
static int slot_color(const struct jit *j, const struct alloc *a, size_t i)
{
	const struct bpf_insn *in = &j->insns[i];
	int s = alloc_slot(a, in);
	return BPF_CLASS(in->code) == BPF_LDX ? use_color(a, i, s) : def_color(a, i, s);
}

/* What the colouring leaves to run, by loop depth: copies between two
 * registers, results computed away from their operand, and stack accesses
 * left in memory (three times as dear). */
static uint64_t alloc_cost(const struct jit *j, const struct alloc *a, const uint8_t *nest)
{
	uint64_t cost = 0;
	for (size_t i = 0; i < j->n; i++) {
		if (!a->start[i])
			continue;
		const struct bpf_insn *in = &j->insns[i];
		uint64_t w = (uint64_t)1 << (3 * nest[i]);
		int v, s, slot = alloc_slot(a, in);
		if (slot >= 0 && slot_color(j, a, i) < 0)
			cost += 3 * w;
		else if (alloc_move(a, in, &v, &s) && def_color(a, i, v) != use_color(a, i, s))
			cost += w;
		else if (alloc_split(in) && def_color(a, i, in->dst_reg) != use_color(a, i, in->dst_reg) &&
			 !(BPF_SRC(in->code) == BPF_X && commutes(in) && in->src_reg < BPF_REG_10 &&
			   use_color(a, i, in->src_reg) == def_color(a, i, in->dst_reg)))
			cost += w;
	}
	return cost;
}

static int alloc_try(struct jit *j, struct alloc *a, const uint8_t *nest, unsigned mode, bool *frame)
{
	bool redirect = mode & TRY_REDIRECT, coalesce_ok = mode & TRY_COALESCE;
	size_t n = j->n;
	struct igraph g = { 0 };
	memcpy(a->use, a->base_use, n * sizeof(*a->use));
	memset(a->redirect, -1, n * NV);
	if (redirect)
		alloc_redirect(j, a);
	memset(a->live_in, 0, n * sizeof(*a->live_in));
	live_values(j, a->start, a->use, a->def, a->live_in, a->live_out);
	memset(a->web_in, 0xff, n * NV * sizeof(*a->web_in));
	memset(a->web_def, 0xff, n * NV * sizeof(*a->web_def));
	a->n_webs = 0;
	free(a->color);
	a->color = NULL;
	int err = alloc_webs(j, a);
	if (err)
		return err == -ENOSPC ? -1 : err;
	g.n = a->n_webs;
	g.words = (g.n + 63) / 64;
	err = -ENOMEM;
	g.adj = calloc(g.n * g.words + 1, sizeof(*g.adj));
	g.forbid = calloc(g.n + 1, sizeof(*g.forbid));
	g.pref = calloc(g.n + 1, sizeof(*g.pref));
	g.weight = calloc(g.n + 1, sizeof(*g.weight));
	g.is_slot = calloc(g.n + 1, 1);
	g.moves = calloc(6 * n + 2, sizeof(*g.moves));
	g.move_w = calloc(3 * n + 1, sizeof(*g.move_w));
	g.deg = calloc(g.n + 1, sizeof(*g.deg));
	g.alias = calloc(g.n + 1, sizeof(*g.alias));
	a->color = calloc(g.n + 1, 1);
	if (!g.adj || !g.forbid || !g.pref || !g.weight || !g.is_slot || !g.moves || !g.move_w || !g.deg ||
	    !g.alias || !a->color)
		goto out;
	if ((err = alloc_graph(j, a, &g, nest, mode & TRY_SAME_VALUE)))
		goto out;
	for (size_t x = 0; x < g.n; x++) {
		g.alias[x] = (uint32_t)x;
		for (size_t w = 0; w < g.words; w++)
			g.deg[x] += (uint32_t)__builtin_popcountll(g.adj[x * g.words + w]);
	}
	/* the stack left in memory is addressed from rsp: rbp is free too; the
	 * batch loop counts in r12 */
	uint16_t allowed = (uint16_t)(0xffff & ~BIT(RSP) & ~(j->batch ? BIT(R12) : 0));
	if (coalesce_ok && (err = coalesce(&g, allowed)))
		goto out;
	err = color_graph(&g, allowed, a->color);
	if (err)
		goto out;
	for (size_t x = 0; x < g.n; x++)
		*frame |= a->color[x] < 0;
out:
	free(g.adj);
	free(g.forbid);
	free(g.pref);
	free(g.weight);
	free(g.is_slot);
	free(g.moves);
	free(g.move_w);
	free(g.deg);
	free(g.alias);
	return err;
}

/* Allocate the program's registers if it qualifies (j->alloc), else leave
 * it to reg_of. Only running out of memory is an error. */
static int plan_alloc(struct jit *j)
{
	if (!alloc_eligible(j))
		return 0;
	size_t n = j->n;
	struct alloc *a = calloc(1, sizeof(*a));
	uint8_t *nest = calloc(n + 1, 1);
	int err = -ENOMEM;
	if (!a || !nest)
		goto out;
	a->start = calloc(n, 1);
	a->use = calloc(n, sizeof(*a->use));
	a->base_use = calloc(n, sizeof(*a->base_use));
	a->def = calloc(n, sizeof(*a->def));
	a->live_in = calloc(n, sizeof(*a->live_in));
	a->live_out = calloc(n, sizeof(*a->live_out));
	a->web_in = malloc(n * NV * sizeof(*a->web_in));
	a->web_def = malloc(n * NV * sizeof(*a->web_def));
	a->eq = calloc(n * NV, sizeof(*a->eq));
	a->redirect = malloc(n * NV);
	if (!a->start || !a->use || !a->base_use || !a->def || !a->live_in || !a->live_out || !a->web_in ||
	    !a->web_def || !a->eq || !a->redirect)
		goto out;
	for (size_t i = 0; i < n; i += uebpf_insn_slots(&j->insns[i]))
		a->start[i] = 1;
	for (size_t t = 0; t < n; t++)
		if (j->flags[t] & F_BACK_TARGET)
			for (size_t k = t; k < j->loop_end[t] && k < n; k++)
				nest[k] += nest[k] < 3;
	bool frame0 = alloc_slots(j, a, nest), frame = frame0;
	for (size_t i = 0; i < n; i++)
		if (a->start[i])
			alloc_use_def(a, &j->insns[i], &a->base_use[i], &a->def[i]);
	/* a load or store that takes "rA = rB; rA += rC" before it into its
	 * address (plan_folds) reads rB and rC where it is */
	for (size_t k = 0; k < n; k++) {
		if (!j->fold_from[k])
			continue;
		const struct bpf_insn *mv = &j->insns[j->fold_from[k] - 1], *add = mv + 1;
		a->base_use[k] |= BIT(mv->src_reg);
		if (BPF_SRC(add->code) == BPF_X)
			a->base_use[k] |= BIT(add->src_reg);
	}
	if ((err = alloc_copies(j, a)))
		goto out;
	/* if colouring fails: again without coalescing, then also with the
	 * reads as clang placed them */
	/* several ways, keeping the cheapest (alloc_cost) */
	static const unsigned modes[] = { TRY_REDIRECT | TRY_COALESCE | TRY_SAME_VALUE, TRY_REDIRECT | TRY_COALESCE,
					  TRY_REDIRECT, 0 };
	size_t best = sizeof(modes) / sizeof(modes[0]);
	uint64_t best_cost = 0;
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		frame = frame0;
		err = alloc_try(j, a, nest, modes[k], &frame);
		if (err < -1)
			goto out;
		uint64_t cost = err ? 0 : alloc_cost(j, a, nest);
		if (!err && (best == sizeof(modes) / sizeof(modes[0]) || cost < best_cost)) {
			best = k;
			best_cost = cost;
		}
	}
	err = -1;
	if (best < sizeof(modes) / sizeof(modes[0])) {
		frame = frame0;
		err = alloc_try(j, a, nest, modes[best], &frame);
	}
	if (err) {
		err = err < 0 && err != -1 ? err : 0; /* no allocation: reg_of */
		goto out;
	}
	struct func *fn = &j->funcs[0];
	fn->saved = 0;
	for (size_t x = 0; x < a->n_webs; x++)
		if (a->color[x] >= 0 && (BIT(a->color[x]) & (BIT(RBX) | BIT(RBP) | BIT(R12) | BIT(R13) | BIT(R14) | BIT(R15))))
			fn->saved |= BIT(a->color[x]);
	if (j->batch)
		fn->saved |= BIT(R12);
	fn->rsp_frame = frame ? fn->frame : 0;
	fn->has_frame = false;
	fn->frame = 0;
	j->alloc = a;
	a = NULL;
out:
	alloc_free(a);
	free(nest);
	return err;
}

/* The x86 register BPF register r is in at insn k (its web there). */
static int reg_at(const struct jit *j, size_t k, int r)
{
	const struct alloc *a = j->alloc;
	if (!a || r >= BPF_REG_10)
		return j->reg[r];
	if (a->redirect[k * NV + (size_t)r] >= 0 || (a->live_in[k] >> r & 1))
		return use_color(a, k, r);
	return a->def[k] >> r & 1 ? def_color(a, k, r) : j->reg[r];
}

/* The register of the stack slot insn k loads or stores, or -1. */
static int alloc_slot_reg(const struct jit *j, size_t k)
{
	if (alloc_slot(j->alloc, &j->insns[k]) < 0)
		return -1;
	int c = slot_color(j, j->alloc, k); /* a load may read a copy, in a register */
	return c < 0 ? -1 : c;
}

/* The x86 register insn k writes BPF register r to. */
static int def_at(const struct jit *j, size_t k, int r)
{
	const struct alloc *a = j->alloc;
	if (!a || r >= BPF_REG_10 || !(a->def[k] >> r & 1))
		return reg_at(j, k, r);
	return def_color(a, k, r);
}

/* An ALU instruction whose result goes to another register than dst came
 * in (allocated programs): "mov d, u" first, or for a commuting operation
 * whose source is in d already, "d op= u". Then the instruction as usual. */
static void alu_split(struct jit *j, size_t i)
{
	const struct bpf_insn *in = &j->insns[i];
	int d = def_at(j, i, in->dst_reg), u = j->reg[in->dst_reg];
	if (!j->alloc || d == u)
		return;
	if (BPF_SRC(in->code) == BPF_X && in->src_reg != in->dst_reg && commutes(in) && j->reg[in->src_reg] == d)
		j->reg[in->src_reg] = (uint8_t)u;
	else
		mov_rr(j, true, d, u);
	j->reg[in->dst_reg] = (uint8_t)d;
}

/* Byte swaps compared away (allocated programs): "rX = *(u16 *)(..); rX =
 * be16 rX" whose result is only ever compared for (in)equality with
 * constants or tested against masks (packet filters testing ethertypes,
 * ports, fragment offsets) keeps the bytes as loaded, and each compare takes
 * the constant swapped instead. The loaded
 * value is the swap's only source and the swap the only definition its
 * compares see (one web each way), so nothing else reads either. */
enum { SWAP_NONE, SWAP_ELIDED, SWAP_CMP16 = 16, SWAP_CMP32 = 32 };

static bool swap_compare(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	return (cls == BPF_JMP || cls == BPF_JMP32) && BPF_SRC(in->code) == BPF_K &&
	       (op == BPF_JEQ || op == BPF_JNE || op == BPF_JSET);
}

static int plan_swaps(struct jit *j)
{
	const struct alloc *a = j->alloc;
	size_t n = j->n, nw = a->n_webs;
	/* per web: definitions (and the last one's insn), reads, reads
	 * other than by a compare that may take a swapped constant */
	uint32_t *defs = calloc(nw + 1, sizeof(*defs)), *def_insn = calloc(nw + 1, sizeof(*def_insn));
	uint32_t *uses = calloc(nw + 1, sizeof(*uses));
	uint8_t *width = calloc(nw + 1, 1), *bad_use = calloc(nw + 1, 1);
	int err = -ENOMEM;
	if (!defs || !def_insn || !uses || !width || !bad_use || !(j->swap = calloc(n, 1)))
		goto out;
	for (size_t k = 0; k < n; k++) {
		if (!a->start[k])
			continue;
		const struct bpf_insn *in = &j->insns[k];
		for (uint64_t m = a->def[k]; m; m &= m - 1) {
			uint16_t w = a->web_def[k * NV + (size_t)__builtin_ctzll(m)];
			defs[w]++;
			def_insn[w] = (uint32_t)k;
		}
		int cmp = swap_compare(in) ? read_value(a, k, in->dst_reg) : -1;
		for (uint64_t m = a->use[k]; m; m &= m - 1) {
			uint16_t w = a->web_in[k * NV + (size_t)__builtin_ctzll(m)];
			uses[w]++;
			bad_use[w] |= __builtin_ctzll(m) != cmp;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &j->insns[i];
		if (!a->start[i] || BPF_OP(in->code) != BPF_END ||
		    (in->code != (BPF_ALU | BPF_END | BPF_TO_BE) && in->code != (BPF_ALU64 | BPF_END)) ||
		    (in->imm != 16 && in->imm != 32))
			continue;
		uint16_t src = a->web_in[i * NV + in->dst_reg], res = a->web_def[i * NV + in->dst_reg];
		const struct bpf_insn *ld = &j->insns[def_insn[src]];
		uint8_t size = in->imm == 16 ? BPF_H : BPF_W;
		/* loaded, and read by the swap only */
		if (src != NO_WEB && res != NO_WEB && defs[src] == 1 && uses[src] == 1 && defs[res] == 1 &&
		    !bad_use[res] && ld->code == (BPF_LDX | BPF_MEM | size) && ld->dst_reg == in->dst_reg)
			width[res] = (uint8_t)in->imm;
	}
	for (size_t k = 0; k < n; k++) {
		const struct bpf_insn *in = &j->insns[k];
		if (!a->start[k])
			continue;
		if (BPF_OP(in->code) == BPF_END && BPF_CLASS(in->code) != BPF_JMP &&
		    a->web_def[k * NV + in->dst_reg] != NO_WEB && width[a->web_def[k * NV + in->dst_reg]])
			j->swap[k] = SWAP_ELIDED;
		else if (swap_compare(in)) {
			uint16_t w = a->web_in[k * NV + (size_t)read_value(a, k, in->dst_reg)];
			if (w != NO_WEB && width[w])
				j->swap[k] = width[w];
		}
	}
	err = 0;
out:
	free(defs);
	free(def_insn);
	free(uses);
	free(width);
	free(bad_use);
	return err;
}

/* The constant a compare of a value whose byte swap was left out takes,
 * and whether it compares 64 bits (*w). */
static int32_t swapped_imm(const struct bpf_insn *in, unsigned width, bool *w)
{
	uint32_t imm = (uint32_t)in->imm;
	if (BPF_OP(in->code) == BPF_JSET) {
		/* the mask's bits beyond the value's width test nothing */
		if (width == SWAP_CMP16)
			return (int32_t)__builtin_bswap16((uint16_t)imm);
		*w = false;
		return (int32_t)__builtin_bswap32(imm);
	}
	if (width == SWAP_CMP16) {
		/* both sides are 16-bit values; a constant outside that range
		 * is equal to neither */
		if (*w ? in->imm >= 0 && in->imm <= 0xffff : imm <= 0xffff)
			imm = (uint32_t)__builtin_bswap16((uint16_t)imm);
		return (int32_t)imm;
	}
	/* 32-bit values with the high half zero: a negative 64-bit constant
	 * matches neither, any other compares in 32 bits */
	if (*w && in->imm < 0)
		return in->imm;
	*w = false;
	return (int32_t)__builtin_bswap32(imm);
}

/* Before emitting insn i: where its registers are. */
static void set_regs(struct jit *j, size_t i)
{
	if (!j->alloc)
		return;
	for (int r = 0; r < BPF_REG_10; r++)
		j->reg[r] = (uint8_t)reg_at(j, i, r);
}

/* The register that holds the stack slot insn k accesses, or -1. */
static int slot_reg(const struct jit *j, size_t k)
{
	if (j->alloc)
		return alloc_slot_reg(j, k);
	const struct func *fn = &j->funcs[j->func_of[k]];
	int16_t off;
	int size;
	bool plain;
	if (!fn->n_slots || !stack_access(&j->insns[k], &off, &size, &plain))
		return -1;
	for (size_t s = 0; s < fn->n_slots; s++)
		if (fn->slot_off[s] == off)
			return fn->slot_reg[s];
	return -1;
}

/* A subprogram is inlined at its call sites when it is short and straight
 * (no jumps, one exit at its end), does not touch the stack, calls only
 * such subprograms that leave r6-r9 alone, and its own r6-r9 (written before
 * read) fit in scratch registers its code does not need. Leaves first. */
static void plan_inline(struct jit *j)
{
	static const uint8_t scratch[] = { R11, RAX, RDX };
	for (int leaves = 1; leaves >= 0; leaves--) {
		for (size_t f = 1; f < j->n_funcs; f++) {
			struct func *fn = &j->funcs[f];
			uint16_t written = 0, busy = 0;
			uint32_t size = 0;
			bool ok = true;
			for (size_t i = fn->start; ok && i < fn->end; i += uebpf_insn_slots(&j->insns[i])) {
				const struct bpf_insn *in = &j->insns[i];
				uint8_t cls = BPF_CLASS(in->code);
				uint16_t use, def;
				use_def(in, false, &use, &def);
				size += is_exit(in) ? 0 : 1;
				if (is_local_call(in)) {
					const struct func *g = &j->funcs[j->func_of[i + 1 + (size_t)(int64_t)in->imm]];
					ok = !leaves && g->inline_ok && !g->renamed;
					size += g->inlined_size - 1;
					for (size_t k = g->start; ok && k < g->end; k += uebpf_insn_slots(&j->insns[k]))
						busy |= scratch_of(j, &j->insns[k]);
				} else if (use & (BIT(BPF_REG_10) | (0x3c0 & ~written))) {
					ok = false; /* stack, or r6-r9 of the caller */
				} else if (is_exit(in)) {
					ok = i == fn->end - 1;
				} else if (cls == BPF_JMP || cls == BPF_JMP32 || (cls == BPF_LD && !is_lddw(in))) {
					ok = false;
				}
				busy |= scratch_of(j, in);
				written |= def;
			}
			if (!ok || fn->inline_ok || size > MAX_INLINE_INSNS)
				continue;
			size_t next = 0;
			for (int r = BPF_REG_6; ok && r <= BPF_REG_9; r++) {
				if (!(written & BIT(r)))
					continue;
				while (next < sizeof(scratch) && (busy & BIT(scratch[next])))
					next++;
				if (next == sizeof(scratch)) {
					ok = false;
				} else {
					fn->renamed |= (uint8_t)(1u << (r - BPF_REG_6));
					fn->rename[r - BPF_REG_6] = scratch[next++];
				}
			}
			fn->inline_ok = ok;
			fn->inlined_size = size;
		}
	}
	/* Calls inside inlinable functions are always inlined (their renamed
	 * registers would not survive a real call); others while the budget
	 * lasts, so that the code grows at most so much. */
	size_t budget = j->n + INLINE_BUDGET;
	for (size_t i = 0; i < j->n; i += uebpf_insn_slots(&j->insns[i])) {
		if (!is_local_call(&j->insns[i]))
			continue;
		const struct func *g = &j->funcs[j->func_of[i + 1 + (size_t)(int64_t)j->insns[i].imm]];
		if (!g->inline_ok)
			continue;
		if (j->funcs[j->func_of[i]].inline_ok) {
			j->inline_at[i] = 1;
		} else if (g->inlined_size <= budget) {
			j->inline_at[i] = 1;
			budget -= g->inlined_size;
		}
	}
}

/* ---- hardening ----------------------------------------------------------- */

/* A blinding key for each (instruction, use): random per program, the same
 * in every pass. */
static uint64_t blind_key(const struct jit *j, size_t i, unsigned salt)
{
	uint64_t z = j->key + (i * 4 + salt + 1) * 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* dst = imm (sign-extended to 64 bits if w) without imm in the code bytes */
static void blind_imm(struct jit *j, size_t i, bool w, int dst, int32_t imm)
{
	int32_t k = (int32_t)blind_key(j, i, 0);
	if (w)
		mov_r64_simm(j, dst, imm ^ k);
	else
		mov_r32_imm(j, dst, (uint32_t)(imm ^ k));
	alu_ri32(j, EXT_XOR, w, dst, k);
}

/* ---- frames ------------------------------------------------------------ */

static const uint8_t push_order[] = { RBP, RBX, R12, R13, R14, R15 }; /* rbp: allocated, frameless */

static void push(struct jit *j, int r)
{
	rex(j, false, 0, 0, r, false);
	b1(j, 0x50 + (r & 7));
}

static void pop(struct jit *j, int r)
{
	rex(j, false, 0, 0, r, false);
	b1(j, 0x58 + (r & 7));
}

/* The allocated program's arguments (r1 in rdi, r2 in rsi) into the
 * registers their webs got: a parallel move. */
static void entry_moves(struct jit *j)
{
	const struct alloc *a = j->alloc;
	int c1 = a->live_in[0] & BIT(BPF_REG_1) ? reg_at(j, 0, BPF_REG_1) : -1;
	int c2 = a->live_in[0] & BIT(BPF_REG_2) ? reg_at(j, 0, BPF_REG_2) : -1;
	if (c1 == RSI && c2 == RDI) {
		op_rr(j, 0, true, 0x87, RSI, RDI, false); /* xchg */
	} else if (c1 == RSI) {
		if (c2 >= 0)
			mov_rr(j, true, c2, RSI);
		mov_rr(j, true, c1, RDI);
	} else {
		if (c1 >= 0)
			mov_rr(j, true, c1, RDI);
		if (c2 >= 0)
			mov_rr(j, true, c2, RSI);
	}
}

/* The batch entry, fn(ctxs in rdi, n in rsi, rets in rdx, stride in rcx),
 * pushes its arguments before the frame and counts the contexts in r12:
 * each turn of the loop starts at batch_label with r1 = ctxs + r12 *
 * stride and r2 = stride, and each exit stores r0 in rets[r12] and goes
 * round again while r12 < n (emit_exit). The stack above the saved
 * registers, from rsp once the prologue is done: */
enum { BATCH_RETS, BATCH_CTXS, BATCH_STRIDE, BATCH_N, BATCH_WORDS };

static int32_t batch_off(const struct func *fn, int word)
{
	uint32_t below = fn->rsp_frame + 8 * (uint32_t)__builtin_popcount(fn->saved);
	below += fn->has_frame ? 8 + fn->frame : fn->pad ? 8 : 0;
	return (int32_t)(below + 8 * (uint32_t)word);
}

static void batch_loop_head(struct jit *j, const struct func *fn)
{
	zero(j, R12);
	set_label(j, j->batch_label);
	j->zf_reg = -1;
	j->cmp_pending = false;
	bool r1 = true, r2 = true;
	if (j->alloc) {
		r1 = j->alloc->live_in[0] & BIT(BPF_REG_1);
		r2 = j->alloc->live_in[0] & BIT(BPF_REG_2);
	}
	if (r1) {
		int c1 = reg_at(j, 0, BPF_REG_1);
		mov_rr(j, true, c1, R12);
		op_mem(j, 0, true, 0x0FAF, c1, RSP, batch_off(fn, BATCH_STRIDE), false); /* imul */
		op_mem(j, 0, true, 0x03, c1, RSP, batch_off(fn, BATCH_CTXS), false);
	}
	if (r2)
		op_mem(j, 0, true, 0x8B, reg_at(j, 0, BPF_REG_2), RSP, batch_off(fn, BATCH_STRIDE), false);
}

/* The frame: rbp first, so that [rbp + 8] is the return address for
 * frame-pointer unwinders; the BPF stack below it; the saved registers
 * below that. Frameless functions keep rsp aligned for calls with pad. */
static void prologue(struct jit *j, const struct func *fn, bool is_main)
{
	if (is_main && j->batch) {
		push(j, RSI); /* BATCH_N */
		push(j, RCX);
		push(j, RDI);
		push(j, RDX); /* BATCH_RETS */
	}
	if (fn->has_frame) {
		push(j, RBP);
		mov_rr(j, true, RBP, RSP);
		if (fn->frame)
			alu_ri(j, EXT_SUB, true, RSP, (int32_t)fn->frame);
	}
	for (size_t k = 0; k < sizeof(push_order); k++)
		if (fn->saved & BIT(push_order[k]))
			push(j, push_order[k]);
	if (!fn->has_frame && fn->pad)
		alu_ri(j, EXT_SUB, true, RSP, 8);
	if (fn->rsp_frame)
		alu_ri(j, EXT_SUB, true, RSP, (int32_t)fn->rsp_frame);
	if (is_main && j->batch)
		batch_loop_head(j, fn);
	else if (is_main && j->alloc)
		entry_moves(j);
	if (is_main && j->has_ld_pkt) {
		op_mem(j, 0, true, 0x89, RDI, RBP, -(int32_t)fn->pkt_slot, false);
		op_mem(j, 0, true, 0x89, RSI, RBP, 8 - (int32_t)fn->pkt_slot, false);
	}
}

static void epilogue(struct jit *j, const struct func *fn)
{
	if (!fn->has_frame && fn->pad)
		alu_ri(j, EXT_ADD, true, RSP, 8);
	if (fn->rsp_frame)
		alu_ri(j, EXT_ADD, true, RSP, (int32_t)fn->rsp_frame);
	for (size_t k = sizeof(push_order); k-- > 0;)
		if (fn->saved & BIT(push_order[k]))
			pop(j, push_order[k]);
	if (fn->has_frame)
		b1(j, 0xC9); /* leave */
	if (j->batch && fn == &j->funcs[0])
		alu_ri(j, EXT_ADD, true, RSP, 8 * BATCH_WORDS);
	b1(j, 0xC3);
	j->fell = false;
}

/* ---- ALU --------------------------------------------------------------- */

static bool live_after(const struct jit *j, size_t i, int bpf_reg)
{
	return j->live_out[i] & BIT(bpf_reg);
}

/* Division and modulo by a register: x/0 = 0, x%0 = x, and signed
 * INT_MIN/-1 = INT_MIN, INT_MIN%-1 = 0, never letting div trap. No BPF
 * register lives in rax or rdx, which div uses. */
static void divmod_reg(struct jit *j, bool w, bool is_mod, bool is_signed, int dst, int s, bool nonzero)
{
	size_t to_zero = 0, to_done1 = 0, to_normal = 0;
	if (!nonzero) {
		alu_rr(j, 0x85, w, s, s);
		to_zero = fwd8(j, CC_E);
	}
	if (is_signed) {
		alu_ri(j, EXT_CMP, w, s, -1);
		to_normal = fwd8(j, CC_NE);
		if (is_mod)
			zero(j, dst);
		else
			grp3(j, 3, w, dst); /* neg: INT_MIN stays INT_MIN */
		to_done1 = fwd8(j, -1);
		patch8(j, to_normal);
	}
	mov_rr(j, w, RAX, dst);
	if (is_signed) {
		rex(j, w, 0, 0, 0, false);
		b1(j, 0x99); /* cdq / cqo */
	} else {
		zero(j, RDX);
	}
	grp3(j, is_signed ? 7 : 6, w, s);
	mov_rr(j, w, dst, is_mod ? RDX : RAX);
	/* by zero: the quotient is 0, the remainder the dividend */
	if (!nonzero && is_mod && w) {
		patch8(j, to_zero);
	} else if (!nonzero) {
		size_t to_done2 = fwd8(j, -1);
		patch8(j, to_zero);
		if (is_mod)
			zext32(j, dst);
		else
			zero(j, dst);
		patch8(j, to_done2);
	}
	if (to_done1)
		patch8(j, to_done1);
}

/* Unsigned division by a constant d (not 0 or a power of two, d < 2^N) as a
 * multiplication (Granlund & Montgomery): q = x*m >> shift with m < 2^N
 * when some shift allows it, else m has N+1 bits and `add` says its top
 * bit was dropped. */
struct umagic {
	uint64_t m;
	int shift;
	bool add;
};

static struct umagic umagic(uint64_t d, int N)
{
	int l = 64 - __builtin_clzll(d - 1); /* ceil(log2 d) */
	for (int p = 0; p < l; p++) {
		unsigned __int128 two = (unsigned __int128)1 << (N + p);
		unsigned __int128 m = two / d + 1;
		if (m >> N == 0 && m * d - two <= ((unsigned __int128)1 << p))
			return (struct umagic){ (uint64_t)m, N + p, false };
	}
	unsigned __int128 m = ((unsigned __int128)1 << (N + l)) / d + 1;
	return (struct umagic){ (uint64_t)(m - ((unsigned __int128)1 << N)), l, true };
}

/* Signed division by a constant d (2 <= |d| < 2^(N-1), not a power of two):
 * q = hi(x*m) (+/- x) >> shift, plus one if negative (Hacker's Delight 10-1). */
struct smagic {
	int64_t m;
	int shift;
};

static struct smagic smagic(int64_t d, int N)
{
	uint64_t mask = N == 64 ? ~0ull : 0xffffffffull;
	uint64_t two = 1ull << (N - 1);
	uint64_t ad = d < 0 ? -(uint64_t)d : (uint64_t)d;
	uint64_t t = two + (d < 0);
	uint64_t anc = t - 1 - t % ad;
	uint64_t q1 = two / anc, r1 = two - q1 * anc;
	uint64_t q2 = two / ad, r2 = two - q2 * ad;
	uint64_t delta;
	int p = N - 1;
	do {
		p++;
		q1 = (2 * q1) & mask;
		r1 = 2 * r1;
		if (r1 >= anc) {
			q1 = (q1 + 1) & mask;
			r1 -= anc;
		}
		q2 = (2 * q2) & mask;
		r2 = 2 * r2;
		if (r2 >= ad) {
			q2 = (q2 + 1) & mask;
			r2 -= ad;
		}
		delta = ad - r2;
	} while (q1 < delta || (q1 == delta && r1 == 0));
	uint64_t m = (q2 + 1) & mask;
	if (d < 0)
		m = -m & mask;
	int64_t sm = N == 64 ? (int64_t)m : (int64_t)(int32_t)(uint32_t)m;
	return (struct smagic){ sm, p - N };
}

/* quotient in q -> dst = q (div) or dst - q*d (mod) */
static void divmod_finish(struct jit *j, bool w, bool is_mod, int dst, int q, int32_t d)
{
	if (is_mod) {
		imul_ri(j, w, q, q, d);
		alu_rr(j, 0x29, w, dst, q);
	} else {
		mov_rr(j, w, dst, q);
	}
}

static void udiv_const(struct jit *j, bool w, bool is_mod, int dst, uint64_t d, int32_t imm)
{
	if (d == 0 || d == 1) {
		if (d == 0 ? !is_mod : is_mod)
			zero(j, dst);
		else if (!w)
			zext32(j, dst);
		return;
	}
	if (!(d & (d - 1))) {
		if (is_mod)
			alu_ri(j, EXT_AND, w, dst, (int32_t)(d - 1));
		else
			shift_ri(j, EXT_SHR, w, dst, (uint8_t)__builtin_ctzll(d));
		return;
	}
	if (w && d >> 63) {
		/* the quotient is 0 or 1 */
		mov_r64_simm(j, R11, imm);
		if (is_mod) {
			mov_rr(j, true, RAX, dst);
			alu_rr(j, 0x29, true, RAX, R11);
			op_rr(j, 0, true, 0x0F40 | CC_AE, dst, RAX, false); /* cmovae */
		} else {
			zero(j, RAX);
			alu_rr(j, 0x39, true, dst, R11);
			op_rr(j, 0, false, 0x0F90 | CC_AE, 0, RAX, false); /* setae al */
			mov_rr(j, true, dst, RAX);
		}
		return;
	}
	struct umagic mg = umagic(d, w ? 64 : 32);
	int q;
	if (!w) {
		mov_rr(j, false, RAX, dst); /* x, zero-extended */
		if (!mg.add) {
			if (mg.m < 0x80000000u) {
				imul_ri(j, true, RAX, RAX, (int32_t)mg.m);
			} else {
				mov_r32_imm(j, RDX, (uint32_t)mg.m);
				op_rr(j, 0, true, 0x0FAF, RAX, RDX, false);
			}
			shift_ri(j, EXT_SHR, true, RAX, (uint8_t)mg.shift);
			q = RAX;
		} else {
			load_imm(j, RDX, mg.m);
			op_rr(j, 0, true, 0x0FAF, RDX, RAX, false);
			shift_ri(j, EXT_SHR, true, RDX, 32);
			alu_rr(j, 0x01, true, RDX, RAX);
			shift_ri(j, EXT_SHR, true, RDX, (uint8_t)mg.shift);
			q = RDX;
		}
		divmod_finish(j, false, is_mod, dst, q, (int32_t)d);
		return;
	}
	/* 64 bits: the high half of a 128-bit product, from mulx */
	mov_rr(j, true, RDX, dst);
	load_imm(j, R11, mg.m);
	mulx(j, R11, RAX, R11);
	if (!mg.add) {
		if (mg.shift > 64)
			shift_ri(j, EXT_SHR, true, R11, (uint8_t)(mg.shift - 64));
		q = R11;
	} else {
		mov_rr(j, true, RAX, RDX);
		alu_rr(j, 0x29, true, RAX, R11);
		shift_ri(j, EXT_SHR, true, RAX, 1);
		alu_rr(j, 0x01, true, RAX, R11);
		if (mg.shift > 1)
			shift_ri(j, EXT_SHR, true, RAX, (uint8_t)(mg.shift - 1));
		q = RAX;
	}
	divmod_finish(j, true, is_mod, dst, q, (int32_t)d);
}

static void sdiv_const(struct jit *j, bool w, bool is_mod, int dst, int64_t d)
{
	int N = w ? 64 : 32;
	if (d == 0) {
		if (!is_mod)
			zero(j, dst);
		else if (!w)
			zext32(j, dst);
		return;
	}
	if (d == 1 || d == -1) {
		if (is_mod)
			zero(j, dst);
		else if (d == -1)
			grp3(j, 3, w, dst);
		else if (!w)
			zext32(j, dst);
		return;
	}
	uint64_t ad = d < 0 ? -(uint64_t)d : (uint64_t)d;
	if (!(ad & (ad - 1))) {
		/* round toward zero: add 2^k - 1 to negative dividends first */
		int k = __builtin_ctzll(ad);
		mov_rr(j, w, R11, dst);
		if (k > 1)
			shift_ri(j, EXT_SAR, w, R11, (uint8_t)(N - 1));
		shift_ri(j, EXT_SHR, w, R11, (uint8_t)(N - k));
		alu_rr(j, 0x01, w, R11, dst);
		if (is_mod) {
			alu_ri(j, EXT_AND, w, R11, (int32_t)-(int64_t)ad);
			alu_rr(j, 0x29, w, dst, R11);
		} else {
			shift_ri(j, EXT_SAR, w, R11, (uint8_t)k);
			if (d < 0)
				grp3(j, 3, w, R11);
			mov_rr(j, w, dst, R11);
		}
		return;
	}
	struct smagic mg = smagic(d, N);
	if (!w) {
		/* 32 bits: the 64-bit product of sign-extended operands */
		op_rr(j, 0, true, 0x63, R11, dst, false); /* movsxd r11, dst32 */
		imul_ri(j, true, R11, R11, (int32_t)mg.m);
		bool fix = (d > 0 && mg.m < 0) || (d < 0 && mg.m > 0);
		shift_ri(j, EXT_SAR, true, R11, (uint8_t)(32 + (fix ? 0 : mg.shift)));
		if (fix) {
			alu_rr(j, d > 0 ? 0x01 : 0x29, false, R11, dst);
			if (mg.shift)
				shift_ri(j, EXT_SAR, false, R11, (uint8_t)mg.shift);
		}
		mov_rr(j, false, RAX, R11);
		shift_ri(j, EXT_SHR, false, RAX, 31);
		alu_rr(j, 0x01, false, R11, RAX);
		divmod_finish(j, false, is_mod, dst, R11, (int32_t)d);
		return;
	}
	/* 64 bits: one-operand imul gives the high half in rdx */
	mov_rr(j, true, R11, dst);
	load_imm(j, RAX, (uint64_t)mg.m);
	grp3(j, 5, true, R11);
	if (d > 0 && mg.m < 0)
		alu_rr(j, 0x01, true, RDX, R11);
	else if (d < 0 && mg.m > 0)
		alu_rr(j, 0x29, true, RDX, R11);
	if (mg.shift)
		shift_ri(j, EXT_SAR, true, RDX, (uint8_t)mg.shift);
	mov_rr(j, true, RAX, RDX);
	shift_ri(j, EXT_SHR, true, RAX, 63);
	alu_rr(j, 0x01, true, RDX, RAX);
	if (is_mod) {
		imul_ri(j, true, RDX, RDX, (int32_t)d);
		alu_rr(j, 0x29, true, R11, RDX);
	} else {
		mov_rr(j, true, R11, RDX);
	}
	mov_rr(j, true, dst, R11);
}

/* Shift by a register; the count is masked to the width, as x86 does. */
static void shift_reg(struct jit *j, int ext, bool w, int dst, int src)
{
	if (j->features & UEBPF_JIT_X86_BMI2) {
		shiftx(j, ext, w, dst, dst, src);
		return;
	}
	if (src == RCX) {
		op_rr(j, 0, w, 0xD3, ext, dst, false);
	} else if (dst == RCX) {
		mov_rr(j, true, R11, RCX);
		mov_rr(j, true, RCX, src);
		op_rr(j, 0, w, 0xD3, ext, R11, false);
		mov_rr(j, true, RCX, R11);
	} else {
		mov_rr(j, true, R11, RCX);
		mov_rr(j, true, RCX, src);
		op_rr(j, 0, w, 0xD3, ext, dst, false);
		mov_rr(j, true, RCX, R11);
	}
	/* a 32-bit shift by 0 leaves the high half alone */
	if (!w)
		zext32(j, dst);
}

/* The last instruction emitted set the zero flag from register r. */
static void zf_set(struct jit *j, int r, bool w)
{
	j->zf_reg = r;
	j->zf_32 = !w;
}

static int alu(struct jit *j, size_t i)
{
	const struct bpf_insn *in = &j->insns[i];
	bool w = BPF_CLASS(in->code) == BPF_ALU64;
	uint8_t op = BPF_OP(in->code);
	int dst = j->reg[in->dst_reg];
	bool k = BPF_SRC(in->code) == BPF_K;
	int32_t imm = in->imm;
	int src = j->reg[in->src_reg];

	if (op == BPF_END && j->swap && j->swap[i] == SWAP_ELIDED)
		return 0; /* plan_swaps: compared with swapped constants */
	if (op == BPF_END) {
		bool swap = w || BPF_SRC(in->code) == BPF_TO_BE;
		if (imm == 16) {
			if (swap) {
				b1(j, 0x66);
				rex(j, false, 0, 0, dst, false);
				b1(j, 0xC1);
				modrm(j, 3, 0, dst);
				b1(j, 8); /* rol r16, 8 */
			}
			op_rr(j, 0, false, 0x0FB7, dst, dst, false); /* movzx r32, r16 */
		} else if (imm == 32) {
			if (swap)
				bswap(j, false, dst);
			else
				zext32(j, dst);
		} else if (imm == 64) {
			if (swap)
				bswap(j, true, dst);
		} else {
			return fail(j, i, -EINVAL, "byte swap of unsupported width");
		}
		return 0;
	}
	if (op == BPF_NEG) {
		if (!k)
			return fail(j, i, -EINVAL, "neg with a source register");
		grp3(j, 3, w, dst);
		zf_set(j, dst, w);
		return 0;
	}
	if (op == BPF_MOV) {
		if (k) {
			if (in->off)
				return fail(j, i, -EINVAL, "mov with a nonzero offset");
			if (j->harden && imm)
				blind_imm(j, i, w, dst, imm);
			else if (w)
				load_imm(j, dst, (uint64_t)(int64_t)imm);
			else
				load_imm(j, dst, (uint32_t)imm);
			return 0;
		}
		switch (in->off) {
		case 0:
			if (dst != src || !w)
				mov_rr(j, w, dst, src);
			return 0;
		case 8:
			op_rr(j, 0, w, 0x0FBE, dst, src, byte_rex(src));
			return 0;
		case 16:
			op_rr(j, 0, w, 0x0FBF, dst, src, false);
			return 0;
		case 32:
			if (w) {
				op_rr(j, 0, true, 0x63, dst, src, false);
				return 0;
			}
			break;
		}
		return fail(j, i, -EINVAL, "movsx of unsupported width");
	}
	if (in->off && !((op == BPF_DIV || op == BPF_MOD) && in->off == 1))
		return fail(j, i, -EINVAL, "ALU instruction with an unsupported offset");

	/* hardening: the immediate goes through AX, blinded */
	if (k && j->harden) {
		blind_imm(j, i, w, AX, imm);
		k = false;
		src = AX;
	}
	int shift_ext = op == BPF_LSH ? EXT_SHL : op == BPF_RSH ? EXT_SHR : EXT_SAR;
	switch (op) {
	case BPF_ADD:
	case BPF_SUB:
	case BPF_OR:
	case BPF_AND:
	case BPF_XOR: {
		static const uint8_t rr_op[] = { [BPF_ADD >> 4] = 0x01, [BPF_SUB >> 4] = 0x29, [BPF_OR >> 4] = 0x09,
						 [BPF_AND >> 4] = 0x21, [BPF_XOR >> 4] = 0x31 };
		static const uint8_t ri_ext[] = { [BPF_ADD >> 4] = EXT_ADD, [BPF_SUB >> 4] = EXT_SUB,
						  [BPF_OR >> 4] = EXT_OR, [BPF_AND >> 4] = EXT_AND,
						  [BPF_XOR >> 4] = EXT_XOR };
		if (!k && dst == src && (op == BPF_SUB || op == BPF_XOR)) {
			zero(j, dst);
		} else if (!k && dst == src && (op == BPF_AND || op == BPF_OR)) {
			if (!w)
				zext32(j, dst);
		} else if (!k) {
			alu_rr(j, rr_op[op >> 4], w, dst, src);
			zf_set(j, dst, w);
		} else if (op == BPF_AND && imm == 0) {
			zero(j, dst);
		} else if ((imm == 0 && op != BPF_AND) || (imm == -1 && op == BPF_AND)) {
			if (!w)
				zext32(j, dst); /* x op identity: only the 32-bit truncation is left */
		} else if (op == BPF_AND && w && imm > 0) {
			alu_ri(j, EXT_AND, false, dst, imm); /* the high half ends up zero either way */
		} else {
			alu_ri(j, ri_ext[op >> 4], w, dst, imm);
			zf_set(j, dst, w);
		}
		return 0;
	}
	case BPF_MUL:
		if (!k) {
			op_rr(j, 0, w, 0x0FAF, dst, src, false);
		} else if (imm == 0) {
			zero(j, dst);
		} else if (imm == 1) {
			if (!w)
				zext32(j, dst);
		} else if (imm == -1) {
			grp3(j, 3, w, dst);
		} else if (imm > 0 && !(imm & (imm - 1))) {
			shift_ri(j, EXT_SHL, w, dst, (uint8_t)__builtin_ctz((uint32_t)imm));
		} else if (imm == 3 || imm == 5 || imm == 9) {
			lea(j, w, dst, dst, dst, imm == 3 ? 1 : imm == 5 ? 2 : 3, 0);
		} else {
			imul_ri(j, w, dst, dst, imm);
		}
		return 0;
	case BPF_DIV:
	case BPF_MOD: {
		bool is_mod = op == BPF_MOD, is_signed = in->off == 1;
		if (!k)
			divmod_reg(j, w, is_mod, is_signed, dst, src, !j->harden && (j->nonzero & BIT(in->src_reg)));
		else if (is_signed)
			sdiv_const(j, w, is_mod, dst, imm);
		else if (w && !(j->features & UEBPF_JIT_X86_BMI2) && (uint64_t)(int64_t)imm >> 63 == 0 &&
			 imm > 1 && (imm & (imm - 1))) {
			/* no mulx: the general path, with the divisor in r11 */
			load_imm(j, R11, (uint64_t)(int64_t)imm);
			divmod_reg(j, w, is_mod, false, dst, R11, true);
		} else {
			udiv_const(j, w, is_mod, dst, w ? (uint64_t)(int64_t)imm : (uint32_t)imm, imm);
		}
		return 0;
	}
	case BPF_LSH:
	case BPF_RSH:
	case BPF_ARSH:
		if (!k) {
			shift_reg(j, shift_ext, w, dst, src);
		} else {
			uint8_t count = (uint8_t)(imm & (w ? 63 : 31));
			if (count)
				shift_ri(j, shift_ext, w, dst, count);
			else if (!w)
				zext32(j, dst);
		}
		return 0;
	}
	return fail(j, i, -EINVAL, "unsupported ALU instruction");
}

/* ---- memory ------------------------------------------------------------ */

/* A memory operand [base + index + disp]; index < 0: none. */
struct addr {
	int base, index;
	int32_t disp;
};

static struct addr addr_of(int base, int16_t off)
{
	return (struct addr){ base, -1, off };
}

/* [pfx] op reg, addr */
static void op_addr(struct jit *j, uint8_t pfx, bool w, uint32_t op, int reg, struct addr a, bool force)
{
	if (pfx)
		b1(j, pfx);
	rex(j, w, reg, a.index < 0 ? 0 : a.index, a.base, force);
	opcode(j, op);
	mem_sib(j, reg, a.base, a.index, 0, a.disp);
}

static int load(struct jit *j, size_t i, struct addr a)
{
	const struct bpf_insn *in = &j->insns[i];
	bool sx = BPF_MODE(in->code) == BPF_MEMSX;
	static const uint32_t zx_op[] = { [BPF_B >> 3] = 0x0FB6, [BPF_H >> 3] = 0x0FB7, [BPF_W >> 3] = 0x8B,
					  [BPF_DW >> 3] = 0x8B };
	static const uint32_t sx_op[] = { [BPF_B >> 3] = 0x0FBE, [BPF_H >> 3] = 0x0FBF, [BPF_W >> 3] = 0x63 };
	uint8_t size = BPF_SIZE(in->code);

	if (sx && size == BPF_DW)
		return fail(j, i, -EINVAL, "sign-extending load of 8 bytes");
	op_addr(j, 0, sx || size == BPF_DW, (sx ? sx_op : zx_op)[size >> 3], j->reg[in->dst_reg], a, false);
	return 0;
}

static void store_reg(struct jit *j, uint8_t size, struct addr a, int src)
{
	switch (size) {
	case BPF_B:
		op_addr(j, 0, false, 0x88, src, a, byte_rex(src));
		break;
	case BPF_H:
		op_addr(j, 0x66, false, 0x89, src, a, false);
		break;
	default:
		op_addr(j, 0, size == BPF_DW, 0x89, src, a, false);
		break;
	}
}

static void store(struct jit *j, size_t i, struct addr a)
{
	const struct bpf_insn *in = &j->insns[i];
	uint8_t size = BPF_SIZE(in->code);

	if (BPF_CLASS(in->code) == BPF_STX) {
		store_reg(j, size, a, j->reg[in->src_reg]);
		return;
	}
	if (j->harden) {
		blind_imm(j, i, size == BPF_DW, AX, in->imm);
		store_reg(j, size, a, AX);
		return;
	}
	switch (size) {
	case BPF_B:
		op_addr(j, 0, false, 0xC6, 0, a, false);
		b1(j, (uint8_t)in->imm);
		break;
	case BPF_H:
		op_addr(j, 0x66, false, 0xC7, 0, a, false);
		b2(j, (uint16_t)in->imm);
		break;
	default:
		op_addr(j, 0, size == BPF_DW, 0xC7, 0, a, false);
		b4(j, (uint32_t)in->imm);
		break;
	}
}

/* The base register of a plain load or store, or -1. */
static int mem_base(const struct bpf_insn *in)
{
	uint8_t mode = BPF_MODE(in->code);
	switch (BPF_CLASS(in->code)) {
	case BPF_LDX:
		return mode == BPF_MEM || mode == BPF_MEMSX ? in->src_reg : -1;
	case BPF_ST:
	case BPF_STX:
		return mode == BPF_MEM ? in->dst_reg : -1;
	}
	return -1;
}

/* Would the load or store at k address through register a alone, leaving a
 * dead? Then the address arithmetic before it can move into its operand. */
static bool folds_into(const struct jit *j, size_t k, int a)
{
	const struct bpf_insn *in = &j->insns[k];
	if ((j->flags[k] & F_TARGET) || mem_base(in) != a)
		return false;
	if (BPF_CLASS(in->code) == BPF_LDX)
		return in->dst_reg == a || !live_after(j, k, a);
	if (BPF_CLASS(in->code) == BPF_STX && in->src_reg == a)
		return false;
	return !live_after(j, k, a);
}

static void mem_op(struct jit *j, size_t k, struct addr a)
{
	if (BPF_CLASS(j->insns[k].code) == BPF_LDX)
		load(j, k, a);
	else
		store(j, k, a);
}

/* "rA = rB; rA += rC" (or "+= imm") at insn i: the address it forms, or
 * false if insns i, i+1 are not that. */
static bool lea_pattern(const struct jit *j, size_t i, struct addr *ad)
{
	const struct bpf_insn *a = &j->insns[i], *b = a + 1;
	uint8_t cls = BPF_CLASS(a->code);
	int A = a->dst_reg;

	if (i + 1 >= j->funcs[j->func_of[i]].end || (j->flags[i + 1] & F_TARGET))
		return false;
	if ((cls != BPF_ALU64 && cls != BPF_ALU) || a->code != (cls | BPF_MOV | BPF_X) || a->off ||
	    a->src_reg == A || b->dst_reg != A || b->off)
		return false;
	if (b->code == (cls | BPF_ADD | BPF_X) && b->src_reg != A) {
		int base = reg_at(j, i, a->src_reg), index = reg_at(j, i + 1, b->src_reg);
		/* rC read from rA's register (a copy of rA, so of rB): lea reads
		 * it before writing rA, so rB it is */
		*ad = (struct addr){ base, index == reg_at(j, i + 1, A) ? base : index, 0 };
	} else if (b->code == (cls | BPF_ADD | BPF_K) && !j->harden) { /* hardening keeps imm out of code */
		*ad = (struct addr){ reg_at(j, i, a->src_reg), -1, b->imm };
	} else {
		return false;
	}
	return true;
}

/* Does the instruction read (if reads) or write BPF register r? */
static bool touches(const struct bpf_insn *in, int r, bool reads)
{
	uint16_t use, def;
	use_def(in, true, &use, &def);
	return ((reads ? use : 0) | def) & BIT(r);
}

/* Address arithmetic x86 does for free. "rA = rB; rA += rC" (or "+= imm")
 * at insn i becomes the memory operand [rB + rC] (or [rB + imm]) of the
 * first later load or store through rA in the same block, when nothing in
 * between touches rA or writes rB or rC, and rA dies there; the two instructions
 * then emit nothing. Decided before emission: fold_from[k] = 1 + i. */
static void plan_folds(struct jit *j)
{
	for (size_t i = 0; i + 2 < j->n; i++) {
		struct addr ad;
		if (!lea_pattern(j, i, &ad) || BPF_CLASS(j->insns[i].code) != BPF_ALU64)
			continue;
		int A = j->insns[i].dst_reg, B = j->insns[i].src_reg;
		int C = BPF_SRC(j->insns[i + 1].code) == BPF_X ? j->insns[i + 1].src_reg : A;
		size_t end = j->funcs[j->func_of[i]].end;
		for (size_t k = i + 2; k < end && k < i + 12 && !(j->flags[k] & F_TARGET); k++) {
			const struct bpf_insn *in = &j->insns[k];
			if (folds_into(j, k, A) && is_s32((int64_t)ad.disp + in->off)) {
				j->fold_from[k] = (uint32_t)i + 1;
				j->fold_skip[i] = 1;
				i++;
				break;
			}
			if (BPF_CLASS(in->code) == BPF_JMP || BPF_CLASS(in->code) == BPF_JMP32 || is_lddw(in) ||
			    touches(in, A, true) || touches(in, B, false) || touches(in, C, false))
				break;
		}
	}
}

/* The rest, decided at emission: "rA = rB; rA += rC" not folded becomes
 * lea rA, [rB + rC]; and "rA += rC; *(rA + off)" with rA dying there
 * becomes *(rA + rC + off). Returns the number of instructions consumed,
 * 0 if no pattern applies. */
static int fold(struct jit *j, size_t i)
{
	struct addr ad;
	const struct bpf_insn *a = &j->insns[i];
	int A = a->dst_reg;

	if (j->fold_skip[i])
		return 2;
	if (lea_pattern(j, i, &ad)) {
		lea(j, BPF_CLASS(a->code) == BPF_ALU64, def_at(j, i + 1, A), ad.base, ad.index, 0, ad.disp);
		return 2;
	}
	if (a->code == (BPF_ALU64 | BPF_ADD | BPF_X) && a->src_reg != A && i + 1 < j->funcs[j->func_of[i]].end &&
	    !(j->flags[i + 1] & F_TARGET) && !j->fold_from[i + 1] && folds_into(j, i + 1, A)) {
		ad = (struct addr){ j->reg[A], j->reg[a->src_reg], j->insns[i + 1].off };
		set_regs(j, i + 1);
		mem_op(j, i + 1, ad);
		return 2;
	}
	return 0;
}

static int atomic(struct jit *j, size_t i)
{
	const struct bpf_insn *in = &j->insns[i];
	bool w = BPF_SIZE(in->code) == BPF_DW;
	int base = j->reg[in->dst_reg], src = j->reg[in->src_reg];
	int32_t disp = in->off;
	uint8_t op = (uint8_t)(in->imm & ~BPF_FETCH);

	if (BPF_SIZE(in->code) != BPF_W && !w)
		return fail(j, i, -EINVAL, "atomic operation of unsupported size");
	switch (in->imm) {
	case BPF_ADD:
	case BPF_OR:
	case BPF_AND:
	case BPF_XOR: {
		static const uint8_t lock_op[] = { [BPF_ADD >> 4] = 0x01, [BPF_OR >> 4] = 0x09,
						   [BPF_AND >> 4] = 0x21, [BPF_XOR >> 4] = 0x31 };
		op_mem(j, 0xF0, w, lock_op[op >> 4], src, base, disp, false);
		return 0;
	}
	case BPF_ADD | BPF_FETCH:
		op_mem(j, 0xF0, w, 0x0FC1, src, base, disp, false); /* lock xadd */
		return 0;
	case BPF_XCHG:
		op_mem(j, 0, w, 0x87, src, base, disp, false); /* xchg locks by itself */
		return 0;
	case BPF_CMPXCHG: {
		/* r0 is the comparand and receives the old value, zero-extended
		 * for 32 bits (a successful cmpxchg32 leaves rax alone) */
		int r0 = j->reg[BPF_REG_0];
		mov_rr(j, true, RAX, r0);
		op_mem(j, 0xF0, w, 0x0FB1, src, base, disp, false);
		mov_rr(j, w, r0, RAX);
		return 0;
	}
	case BPF_OR | BPF_FETCH:
	case BPF_AND | BPF_FETCH:
	case BPF_XOR | BPF_FETCH: {
		/* no fetching x86 form: a cmpxchg loop through rax */
		static const uint8_t rr_op[] = { [BPF_OR >> 4] = 0x09, [BPF_AND >> 4] = 0x21, [BPF_XOR >> 4] = 0x31 };
		op_mem(j, 0, w, 0x8B, RAX, base, disp, false);
		size_t loop = j->len;
		mov_rr(j, true, R11, RAX);
		alu_rr(j, rr_op[op >> 4], w, R11, src);
		op_mem(j, 0xF0, w, 0x0FB1, R11, base, disp, false);
		b1(j, 0x70 | CC_NE);
		b1(j, (uint8_t)(loop - (j->len + 1)));
		mov_rr(j, w, src, RAX);
		return 0;
	}
	}
	return fail(j, i, -EINVAL, "unsupported atomic operation");
}

/* Legacy packet loads: big-endian from the input memory at a 32-bit signed
 * offset into r0; out of bounds ends the program with 0. */
static void ld_pkt(struct jit *j, size_t i)
{
	const struct bpf_insn *in = &j->insns[i];
	int size = BPF_SIZE(in->code) == BPF_B ? 1 : BPF_SIZE(in->code) == BPF_H ? 2 : 4;
	int32_t mem_disp = -(int32_t)j->funcs[0].pkt_slot, len_disp = mem_disp + 8;
	bool ind = BPF_MODE(in->code) == BPF_IND;
	int r0 = j->reg[BPF_REG_0];
	struct addr a = { RAX, -1, 0 };

	if (!ind && !j->harden) {
		if (in->imm < 0) {
			jump(j, -1, j->abort_label);
			return;
		}
		int64_t end = (int64_t)in->imm + size;
		op_mem(j, 0, true, 0x8B, R11, RBP, len_disp, false);
		if (is_s32(end)) {
			alu_ri(j, EXT_CMP, true, R11, (int32_t)end);
		} else {
			load_imm(j, RAX, (uint64_t)end);
			alu_rr(j, 0x39, true, R11, RAX);
		}
		jump(j, CC_B, j->abort_label);
		a.disp = in->imm;
	} else {
		if (j->harden) {
			blind_imm(j, i, false, R11, in->imm);
			if (ind)
				alu_rr(j, 0x01, false, R11, j->reg[in->src_reg]);
		} else {
			lea(j, false, R11, j->reg[in->src_reg], -1, 0, in->imm);
		}
		op_rr(j, 0, true, 0x63, R11, R11, false); /* negative offsets become huge */
		op_mem(j, 0, true, 0x8B, RAX, RBP, len_disp, false);
		alu_ri(j, EXT_SUB, true, RAX, size);
		jump(j, CC_B, j->abort_label);
		alu_rr(j, 0x39, true, R11, RAX);
		jump(j, CC_A, j->abort_label);
		a.index = R11;
	}
	op_mem(j, 0, true, 0x8B, RAX, RBP, mem_disp, false);
	op_addr(j, 0, false, size == 1 ? 0x0FB6 : size == 2 ? 0x0FB7 : 0x8B, r0, a, false);
	if (size == 2) {
		b1(j, 0x66);
		rex(j, false, 0, 0, r0, false);
		b1(j, 0xC1);
		modrm(j, 3, 0, r0);
		b1(j, 8); /* rol r0w, 8 */
	} else if (size == 4) {
		bswap(j, false, r0);
	}
}

/* ---- control flow ------------------------------------------------------ */

/* The label a jump to insn t goes to (threaded through unconditional jumps;
 * a function's first insn is after its prologue). */
static size_t target_label(const struct jit *j, size_t t)
{
	t = thread(j, t);
	const struct func *fn = &j->funcs[j->func_of[t]];
	return fn->start == t ? j->body_label + j->func_of[t] : t;
}

static int jcc_of(uint8_t op)
{
	switch (op) {
	case BPF_JEQ: return CC_E;
	case BPF_JNE: return CC_NE;
	case BPF_JSET: return CC_NE;
	case BPF_JGT: return CC_A;
	case BPF_JGE: return CC_AE;
	case BPF_JLT: return CC_B;
	case BPF_JLE: return CC_BE;
	case BPF_JSGT: return CC_G;
	case BPF_JSGE: return CC_GE;
	case BPF_JSLT: return CC_L;
	case BPF_JSLE: return CC_LE;
	}
	return -1;
}

/* Set the flags for a conditional jump. zf is the register whose zero flag
 * the code just before left (-1: none): "== 0" and "!= 0" need no test then. */
static void compare(struct jit *j, size_t i, int zf, bool zf_32)
{
	const struct bpf_insn *in = &j->insns[i];
	bool w = BPF_CLASS(in->code) == BPF_JMP;
	bool jset = BPF_OP(in->code) == BPF_JSET;
	int dst = j->reg[in->dst_reg], src = j->reg[in->src_reg];
	int32_t imm = in->imm;
	uint8_t op = BPF_OP(in->code);
	if (j->swap && j->swap[i] >= SWAP_CMP16)
		imm = swapped_imm(in, j->swap[i], &w);

	if (BPF_SRC(in->code) == BPF_K && imm == 0 && (op == BPF_JEQ || op == BPF_JNE) && zf == dst &&
	    (zf_32 || w))
		return;
	j->cmp_start = j->len;
	j->cmp_pending = true;

	if (BPF_SRC(in->code) == BPF_K && j->harden) {
		blind_imm(j, i, w, AX, imm);
		src = AX;
	} else if (BPF_SRC(in->code) == BPF_K) {
		if (jset && imm >= 0 && imm <= 0xff) {
			op_rr(j, 0, false, 0xF6, 0, dst, byte_rex(dst)); /* test r8, imm8 */
			b1(j, (uint8_t)imm);
		} else if (jset) {
			op_rr(j, 0, w, 0xF7, 0, dst, false);
			b4(j, (uint32_t)imm);
		} else if (imm == 0) {
			alu_rr(j, 0x85, w, dst, dst);
		} else {
			alu_ri(j, EXT_CMP, w, dst, imm);
		}
		return;
	}
	alu_rr(j, jset ? 0x85 : 0x39, w, dst, src);
}

/* exit: the main program returns r0 in rax; a subprogram leaves it where
 * its caller keeps r0. */
static void emit_exit(struct jit *j, size_t i)
{
	const struct func *fn = &j->funcs[j->func_of[i]];
	if (j->batch && j->func_of[i] == 0) {
		/* rets[r12] = r0; round again while r12 + 1 < n */
		int r0 = reg_at(j, i, BPF_REG_0), t = r0 == RAX ? R11 : RAX;
		op_mem(j, 0, true, 0x8B, t, RSP, batch_off(fn, BATCH_RETS), false);
		rex(j, false, r0, R12, t, false);
		b1(j, 0x89);
		mem_sib(j, r0, t, R12, 2, 0); /* mov [t + r12 * 4], r0d */
		alu_ri(j, EXT_ADD, true, R12, 1);
		op_mem(j, 0, true, 0x3B, R12, RSP, batch_off(fn, BATCH_N), false);
		jump(j, CC_B, j->batch_label);
		epilogue(j, fn);
		return;
	}
	if (j->func_of[i] == 0)
		mov_rr(j, true, RAX, reg_at(j, i, BPF_REG_0));
	epilogue(j, fn);
}

/* bpf_tail_call: the engine runs the target (struct uebpf_tail_result comes
 * back in rax:rdx); when it was taken, this program returns its r0 at once.
 * Only the main function may do it: a subprogram's frames would need
 * unwinding. */
static int tail_call(struct jit *j, size_t i)
{
	mov_rr(j, true, RDX, j->reg[BPF_REG_3]);
	if (j->func_of[i] != 0) {
		/* from a subprogram: a taken call leaves all frames at once
		 * (the run's longjmp); one not taken returns -ENOENT in r0 */
		j->prog->jit_sub_tail_calls = true;
		movabs(j, RAX, (uint64_t)(uintptr_t)uebpf_engine_tail_call_sub);
		op_rr(j, 0, false, 0xFF, 2, RAX, false); /* call rax */
		mov_rr(j, true, j->reg[BPF_REG_0], RAX);
		return 1;
	}
	movabs(j, RAX, (uint64_t)(uintptr_t)uebpf_engine_tail_call);
	op_rr(j, 0, false, 0xFF, 2, RAX, false); /* call rax */
	alu_rr(j, 0x85, true, RAX, RAX);
	size_t not_taken = fwd8(j, CC_E);
	mov_rr(j, true, j->reg[BPF_REG_0], RDX);
	emit_exit(j, i);
	patch8(j, not_taken);
	j->fell = true;
	mov_rr(j, true, j->reg[BPF_REG_0], RDX);
	return 1;
}

static uint64_t no_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return 0;
}

/* Continue at insn t from the code of insn i: nothing if that is next, the
 * epilogue if it is an exit, else a jump. */
static void go_to(struct jit *j, size_t i, size_t t)
{
	t = thread(j, t);
	if (t == i + 1)
		return;
	if (is_exit(&j->insns[t]))
		emit_exit(j, t);
	else
		jump(j, -1, target_label(j, t));
}

static int insn(struct jit *j, size_t i);

/* A call to function f, inlined: its body but the exit, with its r6-r9 in
 * scratch registers. */
static int inline_call(struct jit *j, const struct func *fn)
{
	uint8_t saved[4];
	memcpy(saved, &j->reg[BPF_REG_6], sizeof(saved));
	j->nonzero = 0; /* what it knows is about the caller's registers */
	for (int r = 0; r < 4; r++)
		if (fn->renamed & (1u << r))
			j->reg[BPF_REG_6 + r] = fn->rename[r];
	int err = 0;
	for (size_t k = fn->start; k + 1 < fn->end;) {
		int used = insn(j, k);
		if (used < 0) {
			err = used;
			break;
		}
		k += (size_t)used;
	}
	memcpy(&j->reg[BPF_REG_6], saved, sizeof(saved));
	j->nonzero = 0;
	return err ?: 1;
}

/* "goto t" as a copy of insns t..c, c a conditional jump or exit. */
static int copy_block(struct jit *j, size_t i, size_t t, size_t c)
{
	for (size_t k = t; k < c;) {
		int used = insn(j, k);
		if (used < 0)
			return used;
		k += (size_t)used;
	}
	if (is_exit(&j->insns[c])) {
		emit_exit(j, c);
		return 1;
	}
	size_t tc;
	jump_target(&j->insns[c], c, &tc);
	set_regs(j, c);
	compare(j, c, j->zf_reg, j->zf_32);
	jump(j, jcc_of(BPF_OP(j->insns[c].code)), target_label(j, tc));
	go_to(j, i, c + 1);
	return 1;
}

/* A helper call in an allocated program: r1-r5 from wherever their webs are
 * into rdi, rsi, rdx, rcx, r8 (a parallel move; a cycle goes through a
 * caller-saved register no pending move reads), the call, r0 from rax.
 * Nothing live across the call is in a caller-saved register (alloc_graph). */
static int alloc_call(struct jit *j, size_t i)
{
	int src[5];
	bool done[5];
	for (int k = 0; k < 5; k++) {
		src[k] = use_color(j->alloc, i, BPF_REG_1 + k);
		done[k] = src[k] < 0 || src[k] == arg_reg[k];
	}
	for (;;) {
		bool progress = false, pending = false;
		for (int k = 0; k < 5; k++) {
			if (done[k])
				continue;
			bool needed = false;
			for (int m = 0; m < 5; m++)
				needed |= !done[m] && m != k && src[m] == arg_reg[k];
			if (needed) {
				pending = true;
				continue;
			}
			mov_rr(j, true, arg_reg[k], src[k]);
			done[k] = progress = true;
		}
		if (!pending)
			break;
		if (progress)
			continue;
		/* only cycles are left: park one destination's value */
		static const uint8_t temps[] = { R11, RAX, R9, R10 };
		int k = 0, t = -1;
		while (done[k])
			k++;
		for (size_t c = 0; c < sizeof(temps) && t < 0; c++) {
			bool read = false;
			for (int m = 0; m < 5; m++)
				read |= !done[m] && src[m] == temps[c];
			if (!read)
				t = temps[c];
		}
		mov_rr(j, true, t, arg_reg[k]);
		for (int m = 0; m < 5; m++)
			if (!done[m] && src[m] == arg_reg[k])
				src[m] = t;
	}
	movabs(j, RAX, (uint64_t)(uintptr_t)j->prog->helpers[j->insns[i].imm]);
	op_rr(j, 0, false, 0xFF, 2, RAX, false); /* call rax */
	int r0 = def_color(j->alloc, i, BPF_REG_0);
	if (r0 >= 0)
		mov_rr(j, true, r0, RAX);
	return 1;
}

/* Returns the number of instructions consumed, or a negative errno. zf and
 * zf_32: what the code before left in the zero flag. */
static int jmp(struct jit *j, size_t i, int zf, bool zf_32)
{
	const struct bpf_insn *in = &j->insns[i];
	uint8_t op = BPF_OP(in->code);
	size_t t;

	if (op == BPF_EXIT) {
		if (BPF_CLASS(in->code) != BPF_JMP)
			return fail(j, i, -EINVAL, "exit in the JMP32 class");
		emit_exit(j, i);
		return 1;
	}
	if (op == BPF_CALL) {
		if (BPF_CLASS(in->code) != BPF_JMP)
			return fail(j, i, -EINVAL, "call in the JMP32 class");
		if (BPF_SRC(in->code) == BPF_X) {
			/* helper id in a register: index a table of 512 helpers plus
			 * one for unknown ids (returns 0) */
			bool known;
			int64_t table = label_pos(j, j->table_label, &known);
			mov_rr(j, true, RAX, j->reg[in->dst_reg]);
			alu_ri(j, EXT_CMP, true, RAX, UEBPF_MAX_HELPERS);
			mov_r32_imm(j, R11, UEBPF_MAX_HELPERS);
			op_rr(j, 0, true, 0x0F40 | CC_AE, RAX, R11, false); /* cmovae rax, r11 */
			rex(j, true, R11, 0, 0, false);
			b1(j, 0x8D);
			modrm(j, 0, R11, RBP); /* lea r11, [rip + disp32] */
			b4(j, (uint32_t)(int32_t)(table - (int64_t)(j->len + 4)));
			mov_rr(j, true, RDX, j->reg[BPF_REG_3]);
			rex(j, false, 0, RAX, R11, false);
			b1(j, 0xFF);
			mem_sib(j, 2, R11, RAX, 3, 0); /* call [r11 + rax*8] */
			mov_rr(j, true, j->reg[BPF_REG_0], RAX);
			return 1;
		}
		if (in->src_reg == 0 && in->imm == BPF_FUNC_tail_call)
			return tail_call(j, i);
		if (in->src_reg == 0 && j->alloc)
			return alloc_call(j, i);
		if (in->src_reg == 0) {
			mov_rr(j, true, RDX, j->reg[BPF_REG_3]);
			movabs(j, RAX, (uint64_t)(uintptr_t)j->prog->helpers[in->imm]);
			op_rr(j, 0, false, 0xFF, 2, RAX, false); /* call rax */
			mov_rr(j, true, j->reg[BPF_REG_0], RAX);
			return 1;
		}
		if (in->src_reg == BPF_PSEUDO_CALL) {
			size_t t = i + 1 + (size_t)(int64_t)in->imm;
			if (j->inline_at[i])
				return inline_call(j, &j->funcs[j->func_of[t]]);
			call_label(j, t);
			return 1;
		}
		return fail(j, i, -EINVAL, "calls to kernel functions are not supported");
	}
	if (!jump_target(in, i, &t) || (op != BPF_JA && jcc_of(op) < 0))
		return fail(j, i, -EINVAL, "unsupported jump");
	if (op == BPF_JA) {
		if (BPF_CLASS(in->code) == BPF_JMP32 ? in->off : in->imm)
			return fail(j, i, -EINVAL, "jump with reserved fields set");
		if (j->dup[i])
			return copy_block(j, i, thread(j, t), j->dup[i] - 1);
		go_to(j, i, t);
		return 1;
	}
	if (t == i + 1)
		return 1; /* flags are not observable: nothing to do */
	compare(j, i, j->flags[i] & F_TARGET ? -1 : zf, zf_32);
	int cc = jcc_of(op);
	/* "if cond goto L; goto M; L:" becomes "if !cond goto M" */
	if (folds_jump(j, i)) {
		size_t t2;
		jump_target(&j->insns[i + 1], i + 1, &t2);
		if (thread(j, t2) != thread(j, i + 2)) {
			jump(j, cc ^ 1, target_label(j, t2));
			return 2;
		}
	}
	jump(j, cc, target_label(j, t));
	return 1;
}

/* ---- driver ------------------------------------------------------------ */

static int grow(struct jit *j)
{
	if (j->cap - j->len >= INSN_ROOM)
		return 0;
	if (j->len > MAX_CODE_SIZE)
		return -E2BIG;
	size_t cap = j->cap ? 2 * j->cap : 4096;
	uint8_t *p = realloc(j->buf, cap);
	if (!p)
		return -ENOMEM;
	j->buf = p;
	j->cap = cap;
	return 0;
}

/* The memory operand of load or store k, with a planned fold. */
static struct addr mem_addr(const struct jit *j, size_t k)
{
	const struct bpf_insn *in = &j->insns[k];
	struct addr ad;
	if (j->fold_from[k] && lea_pattern(j, j->fold_from[k] - 1, &ad)) {
		if (j->alloc) { /* rB and rC where they are at k (plan_alloc keeps them live to k) */
			const struct bpf_insn *mv = &j->insns[j->fold_from[k] - 1];
			ad.base = reg_at(j, k, mv->src_reg);
			if (ad.index >= 0)
				ad.index = reg_at(j, k, mv[1].src_reg);
		}
		ad.disp += in->off;
		return ad;
	}
	int base = BPF_CLASS(in->code) == BPF_LDX ? in->src_reg : in->dst_reg;
	if (base == BPF_REG_10 && j->alloc) /* no frame pointer: from rsp */
		return (struct addr){ RSP, -1, (int32_t)j->funcs[0].rsp_frame + in->off };
	return addr_of(j->reg[base], in->off);
}

/* Emit the code of insn i (and maybe of some after it). Returns the number
 * of instructions consumed, or a negative errno. */
static int insn_body(struct jit *j, size_t i);

/* Allocated programs: "rX = *(r10 - k); rX op= imm; *(r10 - k) = rX" on a
 * slot left in memory, rX dead after, is "op qword [rsp + ...], imm". */
static int slot_rmw(struct jit *j, size_t i)
{
	const struct alloc *a = j->alloc;
	const struct bpf_insn *in = &j->insns[i];
	if (!a || i + 2 >= j->n || (j->flags[i + 1] & F_TARGET) || (j->flags[i + 2] & F_TARGET))
		return 0;
	const struct bpf_insn *op = in + 1, *st = in + 2;
	uint8_t o = BPF_OP(op->code);
	int x = in->dst_reg;
	if (alloc_slot(a, in) < 0 || slot_reg(j, i) >= 0 || op->code != (BPF_ALU64 | o | BPF_K) || op->dst_reg != x ||
	    op->off || (o != BPF_ADD && o != BPF_SUB && o != BPF_AND && o != BPF_OR && o != BPF_XOR) ||
	    st->code != (BPF_STX | BPF_MEM | BPF_DW) || st->dst_reg != BPF_REG_10 || st->src_reg != x ||
	    st->off != in->off || slot_reg(j, i + 2) >= 0 || (a->live_out[i + 2] >> x & 1))
		return 0;
	static const uint8_t ext[] = { [BPF_ADD >> 4] = EXT_ADD, [BPF_SUB >> 4] = EXT_SUB, [BPF_OR >> 4] = EXT_OR,
				       [BPF_AND >> 4] = EXT_AND, [BPF_XOR >> 4] = EXT_XOR };
	bool s8 = is_s8(op->imm);
	op_addr(j, 0, true, s8 ? 0x83 : 0x81, ext[o >> 4], mem_addr(j, i), false);
	if (s8)
		b1(j, (uint8_t)op->imm);
	else
		b4(j, (uint32_t)op->imm);
	return 3;
}

/* What a block knows about nonzero registers after insn in (see nonzero). */
static uint16_t nonzero_after(uint16_t nz, const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	bool before = nz & BIT(in->src_reg);
	uint16_t use, def;
	use_def(in, true, &use, &def);
	nz &= ~def;
	if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC(in->code) == BPF_K && (op == BPF_MOV || op == BPF_OR) &&
	    (uint32_t)in->imm)
		nz |= BIT(in->dst_reg);
	else if ((cls == BPF_ALU || cls == BPF_ALU64) && in->code == (cls | BPF_MOV | BPF_X) && !in->off && before)
		nz |= BIT(in->dst_reg);
	else if (is_lddw(in) && (uint32_t)in->imm)
		nz |= BIT(in->dst_reg);
	return nz;
}

/* Emit the code of insn i and any after it that it consumes, keeping track
 * of registers known nonzero within the block (for division). */
static int insn(struct jit *j, size_t i)
{
	int used = grow(j);
	if (used)
		return used;
	/* control may arrive here from elsewhere: nothing known about the
	 * registers or the flags, even when this insn emits nothing */
	if (j->flags[i] & F_TARGET) {
		j->nonzero = 0;
		j->zf_reg = -1;
	}
	set_regs(j, i);
	/* code that writes only dead values emits nothing (and so leaves the
	 * flags and every register as they were) */
	used = alloc_dead(j, i) ? (int)uebpf_insn_slots(&j->insns[i]) : insn_body(j, i);
	for (int k = 0; k < used; k += (int)uebpf_insn_slots(&j->insns[i + (size_t)k]))
		j->nonzero = nonzero_after(j->nonzero, &j->insns[i + (size_t)k]);
	return used;
}

static int insn_body(struct jit *j, size_t i)
{
	const struct bpf_insn *in = &j->insns[i];
	int used, zf = j->zf_reg;
	j->fell = true;
	j->zf_reg = -1;
	j->cmp_pending = false;
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		if ((used = fold(j, i)))
			return used;
		if (alloc_split(in))
			alu_split(j, i);
		if ((used = alu(j, i)))
			return used;
		/* a register copy (mov) leaves the flags alone: "rA += -1;
		 * rB = rC; if rA == 0" still tests the add's zero flag */
		if (in->code == (BPF_ALU64 | BPF_MOV | BPF_X) && !in->off && zf >= 0 && j->zf_reg < 0 &&
		    zf != j->reg[in->dst_reg] && !(j->flags[i] & F_TARGET))
			j->zf_reg = zf;
		return 1;
	case BPF_LDX:
		if (BPF_MODE(in->code) != BPF_MEM && BPF_MODE(in->code) != BPF_MEMSX)
			break;
		if ((used = slot_rmw(j, i)))
			return used;
		if ((used = slot_reg(j, i)) >= 0) {
			mov_rr(j, true, j->reg[in->dst_reg], used);
			return 1;
		}
		return load(j, i, mem_addr(j, i)) ?: 1;
	case BPF_ST:
		if (BPF_MODE(in->code) != BPF_MEM)
			break;
		if ((used = slot_reg(j, i)) >= 0) {
			if (j->harden && in->imm)
				blind_imm(j, i, true, used, in->imm);
			else
				load_imm(j, used, (uint64_t)(int64_t)in->imm);
			return 1;
		}
		store(j, i, mem_addr(j, i));
		return 1;
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC)
			return atomic(j, i) ?: 1;
		if (BPF_MODE(in->code) != BPF_MEM)
			break;
		if ((used = slot_reg(j, i)) >= 0) {
			mov_rr(j, true, used, j->reg[in->src_reg]);
			return 1;
		}
		store(j, i, mem_addr(j, i));
		return 1;
	case BPF_LD:
		if (is_lddw(in)) {
			if (in->src_reg)
				return fail(j, i, -EINVAL, "unresolved lddw pseudo source");
			uint64_t v = (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;
			int dst = j->reg[in->dst_reg];
			if (j->harden && v) {
				uint64_t key = blind_key(j, i, 1);
				movabs(j, dst, v ^ key);
				movabs(j, AX, key);
				alu_rr(j, 0x31, true, dst, AX);
			} else {
				load_imm(j, dst, v);
			}
			return 2;
		}
		if ((BPF_MODE(in->code) != BPF_ABS && BPF_MODE(in->code) != BPF_IND) || BPF_SIZE(in->code) == BPF_DW)
			break;
		ld_pkt(j, i);
		return 1;
	case BPF_JMP:
	case BPF_JMP32:
		return jmp(j, i, zf, j->zf_32);
	}
	return fail(j, i, -EINVAL, "unsupported instruction");
}

/* Place a loop head so that a loop that fits one 32-byte fetch window does
 * (its size is from the last pass), and other loops start a 16-byte block.
 * Nops that run on the way in are limited. */
static void align_loop(struct jit *j, size_t head)
{
	size_t pad = (16 - j->len % 16) % 16;
	if (!j->align_fixed && j->pass > 1) {
		const uint32_t *prev = j->lab[(j->pass - 1) & 1];
		size_t size = prev[j->loop_end[head]] - prev[head];
		/* the back edge must not end at the window's end either */
		if (prev[j->loop_end[head]] >= prev[head] && size < FETCH_WINDOW)
			for (pad = 0; (j->len + pad) % FETCH_WINDOW + size >= FETCH_WINDOW;)
				pad++;
	}
	if (j->fell && pad > ALIGN_FALL_PAD)
		return;
	nops(j, pad);
}

static int emit_pass(struct jit *j)
{
	j->pass++;
	j->len = 0;
	j->n_jumps = 0;
	j->widened = false;
	for (size_t f = 0; f < j->n_funcs; f++) {
		const struct func *fn = &j->funcs[f];
		int err = grow(j);
		if (err)
			return err;
		set_label(j, fn->start);
		j->nonzero = 0;
		prologue(j, fn, f == 0);
		set_label(j, j->body_label + f);
		for (size_t i = fn->start; i < fn->end;) {
			if ((err = grow(j)))
				return err;
			if (i != fn->start) {
				if (j->flags[i] & F_BACK_TARGET)
					align_loop(j, i);
				set_label(j, i);
			}
			int used = insn(j, i);
			if (used < 0)
				return used;
			/* instructions emitted with the one before: lddw's second
			 * slot has its offset, the others start after the code */
			for (int k = 1; k < used; k++) {
				bool second = k == 1 && is_lddw(&j->insns[i]);
				j->lab[j->pass & 1][i + k] = second ? j->lab[j->pass & 1][i] : (uint32_t)j->len;
				j->stamp[i + k] = j->pass;
			}
			i += (size_t)used;
		}
	}
	int err = grow(j);
	if (err)
		return err;
	if (j->has_ld_pkt) {
		set_label(j, j->abort_label);
		zero(j, RAX);
		epilogue(j, &j->funcs[0]);
	}
	/* callbacks' entries, called by helpers as
	 * call(cb, r1, r2, r3, r4, r5): the arguments into the BPF registers of
	 * reg_of, the function, its r0 (r9) out; rsp 8 mod 16 at its entry */
	for (size_t k = 0; k < j->prog->n_callbacks; k++) {
		if (!j->cb_jit[k])
			continue;
		if ((err = grow(j)))
			return err;
		set_label(j, j->cb_label + k);
		mov_rr(j, true, RDI, RSI);
		mov_rr(j, true, RSI, RDX);
		mov_rr(j, true, R10, RCX);
		mov_rr(j, true, RCX, R8);
		mov_rr(j, true, R8, R9);
		alu_ri(j, EXT_SUB, true, RSP, 8);
		call_label(j, j->prog->callbacks[k].entry);
		alu_ri(j, EXT_ADD, true, RSP, 8);
		mov_rr(j, true, RAX, R9);
		b1(j, 0xC3);
	}
	set_label(j, j->n);
	if (j->has_callx) {
		while (j->len % 8)
			b1(j, 0xCC);
		set_label(j, j->table_label);
	}
	if (j->len > MAX_CODE_SIZE)
		return -E2BIG;
	return 0;
}

unsigned uebpf_jit_x86_64_cpu_features(void)
{
	unsigned a, b, c, d, f = 0;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 8)))
		f |= UEBPF_JIT_X86_BMI2;
	/* the microcode fix for the JCC erratum (Skylake-derived Intel cores)
	 * keeps jumps that cross or end at a 32-byte boundary out of the uop
	 * cache; other vendors' cores gain nothing from the padding */
	if (__get_cpuid(0, &a, &b, &c, &d) && b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e) /* GenuineIntel */
		f |= UEBPF_JIT_X86_JCC_PAD;
	return f;
}

static void jit_release(struct jit *j)
{
	free(j->buf);
	free(j->lab[0]);
	free(j->lab[1]);
	free(j->stamp);
	free(j->jlong);
	free(j->funcs);
	free(j->func_of);
	free(j->live_out);
	free(j->flags);
	free(j->dup);
	free(j->loop_end);
	free(j->fold_from);
	free(j->fold_skip);
	free(j->inline_at);
	free(j->swap);
	free(j->cb_jit);
	alloc_free(j->alloc);
}

static int finish(struct jit *j)
{
	struct uebpf_prog *prog = j->prog;
	size_t code_sz = j->lab[j->pass & 1][j->n];
	if (j->batch) {
		int err = uebpf_exec_mem_alloc(j->buf, j->len, &prog->jit_batch_code, &prog->jit_batch_map_sz);
		if (!err)
			prog->jit_batch_fn = (uebpf_prog_batch_fn)(uintptr_t)prog->jit_batch_code;
		return err;
	}
	if (j->has_callx) {
		/* the helper table follows the code, read-only */
		uebpf_helper_fn table[CALLX_SLOTS];
		for (size_t k = 0; k < UEBPF_MAX_HELPERS; k++)
			table[k] = prog->helpers[k] ? prog->helpers[k] : no_helper;
		table[UEBPF_MAX_HELPERS] = no_helper;
		if (j->cap - j->len < sizeof(table)) {
			uint8_t *p = realloc(j->buf, j->len + sizeof(table));
			if (!p)
				return -ENOMEM;
			j->buf = p;
		}
		memcpy(j->buf + j->len, table, sizeof(table));
		j->len += sizeof(table);
	}
	uint32_t *offsets = malloc((j->n + 1) * sizeof(*offsets));
	if (!offsets)
		return -ENOMEM;
	memcpy(offsets, j->lab[j->pass & 1], (j->n + 1) * sizeof(*offsets));
	int err = uebpf_exec_mem_alloc(j->buf, j->len, &prog->jit_code, &prog->jit_map_sz);
	if (err) {
		free(offsets);
		return err;
	}
	prog->jit_code_sz = code_sz;
	prog->jit_allocated = j->alloc != NULL;
	for (size_t k = 0; k < prog->n_callbacks; k++)
		if (j->cb_jit[k])
			prog->callbacks[k].base.call = (uint64_t (*)(const struct uebpf_callback *, uint64_t, uint64_t,
								    uint64_t, uint64_t, uint64_t))(uintptr_t)(
				prog->jit_code + j->lab[j->pass & 1][j->cb_label + k]);
	prog->jit_offsets = offsets;
	prog->jit_fn = (uebpf_jit_fn)(uintptr_t)prog->jit_code;
	return 0;
}

static int compile(struct uebpf_prog *prog, unsigned features, bool batch, char *log, size_t log_sz)
{
	struct jit j = {
		.prog = prog,
		.insns = prog->insns,
		.n = prog->n,
		.features = features,
		.batch = batch,
		.harden = prog->flags & UEBPF_F_HARDEN,
		.log = log,
		.log_sz = log_sz,
		.zf_reg = -1,
	};
	memcpy(j.reg, reg_of, sizeof(reg_of));
	size_t n = prog->n;
	int err = -ENOMEM;

	if (j.harden && getrandom(&j.key, sizeof(j.key), 0) != sizeof(j.key)) {
		uebpf_log(log, log_sz, "cannot get a random key for hardening");
		return -EIO;
	}
	j.func_of = calloc(n, sizeof(*j.func_of));
	j.live_out = calloc(n, sizeof(*j.live_out));
	j.flags = calloc(n + 1, 1);
	j.dup = calloc(n, sizeof(*j.dup));
	j.loop_end = calloc(n, sizeof(*j.loop_end));
	j.fold_from = calloc(n, sizeof(*j.fold_from));
	j.fold_skip = calloc(n, 1);
	j.inline_at = calloc(n, 1);
	j.cb_jit = calloc(prog->n_callbacks + 1, 1);
	if (!j.func_of || !j.live_out || !j.flags || !j.dup || !j.loop_end || !j.fold_from || !j.fold_skip ||
	    !j.inline_at || !j.cb_jit)
		goto out;
	if ((err = analyse(&j)) || (err = liveness(&j)))
		goto out;
	plan_jumps(&j);
	plan_folds(&j);
	if ((err = plan_alloc(&j)))
		goto out;
	if (batch && (j.harden || j.has_ld_pkt || j.has_callx || j.has_tail_call || prog->n_callbacks)) {
		uebpf_log(log, log_sz, "insn 0: no batch entry for hardened programs, or programs with ld_abs/ld_ind, "
				       "tail calls, callbacks or indirect helper calls");
		err = -EOPNOTSUPP;
		goto out;
	}
	if (!j.alloc && (err = plan_slots(&j)))
		goto out;
	if (!err && j.alloc && (err = plan_swaps(&j)))
		goto out;
	plan_inline(&j);
	align_frames(&j);
	j.body_label = n + 1;
	j.abort_label = j.body_label + j.n_funcs;
	j.table_label = j.abort_label + 1;
	j.cb_label = j.table_label + 1;
	j.batch_label = j.cb_label + prog->n_callbacks;
	j.n_labels = j.batch_label + 1;
	err = -ENOMEM;
	j.lab[0] = calloc(j.n_labels, sizeof(uint32_t));
	j.lab[1] = calloc(j.n_labels, sizeof(uint32_t));
	j.stamp = calloc(j.n_labels, sizeof(uint32_t));
	/* an instruction emits at most two jumps of variable size, and in the
	 * batch entry an exit one more */
	j.max_jumps = 3 * n + 2;
	j.jlong = calloc(j.max_jumps, sizeof(*j.jlong));
	if (!j.lab[0] || !j.lab[1] || !j.stamp || !j.jlong)
		goto out;

	for (;;) {
		if ((err = emit_pass(&j)))
			break;
		bool same = j.pass > 1 && !memcmp(j.lab[0], j.lab[1], j.n_labels * sizeof(uint32_t));
		if (same && !j.widened)
			break;
		if (j.pass == MAX_PASSES) {
			/* give up on short forms and size-based alignment: the
			 * layout no longer depends on itself and settles */
			for (size_t k = 0; k < j.max_jumps; k++)
				j.jlong[k] = true;
			j.align_fixed = true;
		}
		if (j.pass > MAX_PASSES + 3) {
			err = -EDEADLK; /* cannot happen: with every jump long the layout is fixed */
			break;
		}
	}
	if (err == -E2BIG)
		uebpf_log(log, log_sz, "insn 0: program too large for the JIT (more than %u bytes of code)",
			  MAX_CODE_SIZE);
	else if (err == -EDEADLK)
		uebpf_log(log, log_sz, "insn 0: JIT code layout did not converge");
	if (!err)
		err = finish(&j);
out:
	if (err == -ENOMEM)
		uebpf_log(log, log_sz, "insn 0: out of memory in the JIT");
	jit_release(&j);
	return err;
}

int uebpf_jit_x86_64_compile_features(struct uebpf_prog *prog, unsigned features, char *log, size_t log_sz)
{
	return compile(prog, features, false, log, log_sz);
}

int uebpf_jit_x86_64_compile(struct uebpf_prog *prog, char *log, size_t log_sz)
{
	return compile(prog, uebpf_jit_x86_64_cpu_features(), false, log, log_sz);
}

int uebpf_jit_x86_64_compile_batch_features(struct uebpf_prog *prog, unsigned features, char *log, size_t log_sz)
{
	if (prog->jit_batch_fn)
		return 0;
	return compile(prog, features, true, log, log_sz);
}

int uebpf_jit_x86_64_compile_batch(struct uebpf_prog *prog, char *log, size_t log_sz)
{
	return uebpf_jit_x86_64_compile_batch_features(prog, uebpf_jit_x86_64_cpu_features(), log, log_sz);
}

void uebpf_jit_free(struct uebpf_prog *prog)
{
	for (size_t k = 0; k < prog->n_callbacks; k++)
		prog->callbacks[k].base.call = prog->callbacks[k].interp_call;
	uebpf_exec_mem_free(prog->jit_code, prog->jit_map_sz);
	uebpf_exec_mem_free(prog->jit_batch_code, prog->jit_batch_map_sz);
	prog->jit_batch_code = NULL;
	prog->jit_batch_fn = NULL;
	prog->jit_batch_map_sz = 0;
	free(prog->jit_offsets);
	prog->jit_code = NULL;
	prog->jit_offsets = NULL;
	prog->jit_fn = NULL;
	prog->jit_code_sz = prog->jit_map_sz = 0;
}
