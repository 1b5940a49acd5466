#!/usr/bin/env bash
# End-to-end test of the dashboard in a real terminal: runs `kgtop demo` inside tmux, sends keys
# (every view, filter, drill in and out, pause, resize, quit), checks the captured screens, and
# checks that the terminal is restored after quit, SIGINT and SIGTERM.
# Usage: scripts/e2e-tui.sh [path-to-kgtop]
set -euo pipefail
bin="${1:-$(swift build --show-bin-path)/kgtop}"
[ -x "$bin" ] || { echo "e2e-tui: no kgtop binary at $bin" >&2; exit 1; }
command -v tmux >/dev/null || { echo "e2e-tui: tmux is not installed (scripts/bootstrap.sh installs it)" >&2; exit 1; }

run=0
sock="kgtop-e2e-$$-0"
t() { tmux -L "$sock" "$@"; }
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "  ok   $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL $*"; }
cleanup() { t kill-server 2>/dev/null || true; }
trap cleanup EXIT

# Waits (bounded) until the pane shows text matching $1.
wait_for() {
  local pattern="$1" what="$2" deadline=$((SECONDS + ${3:-20}))
  while [ $SECONDS -lt $deadline ]; do
    if t capture-pane -p -t e2e | grep -qE -- "$pattern"; then ok "$what"; return 0; fi
    sleep 0.2
  done
  bad "$what (no /$pattern/ on screen)"; t capture-pane -p -t e2e | sed 's/^/      | /' | head -30
  return 0
}

# Starts a shell in tmux whose terminal settings we can inspect after kgtop exits.
start() {
  cleanup
  run=$((run + 1)); sock="kgtop-e2e-$$-$run"
  t new-session -d -s e2e -x 120 -y 40 "bash --norc --noprofile"
  t send-keys -t e2e "export PS1='e2e\$ '; stty sane; clear" Enter
  sleep 0.3
  t send-keys -t e2e "$bin demo --interval 500ms; echo KGTOP_EXIT=\$?" Enter
  wait_for 'order-service' "demo starts and lists groups"
}

# After kgtop has exited: the shell prompt is back, the terminal is cooked and echoes, and the
# alternate screen is gone.
check_restored() {
  local how="$1"
  wait_for "KGTOP_EXIT=$2" "$how: kgtop exited with $2" 15
  # The typed command line itself never starts with "MODES[", so waiting for that at the start of a
  # line waits for the command's output, not for its echo.
  t send-keys -t e2e "m=\$(stty -a | tr ' ' '\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ' '); echo \"MODES[\$m]\"" Enter
  wait_for '^MODES\[[-a-z ]*\]' "$how: shell answers" 10
  local modes; modes=$(t capture-pane -p -t e2e | grep -E '^MODES\[' | tail -1 || true)
  if echo "$modes" | grep -qw icanon && echo "$modes" | grep -qw echo && ! echo "$modes" | grep -q -- '-icanon\|-echo'; then
    ok "$how: terminal restored (icanon echo)"
  else
    bad "$how: terminal not restored: '$modes'"
  fi
  if [ "$(t display -p -t e2e '#{alternate_on}')" = "0" ]; then ok "$how: alternate screen left"; else bad "$how: still on the alternate screen"; fi
}

echo "e2e-tui: $bin"
start
t send-keys -t e2e 2;   wait_for 'MEMBERS [0-9]+' "view 2 (group) shows members"
t send-keys -t e2e 3;   wait_for 'REBALANCES PER GROUP|ONGOING [0-9]' "view 3 (rebalances)"
t send-keys -t e2e 4;   wait_for 'GROUPS BY PROTOCOL AND ASSIGNOR' "view 4 (protocols)"
t send-keys -t e2e 5;   wait_for '[0-9]+ errors · [0-9]+ critical' "view 5 (errors)"
t send-keys -t e2e Enter; wait_for 'Message \(Esc closes|no errors' "Enter opens an error message in full"
t send-keys -t e2e Escape
t send-keys -t e2e 1;   wait_for 'of [0-9]+ groups · sorted by' "view 1 (groups)"
t send-keys -t e2e / l e d g e r Enter; wait_for '1 of [0-9]+ groups|filter' "filter to ledger"
t send-keys -t e2e Enter; wait_for 'ledger .*classic' "drill into ledger"
t send-keys -t e2e Escape; wait_for 'groups · sorted by' "back out to groups"
t send-keys -t e2e / Escape
t send-keys -t e2e p;   wait_for 'PAUSED' "pause shows PAUSED"
t send-keys -t e2e j k; wait_for 'PAUSED' "navigation works while paused"
t send-keys -t e2e p
t send-keys -t e2e '?'; wait_for 'Help .+ or Esc closes' "help overlay"
t send-keys -t e2e Escape
t resize-window -t e2e -x 90 -y 30; sleep 0.5; wait_for 'order-service|GROUP' "redraws after resize to 90x30"
t send-keys -t e2e q
check_restored "quit" 0

# The demo's first minute tells the deploy story: the rolling deploy of order-service starts after
# the first polls, its episode names a trigger other than unknown, and the slow pod is named as the
# member holding a partition the replacement waits for.
start
t send-keys -t e2e 3
wait_for '^ +order-service +consumer .*(leave|join|fence)' "first minute: the deploy episode names its trigger" 40
wait_for 'blocked +orders-[0-9]+ +held by order-service~' "first minute: a blocking member is named" 40
t send-keys -t e2e q
check_restored "story" 0

start
t send-keys -t e2e C-c
check_restored "SIGINT" 130

start
pid=$(pgrep -n -f "$bin demo" || true)
if [ -n "$pid" ]; then kill -TERM "$pid"; else bad "SIGTERM: no kgtop process found"; fi
check_restored "SIGTERM" 143

echo "e2e-tui: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
