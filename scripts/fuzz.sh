#!/usr/bin/env bash
# Builds the libFuzzer target over the response decoders and runs it for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds="${1:-${FUZZ_SECONDS:-60}}"
echo "fuzz: building the decoder fuzzer (libFuzzer + AddressSanitizer)..."
swift build -c release --scratch-path ../.build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld 2>&1 | grep -E "error|warning:" || true
test -x ../.build-fuzz/release/KafkaFuzz || { echo "fuzz: build failed" >&2; exit 1; }
bin="../.build-fuzz/release/KafkaFuzz"
corpus="../.build-fuzz/corpus"
mkdir -p "$corpus"
# Seed the corpus with the real captures' response bodies, each routed to its decoder.
if [ -d ../../shared/fixtures/wire ]; then
  python3 - "$corpus" ../../shared/fixtures/wire <<'PY'
import json, os, sys
corpus, wire = sys.argv[1], sys.argv[2]
route = {18: 0, 3: 1, 16: 2, 10: 3, 15: 4, 69: 5, 9: 6, 2: 7, 60: 8}
for name in sorted(os.listdir(wire)):
    if not name.endswith(".json"):
        continue
    d = json.load(open(os.path.join(wire, name)))
    if d["api_key"] in route:
        body = bytes([route[d["api_key"]]]) + bytes.fromhex(d["response_body_hex"])
        open(os.path.join(corpus, name[:-5]), "wb").write(body)
PY
fi
echo "fuzz: running for ${seconds}s over $(ls "$corpus" | wc -l) seed inputs"
"$bin" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$corpus" 2>&1 | tail -15
