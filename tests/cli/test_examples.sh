#!/usr/bin/env bash
# The bundled examples give their expected results: runs examples/demo.sh
# (which checks every result) with the sanitizer-built command, on the
# interpreter and, once it exists, the JIT.
set -u
cd "$(dirname "$0")/../.."
UEBPF=${UEBPF_BUILD:-build/asan}/uebpf
[ -x "$UEBPF" ] || { echo "no $UEBPF: build it first"; exit 1; }

engines="interp jit"
probe=$(printf 'mov %%r0, 0\nexit\n' | "$UEBPF" run --engine jit - 2>&1)
if [[ $probe == *"not built yet"* ]]; then
	engines=interp
	echo "note: the JIT is not built yet; checking the examples on the interpreter only"
fi
DEMO_ENGINES=$engines DEMO_REPEAT=${DEMO_REPEAT:-100} bash examples/demo.sh "$UEBPF"
