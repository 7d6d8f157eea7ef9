#!/usr/bin/env bash
# Head fine-tuning again with 2 epochs at max lr 3e-3 (the 1-epoch, lr 1e-3 runs of
# examples/measure.sh did not memorise the verification instances); seed 1, both groups,
# the seed-1 plain model of examples/measure.sh (copied to /tmp/py13_plain1.pt).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
export ENCRYIP_LIB="$PWD/build/libencryip.so" OMP_NUM_THREADS=1
o=docs/results/python/finetune2
for g in paper ristretto255; do
    nice -n 5 /usr/bin/python3 examples/protect_pytorch.py --data /tmp/encryip-longer-data --epochs 2 \
        --batch 64 --lr 3e-3 --width 16 --threads 1 --mode finetune --pretrained /tmp/py13_plain1.pt \
        --group $g --seed 1 --force --out /tmp/py13-ft2-$g --honest /tmp/py13_plain1.pt \
        --json $o/finetune-e2-$g-s1.json > $o/finetune-e2-$g-s1.log 2>&1 &
done
wait || true
