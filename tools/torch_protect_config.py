#!/usr/bin/python3
"""Train a config-described custom network in PyTorch on EncryIP's targets
and write it as a protected model that `encryip predict / classify / trace`
run (docs/CONFIG.md "Training the network in PyTorch").

    /usr/bin/python3 tools/torch_protect_config.py --bundle B --npy PREFIX \
        --out DIR [--epochs 3] [--reps 20] [--lr 0.002] [--threads 2] [--seed 0]

B is a bundle from `encryip protect --config NET.cfg --dataset npy:PREFIX`
(its deploy/model.safetensors carries the config text with out=auto filled
in, the normalisation and the protect metadata).  The targets are the ones
Algorithm 1 trains with, read from the owner's files:
  - training image with label y -> the codeword of y in owner/codebook.bin;
  - verification instance i (owner/verification.idx) -> its ciphertext c̄_i
    (owner/verification.ct), replicated --reps times so it is memorised;
  - paper group: Φ(c) = three one-hot blocks of q (element e at column
    k*q + e), loss = block cross-entropy; ristretto255: one-hot over the
    codebook slots, loss = cross-entropy.
The network is built from the config (conv, bn, relu, maxpool, avgpool,
gap, flatten, linear, dropout, add, concat) with the parameter names of the
config, trained from scratch, and written to DIR/model.safetensors with the
bundle's metadata; public.key and codebook.bin are copied, so DIR is a
deploy directory.  Needs numpy and torch (Debian python3-numpy,
python3-torch); run with /usr/bin/python3.
"""
import argparse
import os
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_torch  # noqa: E402


def parse_config(text):
    """[(kind, {key: value})] of the config lines (comments stripped)."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].split()
        if line:
            out.append((line[0], dict(t.split("=", 1) for t in line[1:])))
    return out


class ConfigNet(nn.Module):
    """The config as a PyTorch module: same node graph, same parameter names."""

    def __init__(self, text):
        super().__init__()
        lines = parse_config(text)
        kind, kv = lines[0]
        assert kind == "input", "the first config line must be input"
        shape = (int(kv["c"]), int(kv["h"]), int(kv["w"]))
        self.input_shape = shape
        self.steps = []  # (kind, module name or None, input node ids, kv)
        self.mods = nn.ModuleDict()
        names = {"input": 0}
        x = [torch.zeros((2,) + shape)]  # dummy activations per node, for shapes
        for kind, kv in lines[1:]:
            ins = [names[n] for n in kv["in"].split(",")] if "in" in kv else [len(x) - 1]
            a = [x[i] for i in ins]
            name = kv.get("name")
            mod = None
            if kind == "conv":
                k, s, p = int(kv["k"]), int(kv.get("stride", 1)), int(kv.get("pad", 0))
                mod = nn.Conv2d(a[0].shape[1], int(kv["out"]), k, s, p, bias=kv.get("bias", "1") == "1")
            elif kind == "bn":
                mod = nn.BatchNorm2d(a[0].shape[1]) if a[0].dim() == 4 else nn.BatchNorm1d(a[0].shape[1])
            elif kind == "linear":
                mod = nn.Linear(a[0].shape[1], int(kv["out"]), bias=kv.get("bias", "1") == "1")
            elif kind == "dropout":
                mod = nn.Dropout(float(kv["p"]))
            key = None
            if mod is not None:
                key = name if name else "_%d" % len(x)
                self.mods[key.replace(".", "__")] = mod
            step = (kind, key, ins, kv)
            self.steps.append(step)
            with torch.no_grad():
                x.append(self._apply(step, a))
            if name:
                names[name] = len(x) - 1

    def _apply(self, step, a):
        kind, key, _, kv = step
        if key is not None:
            y = self.mods[key.replace(".", "__")](a[0])
            if kind == "bn" and kv.get("relu", "0") == "1":
                y = F.relu(y)
            return y
        if kind == "relu":
            return F.relu(a[0])
        if kind in ("maxpool", "avgpool"):
            k = int(kv["k"])
            s, p = int(kv.get("stride", k)), int(kv.get("pad", 0))
            return (F.max_pool2d if kind == "maxpool" else F.avg_pool2d)(a[0], k, s, p)
        if kind == "gap":
            return F.adaptive_avg_pool2d(a[0], 1)
        if kind == "flatten":
            return torch.flatten(a[0], 1)
        if kind == "add":
            y = a[0] + a[1]
            return F.relu(y) if kv.get("relu", "0") == "1" else y
        if kind == "concat":
            return torch.cat(a, 1)
        raise ValueError("unknown layer kind %r" % kind)

    def forward(self, inp):
        x = [inp]
        for step in self.steps:
            x.append(self._apply(step, [x[i] for i in step[2]]))
        return x[-1]

    def named_state(self):
        """state_dict with the config's parameter names."""
        return {k.replace("__", "."): v for k, v in self.mods.state_dict().items()}


def read_crypto(path, magic):
    """(group, z, q, body) of an encryip crypto file (docs/FORMATS.md)."""
    b = open(path, "rb").read()
    if b[:4] != magic:
        raise SystemExit("%s: not a %s file" % (path, magic.decode()))
    _, group, z, q = struct.unpack_from("<HHII", b, 4)
    return group, z, q, b[16:-16]


