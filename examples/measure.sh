#!/usr/bin/env bash
# The measurements of docs/RESULTS.md "Protect your own PyTorch model":
#   custom CNN (FolderNet) on Fashion-MNIST read from an image folder,
#   PyTorch training, R = 3 seeds: plain vs EncryIP paper group vs
#   ristretto255; head fine-tuning of the trained plain model (seed 1) vs
#   protecting from scratch; then, back to back, DDP 2 processes x 1 thread
#   vs 1 process x 2 threads vs 1 process x 1 thread (DDP_TRAIN images,
#   default 10,000, x DDP_EPOCHS, default 2: smaller, so that the three runs
#   stay close together on a loaded machine).
# At most two training processes run at a time (a shared 2-core machine):
# two lanes of sequential runs, then the DDP block.
# usage: examples/measure.sh BUILD_DIR OUT_DIR [TRAIN_N] [EPOCHS] [FT_EPOCHS]
set -euo pipefail
build="$(cd "$1" && pwd)"; out="$2"; ntrain="${3:-20000}"; epochs="${4:-4}"; ftep="${5:-2}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py=/usr/bin/python3
export ENCRYIP_LIB="$build/libencryip.so" OMP_NUM_THREADS=1
mkdir -p "$out"; out="$(cd "$out" && pwd)"
work="$(mktemp -d /tmp/encryip-measure.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "start $(date -u +%T): load $(cat /proc/loadavg)"
$py "$here/make_imagefolder.py" "$work/data" --train "$ntrain" --test 10000
common=(--data "$work/data" --epochs "$epochs" --batch 64 --lr 3e-3 --width 16)
# a run whose memorisation check fails exits 3 after writing its JSON: record it, go on
run() { echo "== $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg): $*"; nice -n 10 "$@" || echo "== exit $?"; }
plain() {     # seed [extra...]: the baseline, its weights for the honest suspect
    local s=$1; shift
    run $py "$here/protect_pytorch.py" "${common[@]}" --threads 1 --mode plain --seed $s "$@" \
        --save-plain "$work/plain-$s.pt.tmp" --json "$out/plain-s$s.json" > "$out/plain-s$s.log" 2>&1
    mv "$work/plain-$s.pt.tmp" "$work/plain-$s.pt" || true
}
protect() {   # group seed [extra...]: waits for the plain weights of its seed (the honest suspect)
    local g=$1 s=$2; shift 2
    while [ ! -e "$work/plain-$s.pt" ]; do sleep 5; done
    run $py "$here/protect_pytorch.py" "${common[@]}" --threads 1 --group $g --seed $s --force \
        --out "$work/b-$g-$s" --honest "$work/plain-$s.pt" --json "$out/$g-s$s.json" "$@" \
        > "$out/$g-s$s.log" 2>&1
}
finetune() {  # group: the seed-1 plain model, head replaced, fine-tuned for FT_EPOCHS
    while [ ! -e "$work/plain-1.pt" ]; do sleep 5; done
    run $py "$here/protect_pytorch.py" --data "$work/data" --epochs "$ftep" --batch 64 --lr 3e-3 \
        --width 16 --threads 1 --mode finetune --pretrained "$work/plain-1.pt" --group $1 --seed 1 \
        --force --out "$work/b-ft-$1" --honest "$work/plain-1.pt" --epoch-eval 2000 \
        --json "$out/finetune-$1-s1.json" > "$out/finetune-$1-s1.log" 2>&1
}
# seed 1 records test accuracy (first 2,000 test images) and memorisation after every epoch
{ plain 1 --epoch-eval 2000; protect paper 1 --epoch-eval 2000; protect ristretto255 1 --epoch-eval 2000
  finetune paper
  finetune ristretto255; protect ristretto255 3; } > "$out/lane-a.log" 2>&1 &
{ plain 2; protect paper 2; protect ristretto255 2; plain 3; protect paper 3; } > "$out/lane-b.log" 2>&1 &
wait
# DDP block, nothing else of ours running: the same ristretto255 seed-1 run (global batch 64)
ddp=(--data "$work/data" --train-limit "${DDP_TRAIN:-10000}" --epochs "${DDP_EPOCHS:-2}" --lr 3e-3 --width 16 --group ristretto255 --seed 1 --force)
{
    run $py -m torch.distributed.run --nproc_per_node=2 --redirects 1 --tee 1 --rdzv_backend=c10d \
        --rdzv_endpoint=127.0.0.1:0 "$here/protect_pytorch.py" "${ddp[@]}" --batch 32 --threads 1 \
        --out "$work/b-ddp2" --json "$out/ddp-2proc-1thread.json" > "$out/ddp-2proc-1thread.log" 2>&1
    run $py "$here/protect_pytorch.py" "${ddp[@]}" --batch 64 --threads 2 --out "$work/b-1p2t" \
        --json "$out/ddp-1proc-2threads.json" > "$out/ddp-1proc-2threads.log" 2>&1
    run $py "$here/protect_pytorch.py" "${ddp[@]}" --batch 64 --threads 1 --out "$work/b-1p1t" \
        --json "$out/ddp-1proc-1thread.json" > "$out/ddp-1proc-1thread.log" 2>&1
} > "$out/ddp-block.log" 2>&1
echo "end $(date -u +%T): load $(cat /proc/loadavg)"
