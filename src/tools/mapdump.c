/* Printing a map's contents, for `uebpf run --dump-maps` and `uebpf map
 * dump`: bpftool's layout, as text or JSON; and the kernel's type names. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <uebpf/map.h>

#include "cli.h"

/* bpftool's names for types, from libbpf */
const char *cli_map_type_name(enum bpf_map_type type)
{
	const char *name = libbpf_bpf_map_type_str(type);
	return name ? name : "unknown";
}

int cli_map_type_by_name(const char *name, enum bpf_map_type *type)
{
	for (int t = 0; t < 64; t++) {
		const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)t);
		if (s && !strcmp(s, name)) {
			*type = (enum bpf_map_type)t;
			return 0;
		}
	}
	return -1;
}

const char *cli_prog_type_name(enum bpf_prog_type type)
{
	const char *name = libbpf_bpf_prog_type_str(type);
	return name ? name : "unknown";
}

int cli_prog_type_by_name(const char *name, enum bpf_prog_type *type)
{
	for (int t = 0; t < 64; t++) {
		const char *s = libbpf_bpf_prog_type_str((enum bpf_prog_type)t);
		if (s && !strcmp(s, name)) {
			*type = (enum bpf_prog_type)t;
			return 0;
		}
	}
	return -1;
}

static void hex(FILE *f, const uint8_t *b, size_t n, bool json)
{
	for (size_t i = 0; i < n; i++) {
		if (json)
			fprintf(f, "%s\"0x%02x\"", i ? "," : "", b[i]);
		else
			fprintf(f, "%s%02x", i ? " " : "", b[i]);
	}
}

struct rb_print {
	FILE *f;
	bool json;
	unsigned n;
};

static int print_record(void *arg, const void *data, size_t len)
{
	struct rb_print *p = arg;
	if (p->json) {
		fprintf(p->f, "%s{\"record\":[", p->n ? "," : "");
		hex(p->f, data, len, true);
		fprintf(p->f, "]}");
	} else {
		fprintf(p->f, "  record %u (%zu bytes): ", p->n, len);
		hex(p->f, data, len, false);
		fputc('\n', p->f);
	}
	p->n++;
	return 0;
}

/* Keyed maps are walked with get_next_key; queue/stack/bloom have no keys
 * and a ring buffer is consumed. Returns the number of entries or -errno. */
int cli_map_dump(FILE *f, const char *name, struct uebpf_map *map, bool json)
{
	const struct uebpf_map_info *info = uebpf_map_info(map);
	size_t vsz = uebpf_map_user_value_size(map);
	bool percpu = info->type == BPF_MAP_TYPE_PERCPU_ARRAY || info->type == BPF_MAP_TYPE_PERCPU_HASH ||
		      info->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	if (json)
		fprintf(f, "{\"name\":\"%s\",\"type\":\"%s\",\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,"
			   "\"entries\":[",
			name, cli_map_type_name(info->type), info->key_size, info->value_size, info->max_entries);
	else
		fprintf(f, "map %s: %s, key %u bytes, value %u bytes, max %u entries\n", name,
			cli_map_type_name(info->type), info->key_size, info->value_size, info->max_entries);
	int count = 0;
	if (info->type == BPF_MAP_TYPE_RINGBUF) {
		struct rb_print p = { f, json, 0 };
		count = uebpf_ringbuf_consume(map, print_record, &p);
	} else if (info->key_size) {
		uint8_t *key = calloc(1, info->key_size), *next = calloc(1, info->key_size), *val = calloc(1, vsz + 8);
		int err = key && next && val ? uebpf_map_get_next_key(map, NULL, next) : -ENOMEM;
		for (; !err; err = uebpf_map_get_next_key(map, key, next)) {
			memcpy(key, next, info->key_size);
			if (uebpf_map_lookup(map, key, val))
				continue;
			if (json) {
				fprintf(f, "%s{\"key\":[", count ? "," : "");
				hex(f, key, info->key_size, true);
				fprintf(f, "],\"value\":[");
				hex(f, val, vsz, true);
				fprintf(f, "]}");
			} else if (percpu) {
				fprintf(f, "  key: ");
				hex(f, key, info->key_size, false);
				fputc('\n', f);
				size_t per = (info->value_size + 7) / 8 * 8;
				for (size_t c = 0; per && c < vsz / per; c++) {
					fprintf(f, "    value (CPU %02zu): ", c);
					hex(f, val + c * per, info->value_size, false);
					fputc('\n', f);
				}
			} else {
				fprintf(f, "  key: ");
				hex(f, key, info->key_size, false);
				fprintf(f, "  value: ");
				hex(f, val, vsz, false);
				fputc('\n', f);
			}
			count++;
		}
		free(key);
		free(next);
		free(val);
		if (err != -ENOENT && err < 0)
			count = err;
	}
	if (json)
		fprintf(f, "]}");
	else if (count >= 0)
		fprintf(f, "  %d %s\n", count, info->type == BPF_MAP_TYPE_RINGBUF ? "records" : "entries");
	return count;
}
