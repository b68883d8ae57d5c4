/* Time, identity and randomness: what the kernel reports of the current task,
 * read from the thread that runs the program. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "helpers/impl.h"

/* Debian's kernels run with CONFIG_HZ=250 */
#define UEBPF_HZ 250

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

HELPER(ktime_get_ns)
{
	return clock_ns(CLOCK_MONOTONIC);
}

HELPER(ktime_get_boot_ns)
{
	return clock_ns(CLOCK_BOOTTIME);
}

HELPER(ktime_get_coarse_ns)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

HELPER(jiffies64)
{
	return clock_ns(CLOCK_BOOTTIME) / (1000000000ull / UEBPF_HZ);
}

/* xorshift128+ per thread, seeded from getrandom: fast, and threads do not
 * share a sequence */
HELPER(get_prandom_u32)
{
	static _Thread_local uint64_t s[2];
	if (!s[0] && !s[1] && getrandom(s, sizeof(s), 0) != sizeof(s))
		s[0] = clock_ns(CLOCK_MONOTONIC) | 1, s[1] = (uint64_t)gettid() << 17 | 1;
	uint64_t a = s[0], b = s[1];
	s[0] = b;
	a ^= a << 23;
	s[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
	return (uint32_t)((s[1] + b) >> 32);
}

HELPER(get_smp_processor_id)
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : (uint32_t)cpu;
}

HELPER(get_numa_node_id)
{
	unsigned cpu, node;
	return getcpu(&cpu, &node) ? 0 : node;
}

HELPER(get_current_pid_tgid)
{
	return (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)gettid();
}

HELPER(get_current_uid_gid)
{
	return (uint64_t)getgid() << 32 | getuid();
}

/* bpf_get_current_comm(buf, size): the thread's name, NUL-terminated and
 * truncated to size as the kernel's strscpy does */
HELPER(get_current_comm)
{
	char comm[16] = "";
	char *buf = (char *)(uintptr_t)r1;
	uint32_t size = (uint32_t)r2;
	prctl(PR_GET_NAME, comm);
	memset(buf, 0, size);
	strncpy(buf, comm, size - 1);
	return 0;
}
