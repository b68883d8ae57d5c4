/* CO-RE relocations (.BTF.ext core_relo): field offsets, sizes and
 * existence, type existence and size, enum values, computed against the
 * target BTF (the running kernel's, for types it has; the object's own
 * otherwise) and patched into the instructions as libbpf does. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/log.h"
#include "object/object.h"

enum {
	FIELD_BYTE_OFFSET = 0, FIELD_BYTE_SIZE, FIELD_EXISTS, FIELD_SIGNED, FIELD_LSHIFT_U64, FIELD_RSHIFT_U64,
	TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, ENUMVAL_EXISTS, ENUMVAL_VALUE,
};

static const struct btf_type *skip(const struct btf *btf, uint32_t id, uint32_t *out)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	while (t && (btf_is_typedef(t) || btf_is_volatile(t) || btf_is_const(t) || btf_is_restrict(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out)
		*out = id;
	return t;
}

/* a member named name of composite t (looking into anonymous members);
 * adds its bit offset to *bits and gives its type and, for a bitfield, its
 * width in bits (else 0) */
static bool find_member(const struct btf *btf, const struct btf_type *t, const char *name, uint64_t *bits,
			uint32_t *type, uint32_t *bitfield)
{
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(btf, m[i].name_off);
		uint32_t off = btf_member_bit_offset(t, i);
		if (n && *n && !strcmp(n, name)) {
			*bits += off;
			*type = m[i].type;
			*bitfield = btf_member_bitfield_size(t, i);
			return true;
		}
		if (!n || !*n) {
			const struct btf_type *inner = skip(btf, m[i].type, NULL);
			uint64_t b = *bits + off;
			if (inner && btf_is_composite(inner) && find_member(btf, inner, name, &b, type, bitfield)) {
				*bits = b;
				return true;
			}
		}
	}
	return false;
}

/* a name without its ___flavour suffix (libbpf's "essential" name) */
static size_t essential_len(const char *name)
{
	const char *f = strstr(name, "___");
	return f ? (size_t)(f - name) : strlen(name);
}

static bool same_essential(const char *a, const char *b)
{
	size_t la = essential_len(a);
	return la == essential_len(b) && !strncmp(a, b, la);
}

struct field {
	bool exists;
	uint64_t bits;     /* bit offset */
	uint32_t size;     /* byte size of the field's type */
	uint32_t bitfield; /* bitfield width, 0 for a whole field */
	bool is_signed;
};

/* follow the access string "0:1:2" through local type id in the local BTF,
 * then the same member names through the target type */
static int resolve_field(const struct btf *local, uint32_t local_id, const char *spec, const struct btf *target,
			 uint32_t target_id, struct field *out)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", spec);
	const struct btf_type *lt = skip(local, local_id, NULL), *tt = skip(target, target_id, NULL);
	uint32_t tid = target_id;
	uint64_t bits = 0;
	char *save, *tok = strtok_r(buf, ":", &save);
	if (!tok || !lt || !tt)
		return -EINVAL;
	/* the first index steps over whole objects */
	long first = strtol(tok, NULL, 10);
	long long tsize = btf__resolve_size(target, target_id);
	if (tsize < 0)
		return -EINVAL;
	bits = (uint64_t)first * (uint64_t)tsize * 8;
	uint32_t lid = local_id;
	while ((tok = strtok_r(NULL, ":", &save))) {
		long idx = strtol(tok, NULL, 10);
		lt = skip(local, lid, &lid);
		tt = skip(target, tid, &tid);
		if (!lt || !tt)
			return -EINVAL;
		if (btf_is_array(lt)) {
			if (!btf_is_array(tt)) {
				out->exists = false;
				return 0;
			}
			long long esz = btf__resolve_size(target, btf_array(tt)->type);
			if (esz < 0)
				return -EINVAL;
			bits += (uint64_t)idx * (uint64_t)esz * 8;
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		}
		if (!btf_is_composite(lt) || idx < 0 || idx >= btf_vlen(lt))
			return -EINVAL;
		const char *name = btf__name_by_offset(local, btf_members(lt)[idx].name_off);
		lid = btf_members(lt)[idx].type;
		if (!btf_is_composite(tt) || !name || !find_member(target, tt, name, &bits, &tid, &out->bitfield)) {
			out->exists = false;
			return 0;
		}
	}
	const struct btf_type *ft = skip(target, tid, &tid);
	long long fsize = btf__resolve_size(target, tid);
	out->exists = true;
	out->bits = bits;
	out->size = fsize > 0 ? (uint32_t)fsize : 0;
	out->is_signed = ft && btf_is_int(ft) && (btf_int_encoding(ft) & BTF_INT_SIGNED);
	return 0;
}

