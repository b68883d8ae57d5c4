/* Helper functions and their prototypes. The verifier checks each call
 * against the prototype (as the kernel's struct bpf_func_proto); the engine
 * calls fn. Helper ids and names are the kernel's (<linux/bpf.h> __BPF_FUNC_MAPPER). */
#ifndef UEBPF_HELPERS_PROTO_H
#define UEBPF_HELPERS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/engine.h>

enum uebpf_arg_type {
	UEBPF_ARG_NONE = 0,            /* unused argument */
	UEBPF_ARG_ANYTHING,            /* any initialised value, scalar or pointer */
	UEBPF_ARG_SCALAR,              /* an initialised scalar */
	UEBPF_ARG_CONST_MAP_PTR,       /* map pointer (lddw map:N) */
	UEBPF_ARG_PTR_TO_MAP_KEY,      /* key_size bytes of initialised stack/map value */
	UEBPF_ARG_PTR_TO_MAP_VALUE,    /* value_size bytes, initialised */
	UEBPF_ARG_PTR_TO_UNINIT_MAP_VALUE, /* value_size bytes written by the helper */
	UEBPF_ARG_PTR_TO_MEM,          /* read-only memory; size in the next arg */
	UEBPF_ARG_PTR_TO_MEM_OR_NULL,
	UEBPF_ARG_PTR_TO_UNINIT_MEM,   /* memory the helper fills; size in the next arg */
	UEBPF_ARG_CONST_SIZE,          /* > 0, bounded: size of the previous arg */
	UEBPF_ARG_CONST_SIZE_OR_ZERO,
	UEBPF_ARG_CONST_ALLOC_SIZE_OR_ZERO, /* ringbuf_reserve size: must be a known constant */
	UEBPF_ARG_PTR_TO_CTX,
	UEBPF_ARG_PTR_TO_CTX_OR_NULL,
	UEBPF_ARG_PTR_TO_STACK_OR_NULL, /* bpf_loop / for_each callback context */
	UEBPF_ARG_PTR_TO_FUNC,         /* callback: lddw src=BPF_PSEUDO_FUNC */
	UEBPF_ARG_PTR_TO_RINGBUF_MEM,  /* a reservation; the call releases it */
	UEBPF_ARG_PTR_TO_LONG,         /* 8 bytes the helper writes (strtol result) */
	UEBPF_ARG_PTR_TO_CONST_STR,    /* NUL-terminated string in a read-only map value */
	UEBPF_ARG_PTR_TO_SPIN_LOCK,    /* struct bpf_spin_lock inside a map value */
};

enum uebpf_ret_type {
	UEBPF_RET_INTEGER = 0,
	UEBPF_RET_VOID,
	UEBPF_RET_PTR_TO_MAP_VALUE_OR_NULL,  /* value of the map in arg 1 */
	UEBPF_RET_PTR_TO_RINGBUF_MEM_OR_NULL, /* size = arg 2 (constant); acquires a reference */
};

struct uebpf_helper_proto {
	uint32_t id;        /* BPF_FUNC_* */
	const char *name;   /* as the kernel's log prints it: "bpf_map_lookup_elem" */
	uebpf_helper_fn fn; /* NULL: the engine implements it (bpf_tail_call) */
	enum uebpf_ret_type ret;
	enum uebpf_arg_type arg[5];
	bool gpl_only;
	bool pkt_access;    /* may take packet pointers as memory args */
	bool might_sleep;
};

/* Internal helpers that only rewrites emitted after verification call (ids
 * past every kernel helper): a hash map lookup that skips the ops table;
 * LD_ABS / LD_IND of 1, 2, 4 bytes from a struct uebpf_pkt_ctx at an offset
 * (the value in host order, or -EFAULT). */
#define UEBPF_FUNC_hash_lookup (UEBPF_MAX_HELPERS - 4) /* bpf_map_lookup_elem, HASH map known */
#define UEBPF_FUNC_ld_abs_8 (UEBPF_MAX_HELPERS - 3)
#define UEBPF_FUNC_ld_abs_16 (UEBPF_MAX_HELPERS - 2)
#define UEBPF_FUNC_ld_abs_32 (UEBPF_MAX_HELPERS - 1)
uebpf_helper_fn uebpf_helper_internal(uint32_t id);

/* The prototype of helper id, or NULL when uebpf does not implement it. */
const struct uebpf_helper_proto *uebpf_helper_proto(uint32_t id);
/* The kernel's name for any helper id (also those uebpf lacks), or NULL. */
const char *uebpf_helper_name(uint32_t id);

#endif
