/* Classic-layer internals shared by the checker, the interpreter, the
 * translation and the helpers the translation calls. */
#ifndef UEBPF_CLASSIC_INTERNAL_H
#define UEBPF_CLASSIC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <uebpf/classic.h>

/* Helper ids of translated programs (uebpf_classic_helpers_register). */
enum {
	CLASSIC_HELPER_LOAD = UEBPF_CLASSIC_HELPER_FIRST, /* (pkt, offset, size): the slow packet load */
	CLASSIC_HELPER_PAY_OFFSET,                        /* (pkt, A, X) for each of these */
	CLASSIC_HELPER_NLATTR,
	CLASSIC_HELPER_NLATTR_NEST,
	CLASSIC_HELPER_CPU,
	CLASSIC_HELPER_RANDOM,
};
_Static_assert(CLASSIC_HELPER_RANDOM == UEBPF_CLASSIC_HELPER_LAST, "helper ids");

#include "isa/log.h"

/* Is k (of an ld ABS) a known ancillary offset? */
bool classic_is_ancillary(uint32_t k);

/* The opcodes both Linux and libpcap's interpreter implement. */
bool classic_code_allowed(uint16_t code);

/* Load size bytes (1, 2, 4) big-endian at offset off: 0..2^31-1 from the
 * start of the data, negative (as a 32-bit int) relative to the network
 * header (SKF_NET_OFF) or the link-layer header (SKF_LL_OFF). Offsets of
 * 2^32 or more, and bytes outside the capture, fail. */
bool classic_load(const struct uebpf_classic_pkt *pkt, uint64_t off, uint32_t size, uint32_t *val);

/* The ancillary value at SKF_AD_OFF + ad (a known offset other than
 * ALU_XOR_X), given the current A and X. */
uint32_t classic_ancillary(const struct uebpf_classic_pkt *pkt, uint32_t ad, uint32_t a, uint32_t x);

/* The cBPF interpreter; the program has passed uebpf_classic_check_loose,
 * and uebpf_classic_check too if kernel_checked. */
uint32_t classic_interp(const struct sock_filter *insns, enum uebpf_classic_semantics sem, bool kernel_checked,
			const struct uebpf_classic_pkt *pkt);

#endif
