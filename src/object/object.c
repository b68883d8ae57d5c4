/* Opening a BPF object: the ELF (through libelf), its programs by libbpf's
 * section names, its maps (BTF-defined, legacy, global data), and the
 * relocations that link .text subprograms into each program and point
 * lddw instructions at maps (src = BPF_PSEUDO_MAP_IDX / _IDX_VALUE, imm =
 * map index) until load gives them real maps. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/isa.h>

#include "isa/log.h"
#include "object/object.h"
#include "progtypes/progtype.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
#define R_BPF_NONE 0
#define R_BPF_64_64 1
#define R_BPF_64_ABS64 2
#define R_BPF_64_ABS32 3
#define R_BPF_64_NODYLD32 4
#define R_BPF_64_32 10

#define INSN_SZ 8

/* What parsing keeps about the file while it works. */
struct parse {
	struct uebpf_object *obj;
	Elf_Data *symbols;
	size_t n_symbols, strtab_idx;
	int text_shndx, maps_shndx, legacy_maps_shndx;
	size_t n_sections;
	/* per section: the map index of a global-data section, else -1 */
	int *data_map;
	const void *btf_ext; /* .BTF.ext, for CO-RE relocations */
	size_t btf_ext_sz;
	char *log;
	size_t log_sz;
};

struct func {
	size_t off, n; /* in instructions, within .text */
};

static const char *sec_name(struct parse *p, size_t shndx)
{
	GElf_Shdr sh;
	size_t shstrndx;
	if (!gelf_getshdr(elf_getscn(p->obj->elf, shndx), &sh) || elf_getshdrstrndx(p->obj->elf, &shstrndx))
		return NULL;
	return elf_strptr(p->obj->elf, shstrndx, sh.sh_name);
}

static Elf_Data *sec_data(struct parse *p, size_t shndx, GElf_Shdr *sh)
{
	Elf_Scn *scn = elf_getscn(p->obj->elf, shndx);
	if (!scn || !gelf_getshdr(scn, sh))
		return NULL;
	return elf_getdata(scn, NULL);
}

static int get_sym(struct parse *p, size_t i, GElf_Sym *sym, const char **name)
{
	if (i >= p->n_symbols || !gelf_getsym(p->symbols, (int)i, sym))
		return -EINVAL;
	*name = elf_strptr(p->obj->elf, p->strtab_idx, sym->st_name);
	if (!*name)
		*name = "";
	return 0;
}

static bool is_data_section(const char *name)
{
	return !strcmp(name, ".data") || !strcmp(name, ".bss") || !strcmp(name, ".rodata") ||
	       !strncmp(name, ".data.", 6) || !strncmp(name, ".rodata.", 8) || !strncmp(name, ".bss.", 5);
}

