#!/usr/bin/env bash
# Asks Package.swift what it declares, so make targets can run steps only once they exist.
#
#   scripts/pkg-query.sh has-tests        exit 0 when the package has at least one test target
#   scripts/pkg-query.sh has-target NAME  exit 0 when the package has a target or product NAME
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${KGTOP_VENV:-$ROOT/.venv}/bin/python"
[[ -x "$PY" ]] || PY=python3
json="$(cd "$ROOT" && swift package dump-package)"
"$PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
what, name = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
targets = d.get("targets", [])
if what == "has-tests":
    ok = any(t.get("type") == "test" for t in targets)
elif what == "has-target" and name:
    ok = any(t.get("name") == name for t in targets) or any(p.get("name") == name for p in d.get("products", []))
else:
    print("usage: pkg-query.sh has-tests | has-target NAME", file=sys.stderr)
    sys.exit(2)
sys.exit(0 if ok else 1)
' "$@" <<<"$json"
