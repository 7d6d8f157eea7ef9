#!/bin/bash
# smallcnn, full Fashion-MNIST (60 000), 10 epochs, fp32 vs bf16, seeds 1 and 2 (issue 16 item 2)
set -e
cd /work/runs/s3/bf16
for s in 1 2; do for p in fp32 bf16; do
  echo "== seed $s $p start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -v ./encryip-bin train --dataset fashion-mnist --model smallcnn --epochs 10 --threads 2 \
     --precision $p --seed $s --csv smallcnn-fmnist-full-10ep-$p-s$s.csv --out m-$p-s$s.safetensors \
     > log-$p-s$s.txt 2> time-$p-s$s.txt
  echo "== seed $s $p end $(date -u +%T)"; tail -2 smallcnn-fmnist-full-10ep-$p-s$s.csv
done; done
