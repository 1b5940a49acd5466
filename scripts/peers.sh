#!/usr/bin/env bash
# Helpers for tests that talk to real peers (see ../shared/test-peers/README.md).
# Run scripts/bootstrap.sh first (make test does).
#
#   scripts/peers.sh tansu-start PORT   start Tansu (memory storage) on 127.0.0.1:PORT in the background,
#                                       wait until the port accepts connections, print its pid
#   scripts/peers.sh tansu-stop PID     stop a Tansu started by tansu-start (TERM, then KILL after 5 s)
#   scripts/peers.sh tansu-ping PORT    list topics through confluent-kafka's AdminClient (exit 0 = answers)
#   scripts/peers.sh tansu-path         print the Tansu binary's path
#   scripts/peers.sh rdkafka216-dir     print the folder holding librdkafka.so.1 = librdkafka 2.16
#                                       (put it on LD_LIBRARY_PATH instead of Debian's 2.0.2)
#   scripts/peers.sh venv-python        print the venv's python (confluent-kafka 2.16.1)
#   scripts/peers.sh free-port          print a TCP port on 127.0.0.1 that is free right now
#   scripts/peers.sh env                print `export` lines for KGTOP_VENV, KGTOP_SHARED,
#                                       KGTOP_RDKAFKA216_DIR, KGTOP_TANSU (eval "$(scripts/peers.sh env)")
#
# Environment: KGTOP_VENV and KGTOP_TANSU override the defaults (.venv, .venv/peers/tansu);
# KGTOP_TANSU_WAIT (seconds, default 10) bounds the start-up wait; Tansu's output goes to
# ${TMPDIR:-/tmp}/kgtop-tansu-PORT.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KGTOP_VENV:-$ROOT/.venv}"

die() { echo "peers: $*" >&2; exit 1; }

tansu_path() {
    local t="${KGTOP_TANSU:-$VENV/peers/tansu}"
    [[ -x "$t" ]] || die "Tansu not found at $t: run scripts/bootstrap.sh"
    echo "$t"
}

rdkafka216_dir() {
    local d="${KGTOP_RDKAFKA216_DIR:-$VENV/rdkafka216}"
    [[ -e "$d/librdkafka.so.1" ]] || die "librdkafka 2.16 not found in $d: run scripts/bootstrap.sh"
    echo "$d"
}

venv_python() {
    [[ -x "$VENV/bin/python" ]] || die "no venv at $VENV: run scripts/bootstrap.sh"
    echo "$VENV/bin/python"
}

check_port() {
    [[ "${1:-}" =~ ^[0-9]+$ ]] && (($1 > 0 && $1 < 65536)) || die "bad port '${1:-}'"
}

# True while process $1 runs (a zombie, exited but not yet reaped, counts as gone).
alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# True when something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, no extra tools).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Runs "$@" with a clean slate: no descriptor above 2, no blocked signal, default dispositions.
# A Swift test's Foundation.Process hands its children (1) a socket it watches to see the child exit,
# which a broker that inherited it keeps open, so waitUntilExit() on `tansu-start` never returns, and
# (2) the signal mask of a dispatch thread, with SIGTERM and SIGINT blocked, so the broker would never
# see tansu-stop's SIGTERM. Bash cannot unblock signals, so the venv's Python does it, then execs.
exec_clean() {
    exec "$PYBIN" -I -S -c '
import os, signal, sys
signal.pthread_sigmask(signal.SIG_SETMASK, [])
for s in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGPIPE):
    signal.signal(s, signal.SIG_DFL)
os.closerange(3, os.sysconf("SC_OPEN_MAX"))
os.execv(sys.argv[1], sys.argv[1:])
' "$@"
}

tansu_start() {
    local port="${1:-}" wait_s="${KGTOP_TANSU_WAIT:-10}" tansu log pid deadline
    check_port "$port"
    tansu="$(tansu_path)"
    PYBIN="$(venv_python)"
    port_open "$port" && die "127.0.0.1:$port is already in use"
    log="${TMPDIR:-/tmp}/kgtop-tansu-$port.log"
    # Detached from the caller's stdin/stdout/stderr and every other descriptor (see exec_clean).
    (
        exec_clean "$tansu" broker \
            --listener-url "tcp://127.0.0.1:$port" \
            --advertised-listener-url "tcp://127.0.0.1:$port" \
            --storage-engine "memory://tansu/"
    ) </dev/null >"$log" 2>&1 &
    pid=$!
    deadline=$((SECONDS + wait_s))
    until port_open "$port"; do
        if ! alive "$pid"; then
            echo "peers: Tansu exited before listening on 127.0.0.1:$port; last lines of $log:" >&2
            tail -n 20 "$log" >&2 || true
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            die "Tansu did not listen on 127.0.0.1:$port within ${wait_s} s (log: $log)"
        fi
        sleep 0.02
    done
    echo "$pid"
}

tansu_stop() {
    local pid="${1:-}" i
    [[ "$pid" =~ ^[0-9]+$ ]] || die "bad pid '$pid'"
    alive "$pid" || return 0 # already gone
    # Only ever stop a Tansu.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'tansu' || die "pid $pid is not a Tansu"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 250; i++)); do
        alive "$pid" || return 0
        sleep 0.02
    done
    kill -KILL "$pid" 2>/dev/null || true
}

tansu_ping() {
    local port="${1:-}" py
    check_port "$port"
    py="$(venv_python)"
    "$py" - "$port" <<'PYEOF'
import sys
from confluent_kafka.admin import AdminClient
port = sys.argv[1]
a = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}", "socket.timeout.ms": 5000})
md = a.list_topics(timeout=5)
print(f"Tansu on 127.0.0.1:{port}: cluster {md.cluster_id}, brokers {sorted(str(b) for b in md.brokers.values())}, {len(md.topics)} topics")
PYEOF
}

free_port() {
    "$(venv_python)" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

print_env() {
    local shared=""
    [[ -d "$ROOT/../shared" ]] && shared="$(cd "$ROOT/../shared" && pwd)"
    printf 'export KGTOP_VENV=%q\n' "$VENV"
    printf 'export KGTOP_SHARED=%q\n' "$shared"
    printf 'export KGTOP_RDKAFKA216_DIR=%q\n' "${KGTOP_RDKAFKA216_DIR:-$VENV/rdkafka216}"
    printf 'export KGTOP_TANSU=%q\n' "${KGTOP_TANSU:-$VENV/peers/tansu}"
}

cmd="${1:-}"
shift || true
case "$cmd" in
    tansu-start) tansu_start "$@" ;;
    tansu-stop) tansu_stop "$@" ;;
    tansu-ping) tansu_ping "$@" ;;
    tansu-path) tansu_path ;;
    rdkafka216-dir) rdkafka216_dir ;;
    venv-python) venv_python ;;
    free-port) free_port ;;
    env) print_env ;;
    *) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; [[ -z "$cmd" || "$cmd" == -h || "$cmd" == --help ]] ;;
esac
