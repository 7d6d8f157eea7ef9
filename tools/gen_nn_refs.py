#!/usr/bin/python3
"""Reference files for the nn engine tests (tests/nn/*), computed with PyTorch.

Run:  /usr/bin/python3 tools/gen_nn_refs.py [--out tests/ref/nn]
(Debian python3-torch 1.13; torch.set_num_threads(2).)  Writes SMALL files that are committed.

File format (little-endian), one file per case, read by tests/nn/nnref.h:
  magic "EIPNREF1", u32 count, then count entries:
    u16 name_len, name (utf-8), u8 dtype (0 f32, 1 i64, 2 utf-8 text, 3 f16), u8 ndim,
    i64 dims[ndim], data (row-major).
f16 is used for model weights only: torch runs with exactly the f16-rounded values (as f32),
so both sides use identical weights at half the file size.

Layer cases (layer_<name>.ref): the net is given as the C engine's config text (docs/DESIGN.md,
"Training engine"); this script interprets the same text with torch modules.  Entries:
  config (text), mode (i64: 0 train, 1 eval), x, dy (probe: loss = sum(y * dy)), y, dx,
  p:<tensor> initial params, g:<tensor> param grads, b0:<buffer> initial BN buffers,
  b1:<buffer> BN buffers after the forward.
Model cases (model_<zoo>_<c>x<h>.ref), built with tools/torch_zoo.py; batch 4, one TRAIN
forward + softmax-CE backward:
  arch (i64 [c, h, w, k]), width (f32 [1]), zoo (text), x, labels (i64), dropout_seed (i64;
  smallcnn's dropout uses the C engine's mask for that seed, see engine_dropout_mask),
  p:<tensor> (f16 params), logits, loss (fp32 run), gs:<tensor> gradients from an fp64 run
  sampled at idx_j = (j * count) // m for j < m = min(count, 16), ge:<tensor> PyTorch's own
  fp32 error max|g32 - g64| over the tensor (deep BN nets at tiny width are ill-conditioned:
  fp32 gradients can be off by percents, so the C tolerance is relative to PyTorch's fp32
  error), dxs / dxe (input gradient, same scheme, m = 64), b1:<buffer> BN buffers after the
  forward, logits_eval (EVAL forward of the same batch with the updated buffers).
"""
import argparse
import copy
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_zoo  # noqa: E402

F32, I64, TXT, F16 = 0, 1, 2, 3


def write_ref(path, entries):
    out = bytearray(b"EIPNREF1")
    out += struct.pack("<I", len(entries))
    for name, dtype, val in entries:
        nb = name.encode()
        out += struct.pack("<H", len(nb)) + nb
        if dtype == TXT:
            data = val.encode()
            dims = [len(data)]
        else:
            t = val.detach().contiguous()
            dims = list(t.shape)
            if dtype == F32:
                data = t.to(torch.float32).numpy().tobytes()
            elif dtype == F16:
                data = t.to(torch.float16).numpy().tobytes()
            else:
                data = t.to(torch.int64).numpy().tobytes()
        out += struct.pack("<BB", dtype, len(dims))
        out += b"".join(struct.pack("<q", d) for d in dims)
        out += data
    with open(path, "wb") as f:
        f.write(bytes(out))
    return len(out)


