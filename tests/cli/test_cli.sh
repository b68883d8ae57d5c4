#!/usr/bin/env bash
# The uebpf command end to end: help and version, every error path (exact
# one-line message, exit 1, no output file left), asm -> disasm -> asm on
# conformance files, run on both engines, --repeat, --mem vs --mem-hex,
# disasm --style=llvm against llvm-objdump, disasm --jited.
set -u
cd "$(dirname "$0")/../.."
UEBPF=${UEBPF_BUILD:-build/asan}/uebpf
CONF=${SHARED:-../shared}/conformance
[ -x "$UEBPF" ] || { echo "no $UEBPF: build it first"; exit 1; }
[ -d "$CONF" ] || { echo "no conformance suite at $CONF"; exit 1; }

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

# expect_err NAME 'exact message' CMD...: exit 1, that one line on stderr, no stdout.
expect_err() {
	local name=$1 want=$2
	shift 2
	checks=$((checks + 1))
	run_cmd "$@"
	[ $rc -eq 1 ] || fail "$name: exit $rc, want 1 (stderr: $err)"
	[ "$err" = "$want" ] || fail "$name: stderr is '$err', want '$want'"
	[ -z "$out" ] || fail "$name: unexpected stdout '$out'"
}

# expect_err_re NAME 'regex' CMD...: as expect_err, for library wording.
expect_err_re() {
	local name=$1 re=$2
	shift 2
	checks=$((checks + 1))
	run_cmd "$@"
	[ $rc -eq 1 ] || fail "$name: exit $rc, want 1 (stderr: $err)"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$name: stderr is not one line: '$err'"
	[[ $err =~ $re ]] || fail "$name: stderr '$err' does not match '$re'"
	[ -z "$out" ] || fail "$name: unexpected stdout '$out'"
}

# expect_out NAME 'last stdout line' CMD...: exit 0.
expect_out() {
	local name=$1 want=$2
	shift 2
	checks=$((checks + 1))
	run_cmd "$@"
	[ $rc -eq 0 ] || fail "$name: exit $rc (stderr: $err)"
	[ "$(tail -n 1 <<<"$out")" = "$want" ] || fail "$name: printed '$(tail -n 1 <<<"$out")', want '$want'"
}

# section FILE NAME: the body of "-- NAME" in a conformance file.
section() {
	awk -v s="-- $2" '$0 == s { on = 1; next } /^-- / { on = 0 } on' "$1"
}

