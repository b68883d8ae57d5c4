/* BTF-defined maps (SEC(".maps")): each variable of the .maps DATASEC is a
 * struct whose members say the attributes the way libbpf's macros write
 * them: __uint(name, N) is a pointer to an array of N elements, __type(key,
 * T) a pointer to T, __array(values, T) an array of pointers to T (the
 * inner map template or program slots, filled by .rel.maps). */
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isa/log.h"
#include "object/object.h"

struct map_def {
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint64_t map_extra;
	int32_t value_type_id;
	int32_t values_type_id; /* __array(values, ...): element type, else 0 */
	uint32_t values_off;    /* its byte offset in the struct */
	bool has_spin_lock;
	uint32_t spin_lock_off;
};

static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *out_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	while (t && (btf_is_typedef(t) || btf_is_volatile(t) || btf_is_const(t) || btf_is_restrict(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out_id)
		*out_id = id;
	return t;
}

/* __uint(name, N): a pointer to an array of N */
static int uint_member(const struct btf *btf, uint32_t type_id, uint64_t *v)
{
	const struct btf_type *t = skip_mods(btf, type_id, NULL);
	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	const struct btf_type *a = skip_mods(btf, t->type, NULL);
	if (!a || !btf_is_array(a))
		return -EINVAL;
	*v = btf_array(a)->nelems;
	return 0;
}

/* the offset of a struct bpf_spin_lock member of the value, if any */
static bool find_spin_lock(const struct btf *btf, uint32_t id, uint32_t *off)
{
	const struct btf_type *t = skip_mods(btf, id, NULL);
	if (!t || !btf_is_struct(t))
		return false;
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const struct btf_type *mt = skip_mods(btf, m[i].type, NULL);
		const char *n = mt ? btf__name_by_offset(btf, mt->name_off) : NULL;
		if (mt && btf_is_struct(mt) && n && !strcmp(n, "bpf_spin_lock")) {
			*off = btf_member_bit_offset(t, i) / 8;
			return true;
		}
	}
	return false;
}

static int parse_def(const struct btf *btf, const struct btf_type *st, const char *map, struct map_def *d, char *log,
		     size_t log_sz)
{
	const struct btf_member *m = btf_members(st);
	for (int i = 0; i < btf_vlen(st); i++) {
		const char *name = btf__name_by_offset(btf, m[i].name_off);
		uint64_t v = 0;
		if (!name)
			continue;
		if (!strcmp(name, "type") || !strcmp(name, "max_entries") || !strcmp(name, "map_flags") ||
		    !strcmp(name, "key_size") || !strcmp(name, "value_size") || !strcmp(name, "map_extra") ||
		    !strcmp(name, "numa_node") || !strcmp(name, "pinning")) {
			if (uint_member(btf, m[i].type, &v)) {
				uebpf_log(log, log_sz, "section .maps: map '%s': member '%s' is not __uint(...)", map, name);
				return -EINVAL;
			}
			if (!strcmp(name, "type"))
				d->type = (uint32_t)v;
			else if (!strcmp(name, "max_entries"))
				d->max_entries = (uint32_t)v;
			else if (!strcmp(name, "map_flags"))
				d->map_flags = (uint32_t)v;
			else if (!strcmp(name, "key_size"))
				d->key_size = (uint32_t)v;
			else if (!strcmp(name, "value_size"))
				d->value_size = (uint32_t)v;
			else if (!strcmp(name, "map_extra"))
				d->map_extra = v;
		} else if (!strcmp(name, "key") || !strcmp(name, "value")) {
			const struct btf_type *t = skip_mods(btf, m[i].type, NULL);
			if (!t || !btf_is_ptr(t)) {
				uebpf_log(log, log_sz, "section .maps: map '%s': member '%s' is not __type(...)", map, name);
				return -EINVAL;
			}
			long long sz = btf__resolve_size(btf, t->type);
			if (sz <= 0) {
				uebpf_log(log, log_sz, "section .maps: map '%s': the size of '%s' is unknown", map, name);
				return -EINVAL;
			}
			if (!strcmp(name, "key")) {
				d->key_size = (uint32_t)sz;
			} else {
				d->value_size = (uint32_t)sz;
				d->value_type_id = (int32_t)t->type;
			}
		} else if (!strcmp(name, "values")) {
			const struct btf_type *a = skip_mods(btf, m[i].type, NULL);
			const struct btf_type *e = a && btf_is_array(a) ? skip_mods(btf, btf_array(a)->type, NULL) : NULL;
			if (!e || !btf_is_ptr(e)) {
				uebpf_log(log, log_sz, "section .maps: map '%s': 'values' is not __array(values, ...)", map);
				return -EINVAL;
			}
			d->values_type_id = (int32_t)e->type;
			d->values_off = btf_member_bit_offset(st, i) / 8;
		}
	}
	if (d->value_type_id)
		d->has_spin_lock = find_spin_lock(btf, (uint32_t)d->value_type_id, &d->spin_lock_off);
	/* slots of programs or maps hold a 4-byte id, as libbpf sizes them */
	if (d->values_type_id && !d->value_size)
		d->value_size = 4;
	if (d->values_type_id && !d->key_size)
		d->key_size = 4;
	return 0;
}

