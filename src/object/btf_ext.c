/* .BTF.ext: the header, and the records of one kind (func_info, line_info,
 * CO-RE relocations) that belong to one section. Every offset and count is
 * checked against the section before a record is handed out. */
#include <bpf/btf.h>
#include <errno.h>
#include <string.h>

#include "isa/log.h"
#include "object/object.h"

int uebpf_object_btf_ext_each(const struct uebpf_object *obj, const void *ext, size_t ext_sz, enum btf_ext_kind kind,
			      const char *sec, btf_ext_fn fn, void *ctx, char *log, size_t log_sz)
{
	static const char *const what[] = { [BTF_EXT_FUNC] = "function info", [BTF_EXT_LINE] = "line info",
					    [BTF_EXT_CORE] = "CO-RE relocations" };
	static const uint32_t min_rec[] = { [BTF_EXT_FUNC] = 8, [BTF_EXT_LINE] = 16, [BTF_EXT_CORE] = 16 };
	static const uint32_t field[] = { [BTF_EXT_FUNC] = 8, [BTF_EXT_LINE] = 16, [BTF_EXT_CORE] = 24 };
	const uint8_t *b = ext;
	uint32_t hdr_len, off, len;
	if (!ext || ext_sz < field[kind] + 8)
		return 0;
	memcpy(&hdr_len, b + 4, 4);
	if (hdr_len < field[kind] + 8)
		return 0; /* an older header without this kind */
	memcpy(&off, b + field[kind], 4);
	memcpy(&len, b + field[kind] + 4, 4);
	if (len <= 4)
		return 0;
	if ((uint64_t)hdr_len + off + len > ext_sz || !obj->btf) {
		uebpf_log(log, log_sz, "section .BTF.ext offset %u: %s run past the section", hdr_len + off, what[kind]);
		return -EINVAL;
	}
	const uint8_t *p = b + hdr_len + off, *end = p + len;
	uint32_t rec_size;
	memcpy(&rec_size, p, 4);
	p += 4;
	if (rec_size < min_rec[kind]) {
		uebpf_log(log, log_sz, "section .BTF.ext: %s record size %u is too small", what[kind], rec_size);
		return -EINVAL;
	}
	while (p + 8 <= end) {
		uint32_t name_off, count;
		memcpy(&name_off, p, 4);
		memcpy(&count, p + 4, 4);
		p += 8;
		if ((uint64_t)count * rec_size > (uint64_t)(end - p)) {
			uebpf_log(log, log_sz, "section .BTF.ext offset %td: %s run past the section", p - b, what[kind]);
			return -EINVAL;
		}
		const char *name = btf__name_by_offset(obj->btf, name_off);
		if (name && !strcmp(name, sec))
			for (uint32_t i = 0; i < count; i++) {
				int err = fn(p + (size_t)i * rec_size, ctx);
				if (err)
					return err;
			}
		p += (size_t)count * rec_size;
	}
	return 0;
}
