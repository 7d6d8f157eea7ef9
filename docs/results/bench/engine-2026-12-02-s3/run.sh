#!/bin/bash
# Quiet before/after measurements of this session's engine changes (issue 16).
# before = main at f7899ff (session start), after = working tree.
set -e
cd /work/runs/s3/final
B=/work/runs/s3/final/before; A=/work/runs/s3/final/after
log() { echo "$1 $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> machine.txt; }
lscpu | grep -E "Model name|^CPU\(s\)|Flags" | cut -c1-120 > cpu.txt
log start
# 1. inference + training, zoo models, alternated 3x; inference with oneDNN capped at AVX2, 2x
for r in 1 2 3; do for v in before after; do
  log "bench_nn $v $r"
  $([ $v = before ] && echo $B || echo $A)/bench_nn --threads 2 --batch 128 --warmup 2 --iters 7 --modes infer train >> bench_nn-$v.jsonl
done; done
for r in 1 2; do for v in before after; do
  log "bench_nn avx2 $v $r"
  DNNL_MAX_CPU_ISA=AVX2 $([ $v = before ] && echo $B || echo $A)/bench_nn --threads 2 --batch 128 --warmup 2 --iters 9 --modes infer >> bench_nn-avx2-$v.jsonl
done; done
# 2. classify 10 000 images, ristretto255 smallcnn bundle, alternated 3x
for r in 1 2 3; do for v in before after; do
  log "classify $v $r"
  /usr/bin/time -f "%e s wall %U s user %M KB" $([ $v = before ] && echo $B || echo $A)/encryip classify \
     --model /work/runs/R-classify/deploy --key /work/runs/R-classify/keys/licensee-1.key \
     --dataset fashion-mnist --threads 2 --out labels-$v-$r.txt > classify-$v-$r.out 2> classify-$v-$r.err
done; done
# 3. step phases (alexnet 0.25, 64 -> 3027 head), alternated 5x
for r in 1 2 3 4 5; do for v in before after; do
  log "bench_step $v $r"
  $([ $v = before ] && echo $B || echo $A)/bench_step --iters 400 --warmup 40 >> bench_step-$v.jsonl
done; done
# 4. experiment cost, alternated 2x, 5 rounds each
for r in 1 2; do for v in before after; do
  log "cost $v $r"
  $([ $v = before ] && echo $B || echo $A)/encryip experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --out cost-$v-$r > cost-$v-$r.log 2>&1
done; done
log end
