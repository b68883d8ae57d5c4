/* Helper functions, their prototypes, and the program-type descriptors:
 * formatting, fault-safe reads, string parsing, checksums, packet helpers,
 * section names, context access rules and rewrites. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <uebpf/ctx.h>
#include <uebpf/engine.h>
#include <uebpf/isa.h>
#include <uebpf/map.h>

#include "helpers/impl.h"
#include "helpers/memory.h"
#include "helpers/proto.h"
#include "helpers/runctx.h"
#include "maps/map.h"
#include "progtypes/progtype.h"

#define U(p) ((uint64_t)(uintptr_t)(p))

static void test_format(void **state)
{
	char out[128];
	uint64_t args[] = { (uint64_t)-5, 42, 0xbeef, U("str"), 'z' };
	long n = uebpf_bpf_format(out, sizeof(out), "%d %u %x %s %c %%", 20, args, 5);
	assert_string_equal(out, "-5 42 beef str z %");
	assert_int_equal(n, strlen(out));

	uint64_t wide[] = { 0x1122334455667788ull, (uint64_t)-1, 7, 0 };
	uebpf_bpf_format(out, sizeof(out), "%llx %lld|%-4d|%04u", 27, wide, 4);
	assert_string_equal(out, "1122334455667788 -1|7   |0000");
	/* int-sized conversions truncate to 32 bits, as the kernel's */
	uint64_t big[] = { 0x100000005ull };
	uebpf_bpf_format(out, sizeof(out), "%d", 3, big, 1);
	assert_string_equal(out, "5");

	/* refused: unknown conversion, more conversions than args, no NUL */
	assert_int_equal(uebpf_bpf_format(out, sizeof(out), "%n", 3, args, 5), -EINVAL);
	assert_int_equal(uebpf_bpf_format(out, sizeof(out), "%d %d", 6, args, 1), -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(uebpf_bpf_format(out, sizeof(out), "abc", 3, args, 0), -EINVAL);

	/* truncation: the length is what the whole output needs */
	char small[4];
	assert_int_equal(uebpf_bpf_format(small, sizeof(small), "abcdef", 7, NULL, 0), 6);
	assert_string_equal(small, "abc");
	/* a bad %s pointer is printed as a fault, never followed */
	uint64_t bad[] = { 8 };
	uebpf_bpf_format(out, sizeof(out), "<%s>", 5, bad, 1);
	assert_string_equal(out, "<(fault)>");
}

struct captured {
	char msg[256];
	int calls;
};

static void capture(void *arg, const char *msg, size_t len)
{
	struct captured *c = arg;
	snprintf(c->msg, sizeof(c->msg), "%.*s", (int)len, msg);
	c->calls++;
}

static void test_printk_and_snprintf(void **state)
{
	struct captured c = { .calls = 0 };
	struct uebpf_run_ctx rc = { .print = capture, .print_arg = &c };
	uebpf_run_ctx_cur = &rc;
	static const char fmt[] = "pid %d comm %s\n";
	uint64_t n = uebpf_h_trace_printk(U(fmt), sizeof(fmt), 7, U("sh"), 0);
	assert_int_equal(n, strlen("pid 7 comm sh\n"));
	assert_string_equal(c.msg, "pid 7 comm sh\n");
	uint64_t data[] = { 1, 2, 3, 4 };
	static const char vfmt[] = "%d-%d-%d-%d";
	uebpf_h_trace_vprintk(U(vfmt), sizeof(vfmt), U(data), sizeof(data), 0);
	assert_string_equal(c.msg, "1-2-3-4");
	assert_int_equal(c.calls, 2);
	/* data_len not a multiple of 8 */
	assert_int_equal((int64_t)uebpf_h_trace_vprintk(U(vfmt), sizeof(vfmt), U(data), 12, 0), -EINVAL);
	uebpf_run_ctx_cur = NULL;

	char buf[8];
	assert_int_equal(uebpf_h_snprintf(U(buf), sizeof(buf), U("%d!"), U(data), 8), 3);
	assert_string_equal(buf, "1!");
	/* the return value counts the NUL and may exceed the buffer */
	assert_int_equal(uebpf_h_snprintf(U(buf), 4, U("%d%d%d%d"), U(data), 32), 5);
	assert_string_equal(buf, "123");
}

