/* libFuzzer: arbitrary text to the assembler and arbitrary bytes to the
 * checker and both disassembler styles. Nothing may crash; whatever
 * assembles must disassemble (UEBPF style) to text that assembles to the
 * same bytes, and so must any bytes at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/isa.h>

static void fail(const char *what, const char *log, const struct bpf_insn *prog, size_t n)
{
	printf("fuzz_asm: %s: %s\n", what, log);
	uebpf_disasm(prog, n, UEBPF_ASM_STYLE_UEBPF, stdout);
	abort();
}

/* disasm -> asm gives back prog[0..n) exactly; the LLVM style decodes it too. */
static void round_trip(const struct bpf_insn *prog, size_t n)
{
	char *text = NULL, log[256] = "", line[128];
	size_t len = 0, n2;
	struct bpf_insn *again;

	FILE *f = open_memstream(&text, &len);
	if (!f || uebpf_disasm(prog, n, UEBPF_ASM_STYLE_UEBPF, f))
		abort();
	fclose(f);
	if (uebpf_asm(text, &again, &n2, log, sizeof(log)))
		fail("disassembly does not assemble", log, prog, n);
	if (n2 != n || (n && memcmp(again, prog, n * sizeof(*prog))))
		fail("disassembly assembles to other bytes", text, prog, n);
	for (size_t i = 0; i < n; i++)
		if (uebpf_disasm_insn(prog, n, i, UEBPF_ASM_STYLE_LLVM, line, sizeof(line)) <= 0)
			fail("llvm style fails", line, prog, n);
	free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char log[256];

	/* the input as assembly text */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct bpf_insn *prog;
	size_t n;
	if (uebpf_asm(text, &prog, &n, log, sizeof(log)) == 0) {
		uebpf_insns_check(prog, n, log, sizeof(log));
		round_trip(prog, n);
		free(prog);
	}
	free(text);

	/* the input as instructions */
	n = size / sizeof(struct bpf_insn);
	prog = malloc(n * sizeof(*prog) + 1);
	if (!prog)
		return 0;
	memcpy(prog, data, n * sizeof(*prog));
	uebpf_insns_check(prog, n, log, sizeof(log));
	round_trip(prog, n);
	free(prog);
	return 0;
}
