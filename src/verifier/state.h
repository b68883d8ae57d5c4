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

struct frame {
	struct reg regs[MAX_BPF_REG];
	uint8_t stype[UEBPF_STACK_SIZE];       /* per byte, from fp-512 up */
	struct reg spill[UEBPF_STACK_SIZE / 8];
	int32_t callsite;                      /* insn of the call, -1 for the main frame */
	int32_t subprog;
	int32_t callback_ret;                  /* helper call insn when this frame is a callback, else -1 */
};

#define MAX_REFS 16

struct vstate {
	uint32_t depth;                        /* frames in use - 1 */
	struct frame *fr[UEBPF_MAX_CALL_DEPTH];
	uint32_t n_refs;
	uint32_t refs[MAX_REFS];
	uint32_t ref_insn[MAX_REFS];
	struct saved *parent;                  /* the state stored last on this path */
};

#endif