static int patch(struct bpf_insn *insns, size_t n, size_t at, uint64_t value, const char *sec, char *log, size_t log_sz)
{
	struct bpf_insn *in = &insns[at];
	uint8_t cls = BPF_CLASS(in->code);
	if (cls == BPF_ALU || cls == BPF_ALU64) {
		if (BPF_SRC(in->code) != BPF_K)
			goto bad;
		in->imm = (int32_t)value;
	} else if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) {
		if (value > INT16_MAX)
			goto bad;
		in->off = (int16_t)value;
	} else if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && at + 1 < n) {
		in[0].imm = (int32_t)(uint32_t)value;
		in[1].imm = (int32_t)(uint32_t)(value >> 32);
	} else {
		goto bad;
	}
	return 0;
bad:
	uebpf_log(log, log_sz, "section %s insn %zu: CO-RE relocation on an instruction that cannot take it", sec, at);
	return -EINVAL;
}

static struct btf *vmlinux(void)
{
	static struct btf *v;
	static bool tried;
	if (!tried) {
		libbpf_print_fn_t old = libbpf_set_print(NULL);
		v = btf__load_vmlinux_btf();
		libbpf_set_print(old);
		if (libbpf_get_error(v))
			v = NULL;
		tried = true;
	}
	return v;
}

struct core_ctx {
	struct uebpf_object *obj;
	const char *sec;
	struct bpf_insn *insns;
	size_t n;
	char *log;
	size_t log_sz;
};

