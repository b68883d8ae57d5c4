/* The verifier log at level 2 against the kernel's, line by line, on small
 * programs: each instruction in the kernel's disassembly, the registers and
 * stack slots it touched after it (the kernel's notation: scalar ranges,
 * pointer types, "fp-8=0000????"), the state where each path starts ("from
 * 4 to 9: ..."), "safe" where a path is pruned, and the processed count.
 * What uebpf does not model is taken out of the kernel's log first: the
 * liveness table 6.18 prints, precision backtracking ("mark_precise:"
 * lines, after which the kernel prints the state on a line of its own) and
 * map addresses. Skips where bpf() is not permitted. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uebpf/isa.h>
#include <uebpf/verifier.h>

static const struct {
	const char *name;
	enum bpf_prog_type type;
	const char *text;
} progs[] = {
	{ "array lookup with a zero key", BPF_PROG_TYPE_SOCKET_FILTER,
	  "mov %r6, %r1\nldxw %r2, [%r1+0]\nstw [%r10-4], 0\nlddw %r1, map:0\nmov %r2, %r10\nadd %r2, -4\n"
	  "call 1\njeq %r0, 0, out\nldxdw %r3, [%r0+0]\nand %r3, 0xff\nstxdw [%r10-16], %r3\nout:\nmov %r0, 0\nexit\n" },
	{ "hash lookup and its null check", BPF_PROG_TYPE_SOCKET_FILTER,
	  "ldxw %r6, [%r1+0]\nstxw [%r10-4], %r6\nlddw %r1, map:1\nmov %r2, %r10\nadd %r2, -4\ncall 1\n"
	  "jeq %r0, 0, out\nldxdw %r3, [%r0+0]\nout:\nmov %r0, 0\nexit\n" },
	{ "packet bounds", BPF_PROG_TYPE_XDP,
	  "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, drop\n"
	  "ldxh %r5, [%r2+12]\njne %r5, 8, drop\nmov %r0, 2\nexit\ndrop:\nmov %r0, 1\nexit\n" },
	{ "linked scalars", BPF_PROG_TYPE_SOCKET_FILTER,
	  "ldxw %r1, [%r1+0]\nmov %r2, %r1\njgt %r2, 7, out\nmov %r3, %r10\nadd %r3, -8\nadd %r3, %r1\n"
	  "stb [%r3+0], 1\nout:\nmov %r0, 0\nexit\n" },
	{ "bounded loop", BPF_PROG_TYPE_SOCKET_FILTER,
	  "mov %r0, 0\nmov %r1, 0\ntop:\nadd %r0, %r1\nadd %r1, 1\njlt %r1, 4, top\nexit\n" },
	{ "rejected context access", BPF_PROG_TYPE_SOCKET_FILTER,
	  "mov %r0, 0\nldxdw %r0, [%r1+0]\nldxdw %r0, [%r0+0]\nexit\n" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* a line with its trailing newline removed */
struct lines {
	char **v;
	size_t n;
};

static void push(struct lines *l, const char *s, size_t len)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n] = strndup(s, len);
	l->n++;
}

static bool is_insn_line(const char *s)
{
	while (isdigit((unsigned char)*s))
		s++;
	return s[0] == ':' && s[1] == ' ' && s[2] == '(';
}

/* Normalised lines: from "0: R1=..." to the statistics, "N: (op) text ;
 * STATE" as two lines "N: (op) text" and "STATE: ...", a state the kernel
 * prints on its own line after an instruction also "STATE: ...", map
 * addresses as MAP, the statistics cut to the processed count. */
