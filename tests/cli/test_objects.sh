#!/usr/bin/env bash
# uebpf run / prog list / verify / map on the example objects (clang-built,
# with BTF maps, global data, bpf-to-bpf calls, tail calls, a ring buffer),
# each with its expected output, on the interpreter and the JIT; counts
# over a pcap are checked against tcpdump's; malformed objects and bad
# arguments give one-line errors and the right exit codes.
set -u
cd "$(dirname "$0")/../.."
B=${UEBPF_BUILD:-build/asan}
UEBPF=$B/uebpf
EX=${UEBPF_EXAMPLES:-build/examples}
[ -x "$UEBPF" ] || { echo "no $UEBPF: build it first"; exit 1; }
[ -f "$EX/xdp_parse.bpf.o" ] || { echo "no $EX/xdp_parse.bpf.o: run make first"; exit 1; }
T=$(mktemp -d)
PIN=uebpf-test-$$-
trap 'rm -rf "$T"; rm -f /dev/shm/uebpf.$PIN*' EXIT
fail=0
check() { # name, condition command...
	local name=$1; shift
	if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
json() { # file, python expression over d (the parsed JSON)
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"
}

for e in interp jit; do
	# bpf-to-bpf calls and .rodata/.data/.bss
	"$UEBPF" run -e $e "$EX/calls_globals.bpf.o" --ctx /dev/null -m --json > "$T/g.json" || fail=1
	check "calls_globals ($e): retval, trace, globals" json "$T/g.json" \
		'd["runs"][0]["retval"] == 10872 and d["runs"][0]["trace"] == ["sum 10872 calls 15"] and
		 [m for m in d["maps"] if m["name"].endswith(".bss")][0]["entries"][0]["value"][:2] == ["0x78", "0x2a"] and
		 [m for m in d["maps"] if m["name"].endswith(".data")][0]["entries"][0]["value"][0] == "0x0f"'

	# XDP parser on a TCP SYN: XDP_PASS and the TCP counter, summed over CPUs
	"$UEBPF" run -e $e "$EX/xdp_parse.bpf.o" --data-hex "$(cat examples/tcp_syn.hex)" -m --json > "$T/x.json" || fail=1
	check "xdp_parse ($e): XDP_PASS, one TCP packet counted" json "$T/x.json" \
		'd["runs"][0]["retval"] == 2 and len(d["runs"][0]["data_out"]) == 140 and
		 sum(int(b, 16) for b in d["maps"][0]["entries"][0]["value"]) == 1 and
		 sum(int(b, 16) for e in d["maps"][0]["entries"][1:] for b in e["value"]) == 0'
	# cut after the IP header: the TCP bounds check fails, XDP_DROP, malformed
	"$UEBPF" run -e $e "$EX/xdp_parse.bpf.o" --data-hex "$(tr -s ' \n' ' ' < examples/tcp_syn.hex | cut -d' ' -f1-40)" -m --json > "$T/x2.json" || fail=1
	check "xdp_parse ($e): a short frame is dropped as malformed" json "$T/x2.json" \
		'd["runs"][0]["retval"] == 1 and sum(int(b, 16) for b in d["maps"][0]["entries"][3]["value"]) == 1'

	# kprobe-style program streaming through a ring buffer: pt_regs di=5 si=7
	python3 -c 'import struct,sys; r=[0]*21; r[14]=5; r[13]=7; sys.stdout.buffer.write(struct.pack("<21Q",*r))' > "$T/regs"
	python3 -c 'import struct,sys; r=[0]*21; r[14]=2**64-1; sys.stdout.buffer.write(struct.pack("<21Q",*r))' > "$T/regs_neg"
	"$UEBPF" run -e $e "$EX/ringbuf_events.bpf.o" --ctx "$T/regs" --ctx "$T/regs_neg" --ctx "$T/regs" -m --json > "$T/r.json" || fail=1
	check "ringbuf_events ($e): two records submitted, one discarded" json "$T/r.json" \
		'[r["retval"] for r in d["runs"]] == [0, 2, 0] and len(d["maps"][0]["entries"]) == 2 and
		 all(int(e["record"][8], 16) == 5 and int(e["record"][16], 16) == 7 for e in d["maps"][0]["entries"])'

	# sched_switch records: 100 -> 200, 200 -> 100, 100 -> 200
	python3 - "$T" <<'PY'
import struct, sys
def rec(prev, nxt):
    return struct.pack("<HBBi16siiq16sii", 0, 0, 0, prev, b"a", prev, 120, 0, b"b", nxt, 120)
for i, (p, n) in enumerate([(100, 200), (200, 100), (100, 200)]):
    open(f"{sys.argv[1]}/sw{i}", "wb").write(rec(p, n))
PY
	"$UEBPF" run -e $e "$EX/cputime.bpf.o" --ctx "$T/sw0" --ctx "$T/sw1" --ctx "$T/sw2" -m --json > "$T/c.json" || fail=1
	check "cputime ($e): switches per pid, time for the pid that ran" json "$T/c.json" \
		'{int.from_bytes(bytes(int(b,16) for b in e["key"]),"little"): int.from_bytes(bytes(int(b,16) for b in e["value"][8:16]),"little")
		  for e in [m for m in d["maps"] if m["name"] == "cputime"][0]["entries"]} == {100: 2, 200: 1} and
		 all(int.from_bytes(bytes(int(b,16) for b in e["value"][0:8]),"little") > 0
		     for e in [m for m in d["maps"] if m["name"] == "cputime"][0]["entries"]
		     if e["key"][0] == "0xc8")'
