/* Unit tests of the ISA layer: every instruction form encoded, decoded and
 * printed in both styles; every check error with its message; every
 * assembler error; and the round trip disasm -> asm on every row of the
 * opcode table and on random bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <uebpf/isa.h>

#include "isa/table.h"

#define I(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }

/* ---- forms: text -> bytes -> both styles ------------------------------ */

struct form_case {
	const char *text;         /* what a person writes */
	struct bpf_insn insn[2];  /* what it assembles to */
	size_t n;
	const char *canon;        /* what the UEBPF style prints (NULL: text) */
	const char *llvm;         /* what the LLVM style prints for insn 0 */
};

static const struct form_case forms[] = {
	/* ALU and ALU64 */
	{ "add %r1, 5", { I(0x07, 1, 0, 0, 5) }, 1, NULL, "r1 += 5" },
	{ "add32 %r1, -3", { I(0x04, 1, 0, 0, -3) }, 1, NULL, "w1 += -3" },
	{ "sub %r2, %r3", { I(0x1f, 2, 3, 0, 0) }, 1, NULL, "r2 -= r3" },
	{ "sub32 %r2, 0x7fffffff", { I(0x14, 2, 0, 0, 0x7fffffff) }, 1, NULL, "w2 -= 2147483647" },
	{ "mul32 %r0, %r9", { I(0x2c, 0, 9, 0, 0) }, 1, NULL, "w0 *= w9" },
	{ "mul %r0, 10", { I(0x27, 0, 0, 0, 10) }, 1, NULL, "r0 *= 10" },
	{ "div %r1, 16", { I(0x37, 1, 0, 0, 16) }, 1, "div %r1, 0x10", "r1 /= 16" },
	{ "div32 %r1, %r2", { I(0x3c, 1, 2, 0, 0) }, 1, NULL, "w1 /= w2" },
	{ "sdiv32 %r1, %r2", { I(0x3c, 1, 2, 1, 0) }, 1, NULL, "w1 s/= w2" },
	{ "sdiv %r1, -4", { I(0x37, 1, 0, 1, -4) }, 1, NULL, "r1 s/= -4" },
	{ "mod32 %r1, 3", { I(0x94, 1, 0, 0, 3) }, 1, NULL, "w1 %= 3" },
	{ "mod %r1, %r2", { I(0x9f, 1, 2, 0, 0) }, 1, NULL, "r1 %= r2" },
	{ "smod %r1, -7", { I(0x97, 1, 0, 1, -7) }, 1, NULL, "r1 s%= -7" },
	{ "smod32 %r1, %r2", { I(0x9c, 1, 2, 1, 0) }, 1, NULL, "w1 s%= w2" },
	{ "or %r1, 0xffffffff", { I(0x47, 1, 0, 0, -1) }, 1, "or %r1, -1", "r1 |= -1" },
	{ "or32 %r1, %r2", { I(0x4c, 1, 2, 0, 0) }, 1, NULL, "w1 |= w2" },
	{ "and32 %r1, %r2", { I(0x5c, 1, 2, 0, 0) }, 1, NULL, "w1 &= w2" },
	{ "and %r1, 0xFF", { I(0x57, 1, 0, 0, 255) }, 1, "and %r1, 0xff", "r1 &= 255" },
	{ "lsh %r1, 63", { I(0x67, 1, 0, 0, 63) }, 1, "lsh %r1, 0x3f", "r1 <<= 63" },
	{ "lsh32 %r1, %r2", { I(0x6c, 1, 2, 0, 0) }, 1, NULL, "w1 <<= w2" },
	{ "rsh32 %r1, %r2", { I(0x7c, 1, 2, 0, 0) }, 1, NULL, "w1 >>= w2" },
	{ "rsh %r1, 1", { I(0x77, 1, 0, 0, 1) }, 1, NULL, "r1 >>= 1" },
	{ "arsh %r1, 3", { I(0xc7, 1, 0, 0, 3) }, 1, NULL, "r1 s>>= 3" },
	{ "arsh32 %r1, %r2", { I(0xcc, 1, 2, 0, 0) }, 1, NULL, "w1 s>>= w2" },
	{ "xor %r1, %r2", { I(0xaf, 1, 2, 0, 0) }, 1, NULL, "r1 ^= r2" },
	{ "xor32 %r1, 1", { I(0xa4, 1, 0, 0, 1) }, 1, NULL, "w1 ^= 1" },
	{ "mov %r0, 0x80000000", { I(0xb7, 0, 0, 0, INT32_MIN) }, 1, NULL, "r0 = -2147483648" },
	{ "mov %r0, -2147483648", { I(0xb7, 0, 0, 0, INT32_MIN) }, 1, "mov %r0, 0x80000000", "r0 = -2147483648" },
	{ "mov %r10, %r1", { I(0xbf, 10, 1, 0, 0) }, 1, NULL, "r10 = r1" },
	{ "mov32 %r0, %r1", { I(0xbc, 0, 1, 0, 0) }, 1, NULL, "w0 = w1" },
	{ "mov32 %r0, 0xfffffffe", { I(0xb4, 0, 0, 0, -2) }, 1, "mov32 %r0, -2", "w0 = -2" },
	{ "neg %r3", { I(0x87, 3, 0, 0, 0) }, 1, NULL, "r3 = -r3" },
	{ "neg32 %r3", { I(0x84, 3, 0, 0, 0) }, 1, NULL, "w3 = -w3" },
	{ "movsx864 %r1, %r2", { I(0xbf, 1, 2, 8, 0) }, 1, NULL, "r1 = (s8)r2" },
	{ "movsx1664 %r1, %r2", { I(0xbf, 1, 2, 16, 0) }, 1, NULL, "r1 = (s16)r2" },
	{ "movsx3264 %r1, %r2", { I(0xbf, 1, 2, 32, 0) }, 1, NULL, "r1 = (s32)r2" },
	{ "movsx832 %r1, %r2", { I(0xbc, 1, 2, 8, 0) }, 1, NULL, "w1 = (s8)w2" },
	{ "movsx1632 %r1, %r2", { I(0xbc, 1, 2, 16, 0) }, 1, NULL, "w1 = (s16)w2" },
	{ "be16 %r1", { I(0xdc, 1, 0, 0, 16) }, 1, NULL, "r1 = be16 r1" },
	{ "be32 %r1", { I(0xdc, 1, 0, 0, 32) }, 1, NULL, "r1 = be32 r1" },
	{ "be64 %r1", { I(0xdc, 1, 0, 0, 64) }, 1, NULL, "r1 = be64 r1" },
	{ "le16 %r2", { I(0xd4, 2, 0, 0, 16) }, 1, NULL, "r2 = le16 r2" },
	{ "le64 %r1", { I(0xd4, 1, 0, 0, 64) }, 1, NULL, "r1 = le64 r1" },
	{ "bswap32 %r1", { I(0xd7, 1, 0, 0, 32) }, 1, NULL, "r1 = bswap32 r1" },
	{ "swap16 %r1", { I(0xd7, 1, 0, 0, 16) }, 1, "bswap16 %r1", "r1 = bswap16 r1" },
	{ "swap64 %r1", { I(0xd7, 1, 0, 0, 64) }, 1, "bswap64 %r1", "r1 = bswap64 r1" },

	/* lddw and its pseudo sources */
	{ "lddw %r1, 0x1122334455667788", { I(0x18, 1, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344) }, 2, NULL,
	  "r1 = 1234605616436508552 ll" },
	{ "lddw %r0, -1", { I(0x18, 0, 0, 0, -1), I(0, 0, 0, 0, -1) }, 2, "lddw %r0, 0xffffffffffffffff", "r0 = -1 ll" },
	{ "lddw %r0, 0xFFFFFFFFFFFFFFFF", { I(0x18, 0, 0, 0, -1), I(0, 0, 0, 0, -1) }, 2, "lddw %r0, 0xffffffffffffffff",
	  "r0 = -1 ll" },
	{ "lddw %r0, 2147483648", { I(0x18, 0, 0, 0, INT32_MIN), I(0, 0, 0, 0, 0) }, 2, "lddw %r0, 0x80000000",
	  "r0 = 2147483648 ll" },
	{ "lddw %r1, map:3", { I(0x18, 1, 1, 0, 3), I(0, 0, 0, 0, 0) }, 2, NULL, "ld_pseudo\tr1, 1, 3" },
	{ "lddw %r2, mapval:1+16", { I(0x18, 2, 2, 0, 1), I(0, 0, 0, 0, 16) }, 2, NULL, "ld_pseudo\tr2, 2, 1" },
	{ "lddw %r2, mapval:0x1", { I(0x18, 2, 2, 0, 1), I(0, 0, 0, 0, 0) }, 2, "lddw %r2, mapval:1+0",
	  "ld_pseudo\tr2, 2, 1" },

	/* legacy packet loads */
	{ "ldabsb 12", { I(0x30, 0, 0, 0, 12) }, 1, "ldabsb 0xc", "r0 = *(u8 *)skb[12]" },
	{ "ldabsh 4", { I(0x28, 0, 0, 0, 4) }, 1, NULL, "r0 = *(u16 *)skb[4]" },
	{ "ldabsw -1", { I(0x20, 0, 0, 0, -1) }, 1, NULL, "r0 = *(u32 *)skb[-1]" },
	{ "ldindb %r1, -2", { I(0x50, 0, 1, 0, -2) }, 1, NULL, "r0 = *(u8 *)skb[r1]" },
	{ "ldindh %r2, 0", { I(0x48, 0, 2, 0, 0) }, 1, NULL, "r0 = *(u16 *)skb[r2]" },
	{ "ldindw %r3, 4", { I(0x40, 0, 3, 0, 4) }, 1, NULL, "r0 = *(u32 *)skb[r3]" },

	/* loads and stores */
	{ "ldxw %r0, [%r1]", { I(0x61, 0, 1, 0, 0) }, 1, NULL, "r0 = *(u32 *)(r1 + 0)" },
	{ "ldxdw %r1, [%r10-8]", { I(0x79, 1, 10, -8, 0) }, 1, NULL, "r1 = *(u64 *)(r10 - 8)" },
	{ "ldxh %r1, [ %r2 + 0x10 ]", { I(0x69, 1, 2, 16, 0) }, 1, "ldxh %r1, [%r2+16]", "r1 = *(u16 *)(r2 + 16)" },
	{ "ldxb %r1, [%r2+32767]", { I(0x71, 1, 2, 32767, 0) }, 1, NULL, "r1 = *(u8 *)(r2 + 32767)" },
	{ "ldxb %r1, [%r2-32768]", { I(0x71, 1, 2, -32768, 0) }, 1, NULL, "r1 = *(u8 *)(r2 - 32768)" },
	{ "ldxsb %r1, [%r2-1]", { I(0x91, 1, 2, -1, 0) }, 1, NULL, "r1 = *(s8 *)(r2 - 1)" },
	{ "ldxsh %r1, [%r2+2]", { I(0x89, 1, 2, 2, 0) }, 1, NULL, "r1 = *(s16 *)(r2 + 2)" },
	{ "ldxsw %r1, [%r2]", { I(0x81, 1, 2, 0, 0) }, 1, NULL, "r1 = *(s32 *)(r2 + 0)" },
	{ "stw [%r10-4], 5", { I(0x62, 10, 0, -4, 5) }, 1, NULL, "*(u32 *)(r10 - 4) = 5" },
	{ "stb [%r1+2], 0x11", { I(0x72, 1, 0, 2, 0x11) }, 1, NULL, "*(u8 *)(r1 + 2) = 17" },
	{ "sth [%r1], -1", { I(0x6a, 1, 0, 0, -1) }, 1, NULL, "*(u16 *)(r1 + 0) = -1" },
	{ "stdw [%r10-16], 0xab", { I(0x7a, 10, 0, -16, 0xab) }, 1, NULL, "*(u64 *)(r10 - 16) = 171" },
	{ "stxdw [%r10-8], %r1", { I(0x7b, 10, 1, -8, 0) }, 1, NULL, "*(u64 *)(r10 - 8) = r1" },
	{ "stxw [%r10-4], %r1", { I(0x63, 10, 1, -4, 0) }, 1, NULL, "*(u32 *)(r10 - 4) = r1" },
	{ "stxh [%r1+2], %r3", { I(0x6b, 1, 3, 2, 0) }, 1, NULL, "*(u16 *)(r1 + 2) = r3" },
	{ "stxb [%r1], %r3", { I(0x73, 1, 3, 0, 0) }, 1, NULL, "*(u8 *)(r1 + 0) = r3" },

	/* atomics */
	{ "lock add [%r10-8], %r1", { I(0xdb, 10, 1, -8, 0) }, 1, NULL, "lock *(u64 *)(r10 - 8) += r1" },
	{ "lock add32 [%r10-4], %r1", { I(0xc3, 10, 1, -4, 0) }, 1, NULL, "lock *(u32 *)(r10 - 4) += r1" },
	{ "lock fetch add [%r10-8], %r1", { I(0xdb, 10, 1, -8, 1) }, 1, NULL,
	  "r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)" },
	{ "lock fetch add32 [%r10-4], %r2", { I(0xc3, 10, 2, -4, 1) }, 1, NULL,
	  "w2 = atomic_fetch_add((u32 *)(r10 - 4), w2)" },
	{ "lock or [%r1+8], %r2", { I(0xdb, 1, 2, 8, 0x40) }, 1, NULL, "lock *(u64 *)(r1 + 8) |= r2" },
	{ "lock fetch or32 [%r1], %r2", { I(0xc3, 1, 2, 0, 0x41) }, 1, NULL,
	  "w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)" },
	{ "lock and [%r1], %r2", { I(0xdb, 1, 2, 0, 0x50) }, 1, NULL, "lock *(u64 *)(r1 + 0) &= r2" },
	{ "lock and32 [%r10-4], %r1", { I(0xc3, 10, 1, -4, 0x50) }, 1, NULL, "lock *(u32 *)(r10 - 4) &= w1" },
	{ "lock fetch and [%r1], %r2", { I(0xdb, 1, 2, 0, 0x51) }, 1, NULL,
	  "r2 = atomic_fetch_and((u64 *)(r1 + 0), r2)" },
	{ "lock xor [%r1], %r2", { I(0xdb, 1, 2, 0, 0xa0) }, 1, NULL, "lock *(u64 *)(r1 + 0) ^= r2" },
	{ "lock fetch xor32 [%r1], %r2", { I(0xc3, 1, 2, 0, 0xa1) }, 1, NULL,
	  "w2 = atomic_fetch_xor((u32 *)(r1 + 0), w2)" },
	{ "lock xchg [%r10-8], %r1", { I(0xdb, 10, 1, -8, 0xe1) }, 1, NULL, "r1 = xchg_64(r10 - 8, r1)" },
	{ "lock xchg32 [%r10-4], %r1", { I(0xc3, 10, 1, -4, 0xe1) }, 1, NULL, "w1 = xchg32_32(r10 - 4, w1)" },
	{ "lock cmpxchg [%r10-8], %r1", { I(0xdb, 10, 1, -8, 0xf1) }, 1, NULL, "r0 = cmpxchg_64(r10 - 8, r0, r1)" },
	{ "lock cmpxchg32 [%r1+4], %r2", { I(0xc3, 1, 2, 4, 0xf1) }, 1, NULL, "w0 = cmpxchg32_32(r1 + 4, w0, w2)" },

	/* jumps, calls, exit */
	{ "ja +3", { I(0x05, 0, 0, 3, 0) }, 1, NULL, "goto +3" },
	{ "ja -1", { I(0x05, 0, 0, -1, 0) }, 1, NULL, "goto -1" },
	{ "ja +0", { I(0x05, 0, 0, 0, 0) }, 1, NULL, "goto +0" },
	{ "ja32 +100000", { I(0x06, 0, 0, 0, 100000) }, 1, NULL, "gotol +100000" },
	{ "gotol -2", { I(0x06, 0, 0, 0, -2) }, 1, "ja32 -2", "gotol -2" },
	{ "jeq %r1, 2, +3", { I(0x15, 1, 0, 3, 2) }, 1, NULL, "if r1 == 2 goto +3" },
	{ "jeq32 %r1, %r2, +3", { I(0x1e, 1, 2, 3, 0) }, 1, NULL, "if w1 == w2 goto +3" },
	{ "jgt32 %r1, %r2, -1", { I(0x2e, 1, 2, -1, 0) }, 1, NULL, "if w1 > w2 goto -1" },
	{ "jgt %r1, 0xffffffff, +1", { I(0x25, 1, 0, 1, -1) }, 1, "jgt %r1, -1, +1", "if r1 > -1 goto +1" },
	{ "jge %r1, %r2, +1", { I(0x3d, 1, 2, 1, 0) }, 1, NULL, "if r1 >= r2 goto +1" },
	{ "jset %r1, 0x10, +1", { I(0x45, 1, 0, 1, 16) }, 1, NULL, "if r1 & 16 goto +1" },
	{ "jset32 %r1, %r2, +1", { I(0x4e, 1, 2, 1, 0) }, 1, NULL, "if w1 & w2 goto +1" },
	{ "jne %r1, 0, +1", { I(0x55, 1, 0, 1, 0) }, 1, NULL, "if r1 != 0 goto +1" },
	{ "jsgt %r1, -1, +1", { I(0x65, 1, 0, 1, -1) }, 1, NULL, "if r1 s> -1 goto +1" },
	{ "jsge32 %r1, 5, +1", { I(0x76, 1, 0, 1, 5) }, 1, NULL, "if w1 s>= 5 goto +1" },
	{ "jlt %r1, %r2, +1", { I(0xad, 1, 2, 1, 0) }, 1, NULL, "if r1 < r2 goto +1" },
	{ "jle32 %r1, 7, +1", { I(0xb6, 1, 0, 1, 7) }, 1, NULL, "if w1 <= 7 goto +1" },
	{ "jslt %r1, %r2, +1", { I(0xcd, 1, 2, 1, 0) }, 1, NULL, "if r1 s< r2 goto +1" },
	{ "jsle32 %r1, %r2, +1", { I(0xde, 1, 2, 1, 0) }, 1, NULL, "if w1 s<= w2 goto +1" },
	{ "call 1", { I(0x85, 0, 0, 0, 1) }, 1, NULL, "call 1" },
	{ "call local +5", { I(0x85, 0, 1, 0, 5) }, 1, NULL, "call 5" },
	{ "call local -3", { I(0x85, 0, 1, 0, -3) }, 1, NULL, "call -3" },
	{ "call %r2", { I(0x8d, 2, 0, 0, 0) }, 1, NULL, "callx r2" },
	{ "exit", { I(0x95, 0, 0, 0, 0) }, 1, NULL, "exit" },

	/* raw encodings: what has no mnemonic form prints as .insn */
	{ ".insn 0x85, 0, 2, 0, 7", { I(0x85, 0, 2, 0, 7) }, 1, NULL, "call 7" },
	{ ".insn 0xff, 1, 2, 3, 4", { I(0xff, 1, 2, 3, 4) }, 1, NULL, "<unknown>" },
	{ ".insn 7, 1, 3, 0, 5", { I(0x07, 1, 3, 0, 5) }, 1, ".insn 0x07, 1, 3, 0, 5", "r1 += 5" },
	{ ".insn 0xb7, 11, 0, 0, 0", { I(0xb7, 11, 0, 0, 0) }, 1, NULL, "r11 = 0" },
	{ ".insn 0x61, 1, 2, 0xffff, -1", { I(0x61, 1, 2, -1, -1) }, 1, ".insn 0x61, 1, 2, -1, -1",
	  "r1 = *(u32 *)(r2 - 1)" },
	{ ".insn 0x18, 1, 4, 0, 5\n.insn 0, 0, 0, 0, 0", { I(0x18, 1, 4, 0, 5), I(0, 0, 0, 0, 0) }, 2,
	  ".insn 0x18, 1, 4, 0, 5\n.insn 0x00, 0, 0, 0, 0", "ld_pseudo\tr1, 4, 5" },
	{ "lddw %r1, map:3\n", { I(0x18, 1, 1, 0, 3), I(0, 0, 0, 0, 0) }, 2, "lddw %r1, map:3", "ld_pseudo\tr1, 1, 3" },
	{ ".insn 0x18, 1, 1, 0, 3\n.insn 0, 0, 0, 0, 9", { I(0x18, 1, 1, 0, 3), I(0, 0, 0, 0, 9) }, 2,
	  ".insn 0x18, 1, 1, 0, 3\n.insn 0x00, 0, 0, 0, 9", "ld_pseudo\tr1, 1, 3" },
	{ ".insn 0x18, 1, 0, 0, 3", { I(0x18, 1, 0, 0, 3) }, 1, ".insn 0x18, 1, 0, 0, 3", "<unknown>" },
};

