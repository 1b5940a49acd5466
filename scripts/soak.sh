#!/usr/bin/env bash
# Long soak: a Monitor polls a simulated 3-broker cluster for KGTOP_SOAK_SECONDS (default 600)
# while broker faults toggle (down, reset mid-response, stall, coordinator errors). Prints the
# numbers (updates, failed polls, errors reported, connections, memory) and fails on a lost
# update, connection or memory growth, or data that is not current after the faults heal.
# `make test` runs the same test for 60 s.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export KGTOP_SOAK_SECONDS="${KGTOP_SOAK_SECONDS:-600}"
SWIFT="${SWIFT:-swift}"
echo "==> soak for ${KGTOP_SOAK_SECONDS} s"
"$SWIFT" build -Xswiftc -warnings-as-errors --build-tests
"$SWIFT" test --skip-build --filter 'SoakTests' 2>&1 | tee "${TMPDIR:-/tmp}/kgtop-soak.log"
grep -h '^soak:' "${TMPDIR:-/tmp}/kgtop-soak.log" || true
