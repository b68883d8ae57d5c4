#!/usr/bin/env bash
# uebpf filter against tcpdump on the bundled captures: the same packets
# selected (the -w files are byte-identical), the same -d/-dd/-ddd listings
# and the same compile errors; then counts, the per-packet lines, -c, every
# engine, standard input, truncated and corrupt captures, and a live capture
# on the loopback interface where permitted.
set -u
U=${UEBPF_BUILD:-build/asan}/uebpf
D=tests/data
command -v tcpdump > /dev/null || { echo "skip: tcpdump is not installed"; exit 77; }
[ -x "$U" ] || { echo "FAIL: $U not built"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

exprs=(
	"" "tcp" "udp" "icmp" "ip" "ip6" "arp" "not ip and not ip6"
	"host 10.0.0.1" "src host 192.168.1.10" "dst host 10.0.0.2 or dst host 8.8.8.8"
	"net 10.0.0.0/24" "src net 192.168.0.0/16 and not dst net 10.0.0.0/8"
	"port 80" "tcp port 443" "udp port 53" "portrange 5000-5010" "tcp dst portrange 1-1023"
	"vlan" "vlan 100" "vlan and tcp" "vlan 300 and vlan 200"
	"ip6 and tcp" "ip6 host 2001:db8::1" "ip6 net 2001:db8::/32 and udp" "icmp6" "ip6 protochain 6"
	"tcp[tcpflags] & tcp-syn != 0" "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" "tcp[13] == 0x12"
	"len > 100" "less 64" "greater 1000" "ip[6:2] & 0x1fff != 0" "ip[0] & 0xf > 5"
	"udp[8:2] == 0x1234" "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420"
	"icmp[icmptype] == icmp-echo" "ip proto 47" "ip multicast" "ip broadcast"
	"ether broadcast" "ether multicast" "ether host 00:11:22:33:44:55" "ether proto 0x88cc"
	"not tcp" "tcp or udp" "host 10.0.0.1 and not port 22"
	"(tcp port 80 or tcp port 8080) and src net 10.0.0.0/8" "inbound"
	"wlan addr2 02:00:00:00:00:0c" "type data and tcp" "type mgt subtype beacon"
	"tcp port" "host 300.1.1.1" "vlan 5000"
)

# Every expression on every capture; -O on two of them and the listings on
# one only, to keep the test quick (test_format checks the printer against
# libpcap's on every opcode).
compared=0
for f in mixed.pcap sll.pcap mixed.pcapng sll2.pcap raw.pcap null.pcap ppp.pcap radiotap.pcap; do
	opts=("")
	case $f in mixed.pcap | sll.pcap) opts=("" "-O") ;; esac
	for e in "${exprs[@]}"; do
		for opt in "${opts[@]}"; do
			# shellcheck disable=SC2086 # $opt is empty or one word
			tcpdump $opt -r "$D/$f" -w "$T/theirs.pcap" "$e" 2> "$T/theirs.err"
			trc=$?
			# shellcheck disable=SC2086
			"$U" filter $opt -r "$D/$f" -w "$T/ours.pcap" "$e" 2> "$T/ours.err"
			orc=$?
			if [ $trc -ne 0 ]; then
				# the same compile error, in uebpf's words
				want="uebpf: filter: $(sed -n 's/^tcpdump: //p' "$T/theirs.err" | head -n 1)"
				[ $orc -eq 1 ] || fail "$f '$e' $opt: tcpdump fails, uebpf exits $orc"
				[ "$(cat "$T/ours.err")" = "$want" ] || fail "$f '$e' $opt: error '$(cat "$T/ours.err")', want '$want'"
				continue
			fi
			[ $orc -eq 0 ] || { fail "$f '$e' $opt: exit $orc: $(cat "$T/ours.err")"; continue; }
			cmp -s "$T/theirs.pcap" "$T/ours.pcap" || fail "$f '$e' $opt: -w output differs from tcpdump's"
			compared=$((compared + 1))
			[ $f = mixed.pcap ] || continue
			for d in -d -dd -ddd; do
				# shellcheck disable=SC2086
				tcpdump $opt -r "$D/$f" $d "$e" > "$T/theirs.txt" 2> /dev/null
				# shellcheck disable=SC2086
				"$U" filter $opt -r "$D/$f" $d "$e" > "$T/ours.txt" 2>&1
				cmp -s "$T/theirs.txt" "$T/ours.txt" || fail "$f '$e' $opt $d: listing differs from tcpdump's"
			done
		done
	done
done
echo "$compared expression/capture runs: same packets and listings as tcpdump"
[ $compared -ge 250 ] || fail "only $compared runs compared"

