/* Generated programs, valid and subtly invalid (stack accesses around the
 * frame's edges, map value accesses around value_size with and without the
 * NULL check, packet accesses around the proven range, reads of registers
 * never written, loops bounded and not, helper sizes around the buffer),
 * verified by uebpf and, where bpf() is permitted, by the kernel: the
 * verdicts are compared and the agreement printed. Soundness: every program
 * uebpf accepts also runs in the checked interpreter on its context and must
 * never fault. Fixed seed. Fails on any soundness violation and on any
 * program uebpf accepts that the kernel rejects.
 *
 * With UEBPF_GEN_UNPRIV=1 (and kernel.unprivileged_bpf_disabled 0) the
 * socket filters among them are verified under the unprivileged rules, by
 * uebpf and by the kernel (this process drops its BPF capabilities after
 * making the map); the other program types are skipped. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uebpf/engine.h>
#include <uebpf/map.h>
#include <uebpf/test_run.h>
#include <uebpf/verifier.h>

#include "maps/map.h"
#include "vcase.h"

#define PROGRAMS 5000
#define I(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })
#define MOV64(D, K) I(BPF_ALU64 | BPF_MOV | BPF_K, D, 0, 0, K)
#define MOVR(D, S) I(BPF_ALU64 | BPF_MOV | BPF_X, D, S, 0, 0)
#define ADD64(D, K) I(BPF_ALU64 | BPF_ADD | BPF_K, D, 0, 0, K)
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static uint64_t seed = 42;
static uint32_t rnd(uint32_t n)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(seed >> 33) % n;
}

static const uint8_t sizes[4] = { BPF_B, BPF_H, BPF_W, BPF_DW };
static int bytes(uint8_t sz)
{
	return sz == BPF_B ? 1 : sz == BPF_H ? 2 : sz == BPF_W ? 4 : 8;
}

enum kind { K_STACK, K_MAP, K_PKT, K_UNINIT, K_LOOP, K_HELPER, K_JOIN, K_VARSTACK, N_KINDS };
static const char *const kind_names[] = { "stack", "map value", "packet", "uninitialised reg", "loop", "helper size",
					  "join", "variable stack" };

struct gen {
	struct bpf_insn insns[64];
	size_t n;
	enum bpf_prog_type type;
	enum kind kind;
};

static void emit(struct gen *g, struct bpf_insn in)
{
	g->insns[g->n++] = in;
}

static void gen_prog(struct gen *g, enum kind k)
{
	g->n = 0;
	g->kind = k;
	g->type = BPF_PROG_TYPE_SOCKET_FILTER;
	switch (k) {
	case K_STACK: {
		uint8_t s = sizes[rnd(4)], s2 = sizes[rnd(4)];
		int off = -(int)rnd(66) * 8 - (rnd(4) ? 0 : (int)rnd(8)) + (rnd(8) ? 0 : 8);
		int off2 = rnd(2) ? off : off - bytes(s2) * (int)rnd(3) + bytes(s2) * (int)rnd(3);
		emit(g, I(BPF_ST | BPF_MEM | s, 10, 0, (int16_t)off, 7));
		emit(g, I(BPF_LDX | BPF_MEM | s2, 0, 10, (int16_t)off2, 0));
		emit(g, EXIT);
		break;
	}
	case K_MAP: {
		uint8_t s = sizes[rnd(4)];
		int off = (int)rnd(20) - 2;
		emit(g, I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, (int32_t)rnd(3)));
		emit(g, I(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, 0));
		emit(g, I(0, 0, 0, 0, 0));
		emit(g, MOVR(2, 10));
		emit(g, ADD64(2, -4));
		emit(g, I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
		if (rnd(5))
			emit(g, I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0));
		emit(g, I(BPF_LDX | BPF_MEM | s, 0, 0, (int16_t)off, 0));
		emit(g, EXIT);
		emit(g, MOV64(0, 0));
		emit(g, EXIT);
		break;
	}
	case K_PKT: {
		g->type = BPF_PROG_TYPE_XDP;
		uint8_t s = sizes[rnd(4)];
		int checked = (int)rnd(40), off = (int)rnd(44) - 2;
		emit(g, I(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0));
		emit(g, I(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 4, 0));
		emit(g, MOVR(4, 2));
		emit(g, ADD64(4, checked));
		emit(g, I(BPF_JMP | (rnd(2) ? BPF_JGT : BPF_JGE) | BPF_X, 4, 3, 3, 0));
		emit(g, I(BPF_LDX | BPF_MEM | s, 0, 2, (int16_t)off, 0));
		emit(g, MOV64(0, 2));
		emit(g, EXIT);
		emit(g, MOV64(0, 1));
		emit(g, EXIT);
		break;
	}
	case K_UNINIT: {
		int r = (int)rnd(10);
		emit(g, MOV64(1 + rnd(5), 1));
		emit(g, MOVR(0, r));
		emit(g, MOV64(0, 0));
		emit(g, EXIT);
		break;
	}
	case K_LOOP: {
		/* an unbounded loop costs a million instructions to refuse: a few */
		static int unbounded;
		bool bounded = rnd(2) || unbounded >= 3;
		unbounded += !bounded;
		emit(g, I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32));
		emit(g, MOVR(6, 0));
		if (bounded)
			emit(g, I(BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0, (int32_t)rnd(64)));
		emit(g, MOV64(0, 0));
		emit(g, ADD64(0, 1));
		emit(g, I(BPF_JMP | BPF_JLT | BPF_X, 0, 6, -2, 0));
		emit(g, EXIT);
		break;
	}
	case K_JOIN: {
		/* two paths set an index differently; after they join (a prune
		 * point) it reaches a map value access, maybe through a spill
		 * and fill or a copy: pruning must not let the second path
		 * through on the first one's proof */
		int lim = 10 + (int)rnd(50), v1 = (int)rnd(16), v2 = (int)rnd(16), via = (int)rnd(3);
		emit(g, I(BPF_LDX | BPF_MEM | BPF_W, 6, 1, 0, 0)); /* skb->len */
		emit(g, MOV64(9, 0));
		emit(g, I(BPF_JMP | BPF_JGT | BPF_K, 6, 0, 11, lim));
		/* the path explored first is long enough (8 instructions, 2
		 * jumps) that both verifiers store a state at the join, and
		 * both paths leave every other register alike there */
		for (int k = 0; k < 8; k++)
			emit(g, MOV64(9, 0));
		emit(g, MOV64(6, 0));
		emit(g, MOV64(7, v1));
		emit(g, I(BPF_JMP | BPF_JA, 0, 0, 2, 0));
		emit(g, MOV64(6, 0));
		emit(g, MOV64(7, v2));
		if (via == 1) {
			emit(g, I(BPF_STX | BPF_MEM | BPF_DW, 10, 7, -16, 0));
			emit(g, MOV64(7, 0));
		}
		emit(g, I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0));
		emit(g, I(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, 0));
		emit(g, I(0, 0, 0, 0, 0));
		emit(g, MOVR(2, 10));
		emit(g, ADD64(2, -4));
		emit(g, I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
		emit(g, I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, via == 0 ? 2 : 3, 0));
		if (via == 1)
			emit(g, I(BPF_LDX | BPF_MEM | BPF_DW, 7, 10, -16, 0));
		else if (via == 2)
			emit(g, MOVR(8, 7));
		emit(g, I(BPF_ALU64 | BPF_ADD | BPF_X, 0, via == 2 ? 8 : 7, 0, 0));
		emit(g, I(BPF_LDX | BPF_MEM | BPF_B, 0, 0, 0, 0));
		emit(g, MOV64(0, 0));
		emit(g, EXIT);
		break;
	}
	case K_VARSTACK: {
		/* a stack pointer plus a masked packet length: reads and writes
		 * around the frame's top and bottom, misaligned ones, and a
		 * spilled context pointer that a write may overwrite */
		static const int32_t masks[] = { 0, 4, 8, 16, 24, 7, 56 };
		uint8_t sz = sizes[rnd(4)];
		int base = -8 * (1 + (int)rnd(66)) + (rnd(6) ? 0 : (int)rnd(8)), off = rnd(3) ? 0 : 8 * (int)rnd(3) - 8;
		int spill = rnd(3) ? -8 * (1 + (int)rnd(8)) : 0;
		if (spill)
			emit(g, I(BPF_STX | BPF_MEM | BPF_DW, 10, 1, (int16_t)spill, 0));
		if (rnd(2))
			emit(g, I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -16, 0));
		emit(g, I(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0)); /* skb->len */
		emit(g, I(BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, masks[rnd(7)]));
		emit(g, MOVR(3, 10));
		emit(g, ADD64(3, base));
		emit(g, I(BPF_ALU64 | BPF_ADD | BPF_X, 3, 2, 0, 0));
		if (rnd(2))
			emit(g, I(BPF_LDX | BPF_MEM | sz, 0, 3, (int16_t)off, 0));
		else
			emit(g, I(BPF_ST | BPF_MEM | sz, 3, 0, (int16_t)off, 0x5a));
		if (spill) {
			emit(g, I(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, (int16_t)spill, 0));
			emit(g, I(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 0, 0));
		}
		emit(g, MOV64(0, 0));
		emit(g, EXIT);
		break;
	}
	case K_HELPER: {
		g->type = BPF_PROG_TYPE_KPROBE;
		int buf = 8 * (1 + (int)rnd(8)), size = (int)rnd(80) - 4;
		emit(g, MOVR(1, 10));
		emit(g, ADD64(1, -buf));
		emit(g, MOV64(2, size));
		emit(g, MOV64(3, 0));
		emit(g, I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_kernel));
		emit(g, MOV64(0, 0));
		emit(g, EXIT);
		break;
	}
	default:
		break;
	}
}

