/* The verifier: a control-flow pass, then abstract interpretation of every
 * path from the first instruction (depth first, pending branches on a
 * stack, states pruned against equal-or-wider ones already proven safe),
 * with the kernel's rules and messages; on acceptance, context accesses and
 * LD_ABS are rewritten for the engine. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/verifier.h>

#include "helpers/proto.h"
#include "progtypes/progtype.h"
#include "verifier/state.h"

#define INSN_LIMIT 1000000
#define MAX_STATES_PER_INSN 64
#define MAX_PENDING 8192
#define MAX_PKT_OFF 0xffff

struct saved {
	struct vstate st;
	uint32_t branches;
	struct saved *next; /* same insn */
	uint32_t insn;
	uint32_t hits, misses; /* states pruned by this one, states it did not cover */
};

struct pending {
	struct vstate st;
	uint32_t insn;
	int32_t from;      /* the branch that pushed it */
	size_t log_pos;    /* log length then (log level 1 goes back to it) */
	uint32_t log_drops;
};

/* A scalar's id with this bit: it is its linked base plus reg->off (the
 * kernel's BPF_ADD_CONST, from rX += K on a copy) */
#define ID_ADD_CONST (1u << 31)

struct alu_aux {
	uint8_t state; /* 0: not seen yet */
	uint32_t limit;
};

struct env {
	const struct bpf_insn *insns;
	size_t n;
	const struct uebpf_verify_opts *o;
	const struct uebpf_progtype *pt;
	bool priv;
	char *log;
	size_t log_sz, log_len;
	uint8_t *prune;          /* per insn: a prune point */
	uint16_t *need;          /* per insn: registers whose scalar value may decide safety from there on */
	uint16_t *live;          /* per insn: registers some path from there reads before writing */
	uint8_t *ctx_access;     /* per insn: rewrite as a context access (1) or LD_ABS (2) */
	int32_t *call_map;       /* per helper call: the map index r1 always holds, -1 none yet, -2 several */
	int32_t *subprog_of;     /* per insn */
	uint32_t *subprog_start; /* entries */
	uint32_t n_subprogs;
	uint32_t *subprog_stack; /* deepest stack use per subprog */
	struct saved **states;   /* per insn */
	struct pending *stack;
	size_t n_pending, cap_pending;
	struct frame **pool;     /* full-size frames to reuse */
	size_t n_pool, cap_pool;
	struct frame *compact_free[STACK_SLOTS + 1]; /* compact frames to reuse, by slots; linked through regs[0] */
	uint32_t next_id;
	struct alu_aux *alu;     /* per insn: unprivileged pointer arithmetic's masking (alu_state, alu_limit) */
	bool explore_alu_limits; /* an unknown scalar moved a pointer: prune only on equal scalars */
	uint64_t processed;
	uint64_t jmps;           /* jumps processed */
	uint64_t prev_jmps, prev_processed; /* when the last state was saved */
	uint32_t total_states, peak_states, cur_states, max_per_insn;
	int err_insn;
	const struct uebpf_line_info *prev_line; /* the source line printed last */
	uint32_t log_drops;      /* times the rolling log dropped its oldest lines */
	bool insn_open;          /* the log's last line is an instruction waiting for its state */
	int cur_insn;            /* the instruction being checked (pending states record it) */
};

/* ---- log ---------------------------------------------------------------- */

static void vlog(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(struct env *e, const char *fmt, ...)
{
	if (!e->log || e->log_sz < 2)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	if (len >= e->log_sz)
		return;
	/* a rolling log, as the kernel's since 6.4: when full, the oldest lines
	 * go, so the error at the end always survives */
	if (e->log_len + len + 1 > e->log_sz) {
		size_t drop = e->log_len + len + 1 - e->log_sz;
		if (drop < e->log_len / 2)
			drop = e->log_len / 2;
		char *nl = memchr(e->log + drop, '\n', e->log_len - drop);
		drop = nl ? (size_t)(nl - e->log) + 1 : e->log_len;
		memmove(e->log, e->log + drop, e->log_len - drop);
		e->log_len -= drop;
		e->log_drops++;
	}
	memcpy(e->log + e->log_len, line, len);
	e->log_len += len;
	e->log[e->log_len] = 0;
}

static const char *type_name(enum rtype t)
{
	static const char *const names[] = {
		[NOT_INIT] = "?",         [SCALAR] = "scalar",           [PTR_CTX] = "ctx",
		[PTR_STACK] = "fp",       [CONST_MAP] = "map_ptr",       [PTR_MAP_VALUE] = "map_value",
		[PTR_MAP_VALUE_OR_NULL] = "map_value_or_null",        [PTR_PKT] = "pkt",
		[PTR_PKT_META] = "pkt_meta", [PTR_PKT_END] = "pkt_end", [PTR_MEM] = "ringbuf_mem",
		[PTR_MEM_OR_NULL] = "ringbuf_mem_or_null", [PTR_FUNC] = "func", [PTR_MAP_KEY] = "map_key",
	};
	return names[t];
}

/* ---- states ------------------------------------------------------------- */

#define FRAME_FULL (sizeof(struct frame) + STACK_SLOTS * sizeof(struct stack_slot))

/* a frame with room for the whole stack: from the pool, else new */
static struct frame *frame_get(struct env *e)
{
	struct frame *f = e->n_pool ? e->pool[--e->n_pool] : malloc(FRAME_FULL);
	if (f)
		f->full = true;
	return f;
}

/* a compact frame with room for nslots */
static struct frame *frame_get_compact(struct env *e, uint32_t nslots)
{
	struct frame *f = e->compact_free[nslots];
	if (f) {
		memcpy(&e->compact_free[nslots], &f->regs[0], sizeof(f));
		return f;
	}
	return malloc(sizeof(struct frame) + nslots * sizeof(struct stack_slot));
}

static void frame_put(struct env *e, struct frame *f)
{
	if (f && !f->full) {
		memcpy(&f->regs[0], &e->compact_free[f->nslots], sizeof(f));
		e->compact_free[f->nslots] = f;
		return;
	}
	if (f) {
		if (e->n_pool == e->cap_pool) {
			size_t cap = e->cap_pool ? e->cap_pool * 2 : 64;
			struct frame **p = realloc(e->pool, cap * sizeof(*p));
			if (p) {
				e->pool = p;
				e->cap_pool = cap;
			}
		}
		if (e->n_pool < e->cap_pool) {
			e->pool[e->n_pool++] = f;
			return;
		}
	}
	free(f);
}

static struct frame *frame_new(struct env *e, int callsite, int subprog)
{
	struct frame *f = frame_get(e);
	if (f) {
		memset(f, 0, sizeof(*f));
		f->full = true;
		f->callsite = callsite;
		f->subprog = subprog;
		f->callback_ret = -1;
	}
	return f;
}

static void state_free(struct env *e, struct vstate *s)
{
	for (uint32_t i = 0; i <= s->depth; i++)
		frame_put(e, s->fr[i]);
	memset(s->fr, 0, sizeof(s->fr));
}

/* a compact state (pending or saved) made one to explore: frames with room
 * for the whole stack */
static int state_expand(struct env *e, struct vstate *s)
{
	for (uint32_t i = 0; i <= s->depth; i++) {
		struct frame *f = s->fr[i];
		if (f->full)
			continue;
		struct frame *g = frame_get(e);
		if (!g)
			return -ENOMEM;
		memcpy(g, f, sizeof(*f) + f->nslots * sizeof(struct stack_slot));
		g->full = true;
		frame_put(e, f);
		s->fr[i] = g;
	}
	return 0;
}

/* compact: a copy waiting on the pending stack or saved to compare against
 * (only the slots in use), else one to explore (room for the whole stack) */
static int state_copy(struct env *e, struct vstate *dst, const struct vstate *src, bool compact)
{
	*dst = *src;
	for (uint32_t i = 0; i <= src->depth; i++) {
		size_t used = sizeof(struct frame) + src->fr[i]->nslots * sizeof(struct stack_slot);
		dst->fr[i] = compact ? frame_get_compact(e, src->fr[i]->nslots) : frame_get(e);
		if (!dst->fr[i]) {
			for (uint32_t k = 0; k < i; k++)
				frame_put(e, dst->fr[k]);
			return -ENOMEM;
		}
		memcpy(dst->fr[i], src->fr[i], used);
		dst->fr[i]->full = !compact;
	}
	return 0;
}

static struct reg *R(struct vstate *s, int r)
{
	return &s->fr[s->depth]->regs[r];
}

static void mark_unknown(struct reg *r)
{
	memset(r, 0, sizeof(*r));
	r->type = SCALAR;
	scalar_unknown(&r->var);
}

static void mark_const(struct reg *r, uint64_t v)
{
	memset(r, 0, sizeof(*r));
	r->type = SCALAR;
	scalar_const(&r->var, v);
}

static bool is_ptr(const struct reg *r)
{
	return r->type != NOT_INIT && r->type != SCALAR;
}

/* old contains cur: every value cur allows, old allows */
/* Linked scalars: where old has two scalars linked (one id), what cur has
 * there must be linked too, or a branch that bounded both in old bounds
 * only one in cur. Old ids map to cur ids one way (the kernel's check_ids). */
struct idmap {
	uint32_t old[64], cur[64];
	unsigned n;
};

static bool ids_match(struct idmap *m, uint32_t old_id, uint32_t cur_id)
{
	if (!m || !old_id)
		return true;
	if (!cur_id)
		return false;
	for (unsigned i = 0; i < m->n; i++)
		if (m->old[i] == old_id)
			return m->cur[i] == cur_id;
	if (m->n == 64)
		return false;
	m->old[m->n] = old_id;
	m->cur[m->n++] = cur_id;
	return true;
}

/* exact: scalars must be equal, not only contained (the kernel's
 * explore_alu_limits) */
static bool reg_within(const struct reg *old, const struct reg *cur, bool exact, struct idmap *ids)
{
	if (old->type == NOT_INIT)
		return true;
	if (old->type != cur->type)
		return false;
	if (old->type == SCALAR) {
		if (!ids_match(ids, old->id, cur->id) || (ids && old->id && old->off != cur->off))
			return false;
		return exact ? !memcmp(&old->var, &cur->var, sizeof(old->var)) : scalar_within(&old->var, &cur->var);
	}
	if (old->off != cur->off || old->map != cur->map || old->ref != cur->ref || old->frame != cur->frame ||
	    old->mem_size != cur->mem_size || !scalar_within(&old->var, &cur->var))
		return false;
	if (old->type == PTR_MAP_VALUE_OR_NULL || old->type == PTR_MEM_OR_NULL || old->type == PTR_PKT ||
	    old->type == PTR_PKT_META)
		return old->id == cur->id && old->range <= cur->range;
	return true;
}

/* relax: registers where any scalar stands for any other (no path from here
 * needs their value) */
static bool frame_within(const struct frame *old, const struct frame *cur, uint16_t relax, uint16_t dead, bool exact,
			 struct idmap *ids)
{
	if (old->callsite != cur->callsite || old->callback_ret != cur->callback_ret)
		return false;
	for (int r = 0; r < MAX_BPF_REG; r++) {
		if (dead >> r & 1)
			continue; /* never read again: any value will do */
		if ((relax >> r & 1) && old->regs[r].type == SCALAR && cur->regs[r].type == SCALAR)
			continue;
		if (!reg_within(&old->regs[r], &cur->regs[r], exact, ids))
			return false;
	}
	/* slots old does not hold are SLOT_INVALID there: anything is within */
	for (uint32_t sl = 0; sl < old->nslots; sl++) {
		const struct stack_slot *os = &old->stack[sl], *cs = sl < cur->nslots ? &cur->stack[sl] : NULL;
		for (int b = 0; b < 8; b++) {
			uint8_t o = os->stype[b], c = cs ? cs->stype[b] : SLOT_INVALID;
			if (o == SLOT_INVALID)
				continue;
			if (o == SLOT_MISC && c != SLOT_INVALID && (c != SLOT_SPILL || cs->spill.type == SCALAR))
				continue;
			if (o != c)
				return false;
			if (o == SLOT_SPILL && b == 0 && !reg_within(&os->spill, &cs->spill, exact, ids))
				return false;
		}
	}
	return true;
}

/* relax applies to the innermost frame, the one running the instruction */
/* check_ids: linked scalars must be linked alike (pruning), or ids are
 * ignored (the same state again: an infinite loop) */
static bool state_within(const struct vstate *old, const struct vstate *cur, uint16_t relax, uint16_t dead,
			 bool exact, bool check_ids)
{
	/* a path explored only speculatively proves nothing for a real one */
	if (old->speculative && !cur->speculative)
		return false;
	struct idmap ids;
	ids.n = 0;
	if (old->depth != cur->depth || old->n_refs != cur->n_refs ||
	    memcmp(old->refs, cur->refs, old->n_refs * sizeof(old->refs[0])))
		return false;
	for (uint32_t i = 0; i <= old->depth; i++)
		if (!frame_within(old->fr[i], cur->fr[i], i == old->depth ? relax : 0, i == old->depth ? dead : 0, exact,
				  check_ids ? &ids : NULL))
			return false;
	return true;
}

static void branch_done(struct env *e, struct saved *s)
{
	while (s && --s->branches == 0)
		s = s->st.parent;
}

/* ---- errors ---------------------------------------------------------------- */

/* "; SOURCE @ FILE:LINE" before the first instruction of another source
 * line than the one printed last (the kernel's verbose_linfo) */
static void log_line(struct env *e, int insn)
{
	size_t lo = 0, hi = e->o->n_lines;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->o->lines[mid].insn <= (uint32_t)insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || &e->o->lines[lo - 1] == e->prev_line)
		return;
	const struct uebpf_line_info *l = e->prev_line = &e->o->lines[lo - 1];
	const char *src = l->src ? l->src : "", *file = l->file ? l->file : "";
	while (*src == ' ' || *src == '\t')
		src++;
	if (strrchr(file, '/'))
		file = strrchr(file, '/') + 1;
	vlog(e, "; %s @ %s:%u\n", src, file, l->line);
}

/* an instruction as the kernel's log prints it: its disassembler's text,
 * with helper calls named */
static void insn_text(const struct env *e, int insn, char *buf, size_t sz)
{
	const struct bpf_insn *in = &e->insns[insn];
	const char *name;
	if (in->code == (BPF_JMP | BPF_CALL) && !in->src_reg && (name = uebpf_helper_name((uint32_t)in->imm)))
		snprintf(buf, sz, "call %s#%d", name, in->imm);
	else
		uebpf_disasm_insn(e->insns, e->n, (size_t)insn, UEBPF_ASM_STYLE_KERNEL, buf, sz);
}

static int reject(struct env *e, int insn, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int reject(struct env *e, int insn, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e->insn_open) {
		/* the instruction is on the log already (levels 1 and 2) */
		vlog(e, "\n");
		e->insn_open = false;
	} else if (insn >= 0) {
		char text[160] = "";
		insn_text(e, insn, text, sizeof(text));
		log_line(e, insn);
		vlog(e, "%d: (%02x) %s\n", insn, e->insns[insn].code, text);
	}
	vlog(e, "%s\n", msg);
	e->err_insn = insn;
	return -EACCES;
}

/* ---- control flow ------------------------------------------------------------ */