# the summary line counts what tcpdump selects
# (tcpdump prints one line per packet, some without a timestamp)
total=$(tcpdump -r $D/mixed.pcap 2> /dev/null | wc -l)
tcp=$(tcpdump -r $D/mixed.pcap tcp 2> /dev/null | wc -l)
"$U" filter -r $D/mixed.pcap -n tcp > "$T/lines" 2> "$T/err"
[ "$(tail -n 1 "$T/err")" = "$total packets read, $tcp matched" ] || fail "summary '$(tail -n 1 "$T/err")', want '$total packets read, $tcp matched'"
[ "$(wc -l < "$T/lines")" -eq "$tcp" ] || fail "$(wc -l < "$T/lines") lines for $tcp packets"

# one line per packet, in a stable format
export TZ=UTC
got=$("$U" filter -r $D/mixed.pcap -n -c 4 'tcp or icmp or arp' 2> /dev/null)
want="22:13:20.100001 IP 203.0.113.9.5005 > 203.0.113.9.5011: Flags [S.], length 60
22:13:20.300003 IP 192.168.1.10.123 > 10.0.0.99.80: Flags [F.], length 20
22:13:20.400004 ARP, Request who-has 8.8.8.8 tell 203.0.113.9, length 28
22:13:20.800008 IP 192.168.7.20.65535 > 10.0.0.1.65535: Flags [F], length 0"
[ "$got" = "$want" ] || fail "packet lines: got
$got"
got=$("$U" filter -r $D/mixed.pcap -nq -c 1 'udp' 2> /dev/null)
[ "$got" = "22:13:21.600016 IP6 2001:db8:1::77.65535 > 2001:db8::2.22: udp 40" ] || fail "-q line: $got"
got=$("$U" filter -r $D/mixed.pcap -ne -c 1 'vlan and icmp' 2> /dev/null)
[ "$got" = "22:13:20.200002 66:77:88:99:aa:bb > 02:00:00:00:00:0c, ethertype 0x8100, length 46: vlan 200, p 0, IP 8.8.8.8 > 10.0.0.1: ICMP echo request, length 8" ] || fail "-e line: $got"
got=$("$U" filter -r $D/mixed.pcap -c 1 'tcp port 80' 2> /dev/null)
case $got in *" > 10.0.0.99.http: "*) ;; *) fail "without -n ports have names: $got" ;; esac
"$U" filter -r $D/mixed.pcap -c 3 tcp > /dev/null 2> "$T/err"
[ "$(tail -n 1 "$T/err")" = "9 packets read, 3 matched" ] || fail "-c 3: $(tail -n 1 "$T/err")"

# every engine selects the same packets; -v says which one runs
for eng in jit interp cbpf; do
	"$U" filter -v --engine=$eng -r $D/mixed.pcap -w "$T/$eng.pcap" 'tcp port 80 or udp' 2> "$T/err" || fail "--engine=$eng"
	cmp -s "$T/jit.pcap" "$T/$eng.pcap" || fail "--engine=$eng selects other packets"
done
grep -q "running in the classic BPF interpreter" "$T/err" || fail "-v with --engine=cbpf: $(cat "$T/err")"
"$U" filter -v -r $D/mixed.pcap 'ip6 protochain 6' > /dev/null 2> "$T/err"
grep -q "^uebpf: filter: insn [0-9]*: jump backwards (ja -[0-9]*); running in the cBPF interpreter$" "$T/err" ||
	fail "-v on a backward jump: $(cat "$T/err")"
"$U" filter --semantics=kernel -r $D/mixed.pcap -w "$T/kernel.pcap" 'tcp port 80 or udp' 2> /dev/null ||
	fail "--semantics=kernel"
cmp -s "$T/jit.pcap" "$T/kernel.pcap" || fail "--semantics=kernel selects other packets"

# a nanosecond capture (tcpdump writes one) and a pcapng one, with -c
tcpdump --time-stamp-precision=nano -r $D/mixed.pcap -w "$T/nano.pcap" 2> /dev/null
tcpdump -r "$T/nano.pcap" -w "$T/theirs.pcap" 'udp or arp' 2> /dev/null
"$U" filter -r "$T/nano.pcap" -w "$T/ours.pcap" 'udp or arp' 2> /dev/null
cmp -s "$T/theirs.pcap" "$T/ours.pcap" || fail "nanosecond capture: -w output differs from tcpdump's"
tcpdump -r $D/mixed.pcapng -c 5 -w "$T/theirs.pcap" tcp 2> /dev/null
"$U" filter -r $D/mixed.pcapng -c 5 -w "$T/ours.pcap" tcp 2> /dev/null
cmp -s "$T/theirs.pcap" "$T/ours.pcap" || fail "pcapng with -c 5: -w output differs from tcpdump's"

