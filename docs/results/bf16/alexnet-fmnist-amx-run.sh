#!/bin/bash
# AlexNet width 0.25 on Fashion-MNIST, full training set, 10 epochs, fp32 vs bf16 (bf16 with
# the fp32 convs of conv_dt on AMX), two seeds.  $1 build dir, $2 out dir
set -u
b=$1; o=$2; mkdir -p "$o"
for s in 1 2; do for p in fp32 bf16; do
  "$b/encryip" train --dataset fashion-mnist --model alexnet --width 0.25 --epochs 10 --threads 2 \
    --precision $p --seed $s --csv "$o/alexnet-fmnist-full-10ep-$p-s$s-amx.csv" --out /tmp/alexnet-$p-$s.safetensors \
    > "$o/alexnet-fmnist-full-10ep-$p-s$s-amx.log" 2>&1
done; done
