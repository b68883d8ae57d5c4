/* The ISA layer on the whole conformance suite ($SHARED/conformance/ *.data):
 * every `-- asm` section assembles and passes the checker, its disassembly
 * (UEBPF style) assembles back to identical bytes, and every `-- raw`
 * section equals the assembled bytes. Failures are reported by file name. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <uebpf/isa.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
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
	return buf;
}

/* Appends the body of every section named `name` (e.g. "asm") to *out. */
static char *section(const char *text, const char *name)
{
	size_t cap = strlen(text) + 1, len = 0;
	char *out = calloc(1, cap);
	bool in = false;
	assert_non_null(out);
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (!strncmp(line, "-- ", 3)) {
			size_t nlen = strlen(name);
			in = !strncmp(line + 3, name, nlen) && (line[3 + nlen] == '\n' || line[3 + nlen] == 0 ||
								 line[3 + nlen] == '\r');
		} else if (in) {
			memcpy(out + len, line, l);
			len += l;
		}
		line += l;
	}
	out[len] = 0;
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One file; returns NULL if it passes, else a malloc'd reason. */
static char *check_file(const char *path)
{
	char *text = slurp(path), *asm_text = NULL, *raw = NULL, *dis = NULL, *why = NULL;
	struct bpf_insn *p = NULL, *q = NULL;
	size_t n = 0, n2 = 0, dis_len = 0;
	char log[256];

	if (!text)
		return strdup("cannot read");
	asm_text = section(text, "asm");
	if (uebpf_asm(asm_text, &p, &n, log, sizeof(log))) {
		asprintf(&why, "assembling: %s", log);
		goto out;
	}
	if (uebpf_insns_check(p, n, log, sizeof(log))) {
		asprintf(&why, "check: %s", log);
		goto out;
	}

	FILE *f = open_memstream(&dis, &dis_len);
	assert_non_null(f);
	assert_int_equal(uebpf_disasm(p, n, UEBPF_ASM_STYLE_UEBPF, f), 0);
	fclose(f);
	if (uebpf_asm(dis, &q, &n2, log, sizeof(log))) {
		asprintf(&why, "reassembling the disassembly: %s", log);
		goto out;
	}
	if (n2 != n || memcmp(p, q, n * sizeof(*p))) {
		asprintf(&why, "disassembly does not reassemble to the same bytes:\n%s", dis);
		goto out;
	}

	/* -- raw: one little-endian instruction per line, as a 64-bit hex number */
	raw = section(text, "raw");
	size_t i = 0;
	for (char *line = strtok(raw, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strchr("0123456789", line[0]))
			continue;
		uint64_t want = strtoull(line, NULL, 16), got;
		if (i >= n) {
			asprintf(&why, "raw section has more than %zu instructions", n);
			goto out;
		}
		memcpy(&got, &p[i], sizeof(got));
		if (got != want) {
			asprintf(&why, "raw insn %zu: assembled 0x%016llx, raw 0x%016llx", i, (unsigned long long)got,
				 (unsigned long long)want);
			goto out;
		}
		i++;
	}
	if (i && i != n)
		asprintf(&why, "raw section has %zu instructions, assembled %zu", i, n);
out:
	free(text);
	free(asm_text);
	free(raw);
	free(dis);
	free(p);
	free(q);
	return why;
}

static void test_suite(void **state)
{
	const char *shared = getenv("SHARED");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/conformance", shared ? shared : "../shared");

	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s (set SHARED)", dir);
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".data")) {
			names = realloc(names, (n + 1) * sizeof(*names));
			assert_non_null(names);
			names[n++] = strdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);

	size_t failed = 0, with_raw = 0;
	for (size_t k = 0; k < n; k++) {
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
		char *why = check_file(path);
		if (why) {
			printf("FAIL %s: %s\n", names[k], why);
			failed++;
		}
		char *text = slurp(path);
		with_raw += text && strstr(text, "\n-- raw") != NULL;
		free(text);
		free(why);
		free(names[k]);
	}
	free(names);
	printf("%zu files, %zu with a raw section, %zu failed\n", n, with_raw, failed);
	assert_true(n >= 300);
	assert_true(with_raw >= 1);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
