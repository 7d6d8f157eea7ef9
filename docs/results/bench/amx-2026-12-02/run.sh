#!/bin/bash
# Intel Xeon with AMX (2026-12-02, 4th session): bf16 NHWC on AMX before/after, fp32 vs
# PyTorch, deployment crypto, classify.  Nothing else ran meanwhile.
# $1 = after build dir, $2 = before build dir (bf16 on nChw16c), $3 = output dir,
# $4 = protect bundle for classify (encryip protect ... --out R-classify)
set -u
a=$1; b=$2; o=$3; r=$4; mkdir -p "$o"
{ date -u; uptime; lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | cut -c1-60; } > "$o/machine.txt"
models="resnet18 smallcnn alexnet googlenet"
for rep in 1 2; do for mode in infer train; do
  "$b/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 5 --models $models --modes $mode --precision bf16 | sed 's/^{/{"build":"before",/'
  "$a/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 5 --models $models --modes $mode --precision bf16 | sed 's/^{/{"build":"after",/'
  "$a/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 5 --models $models --modes $mode --precision fp32 | sed 's/^{/{"build":"after",/'
done; done > "$o/bf16-threads2.jsonl" 2> "$o/bf16-threads2.err"
uptime >> "$o/machine.txt"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE bench/compare.sh --threads 2 --batch 128 --repeat 2 \
  --bench-nn "$a/bench/bench_nn" --json-out "$o/compare.jsonl" > "$o/compare.md" 2> "$o/compare.err"
uptime >> "$o/machine.txt"
taskset -c 1 "$a/bench/bench_crypto" > "$o/crypto.txt" 2>&1
uptime >> "$o/machine.txt"
for rep in 1 2 3; do
  /usr/bin/time -f "wall %e s user %U s sys %S s" "$a/encryip" classify --model "$r/deploy" \
     --key "$r/keys/licensee-1.key" --dataset fashion-mnist --threads 2 > "$o/classify-$rep.out" 2> "$o/classify-$rep.err"
done
{ date -u; uptime; } >> "$o/machine.txt"
