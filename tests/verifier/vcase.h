/* The verifier case table (tests/verifier/cases, one .txt per rule, format in its README):
 * a reader that hands every case to a callback, and the kernel's verdict on a
 * case (real maps, bpf_prog_load). Shared by test_verifier_cases.c (uebpf) and
 * test_verifier_kernel.c (the kernel keeps the table honest). */
#ifndef TESTS_VERIFIER_VCASE_H
#define TESTS_VERIFIER_VCASE_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uebpf/isa.h>
#include <uebpf/verifier.h>

#include "progtypes/progtype.h"

#define VCASE_DIR "tests/verifier/cases"
#define VCASE_MAX_MAPS 8

struct vcase {
	const char *file;               /* cases/NAME.txt: the rule the case belongs to */
	int line;
	char name[128], type[32], expect[256], known[256], maps[256], flags[64];
	char *asm_text;
	/* filled by vcase_prepare */
	enum bpf_prog_type prog_type;
	struct uebpf_verifier_map map_defs[VCASE_MAX_MAPS];
	int n_maps;
	struct bpf_insn *insns;
	size_t n_insns;
	bool want_accept, unpriv, strict_alignment;
	const char *want_msg;           /* rejected: a substring of the log */
};

static const struct {
	const char *name;
	enum bpf_map_type type;
} vcase_map_types[] = {
	{ "hash", BPF_MAP_TYPE_HASH },
	{ "array", BPF_MAP_TYPE_ARRAY },
	{ "percpu_hash", BPF_MAP_TYPE_PERCPU_HASH },
	{ "percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY },
	{ "lru_hash", BPF_MAP_TYPE_LRU_HASH },
	{ "ringbuf", BPF_MAP_TYPE_RINGBUF },
	{ "prog_array", BPF_MAP_TYPE_PROG_ARRAY },
	{ "perf_event_array", BPF_MAP_TYPE_PERF_EVENT_ARRAY },
	{ "queue", BPF_MAP_TYPE_QUEUE },
	{ "stack", BPF_MAP_TYPE_STACK },
};

/* Turns the text fields into a program; 0, or -1 with a reason in err. */
static inline int vcase_prepare(struct vcase *c, char *err, size_t err_sz)
{
	c->prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	if (c->type[0]) {
		const struct uebpf_progtype *pt = uebpf_progtype_by_name(c->type);
		if (!pt) {
			snprintf(err, err_sz, "unknown program type '%s'", c->type);
			return -1;
		}
		c->prog_type = pt->type;
	}
	char buf[sizeof(c->maps)], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", c->maps);
	c->n_maps = 0;
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char t[32];
		unsigned k, v, m;
		size_t i, nt = sizeof(vcase_map_types) / sizeof(vcase_map_types[0]);
		if (c->n_maps == VCASE_MAX_MAPS || sscanf(tok, "%31[a-z_]:%u:%u:%u", t, &k, &v, &m) != 4) {
			snprintf(err, err_sz, "bad map '%s'", tok);
			return -1;
		}
		for (i = 0; i < nt && strcmp(vcase_map_types[i].name, t); i++)
			;
		if (i == nt) {
			snprintf(err, err_sz, "unknown map type '%s'", t);
			return -1;
		}
		c->map_defs[c->n_maps++] = (struct uebpf_verifier_map){ .type = vcase_map_types[i].type,
									 .key_size = k, .value_size = v, .max_entries = m };
	}
	c->want_accept = !strcmp(c->expect, "accept");
	if (!c->want_accept && strncmp(c->expect, "reject ", 7)) {
		snprintf(err, err_sz, "expect must be 'accept' or 'reject MESSAGE', not '%.150s'", c->expect);
		return -1;
	}
	c->want_msg = c->want_accept ? NULL : c->expect + 7;
	c->unpriv = strstr(c->flags, "unpriv") != NULL;
	c->strict_alignment = strstr(c->flags, "strict_alignment") != NULL;
	return uebpf_asm(c->asm_text ? c->asm_text : "", &c->insns, &c->n_insns, err, err_sz) ? -1 : 0;
}

