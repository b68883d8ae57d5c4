# `make bench` (verifier part): bench/verifier/main.c, verification time of
# large generated programs, uebpf's verifier against the kernel's.
# Rerun alone: $(BUILD)/bench/verifier-bench
$(REL)/bench/verifier-bench: bench/verifier/main.c bench/timing.h $(REL)/libuebpf.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -o $@ $< $(REL)/libuebpf.a -lbpf -lelf -lz -lm $(LIB_LDLIBS)

bench-verifier: $(REL)/bench/verifier-bench
	$(REL)/bench/verifier-bench

.PHONY: bench-verifier
