/* The verifier case table (tests/verifier/cases, one .txt per rule, format in its
 * README): every case through uebpf's verifier, and, where bpf() is
 * permitted, through the kernel's with real maps. Fails when a verdict or
 * message differs from the case (for the kernel: unless the case says
 * `known:` and why). Prints a tally per file. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uebpf/isa.h>
#include <uebpf/verifier.h>

struct vcase {
	char name[128], type[32], expect[256], known[256];
	char maps[256], flags[64];
	char *asm_text;
	int line;
};

static const struct {
	const char *name;
	enum bpf_prog_type type;
} types[] = {
	{ "socket_filter", BPF_PROG_TYPE_SOCKET_FILTER }, { "xdp", BPF_PROG_TYPE_XDP },
	{ "sched_cls", BPF_PROG_TYPE_SCHED_CLS },         { "kprobe", BPF_PROG_TYPE_KPROBE },
	{ "tracepoint", BPF_PROG_TYPE_TRACEPOINT },       { "raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT },
};

static const struct {
	const char *name;
	enum bpf_map_type type;
} map_types[] = {
	{ "hash", BPF_MAP_TYPE_HASH },       { "array", BPF_MAP_TYPE_ARRAY },
	{ "ringbuf", BPF_MAP_TYPE_RINGBUF }, { "prog_array", BPF_MAP_TYPE_PROG_ARRAY },
	{ "percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY },
};

static int parse_maps(const char *s, struct uebpf_verifier_map *maps, int *n)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
		char t[32];
		unsigned k, v, m;
		if (sscanf(tok, "%31[a-z_]:%u:%u:%u", t, &k, &v, &m) != 4)
			return -1;
		size_t i;
		for (i = 0; i < sizeof(map_types) / sizeof(map_types[0]); i++)
			if (!strcmp(map_types[i].name, t))
				break;
		if (i == sizeof(map_types) / sizeof(map_types[0]))
			return -1;
		maps[(*n)++] = (struct uebpf_verifier_map){ map_types[i].type, k, v, m, 0, NULL };
	}
	return 0;
}

static bool kernel_ok;

/* the kernel's verdict: 0 accepted, else -errno, with its log */
static int kernel_verify(const struct vcase *c, enum bpf_prog_type type, struct bpf_insn *insns, size_t n,
			 const struct uebpf_verifier_map *maps, int n_maps, char *log, size_t log_sz)
{
	int fds[8];
	for (int i = 0; i < n_maps; i++) {
		fds[i] = bpf_map_create(maps[i].type, NULL, maps[i].key_size, maps[i].value_size, maps[i].max_entries, NULL);
		if (fds[i] < 0) {
			snprintf(log, log_sz, "map create failed: %s", strerror(-fds[i]));
			while (i--)
				close(fds[i]);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    (insns[i].src_reg == BPF_PSEUDO_MAP_FD || insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) &&
		    insns[i].imm >= 0 && insns[i].imm < n_maps)
			insns[i].imm = fds[insns[i].imm];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = (uint32_t)log_sz, .log_level = 1);
	log[0] = 0;
	bool unpriv = strstr(c->flags, "unpriv") != NULL;
	int fd = unpriv ? -EPERM : bpf_prog_load(type, "case", "GPL", insns, n, &o);
	for (int i = 0; i < n_maps; i++)
		close(fds[i]);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd;
}

