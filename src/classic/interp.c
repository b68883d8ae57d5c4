/* The cBPF interpreter: libpcap's bpf_filter run-time semantics (a failed
 * load or a division by zero X ends the run with 0), the kernel's ancillary
 * loads and negative offsets, and where the two differ the semantics the
 * caller chose. Programs have passed uebpf_classic_check_loose, so opcodes,
 * scratch slots and jump targets are valid; backward jumps are counted. */
#include <string.h>

#include "classic/internal.h"

static inline uint32_t read_be(const uint8_t *p, uint32_t size)
{
	if (size == 4)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (size == 2)
		return (uint32_t)p[0] << 8 | p[1];
	return p[0];
}

/* A load's value, or LOAD_FAILED; returned rather than stored through a
 * pointer so that A stays in a register. */
#define LOAD_FAILED UINT64_MAX

/* Loads inside the capture are read here; negative offsets and misses go
 * to classic_load. */
static inline uint64_t load(const struct uebpf_classic_pkt *pkt, uint64_t off, uint32_t size)
{
	uint32_t v;

	if (off + size <= pkt->caplen)
		return read_be(pkt->data + off, size);
	return classic_load(pkt, off, size, &v) ? v : LOAD_FAILED;
}

/* ld [k] with k in the ancillary range: a known extension, or (as in the
 * kernel) a negative offset that fails. */
static uint64_t load_high(const struct uebpf_classic_pkt *pkt, uint32_t k, uint32_t size, uint32_t a, uint32_t x)
{
	uint32_t v;

	if (!classic_is_ancillary(k))
		return classic_load(pkt, k, size, &v) ? v : LOAD_FAILED;
	uint32_t ad = k - (uint32_t)SKF_AD_OFF;
	return ad == SKF_AD_ALU_XOR_X ? a ^ x : classic_ancillary(pkt, ad, a, x);
}

static uint32_t shift(uint32_t a, uint32_t by, bool left, enum uebpf_classic_semantics sem)
{
	if (by >= 32) {
		if (sem == UEBPF_CLASSIC_LIBPCAP)
			return 0;
		by &= 31; /* the kernel's eBPF and the x86 shift mask the count */
	}
	return left ? a << by : a >> by;
}

/* ld [k] and ld [x + k] of one size: constant sizes let the compiler
 * specialise each load. */
#define LOAD_CASES(SIZE, BYTES)                                                                      \
	case BPF_LD | SIZE | BPF_ABS:                                                                \
		v = k >= (uint32_t)SKF_AD_OFF ? load_high(pkt, k, BYTES, a, x) : load(pkt, k, BYTES);  \
		goto loaded;                                                                         \
	case BPF_LD | SIZE | BPF_IND:                                                                \
		/* libpcap checks X + k without wrapping; the kernel adds in 32 bits */             \
		v = load(pkt, sem == UEBPF_CLASSIC_KERNEL ? (uint32_t)(x + k) : (uint64_t)x + k, BYTES); \
		goto loaded;

uint32_t classic_interp(const struct sock_filter *insns, enum uebpf_classic_semantics sem, bool kernel_checked,
			const struct uebpf_classic_pkt *pkt)
{
	const struct sock_filter *pc = insns;
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS];
	uint32_t backjumps = 0;

	/* the kernel's rules guarantee a store before every read */
	if (!kernel_checked)
		memset(mem, 0, sizeof(mem));

	for (;;) {
		const struct sock_filter *in = pc++;
		uint32_t k = in->k;
		uint64_t v;

		switch (in->code) {
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return a;

		LOAD_CASES(BPF_W, 4)
		LOAD_CASES(BPF_H, 2)
		LOAD_CASES(BPF_B, 1)
		loaded:
			if (v == LOAD_FAILED)
				return 0;
			a = (uint32_t)v;
			break;
		case BPF_LDX | BPF_B | BPF_MSH:
			v = load(pkt, k, 1);
			if (v == LOAD_FAILED)
				return 0;
			x = ((uint32_t)v & 0xf) << 2;
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			a = pkt->wirelen;
			break;
		case BPF_LDX | BPF_W | BPF_LEN:
			x = pkt->wirelen;
			break;
		case BPF_LD | BPF_IMM:
			a = k;
			break;
		case BPF_LDX | BPF_IMM:
			x = k;
			break;
		case BPF_LD | BPF_MEM:
			a = mem[k];
			break;
		case BPF_LDX | BPF_MEM:
			x = mem[k];
			break;
		case BPF_ST:
			mem[k] = a;
			break;
		case BPF_STX:
			mem[k] = x;
			break;

		case BPF_JMP | BPF_JA:
			pc += (int32_t)k;
			if ((int32_t)k < 0 && ++backjumps > UEBPF_CLASSIC_MAX_BACKJUMPS)
				return 0;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & k) ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_X:
			pc += a > x ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_X:
			pc += a >= x ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JEQ | BPF_X:
			pc += a == x ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_X:
			pc += (a & x) ? in->jt : in->jf;
			break;

		case BPF_ALU | BPF_ADD | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_ADD | BPF_K:
			a += k;
			break;
		case BPF_ALU | BPF_SUB | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_SUB | BPF_K:
			a -= k;
			break;
		case BPF_ALU | BPF_MUL | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_MUL | BPF_K:
			a *= k;
			break;
		case BPF_ALU | BPF_DIV | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_DIV | BPF_K:
			if (k == 0)
				return 0;
			a /= k;
			break;
		case BPF_ALU | BPF_MOD | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_MOD | BPF_K:
			if (k == 0)
				return 0;
			a %= k;
			break;
		case BPF_ALU | BPF_AND | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_AND | BPF_K:
			a &= k;
			break;
		case BPF_ALU | BPF_OR | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_OR | BPF_K:
			a |= k;
			break;
		case BPF_ALU | BPF_XOR | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_XOR | BPF_K:
			a ^= k;
			break;
		case BPF_ALU | BPF_LSH | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_LSH | BPF_K:
			a = shift(a, k, true, sem);
			break;
		case BPF_ALU | BPF_RSH | BPF_X:
			k = x;
			/* fall through */
		case BPF_ALU | BPF_RSH | BPF_K:
			a = shift(a, k, false, sem);
			break;
		case BPF_ALU | BPF_NEG:
			a = 0u - a;
			break;

		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		default:
			/* unreachable after uebpf_classic_check_loose */
			return 0;
		}
	}
}
