/* DPDK librte_bpf as a benchmark peer. Kept in its own file: DPDK's
 * bpf_def.h and <linux/bpf.h> define the same names. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "harness.h"

struct bench_dpdk {
	struct rte_bpf *bpf;
};

/* Loads with DPDK's log captured; on failure the log's last line says why. */
static struct rte_bpf *load(const struct rte_bpf_prm *prm, char *err, size_t err_sz)
{
	char *log = NULL;
	size_t log_sz = 0;
	FILE *f = open_memstream(&log, &log_sz);
	struct rte_bpf *bpf;

	if (f)
		rte_openlog_stream(f);
	bpf = rte_bpf_load(prm);
	rte_openlog_stream(NULL);
	if (f)
		fclose(f);
	if (!bpf) {
		char *line = log, *p;
		/* the last non-empty line is the validator's complaint */
		for (p = log; p && *p; p++)
			if (*p == '\n' && p[1])
				line = p + 1;
		if (line)
			line[strcspn(line, "\n")] = 0;
		snprintf(err, err_sz, "rte_bpf_load: %s", line && *line ? line : strerror(rte_errno));
	}
	free(log);
	return bpf;
}

/* Runs the validator in a child so that a path explosion costs timeout_s, not
 * the whole benchmark. Returns 0 when the child loaded the program. */
static int trial_load(const struct rte_bpf_prm *prm, double timeout_s, char *err, size_t err_sz)
{
	int fds[2], status;
	pid_t pid;
	char why[512] = "";
	ssize_t got = 0;

	if (pipe(fds))
		return snprintf(err, err_sz, "pipe: %s", strerror(errno)), -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return snprintf(err, err_sz, "fork: %s", strerror(errno)), -1;
	}
	if (pid == 0) {
		/* a path explosion must not outlive the benchmark */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fds[0]);
		struct rte_bpf *bpf = load(prm, why, sizeof(why));
		if (!bpf && write(fds[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(bpf ? 0 : 1);
	}
	close(fds[1]);
	struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
	int r = poll(&pfd, 1, (int)(timeout_s * 1000));
	if (r <= 0) {
		kill(pid, SIGKILL);
		snprintf(err, err_sz,
			 "librte_bpf's validator did not finish in %g s (it explores every path)",
			 timeout_s);
	} else {
		got = read(fds[0], why, sizeof(why) - 1);
		why[got > 0 ? got : 0] = 0;
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (r <= 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(err, err_sz, "%s", got > 0 ? why : "validator crashed");
		return -1;
	}
	return 0;
}

struct bench_dpdk *bench_dpdk_load(const struct bpf_insn *insns, size_t n, size_t mem_size,
				   double timeout_s, char *err, size_t err_sz)
{
	struct rte_bpf_prm prm = {
		.ins = (const struct ebpf_insn *)insns,
		.nb_ins = (uint32_t)n,
		.prog_arg = { .type = RTE_BPF_ARG_PTR, .size = mem_size },
	};
	struct bench_dpdk *d;

	if (trial_load(&prm, timeout_s, err, err_sz))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->bpf = load(&prm, err, err_sz))) {
		free(d);
		return NULL;
	}
	return d;
}

void bench_dpdk_free(struct bench_dpdk *d)
{
	if (d)
		rte_bpf_destroy(d->bpf);
	free(d);
}

uint64_t bench_dpdk_exec(const struct bench_dpdk *d, void *mem)
{
	return rte_bpf_exec(d->bpf, mem);
}

uint64_t bench_dpdk_exec_loop(const struct bench_dpdk *d, void *mem, uint64_t iters)
{
	uint64_t x = 0;

	for (uint64_t i = 0; i < iters; i++)
		x ^= rte_bpf_exec(d->bpf, mem);
	return x;
}

bench_dpdk_jit_fn bench_dpdk_jit(const struct bench_dpdk *d, char *err, size_t err_sz)
{
	struct rte_bpf_jit jit;

	if (rte_bpf_get_jit(d->bpf, &jit) || !jit.func) {
		snprintf(err, err_sz, "librte_bpf did not JIT-compile it");
		return NULL;
	}
	return jit.func;
}
