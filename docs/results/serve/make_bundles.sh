#!/bin/bash
B=/work/wt-serve15/build/encryip
cp $B ./encryip-bench
for m in smallcnn resnet18; do
  w=1; [[ $m == resnet18 ]] && w=0.25
  for g in paper ristretto255; do
    [[ -d $m-$g ]] && continue
    OMP_NUM_THREADS=2 nice -n 5 ./encryip-bench protect --dataset fashion-mnist --model $m --width $w --limit 256 --epochs 1 --verify-reps 1 --batch 64 --warmup 0 --threads 2 --eval-limit 100 --seed 3 --licensees 3 --group $g --out $m-$g > $m-$g.log 2>&1
    echo "$m $g rc=$?"
  done
done