static char *disasm_text(const struct bpf_insn *insns, size_t n, enum uebpf_asm_style style)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(uebpf_disasm(insns, n, style, f), 0);
	fclose(f);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = 0;
	return buf;
}

static void assemble_ok(const char *text, struct bpf_insn **out, size_t *n)
{
	char log[256] = "";
	int err = uebpf_asm(text, out, n, log, sizeof(log));
	if (err)
		fail_msg("'%s': %s", text, log);
}

static void test_forms(void **state)
{
	for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		const struct form_case *c = &forms[k];
		struct bpf_insn *p, *q;
		size_t n, n2;
		char buf[128];

		assemble_ok(c->text, &p, &n);
		if (n != c->n || memcmp(p, c->insn, n * sizeof(*p)))
			fail_msg("'%s' assembles to other bytes", c->text);

		char *canon = disasm_text(p, n, UEBPF_ASM_STYLE_UEBPF);
		if (strcmp(canon, c->canon ? c->canon : c->text))
			fail_msg("'%s' disassembles to '%s'", c->text, canon);
		assemble_ok(canon, &q, &n2);
		assert_int_equal(n2, n);
		assert_memory_equal(q, p, n * sizeof(*p));

		int slots = uebpf_disasm_insn(p, n, 0, UEBPF_ASM_STYLE_LLVM, buf, sizeof(buf));
		assert_true(slots == 1 || slots == 2);
		if (strcmp(buf, c->llvm))
			fail_msg("'%s' in llvm style is '%s', expected '%s'", c->text, buf, c->llvm);
		free(canon);
		free(p);
		free(q);
	}
}

