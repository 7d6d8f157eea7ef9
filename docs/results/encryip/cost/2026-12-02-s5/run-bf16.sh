#!/bin/bash
# experiment cost in bf16: before (a81b6c4) and after (strided image conv in fp32 on AMX), alternated
# twice, plus after in fp32 once.  $1 after build dir, $2 before build dir, $3 out dir
set -u
a=$1; b=$2; o=$3; mkdir -p "$o"
{ date -u; uptime; } > "$o/machine-bf16.txt"
for rep in 1 2; do
  "$b/encryip" experiment cost --limit 0 --epochs 3 --rounds 3 --threads 2 --precision bf16 --out "$o/cost-before-bf16-$rep" > "$o/cost-before-bf16-$rep.log" 2>&1
  "$a/encryip" experiment cost --limit 0 --epochs 3 --rounds 3 --threads 2 --precision bf16 --out "$o/cost-after-bf16-$rep" > "$o/cost-after-bf16-$rep.log" 2>&1
  uptime >> "$o/machine-bf16.txt"
done
"$a/encryip" experiment cost --limit 0 --epochs 3 --rounds 3 --threads 2 --out "$o/cost-after-fp32-1" > "$o/cost-after-fp32-1.log" 2>&1
{ date -u; uptime; } >> "$o/machine-bf16.txt"
