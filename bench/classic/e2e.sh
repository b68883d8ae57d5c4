#!/usr/bin/env bash
# End to end: `uebpf filter -r big.pcap -w /dev/null EXPR` against
# `tcpdump -r big.pcap -w /dev/null EXPR` on a generated 1,000,000-packet
# capture (made on first use), best of three runs each in CPU seconds
# (user + system: steadier than wall time on a shared machine); first it
# checks that both select the same packets.
# Usage: e2e.sh UEBPF BIG.pcap
set -eu
UEBPF=$1 BIG=$2
command -v tcpdump > /dev/null || { echo "e2e: tcpdump is not installed"; exit 0; }
[ -f "$BIG" ] || python3 tests/data/make-pcaps.py --big 1000000 "$BIG"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

best() { # command...: the least CPU seconds of three runs
	local b="" t
	for _ in 1 2 3; do
		t=$( { TIMEFORMAT='%U %S'; time "$@" > /dev/null 2>&1; } 2>&1 | awk '{print $1 + $2}')
		b=$(echo "$t ${b:-$t}" | awk '{print ($1 < $2) ? $1 : $2}')
	done
	echo "$b"
}

echo "end to end on $BIG ($(du -h "$BIG" | cut -f1)), best of 3 runs, CPU seconds"
printf '   %-62s %8s %8s %8s\n' expression tcpdump uebpf speedup
for e in "tcp" "tcp port 80" "host 10.0.0.1 and (tcp port 80 or udp port 53)" \
	"(tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and not src net 192.168.0.0/16) or (ip6 and udp port 53) or len > 1000"; do
	tcpdump -r "$BIG" -w "$T/theirs.pcap" "$e" 2> /dev/null
	"$UEBPF" filter -r "$BIG" -w "$T/ours.pcap" "$e" 2> /dev/null
	cmp -s "$T/theirs.pcap" "$T/ours.pcap" || { echo "e2e: '$e' selects other packets than tcpdump"; exit 1; }
	tt=$(best tcpdump -r "$BIG" -w /dev/null "$e")
	tu=$(best "$UEBPF" filter -r "$BIG" -w /dev/null "$e")
	printf '   %-62.62s %8s %8s %7.2fx\n' "$e" "$tt" "$tu" "$(echo "$tt $tu" | awk '{print $1 / $2}')"
done