# ------------------------------------------------------------------------------------------
# The C engine's config language, interpreted with torch modules (layer tests only).
# ------------------------------------------------------------------------------------------
class CfgNet(nn.Module):
    def __init__(self, text):
        super().__init__()
        self.steps = []  # (node name, kind, module key or None, inputs, options)
        shapes = {}
        prev = None
        auto = 0
        for raw in text.splitlines():
            line = raw.split("#")[0].split()
            if not line:
                continue
            kind, kv = line[0], dict(t.split("=", 1) for t in line[1:])
            if kind == "input":
                shapes["input"] = (int(kv["c"]), int(kv["h"]), int(kv["w"]))
                prev = "input"
                continue
            auto += 1
            name = kv.get("name", "%s#%d" % (kind, auto))
            ins = kv["in"].split(",") if "in" in kv else [prev]
            s = shapes[ins[0]]
            mod = None
            if kind == "conv":
                k, st, p = int(kv["k"]), int(kv.get("stride", 1)), int(kv.get("pad", 0))
                mod = nn.Conv2d(s[0], int(kv["out"]), k, st, p, bias=kv.get("bias", "1") == "1")
                out = (int(kv["out"]), (s[1] + 2 * p - k) // st + 1, (s[2] + 2 * p - k) // st + 1)
            elif kind == "bn":
                mod = nn.BatchNorm2d(s[0], eps=1e-5, momentum=0.1)
                out = s
            elif kind in ("maxpool", "avgpool"):
                k = int(kv["k"])
                st, p = int(kv.get("stride", k)), int(kv.get("pad", 0))
                out = (s[0], (s[1] + 2 * p - k) // st + 1, (s[2] + 2 * p - k) // st + 1)
            elif kind == "gap":
                out = (s[0], 1, 1)
            elif kind == "flatten":
                out = (s[0] * s[1] * s[2],)
            elif kind == "linear":
                mod = nn.Linear(s[0], int(kv["out"]), bias=kv.get("bias", "1") == "1")
                out = (int(kv["out"]),)
            elif kind == "concat":
                out = (sum(shapes[i][0] for i in ins), s[1], s[2])
            else:  # relu, add, dropout
                out = s
            if mod is not None:
                self.add_module(name, mod)
            self.steps.append((name, kind, ins, kv))
            shapes[name] = out
            prev = name

    def forward(self, x):
        vals = {"input": x}
        y = x
        for name, kind, ins, kv in self.steps:
            a = vals[ins[0]]
            if kind in ("conv", "linear"):
                y = getattr(self, name)(a)
            elif kind == "bn":
                y = getattr(self, name)(a)
                if kv.get("relu", "0") == "1":
                    y = F.relu(y)
            elif kind == "relu":
                y = F.relu(a)
            elif kind == "maxpool":
                k = int(kv["k"])
                y = F.max_pool2d(a, k, int(kv.get("stride", k)), int(kv.get("pad", 0)))
            elif kind == "avgpool":
                k = int(kv["k"])
                y = F.avg_pool2d(a, k, int(kv.get("stride", k)), int(kv.get("pad", 0)))
            elif kind == "gap":
                y = F.adaptive_avg_pool2d(a, 1)
            elif kind == "flatten":
                y = torch.flatten(a, 1)
            elif kind == "add":
                y = a + vals[ins[1]]
                if kv.get("relu", "0") == "1":
                    y = F.relu(y)
            elif kind == "concat":
                y = torch.cat([vals[i] for i in ins], 1)
            else:
                raise ValueError(kind)
            vals[name] = y
        return y


INCEPTION = """input c=3 h=6 w=6
conv name=stem out=12 k=3 pad=1
bn name=stem_bn relu=1
conv name=b1 in=stem_bn out={c1} k=1
bn name=b1_bn relu=1
conv name=b2r in=stem_bn out={r3} k=1
bn name=b2r_bn relu=1
conv name=b2 out={c3} k=3 pad=1
bn name=b2_bn relu=1
conv name=b3r in=stem_bn out={r5} k=1
bn name=b3r_bn relu=1
conv name=b3 out={c5} k=3 pad=1
bn name=b3_bn relu=1
conv name=b3b out={c5} k=3 pad=1
bn name=b3b_bn relu=1
maxpool name=b4p in=stem_bn k=3 stride=1 pad=1
conv name=b4 out={pp} k=1
bn name=b4_bn relu=1
concat in=b1_bn,b2_bn,b3b_bn,b4_bn
gap
flatten
linear name=fc out=5
"""

LAYER_CASES = {
    # name: (config, batch, mode)   mode 0 = train, 1 = eval
    "conv_s1_p1_bias": ("input c=3 h=8 w=8\nconv name=c out=4 k=3 stride=1 pad=1 bias=1\n", 2, 0),
    "conv_s2_p1_nobias": ("input c=5 h=9 w=9\nconv name=c out=6 k=3 stride=2 pad=1 bias=0\n", 2, 0),
    "conv_1x1": ("input c=8 h=5 w=5\nconv name=c out=16 k=1 bias=1\n", 3, 0),
    "conv_11x11_s4": ("input c=3 h=32 w=32\nconv name=c out=8 k=11 stride=4 pad=5 bias=1\n", 2, 0),
    "conv_chain_blocked": ("input c=3 h=10 w=10\nconv name=c1 out=32 k=3 pad=1 bias=0\n"
                           "conv name=c2 out=16 k=3 stride=2 pad=1 bias=1\n"
                           "conv name=c3 out=24 k=1 bias=0\n", 2, 0),
    "bn_train": ("input c=3 h=6 w=6\nconv name=c out=16 k=3 pad=1 bias=0\nbn name=bn\n", 4, 0),
    "bn_relu_train": ("input c=3 h=6 w=6\nconv name=c out=20 k=3 pad=1 bias=0\nbn name=bn relu=1\n", 3, 0),
    "bn_relu_eval": ("input c=3 h=6 w=6\nconv name=c out=16 k=3 pad=1 bias=0\nbn name=bn relu=1\n", 3, 1),
    "bn_plain_input": ("input c=5 h=4 w=4\nbn name=bn\n", 3, 0),
    "relu": ("input c=4 h=5 w=5\nrelu\n", 2, 0),
    "relu_blocked": ("input c=3 h=5 w=5\nconv name=c out=16 k=3 pad=1\nrelu\n", 2, 0),
    "maxpool_2_2": ("input c=3 h=8 w=8\nconv name=c out=16 k=3 pad=1\nmaxpool k=2 stride=2\n", 2, 0),
    "maxpool_2_2_odd": ("input c=3 h=7 w=7\nconv name=c out=16 k=3 pad=1\nmaxpool k=2 stride=2\n", 2, 0),
    "maxpool_3_2_p1": ("input c=3 h=8 w=8\nconv name=c out=16 k=3 pad=1\nmaxpool k=3 stride=2 pad=1\n", 2, 0),
    "maxpool_3_1_p1": ("input c=3 h=6 w=6\nconv name=c out=16 k=3 pad=1\nmaxpool k=3 stride=1 pad=1\n", 2, 0),
    "avgpool_2_2": ("input c=3 h=8 w=8\nconv name=c out=16 k=3 pad=1\navgpool k=2 stride=2\n", 2, 0),
    "avgpool_3_2_p1": ("input c=3 h=7 w=7\nconv name=c out=16 k=3 pad=1\navgpool k=3 stride=2 pad=1\n", 2, 0),
    "gap": ("input c=3 h=6 w=5\nconv name=c out=16 k=3 pad=1\ngap\nflatten\n", 3, 0),
    "linear": ("input c=6 h=2 w=2\nflatten\nlinear name=fc out=5\n", 3, 0),
    "linear_nobias_chain": ("input c=3 h=4 w=4\nconv name=c out=16 k=3 pad=1\nflatten\n"
                            "linear name=fc1 out=7 bias=0\nrelu\nlinear name=fc2 out=3\n", 2, 0),
    "flatten": ("input c=3 h=5 w=5\nconv name=c out=16 k=3 pad=1 stride=2\nflatten\n", 2, 0),
    "add_relu": ("input c=16 h=6 w=6\nconv name=a out=16 k=1\nconv name=b in=input out=16 k=3 pad=1\n"
                 "add in=a,b relu=1\n", 2, 0),
    "add_identity": ("input c=3 h=6 w=6\nconv name=c out=16 k=3 pad=1\nconv name=d out=16 k=3 pad=1\n"
                     "add in=d,c\n", 2, 0),
    "concat_odd": ("input c=3 h=6 w=6\nconv name=a out=5 k=1\nconv name=b in=input out=7 k=3 pad=1\n"
                   "maxpool name=p in=input k=3 stride=1 pad=1\nconcat in=a,b,p\n", 2, 0),
    "inception_odd": (INCEPTION.format(c1=4, r3=6, c3=8, r5=2, c5=4, pp=4), 4, 0),
    "inception_wide": (INCEPTION.format(c1=16, r3=16, c3=32, r5=16, c5=16, pp=16), 2, 0),
    "conv_1x1_3x3_bn": ("input c=40 h=6 w=6\nconv name=a out=24 k=1\nbn name=abn relu=1\n"
                        "conv name=b out=48 k=3 pad=1\nbn name=bbn relu=1\n", 2, 0),
    "concat_blocked": ("input c=3 h=6 w=6\nconv name=stem out=16 k=3 pad=1\nconv name=a out=16 k=1\n"
                       "conv name=b in=stem out=32 k=3 pad=1\nconcat in=a,b\nconv name=after out=8 k=1\n", 2, 0),
}


def layer_case(name, cfg, n, mode, seed):
    torch.manual_seed(seed)
    net = CfgNet(cfg)
    for mname, m in net.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(1 + 0.2 * torch.randn_like(m.weight))
                m.bias.copy_(0.2 * torch.randn_like(m.bias))
                if mode == 1:
                    m.running_mean.copy_(0.3 * torch.randn_like(m.running_mean))
                    m.running_var.copy_(0.5 + torch.rand_like(m.running_var))
    first = cfg.splitlines()[0].split()
    c, h, w = (int(t.split("=")[1]) for t in first[1:4])
    x = torch.randn(n, c, h, w)
    entries = [("config", TXT, cfg), ("mode", I64, torch.tensor([mode]))]
    b0 = [("b0:" + k, F32, v.clone()) for k, v in net.state_dict().items()
          if "running" in k]
    params = [("p:" + k, F32, v.detach().clone()) for k, v in net.named_parameters()]
    net.train(mode == 0)
    xg = x.clone().requires_grad_(True)
    y = net(xg).reshape(n, -1)
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    entries += [("x", F32, x), ("dy", F32, dy), ("y", F32, y), ("dx", F32, xg.grad)]
    entries += params + b0
    entries += [("g:" + k, F32, v.grad) for k, v in net.named_parameters()]
    entries += [("b1:" + k, F32, v.clone()) for k, v in net.state_dict().items() if "running" in k]
    return entries


MODEL_CASES = [  # zoo, c, h, k, width
    ("smallcnn", 3, 32, 10, 0.25), ("smallcnn", 1, 28, 10, 0.25),
    ("resnet18", 3, 32, 10, 0.125), ("resnet18", 1, 28, 12, 0.0625),
    ("alexnet", 3, 32, 10, 0.125), ("alexnet", 1, 28, 10, 0.125),
    ("googlenet", 3, 32, 10, 0.125), ("googlenet", 1, 28, 9, 0.0625),
]


def sample(t, m):
    flat = t.reshape(-1)
    cnt = flat.numel()
    m = min(cnt, m)
    idx = torch.tensor([(j * cnt) // m for j in range(m)], dtype=torch.long)
    return flat[idx]


M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def engine_dropout_mask(seed, count, p):
    """The C engine's dropout mask (src/nn/dropout.c) after eip_nn_set_dropout_seed(net, seed)
    for the first dropout layer: layer seed = first splitmix64 output of `seed`; element i
    keeps iff top-53-bit uniform of mix(layer_seed + golden * (i + 1)) >= p."""
    layer_seed = _mix((seed + GOLDEN) & M64)
    keep = [((_mix((layer_seed + GOLDEN * (i + 1)) & M64) >> 11) * (1.0 / 9007199254740992.0)) >= p
            for i in range(count)]
    return torch.tensor(keep, dtype=torch.float32)


class FixedDropout(nn.Module):
    """Inverted dropout with a given mask (so PyTorch and the C engine drop the same units)."""

    def __init__(self, mask, p):
        super().__init__()
        self.mask, self.scale = mask, torch.tensor(1.0 / (1.0 - p), dtype=torch.float32)

    def forward(self, x):
        if not self.training:
            return x
        return x * (self.mask.reshape(x.shape).to(x.dtype) * self.scale.to(x.dtype))


DROPOUT_SEED = 1234


def model_case(zoo, c, h, k, width, seed):
    torch.manual_seed(seed)
    net = torch_zoo.build(zoo, c, h, h, k, width)
    with torch.no_grad():  # f16-exact weights (see module docstring)
        for p in net.parameters():
            p.copy_(p.to(torch.float16).to(torch.float32))
    n = 4
    if hasattr(net, "dropout"):
        feat = net.fc1.out_features
        net.dropout = FixedDropout(engine_dropout_mask(DROPOUT_SEED, n * feat, net.dropout.p),
                                   net.dropout.p)
    x = torch.randn(n, c, h, h)
    labels = torch.randint(0, k, (n,))
    entries = [("zoo", TXT, zoo), ("arch", I64, torch.tensor([c, h, h, k])),
               ("width", F32, torch.tensor([width])), ("x", F32, x), ("labels", I64, labels),
               ("dropout_seed", I64, torch.tensor([DROPOUT_SEED]))]
    entries += [("p:" + k_, F16, v.detach()) for k_, v in net.named_parameters()]
    ref64 = copy.deepcopy(net).double()
    # fp32 run: logits, loss, BN buffers, and PyTorch's own fp32 gradient error (vs fp64)
    net.train()
    xg = x.clone().requires_grad_(True)
    logits = net(xg)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    # fp64 run: the gradients the C engine is compared with
    ref64.train()
    x64 = x.double().requires_grad_(True)
    F.cross_entropy(ref64(x64), labels).backward()
    g64 = dict(ref64.named_parameters())
    entries += [("logits", F32, logits), ("loss", F32, loss.reshape(1))]
    for k_, v in net.named_parameters():
        entries.append(("gs:" + k_, F32, sample(g64[k_].grad, 16)))
        entries.append(("ge:" + k_, F32, (v.grad.double() - g64[k_].grad).abs().max().reshape(1)))
    entries += [("dxs", F32, sample(x64.grad, 64)),
                ("dxe", F32, (xg.grad.double() - x64.grad).abs().max().reshape(1))]
    entries += [("b1:" + k_, F32, v.clone()) for k_, v in net.state_dict().items() if "running" in k_]
    net.eval()
    with torch.no_grad():
        entries += [("logits_eval", F32, net(x))]
    return entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "tests", "ref", "nn"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    total = 0
    for i, (name, (cfg, n, mode)) in enumerate(sorted(LAYER_CASES.items())):
        total += write_ref(os.path.join(args.out, "layer_%s.ref" % name),
                           layer_case(name, cfg, n, mode, 1000 + i))
    for i, (zoo, c, h, k, width) in enumerate(MODEL_CASES):
        total += write_ref(os.path.join(args.out, "model_%s_%dx%d.ref" % (zoo, c, h)),
                           model_case(zoo, c, h, k, width, 2000 + i))
    print("wrote %d layer + %d model refs, %d bytes" % (len(LAYER_CASES), len(MODEL_CASES), total))


if __name__ == "__main__":
    main()
