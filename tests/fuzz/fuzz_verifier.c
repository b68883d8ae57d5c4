/* libFuzzer: arbitrary instruction streams into the verifier. The first
 * byte picks the program type (bits 0-2), the log level (bits 3-4: 0, 1, 2;
 * the small log buffer is truncated often) and the unprivileged (bit 6) and
 * strict-alignment (bit 7) rules; the rest is up to 4096 instructions,
 * with three maps to refer to. It must never crash, leak or run away,
 * whatever the verdict. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/verifier.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum bpf_prog_type types[] = { BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP,
						    BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_KPROBE,
						    BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT };
	static const struct uebpf_verifier_map maps[] = {
		{ BPF_MAP_TYPE_HASH, 4, 8, 16, 0, NULL, NULL },
		{ BPF_MAP_TYPE_ARRAY, 4, 16, 1, 0, NULL, NULL },
		{ BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, NULL, NULL },
	};
	if (size < 1 + sizeof(struct bpf_insn))
		return 0;
	size_t n = (size - 1) / sizeof(struct bpf_insn);
	if (n > 4096)
		n = 4096;
	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	if (!insns)
		return 0;
	memcpy(insns, data + 1, n * sizeof(*insns));
	struct uebpf_verify_opts o = { .sz = sizeof(o), .prog_type = types[(data[0] & 7) % 6],
					.log_level = ((data[0] >> 3) & 3) % 3, .unpriv = data[0] & 0x40,
					.strict_alignment = data[0] & 0x80, .gpl = true, .maps = maps, .n_maps = 3 };
	static char log[4096];
	struct uebpf_verify_result res;
	if (!uebpf_verify(insns, n, &o, &res, log, sizeof(log)))
		uebpf_verify_result_free(&res);
	free(insns);
	return 0;
}
