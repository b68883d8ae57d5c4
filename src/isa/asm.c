/* The assembler: the text syntax of the conformance suite (bpf_conformance's
 * assembler), plus map:N / mapval:N+OFF, ldabs/ldind and .insn.
 *
 * A line is `[label:] [mnemonic operand, operand, ...] [# comment]`. The
 * mnemonic names rows of the opcode table; the operands' shapes (register,
 * number, memory reference, ...) pick the row, e.g. `add %r1, 2` vs
 * `add %r1, %r2`. Jump targets are labels or signed offsets (+N / -N); as in
 * bpf_conformance, `exit` names the first exit instruction unless a label
 * `exit:` is defined. Labels are resolved once the whole text is read. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isa/table.h"

#define MAX_OPERANDS 5

struct label {
	const char *name;
	size_t slot;
	unsigned line;
};

/* A jump or call whose target is a label, patched at the end. */
struct fixup {
	const char *name;
	size_t slot;
	unsigned line;
	bool wide; /* the target goes in imm (ja32, call local), else in off */
};

struct asm_state {
	struct bpf_insn *insns;
	size_t n, cap;
	struct label *labels;
	size_t n_labels, cap_labels;
	struct fixup *fixups;
	size_t n_fixups, cap_fixups;
	bool have_exit;
	size_t first_exit;
	unsigned line;
	char *log;
	size_t log_sz;
};

/* Log "line N: <message>" and return -EINVAL. */
static int __attribute__((format(printf, 2, 3))) fail(struct asm_state *st, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	uebpf_log(st->log, st->log_sz, "line %u: %s", st->line, msg);
	return -EINVAL;
}

static int oom(struct asm_state *st)
{
	uebpf_log(st->log, st->log_sz, "line %u: out of memory", st->line);
	return -ENOMEM;
}

