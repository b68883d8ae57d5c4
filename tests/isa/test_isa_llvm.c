/* The LLVM disassembly style against the real llvm-objdump, instruction by
 * instruction: on clang-built programs (tests/isa/progs/ *.bpf.c, cpu v1
 * and v3) and on every program of the conformance suite (assembled here,
 * then handed to llvm-mc and llvm-objdump as raw bytes).
 *
 * LLVM 14 cannot show a few RFC 9669 forms: it prints <unknown> for the
 * cpu v4 ones, mod, jset and most 32-bit atomics, drops the off field of
 * sdiv/smod/movsx, and reads callx's register from imm. Those instructions
 * are counted and skipped (the style prints newer LLVM's text for them);
 * everything else must match exactly. Skips (exit 77) without the tools. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <uebpf/isa.h>

static char tmpdir[] = "/tmp/uebpf-isa-llvm-XXXXXX";

static void run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static char *slurp(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot read %s", path);
	char *buf = NULL;
	size_t cap = 0, len = 0, got;
	do {
		if (len + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
	} while (got);
	fclose(f);
	buf[len] = 0;
	if (len_out)
		*len_out = len;
	return buf;
}

/* Why llvm-objdump 14 is not the reference for this instruction, or NULL. */
static const char *llvm14_gap(const struct bpf_insn *in, const char *theirs)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

	if (!strcmp(theirs, "<unknown>"))
		return "unknown to LLVM 14";
	if ((cls == BPF_ALU || cls == BPF_ALU64) && (op == BPF_DIV || op == BPF_MOD || op == BPF_MOV) && in->off)
		return "LLVM 14 ignores off";
	if (in->code == (BPF_JMP | BPF_CALL | BPF_X))
		return "LLVM 14 reads callx's register from imm";
	if (in->code == (BPF_STX | BPF_ATOMIC | BPF_W) && in->imm != BPF_ADD)
		return "LLVM 14 without alu32 ignores imm";
	return NULL;
}

struct tally {
	size_t compared, skipped;
};

/* Compares every instruction line of llvm-objdump's output with our text. */
static void compare(const char *what, const struct bpf_insn *insns, size_t n, const char *objdump,
		    struct tally *t)
{
	char *copy = strdup(objdump), *save = NULL;
	size_t lines = 0;

	assert_non_null(copy);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "      12:\t07 01 00 00 05 00 00 00\tr1 += 5 <LBB0_2>" */
		char *p = line;
		while (*p == ' ')
			p++;
		char *end;
		unsigned long idx = strtoul(p, &end, 10);
		if (end == p || end[0] != ':' || end[1] != '\t')
			continue;
		char *text = strchr(end + 2, '\t');
		if (!text)
			continue;
		text++;
		char *label = NULL; /* the symbolic jump target llvm-objdump appends: " <LBB0_2>" */
		for (char *s = strstr(text, " <"); s; s = strstr(s + 1, " <"))
			label = s;
		if (label && text[strlen(text) - 1] == '>' && !strchr(label + 2, ' '))
			*label = 0;
		if (idx >= n)
			fail_msg("%s: objdump shows insn %lu of %zu", what, idx, n);

		char ours[128];
		int slots = uebpf_disasm_insn(insns, n, idx, UEBPF_ASM_STYLE_LLVM, ours, sizeof(ours));
		assert_true(slots > 0);
		lines++;
		if (llvm14_gap(&insns[idx], text)) {
			if (!strcmp(ours, "<unknown>"))
				fail_msg("%s insn %lu: no text for a known instruction", what, idx);
			t->skipped++;
			continue;
		}
		if (strcmp(ours, text))
			fail_msg("%s insn %lu: ours '%s', llvm-objdump '%s'", what, idx, ours, text);
		t->compared++;
	}
	if (lines < 10)
		fail_msg("%s: only %zu instructions in llvm-objdump's output", what, lines);
	free(copy);
}

