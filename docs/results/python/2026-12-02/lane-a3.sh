#!/usr/bin/env bash
# 2026-12-02, 02:36: lane-a2.sh stopped before its last two runs (time): ristretto255
# seed 3 started at once (beside the DDP block's 1-process 2-thread run and plain
# seed 3), the 1-process 1-thread run of the DDP block afterwards if time allowed.
set -uo pipefail
work=/tmp/encryip-measure.rd1WVa; out=/work/wt-py13/docs/results/python/2026-12-02
here=/work/wt-py13/examples; py=/usr/bin/python3
export ENCRYIP_LIB=/work/wt-py13/build/libencryip.so OMP_NUM_THREADS=1
run() { echo "== $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg): $*"; nice -n 10 "$@" || echo "== exit $?"; }
# --honest is read after training: plain seed 3 (lane B) has written it by then
run $py "$here/protect_pytorch.py" --data "$work/data" --epochs 4 --batch 64 --lr 3e-3 --width 16 \
    --threads 1 --group ristretto255 --seed 3 --force --out "$work/b-ristretto255-3" \
    --honest "$work/plain-3.pt" --json "$out/ristretto255-s3.json" > "$out/ristretto255-s3.log" 2>&1
