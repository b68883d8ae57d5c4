/* The conformance suite ($SHARED/conformance/ *.data, from bpf_conformance)
 * on every engine configuration: the interpreter checked and unchecked, and
 * the JIT once it exists. Each file has `-- asm` (assembled with uebpf_asm),
 * `-- mem` (hex bytes; r1 points to a copy, r2 holds its length), `-- result`
 * (the expected r0) and may have `-- raw` (the expected encoding); `-- c` and
 * unknown sections are ignored. Every failure prints
 * "FILE: ENGINE: expected X got Y" (or what went wrong); exit 1 on any. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/uebpf.h>

struct engine {
	const char *name;
	enum uebpf_engine engine;
	uint32_t flags;
	bool available;
	char why_not[256];
	unsigned passed, failed;
};

static struct engine engines[] = {
	{ "interp-checked", UEBPF_ENGINE_INTERP, 0, true, "", 0, 0 },
	{ "interp", UEBPF_ENGINE_INTERP, UEBPF_F_VERIFIED, true, "", 0, 0 },
	{ "jit", UEBPF_ENGINE_JIT, UEBPF_F_VERIFIED, true, "", 0, 0 },
};
#define N_ENGINES (sizeof(engines) / sizeof(engines[0]))

struct test {
	char *asm_text;
	uint8_t *mem;
	size_t mem_len;
	uint64_t *raw;
	size_t n_raw;
	bool has_result;
	uint64_t result;
};

/* bpf_conformance's helper 5 (call_unwind_fail.data, callx.data): returns r1 */
static uint64_t helper_r1(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return r1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)len + 1)) || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[len] = 0;
	fclose(f);
	return buf;
}

static void append(char **s, size_t *len, const char *line, size_t n)
{
	char *p = realloc(*s, *len + n + 2);
	if (!p)
		abort();
	memcpy(p + *len, line, n);
	*len += n;
	p[(*len)++] = '\n';
	p[*len] = 0;
	*s = p;
}

/* Numbers in a section body: hex bytes for `mem`, 64-bit words otherwise. */
static int parse_numbers(const char *body, int base, uint64_t **out, size_t *n)
{
	const char *p = body;
	char *end;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			return 0;
		errno = 0;
		uint64_t v = strtoull(p, &end, base);
		if (end == p || errno)
			return -EINVAL;
		uint64_t *grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (!grown)
			abort();
		*out = grown;
		(*out)[(*n)++] = v;
		p = end;
	}
}

/* Split a .data file into its sections; returns 0 or a message. */
static const char *parse(const char *text, struct test *t)
{
	enum { S_NONE, S_ASM, S_MEM, S_RESULT, S_RAW } cur = S_NONE;
	char *bodies[5] = { 0 };
	size_t lens[5] = { 0 };
	const char *err = NULL;

	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		size_t trimmed = n && line[n - 1] == '\r' ? n - 1 : n;
		if (!strncmp(line, "-- ", 3)) {
			const char *name = line + 3;
			size_t nl = trimmed - 3;
#define IS(S) (nl == strlen(S) && !strncmp(name, S, nl))
			cur = IS("asm") ? S_ASM : IS("mem") ? S_MEM : IS("result") ? S_RESULT : IS("raw") ? S_RAW : S_NONE;
#undef IS
		} else if (cur != S_NONE) {
			append(&bodies[cur], &lens[cur], line, trimmed);
		}
		line += n + (line[n] == '\n');
	}

	if (!bodies[S_ASM]) {
		err = "no -- asm section";
		goto out;
	}
	t->asm_text = bodies[S_ASM];
	bodies[S_ASM] = NULL;
	if (bodies[S_MEM]) {
		uint64_t *bytes = NULL;
		size_t n = 0;
		if (parse_numbers(bodies[S_MEM], 16, &bytes, &n)) {
			err = "bad -- mem section";
			goto out;
		}
		t->mem = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++) {
			if (bytes[i] > 0xff)
				err = "bad -- mem byte";
			t->mem[i] = (uint8_t)bytes[i];
		}
		t->mem_len = n;
		free(bytes);
		if (err)
			goto out;
	}
	if (bodies[S_RESULT]) {
		uint64_t *v = NULL;
		size_t n = 0;
		if (parse_numbers(bodies[S_RESULT], 0, &v, &n) || n != 1)
			err = "bad -- result section";
		else
			t->result = v[0], t->has_result = true;
		free(v);
		if (err)
			goto out;
	}
	if (bodies[S_RAW] && parse_numbers(bodies[S_RAW], 0, &t->raw, &t->n_raw))
		err = "bad -- raw section";
out:
	for (int i = 0; i < 5; i++)
		free(bodies[i]);
	return err;
}

static void free_test(struct test *t)
{
	free(t->asm_text);
	free(t->mem);
	free(t->raw);
}

