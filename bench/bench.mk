# `make bench`: the benchmark programs in bench/*.bpf.c on every engine (uebpf
# interpreter and JIT, librte_bpf's interpreter and JIT, the kernel's JIT via
# BPF_PROG_TEST_RUN, native gcc -O2). See docs/benchmarks.md.
# Rerun one program quickly: $(BUILD)/bench/bench --filter fnv

BENCH_DIR := $(REL)/bench
BENCH_PROGS := $(filter-out bench/xdp_wrap.bpf.c,$(wildcard bench/*.bpf.c))
BENCH_NAMES := $(BENCH_PROGS:bench/%.bpf.c=%)
BENCH_HARNESS := $(filter-out %.bpf.c,$(wildcard bench/*.c))
BENCH_HARNESS_OBJS := $(BENCH_HARNESS:bench/%.c=$(BENCH_DIR)/obj/%.o)
BENCH_NATIVE_OBJS := $(BENCH_NAMES:%=$(BENCH_DIR)/%.native.o)
BENCH_BPF_OBJS := $(foreach f,loop unrolled kern,$(BENCH_NAMES:%=$(BENCH_DIR)/%.$(f).o)) \
	$(BENCH_DIR)/empty.kern.o
BENCH_NOTES := $(BENCH_NAMES:%=$(BENCH_DIR)/%.native.notes)

# The loop form uses cpu v3 (JMP32, ALU32) as current kernels do; librte_bpf
# (DPDK 22.11) knows no JMP32, so the unrolled form is cpu v2.
BENCH_BPF := $(CLANG) -O2 -target bpf -Wall -Werror -Ibench
# <linux/bpf.h> wants <asm/types.h>, which lives under the multiarch dir.
BENCH_KERN_INC := -I/usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)
BENCH_NATIVE_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Ibench
BENCH_DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
BENCH_LDLIBS := -lbpf -lelf -lz -lrte_bpf -lrte_eal -lm $(LIB_LDLIBS)

$(BENCH_DIR)/%.loop.o: bench/%.bpf.c bench/bench.h
	@mkdir -p $(dir $@)
	$(BENCH_BPF) -mcpu=v3 -c $< -o $@

$(BENCH_DIR)/%.unrolled.o: bench/%.bpf.c bench/bench.h
	@mkdir -p $(dir $@)
	$(BENCH_BPF) -mcpu=v2 -DBENCH_UNROLLED -c $< -o $@

# -g: libbpf wants BTF for the map.
$(BENCH_DIR)/%.kern.o: bench/%.bpf.c bench/xdp_wrap.bpf.c bench/bench.h
	@mkdir -p $(dir $@)
	$(BENCH_BPF) $(BENCH_KERN_INC) -mcpu=v3 -g -DBENCH_KERNEL -include $< -c bench/xdp_wrap.bpf.c -o $@

$(BENCH_DIR)/empty.kern.o: bench/xdp_wrap.bpf.c bench/bench.h
	@mkdir -p $(dir $@)
	$(BENCH_BPF) $(BENCH_KERN_INC) -mcpu=v3 -g -DBENCH_KERNEL -c $< -o $@

# gcc says which loops it vectorised; the notes file tells the harness that,
# and which library functions (memcpy...) gcc replaced a loop with.
$(BENCH_DIR)/%.native.o: bench/%.bpf.c bench/bench.h
	@mkdir -p $(dir $@)
	rm -f $(BENCH_DIR)/$*.vec.txt
	$(CC) $(BENCH_NATIVE_CFLAGS) -fopt-info-vec-optimized=$(BENCH_DIR)/$*.vec.txt -c $< -o $@

$(BENCH_DIR)/%.native.notes: $(BENCH_DIR)/%.native.o
	@{ vec=$$(sed -n 's/.*optimized: //p' $(BENCH_DIR)/$*.vec.txt 2>/dev/null | sort -u | tr '\n' ' '); \
	  calls=$$(nm -u $< | awk '{print $$2}' | tr '\n' ' '); \
	  n=""; [ -n "$$vec" ] && n="gcc vectorised ($${vec% })"; \
	  [ -n "$$calls" ] && n="$$n$${n:+; }gcc calls $${calls% }"; \
	  echo "$${n:-not vectorised, no library calls}"; } > $@

# The program list, rewritten only when it changes.
$(BENCH_DIR)/programs.h: FORCE
	@mkdir -p $(dir $@)
	@printf 'BENCH_PROG(%s)\n' $(BENCH_NAMES) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BENCH_DIR)/obj/%.o: bench/%.c bench/harness.h $(BENCH_DIR)/programs.h $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -Ibench -I$(BENCH_DIR) -c $< -o $@

$(BENCH_DIR)/obj/dpdk.o: bench/dpdk.c bench/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) $(BENCH_DPDK_CFLAGS) -Ibench -c $< -o $@

$(BENCH_DIR)/bench: $(BENCH_HARNESS_OBJS) $(BENCH_NATIVE_OBJS) $(REL)/libuebpf.a
	$(CC) -o $@ $(BENCH_HARNESS_OBJS) $(BENCH_NATIVE_OBJS) $(REL)/libuebpf.a $(BENCH_LDLIBS) $(LDFLAGS)

bench-build: $(BENCH_DIR)/bench $(BENCH_BPF_OBJS) $(BENCH_NOTES)

# every part; the JIT comparison last, so the last line is its summary
bench: bench-build $(REL)/bench/maps-bench $(REL)/bench/verifier-bench $(REL)/bench/classic/classic-bench $(REL)/uebpf
	$(REL)/bench/classic/classic-bench tests/data/mixed.pcap
	bash bench/classic/e2e.sh $(REL)/uebpf $(REL)/bench/classic/big.pcap
	$(REL)/bench/maps-bench
	$(REL)/bench/verifier-bench
	$(BENCH_DIR)/bench $(BENCH_ARGS)

FORCE:

.PHONY: bench-build FORCE
