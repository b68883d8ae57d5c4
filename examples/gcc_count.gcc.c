/* The socket filter of sockfilter_count.bpf.c, IPv4 only, written for
 * Debian's gcc-bpf (gcc 12): gcc's own bpf-helpers.h (helpers by number,
 * LD_ABS builtins) and a legacy "maps" section, since gcc 12 compiles
 * neither libbpf's helper declarations nor BTF-defined maps (and its
 * LD_ABS builtins do not put the context in r6, which the kernel requires:
 * the bytes come from bpf_skb_load_bytes). With global data and a
 * bpf-to-bpf call, to load what gcc emits for them.
 * Counts IPv4 TCP, UDP, ICMP and other packets in slots 0-3. */
#include <bpf-helpers.h>

struct __sk_buff;

struct bpf_map_def SEC("maps") counts = {
	.type = 2, /* BPF_MAP_TYPE_ARRAY */
	.key_size = sizeof(unsigned int),
	.value_size = sizeof(unsigned long long),
	.max_entries = 4,
};

/* IP protocol numbers and their slots, in .data; packets seen, in .bss */
unsigned int protos[3] = { 6, 17, 1 };
unsigned long long seen;

static __attribute__((noinline)) unsigned int slot_of(unsigned int proto)
{
	for (unsigned int i = 0; i < 3; i++)
		if (protos[i] == proto)
			return i;
	return 3;
}

SEC("socket")
int gcc_count(struct __sk_buff *skb)
{
	unsigned char eth_type[2], proto;
	seen++;
	if (bpf_skb_load_bytes(skb, 12, eth_type, 2) || eth_type[0] != 0x08 || eth_type[1] != 0x00 ||
	    bpf_skb_load_bytes(skb, 23, &proto, 1))
		return 0;
	unsigned int k = slot_of(proto);
	unsigned long long *v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