static bool is_lddw(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static int add_subprog(struct env *e, uint32_t start)
{
	for (uint32_t i = 0; i < e->n_subprogs; i++)
		if (e->subprog_start[i] == start)
			return 0;
	uint32_t *s = realloc(e->subprog_start, (e->n_subprogs + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	e->subprog_start = s;
	s[e->n_subprogs++] = start;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Unprivileged programs may not loop at all: the kernel's depth-first walk
 * from insn 0 (fall-through first, then the jump target or the callee) and
 * its message for the first edge back to an instruction still on the walk's
 * stack. */
static int check_back_edges(struct env *e)
{
	enum { NEW = 0, ON_STACK = 0x10, DONE = 0x20, FALL = 1, BRANCH = 2 };
	size_t n = e->n;
	uint8_t *st = calloc(n, 1);
	uint32_t *stack = malloc(n * sizeof(*stack));
	int rc = 0;
	if (!st || !stack) {
		rc = -ENOMEM;
		goto out;
	}
	size_t top = 0;
	stack[top++] = 0;
	st[0] = ON_STACK;
	while (top && !rc) {
		uint32_t t = stack[top - 1];
		const struct bpf_insn *in = &e->insns[t];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		bool jmp = cls == BPF_JMP || cls == BPF_JMP32;
		int64_t w[2] = { -1, -1 }; /* fall-through, branch */
		if (!jmp || (op == BPF_CALL && in->src_reg != BPF_PSEUDO_CALL)) {
			w[0] = t + 1;
		} else if (op == BPF_CALL) {
			w[0] = t + 1;
			w[1] = (int64_t)t + 1 + in->imm;
		} else if (op == BPF_JA) {
			w[1] = (int64_t)t + 1 + (cls == BPF_JMP32 ? in->imm : in->off);
		} else if (op != BPF_EXIT) {
			w[0] = t + 1;
			w[1] = (int64_t)t + 1 + in->off;
		}
		bool pushed = false;
		for (int k = 0; k < 2 && !pushed && !rc; k++) {
			uint8_t edge = k ? BRANCH : FALL;
			if (w[k] < 0 || w[k] >= (int64_t)n || (st[t] & edge))
				continue;
			uint32_t to = (uint32_t)w[k];
			st[t] |= edge;
			if (st[to] == NEW) {
				st[to] = ON_STACK;
				stack[top++] = to;
				pushed = true;
			} else if (st[to] & ON_STACK) {
				rc = reject(e, -1, "back-edge from insn %u to %u", t, to);
			}
		}
		if (!pushed && !rc) {
			st[t] = (uint8_t)((st[t] & ~ON_STACK) | DONE);
			top--;
		}
	}
out:
	free(st);
	free(stack);
	return rc;
}

static int check_cfg(struct env *e)
{
	size_t n = e->n;
	int err = add_subprog(e, 0);
	for (size_t i = 0; i < n && !err; i++) {
		const struct bpf_insn *in = &e->insns[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		if (is_lddw(in)) {
			if (i + 1 >= n || e->insns[i + 1].code || e->insns[i + 1].dst_reg || e->insns[i + 1].src_reg ||
			    e->insns[i + 1].off)
				return reject(e, -1, "invalid bpf_ld_imm64 insn");
			if (in->src_reg == BPF_PSEUDO_FUNC) {
				int64_t t = (int64_t)i + in->imm + 1;
				if (t < 0 || (size_t)t >= n)
					return reject(e, (int)i, "jump out of range from insn %zu to %" PRId64, i, t);
				err = add_subprog(e, (uint32_t)t);
			}
			i++;
			continue;
		}
		if ((cls == BPF_JMP || cls == BPF_JMP32) && op == BPF_CALL && in->src_reg == BPF_PSEUDO_CALL) {
			int64_t t = (int64_t)i + in->imm + 1;
			if (t < 0 || (size_t)t >= n)
				return reject(e, (int)i, "jump out of range from insn %zu to %" PRId64, i, t);
			err = add_subprog(e, (uint32_t)t);
			/* as the kernel: the call and its return site are prune points */
			e->prune[i] = 1;
			if (i + 1 < n)
				e->prune[i + 1] = 1;
		}
	}
	if (err)
		return err;
	qsort(e->subprog_start, e->n_subprogs, sizeof(uint32_t), cmp_u32);
	for (uint32_t s = 0; s < e->n_subprogs; s++) {
		uint32_t end = s + 1 < e->n_subprogs ? e->subprog_start[s + 1] : (uint32_t)n;
		for (uint32_t i = e->subprog_start[s]; i < end; i++)
			e->subprog_of[i] = (int32_t)s;
	}
	/* jumps: in range, inside their subprogram, not into a lddw's second half */
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &e->insns[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		if (is_lddw(in)) {
			i++;
			continue;
		}
		if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_CALL || op == BPF_EXIT)
			continue;
		int64_t t = (int64_t)i + 1 + (cls == BPF_JMP32 && op == BPF_JA ? in->imm : in->off);
		if (t < 0 || (size_t)t >= n)
			return reject(e, (int)i, "jump out of range from insn %zu to %" PRId64, i, t);
		if (t > 0 && is_lddw(&e->insns[t - 1]) && (t < 2 || !is_lddw(&e->insns[t - 2]) || true)) {
			/* the second half of a lddw pair */
			size_t k = 0;
			while (k < (size_t)t) {
				if (is_lddw(&e->insns[k]) && k + 1 == (size_t)t)
					return reject(e, (int)i, "jump into the middle of ldimm64 insn %zu", k);
				k += is_lddw(&e->insns[k]) ? 2 : 1;
			}
		}
		if (e->subprog_of[t] != e->subprog_of[i])
			return reject(e, (int)i, "jump out of range from insn %zu to %" PRId64, i, t);
		/* as the kernel (6.4 on): jump targets and the conditional jumps
		 * themselves are prune points, fall-throughs are not */
		e->prune[t] = 1;
		if (op != BPF_JA)
			e->prune[i] = 1;
	}
	/* each subprogram ends in exit or ja */
	for (uint32_t s = 0; s < e->n_subprogs; s++) {
		uint32_t end = s + 1 < e->n_subprogs ? e->subprog_start[s + 1] : (uint32_t)n;
		const struct bpf_insn *last = &e->insns[end - 1];
		uint8_t cls = BPF_CLASS(last->code), op = BPF_OP(last->code);
		if ((cls != BPF_JMP && cls != BPF_JMP32) || (op != BPF_EXIT && op != BPF_JA) ||
		    (end >= 2 && is_lddw(&e->insns[end - 2]) && !(end >= 3 && is_lddw(&e->insns[end - 3]))))
			return reject(e, -1, "last insn is not an exit or jmp");
	}
	if (!e->priv) {
		int rc = check_back_edges(e);
		if (rc)
			return rc;
	}
	/* reachability: a depth-first walk from each subprogram entry */
	uint8_t *seen = calloc(n, 1);
	uint32_t *todo = malloc(n * sizeof(*todo));
	if (!seen || !todo) {
		free(seen);
		free(todo);
		return -ENOMEM;
	}
	size_t top = 0;
	for (uint32_t s = 0; s < e->n_subprogs; s++)
		todo[top++] = e->subprog_start[s], seen[e->subprog_start[s]] = 1;
	while (top) {
		uint32_t i = todo[--top];
		const struct bpf_insn *in = &e->insns[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		uint32_t next[2];
		int k = 0;
		if (is_lddw(in)) {
			seen[i + 1] = 1;
			next[k++] = i + 2;
		} else if ((cls == BPF_JMP || cls == BPF_JMP32) && op == BPF_EXIT) {
		} else if ((cls == BPF_JMP || cls == BPF_JMP32) && op == BPF_JA) {
			next[k++] = (uint32_t)((int64_t)i + 1 + (cls == BPF_JMP32 ? in->imm : in->off));
		} else if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL) {
			next[k++] = i + 1;
			next[k++] = (uint32_t)((int64_t)i + 1 + in->off);
		} else {
			next[k++] = i + 1;
		}
		for (int j = 0; j < k; j++)
			if (next[j] < n && !seen[next[j]]) {
				seen[next[j]] = 1;
				todo[top++] = next[j];
			}
	}
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		if (!seen[i]) {
			rc = reject(e, -1, "unreachable insn %zu", i);
			break;
		}
	free(seen);
	free(todo);
	return rc;
}

/* ---- what may decide safety ------------------------------------------------------
 * need[i]: the registers whose scalar value may decide, from insn i on, whether
 * a path is safe: operands of conditional jumps, of pointer arithmetic (64-bit
 * add/sub of registers), helper and bpf-to-bpf call arguments, values stored to
 * memory (a spilled value may be read back and used), the base of an access,
 * r0 at a subprogram's exit and at the program's where its type checks the
 * range; and, through moves and ALU operations, whatever they are computed
 * from. A backward pass over the CFG to a fixed point. Pruning lets any scalar
 * stand for any other in a register no path needs: the kernel gets there with
 * liveness and precision marks per path, this is the same for all paths at
 * once, so it never needs less than the kernel does, sometimes more. */
static uint16_t insn_need(struct env *e, size_t k, uint16_t out)
{
	const struct bpf_insn *in = &e->insns[k];
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	uint16_t d = (uint16_t)(1u << in->dst_reg), sr = (uint16_t)(1u << in->src_reg);
	uint16_t use = 0, def = 0;
	bool x = BPF_SRC(in->code) == BPF_X;
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (op == BPF_MOV) {
			def = d;
			if (x && (out & d))
				use = sr;
		} else if (cls == BPF_ALU64 && x && (op == BPF_ADD || op == BPF_SUB)) {
			use = d | sr; /* pointer arithmetic, whichever is the pointer */
		} else if (out & d) {
			use = d | (x && op != BPF_NEG && op != BPF_END ? sr : 0);
		}
		break;
	case BPF_LDX:
		def = d;
		use = sr;
		break;
	case BPF_ST:
		use = d;
		break;
	case BPF_STX:
		use = d | sr;
		if (BPF_MODE(in->code) == BPF_ATOMIC && in->imm == BPF_CMPXCHG)
			use |= 1u << BPF_REG_0;
		break;
	case BPF_LD:
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
			def = d;
		} else { /* LD_ABS / LD_IND: r0 from the packet, r1-r5 clobbered */
			def = 0x3f;
			use = 1u << BPF_REG_6 | (BPF_MODE(in->code) == BPF_IND ? sr : 0);
		}
		break;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_JA) {
		} else if (op == BPF_EXIT) {
			if (e->subprog_of[k] != 0 || e->pt->has_ret_range)
				use = 1u << BPF_REG_0;
		} else if (op == BPF_CALL) {
			def = 0x3f;
			const struct uebpf_helper_proto *p =
				in->src_reg == 0 && e->pt->func_proto ? e->pt->func_proto((uint32_t)in->imm, e->priv) : NULL;
			if (!p) {
				use = 0x3e;
			} else {
				for (int a = 0; a < 5 && p->arg[a] != UEBPF_ARG_NONE; a++)
					use |= (uint16_t)(1u << (a + 1));
			}
		} else {
			use = d | (x ? sr : 0);
		}
		break;
	}
	return (uint16_t)((out & ~def) | use);
}

/* The registers insn reads (*use) and writes (*def): for liveness, and
 * for what the log shows after it. */
static void insn_regs(const struct bpf_insn *in, uint16_t *use_out, uint16_t *def_out)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	uint16_t d = (uint16_t)(1u << in->dst_reg), sr = (uint16_t)(1u << in->src_reg);
	uint16_t use = 0, def = 0;
	bool x = BPF_SRC(in->code) == BPF_X;
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		def = d;
		use = (op == BPF_MOV ? 0 : d) | (x && op != BPF_NEG && op != BPF_END ? sr : 0);
		break;
	case BPF_LDX:
		def = d;
		use = sr;
		break;
	case BPF_ST:
		use = d;
		break;
	case BPF_STX:
		use = d | sr;
		if (BPF_MODE(in->code) == BPF_ATOMIC) {
			if (in->imm == BPF_CMPXCHG)
				use |= 1u << BPF_REG_0, def = 1u << BPF_REG_0;
			else if (in->imm & BPF_FETCH)
				def = sr;
		}
		break;
	case BPF_LD:
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
			def = d;
		} else {
			def = 0x3f;
			use = 1u << BPF_REG_6 | (BPF_MODE(in->code) == BPF_IND ? sr : 0);
		}
		break;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_JA) {
		} else if (op == BPF_EXIT) {
			use = 1u << BPF_REG_0;
		} else if (op == BPF_CALL) {
			def = 0x3f;
			use = 0x3e; /* arguments: all five, as a callee or helper may read them */
		} else {
			use = d | (x ? sr : 0);
		}
		break;
	}
	*use_out = use;
	*def_out = def;
}

/* What is live before insn: what it reads, and what is live after it minus
 * what it writes (the kernel's liveness). */
static uint16_t insn_live(struct env *e, size_t k, uint16_t out)
{
	uint16_t use, def;
	insn_regs(&e->insns[k], &use, &def);
	return (uint16_t)((out & ~def) | use);
}

static int compute_need(struct env *e)
{
	size_t n = e->n;
	e->need = calloc(n + 1, sizeof(*e->need));
	e->live = calloc(n + 1, sizeof(*e->live));
	if (!e->need || !e->live)
		return -ENOMEM;
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t k = n; k-- > 0;) {
			const struct bpf_insn *in = &e->insns[k];
			uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
			if (k > 0 && is_lddw(&e->insns[k - 1]))
				continue; /* second half of a lddw */
			uint16_t out = 0, lout = 0;
			if (is_lddw(in)) {
				out = k + 2 < n ? e->need[k + 2] : 0;
				lout = k + 2 < n ? e->live[k + 2] : 0;
			} else if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT) {
				int64_t t = (int64_t)k + 1 + (cls == BPF_JMP32 && op == BPF_JA ? in->imm : in->off);
				out = e->need[t];
				lout = e->live[t];
				if (op != BPF_JA)
					out |= e->need[k + 1], lout |= e->live[k + 1];
			} else if (!((cls == BPF_JMP || cls == BPF_JMP32) && op == BPF_EXIT)) {
				out = e->need[k + 1];
				lout = e->live[k + 1];
			}
			uint16_t need = insn_need(e, k, out), live = insn_live(e, k, lout) | need;
			if (need != e->need[k] || live != e->live[k]) {
				e->need[k] = need;
				e->live[k] = live;
				changed = true;
			}
		}
	}
	return 0;
}

/* ---- memory accesses ----------------------------------------------------------- */

static int size_of(uint8_t code)
{
	static const int sz[4] = { 4, 2, 1, 8 };
	return sz[BPF_SIZE(code) >> 3];
}

static bool var_const(const struct reg *r)
{
	return scalar_is_const(&r->var);
}

static int64_t var_value(const struct reg *r)
{
	return (int64_t)r->var.var_off.value;
}

