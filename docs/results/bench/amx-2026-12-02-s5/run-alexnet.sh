#!/bin/bash
# bf16 AlexNet training: before (a81b6c4) bf16, after bf16, after fp32, alternated 3 times.
# $1 after build dir, $2 before build dir; JSON lines on stdout, tagged with the build.
set -u
a=$1; b=$2
for rep in 1 2 3; do
  for w in 1 0.25; do
    "$b/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 7 --width $w --models alexnet --modes train --precision bf16 | sed 's/^{/{"build":"before",/'
    "$a/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 7 --width $w --models alexnet --modes train --precision bf16 | sed 's/^{/{"build":"after",/'
    "$a/bench/bench_nn" --threads 2 --batch 128 --warmup 2 --iters 7 --width $w --models alexnet --modes train --precision fp32 | sed 's/^{/{"build":"after",/'
  done
done
