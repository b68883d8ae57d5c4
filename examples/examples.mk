# Example BPF programs written in C against libbpf's headers, built with
# clang into BPF objects (with BTF, as libbpf users build them) that
# `uebpf run OBJECT.o` loads. The three plain-function ones (EXAMPLE_RAW) are
# also cut into raw instructions: the one function in .text is the entry
# point, with r1 = memory and r2 = its length.
# Included by the top Makefile; examples/*.s need no build.

LLVM_OBJCOPY ?= llvm-objcopy
LLVM_READELF ?= llvm-readelf
EXAMPLES_OUT := $(BUILD)/examples
EXAMPLE_C_SRCS := $(wildcard examples/*.bpf.c)
EXAMPLE_OBJS := $(patsubst examples/%.bpf.c,$(EXAMPLES_OUT)/%.bpf.o,$(EXAMPLE_C_SRCS))
EXAMPLE_RAW := fnv1a popcount tcp_parse
EXAMPLE_BINS := $(EXAMPLE_RAW:%=$(EXAMPLES_OUT)/%.bin)
EXAMPLE_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 \
	-I/usr/include/$(shell gcc -print-multiarch) -Wall -Werror

$(EXAMPLES_OUT)/%.bpf.o: examples/%.bpf.c
	@mkdir -p $(dir $@)
	$(CLANG) $(EXAMPLE_CFLAGS) -c $< -o $@

# Raw .text is only right when nothing in it needs relocating (no calls to
# other sections, no maps, no global data): refuse the build otherwise.
$(EXAMPLES_OUT)/%.bin: $(EXAMPLES_OUT)/%.bpf.o
	@if $(LLVM_READELF) -S $< | grep -q '\.rel\.text'; then \
		echo "$<: .text needs relocations; raw instructions would be wrong" >&2; exit 1; fi
	$(LLVM_OBJCOPY) -O binary --only-section=.text $< $@.tmp && mv $@.tmp $@

# The objects are kept: tests compare our disassembly with llvm-objdump's.
examples: $(EXAMPLE_OBJS) $(EXAMPLE_BINS)

# Built by Debian's gcc-bpf (gcc 12), against gcc's own bpf-helpers.h: the
# loader takes what gcc emits too.
BPF_GCC ?= bpf-gcc
EXAMPLE_GCC_SRCS := $(wildcard examples/*.gcc.c)
EXAMPLE_GCC_OBJS := $(patsubst examples/%.gcc.c,$(EXAMPLES_OUT)/%.bpf.o,$(EXAMPLE_GCC_SRCS))

$(EXAMPLES_OUT)/%.bpf.o: examples/%.gcc.c
	@mkdir -p $(dir $@)
	$(BPF_GCC) -O2 -Wall -Werror -c $< -o $@

examples: $(EXAMPLE_GCC_OBJS)