/* [off + var, off + var + size) inside [0, limit): the kernel's message for map values */
static int check_bounds(struct env *e, int insn, int regno, const struct reg *r, int off, int size, uint32_t limit,
			const char *what)
{
	/* as the kernel's check_mem_region_access: the lowest and the highest
	 * address the variable part allows, each as a fixed access */
	int64_t base = (int64_t)r->off + off, smin = r->var.smin;
	const char *field = !strcmp(what, "memory") ? "mem_size" : "value_size";
	if (smin < 0 && (smin == INT64_MIN || base + smin != (int32_t)(base + smin) || base + smin < 0))
		return reject(e, insn, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.",
			      regno);
	int64_t lo = base + smin;
	if (lo < 0 || lo + size > (int64_t)limit)
		return reject(e, insn, "invalid access to %s, %s=%u off=%" PRId64 " size=%d\nR%d min value is outside of the "
				       "allowed memory range",
			      what, field, limit, lo, size, regno);
	if (r->var.umax >= (1ull << 29))
		return reject(e, insn, "R%d unbounded memory access, make sure to bounds check any such access", regno);
	int64_t hi = base + (int64_t)r->var.umax;
	if (hi + size > (int64_t)limit)
		return reject(e, insn, "invalid access to %s, %s=%u off=%" PRId64 " size=%d\nR%d max value is outside of the "
				       "allowed memory range",
			      what, field, limit, hi, size, regno);
	return 0;
}

/* what zero written to stack bytes leaves there */
enum zero_write {
	ZERO_NONE,      /* no zero written: unknown bytes */
	ZERO_IF_ZERO,   /* zero may have landed here: zero only where zero was */
	ZERO_CERTAIN,   /* zero written here */
};

/* bytes [base, base + len) of a frame (base counted from fp-512) written
 * with what is not a whole spill: a spill they touch is gone (its slot
 * becomes unknown bytes), the bytes are unknown, or zero as `zero` says */
static void stack_clobber(struct frame *f, int base, int len, enum zero_write zero)
{
	for (int k = base; k < base + len; k++) {
		struct stack_slot *sl = frame_slot(f, k);
		if (sl->stype[k % 8] == SLOT_SPILL) {
			for (int b = 0; b < 8; b++)
				if (sl->stype[b] == SLOT_SPILL)
					sl->stype[b] = SLOT_MISC;
			sl->spill.type = NOT_INIT;
		}
		uint8_t *t = &sl->stype[k % 8];
		*t = zero == ZERO_CERTAIN || (zero == ZERO_IF_ZERO && *t == SLOT_ZERO) ? SLOT_ZERO : SLOT_MISC;
	}
}

/* A stack pointer with a variable offset, as the kernel's
 * check_stack_access_within_bounds: [*lo, *hi) are the bytes it may reach
 * with size bytes at off (fp-relative), or a rejection. */
static int stack_var_range(struct env *e, int insn, int regno, const struct reg *r, int off, int64_t size,
			   const char *what, int64_t *lo, int64_t *hi)
{
	if (r->var.smax >= (1ll << 29) || r->var.smin <= -(1ll << 29))
		return reject(e, insn, "invalid unbounded variable-offset %s stack R%d", what, regno);
	*lo = (int64_t)r->off + off + r->var.smin;
	*hi = (int64_t)r->off + off + r->var.smax + size;
	if (*lo < -UEBPF_STACK_SIZE || *hi > 0)
		return reject(e, insn,
			      "invalid variable-offset %s stack R%d var_off=(0x%" PRIx64 "; 0x%" PRIx64 ") off=%d size=%" PRId64,
			      what, regno, r->var.var_off.value, r->var.var_off.mask, r->off + off, size);
	return 0;
}

static int check_stack(struct env *e, struct vstate *s, int insn, int regno, const struct reg *r, int off, int size,
		       bool write, const struct reg *val)
{
	struct frame *f = s->fr[r->frame];
	if (!var_const(r)) {
		if (!e->priv)
			return reject(e, insn,
				      "R%d variable stack access prohibited for !root, var_off=(0x%" PRIx64 "; 0x%" PRIx64 ") off=%d",
				      regno, r->var.var_off.value, r->var.var_off.mask, r->off + off);
		struct tnum at = tnum_add(r->var.var_off, tnum_const((uint64_t)(int64_t)(r->off + off)));
		if ((at.value | at.mask) & (uint64_t)(size - 1))
			return reject(e, insn, "misaligned stack access off (0x%" PRIx64 "; 0x%" PRIx64 ")+%d+%d size %d",
				      r->var.var_off.value, r->var.var_off.mask, r->off, off, size);
		int64_t lo, hi;
		if (stack_var_range(e, insn, regno, r, off, size, write ? "write to" : "read from", &lo, &hi))
			return -EACCES;
		if ((uint32_t)-lo > e->subprog_stack[f->subprog])
			e->subprog_stack[f->subprog] = (uint32_t)-lo;
		/* a write may land anywhere in the range: nothing there stays
		 * but zero over zero; a read (privileged) is unknown */
		if (write)
			stack_clobber(f, (int)(lo + UEBPF_STACK_SIZE), (int)(hi - lo),
				      val && val->type == SCALAR && var_const(val) && !var_value(val) ? ZERO_IF_ZERO
												   : ZERO_NONE);
		return 0;
	}
	int64_t at = (int64_t)r->off + off + var_value(r);
	if (at < -UEBPF_STACK_SIZE || at + size > 0)
		return reject(e, insn, "invalid %s stack R%d off=%" PRId64 " size=%d", write ? "write to" : "read from",
			      regno, at, size);
	if (at % size)
		return reject(e, insn, "misaligned stack access off %d+%d+%d size %d", r->off, (int)var_value(r), off, size);
	uint32_t depth = (uint32_t)-at;
	if (depth > e->subprog_stack[f->subprog])
		e->subprog_stack[f->subprog] = depth;
	int base = (int)(at + UEBPF_STACK_SIZE);
	if (write) {
		/* as the kernel: a scalar is remembered only by privileged programs
		 * and only when it is bounded and not zero (zero is STACK_ZERO);
		 * otherwise the bytes are just written */
		bool known_scalar = val && val->type == SCALAR && e->priv && !scalar_is_unbounded(&val->var) &&
				    !(var_const(val) && !var_value(val));
		bool spill = size == 8 && val && (is_ptr(val) || known_scalar) && !(base % 8);
		if (spill) {
			struct stack_slot *sl = frame_slot(f, base);
			memset(sl->stype, SLOT_SPILL, 8);
			sl->spill = *val;
			return 0;
		}
		if (val && is_ptr(val) && !e->priv)
			return reject(e, insn, "attempt to corrupt spilled pointer on stack");
		/* a partial write over a spill leaves the rest as unknown bytes */
		bool zero = val && val->type == SCALAR && var_const(val) && !var_value(val);
		stack_clobber(f, base, size, zero ? ZERO_CERTAIN : ZERO_NONE);
		return 0;
	}
	/* a spilled pointer is filled whole or not at all */
	for (int k = 0; k < size; k++)
		if (frame_stype(f, base + k) == SLOT_SPILL && is_ptr(&frame_slot(f, base + k)->spill) &&
		    (size != 8 || base % 8))
			return reject(e, insn, "invalid size of register fill");
	/* privileged programs may read stack they never wrote: the value is unknown */
	for (int k = 0; k < size && !e->priv; k++)
		if (frame_stype(f, base + k) == SLOT_INVALID)
			return reject(e, insn, "invalid read from stack R%d off=%" PRId64 " size=%d", regno, at, size);
	return 0;
}

/* the value a stack load gives */
static void narrow(struct reg *dst, int size);

static void stack_load(struct vstate *s, const struct reg *r, int off, int size, struct reg *dst)
{
	struct frame *f = s->fr[r->frame];
	if (!var_const(r)) {
		/* somewhere in a range: an unknown value of the size */
		narrow(dst, size);
		return;
	}
	int base = (int)(r->off + off + var_value(r) + UEBPF_STACK_SIZE);
	const struct reg *spill = frame_stype(f, base) == SLOT_SPILL ? &frame_slot(f, base)->spill : NULL;
	if (size == 8 && !(base % 8) && spill) {
		*dst = *spill;
		return;
	}
	bool zero = true;
	for (int k = 0; k < size; k++)
		zero &= frame_stype(f, base + k) == SLOT_ZERO;
	if (zero) {
		mark_const(dst, 0);
		return;
	}
	if (spill && spill->type == SCALAR && var_const(spill) && size < 8) {
		/* a narrow fill of a known constant: its low bytes */
		uint64_t v = spill->var.var_off.value >> ((base % 8) * 8);
		mark_const(dst, size == 8 ? v : v & ((1ull << (size * 8)) - 1));
		return;
	}
	mark_unknown(dst);
	if (size < 8) {
		dst->var.umax = (1ull << (size * 8)) - 1;
		dst->var.var_off = tnum_range(0, dst->var.umax);
		scalar_sync(&dst->var);
	}
}

static void narrow(struct reg *dst, int size)
{
	mark_unknown(dst);
	if (size < 8) {
		dst->var.umax = (1ull << (size * 8)) - 1;
		dst->var.var_off = tnum_range(0, dst->var.umax);
		scalar_sync(&dst->var);
	}
}

static const struct uebpf_verifier_map *map_of(struct env *e, const struct reg *r)
{
	return r->map >= 0 && (size_t)r->map < e->o->n_maps ? &e->o->maps[r->map] : NULL;
}

/* insn: the load, store or atomic; val: the value stored (NULL for ST imm
 * and loads); dst: where a load's result goes */
static int check_mem(struct env *e, struct vstate *s, int insn, int regno, int off, int size, bool write,
		     const struct reg *val, struct reg *dst, bool atomic)
{
	struct reg *r = R(s, regno);
	switch (r->type) {
	case NOT_INIT:
		return reject(e, insn, "R%d !read_ok", regno);
	case PTR_STACK:
		if (check_stack(e, s, insn, regno, r, off, size, write, val))
			return -EACCES;
		if (!write && dst)
			stack_load(s, r, off, size, dst);
		return 0;
	case PTR_MAP_VALUE: {
		const struct uebpf_verifier_map *m = map_of(e, r);
		if (write && (m->map_flags & BPF_F_RDONLY_PROG))
			return reject(e, insn, "write into map forbidden, value_size=%u off=%d size=%d", m->value_size,
				      r->off + off, size);
		if (check_bounds(e, insn, regno, r, off, size, m->value_size, "map value"))
			return -EACCES;
		if (e->o->strict_alignment && (r->off + off + (int64_t)r->var.var_off.value) % size)
			return reject(e, insn, "misaligned value access off %d+%d+%d size %d", (int)r->var.var_off.value,
				      r->off, off, size);
		if (write && val && is_ptr(val) && !e->priv)
			return reject(e, insn, "R%d leaks addr into map", (int)e->insns[insn].src_reg);
		if (dst)
			narrow(dst, size);
		return 0;
	}
	case PTR_MEM:
		if (check_bounds(e, insn, regno, r, off, size, r->mem_size, "memory"))
			return -EACCES;
		if (dst)
			narrow(dst, size);
		return 0;
	case PTR_CTX: {
		if (atomic)
			return reject(e, insn, "BPF_ATOMIC stores into R%d ctx is not allowed", regno);
		/* a variable part is refused here, not at the add, as the kernel */
		if (!var_const(r))
			return reject(e, insn, "variable ctx access var_off=(0x%" PRIx64 "; 0x%" PRIx64 ") disallowed",
				      r->var.var_off.value, r->var.var_off.mask);
		/* BPF_F_STRICT_ALIGNMENT: alignment first, as the kernel checks it */
		if (e->o->strict_alignment && size > 1 && (r->off + off) % size)
			return reject(e, insn, "misaligned context access off %" PRId64 "+%d+%d size %d", var_value(r), r->off,
				      off, size);
		if (r->off || var_value(r))
			return reject(e, insn, "dereference of modified ctx ptr R%d off=%d disallowed", regno, r->off);
		enum uebpf_ctx_field kind = UEBPF_CTX_SCALAR;
		if (!e->pt->is_valid_access || e->pt->is_valid_access(off, size, write, e->priv, &kind))
			return reject(e, insn, "invalid bpf_context access off=%d size=%d", off, size);
		if (write && val && is_ptr(val))
			return reject(e, insn, "R%d leaks addr into ctx", (int)e->insns[insn].src_reg);
		if (e->pt->convert_ctx_access)
			e->ctx_access[insn] = 1;
		if (dst) {
			memset(dst, 0, sizeof(*dst));
			dst->var.var_off = tnum_const(0);
			scalar_const(&dst->var, 0);
			if (kind == UEBPF_CTX_PKT || kind == UEBPF_CTX_PKT_META)
				dst->type = kind == UEBPF_CTX_PKT ? PTR_PKT : PTR_PKT_META;
			else if (kind == UEBPF_CTX_PKT_END)
				dst->type = PTR_PKT_END;
			else
				narrow(dst, size);
		}
		return 0;
	}
	case PTR_PKT:
	case PTR_PKT_META: {
		if (!e->pt->pkt_access)
			return reject(e, insn, "cannot access packet in this program type");
		if (write && val && is_ptr(val))
			return reject(e, insn, "R%d leaks addr into packet", (int)e->insns[insn].src_reg);
		if (r->var.smin < 0 || r->var.umax > MAX_PKT_OFF)
			return reject(e, insn, "R%d offset is outside of the packet", regno);
		int64_t start = (int64_t)r->off + off;
		if (start < 0 || start + size > (int64_t)r->range)
			return reject(e, insn, "invalid access to packet, off=%" PRId64 " size=%d, R%d(id=%u,off=%d,r=%u)",
				      start, size, regno, r->id, r->off, r->range);
		if (e->o->strict_alignment && (2 + start + (int64_t)r->var.var_off.value) % size)
			return reject(e, insn, "misaligned packet access off 2+%d+%d+%d size %d", (int)r->var.var_off.value,
				      r->off, off, size);
		if (dst)
			narrow(dst, size);
		return 0;
	}
	case PTR_MAP_KEY:
		if (write)
			return reject(e, insn, "R%d cannot write into map_key", regno);
		if (check_bounds(e, insn, regno, r, off, size, r->mem_size, "map key"))
			return -EACCES;
		if (dst)
			narrow(dst, size);
		return 0;
	default:
		return reject(e, insn, "R%d invalid mem access '%s'", regno, type_name(r->type));
	}
}

/* ---- ALU ---------------------------------------------------------------------- */

static int push_speculative(struct env *e, struct vstate *s, uint32_t insn, int r1, int r2);

/* ---- unprivileged pointer arithmetic (the kernel's Spectre v1 sanitation) ----
 * Pointer +/- register: the kernel masks the offset at run time to how far
 * the pointer may move, so it needs one masking per instruction: the same
 * direction and limit on every path (alu_state, alu_limit), pointers only to
 * the stack or a map value, offsets of one sign, and a result inside the
 * object. */
#define NOROOT "pointer arithmetic with it prohibited for !root"
enum { ALU_SANITIZE_SRC = 1, ALU_SANITIZE_DST = 2, ALU_NEG_VALUE = 4, ALU_IMMEDIATE = 8 };

/* how far p may move in the masked direction; -1: not a stack or map value
 * pointer, -2: already outside */
static int ptr_limit(struct env *e, const struct reg *p, bool mask_to_left, uint32_t *limit)
{
	uint32_t max, lim;
	switch (p->type) {
	case PTR_STACK:
		max = UEBPF_STACK_SIZE + mask_to_left;
		lim = (uint32_t)-(int64_t)(p->var.var_off.value + (uint64_t)(int64_t)p->off);
		break;
	case PTR_MAP_VALUE:
		max = e->o->maps[p->map].value_size;
		lim = (uint32_t)((mask_to_left ? (uint64_t)p->var.smin : p->var.umax) + (uint64_t)(int64_t)p->off);
		break;
	default:
		return -1;
	}
	if (lim >= max)
		return -2;
	*limit = lim;
	return 0;
}

