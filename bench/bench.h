/* Shared by every benchmark program. One source file per program is built
 * four ways:
 *   clang -target bpf                      loop form: r1 = mem, r2 = len
 *   clang -target bpf -DBENCH_UNROLLED     every loop fully unrolled, the
 *                                          length a constant (librte_bpf
 *                                          refuses back-edges and never sets r2)
 *   clang -target bpf -DBENCH_KERNEL       loop form called from an XDP
 *                                          wrapper (bench/xdp_wrap.bpf.c)
 *   gcc -O2                                the native reference
 * A program defines BENCH_NAME and BENCH_LEN (the buffer length it is run
 * with), includes this file, and defines its entry with BENCH_ENTRY. The
 * entry must be the first function in the file so that it starts .text;
 * helper functions are declared before it and defined after it.
 */
#ifndef UEBPF_BENCH_H
#define UEBPF_BENCH_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define BENCH_CAT_(a, b) a##b
#define BENCH_CAT(a, b) BENCH_CAT_(a, b)

#define NOINLINE __attribute__((noinline))

#ifdef BENCH_UNROLLED
#define UNROLL _Pragma("unroll")
/* Makes v an opaque register value at this point and orders memory: keeps
 * an unrolled iteration's work inside that iteration. Without it clang
 * spreads work across hundreds of iterations and overflows the 512-byte
 * stack with spills. It emits no instruction. */
#define ITER_KEEP(v) asm volatile("" : "+r"(v) : : "memory")
/* The unrolled form never reads r2: the length is the constant. */
#define BENCH_FIX_LEN(len) ((len) = BENCH_LEN)
#else
#define UNROLL
#define ITER_KEEP(v) ((void)0)
#define BENCH_FIX_LEN(len) ((void)0)
#endif

/* p + off, as "pointer += scalar": librte_bpf's validator refuses the
 * "scalar += pointer" form that clang may choose for p + off. */
#ifdef __bpf__
#define PTR_ADD(p, off)                                                        \
	({                                                                     \
		__typeof__(p) ptr_add_ = (p);                                  \
		asm("%0 += %1" : "+r"(ptr_add_) : "r"((u64)(off)));            \
		ptr_add_;                                                      \
	})
#else
#define PTR_ADD(p, off) ((p) + (off))
#endif

#if defined(__bpf__) && defined(BENCH_KERNEL)
/* Static so the kernel verifies it in the caller's context (a map value
 * pointer and a bounded length); the wrapper passes run-time values, so no
 * constant reaches the body and clang emits the same code as for the entry. */
#define BENCH_ENTRY static NOINLINE u64 BENCH_NAME
#elif defined(__bpf__)
#define BENCH_ENTRY NOINLINE u64 BENCH_NAME
#else
/* Native: the harness finds native_<name> and its length native_len_<name>. */
const u64 BENCH_CAT(native_len_, BENCH_NAME) = BENCH_LEN;
#define BENCH_ENTRY u64 BENCH_CAT(native_, BENCH_NAME)
#endif

#endif
