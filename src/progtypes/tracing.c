/* Tracing program types. Their contexts (pt_regs, tracepoint records, raw
 * tracepoint arguments, perf samples) are passed to the program in the
 * kernel's own layout, so there is nothing to rewrite. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <stddef.h>

#include "progtypes/funcs.h"
#include "progtypes/progtype.h"

#define PT_REGS_SIZE (21 * 8)      /* x86-64 user struct pt_regs */
#define PERF_MAX_TRACE_SIZE 2048
#define MAX_FUNC_ARGS 12           /* MAX_BPF_FUNC_ARGS */

static bool aligned(int off, int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8 ? off % size == 0 : false;
}

static int kprobe_access(int off, int size, bool write, bool priv, enum uebpf_ctx_field *kind)
{
	*kind = UEBPF_CTX_SCALAR;
	return !write && off >= 0 && off + size <= PT_REGS_SIZE && aligned(off, size) ? 0 : -EACCES;
}

/* the first 8 bytes of a record (common_type, flags, preempt count, pid) are
 * not the program's to read */
static int tp_access(int off, int size, bool write, bool priv, enum uebpf_ctx_field *kind)
{
	*kind = UEBPF_CTX_SCALAR;
	return !write && off >= 8 && off < PERF_MAX_TRACE_SIZE && aligned(off, size) ? 0 : -EACCES;
}

static int args_access(int off, int size, bool write, bool priv, enum uebpf_ctx_field *kind)
{
	*kind = UEBPF_CTX_SCALAR;
	return !write && off >= 0 && off < 8 * MAX_FUNC_ARGS && aligned(off, size) ? 0 : -EACCES;
}

static int perf_access(int off, int size, bool write, bool priv, enum uebpf_ctx_field *kind)
{
	*kind = UEBPF_CTX_SCALAR;
	if (write || off < 0 || off + size > (int)sizeof(struct bpf_perf_event_data) || !aligned(off, size))
		return -EACCES;
	/* sample_period and addr: whole 8-byte loads */
	if (off >= PT_REGS_SIZE && size != 8)
		return -EACCES;
	return 0;
}

static int syscall_access(int off, int size, bool write, bool priv, enum uebpf_ctx_field *kind)
{
	*kind = UEBPF_CTX_SCALAR;
	return off >= 0 && off < 65535 && aligned(off, size) ? 0 : -EACCES;
}

static const struct uebpf_helper_proto *kprobe_proto(uint32_t id, bool priv)
{
	switch (id) {
	case BPF_FUNC_perf_event_output:
	case BPF_FUNC_get_stackid:
	case BPF_FUNC_get_stack:
	case BPF_FUNC_get_func_ip:
	case BPF_FUNC_get_attach_cookie:
		return uebpf_helper_proto(id);
	}
	return uebpf_tracing_func_proto(id, priv);
}

static const struct uebpf_helper_proto *tp_proto(uint32_t id, bool priv)
{
	switch (id) {
	case BPF_FUNC_perf_event_output:
	case BPF_FUNC_get_stackid:
	case BPF_FUNC_get_stack:
	case BPF_FUNC_get_attach_cookie:
		return uebpf_helper_proto(id);
	}
	return uebpf_tracing_func_proto(id, priv);
}

static const struct uebpf_helper_proto *raw_tp_proto(uint32_t id, bool priv)
{
	switch (id) {
	case BPF_FUNC_perf_event_output:
	case BPF_FUNC_get_stackid:
	case BPF_FUNC_get_stack:
		return uebpf_helper_proto(id);
	}
	return uebpf_tracing_func_proto(id, priv);
}

const struct uebpf_progtype uebpf_progtype_kprobe = {
	.type = BPF_PROG_TYPE_KPROBE,
	.name = "kprobe",
	.ctx_size = PT_REGS_SIZE,
	.is_valid_access = kprobe_access,
	.func_proto = kprobe_proto,
};

const struct uebpf_progtype uebpf_progtype_tracepoint = {
	.type = BPF_PROG_TYPE_TRACEPOINT,
	.name = "tracepoint",
	.ctx_size = PERF_MAX_TRACE_SIZE,
	.is_valid_access = tp_access,
	.func_proto = tp_proto,
};

const struct uebpf_progtype uebpf_progtype_raw_tracepoint = {
	.type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.name = "raw_tracepoint",
	.ctx_size = 8 * MAX_FUNC_ARGS,
	.is_valid_access = args_access,
	.func_proto = raw_tp_proto,
};

const struct uebpf_progtype uebpf_progtype_perf_event = {
	.type = BPF_PROG_TYPE_PERF_EVENT,
	.name = "perf_event",
	.ctx_size = sizeof(struct bpf_perf_event_data),
	.is_valid_access = perf_access,
	.func_proto = tp_proto,
};

const struct uebpf_progtype uebpf_progtype_tracing = {
	.type = BPF_PROG_TYPE_TRACING,
	.name = "tracing",
	.ctx_size = 8 * MAX_FUNC_ARGS,
	.is_valid_access = args_access,
	.func_proto = kprobe_proto, /* fentry/fexit: the same helpers as kprobes */
};

const struct uebpf_progtype uebpf_progtype_syscall = {
	.type = BPF_PROG_TYPE_SYSCALL,
	.name = "syscall",
	.ctx_size = 65535,
	.is_valid_access = syscall_access,
	.func_proto = uebpf_tracing_func_proto,
};
