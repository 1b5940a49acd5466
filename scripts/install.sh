#!/usr/bin/env bash
# Installs (or uninstalls) kgtop: the binary, shell completions and the man page.
#
#   scripts/install.sh [--prefix DIR] [--destdir DIR] [--bin PATH]    # make install
#   scripts/install.sh --uninstall [--prefix DIR] [--destdir DIR]     # make uninstall
#
#   --prefix DIR   where it goes (default /usr/local, or $PREFIX)
#   --destdir DIR  a staging root put in front of every path (default $DESTDIR, empty); packagers
#                  and the tests use it, the installed files still expect to live under PREFIX
#   --bin PATH     install this kgtop binary instead of building the release one
#                  (`swift build -c release -Xswiftc -warnings-as-errors --product kgtop`)
#
# Layout under DESTDIR/PREFIX:
#   bin/kgtop
#   share/bash-completion/completions/kgtop
#   share/zsh/site-functions/_kgtop
#   share/fish/vendor_completions.d/kgtop.fish
#   share/man/man1/kgtop.1
#
# The completions are the binary's own (`kgtop --generate-completion-script SHELL`); the man page
# is rendered by scripts/manpage.py from the binary's description of its commands
# (`kgtop --experimental-dump-help`), so both follow the command definitions.
# Bad arguments: a message and exit 64.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${PREFIX:-/usr/local}"
DESTDIR="${DESTDIR:-}"
BIN=""
UNINSTALL=0
SWIFT="${SWIFT:-swift}"

say() { echo "install: $*"; }
usage_error() { echo "install: $*" >&2; echo "usage: scripts/install.sh [--uninstall] [--prefix DIR] [--destdir DIR] [--bin PATH]" >&2; exit 64; }
die() { echo "install: ERROR: $*" >&2; exit 1; }

while (($#)); do
    case "$1" in
        --prefix|--destdir|--bin)
            (($# >= 2)) || usage_error "$1 needs a value"
            case "$1" in
                --prefix) PREFIX="$2" ;;
                --destdir) DESTDIR="$2" ;;
                --bin) BIN="$2" ;;
            esac
            shift 2 ;;
        --prefix=*) PREFIX="${1#*=}"; shift ;;
        --destdir=*) DESTDIR="${1#*=}"; shift ;;
        --bin=*) BIN="${1#*=}"; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) usage_error "unknown argument '$1'" ;;
    esac
done
[[ -n "$PREFIX" ]] || usage_error "--prefix must not be empty"
[[ "$PREFIX" == /* ]] || usage_error "--prefix must be an absolute path, not '$PREFIX'"
[[ -z "$DESTDIR" || "$DESTDIR" == /* ]] || DESTDIR="$(pwd)/$DESTDIR"
PREFIX="${PREFIX%/}"
DEST="${DESTDIR%/}$PREFIX"

# Every installed file, relative to PREFIX: the one list install and uninstall both use.
FILES=(
    bin/kgtop
    share/bash-completion/completions/kgtop
    share/zsh/site-functions/_kgtop
    share/fish/vendor_completions.d/kgtop.fish
    share/man/man1/kgtop.1
)

if ((UNINSTALL)); then
    [[ -z "$BIN" ]] || usage_error "--bin has no meaning with --uninstall"
    for f in "${FILES[@]}"; do
        if [[ -e "$DEST/$f" || -L "$DEST/$f" ]]; then
            rm -f "$DEST/$f"
            say "removed $DEST/$f"
        fi
    done
    say "kgtop uninstalled from $DEST"
    exit 0
fi

if [[ -z "$BIN" ]]; then
    say "swift build -c release -Xswiftc -warnings-as-errors --product kgtop"
    (cd "$ROOT" && "$SWIFT" build -c release -Xswiftc -warnings-as-errors --product kgtop)
    BIN="$(cd "$ROOT" && "$SWIFT" build -c release -Xswiftc -warnings-as-errors --show-bin-path)/kgtop"
fi
[[ -f "$BIN" && -x "$BIN" ]] || usage_error "--bin: '$BIN' is not an executable file"
command -v python3 >/dev/null || die "python3 is needed to render the man page (scripts/manpage.py)"

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
version="$("$BIN" --version)" || die "$BIN --version failed"
for shell in bash zsh fish; do
    "$BIN" --generate-completion-script "$shell" > "$STAGE/completion.$shell" \
        || die "$BIN --generate-completion-script $shell failed"
    [[ -s "$STAGE/completion.$shell" ]] || die "$BIN wrote an empty $shell completion script"
done
"$BIN" --experimental-dump-help > "$STAGE/commands.json" || die "$BIN --experimental-dump-help failed"
python3 "$ROOT/scripts/manpage.py" --version "$version" < "$STAGE/commands.json" > "$STAGE/kgtop.1" \
    || die "scripts/manpage.py could not render the man page"

put() { # mode source relative-target
    install -D -m "$1" "$2" "$DEST/$3"
    say "installed $DEST/$3"
}
put 755 "$BIN" bin/kgtop
put 644 "$STAGE/completion.bash" share/bash-completion/completions/kgtop
put 644 "$STAGE/completion.zsh" share/zsh/site-functions/_kgtop
put 644 "$STAGE/completion.fish" share/fish/vendor_completions.d/kgtop.fish
put 644 "$STAGE/kgtop.1" share/man/man1/kgtop.1
say "kgtop $version installed under $DEST"