/* the result of unprivileged pointer arithmetic must stay inside its object */
static int sanitize_bounds(struct env *e, int insn, int regno, const struct reg *r)
{
	if (r->type == PTR_STACK) {
		int64_t off = (int64_t)r->off + (int64_t)r->var.var_off.value;
		if (!var_const(r))
			return reject(e, insn,
				      "R%d variable stack access prohibited for !root, var_off=(0x%" PRIx64 "; 0x%" PRIx64 ") off=%d",
				      regno, r->var.var_off.value, r->var.var_off.mask, r->off);
		if (off >= 0 || off < -UEBPF_STACK_SIZE)
			return reject(e, insn, "R%d stack pointer arithmetic goes out of range, prohibited for !root; off=%" PRId64,
				      regno, off);
	} else if (r->type == PTR_MAP_VALUE) {
		uint32_t vs = e->o->maps[r->map].value_size;
		if (r->var.smin + r->off < 0 || r->var.umax + (uint64_t)(int64_t)r->off + 1 > vs)
			return reject(e, insn, "R%d pointer arithmetic of map value goes out of range, prohibited for !root",
				      regno);
	}
	return 0;
}

static int check_alu(struct env *e, struct vstate *s, int insn)
{
	const struct bpf_insn *in = &e->insns[insn];
	uint8_t op = BPF_OP(in->code);
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64, by_reg = BPF_SRC(in->code) == BPF_X;
	if (in->dst_reg == BPF_REG_10 && !(op == BPF_END && false))
		return reject(e, insn, "frame pointer is read only");
	struct reg *d = R(s, in->dst_reg), src;
	if (op != BPF_MOV && d->type == NOT_INIT)
		return reject(e, insn, "R%d !read_ok", in->dst_reg);
	if (by_reg && op != BPF_NEG && op != BPF_END) {
		if (R(s, in->src_reg)->type == NOT_INIT)
			return reject(e, insn, "R%d !read_ok", in->src_reg);
		src = *R(s, in->src_reg);
	} else {
		mark_const(&src, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
	}
	if ((op == BPF_DIV || op == BPF_MOD) && !by_reg && !in->imm)
		return reject(e, insn, "div by zero");
	if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && !by_reg && (uint32_t)in->imm >= (is64 ? 64u : 32u))
		return reject(e, insn, "invalid shift %d", in->imm);

	if (op == BPF_MOV) {
		if (!is64 && is_ptr(&src)) {
			if (!e->priv)
				return reject(e, insn, "R%d partial copy of pointer", in->src_reg);
			mark_unknown(d);
			scalar_zext32(&d->var);
			return 0;
		}
		if (in->off && is_ptr(&src)) {
			mark_unknown(d);
			return 0;
		}
		if (is_ptr(&src) || (!in->off && is64)) {
			/* a copy of an unknown scalar stays linked to it: what a
			 * branch learns of one, it learns of the other */
			if (by_reg && src.type == SCALAR && !var_const(&src)) {
				struct reg *sr = R(s, in->src_reg);
				if (!sr->id)
					sr->id = ++e->next_id;
				src.id = sr->id;
			}
			*d = src;
			return 0;
		}
		struct reg r;
		mark_unknown(&r);
		r.var = src.var;
		scalar_alu(&r.var, &src.var, in->code, in->off, in->imm);
		*d = r;
		return 0;
	}
	bool dptr = is_ptr(d), sptr = is_ptr(&src);
	/* neg and byte swaps of a pointer: an unknown scalar when pointers may
	 * leak (the kernel's allow_ptr_leaks), else refused */
	if (dptr && (op == BPF_NEG || op == BPF_END)) {
		if (!e->priv)
			return reject(e, insn, "R%d pointer arithmetic prohibited", in->dst_reg);
		mark_unknown(d);
		return 0;
	}
	if (!dptr && !sptr) {
		scalar_alu(&d->var, &src.var, in->code, in->off, in->imm);
		/* a copy plus a constant stays linked, once (the kernel 6.11 on);
		 * anything else is a new value */
		uint64_t k = var_const(&src) ? var_value(&src) : 0;
		if (e->priv && op == BPF_ADD && is64 && d->id && var_const(&src) && !(d->id & ID_ADD_CONST) &&
		    k <= INT32_MAX) {
			d->id |= ID_ADD_CONST;
			d->off = (int32_t)k;
		} else {
			d->id = 0;
			d->off = 0;
		}
		return 0;
	}
	/* pointer arithmetic */
	if (dptr && sptr) {
		if (op == BPF_SUB && d->type == src.type && (d->type == PTR_PKT || d->type == PTR_STACK) && is64 &&
		    e->priv) {
			mark_unknown(d);
			return 0;
		}
		return reject(e, insn, "R%d pointer %s pointer prohibited", in->dst_reg, op == BPF_SUB ? "-=" : "+=");
	}
	struct reg *p = dptr ? d : &src;
	const struct reg *k = dptr ? &src : d;
	if (!is64)
		return reject(e, insn, "R%d 32-bit pointer arithmetic prohibited", in->dst_reg);
	if (op == BPF_SUB && !dptr)
		return reject(e, insn, "R%d tried to subtract pointer from scalar", in->dst_reg);
	if (op != BPF_ADD && op != BPF_SUB) {
		static const char *const names[16] = { [BPF_MUL >> 4] = "*=", [BPF_DIV >> 4] = "/=", [BPF_OR >> 4] = "|=",
						       [BPF_AND >> 4] = "&=", [BPF_LSH >> 4] = "<<=", [BPF_RSH >> 4] = ">>=",
						       [BPF_NEG >> 4] = "neg", [BPF_MOD >> 4] = "%=", [BPF_XOR >> 4] = "^=",
						       [BPF_ARSH >> 4] = "s>>=", [BPF_END >> 4] = "end" };
		const char *name = names[op >> 4] ? names[op >> 4] : "?";
		if (op == BPF_AND || op == BPF_OR || op == BPF_XOR)
			return reject(e, insn, "R%d bitwise operator %s on pointer prohibited", in->dst_reg, name);
		return reject(e, insn, "R%d pointer arithmetic with %s operator prohibited", in->dst_reg, name);
	}
	switch (p->type) {
	case PTR_MAP_VALUE_OR_NULL:
	case PTR_MEM_OR_NULL:
		if (!e->priv)
			return reject(e, insn, "R%d pointer arithmetic on %s prohibited, null-check it first",
				      dptr ? in->dst_reg : in->src_reg, type_name(p->type));
		/* what comes out may be NULL + k: nothing that can be dereferenced */
		mark_unknown(d);
		return 0;
	case CONST_MAP:
	case PTR_PKT_END:
	case PTR_FUNC:
		return reject(e, insn, "R%d pointer arithmetic on %s prohibited", dptr ? in->dst_reg : in->src_reg,
			      type_name(p->type));
	default:
		break;
	}
	if (!var_const(k) && k->var.smin == INT64_MIN && p->type != PTR_STACK)
		return reject(e, insn, "math between %s pointer and register with unbounded min value is not allowed",
			      type_name(p->type));
	/* unprivileged: the masking the kernel would emit must be possible */
	bool sanitize = !e->priv && by_reg;
	bool mask_to_left = false;
	uint32_t limit_before = 0;
	uint8_t alu_state = 0;
	const char *opname = op == BPF_ADD ? "add" : "sub";
	if (sanitize && !s->speculative) {
		bool off_imm = var_const(k), off_neg = k->var.smin < 0;
		if (!off_imm && (k->var.smin < 0) != (k->var.smax < 0))
			return reject(e, insn, "R%d has unknown scalar with mixed signed bounds, " NOROOT,
				      dptr ? in->src_reg : in->dst_reg);
		mask_to_left = (op == BPF_ADD && off_neg) || (op == BPF_SUB && !off_neg);
		int rc = ptr_limit(e, p, mask_to_left, &limit_before);
		if (rc == -1)
			return reject(e, insn, "R%d has pointer with unsupported alu operation, " NOROOT,
				      dptr ? in->dst_reg : in->src_reg);
		if (rc == -2)
			return reject(e, insn, "R%d tried to %s beyond pointer bounds, " NOROOT, in->dst_reg, opname);
		alu_state = (off_neg ? ALU_NEG_VALUE : 0) | (off_imm ? ALU_IMMEDIATE : 0) |
			    (dptr ? ALU_SANITIZE_SRC : ALU_SANITIZE_DST);
		if (!off_imm)
			e->explore_alu_limits = true;
	}
	if (sanitize && !var_const(k)) {
		/* speculatively the masked offset is 0: the pointer as it was */
		struct reg keep = *d;
		*d = *p;
		int err = push_speculative(e, s, (uint32_t)insn + 1, -1, -1);
		*d = keep;
		if (err)
			return err;
	}
	struct reg r = *p;
	if (var_const(k)) {
		int64_t v = var_value(k);
		int64_t noff = op == BPF_SUB ? (int64_t)r.off - v : (int64_t)r.off + v;
		if (noff < INT32_MIN / 2 || noff > INT32_MAX / 2)
			return reject(e, insn, "math between %s pointer and %" PRId64 " is not allowed", type_name(r.type), v);
		r.off = (int32_t)noff;
	} else {
		struct uebpf_scalar v = r.var;
		scalar_alu(&v, &k->var, BPF_ALU64 | op, 0, 0);
		r.var = v;
		/* a new variable offset: packet range starts afresh for it */
		if (r.type == PTR_PKT || r.type == PTR_PKT_META) {
			r.id = ++e->next_id;
			r.range = 0;
		}
	}
	if (!e->priv && sanitize_bounds(e, insn, in->dst_reg, &r))
		return -EACCES;
	if (sanitize && !s->speculative) {
		uint32_t limit_after;
		if (ptr_limit(e, &r, mask_to_left, &limit_after))
			return reject(e, insn, "R%d tried to %s beyond pointer bounds, " NOROOT, in->dst_reg, opname);
		int32_t diff = (int32_t)(limit_before - limit_after);
		uint32_t limit = (uint32_t)(diff < 0 ? -(int64_t)diff : diff);
		struct alu_aux *aux = &e->alu[insn];
		if (aux->state && (aux->state != alu_state || aux->limit != limit))
			return reject(e, insn, "R%d tried to %s from different maps, paths or scalars, " NOROOT, in->dst_reg,
				      opname);
		aux->state = alu_state;
		aux->limit = limit;
	}
	*d = r;
	return 0;
}

/* ---- conditional jumps ---------------------------------------------------------- */

/* every register and every spilled register of every frame */
#define FOR_EACH_REG(s, r)                                                                                          \
	for (uint32_t f_ = 0; f_ <= (s)->depth; f_++)                                                              \
		for (int i_ = 0; i_ < MAX_BPF_REG + (int)(s)->fr[f_]->nslots; i_++)                                 \
			for (struct reg *r = i_ < MAX_BPF_REG ? &(s)->fr[f_]->regs[i_]                              \
							       : &(s)->fr[f_]->stack[i_ - MAX_BPF_REG].spill;        \
			     r && (i_ < MAX_BPF_REG || (s)->fr[f_]->stack[i_ - MAX_BPF_REG].stype[0] == SLOT_SPILL); r = NULL)

/* A scalar id no other scalar shares links nothing: a stored state drops
 * it, so that it does not stop pruning (the kernel's clear_singular_ids). */
static void clear_singular_ids(struct vstate *s)
{
	uint32_t id[64], count[64];
	unsigned n = 0;
	FOR_EACH_REG(s, r)
	{
		if (r->type != SCALAR || !r->id)
			continue;
		unsigned i = 0;
		while (i < n && id[i] != (r->id & ~ID_ADD_CONST))
			i++;
		if (i == n && n < 64)
			id[n] = r->id & ~ID_ADD_CONST, count[n++] = 0;
		if (i < n)
			count[i]++;
	}
	FOR_EACH_REG(s, r)
	{
		if (r->type != SCALAR || !r->id)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (id[i] == (r->id & ~ID_ADD_CONST) && count[i] == 1)
				r->id = 0, r->off = 0;
	}
}

/* every scalar linked to r (a copy, a spill) learns what r learnt */
static void sync_linked(struct vstate *s, const struct reg *r)
{
	if (r->type != SCALAR || !r->id)
		return;
	struct reg copy = *r;
	uint32_t base = copy.id & ~ID_ADD_CONST;
	FOR_EACH_REG(s, x)
	{
		if (x->type != SCALAR || (x->id & ~ID_ADD_CONST) != base)
			continue;
		x->var = copy.var;
		if (x->off != copy.off) {
			/* x = r + (x.off - r.off) */
			struct uebpf_scalar delta;
			scalar_const(&delta, (uint64_t)(int64_t)((int64_t)x->off - copy.off));
			scalar_alu(&x->var, &delta, BPF_ALU64 | BPF_ADD | BPF_X, 0, 0);
		}
	}
}

static void mark_ptr_or_null(struct vstate *s, uint32_t id, bool is_null)
{
	FOR_EACH_REG(s, r)
	{
		if ((r->type != PTR_MAP_VALUE_OR_NULL && r->type != PTR_MEM_OR_NULL) || r->id != id)
			continue;
		if (is_null) {
			mark_const(r, 0);
		} else {
			r->type = r->type == PTR_MAP_VALUE_OR_NULL ? PTR_MAP_VALUE : PTR_MEM;
			r->id = 0; /* its work is done: as the kernel, so that states compare equal */
		}
	}
	if (is_null) /* a NULL reservation holds nothing */
		for (uint32_t i = 0; i < s->n_refs; i++)
			if (s->refs[i] == id) {
				s->refs[i] = s->refs[--s->n_refs];
				s->ref_insn[i] = s->ref_insn[s->n_refs];
				break;
			}
}

static void mark_pkt_range(struct vstate *s, const struct reg *p, uint32_t range)
{
	FOR_EACH_REG(s, r)
	{
		if (r->type == p->type && r->id == p->id && r->range < range)
			r->range = range;
	}
}

