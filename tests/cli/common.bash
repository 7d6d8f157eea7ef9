# Shared set-up and checks of the CLI tests (tests/cli/*.sh); not a test itself.
#   source "$(dirname "${BASH_SOURCE[0]}")/common.bash" NAME "$1"
# sets bin (the encryip binary, absolute), tmp (a fresh directory, removed on
# exit, and the working directory) and fails (failed checks so far); the test
# ends with `finish NAME`, which exits non-zero if any check failed.
bin="$(readlink -f "$2")"
tmp="$(mktemp -d "/tmp/eip_$1.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*" >&2; fails=$((fails + 1)); }
# check WHAT COMMAND...: the command's success is the check.
check() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
# expect_rc CODE WHAT -- COMMAND...: its exit code must be CODE; stdout in
# out.log, stderr in err.log (working directory).
expect_rc() {
    local want="$1" what="$2"; shift 3
    local rc=0
    "$@" >out.log 2>err.log || rc=$?
    if [[ "$rc" == "$want" ]]; then
        pass "$what (exit $rc)"
    else
        fail "$what: exit $rc, want $want"; tail -n 5 out.log err.log >&2
    fi
}
# expect CODE COMMAND...: as expect_rc, unnamed; stdout in $tmp/out, stderr in $tmp/err.
expect() {
    local want=$1; shift
    local rc=0
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [[ $rc -ne $want ]]; then
        fail "exit $rc (wanted $want): $*"; sed 's/^/    /' "$tmp/err" | tail -n 5 >&2
    fi
}
# has PATTERN FILE: grep -q, or a failed check showing the file's end.
has() { grep -q -- "$1" "$2" || { fail "'$1' not in $2:"; sed 's/^/    /' "$2" | tail -n 5 >&2; }; }
mode() { stat -c %a "$1"; }
finish() {
    if ((fails)); then echo "$1: $fails check(s) failed" >&2; exit 1; fi
    echo "$1: all checks passed"
}