/* Does a verdict (0 accepted) with its log match the case? */
static inline bool vcase_matches(const struct vcase *c, int err, const char *log)
{
	return c->want_accept ? err == 0 : err != 0 && strstr(log, c->want_msg) != NULL;
}

/* The kernel's verdict on the case: 0 accepted, else -errno; its log in log. */
/* Drop the capabilities that make a BPF loader privileged to the kernel's
 * verifier (CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN): what is
 * left loads socket filters under the unprivileged rules, when
 * kernel.unprivileged_bpf_disabled is 0. */
static inline int vcase_drop_bpf_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return -1;
	const int caps[] = { CAP_SYS_ADMIN, 39 /* CAP_BPF */, 38 /* CAP_PERFMON */, CAP_NET_ADMIN };
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		d[caps[i] / 32].effective &= ~(1u << (caps[i] % 32));
		d[caps[i] / 32].permitted &= ~(1u << (caps[i] % 32));
	}
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* May this machine check unprivileged cases (kernel.unprivileged_bpf_disabled
 * is 0)? why says why not. */
static inline bool vcase_kernel_unpriv_available(char *why, size_t why_sz)
{
	FILE *f = fopen("/proc/sys/kernel/unprivileged_bpf_disabled", "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	if (v != 0) {
		snprintf(why, why_sz, "kernel.unprivileged_bpf_disabled is %d, so the kernel loads nothing unprivileged", v);
		return false;
	}
	return true;
}

static inline int vcase_kernel_load(const struct vcase *c, const struct bpf_insn *insns, char *log, size_t log_sz)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = (uint32_t)log_sz, .log_level = 1,
		    .prog_flags = c->strict_alignment ? BPF_F_STRICT_ALIGNMENT : 0);
	log[0] = 0;
	int fd = bpf_prog_load(c->prog_type, "vcase", "GPL", insns, c->n_insns, &o);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd;
}

/* An unprivileged load in a child without the BPF capabilities (the maps
 * made by the caller are inherited); the log comes back through shared
 * memory. */
