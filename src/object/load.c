/* Loading an opened object: maps created (global data copied in), each
 * program verified (which also rewrites its context accesses) and prepared
 * for an engine, then prog_array and map-of-maps slots filled. A failure
 * anywhere releases everything made so far. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/verifier.h>

#include "isa/log.h"
#include "maps/map.h"
#include "object/object.h"

static int resolve(void *ctx, uint8_t src, int32_t imm, int32_t next_imm, uint64_t *value)
{
	const struct uebpf_object *obj = ctx;
	if (imm < 0 || (size_t)imm >= obj->n_maps || !obj->maps[imm].map)
		return -ENOENT;
	struct uebpf_map *m = obj->maps[imm].map;
	switch (src) {
	case BPF_PSEUDO_MAP_IDX:
	case BPF_PSEUDO_MAP_FD:
		*value = (uintptr_t)m;
		return 0;
	case BPF_PSEUDO_MAP_IDX_VALUE:
	case BPF_PSEUDO_MAP_VALUE: {
		uint8_t *base = uebpf_map_value_base(m);
		if (!base || next_imm < 0 || (uint32_t)next_imm >= m->info.value_size)
			return -EINVAL;
		*value = (uintptr_t)(base + next_imm);
		return 0;
	}
	}
	return -EINVAL;
}

static void unload(struct uebpf_object *obj)
{
	for (size_t i = 0; i < obj->n_progs; i++) {
		uebpf_prog_free(obj->progs[i].prog);
		obj->progs[i].prog = NULL;
	}
	for (size_t i = 0; i < obj->n_maps; i++) {
		uebpf_map_close(obj->maps[i].map);
		obj->maps[i].map = NULL;
	}
}

static int create_map(struct uebpf_object *obj, struct uebpf_object_map *om, const struct uebpf_object_load_opts *o,
		      char *log, size_t log_sz)
{
	char name[UEBPF_MAP_NAME_MAX];
	struct uebpf_map_opts mo = { .sz = sizeof(mo), .map_flags = om->info.map_flags, .map_extra = om->info.map_extra,
				     .has_spin_lock = om->has_spin_lock, .spin_lock_off = om->spin_lock_off,
				     .replace = true };
	if (o->map_prefix) {
		snprintf(name, sizeof(name), "%s%s", o->map_prefix, om->name);
		mo.name = name;
	}
	if (om->inner >= 0)
		mo.inner_map = obj->maps[om->inner].map;
	char why[256] = "";
	int err = uebpf_map_create(om->info.type, om->info.key_size, om->info.value_size, om->info.max_entries, &mo,
				   &om->map, why, sizeof(why));
	if (err) {
		/* where the map is defined: its section and offset */
		const char *sec = om->origin == MAP_BTF ? ".maps" : om->origin == MAP_LEGACY ? "maps" : NULL;
		if (sec)
			uebpf_log(log, log_sz, "section %s offset %zu: map '%s': %s", sec, om->sec_off, om->name, why);
		else
			uebpf_log(log, log_sz, "map '%s': %s", om->name, why);
		return err;
	}
	om->info = om->map->info;
	if (om->origin == MAP_DATA && om->init)
		memcpy(uebpf_map_value_base(om->map), om->init, om->info.value_size);
	return 0;
}

static bool is_gpl(const char *license)
{
	static const char *const ok[] = { "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL",
					  "Dual MPL/GPL" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(license, ok[i]))
			return true;
	return false;
}