static int add_map(struct uebpf_object *obj, const char *name, struct uebpf_object_map **out)
{
	struct uebpf_object_map *m = realloc(obj->maps, (obj->n_maps + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	obj->maps = m;
	m += obj->n_maps++;
	memset(m, 0, sizeof(*m));
	m->inner = -1;
	m->data_shndx = -1;
	if (!(m->name = strdup(name)))
		return -ENOMEM;
	*out = m;
	return 0;
}

/* libbpf's names for global-data maps: up to 8 characters of the object's
 * name, then the section name ("prog.data", "calls_gl.rodata") */
static int add_data_map(struct parse *p, size_t shndx, const char *sname, const GElf_Shdr *sh, Elf_Data *d)
{
	char name[UEBPF_MAP_NAME_MAX];
	snprintf(name, 16, "%.8s%s", p->obj->name, sname);
	struct uebpf_object_map *m;
	if (add_map(p->obj, name, &m))
		return -ENOMEM;
	m->origin = MAP_DATA;
	m->data_shndx = (int)shndx;
	m->init = sh->sh_type == SHT_NOBITS || !d ? NULL : d->d_buf;
	m->info = (struct uebpf_map_info){ .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
					   .value_size = sh->sh_size ? (uint32_t)sh->sh_size : 1, .max_entries = 1,
					   .spin_lock_off = -1 };
	if (!strncmp(sname, ".rodata", 7))
		m->info.map_flags = BPF_F_RDONLY_PROG;
	p->data_map[shndx] = (int)(p->obj->n_maps - 1);
	return 0;
}

/* struct bpf_map_def of the legacy "maps" section, one per symbol */
static int legacy_maps(struct parse *p, size_t shndx, const GElf_Shdr *sh, Elf_Data *d)
{
	for (size_t i = 0; i < p->n_symbols; i++) {
		GElf_Sym sym;
		const char *name;
		if (get_sym(p, i, &sym, &name) || sym.st_shndx != shndx || GELF_ST_TYPE(sym.st_info) == STT_SECTION)
			continue;
		if (sym.st_value + 20 > sh->sh_size || !d || !d->d_buf) {
			uebpf_log(p->log, p->log_sz, "section maps offset %llu: map '%s' runs past the section",
				  (unsigned long long)sym.st_value, name);
			return -EINVAL;
		}
		uint32_t def[5];
		memcpy(def, (uint8_t *)d->d_buf + sym.st_value, sizeof(def));
		struct uebpf_object_map *m;
		if (add_map(p->obj, name, &m))
			return -ENOMEM;
		m->origin = MAP_LEGACY;
		m->sec_off = sym.st_value;
		m->info = (struct uebpf_map_info){ .type = def[0], .key_size = def[1], .value_size = def[2],
						   .max_entries = def[3], .map_flags = def[4], .spin_lock_off = -1 };
	}
	return 0;
}

static int find_map_at(struct uebpf_object *obj, enum map_origin origin, size_t off)
{
	for (size_t i = 0; i < obj->n_maps; i++)
		if (obj->maps[i].origin == origin && obj->maps[i].sec_off == off)
			return (int)i;
	return -1;
}

/* .rel.maps: __array(values, ...) initialisers name a program or a map per
 * slot of a prog_array or map of maps */
static int map_slots(struct parse *p)
{
	for (size_t s = 1; s < p->n_sections && p->maps_shndx > 0; s++) {
		GElf_Shdr sh;
		Elf_Data *d = sec_data(p, s, &sh);
		if (sh.sh_type != SHT_REL || (int)sh.sh_info != p->maps_shndx || !d || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rel rel;
			GElf_Sym sym;
			const char *name;
			if (!gelf_getrel(d, (int)i, &rel) || get_sym(p, GELF_R_SYM(rel.r_info), &sym, &name)) {
				uebpf_log(p->log, p->log_sz, "section .rel.maps: relocation %zu is unreadable", i);
				return -EINVAL;
			}
			struct uebpf_object_map *m = NULL;
			for (size_t k = 0; k < p->obj->n_maps; k++) {
				struct uebpf_object_map *c = &p->obj->maps[k];
				if (c->init_slots && rel.r_offset >= c->sec_off + c->values_off &&
				    rel.r_offset < c->sec_off + c->values_off + 8ull * c->n_init_slots)
					m = c;
			}
			if (!m || (rel.r_offset - m->sec_off - m->values_off) % 8) {
				uebpf_log(p->log, p->log_sz, "section .maps offset %llu: relocation against '%s' is not in a "
							     "map's values",
					  (unsigned long long)rel.r_offset, name);
				return -EINVAL;
			}
			size_t slot = (rel.r_offset - m->sec_off - m->values_off) / 8;
			free(m->init_slots[slot]);
			if (!(m->init_slots[slot] = strdup(name)))
				return -ENOMEM;
		}
	}
	return 0;
}

/* The functions of .text, from its FUNC symbols, ordered by offset. */
static int text_funcs(struct parse *p, size_t text_n, struct func **out, size_t *n_out)
{
	struct func *f = NULL;
	size_t n = 0;
	for (size_t i = 0; i < p->n_symbols; i++) {
		GElf_Sym sym;
		const char *name;
		if (get_sym(p, i, &sym, &name) || (int)sym.st_shndx != p->text_shndx ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		if (sym.st_value % INSN_SZ || sym.st_size % INSN_SZ || sym.st_value / INSN_SZ + sym.st_size / INSN_SZ > text_n) {
			uebpf_log(p->log, p->log_sz, "section .text offset %llu: function '%s' is not inside the section",
				  (unsigned long long)sym.st_value, name);
			free(f);
			return -EINVAL;
		}
		struct func *g = realloc(f, (n + 1) * sizeof(*g));
		if (!g) {
			free(f);
			return -ENOMEM;
		}
		f = g;
		f[n++] = (struct func){ sym.st_value / INSN_SZ, sym.st_size / INSN_SZ };
	}
	*out = f;
	*n_out = n;
	return 0;
}

static const struct func *func_at(const struct func *f, size_t n, size_t off)
{
	for (size_t i = 0; i < n; i++)
		if (off >= f[i].off && off < f[i].off + (f[i].n ? f[i].n : 1))
			return &f[i];
	return NULL;
}

/* A relocation, resolved to what it points at. */
struct reloc {
	size_t insn;          /* index in its section */
	int kind;             /* 0 map, 1 map value, 2 call into .text, 3 function address (callback) */
	int map;
	uint32_t value_off;
	size_t text_target;   /* kinds 2, 3: instruction index in .text */
};

static int read_relocs(struct parse *p, size_t target_shndx, size_t n_insns, const struct bpf_insn *insns,
		       struct reloc **out, size_t *n_out)
{
	const char *tname = sec_name(p, target_shndx);
	struct reloc *r = NULL;
	size_t n = 0;
	*out = NULL;
	*n_out = 0;
	for (size_t s = 1; s < p->n_sections; s++) {
		GElf_Shdr sh;
		Elf_Data *d = sec_data(p, s, &sh);
		if (sh.sh_type != SHT_REL || sh.sh_info != target_shndx)
			continue;
		if (!d || !sh.sh_entsize) {
			uebpf_log(p->log, p->log_sz, "section %s: relocation section without data", sec_name(p, s));
			free(r);
			return -EINVAL;
		}
		size_t count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < count; i++) {
			GElf_Rel rel;
			GElf_Sym sym;
			const char *sname;
			if (!gelf_getrel(d, (int)i, &rel)) {
				uebpf_log(p->log, p->log_sz, "section %s: relocation %zu unreadable", sec_name(p, s), i);
				free(r);
				return -EINVAL;
			}
			uint32_t type = GELF_R_TYPE(rel.r_info);
			if (type == R_BPF_NONE || type == R_BPF_64_NODYLD32)
				continue;
			size_t at = rel.r_offset / INSN_SZ;
			if (rel.r_offset % INSN_SZ || at >= n_insns) {
				uebpf_log(p->log, p->log_sz, "section %s offset %llu: relocation outside the instructions",
					  tname, (unsigned long long)rel.r_offset);
				free(r);
				return -EINVAL;
			}
			if (get_sym(p, GELF_R_SYM(rel.r_info), &sym, &sname)) {
				uebpf_log(p->log, p->log_sz, "section %s offset %llu: relocation against symbol %zu, "
							     "which does not exist",
					  tname, (unsigned long long)rel.r_offset, (size_t)GELF_R_SYM(rel.r_info));
				free(r);
				return -EINVAL;
			}
			const struct bpf_insn *in = &insns[at];
			struct reloc x = { .insn = at, .map = -1 };
			bool lddw = in->code == (BPF_LD | BPF_IMM | BPF_DW) && at + 1 < n_insns;
			bool call = in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
			int shndx = sym.st_shndx;
			if (call && type == R_BPF_64_32) {
				if (shndx != p->text_shndx) {
					uebpf_log(p->log, p->log_sz, "section %s insn %zu: call to '%s', which is not in .text",
						  tname, at, sname);
					free(r);
					return -EINVAL;
				}
				x.kind = 2;
				x.text_target = sym.st_value / INSN_SZ + in->imm + 1;
			} else if (!lddw || type != R_BPF_64_64) {
				uebpf_log(p->log, p->log_sz, "section %s insn %zu: relocation type %u against '%s' is not at "
							     "a lddw or call",
					  tname, at, type, sname);
				free(r);
				return -EINVAL;
			} else if (shndx == p->maps_shndx || shndx == p->legacy_maps_shndx) {
				x.kind = 0;
				x.map = find_map_at(p->obj, shndx == p->maps_shndx ? MAP_BTF : MAP_LEGACY, sym.st_value);
				if (x.map < 0) {
					uebpf_log(p->log, p->log_sz, "section %s insn %zu: relocation against '%s', which is "
								     "not a map",
						  tname, at, sname);
					free(r);
					return -EINVAL;
				}
			} else if (shndx > 0 && (size_t)shndx < p->n_sections && p->data_map[shndx] >= 0) {
				x.kind = 1;
				x.map = p->data_map[shndx];
				x.value_off = (uint32_t)(sym.st_value + (uint32_t)in->imm);
				if (x.value_off >= p->obj->maps[x.map].info.value_size) {
					uebpf_log(p->log, p->log_sz, "section %s insn %zu: offset %u past the end of %s",
						  tname, at, x.value_off, sec_name(p, shndx));
					free(r);
					return -EINVAL;
				}
			} else if (shndx == p->text_shndx) {
				x.kind = 3;
				x.text_target = (sym.st_value + (uint32_t)in->imm) / INSN_SZ;
			} else {
				uebpf_log(p->log, p->log_sz, "section %s insn %zu: relocation against '%s' in section %d, "
							     "which is neither a map, global data nor .text",
					  tname, at, sname, shndx);
				free(r);
				return -EINVAL;
			}
			struct reloc *g = realloc(r, (n + 1) * sizeof(*g));
			if (!g) {
				free(r);
				return -ENOMEM;
			}
			r = g;
			r[n++] = x;
		}
	}
	*out = r;
	*n_out = n;
	return 0;
}

/* Build one program: its own code, then every .text function it reaches
 * (by call or as a callback), each once; calls and callback addresses are
 * made relative to the new positions, maps become _IDX pseudo loads. */
struct linker {
	struct parse *p;
	const struct bpf_insn *text;
	size_t text_n;
	const struct reloc *text_rel;
	size_t n_text_rel;
	const struct func *funcs;
	size_t n_funcs;
	struct bpf_insn *out;
	size_t n, cap;
	size_t *placed; /* per function: 1 + position in out, or 0 */
	/* where each piece of out came from, for line info */
	struct seg {
		size_t out, n, sec_off;
		const char *sec;
	} *segs;
	size_t n_segs, cap_segs;
};

static int add_seg(struct linker *l, size_t out, size_t n, const char *sec, size_t sec_off)
{
	if (l->n_segs == l->cap_segs) {
		size_t cap = l->cap_segs ? l->cap_segs * 2 : 8;
		struct seg *s = realloc(l->segs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		l->segs = s;
		l->cap_segs = cap;
	}
	l->segs[l->n_segs++] = (struct seg){ out, n, sec_off, sec };
	return 0;
}

/* .BTF.ext line info of the linked program: each record of a piece's
 * section that falls inside the piece, at its place in out */
struct lines_ctx {
	const struct uebpf_object *obj;
	const struct seg *seg;
	struct uebpf_line_info *v;
	size_t n, cap;
};

static int line_one(const uint8_t *rec, void *arg)
{
	struct lines_ctx *c = arg;
	uint32_t r[4]; /* insn_off (bytes), file_name_off, line_off, line << 10 | column */
	memcpy(r, rec, sizeof(r));
	size_t at = r[0] / INSN_SZ;
	if (r[0] % INSN_SZ || at < c->seg->sec_off || at >= c->seg->sec_off + c->seg->n)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct uebpf_line_info *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (struct uebpf_line_info){
		.insn = (uint32_t)(c->seg->out + at - c->seg->sec_off),
		.line = r[3] >> 10,
		.col = r[3] & 0x3ff,
		.file = btf__name_by_offset(c->obj->btf, r[1]),
		.src = btf__name_by_offset(c->obj->btf, r[2]),
	};
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	const struct uebpf_line_info *x = a, *y = b;
	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static int link_lines(struct parse *p, struct linker *l, struct uebpf_object_prog *pr)
{
	struct lines_ctx c = { .obj = p->obj };
	for (size_t i = 0; i < l->n_segs; i++) {
		c.seg = &l->segs[i];
		int err = uebpf_object_btf_ext_each(p->obj, p->btf_ext, p->btf_ext_sz, BTF_EXT_LINE, c.seg->sec, line_one, &c,
						    p->log, p->log_sz);
		if (err) {
			free(c.v);
			return err;
		}
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), cmp_line);
	pr->lines = c.v;
	pr->n_lines = c.n;
	return 0;
}

static int append(struct linker *l, const struct bpf_insn *code, size_t n)
{
	if (l->n + n > l->cap) {
		size_t cap = (l->n + n) * 2;
		struct bpf_insn *o = realloc(l->out, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		l->out = o;
		l->cap = cap;
	}
	memcpy(l->out + l->n, code, n * sizeof(*code));
	l->n += n;
	return 0;
}

static int place(struct linker *l, size_t text_target, size_t *pos);

/* apply rel (section-relative insn index) to the copy of the code at base */
static int apply(struct linker *l, size_t base, const struct reloc *rel, size_t n_rel, size_t code_n)
{
	for (size_t i = 0; i < n_rel; i++) {
		const struct reloc *r = &rel[i];
		if (r->insn >= code_n)
			continue;
		size_t at = base + r->insn;
		if (r->kind == 0 || r->kind == 1) {
			l->out[at].src_reg = r->kind ? BPF_PSEUDO_MAP_IDX_VALUE : BPF_PSEUDO_MAP_IDX;
			l->out[at].imm = r->map;
			l->out[at + 1].imm = r->kind ? (int32_t)r->value_off : 0;
			continue;
		}
		size_t pos;
		int err = place(l, r->text_target, &pos);
		if (err)
			return err;
		l->out[at].imm = (int32_t)((int64_t)pos - (int64_t)at - 1);
		if (r->kind == 3)
			l->out[at].src_reg = BPF_PSEUDO_FUNC, l->out[at + 1].imm = 0;
	}
	return 0;
}

static int place(struct linker *l, size_t text_target, size_t *pos)
{
	const struct func *f = func_at(l->funcs, l->n_funcs, text_target);
	if (!f || !f->n || text_target != f->off) {
		uebpf_log(l->p->log, l->p->log_sz, "section .text insn %zu: call to a place that is not the start of a "
						   "function",
			  text_target);
		return -EINVAL;
	}
	size_t fi = (size_t)(f - l->funcs);
	if (l->placed[fi]) {
		*pos = l->placed[fi] - 1;
		return 0;
	}
	size_t base = l->n;
	l->placed[fi] = base + 1;
	*pos = base;
	int err = append(l, l->text + f->off, f->n);
	if (!err)
		err = add_seg(l, base, f->n, ".text", f->off);
	if (err)
		return err;
	/* calls inside .text without relocations are already relative; those
	 * with relocations (and maps, callbacks) are applied to this copy */
	struct reloc *mine = malloc((l->n_text_rel + 1) * sizeof(*mine));
	size_t k = 0;
	if (!mine)
		return -ENOMEM;
	for (size_t i = 0; i < l->n_text_rel; i++)
		if (l->text_rel[i].insn >= f->off && l->text_rel[i].insn < f->off + f->n) {
			mine[k] = l->text_rel[i];
			mine[k++].insn -= f->off;
		}
	/* relocation-free local calls leaving the function also need it placed */
	for (size_t i = 0; i < f->n; i++) {
		const struct bpf_insn *in = &l->text[f->off + i];
		bool has_rel = false;
		for (size_t j = 0; j < k; j++)
			has_rel |= mine[j].insn == i;
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL && !has_rel) {
			int64_t t = (int64_t)(f->off + i) + 1 + in->imm;
			if (t >= (int64_t)f->off && t < (int64_t)(f->off + f->n))
				continue;
			if (t < 0 || (size_t)t >= l->text_n) {
				free(mine);
				uebpf_log(l->p->log, l->p->log_sz, "section .text insn %zu: call out of the section",
					  f->off + i);
				return -EINVAL;
			}
			mine[k++] = (struct reloc){ .insn = i, .kind = 2, .text_target = (size_t)t };
			struct reloc *g = realloc(mine, (l->n_text_rel + k + 1) * sizeof(*g));
			if (!g) {
				free(mine);
				return -ENOMEM;
			}
			mine = g;
		}
	}
	err = apply(l, base, mine, k, f->n);
	free(mine);
	return err;
}

static int add_prog(struct parse *p, const char *name, const char *section, const struct uebpf_section_info *si,
		    const struct bpf_insn *code, size_t sec_off, size_t n, const struct reloc *rel, size_t n_rel,
		    struct linker *l)
{
	struct uebpf_object *obj = p->obj;
	for (size_t i = 0; i < obj->n_progs; i++)
		if (!strcmp(obj->progs[i].name, name)) {
			uebpf_log(p->log, p->log_sz, "section %s: program name '%s' is used twice", section, name);
			return -EINVAL;
		}
	struct uebpf_object_prog *progs = realloc(obj->progs, (obj->n_progs + 1) * sizeof(*progs));
	if (!progs)
		return -ENOMEM;
	obj->progs = progs;
	struct uebpf_object_prog *pr = &progs[obj->n_progs];
	memset(pr, 0, sizeof(*pr));
	l->out = NULL;
	l->n = l->cap = 0;
	l->n_segs = 0;
	memset(l->placed, 0, (l->n_funcs + 1) * sizeof(*l->placed));
	int err = append(l, code, n);
	if (!err)
		err = add_seg(l, 0, n, section, sec_off);
	if (!err)
		err = apply(l, 0, rel, n_rel, n);
	if (!err)
		err = link_lines(p, l, pr);
	if (err) {
		free(l->out);
		return err;
	}
	pr->name = strdup(name);
	pr->section = strdup(section);
	if (!pr->name || !pr->section) {
		free(pr->name);
		free(pr->section);
		free(l->out);
		return -ENOMEM;
	}
	pr->sec = *si;
	pr->sec.target = si->target ? pr->section + (si->target - section) : NULL;
	pr->type = si->type;
	pr->insns = l->out;
	pr->n = l->n;
	obj->n_progs++;
	return 0;
}

static int programs(struct parse *p)
{
	GElf_Shdr tsh;
	Elf_Data *td = p->text_shndx > 0 ? sec_data(p, (size_t)p->text_shndx, &tsh) : NULL;
	struct linker l = { .p = p };
	struct bpf_insn *text_copy = NULL;
	struct reloc *trel = NULL;
	size_t n_trel = 0;
	struct func *funcs = NULL;
	size_t n_funcs = 0;
	int err = 0;
	if (td && td->d_buf && tsh.sh_size) {
		/* a copy: a malformed file may put the section at any alignment */
		struct bpf_insn *copy = malloc(tsh.sh_size);
		if (!copy) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(copy, td->d_buf, tsh.sh_size);
		l.text = text_copy = copy;
		if ((err = uebpf_object_core_relocate(p->obj, p->btf_ext, p->btf_ext_sz, ".text", copy,
						      tsh.sh_size / INSN_SZ, p->log, p->log_sz)))
			goto out;
		l.text_n = tsh.sh_size / INSN_SZ;
		if ((err = read_relocs(p, (size_t)p->text_shndx, l.text_n, l.text, &trel, &n_trel)) ||
		    (err = text_funcs(p, l.text_n, &funcs, &n_funcs)))
			goto out;
	}
	l.text_rel = trel;
	l.n_text_rel = n_trel;
	l.funcs = funcs;
	l.n_funcs = n_funcs;
	if (!(l.placed = calloc(n_funcs + 1, sizeof(*l.placed)))) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t s = 1; s < p->n_sections && !err; s++) {
		GElf_Shdr sh;
		Elf_Data *d = sec_data(p, s, &sh);
		const char *sname = sec_name(p, s);
		if (!sname || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) || (int)s == p->text_shndx ||
		    !sh.sh_size)
			continue;
		if (!d || !d->d_buf || sh.sh_size % INSN_SZ) {
			uebpf_log(p->log, p->log_sz, "section %s: size %llu is not a whole number of instructions", sname,
				  (unsigned long long)sh.sh_size);
			err = -EINVAL;
			break;
		}
		struct uebpf_section_info si;
		if (uebpf_progtype_from_section(sname, &si)) {
			uebpf_log(p->log, p->log_sz, "section %s: not a program section libbpf knows (e.g. \"xdp\", "
						     "\"kprobe/FUNC\", \"tracepoint/CAT/NAME\")",
				  sname);
			err = -EINVAL;
			break;
		}
		size_t n = sh.sh_size / INSN_SZ;
		struct bpf_insn *code = malloc(sh.sh_size);
		if (!code) {
			err = -ENOMEM;
			break;
		}
		memcpy(code, d->d_buf, sh.sh_size);
		if ((err = uebpf_object_core_relocate(p->obj, p->btf_ext, p->btf_ext_sz, sname, code, n, p->log,
						      p->log_sz))) {
			free(code);
			break;
		}
		struct reloc *rel;
		size_t n_rel;
		if ((err = read_relocs(p, s, n, code, &rel, &n_rel))) {
			free(code);
			break;
		}
		/* one program per global function symbol, or the whole section */
		int found = 0;
		for (size_t i = 0; i < p->n_symbols && !err; i++) {
			GElf_Sym sym;
			const char *name;
			if (get_sym(p, i, &sym, &name) || sym.st_shndx != s || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    GELF_ST_BIND(sym.st_info) != STB_GLOBAL)
				continue;
			size_t off = sym.st_value / INSN_SZ, len = sym.st_size / INSN_SZ;
			if (sym.st_value % INSN_SZ || !len || off + len > n) {
				uebpf_log(p->log, p->log_sz, "section %s offset %llu: program '%s' is not inside the section",
					  sname, (unsigned long long)sym.st_value, name);
				err = -EINVAL;
				break;
			}
			/* relocations of this function only, relative to it */
			struct reloc *mine = malloc((n_rel + 1) * sizeof(*mine));
			size_t k = 0;
			if (!mine) {
				err = -ENOMEM;
				break;
			}
			for (size_t j = 0; j < n_rel; j++)
				if (rel[j].insn >= off && rel[j].insn < off + len) {
					mine[k] = rel[j];
					mine[k++].insn -= off;
				}
			err = add_prog(p, name, sname, &si, code + off, off, len, mine, k, &l);
			free(mine);
			found++;
		}
		if (!found && !err)
			err = add_prog(p, sname, sname, &si, code, 0, n, rel, n_rel, &l);
		free(rel);
		free(code);
	}
out:
	free(text_copy);
	free(l.placed);
	free(l.segs);
	free(trel);
	free(funcs);
	return err;
}

static void free_obj(struct uebpf_object *obj)
{
	for (size_t i = 0; i < obj->n_progs; i++) {
		free(obj->progs[i].name);
		free(obj->progs[i].section);
		free(obj->progs[i].insns);
		free(obj->progs[i].lines);
		uebpf_prog_free(obj->progs[i].prog);
	}
	free(obj->progs);
	for (size_t i = 0; i < obj->n_maps; i++) {
		free(obj->maps[i].name);
		for (uint32_t k = 0; k < obj->maps[i].n_init_slots; k++)
			free(obj->maps[i].init_slots[k]);
		free(obj->maps[i].init_slots);
		uebpf_map_close(obj->maps[i].map);
	}
	free(obj->maps);
	btf__free(obj->btf);
	if (obj->elf)
		elf_end(obj->elf);
	free(obj->buf);
	free(obj->name);
	free(obj);
}

void uebpf_object_close(struct uebpf_object *obj)
{
	if (obj)
		free_obj(obj);
}

static int parse(struct parse *p)
{
	struct uebpf_object *obj = p->obj;
	GElf_Ehdr eh;
	if (elf_kind(obj->elf) != ELF_K_ELF || !gelf_getehdr(obj->elf, &eh)) {
		uebpf_log(p->log, p->log_sz, "not an ELF file");
		return -EINVAL;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_BPF) {
		uebpf_log(p->log, p->log_sz, "not a little-endian 64-bit BPF object (machine %u)", eh.e_machine);
		return -EINVAL;
	}
	if (elf_getshdrnum(obj->elf, &p->n_sections) || !p->n_sections) {
		uebpf_log(p->log, p->log_sz, "section headers are missing or truncated");
		return -EINVAL;
	}
	size_t shstrndx;
	if (elf_getshdrstrndx(obj->elf, &shstrndx) || shstrndx >= p->n_sections) {
		uebpf_log(p->log, p->log_sz, "section name table index out of range");
		return -EINVAL;
	}
	if (!(p->data_map = malloc(p->n_sections * sizeof(int))))
		return -ENOMEM;
	for (size_t s = 0; s < p->n_sections; s++)
		p->data_map[s] = -1;
	p->text_shndx = p->maps_shndx = p->legacy_maps_shndx = -1;
	int btf_shndx = -1;

	/* first the tables everything else refers to */
	for (size_t s = 1; s < p->n_sections; s++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_getscn(obj->elf, s);
		if (!scn || !gelf_getshdr(scn, &sh)) {
			uebpf_log(p->log, p->log_sz, "section %zu: header unreadable", s);
			return -EINVAL;
		}
		if (sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size > obj->size) {
			uebpf_log(p->log, p->log_sz, "section %zu (%s): offset %llu size %llu runs past the end of the file",
				  s, sec_name(p, s) ? sec_name(p, s) : "?", (unsigned long long)sh.sh_offset,
				  (unsigned long long)sh.sh_size);
			return -EINVAL;
		}
		const char *name = sec_name(p, s);
		if (!name) {
			uebpf_log(p->log, p->log_sz, "section %zu: name out of the name table", s);
			return -EINVAL;
		}
		if (sh.sh_type == SHT_REL && (sh.sh_info == 0 || sh.sh_info >= p->n_sections)) {
			uebpf_log(p->log, p->log_sz, "section %s: relocations for section %u, which does not exist", name,
				  sh.sh_info);
			return -EINVAL;
		}
		if (sh.sh_type == SHT_SYMTAB) {
			if (sh.sh_link >= p->n_sections || !sh.sh_entsize || !(p->symbols = elf_getdata(scn, NULL))) {
				uebpf_log(p->log, p->log_sz, "section %s: bad symbol table", name);
				return -EINVAL;
			}
			p->n_symbols = sh.sh_size / sh.sh_entsize;
			p->strtab_idx = sh.sh_link;
		} else if (!strcmp(name, ".text")) {
			p->text_shndx = (int)s;
		} else if (!strcmp(name, ".BTF")) {
			btf_shndx = (int)s;
		}
	}
	if (!p->symbols) {
		uebpf_log(p->log, p->log_sz, "no symbol table");
		return -EINVAL;
	}
	if (btf_shndx > 0) {
		GElf_Shdr sh;
		Elf_Data *d = sec_data(p, (size_t)btf_shndx, &sh);
		/* libbpf would print its complaints: the library only returns them */
		libbpf_print_fn_t old = libbpf_set_print(NULL);
		obj->btf = d && d->d_buf ? btf__new(d->d_buf, (uint32_t)d->d_size) : NULL;
		libbpf_set_print(old);
		if (!obj->btf) {
			uebpf_log(p->log, p->log_sz, "section .BTF: does not parse (%s)", strerror(errno));
			return -EINVAL;
		}
	}
	/* then license, version, maps and global data */
	for (size_t s = 1; s < p->n_sections; s++) {
		GElf_Shdr sh;
		Elf_Data *d = sec_data(p, s, &sh);
		const char *name = sec_name(p, s);
		int err = 0;
		if (!strcmp(name, "license") && d && d->d_buf) {
			snprintf(obj->license, sizeof(obj->license), "%.*s", (int)d->d_size, (const char *)d->d_buf);
		} else if (!strcmp(name, ".BTF.ext") && d && d->d_buf) {
			p->btf_ext = d->d_buf;
			p->btf_ext_sz = d->d_size;
		} else if (!strcmp(name, "version") && d && d->d_buf && d->d_size == 4) {
			memcpy(&obj->kversion, d->d_buf, 4);
		} else if (!strcmp(name, ".maps")) {
			if (!obj->btf) {
				uebpf_log(p->log, p->log_sz, "section .maps: BTF-defined maps need a .BTF section (build with -g)");
				return -EINVAL;
			}
			p->maps_shndx = (int)s;
			size_t first = obj->n_maps;
			err = uebpf_object_btf_maps(obj, (int)s, &sh, p->log, p->log_sz);
			/* clang leaves DATASEC offsets 0 in objects: the symbols place the maps */
			for (size_t k = first; !err && k < obj->n_maps; k++) {
				if (obj->maps[k].sec_off == (size_t)-1)
					continue;
				bool found = false;
				for (size_t i = 0; i < p->n_symbols && !found; i++) {
					GElf_Sym sym;
					const char *name;
					if (!get_sym(p, i, &sym, &name) && sym.st_shndx == s && !strcmp(name, obj->maps[k].name)) {
						obj->maps[k].sec_off = sym.st_value;
						found = true;
					}
				}
				if (!found) {
					uebpf_log(p->log, p->log_sz, "section .maps: map '%s' has no symbol", obj->maps[k].name);
					err = -EINVAL;
				}
			}
		} else if (!strcmp(name, "maps")) {
			p->legacy_maps_shndx = (int)s;
			err = legacy_maps(p, s, &sh, d);
		} else if (is_data_section(name) && sh.sh_size && (sh.sh_type == SHT_PROGBITS || sh.sh_type == SHT_NOBITS)) {
			/* (an empty one, as gcc emits, is no map: libbpf skips it too) */
			err = add_data_map(p, s, name, &sh, d);
		}
		if (err)
			return err;
	}
	int err = map_slots(p);
	return err ? err : programs(p);
}

int uebpf_object_open_mem(const void *buf, size_t sz, const char *name, const struct uebpf_object_open_opts *opts,
			  struct uebpf_object **out, char *log, size_t log_sz)
{
	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		uebpf_log(log, log_sz, "libelf: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	struct uebpf_object *obj = calloc(1, sizeof(*obj));
	if (!obj || !(obj->buf = malloc(sz ? sz : 1))) {
		free(obj);
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	memcpy(obj->buf, buf, sz);
	obj->size = sz;
	const char *base = strrchr(name ? name : "", '/');
	base = base ? base + 1 : name ? name : "obj";
	size_t len = strlen(base);
	if (len > 2 && !strcmp(base + len - 2, ".o"))
		len -= 2;
	obj->name = strndup(base, len);
	obj->elf = elf_memory(obj->buf, sz);
	struct parse p = { .obj = obj, .log = log, .log_sz = log_sz };
	int err = !obj->name ? -ENOMEM : !obj->elf ? -EINVAL : parse(&p);
	if (err && !obj->elf)
		uebpf_log(log, log_sz, "not an ELF file (%s)", elf_errmsg(-1));
	free(p.data_map);
	if (err) {
		if (err == -ENOMEM)
			uebpf_log(log, log_sz, "out of memory");
		free_obj(obj);
		return err;
	}
	(void)opts;
	*out = obj;
	return 0;
}

int uebpf_object_open_file(const char *path, const struct uebpf_object_open_opts *opts, struct uebpf_object **out,
			   char *log, size_t log_sz)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		int err = -errno;
		uebpf_log(log, log_sz, "%s", strerror(errno));
		return err;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			char *b = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!b) {
				free(buf);
				fclose(f);
				uebpf_log(log, log_sz, "out of memory");
				return -ENOMEM;
			}
			buf = b;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (!got)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		uebpf_log(log, log_sz, "read error");
		return -EIO;
	}
	int err = uebpf_object_open_mem(buf, len, path, opts, out, log, log_sz);
	free(buf);
	return err;
}

