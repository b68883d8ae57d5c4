/* Which helpers each family of program types may call, as the kernel's
 * *_func_proto functions decide (priv: CAP_BPF and CAP_PERFMON). */
#ifndef UEBPF_PROGTYPES_FUNCS_H
#define UEBPF_PROGTYPES_FUNCS_H

#include <stdbool.h>
#include <stdint.h>

#include "helpers/proto.h"

const struct uebpf_helper_proto *uebpf_base_func_proto(uint32_t id, bool priv);
const struct uebpf_helper_proto *uebpf_tracing_func_proto(uint32_t id, bool priv);

#endif
