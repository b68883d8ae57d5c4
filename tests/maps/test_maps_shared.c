/* Maps shared between processes: a named map created here is opened by
 * name in a child, which reads what the parent wrote and adds its own
 * while the parent keeps updating; corrupt or truncated /dev/shm files are
 * refused with a message; unlink removes the name. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uebpf/map.h>

#include "maps/map.h"

#define CHECK(c)                                                     \
	do {                                                         \
		if (!(c)) {                                          \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			return 1;                                    \
		}                                                    \
	} while (0)

static const char *list_name;

static int count_name(void *arg, const char *n)
{
	*(int *)arg += !strcmp(n, list_name);
	return 0;
}

int main(void)
{
	char name[64], log[256];
	snprintf(name, sizeof(name), "test-shared-%d", getpid());
	struct uebpf_map_opts o = { .sz = sizeof(o), .name = name };
	struct uebpf_map *m, *again;
	CHECK(!uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 8, 1024, &o, &m, log, sizeof(log)));
	/* a second create of the same name is refused unless it replaces */
	CHECK(uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 8, 1024, &o, &again, log, sizeof(log)) == -EEXIST);
	for (uint32_t k = 0; k < 100; k++) {
		uint64_t v = k * 3;
		CHECK(!uebpf_map_update(m, &k, &v, BPF_ANY));
	}
	uint32_t shared = 500;
	uint64_t zero = 0;
	CHECK(!uebpf_map_update(m, &shared, &zero, BPF_NOEXIST));
	pid_t child = fork();
	if (child == 0) {
		struct uebpf_map *c;
		if (uebpf_map_open(name, &c, log, sizeof(log))) {
			printf("child: %s\n", log);
			_exit(2);
		}
		int bad = 0;
		for (uint32_t k = 0; k < 100; k++) {
			uint64_t v;
			bad += uebpf_map_lookup(c, &k, &v) || v != k * 3;
		}
		for (uint32_t k = 1000; k < 1200; k++) {
			uint64_t v = k;
			bad += uebpf_map_update(c, &k, &v, BPF_NOEXIST) != 0;
		}
		/* program-side atomic adds on a value the parent also adds to */
		uint64_t *p = c->ops->lookup_elem(c, &shared);
		for (int i = 0; i < 100000; i++)
			__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
		uebpf_map_close(c);
		_exit(bad ? 3 : 0);
	}
	uint64_t *p = m->ops->lookup_elem(m, &shared);
	for (int i = 0; i < 100000; i++)
		__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
	int status;
	CHECK(waitpid(child, &status, 0) == child);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "child: status 0x%x\n", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	uint64_t v;
	CHECK(!uebpf_map_lookup(m, &shared, &v) && v == 200000);
	uint32_t k = 1100;
	CHECK(!uebpf_map_lookup(m, &k, &v) && v == 1100);

	/* listed by name */
	int found = 0;
	list_name = name;
	CHECK(uebpf_map_list(count_name, &found) >= 1 && found == 1);

	/* a truncated or foreign file of the same kind is refused */
	char path[128], bad[64];
	snprintf(bad, sizeof(bad), "test-bad-%d", getpid());
	snprintf(path, sizeof(path), "/dev/shm/uebpf.%s", bad);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "not a map at all", 16) == 16);
	close(fd);
	CHECK(uebpf_map_open(bad, &again, log, sizeof(log)) == -EINVAL);
	printf("corrupt: %s\n", log);
	CHECK(strstr(log, "not a uebpf map") != NULL);
	CHECK(!uebpf_map_unlink(bad));
	CHECK(uebpf_map_open("no-such-map", &again, log, sizeof(log)) == -ENOENT);
	CHECK(uebpf_map_open("a/b", &again, log, sizeof(log)) == -EINVAL);

	uebpf_map_close(m);
	CHECK(!uebpf_map_unlink(name));
	CHECK(uebpf_map_open(name, &again, log, sizeof(log)) == -ENOENT);
	printf("ok\n");
	return 0;
}
