#!/bin/bash
# experiment cost on the Intel Xeon with AMX: before (3378518, no denormal flush) and after,
# fp32, and after in bf16; alternated, 2 runs each
set -u
a=/work/main/build/encryip; b=/work/wt-before/build/encryip
{ date -u; uptime; } > machine.txt
for rep in 1 2; do
  $b experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --out cost-before-fp32-$rep > cost-before-fp32-$rep.log 2>&1
  uptime >> machine.txt
  $a experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --out cost-after-fp32-$rep > cost-after-fp32-$rep.log 2>&1
  uptime >> machine.txt
  $a experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --precision bf16 --out cost-after-bf16-$rep > cost-after-bf16-$rep.log 2>&1
  uptime >> machine.txt
done
date -u >> machine.txt
