/* uebpf: the verifier. Proves a program safe as the kernel's verifier does
 * (abstract interpretation of every path, the kernel's rules and messages)
 * and rewrites its context accesses to uebpf's layout. A program the verifier
 * accepted may be loaded with UEBPF_F_VERIFIED and run without checks. */
#ifndef UEBPF_VERIFIER_H
#define UEBPF_VERIFIER_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A map as the verifier sees it: lddw src=BPF_PSEUDO_MAP_FD/_IDX imm=N and
 * src=BPF_PSEUDO_MAP_VALUE/_IDX_VALUE imm=N (next imm = offset) refer to maps[N]. */
struct uebpf_verifier_map {
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries, map_flags;
	const struct uebpf_verifier_map *inner; /* map-in-map template, else NULL */
	const char *name;                       /* for the log ("map=NAME"), or NULL */
};

/* Where an instruction came from (an object's .BTF.ext line info): the log
 * prints "; SOURCE @ FILE:LINE" before the instructions of each line, as the
 * kernel does. */
struct uebpf_line_info {
	uint32_t insn;       /* first instruction of the line (in the program as given) */
	uint32_t line, col;
	const char *file;    /* as compiled (a path) */
	const char *src;     /* the source line */
};

struct uebpf_verify_opts {
	size_t sz;                     /* sizeof(struct uebpf_verify_opts) */
	enum bpf_prog_type prog_type;
	enum bpf_attach_type expected_attach_type;
	uint32_t log_level;            /* 0: errors only, 1, 2: as the kernel; 4: stats */
	bool unpriv;                   /* the kernel's rules without CAP_BPF/CAP_PERFMON */
	bool strict_alignment;         /* BPF_F_STRICT_ALIGNMENT */
	bool gpl;                      /* license is GPL-compatible */
	const struct uebpf_verifier_map *maps;
	size_t n_maps;
	const struct uebpf_line_info *lines; /* sorted by insn, or NULL */
	size_t n_lines;
};

struct uebpf_verify_result {
	struct bpf_insn *insns;        /* accepted: the rewritten program (malloc'd, caller frees) */
	size_t n;
	uint32_t stack_depth;          /* deepest frame of the main program */
	uint64_t insns_processed;
	uint32_t max_states_per_insn, total_states, peak_states;
};

/* Returns 0 when accepted; -EACCES when rejected for safety, -EINVAL for a
 * malformed program, -E2BIG over the complexity limit (as bpf(BPF_PROG_LOAD)).
 * log gets the kernel-style log: at level 0 only the error (the failing insn
 * and the message); the text is NUL-terminated and truncated to log_sz. */
int uebpf_verify(const struct bpf_insn *insns, size_t n, const struct uebpf_verify_opts *opts,
		 struct uebpf_verify_result *res, char *log, size_t log_sz);
void uebpf_verify_result_free(struct uebpf_verify_result *res);

#ifdef __cplusplus
}
#endif

#endif
