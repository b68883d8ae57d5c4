# `make bench` (maps part): bench/maps/main.c, map operations and helper
# calls against the kernel's. Rerun alone: $(BUILD)/bench/maps-bench
$(REL)/bench/maps-bench: bench/maps/main.c bench/timing.h $(REL)/libuebpf.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -o $@ $< $(REL)/libuebpf.a -lbpf -lelf -lz -lm $(LIB_LDLIBS)

bench-maps: $(REL)/bench/maps-bench
	$(REL)/bench/maps-bench

.PHONY: bench-maps
