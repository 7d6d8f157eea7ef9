#!/bin/sh
# experiment cost, quiet machine: main before this session (6ed86af) then after
set -e
cd /work/runs/s1
uptime > uptime-cost.txt
./encryip-6ed86af experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --out cost-before > cost-before.log 2>&1
uptime >> uptime-cost.txt
/work/main/build/encryip experiment cost --limit 0 --epochs 3 --rounds 5 --threads 2 --out cost-after > cost-after.log 2>&1
uptime >> uptime-cost.txt
