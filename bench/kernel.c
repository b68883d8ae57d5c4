/* The kernel's JIT as a benchmark peer: the benchmark body inside an XDP
 * program (bench/xdp_wrap.bpf.c), loaded with libbpf and timed with
 * BPF_PROG_TEST_RUN. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct bench_kernel {
	struct bpf_object *obj;
	int prog_fd, map_fd;
	size_t value_sz;
	uint8_t *value; /* ret, len, data: struct bench_buf of xdp_wrap.bpf.c */
};

/* The tail of what libbpf printed during the last load: the verifier's
 * complaint is at the end of its log. */
static char print_tail[4096];

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	size_t have = strlen(print_tail), add;

	/* libbpf prints the whole verifier log in one call */
	if (level == LIBBPF_DEBUG || vasprintf(&msg, fmt, ap) < 0)
		return 0;
	add = strlen(msg);
	if (add >= sizeof(print_tail)) {
		memcpy(print_tail, msg + add - (sizeof(print_tail) - 1), sizeof(print_tail));
	} else {
		if (have + add >= sizeof(print_tail)) {
			size_t drop = have + add - (sizeof(print_tail) - 1);
			memmove(print_tail, print_tail + drop, have - drop + 1);
			have -= drop;
		}
		memcpy(print_tail + have, msg, add + 1);
	}
	free(msg);
	return 0;
}

/* The most telling line of the captured output: the verifier's complaint
 * (its log ends with it, then statistics and libbpf's end marker), or else
 * libbpf's last line. */
static void reason(char *err, size_t err_sz, int rc)
{
	char *end = strstr(print_tail, "-- END PROG LOAD LOG --");
	char *text = print_tail, *line = NULL;

	if (rc == -EPERM) {
		snprintf(err, err_sz, "bpf() is not permitted here (needs CAP_BPF, or root)");
		return;
	}
	if (end) {
		*end = 0;
		if ((end = strstr(print_tail, "\nprocessed ")))
			*end = 0;
	}
	for (char *tok = strtok(text, "\n"); tok; tok = strtok(NULL, "\n"))
		if (*tok)
			line = tok;
	snprintf(err, err_sz, "%s%s%s", strerror(-rc), line ? ": " : "", line ? line : "");
}

struct bench_kernel *bench_kernel_load(const char *obj_path, char *err, size_t err_sz)
{
	struct bench_kernel *k = calloc(1, sizeof(*k));
	struct bpf_program *prog;
	struct bpf_map *map;
	libbpf_print_fn_t old;
	int rc;

	if (!k)
		return snprintf(err, err_sz, "out of memory"), NULL;
	print_tail[0] = 0;
	old = libbpf_set_print(capture);
	k->obj = bpf_object__open_file(obj_path, NULL);
	rc = libbpf_get_error(k->obj);
	if (rc) {
		k->obj = NULL;
		snprintf(err, err_sz, "%s: %s", obj_path, strerror(-rc));
		goto fail;
	}
	rc = bpf_object__load(k->obj);
	if (rc) {
		reason(err, err_sz, rc);
		goto fail;
	}
	prog = bpf_object__find_program_by_name(k->obj, "bench_xdp");
	map = bpf_object__find_map_by_name(k->obj, "bench_buf");
	if (!prog || !map) {
		snprintf(err, err_sz, "%s: no bench_xdp program or bench_buf map", obj_path);
		goto fail;
	}
	k->prog_fd = bpf_program__fd(prog);
	k->map_fd = bpf_map__fd(map);
	k->value_sz = bpf_map__value_size(map);
	k->value = calloc(1, k->value_sz);
	if (!k->value) {
		snprintf(err, err_sz, "out of memory");
		goto fail;
	}
	libbpf_set_print(old);
	return k;
fail:
	libbpf_set_print(old);
	bench_kernel_free(k);
	return NULL;
}

void bench_kernel_free(struct bench_kernel *k)
{
	if (!k)
		return;
	bpf_object__close(k->obj);
	free(k->value);
	free(k);
}

int bench_kernel_set_input(struct bench_kernel *k, const void *mem, size_t len, char *err,
			   size_t err_sz)
{
	uint32_t key = 0;
	uint64_t len64 = len;

	if (16 + len > k->value_sz) {
		snprintf(err, err_sz, "input of %zu bytes does not fit the map value", len);
		return -1;
	}
	memset(k->value, 0, k->value_sz);
	memcpy(k->value + 8, &len64, 8);
	memcpy(k->value + 16, mem, len);
	if (bpf_map_update_elem(k->map_fd, &key, k->value, BPF_ANY)) {
		snprintf(err, err_sz, "map update: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int bench_kernel_run(struct bench_kernel *k, uint32_t repeat, double *ns_per_run, uint64_t *ret,
		     char *err, size_t err_sz)
{
	uint8_t pkt[64] = { 0 }; /* XDP wants at least an Ethernet header */
	uint32_t key = 0;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = (int)repeat);

	if (bpf_prog_test_run_opts(k->prog_fd, &opts)) {
		snprintf(err, err_sz, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	if (opts.retval != 2 /* XDP_PASS */) {
		snprintf(err, err_sz, "the XDP wrapper refused its input (returned %u)", opts.retval);
		return -1;
	}
	if (bpf_map_lookup_elem(k->map_fd, &key, k->value)) {
		snprintf(err, err_sz, "map lookup: %s", strerror(errno));
		return -1;
	}
	memcpy(ret, k->value, 8);
	*ns_per_run = opts.duration;
	return 0;
}
