/* The helper sets shared by several program types (the kernel's
 * bpf_base_func_proto and bpf_tracing_func_proto). */
#include <linux/bpf.h>

#include "progtypes/funcs.h"

const struct uebpf_helper_proto *uebpf_base_func_proto(uint32_t id, bool priv)
{
	switch (id) {
	case BPF_FUNC_map_lookup_elem:
	case BPF_FUNC_map_update_elem:
	case BPF_FUNC_map_delete_elem:
	case BPF_FUNC_map_push_elem:
	case BPF_FUNC_map_pop_elem:
	case BPF_FUNC_map_peek_elem:
	case BPF_FUNC_get_prandom_u32:
	case BPF_FUNC_get_smp_processor_id:
	case BPF_FUNC_get_numa_node_id:
	case BPF_FUNC_tail_call:
	case BPF_FUNC_ktime_get_ns:
	case BPF_FUNC_ktime_get_boot_ns:
	case BPF_FUNC_ringbuf_output:
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_ringbuf_submit:
	case BPF_FUNC_ringbuf_discard:
	case BPF_FUNC_ringbuf_query:
	case BPF_FUNC_for_each_map_elem:
	case BPF_FUNC_loop:
	case BPF_FUNC_strncmp:
		return uebpf_helper_proto(id);
	}
	if (!priv)
		return NULL;
	switch (id) {
	case BPF_FUNC_spin_lock:
	case BPF_FUNC_spin_unlock:
	case BPF_FUNC_jiffies64:
	case BPF_FUNC_ktime_get_coarse_ns:
	case BPF_FUNC_strtol:
	case BPF_FUNC_strtoul:
	case BPF_FUNC_trace_printk:
	case BPF_FUNC_probe_read_user:
	case BPF_FUNC_probe_read_kernel:
	case BPF_FUNC_probe_read_user_str:
	case BPF_FUNC_probe_read_kernel_str:
	case BPF_FUNC_snprintf:
	case BPF_FUNC_trace_vprintk:
		return uebpf_helper_proto(id);
	}
	return NULL;
}

const struct uebpf_helper_proto *uebpf_tracing_func_proto(uint32_t id, bool priv)
{
	switch (id) {
	case BPF_FUNC_get_current_pid_tgid:
	case BPF_FUNC_get_current_uid_gid:
	case BPF_FUNC_get_current_comm:
	case BPF_FUNC_probe_read:
	case BPF_FUNC_probe_read_str:
	case BPF_FUNC_ktime_get_coarse_ns:
		return uebpf_helper_proto(id);
	}
	return uebpf_base_func_proto(id, priv);
}