done

# over a pcap, against tcpdump: TCP / UDP / ICMP counts of the socket filter,
# IPv4 / IPv6 dispatch of the tail-call program
if command -v tcpdump > /dev/null; then
	p=tests/data/mixed.pcap
	n() { tcpdump -nr $p "$1" 2>/dev/null | wc -l; }
	tcp=$(( $(n tcp) + $(n 'vlan and tcp') ))
	udp=$(( $(n udp) + $(n 'vlan and udp') ))
	icmp=$(( $(n 'icmp or icmp6') + $(n 'vlan and (icmp or icmp6)') ))
	"$UEBPF" run "$EX/sockfilter_count.bpf.o" --pcap $p -m -q --json > "$T/s.json" || fail=1
	check "sockfilter_count: tcp $tcp udp $udp icmp $icmp as tcpdump counts them" json "$T/s.json" \
		"[int(e['value'][0],16) + 256*int(e['value'][1],16) for e in d['maps'][0]['entries'][:3]] == [$tcp, $udp, $icmp]"
	v4=$(n 'ether proto 0x0800'); v6=$(n 'ether proto 0x86dd')
	"$UEBPF" run "$EX/tailcall.bpf.o" --prog dispatch --pcap $p -m -q --json > "$T/t.json" || fail=1
	check "tailcall: $v4 IPv4 and $v6 IPv6 frames reach their handlers" json "$T/t.json" \
		"[int(e['value'][0],16) + 256*int(e['value'][1],16) for e in [m for m in d['maps'] if m['name']=='seen'][0]['entries'][:2]] == [$v4, $v6] and
		 sum(1 for r in d['runs'] if r.get('retval') == 1) == $v6"
	# the gcc-bpf object: legacy maps, global data, a call, gcc's relocations
	g4() { tcpdump -nr $p "ip and ($1)" 2>/dev/null | wc -l; }
	want="[$(g4 tcp), $(g4 udp), $(g4 icmp), $(g4 'not tcp and not udp and not icmp')]"
	"$UEBPF" run "$EX/gcc_count.bpf.o" --pcap $p -m -q --json > "$T/g.json" || fail=1
	check "gcc-bpf object: IPv4 TCP/UDP/ICMP/other $want as tcpdump counts them" json "$T/g.json" \
		"[int(e['value'][0],16) + 256*int(e['value'][1],16) for e in [m for m in d['maps'] if m['name']=='counts'][0]['entries']] == $want"
	# the tail call from inside a function leaves the program at once, on both engines
	for eng in interp jit; do
		"$UEBPF" run "$EX/tailcall.bpf.o" --prog dispatch_sub --engine $eng --pcap $p -m -q --json > "$T/ts.json" || fail=1
		check "tailcall from a subprogram ($eng): $v4 IPv4 and $v6 IPv6 frames reach their handlers" json "$T/ts.json" \
			"[int(e['value'][0],16) + 256*int(e['value'][1],16) for e in [m for m in d['maps'] if m['name']=='seen'][0]['entries'][:2]] == [$v4, $v6] and
			 sum(1 for r in d['runs'] if r.get('retval') == 1) == $v6"
	done
	# the same programs as filters
	out=$("$UEBPF" filter -r $p --prog "$EX/sockfilter_count.bpf.o" 2>&1 >/dev/null)
	check "filter --prog socket filter: $tcp TCP packets selected" grep -qx "403 packets read, $tcp matched" <<<"$out"
	"$UEBPF" filter -r $p --prog "$EX/tailcall.bpf.o:dispatch" -w "$T/pass.pcap" 2>/dev/null
	short=$(python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(); o=24; n=0
while o + 16 <= len(b):
    cap = struct.unpack_from("<I", b, o + 8)[0]; n += cap < 14; o += 16 + cap
print(n)' $p)
	check "filter --prog XDP, -w: tcpdump reads back every frame but the $v6 IPv6 and $short short ones" \
		test "$(tcpdump -nr "$T/pass.pcap" 2>/dev/null | wc -l)" -eq $(( $(tcpdump -nr $p 2>/dev/null | wc -l) - v6 - short ))
else
	echo "skip pcap counts: tcpdump is not installed"
fi
out=$("$UEBPF" filter -r tests/data/sll.pcap --prog "$EX/xdp_parse.bpf.o" 2>&1); rc=$?
check "filter --prog on a non-Ethernet capture: exit 1" bash -c "[ $rc -eq 1 ] && grep -q 'needs Ethernet frames' <<<\"\$0\"" "$out"
out=$("$UEBPF" filter -r tests/data/mixed.pcap --prog "$EX/cputime.bpf.o" 2>&1); rc=$?
check "filter --prog with a tracing program: exit 1" bash -c "[ $rc -eq 1 ] && grep -q 'not a socket filter, XDP or tc' <<<\"\$0\"" "$out"

# prog list, verify
out=$("$UEBPF" prog list "$EX/tailcall.bpf.o")
check "prog list names the programs and their type" grep -q "dispatch  *xdp  *xdp" <<<"$out"
for o in calls_globals cputime ringbuf_events sockfilter_count tailcall xdp_parse; do
	"$UEBPF" verify "$EX/$o.bpf.o" > "$T/v.txt"; rc=$?
	check "verify $o: accepted" test $rc -eq 0
done
printf 'ldxdw %%r0, [%%r2]\nexit\n' > "$T/bad.s"
out=$("$UEBPF" verify "$T/bad.s"); rc=$?
check "verify: uninitialised register rejected with the kernel's message (exit 1)" \
	bash -c "[ $rc -eq 1 ] && grep -qx 'R2 !read_ok' <<<'$out'"
out=$("$UEBPF" verify --map hash:4:8:16 "$T/bad.s" --map nope:1:1:1 2>&1); rc=$?
check "verify: bad --map is exit 2" bash -c "[ $rc -eq 2 ] && grep -q \"unknown map type 'nope'\" <<<\"\$0\"" "$out"

# maps in shared memory, read by another process
"$UEBPF" run "$EX/sockfilter_count.bpf.o" --pcap tests/data/mixed.pcap -q --pin "$PIN" > /dev/null || fail=1
check "map list shows the pinned map" bash -c "'$UEBPF' map list | grep -q '^${PIN}counts: array'"
out=$("$UEBPF" map dump "${PIN}counts" --json)
check "map dump from another process reads the counts" python3 -c \
	"import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if len(d['entries']) == 4 and d['entries'][0]['value'] != ['0x00']*8 else 1)" "$out"

# bad input: one line naming the place, exit 1, nothing left behind
head -c 300 "$EX/tailcall.bpf.o" > "$T/trunc.o"
out=$("$UEBPF" run "$T/trunc.o" 2>&1); rc=$?
check "truncated object: one-line error, exit 1 ($out)" bash -c "[ $rc -eq 1 ] && [ \$(wc -l <<<\"\$0\") -eq 1 ]" "$out"
cp "$EX/tailcall.bpf.o" "$T/badrel.o"
python3 - "$T/badrel.o" <<'PY'
import struct, sys
# move the first relocation of section xdp past the end of the section
b = bytearray(open(sys.argv[1], "rb").read())
shoff, = struct.unpack_from("<Q", b, 0x28); shnum, = struct.unpack_from("<H", b, 0x3c)
shstr, = struct.unpack_from("<H", b, 0x3e)
def sh(i): return struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * 64)
names = sh(shstr)[4]
for i in range(shnum):
    h = sh(i)
    name = bytes(b[names + h[0]:]).split(b"\0")[0]
    if name == b".relxdp":
        struct.pack_into("<Q", b, h[4], 0x10000)
        break