# A 0x... value as the command prints it: lower case, no leading zeros.
canon() {
	local v=${1,,}
	v=${v#0x}
	v=${v##+(0)}
	echo "0x${v:-0}"
}
shopt -s extglob

# --- help and version ---------------------------------------------------------
checks=$((checks + 1))
run_cmd "$UEBPF" --version
[ $rc -eq 0 ] && [[ $out =~ ^uebpf\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version: exit $rc, '$out'"
for cmd in "" asm disasm run; do
	checks=$((checks + 1))
	run_cmd "$UEBPF" $cmd --help
	[ $rc -eq 0 ] || fail "$cmd --help: exit $rc"
	[[ $out == "Usage: uebpf ${cmd:+$cmd }"* ]] || fail "$cmd --help: stdout does not start with usage: '${out%%$'\n'*}'"
	[ -z "$err" ] || fail "$cmd --help: stderr '$err'"
done
checks=$((checks + 1))
run_cmd "$UEBPF" run --help
grep -q 'trusts its input' "$tmp/out" || fail "run --help does not say the JIT trusts its input"

# --- error paths --------------------------------------------------------------
printf 'mov %%r0, 7\nexit\n' >"$tmp/ret7.s"
printf '\xb7\x00\x00\x00\x07\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' >"$tmp/ret7.ref.bin"
printf 'mov %%r0, 1\nfoo %%r1\nexit\n' >"$tmp/bad.s"
head -c 12 /dev/zero >"$tmp/trunc.bin"
printf '\xff\x00\x00\x00\x00\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' >"$tmp/badop.bin"
printf 'mov %%r0, 0\n' >"$tmp/falloff.s"
printf 'ldxdw %%r0, [%%r1+64]\nexit\n' >"$tmp/oob.s"
printf 'ja -1\nexit\n' >"$tmp/forever.s"

expect_err "no command" "uebpf: no command given (try 'uebpf --help')" "$UEBPF"
expect_err "unknown command" "uebpf: unknown command 'frob' (try 'uebpf --help')" "$UEBPF" frob
expect_err "unknown global option" "uebpf: unknown option '--frob' (try 'uebpf --help')" "$UEBPF" --frob
expect_err "run unknown option" "uebpf: run: unknown option '--foo'" "$UEBPF" run --foo "$tmp/ret7.s"
expect_err "run unknown option=" "uebpf: run: unknown option '--foo'" "$UEBPF" run "$tmp/ret7.s" --foo=1
expect_err "asm unknown short option" "uebpf: asm: unknown option '-x'" "$UEBPF" asm -x "$tmp/ret7.s"
expect_err "argument to a flag" "uebpf: disasm: option '--jited' takes no argument" "$UEBPF" disasm --jited=1 x.bin
expect_err "disasm unknown option" "uebpf: disasm: unknown option '--bar'" "$UEBPF" disasm --bar x.bin
expect_err "run missing argument" "uebpf: run: option '--mem' needs an argument" "$UEBPF" run "$tmp/ret7.s" --mem
expect_err "asm missing argument" "uebpf: asm: option '-o' needs an argument" "$UEBPF" asm "$tmp/ret7.s" -o
expect_err "run missing program" "uebpf: run: missing program (try 'uebpf run --help')" "$UEBPF" run
expect_err "asm missing input" "uebpf: asm: missing input file (try 'uebpf asm --help')" "$UEBPF" asm -o "$tmp/x.bin"
expect_err "asm missing -o" "uebpf: asm: missing -o OUT (try 'uebpf asm --help')" "$UEBPF" asm "$tmp/ret7.s"
expect_err "run two programs" "uebpf: run: unexpected argument 'b.s'" "$UEBPF" run a.s b.s
expect_err "bad repeat" "uebpf: run: bad --repeat value 'abc' (want a positive integer)" \
	"$UEBPF" run --repeat abc "$tmp/ret7.s"
expect_err "zero repeat" "uebpf: run: bad --repeat value '0' (want a positive integer)" \
	"$UEBPF" run --repeat 0 "$tmp/ret7.s"
expect_err "negative repeat" "uebpf: run: bad --repeat value '-3' (want a positive integer)" \
	"$UEBPF" run --repeat=-3 "$tmp/ret7.s"
expect_err "repeat with junk" "uebpf: run: bad --repeat value '10x' (want a positive integer)" \
	"$UEBPF" run -n 10x "$tmp/ret7.s"
expect_err "bad engine" "uebpf: run: unknown engine 'vm' (want interp or jit)" "$UEBPF" run --engine vm "$tmp/ret7.s"
expect_err "bad style" "uebpf: disasm: unknown style 'att' (want uebpf, llvm or kernel)" "$UEBPF" disasm --style=att x.bin
expect_err "harden without jit" "uebpf: run: --harden needs --engine jit" "$UEBPF" run --harden "$tmp/ret7.s"
expect_err "disasm harden without jited" "uebpf: disasm: --harden needs --jited" "$UEBPF" disasm --harden "$tmp/ret7.s"
expect_err "mem and mem-hex" "uebpf: run: --mem and --mem-hex cannot be used together" \
	"$UEBPF" run --mem "$tmp/ret7.s" --mem-hex 00 "$tmp/ret7.s"
expect_err "mem-hex bad digit" "uebpf: run: --mem-hex: 'g' at offset 4 is not a hex digit" \
	"$UEBPF" run --mem-hex "00 0g" "$tmp/ret7.s"
expect_err "mem-hex lone digit" "uebpf: run: --mem-hex: lone hex digit at offset 3 (a byte is two digits)" \
	"$UEBPF" run --mem-hex "00 1 22" "$tmp/ret7.s"
expect_err "mem-hex odd" "uebpf: run: --mem-hex: lone hex digit at offset 2 (a byte is two digits)" \
	"$UEBPF" run --mem-hex "001" "$tmp/ret7.s"
expect_err "missing program file" "uebpf: $tmp/nope.s: No such file or directory" "$UEBPF" run "$tmp/nope.s"
expect_err "missing mem file" "uebpf: $tmp/nope.mem: No such file or directory" \
	"$UEBPF" run --mem "$tmp/nope.mem" "$tmp/ret7.s"
expect_err "program is a directory" "uebpf: $tmp: Is a directory" "$UEBPF" disasm "$tmp"
expect_err "missing disasm file" "uebpf: $tmp/nope.bin: No such file or directory" "$UEBPF" disasm "$tmp/nope.bin"
expect_err "truncated bin (run)" "uebpf: $tmp/trunc.bin: truncated: size 12 is not a multiple of 8" \
	"$UEBPF" run "$tmp/trunc.bin"
expect_err "truncated bin (disasm)" "uebpf: $tmp/trunc.bin: truncated: size 12 is not a multiple of 8" \
	"$UEBPF" disasm "$tmp/trunc.bin"
expect_err_re "bad assembly line" "^uebpf: $tmp/bad.s:2: unknown mnemonic 'foo'$" "$UEBPF" run "$tmp/bad.s"
expect_err_re "bad assembly from stdin" "^uebpf: <stdin>:2: unknown mnemonic 'foo'$" "$UEBPF" asm - -o "$tmp/stdin.bin" <"$tmp/bad.s"
[ -e "$tmp/stdin.bin" ] && fail "asm from stdin left $tmp/stdin.bin behind"
expect_err_re "invalid opcode (run)" "^uebpf: $tmp/badop.bin: insn 0: unknown opcode (0x)?ff$" "$UEBPF" run "$tmp/badop.bin"
expect_err_re "invalid opcode (disasm)" "^uebpf: $tmp/badop.bin: insn 0: unknown opcode (0x)?ff$" "$UEBPF" disasm "$tmp/badop.bin"
expect_err_re "falls off the end" "^uebpf: $tmp/falloff.s: insn 0: .*exit" "$UEBPF" run "$tmp/falloff.s"
expect_err_re "checked load out of bounds" "^uebpf: $tmp/oob.s: insn 0: .*load.* 0x[0-9a-f]+" "$UEBPF" run --mem-hex "0001020304050607" "$tmp/oob.s"
expect_err_re "runaway loop stops" "^uebpf: $tmp/forever.s: insn 0: .*1000" "$UEBPF" run --budget 1000 "$tmp/forever.s"
expect_err "budget with the jit" "uebpf: run: --budget needs --engine interp" \
	"$UEBPF" run --engine jit --budget 10 "$tmp/ret7.s"
expect_err "bad budget" "uebpf: run: bad --budget value 'lots' (want a positive integer)" \
	"$UEBPF" run --budget lots "$tmp/ret7.s"

# asm: an error leaves neither the output nor a temporary file, and keeps an old output.
expect_err_re "asm bad line" "^uebpf: $tmp/bad.s:2: " "$UEBPF" asm "$tmp/bad.s" -o "$tmp/bad.bin"
[ -e "$tmp/bad.bin" ] && fail "asm with a bad line left $tmp/bad.bin behind"
echo old >"$tmp/keep.bin"
expect_err_re "asm bad line, existing output" "^uebpf: $tmp/bad.s:2: " "$UEBPF" asm "$tmp/bad.s" -o "$tmp/keep.bin"
[ "$(cat "$tmp/keep.bin")" = old ] || fail "asm with a bad line changed an existing output file"
expect_err "asm into a missing directory" "uebpf: $tmp/no/dir.bin: No such file or directory" \
	"$UEBPF" asm "$tmp/ret7.s" -o "$tmp/no/dir.bin"
expect_err "asm NUL in text" "uebpf: $tmp/badop.bin: byte 1 is NUL: not assembly text" \
	"$UEBPF" asm "$tmp/badop.bin" -o "$tmp/nul.bin"
leftovers=$(ls "$tmp" | grep -E '\.(bin|s)\.[A-Za-z0-9]{6}$')
[ -z "$leftovers" ] || fail "temporary files left behind: $leftovers"
checks=$((checks + 1))

# --- asm, disasm, run on good input ---------------------------------------------
checks=$((checks + 1))
run_cmd "$UEBPF" asm "$tmp/ret7.s" -o "$tmp/ret7.bin"
[ $rc -eq 0 ] || fail "asm ret7.s: exit $rc ($err)"
cmp -s "$tmp/ret7.bin" "$tmp/ret7.ref.bin" || fail "asm ret7.s: the bytes are not b7 00 00 00 07 00 00 00 95 00..."
touch "$tmp/plain"
[ "$(stat -c %a "$tmp/ret7.bin")" = "$(stat -c %a "$tmp/plain")" ] ||
	fail "asm output mode $(stat -c %a "$tmp/ret7.bin") differs from a plainly created file"
checks=$((checks + 1))
"$UEBPF" asm - -o - <"$tmp/ret7.s" | cmp -s - "$tmp/ret7.ref.bin" || fail "asm - -o - differs from asm to a file"
expect_out "run .bin" 0x7 "$UEBPF" run "$tmp/ret7.ref.bin"
expect_out "run .s" 0x7 "$UEBPF" run "$tmp/ret7.s"
cp "$tmp/ret7.s" "$tmp/ret7.txt"
cp "$tmp/ret7.ref.bin" "$tmp/ret7.raw"
expect_out "run text by content" 0x7 "$UEBPF" run "$tmp/ret7.txt"
expect_out "run raw by content" 0x7 "$UEBPF" run "$tmp/ret7.raw"
expect_out "run from stdin" 0x7 "$UEBPF" run - <"$tmp/ret7.s"

# --repeat prints the value and the mean on stderr.
checks=$((checks + 1))
run_cmd "$UEBPF" run --repeat 50 "$tmp/ret7.s"
[ $rc -eq 0 ] && [ "$out" = 0x7 ] || fail "run --repeat: exit $rc, stdout '$out'"
[[ $err =~ ^mean\ [0-9]+\.[0-9]\ ns/run$ ]] || fail "run --repeat: stderr '$err' is not 'mean X.Y ns/run'"
checks=$((checks + 1))
run_cmd "$UEBPF" run "$tmp/ret7.s"
[ -z "$err" ] || fail "run without --repeat printed '$err' on stderr"

# --mem FILE and --mem-hex agree (ldxb-all reads every byte of its memory).
hex=$(section "$CONF/ldxb-all.data" mem | tr '\n' ' ')
section "$CONF/ldxb-all.data" asm >"$tmp/ldxb-all.s"
printf "$(echo $hex | sed 's/\([0-9a-fA-F][0-9a-fA-F]\) */\\x\1/g')" >"$tmp/ldxb-all.mem"
want=$(canon "$(section "$CONF/ldxb-all.data" result)")
expect_out "run --mem" "$want" "$UEBPF" run --mem "$tmp/ldxb-all.mem" "$tmp/ldxb-all.s"
expect_out "run --mem-hex spaced" "$want" "$UEBPF" run --mem-hex "$hex" "$tmp/ldxb-all.s"
expect_out "run --mem-hex packed" "$want" "$UEBPF" run --mem-hex "${hex// /}" "$tmp/ldxb-all.s"
expect_out "run --mem from stdin" "$want" "$UEBPF" run --mem - "$tmp/ldxb-all.s" <"$tmp/ldxb-all.mem"

# --- conformance files: round trip and results on every engine ------------------
jit_reason=
run_cmd "$UEBPF" run --engine jit "$tmp/ret7.ref.bin"
if [[ $err == *"not built yet"* ]]; then
	jit_reason=${err#"uebpf: $tmp/ret7.ref.bin: "}
	echo "note: skipping the JIT checks: $jit_reason"
fi
files="add alu64-arith lddw stxb-all be16 mem-len call_local jset-reg lock_cmpxchg div64-by-zero-reg
	lock_fetch_add movsx1632-reg ldxh-all2 subnet prime jslt-imm stdw"
for f in $files; do
	data=$CONF/$f.data
	[ -f "$data" ] || { fail "conformance file $f.data is missing"; continue; }
	section "$data" asm >"$tmp/$f.s"

	# asm -> disasm -> asm gives the same bytes.
	checks=$((checks + 1))
	if "$UEBPF" asm "$tmp/$f.s" -o "$tmp/$f.1.bin" &&
		"$UEBPF" disasm "$tmp/$f.1.bin" >"$tmp/$f.d.s" &&
		"$UEBPF" asm "$tmp/$f.d.s" -o "$tmp/$f.2.bin"; then
		cmp -s "$tmp/$f.1.bin" "$tmp/$f.2.bin" || fail "$f: asm -> disasm -> asm changed the bytes"
	else
		fail "$f: round trip failed"
	fi

	want=$(canon "$(section "$data" result)")
	mem=$(section "$data" mem | tr '\n' ' ')
	expect_out "$f (interp)" "$want" "$UEBPF" run --mem-hex "$mem" "$tmp/$f.s"
	if [ -z "$jit_reason" ]; then
		expect_out "$f (jit)" "$want" "$UEBPF" run --engine jit --mem-hex "$mem" "$tmp/$f.1.bin"
		expect_out "$f (jit, hardened)" "$want" "$UEBPF" run --engine jit --harden --mem-hex "$mem" "$tmp/$f.1.bin"
	fi
done

# The raw bytes the conformance suite gives for lddw are what asm makes.
checks=$((checks + 1))
section "$CONF/lddw.data" raw | while read -r q; do
	v=${q#0x}
	for i in 14 12 10 8 6 4 2 0; do printf "\\x${v:$i:2}"; done
done >"$tmp/lddw.raw.bin"
cmp -s "$tmp/lddw.raw.bin" "$tmp/lddw.1.bin" || fail "lddw: asm bytes differ from the suite's -- raw"

# --- disasm styles ----------------------------------------------------------------
checks=$((checks + 1))
run_cmd "$UEBPF" disasm "$tmp/ret7.ref.bin"
[ "$out" = $'mov %r0, 7\nexit' ] || fail "disasm ret7.bin printed '$out'"
checks=$((checks + 1))
run_cmd "$UEBPF" disasm --style=llvm "$tmp/ret7.ref.bin"
[ "$out" = $'       0:\tb7 00 00 00 07 00 00 00\tr0 = 7\n       1:\t95 00 00 00 00 00 00 00\texit' ] ||
	fail "disasm --style=llvm ret7.bin printed '$out'"

# On clang-built objects, --style=llvm prints what llvm-objdump -d prints.
examples=
for d in "${UEBPF_BUILD:-build/asan}/examples" "${UEBPF_BUILD:-build/asan}/../examples"; do
	[ -f "$d/fnv1a.bpf.o" ] && examples=$d && break
done
if [ -z "$examples" ]; then
	fail "no clang-built examples next to $UEBPF (make examples)"
elif command -v llvm-objdump >/dev/null; then
	for o in "$examples"/*.bpf.o; do
		[ -f "${o%.bpf.o}.bin" ] || continue # objects with maps have no raw form
		checks=$((checks + 1))
		llvm-objdump -d --section=.text "$o" | grep -P '^ +\d+:\t' | sed -E 's/ <[A-Za-z0-9_.]+>$//' >"$tmp/want.llvm"
		"$UEBPF" disasm --style=llvm "${o%.bpf.o}.bin" >"$tmp/got.llvm" 2>&1
		diff "$tmp/want.llvm" "$tmp/got.llvm" >"$tmp/llvm.diff" ||
			fail "disasm --style=llvm $(basename "${o%.bpf.o}.bin") differs from llvm-objdump: $(head -n 6 "$tmp/llvm.diff")"
	done
fi

# --- disasm --jited ------------------------------------------------------------------
if [ -z "$jit_reason" ]; then
	for harden in "" --harden; do
		checks=$((checks + 1))
		run_cmd "$UEBPF" disasm --jited $harden "$tmp/ret7.ref.bin"
		[ $rc -eq 0 ] || fail "disasm --jited $harden: exit $rc ($err)"
		grep -q '^; 0: mov %r0, 7$' "$tmp/out" || fail "disasm --jited $harden: no '; 0: mov %r0, 7' line"
		grep -q '^; 1: exit$' "$tmp/out" || fail "disasm --jited $harden: no '; 1: exit' line"
		grep -qP '^ +[0-9a-f]+:\t([0-9a-f]{2} )+ *\tret' "$tmp/out" || fail "disasm --jited $harden: no decoded ret"
	done
else
	expect_err "disasm --jited without a JIT" "uebpf: $tmp/ret7.ref.bin: $jit_reason" \
		"$UEBPF" disasm --jited "$tmp/ret7.ref.bin"
fi

echo "$checks checks, $failures failed"
[ $failures -eq 0 ]
