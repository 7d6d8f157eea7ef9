#!/bin/bash
# experiment cost with both fp32-in-bf16 conv rules (strided image conv, maps <= 3x3): before
# (a81b6c4) bf16, after bf16, after fp32, alternated twice.  $1 after build, $2 before build,
# $3 out dir, $4 tag of the output names.  Run with tag "final" (after = 39e1a02, before the fp32
# convs took the fp32 block layout) and tag "final2" (after = 9ad3e8f's engine, the final rule).
set -u
a=$1; b=$2; o=$3; t=${4:-final}; mkdir -p "$o"
{ date -u; uptime; } > "$o/machine-$t.txt"
for rep in 1 2; do
  "$b/encryip" experiment cost --limit 0 --epochs 3 --rounds 3 --threads 2 --precision bf16 --out "$o/cost-$t-before-bf16-$rep" > "$o/cost-$t-before-bf16-$rep.log" 2>&1
  "$a/encryip" experiment cost --limit 0 --epochs 3 --rounds 3 --threads 2 --precision bf16 --out "$o/cost-$t-after-bf16-$rep" > "$o/cost-$t-after-bf16-$rep.log" 2>&1
  "$a/encryip" experiment cost --limit 0 --epochs 3 --rounds 3 --threads 2 --out "$o/cost-$t-after-fp32-$rep" > "$o/cost-$t-after-fp32-$rep.log" 2>&1
  uptime >> "$o/machine-$t.txt"
done
{ date -u; uptime; } >> "$o/machine-$t.txt"
