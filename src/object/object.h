/* The object layer's view of a BPF object file, shared by its parts:
 * parsing (object.c), BTF-defined maps (btf_maps.c), loading (load.c). */
#ifndef UEBPF_OBJECT_OBJECT_H
#define UEBPF_OBJECT_OBJECT_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/object.h>
#include <uebpf/verifier.h>

#include "progtypes/progtype.h"

struct btf;

enum map_origin { MAP_BTF, MAP_LEGACY, MAP_DATA };

struct uebpf_object_map {
	char *name;
	struct uebpf_map_info info;
	enum map_origin origin;
	size_t sec_off;       /* offset of its definition in .maps / maps */
	int data_shndx;       /* MAP_DATA: the section whose bytes it holds */
	const void *init;     /* MAP_DATA: initial bytes (NULL: zeroes) */
	bool has_spin_lock;
	uint32_t spin_lock_off;
	int inner;            /* map of maps: index of the template map, or -1 */
	/* prog_array / map-of-maps initial slots: program or map name per slot */
	char **init_slots;
	uint32_t n_init_slots;
	uint32_t values_off;  /* offset of the slot array in its .maps definition */
	struct uebpf_map *map; /* after load */
};

struct uebpf_object_prog {
	char *name;
	char *section;
	struct uebpf_section_info sec;
	enum bpf_prog_type type;
	struct bpf_insn *insns; /* linked and relocated (maps as _IDX) */
	size_t n;
	struct uebpf_line_info *lines; /* .BTF.ext line info of insns as linked, by insn */
	size_t n_lines;
	struct uebpf_prog *prog; /* after load */
};

struct uebpf_object {
	char *name;           /* file name without directories and ".o" */
	void *buf;            /* a copy of the file */
	size_t size;
	Elf *elf;
	char license[128];
	uint32_t kversion;
	struct btf *btf;      /* NULL when the object has no .BTF */
	struct uebpf_object_prog *progs;
	size_t n_progs;
	struct uebpf_object_map *maps;
	size_t n_maps;
	bool loaded;
};

/* btf_maps.c: the maps of a .maps section, from BTF. */
int uebpf_object_btf_maps(struct uebpf_object *obj, int shndx, const GElf_Shdr *sh, char *log, size_t log_sz);

/* btf_ext.c: call fn on each record of one kind of .BTF.ext info that
 * belongs to section sec (records checked to lie inside the section). */
enum btf_ext_kind { BTF_EXT_FUNC, BTF_EXT_LINE, BTF_EXT_CORE };
typedef int (*btf_ext_fn)(const uint8_t *rec, void *ctx);
int uebpf_object_btf_ext_each(const struct uebpf_object *obj, const void *ext, size_t ext_sz, enum btf_ext_kind kind,
			      const char *sec, btf_ext_fn fn, void *ctx, char *log, size_t log_sz);

/* core.c: apply the CO-RE relocations of .BTF.ext (ext) that belong to
 * section sec to its instructions. */
int uebpf_object_core_relocate(struct uebpf_object *obj, const void *ext, size_t ext_sz, const char *sec,
			       struct bpf_insn *insns, size_t n, char *log, size_t log_sz);

#endif
