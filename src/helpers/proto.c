/* Every helper uebpf implements, with the prototype the verifier checks calls
 * against (the kernel's bpf_func_proto of the same helper). */
#include <linux/bpf.h>
#include <stddef.h>

#include "helpers/impl.h"
#include "helpers/proto.h"

#define A(x) UEBPF_ARG_##x
#define P(id_, fn_, ret_, gpl_, ...)                                                              \
	[BPF_FUNC_##id_] = { .id = BPF_FUNC_##id_, .name = "bpf_" #id_, .fn = fn_, .ret = UEBPF_RET_##ret_, \
			     .gpl_only = gpl_, .arg = { __VA_ARGS__ } }

static const struct uebpf_helper_proto protos[__BPF_FUNC_MAX_ID] = {
	P(map_lookup_elem, uebpf_h_map_lookup_elem, PTR_TO_MAP_VALUE_OR_NULL, false, A(CONST_MAP_PTR), A(PTR_TO_MAP_KEY)),
	P(map_update_elem, uebpf_h_map_update_elem, INTEGER, false, A(CONST_MAP_PTR), A(PTR_TO_MAP_KEY),
	  A(PTR_TO_MAP_VALUE), A(ANYTHING)),
	P(map_delete_elem, uebpf_h_map_delete_elem, INTEGER, false, A(CONST_MAP_PTR), A(PTR_TO_MAP_KEY)),
	P(map_push_elem, uebpf_h_map_push_elem, INTEGER, false, A(CONST_MAP_PTR), A(PTR_TO_MAP_VALUE), A(ANYTHING)),
	P(map_pop_elem, uebpf_h_map_pop_elem, INTEGER, false, A(CONST_MAP_PTR), A(PTR_TO_UNINIT_MAP_VALUE)),
	P(map_peek_elem, uebpf_h_map_peek_elem, INTEGER, false, A(CONST_MAP_PTR), A(PTR_TO_UNINIT_MAP_VALUE)),
	P(for_each_map_elem, uebpf_h_for_each_map_elem, INTEGER, false, A(CONST_MAP_PTR), A(PTR_TO_FUNC),
	  A(PTR_TO_STACK_OR_NULL), A(ANYTHING)),
	P(probe_read, uebpf_h_probe_read, INTEGER, true, A(PTR_TO_UNINIT_MEM), A(CONST_SIZE_OR_ZERO), A(ANYTHING)),
	P(probe_read_user, uebpf_h_probe_read, INTEGER, true, A(PTR_TO_UNINIT_MEM), A(CONST_SIZE_OR_ZERO), A(ANYTHING)),
	P(probe_read_kernel, uebpf_h_probe_read, INTEGER, true, A(PTR_TO_UNINIT_MEM), A(CONST_SIZE_OR_ZERO), A(ANYTHING)),
	P(probe_read_str, uebpf_h_probe_read_str, INTEGER, true, A(PTR_TO_UNINIT_MEM), A(CONST_SIZE_OR_ZERO), A(ANYTHING)),
	P(probe_read_user_str, uebpf_h_probe_read_str, INTEGER, true, A(PTR_TO_UNINIT_MEM), A(CONST_SIZE_OR_ZERO),
	  A(ANYTHING)),
	P(probe_read_kernel_str, uebpf_h_probe_read_str, INTEGER, true, A(PTR_TO_UNINIT_MEM), A(CONST_SIZE_OR_ZERO),
	  A(ANYTHING)),
	P(strncmp, uebpf_h_strncmp, INTEGER, false, A(PTR_TO_MEM), A(CONST_SIZE), A(PTR_TO_CONST_STR)),
	P(strtol, uebpf_h_strtol, INTEGER, false, A(PTR_TO_MEM), A(CONST_SIZE), A(ANYTHING), A(PTR_TO_LONG)),
	P(strtoul, uebpf_h_strtoul, INTEGER, false, A(PTR_TO_MEM), A(CONST_SIZE), A(ANYTHING), A(PTR_TO_LONG)),
	P(ktime_get_ns, uebpf_h_ktime_get_ns, INTEGER, false),
	P(ktime_get_boot_ns, uebpf_h_ktime_get_boot_ns, INTEGER, false),
	P(ktime_get_coarse_ns, uebpf_h_ktime_get_coarse_ns, INTEGER, false),
	P(jiffies64, uebpf_h_jiffies64, INTEGER, false),
	P(get_prandom_u32, uebpf_h_get_prandom_u32, INTEGER, false),
	P(get_smp_processor_id, uebpf_h_get_smp_processor_id, INTEGER, false),
	P(get_numa_node_id, uebpf_h_get_numa_node_id, INTEGER, false),
	P(get_current_pid_tgid, uebpf_h_get_current_pid_tgid, INTEGER, false),
	P(get_current_uid_gid, uebpf_h_get_current_uid_gid, INTEGER, false),
	P(get_current_comm, uebpf_h_get_current_comm, INTEGER, false, A(PTR_TO_UNINIT_MEM), A(CONST_SIZE)),
	P(trace_printk, uebpf_h_trace_printk, INTEGER, true, A(PTR_TO_MEM), A(CONST_SIZE)),
	P(trace_vprintk, uebpf_h_trace_vprintk, INTEGER, true, A(PTR_TO_MEM), A(CONST_SIZE), A(PTR_TO_MEM_OR_NULL),
	  A(CONST_SIZE_OR_ZERO)),
	P(snprintf, uebpf_h_snprintf, INTEGER, false, A(PTR_TO_MEM_OR_NULL), A(CONST_SIZE_OR_ZERO), A(PTR_TO_CONST_STR),
	  A(PTR_TO_MEM_OR_NULL), A(CONST_SIZE_OR_ZERO)),
	P(ringbuf_output, uebpf_h_ringbuf_output, INTEGER, false, A(CONST_MAP_PTR), A(PTR_TO_MEM), A(CONST_SIZE_OR_ZERO),
	  A(ANYTHING)),
	P(ringbuf_reserve, uebpf_h_ringbuf_reserve, PTR_TO_RINGBUF_MEM_OR_NULL, false, A(CONST_MAP_PTR),
	  A(CONST_ALLOC_SIZE_OR_ZERO), A(ANYTHING)),
	P(ringbuf_submit, uebpf_h_ringbuf_submit, VOID, false, A(PTR_TO_RINGBUF_MEM), A(ANYTHING)),
	P(ringbuf_discard, uebpf_h_ringbuf_discard, VOID, false, A(PTR_TO_RINGBUF_MEM), A(ANYTHING)),
	P(ringbuf_query, uebpf_h_ringbuf_query, INTEGER, false, A(CONST_MAP_PTR), A(ANYTHING)),
	P(perf_event_output, uebpf_h_perf_event_output, INTEGER, true, A(PTR_TO_CTX), A(CONST_MAP_PTR), A(ANYTHING),
	  A(PTR_TO_MEM), A(CONST_SIZE_OR_ZERO)),
	P(get_stackid, uebpf_h_get_stackid, INTEGER, true, A(PTR_TO_CTX), A(CONST_MAP_PTR), A(ANYTHING)),
	P(get_stack, uebpf_h_get_stack, INTEGER, true, A(PTR_TO_CTX), A(PTR_TO_UNINIT_MEM), A(CONST_SIZE_OR_ZERO),
	  A(ANYTHING)),
	/* the engine performs the jump; the verifier checks the call */
	P(tail_call, NULL, VOID, false, A(PTR_TO_CTX), A(CONST_MAP_PTR), A(ANYTHING)),
	P(loop, uebpf_h_loop, INTEGER, false, A(SCALAR), A(PTR_TO_FUNC), A(PTR_TO_STACK_OR_NULL), A(ANYTHING)),
	P(get_func_ip, uebpf_h_get_func_ip, INTEGER, false, A(PTR_TO_CTX)),
	P(get_attach_cookie, uebpf_h_get_attach_cookie, INTEGER, false, A(PTR_TO_CTX)),
	P(spin_lock, uebpf_h_spin_lock, VOID, false, A(PTR_TO_SPIN_LOCK)),
	P(spin_unlock, uebpf_h_spin_unlock, VOID, false, A(PTR_TO_SPIN_LOCK)),
	P(skb_load_bytes, uebpf_h_skb_load_bytes, INTEGER, false, A(PTR_TO_CTX), A(ANYTHING), A(PTR_TO_UNINIT_MEM),
	  A(CONST_SIZE)),
	P(xdp_adjust_head, uebpf_h_xdp_adjust_head, INTEGER, false, A(PTR_TO_CTX), A(ANYTHING)),
	P(xdp_adjust_tail, uebpf_h_xdp_adjust_tail, INTEGER, false, A(PTR_TO_CTX), A(ANYTHING)),
	P(csum_diff, uebpf_h_csum_diff, INTEGER, false, A(PTR_TO_MEM_OR_NULL), A(CONST_SIZE_OR_ZERO),
	  A(PTR_TO_MEM_OR_NULL), A(CONST_SIZE_OR_ZERO), A(ANYTHING)),
};

const struct uebpf_helper_proto *uebpf_helper_proto(uint32_t id)
{
	return id < __BPF_FUNC_MAX_ID && protos[id].name ? &protos[id] : NULL;
}

uebpf_helper_fn uebpf_helper_internal(uint32_t id)
{
	switch (id) {
	case UEBPF_FUNC_hash_lookup:
		return uebpf_h_hash_lookup;
	case UEBPF_FUNC_ld_abs_8:
		return uebpf_h_ld_abs_8;
	case UEBPF_FUNC_ld_abs_16:
		return uebpf_h_ld_abs_16;
	case UEBPF_FUNC_ld_abs_32:
		return uebpf_h_ld_abs_32;
	}
	return NULL;
}

#define NAME(x) [BPF_FUNC_##x] = "bpf_" #x
static const char *const names[__BPF_FUNC_MAX_ID] = { __BPF_FUNC_MAPPER(NAME) };

const char *uebpf_helper_name(uint32_t id)
{
	return id && id < __BPF_FUNC_MAX_ID ? names[id] : NULL;
}
