#!/bin/sh
# quiet side-by-side: encryip before (6ed86af), after (this session), PyTorch 1.13; AVX2 cap, then uncapped
cd /work/main
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
O=/work/runs/s1/cmp
export OMP_NUM_THREADS=2
for cap in avx2 none; do
  if [ $cap = avx2 ]; then export DNNL_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2; else unset DNNL_MAX_CPU_ISA ATEN_CPU_CAPABILITY; fi
  uptime > $O/uptime-$cap.txt
  /usr/bin/python3 bench/compare.py --threads 2 --batch 128 --warmup 1 --iters 4 --json-out $O/after-$cap.jsonl > $O/after-$cap.md 2>&1
  uptime >> $O/uptime-$cap.txt
  for m in alexnet resnet18; do
    /work/wt-before/build/bench/bench_nn --threads 2 --batch 128 --warmup 1 --iters 4 --models $m --modes train infer >> $O/before-$cap.jsonl 2>/dev/null
  done
  uptime >> $O/uptime-$cap.txt
done
