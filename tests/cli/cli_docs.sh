#!/usr/bin/env bash
# The CLI's option tables, its --help and docs/CLI.md agree: for every
# command of the command table, the options its tables declare (`encryip
# help --list-options CMD`, which also checks the tables: one typed variable
# per option, parseable defaults, unique names, the usage line names only
# real options), the options its --help lists and the options listed in its
# `### encryip CMD` section of docs/CLI.md (lines starting with - `--name`)
# are the same set.  Also: `help CMD` prints the command's help, --version,
# and the parser's behaviour on bad flags (exit 2 naming the flag).
# $1 = encryip binary, $2 = source dir.  Any failed check exits non-zero.
set -euo pipefail
docs="$(readlink -f "$2")/docs/CLI.md"
# shellcheck source=tests/cli/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash" cli_docs "$1"

# The option names documented for one command: its "### encryip CMD" section
# up to the next heading of level <= 3.
doc_options() {
    awk -v want="### encryip $1" '
        /^(#|##|###) / { on = ($0 == want); next }
        on && /^- `--[a-z0-9-]+/ { s = $0; sub(/^- `/, "", s); sub(/[ `].*/, "", s); print s }
    ' "$docs" | sort
}

"$bin" help --list-commands >commands.txt || fail "help --list-commands"
ncmd=$(wc -l <commands.txt)
check "command table is not empty ($ncmd commands)" test "$ncmd" -gt 20
while IFS= read -r c; do
    # shellcheck disable=SC2086
    if ! "$bin" help --list-options $c >table.txt 2>table.err; then
        fail "$c: option table: $(cat table.err)"
        continue
    fi
    sort table.txt >table.sorted
    # shellcheck disable=SC2086
    "$bin" $c --help >help.txt || fail "$c --help exits non-zero"
    grep -E '^  --[a-z0-9-]+' help.txt | awk '{ print $1 }' | grep -vx -- '--help' | sort >help.sorted || true
    doc_options "$c" >doc.sorted
    check "$c: --help lists the table's options" cmp -s table.sorted help.sorted
    if ! cmp -s table.sorted doc.sorted; then
        fail "$c: docs/CLI.md '### encryip $c' lists other options than the table:"
        diff table.sorted doc.sorted | sed 's/^</    missing in docs:/; s/^>/    not an option:/' | grep -E 'missing|not an' >&2 || true
    else
        pass "$c: docs/CLI.md lists the table's options ($(wc -l <table.sorted))"
    fi
    # shellcheck disable=SC2086
    "$bin" help $c >help2.txt || fail "help $c exits non-zero"
    check "help $c = $c --help" cmp -s help.txt help2.txt
done <commands.txt

# every "### encryip CMD" section of the docs is a command
grep '^### encryip ' "$docs" | sed 's/^### encryip //' | sort >doc_cmds.txt
sort commands.txt >cmds.sorted
check "docs/CLI.md has one section per command, no other" cmp -s cmds.sorted doc_cmds.txt

expect_rc 0 "--version" -- "$bin" --version
check "--version prints encryip X.Y.Z" grep -qE '^encryip [0-9]+\.[0-9]+\.[0-9]+$' out.log
check "--version is documented" grep -q -- '--version' "$docs"
expect_rc 0 "help" -- "$bin" help
check "help lists the commands" grep -q "attack dlog" out.log
expect_rc 2 "help of an unknown command" -- "$bin" help nosuch
expect_rc 2 "no command" -- "$bin"

# the parser (no file is read: these fail before the command runs)
expect_rc 2 "unknown option" -- "$bin" train --dataset mnist --model smallcnn --out m --bogus
check "names the unknown option" grep -q -- "unknown option '--bogus'" err.log
expect_rc 2 "given twice" -- "$bin" train --dataset mnist --model smallcnn --out m --epochs 1 --epochs=2
check "names the repeated option" grep -q -- "'--epochs' given twice" err.log
expect_rc 2 "not an integer (--opt=value)" -- "$bin" train --dataset mnist --model smallcnn --out m --epochs=abc
check "names the flag and the value" grep -q -- "--epochs: 'abc' is not an integer" err.log
expect_rc 2 "out of range" -- "$bin" train --dataset mnist --model smallcnn --out m --batch 0
check "names the range" grep -q -- "--batch: 0 is outside \[1, 65536\]" err.log
expect_rc 2 "not a choice" -- "$bin" train --dataset mnist --model smallcnn --out m --optim adam
check "names the choices" grep -q -- "--optim: 'adam' is not sgd or adamw" err.log
expect_rc 2 "warmup beyond epochs" -- "$bin" train --dataset mnist --model smallcnn --out m --epochs 2 --warmup 3
check "names --warmup" grep -q -- "--warmup: 3 is outside \[0, 2\]" err.log
expect_rc 2 "library-parsed value" -- "$bin" keygen --classes 10 --licensees 2 --out k --group nope
check "names --group" grep -q -- "--group:" err.log
expect_rc 2 "missing required option" -- "$bin" train --model smallcnn --out m
check "names the required option" grep -q -- "missing required option '--dataset NAME'" err.log
expect_rc 2 "flag with a value" -- "$bin" keygen --classes 10 --licensees 2 --out k --force=yes
expect_rc 2 "value missing at the end" -- "$bin" keygen --classes 10 --licensees 2 --out
expect_rc 2 "deprecated alias counts as the option" -- "$bin" advparams encrypt --model m --out o --key k \
    --dataset mnist --data mnist
check "alias: given twice" grep -q -- "'--dataset' given twice" err.log

finish cli_docs
