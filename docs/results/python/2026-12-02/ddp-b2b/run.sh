#!/usr/bin/env bash
# 2026-12-02, 02:47: the load fell to ~15, so the DDP block's 2-process and 2-thread runs
# were repeated right after its 1-thread run (../ddp-1proc-1thread.*), back to back,
# nothing else of ours running; same commands as measure.sh's DDP block.
# Its JSON and logs were moved up to ../ afterwards (the first round's to ../ddp-first-round/).
set -uo pipefail
work=/tmp/encryip-measure.rd1WVa; out=/work/wt-py13/docs/results/python/2026-12-02/ddp-b2b
here=/work/wt-py13/examples; py=/usr/bin/python3
export ENCRYIP_LIB=/work/wt-py13/build/libencryip.so OMP_NUM_THREADS=1
run() { echo "== $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg): $*"; nice -n 10 "$@" || echo "== exit $?"; }
while kill -0 7697 2>/dev/null; do sleep 1; done
ddp=(--data "$work/data" --train-limit 10000 --epochs 2 --lr 3e-3 --width 16 --group ristretto255 --seed 1 --force)
run $py -m torch.distributed.run --nproc_per_node=2 --redirects 1 --tee 1 --rdzv_backend=c10d \
    --rdzv_endpoint=127.0.0.1:0 "$here/protect_pytorch.py" "${ddp[@]}" --batch 32 --threads 1 \
    --out "$work/b-ddp2" --json "$out/ddp-2proc-1thread.json" > "$out/ddp-2proc-1thread.log" 2>&1
run $py "$here/protect_pytorch.py" "${ddp[@]}" --batch 64 --threads 2 --out "$work/b-1p2t" \
    --json "$out/ddp-1proc-2threads.json" > "$out/ddp-1proc-2threads.log" 2>&1
echo "end $(date -u +%T): load $(cat /proc/loadavg)"
