#!/bin/bash
# experiment cost with both fp32-in-bf16 conv rules (run twice: final = before the layout fix, final2 = after) (strided image conv, maps <= 3x3): before
# (a81b6c4) bf16, after bf16, after fp32, alternated twice.  $1 after build, $2 before build, $3 out
set -u
a=$1; b=$2; o=$3; mkdir -p "$o"
{ date -u; uptime; } > "$o/machine-final.txt"
for rep in 1 2; do
  "$b/encryip" experiment cost --limit 0 --epochs 3 --rounds 3 --threads 2 --precision bf16 --out "$o/cost-final-before-bf16-$rep" > "$o/cost-final-before-bf16-$rep.log" 2>&1
  "$a/encryip" experiment cost --limit 0 --epochs 3 --rounds 3 --threads 2 --precision bf16 --out "$o/cost-final-after-bf16-$rep" > "$o/cost-final-after-bf16-$rep.log" 2>&1
  "$a/encryip" experiment cost --limit 0 --epochs 3 --rounds 3 --threads 2 --out "$o/cost-final-after-fp32-$rep" > "$o/cost-final-after-fp32-$rep.log" 2>&1
  uptime >> "$o/machine-final.txt"
done
{ date -u; uptime; } >> "$o/machine-final.txt"