/* `if dst op src`: which sides are possible, and each side's refined state */
static int push_branch(struct env *e, struct vstate *s, uint32_t insn)
{
	if (e->n_pending >= MAX_PENDING)
		return reject(e, (int)insn, "The sequence of %d jumps is too complex.", MAX_PENDING);
	if (e->n_pending == e->cap_pending) {
		size_t cap = e->cap_pending ? e->cap_pending * 2 : 64;
		struct pending *p = realloc(e->stack, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		e->stack = p;
		e->cap_pending = cap;
	}
	struct pending *p = &e->stack[e->n_pending];
	if (state_copy(e, &p->st, s, true))
		return -ENOMEM;
	p->insn = insn;
	p->from = e->cur_insn;
	p->log_pos = e->log_len;
	p->log_drops = e->log_drops;
	if (p->st.parent)
		p->st.parent->branches++;
	e->n_pending++;
	return 0;
}

/* Unprivileged programs: the side of a decided branch that never runs, or
 * the instruction after a pointer moved by an unknown scalar, is still
 * explored as speculative execution may take it (the kernel's
 * sanitize_speculative_path), with the registers given made unknown. */
static int push_speculative(struct env *e, struct vstate *s, uint32_t insn, int r1, int r2)
{
	if (push_branch(e, s, insn))
		return -EACCES;
	struct vstate *t = &e->stack[e->n_pending - 1].st;
	t->speculative = true;
	if (r1 >= 0)
		mark_unknown(R(t, r1));
	if (r2 >= 0)
		mark_unknown(R(t, r2));
	return 0;
}

/* returns the next insn for the fall-through side, or a negative error; a
 * taken side that is possible is pushed */
static int check_cond_jmp(struct env *e, struct vstate *s, int insn, int *next)
{
	const struct bpf_insn *in = &e->insns[insn];
	uint8_t op = BPF_OP(in->code);
	bool is32 = BPF_CLASS(in->code) == BPF_JMP32;
	int target = insn + 1 + in->off;
	struct reg *d = R(s, in->dst_reg), imm, *src;
	if (d->type == NOT_INIT)
		return reject(e, insn, "R%d !read_ok", in->dst_reg);
	if (BPF_SRC(in->code) == BPF_X) {
		src = R(s, in->src_reg);
		if (src->type == NOT_INIT)
			return reject(e, insn, "R%d !read_ok", in->src_reg);
	} else {
		mark_const(&imm, is32 ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
		src = &imm;
	}
	*next = insn + 1;
	/* packet pointer against the packet end */
	bool dpkt = d->type == PTR_PKT || d->type == PTR_PKT_META, spkt = src->type == PTR_PKT || src->type == PTR_PKT_META;
	if (!is32 && ((dpkt && src->type == PTR_PKT_END) || (spkt && d->type == PTR_PKT_END) ||
		      (d->type == PTR_PKT_META && src->type == PTR_PKT) || (d->type == PTR_PKT && src->type == PTR_PKT_META))) {
		/* the pointer whose range is learnt: the one compared with the
		 * packet's end, or the metadata one compared with the data */
		const struct reg *p = src->type == PTR_PKT_END	 ? d
				      : d->type == PTR_PKT_END	 ? src
				      : d->type == PTR_PKT_META ? d
								 : src;
		bool p_left = p == d;
		/* on which side p <= end (range = p->off) or p < end (one byte more) */
		int safe_side = -1; /* 1: taken, 0: fall-through */
		bool strict = false;
		switch (op) {
		case BPF_JGT: safe_side = p_left ? 0 : 1, strict = !p_left; break;   /* p > end / end > p */
		case BPF_JGE: safe_side = p_left ? 0 : 1, strict = p_left; break;    /* p >= end / end >= p */
		case BPF_JLT: safe_side = p_left ? 1 : 0, strict = p_left; break;    /* p < end / end < p */
		case BPF_JLE: safe_side = p_left ? 1 : 0, strict = !p_left; break;   /* p <= end / end <= p */
		}
		struct reg pc = *p;
		if (push_branch(e, s, (uint32_t)target))
			return -EACCES;
		if (safe_side >= 0 && pc.off >= 0 && !(pc.var.umax > MAX_PKT_OFF)) {
			uint32_t range = (uint32_t)pc.off + strict;
			if (safe_side == 1)
				mark_pkt_range(&e->stack[e->n_pending - 1].st, &pc, range);
			else
				mark_pkt_range(s, &pc, range);
		}
		return 0;
	}
	/* a pointer that cannot be NULL against 0: decided (the kernel's
	 * reg_not_null in is_branch_taken) */
	if (!is32 && (op == BPF_JEQ || op == BPF_JNE) && src->type == SCALAR && var_const(src) && !var_value(src) &&
	    (d->type == PTR_MAP_VALUE || d->type == PTR_MAP_KEY || d->type == PTR_MEM || d->type == CONST_MAP)) {
		bool taken = op == BPF_JNE;
		if (!e->priv && push_speculative(e, s, (uint32_t)(taken ? insn + 1 : target), in->dst_reg,
						 BPF_SRC(in->code) == BPF_X ? in->src_reg : -1))
			return -EACCES;
		*next = taken ? target : insn + 1;
		return 0;
	}
	/* null checks */
	bool dnull = d->type == PTR_MAP_VALUE_OR_NULL || d->type == PTR_MEM_OR_NULL;
	if (dnull && (op == BPF_JEQ || op == BPF_JNE) && src->type == SCALAR && var_const(src) && !var_value(src)) {
		uint32_t id = d->id;
		if (push_branch(e, s, (uint32_t)target))
			return -EACCES;
		/* taken side: JEQ 0 -> NULL there */
		mark_ptr_or_null(&e->stack[e->n_pending - 1].st, id, op == BPF_JEQ);
		mark_ptr_or_null(s, id, op != BPF_JEQ);
		return 0;
	}
	if (is_ptr(d) || is_ptr(src)) {
		if (!e->priv)
			return reject(e, insn, "R%d pointer comparison prohibited", is_ptr(d) ? in->dst_reg : in->src_reg);
		/* a pointer compared with anything: both sides possible, nothing learned */
		return push_branch(e, s, (uint32_t)target);
	}
	int taken = scalar_branch(&d->var, &src->var, op, is32);
	if (taken >= 0 && !e->priv &&
	    push_speculative(e, s, (uint32_t)(taken ? insn + 1 : target), in->dst_reg,
			     BPF_SRC(in->code) == BPF_X ? in->src_reg : -1))
		return -EACCES;
	if (taken == 1) {
		*next = target;
		return 0;
	}
	if (taken == 0)
		return 0;
	if (push_branch(e, s, (uint32_t)target))
		return -EACCES;
	struct vstate *t = &e->stack[e->n_pending - 1].st;
	struct reg *td = R(t, in->dst_reg), *ts = BPF_SRC(in->code) == BPF_X ? R(t, in->src_reg) : NULL;
	struct reg timm = imm;
	scalar_refine(&td->var, ts ? &ts->var : &timm.var, op, is32, true);
	scalar_refine(&d->var, BPF_SRC(in->code) == BPF_X ? &R(s, in->src_reg)->var : &imm.var, op, is32, false);
	sync_linked(t, td);
	sync_linked(s, d);
	if (ts) {
		sync_linked(t, ts);
		sync_linked(s, R(s, in->src_reg));
	}
	return 0;
}

/* ---- helper calls ----------------------------------------------------------------- */

/* the bytes [ptr, ptr+size) a helper reads (or writes) */
static int check_helper_mem(struct env *e, struct vstate *s, int insn, int regno, uint64_t size, bool write,
			    bool zero_ok)
{
	struct reg *r = R(s, regno);
	if (!size) {
		if (zero_ok)
			return 0;
		return reject(e, insn, "invalid zero-sized read");
	}
	if (size > UEBPF_STACK_SIZE * 128)
		return reject(e, insn, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", regno + 1);
	switch (r->type) {
	case PTR_STACK: {
		struct frame *f = s->fr[r->frame];
		int64_t at, end;
		if (!var_const(r)) {
			if (!e->priv)
				return reject(e, insn,
					      "R%d variable offset stack access prohibited for !root, var_off=(0x%" PRIx64 "; 0x%" PRIx64 ")",
					      regno, r->var.var_off.value, r->var.var_off.mask);
			if (stack_var_range(e, insn, regno, r, 0, (int64_t)size, write ? "write to" : "read from", &at, &end))
				return -EACCES;
		} else {
			at = (int64_t)r->off + var_value(r);
			end = at + (int64_t)size;
			if (at < -UEBPF_STACK_SIZE || end > 0)
				return reject(e, insn, "invalid %s stack R%d off=%" PRId64 " size=%" PRIu64,
					      write ? "write to" : "read from", regno, at, size);
		}
		if ((uint32_t)-at > e->subprog_stack[f->subprog])
			e->subprog_stack[f->subprog] = (uint32_t)-at;
		int base = (int)(at + UEBPF_STACK_SIZE);
		if (write) {
			/* the helper fills the bytes: a spill they touch is gone */
			stack_clobber(f, base, (int)(end - at), ZERO_NONE);
			return 0;
		}
		/* privileged programs may pass stack they never wrote (the kernel's allow_uninit_stack) */
		for (int64_t k = 0; k < end - at && !e->priv; k++)
			if (frame_stype(f, (int)(base + k)) == SLOT_INVALID) {
				/* the kernel words it by whether the byte's slot was ever allocated on this path */
				if ((uint32_t)(STACK_SLOTS - 1 - (base + k) / 8) >= f->nslots)
					return reject(e, insn, "invalid read from stack R%d off=%" PRId64 " size=%" PRIu64,
						      regno, at, size);
				return reject(e, insn, "invalid read from stack R%d off %" PRId64 "+%" PRId64 " size %" PRIu64,
					      regno, at, k, size);
			}
		return 0;
	}
	case PTR_MAP_VALUE: {
		const struct uebpf_verifier_map *m = map_of(e, r);
		if (write && (m->map_flags & BPF_F_RDONLY_PROG))
			return reject(e, insn, "write into map forbidden, value_size=%u off=%d size=%" PRIu64, m->value_size,
				      r->off, size);
		return check_bounds(e, insn, regno, r, 0, (int)size, m->value_size, "map value");
	}
	case PTR_MEM:
		return check_bounds(e, insn, regno, r, 0, (int)size, r->mem_size, "memory");
	case PTR_PKT:
	case PTR_PKT_META: {
		int64_t start = r->off;
		if (r->var.umax || start < 0 || start + (int64_t)size > (int64_t)r->range)
			return reject(e, insn, "invalid access to packet, off=%" PRId64 " size=%" PRIu64 ", R%d(id=%u,off=%d,r=%u)",
				      start, size, regno, r->id, r->off, r->range);
		return 0;
	}
	case PTR_MAP_KEY:
		return write ? reject(e, insn, "R%d cannot write into map_key", regno)
			     : check_bounds(e, insn, regno, r, 0, (int)size, r->mem_size, "map key");
	case NOT_INIT:
		return reject(e, insn, "R%d !read_ok", regno);
	default:
		return reject(e, insn, "R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem", regno,
			      type_name(r->type));
	}
}

static bool map_helper_ok(uint32_t func, const struct uebpf_verifier_map *m)
{
	bool rb = m->type == BPF_MAP_TYPE_RINGBUF, qs = m->type == BPF_MAP_TYPE_QUEUE || m->type == BPF_MAP_TYPE_STACK;
	bool bloom = m->type == BPF_MAP_TYPE_BLOOM_FILTER;
	switch (func) {
	case BPF_FUNC_ringbuf_output:
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_ringbuf_query:
		return rb;
	case BPF_FUNC_tail_call:
		return m->type == BPF_MAP_TYPE_PROG_ARRAY;
	case BPF_FUNC_perf_event_output:
		return m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	case BPF_FUNC_get_stackid:
		return m->type == BPF_MAP_TYPE_STACK_TRACE;
	case BPF_FUNC_map_push_elem:
		return qs || bloom;
	case BPF_FUNC_map_pop_elem:
		return qs;
	case BPF_FUNC_map_peek_elem:
		return qs || bloom;
	case BPF_FUNC_map_lookup_elem:
		return !rb && !qs && !bloom && m->type != BPF_MAP_TYPE_PROG_ARRAY &&
		       m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY && m->type != BPF_MAP_TYPE_STACK_TRACE;
	case BPF_FUNC_map_update_elem:
	case BPF_FUNC_map_delete_elem:
	case BPF_FUNC_for_each_map_elem:
		return !rb && !qs && !bloom && m->type != BPF_MAP_TYPE_PROG_ARRAY &&
		       m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY && m->type != BPF_MAP_TYPE_ARRAY_OF_MAPS &&
		       m->type != BPF_MAP_TYPE_HASH_OF_MAPS;
	}
	return !rb && !qs && !bloom;
}

static int enter_callback(struct env *e, struct vstate *s, int insn, uint32_t func, const struct reg *cb,
			  const struct reg *cb_ctx, const struct uebpf_verifier_map *m, int map_idx);

static int check_helper(struct env *e, struct vstate *s, int insn, int *next)
{
	const struct bpf_insn *in = &e->insns[insn];
	uint32_t func = (uint32_t)in->imm;
	const struct uebpf_helper_proto *p = e->pt->func_proto ? e->pt->func_proto(func, e->priv) : NULL;
	if (!p) {
		const char *name = uebpf_helper_name(func);
		if (name && uebpf_helper_proto(func))
			return reject(e, insn, "program of this type cannot use helper %s#%u", name, func);
		return reject(e, insn, "invalid func %s#%d", name ? name : "unknown", (int32_t)func);
	}
	if (p->gpl_only && !e->o->gpl)
		return reject(e, insn, "cannot call GPL-restricted function from non-GPL compatible program");
	const struct uebpf_verifier_map *m = NULL;
	int map_idx = -1;
	struct reg *mem_arg = NULL;
	int mem_regno = 0;
	bool mem_write = false, mem_null = false;
	uint64_t const_size = 0;
	const struct reg *cb = NULL, *cb_ctx = NULL;
	uint32_t release = 0;
	bool const_zero_key = false;
	for (int a = 0; a < 5 && p->arg[a] != UEBPF_ARG_NONE; a++) {
		int regno = a + 1;
		struct reg *r = R(s, regno);
		enum uebpf_arg_type t = p->arg[a];
		if (r->type == NOT_INIT)
			return reject(e, insn, "R%d !read_ok", regno);
		switch (t) {
		case UEBPF_ARG_ANYTHING:
			if (is_ptr(r) && !e->priv)
				return reject(e, insn, "R%d leaks addr into helper function", regno);
			break;
		case UEBPF_ARG_SCALAR:
			if (r->type != SCALAR)
				return reject(e, insn, "R%d type=%s expected=scalar", regno, type_name(r->type));
			break;
		case UEBPF_ARG_CONST_MAP_PTR:
			if (r->type != CONST_MAP)
				return reject(e, insn, "R%d type=%s expected=map_ptr", regno, type_name(r->type));
			m = map_of(e, r);
			map_idx = r->map;
			if (e->call_map[insn] == -1)
				e->call_map[insn] = r->map;
			else if (e->call_map[insn] != r->map)
				e->call_map[insn] = -2;
			if (!m)
				return reject(e, insn, "R%d map index %d out of range", regno, r->map);
			if (!map_helper_ok(func, m)) {
				if (func == BPF_FUNC_tail_call)
					return reject(e, insn, "expected prog array map for tail call");
				return reject(e, insn, "cannot pass map_type %d into func %s#%u", m->type, p->name, func);
			}
			break;
		case UEBPF_ARG_PTR_TO_MAP_KEY:
		case UEBPF_ARG_PTR_TO_MAP_VALUE:
		case UEBPF_ARG_PTR_TO_UNINIT_MAP_VALUE: {
			if (!m)
				return reject(e, insn, "invalid map_ptr to access map->%s", t == UEBPF_ARG_PTR_TO_MAP_KEY ? "key" : "value");
			uint32_t sz = t == UEBPF_ARG_PTR_TO_MAP_KEY ? m->key_size : m->value_size;
			if (m->type == BPF_MAP_TYPE_QUEUE || m->type == BPF_MAP_TYPE_STACK || m->type == BPF_MAP_TYPE_BLOOM_FILTER)
				sz = m->value_size;
			bool w = t == UEBPF_ARG_PTR_TO_UNINIT_MAP_VALUE && m->type != BPF_MAP_TYPE_BLOOM_FILTER;
			if (check_helper_mem(e, s, insn, regno, sz, w, false))
				return -EACCES;
			/* a key known to be zero (STACK_ZERO bytes) into an array:
			 * the kernel (6.13 on) knows the element exists */
			if (t == UEBPF_ARG_PTR_TO_MAP_KEY && e->priv && r->type == PTR_STACK && var_const(r) &&
			    (m->type == BPF_MAP_TYPE_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_ARRAY) && m->max_entries) {
				int64_t at = (int64_t)r->off + var_value(r) + UEBPF_STACK_SIZE;
				bool zero = at >= 0 && at + sz <= UEBPF_STACK_SIZE;
				for (uint32_t b = 0; zero && b < sz; b++)
					zero = frame_stype(s->fr[r->frame], (int)(at + b)) == SLOT_ZERO;
				const_zero_key = zero;
			}
			break;
		}
		case UEBPF_ARG_PTR_TO_MEM:
		case UEBPF_ARG_PTR_TO_MEM_OR_NULL:
		case UEBPF_ARG_PTR_TO_UNINIT_MEM:
			mem_null = t == UEBPF_ARG_PTR_TO_MEM_OR_NULL && r->type == SCALAR && var_const(r) && !var_value(r);
			if (!mem_null && r->type == SCALAR)
				return reject(e, insn, "R%d type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem", regno);
			mem_arg = r, mem_regno = regno, mem_write = t == UEBPF_ARG_PTR_TO_UNINIT_MEM;
			if (p->arg[a + 1] != UEBPF_ARG_CONST_SIZE && p->arg[a + 1] != UEBPF_ARG_CONST_SIZE_OR_ZERO) {
				/* a fixed size: strtol's result */
				if (check_helper_mem(e, s, insn, regno, 8, mem_write, false))
					return -EACCES;
				mem_arg = NULL;
			}
			break;
		case UEBPF_ARG_CONST_SIZE:
		case UEBPF_ARG_CONST_SIZE_OR_ZERO:
			if (r->type != SCALAR)
				return reject(e, insn, "R%d type=%s expected=scalar", regno, type_name(r->type));
			if (r->var.smin < 0)
				return reject(e, insn, "R%d min value is negative, either use unsigned or 'var &= const'", regno);
			/* as the kernel: a size that may be zero where zero is not
			 * allowed, before an unbounded one */
			if (t == UEBPF_ARG_CONST_SIZE && !r->var.umin)
				return reject(e, insn, "R%d invalid zero-sized read: u64=[%" PRIu64 ",%" PRIu64 "]", regno,
					      r->var.umin, r->var.umax);
			if (r->var.umax >= (1u << 29))
				return reject(e, insn, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", regno);
			if (mem_arg && !mem_null &&
			    check_helper_mem(e, s, insn, mem_regno, r->var.umax, mem_write,
					     t == UEBPF_ARG_CONST_SIZE_OR_ZERO && !r->var.umin))
				return -EACCES;
			mem_arg = NULL;
			break;
		case UEBPF_ARG_CONST_ALLOC_SIZE_OR_ZERO:
			if (r->type != SCALAR || !var_const(r))
				return reject(e, insn, "R%d is not a known constant'", regno);
			const_size = (uint64_t)var_value(r);
			break;
		case UEBPF_ARG_PTR_TO_CTX:
		case UEBPF_ARG_PTR_TO_CTX_OR_NULL:
			if (r->type != PTR_CTX)
				return reject(e, insn, "R%d type=%s expected=ctx", regno, type_name(r->type));
			if (r->off || !var_const(r) || var_value(r))
				return reject(e, insn, "dereference of modified ctx ptr R%d off=%d disallowed", regno, r->off);
			break;
		case UEBPF_ARG_PTR_TO_STACK_OR_NULL:
			if (!(r->type == PTR_STACK || (r->type == SCALAR && var_const(r) && !var_value(r))))
				return reject(e, insn, "R%d type=%s expected=fp", regno, type_name(r->type));
			cb_ctx = r;
			break;
		case UEBPF_ARG_PTR_TO_FUNC:
			if (r->type != PTR_FUNC)
				return reject(e, insn, "R%d type=%s expected=func", regno, type_name(r->type));
			cb = r;
			break;
		case UEBPF_ARG_PTR_TO_RINGBUF_MEM:
			if (r->type != PTR_MEM || !r->ref)
				return reject(e, insn, "R%d type=%s expected=ringbuf_mem", regno, type_name(r->type));
			if (r->off || !var_const(r) || var_value(r))
				return reject(e, insn, "R%d must have zero offset when passed to release func", regno);
			release = r->ref;
			break;
		case UEBPF_ARG_PTR_TO_LONG:
			if (check_helper_mem(e, s, insn, regno, 8, true, false))
				return -EACCES;
			break;
		case UEBPF_ARG_PTR_TO_CONST_STR: {
			const struct uebpf_verifier_map *sm = r->type == PTR_MAP_VALUE ? map_of(e, r) : NULL;
			if (!sm || !(sm->map_flags & BPF_F_RDONLY_PROG) || !var_const(r))
				return reject(e, insn, "R%d does not point to a readonly map'", regno);
			if (r->off < 0 || (uint32_t)r->off >= sm->value_size)
				return reject(e, insn, "R%d invalid string offset", regno);
			break;
		}
		case UEBPF_ARG_PTR_TO_SPIN_LOCK:
			if (r->type != PTR_MAP_VALUE)
				return reject(e, insn, "R%d type=%s expected=map_value", regno, type_name(r->type));
			break;
		default:
			break;
		}
	}
	if (release) {
		bool found = false;
		for (uint32_t i = 0; i < s->n_refs; i++)
			if (s->refs[i] == release) {
				s->refs[i] = s->refs[--s->n_refs];
				s->ref_insn[i] = s->ref_insn[s->n_refs];
				found = true;
				break;
			}
		if (!found)
			return reject(e, insn, "arg 1 is an unacquired reference");
		/* every copy of the released pointer is gone */
		for (uint32_t f = 0; f <= s->depth; f++) {
			for (int i = 0; i < MAX_BPF_REG; i++)
				if (s->fr[f]->regs[i].ref == release)
					mark_unknown(&s->fr[f]->regs[i]);
			for (uint32_t i = 0; i < s->fr[f]->nslots; i++)
				if (s->fr[f]->stack[i].stype[0] == SLOT_SPILL && s->fr[f]->stack[i].spill.ref == release)
					mark_unknown(&s->fr[f]->stack[i].spill);
		}
	}
	struct reg cb_copy, ctx_copy;
	if (cb)
		cb_copy = *cb;
	if (cb_ctx)
		ctx_copy = *cb_ctx;
	/* r1-r5 are the caller's no more */
	for (int r = 1; r <= 5; r++)
		memset(R(s, r), 0, sizeof(struct reg));
	struct reg *r0 = R(s, 0);
	switch (p->ret) {
	case UEBPF_RET_INTEGER:
		mark_unknown(r0);
		break;
	case UEBPF_RET_VOID:
		memset(r0, 0, sizeof(*r0));
		break;
	case UEBPF_RET_PTR_TO_MAP_VALUE_OR_NULL:
		memset(r0, 0, sizeof(*r0));
		if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || m->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
			/* the inner map itself (bpf_map_lookup_elem on a map of maps) */
			r0->type = PTR_MAP_VALUE_OR_NULL;
			r0->map = -2 - map_idx;
		} else {
			r0->type = PTR_MAP_VALUE_OR_NULL;
			r0->map = map_idx;
		}
		scalar_const(&r0->var, 0);
		if (const_zero_key && func == BPF_FUNC_map_lookup_elem) {
			r0->type = PTR_MAP_VALUE; /* element 0 of an array is always there */
			break;
		}
		r0->id = ++e->next_id;
		break;
	case UEBPF_RET_PTR_TO_RINGBUF_MEM_OR_NULL:
		memset(r0, 0, sizeof(*r0));
		r0->type = PTR_MEM_OR_NULL;
		r0->mem_size = (uint32_t)const_size;
		r0->id = r0->ref = ++e->next_id;
		scalar_const(&r0->var, 0);
		if (s->n_refs >= MAX_REFS)
			return reject(e, insn, "too many references held");
		s->refs[s->n_refs] = r0->ref;
		s->ref_insn[s->n_refs++] = (uint32_t)insn;
		break;
	}
	if (r0->type == PTR_MAP_VALUE_OR_NULL && r0->map < -1) {
		/* map of maps: the value is a map pointer once null-checked */
		int outer = -2 - r0->map;
		const struct uebpf_verifier_map *om = &e->o->maps[outer];
		int inner = om->inner ? (int)(om->inner - e->o->maps) : -1;
		if (inner < 0)
			return reject(e, insn, "map of maps without an inner map");
		r0->map = inner;
		r0->type = PTR_MAP_VALUE_OR_NULL;
		r0->mem_size = 1; /* a map, not a value: see check below */
	}
	*next = insn + 1;
	if (cb)
		return enter_callback(e, s, insn, func, &cb_copy, cb_ctx ? &ctx_copy : NULL, m, map_idx);
	return 0;
}

/* the callback runs as a function called from the helper: verify it once
 * here with the arguments it will get; its r0 must be 0 or 1 */
static int enter_callback(struct env *e, struct vstate *s, int insn, uint32_t func, const struct reg *cb,
			  const struct reg *cb_ctx, const struct uebpf_verifier_map *m, int map_idx)
{
	if (s->depth + 1 >= UEBPF_MAX_CALL_DEPTH)
		return reject(e, insn, "the call stack of %u frames is too deep", s->depth + 2);
	uint32_t target = cb->mem_size;
	struct frame *f = frame_new(e, insn, e->subprog_of[target]);
	if (!f)
		return -ENOMEM;
	f->callback_ret = insn;
	struct reg *a = f->regs;
	if (func == BPF_FUNC_loop) {
		mark_unknown(&a[1]);
		if (cb_ctx)
			a[2] = *cb_ctx;
		else
			mark_const(&a[2], 0);
	} else {
		memset(&a[1], 0, sizeof(a[1]));
		a[1].type = CONST_MAP;
		a[1].map = map_idx;
		memset(&a[2], 0, sizeof(a[2]));
		a[2].type = PTR_MAP_KEY;
		a[2].mem_size = m->key_size;
		scalar_const(&a[2].var, 0);
		memset(&a[3], 0, sizeof(a[3]));
		a[3].type = PTR_MAP_VALUE;
		a[3].map = map_idx;
		scalar_const(&a[3].var, 0);
		if (cb_ctx)
			a[4] = *cb_ctx;
		else
			mark_const(&a[4], 0);
	}
	memset(&a[10], 0, sizeof(a[10]));
	a[10].type = PTR_STACK;
	a[10].frame = (uint8_t)(s->depth + 1);
	scalar_const(&a[10].var, 0);
	s->fr[++s->depth] = f;
	(void)insn;
	return (int)target + 1; /* continue at the callback; see caller */
}

/* ---- the walk -------------------------------------------------------------------- */

static int check_exit(struct env *e, struct vstate *s, int insn, int *next)
{
	struct reg *r0 = R(s, 0);
	struct frame *f = s->fr[s->depth];
	/* a subprogram may leave r0 unset (a tail call's path, a void
	 * function): the caller's r0 is then unset too, as in the kernel */
	if (r0->type == NOT_INIT && (s->depth == 0 || f->callback_ret >= 0))
		return reject(e, insn, "R0 !read_ok");
	if (s->depth == 0) {
		if (s->n_refs)
			return reject(e, insn, "Unreleased reference id=%u alloc_insn=%u\nBPF_EXIT instruction in main prog would "
					       "lead to reference leak",
				      s->refs[0], s->ref_insn[0]);
		if (is_ptr(r0) && !e->priv)
			return reject(e, insn, "R0 leaks addr as return value");
		if (e->pt->has_ret_range) {
			if (r0->type != SCALAR)
				return reject(e, insn, "At program exit the register R0 is not a known value (%s)",
					      type_name(r0->type));
			if (r0->var.smin < e->pt->ret_min || r0->var.smax > e->pt->ret_max)
				return reject(e, insn, "At program exit the register R0 has value (0x%" PRIx64 "; 0x%" PRIx64
						       ") should have been in (0x%" PRIx64 "; 0x%" PRIx64 ")",
					      r0->var.var_off.value, r0->var.var_off.mask, (uint64_t)e->pt->ret_min,
					      (uint64_t)e->pt->ret_max);
		}
		*next = -1;
		return 0;
	}
	if (f->callback_ret >= 0) {
		if (r0->type != SCALAR || r0->var.umax > 1 || r0->var.smin < 0)
			return reject(e, insn, "At callback return the register R0 has value %s should have been in (0x0; 0x1)",
				      type_name(r0->type));
	} else if (is_ptr(r0) && r0->type != PTR_MAP_VALUE && r0->type != PTR_CTX && r0->type != PTR_PKT &&
		   r0->type != PTR_MEM) {
		if (r0->type == PTR_STACK && r0->frame == s->depth)
			return reject(e, insn, "cannot return stack pointer to the caller frame");
	}
	if (r0->type == PTR_STACK && r0->frame == s->depth)
		return reject(e, insn, "cannot return stack pointer to the caller frame");
	struct reg ret = *r0;
	int callsite = f->callsite;
	bool callback = f->callback_ret >= 0;
	frame_put(e, f);
	s->fr[s->depth--] = NULL;
	struct frame *caller = s->fr[s->depth];
	/* callee-saved registers are the caller's own again */
	if (callback)
		mark_unknown(&caller->regs[0]);
	else
		caller->regs[0] = ret;
	for (int r = 1; r <= 5; r++)
		memset(&caller->regs[r], 0, sizeof(struct reg));
	*next = callsite + 1;
	return 0;
}

static int check_call(struct env *e, struct vstate *s, int insn, int *next)
{
	const struct bpf_insn *in = &e->insns[insn];
	if (in->src_reg == 0) {
		if (in->imm == BPF_FUNC_tail_call) {
			int err = check_helper(e, s, insn, next);
			if (err)
				return err;
			memset(R(s, 0), 0, sizeof(struct reg)); /* tail call returns nothing */
			return 0;
		}
		int err = check_helper(e, s, insn, next);
		if (err < 0)
			return err;
		if (err > 0)
			*next = err - 1;
		return 0;
	}
	if (in->src_reg != BPF_PSEUDO_CALL)
		return reject(e, insn, "kernel function calls are not supported");
	if (s->depth + 1 >= UEBPF_MAX_CALL_DEPTH)
		return reject(e, insn, "the call stack of %u frames is too deep", s->depth + 2);
	uint32_t target = (uint32_t)(insn + in->imm + 1);
	struct frame *f = frame_new(e, insn, e->subprog_of[target]);
	if (!f)
		return -ENOMEM;
	struct frame *caller = s->fr[s->depth];
	for (int r = 1; r <= 5; r++)
		f->regs[r] = caller->regs[r];
	f->regs[10].type = PTR_STACK;
	f->regs[10].frame = (uint8_t)(s->depth + 1);
	scalar_const(&f->regs[10].var, 0);
	for (int r = 0; r <= 5; r++)
		if (r > 0)
			memset(&caller->regs[r], 0, sizeof(struct reg));
	s->fr[++s->depth] = f;
	*next = (int)target;
	return 0;
}

static int check_ld(struct env *e, struct vstate *s, int insn)
{
	const struct bpf_insn *in = &e->insns[insn];
	uint8_t mode = BPF_MODE(in->code);
	if (mode == BPF_IMM) {
		struct reg *d = R(s, in->dst_reg);
		uint64_t v = (uint32_t)in->imm | (uint64_t)(uint32_t)e->insns[insn + 1].imm << 32;
		if (in->dst_reg == BPF_REG_10)
			return reject(e, insn, "frame pointer is read only");
		memset(d, 0, sizeof(*d));
		scalar_const(&d->var, 0);
		switch (in->src_reg) {
		case 0:
			mark_const(d, v);
			return 0;
		case BPF_PSEUDO_MAP_FD:
		case BPF_PSEUDO_MAP_IDX:
		case BPF_PSEUDO_MAP_VALUE:
		case BPF_PSEUDO_MAP_IDX_VALUE: {
			if (in->imm < 0 || (size_t)in->imm >= e->o->n_maps)
				return reject(e, insn, "fd %d is not pointing to valid bpf_map", in->imm);
			bool value = in->src_reg == BPF_PSEUDO_MAP_VALUE || in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE;
			const struct uebpf_verifier_map *m = &e->o->maps[in->imm];
			d->map = in->imm;
			if (!value) {
				d->type = CONST_MAP;
				return 0;
			}
			if (m->type != BPF_MAP_TYPE_ARRAY || m->max_entries != 1)
				return reject(e, insn, "map direct value access is only for single-element arrays");
			uint32_t off = (uint32_t)e->insns[insn + 1].imm;
			if (off >= m->value_size)
				return reject(e, insn, "invalid access to map value pointer, value_size=%u off=%u", m->value_size,
					      off);
			d->type = PTR_MAP_VALUE;
			d->off = (int32_t)off;
			return 0;
		}
		case BPF_PSEUDO_FUNC:
			d->type = PTR_FUNC;
			d->mem_size = (uint32_t)(insn + in->imm + 1);
			return 0;
		}
		return reject(e, insn, "invalid bpf_ld_imm64 insn");
	}
	/* LD_ABS / LD_IND */
	if (!e->pt->ld_abs)
		return reject(e, insn, "BPF_LD_[ABS|IND] instructions not allowed for this program type");
	if (R(s, 6)->type == NOT_INIT)
		return reject(e, insn, "R6 !read_ok");
	if (R(s, 6)->type != PTR_CTX)
		return reject(e, insn, "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
	if (mode == BPF_IND && R(s, in->src_reg)->type != SCALAR)
		return reject(e, insn, "R%d !read_ok", in->src_reg);
	if (s->depth)
		return reject(e, insn, "BPF_LD_[ABS|IND] cannot be used inside bpf-to-bpf calls");
	for (int r = 1; r <= 5; r++)
		memset(R(s, r), 0, sizeof(struct reg));
	narrow(R(s, 0), size_of(in->code));
	e->ctx_access[insn] = 2;
	return 0;
}

static int check_insn(struct env *e, struct vstate *s, int insn, int *next)
{
	const struct bpf_insn *in = &e->insns[insn];
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	*next = insn + 1;
	if (in->dst_reg >= MAX_BPF_REG || in->src_reg >= MAX_BPF_REG)
		return reject(e, insn, "R%d is invalid", in->dst_reg >= MAX_BPF_REG ? in->dst_reg : in->src_reg);
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		return check_alu(e, s, insn);
	case BPF_LDX: {
		int size = size_of(in->code);
		if (in->dst_reg == BPF_REG_10)
			return reject(e, insn, "frame pointer is read only");
		if (R(s, in->src_reg)->type == NOT_INIT)
			return reject(e, insn, "R%d !read_ok", in->src_reg);
		struct reg v;
		memset(&v, 0, sizeof(v));
		if (check_mem(e, s, insn, in->src_reg, in->off, size, false, NULL, &v, false))
			return -EACCES;
		if (BPF_MODE(in->code) == BPF_MEMSX && v.type == SCALAR) {
			mark_unknown(&v);
			v.var.smin = -(1ll << (size * 8 - 1)), v.var.smax = (1ll << (size * 8 - 1)) - 1;
			scalar_sync(&v.var);
		}
		*R(s, in->dst_reg) = v;
		return 0;
	}
	case BPF_STX:
	case BPF_ST: {
		int size = size_of(in->code);
		struct reg imm, *val = NULL;
		bool atomic = BPF_MODE(in->code) == BPF_ATOMIC;
		if (cls == BPF_STX) {
			val = R(s, in->src_reg);
			if (val->type == NOT_INIT)
				return reject(e, insn, "R%d !read_ok", in->src_reg);
		} else {
			mark_const(&imm, (uint64_t)(int64_t)in->imm);
			val = &imm;
		}
		if (R(s, in->dst_reg)->type == NOT_INIT)
			return reject(e, insn, "R%d !read_ok", in->dst_reg);
		if (atomic) {
			if (size != 4 && size != 8)
				return reject(e, insn, "invalid atomic operand size");
			if (is_ptr(val))
				return reject(e, insn, "R%d leaks addr into mem", in->src_reg);
			struct reg *d = R(s, in->dst_reg);
			if (d->type != PTR_STACK && d->type != PTR_MAP_VALUE && d->type != PTR_MEM && d->type != PTR_CTX)
				return reject(e, insn, "R%d invalid mem access '%s'", in->dst_reg, type_name(d->type));
			struct reg old;
			memset(&old, 0, sizeof(old));
			if (check_mem(e, s, insn, in->dst_reg, in->off, size, false, NULL, &old, true) ||
			    check_mem(e, s, insn, in->dst_reg, in->off, size, true, NULL, NULL, true))
				return -EACCES;
			if (in->imm == BPF_CMPXCHG) {
				if (R(s, 0)->type == NOT_INIT)
					return reject(e, insn, "R0 !read_ok");
				mark_unknown(R(s, 0));
			} else if (in->imm & BPF_FETCH) {
				mark_unknown(R(s, in->src_reg));
			}
			return 0;
		}
		/* a scalar spilled whole keeps its link to the register (the
		 * kernel gives it an id first, as for a copy) */
		if (cls == BPF_STX && size == 8 && val->type == SCALAR && !var_const(val) && !val->id &&
		    R(s, in->dst_reg)->type == PTR_STACK && e->priv)
			val->id = ++e->next_id;
		return check_mem(e, s, insn, in->dst_reg, in->off, size, true, val, NULL, false);
	}
	case BPF_LD:
		return check_ld(e, s, insn);
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_JA) {
			*next = insn + 1 + (cls == BPF_JMP32 ? in->imm : in->off);
			return 0;
		}
		if (op == BPF_EXIT)
			return check_exit(e, s, insn, next);
		if (op == BPF_CALL)
			return check_call(e, s, insn, next);
		return check_cond_jmp(e, s, insn, next);
	}
	return reject(e, insn, "unknown opcode %02x", in->code);
}

/* The kernel's notation of a register: "ctx()", "fp-8", "pkt(off=14,r=14)",
 * "map_value(map=0,vs=8)", a constant, "scalar(...)". */
/* A register as the kernel's print_reg_state shows it (without the
 * precision mark "P", which uebpf does not keep per path). */
static void fmt_reg(const struct env *e, const struct reg *r, uint32_t frameno, char *buf, size_t sz)
{
#define AT(k) (buf + ((size_t)(k) < sz ? (size_t)(k) : sz)), ((size_t)(k) < sz ? sz - (size_t)(k) : 0)
	if (r->type == SCALAR) {
		if (!r->id || var_const(r)) {
			scalar_fmt(&r->var, buf, sz);
			return;
		}
		int k = snprintf(buf, sz, "scalar(id=%u", r->id & ~ID_ADD_CONST);
		if (r->id & ID_ADD_CONST)
			k += snprintf(AT(k), "%+d", r->off);
		k += scalar_fmt_ranges(&r->var, ",", AT(k));
		snprintf(AT(k), ")");
		return;
	}
	int n = snprintf(buf, sz, "%s", type_name(r->type));
	bool konst = var_const(r);
	if (r->type == PTR_STACK) {
		if (r->frame != frameno)
			n += snprintf(AT(n), "[%u]", r->frame);
		if (konst) {
			scalar_fmt_const((int64_t)(var_value(r) + r->off), AT(n));
			return;
		}
	}
	const char *sep = "";
	n += snprintf(AT(n), "(");
	if (r->id && r->type != PTR_PKT_END)
		n += snprintf(AT(n), "%sid=%u", sep, r->id), sep = ",";
	if (r->ref)
		n += snprintf(AT(n), "%sref_obj_id=%u", sep, r->ref), sep = ",";
	if ((r->type == CONST_MAP || r->type == PTR_MAP_VALUE || r->type == PTR_MAP_VALUE_OR_NULL) && r->map >= 0 &&
	    (size_t)r->map < e->o->n_maps) {
		const struct uebpf_verifier_map *m = &e->o->maps[r->map];
		if (m->name && m->name[0])
			n += snprintf(AT(n), "%smap=%.15s", sep, m->name), sep = ",";
		n += snprintf(AT(n), "%sks=%u,vs=%u", sep, m->key_size, m->value_size), sep = ",";
	}
	if (r->off) {
		n += snprintf(AT(n), "%soff=", sep), sep = ",";
		n += scalar_fmt_const(r->off, AT(n));
	}
	if (r->type == PTR_PKT || r->type == PTR_PKT_META)
		n += snprintf(AT(n), "%sr=%u", sep, r->range), sep = ",";
	if (r->type == PTR_MEM || r->type == PTR_MEM_OR_NULL)
		n += snprintf(AT(n), "%ssz=%u", sep, r->mem_size), sep = ",";
	if (konst) {
		if (var_value(r)) {
			n += snprintf(AT(n), "%simm=", sep);
			n += scalar_fmt_const(var_value(r), AT(n));
		}
	} else {
		n += scalar_fmt_ranges(&r->var, sep, AT(n));
	}
	snprintf(AT(n), ")");
#undef AT
}

/* the registers (bit r) and stack slots (bit k: fp-8(k+1)) an instruction
 * reads or writes: what the kernel's log shows after it */
struct scratch {
	uint16_t regs;
	uint64_t slots;
};

static struct scratch insn_scratch(const struct env *e, const struct vstate *s, int insn)
{
	const struct bpf_insn *in = &e->insns[insn];
	uint8_t cls = BPF_CLASS(in->code);
	struct scratch sc = { 0, 0 };
	uint16_t use, def;
	insn_regs(in, &use, &def);
	/* an exit ends the path: nothing is shown after it */
	if (in->code != (BPF_JMP | BPF_EXIT))
		sc.regs = use | def;
	int base = cls == BPF_LDX ? in->src_reg : cls == BPF_ST || cls == BPF_STX ? in->dst_reg : -1;
	if (base >= 0) {
		const struct reg *r = &s->fr[s->depth]->regs[base];
		if (r->type == PTR_STACK && r->frame == s->depth) {
			/* every slot a variable offset may reach */
			int64_t lo = (int64_t)r->off + r->var.smin + in->off, hi = (int64_t)r->off + r->var.smax + in->off +
										size_of(in->code) - 1;
			if (r->var.smin < -UEBPF_STACK_SIZE || r->var.smax > UEBPF_STACK_SIZE)
				lo = hi = 0;
			for (int64_t b = lo; b <= hi; b++)
				if (b < 0 && b >= -UEBPF_STACK_SIZE)
					sc.slots |= 1ull << ((-b - 1) / 8);
		}
	}
	return sc;
}

/* " R1=ctx() fp-8=0000????" for the registers and slots in sc, or all */
static void log_state(struct env *e, const struct vstate *s, const struct scratch *sc)
{
	const struct frame *f = s->fr[s->depth];
	char buf[320];
	if (s->depth)
		vlog(e, " frame%u:", s->depth);
	for (int r = 0; r < MAX_BPF_REG; r++) {
		if (f->regs[r].type == NOT_INIT || (sc && !(sc->regs >> r & 1)))
			continue;
		fmt_reg(e, &f->regs[r], s->depth, buf, sizeof(buf));
		vlog(e, " R%d=%s", r, buf);
	}
	static const char ch[] = { [SLOT_INVALID] = '?', [SLOT_MISC] = 'm', [SLOT_ZERO] = '0', [SLOT_SPILL] = 'r' };
	for (uint32_t sl = 0; sl < f->nslots && sl < 64; sl++) {
		const struct stack_slot *st = &f->stack[sl];
		if (sc && !(sc->slots >> sl & 1))
			continue;
		/* the kernel prints a slot's bytes from the highest address down */
		char types[9];
		bool valid = false;
		for (int b = 0; b < 8; b++) {
			types[b] = ch[st->stype[7 - b]];
			valid |= st->stype[7 - b] != SLOT_INVALID;
		}
		types[8] = 0;
		if (!valid)
			continue;
		if (st->stype[0] == SLOT_SPILL) {
			char *r = strchr(types, 'r');
			if (r)
				*r = 0;
			fmt_reg(e, &st->spill, s->depth, buf, sizeof(buf));
			vlog(e, " fp%d=%s%s", -(int)(sl + 1) * 8, types, buf);
		} else {
			vlog(e, " fp%d=%s", -(int)(sl + 1) * 8, types);
		}
	}
}

/* log levels 1 and 2: "N: (code) insn", then, once it is checked, what it
 * touched, after a ';' at the kernel's column */
static void log_insn(struct env *e, int insn)
{
	char text[160] = "";
	insn_text(e, insn, text, sizeof(text));
	log_line(e, insn);
	vlog(e, "%d: (%02x) %s", insn, e->insns[insn].code, text);
	e->insn_open = true;
}

static void log_insn_done(struct env *e, const struct vstate *s, const struct scratch *sc)
{
	if (!e->insn_open)
		return;
	e->insn_open = false;
	const struct frame *f = s->fr[s->depth];
	bool any = false;
	for (int r = 0; r < MAX_BPF_REG; r++)
		any |= (sc->regs >> r & 1) && f->regs[r].type != NOT_INIT;
	for (uint32_t sl = 0; sl < f->nslots && sl < 64; sl++)
		any |= sc->slots >> sl & 1;
	if (any && e->log) {
		const char *nl = e->log_len ? memrchr(e->log, '\n', e->log_len) : NULL;
		/* the kernel's vlog_alignment, of the line with its newline */
		size_t pos = e->log_len - (nl ? (size_t)(nl - e->log) + 1 : 0) + 1;
		size_t col = pos + 4 > 40 ? pos + 4 : 40;
		col = (col + 7) / 8 * 8;
		vlog(e, "%*c;", (int)(col - pos - 1), ' ');
		log_state(e, s, sc);
	}
	vlog(e, "\n");
}

/* Have we been here in a state at least as wide? Store this one if not. */
static int visited(struct env *e, struct vstate *s, int insn, bool *prune)
{
	*prune = false;
	uint32_t count = 0;
	for (struct saved **link = &e->states[insn], *v; (v = *link);) {
		if (v->branches) {
			/* an ancestor on this path: the same state again loops forever */
			if (state_within(&v->st, s, 0, 0, false, false) && state_within(s, &v->st, 0, 0, false, false))
				return reject(e, insn, "infinite loop detected at insn %d", insn);
			link = &v->next, count++;
			continue;
		}
		if (state_within(&v->st, s, (uint16_t)~e->need[insn], (uint16_t)~e->live[insn], e->explore_alu_limits, true)) {
			v->hits++;
			*prune = true;
			return 0;
		}
		/* as the kernel: a finished state that keeps missing (a loop's
		 * earlier iterations) is dropped; nothing live descends from it */
		if (++v->misses > v->hits * 3 + 3) {
			*link = v->next;
			state_free(e, &v->st);
			free(v);
			e->cur_states--;
			continue;
		}
		link = &v->next, count++;
	}
	if (count >= MAX_STATES_PER_INSN)
		return 0;
	/* as the kernel: a new state only after 2 jumps and 8 instructions
	 * since the last one, or states would cost more than they save */
	if (e->jmps - e->prev_jmps < 2 || e->processed - e->prev_processed < 8)
		return 0;
	e->prev_jmps = e->jmps;
	e->prev_processed = e->processed;
	struct saved *v = calloc(1, sizeof(*v));
	if (!v || state_copy(e, &v->st, s, true)) {
		free(v);
		return -ENOMEM;
	}
	clear_singular_ids(&v->st);
	v->branches = 1;
	v->insn = (uint32_t)insn;
	v->st.parent = s->parent;
	s->parent = v;
	v->next = e->states[insn];
	e->states[insn] = v;
	e->total_states++;
	if (++e->cur_states > e->peak_states)
		e->peak_states = e->cur_states;
	/* the kernel counts the states it compared against, not the new one */
	if (count > e->max_per_insn)
		e->max_per_insn = count;
	return 0;
}

static int do_check(struct env *e)
{
	struct vstate s = { 0 };
	s.fr[0] = frame_new(e, -1, 0);
	if (!s.fr[0])
		return -ENOMEM;
	struct reg *regs = s.fr[0]->regs;
	regs[1].type = PTR_CTX;
	scalar_const(&regs[1].var, 0);
	regs[10].type = PTR_STACK;
	scalar_const(&regs[10].var, 0);
	int insn = 0, err = 0, from = -1;
	bool path_start = true; /* the log shows the whole state where a path starts */
	uint32_t level = e->o->log_level;
	for (;;) {
		if (insn < 0 || (size_t)insn >= e->n) {
			/* this path is done: take a pending one */
			branch_done(e, s.parent);
			state_free(e, &s);
			if (!e->n_pending)
				break;
			struct pending *p = &e->stack[--e->n_pending];
			s = p->st;
			insn = (int)p->insn;
			from = p->from;
			path_start = true;
			/* level 1 keeps only the path that fails: back to where this
			 * one branched off, as the kernel's pop_stack */
			if (level == 1 && e->log && p->log_drops == e->log_drops && p->log_pos <= e->log_len) {
				e->log_len = p->log_pos;
				e->log[e->log_len] = 0;
			}
			if ((err = state_expand(e, &s)))
				break;
			continue;
		}
		if (++e->processed > INSN_LIMIT) {
			err = reject(e, -1, "BPF program is too large. Processed %" PRIu64 " insn", e->processed);
			break;
		}
		if (e->prune[insn]) {
			bool prune;
			if ((err = visited(e, &s, insn, &prune)))
				break;
			if (prune) {
				if (level && path_start && from >= 0)
					vlog(e, "\nfrom %d to %d%s: safe\n", from, insn, s.speculative ? " (speculative execution)" : "");
				else if (level)
					vlog(e, "%d: safe\n", insn);
				insn = -1;
				continue;
			}
		}
		if (level && path_start) {
			if (from >= 0) {
				vlog(e, "\nfrom %d to %d%s:", from, insn, s.speculative ? " (speculative execution)" : "");
				log_state(e, &s, NULL);
				vlog(e, "\n");
			}
			vlog(e, "%d:", insn);
			log_state(e, &s, NULL);
			vlog(e, "\n");
		}
		path_start = false;
		int next;
		struct scratch sc = { 0, 0 };
		if (level) {
			sc = insn_scratch(e, &s, insn);
			log_insn(e, insn);
		}
		e->cur_insn = insn;
		uint8_t cls = BPF_CLASS(e->insns[insn].code);
		e->jmps += cls == BPF_JMP || cls == BPF_JMP32;
		size_t log_at = e->log_len;
		if ((err = check_insn(e, &s, insn, &next))) {
			/* an unsafe step only speculative execution would take ends
			 * that path (the kernel since 6.17 puts a speculation barrier
			 * before the instruction instead of refusing the program) */
			if (!s.speculative || (err != -EACCES && err != -EINVAL && err != -EPERM))
				break;
			if (!level && e->log && log_at <= e->log_len) {
				e->log_len = log_at;
				e->log[log_at] = 0;
			}
			e->insn_open = false;
			e->err_insn = -1;
			e->alu[insn].state = 0;
			err = 0;
			insn = -1;
			continue;
		}
		if (level)
			log_insn_done(e, &s, &sc);
		if (is_lddw(&e->insns[insn]) && next == insn + 1)
			next = insn + 2;
		insn = next;
	}
	state_free(e, &s);
	while (e->n_pending) {
		struct pending *p = &e->stack[--e->n_pending];
		state_free(e, &p->st);
	}
	return err;
}

/* combined stack of every call chain, as the kernel's check_max_stack_depth */
static int check_stack_depth(struct env *e, uint32_t sub, uint32_t depth, uint32_t frames, uint32_t *max)
{
	uint32_t d = depth + ((e->subprog_stack[sub] + 7) & ~7u);
	if (d > *max)
		*max = d;
	if (d > UEBPF_STACK_SIZE)
		return reject(e, -1, "combined stack size of %u calls is %u. Too large", frames, d);
	if (frames > UEBPF_MAX_CALL_DEPTH)
		return reject(e, -1, "the call stack of %u frames is too deep", frames);
	uint32_t start = e->subprog_start[sub], end = sub + 1 < e->n_subprogs ? e->subprog_start[sub + 1] : (uint32_t)e->n;
	for (uint32_t i = start; i < end; i++) {
		const struct bpf_insn *in = &e->insns[i];
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL) {
			uint32_t t = (uint32_t)((int64_t)i + in->imm + 1);
			int err = check_stack_depth(e, (uint32_t)e->subprog_of[t], d, frames + 1, max);
			if (err)
				return err;
		}
	}
	return 0;
}

/* bpf_map_lookup_elem on an array, as the kernel's array_map_gen_lookup:
 * the value's address computed in place (our arrays keep values 8-byte
 * aligned, contiguous from the base that a direct-value lddw gives) */
static bool inline_array_lookup(struct env *e, size_t i, struct bpf_insn *out)
{
	const struct bpf_insn *in = &e->insns[i];
	if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg || in->imm != BPF_FUNC_map_lookup_elem ||
	    e->call_map[i] < 0)
		return false;
	const struct uebpf_verifier_map *m = &e->o->maps[e->call_map[i]];
	if (m->type != BPF_MAP_TYPE_ARRAY || m->max_entries > INT32_MAX || m->value_size > (1u << 20))
		return false;
	int32_t elem = (int32_t)((m->value_size + 7) & ~7u);
	out[0] = (struct bpf_insn){ .code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = BPF_REG_1,
				    .src_reg = BPF_PSEUDO_MAP_IDX_VALUE, .imm = e->call_map[i] };
	out[1] = (struct bpf_insn){ 0 };
	out[2] = (struct bpf_insn){ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_2 };
	out[3] = (struct bpf_insn){ .code = BPF_JMP | BPF_JGE | BPF_K, .dst_reg = BPF_REG_0, .off = 3,
				    .imm = (int32_t)m->max_entries };
	out[4] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MUL | BPF_K, .dst_reg = BPF_REG_0, .imm = elem };
	if (!(elem & (elem - 1)))
		out[4] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_LSH | BPF_K, .dst_reg = BPF_REG_0,
					    .imm = __builtin_ctz((unsigned)elem) };
	out[5] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_X, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1 };
	out[6] = (struct bpf_insn){ .code = BPF_JMP | BPF_JA, .off = 1 };
	out[7] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 };
	return true;
}

