/* CO-RE: examples/core_offsets.bpf.o asks for task_struct's pid and tgid
 * offsets; loaded and run by uebpf, it must return what the running
 * kernel's BTF says (read here with libbpf). Its core_bits program reads
 * bitfields of a struct (the same declaration is compiled here, so gcc says
 * what the fields hold) and enumerators of the kernel's enum bpf_func_id.
 * Skips when the kernel has no BTF. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include <uebpf/map.h>
#include <uebpf/object.h>
#include <uebpf/test_run.h>

struct uebpf_core_bits {
	unsigned int a : 3;
	unsigned int b : 7;
	int c : 5;
	unsigned long long d : 40;
};

/* core_bits on a struct with known fields: what it stored in core_out */
static int check_bits(struct uebpf_object *obj)
{
	char log[4096] = "";
	struct uebpf_core_bits in = { .a = 5, .b = 100, .c = -7, .d = 0x12345678abull };
	struct uebpf_object_prog *p = uebpf_object_find_prog(obj, "core_bits");
	struct uebpf_object_map *m = uebpf_object_find_map(obj, "core_off.bss");
	if (!p || !m) {
		printf("core_bits or core_off.bss missing\n");
		return 1;
	}
	struct uebpf_test_run_opts t = { .sz = sizeof(t), .ctx_in = &in, .ctx_size_in = sizeof(in) };
	if (uebpf_prog_test_run(uebpf_object_prog_prog(p), uebpf_object_prog_type(p), &t, log, sizeof(log))) {
		printf("core_bits: %s\n", log);
		return 1;
	}
	uint64_t out[6];
	uint32_t zero = 0;
	if (uebpf_map_lookup(uebpf_object_map_map(m), &zero, out))
		return 1;
	int64_t want[6] = { in.b, in.c, (int64_t)in.d, BPF_FUNC_map_lookup_elem, 1, 0 };
	int bad = 0;
	for (int i = 0; i < 6; i++)
		if ((int64_t)out[i] != want[i]) {
			printf("core_out[%d] = %lld, want %lld\n", i, (long long)out[i], (long long)want[i]);
			bad = 1;
		}
	printf("bitfields b=%lld c=%lld d=0x%llx, enumerator %lld, exists %lld and %lld: %s\n", (long long)out[0],
	       (long long)out[1], (unsigned long long)out[2], (long long)out[3], (long long)out[4], (long long)out[5],
	       bad ? "WRONG" : "as the struct holds them and the kernel numbers them");
	return bad;
}

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
	struct uebpf_object_prog *p = uebpf_object_find_prog(obj, "core_offsets");
	struct uebpf_test_run_opts t = { .sz = sizeof(t) };
	int err = uebpf_prog_test_run(uebpf_object_prog_prog(p), uebpf_object_prog_type(p), &t, log, sizeof(log));
	int bits_bad = check_bits(obj);
	uebpf_object_close(obj);
	if (err) {
		printf("run: %s\n", log);
		return 1;
	}
	uint32_t got_pid = t.retval & 0xffff, got_tgid = t.retval >> 16;
	printf("task_struct: pid at %d, tgid at %d (kernel BTF); uebpf relocated to %u and %u\n", pid, tgid, got_pid,
	       got_tgid);
	return got_pid == (uint32_t)pid && got_tgid == (uint32_t)tgid && !bits_bad ? 0 : 1;
}
