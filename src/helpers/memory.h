/* Reading memory a program names but nobody vouched for (probe_read and the
 * strings of printk): a bad address is an error, never a crash. */
#ifndef UEBPF_HELPERS_MEMORY_H
#define UEBPF_HELPERS_MEMORY_H

#include <stddef.h>
#include <stdint.h>

/* Copy len bytes from src; 0 or -EFAULT (dst is zeroed on failure). */
long uebpf_safe_read(void *dst, const void *src, size_t len);
/* Copy a NUL-terminated string of at most size bytes (NUL included); returns
 * the length with the NUL, or -EFAULT (dst[0] = 0). size must be > 0. */
long uebpf_safe_read_str(char *dst, const void *src, size_t size);

/* Format as bpf_trace_printk / bpf_snprintf do: the kernel's subset of
 * printf conversions, args as 64-bit values (%s reads through
 * uebpf_safe_read_str). Writes at most out_sz bytes with the NUL; returns the
 * length the whole output needs without the NUL, or -EINVAL for a format the
 * kernel refuses (unknown conversion, more conversions than args). */
long uebpf_bpf_format(char *out, size_t out_sz, const char *fmt, size_t fmt_sz, const uint64_t *args,
		      uint32_t n_args);

#endif