static void test_safe_read(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(two != MAP_FAILED);
	assert_int_equal(munmap(two + page, page), 0);
	char dst[16];
	memset(dst, 'x', sizeof(dst));
	assert_int_equal(uebpf_safe_read(dst, NULL, 8), -EFAULT);
	assert_int_equal(dst[0], 0);
	assert_int_equal(uebpf_safe_read(dst, two + page - 4, 8), -EFAULT);
	memcpy(two, "hello", 6);
	assert_int_equal(uebpf_h_probe_read(U(dst), 6, U(two), 0, 0), 0);
	assert_string_equal(dst, "hello");
	/* strings: the length with the NUL; truncated to the size; a string
	 * running into the unmapped page faults */
	assert_int_equal(uebpf_h_probe_read_str(U(dst), sizeof(dst), U(two), 0, 0), 6);
	assert_int_equal(uebpf_h_probe_read_str(U(dst), 3, U(two), 0, 0), 3);
	assert_string_equal(dst, "he");
	memcpy(two + page - 3, "ab", 3);
	assert_int_equal(uebpf_h_probe_read_str(U(dst), sizeof(dst), U(two + page - 3), 0, 0), 3);
	memset(two + page - 4, 'q', 4);
	assert_int_equal((int64_t)uebpf_h_probe_read_str(U(dst), sizeof(dst), U(two + page - 4), 0, 0), -EFAULT);
	munmap(two, page);
}

static void test_strings(void **state)
{
	long v = 0;
	static const char a[] = "  -123abc";
	assert_int_equal(uebpf_h_strtol(U(a), sizeof(a) - 1, 10, U(&v), 0), 6);
	assert_int_equal(v, -123);
	assert_int_equal(uebpf_h_strtol(U("0x1f"), 4, 0, U(&v), 0), 4);
	assert_int_equal(v, 31);
	assert_int_equal(uebpf_h_strtol(U("017"), 3, 0, U(&v), 0), 3);
	assert_int_equal(v, 15);
	assert_int_equal((int64_t)uebpf_h_strtoul(U("-1"), 2, 0, U(&v), 0), -EINVAL);
	assert_int_equal((int64_t)uebpf_h_strtol(U("abc"), 3, 10, U(&v), 0), -EINVAL);
	assert_int_equal((int64_t)uebpf_h_strtol(U("12"), 2, 7, U(&v), 0), -EINVAL);
	assert_int_equal((int64_t)uebpf_h_strtoul(U("99999999999999999999"), 20, 10, U(&v), 0), -ERANGE);
	assert_int_equal((int64_t)uebpf_h_strtol(U("9223372036854775808"), 19, 10, U(&v), 0), -ERANGE);
	assert_int_equal(uebpf_h_strtol(U("-9223372036854775808"), 20, 10, U(&v), 0), 20);
	assert_true(v == INT64_MIN);

	assert_int_equal(uebpf_h_strncmp(U("abcd"), 4, U("abcd"), 0, 0), 0);
	assert_int_equal((int64_t)uebpf_h_strncmp(U("abcd"), 4, U("abce"), 0, 0), -1);
	assert_int_equal(uebpf_h_strncmp(U("abz"), 2, U("abc"), 0, 0), 0);
	assert_int_equal(uebpf_h_strncmp(U("b"), 2, U("a"), 0, 0), 1);
}

static void test_csum_diff(void **state)
{
	uint32_t to[] = { 0xffffffff, 1 };
	/* 0xffffffff + 1 carries into bit 32, which folds back as 1 */
	assert_int_equal(uebpf_h_csum_diff(0, 0, U(to), 8, 0), 1);
	uint32_t a = 0x12345678;
	assert_int_equal(uebpf_h_csum_diff(U(&a), 4, U(&a), 4, 0), 0xffffffff);
	assert_int_equal(uebpf_h_csum_diff(0, 0, U(&a), 4, 5), 0x1234567d);
	assert_int_equal((int64_t)uebpf_h_csum_diff(0, 0, U(to), 6, 0), -EINVAL);
}

