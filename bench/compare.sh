#!/bin/sh
# encryip training engine vs PyTorch, side by side: runs build/bench_nn (or build/bench/bench_nn) and
# tools/torch_bench.py with the same threads/batch/iterations and prints a markdown table
# (medians, ratios encryip/torch). All flags go to bench/compare.py (--help lists them).
# Usage (from the repo root; the machine is shared, so nice it):
#   nice -n 10 bench/compare.sh --threads 2 --batch 128
#   bench/compare.sh --quick --batch 16          # smoke test
here=$(dirname "$0")
exec /usr/bin/python3 "$here/compare.py" "$@"
