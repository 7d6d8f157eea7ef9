#!/bin/bash
# scripts/demo's protect commands (section 1: paper group, section 6: ristretto255) with --threads 1,
# timed (wall, user CPU, sys CPU) with stage timestamps; binary $1, label $2, which $3 (paper|r|both).
bin=$1; lab=$2; which=$3; d=/tmp/demo-t/$lab; mkdir -p $d
T() { local name=$1; shift; /usr/bin/time -f "$name wall %e user %U sys %S" -a -o $d/times.txt /usr/bin/python3 /tmp/stamp.py "$@" > $d/$name.log 2>&1; }
if [ $which != r ]; then
T paper_protect $bin protect --dataset fashion-mnist --model smallcnn --width 0.5 --limit 10000 --epochs 3 --threads 1 --seed 1 --licensees 3 --group paper --out $d/B --force
fi
T r_protect $bin protect --dataset fashion-mnist --model smallcnn --width 0.5 --limit 5000 --epochs 2 --threads 1 --seed 1 --licensees 3 --verify-instances 12 --verify-reps 50 --out $d/R --force
if [ $which != r ]; then
T r_classify $bin classify --model $d/R/deploy --key $d/R/keys/licensee-1.key --dataset fashion-mnist --threads 1
fi