static void test_packet_helpers(void **state)
{
	uint8_t buf[128] = { 0 };
	for (int i = 0; i < 64; i++)
		buf[32 + i] = i;
	struct uebpf_pkt_ctx p = { .data = buf + 32, .data_end = buf + 96, .data_meta = buf + 32,
				   .buf_start = buf, .buf_end = buf + sizeof(buf), .len = 64 };
	uint8_t out[8];
	assert_int_equal(uebpf_h_skb_load_bytes(U(&p), 10, U(out), 4, 0), 0);
	assert_int_equal(out[0], 10);
	assert_int_equal(out[3], 13);
	assert_int_equal((int64_t)uebpf_h_skb_load_bytes(U(&p), 61, U(out), 4, 0), -EFAULT);

	assert_int_equal(uebpf_h_ld_abs_16(U(&p), 2, 0, 0, 0), 0x0203);
	assert_int_equal(uebpf_h_ld_abs_32(U(&p), 60, 0, 0, 0), 0x3c3d3e3f);
	assert_int_equal((int64_t)uebpf_h_ld_abs_32(U(&p), 61, 0, 0, 0), -EFAULT);
	assert_int_equal((int64_t)uebpf_h_ld_abs_8(U(&p), (uint32_t)-1, 0, 0, 0), -EFAULT);

	/* adjust_head: grow into the headroom, shrink, refuse past the limits */
	assert_int_equal(uebpf_h_xdp_adjust_head(U(&p), (uint64_t)-16, 0, 0, 0), 0);
	assert_ptr_equal(p.data, buf + 16);
	assert_ptr_equal(p.data_meta, buf + 16);
	assert_int_equal(p.len, 80);
	assert_int_equal((int64_t)uebpf_h_xdp_adjust_head(U(&p), (uint64_t)-17, 0, 0, 0), -EINVAL);
	assert_int_equal((int64_t)uebpf_h_xdp_adjust_head(U(&p), 80 - 13, 0, 0, 0), -EINVAL);
	assert_int_equal(uebpf_h_xdp_adjust_head(U(&p), 16, 0, 0, 0), 0);
	/* adjust_tail: grow into the tailroom (zeroed), shrink to an Ethernet header */
	assert_int_equal(uebpf_h_xdp_adjust_tail(U(&p), 32, 0, 0, 0), 0);
	assert_ptr_equal(p.data_end, buf + 128);
	assert_int_equal((int64_t)uebpf_h_xdp_adjust_tail(U(&p), 1, 0, 0, 0), -EINVAL);
	assert_int_equal(uebpf_h_xdp_adjust_tail(U(&p), -(96 - 14), 0, 0, 0), 0);
	assert_int_equal(p.len, 14);
	assert_int_equal((int64_t)uebpf_h_xdp_adjust_tail(U(&p), (uint64_t)-1, 0, 0, 0), -EINVAL);
}

static void test_protos(void **state)
{
	const struct uebpf_helper_proto *p = uebpf_helper_proto(BPF_FUNC_map_lookup_elem);
	assert_non_null(p);
	assert_string_equal(p->name, "bpf_map_lookup_elem");
	assert_int_equal(p->arg[0], UEBPF_ARG_CONST_MAP_PTR);
	assert_int_equal(p->ret, UEBPF_RET_PTR_TO_MAP_VALUE_OR_NULL);
	assert_null(uebpf_helper_proto(BPF_FUNC_sk_lookup_tcp));
	assert_string_equal(uebpf_helper_name(BPF_FUNC_sk_lookup_tcp), "bpf_sk_lookup_tcp");
	assert_null(uebpf_helper_name(0));
	assert_null(uebpf_helper_name(100000));

	/* every implemented helper is in the default table, under its id */
	const struct uebpf_helper_table *t = uebpf_helpers_default();
	for (uint32_t id = 1; id < __BPF_FUNC_MAX_ID; id++) {
		const struct uebpf_helper_proto *q = uebpf_helper_proto(id);
		if (q && q->fn)
			assert_ptr_equal(uebpf_helper_table_get(t, id), q->fn);
	}
	assert_ptr_equal(uebpf_helper_table_get(t, UEBPF_FUNC_ld_abs_8), uebpf_h_ld_abs_8);

	/* which helpers a type may call, and the unprivileged subset */
	const struct uebpf_progtype *sock = uebpf_progtype_by_name("socket_filter");
	const struct uebpf_progtype *kp = uebpf_progtype_get(BPF_PROG_TYPE_KPROBE);
	assert_non_null(sock->func_proto(BPF_FUNC_skb_load_bytes, false));
	assert_null(kp->func_proto(BPF_FUNC_skb_load_bytes, true));
	assert_non_null(kp->func_proto(BPF_FUNC_get_current_pid_tgid, true));
	assert_null(sock->func_proto(BPF_FUNC_get_current_pid_tgid, true));
	assert_null(sock->func_proto(BPF_FUNC_trace_printk, false));
	assert_non_null(sock->func_proto(BPF_FUNC_trace_printk, true));
	assert_non_null(sock->func_proto(BPF_FUNC_map_lookup_elem, false));
	assert_null(uebpf_progtype_by_name("no_such_type"));
}

