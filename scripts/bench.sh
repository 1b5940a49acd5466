#!/usr/bin/env bash
# make bench: kgtop's performance on simulated estates, side by side with the tools people use.
#
# 1. Builds kgtop and KgtopBench in release mode (scratch path .build-release).
# 2. For each estate, starts `kgtop sim` as a separate process (3 brokers; groups half KIP-848, half
#    classic, 3 members each, each group on its own topic, producers moving the log ends) and runs
#    KgtopBench against it: full polls, requests and bytes per API, CPU, a steady 2 s loop, peak RSS,
#    `kgtop snapshot` end to end, and dashboard frame / new-data / filter costs at 200x60.
# 3. On the same running clusters: confluent-kafka's AdminClient (scripts/bench_adminclient.py) and
#    kafkatop --summary-json (installed from PyPI into .venv/kafkatop at bench time, if it installs).
# 4. On the standard estate's running cluster: `kgtop serve --all-contexts` with two contexts that
#    both point at it (scripts/bench_serve.py), once with --partition-metrics on and once off:
#    /metrics scrape time, bytes and samples, and serve's peak RSS.
# 5. Instructions per derivation (diff, episodes, history, health, time lag of one poll), counted
#    by valgrind's callgrind on `KgtopBench --derive-only` at the standard estate: a figure that
#    does not move with the machine's load, unlike CPU seconds. Valgrind is installed with apt-get
#    when missing (BENCH_INSTRUCTIONS=0 skips the stage).
# 6. Prints the table and writes bench-results/latest.json and bench-results/latest.md.
#
# Environment knobs (defaults in brackets): BENCH_GROUPS [10000], BENCH_PARTITIONS [10],
# BENCH_MEMBERS [3], BENCH_PRODUCE_RATE [5 records/s per topic], BENCH_POLLS [15],
# BENCH_STEADY_SECONDS [60], BENCH_PEER_TIMEOUT [300 s], BENCH_KAFKATOP [1: try kafkatop],
# BENCH_QUICK [0: 1 skips the smaller estates' steady loop and peers at 2,000 groups],
# BENCH_SCALE_GROUPS [50000: the scale estate, BENCH_PARTITIONS partitions each, polled by KgtopBench
# alone (BENCH_SCALE_POLLS [5] polls, a BENCH_SCALE_STEADY_SECONDS [20] s steady loop, frames, no
# snapshot runs, no peers); 0 skips it],
# BENCH_ONLY [empty: every stage; `serve` builds kgtop alone, starts the standard estate (BENCH_GROUPS
# groups) and runs only the serve stage], BENCH_SERVE_SCRAPES [5], BENCH_SERVE_MAX_SERIES [5000000:
# high enough that serve drops nothing, so the figures are the whole estate's], BENCH_INSTRUCTIONS
# [1: count instructions per derivation with callgrind; 0 skips it].
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCRATCH="$ROOT/.build-release"
RESULTS="$ROOT/bench-results"
RUN="$RESULTS/run"
GROUPS_STD="${BENCH_GROUPS:-10000}"
PARTS_STD="${BENCH_PARTITIONS:-10}"
MEMBERS="${BENCH_MEMBERS:-3}"
RATE="${BENCH_PRODUCE_RATE:-5}"
POLLS="${BENCH_POLLS:-15}"
STEADY="${BENCH_STEADY_SECONDS:-60}"
PEER_TIMEOUT="${BENCH_PEER_TIMEOUT:-300}"
TRY_KAFKATOP="${BENCH_KAFKATOP:-1}"
QUICK="${BENCH_QUICK:-0}"
ONLY="${BENCH_ONLY:-}"
SERVE_SCRAPES="${BENCH_SERVE_SCRAPES:-5}"
SERVE_MAX_SERIES="${BENCH_SERVE_MAX_SERIES:-5000000}"
SCALE_GROUPS="${BENCH_SCALE_GROUPS:-50000}"
SCALE_POLLS="${BENCH_SCALE_POLLS:-5}"
SCALE_STEADY="${BENCH_SCALE_STEADY_SECONDS:-20}"
INSTRUCTIONS="${BENCH_INSTRUCTIONS:-1}"
VENV="${KGTOP_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
START=$SECONDS

say() { echo "bench: $*" >&2; }
die() { echo "bench: ERROR: $*" >&2; exit 1; }