/* bpf_map_lookup_elem on a HASH map: straight to the hash table's lookup,
 * past the generic helper and the ops table */
static bool direct_hash_lookup(struct env *e, size_t i, struct bpf_insn *out)
{
	const struct bpf_insn *in = &e->insns[i];
	if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg || in->imm != BPF_FUNC_map_lookup_elem ||
	    e->call_map[i] < 0 || e->o->maps[e->call_map[i]].type != BPF_MAP_TYPE_HASH)
		return false;
	out[0] = *in;
	out[0].imm = UEBPF_FUNC_hash_lookup;
	return true;
}

/* replace context accesses and LD_ABS, moving jumps and calls over the
 * instructions added */
static int rewrite(struct env *e, struct uebpf_verify_result *res)
{
	size_t n = e->n, cap = n + 16, m = 0;
	struct bpf_insn *out = malloc(cap * sizeof(*out));
	uint32_t *pos = malloc((n + 1) * sizeof(*pos));
	if (!out || !pos) {
		free(out);
		free(pos);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct bpf_insn buf[16];
		int k = 1;
		buf[0] = e->insns[i];
		if (e->ctx_access[i] == 1)
			k = e->pt->convert_ctx_access(&e->insns[i], buf, 16);
		else if (e->ctx_access[i] == 2)
			k = e->pt->gen_ld_abs(&e->insns[i], buf, 16);
		else if (inline_array_lookup(e, i, buf))
			k = 8, e->ctx_access[i] = 3;
		else if (direct_hash_lookup(e, i, buf))
			e->ctx_access[i] = 3;
		if (k <= 0) {
			free(out);
			free(pos);
			return reject(e, (int)i, "cannot rewrite the context access");
		}
		if (m + (size_t)k > cap) {
			cap = (m + (size_t)k) * 2;
			struct bpf_insn *o = realloc(out, cap * sizeof(*o));
			if (!o) {
				free(out);
				free(pos);
				return -ENOMEM;
			}
			out = o;
		}
		pos[i] = (uint32_t)m;
		memcpy(out + m, buf, (size_t)k * sizeof(*buf));
		m += (size_t)k;
	}
	pos[n] = (uint32_t)m;
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &e->insns[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		struct bpf_insn *o = &out[pos[i]];
		if (e->ctx_access[i])
			continue;
		if (is_lddw(in)) {
			if (in->src_reg == BPF_PSEUDO_FUNC)
				o->imm = (int32_t)pos[i + in->imm + 1] - (int32_t)pos[i] - 1;
			i++;
			continue;
		}
		if (cls != BPF_JMP && cls != BPF_JMP32)
			continue;
		if (op == BPF_CALL && in->src_reg == BPF_PSEUDO_CALL)
			o->imm = (int32_t)pos[i + in->imm + 1] - (int32_t)pos[i] - 1;
		else if (op == BPF_JA && cls == BPF_JMP32)
			o->imm = (int32_t)pos[i + in->imm + 1] - (int32_t)pos[i] - 1;
		else if (op != BPF_CALL && op != BPF_EXIT) {
			int32_t off = (int32_t)pos[i + in->off + 1] - (int32_t)pos[i] - 1;
			if (off < INT16_MIN || off > INT16_MAX) {
				free(out);
				free(pos);
				return reject(e, (int)i, "jump too far after rewriting context accesses");
			}
			o->off = (int16_t)off;
		}
	}
	free(pos);
	res->insns = out;
	res->n = m;
	return 0;
}

