# uebpf build. `make` builds the library and the command into build/;
# `make test` rebuilds everything under AddressSanitizer + UBSan in build/asan/
# and runs every test. Sources are found by wildcard: a new .c file in a layer
# folder is part of the library, a new tests/*/test_*.c is a new test binary.

PREFIX ?= /usr/local
CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
CLANG ?= clang
BUILD ?= build
VERSION := 0.1.0

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 $(WARN) -Iinclude -Isrc -D_GNU_SOURCE -g -fPIC \
	-DUEBPF_VERSION='"$(VERSION)"'
OPT_CFLAGS ?= -O2
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

# Layers in DESIGN.md order; tools are the command, not the library.
LAYERS := isa maps helpers progtypes verifier engine object classic attach
LIB_SRCS := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c))
TOOL_SRCS := $(wildcard src/tools/*.c)
TEST_LIB_SRCS := $(wildcard tests/lib/*.c)
TEST_SRCS := $(wildcard tests/*/test_*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
HEADERS := $(wildcard include/uebpf/*.h) $(wildcard src/*/*.h) $(wildcard tests/lib/*.h)

LIB_LDLIBS := -lelf -lbpf -lz -lpthread -ldl
TOOL_LDLIBS := -lpcap $(LIB_LDLIBS)
TEST_LDLIBS := -lcmocka -lbpf -lelf -lz -lcapstone -lpcap $(LIB_LDLIBS)

# --- release build -----------------------------------------------------------
REL := $(BUILD)
REL_CFLAGS := $(BASE_CFLAGS) $(OPT_CFLAGS) $(CFLAGS)
REL_LIB_OBJS := $(LIB_SRCS:%.c=$(REL)/obj/%.o)
REL_TOOL_OBJS := $(TOOL_SRCS:%.c=$(REL)/obj/%.o)

all: $(REL)/libuebpf.a $(REL)/libuebpf.so $(REL)/uebpf examples

$(REL)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -c $< -o $@

$(REL)/libuebpf.a: $(REL_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(REL)/libuebpf.so: $(REL_LIB_OBJS)
	$(CC) -shared -Wl,-soname,libuebpf.so.0 -o $@ $^ $(LIB_LDLIBS)

$(REL)/uebpf: $(REL_TOOL_OBJS) $(REL)/libuebpf.a
	$(CC) -o $@ $(REL_TOOL_OBJS) $(REL)/libuebpf.a $(TOOL_LDLIBS) $(LDFLAGS)

# --- sanitizer build and tests -------------------------------------------------
SAN := $(BUILD)/asan
SAN_CFLAGS := $(BASE_CFLAGS) -O1 $(SAN_FLAGS) $(CFLAGS)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(SAN)/obj/%.o)
SAN_TOOL_OBJS := $(TOOL_SRCS:%.c=$(SAN)/obj/%.o)
SAN_TEST_LIB_OBJS := $(TEST_LIB_SRCS:%.c=$(SAN)/obj/%.o)
SAN_TESTS := $(patsubst tests/%.c,$(SAN)/tests/%,$(TEST_SRCS))

$(SAN)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -Itests/lib -c $< -o $@

$(SAN)/libuebpf.a: $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SAN)/uebpf: $(SAN_TOOL_OBJS) $(SAN)/libuebpf.a
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_TOOL_OBJS) $(SAN)/libuebpf.a $(TOOL_LDLIBS)

$(SAN)/tests/%: $(SAN)/obj/tests/%.o $(SAN_TEST_LIB_OBJS) $(SAN)/libuebpf.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $< $(SAN_TEST_LIB_OBJS) $(SAN)/libuebpf.a $(TEST_LDLIBS)

test-build: $(SAN)/uebpf $(SAN_TESTS) examples fuzz-build

test: test-build
	UEBPF_BUILD=$(SAN) UEBPF_FUZZ=$(FUZZ) SHARED=$(abspath ../shared) bash tests/run.sh

# --- fuzzing (libFuzzer; a short run is part of `make test`) -------------------
FUZZ := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=gnu11 -Iinclude -Isrc -Itests/lib -D_GNU_SOURCE -g -O1 \
	-fsanitize=fuzzer-no-link,address,undefined -DUEBPF_VERSION='"$(VERSION)"'
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ)/obj/%.o) $(TEST_LIB_SRCS:%.c=$(FUZZ)/obj/%.o)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(FUZZ_SRCS))

$(FUZZ)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ)/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJS) $(LIB_LDLIBS) -lbpf -lelf -lz

fuzz-build: $(FUZZ_BINS)

FUZZ_SECONDS ?= 300
fuzz: fuzz-build $(SAN_TESTS)
	UEBPF_BUILD=$(SAN) UEBPF_FUZZ=$(FUZZ) FUZZ_SECONDS=$(FUZZ_SECONDS) SHARED=$(abspath ../shared) bash tests/fuzz/run-long.sh

# --- examples, demo, benchmarks --------------------------------------------------
examples:

-include examples/examples.mk
-include bench/bench.mk
-include bench/classic/classic.mk
-include bench/maps/maps.mk
-include bench/verifier/verifier.mk

demo: all
	bash examples/demo.sh $(REL)/uebpf

# --- install ----------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/include/uebpf $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(REL)/libuebpf.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(REL)/libuebpf.so $(DESTDIR)$(PREFIX)/lib/libuebpf.so.0
	ln -sf libuebpf.so.0 $(DESTDIR)$(PREFIX)/lib/libuebpf.so
	install -m 644 include/uebpf/*.h $(DESTDIR)$(PREFIX)/include/uebpf/
	install -m 755 $(REL)/uebpf $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' uebpf.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/uebpf.pc

# --- dependencies ----------------------------------------------------------------
# Every Debian package the build, tests, fuzzing and benchmarks use.
DEB_PACKAGES := gcc make clang llvm lld pkg-config libelf-dev zlib1g-dev libbpf-dev \
	libcmocka-dev libcapstone-dev libpcap-dev libdw-dev libdpdk-dev libclang-rt-14-dev \
	tcpdump bpftrace gcc-bpf python3

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -z "$$missing" ]; then echo "deps: all $(words $(DEB_PACKAGES)) packages present"; \
	else echo "deps: installing$$missing" | tr '\n' ' '; echo; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; fi

clean:
	rm -rf $(BUILD)

.SECONDARY:

.PHONY: all test test-build fuzz fuzz-build examples demo bench install deps clean
