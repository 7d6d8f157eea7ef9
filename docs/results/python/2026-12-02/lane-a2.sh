#!/usr/bin/env bash
# 2026-12-02: measure.sh's lanes were too slow under load (each process got ~13 %
# of a core), so after ristretto255 seed 1 lane A was replaced by this script
# (same commands as measure.sh, same work dir): fine-tuning (both groups), the DDP
# block at a reduced size (10,000 images x 2 epochs), then ristretto255 seed 3.
set -uo pipefail
work=/tmp/encryip-measure.rd1WVa; out=/work/wt-py13/docs/results/python/2026-12-02
here=/work/wt-py13/examples; py=/usr/bin/python3
export ENCRYIP_LIB=/work/wt-py13/build/libencryip.so OMP_NUM_THREADS=1
run() { echo "== $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg): $*"; nice -n 10 "$@" || echo "== exit $?"; }
while kill -0 19882 2>/dev/null; do sleep 5; done          # ristretto255 seed 1 (measure.sh lane A)
for g in paper ristretto255; do
    run $py "$here/protect_pytorch.py" --data "$work/data" --epochs 2 --batch 64 --lr 3e-3 \
        --width 16 --threads 1 --mode finetune --pretrained "$work/plain-1.pt" --group $g --seed 1 \
        --force --out "$work/b-ft-$g" --honest "$work/plain-1.pt" --epoch-eval 2000 \
        --json "$out/finetune-$g-s1.json" > "$out/finetune-$g-s1.log" 2>&1
done
ddp=(--data "$work/data" --train-limit 10000 --epochs 2 --lr 3e-3 --width 16 --group ristretto255 --seed 1 --force)
run $py -m torch.distributed.run --nproc_per_node=2 --redirects 1 --tee 1 --rdzv_backend=c10d \
    --rdzv_endpoint=127.0.0.1:0 "$here/protect_pytorch.py" "${ddp[@]}" --batch 32 --threads 1 \
    --out "$work/b-ddp2" --json "$out/ddp-2proc-1thread.json" > "$out/ddp-2proc-1thread.log" 2>&1
run $py "$here/protect_pytorch.py" "${ddp[@]}" --batch 64 --threads 2 --out "$work/b-1p2t" \
    --json "$out/ddp-1proc-2threads.json" > "$out/ddp-1proc-2threads.log" 2>&1
run $py "$here/protect_pytorch.py" "${ddp[@]}" --batch 64 --threads 1 --out "$work/b-1p1t" \
    --json "$out/ddp-1proc-1thread.json" > "$out/ddp-1proc-1thread.log" 2>&1
while [ ! -e "$work/plain-3.pt" ]; do sleep 5; done
run $py "$here/protect_pytorch.py" --data "$work/data" --epochs 4 --batch 64 --lr 3e-3 --width 16 \
    --threads 1 --group ristretto255 --seed 3 --force --out "$work/b-ristretto255-3" \
    --honest "$work/plain-3.pt" --json "$out/ristretto255-s3.json" > "$out/ristretto255-s3.log" 2>&1
echo "end $(date -u +%T): load $(cat /proc/loadavg)"
