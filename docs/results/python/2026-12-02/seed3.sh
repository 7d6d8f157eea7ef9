#!/usr/bin/env bash
# 2026-12-02, 02:54: the load fell to ~10, so the two seed-3 protected runs stopped at 02:43
# (logs in seed3-stopped/) were run again, side by side; same commands as measure.sh.
set -uo pipefail
work=/tmp/encryip-measure.rd1WVa; out=/work/wt-py13/docs/results/python/2026-12-02
here=/work/wt-py13/examples; py=/usr/bin/python3
export ENCRYIP_LIB=/work/wt-py13/build/libencryip.so OMP_NUM_THREADS=1
run() { echo "== $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg): $*"; nice -n 10 "$@" || echo "== exit $?"; }
for g in paper ristretto255; do
    run $py "$here/protect_pytorch.py" --data "$work/data" --epochs 4 --batch 64 --lr 3e-3 --width 16 \
        --threads 1 --group $g --seed 3 --force --out "$work/b-$g-3" --honest "$work/plain-3.pt" \
        --json "$out/$g-s3.json" > "$out/$g-s3.log" 2>&1 &
done
wait
