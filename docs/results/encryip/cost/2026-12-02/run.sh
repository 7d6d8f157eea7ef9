#!/bin/bash
# Before (main at fae9ddf) and after (branch cost16) side by side: in each
# round the two `experiment cost --rounds 1` processes run concurrently (the
# same load for both), 1 thread each; summarize.py takes medians over rounds.
# Binaries: /tmp/encryip-before (git archive main, RelWithDebInfo), /tmp/encryip-after.
set -u
out=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-2}
for r in $(seq 1 "$rounds"); do
  echo "round $r start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/rounds.log"
  for v in before after; do
    nice -n 10 /tmp/encryip-$v experiment cost --limit 0 --epochs 3 --rounds 1 --threads 1 \
      --out "$out/$v-r$r" > "$out/$v-r$r.log" 2>&1 &
  done
  wait
  echo "round $r end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/rounds.log"
done
