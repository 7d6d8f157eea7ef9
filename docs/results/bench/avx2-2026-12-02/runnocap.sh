#!/bin/sh
# uncapped (AVX-512) before/after, 1 thread, batch 32, process CPU time per iteration
export OMP_NUM_THREADS=1
OUT=$1
tag() { up=$(cat /proc/loadavg | cut -d' ' -f1-3); sed "s/^{/{\"variant\":\"$1\",\"loadavg\":\"$up\",\"cap\":\"0\",/"; }
for mode in infer train; do
  A="--threads 1 --batch 32 --warmup 1 --iters 3 --models resnet18 --modes $mode"
  /tmp/avx-before/build/bench/bench_nn $A | grep '^{' | tag before >> $OUT
  /work/wt-avx16/build/bench/bench_nn $A | grep '^{' | tag after >> $OUT
done