const char *uebpf_object_license(const struct uebpf_object *obj)
{
	return obj->license;
}

uint32_t uebpf_object_kversion(const struct uebpf_object *obj)
{
	return obj->kversion;
}

struct uebpf_object_prog *uebpf_object_next_prog(const struct uebpf_object *obj, const struct uebpf_object_prog *prev)
{
	size_t i = prev ? (size_t)(prev - obj->progs) + 1 : 0;
	return i < obj->n_progs ? &obj->progs[i] : NULL;
}

struct uebpf_object_prog *uebpf_object_find_prog(const struct uebpf_object *obj, const char *name)
{
	for (size_t i = 0; i < obj->n_progs; i++)
		if (!strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	return NULL;
}

struct uebpf_object_map *uebpf_object_next_map(const struct uebpf_object *obj, const struct uebpf_object_map *prev)
{
	size_t i = prev ? (size_t)(prev - obj->maps) + 1 : 0;
	return i < obj->n_maps ? &obj->maps[i] : NULL;
}

struct uebpf_object_map *uebpf_object_find_map(const struct uebpf_object *obj, const char *name)
{
	for (size_t i = 0; i < obj->n_maps; i++)
		if (!strcmp(obj->maps[i].name, name))
			return &obj->maps[i];
	return NULL;
}

const char *uebpf_object_prog_name(const struct uebpf_object_prog *p)
{
	return p->name;
}

const char *uebpf_object_prog_section(const struct uebpf_object_prog *p)
{
	return p->section;
}

enum bpf_prog_type uebpf_object_prog_type(const struct uebpf_object_prog *p)
{
	return p->type;
}

enum bpf_attach_type uebpf_object_prog_attach_type(const struct uebpf_object_prog *p)
{
	return p->sec.expected_attach_type;
}

const char *uebpf_object_prog_attach_target(const struct uebpf_object_prog *p)
{
	return p->sec.target;
}

int uebpf_object_prog_set_type(struct uebpf_object_prog *p, enum bpf_prog_type type)
{
	p->type = type;
	return 0;
}

const struct bpf_insn *uebpf_object_prog_insns(const struct uebpf_object_prog *p, size_t *n)
{
	*n = p->n;
	return p->insns;
}

const struct uebpf_line_info *uebpf_object_prog_lines(const struct uebpf_object_prog *p, size_t *n)
{
	*n = p->n_lines;
	return p->lines;
}

struct uebpf_prog *uebpf_object_prog_prog(const struct uebpf_object_prog *p)
{
	return p->prog;
}

const char *uebpf_object_map_name(const struct uebpf_object_map *m)
{
	return m->name;
}

struct uebpf_map *uebpf_object_map_map(const struct uebpf_object_map *m)
{
	return m->map;
}

const struct uebpf_map_info *uebpf_object_map_info(const struct uebpf_object_map *m)
{
	return &m->info;
}
