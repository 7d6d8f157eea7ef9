#!/bin/sh
# Before (main fae9ddf) / after (branch avx16) / torch 1.13, interleaved, ResNet-18 first.
# CAP=1: oneDNN capped at AVX2 for both engines (DNNL_MAX_CPU_ISA=AVX2), ATen at avx2.
# Writes JSON lines (with "variant" and "uptime" added) to $OUT.
BEFORE=/tmp/avx-before/build/bench/bench_nn
AFTER=/work/wt-avx16/build/bench/bench_nn
TORCH=/work/wt-avx16/tools/torch_bench.py
OUT=$1; REPS=$2; MODELS=$3; TORCHTOO=$4
export OMP_NUM_THREADS=2
if [ "$CAP" = 1 ]; then export DNNL_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2; fi
tag() { up=$(cat /proc/loadavg | cut -d' ' -f1-3); sed "s/^{/{\"variant\":\"$1\",\"loadavg\":\"$up\",\"cap\":\"${CAP:-0}\",/"; }
for rep in $(seq 1 $REPS); do for m in $MODELS; do for mode in train infer; do
  A="--threads 2 --batch 128 --warmup 1 --iters 3 --models $m --modes $mode"
  echo "# rep $rep $m $mode $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >&2
  $BEFORE $A | grep '^{' | tag before >> $OUT
  $AFTER $A | grep '^{' | tag after >> $OUT
  if [ "$TORCHTOO" = 1 ]; then /usr/bin/python3 $TORCH --no-table $A | grep '"engine": "torch"' | tag torch >> $OUT; fi
done; done; done
