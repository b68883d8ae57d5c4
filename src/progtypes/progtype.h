/* One descriptor per program type: what the context looks like to the
 * program, how the verifier rewrites context accesses to the layout the
 * engine really passes, which helpers the type may call, and its return
 * range. The verifier never switches on a program type; it asks this table. */
#ifndef UEBPF_PROGTYPES_PROGTYPE_H
#define UEBPF_PROGTYPES_PROGTYPE_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "helpers/proto.h"

/* What a valid context load yields, for the verifier's register typing. */
enum uebpf_ctx_field {
	UEBPF_CTX_SCALAR = 0,
	UEBPF_CTX_PKT,        /* __sk_buff.data, xdp_md.data */
	UEBPF_CTX_PKT_END,    /* data_end */
	UEBPF_CTX_PKT_META,   /* data_meta */
};

struct uebpf_progtype {
	enum bpf_prog_type type;
	const char *name;       /* as bpftool/kernel name it: "socket_filter", "xdp", "sched_cls" */
	uint32_t ctx_size;      /* size of the struct the program sees */
	/* Is a ctx access of size bytes at off allowed? 0, or -EACCES (the
	 * verifier then prints "invalid bpf_context access off=%d size=%d"). */
	int (*is_valid_access)(int off, int size, bool write, bool priv, enum uebpf_ctx_field *field);
	/* Rewrite the ctx load/store insn (its off is a valid access) into at
	 * most max insns in out reading the uebpf layout; returns the count (1
	 * when unchanged), or -errno. NULL: the layout is the same (pt_regs,
	 * tracepoint records). */
	int (*convert_ctx_access)(const struct bpf_insn *insn, struct bpf_insn *out, size_t max);
	/* The prototype for helper id if this type may call it, else NULL. */
	const struct uebpf_helper_proto *(*func_proto)(uint32_t id, bool priv);
	bool has_ret_range;     /* exit value must lie in [ret_min, ret_max] */
	int64_t ret_min, ret_max;
	bool ld_abs;            /* LD_ABS / LD_IND allowed (skb types) */
	/* After acceptance, LD_ABS / LD_IND is rewritten into at most max insns
	 * (a call to an internal load helper, as the kernel's bpf_gen_ld_abs);
	 * returns the count or -errno. Set when ld_abs is. */
	int (*gen_ld_abs)(const struct bpf_insn *insn, struct bpf_insn *out, size_t max);
	bool pkt_access;        /* direct packet access */
};

/* uebpf's own program type: a classic filter translated to eBPF
 * (src/classic/translate.c). Its context is a struct uebpf_classic_pkt,
 * read as it is; it may call only the classic helpers. */
#define UEBPF_PROG_TYPE_CLASSIC ((enum bpf_prog_type)0x10000)

const struct uebpf_progtype *uebpf_progtype_get(enum bpf_prog_type type);
const struct uebpf_progtype *uebpf_progtype_by_name(const char *name);

/* libbpf's section-name conventions: "xdp", "tc", "kprobe/do_sys_open",
 * "uprobe//bin/bash:readline", "tracepoint/sched/sched_switch", ...
 * Fills type, expected attach type and *target (pointer into sec past the
 * prefix, or NULL). Returns 0 or -ENOENT when no convention matches. */
struct uebpf_section_info {
	enum bpf_prog_type type;
	enum bpf_attach_type expected_attach_type;
	const char *target;
	const char *kind;       /* the prefix as written: "kprobe", "uretprobe", "usdt", ... */
};
int uebpf_progtype_from_section(const char *sec, struct uebpf_section_info *info);

#endif