# standard input and output
tcpdump -r $D/mixed.pcapng -w "$T/theirs.pcap" udp 2> /dev/null
"$U" filter -r - -w - udp < $D/mixed.pcapng 2> /dev/null | cmp -s - "$T/theirs.pcap" || fail "-r - -w -"

# a capture cut short, and one with a corrupt record: what was read, then the error
tcpdump -r $D/truncated.pcap -w "$T/theirs.pcap" 2> /dev/null
n=$("$U" filter -r "$T/theirs.pcap" -w /dev/null 2>&1 | sed -n 's/ packets read.*//p')
"$U" filter -r $D/truncated.pcap -n > "$T/lines" 2> "$T/err"
rc=$?
[ $rc -eq 1 ] || fail "truncated capture: exit $rc"
[ "$(head -n 1 "$T/err")" = "uebpf: $D/truncated.pcap: truncated dump file; tried to read 71 captured bytes, only got 35" ] ||
	fail "truncated capture: $(head -n 1 "$T/err")"
[ "$(tail -n 1 "$T/err")" = "$n packets read, $n matched" ] || fail "truncated capture: $(tail -n 1 "$T/err") (tcpdump reads $n)"
[ "$(wc -l < "$T/lines")" -eq "$n" ] || fail "truncated capture: $(wc -l < "$T/lines") lines before the error"
"$U" filter -r $D/corrupt.pcap > /dev/null 2> "$T/err"
rc=$?
[ $rc -eq 1 ] || fail "corrupt capture: exit $rc"
grep -q "^uebpf: $D/corrupt.pcap: invalid packet capture length 2147483647" "$T/err" || fail "corrupt capture: $(cat "$T/err")"
[ "$(tail -n 1 "$T/err")" = "5 packets read, 5 matched" ] || fail "corrupt capture: $(tail -n 1 "$T/err")"

# usage errors
"$U" filter -r $D/nonexistent.pcap tcp 2> "$T/err"
[ $? -eq 1 ] && grep -q "^uebpf: filter: $D/nonexistent.pcap: No such file or directory" "$T/err" || fail "missing file: $(cat "$T/err")"
"$U" filter tcp 2> "$T/err"
[ $? -eq 1 ] && grep -q "^uebpf: filter: no packets to filter" "$T/err" || fail "no source: $(cat "$T/err")"
"$U" filter -r $D/mixed.pcap -c 0 tcp 2> "$T/err"
[ $? -eq 1 ] && grep -q "^uebpf: filter: bad -c value '0'" "$T/err" || fail "-c 0: $(cat "$T/err")"
"$U" filter --engine=gpu -r $D/mixed.pcap 2> "$T/err"
[ $? -eq 1 ] && grep -q "^uebpf: filter: unknown engine 'gpu'" "$T/err" || fail "bad engine: $(cat "$T/err")"
"$U" filter --help | grep -q "^Usage: uebpf filter" || fail "--help"

# live capture on lo: three UDP datagrams to a port nobody else uses
if [ "$(id -u)" -ne 0 ]; then
	echo "live capture not tested: not root"
else
	port=$((40000 + RANDOM % 20000))
	"$U" filter -i lo -c 3 -w "$T/live.pcap" "udp dst port $port" 2> "$T/live.err" &
	pid=$!
	for _ in $(seq 100); do
		kill -0 $pid 2> /dev/null || break
		echo hello > /dev/udp/127.0.0.1/$port 2> /dev/null
		sleep 0.1
	done
	if kill -0 $pid 2> /dev/null; then
		kill $pid
		wait $pid
		fail "live capture: did not see 3 packets in 10 s: $(cat "$T/live.err")"
	else
		wait $pid
		rc=$?
		if [ $rc -ne 0 ] && grep -q "permitted\|permission" "$T/live.err"; then
			echo "live capture not tested: $(cat "$T/live.err")"
		else
			[ $rc -eq 0 ] || fail "live capture: exit $rc: $(cat "$T/live.err")"
			grep -q " 3 matched$" "$T/live.err" || fail "live capture: $(cat "$T/live.err")"
			[ "$(tcpdump -r "$T/live.pcap" "udp dst port $port" 2> /dev/null | wc -l)" -eq 3 ] || fail "live capture: the pcap holds other packets"
		fi
	fi
fi

[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all uebpf filter checks pass"
