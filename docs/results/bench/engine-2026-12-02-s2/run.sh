#!/bin/sh
# before (6ed86af) / after (this session) bench_nn alternated, 3 repeats, every zoo model, train + infer,
# uncapped (AVX-512) then capped at AVX2; JSON lines tagged by the file name
O=/work/runs/s1/ab
B=/work/wt-before/build/bench/bench_nn
A=/work/runs/s1/ab/bench_nn-after
export OMP_NUM_THREADS=2
for cap in none avx2; do
  if [ $cap = avx2 ]; then export DNNL_MAX_CPU_ISA=AVX2; else unset DNNL_MAX_CPU_ISA; fi
  uptime >> $O/uptime-$cap.txt
  for r in 1 2 3; do
    for m in smallcnn resnet18 alexnet googlenet; do
      it=6; [ $m = googlenet ] && it=3
      for mode in train infer; do
        $B --threads 2 --batch 128 --warmup 2 --iters $it --models $m --modes $mode >> $O/before-$cap.jsonl 2>/dev/null
        $A --threads 2 --batch 128 --warmup 2 --iters $it --models $m --modes $mode >> $O/after-$cap.jsonl 2>/dev/null
      done
    done
  done
  uptime >> $O/uptime-$cap.txt
done