static const struct uebpf_verifier_map vmap = { BPF_MAP_TYPE_ARRAY, 4, 12, 4, 0, NULL, NULL };
static struct uebpf_map *umap;
static int kmap = -1;

static int resolve(void *ctx, uint8_t src, int32_t imm, int32_t next, uint64_t *v)
{
	if (src == BPF_PSEUDO_MAP_FD || src == BPF_PSEUDO_MAP_IDX)
		*v = (uintptr_t)umap;
	else
		*v = (uintptr_t)uebpf_map_value_base(umap) + (uint32_t)next;
	return 0;
}

/* run what uebpf accepted, checked: a fault means the verifier let an
 * unsafe access through */
static int run_checked(const struct gen *g, const struct uebpf_verify_result *res, char *why, size_t why_sz)
{
	struct uebpf_prog_opts o = { .sz = sizeof(o), .helpers = uebpf_helpers_default(), .resolve = resolve,
				     .insn_budget = 1 << 20 };
	struct uebpf_prog *p;
	if (uebpf_prog_load(res->insns, res->n, &o, &p, why, why_sz))
		return -1;
	uebpf_prog_add_region(p, umap->shm, umap->shm_size, true);
	uint8_t frame[64] = { 0 };
	uint64_t regs[21] = { 0 };
	struct uebpf_test_run_opts t = { .sz = sizeof(t) };
	if (g->type == BPF_PROG_TYPE_XDP || g->type == BPF_PROG_TYPE_SOCKET_FILTER) {
		t.data_in = frame;
		t.data_size_in = 14 + rnd(40);
	} else {
		t.ctx_in = regs;
		t.ctx_size_in = sizeof(regs);
	}
	int err = uebpf_prog_test_run(p, g->type, &t, why, why_sz);
	uebpf_prog_free(p);
	return err == -EFAULT ? 1 : 0;
}


