#!/usr/bin/env bash
# `make fuzz`: every libFuzzer target for FUZZ_SECONDS each (corpora kept in
# $UEBPF_BUILD/corpus/ between runs), then the kernel differential test with
# many programs (UEBPF_DIFF_PROGRAMS, default 500000) from a fresh first seed
# (UEBPF_DIFF_SEED, default time-based; printed, so a failure can be rerun).
set -u
cd "$(dirname "$0")/../.."
: "${UEBPF_BUILD:=build/asan}" "${UEBPF_FUZZ:=build/fuzz}" "${FUZZ_SECONDS:=300}"
: "${UEBPF_DIFF_PROGRAMS:=500000}" "${UEBPF_DIFF_SEED:=$(($(date +%s) * 1000000))}"
export UEBPF_DIFF_PROGRAMS UEBPF_DIFF_SEED

failed=()
for f in "$UEBPF_FUZZ"/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus="$UEBPF_BUILD/corpus/$name"
	mkdir -p "$corpus"
	seeds=tests/fuzz/seeds/${name#fuzz_}
	[ -d "$seeds" ] || seeds=
	echo "== $name for ${FUZZ_SECONDS}s"
	"$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 "$corpus" $seeds || failed+=("$name")
done

echo "== kernel diff: $UEBPF_DIFF_PROGRAMS programs from seed $UEBPF_DIFF_SEED"
"$UEBPF_BUILD/tests/diff/test_kernel_diff"
rc=$?
case $rc in
0) ;;
77) echo "kernel diff skipped" ;;
*) failed+=(test_kernel_diff) ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: failed: ${failed[*]}"
	exit 1
fi
echo "fuzz: all passed"