static void fail(struct engine *e, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct engine *e, const char *file, const char *fmt, ...)
{
	va_list ap;
	printf("%s: %s: ", file, e ? e->name : "all engines");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	for (size_t i = 0; i < N_ENGINES; i++)
		if (!e || e == &engines[i])
			engines[i].failed += engines[i].available;
}

/* Load and run the program on one engine and compare r0. */
static void run_one(struct engine *e, const char *file, const struct test *t, const struct bpf_insn *insns,
		    size_t n, const struct uebpf_helper_table *helpers)
{
	struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = e->engine, .flags = e->flags, .helpers = helpers };
	struct uebpf_prog *prog;
	char log[512] = "";
	uint64_t r0 = 0;
	int err = uebpf_prog_load(insns, n, &o, &prog, log, sizeof(log));
	if (err) {
		fail(e, file, "load failed (%s): %s", strerror(-err), log);
		return;
	}
	/* a fresh copy: programs write their memory */
	uint8_t *mem = t->mem_len ? malloc(t->mem_len) : NULL;
	if (t->mem_len)
		memcpy(mem, t->mem, t->mem_len);
	err = uebpf_prog_run(prog, mem, t->mem_len, &r0, log, sizeof(log));
	if (err)
		fail(e, file, "run failed (%s): %s", strerror(-err), log);
	else if (r0 != t->result)
		fail(e, file, "expected 0x%" PRIx64 " got 0x%" PRIx64, t->result, r0);
	else
		e->passed++;
	free(mem);
	uebpf_prog_free(prog);
}

static void run_file(const char *dir, const char *file, const struct uebpf_helper_table *helpers)
{
	char path[8192];
	struct test t = { 0 };
	struct bpf_insn *insns = NULL;
	size_t n = 0;
	char log[512] = "";
	const char *err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	char *text = slurp(path);
	if (!text) {
		fail(NULL, file, "cannot read: %s", strerror(errno));
		return;
	}
	if ((err = parse(text, &t))) {
		fail(NULL, file, "%s", err);
		goto out;
	}
	if (!t.has_result) {
		fail(NULL, file, "no -- result section");
		goto out;
	}
	if (uebpf_asm(t.asm_text, &insns, &n, log, sizeof(log))) {
		fail(NULL, file, "does not assemble: %s", log);
		goto out;
	}
	if (t.raw && (t.n_raw != n || memcmp(t.raw, insns, n * sizeof(*insns)))) {
		fail(NULL, file, "assembles to other bytes than its -- raw section");
		goto out;
	}
	for (size_t i = 0; i < N_ENGINES; i++)
		if (engines[i].available)
			run_one(&engines[i], file, &t, insns, n, helpers);
out:
	free(insns);
	free_test(&t);
	free(text);
}

static int data_file(const struct dirent *d)
{
	size_t len = strlen(d->d_name);
	return len > 5 && !strcmp(d->d_name + len - 5, ".data");
}

int main(void)
{
	const char *shared = getenv("SHARED") ? getenv("SHARED") : "../shared";
	char dir[4096];
	struct dirent **files;
	bool any_failed = false;

	snprintf(dir, sizeof(dir), "%s/conformance", shared);
	int n = scandir(dir, &files, data_file, alphasort);
	if (n < 0) {
		printf("cannot read %s (%s): set SHARED to the directory holding conformance/\n", dir, strerror(errno));
		return 77;
	}
	if (n == 0) {
		printf("no .data files in %s\n", dir);
		return 1;
	}

	struct uebpf_helper_table *helpers = uebpf_helper_table_new();
	if (!helpers || uebpf_helper_table_set(helpers, 5, "conformance_r1", helper_r1))
		return 1;

	/* The JIT counts once it exists: the placeholder refuses everything
	 * with -EOPNOTSUPP. */
	static const struct bpf_insn probe[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	for (size_t i = 0; i < N_ENGINES; i++) {
		struct engine *e = &engines[i];
		struct uebpf_prog_opts o = { .sz = sizeof(o), .engine = e->engine, .flags = e->flags };
		struct uebpf_prog *prog;
		if (e->engine != UEBPF_ENGINE_JIT)
			continue;
		if (uebpf_prog_load(probe, 2, &o, &prog, e->why_not, sizeof(e->why_not)) == -EOPNOTSUPP)
			e->available = false;
		uebpf_prog_free(prog); /* NULL when the load failed */
	}

	for (int i = 0; i < n; i++) {
		run_file(dir, files[i]->d_name, helpers);
		free(files[i]);
	}
	free(files);
	uebpf_helper_table_free(helpers);

	for (size_t i = 0; i < N_ENGINES; i++) {
		struct engine *e = &engines[i];
		if (!e->available) {
			printf("%s: not run (%s)\n", e->name, e->why_not);
			continue;
		}
		printf("%s: %u of %d files passed, %u failed\n", e->name, e->passed, n, e->failed);
		any_failed |= e->failed > 0 || e->passed != (unsigned)n;
	}
	return any_failed ? 1 : 0;
}