/* one CO-RE relocation record */
static int core_one(const uint8_t *p, void *arg)
{
	struct core_ctx *c = arg;
	struct uebpf_object *obj = c->obj;
	const char *sec = c->sec;
	size_t n = c->n;
	char *log = c->log;
	size_t log_sz = c->log_sz;
	uint32_t r[4]; /* insn_off, type_id, access_str_off, kind */
	memcpy(r, p, sizeof(r));
	size_t at = r[0] / 8;
	const char *spec = btf__name_by_offset(obj->btf, r[2]);
	const struct btf_type *lt = skip(obj->btf, r[1], NULL);
	if (r[0] % 8 || at >= n || !spec || !lt) {
		uebpf_log(log, log_sz, "section %s offset %u: bad CO-RE relocation", sec, r[0]);
		return -EINVAL;
	}
	/* the target: the kernel's type of the same name and kind, else our own */
	const char *tname = btf__name_by_offset(obj->btf, lt->name_off);
	const struct btf *target = obj->btf;
	uint32_t tid = r[1];
	struct btf *v = tname && *tname ? vmlinux() : NULL;
	/* by the name without a ___flavour, an enum as enum or enum64 */
	char ess[128];
	snprintf(ess, sizeof(ess), "%.*s", tname ? (int)essential_len(tname) : 0, tname ? tname : "");
	int vid = v && *ess ? btf__find_by_name_kind(v, ess, btf_kind(lt)) : -1;
	if (vid <= 0 && v && *ess && btf_is_any_enum(lt))
		vid = btf__find_by_name_kind(v, ess, btf_is_enum(lt) ? BTF_KIND_ENUM64 : BTF_KIND_ENUM);
	if (vid > 0)
		target = v, tid = (uint32_t)vid;
	uint64_t value;
	struct field f = { 0 };
	switch (r[3]) {
	case FIELD_BYTE_OFFSET:
	case FIELD_BYTE_SIZE:
	case FIELD_EXISTS:
	case FIELD_SIGNED:
	case FIELD_LSHIFT_U64:
	case FIELD_RSHIFT_U64:
		if (resolve_field(obj->btf, r[1], spec, target, tid, &f)) {
			uebpf_log(log, log_sz, "section %s insn %zu: CO-RE access \"%s\" does not resolve", sec, at,
				  spec);
			return -EINVAL;
		}
		if (!f.exists && r[3] != FIELD_EXISTS) {
			uebpf_log(log, log_sz, "section %s insn %zu: CO-RE field \"%s\" of %s is not in the target",
				  sec, at, spec, tname ? tname : "?");
			return -ENOENT;
		}
		{
			/* a bitfield is loaded as the smallest aligned word of
			 * its type's size or wider that holds it, as libbpf does */
			uint64_t byte_sz = f.size, byte_off = f.bits / 8, bit_sz = f.size * 8;
			if (f.bitfield && f.size) {
				bit_sz = f.bitfield;
				byte_off = f.bits / 8 / byte_sz * byte_sz;
				while (f.bits + bit_sz - byte_off * 8 > byte_sz * 8) {
					if (byte_sz >= 8) {
						uebpf_log(log, log_sz, "section %s insn %zu: bitfield \"%s\" cannot be read with a "
								       "64-bit load", sec, at, spec);
						return -E2BIG;
					}
					byte_sz *= 2;
					byte_off = f.bits / 8 / byte_sz * byte_sz;
				}
			}
			value = r[3] == FIELD_BYTE_OFFSET  ? byte_off
				: r[3] == FIELD_BYTE_SIZE  ? byte_sz
				: r[3] == FIELD_EXISTS	   ? f.exists
				: r[3] == FIELD_SIGNED	   ? f.is_signed
				: r[3] == FIELD_LSHIFT_U64 ? 64 - (f.bits + bit_sz - byte_off * 8)
							   : 64 - bit_sz;
		}
		break;
	case ENUMVAL_EXISTS:
	case ENUMVAL_VALUE: {
		/* "N": the Nth enumerator of the local enum, found by name in the target's */
		long idx = strtol(spec, NULL, 10);
		if (!btf_is_any_enum(lt) || idx < 0 || idx >= btf_vlen(lt)) {
			uebpf_log(log, log_sz, "section %s insn %zu: CO-RE enum access \"%s\" does not resolve", sec, at, spec);
			return -EINVAL;
		}
		const char *ename = btf__name_by_offset(obj->btf, btf_is_enum(lt) ? btf_enum(lt)[idx].name_off
										 : btf_enum64(lt)[idx].name_off);
		const struct btf_type *tt = skip(target, tid, NULL);
		bool found = false;
		int64_t ev = 0;
		for (int k = 0; tt && ename && btf_is_any_enum(tt) && k < btf_vlen(tt) && !found; k++) {
			const char *tn = btf__name_by_offset(target, btf_is_enum(tt) ? btf_enum(tt)[k].name_off
										 : btf_enum64(tt)[k].name_off);
			if (tn && same_essential(tn, ename)) {
				found = true;
				ev = btf_is_enum(tt) ? btf_enum(tt)[k].val : (int64_t)btf_enum64_value(&btf_enum64(tt)[k]);
			}
		}
		if (r[3] == ENUMVAL_VALUE && !found) {
			uebpf_log(log, log_sz, "section %s insn %zu: CO-RE enumerator %s of %s is not in the target", sec, at,
				  ename ? ename : "?", tname ? tname : "?");
			return -ENOENT;
		}
		value = r[3] == ENUMVAL_EXISTS ? found : (uint64_t)ev;
		break;
	}
	case TYPE_EXISTS:
		value = target != obj->btf || !v;
		break;
	case TYPE_SIZE: {
		long long sz = btf__resolve_size(target, tid);
		value = sz > 0 ? (uint64_t)sz : 0;
		break;
	}
	case TYPE_ID_LOCAL:
		value = r[1];
		break;
	case TYPE_ID_TARGET:
		value = tid;
		break;
	default:
		uebpf_log(log, log_sz, "section %s insn %zu: CO-RE relocation kind %u is not supported", sec, at,
			  r[3]);
		return -ENOTSUP;
	}
	return patch(c->insns, n, at, value, sec, log, log_sz);
}

int uebpf_object_core_relocate(struct uebpf_object *obj, const void *ext, size_t ext_sz, const char *sec,
			       struct bpf_insn *insns, size_t n, char *log, size_t log_sz)
{
	struct core_ctx c = { obj, sec, insns, n, log, log_sz };
	return uebpf_object_btf_ext_each(obj, ext, ext_sz, BTF_EXT_CORE, sec, core_one, &c, log, log_sz);
}
