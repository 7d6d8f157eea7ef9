#!/bin/bash
# bf16 accuracy on the AMX path (NHWC): smallcnn, full Fashion-MNIST, 10 epochs, seed 1
set -u
b=/work/main/build/encryip
for p in bf16 fp32; do
  /usr/bin/time -v $b train --dataset fashion-mnist --model smallcnn --epochs 10 --threads 2 \
     --precision $p --seed 1 --csv smallcnn-fmnist-full-10ep-$p-s1-amx.csv --out m-$p > log-$p.txt 2> time-$p.txt
done
