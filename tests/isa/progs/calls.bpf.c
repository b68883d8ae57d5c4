/* Helper calls, a map reference (lddw with a relocation), bpf-to-bpf calls and
 * the legacy packet loads. Self-contained: no kernel or libbpf headers. */
typedef unsigned long long u64;
typedef unsigned int u32;

#define SEC(name) __attribute__((section(name), used))

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static long (*bpf_trace_printk)(const char *fmt, u32 fmt_size, ...) = (void *)6;

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

struct {
	int (*type)[2];          /* BPF_MAP_TYPE_ARRAY, as libbpf's __uint() spells it */
	int (*max_entries)[4];
	u32 *key;
	u64 *value;
} counts SEC(".maps");

static __attribute__((noinline)) u64 bump(u32 k, u64 by)
{
	u64 *v = bpf_map_lookup_elem(&counts, &k);
	if (!v)
		return 0;
	*v += by;
	return *v;
}

int calls(void *skb)
{
	u64 proto = load_half(skb, 12);
	u64 ihl = load_byte(skb, 14) & 0xf;
	u64 daddr = load_word(skb, 14 + ihl * 4);

	bump(0, proto);
	bump(1, daddr + bpf_ktime_get_ns());
	bpf_trace_printk("x", 2);
	return (int)bump(2, 1);
}
