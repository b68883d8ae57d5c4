/* The cBPF interpreter: libpcap's bpf_filter run-time semantics (a failed
 * load or a division by zero X ends the run with 0), the kernel's ancillary
 * loads and negative offsets, and where the two differ the semantics the
 * caller chose. Programs have passed uebpf_classic_check_loose, so opcodes,
 * scratch slots and jump targets are valid; backward jumps are counted. */
#include "classic/internal.h"

static uint32_t shift(uint32_t a, uint32_t by, bool left, enum uebpf_classic_semantics sem)
{
	if (by >= 32) {
		if (sem == UEBPF_CLASSIC_LIBPCAP)
			return 0;
		by &= 31; /* the kernel's eBPF and the x86 shift mask the count */
	}
	return left ? a << by : a >> by;
}

uint32_t classic_interp(const struct sock_filter *insns, enum uebpf_classic_semantics sem,
			const struct uebpf_classic_pkt *pkt)
{
	const struct sock_filter *pc = insns;
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	uint32_t backjumps = 0;

	for (;;) {
		const struct sock_filter *in = pc++;
		uint32_t k = in->k;
		uint64_t off;

		switch (in->code) {
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return a;

		case BPF_LD | BPF_W | BPF_ABS:
		case BPF_LD | BPF_H | BPF_ABS:
		case BPF_LD | BPF_B | BPF_ABS:
			if (classic_is_ancillary(k)) {
				uint32_t ad = k - (uint32_t)SKF_AD_OFF;
				a = ad == SKF_AD_ALU_XOR_X ? a ^ x : classic_ancillary(pkt, ad, a, x);
				break;
			}
			off = k;
			goto load;
		case BPF_LD | BPF_W | BPF_IND:
		case BPF_LD | BPF_H | BPF_IND:
		case BPF_LD | BPF_B | BPF_IND:
			/* libpcap checks X + k without wrapping; the kernel adds in 32 bits */
			off = sem == UEBPF_CLASSIC_KERNEL ? (uint32_t)(x + k) : (uint64_t)x + k;
		load: {
			uint32_t size = BPF_SIZE(in->code) == BPF_W ? 4 : BPF_SIZE(in->code) == BPF_H ? 2 : 1;
			if (!classic_load(pkt, off, size, &a))
				return 0;
			break;
		}
		case BPF_LDX | BPF_B | BPF_MSH: {
			uint32_t v;
			if (!classic_load(pkt, k, 1, &v))
				return 0;
			x = (v & 0xf) << 2;
			break;
		}
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
