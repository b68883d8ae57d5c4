#!/usr/bin/env bash
# The captures in tests/data/ are exactly what tests/data/make-pcaps.py
# writes: regenerate them and compare byte for byte.
set -u
command -v python3 > /dev/null || { echo "skip: python3 is not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 tests/data/make-pcaps.py "$T" || { echo "FAIL: make-pcaps.py"; exit 1; }
status=0
for f in "$T"/*; do
	name=$(basename "$f")
	cmp -s "$f" "tests/data/$name" || { echo "FAIL: tests/data/$name differs from what make-pcaps.py writes"; status=1; }
done
[ "$(ls "$T" | wc -l)" -eq "$(ls tests/data/*.pcap tests/data/*.pcapng | wc -l)" ] ||
	{ echo "FAIL: tests/data/ holds captures make-pcaps.py does not write"; status=1; }
[ $status -eq 0 ] && echo "$(ls "$T" | wc -l) captures match make-pcaps.py"
exit $status
