#!/bin/bash
# Quiet-window measurements for issue 16 items 2 and 4 (run with everything else paused).
# $1 = build dir, $2 = output dir
set -u
b=$1; o=$2; mkdir -p "$o"
{ date -u; uptime; lscpu | grep -E 'Model name|^CPU\(s\)'; } > "$o/machine.txt"
for rep in 1 2; do for mode in infer train; do for p in fp32 bf16; do
  "$b/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 5 --models resnet18 --modes $mode --precision $p
done; done; done > "$o/bf16-threads2.jsonl" 2> "$o/bf16-threads2.err"
uptime >> "$o/machine.txt"
taskset -c 1 "$b/bench/bench_crypto" > "$o/crypto.txt" 2>&1
uptime >> "$o/machine.txt"
for rep in 1 2 3; do
  /usr/bin/time -f "wall %e s user %U s sys %S s" "$b/encryip" classify --model R-classify/deploy \
     --key R-classify/keys/licensee-1.key --dataset fashion-mnist --threads 2 > "$o/classify-$rep.out" 2> "$o/classify-$rep.err"
done
uptime >> "$o/machine.txt"