static void test_sections(void **state)
{
	static const struct {
		const char *sec;
		enum bpf_prog_type type;
		enum bpf_attach_type attach;
		const char *target, *kind;
	} ok[] = {
		{ "socket", BPF_PROG_TYPE_SOCKET_FILTER, 0, NULL, "socket" },
		{ "kprobe/do_sys_open", BPF_PROG_TYPE_KPROBE, 0, "do_sys_open", "kprobe" },
		{ "kprobe", BPF_PROG_TYPE_KPROBE, 0, NULL, "kprobe" },
		{ "uretprobe//bin/bash:readline", BPF_PROG_TYPE_KPROBE, 0, "/bin/bash:readline", "uretprobe" },
		{ "usdt/libc.so.6:libc:setjmp", BPF_PROG_TYPE_KPROBE, 0, "libc.so.6:libc:setjmp", "usdt" },
		{ "tp/sched/sched_switch", BPF_PROG_TYPE_TRACEPOINT, 0, "sched/sched_switch", "tp" },
		{ "tracepoint/syscalls/sys_enter_openat", BPF_PROG_TYPE_TRACEPOINT, 0, "syscalls/sys_enter_openat",
		  "tracepoint" },
		{ "raw_tp/sched_switch", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, "sched_switch", "raw_tp" },
		{ "tp_btf/sched_switch", BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, "sched_switch", "tp_btf" },
		{ "fentry/do_unlinkat", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "do_unlinkat", "fentry" },
		{ "fexit/do_unlinkat", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, "do_unlinkat", "fexit" },
		{ "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, NULL, "xdp" },
		{ "tc", BPF_PROG_TYPE_SCHED_CLS, 0, NULL, "tc" },
		{ "classifier", BPF_PROG_TYPE_SCHED_CLS, 0, NULL, "classifier" },
		{ "perf_event", BPF_PROG_TYPE_PERF_EVENT, 0, NULL, "perf_event" },
		{ "syscall", BPF_PROG_TYPE_SYSCALL, 0, NULL, "syscall" },
	};
	struct uebpf_section_info info;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(uebpf_progtype_from_section(ok[i].sec, &info), 0);
		assert_int_equal(info.type, ok[i].type);
		assert_int_equal(info.expected_attach_type, ok[i].attach);
		if (ok[i].target)
			assert_string_equal(info.target, ok[i].target);
		else
			assert_null(info.target);
		assert_string_equal(info.kind, ok[i].kind);
	}
	/* libbpf 1.x is strict: no sloppy prefixes */
	assert_int_equal(uebpf_progtype_from_section("kprobex", &info), -ENOENT);
	assert_int_equal(uebpf_progtype_from_section("xdp_prog", &info), -ENOENT);
	assert_int_equal(uebpf_progtype_from_section("socket1", &info), -ENOENT);
	assert_int_equal(uebpf_progtype_from_section("", &info), -ENOENT);
}