open(sys.argv[1], "wb").write(b)
PY
out=$("$UEBPF" run "$T/badrel.o" 2>&1); rc=$?
check "relocation out of range: names the section and offset ($out)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'section xdp offset 65536: relocation outside the instructions' <<<\"\$0\"" "$out"
# a relocation section for a section that does not exist, a map of an
# unknown type, BTF that does not parse: one line naming the section
python3 - "$EX" "$T" <<'PY'
import struct, sys
ex, t = sys.argv[1:3]
def patch(mode, src, dst):
    b = bytearray(open(f"{ex}/{src}", "rb").read())
    shoff, = struct.unpack_from("<Q", b, 0x28); shnum, = struct.unpack_from("<H", b, 0x3c)
    shstr, = struct.unpack_from("<H", b, 0x3e)
    sh = lambda i: struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * 64)
    names = sh(shstr)[4]
    for i in range(shnum):
        h = sh(i)
        name = bytes(b[names + h[0]:]).split(b"\0")[0]
        if mode == "rel" and name == b".relxdp":
            struct.pack_into("<I", b, shoff + i * 64 + 44, 999)
        if mode == "maptype" and name == b"maps":
            struct.pack_into("<I", b, h[4], 9999)
        if mode == "btf" and name == b".BTF":
            struct.pack_into("<H", b, h[4], 0x1234)
    open(f"{t}/{dst}", "wb").write(b)
