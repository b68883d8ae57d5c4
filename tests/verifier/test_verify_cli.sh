#!/usr/bin/env bash
# uebpf verify end to end: assembly, raw instructions and objects; accepted
# (exit 0), rejected with the kernel's message (exit 1); --type, --map,
# --unpriv, --strict-alignment, --log-level and --prog change the verdict as
# they should; bad input (unknown type, bad --map, unreadable file, no such
# program) is one line on stderr and exit 2.
set -u
cd "$(dirname "$0")/../.."
UEBPF=${UEBPF_BUILD:-build/asan}/uebpf
EX=${UEBPF_EXAMPLES:-build/examples}
[ -x "$UEBPF" ] || { echo "no $UEBPF: build it first"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 checks=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run_cmd CMD...: sets $out, $err, $rc.
run_cmd() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# expect_verdict NAME RC 'substring of stdout' CMD...
expect_verdict() {
	local name=$1 want_rc=$2 want=$3
	shift 3
	checks=$((checks + 1))
	run_cmd "$@"
	[ "$rc" -eq "$want_rc" ] || fail "$name: exit $rc, want $want_rc (stdout: $out; stderr: $err)"
	[[ $out == *"$want"* ]] || fail "$name: stdout does not contain '$want': $out"
	[ -z "$err" ] || fail "$name: unexpected stderr '$err'"
}

# expect_bad NAME 'exact stderr line' CMD...: exit 2, that one line, no stdout.
expect_bad() {
	local name=$1 want=$2
	shift 2
	checks=$((checks + 1))
	run_cmd "$@"
	[ "$rc" -eq 2 ] || fail "$name: exit $rc, want 2 (stderr: $err)"
	[ "$err" = "$want" ] || fail "$name: stderr is '$err', want '$want'"
	[ -z "$out" ] || fail "$name: unexpected stdout '$out'"
}

cat >"$tmp/ok.s" <<'EOF'
mov %r0, 0
exit
EOF
cat >"$tmp/uninit.s" <<'EOF'
mov %r0, %r2
exit
EOF
cat >"$tmp/leak.s" <<'EOF'
mov %r0, %r10
exit
EOF
# xdp_md->data and data_end; in a socket filter the same offsets are skb->len and pkt_type, scalars
cat >"$tmp/xdp.s" <<'EOF'
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, out
ldxw %r0, [%r2+1]
out:
mov %r0, 2
exit
EOF
cat >"$tmp/lookup.s" <<'EOF'
stw [%r10-4], 0
lddw %r1, map:0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r0, [%r0+0]
exit
out:
mov %r0, 0
exit
EOF

expect_verdict "accepted assembly" 0 "ok.s: accepted" "$UEBPF" verify "$tmp/ok.s"
expect_verdict "rejected assembly" 1 "R2 !read_ok" "$UEBPF" verify "$tmp/uninit.s"
expect_verdict "rejected verdict line" 1 "uninit.s: rejected" "$UEBPF" verify "$tmp/uninit.s"
expect_verdict "the failing instruction is shown" 1 "0: (bf) r0 = r2" "$UEBPF" verify "$tmp/uninit.s"
printf 'mov %%r0, 0\nexit\nexit\n' >"$tmp/unreachable.s"
expect_verdict "malformed program is rejected, not bad input" 1 "unreachable insn 2" "$UEBPF" verify "$tmp/unreachable.s"
expect_verdict "assembly on stdin" 0 "accepted" "$UEBPF" verify - <"$tmp/ok.s"

# raw instructions: the same program as .bin
checks=$((checks + 1))
"$UEBPF" asm "$tmp/uninit.s" -o "$tmp/uninit.bin" || fail "asm of uninit.s failed"
"$UEBPF" asm "$tmp/ok.s" -o "$tmp/ok.bin" || fail "asm of ok.s failed"
expect_verdict "raw instructions accepted" 0 "ok.bin: accepted" "$UEBPF" verify "$tmp/ok.bin"
expect_verdict "raw instructions rejected" 1 "R2 !read_ok" "$UEBPF" verify "$tmp/uninit.bin"

# --type: the context changes with the program type
expect_verdict "xdp program as xdp" 0 "accepted" "$UEBPF" verify --type xdp "$tmp/xdp.s"
expect_verdict "xdp program as socket filter" 1 "R2 invalid mem access 'scalar'" \
	"$UEBPF" verify "$tmp/xdp.s"
expect_verdict "--strict-alignment" 1 "misaligned packet access" \
	"$UEBPF" verify --type xdp --strict-alignment "$tmp/xdp.s"

# --unpriv: returning a pointer is a leak only without privileges
expect_verdict "pointer return, privileged" 0 "accepted" "$UEBPF" verify "$tmp/leak.s"
expect_verdict "pointer return, --unpriv" 1 "R0 leaks addr as return value" "$UEBPF" verify --unpriv "$tmp/leak.s"

# --map: map:0 in the assembly
expect_verdict "--map hash" 0 "accepted" "$UEBPF" verify --map hash:4:8:16 "$tmp/lookup.s"
expect_verdict "--map value too small" 1 "invalid access to map value, value_size=4 off=0 size=8" \
	"$UEBPF" verify --map array:4:4:1 "$tmp/lookup.s"
expect_verdict "--map key larger than what was written" 1 "stack R2 off=-4 size=8" \
	"$UEBPF" verify -m hash:8:8:16 "$tmp/lookup.s"
checks=$((checks + 1))
run_cmd "$UEBPF" verify "$tmp/lookup.s"
[ "$rc" -ne 0 ] || fail "map:0 without --map: accepted"

# --log-level 2 adds the state of every instruction; 0 keeps only the error
checks=$((checks + 1))
run_cmd "$UEBPF" verify --log-level 2 "$tmp/ok.s"
[ "$rc" -eq 0 ] || fail "--log-level 2: exit $rc"
run_cmd "$UEBPF" verify --log-level 0 "$tmp/uninit.s"
[ "$rc" -eq 1 ] && [[ $out == *"R2 !read_ok"* ]] || fail "--log-level 0: exit $rc, stdout $out"

# objects: every program, or the one --prog names
if [ -f "$EX/sockfilter_count.bpf.o" ] && [ -f "$EX/tailcall.bpf.o" ]; then
	expect_verdict "object" 0 "count_protocols: accepted" "$UEBPF" verify "$EX/sockfilter_count.bpf.o"
	expect_verdict "object, every program" 0 "handle_v6: accepted" "$UEBPF" verify "$EX/tailcall.bpf.o"
	checks=$((checks + 1))
	run_cmd "$UEBPF" verify --prog dispatch "$EX/tailcall.bpf.o"
	[ "$rc" -eq 0 ] || fail "--prog dispatch: exit $rc"
	[[ $out == *"dispatch: accepted"* && $out != *handle_v4* ]] || fail "--prog dispatch: stdout $out"
	expect_bad "--prog no such program" \
		"uebpf: verify: $EX/tailcall.bpf.o: no program named 'nosuch'" \
		"$UEBPF" verify --prog nosuch "$EX/tailcall.bpf.o"
else
	echo "note: no example objects in $EX (run make); object checks not run"
fi

# bad input: exit 2, one line naming the place
expect_bad "unknown type" "uebpf: verify: unknown program type 'nosuch'" \
	"$UEBPF" verify --type nosuch "$tmp/ok.s"
expect_bad "bad --map syntax" "uebpf: verify: bad --map 'hash:4' (want TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES)" \
	"$UEBPF" verify --map hash:4 "$tmp/ok.s"
expect_bad "unknown map type" "uebpf: verify: --map 'blah:4:4:4': unknown map type 'blah'" \
	"$UEBPF" verify --map blah:4:4:4 "$tmp/ok.s"
expect_bad "bad --log-level" "uebpf: verify: bad --log-level '3' (want 0, 1 or 2)" \
	"$UEBPF" verify --log-level 3 "$tmp/ok.s"
expect_bad "--prog on assembly" "uebpf: verify: --prog needs an object file" \
	"$UEBPF" verify --prog x "$tmp/ok.s"
checks=$((checks + 1))
run_cmd "$UEBPF" verify "$tmp/missing.s"
[ "$rc" -eq 2 ] || fail "missing file: exit $rc, want 2"
[[ $err == *missing.s* ]] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "missing file: stderr '$err'"
checks=$((checks + 1))
printf 'mov %%r0, 0\nfrobnicate %%r1\nexit\n' >"$tmp/syntax.s"
run_cmd "$UEBPF" verify "$tmp/syntax.s"
[ "$rc" -eq 2 ] || fail "assembly syntax error: exit $rc, want 2"
[[ $err == *syntax.s* ]] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "assembly syntax error: stderr '$err'"
checks=$((checks + 1))
run_cmd "$UEBPF" verify
[ "$rc" -eq 2 ] || fail "no operand: exit $rc, want 2"
checks=$((checks + 1))
run_cmd "$UEBPF" verify --help
[ "$rc" -eq 0 ] && [[ $out == *"Usage: uebpf verify"* ]] || fail "--help: exit $rc"

echo "verify cli: $checks checks, $failures failures"
[ "$failures" -eq 0 ]