/* Grow *arr (of *cap elements of size sz) to hold at least `need`. */
static int grow(void **arr, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	while (c < need)
		c *= 2;
	void *p = realloc(*arr, c * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

/* ---- numbers ---------------------------------------------------------- */

/* [+-](0x<hex> | <decimal>), the whole string: 0, -1 if it is not a
 * number, -2 if it does not fit in 64 bits. */
static int parse_num(const char *s, bool *neg, uint64_t *mag)
{
	*neg = false;
	if (*s == '+' || *s == '-')
		*neg = *s++ == '-';
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	uint64_t v = 0;
	bool overflow = false;
	for (; *s; s++) {
		int d;
		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			return -1;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			overflow = true;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*mag = v;
	return overflow ? -2 : 0;
}

/* A number in [-max_neg, max_pos]; returns it as a two's complement uint64. */
static int num_in(struct asm_state *st, const char *s, uint64_t max_neg, uint64_t max_pos, const char *what,
		  uint64_t *out)
{
	bool neg;
	uint64_t mag;
	int r = parse_num(s, &neg, &mag);

	if (r == -1)
		return fail(st, "bad number '%s'", s);
	if (r == -2 || (neg ? mag > max_neg : mag > max_pos))
		return fail(st, "%s %s out of range", what, s);
	*out = neg ? (uint64_t)0 - mag : mag;
	return 0;
}

/* A 32-bit immediate: signed or unsigned, e.g. -1 and 0xffffffff alike. */
static int imm32(struct asm_state *st, const char *s, int32_t *out)
{
	uint64_t v = 0;
	if (num_in(st, s, 1ull << 31, UINT32_MAX, "immediate", &v) < 0)
		return -EINVAL;
	*out = (int32_t)(uint32_t)v;
	return 0;
}

/* ---- operands --------------------------------------------------------- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static bool is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || c == '.';
}

static bool is_ident(const char *s)
{
	if (!is_ident_start(*s))
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
			return false;
	return true;
}

static int reg(struct asm_state *st, const char *s, uint8_t *out)
{
	bool neg;
	uint64_t v = 0;

	if (s[0] != '%' || s[1] != 'r' || !isdigit((unsigned char)s[2]) || parse_num(s + 2, &neg, &v) ||
	    v > BPF_REG_10 || (s[2] == '0' && s[3]))
		return fail(st, "invalid register '%s' (expected %%r0 .. %%r10)", s);
	*out = (uint8_t)v;
	return 0;
}

/* [%rN], [%rN+OFF], [%rN-OFF] */
static int mem(struct asm_state *st, char *s, uint8_t *r, int16_t *off)
{
	size_t len = strlen(s);
	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return fail(st, "bad memory operand '%s' (expected [%%rN+OFF])", s);
	s[len - 1] = 0;
	char *body = trim(s + 1);
	char *sign = strpbrk(body, "+-");
	*off = 0;
	if (sign) {
		bool neg = *sign == '-', sign2;
		uint64_t mag;
		*sign = 0;
		char *num = trim(sign + 1);
		int r = *num == '+' || *num == '-' ? -1 : parse_num(num, &sign2, &mag);
		if (r == -1)
			return fail(st, "bad memory offset '%s'", num);
		if (r == -2 || (neg ? mag > 32768 : mag > 32767))
			return fail(st, "offset %c%s out of range", neg ? '-' : '+', num);
		*off = (int16_t)(uint16_t)(neg ? 0 - mag : mag);
	}
	return reg(st, trim(body), r);
}

/* A jump target: +N / -N, or a label (patched later). */
static int target(struct asm_state *st, const char *s, bool wide, size_t slot, int32_t *out)
{
	*out = 0;
	if (*s == '+' || *s == '-') {
		uint64_t v = 0;
		if (wide ? num_in(st, s, 1ull << 31, INT32_MAX, "jump offset", &v)
			 : num_in(st, s, 32768, 32767, "jump offset", &v))
			return -EINVAL;
		*out = (int32_t)(uint32_t)v;
		return 0;
	}
	if (!is_ident(s))
		return fail(st, "bad jump target '%s' (expected a label, +N or -N)", s);
	if (grow((void **)&st->fixups, &st->cap_fixups, st->n_fixups + 1, sizeof(*st->fixups)) < 0)
		return oom(st);
	st->fixups[st->n_fixups++] = (struct fixup){ .name = s, .slot = slot, .line = st->line, .wide = wide };
	return 0;
}

/* ---- matching operands to rows ----------------------------------------- */

/* Operand signature of a row: R register, I imm32, L imm64, M memory,
 * T jump target, P map:N, V mapval:N+OFF, C `local TARGET`. */
static const char *signature(const struct isa_op *op)
{
	static const char *const sig[] = {
		[FORM_ALU_K] = "RI", [FORM_ALU_X] = "RR", [FORM_NEG] = "R", [FORM_END] = "R",
		[FORM_MOVSX] = "RR", [FORM_LDDW] = "RL", [FORM_LDABS] = "I", [FORM_LDIND] = "RI",
		[FORM_LDX] = "RM", [FORM_ST] = "MI", [FORM_STX] = "MR", [FORM_ATOMIC] = "MR",
		[FORM_JA] = "T", [FORM_JA32] = "T", [FORM_JCOND_K] = "RIT", [FORM_JCOND_X] = "RRT",
		[FORM_CALL] = "I", [FORM_CALL_LOCAL] = "C", [FORM_CALL_BTF] = "I", [FORM_CALLX] = "R",
		[FORM_EXIT] = "",
	};
	if (op->form == FORM_LDDW && op->sel_val == BPF_PSEUDO_MAP_FD)
		return "RP";
	if (op->form == FORM_LDDW && op->sel_val == BPF_PSEUDO_MAP_VALUE)
		return "RV";
	return sig[op->form];
}

static const char *describe(char c)
{
	switch (c) {
	case 'R': return "%rN";
	case 'I': return "IMM";
	case 'L': return "IMM64";
	case 'M': return "[%rN+OFF]";
	case 'T': return "TARGET";
	case 'P': return "map:N";
	case 'V': return "mapval:N+OFF";
	case 'C': return "local TARGET";
	}
	return "?";
}

static bool shape_fits(char sig, const char *s)
{
	switch (sig) {
	case 'R':
		return s[0] == '%';
	case 'M':
		return s[0] == '[';
	case 'I':
	case 'L':
		return isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+';
	case 'T':
		return s[0] == '-' || s[0] == '+' || is_ident(s);
	case 'P':
		return !strncmp(s, "map:", 4);
	case 'V':
		return !strncmp(s, "mapval:", 7);
	case 'C':
		return !strncmp(s, "local", 5) && isspace((unsigned char)s[5]);
	}
	return false;
}

static bool row_fits(const struct isa_op *op, char **ops, int n_ops)
{
	const char *sig = signature(op);
	if ((int)strlen(sig) != n_ops)
		return false;
	for (int k = 0; k < n_ops; k++)
		if (!shape_fits(sig[k], ops[k]))
			return false;
	return true;
}

/* Other spellings the conformance suite and LLVM use for the same rows. */
static const char *canonical(const char *name)
{
	static const char *const alias[][2] = {
		{ "swap16", "bswap16" }, { "swap32", "bswap32" }, { "swap64", "bswap64" }, { "gotol", "ja32" },
	};
	for (size_t k = 0; k < sizeof(alias) / sizeof(alias[0]); k++)
		if (!strcmp(name, alias[k][0]))
			return alias[k][1];
	return name;
}

/* ---- encoding ---------------------------------------------------------- */

static int emit(struct asm_state *st, const struct bpf_insn *insn, size_t count)
{
	if (st->n + count > UEBPF_MAX_INSNS)
		return fail(st, "program too large (more than %u instructions)", UEBPF_MAX_INSNS);
	if (grow((void **)&st->insns, &st->cap, st->n + count, sizeof(*st->insns)) < 0)
		return oom(st);
	memcpy(&st->insns[st->n], insn, count * sizeof(*insn));
	st->n += count;
	return 0;
}

/* map:N and mapval:N[+OFF] */
static int map_ref(struct asm_state *st, char *s, int32_t *idx, int32_t *off)
{
	char *p = strchr(s, ':') + 1;
	char *plus = strchr(p, '+');
	*off = 0;
	if (plus) {
		if (!strncmp(s, "map:", 4))
			return fail(st, "map:N takes no offset (use mapval:N+OFF)");
		*plus = 0;
		uint64_t v = 0;
		if (num_in(st, trim(plus + 1), 0, UINT32_MAX, "map value offset", &v) < 0)
			return -EINVAL;
		*off = (int32_t)(uint32_t)v;
	}
	return imm32(st, trim(p), idx);
}

static int encode(struct asm_state *st, const struct isa_op *op, char **ops)
{
	struct bpf_insn in[2];
	memset(in, 0, sizeof(in));
	in[0].code = op->code;
	if (op->sel == SEL_OFF)
		in[0].off = (int16_t)op->sel_val;
	else if (op->sel == SEL_IMM)
		in[0].imm = op->sel_val;
	else if (op->sel == SEL_SRC)
		in[0].src_reg = (uint8_t)op->sel_val;

	uint8_t r;
	size_t slot = st->n;
	switch (op->form) {
	case FORM_ALU_K:
		if (reg(st, ops[0], &r) || imm32(st, ops[1], &in[0].imm))
			return -EINVAL;
		in[0].dst_reg = r;
		break;
	case FORM_ALU_X:
	case FORM_MOVSX:
		if (reg(st, ops[0], &r))
			return -EINVAL;
		in[0].dst_reg = r;
		if (reg(st, ops[1], &r))
			return -EINVAL;
		in[0].src_reg = r;
		break;
	case FORM_NEG:
	case FORM_END:
	case FORM_CALLX:
		if (reg(st, ops[0], &r))
			return -EINVAL;
		in[0].dst_reg = r;
		break;
	case FORM_LDDW:
		if (reg(st, ops[0], &r))
			return -EINVAL;
		in[0].dst_reg = r;
		if (op->sel_val == 0) {
			uint64_t v = 0;
			if (num_in(st, ops[1], 1ull << 63, UINT64_MAX, "immediate", &v) < 0)
				return -EINVAL;
			in[0].imm = (int32_t)(uint32_t)v;
			in[1].imm = (int32_t)(uint32_t)(v >> 32);
		} else if (map_ref(st, ops[1], &in[0].imm, &in[1].imm) < 0) {
			return -EINVAL;
		}
		return emit(st, in, 2);
	case FORM_LDABS:
	case FORM_CALL:
	case FORM_CALL_BTF:
		if (imm32(st, ops[0], &in[0].imm))
			return -EINVAL;
		break;
	case FORM_LDIND:
		if (reg(st, ops[0], &r) || imm32(st, ops[1], &in[0].imm))
			return -EINVAL;
		in[0].src_reg = r;
		break;
	case FORM_LDX: {
		uint8_t base;
		if (reg(st, ops[0], &r) || mem(st, ops[1], &base, &in[0].off))
			return -EINVAL;
		in[0].dst_reg = r;
		in[0].src_reg = base;
		break;
	}
	case FORM_ST:
		if (mem(st, ops[0], &r, &in[0].off) || imm32(st, ops[1], &in[0].imm))
			return -EINVAL;
		in[0].dst_reg = r;
		break;
	case FORM_STX:
	case FORM_ATOMIC:
		if (mem(st, ops[0], &r, &in[0].off))
			return -EINVAL;
		in[0].dst_reg = r;
		if (reg(st, ops[1], &r))
			return -EINVAL;
		in[0].src_reg = r;
		break;
	case FORM_JA: {
		int32_t t;
		int e = target(st, ops[0], false, slot, &t);
		if (e)
			return e;
		in[0].off = (int16_t)t;
		break;
	}
	case FORM_JA32:
	case FORM_CALL_LOCAL: {
		int e = target(st, op->form == FORM_JA32 ? ops[0] : trim(ops[0] + 5), true, slot, &in[0].imm);
		if (e)
			return e;
		break;
	}
	case FORM_JCOND_K:
	case FORM_JCOND_X: {
		int32_t t;
		if (reg(st, ops[0], &r))
			return -EINVAL;
		in[0].dst_reg = r;
		if (op->form == FORM_JCOND_K) {
			if (imm32(st, ops[1], &in[0].imm))
				return -EINVAL;
		} else {
			if (reg(st, ops[1], &r))
				return -EINVAL;
			in[0].src_reg = r;
		}
		int e = target(st, ops[2], false, slot, &t);
		if (e)
			return e;
		in[0].off = (int16_t)t;
		break;
	}
	case FORM_EXIT:
		if (!st->have_exit) {
			st->have_exit = true;
			st->first_exit = slot;
		}
		break;
	}
	return emit(st, in, 1);
}

/* .insn CODE, DST, SRC, OFF, IMM: any encoding, one slot. */
static int raw_insn(struct asm_state *st, char **ops, int n_ops)
{
	struct bpf_insn in = { 0 };
	uint64_t code = 0, dst = 0, src = 0, off = 0;

	if (n_ops != 5)
		return fail(st, "bad operands for '.insn': expected CODE, DST, SRC, OFF, IMM");
	if (num_in(st, ops[0], 0, 255, "opcode", &code) || num_in(st, ops[1], 0, 15, "register", &dst) ||
	    num_in(st, ops[2], 0, 15, "register", &src) || num_in(st, ops[3], 32768, UINT16_MAX, "offset", &off) ||
	    imm32(st, ops[4], &in.imm))
		return -EINVAL;
	in.code = (uint8_t)code;
	in.dst_reg = (uint8_t)dst;
	in.src_reg = (uint8_t)src;
	in.off = (int16_t)(uint16_t)off;
	return emit(st, &in, 1);
}

static int add_label(struct asm_state *st, const char *name)
{
	if (grow((void **)&st->labels, &st->cap_labels, st->n_labels + 1, sizeof(*st->labels)) < 0)
		return oom(st);
	st->labels[st->n_labels++] = (struct label){ .name = name, .slot = st->n, .line = st->line };
	return 0;
}

/* Split the first blank-separated word off *rest. */
static char *next_word(char **rest)
{
	char *word = *rest, *end = word + strcspn(word, " \t");
	if (*end)
		*end++ = 0;
	*rest = trim(end);
	return word;
}

static int assemble_line(struct asm_state *st, char *line)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	line = trim(line);

	/* leading `name:` defines a label; an instruction may follow it */
	char *p = line;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '.')
		p++;
	if (*p == ':' && p > line) {
		*p = 0;
		if (!is_ident(line))
			return fail(st, "bad label name '%s'", line);
		int e = add_label(st, line);
		if (e)
			return e;
		line = trim(p + 1);
	}
	if (!*line)
		return 0;

	/* mnemonic: one word, or `lock [fetch] OP` */
	char *rest = line, name[64];
	char *word = next_word(&rest);
	if (!strcmp(word, "lock")) {
		char *w1 = next_word(&rest), *w2 = strcmp(w1, "fetch") ? NULL : next_word(&rest);
		snprintf(name, sizeof(name), "lock %s%s%s", w1, w2 ? " " : "", w2 ? w2 : "");
	} else {
		snprintf(name, sizeof(name), "%s", canonical(word));
	}

	char *ops[MAX_OPERANDS + 1];
	int n_ops = 0;
	if (*rest) {
		for (char *s = rest;; s++) {
			char *comma = strchr(s, ',');
			if (n_ops == MAX_OPERANDS + 1)
				return fail(st, "too many operands");
			ops[n_ops++] = s;
			if (!comma)
				break;
			*comma = 0;
			s = comma;
		}
		for (int k = 0; k < n_ops; k++) {
			ops[k] = trim(ops[k]);
			if (!*ops[k])
				return fail(st, "empty operand %d", k + 1);
		}
	}

	if (!strcmp(name, ".insn"))
		return raw_insn(st, ops, n_ops);

	const struct isa_op *match = NULL;
	bool known = false;
	char expected[160] = "";
	for (size_t k = 0; k < isa_n_ops && !match; k++) {
		const struct isa_op *op = &isa_ops[k];
		if (!op->name || strcmp(op->name, name))
			continue;
		known = true;
		if (row_fits(op, ops, n_ops)) {
			match = op;
			break;
		}
		/* build "%rN, IMM or %rN, %rN" for the error message */
		char one[64] = "";
		const char *sig = signature(op);
		for (size_t c = 0; sig[c]; c++)
			snprintf(one + strlen(one), sizeof(one) - strlen(one), "%s%s", c ? ", " : "", describe(sig[c]));
		if (!*sig)
			snprintf(one, sizeof(one), "no operands");
		if (!strstr(expected, one))
			snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s%s",
				 *expected ? " or " : "", one);
	}
	if (!known)
		return fail(st, "unknown mnemonic '%s'", name);
	if (!match)
		return fail(st, "bad operands for '%s': expected %s", name, expected);
	return encode(st, match, ops);
}