static inline int vcase_kernel_load_unpriv(const struct vcase *c, const struct bpf_insn *insns, char *log,
					   size_t log_sz)
{
	struct shared {
		int ret;
		char log[];
	} *sh = mmap(NULL, sizeof(*sh) + log_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	sh->ret = -ECHILD;
	sh->log[0] = 0;
	pid_t pid = fork();
	if (pid == 0) {
		if (vcase_drop_bpf_caps()) {
			snprintf(sh->log, log_sz, "capset: %s", strerror(errno));
			_exit(1);
		}
		sh->ret = vcase_kernel_load(c, insns, sh->log, log_sz);
		_exit(0);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		sh->ret = -ECHILD;
	snprintf(log, log_sz, "%s", sh->log);
	int ret = sh->ret;
	munmap(sh, sizeof(*sh) + log_sz);
	return ret;
}

static inline int vcase_kernel_verify(const struct vcase *c, char *log, size_t log_sz)
{
	int fds[VCASE_MAX_MAPS];
	for (int i = 0; i < c->n_maps; i++) {
		const struct uebpf_verifier_map *m = &c->map_defs[i];
		fds[i] = bpf_map_create(m->type, NULL, m->key_size, m->value_size, m->max_entries, NULL);
		if (fds[i] < 0) {
			int e = fds[i];
			snprintf(log, log_sz, "map %d: bpf_map_create failed: %s", i, strerror(-e));
			while (i--)
				close(fds[i]);
			return e;
		}
	}
	struct bpf_insn *insns = malloc((c->n_insns ? c->n_insns : 1) * sizeof(*insns));
	if (!insns)
		abort();
	memcpy(insns, c->insns, c->n_insns * sizeof(*insns));
	for (size_t i = 0; i < c->n_insns; i++)
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    (insns[i].src_reg == BPF_PSEUDO_MAP_FD || insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) &&
		    insns[i].imm >= 0 && insns[i].imm < c->n_maps)
			insns[i].imm = fds[insns[i].imm];
	int ret = c->unpriv ? vcase_kernel_load_unpriv(c, insns, log, log_sz) : vcase_kernel_load(c, insns, log, log_sz);
	free(insns);
	for (int i = 0; i < c->n_maps; i++)
		close(fds[i]);
	return ret;
}

/* The kernel's message: the last log line that is not a statistics line. */
static inline void vcase_last_message(const char *log, char *out, size_t out_sz)
{
	out[0] = 0;
	for (const char *p = log; *p;) {
		size_t len = strcspn(p, "\n");
		if (len && strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17) &&
		    strncmp(p, "stack depth", 11) && strncmp(p, "max_states_per_insn", 19))
			snprintf(out, out_sz, "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
	}
	/* the kernel glues "processed N insns" onto a message without a newline */
	char *stats = strstr(out, "processed ");
	if (stats && stats != out)
		*stats = 0;
}

static inline void vcase_append(char **text, size_t *len, const char *line)
{
	size_t n = strlen(line);
	char *t = realloc(*text, *len + n + 1);
	if (!t)
		abort();
	memcpy(t + *len, line, n + 1);
	*text = t;
	*len += n;
}

static inline void vcase_set(char *dst, size_t sz, const char *src)
{
	snprintf(dst, sz, "%.*s", (int)sz - 1, src);
}

/* Calls fn for every case of one file; -1 when the file cannot be read. */
static inline int vcase_read_file(const char *path, void (*fn)(struct vcase *c, void *arg), void *arg)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512];
	struct vcase c;
	bool in_case = false, in_asm = false;
	size_t asm_len = 0;
	int lineno = 0;
	for (;;) {
		char *got = fgets(line, sizeof(line), f);
		lineno++;
		if ((!got || !strncmp(line, "== ", 3)) && in_case) {
			fn(&c, arg);
			free(c.asm_text);
			free(c.insns);
			in_case = false;
		}
		if (!got)
			break;
		if (!strncmp(line, "== ", 3)) {
			memset(&c, 0, sizeof(c));
			line[strcspn(line, "\n")] = 0;
			vcase_set(c.name, sizeof(c.name), line + 3);
			c.file = path;
			c.line = lineno;
			in_case = true, in_asm = false, asm_len = 0;
			continue;
		}
		if (!in_case)
			continue;
		if (in_asm) {
			vcase_append(&c.asm_text, &asm_len, line);
			continue;
		}
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "type: ", 6))
			vcase_set(c.type, sizeof(c.type), line + 6);
		else if (!strncmp(line, "maps: ", 6))
			vcase_set(c.maps, sizeof(c.maps), line + 6);
		else if (!strncmp(line, "flags: ", 7))
			vcase_set(c.flags, sizeof(c.flags), line + 7);
		else if (!strncmp(line, "expect: ", 8))
			vcase_set(c.expect, sizeof(c.expect), line + 8);
		else if (!strncmp(line, "known: ", 7))
			vcase_set(c.known, sizeof(c.known), line + 7);
		else if (!strcmp(line, "asm:"))
			in_asm = true;
	}
	fclose(f);
	return 0;
}

/* Every .txt in the cases folder, in name order; returns the number of files, -1 on error. */
static inline int vcase_read_all(void (*fn)(struct vcase *c, void *arg), void *arg)
{
	struct dirent **names;
	int n = scandir(VCASE_DIR, &names, NULL, alphasort), files = 0;
	if (n < 0) {
		printf("%s: %s (run from the top of the source tree)\n", VCASE_DIR, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);
		if (len > 4 && !strcmp(nm + len - 4, ".txt") && files >= 0) {
			char *path = malloc(sizeof(VCASE_DIR) + len + 1);
			if (!path)
				abort();
			sprintf(path, "%s/%s", VCASE_DIR, nm);
			if (vcase_read_file(path, fn, arg)) {
				printf("%s: %s\n", path, strerror(errno));
				files = -1;
			} else {
				files++;
			}
			free(path);
		}
		free(names[i]);
	}
	free(names);
	return files;
}

/* bpf() permitted here? */
static inline bool vcase_kernel_available(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

#endif
