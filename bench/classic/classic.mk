# `make bench-classic`: classic filters with the packets in memory on
# uebpf's JIT and interpreters, libpcap's bpf_filter, DPDK's
# rte_bpf_convert + JIT and the kernel's JIT; then `uebpf filter` against
# tcpdump end to end on a generated 1,000,000-packet capture.
# Included from the top Makefile (after REL and LIB_LDLIBS are set).

CLASSIC_BENCH_DIR := $(REL)/bench/classic
CLASSIC_BENCH_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -D_GNU_SOURCE
CLASSIC_BENCH_OBJS := $(CLASSIC_BENCH_DIR)/main.o $(CLASSIC_BENCH_DIR)/kernel.o $(CLASSIC_BENCH_DIR)/dpdk.o \
	$(CLASSIC_BENCH_DIR)/native_filters.o

$(CLASSIC_BENCH_DIR)/%.o: bench/classic/%.c bench/classic/bench_classic.h bench/classic/exprs.h include/uebpf/classic.h
	@mkdir -p $(dir $@)
	$(CC) $(CLASSIC_BENCH_CFLAGS) -c $< -o $@

# DPDK's flags only where DPDK is included: its bpf_def.h clashes with <linux/bpf.h>
$(CLASSIC_BENCH_DIR)/dpdk.o: bench/classic/dpdk.c bench/classic/bench_classic.h
	@mkdir -p $(dir $@)
	$(CC) $(CLASSIC_BENCH_CFLAGS) -DALLOW_EXPERIMENTAL_API $(shell pkg-config --cflags libdpdk) -c $< -o $@

# the benchmark's filters as C (the ceiling for compiled code), generated from libpcap's programs
$(CLASSIC_BENCH_DIR)/gen-native: bench/classic/gen_native.c bench/classic/exprs.h
	@mkdir -p $(dir $@)
	$(CC) $(CLASSIC_BENCH_CFLAGS) -o $@ $< -lpcap

$(CLASSIC_BENCH_DIR)/native_filters.c: $(CLASSIC_BENCH_DIR)/gen-native
	$< > $@.tmp && mv $@.tmp $@

$(CLASSIC_BENCH_DIR)/native_filters.o: $(CLASSIC_BENCH_DIR)/native_filters.c bench/classic/bench_classic.h
	$(CC) $(CLASSIC_BENCH_CFLAGS) -Ibench/classic -c $< -o $@

$(CLASSIC_BENCH_DIR)/classic-bench: $(CLASSIC_BENCH_OBJS) $(REL)/libuebpf.a
	$(CC) -o $@ $(CLASSIC_BENCH_OBJS) $(REL)/libuebpf.a -lpcap -lbpf -lelf -lz \
		$(shell pkg-config --libs libdpdk) $(LIB_LDLIBS)

bench-classic: $(CLASSIC_BENCH_DIR)/classic-bench $(REL)/uebpf
	$(CLASSIC_BENCH_DIR)/classic-bench tests/data/mixed.pcap
	bash bench/classic/e2e.sh $(REL)/uebpf $(CLASSIC_BENCH_DIR)/big.pcap

.PHONY: bench-classic