static void test_ctx_access(void **state)
{
	enum uebpf_ctx_field kind;
	const struct uebpf_progtype *xdp = uebpf_progtype_get(BPF_PROG_TYPE_XDP);
	const struct uebpf_progtype *sock = uebpf_progtype_get(BPF_PROG_TYPE_SOCKET_FILTER);
	const struct uebpf_progtype *tc = uebpf_progtype_get(BPF_PROG_TYPE_SCHED_CLS);
	const struct uebpf_progtype *tp = uebpf_progtype_get(BPF_PROG_TYPE_TRACEPOINT);

	assert_int_equal(xdp->is_valid_access(offsetof(struct xdp_md, data_end), 4, false, true, &kind), 0);
	assert_int_equal(kind, UEBPF_CTX_PKT_END);
	assert_int_equal(xdp->is_valid_access(0, 8, false, true, &kind), -EACCES);
	assert_int_equal(xdp->is_valid_access(0, 4, true, true, &kind), -EACCES);
	assert_int_equal(xdp->is_valid_access(24, 4, false, true, &kind), -EACCES);

	/* socket filters: no direct packet access; cb writable, mark not */
	assert_int_equal(sock->is_valid_access(offsetof(struct __sk_buff, data), 4, false, true, &kind), -EACCES);
	assert_int_equal(sock->is_valid_access(offsetof(struct __sk_buff, cb[1]), 4, true, true, &kind), 0);
	assert_int_equal(sock->is_valid_access(offsetof(struct __sk_buff, mark), 4, true, true, &kind), -EACCES);
	assert_int_equal(tc->is_valid_access(offsetof(struct __sk_buff, mark), 4, true, true, &kind), 0);
	assert_int_equal(tc->is_valid_access(offsetof(struct __sk_buff, data), 4, false, true, &kind), 0);
	assert_int_equal(kind, UEBPF_CTX_PKT);
	assert_int_equal(tc->is_valid_access(offsetof(struct __sk_buff, data), 4, true, true, &kind), -EACCES);
	assert_int_equal(tc->is_valid_access(offsetof(struct __sk_buff, len) + 1, 1, false, true, &kind), 0);
	assert_int_equal(tc->is_valid_access(offsetof(struct __sk_buff, len) + 1, 2, false, true, &kind), -EACCES);
	assert_int_equal(tc->is_valid_access(offsetof(struct __sk_buff, data) + 2, 2, false, true, &kind), -EACCES);

	assert_int_equal(tp->is_valid_access(0, 8, false, true, &kind), -EACCES);
	assert_int_equal(tp->is_valid_access(8, 8, false, true, &kind), 0);
	assert_int_equal(tp->is_valid_access(12, 8, false, true, &kind), -EACCES);

	/* rewrites: pointer fields widen to 64 bits at uebpf's offset */
	struct bpf_insn in = { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1,
			       .off = offsetof(struct xdp_md, data_end) };
	struct bpf_insn out[4];
	assert_int_equal(xdp->convert_ctx_access(&in, out, 4), 1);
	assert_int_equal(out[0].code, BPF_LDX | BPF_MEM | BPF_DW);
	assert_int_equal(out[0].off, offsetof(struct uebpf_pkt_ctx, data_end));
	assert_int_equal(out[0].dst_reg, 2);
	in = (struct bpf_insn){ .code = BPF_LDX | BPF_MEM | BPF_B, .dst_reg = 3, .src_reg = 1,
				.off = offsetof(struct __sk_buff, protocol) + 1 };
	assert_int_equal(tc->convert_ctx_access(&in, out, 4), 1);
	assert_int_equal(out[0].code, BPF_LDX | BPF_MEM | BPF_B);
	assert_int_equal(out[0].off, offsetof(struct uebpf_pkt_ctx, protocol) + 1);
	in = (struct bpf_insn){ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 1,
				.off = offsetof(struct __sk_buff, cb[2]), .imm = 9 };
	assert_int_equal(sock->convert_ctx_access(&in, out, 4), 1);
	assert_int_equal(out[0].off, offsetof(struct uebpf_pkt_ctx, cb[2]));
	assert_int_equal(out[0].imm, 9);
}

/* LD_ABS rewritten for a packet context, then run: the value, and 0 from
 * the whole program when the load is out of the packet */
/* Checked mode (an unverified program) looks at helper arguments before the
 * call: a wild key pointer, a number posing as a map, a write target
 * outside the program's memory are faults with the register named, never
 * a crash; the same calls with good arguments run. */
static struct uebpf_map *args_map;

static int args_resolve(void *ctx, uint8_t src, int32_t imm, int32_t next, uint64_t *v)
{
	*v = (uintptr_t)args_map;
	return 0;
}

static int run_checked_asm(const char *text, uint64_t *r0, char *log, size_t log_sz)
{
	struct bpf_insn *insns;
	size_t n;
	assert_int_equal(uebpf_asm(text, &insns, &n, log, log_sz), 0);
	struct uebpf_prog_opts o = { .sz = sizeof(o), .helpers = uebpf_helpers_default(), .resolve = args_resolve,
				     .insn_budget = 1000 };
	struct uebpf_prog *p;
	assert_int_equal(uebpf_prog_load(insns, n, &o, &p, log, log_sz), 0);
	free(insns);
	/* the values the program reads through the pointers lookups return */
	assert_int_equal(uebpf_prog_add_region(p, args_map->shm, args_map->shm_size, true), 0);
	uint8_t mem[16] = { 0 };
	log[0] = 0;
	int err = uebpf_prog_run(p, mem, sizeof(mem), r0, log, log_sz);
	uebpf_prog_free(p);
	return err;
}