int main(void)
{
	char log[256];
	if (uebpf_map_create(BPF_MAP_TYPE_ARRAY, 4, 12, 4, NULL, &umap, log, sizeof(log))) {
		printf("map: %s\n", log);
		return 1;
	}
	kmap = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 12, 4, NULL);
	bool kernel = kmap >= 0;
	if (!kernel)
		printf("note: bpf() is not permitted here (%s): verdicts are not compared with the kernel\n", strerror(-kmap));
	bool unpriv = getenv("UEBPF_GEN_UNPRIV") && !strcmp(getenv("UEBPF_GEN_UNPRIV"), "1");
	if (unpriv) {
		char why[256];
		if (!vcase_kernel_unpriv_available(why, sizeof(why))) {
			printf("skip: unprivileged generation: %s\n", why);
			return 77;
		}
		if (vcase_drop_bpf_caps()) {
			printf("capset: %s\n", strerror(errno));
			return 1;
		}
		printf("unprivileged: socket filters only, verified without CAP_BPF/CAP_SYS_ADMIN/CAP_PERFMON\n");
	}
	int agree[N_KINDS] = { 0 }, total[N_KINDS] = { 0 }, ours_only[N_KINDS] = { 0 }, kern_only[N_KINDS] = { 0 };
	int unsound = 0, accepted = 0;
	static char vlog[1 << 14], klog[1 << 14];
	for (int i = 0; i < PROGRAMS; i++) {
		struct gen g;
		gen_prog(&g, (enum kind)(i % N_KINDS));
		if (unpriv && g.type != BPF_PROG_TYPE_SOCKET_FILTER)
			continue;
		struct uebpf_verify_opts o = { .sz = sizeof(o), .prog_type = g.type, .gpl = true, .maps = &vmap, .n_maps = 1,
					       .unpriv = unpriv };
		struct uebpf_verify_result res;
		int ours = uebpf_verify(g.insns, g.n, &o, &res, vlog, sizeof(vlog));
		if (!ours) {
			accepted++;
			char why[256] = "";
			if (run_checked(&g, &res, why, sizeof(why)) == 1) {
				if (unsound++ < 10)
					printf("UNSOUND (%s): accepted, then faulted: %s\n", kind_names[g.kind], why);
			}
			uebpf_verify_result_free(&res);
		}
		if (!kernel)
			continue;
		struct bpf_insn k[64];
		memcpy(k, g.insns, g.n * sizeof(k[0]));
		for (size_t j = 0; j < g.n; j++)
			if (k[j].code == (BPF_LD | BPF_IMM | BPF_DW) && k[j].src_reg == BPF_PSEUDO_MAP_FD)
				k[j].imm = kmap;
		LIBBPF_OPTS(bpf_prog_load_opts, ko, .log_buf = klog, .log_size = sizeof(klog), .log_level = 1);
		int fd = bpf_prog_load(g.type, "gen", "GPL", k, g.n, &ko);
		if (fd >= 0)
			close(fd);
		bool kok = fd >= 0, ook = !ours;
		total[g.kind]++;
		if (kok == ook) {
			agree[g.kind]++;
		} else if (ook) {
			if (ours_only[g.kind]++ < 3)
				printf("uebpf accepts, kernel rejects (%s): %s", kind_names[g.kind], strrchr(klog, '\n') ? klog : "");
		} else if (kern_only[g.kind]++ < 3) {
			printf("kernel accepts, uebpf rejects (%s): %s", kind_names[g.kind], vlog);
		}
	}
	int a = 0, t = 0, oo = 0;
	for (int k = 0; k < N_KINDS; k++) {
		if (kernel)
			printf("%-18s %4d programs: %4d agree, %3d accepted only by uebpf, %3d only by the kernel\n", kind_names[k],
			       total[k], agree[k], ours_only[k], kern_only[k]);
		a += agree[k], t += total[k], oo += ours_only[k];
	}
	if (kernel)
		printf("agreement with the kernel: %d of %d (%.1f%%)\n", a, t, 100.0 * a / (t ? t : 1));
	printf("%d of %d programs accepted by uebpf ran checked without a fault; %d faulted\n", accepted - unsound, accepted,
	       unsound);
	uebpf_map_close(umap);
	if (kmap >= 0)
		close(kmap);
	return unsound || oo ? 1 : 0;
}
