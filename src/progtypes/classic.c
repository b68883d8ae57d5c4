/* The program type of classic filters translated to eBPF. The context is
 * the struct uebpf_classic_pkt the filter runs on, read in place: data and
 * data_end are the packet pointers the verifier tracks, every other field a
 * read-only scalar loaded whole. The helpers are the classic ones (ids
 * UEBPF_CLASSIC_HELPER_FIRST..LAST, implemented in src/classic/), each
 * taking (ctx, scalar, scalar) and returning a scalar. */
#include <errno.h>
#include <stddef.h>

#include <uebpf/classic.h>

#include "progtypes/progtype.h"

#define FIELD(f, k) { offsetof(struct uebpf_classic_pkt, f), sizeof(((struct uebpf_classic_pkt *)0)->f), k }

static const struct {
	uint16_t off, size;
	enum uebpf_ctx_field kind;
} fields[] = {
	FIELD(data, UEBPF_CTX_PKT),  FIELD(data_end, UEBPF_CTX_PKT_END), FIELD(caplen, UEBPF_CTX_SCALAR),
	FIELD(wirelen, UEBPF_CTX_SCALAR), FIELD(net_off, UEBPF_CTX_SCALAR), FIELD(ifindex, UEBPF_CTX_SCALAR),
	FIELD(mark, UEBPF_CTX_SCALAR), FIELD(rxhash, UEBPF_CTX_SCALAR), FIELD(protocol, UEBPF_CTX_SCALAR),
	FIELD(hatype, UEBPF_CTX_SCALAR), FIELD(queue, UEBPF_CTX_SCALAR), FIELD(vlan_tci, UEBPF_CTX_SCALAR),
	FIELD(vlan_tpid, UEBPF_CTX_SCALAR), FIELD(pkttype, UEBPF_CTX_SCALAR),
	FIELD(vlan_present, UEBPF_CTX_SCALAR),
};

static int classic_access(int off, int size, bool write, bool priv, enum uebpf_ctx_field *kind)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].off == off && fields[i].size == size && !write) {
			*kind = fields[i].kind;
			return 0;
		}
	}
	return -EACCES;
}

#define PROTO(id_, name_) \
	{ .id = (id_), .name = (name_), .ret = UEBPF_RET_INTEGER, \
	  .arg = { UEBPF_ARG_PTR_TO_CTX, UEBPF_ARG_SCALAR, UEBPF_ARG_SCALAR } }

static const struct uebpf_helper_proto protos[] = {
	PROTO(UEBPF_CLASSIC_HELPER_FIRST + 0, "classic_load"),
	PROTO(UEBPF_CLASSIC_HELPER_FIRST + 1, "classic_pay_offset"),
	PROTO(UEBPF_CLASSIC_HELPER_FIRST + 2, "classic_nlattr"),
	PROTO(UEBPF_CLASSIC_HELPER_FIRST + 3, "classic_nlattr_nest"),
	PROTO(UEBPF_CLASSIC_HELPER_FIRST + 4, "classic_cpu"),
	PROTO(UEBPF_CLASSIC_HELPER_FIRST + 5, "classic_random"),
};
_Static_assert(sizeof(protos) / sizeof(protos[0]) == UEBPF_CLASSIC_HELPER_LAST - UEBPF_CLASSIC_HELPER_FIRST + 1,
	       "one prototype per classic helper");

static const struct uebpf_helper_proto *classic_proto(uint32_t id, bool priv)
{
	if (id < UEBPF_CLASSIC_HELPER_FIRST || id > UEBPF_CLASSIC_HELPER_LAST)
		return NULL;
	return &protos[id - UEBPF_CLASSIC_HELPER_FIRST];
}

const struct uebpf_progtype uebpf_progtype_classic = {
	.type = UEBPF_PROG_TYPE_CLASSIC,
	.name = "classic",
	.ctx_size = sizeof(struct uebpf_classic_pkt),
	.is_valid_access = classic_access,
	.func_proto = classic_proto,
	.pkt_access = true,
};