static void test_checked_helper_args(void **state)
{
	char log[256];
	uint64_t r0;
	assert_int_equal(uebpf_map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, NULL, &args_map, log, sizeof(log)), 0);
	uint32_t k = 1;
	uint64_t v = 77;
	assert_int_equal(uebpf_map_update(args_map, &k, &v, BPF_ANY), 0);
	/* good: the key on the stack */
	assert_int_equal(run_checked_asm("stw [%r10-4], 1\nlddw %r1, map:0\nmov %r2, %r10\nadd %r2, -4\ncall 1\n"
					 "jeq %r0, 0, out\nldxdw %r0, [%r0]\nout:\nexit\n",
					 &r0, log, sizeof(log)),
			 0);
	assert_int_equal(r0, 77);
	/* the key pointer wild */
	assert_int_equal(run_checked_asm("lddw %r1, map:0\nmov %r2, 0x1234\ncall 1\nexit\n", &r0, log, sizeof(log)),
			 -EFAULT);
	assert_non_null(strstr(log, "bpf_map_lookup_elem#1: R2"));
	/* a number as the map */
	assert_int_equal(run_checked_asm("stw [%r10-4], 1\nmov %r1, 0x5000\nmov %r2, %r10\nadd %r2, -4\ncall 1\nexit\n",
					 &r0, log, sizeof(log)),
			 -EFAULT);
	assert_non_null(strstr(log, "R1: not a map this program loaded"));
	/* the value to store read past the stack's top */
	assert_int_equal(run_checked_asm("stw [%r10-4], 1\nlddw %r1, map:0\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\n"
					 "add %r3, -4\nmov %r4, 0\ncall 2\nexit\n",
					 &r0, log, sizeof(log)),
			 -EFAULT);
	assert_non_null(strstr(log, "R3: 8 bytes"));
	/* probe_read_kernel into memory the program may not write; then into its stack */
	assert_int_equal(run_checked_asm("mov %r1, 0x1000\nmov %r2, 8\nmov %r3, 0\ncall 113\nexit\n", &r0, log,
					 sizeof(log)),
			 -EFAULT);
	assert_non_null(strstr(log, "R1: 8 bytes at 0x1000 are outside memory the program may write"));
	assert_int_equal(run_checked_asm("mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, 0\ncall 113\nexit\n",
					 &r0, log, sizeof(log)),
			 0);
	uebpf_map_close(args_map);
}

static void test_ld_abs_rewrite(void **state)
{
	const struct uebpf_progtype *sock = uebpf_progtype_get(BPF_PROG_TYPE_SOCKET_FILTER);
	struct bpf_insn ld = { .code = BPF_LD | BPF_ABS | BPF_H, .imm = 12 };
	struct bpf_insn prog[16] = { { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 6, .src_reg = 1 } };
	int n = sock->gen_ld_abs(&ld, prog + 1, 14);
	assert_true(n > 0);
	prog[n + 1] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 0, .imm = 1 };
	prog[n + 2] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	struct uebpf_prog_opts opts = { .sz = sizeof(opts), .helpers = uebpf_helpers_default() };
	struct uebpf_prog *p;
	char log[256];
	assert_int_equal(uebpf_prog_load(prog, n + 3, &opts, &p, log, sizeof(log)), 0);
	uint8_t pkt[20] = { [12] = 0x86, [13] = 0xdd };
	struct uebpf_pkt_ctx ctx = { .data = pkt, .data_end = pkt + sizeof(pkt) };
	assert_int_equal(uebpf_prog_add_region(p, &ctx, sizeof(ctx), true), 0);
	uint64_t r0;
	assert_int_equal(uebpf_prog_run(p, &ctx, sizeof(ctx), &r0, log, sizeof(log)), 0);
	assert_int_equal(r0, 0x86de);
	ctx.data_end = pkt + 13;
	assert_int_equal(uebpf_prog_run(p, &ctx, sizeof(ctx), &r0, log, sizeof(log)), 0);
	assert_int_equal(r0, 0);
	uebpf_prog_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_printk_and_snprintf),
		cmocka_unit_test(test_safe_read),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_csum_diff),
		cmocka_unit_test(test_packet_helpers),
		cmocka_unit_test(test_protos),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_ctx_access),
		cmocka_unit_test(test_ld_abs_rewrite),
		cmocka_unit_test(test_checked_helper_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
