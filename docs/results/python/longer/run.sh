#!/usr/bin/env bash
# Longer training, seed 1 only (is the paper group's accuracy gap a matter of epochs?):
# plain vs EncryIP paper group, 4 epochs instead of 2, otherwise as examples/measure.sh.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
export ENCRYIP_LIB="$PWD/build/libencryip.so" OMP_NUM_THREADS=1
d=/tmp/encryip-longer-data
[[ -d $d ]] || /usr/bin/python3 examples/make_imagefolder.py $d --train 8000 --test 10000
c=(--data $d --epochs 4 --batch 64 --lr 3e-3 --width 16 --threads 1 --seed 1)
o=docs/results/python/longer
nice -n 5 /usr/bin/python3 examples/protect_pytorch.py "${c[@]}" --mode plain --save-plain /tmp/encryip-longer-plain.pt \
    --json $o/plain-e4-s1.json > $o/plain-e4-s1.log 2>&1 &
nice -n 5 /usr/bin/python3 examples/protect_pytorch.py "${c[@]}" --group paper --force --out /tmp/encryip-longer-b \
    --json $o/paper-e4-s1.json > $o/paper-e4-s1.log 2>&1 &
wait