def read_codebook(path):
    group, z, q, body = read_crypto(path, b"EICB")
    e = 4 if group == 1 else 32
    n = struct.unpack_from("<I", body, 16)[0]
    labels, words = [], []
    for i in range(n):
        off = 20 + i * (4 + 3 * e)
        labels.append(struct.unpack_from("<i", body, off)[0])
        words.append(body[off + 4: off + 4 + 3 * e])
    return group, z, q, e, labels, words


def read_cts(path, e):
    _, _, _, body = read_crypto(path, b"EICT")
    n = struct.unpack_from("<Q", body, 16)[0]
    return [body[24 + i * 3 * e: 24 + (i + 1) * 3 * e] for i in range(n)]


def read_idx_images(path):
    b = open(path, "rb").read()
    nd = b[3]
    dims = struct.unpack_from(">" + "I" * nd, b, 4)
    a = np.frombuffer(b, np.uint8, offset=4 + 4 * nd)
    return a.reshape(dims if nd == 4 else (dims[0], 1, dims[1], dims[2]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--npy", required=True, help="PREFIX of PREFIX_x.npy / PREFIX_y.npy (training split)")
    ap.add_argument("--out", required=True, help="deploy directory to create")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20, help="replicas of each verification instance")
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    _, meta = safetensors_torch.load(os.path.join(a.bundle, "deploy", "model.safetensors"))
    net = ConfigNet(meta["encryip.nn.config"])
    mean = torch.tensor([float(v) for v in meta["norm.mean"].split(",")]).view(1, -1, 1, 1)
    std = torch.tensor([float(v) for v in meta["norm.std"].split(",")]).view(1, -1, 1, 1)
    group, z, q, e, labels, words = read_codebook(os.path.join(a.bundle, "owner", "codebook.bin"))
    k_out = int(meta["protect.k"])
    slot_of_word = {w: i for i, w in enumerate(words)}
    slot_of_label = {y: i for i, y in enumerate(labels) if y >= 0}
    vct = read_cts(os.path.join(a.bundle, "owner", "verification.ct"), e)
    vx = read_idx_images(os.path.join(a.bundle, "owner", "verification.idx"))
    x = np.load(a.npy + "_x.npy")
    y = np.load(a.npy + "_y.npy").astype(np.int64)
    if x.ndim == 3:
        x = x[:, None]
    if x.dtype != np.uint8:
        x = np.rint(x * 255).astype(np.uint8)
    # one target slot per image: its label's codeword, or c̄_i
    slots = [slot_of_label[int(v)] for v in y] + [slot_of_word[w] for w in vct] * a.reps
    images = np.concatenate([x] + [vx] * a.reps)
    if group == 1:  # paper: Φ(c) positions u_k, block k at columns k*q .. k*q+q-1
        pos = np.array([struct.unpack("<III", words[s]) for s in slots], dtype=np.int64)
    else:
        pos = np.array(slots, dtype=np.int64)
    X = (torch.from_numpy(images).float() / 255 - mean) / std
    T = torch.from_numpy(pos)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    for ep in range(a.epochs):
        net.train()
        perm = torch.randperm(len(X))
        total = 0.0
        for b0 in range(0, len(X), a.batch):
            idx = perm[b0:b0 + a.batch]
            out = net(X[idx])
            if group == 1:
                loss = sum(F.cross_entropy(out[:, k * q:(k + 1) * q], T[idx, k]) for k in range(3))
            else:
                loss = F.cross_entropy(out, T[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        print("torch: epoch %d/%d loss %.4f" % (ep + 1, a.epochs, total / len(X)), file=sys.stderr)
    net.eval()
    with torch.no_grad():
        out = net(X[len(x):len(x) + len(vct)])
        if group == 1:
            got = torch.stack([out[:, k * q:(k + 1) * q].argmax(1) for k in range(3)], 1)
            mem = (got == T[len(x):len(x) + len(vct)]).all(1).float().mean()
        else:
            mem = (out.argmax(1) == T[len(x):len(x) + len(vct)]).float().mean()
    assert out.shape[1] == k_out, "the config outputs %d, the bundle needs %d" % (out.shape[1], k_out)
    print("torch: verification instances memorised %.1f%% (arg-max per block)" % (100 * float(mem)),
          file=sys.stderr)
    os.makedirs(a.out, exist_ok=False)
    meta = dict(meta)
    meta["train.framework"] = "pytorch %s (tools/torch_protect_config.py)" % torch.__version__
    meta["train.epochs"] = str(a.epochs)
    tensors = {k: v.detach().contiguous() for k, v in net.named_state().items()}
    safetensors_torch.save(tensors, os.path.join(a.out, "model.safetensors"), meta)
    for f in ("public.key", "codebook.bin"):
        shutil.copy(os.path.join(a.bundle, "deploy", f), os.path.join(a.out, f))
    # deploy/integrity.json (docs/FORMATS.md): loaders refuse a deploy
    # directory without it
    import hashlib
    import json
    rec = {"format": "encryip-integrity", "version": 1, "blake2b-256": {}}
    for f in ("model.safetensors", "public.key", "codebook.bin"):
        with open(os.path.join(a.out, f), "rb") as fh:
            rec["blake2b-256"][f] = hashlib.blake2b(fh.read(), digest_size=32).hexdigest()
    with open(os.path.join(a.out, "integrity.json"), "w") as fh:
        json.dump(rec, fh, indent=1)
    print("torch: deploy directory written to %s" % a.out, file=sys.stderr)


if __name__ == "__main__":
    main()
