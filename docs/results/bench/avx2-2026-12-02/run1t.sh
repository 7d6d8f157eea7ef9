#!/bin/sh
# 1 thread, batch 32: process CPU ms per iteration (no barrier spinning with 1 thread), AVX2 cap
export DNNL_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 OMP_NUM_THREADS=1 CAP=1
OUT=$1
tag() { up=$(cat /proc/loadavg | cut -d' ' -f1-3); sed "s/^{/{\"variant\":\"$1\",\"loadavg\":\"$up\",\"cap\":\"1\",/"; }
for rep in 1 2; do for mode in train infer; do
  A="--threads 1 --batch 32 --warmup 1 --iters 3 --models resnet18 --modes $mode"
  /tmp/avx-before/build/bench/bench_nn $A | grep '^{' | tag before >> $OUT
  /work/wt-avx16/build/bench/bench_nn $A | grep '^{' | tag after >> $OUT
  /usr/bin/python3 /work/wt-avx16/tools/torch_bench.py --no-table $A | grep '"engine": "torch"' | tag torch >> $OUT
done; done
