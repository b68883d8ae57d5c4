#!/usr/bin/env bash
# Runs every test: the sanitizer-built test binaries (tests/*/test_*.c), the
# shell tests (tests/*/test_*.sh) and a short libFuzzer run of each target.
# A test exits 0 to pass, 77 to skip (after printing why), anything else fails.
set -u
cd "$(dirname "$0")/.."
: "${UEBPF_BUILD:=build/asan}" "${UEBPF_FUZZ:=build/fuzz}" "${SHARED:=$(cd .. && pwd)/shared}"
export UEBPF_BUILD UEBPF_FUZZ SHARED
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
FUZZ_RUN_SECONDS=${FUZZ_RUN_SECONDS:-15}

pass=0 fail=0 skip=0 failed=()
run() { # name, command...
	local name=$1; shift
	local t0=$SECONDS
	"$@" > "$UEBPF_BUILD/log.$$.txt" 2>&1
	local rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name ($((SECONDS - t0))s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$UEBPF_BUILD/log.$$.txt")" ;;
	*) fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name (exit $rc)"; tail -n 40 "$UEBPF_BUILD/log.$$.txt" ;;
	esac
	rm -f "$UEBPF_BUILD/log.$$.txt"
}

for t in $(find "$UEBPF_BUILD/tests" -type f -name 'test_*' 2>/dev/null | sort); do
	run "${t#"$UEBPF_BUILD"/tests/}" "$t"
done
for t in $(ls tests/*/test_*.sh 2>/dev/null | sort); do
	run "${t#tests/}" bash "$t"
done
for f in $(ls "$UEBPF_FUZZ"/fuzz_* 2>/dev/null | sort); do
	name=$(basename "$f")
	corpus="$UEBPF_BUILD/corpus/$name"; mkdir -p "$corpus"
	seeds=tests/fuzz/seeds/${name#fuzz_}
	[ -d "$seeds" ] || seeds=
	run "fuzz/$name (${FUZZ_RUN_SECONDS}s)" "$f" -max_total_time="$FUZZ_RUN_SECONDS" -seed=1 "$corpus" $seeds
done

echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
