/* Executable memory: mapped read+write, filled, then switched to read+exec. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/jit.h"

int uebpf_exec_mem_alloc(const void *code, size_t sz, uint8_t **out, size_t *map_sz)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (sz + page - 1) / page * page;

	if (!len)
		len = page;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	memcpy(m, code, sz);
	if (mprotect(m, len, PROT_READ | PROT_EXEC)) {
		int err = -errno;
		munmap(m, len);
		return err;
	}
	*out = m;
	*map_sz = len;
	return 0;
}

void uebpf_exec_mem_free(uint8_t *mem, size_t map_sz)
{
	if (mem)
		munmap(mem, map_sz);
}
