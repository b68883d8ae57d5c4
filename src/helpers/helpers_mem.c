/* Reading foreign memory and strings. probe_read* never fault: a bad address
 * gives -EFAULT and zeroed output, as in the kernel. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/impl.h"
#include "helpers/memory.h"

#define PTR(r) ((void *)(uintptr_t)(r))

HELPER(probe_read)
{
	return uebpf_safe_read(PTR(r1), PTR(r3), (uint32_t)r2);
}

HELPER(probe_read_str)
{
	if (!(uint32_t)r2)
		return 0;
	return uebpf_safe_read_str(PTR(r1), PTR(r3), (uint32_t)r2);
}

/* bpf_strncmp(s1, s1_sz, s2) is strncmp(s1, s2, s1_sz), s2 a constant string */
HELPER(strncmp)
{
	const unsigned char *a = PTR(r1), *b = PTR(r3);
	for (uint32_t i = 0; i < (uint32_t)r2; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
		if (!a[i])
			return 0;
	}
	return 0;
}

/* The kernel's __bpf_strtoull: optional leading spaces and sign, base 0/8/10/16
 * in the low 5 bits of flags; the number of characters consumed, or -EINVAL
 * (nothing parsed, bad flags) / -ERANGE (overflow). */
static long parse(const char *buf, size_t len, uint64_t flags, bool is_signed, long *res)
{
	uint32_t base = flags & 0x1f;
	if (flags & ~0x1full || (base && base != 8 && base != 10 && base != 16) || !len)
		return -EINVAL;
	char tmp[64];
	size_t n = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;
	memcpy(tmp, buf, n);
	tmp[n] = 0;
	const char *p = tmp;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	bool neg = false;
	if (*p == '-') {
		if (!is_signed)
			return -EINVAL;
		neg = true, p++;
	}
	if (!base)
		base = p[0] == '0' ? ((p[1] | 0x20) == 'x' ? 16 : 8) : 10;
	if (base == 16 && p[0] == '0' && (p[1] | 0x20) == 'x')
		p += 2;
	uint64_t v = 0;
	const char *digits = p;
	for (;; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f' ? (*p | 0x20) - 'a' + 10 : 99;
		if (d >= (int)base)
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (p == digits)
		return -EINVAL;
	if (is_signed) {
		if (neg ? v > (uint64_t)LONG_MAX + 1 : v > LONG_MAX)
			return -ERANGE;
		*res = neg ? (long)(0 - v) : (long)v;
	} else {
		*res = (long)v;
	}
	return p - tmp;
}

HELPER(strtol)
{
	long v, n = parse(PTR(r1), (uint32_t)r2, r3, true, &v);
	if (n >= 0)
		*(long *)PTR(r4) = v;
	return n;
}

HELPER(strtoul)
{
	long v, n = parse(PTR(r1), (uint32_t)r2, r3, false, &v);
	if (n >= 0)
		*(long *)PTR(r4) = v;
	return n;
}
