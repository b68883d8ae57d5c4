/* uebpf: BPF object files, as clang -target bpf and gcc's BPF back end make
 * them. Open parses the ELF (programs, maps, relocations, BTF); load creates
 * the maps, links subprograms, applies CO-RE relocations, verifies each
 * program and prepares it for an engine. */
#ifndef UEBPF_OBJECT_H
#define UEBPF_OBJECT_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/engine.h>
#include <uebpf/map.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uebpf_object;
struct uebpf_object_prog;
struct uebpf_object_map;

struct uebpf_object_open_opts {
	size_t sz;
	const char *btf_custom_path; /* target BTF for CO-RE; NULL: /sys/kernel/btf/vmlinux */
};

struct uebpf_object_load_opts {
	size_t sz;
	enum uebpf_engine engine;
	uint32_t flags;              /* UEBPF_F_HARDEN */
	bool no_verify;              /* skip the verifier: programs run in checked mode (interpreter) */
	uint32_t log_level;          /* verifier log level */
	const char *map_prefix;      /* shared-memory names: <prefix><map name>; NULL: anonymous maps */
	bool unpriv;
};

int uebpf_object_open_file(const char *path, const struct uebpf_object_open_opts *opts,
			   struct uebpf_object **out, char *log, size_t log_sz);
int uebpf_object_open_mem(const void *buf, size_t sz, const char *name,
			  const struct uebpf_object_open_opts *opts, struct uebpf_object **out, char *log,
			  size_t log_sz);
/* Create maps, relocate, verify, prepare every program. The log holds the
 * verifier log of a program that was refused, prefixed by its name. */
int uebpf_object_load(struct uebpf_object *obj, const struct uebpf_object_load_opts *opts, char *log,
		      size_t log_sz);
void uebpf_object_close(struct uebpf_object *obj);

const char *uebpf_object_license(const struct uebpf_object *obj);
uint32_t uebpf_object_kversion(const struct uebpf_object *obj);

/* Iterate: prev NULL gives the first; NULL after the last. */
struct uebpf_object_prog *uebpf_object_next_prog(const struct uebpf_object *obj, const struct uebpf_object_prog *prev);
struct uebpf_object_prog *uebpf_object_find_prog(const struct uebpf_object *obj, const char *name);
struct uebpf_object_map *uebpf_object_next_map(const struct uebpf_object *obj, const struct uebpf_object_map *prev);
struct uebpf_object_map *uebpf_object_find_map(const struct uebpf_object *obj, const char *name);

const char *uebpf_object_prog_name(const struct uebpf_object_prog *p);
const char *uebpf_object_prog_section(const struct uebpf_object_prog *p);
enum bpf_prog_type uebpf_object_prog_type(const struct uebpf_object_prog *p);
enum bpf_attach_type uebpf_object_prog_attach_type(const struct uebpf_object_prog *p);
const char *uebpf_object_prog_attach_target(const struct uebpf_object_prog *p); /* NULL if none */
/* Override before load (uebpf verify --type). */
int uebpf_object_prog_set_type(struct uebpf_object_prog *p, enum bpf_prog_type type);
/* The instructions: before load, as linked and relocated except map fds
 * (lddw src=BPF_PSEUDO_MAP_IDX/_IDX_VALUE with imm = map index); after load, as run. */
const struct bpf_insn *uebpf_object_prog_insns(const struct uebpf_object_prog *p, size_t *n);
/* Source lines of those instructions before load (from .BTF.ext; none when
 * the object was built without -g): for uebpf_verify_opts.lines. Strings
 * live as long as the object. */
struct uebpf_line_info;
const struct uebpf_line_info *uebpf_object_prog_lines(const struct uebpf_object_prog *p, size_t *n);
/* After load: the engine program (NULL if not loaded). */
struct uebpf_prog *uebpf_object_prog_prog(const struct uebpf_object_prog *p);

const char *uebpf_object_map_name(const struct uebpf_object_map *m);
/* After load: the map (NULL before). */
struct uebpf_map *uebpf_object_map_map(const struct uebpf_object_map *m);
/* Before load: its attributes. */
const struct uebpf_map_info *uebpf_object_map_info(const struct uebpf_object_map *m);

#ifdef __cplusplus
}
#endif

#endif
