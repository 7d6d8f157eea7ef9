#!/usr/bin/env bash
# A config-described custom CNN (not a zoo model) trained in PyTorch on
# EncryIP's targets (tools/torch_protect_config.py, docs/CONFIG.md), imported
# as a deploy directory: `encryip predict` and `classify` run it and `encryip
# trace` names the licensee whose key its deployment uses.  Data: 600
# Fashion-MNIST training + 200 test images as npy:PREFIX.
# $1 = encryip binary, $2 = source dir.
set -uo pipefail
# shellcheck source=tests/cli/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash" torch_config "$1"
export OMP_NUM_THREADS=2
src="$(readlink -f "$2")"
py=/usr/bin/python3
"$py" -c "import torch, numpy" 2>/dev/null || { fail "no torch/numpy for $py (Debian python3-torch, python3-numpy: scripts/run setup)"; finish torch_config; }
"$py" - <<'PY' || fail "writing the npy data"
import gzip, numpy as np
d = '/usr/share/datasets/fashion-mnist/'
def images(f): return np.frombuffer(gzip.open(d + f).read(), np.uint8, offset=16).reshape(-1, 28, 28)
def labels(f): return np.frombuffer(gzip.open(d + f).read(), np.uint8, offset=8).astype(np.int64)
np.save('fm_x.npy', images('train-images-idx3-ubyte.gz')[:600])
np.save('fm_y.npy', labels('train-labels-idx1-ubyte.gz')[:600])
np.save('fm_test_x.npy', images('t10k-images-idx3-ubyte.gz')[:200])
np.save('fm_test_y.npy', labels('t10k-labels-idx1-ubyte.gz')[:200])
PY
cat >net.cfg <<'CFG'
# custom CNN: the head's width is EncryIP's (3q here), filled in by protect
input c=auto h=auto w=auto
conv name=features.0 out=8 k=3 pad=1 bias=0
bn name=features.1 relu=1
maxpool k=2
conv name=features.4 out=16 k=3 pad=1
relu
maxpool k=2
flatten
linear name=head out=auto
CFG
expect 0 "$bin" protect --dataset "npy:$tmp/fm" --config net.cfg --licensees 3 --group paper --epochs 1 \
    --threads 2 --seed 1 --crypto-seed 4 --allow-unmemorised --out B
has "K=33 outputs" "$tmp/out"
expect 0 "$py" "$src/tools/torch_protect_config.py" --bundle B --npy "$tmp/fm" --out T --epochs 3 --threads 2
has "memorised 100.0%" "$tmp/err"
expect 0 "$bin" predict --model T --input fm_test_x.npy --threads 2
[[ $(wc -l <"$tmp/out") -eq 200 ]] || fail "predict printed $(wc -l <"$tmp/out") lines"
expect 0 "$bin" classify --model T --key B/keys/licensee-1.key --dataset "npy:$tmp/fm" --threads 2
acc=$(grep -o 'accuracy [0-9.]*' "$tmp/err" | cut -d' ' -f2)
awk -v a="$acc" 'BEGIN { exit !(a > 0.5) }' || fail "PyTorch-trained model: classify accuracy $acc"
expect 0 "$bin" trace --bundle B --no-log --suspect "$bin classify --model $tmp/T --key $tmp/B/keys/licensee-2.key --threads 2 --input"
has "^licensee 2 (licensee-2)" "$tmp/out"
finish torch_config