static int load_prog(struct uebpf_object *obj, struct uebpf_object_prog *p, const struct uebpf_object_load_opts *o,
		     const struct uebpf_verifier_map *vmaps, char *log, size_t log_sz)
{
	struct uebpf_prog_opts po = { .sz = sizeof(po), .engine = o->engine, .flags = o->flags,
				      .helpers = uebpf_helpers_default(), .resolve = resolve, .resolve_ctx = obj };
	const struct bpf_insn *insns = p->insns;
	size_t n = p->n;
	struct uebpf_verify_result res = { 0 };
	size_t used = strlen(log);
	int err;
	if (!o->no_verify) {
		struct uebpf_verify_opts vo = { .sz = sizeof(vo), .prog_type = p->type,
						.expected_attach_type = p->sec.expected_attach_type,
						.log_level = o->log_level, .unpriv = o->unpriv, .gpl = is_gpl(obj->license),
						.maps = vmaps, .n_maps = obj->n_maps, .lines = p->lines,
						.n_lines = p->n_lines };
		int n_used = snprintf(log + used, log_sz - used, "program %s: ", p->name);
		size_t start = used + (n_used > 0 ? (size_t)n_used : 0);
		err = start < log_sz ? uebpf_verify(p->insns, p->n, &vo, &res, log + start, log_sz - start)
				     : uebpf_verify(p->insns, p->n, &vo, &res, NULL, 0);
		if (err)
			return err;
		log[used] = 0; /* accepted: only refusals stay in the log */
		insns = res.insns;
		n = res.n;
		po.flags |= UEBPF_F_VERIFIED;
	} else {
		po.engine = UEBPF_ENGINE_INTERP;
	}
	char why[512] = "";
	err = uebpf_prog_load(insns, n, &po, &p->prog, why, sizeof(why));
	uebpf_verify_result_free(&res);
	if (err) {
		uebpf_log(log + used, log_sz - used, "program %s: %s", p->name, why);
		return err;
	}
	/* checked mode reaches maps through regions: every map's memory */
	for (size_t i = 0; !(po.flags & UEBPF_F_VERIFIED) && i < obj->n_maps && !err; i++) {
		struct uebpf_map *m = obj->maps[i].map;
		err = uebpf_prog_add_region(p->prog, m->shm, m->shm_size, !(m->info.map_flags & BPF_F_RDONLY_PROG));
	}
	return err;
}

static int fill_slots(struct uebpf_object *obj, char *log, size_t log_sz)
{
	for (size_t i = 0; i < obj->n_maps; i++) {
		struct uebpf_object_map *om = &obj->maps[i];
		for (uint32_t s = 0; s < om->n_init_slots; s++) {
			const char *name = om->init_slots[s];
			int err = 0;
			if (!name)
				continue;
			if (om->info.type == BPF_MAP_TYPE_PROG_ARRAY) {
				struct uebpf_object_prog *p = uebpf_object_find_prog(obj, name);
				err = p ? uebpf_map_set_prog(om->map, s, p->prog) : -ENOENT;
			} else {
				struct uebpf_object_map *inner = uebpf_object_find_map(obj, name);
				err = inner ? uebpf_map_set_inner(om->map, &s, inner->map) : -ENOENT;
			}
			if (err) {
				uebpf_log(log, log_sz, "map '%s' slot %u: cannot put '%s' there: %s", om->name, s, name,
					  strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

int uebpf_object_load(struct uebpf_object *obj, const struct uebpf_object_load_opts *opts, char *log, size_t log_sz)
{
	struct uebpf_object_load_opts o = { .sz = sizeof(o) };
	if (log_sz)
		log[0] = 0;
	if (opts) {
		if (opts->sz < sizeof(size_t) || opts->sz > sizeof(o)) {
			uebpf_log(log, log_sz, "uebpf_object_load_opts: unsupported size %zu", opts->sz);
			return -EINVAL;
		}
		memcpy(&o, opts, opts->sz);
	}
	if (obj->loaded) {
		uebpf_log(log, log_sz, "the object is loaded already");
		return -EBUSY;
	}
	int err = 0;
	/* templates of maps of maps first */
	for (int pass = 0; pass < 2 && !err; pass++)
		for (size_t i = 0; i < obj->n_maps && !err; i++)
			if ((obj->maps[i].inner >= 0) == pass)
				err = create_map(obj, &obj->maps[i], &o, log, log_sz);
	struct uebpf_verifier_map *vmaps = calloc(obj->n_maps + 1, sizeof(*vmaps));
	if (!err && !vmaps)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < obj->n_maps; i++) {
		const struct uebpf_map_info *mi = &obj->maps[i].info;
		vmaps[i] = (struct uebpf_verifier_map){ mi->type, mi->key_size, mi->value_size, mi->max_entries,
							 mi->map_flags, NULL, obj->maps[i].name };
	}
	for (size_t i = 0; !err && i < obj->n_maps; i++)
		if (obj->maps[i].inner >= 0)
			vmaps[i].inner = &vmaps[obj->maps[i].inner];
	for (size_t i = 0; i < obj->n_progs && !err; i++)
		err = load_prog(obj, &obj->progs[i], &o, vmaps, log, log_sz);
	free(vmaps);
	if (!err)
		err = fill_slots(obj, log, log_sz);
	if (err) {
		unload(obj);
		return err;
	}
	obj->loaded = true;
	return 0;
}