[[ -x "$PY" ]] || die "no venv python at $PY: run scripts/bootstrap.sh (make bench does)"
[[ -z "$ONLY" || "$ONLY" == serve ]] || die "BENCH_ONLY=$ONLY: expected serve (or unset for every stage)"
[[ "$INSTRUCTIONS" == 0 || "$INSTRUCTIONS" == 1 ]] || die "BENCH_INSTRUCTIONS=$INSTRUCTIONS: expected 0 (skip the callgrind stage) or 1"
rm -rf "$RUN"
mkdir -p "$RUN"

say "building release (scratch path .build-release; a first build takes several minutes)"
swift build -c release --scratch-path "$SCRATCH" -Xswiftc -warnings-as-errors --product kgtop >&2
[[ -n "$ONLY" ]] || swift build -c release --scratch-path "$SCRATCH" -Xswiftc -warnings-as-errors --product KgtopBench >&2
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"
KGTOP="$BIN/kgtop"
BENCH="$BIN/KgtopBench"

# --- simulator processes --------------------------------------------------------------------------
SIM_PID=""
SIM_BOOTSTRAP=""
stop_sim() {
    if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    SIM_PID=""
}
trap stop_sim EXIT

# start_sim NAME GROUPS PARTITIONS: starts `kgtop sim`, waits for its bootstrap line and lets the
# classic groups finish their first rebalance.
start_sim() {
    local name="$1" groups="$2" parts="$3"
    local out="$RUN/sim-$name.out"
    say "starting kgtop sim: $groups groups x $parts partitions, $MEMBERS members each, $RATE records/s per topic"
    "$KGTOP" sim --brokers 3 --groups "$groups" --partitions "$parts" --members "$MEMBERS" \
        --produce-rate "$RATE" >"$out" 2>"$RUN/sim-$name.err" &
    SIM_PID=$!
    for _ in $(seq 6000); do   # up to 10 minutes: the scale estate takes a while to build
        [[ -s "$out" ]] && break
        kill -0 "$SIM_PID" 2>/dev/null || die "kgtop sim exited: $(cat "$RUN/sim-$name.err")"
        sleep 0.1
    done
    SIM_BOOTSTRAP="$(head -1 "$out")"
    [[ -n "$SIM_BOOTSTRAP" ]] || die "kgtop sim printed no bootstrap list"
    say "sim ready at $SIM_BOOTSTRAP ($(tail -1 "$RUN/sim-$name.err")); settling 8 s"
    sleep 8
}

