#!/bin/bash
# P = 3 block loss on oneDNN's softmax: bench_step and experiment cost, before (e55a7f8) / after
# alternated.  $1 after build dir, $2 before build dir, $3 out dir
set -u
a=$1; b=$2; o=$3; mkdir -p "$o"
{ date -u; uptime; } > "$o/machine-p3.txt"
for rep in 1 2 3; do
  "$b/bench/bench_step" --q 11 --blocks 3 --iters 400 --warmup 40 | sed 's/^{/{"build":"before",/'
  "$a/bench/bench_step" --q 11 --blocks 3 --iters 400 --warmup 40 | sed 's/^{/{"build":"after",/'
done > "$o/step-p3.jsonl" 2> "$o/step-p3.err"
for rep in 1 2; do
  "$b/encryip" experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --out "$o/cost-p3-before-$rep" > "$o/cost-p3-before-$rep.log" 2>&1
  "$a/encryip" experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --out "$o/cost-p3-after-$rep" > "$o/cost-p3-after-$rep.log" 2>&1
  uptime >> "$o/machine-p3.txt"
done
{ date -u; uptime; } >> "$o/machine-p3.txt"
