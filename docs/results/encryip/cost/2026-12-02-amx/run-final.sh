#!/bin/bash
# Final: experiment cost with every change of the session (after) vs e55a7f8 (before the two loss
# changes, with the denormal flush), alternated twice.  $1 after build, $2 before build, $3 out dir
set -u
a=$1; b=$2; o=$3; mkdir -p "$o"
{ date -u; uptime; } > "$o/machine-final.txt"
for rep in 1 2; do
  "$b/encryip" experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --out "$o/cost-final-before-$rep" > "$o/cost-final-before-$rep.log" 2>&1
  "$a/encryip" experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --out "$o/cost-final-after-$rep" > "$o/cost-final-after-$rep.log" 2>&1
  uptime >> "$o/machine-final.txt"
done
{ date -u; uptime; } >> "$o/machine-final.txt"