# sim_stats NAME: the simulator's CPU seconds and peak RSS so far (it shares the cores with kgtop).
sim_stats() {
    local name="$1"
    [[ -r "/proc/$SIM_PID/stat" ]] || return 0
    "$PY" - "$SIM_PID" "$RUN/simstats-$name.json" <<'EOF'
import json, os, sys
pid, out = sys.argv[1], sys.argv[2]
stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
tick = os.sysconf("SC_CLK_TCK")
hwm = next((l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")), "0")
json.dump({"cpuSeconds": (int(stat[11]) + int(stat[12])) / tick, "peakRSSMB": int(hwm) / 1024}, open(out, "w"))
EOF
}

run_kgtop_bench() {
    local name="$1" steady="$2" snapshots="$3" polls="${4:-$POLLS}"
    say "KgtopBench $name"
    "$BENCH" --bootstrap "$SIM_BOOTSTRAP" --label "$name" --out "$RUN/kgtop-$name.json" \
        --polls "$polls" --steady-seconds "$steady" --interval 2 --kgtop "$KGTOP" --snapshot-runs "$snapshots" \
        --sim-pid "$SIM_PID"
}

run_adminclient() {
    local name="$1"
    say "AdminClient peer on $name (deadline ${PEER_TIMEOUT} s)"
    local rc=0
    timeout -k 15 "$((PEER_TIMEOUT + 30))" "$PY" "$ROOT/scripts/bench_adminclient.py" "$SIM_BOOTSTRAP" \
        --timeout "$PEER_TIMEOUT" --out "$RUN/adminclient-$name.json" >&2 || rc=$?
    if [[ ! -s "$RUN/adminclient-$name.json" ]]; then
        echo "{\"peer\": \"confluent-kafka AdminClient\", \"completed\": false, \"timed_out\": true, \"exit\": $rc}" \
            >"$RUN/adminclient-$name.json"
    fi
}

KAFKATOP=""
install_kafkatop() {
    [[ "$TRY_KAFKATOP" == 1 ]] || { echo "skipped (BENCH_KAFKATOP=0)" >"$RUN/kafkatop-install.txt"; return 0; }
    local kv="$VENV/kafkatop"
    if [[ -x "$kv/bin/kafkatop" ]]; then KAFKATOP="$kv/bin/kafkatop"; return 0; fi
    say "installing kafkatop from PyPI into .venv/kafkatop (its own venv, so the test peers' pins stay)"
    if "$PY" -m venv "$kv" >"$RUN/kafkatop-install.txt" 2>&1 \
        && "$kv/bin/python" -m pip install -q --disable-pip-version-check kafkatop >>"$RUN/kafkatop-install.txt" 2>&1 \
        && [[ -x "$kv/bin/kafkatop" ]]; then
        KAFKATOP="$kv/bin/kafkatop"
    else
        say "kafkatop did not install (see bench-results/run/kafkatop-install.txt)"
    fi
}

run_kafkatop() {
    local name="$1"
    local out="$RUN/kafkatop-$name.json"
    if [[ -z "$KAFKATOP" ]]; then
        echo '{"peer": "kafkatop", "completed": false, "note": "did not install"}' >"$out"
        return 0
    fi
    say "kafkatop --summary-json on $name (deadline ${PEER_TIMEOUT} s)"
    local first="${SIM_BOOTSTRAP%%,*}"
    local t0 t1 rc=0
    t0=$(date +%s%N)
    timeout -k 15 "$PEER_TIMEOUT" "$KAFKATOP" --kafka-broker "$first" --summary-json \
        >"$RUN/kafkatop-$name.stdout" 2>"$RUN/kafkatop-$name.stderr" || rc=$?
    t1=$(date +%s%N)
    "$PY" - "$out" "$rc" "$t0" "$t1" "$RUN/kafkatop-$name.stdout" "$RUN/kafkatop-$name.stderr" "$KAFKATOP" <<'EOF'
import json, subprocess, sys
out, rc, t0, t1, so, se, exe = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
r = {"peer": "kafkatop --summary-json", "exit": rc, "seconds": (t1 - t0) / 1e9}
try:
    r["version"] = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()[:80]
except Exception:
    pass
text = open(so).read()
try:
    doc = json.loads(text)
    r["completed"] = rc == 0
    r["groups"] = len(doc) if isinstance(doc, (list, dict)) else None
except Exception:
    r["completed"] = False
    r["timed_out"] = rc in (124, 137)
    err = open(se).read().strip().splitlines()
    r["note"] = ("timed out" if r["timed_out"] else "failed: " + (err[-1] if err else text[:200]))[:300]
json.dump(r, open(out, "w"), indent=2)
EOF
}

# run_serve NAME: `kgtop serve` with two contexts on the running simulator, partition metrics on
# and off (scripts/bench_serve.py starts and stops serve, each stop bounded).
run_serve() {
    local name="$1"
    say "kgtop serve, two contexts, on $name ($SERVE_SCRAPES scrapes per run)"
    timeout -k 15 1200 "$PY" "$ROOT/scripts/bench_serve.py" "$KGTOP" "$SIM_BOOTSTRAP" "$RUN" \
        "$RUN/serve-$name.json" --contexts 2 --scrapes "$SERVE_SCRAPES" --max-series "$SERVE_MAX_SERIES" \
        --groups "$GROUPS_STD" --partitions "$PARTS_STD" >&2 \
        || say "serve stage failed (see bench-results/run/serve-*.err)"
}

# run_instructions: instructions per derivation at the standard estate, by callgrind. Collection is
# switched on only inside PollDerivation.ingest (its symbol, not its closures'), and two runs that
# differ by one poll are subtracted, so the figure is one steady derivation's (the estate's
# generation is not counted).
run_instructions() {
    [[ "$INSTRUCTIONS" == 1 ]] || return 0
    # not_counted REASON: says so, and leaves the reason for the report.
    not_counted() {
        say "$1: instructions not counted"
        "$PY" -c 'import json, sys; json.dump({"note": sys.argv[2]}, open(sys.argv[1], "w"))' "$RUN/instructions.json" "$1"
    }
    if ! command -v valgrind >/dev/null; then
        local sudo=()
        [[ "$(id -u)" == 0 ]] || sudo=(sudo -n)
        say "installing valgrind with apt-get (for the instruction counts)"
        { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends valgrind; } >/dev/null 2>&1 \
            || { not_counted "valgrind could not be installed"; return 0; }
    fi
    # Valgrind 3.19 cannot read the DWARF 5 debug information of the Swift toolchain: a copy
    # without it keeps the symbols, which is all the counts need.
    objcopy --strip-debug "$BENCH" "$RUN/KgtopBench-nodebug" || { not_counted "objcopy could not copy KgtopBench"; return 0; }
    local counts=()
    for polls in 2 3; do
        say "callgrind: KgtopBench --derive-only, $GROUPS_STD groups x $PARTS_STD, $polls polls (a few minutes)"
        # The pattern names `ingest` itself: its closures' symbols begin with the same name, and
        # entering a matched function toggles collection (a nested match would switch it off).
        valgrind --tool=callgrind --collect-atstart=no '--toggle-collect=$s10GroupModel14PollDerivationV6ingesty*ClusterSnapshotVnF' \
            --callgrind-out-file="$RUN/callgrind-derive-$polls.out" "$RUN/KgtopBench-nodebug" --derive-only \
            --groups "$GROUPS_STD" --partitions "$PARTS_STD" --polls "$polls" >"$RUN/callgrind-derive-$polls.log" 2>&1 \
            || { not_counted "the callgrind run failed (see bench-results/run/callgrind-derive-$polls.log)"; return 0; }
        counts+=("$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$RUN/callgrind-derive-$polls.log" | tail -1)")
        [[ -n "${counts[-1]}" ]] || { not_counted "callgrind printed no count (see bench-results/run/callgrind-derive-$polls.log)"; return 0; }
        [[ "${counts[-1]}" != 0 ]] || { not_counted "callgrind counted nothing: no function matched the PollDerivation.ingest pattern (renamed?)"; return 0; }
    done
    rm -f "$RUN/KgtopBench-nodebug" "$RUN"/callgrind-derive-*.out
    "$PY" - "$RUN/instructions.json" "$GROUPS_STD" "$PARTS_STD" "${counts[@]}" <<'EOF2'
import json, sys
out, groups, parts, two, three = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
json.dump({"groups": groups, "partitions": parts, "derivationInstructions": three - two,
           "collectedTwoPolls": two, "collectedThreePolls": three}, open(out, "w"), indent=2)
EOF2
}

# --- the runs -------------------------------------------------------------------------------------
if [[ "$ONLY" == serve ]]; then
    start_sim standard "$GROUPS_STD" "$PARTS_STD"
    run_serve standard
    sim_stats standard
    stop_sim
    say "report"
    "$PY" "$ROOT/scripts/bench_report.py" "$RUN" "$RESULTS" "$((SECONDS - START))"
    exit 0
fi

install_kafkatop

start_sim standard "$GROUPS_STD" "$PARTS_STD"
run_kgtop_bench standard "$STEADY" 5
run_adminclient standard
run_kafkatop standard
run_serve standard
sim_stats standard
stop_sim

SMALL_STEADY=30
[[ "$QUICK" == 1 ]] && SMALL_STEADY=4
start_sim g1000 1000 10
run_kgtop_bench g1000 "$SMALL_STEADY" 3
run_adminclient g1000
run_kafkatop g1000
stop_sim

if [[ "$QUICK" != 1 ]]; then
    start_sim g2000 2000 10
    run_adminclient g2000
    stop_sim
fi

start_sim g1000p100 1000 100
run_kgtop_bench g1000p100 "$SMALL_STEADY" 3
stop_sim

run_instructions

# The scale estate (issue #17 item 5): polls, a steady loop and frames only, so that it stays a few
# minutes; its targets are read against the standard estate's per group-partition CPU.
if [[ "$SCALE_GROUPS" != 0 ]]; then
    start_sim scale "$SCALE_GROUPS" "$PARTS_STD"
    run_kgtop_bench scale "$SCALE_STEADY" 0 "$SCALE_POLLS"
    sim_stats scale
    stop_sim
fi

say "report"
"$PY" "$ROOT/scripts/bench_report.py" "$RUN" "$RESULTS" "$((SECONDS - START))"
