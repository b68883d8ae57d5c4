/* Loading and running a program: the part every engine shares. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/prog.h"
#include "maps/map.h"

#define MAX_TAIL_CALLS 33 /* MAX_TAIL_CALL_CNT */

/* Tail calls taken in the current top-level run of this thread, and
 * whether a run is in progress (nested runs are tail calls). */
static _Thread_local uint32_t tail_calls;
static _Thread_local bool in_run;
static _Thread_local int nested_err; /* a tail-called program or a callback faulted (checked mode) */

static uint64_t callback_call(const struct uebpf_callback *cb, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			      uint64_t r5)
{
	const struct uebpf_engine_callback *c = (const struct uebpf_engine_callback *)cb;
	uint64_t args[5] = { r1, r2, r3, r4, r5 }, ret = 0;
	int err = uebpf_interp_call(c->prog, c->entry, args, &ret, NULL, 0);
	if (err && !nested_err)
		nested_err = err;
	return ret;
}

static size_t count_callbacks(const struct bpf_insn *insns, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[i].src_reg == BPF_PSEUDO_FUNC)
			k++;
	return k;
}

/* Replace pseudo lddw by plain ones carrying the resolved value, and check
 * that every helper the program calls is in the table. */
static int resolve(struct uebpf_prog *prog, const struct uebpf_prog_opts *opts, char *log, size_t log_sz)
{
	for (size_t i = 0; i < prog->n; i++) {
		struct bpf_insn *in = &prog->insns[i];
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
			if (in->src_reg == BPF_PSEUDO_FUNC) {
				/* uebpf_insns_check proved the target inside the program */
				int64_t t = (int64_t)i + 1 + in->imm;
				struct uebpf_engine_callback *cb = &prog->callbacks[prog->n_callbacks++];
				*cb = (struct uebpf_engine_callback){ { callback_call }, prog, (uint32_t)t, callback_call };
				uint64_t v = (uintptr_t)&cb->base;
				in->src_reg = 0;
				in[0].imm = (int32_t)(uint32_t)v;
				in[1].imm = (int32_t)(uint32_t)(v >> 32);
			} else if (in->src_reg) {
				uint64_t v, *mp;
				int err = opts->resolve ? opts->resolve(opts->resolve_ctx, in->src_reg, in->imm,
									in[1].imm, &v)
							: -ENOENT;
				if (err) {
					uebpf_log(log, log_sz, "insn %zu: cannot resolve lddw pseudo source %u imm %d: %s",
						  i, in->src_reg, in->imm, strerror(-err));
					return err;
				}
				if ((in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_IDX) &&
				    (mp = realloc(prog->map_ptrs, (prog->n_map_ptrs + 1) * sizeof(*mp)))) {
					prog->map_ptrs = mp;
					mp[prog->n_map_ptrs++] = v;
				}
				in->src_reg = 0;
				in[0].imm = (int32_t)(uint32_t)v;
				in[1].imm = (int32_t)(uint32_t)(v >> 32);
			}
			i++;
		} else if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0 && in->imm != BPF_FUNC_tail_call) {
			if (in->imm < 0 || in->imm >= UEBPF_MAX_HELPERS || !prog->helpers[in->imm]) {
				uebpf_log(log, log_sz, "insn %zu: call to unknown helper %d", i, in->imm);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int uebpf_prog_load(const struct bpf_insn *insns, size_t n, const struct uebpf_prog_opts *opts,
		    struct uebpf_prog **out, char *log, size_t log_sz)
{
	static const struct uebpf_prog_opts defaults = { .sz = sizeof(defaults) };
	struct uebpf_prog_opts o = defaults;
	int err;

	*out = NULL;
	if (opts) {
		if (opts->sz < offsetof(struct uebpf_prog_opts, insn_budget) || opts->sz > sizeof(o)) {
			uebpf_log(log, log_sz, "uebpf_prog_opts: unsupported size %zu", opts->sz);
			return -EINVAL;
		}
		memcpy(&o, opts, opts->sz);
	}
	if (o.engine != UEBPF_ENGINE_INTERP && o.engine != UEBPF_ENGINE_JIT) {
		uebpf_log(log, log_sz, "unknown engine %d", (int)o.engine);
		return -EINVAL;
	}
	if (o.engine == UEBPF_ENGINE_JIT && !(o.flags & UEBPF_F_VERIFIED)) {
		uebpf_log(log, log_sz, "the JIT runs only verified programs; use the checked interpreter");
		return -EPERM;
	}
	err = uebpf_insns_check(insns, n, log, log_sz);
	if (err)
		return err;

	struct uebpf_prog *prog = calloc(1, sizeof(*prog));
	if (!prog || !(prog->insns = malloc(n * sizeof(*insns)))) {
		free(prog);
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	memcpy(prog->insns, insns, n * sizeof(*insns));
	prog->n = n;
	size_t n_cb = count_callbacks(insns, n);
	if (n_cb && !(prog->callbacks = calloc(n_cb, sizeof(*prog->callbacks)))) {
		uebpf_prog_free(prog);
		uebpf_log(log, log_sz, "out of memory");
		return -ENOMEM;
	}
	prog->engine = o.engine;
	prog->flags = o.flags;
	prog->insn_budget = o.insn_budget ? o.insn_budget : UEBPF_DEFAULT_INSN_BUDGET;
	for (uint32_t id = 0; id < UEBPF_MAX_HELPERS; id++)
		prog->helpers[id] = uebpf_helper_table_get(o.helpers, id);

	err = resolve(prog, &o, log, log_sz);
	if (!err && o.engine == UEBPF_ENGINE_JIT)
		err = uebpf_jit_x86_64_compile(prog, log, log_sz);
	if (!err && o.engine == UEBPF_ENGINE_JIT && !n_cb) {
		prog->jit_plain = true;
		for (size_t i = 0; i < n; i++)
			if (insns[i].code == (BPF_JMP | BPF_CALL) && !insns[i].src_reg && insns[i].imm == BPF_FUNC_tail_call)
				prog->jit_plain = false;
	}
	/* callbacks the JIT did not compile run in the interpreter */
	if (!err && (o.engine == UEBPF_ENGINE_INTERP || prog->n_callbacks))
		err = uebpf_interp_prepare(prog, log, log_sz);
	if (err) {
		uebpf_prog_free(prog);
		return err;
	}
	*out = prog;
	return 0;
}

void uebpf_prog_free(struct uebpf_prog *prog)
{
	if (!prog)
		return;
	uebpf_jit_free(prog);
	free(prog->interp_code);
	free(prog->regions);
	free(prog->callbacks);
	free(prog->map_ptrs);
	free(prog->insns);
	free(prog);
}

int uebpf_prog_add_region(struct uebpf_prog *prog, void *addr, size_t len, bool writable)
{
	if (!prog || (!addr && len))
		return -EINVAL;
	struct uebpf_region *r = realloc(prog->regions, (prog->n_regions + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	prog->regions = r;
	r[prog->n_regions++] = (struct uebpf_region){ (uintptr_t)addr, (uintptr_t)addr + len, writable };
	return 0;
}

/* the way out of the JIT-compiled run in progress on this thread, for tail
 * calls from subprograms, and the value it returns */
static _Thread_local jmp_buf *tail_exit;
static _Thread_local uint64_t tail_exit_value;

static int run(struct uebpf_prog *prog, void *mem, size_t mem_len, uint64_t *ret, char *log, size_t log_sz)
{
	if (prog->engine == UEBPF_ENGINE_JIT) {
		if (!prog->jit_sub_tail_calls) {
			*ret = prog->jit_fn(mem, mem_len);
			return 0;
		}
		jmp_buf here, *up = tail_exit;
		tail_exit = &here;
		if (!setjmp(here))
			*ret = prog->jit_fn(mem, mem_len);
		else
			*ret = tail_exit_value;
		tail_exit = up;
		return 0;
	}
	return uebpf_interp_run(prog, mem, mem_len, ret, log, log_sz);
}

int uebpf_prog_remove_region(struct uebpf_prog *prog, void *addr)
{
	for (size_t i = 0; i < prog->n_regions; i++) {
		if (prog->regions[i].start != (uintptr_t)addr)
			continue;
		prog->regions[i] = prog->regions[--prog->n_regions];
		return 0;
	}
	return -ENOENT;
}

int uebpf_prog_run(struct uebpf_prog *prog, void *mem, size_t mem_len, uint64_t *ret, char *log, size_t log_sz)
{
	/* nothing in it can start another run: no per-thread run state to set
	 * up (in a shared library each thread-local costs a __tls_get_addr) */
	if (prog->jit_plain) {
		*ret = prog->jit_fn(mem, mem_len);
		return 0;
	}
	if (in_run)
		return run(prog, mem, mem_len, ret, log, log_sz);
	in_run = true;
	tail_calls = 0;
	nested_err = 0;
	int err = run(prog, mem, mem_len, ret, log, log_sz);
	in_run = false;
	if (!err && nested_err) {
		uebpf_log(log, log_sz, "a tail-called program or a callback faulted: %s", strerror(-nested_err));
		err = nested_err;
	}
	return err;
}

struct uebpf_tail_result uebpf_engine_tail_call(uint64_t ctx, uint64_t map, uint64_t index)
{
	struct uebpf_map *m = (struct uebpf_map *)(uintptr_t)map;
	struct uebpf_prog *target = (uint32_t)index == index ? uebpf_map_prog_at(m, (uint32_t)index) : NULL;
	if (!target || tail_calls >= MAX_TAIL_CALLS)
		return (struct uebpf_tail_result){ 0, (uint64_t)-ENOENT };
	tail_calls++;
	/* the target's mem_len: a tail call passes only the context */
	uint64_t r0 = 0;
	int err = run(target, (void *)(uintptr_t)ctx, 0, &r0, NULL, 0);
	if (err && !nested_err)
		nested_err = err;
	return (struct uebpf_tail_result){ 1, r0 };
}

uint64_t uebpf_engine_tail_call_sub(uint64_t ctx, uint64_t map, uint64_t index)
{
	struct uebpf_tail_result t = uebpf_engine_tail_call(ctx, map, index);
	if (!t.taken || !tail_exit)
		return t.value;
	tail_exit_value = t.value;
	longjmp(*tail_exit, 1);
}

uebpf_prog_fn uebpf_prog_function(const struct uebpf_prog *prog)
{
	return prog->jit_plain ? prog->jit_fn : NULL;
}

int uebpf_prog_jit_batch(struct uebpf_prog *prog, char *log, size_t log_sz)
{
	if (prog->engine != UEBPF_ENGINE_JIT || !prog->jit_fn) {
		uebpf_log(log, log_sz, "insn 0: no batch entry: the program is not JIT-compiled");
		return -EINVAL;
	}
	return uebpf_jit_x86_64_compile_batch(prog, log, log_sz);
}

uebpf_prog_batch_fn uebpf_prog_batch_function(const struct uebpf_prog *prog)
{
	return prog->jit_batch_fn;
}

const struct bpf_insn *uebpf_prog_insns(const struct uebpf_prog *prog, size_t *n)
{
	*n = prog->n;
	return prog->insns;
}

enum uebpf_engine uebpf_prog_engine(const struct uebpf_prog *prog)
{
	return prog->engine;
}

int uebpf_prog_jited(const struct uebpf_prog *prog, const uint8_t **code, size_t *code_sz, const uint32_t **offsets)
{
	if (prog->engine != UEBPF_ENGINE_JIT || !prog->jit_code)
		return -ENOENT;
	*code = prog->jit_code;
	*code_sz = prog->jit_code_sz;
	*offsets = prog->jit_offsets;
	return 0;
}
