/* bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf: one formatter
 * (format.c); the message goes to the run's printer, else to stderr. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers/impl.h"
#include "helpers/memory.h"
#include "helpers/runctx.h"

#define PTR(r) ((void *)(uintptr_t)(r))
#define MAX_ARGS 12 /* MAX_BPRINTF_VARARGS */

static long emit(const char *fmt, uint32_t fmt_sz, const uint64_t *args, uint32_t n_args)
{
	char msg[1024];
	long len = uebpf_bpf_format(msg, sizeof(msg), fmt, fmt_sz, args, n_args);
	if (len < 0)
		return len;
	size_t shown = (size_t)len < sizeof(msg) ? (size_t)len : sizeof(msg) - 1;
	struct uebpf_run_ctx *rc = uebpf_run_ctx_cur;
	if (rc && rc->print) {
		rc->print(rc->print_arg, msg, shown);
	} else {
		fwrite(msg, 1, shown, stderr);
		if (!shown || msg[shown - 1] != '\n')
			fputc('\n', stderr);
	}
	return shown;
}

HELPER(trace_printk)
{
	uint64_t args[3] = { r3, r4, r5 };
	return emit(PTR(r1), (uint32_t)r2, args, 3);
}

static int take_args(uint64_t data, uint32_t data_len, uint64_t *args, uint32_t *n)
{
	if (data_len % 8 || data_len > MAX_ARGS * 8 || (data_len && !data))
		return -EINVAL;
	*n = data_len / 8;
	memcpy(args, PTR(data), data_len);
	return 0;
}

HELPER(trace_vprintk)
{
	uint64_t args[MAX_ARGS];
	uint32_t n;
	int err = take_args(r3, (uint32_t)r4, args, &n);
	return err ? err : emit(PTR(r1), (uint32_t)r2, args, n);
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): the length with the NUL */
HELPER(snprintf)
{
	uint64_t args[MAX_ARGS];
	uint32_t n;
	int err = take_args(r4, (uint32_t)r5, args, &n);
	if (err)
		return err;
	const char *fmt = PTR(r3);
	long len = uebpf_bpf_format(PTR(r1), (uint32_t)r2, fmt, strlen(fmt) + 1, args, n);
	return len < 0 ? len : len + 1;
}