/* Every row of the table: build an instruction of that form, check that the
 * table finds the same row, that the checker accepts its fields and that its
 * text assembles back to the same bytes. */
static void test_every_row(void **state)
{
	for (size_t k = 0; k < isa_n_ops; k++) {
		const struct isa_op *op = &isa_ops[k];
		struct bpf_insn in[2] = { { .code = op->code } };
		const struct isa_op *found;
		char msg[96];

		if (isa_form_uses_dst(op->form))
			in[0].dst_reg = 1;
		if (isa_form_uses_src(op->form))
			in[0].src_reg = 2;
		if (op->form == FORM_LDX || op->form == FORM_ST || op->form == FORM_STX || op->form == FORM_ATOMIC ||
		    op->form == FORM_JA || op->form == FORM_JCOND_K || op->form == FORM_JCOND_X)
			in[0].off = -8;
		if (op->form == FORM_ALU_K || op->form == FORM_LDDW || op->form == FORM_LDABS || op->form == FORM_LDIND ||
		    op->form == FORM_ST || op->form == FORM_JA32 || op->form == FORM_JCOND_K || op->form == FORM_CALL ||
		    op->form == FORM_CALL_LOCAL || op->form == FORM_CALL_BTF)
			in[0].imm = 0x12345;
		if (op->sel == SEL_OFF)
			in[0].off = (int16_t)op->sel_val;
		else if (op->sel == SEL_IMM)
			in[0].imm = op->sel_val;
		else if (op->sel == SEL_SRC)
			in[0].src_reg = (uint8_t)op->sel_val;
		if (op->form == FORM_LDDW && op->sel_val == BPF_PSEUDO_MAP_VALUE)
			in[1].imm = 24;

		found = isa_lookup(&in[0]);
		if (found != op)
			fail_msg("row %zu (%s, code %02x) looks up as another row", k, op->name, op->code);
		if (isa_fields_check(&in[0], &found, msg, sizeof(msg)))
			fail_msg("row %zu (%s): %s", k, op->name, msg);

		size_t n = op->form == FORM_LDDW ? 2 : 1, n2;
		char *text = disasm_text(in, n, UEBPF_ASM_STYLE_UEBPF);
		if (op->name && strncmp(text, op->name, strlen(op->name)))
			fail_msg("row %zu prints as '%s', not as %s", k, text, op->name);
		if (!op->name && strncmp(text, ".insn", 5))
			fail_msg("row %zu has no name but prints as '%s'", k, text);
		struct bpf_insn *q;
		assemble_ok(text, &q, &n2);
		assert_int_equal(n2, n);
		assert_memory_equal(q, in, n * sizeof(*q));
		free(q);
		free(text);

		char buf[128];
		uebpf_disasm_insn(in, n, 0, UEBPF_ASM_STYLE_LLVM, buf, sizeof(buf));
		if (!strcmp(buf, "<unknown>"))
			fail_msg("row %zu (%s) has no llvm text", k, op->name);
	}
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random instructions, biased towards known opcodes and small fields, print
 * in the UEBPF style as text that assembles back to the same bytes. */
static void test_random_round_trip(void **state)
{
	enum { N = 20000 };
	struct bpf_insn *p = calloc(N, sizeof(*p)), *q;
	uint64_t s = 42;
	size_t n2;

	assert_non_null(p);
	for (size_t i = 0; i < N; i++) {
		uint64_t r = rng_next(&s);
		memcpy(&p[i], &r, sizeof(r));
		if (r & (1ull << 63))
			p[i].code = isa_ops[rng_next(&s) % isa_n_ops].code;
		if (r & (1ull << 62)) {
			p[i].off = (int16_t)(p[i].off % 40);
			p[i].dst_reg %= 11;
			p[i].src_reg %= 7;
		}
		if ((r & (3ull << 60)) == 0)
			p[i].imm = (int32_t)(rng_next(&s) % 300);
	}
	char *text = disasm_text(p, N, UEBPF_ASM_STYLE_UEBPF);
	assemble_ok(text, &q, &n2);
	assert_int_equal(n2, N);
	for (size_t i = 0; i < N; i++)
		if (memcmp(&p[i], &q[i], sizeof(*p)))
			fail_msg("insn %zu does not round-trip", i);

	char buf[128];
	for (size_t i = 0; i < N; i++) /* the llvm style decodes anything */
		assert_true(uebpf_disasm_insn(p, N, i, UEBPF_ASM_STYLE_LLVM, buf, sizeof(buf)) > 0);
	free(text);
	free(p);
	free(q);
}

static void test_disasm_edges(void **state)
{
	struct bpf_insn p[] = { I(0x95, 0, 0, 0, 0) };
	char buf[8];

	assert_int_equal(uebpf_disasm_insn(p, 1, 1, UEBPF_ASM_STYLE_UEBPF, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(uebpf_disasm_insn(NULL, 0, 0, UEBPF_ASM_STYLE_LLVM, buf, sizeof(buf)), -EINVAL);
	/* a short buffer truncates, never overflows */
	assert_int_equal(uebpf_disasm_insn(p, 1, 0, UEBPF_ASM_STYLE_UEBPF, buf, 3), 1);
	assert_string_equal(buf, "ex");
	assert_int_equal(uebpf_disasm_insn(p, 1, 0, UEBPF_ASM_STYLE_UEBPF, NULL, 0), 1);
}

/* ---- the checker ---------------------------------------------------- */

struct check_case {
	const char *what;
	struct bpf_insn insns[8];
	size_t n;
	const char *msg; /* NULL: accepted */
};

#define EXIT I(0x95, 0, 0, 0, 0)
#define MOV0 I(0xb7, 0, 0, 0, 0)

static const struct check_case checks[] = {
	{ "minimal", { MOV0, EXIT }, 2, NULL },
	{ "ends in ja", { MOV0, I(0x05, 0, 0, -2, 0) }, 2, NULL },
	{ "ends in gotol", { MOV0, I(0x06, 0, 0, 0, -2) }, 2, NULL },
	{ "every pseudo lddw", { I(0x18, 1, 1, 0, 3), I(0, 0, 0, 0, 0), I(0x18, 1, 2, 0, 3), I(0, 0, 0, 0, 8),
				 I(0x18, 1, 6, 0, 1), I(0, 0, 0, 0, 8), MOV0, EXIT }, 8, NULL },
	{ "a subprogram", { I(0x85, 0, 1, 0, 1), EXIT, MOV0, MOV0, EXIT }, 5, NULL },
	{ "a function pointer", { I(0x18, 2, 4, 0, 2), I(0, 0, 0, 0, 0), EXIT, MOV0, EXIT }, 5, NULL },
	{ "signed ops, movsx, ldsx, bswap, callx",
	  { I(0x3f, 1, 2, 1, 0), I(0xbc, 1, 2, 16, 0), I(0x91, 1, 10, -1, 0), I(0xd7, 1, 0, 0, 64),
	    I(0x8d, 2, 0, 0, 0), I(0xdb, 10, 1, -8, 0xf1), EXIT }, 7, NULL },
	{ "r10 as a base and a source", { I(0x7b, 10, 10, -8, 0), I(0xdb, 10, 10, -8, 0), EXIT }, 3, NULL },
	{ "div by an immediate zero is the verifier's business", { I(0x37, 0, 0, 0, 0), EXIT }, 2, NULL },

	{ "empty", { EXIT }, 0, "insn 0: empty program" },
	{ "unknown opcode", { I(0xe7, 0, 0, 0, 0), EXIT }, 2, "insn 0: unknown opcode e7" },
	{ "unknown jmp32 call", { MOV0, I(0x86, 0, 0, 0, 1), EXIT }, 3, "insn 1: unknown opcode 86" },
	{ "no ldxsdw", { I(0x99, 0, 1, 0, 0), EXIT }, 2, "insn 0: unknown opcode 99" },
	{ "no byte-sized atomics", { I(0xd3, 1, 2, 0, 0), EXIT }, 2, "insn 0: unknown opcode d3" },
	{ "no be for alu64", { I(0xdf, 1, 0, 0, 16), EXIT }, 2, "insn 0: unknown opcode df" },
	{ "alu off", { I(0x07, 0, 0, 2, 1), EXIT }, 2, "insn 0: BPF_ALU uses reserved fields" },
	{ "add off=1 is not signed", { I(0x0f, 0, 1, 1, 0), EXIT }, 2, "insn 0: BPF_ALU uses reserved fields" },
	{ "alu k src", { I(0x07, 0, 1, 0, 1), EXIT }, 2, "insn 0: BPF_ALU uses reserved fields" },
	{ "alu x imm", { I(0x0f, 0, 1, 0, 1), EXIT }, 2, "insn 0: BPF_ALU uses reserved fields" },
	{ "mov k off", { I(0xb7, 0, 0, 8, 1), EXIT }, 2, "insn 0: BPF_MOV uses reserved fields" },
	{ "movsx32 from 32", { I(0xbc, 0, 1, 32, 0), EXIT }, 2, "insn 0: BPF_MOV uses reserved fields" },
	{ "movsx other width", { I(0xbf, 0, 1, 4, 0), EXIT }, 2, "insn 0: BPF_MOV uses reserved fields" },
	{ "neg imm", { I(0x87, 0, 0, 0, 1), EXIT }, 2, "insn 0: BPF_NEG uses reserved fields" },
	{ "end width", { I(0xdc, 0, 0, 0, 17), EXIT }, 2, "insn 0: BPF_END uses reserved fields" },
	{ "bad dst", { I(0xb7, 11, 0, 0, 0), EXIT }, 2, "insn 0: R11 is invalid" },
	{ "bad src", { I(0xbf, 0, 12, 0, 0), EXIT }, 2, "insn 0: R12 is invalid" },
	{ "bad jump src", { I(0x1d, 1, 15, 0, 0), EXIT }, 2, "insn 0: R15 is invalid" },
	{ "write r10", { I(0xb7, 10, 0, 0, 0), EXIT }, 2, "insn 0: frame pointer is read only" },
	{ "load into r10", { I(0x79, 10, 1, 0, 0), EXIT }, 2, "insn 0: frame pointer is read only" },
	{ "lddw into r10", { I(0x18, 10, 0, 0, 0), I(0, 0, 0, 0, 0), EXIT }, 3,
	  "insn 0: frame pointer is read only" },
	{ "fetch into r10", { I(0xdb, 1, 10, 0, 0x01), EXIT }, 2, "insn 0: frame pointer is read only" },
	{ "xchg into r10", { I(0xc3, 1, 10, 0, 0xe1), EXIT }, 2, "insn 0: frame pointer is read only" },
	{ "lddw at the end", { MOV0, I(0x18, 0, 0, 0, 0) }, 2, "insn 1: invalid bpf_ld_imm64 insn" },
	{ "lddw second slot code", { I(0x18, 0, 0, 0, 0), I(0x95, 0, 0, 0, 0), EXIT }, 3,
	  "insn 0: invalid bpf_ld_imm64 insn" },
	{ "lddw second slot reg", { I(0x18, 0, 0, 0, 0), I(0, 1, 0, 0, 0), EXIT }, 3,
	  "insn 0: invalid bpf_ld_imm64 insn" },
	{ "lddw second slot off", { I(0x18, 0, 0, 0, 0), I(0, 0, 0, 1, 0), EXIT }, 3,
	  "insn 0: invalid bpf_ld_imm64 insn" },
	{ "lddw off", { I(0x18, 0, 0, 1, 0), I(0, 0, 0, 0, 0), EXIT }, 3, "insn 0: BPF_LD_IMM64 uses reserved fields" },
	{ "lddw unknown pseudo", { I(0x18, 0, 7, 0, 0), I(0, 0, 0, 0, 0), EXIT }, 3,
	  "insn 0: unrecognized bpf_ld_imm64 insn" },
	{ "lddw map with offset", { I(0x18, 0, 1, 0, 0), I(0, 0, 0, 0, 4), EXIT }, 3,
	  "insn 0: unrecognized bpf_ld_imm64 insn" },
	{ "ldx imm", { I(0x61, 0, 1, 0, 1), EXIT }, 2, "insn 0: BPF_LDX uses reserved fields" },
	{ "st src", { I(0x62, 10, 1, -4, 1), EXIT }, 2, "insn 0: BPF_ST uses reserved fields" },
	{ "stx imm", { I(0x63, 10, 1, -4, 1), EXIT }, 2, "insn 0: BPF_STX uses reserved fields" },
	{ "atomic op", { I(0xdb, 10, 1, -8, 0x02), EXIT }, 2, "insn 0: BPF_ATOMIC uses invalid atomic opcode 02" },
	{ "ldabs dst", { I(0x30, 1, 0, 0, 1), EXIT }, 2, "insn 0: BPF_LD_[ABS|IND] uses reserved fields" },
	{ "ldind off", { I(0x50, 0, 1, 1, 1), EXIT }, 2, "insn 0: BPF_LD_[ABS|IND] uses reserved fields" },
	{ "ja imm", { I(0x05, 0, 0, 0, 1), EXIT }, 2, "insn 0: BPF_JA uses reserved fields" },
	{ "gotol off", { I(0x06, 0, 0, 1, 0), EXIT }, 2, "insn 0: BPF_JA uses reserved fields" },
	{ "jeq k src", { I(0x15, 0, 1, 0, 0), EXIT }, 2, "insn 0: BPF_JMP/JMP32 uses reserved fields" },
	{ "jeq x imm", { I(0x1d, 0, 1, 0, 1), EXIT }, 2, "insn 0: BPF_JMP/JMP32 uses reserved fields" },
	{ "call dst", { I(0x85, 1, 0, 0, 1), EXIT }, 2, "insn 0: BPF_CALL uses reserved fields" },
	{ "call pseudo kind", { I(0x85, 0, 3, 0, 1), EXIT }, 2, "insn 0: BPF_CALL uses reserved fields" },
	{ "callx imm", { I(0x8d, 1, 0, 0, 1), EXIT }, 2, "insn 0: BPF_CALL uses reserved fields" },
	{ "exit dst", { I(0x95, 1, 0, 0, 0) }, 1, "insn 0: BPF_EXIT uses reserved fields" },
	{ "jump past the end", { I(0x05, 0, 0, 5, 0), EXIT }, 2, "insn 0: jump out of range from insn 0 to 6" },
	{ "jump before the start", { I(0x05, 0, 0, -2, 0), EXIT }, 2, "insn 0: jump out of range from insn 0 to -1" },
	{ "cond jump past the end", { MOV0, I(0x15, 0, 0, 1, 0), EXIT }, 3,
	  "insn 1: jump out of range from insn 1 to 3" },
	{ "gotol past the end", { I(0x06, 0, 0, 0, 100000), EXIT }, 2,
	  "insn 0: jump out of range from insn 0 to 100001" },
	{ "jump into lddw", { I(0x15, 1, 0, 1, 0), I(0x18, 0, 0, 0, 0), I(0, 0, 0, 0, 0), EXIT }, 4,
	  "insn 0: jump into the middle of ldimm64 insn 1" },
	{ "call into lddw", { I(0x85, 0, 1, 0, 2), EXIT, I(0x18, 0, 0, 0, 0), I(0, 0, 0, 0, 0), EXIT }, 5,
	  "insn 0: jump into the middle of ldimm64 insn 2" },
	{ "call past the end", { I(0x85, 0, 1, 0, 10), EXIT }, 2, "insn 0: call to invalid destination insn 11" },
	{ "call before the start", { I(0x85, 0, 1, 0, -2), EXIT }, 2, "insn 0: call to invalid destination insn -1" },
	{ "function pointer past the end", { I(0x18, 1, 4, 0, 5), I(0, 0, 0, 0, 0), EXIT }, 3,
	  "insn 0: call to invalid destination insn 6" },
	{ "falls off the end", { MOV0 }, 1, "insn 0: last insn is not an exit or jmp" },
	{ "ends in a cond jump", { MOV0, I(0x15, 0, 0, -2, 0) }, 2, "insn 1: last insn is not an exit or jmp" },
	{ "ends in a call", { I(0x85, 0, 0, 0, 1) }, 1, "insn 0: last insn is not an exit or jmp" },
	{ "ends in lddw", { I(0x18, 0, 0, 0, 0), I(0, 0, 0, 0, 0) }, 2, "insn 1: last insn is not an exit or jmp" },
	{ "falls into a subprogram", { I(0x85, 0, 1, 0, 1), MOV0, EXIT }, 3,
	  "insn 1: last insn is not an exit or jmp" },
	{ "subprogram falls off", { I(0x85, 0, 1, 0, 1), EXIT, MOV0 }, 3, "insn 2: last insn is not an exit or jmp" },
	{ "jump into a subprogram", { I(0x85, 0, 1, 0, 2), I(0x05, 0, 0, 1, 0), EXIT, EXIT }, 4,
	  "insn 1: jump out of range from insn 1 to 3" },
	{ "first error wins", { I(0xe7, 0, 0, 0, 0), I(0xb7, 11, 0, 0, 0) }, 2, "insn 0: unknown opcode e7" },
};

static void test_check(void **state)
{
	for (size_t k = 0; k < sizeof(checks) / sizeof(checks[0]); k++) {
		const struct check_case *c = &checks[k];
		char log[128] = "";
		int err = uebpf_insns_check(c->insns, c->n, log, sizeof(log));
		if (!c->msg && err)
			fail_msg("%s: rejected: %s", c->what, log);
		if (c->msg && err != -EINVAL)
			fail_msg("%s: accepted (%d), expected '%s'", c->what, err, c->msg);
		if (c->msg && strcmp(log, c->msg))
			fail_msg("%s: '%s', expected '%s'", c->what, log, c->msg);
	}
	/* no log buffer is fine */
	struct bpf_insn bad[] = { I(0xe7, 0, 0, 0, 0) };
	assert_int_equal(uebpf_insns_check(bad, 1, NULL, 0), -EINVAL);
}

/* Random bytes never crash the checker, and whatever it accepts decodes. */
static void test_check_random(void **state)
{
	enum { N = 64, ROUNDS = 20000 };
	struct bpf_insn p[N];
	uint64_t s = 7;
	size_t accepted = 0;

	for (int r = 0; r < ROUNDS; r++) {
		size_t n = 1 + rng_next(&s) % N;
		for (size_t i = 0; i < n; i++) {
			uint64_t v = rng_next(&s);
			memcpy(&p[i], &v, sizeof(v));
			p[i].code = isa_ops[rng_next(&s) % isa_n_ops].code;
			p[i].dst_reg %= 11;
			p[i].src_reg %= 3;
			p[i].off %= 4;
			if (v & 1)
				p[i].imm %= 4;
		}
		p[n - 1] = (struct bpf_insn)EXIT;
		if (uebpf_insns_check(p, n, NULL, 0) == 0) {
			accepted++;
			char buf[128];
			for (size_t i = 0; i < n;) {
				int slots = uebpf_disasm_insn(p, n, i, UEBPF_ASM_STYLE_UEBPF, buf, sizeof(buf));
				assert_true(slots > 0);
				assert_true(strncmp(buf, ".insn", 5) != 0 || (p[i].code == 0x85 && p[i].src_reg == 2) ||
					    (p[i].code == 0x18 && p[i].src_reg > 2));
				i += (size_t)slots;
			}
		}
	}
	assert_true(accepted > 100);
}

/* ---- assembler errors and syntax --------------------------------------- */

struct asm_error {
	const char *text;
	const char *msg;
};

static const struct asm_error asm_errors[] = {
	{ "foo %r1", "line 1: unknown mnemonic 'foo'" },
	{ "mov %r0, 0\nadd %r1", "line 2: bad operands for 'add': expected %rN, IMM or %rN, %rN" },
	{ "exit %r0", "line 1: bad operands for 'exit': expected no operands" },
	{ "ldxw %r0, %r1", "line 1: bad operands for 'ldxw': expected %rN, [%rN+OFF]" },
	{ "ja 5", "line 1: bad operands for 'ja': expected TARGET" },
	{ "lock foo [%r1], %r2", "line 1: unknown mnemonic 'lock foo'" },
	{ "lock fetch xchg [%r1], %r2", "line 1: unknown mnemonic 'lock fetch xchg'" },
	{ "mov %r11, 1", "line 1: invalid register '%r11' (expected %r0 .. %r10)" },
	{ "mov %r01, 1", "line 1: invalid register '%r01' (expected %r0 .. %r10)" },
	{ "mov %rx, 1", "line 1: invalid register '%rx' (expected %r0 .. %r10)" },
	{ "mov %r1, 12a", "line 1: bad number '12a'" },
	{ "mov %r1, 0x", "line 1: bad number '0x'" },
	{ "mov32 %r0, 0x100000000", "line 1: immediate 0x100000000 out of range" },
	{ "mov %r0, -2147483649", "line 1: immediate -2147483649 out of range" },
	{ "lddw %r0, 0x10000000000000000", "line 1: immediate 0x10000000000000000 out of range" },
	{ "lddw %r0, -9223372036854775809", "line 1: immediate -9223372036854775809 out of range" },
	{ "ldxw %r0, [%r1+40000]", "line 1: offset +40000 out of range" },
	{ "ldxw %r0, [%r1-32769]", "line 1: offset -32769 out of range" },
	{ "ldxw %r0, [%r1+]", "line 1: bad memory offset ''" },
	{ "ldxw %r0, [%r1", "line 1: bad memory operand '[%r1' (expected [%rN+OFF])" },
	{ "stxw [%r1+-4], %r2", "line 1: bad memory offset '-4'" },
	{ "jeq %r1, 0, +40000", "line 1: jump offset +40000 out of range" },
	{ "ja32 +2147483648", "line 1: jump offset +2147483648 out of range" },
	{ "ja nowhere\nexit", "line 1: undefined label 'nowhere'" },
	{ "ja exit", "line 1: undefined label 'exit'" },
	{ "a:\nexit\na: exit", "line 3: duplicate label 'a' (first defined at line 1)" },
	{ "1a: exit", "line 1: bad label name '1a'" },
	{ ".insn 0x100, 0, 0, 0, 0", "line 1: opcode 0x100 out of range" },
	{ ".insn 0x95, 16, 0, 0, 0", "line 1: register 16 out of range" },
	{ ".insn 0x95, 0, 0, 0", "line 1: bad operands for '.insn': expected CODE, DST, SRC, OFF, IMM" },
	{ "add %r1,, 2", "line 1: empty operand 2" },
	{ "add %r1, 1, 2, 3, 4, 5, 6", "line 1: too many operands" },
	{ "lddw %r1, map:1+4", "line 1: map:N takes no offset (use mapval:N+OFF)" },
	{ "lddw %r1, mapval:1+0x100000000", "line 1: map value offset 0x100000000 out of range" },
	{ "call local", "line 1: bad operands for 'call': expected IMM or local TARGET or %rN" },
};

static void test_asm_errors(void **state)
{
	for (size_t k = 0; k < sizeof(asm_errors) / sizeof(asm_errors[0]); k++) {
		static struct bpf_insn dummy;
		struct bpf_insn *p = &dummy;
		size_t n = 99;
		char log[256] = "";
		int err = uebpf_asm(asm_errors[k].text, &p, &n, log, sizeof(log));
		if (err != -EINVAL)
			fail_msg("'%s' assembled (%d)", asm_errors[k].text, err);
		assert_null(p);
		assert_int_equal(n, 0);
		if (strcmp(log, asm_errors[k].msg))
			fail_msg("'%s': '%s', expected '%s'", asm_errors[k].text, log, asm_errors[k].msg);
	}
}

/* "JUMP far", 40000 exits, then "far: exit" */
static char *far_text(const char *jump)
{
	char *text = malloc(40000 * 5 + 64), *t = text;
	assert_non_null(text);
	t += sprintf(t, "%s far\n", jump);
	for (int i = 0; i < 40000; i++)
		t += sprintf(t, "exit\n");
	sprintf(t, "far: exit\n");
	return text;
}

static void test_far_label(void **state)
{
	struct bpf_insn *p;
	size_t n;
	char log[256];

	/* a label 40000 instructions away does not fit in a 16-bit offset ... */
	char *text = far_text("ja");
	assert_int_equal(uebpf_asm(text, &p, &n, log, sizeof(log)), -EINVAL);
	assert_string_equal(log, "line 1: jump to 'far' out of range (offset 40000)");
	free(text);

	/* ... but fits in gotol's 32-bit one */
	text = far_text("ja32");
	assemble_ok(text, &p, &n);
	assert_int_equal(n, 40002);
	assert_int_equal(p[0].code, BPF_JMP32 | BPF_JA);
	assert_int_equal(p[0].imm, 40000);
	free(p);
	free(text);
}

static void test_asm_syntax(void **state)
{
	struct bpf_insn *p;
	size_t n;

	/* comments, blank lines, CRLF, tabs, a label with an instruction on its line */
	assemble_ok("# header\r\n\r\n\tstart:  mov %r0,0 # zero\r\n  jeq %r0 , 0 , start\r\nexit", &p, &n);
	assert_int_equal(n, 3);
	assert_int_equal(p[1].off, -2);
	assert_int_equal(p[1].code, BPF_JMP | BPF_JEQ | BPF_K);
	free(p);

	/* `exit` names the first exit instruction ... */
	assemble_ok("jeq %r1, 0, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit", &p, &n);
	assert_int_equal(p[0].off, 1);
	free(p);
	/* ... unless a label of that name exists */
	assemble_ok("jeq %r1, 0, exit\nmov %r0, 1\nexit\nexit:\nmov %r0, 2\nexit", &p, &n);
	assert_int_equal(p[0].off, 2);
	free(p);

	/* labels before the jump, at the end, and bpf-to-bpf calls to them */
	assemble_ok("back:\ncall local fn\nja back\nexit\nfn:\nmov %r0, 1\nexit\nend:", &p, &n);
	assert_int_equal(n, 5);
	assert_int_equal(p[0].imm, 2);
	assert_int_equal(p[0].src_reg, BPF_PSEUDO_CALL);
	assert_int_equal(p[1].off, -2);
	free(p);

	/* nothing to assemble is not an error */
	assemble_ok("# nothing\n\n", &p, &n);
	assert_int_equal(n, 0);
	free(p);
	assemble_ok("", &p, &n);
	assert_int_equal(n, 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_every_row),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_disasm_edges),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_random),
		cmocka_unit_test(test_asm_errors),
		cmocka_unit_test(test_far_label),
		cmocka_unit_test(test_asm_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