static struct lines normalise(const char *log, bool kernel)
{
	struct lines out = { 0 };
	bool started = false, after_insn = false;
	for (const char *p = log; *p;) {
		size_t len = strcspn(p, "\n");
		char line[4096];
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
		if (!started && !(line[0] == '0' && line[1] == ':' && line[2] == ' ' && line[3] == 'R'))
			continue;
		started = true;
		if (kernel && (!strncmp(line, "mark_precise:", 13) || !strncmp(line, "SCC ", 4) || !strncmp(line, "(0) ", 4)))
			continue;
		char *m = strstr(line, " = 0x");
		if (m && strstr(line, ": (18) ") && strlen(m) >= 5 + 16)
			memmove(m + 3, m + 5 + 16, strlen(m + 5 + 16) + 1), memcpy(m + 3, "MAP", 3);
		m = strstr(line, " = map[id:");
		if (m) {
			char *end = strchr(m, ']');
			memmove(m + 6, end + 1, strlen(end + 1) + 1);
			memcpy(m + 3, "MAP", 3);
		}
		if (!strncmp(line, "processed ", 10)) {
			*strchr(line + 10, ' ') = 0;
			push(&out, line, strlen(line));
			break;
		}
		char *semi = is_insn_line(line) ? strstr(line, " ; ") : NULL;
		if (semi) {
			char *end = semi;
			while (end > line && end[-1] == ' ')
				end--;
			push(&out, line, (size_t)(end - line));
			char state[4096];
			snprintf(state, sizeof(state), "STATE:%s", semi + 2);
			push(&out, state, strlen(state));
			after_insn = false;
			continue;
		}
		if (after_insn && isdigit((unsigned char)line[0]) && strstr(line, ": R")) {
			char state[4096];
			snprintf(state, sizeof(state), "STATE:%s", strchr(line, ':') + 1);
			push(&out, state, strlen(state));
			after_insn = false;
			continue;
		}
		after_insn = is_insn_line(line);
		push(&out, line, strlen(line));
	}
	return out;
}

int main(void)
{
	int fds[2] = { bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL),
		       bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 8, 16, NULL) };
	if (fds[0] < 0 || fds[1] < 0) {
		printf("skip: bpf() is not permitted here (%s): no kernel log to compare with\n", strerror(errno));
		return 77;
	}
	const struct uebpf_verifier_map maps[2] = { { BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0, NULL, NULL },
						    { BPF_MAP_TYPE_HASH, 4, 8, 16, 0, NULL, NULL } };
	static char ours[1 << 16], theirs[1 << 20];
	int failed = 0, lines = 0;
	for (size_t i = 0; i < N(progs); i++) {
		struct bpf_insn *insns;
		size_t n;
		char err[256];
		if (uebpf_asm(progs[i].text, &insns, &n, err, sizeof(err))) {
			printf("FAIL %s: %s\n", progs[i].name, err);
			return 1;
		}
		struct uebpf_verify_opts o = { .sz = sizeof(o), .prog_type = progs[i].type, .log_level = 2, .gpl = true,
					       .maps = maps, .n_maps = 2 };
		struct uebpf_verify_result res;
		int ours_err = uebpf_verify(insns, n, &o, &res, ours, sizeof(ours));
		if (!ours_err)
			uebpf_verify_result_free(&res);
		for (size_t k = 0; k < n; k++)
			if (insns[k].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[k].src_reg == BPF_PSEUDO_MAP_FD)
				insns[k].imm = fds[insns[k].imm];
		LIBBPF_OPTS(bpf_prog_load_opts, ko, .log_buf = theirs, .log_size = sizeof(theirs), .log_level = 2);
		theirs[0] = 0;
		int fd = bpf_prog_load(progs[i].type, "logcmp", "GPL", insns, n, &ko);
		if (fd >= 0)
			close(fd);
		free(insns);
		if ((fd >= 0) != !ours_err) {
			printf("FAIL %s: uebpf %s, the kernel %s\n", progs[i].name, ours_err ? "rejects" : "accepts",
			       fd >= 0 ? "accepts" : "rejects");
			failed++;
			continue;
		}
		struct lines a = normalise(ours, false), b = normalise(theirs, true);
		size_t k = 0;
		for (; k < a.n && k < b.n && !strcmp(a.v[k], b.v[k]); k++)
			;
		if (k < a.n || k < b.n) {
			printf("FAIL %s: line %zu differs\n  uebpf:  %s\n  kernel: %s\n", progs[i].name, k + 1,
			       k < a.n ? a.v[k] : "(end)", k < b.n ? b.v[k] : "(end)");
			failed++;
		} else {
			printf("ok   %s: %zu lines as the kernel's\n", progs[i].name, k);
			lines += (int)k;
		}
		for (size_t j = 0; j < a.n; j++)
			free(a.v[j]);
		for (size_t j = 0; j < b.n; j++)
			free(b.v[j]);
		free(a.v);
		free(b.v);
	}
	close(fds[0]);
	close(fds[1]);
	printf("%zu programs, %d log lines as the kernel's, %d differ\n", N(progs), lines, failed);
	return failed ? 1 : 0;
}
