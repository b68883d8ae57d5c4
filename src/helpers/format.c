/* The printf subset of bpf_trace_printk, bpf_snprintf and bpf_trace_vprintk:
 * flags, width, precision, the length modifiers h/hh/l/ll/z, and the
 * conversions d i u x X o c s p %; everything else is refused, as the kernel
 * refuses it when the program calls the helper. */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "helpers/memory.h"

struct out {
	char *buf;
	size_t sz, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->len < o->sz ? o->sz - o->len : 0;
	int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += n;
}

long uebpf_bpf_format(char *out, size_t out_sz, const char *fmt, size_t fmt_sz, const uint64_t *args,
		      uint32_t n_args)
{
	struct out o = { out, out_sz, 0 };
	uint32_t next = 0;
	if (out_sz)
		out[0] = 0;
	/* the format must be NUL-terminated inside its declared size */
	const char *end = memchr(fmt, 0, fmt_sz);
	if (!end)
		return -EINVAL;
	for (const char *p = fmt; p < end; p++) {
		if (*p != '%') {
			put(&o, "%c", *p);
			continue;
		}
		if (p[1] == '%') {
			put(&o, "%%");
			p++;
			continue;
		}
		char spec[32];
		size_t n = 0;
		const char *q = p + 1;
		spec[n++] = '%';
		while (*q && strchr("-+ #0", *q) && n < 8)
			spec[n++] = *q++;
		while (*q >= '0' && *q <= '9' && n < 16)
			spec[n++] = *q++;
		if (*q == '.') {
			spec[n++] = *q++;
			while (*q >= '0' && *q <= '9' && n < 24)
				spec[n++] = *q++;
		}
		int longs = 0;
		if (q[0] == 'l' && q[1] == 'l')
			longs = 2, q += 2;
		else if (*q == 'l' || *q == 'z')
			longs = 2, q++;
		else if (q[0] == 'h' && q[1] == 'h')
			longs = -2, q += 2;
		else if (*q == 'h')
			longs = -1, q++;
		char conv = *q;
		if (!conv || !strchr("diuxXocsp", conv) || next >= n_args) {
			if (out_sz)
				out[0] = 0;
			return -EINVAL;
		}
		uint64_t v = args[next++];
		p = q;
		if (conv == 's') {
			char str[256];
			if (uebpf_safe_read_str(str, (const void *)(uintptr_t)v, sizeof(str)) < 0)
				strcpy(str, "(fault)");
			memcpy(spec + n, "s", 2);
			put(&o, spec, str);
			continue;
		}
		if (conv == 'p') {
			/* %pK, %px, %ps ... : the kernel prints the raw pointer for the
			 * ones a program may use; so do we */
			if (q[1] && strchr("Kxs", q[1]))
				p++;
			put(&o, "0x%" PRIx64, v);
			continue;
		}
		if (conv == 'c') {
			memcpy(spec + n, "c", 2);
			put(&o, spec, (int)(unsigned char)v);
			continue;
		}
		bool is_signed = conv == 'd' || conv == 'i';
		memcpy(spec + n, is_signed ? PRId64 : conv == 'u' ? PRIu64 : conv == 'o' ? PRIo64 : conv == 'x' ? PRIx64 : PRIX64,
		       sizeof(PRId64));
		if (longs == 0)
			v = is_signed ? (uint64_t)(int64_t)(int32_t)v : (uint32_t)v;
		else if (longs == -1)
			v = is_signed ? (uint64_t)(int64_t)(int16_t)v : (uint16_t)v;
		else if (longs == -2)
			v = is_signed ? (uint64_t)(int64_t)(int8_t)v : (uint8_t)v;
		put(&o, spec, v);
	}
	return o.len;
}