patch("rel", "tailcall.bpf.o", "badsec.o")
patch("maptype", "gcc_count.bpf.o", "badmap.o")
patch("btf", "sockfilter_count.bpf.o", "badbtf.o")
PY
for c in "badsec.o:section .relxdp: relocations for section 999, which does not exist" \
	 "badmap.o:section maps offset 0: map 'counts': map type 9999 is not supported" \
	 "badbtf.o:section .BTF: does not parse"; do
	f=${c%%:*} want=${c#*:}
	out=$("$UEBPF" run "$T/$f" 2>&1); rc=$?
	check "malformed object $f: one line, exit 1 ($out)" \
		bash -c "[ $rc -eq 1 ] && [ \$(wc -l <<<\"\$0\") -eq 1 ] && grep -qF \"\$1\" <<<\"\$0\"" "$out" "$want"
done
out=$("$UEBPF" run "$EX/tailcall.bpf.o" --prog nope 2>&1); rc=$?
check "unknown program name: exit 1" bash -c "[ $rc -eq 1 ] && grep -q \"no program named 'nope'\" <<<\"\$0\"" "$out"
# disasm reads objects: every program under its name, linked; --jited loads (verifies) it
out=$("$UEBPF" disasm "$EX/tailcall.bpf.o" 2>&1); rc=$?
check "disasm of an object names each program and lists its instructions" \
	bash -c "[ $rc -eq 0 ] && grep -q '^dispatch:$' <<<\"\$0\" && grep -q '^handle_v6:$' <<<\"\$0\" && grep -q '^exit$' <<<\"\$0\"" "$out"
out=$("$UEBPF" disasm --jited --prog dispatch "$EX/tailcall.bpf.o" 2>&1); rc=$?
check "disasm --jited --prog of an object: that program's native code only" \
	bash -c "[ $rc -eq 0 ] && grep -q '^dispatch:$' <<<\"\$0\" && ! grep -q '^handle_v6:$' <<<\"\$0\" && grep -q 'ret' <<<\"\$0\"" "$out"
out=$("$UEBPF" disasm --prog nope "$EX/tailcall.bpf.o" 2>&1); rc=$?
check "disasm --prog of no such program: one line, exit 1" \
	bash -c "[ $rc -eq 1 ] && [ \$(wc -l <<<\"\$0\") -eq 1 ] && grep -q \"no program named 'nope'\" <<<\"\$0\"" "$out"
out=$("$UEBPF" run "$EX/xdp_parse.bpf.o" --data-hex 00 2>&1); rc=$?
check "packet too short: exit 1 with the size rule" bash -c "[ $rc -eq 1 ] && grep -q 'packet of 1 bytes' <<<\"\$0\"" "$out"
exit $fail