static int add(struct uebpf_object *obj, const char *name, const struct map_def *d, size_t sec_off, int *index)
{
	struct uebpf_object_map *m = realloc(obj->maps, (obj->n_maps + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	obj->maps = m;
	m += obj->n_maps;
	memset(m, 0, sizeof(*m));
	if (!(m->name = strdup(name)))
		return -ENOMEM;
	m->origin = MAP_BTF;
	m->sec_off = sec_off;
	m->inner = -1;
	m->data_shndx = -1;
	m->info = (struct uebpf_map_info){ .type = d->type, .key_size = d->key_size, .value_size = d->value_size,
					   .max_entries = d->max_entries, .map_flags = d->map_flags,
					   .map_extra = d->map_extra, .spin_lock_off = -1 };
	m->has_spin_lock = d->has_spin_lock;
	m->spin_lock_off = d->spin_lock_off;
	*index = (int)obj->n_maps++;
	return 0;
}

int uebpf_object_btf_maps(struct uebpf_object *obj, int shndx, const GElf_Shdr *sh, char *log, size_t log_sz)
{
	const struct btf *btf = obj->btf;
	int sec_id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	if (sec_id < 0) {
		uebpf_log(log, log_sz, "section .maps: no DATASEC .maps in the BTF");
		return -EINVAL;
	}
	const struct btf_type *sec = btf__type_by_id(btf, (uint32_t)sec_id);
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++) {
		const struct btf_type *var = btf__type_by_id(btf, vs[i].type);
		const char *name = var ? btf__name_by_offset(btf, var->name_off) : NULL;
		if (!var || !btf_is_var(var) || !name) {
			uebpf_log(log, log_sz, "section .maps offset %u: not a variable", vs[i].offset);
			return -EINVAL;
		}
		const struct btf_type *st = skip_mods(btf, var->type, NULL);
		if (!st || !btf_is_struct(st)) {
			uebpf_log(log, log_sz, "section .maps: map '%s' is not a struct", name);
			return -EINVAL;
		}
		if (vs[i].offset + vs[i].size > sh->sh_size) {
			uebpf_log(log, log_sz, "section .maps offset %u: map '%s' runs past the section", vs[i].offset, name);
			return -EINVAL;
		}
		struct map_def d = { 0 };
		int err = parse_def(btf, st, name, &d, log, log_sz), idx;
		if (err || (err = add(obj, name, &d, vs[i].offset, &idx)))
			return err;
		struct uebpf_object_map *m = &obj->maps[idx];
		if (d.values_type_id && (d.type == BPF_MAP_TYPE_ARRAY_OF_MAPS || d.type == BPF_MAP_TYPE_HASH_OF_MAPS)) {
			/* the inner map's definition is the template */
			const struct btf_type *it = skip_mods(btf, (uint32_t)d.values_type_id, NULL);
			struct map_def id = { 0 };
			char iname[UEBPF_MAP_NAME_MAX];
			snprintf(iname, sizeof(iname), "%s.inner", name);
			if (!it || !btf_is_struct(it) || (err = parse_def(btf, it, iname, &id, log, log_sz)) ||
			    (err = add(obj, iname, &id, (size_t)-1, &idx)))
				return err ? err : -EINVAL;
			obj->maps[obj->n_maps - 2].inner = idx;
			m = &obj->maps[obj->n_maps - 2];
		}
		if (d.values_type_id) {
			if (m->info.max_entries > (1u << 16)) {
				uebpf_log(log, log_sz, "section .maps: map '%s': %u slots are too many to initialise (at most %u)",
					  name, m->info.max_entries, 1u << 16);
				return -EINVAL;
			}
			m->n_init_slots = m->info.max_entries;
			m->sec_off = vs[i].offset;
			/* init_slots are filled from .rel.maps at load */
			m->init_slots = calloc(m->n_init_slots ? m->n_init_slots : 1, sizeof(char *));
			if (!m->init_slots)
				return -ENOMEM;
			m->values_off = d.values_off;
		}
	}
	(void)shndx;
	return 0;
}