static int run_file(const char *path, int *pass, int *fail, int *kfail, int *kskip)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: %s\n", path, strerror(errno));
		return -1;
	}
	char line[512];
	struct vcase c;
	bool in_case = false, in_asm = false;
	size_t asm_len = 0;
	int lineno = 0, local_fail = 0;
	int n_cases = 0;
	for (;;) {
		char *got = fgets(line, sizeof(line), f);
		lineno++;
		bool end = !got || !strncmp(line, "== ", 3);
		if (end && in_case) {
			/* run the case that just ended */
			n_cases++;
			enum bpf_prog_type type = BPF_PROG_TYPE_SOCKET_FILTER;
			for (size_t i = 0; c.type[0] && i < sizeof(types) / sizeof(types[0]); i++)
				if (!strcmp(types[i].name, c.type))
					type = types[i].type;
			struct uebpf_verifier_map maps[8];
			int n_maps = 0;
			struct bpf_insn *insns;
			size_t n;
			char alog[256];
			if (parse_maps(c.maps, maps, &n_maps) ||
			    uebpf_asm(c.asm_text ? c.asm_text : "", &insns, &n, alog, sizeof(alog))) {
				printf("BAD CASE %s:%d %s: %s\n", path, c.line, c.name, alog);
				(*fail)++, local_fail++;
			} else {
				struct uebpf_verify_opts o = { .sz = sizeof(o), .prog_type = type, .gpl = true, .maps = maps,
								.n_maps = (size_t)n_maps, .unpriv = strstr(c.flags, "unpriv") != NULL,
								.strict_alignment = strstr(c.flags, "strict_alignment") != NULL };
				static char log[1 << 16];
				struct uebpf_verify_result res;
				int err = uebpf_verify(insns, n, &o, &res, log, sizeof(log));
				uebpf_verify_result_free(&res);
				bool want_accept = !strcmp(c.expect, "accept");
				const char *msg = want_accept ? NULL : c.expect + strlen("reject ");
				bool ok = want_accept ? err == 0 : err != 0 && strstr(log, msg);
				if (ok) {
					(*pass)++;
				} else {
					(*fail)++, local_fail++;
					printf("MISMATCH %s:%d %s: expected %s, uebpf %s:\n%s", path, c.line, c.name, c.expect,
					       err ? "rejected" : "accepted", log);
				}
				if (kernel_ok) {
					static char klog[1 << 16];
					int kerr = kernel_verify(&c, type, insns, n, maps, n_maps, klog, sizeof(klog));
					bool kgood = want_accept ? kerr == 0 : kerr != 0 && strstr(klog, msg);
					if (kerr == -EPERM && strstr(c.flags, "unpriv")) {
						(*kskip)++;
					} else if (!kgood && !c.known[0]) {
						(*kfail)++;
						printf("KERNEL DIFFERS %s:%d %s: expected %s, kernel %s (%s):\n%s\n", path, c.line, c.name,
						       c.expect, kerr ? "rejected" : "accepted", strerror(-kerr), klog);
					} else if (!kgood) {
						printf("known difference %s: %s\n", c.name, c.known);
					}
				}
				free(insns);
			}
			free(c.asm_text);
			in_case = false;
		}
		if (!got)
			break;
		if (!strncmp(line, "== ", 3)) {
			memset(&c, 0, sizeof(c));
			snprintf(c.name, sizeof(c.name), "%.*s", (int)sizeof(c.name) - 1, line + 3);
			c.name[strcspn(c.name, "\n")] = 0;
			c.line = lineno;
			in_case = true, in_asm = false, asm_len = 0;
			continue;
		}
		if (!in_case)
			continue;
		if (in_asm) {
			size_t len = strlen(line);
			char *t = realloc(c.asm_text, asm_len + len + 1);
			if (!t)
				abort();
			c.asm_text = t;
			memcpy(t + asm_len, line, len + 1);
			asm_len += len;
			continue;
		}
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "type: ", 6))
			snprintf(c.type, sizeof(c.type), "%.*s", (int)sizeof(c.type) - 1, line + 6);
		else if (!strncmp(line, "maps: ", 6))
			snprintf(c.maps, sizeof(c.maps), "%.*s", (int)sizeof(c.maps) - 1, line + 6);
		else if (!strncmp(line, "flags: ", 7))
			snprintf(c.flags, sizeof(c.flags), "%.*s", (int)sizeof(c.flags) - 1, line + 7);
		else if (!strncmp(line, "expect: ", 8))
			snprintf(c.expect, sizeof(c.expect), "%.*s", (int)sizeof(c.expect) - 1, line + 8);
		else if (!strncmp(line, "known: ", 7))
			snprintf(c.known, sizeof(c.known), "%.*s", (int)sizeof(c.known) - 1, line + 7);
		else if (!strcmp(line, "asm:"))
			in_asm = true;
	}
	fclose(f);
	printf("%-40s %3d cases, %d mismatched\n", path, n_cases, local_fail);
	return 0;
}

int main(void)
{
	const char *dir = "tests/verifier/cases";
	int probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	kernel_ok = probe >= 0;
	if (probe >= 0)
		close(probe);
	else
		printf("note: bpf() is not permitted here; the kernel cross-check is skipped\n");
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		printf("%s: %s\n", dir, strerror(errno));
		return 1;
	}
	int pass = 0, fail = 0, kfail = 0, kskip = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);
		if (len > 4 && !strcmp(nm + len - 4, ".txt")) {
			char path[512];
			snprintf(path, sizeof(path), "%s/%s", dir, nm);
			run_file(path, &pass, &fail, &kfail, &kskip);
		}
		free(names[i]);
	}
	free(names);
	printf("uebpf: %d of %d cases as expected; kernel: %s%d disagreements with the table (%d unprivileged cases "
	       "not run: the kernel check runs as root)\n",
	       pass, pass + fail, kernel_ok ? "" : "not run, ", kfail, kskip);
	return fail || kfail ? 1 : 0;
}
