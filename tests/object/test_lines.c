/* Source lines in the verifier's log: examples/sockfilter_count.bpf.o
 * (built with -g) verified at log level 2 prints "; SOURCE @ FILE:LINE"
 * before the instructions of each line. The same object loaded into the
 * kernel at log level 2 prints its own such lines: the first ones (the
 * path both verifiers walk first) must be the same text. */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/object.h>
#include <uebpf/verifier.h>

/* the first max lines of log starting "; ", distinct from the one before */
static int source_lines(const char *log, char out[][256], int max)
{
	int n = 0;
	for (const char *p = log; *p && n < max;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 2 && p[0] == ';' && p[1] == ' ' && len < 256 && (!n || strncmp(out[n - 1], p, len) ||
									 out[n - 1][len])) {
			memcpy(out[n], p, len);
			out[n++][len] = 0;
		}
		p += len + (nl != NULL);
	}
	return n;
}

int main(void)
{
	const char *dir = getenv("UEBPF_EXAMPLES") ? getenv("UEBPF_EXAMPLES") : "build/examples";
	char path[512];
	snprintf(path, sizeof(path), "%s/sockfilter_count.bpf.o", dir);
	static char log[1 << 20], klog[1 << 22];
	struct uebpf_object *obj;
	if (uebpf_object_open_file(path, NULL, &obj, log, sizeof(log))) {
		printf("FAIL: %s: %s\n", path, log);
		return 1;
	}
	struct uebpf_object_prog *p = uebpf_object_next_prog(obj, NULL);
	size_t n, n_lines;
	const struct bpf_insn *insns = uebpf_object_prog_insns(p, &n);
	const struct uebpf_line_info *lines = uebpf_object_prog_lines(p, &n_lines);
	printf("%s: %zu instructions, %zu line records\n", uebpf_object_prog_name(p), n, n_lines);
	if (!n_lines) {
		printf("FAIL: no line info read from .BTF.ext\n");
		return 1;
	}
	/* the map: the object's own, as the verifier sees it */
	struct uebpf_verifier_map vm[8];
	size_t n_maps = 0;
	for (struct uebpf_object_map *m = uebpf_object_next_map(obj, NULL); m && n_maps < 8;
	     m = uebpf_object_next_map(obj, m)) {
		const struct uebpf_map_info *i = uebpf_object_map_info(m);
		vm[n_maps++] = (struct uebpf_verifier_map){ i->type, i->key_size, i->value_size, i->max_entries,
							    i->map_flags, NULL, NULL };
	}
	struct uebpf_verify_opts o = { .sz = sizeof(o), .prog_type = uebpf_object_prog_type(p), .gpl = true,
				       .log_level = 2, .maps = vm, .n_maps = n_maps, .lines = lines, .n_lines = n_lines };
	struct uebpf_verify_result res;
	int err = uebpf_verify(insns, n, &o, &res, log, sizeof(log));
	uebpf_verify_result_free(&res);
	uebpf_object_close(obj);
	char ours[12][256], theirs[12][256];
	int n_ours = source_lines(log, ours, 12);
	if (err || n_ours < 3 || !strstr(ours[0], "@ sockfilter_count.bpf.c:")) {
		printf("FAIL: verify %d, %d source lines, first \"%s\"\n", err, n_ours, n_ours ? ours[0] : "");
		return 1;
	}
	printf("uebpf: %s\n", ours[0]);

	LIBBPF_OPTS(bpf_object_open_opts, ko, .kernel_log_buf = klog, .kernel_log_size = sizeof(klog),
		    .kernel_log_level = 2);
	libbpf_set_print(NULL);
	struct bpf_object *kobj = bpf_object__open_file(path, &ko);
	if (!kobj || bpf_object__load(kobj)) {
		printf("skip: the kernel did not load %s (bpf() not permitted here?): line info checked on uebpf only\n",
		       path);
		bpf_object__close(kobj);
		return 0;
	}
	bpf_object__close(kobj);
	int n_theirs = source_lines(klog, theirs, 12), same = 0;
	int m = n_ours < n_theirs ? n_ours : n_theirs;
	for (int i = 0; i < m; i++) {
		if (strcmp(ours[i], theirs[i])) {
			printf("FAIL: source line %d differs\n  uebpf:  %s\n  kernel: %s\n", i, ours[i], theirs[i]);
			return 1;
		}
		same++;
	}
	printf("the first %d source lines are the kernel's\n", same);
	return same >= 3 ? 0 : 1;
}
