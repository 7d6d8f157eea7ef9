#!/bin/bash
# After the bf16 BN adapter (second part of the AMX session): every zoo model at width 1 and 0.25,
# before (3378518) bf16, after bf16, after fp32; two repetitions.  $1 after build, $2 before build, $3 out dir
set -u
a=$1; b=$2; o=$3; mkdir -p "$o"
{ date -u; uptime; } > "$o/machine2.txt"
models="resnet18 smallcnn alexnet googlenet"
for rep in 1 2; do for w in 1 0.25; do for mode in infer train; do
  "$b/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 5 --width $w --models $models --modes $mode --precision bf16 | sed 's/^{/{"build":"before",/'
  "$a/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 5 --width $w --models $models --modes $mode --precision bf16 | sed 's/^{/{"build":"after",/'
  "$a/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 5 --width $w --models $models --modes $mode --precision fp32 | sed 's/^{/{"build":"after",/'
done; done; done > "$o/bf16-final-threads2.jsonl" 2> "$o/bf16-final-threads2.err"
{ date -u; uptime; } >> "$o/machine2.txt"
