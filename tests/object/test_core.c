/* CO-RE: examples/core_offsets.bpf.o asks for task_struct's pid and tgid
 * offsets; loaded and run by uebpf, it must return what the running
 * kernel's BTF says (read here with libbpf). Skips when the kernel has no
 * BTF. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/object.h>
#include <uebpf/test_run.h>

static int member_offset(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	if (id < 0)
		return -1;
	const struct btf_type *t = btf__type_by_id(btf, (uint32_t)id);
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return (int)(btf_member_bit_offset(t, i) / 8);
	return -1;
}

int main(void)
{
	const char *dir = getenv("UEBPF_EXAMPLES") ? getenv("UEBPF_EXAMPLES") : "build/examples";
	char path[512];
	snprintf(path, sizeof(path), "%s/core_offsets.bpf.o", dir);
	struct btf *vmlinux = btf__load_vmlinux_btf();
	if (libbpf_get_error(vmlinux)) {
		printf("the kernel has no BTF (/sys/kernel/btf/vmlinux): skipped\n");
		return 77;
	}
	int pid = member_offset(vmlinux, "task_struct", "pid"), tgid = member_offset(vmlinux, "task_struct", "tgid");
	btf__free(vmlinux);
	char log[4096] = "";
	struct uebpf_object *obj;
	struct uebpf_object_load_opts lo = { .sz = sizeof(lo), .engine = UEBPF_ENGINE_JIT };
	if (uebpf_object_open_file(path, NULL, &obj, log, sizeof(log)) || uebpf_object_load(obj, &lo, log, sizeof(log))) {
		printf("%s: %s\n", path, log);
		return 1;
	}
	struct uebpf_object_prog *p = uebpf_object_next_prog(obj, NULL);
	struct uebpf_test_run_opts t = { .sz = sizeof(t) };
	int err = uebpf_prog_test_run(uebpf_object_prog_prog(p), uebpf_object_prog_type(p), &t, log, sizeof(log));
	uebpf_object_close(obj);
	if (err) {
		printf("run: %s\n", log);
		return 1;
	}
	uint32_t got_pid = t.retval & 0xffff, got_tgid = t.retval >> 16;
	printf("task_struct: pid at %d, tgid at %d (kernel BTF); uebpf relocated to %u and %u\n", pid, tgid, got_pid,
	       got_tgid);
	return got_pid == (uint32_t)pid && got_tgid == (uint32_t)tgid ? 0 : 1;
}
