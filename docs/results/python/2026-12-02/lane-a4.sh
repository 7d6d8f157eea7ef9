#!/usr/bin/env bash
# 2026-12-02, 02:45: the DDP block's 1-process 1-thread run, right after its 1-process
# 2-thread run (pid 32222) ends; same command as measure.sh / lane-a2.sh.
set -uo pipefail
work=/tmp/encryip-measure.rd1WVa; out=/work/wt-py13/docs/results/python/2026-12-02
here=/work/wt-py13/examples; py=/usr/bin/python3
export ENCRYIP_LIB=/work/wt-py13/build/libencryip.so OMP_NUM_THREADS=1
run() { echo "== $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg): $*"; nice -n 10 "$@" || echo "== exit $?"; }
while kill -0 32222 2>/dev/null; do sleep 2; done
ddp=(--data "$work/data" --train-limit 10000 --epochs 2 --lr 3e-3 --width 16 --group ristretto255 --seed 1 --force)
run $py "$here/protect_pytorch.py" "${ddp[@]}" --batch 64 --threads 1 --out "$work/b-1p1t" \
    --json "$out/ddp-1proc-1thread.json" > "$out/ddp-1proc-1thread.log" 2>&1