static int cmp_label(const void *a, const void *b)
{
	const struct label *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int resolve(struct asm_state *st)
{
	if (st->n_labels)
		qsort(st->labels, st->n_labels, sizeof(*st->labels), cmp_label);
	for (size_t k = 1; k < st->n_labels; k++) {
		if (!strcmp(st->labels[k].name, st->labels[k - 1].name)) {
			st->line = st->labels[k].line;
			return fail(st, "duplicate label '%s' (first defined at line %u)", st->labels[k].name,
			     st->labels[k - 1].line);
		}
	}
	for (size_t k = 0; k < st->n_fixups; k++) {
		const struct fixup *f = &st->fixups[k];
		struct label key = { .name = f->name, .line = 0 };
		size_t lo = 0, hi = st->n_labels, to;
		/* lower bound on the name; the key's line 0 sorts before any definition */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (cmp_label(&st->labels[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		st->line = f->line;
		if (lo < st->n_labels && !strcmp(st->labels[lo].name, f->name))
			to = st->labels[lo].slot;
		else if (!strcmp(f->name, "exit") && st->have_exit)
			to = st->first_exit;
		else
			return fail(st, "undefined label '%s'", f->name);

		int64_t rel = (int64_t)to - (int64_t)f->slot - 1;
		if (f->wide) {
			st->insns[f->slot].imm = (int32_t)rel; /* |rel| < UEBPF_MAX_INSNS */
		} else {
			if (rel < INT16_MIN || rel > INT16_MAX)
				return fail(st, "jump to '%s' out of range (offset %lld)", f->name, (long long)rel);
			st->insns[f->slot].off = (int16_t)rel;
		}
	}
	return 0;
}

int uebpf_asm(const char *text, struct bpf_insn **out, size_t *n_out, char *log, size_t log_sz)
{
	struct asm_state st = { .log = log, .log_sz = log_sz };
	char *copy = strdup(text ? text : "");
	int err = 0;

	*out = NULL;
	*n_out = 0;
	if (!copy) {
		uebpf_log(log, log_sz, "line 0: out of memory");
		return -ENOMEM;
	}
	char *line = copy;
	while (line && !err) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		st.line++;
		err = assemble_line(&st, line);
		line = nl ? nl + 1 : NULL;
	}
	if (!err)
		err = resolve(&st);
	if (err) {
		free(st.insns);
	} else {
		*out = st.insns;
		*n_out = st.n;
	}
	free(st.labels);
	free(st.fixups);
	free(copy);
	return err;
}