static void test_clang_programs(void **state)
{
	static const struct {
		const char *name, *cpu;
	} progs[] = {
		{ "alu", "v1" }, { "alu", "v3" }, { "branch", "v1" }, { "branch", "v3" }, { "mem", "v1" },
		{ "mem", "v3" }, { "atomic", "v3" }, { "calls", "v1" }, { "calls", "v3" },
	};
	struct tally t = { 0 };

	for (size_t k = 0; k < sizeof(progs) / sizeof(progs[0]); k++) {
		char what[64];
		snprintf(what, sizeof(what), "%s.bpf.c -mcpu=%s", progs[k].name, progs[k].cpu);
		run("clang -O2 -target bpf -mcpu=%s -c tests/isa/progs/%s.bpf.c -o %s/p.o", progs[k].cpu,
		    progs[k].name, tmpdir);
		run("llvm-objcopy -O binary --only-section=.text %s/p.o %s/p.bin", tmpdir, tmpdir);
		run("llvm-objdump -d %s/p.o > %s/p.txt", tmpdir, tmpdir);

		char path[512];
		size_t len;
		snprintf(path, sizeof(path), "%s/p.bin", tmpdir);
		char *bin = slurp(path, &len);
		snprintf(path, sizeof(path), "%s/p.txt", tmpdir);
		char *dump = slurp(path, NULL);
		assert_int_equal(len % sizeof(struct bpf_insn), 0);
		compare(what, (const struct bpf_insn *)bin, len / sizeof(struct bpf_insn), dump, &t);
		free(bin);
		free(dump);
	}
	printf("clang programs: %zu instructions match llvm-objdump, %zu skipped\n", t.compared, t.skipped);
	assert_true(t.compared > 300);
	assert_true(t.skipped * 10 < t.compared);
}

/* The asm section of one .data file, assembled. */
static struct bpf_insn *assemble_file(const char *path, size_t *n)
{
	char *text = slurp(path, NULL), *body = strstr(text, "-- asm\n");
	struct bpf_insn *p;
	char log[256];

	assert_non_null(body);
	body += strlen("-- asm\n");
	char *next = strstr(body, "\n-- ");
	if (next)
		next[1] = 0;
	if (uebpf_asm(body, &p, n, log, sizeof(log)))
		fail_msg("%s: %s", path, log);
	free(text);
	return p;
}

static void test_conformance_suite(void **state)
{
	const char *shared = getenv("SHARED");
	char dir[4096], path[8192];
	snprintf(dir, sizeof(dir), "%s/conformance", shared ? shared : "../shared");

	/* every program back to back: lddw pairs never straddle a boundary */
	struct bpf_insn *all = NULL;
	size_t n_all = 0, files = 0;
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s (set SHARED)", dir);
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name), n;
		if (l <= 5 || strcmp(e->d_name + l - 5, ".data"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct bpf_insn *p = assemble_file(path, &n);
		all = realloc(all, (n_all + n) * sizeof(*all));
		assert_non_null(all);
		memcpy(all + n_all, p, n * sizeof(*p));
		n_all += n;
		files++;
		free(p);
	}
	closedir(d);
	assert_true(files >= 300);

	snprintf(path, sizeof(path), "%s/suite.s", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, ".text\n");
	for (size_t i = 0; i < n_all; i++) {
		const uint8_t *b = (const uint8_t *)&all[i];
		fprintf(f, ".byte %u,%u,%u,%u,%u,%u,%u,%u\n", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
	}
	fclose(f);
	run("llvm-mc -triple bpfel -filetype=obj %s/suite.s -o %s/suite.o", tmpdir, tmpdir);
	run("llvm-objdump -d %s/suite.o > %s/suite.txt", tmpdir, tmpdir);
	snprintf(path, sizeof(path), "%s/suite.txt", tmpdir);
	char *dump = slurp(path, NULL);

	struct tally t = { 0 };
	compare("conformance suite", all, n_all, dump, &t);
	printf("conformance suite: %zu instructions match llvm-objdump, %zu skipped\n", t.compared, t.skipped);
	assert_true(t.compared > 2000);
	free(dump);
	free(all);
}

static int cleanup(void **state)
{
	run("rm -rf %s", tmpdir);
	return 0;
}

int main(void)
{
	const char *tools[] = { "clang", "llvm-objdump", "llvm-objcopy", "llvm-mc" };
	for (size_t k = 0; k < sizeof(tools) / sizeof(tools[0]); k++) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "command -v %s > /dev/null 2>&1", tools[k]);
		if (system(cmd) != 0) {
			printf("%s is not installed: cannot compare with llvm-objdump\n", tools[k]);
			return 77;
		}
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clang_programs),
		cmocka_unit_test(test_conformance_suite),
	};
	return cmocka_run_group_tests(tests, NULL, cleanup);
}
