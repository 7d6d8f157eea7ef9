#!/usr/bin/env bash
# usage: run.sh SOURCE_DIR LIBENCRYIP_SO ENCRYIP_CLI [pytest args]
# pytest's exit 5 (no test collected) is a failure too: any non-zero fails.
set -uo pipefail
src="$1"; so="$2"; cli="$3"; shift 3
export ENCRYIP_LIB="$so" ENCRYIP_CLI="$cli" PYTHONPATH="$src/python" ENCRYIP_SOURCE_DIR="$src"
cd "$src/tests/python" || exit 1
/usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" .
rc=$?
if [[ $rc -eq 5 ]]; then echo "FAIL: pytest collected no test"; fi
exit $rc
