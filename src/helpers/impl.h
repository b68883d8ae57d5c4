/* The helper functions, one group per file; proto.c puts them in the table
 * with their prototypes. All take and return 64-bit values as r1..r5 -> r0. */
#ifndef UEBPF_HELPERS_IMPL_H
#define UEBPF_HELPERS_IMPL_H

#include <stdint.h>

#define HELPER(name) uint64_t uebpf_h_##name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)

/* helpers_map.c */
HELPER(map_lookup_elem);
HELPER(map_update_elem);
HELPER(map_delete_elem);
HELPER(map_push_elem);
HELPER(map_pop_elem);
HELPER(map_peek_elem);
HELPER(for_each_map_elem);
HELPER(hash_lookup);
/* helpers_mem.c */
HELPER(probe_read);
HELPER(probe_read_str);
HELPER(strncmp);
HELPER(strtol);
HELPER(strtoul);
/* helpers_task.c */
HELPER(ktime_get_ns);
HELPER(ktime_get_boot_ns);
HELPER(ktime_get_coarse_ns);
HELPER(jiffies64);
HELPER(get_prandom_u32);
HELPER(get_smp_processor_id);
HELPER(get_numa_node_id);
HELPER(get_current_pid_tgid);
HELPER(get_current_uid_gid);
HELPER(get_current_comm);
/* helpers_print.c */
HELPER(trace_printk);
HELPER(trace_vprintk);
HELPER(snprintf);
/* helpers_event.c */
HELPER(ringbuf_output);
HELPER(ringbuf_reserve);
HELPER(ringbuf_submit);
HELPER(ringbuf_discard);
HELPER(ringbuf_query);
HELPER(perf_event_output);
HELPER(get_stackid);
HELPER(get_stack);
/* helpers_pkt.c */
HELPER(skb_load_bytes);
HELPER(xdp_adjust_head);
HELPER(xdp_adjust_tail);
HELPER(csum_diff);
HELPER(ld_abs_8);
HELPER(ld_abs_16);
HELPER(ld_abs_32);
/* helpers_misc.c */
HELPER(loop);
HELPER(get_func_ip);
HELPER(get_attach_cookie);
HELPER(spin_lock);
HELPER(spin_unlock);

#endif
