/* Fault-safe reads through process_vm_readv on our own pid: the kernel checks
 * the address and returns EFAULT, so a wild pointer cannot crash the host. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helpers/memory.h"

long uebpf_safe_read(void *dst, const void *src, size_t len)
{
	if (!len)
		return 0;
	struct iovec local = { dst, len }, remote = { (void *)src, len };
	ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (got == (ssize_t)len)
		return 0;
	memset(dst, 0, len);
	return -EFAULT;
}

long uebpf_safe_read_str(char *dst, const void *src, size_t size)
{
	size_t done = 0;
	while (done < size) {
		/* never cross a page boundary in one read: the next page may be unmapped */
		uintptr_t at = (uintptr_t)src + done;
		size_t chunk = 4096 - (at & 4095);
		if (chunk > size - done)
			chunk = size - done;
		struct iovec local = { dst + done, chunk }, remote = { (void *)at, chunk };
		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)chunk) {
			dst[0] = 0;
			return -EFAULT;
		}
		char *nul = memchr(dst + done, 0, chunk);
		if (nul)
			return nul - dst + 1;
		done += chunk;
	}
	dst[size - 1] = 0;
	return size;
}
