/* The program types uebpf runs, by kernel type and by the kernel's name. */
#include <string.h>

#include "progtypes/progtype.h"

extern const struct uebpf_progtype uebpf_progtype_socket_filter, uebpf_progtype_sched_cls,
	uebpf_progtype_sched_act, uebpf_progtype_xdp, uebpf_progtype_kprobe, uebpf_progtype_tracepoint,
	uebpf_progtype_raw_tracepoint, uebpf_progtype_perf_event, uebpf_progtype_tracing, uebpf_progtype_syscall,
	uebpf_progtype_classic;

static const struct uebpf_progtype *const types[] = {
	&uebpf_progtype_socket_filter, &uebpf_progtype_sched_cls, &uebpf_progtype_sched_act,
	&uebpf_progtype_xdp,           &uebpf_progtype_kprobe,    &uebpf_progtype_tracepoint,
	&uebpf_progtype_raw_tracepoint, &uebpf_progtype_perf_event, &uebpf_progtype_tracing,
	&uebpf_progtype_syscall,       &uebpf_progtype_classic,
};

const struct uebpf_progtype *uebpf_progtype_get(enum bpf_prog_type type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i]->type == type)
			return types[i];
	return NULL;
}

const struct uebpf_progtype *uebpf_progtype_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i]->name, name))
			return types[i];
	return NULL;
}
