/* The verifier case table through the kernel's verifier (real maps,
 * bpf_prog_load, log level 1): fails when the kernel's verdict or message
 * differs from a case, so the table says what the kernel says. Unprivileged
 * cases run in a child that drops the BPF capabilities, where
 * kernel.unprivileged_bpf_disabled is 0 (Debian sets 2: then they are not
 * run, and the test says so).
 * `test_verifier_kernel --oracle` prints the kernel's verdict line for every
 * case, which is how expectations are written. */
#include "vcase.h"

struct run {
	bool oracle, unpriv_ok;
	int cases, pass, fail, unpriv;
};

static void run_case(struct vcase *c, void *arg)
{
	struct run *r = arg;
	static char log[1 << 20];
	char err[256], msg[256];
	r->cases++;
	if (vcase_prepare(c, err, sizeof(err))) {
		printf("BAD CASE %s:%d %s: %s\n", c->file, c->line, c->name, err);
		r->fail++;
		return;
	}
	if (c->unpriv && !r->unpriv_ok) {
		r->unpriv++;
		return;
	}
	int verdict = vcase_kernel_verify(c, log, sizeof(log));
	vcase_last_message(log, msg, sizeof(msg));
	if (r->oracle)
		printf("%s:%d %s\n  kernel: %s\n", c->file, c->line, c->name, verdict ? msg : "accept");
	if (vcase_matches(c, verdict, log)) {
		r->pass++;
		return;
	}
	r->fail++;
	printf("KERNEL DIFFERS %s:%d %s\n  expected: %s\n  kernel:   %s (%s) \"%s\"\n", c->file, c->line, c->name,
	       c->expect, verdict ? "rejected" : "accepted", strerror(-verdict), msg);
}

int main(int argc, char **argv)
{
	static struct run r;
	r.oracle = argc > 1 && !strcmp(argv[1], "--oracle");
	if (!vcase_kernel_available()) {
		printf("skip: bpf() is not permitted here (%s), the kernel cannot check the case table\n", strerror(errno));
		return 77;
	}
	char why[256];
	r.unpriv_ok = vcase_kernel_unpriv_available(why, sizeof(why));
	if (!r.unpriv_ok)
		printf("unprivileged cases not run: %s\n", why);
	if (vcase_read_all(run_case, &r) <= 0)
		return 1;
	printf("kernel: %d of %d cases as the table says, %d differ; %d unprivileged cases not run\n", r.pass,
	       r.cases - r.unpriv, r.fail, r.unpriv);
	return r.fail ? 1 : 0;
}
