/* The verifier case table (tests/verifier/cases, one .txt per rule, format in
 * its README) through uebpf's verifier: every verdict and message must match
 * the case, whose expectation is the kernel's (test_verifier_kernel.c checks
 * that). A case marked `known:` may differ; it is reported, not failed.
 * Prints a tally per rule and every mismatch. */
#include "vcase.h"

struct tally {
	char rule[64];
	int cases, pass, known, fail;
};

struct run {
	struct tally rules[64];
	int n_rules;
	int cases, pass, known, fail, stale_known;
};

static struct tally *rule_of(struct run *r, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int len = (int)strcspn(base, ".");
	for (int i = 0; i < r->n_rules; i++)
		if ((int)strlen(r->rules[i].rule) == len && !strncmp(r->rules[i].rule, base, len))
			return &r->rules[i];
	if (r->n_rules == (int)(sizeof(r->rules) / sizeof(r->rules[0])))
		abort();
	struct tally *t = &r->rules[r->n_rules++];
	snprintf(t->rule, sizeof(t->rule), "%.*s", len, base);
	return t;
}

static void run_case(struct vcase *c, void *arg)
{
	struct run *r = arg;
	struct tally *t = rule_of(r, c->file);
	static char log[1 << 16];
	char err[256];
	t->cases++, r->cases++;
	if (vcase_prepare(c, err, sizeof(err))) {
		printf("BAD CASE %s:%d %s: %s\n", c->file, c->line, c->name, err);
		t->fail++, r->fail++;
		return;
	}
	struct uebpf_verify_opts o = { .sz = sizeof(o), .prog_type = c->prog_type, .gpl = true, .maps = c->map_defs,
				       .n_maps = (size_t)c->n_maps, .unpriv = c->unpriv,
				       .strict_alignment = c->strict_alignment, .log_level = 1 };
	struct uebpf_verify_result res;
	int verdict = uebpf_verify(c->insns, c->n_insns, &o, &res, log, sizeof(log));
	if (!verdict)
		uebpf_verify_result_free(&res);
	char got[256];
	vcase_last_message(log, got, sizeof(got));
	if (vcase_matches(c, verdict, log)) {
		t->pass++, r->pass++;
		if (c->known[0]) {
			r->stale_known++;
			printf("NOW AGREES %s:%d %s: remove its known: line\n", c->file, c->line, c->name);
		}
	} else if (c->known[0]) {
		t->known++, r->known++;
		printf("known %s:%d %s: expected %s, uebpf %s \"%s\" (%s)\n", c->file, c->line, c->name, c->expect,
		       verdict ? "rejected" : "accepted", got, c->known);
	} else {
		t->fail++, r->fail++;
		printf("MISMATCH %s:%d %s\n  expected: %s\n  uebpf:    %s \"%s\"\n", c->file, c->line, c->name,
		       c->expect, verdict ? "rejected" : "accepted", got);
	}
}

int main(void)
{
	static struct run r;
	if (vcase_read_all(run_case, &r) <= 0)
		return 1;
	printf("\n%-14s %5s %5s %5s %5s\n", "rule", "cases", "pass", "known", "FAIL");
	for (int i = 0; i < r.n_rules; i++)
		printf("%-14s %5d %5d %5d %5d\n", r.rules[i].rule, r.rules[i].cases, r.rules[i].pass, r.rules[i].known,
		       r.rules[i].fail);
	printf("uebpf: %d of %d cases as the kernel, %d known differences, %d mismatches\n", r.pass, r.cases, r.known,
	       r.fail);
	return r.fail ? 1 : 0;
}
