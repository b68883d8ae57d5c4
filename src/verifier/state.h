/* The verifier's abstract state: registers, stack frames, references. */
#ifndef UEBPF_VERIFIER_STATE_H
#define UEBPF_VERIFIER_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include <uebpf/isa.h>

#include "verifier/scalar.h"

enum rtype {
	NOT_INIT = 0,
	SCALAR,
	PTR_CTX,
	PTR_STACK,
	CONST_MAP,
	PTR_MAP_VALUE,
	PTR_MAP_VALUE_OR_NULL,
	PTR_PKT,
	PTR_PKT_META,
	PTR_PKT_END,
	PTR_MEM,          /* ring buffer reservation */
	PTR_MEM_OR_NULL,
	PTR_FUNC,
	PTR_MAP_KEY,      /* for_each callback key */
};

struct reg {
	enum rtype type;
	int32_t off;            /* fixed offset of a pointer */
	struct uebpf_scalar var; /* the value of a scalar, the variable offset of a pointer */
	int32_t map;            /* map index (map pointer, map value) */
	uint32_t id;            /* copies that become non-NULL together; packet pointers sharing a range */
	uint32_t ref;           /* acquired reference (ring buffer reservation) */
	uint32_t range;         /* packet: bytes proven inside from the pointer's base */
	uint32_t mem_size;      /* PTR_MEM: size; PTR_FUNC: target insn */
	uint8_t frame;          /* PTR_STACK: frame it points into */
};

enum slot { SLOT_INVALID = 0, SLOT_MISC, SLOT_ZERO, SLOT_SPILL };

#define STACK_SLOTS (UEBPF_STACK_SIZE / 8)

/* 8 bytes of stack: stype per byte (lowest address first), the register
 * spilled there when stype is SLOT_SPILL */
struct stack_slot {
	struct reg spill;
	uint8_t stype[8];
};

/* A frame keeps only the stack slots in use: stack[0] is fp-8..fp-1, and
 * every slot from nslots on is SLOT_INVALID without being stored. A frame
 * being explored has room for all STACK_SLOTS; a saved one only for its
 * nslots, so states stored for pruning cost what their stack uses. */
struct frame {
	struct reg regs[MAX_BPF_REG];
	int32_t callsite;                      /* insn of the call, -1 for the main frame */
	int32_t subprog;
	int32_t callback_ret;                  /* helper call insn when this frame is a callback, else -1 */
	uint16_t nslots;
	bool full;                             /* room for every slot (reused through the frame pool) */
	struct stack_slot stack[];
};

/* byte index from fp-512 up, as the verifier counts stack bytes */
static inline uint8_t frame_stype(const struct frame *f, int base)
{
	uint32_t sl = (uint32_t)(STACK_SLOTS - 1 - base / 8);
	return sl < f->nslots ? f->stack[sl].stype[base % 8] : SLOT_INVALID;
}

/* the slot holding byte base; the frame must have room for every slot */
static inline struct stack_slot *frame_slot(struct frame *f, int base)
{
	uint32_t sl = (uint32_t)(STACK_SLOTS - 1 - base / 8);
	while (f->nslots <= sl) {
		struct stack_slot *n = &f->stack[f->nslots++];
		for (int k = 0; k < 8; k++)
			n->stype[k] = SLOT_INVALID;
		n->spill.type = NOT_INIT;
	}
	return &f->stack[sl];
}

#define MAX_REFS 16

struct vstate {
	uint32_t depth;                        /* frames in use - 1 */
	struct frame *fr[UEBPF_MAX_CALL_DEPTH];
	uint32_t n_refs;
	uint32_t refs[MAX_REFS];
	uint32_t ref_insn[MAX_REFS];
	struct saved *parent;                  /* the state stored last on this path */
	bool speculative;                      /* a path only speculative execution takes (unprivileged) */
};

#endif
