#!/usr/bin/env bash
# make demo: run every bundled example on each engine, print expected and
# actual results, show the disassembly of one, and exit non-zero if any
# result is wrong or any engine fails.
#   usage: demo.sh PATH/TO/uebpf
#   env:   DEMO_ENGINES (default "interp jit"), DEMO_REPEAT (runs timed, 1000),
#          UEBPF_EXAMPLES (where `make` put the clang-built *.bin)
set -u
uebpf=${1:?usage: demo.sh PATH/TO/uebpf}
src=$(cd "$(dirname "$0")" && pwd)
engines=${DEMO_ENGINES:-interp jit}
repeat=${DEMO_REPEAT:-1000}

# The C examples are built into $(BUILD)/examples; the command may be
# $(BUILD)/uebpf or $(BUILD)/asan/uebpf.
built=${UEBPF_EXAMPLES:-}
if [ -z "$built" ]; then
	for d in "$(dirname "$uebpf")/examples" "$(dirname "$uebpf")/../examples"; do
		[ -f "$d/fnv1a.bin" ] && built=$d && break
	done
fi
if [ -z "$built" ] || [ ! -f "$built/fnv1a.bin" ]; then
	echo "demo: the clang-built examples are missing (run make first)" >&2
	exit 1
fi

packet=$(cat "$src/tcp_syn.hex")
short=$(echo $packet | cut -d' ' -f1-30) # the same frame cut after 30 bytes

# program | memory | expected r0 | what it shows
examples=(
	"$src/tcp_parse.s|packet|0x201bb|IPv4/TCP parser: flags 0x02 (SYN) << 16 | port 443"
	"$src/tcp_parse.s|short|0x0|the parser refuses a frame cut short"
	"$built/tcp_parse.bin|packet|0x201bb|the same parser in C, built by clang"
	"$src/checksum.s|packet|0x26ed|IPv4 header checksum = the header's field"
	"$src/sieve.s|none|0x61|primes below 512, sieved on the stack"
	"$src/calls.s|none|0x540|sum of lcm(i, 12), i = 1..20, via bpf-to-bpf calls"
	"$built/fnv1a.bin|packet|0xc4ab47265f75d71a|FNV-1a hash of the packet (C)"
	"$built/popcount.bin|packet|0x7c|bits set in the packet (C)"
)

echo "uebpf demo: $(${uebpf} --version)"
echo "memory 'packet': examples/tcp_syn.hex, a 70-byte Ethernet/IPv4/TCP SYN to port 443"
echo
printf '%-16s %-7s %-7s %-19s %-19s %-6s %s\n' example memory engine expected actual result ns/run
errf=$(mktemp)
trap 'rm -f "$errf"' EXIT
wrong=0 total=0
for e in "${examples[@]}"; do
	IFS='|' read -r prog mem want what <<<"$e"
	case $mem in
	packet) memarg=(--mem-hex "$packet") ;;
	short) memarg=(--mem-hex "$short") ;;
	*) memarg=() ;;
	esac
	for engine in $engines; do
		total=$((total + 1))
		out=$("$uebpf" run --engine "$engine" "${memarg[@]}" --repeat "$repeat" "$prog" 2>"$errf")
		rc=$?
		got=$(tail -n 1 <<<"$out")
		ns=$(sed -n 's/^mean \(.*\) ns\/run$/\1/p' "$errf")
		if [ $rc -ne 0 ] || [ "$got" != "$want" ]; then
			verdict=WRONG
			wrong=$((wrong + 1))
			[ $rc -ne 0 ] && got="error (exit $rc)"
		else
			verdict=ok
		fi
		printf '%-16s %-7s %-7s %-19s %-19s %-6s %s\n' "$(basename "$prog")" "$mem" "$engine" \
			"$want" "$got" "$verdict" "${ns:--}"
		[ $rc -ne 0 ] && sed 's/^/    /' "$errf"
	done
	echo "    ($what)"
done

echo
echo "uebpf disasm --style=llvm tcp_parse.bin (clang's code, printed as llvm-objdump -d does):"
total=$((total + 1))
"$uebpf" disasm --style=llvm "$built/tcp_parse.bin" || wrong=$((wrong + 1))
if [[ " $engines " == *" jit "* ]]; then
	echo
	echo "uebpf disasm --jited checksum.s (each BPF instruction, then the x86-64 code it became):"
	total=$((total + 1))
	"$uebpf" disasm --jited "$src/checksum.s" || wrong=$((wrong + 1))
fi

# BPF objects as clang builds them: maps, global data, calls, tail calls
objects=(
	"calls_globals.bpf.o|--ctx /dev/null|retval 10872|bpf-to-bpf calls and .rodata/.data/.bss globals, with bpf_printk"
	"xdp_parse.bpf.o|--data-hex=packet|retval 2 (XDP_PASS)|XDP parser with bounds checks on the TCP SYN: XDP_PASS"
	"tailcall.bpf.o|--prog dispatch --data-hex=packet|retval 2 (XDP_PASS)|tail call through a prog_array to the IPv4 handler"
)
for o in "${objects[@]}"; do
	IFS='|' read -r obj args want what <<<"$o"
	[ -f "$built/$obj" ] || continue
	for engine in $engines; do
		total=$((total + 1))
		a=(${args//--data-hex=packet/--data-hex=PKT})
		a=("${a[@]/--data-hex=PKT/--data-hex=$packet}")
		out=$("$uebpf" run -e "$engine" "$built/$obj" "${a[@]}" 2>&1)
		if grep -q "^run 1: $want" <<<"$out"; then verdict=ok; else verdict=WRONG; wrong=$((wrong + 1)); fi
		printf '%-22s %-7s %-26s %s\n' "$obj" "$engine" "$want" "$verdict"
		[ $verdict = ok ] || sed 's/^/    /' <<<"$out"
	done
	echo "    ($what)"
done
if [ -f "$built/sockfilter_count.bpf.o" ] && [ -f "$src/../tests/data/mixed.pcap" ]; then
	echo
	echo "uebpf run sockfilter_count.bpf.o --pcap tests/data/mixed.pcap --dump-maps (TCP, UDP, ICMP, other):"
	total=$((total + 1))
	"$uebpf" run "$built/sockfilter_count.bpf.o" --pcap "$src/../tests/data/mixed.pcap" -q -m || wrong=$((wrong + 1))
	echo
	echo "uebpf verify on a program that forgets the NULL check (the kernel's message):"
	total=$((total + 1))
	printf 'stw [%%r10-4], 0\nlddw %%r1, map:0\nmov %%r2, %%r10\nadd %%r2, -4\ncall 1\nldxdw %%r0, [%%r0+0]\nexit\n' \
		| "$uebpf" verify --map hash:4:8:16 - | grep -q "R0 invalid mem access 'map_value_or_null'" \
		&& echo "    R0 invalid mem access 'map_value_or_null'   (rejected, as the kernel does)" || wrong=$((wrong + 1))
fi

echo
if [ $wrong -ne 0 ]; then
	echo "demo: FAILED: $wrong of $total checks wrong"
	exit 1
fi
echo "demo: all $total results as expected"
