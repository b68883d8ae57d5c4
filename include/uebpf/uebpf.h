/* uebpf: eBPF in user space. The one header an embedder includes. */
#ifndef UEBPF_UEBPF_H
#define UEBPF_UEBPF_H

#include <uebpf/isa.h>
#include <uebpf/engine.h>

#endif
