/* Classic instructions as text, in the exact format of libpcap's bpf_image
 * (what `tcpdump -d` prints), including its quirks: signed decimal for most
 * operands, `unimp` for codes it does not name (ldx #pktlen among them),
 * and the jt/jf columns on every jump-class code except ja. */
#include <stdio.h>

#include "classic/internal.h"

static const char *const ancillary_names[SKF_AD_MAX / 4] = {
	"proto", "type", "ifidx", "nla", "nlan", "mark", "queue", "hatype",
	"rxhash", "cpu", "xor_x", "vlan_tci", "vlanp", "poff", "random", "vlan_tpid",
};

static const char *alu_name(uint16_t code)
{
	switch (BPF_OP(code)) {
	case BPF_ADD: return "add";
	case BPF_SUB: return "sub";
	case BPF_MUL: return "mul";
	case BPF_DIV: return "div";
	case BPF_MOD: return "mod";
	case BPF_AND: return "and";
	case BPF_OR: return "or";
	case BPF_XOR: return "xor";
	case BPF_LSH: return "lsh";
	case BPF_RSH: return "rsh";
	default: return NULL;
	}
}

static const char *jmp_name(uint16_t code)
{
	switch (BPF_OP(code)) {
	case BPF_JGT: return "jgt";
	case BPF_JGE: return "jge";
	case BPF_JEQ: return "jeq";
	case BPF_JSET: return "jset";
	default: return NULL;
	}
}

void uebpf_classic_format_insn(const struct sock_filter *in, size_t i, char *buf, size_t buf_sz)
{
	const char *op = NULL;
	char operand[64] = "";
	int32_t sk = (int32_t)in->k;
	uint16_t c = in->code;
	static const char *const ld_op[] = { [BPF_W] = "ld", [BPF_H] = "ldh", [BPF_B] = "ldb" };

	switch (c) {
	case BPF_RET | BPF_K:
		op = "ret";
		snprintf(operand, sizeof(operand), "#%d", sk);
		break;
	case BPF_RET | BPF_A:
		op = "ret";
		break;
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
		op = ld_op[BPF_SIZE(c)];
		if (classic_is_ancillary(in->k))
			snprintf(operand, sizeof(operand), "[%s]", ancillary_names[(in->k - (uint32_t)SKF_AD_OFF) / 4]);
		else
			snprintf(operand, sizeof(operand), "[%d]", sk);
		break;
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
		op = ld_op[BPF_SIZE(c)];
		snprintf(operand, sizeof(operand), "[x + %d]", sk);
		break;
	case BPF_LD | BPF_W | BPF_LEN:
		op = "ld";
		snprintf(operand, sizeof(operand), "#pktlen");
		break;
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
		op = c == BPF_LD ? "ld" : "ldx";
		snprintf(operand, sizeof(operand), "#0x%x", in->k);
		break;
	case BPF_LDX | BPF_B | BPF_MSH:
		op = "ldxb";
		snprintf(operand, sizeof(operand), "4*([%d]&0xf)", sk);
		break;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		op = c == (BPF_LD | BPF_MEM) ? "ld" : c == (BPF_LDX | BPF_MEM) ? "ldx" : c == BPF_ST ? "st" : "stx";
		snprintf(operand, sizeof(operand), "M[%d]", sk);
		break;
	case BPF_JMP | BPF_JA:
		op = "ja";
		/* int arithmetic in libpcap; wrapping, here, without the overflow */
		snprintf(operand, sizeof(operand), "%d", (int32_t)((uint32_t)i + 1 + in->k));
		break;
	case BPF_ALU | BPF_NEG:
		op = "neg";
		break;
	case BPF_MISC | BPF_TAX:
		op = "tax";
		break;
	case BPF_MISC | BPF_TXA:
		op = "txa";
		break;
	default:
		if (BPF_CLASS(c) == BPF_JMP && c < 0x100 && jmp_name(c)) {
			op = jmp_name(c);
		} else if (BPF_CLASS(c) == BPF_ALU && c < 0x100 && alu_name(c)) {
			op = alu_name(c);
		} else {
			op = "unimp";
			snprintf(operand, sizeof(operand), "0x%x", c);
			break;
		}
		if (BPF_SRC(c) == BPF_X)
			snprintf(operand, sizeof(operand), "x");
		else if (BPF_CLASS(c) == BPF_JMP || BPF_OP(c) == BPF_AND || BPF_OP(c) == BPF_OR ||
			 BPF_OP(c) == BPF_XOR)
			snprintf(operand, sizeof(operand), "#0x%x", in->k);
		else
			snprintf(operand, sizeof(operand), "#%d", sk);
		break;
	}
	if (BPF_CLASS(c) == BPF_JMP && BPF_OP(c) != BPF_JA)
		snprintf(buf, buf_sz, "(%03d) %-8s %-16s jt %d\tjf %d", (int)i, op, operand, (int)i + 1 + in->jt,
			 (int)i + 1 + in->jf);
	else
		snprintf(buf, buf_sz, "(%03d) %-8s %s", (int)i, op, operand);
}
