#!/usr/bin/env bash
# The generated programs that are socket filters, verified under the
# unprivileged rules by uebpf and by the kernel (test_verifier_gen with
# UEBPF_GEN_UNPRIV=1). The kernel loads unprivileged programs only where
# kernel.unprivileged_bpf_disabled is 0; elsewhere (Debian's default is 2)
# the test skips and says so: it does not change the setting itself.
set -u
cd "$(dirname "$0")/../.."
GEN=${UEBPF_BUILD:-build/asan}/tests/verifier/test_verifier_gen
[ -x "$GEN" ] || { echo "no $GEN: build it first"; exit 1; }
UEBPF_GEN_UNPRIV=1 exec "$GEN"