int uebpf_verify(const struct bpf_insn *insns, size_t n, const struct uebpf_verify_opts *opts,
		 struct uebpf_verify_result *res, char *log, size_t log_sz)
{
	struct uebpf_verify_opts o = { .sz = sizeof(o), .prog_type = BPF_PROG_TYPE_SOCKET_FILTER };
	if (log && log_sz)
		log[0] = 0;
	if (res)
		memset(res, 0, sizeof(*res));
	if (opts) {
		if (opts->sz < sizeof(size_t) || opts->sz > sizeof(o))
			return -EINVAL;
		memcpy(&o, opts, opts->sz);
	}
	struct env e = { .insns = insns, .n = n, .o = &o, .log = log, .log_sz = log_sz, .priv = !o.unpriv,
			 .err_insn = -1, .cur_insn = -1 };
	if (!n || n > INSN_LIMIT) {
		vlog(&e, "%s\n", n ? "BPF program is too large" : "empty program");
		return -EINVAL;
	}
	e.pt = uebpf_progtype_get(o.prog_type);
	if (!e.pt) {
		vlog(&e, "program type %d is not supported\n", (int)o.prog_type);
		return -EINVAL;
	}
	char why[256] = "";
	int err = uebpf_insns_check(insns, n, why, sizeof(why));
	if (err) {
		vlog(&e, "%s\n", why);
		return -EINVAL;
	}
	e.prune = calloc(n + 1, 1);
	e.ctx_access = calloc(n, 1);
	e.call_map = malloc(n * sizeof(*e.call_map));
	for (size_t i = 0; e.call_map && i < n; i++)
		e.call_map[i] = -1;
	e.subprog_of = calloc(n, sizeof(*e.subprog_of));
	e.states = calloc(n, sizeof(*e.states));
	e.alu = calloc(n, sizeof(*e.alu));
	if (!e.prune || !e.ctx_access || !e.call_map || !e.subprog_of || !e.states || !e.alu) {
		err = -ENOMEM;
		goto out;
	}
	err = check_cfg(&e);
	if (!err)
		err = compute_need(&e);
	if (!err && !(e.subprog_stack = calloc(e.n_subprogs, sizeof(uint32_t))))
		err = -ENOMEM;
	if (!err)
		err = do_check(&e);
	uint32_t depth = 0;
	if (!err)
		err = check_stack_depth(&e, 0, 0, 1, &depth);
	if (!err && res)
		err = rewrite(&e, res);
	if (!err && res) {
		res->stack_depth = e.subprog_stack[0];
		res->insns_processed = e.processed;
		res->max_states_per_insn = e.max_per_insn;
		res->total_states = e.total_states;
		res->peak_states = e.peak_states;
	}
	/* level 1 keeps only a failing path: an accepted program leaves none */
	if (!err && o.log_level == 1 && e.log) {
		e.log_len = 0;
		e.log[0] = 0;
	}
	if (o.log_level || err)
		vlog(&e, "processed %" PRIu64 " insns (limit %d) max_states_per_insn %u total_states %u peak_states %u "
			 "mark_read 0\n",
		     e.processed, INSN_LIMIT, e.max_per_insn, e.total_states, e.peak_states);
out:
	for (size_t i = 0; e.states && i < n; i++)
		for (struct saved *v = e.states[i], *next; v; v = next) {
			next = v->next;
			state_free(&e, &v->st);
			free(v);
		}
	free(e.states);
	free(e.prune);
	free(e.alu);
	free(e.need);
	free(e.live);
	free(e.ctx_access);
	free(e.call_map);
	free(e.subprog_of);
	free(e.subprog_start);
	free(e.subprog_stack);
	free(e.stack);
	while (e.n_pool)
		free(e.pool[--e.n_pool]);
	free(e.pool);
	for (int i = 0; i <= STACK_SLOTS; i++)
		for (struct frame *f = e.compact_free[i], *next; f; f = next) {
			memcpy(&next, &f->regs[0], sizeof(next));
			free(f);
		}
	if (err == -ENOMEM)
		vlog(&e, "out of memory\n");
	if (err && err != -EACCES && err != -ENOMEM && err != -EINVAL)
		err = -EACCES;
	if (err == -EACCES && e.processed > INSN_LIMIT)
		err = -E2BIG;
	return err;
}

void uebpf_verify_result_free(struct uebpf_verify_result *res)
{
	if (!res)
		return;
	free(res->insns);
	res->insns = NULL;
	res->n = 0;
}
