#!/usr/bin/env bash
# The measurements of docs/RESULTS.md "Protect your own PyTorch model":
#   custom CNN (FolderNet) on Fashion-MNIST read from an image folder,
#   PyTorch training, R = 3 seeds: plain vs EncryIP paper group vs
#   ristretto255; DDP 2 processes vs 1; head fine-tuning of the trained
#   plain model vs protecting from scratch; confuse/decrypt speed vs C.
# usage: examples/measure.sh BUILD_DIR OUT_DIR [TRAIN_N] [EPOCHS]
set -euo pipefail
build="$(cd "$1" && pwd)"; out="$2"; ntrain="${3:-10000}"; epochs="${4:-3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py=/usr/bin/python3
export ENCRYIP_LIB="$build/libencryip.so" OMP_NUM_THREADS=1
mkdir -p "$out"; out="$(cd "$out" && pwd)"
work="$(mktemp -d /tmp/encryip-measure.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "load at the start: $(cat /proc/loadavg)"
$py "$here/make_imagefolder.py" "$work/data" --train "$ntrain" --test 10000
common=(--data "$work/data" --epochs "$epochs" --batch 64 --lr 3e-3 --width 16 --threads 1)
# a run whose memorisation check fails exits 3 after writing its JSON: record it, go on
run() { echo "== $*"; nice -n 5 "$@" || echo "== exit $?"; }
# the three seeds run side by side (a shared, loaded machine: one chain each)
chain() {
    local seed=$1
    run $py "$here/protect_pytorch.py" "${common[@]}" --mode plain --seed $seed \
        --save-plain "$work/plain-$seed.pt" --json "$out/plain-s$seed.json"
    for g in paper ristretto255; do
        run $py "$here/protect_pytorch.py" "${common[@]}" --group $g --seed $seed --force \
            --out "$work/b-$g-$seed" --honest "$work/plain-$seed.pt" --json "$out/$g-s$seed.json"
    done
}
# DDP: 2 processes x batch 32 = the 1-process batch 64 of ristretto255-s1 (same global batch);
# it runs next to the seed chains (its wall time is compared with ristretto255-s1's, which
# ran under the same conditions)
run $py -m torch.distributed.run --nproc_per_node=2 --redirects 1 --tee 1 --rdzv_backend=c10d \
    --rdzv_endpoint=127.0.0.1:0 "$here/protect_pytorch.py" --data "$work/data" --epochs "$epochs" \
    --batch 32 --lr 3e-3 --width 16 --threads 1 --group ristretto255 --seed 1 --force \
    --out "$work/b-ddp" --json "$out/ddp2-ristretto255-s1.json" > "$out/ddp2.log" 2>&1 &
for seed in 1 2 3; do chain $seed > "$out/chain-s$seed.log" 2>&1 & done
wait
# head fine-tuning of the trained plain model (seed 1), 1 epoch, both groups, side by side
for g in paper ristretto255; do
    run $py "$here/protect_pytorch.py" --data "$work/data" --epochs 1 --batch 64 --lr 1e-3 --width 16 \
        --threads 1 --mode finetune --pretrained "$work/plain-1.pt" --group $g --seed 1 --force \
        --out "$work/b-ft-$g" --honest "$work/plain-1.pt" --json "$out/finetune-$g-s1.json" \
        > "$out/finetune-$g.log" 2>&1 &
done
wait
echo "load at the end: $(cat /proc/loadavg)"
