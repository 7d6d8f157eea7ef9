#!/usr/bin/python3
"""PyTorch mirror of the encryip model zoo (docs/ZOO.md).

build(name, c_in, h, w, k, width) -> nn.Module

Implements docs/ZOO.md literally: channel counts go through ch(c) = max(1, floor(c*w + 0.5)),
inception branch widths are scaled individually (the concat width is their sum), parameter
names follow the doc so safetensors checkpoints are interchangeable with the C engine
(src/nn/zoo*). Default PyTorch initialisation is kept (no custom init).

Self-check:  /usr/bin/python3 tools/torch_zoo.py --selftest [--threads N]
  builds each model for 1x28x28 and 3x32x32 at width 1 and 0.25 (K=10), runs a forward pass
  (batch 2, train and eval mode), prints parameter counts and output shapes, and checks the
  width-1 3x32x32 K=10 counts against the published reference implementations:
    kuangliu/pytorch-cifar ResNet18   11,173,962 params (~11.17M)
    kuangliu/pytorch-cifar GoogLeNet   6,166,250 params (~6.17M)
    bearpaw/pytorch-classification AlexNet (CIFAR) 2,472,266 params (~2.47M)
  Our GAP replaces kuangliu's fixed avg_pool2d and has no parameters, so the counts must be
  identical, not just close; the self-test asserts exact equality.
"""
import argparse
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = ("smallcnn", "resnet18", "alexnet", "googlenet")

# Published parameter counts for width 1, 3x32x32, K=10 (see module docstring).
PUBLISHED_PARAMS = {"resnet18": 11173962, "googlenet": 6166250, "alexnet": 2472266}


def ch(c, width):
    """docs/ZOO.md: ch(c) = max(1, floor(c*w + 0.5))."""
    return max(1, int(math.floor(c * width + 0.5)))


# --------------------------------------------------------------------------------------------
# smallcnn
# --------------------------------------------------------------------------------------------
class SmallCNN(nn.Module):
    def __init__(self, c_in, h, w, k, width):
        super().__init__()
        c32, c64, c128 = ch(32, width), ch(64, width), ch(128, width)
        self.conv1 = nn.Conv2d(c_in, c32, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c32, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(c32, c32, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c32, eps=1e-5, momentum=0.1)
        self.conv3 = nn.Conv2d(c32, c64, 3, 1, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c64, eps=1e-5, momentum=0.1)
        self.conv4 = nn.Conv2d(c64, c64, 3, 1, 1, bias=False)
        self.bn4 = nn.BatchNorm2d(c64, eps=1e-5, momentum=0.1)
        # floor division, as PyTorch's max pooling floors (twice)
        self.fc1 = nn.Linear(c64 * ((h // 2) // 2) * ((w // 2) // 2), c128)
        self.dropout = nn.Dropout(p=0.3)
        self.fc2 = nn.Linear(c128, k)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2, 2)
        x = F.relu(self.bn3(self.conv3(x)))
        x = F.max_pool2d(F.relu(self.bn4(self.conv4(x))), 2, 2)
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


# --------------------------------------------------------------------------------------------
# resnet18 (kuangliu/pytorch-cifar style)
# --------------------------------------------------------------------------------------------
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, 0, bias=False),
                nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, c_in, h, w, k, width):
        super().__init__()
        c = [ch(64, width), ch(128, width), ch(256, width), ch(512, width)]
        self.conv1 = nn.Conv2d(c_in, c[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c[0], eps=1e-5, momentum=0.1)
        cin = c[0]
        for i, (cout, stride) in enumerate(zip(c, (1, 2, 2, 2))):
            blocks = [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*blocks))
            cin = cout
        self.linear = nn.Linear(c[3], k)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, 1)  # GAP (== avg_pool2d(4) for 32x32)
        return self.linear(torch.flatten(out, 1))


# --------------------------------------------------------------------------------------------
# alexnet (CIFAR variant, bearpaw/pytorch-classification)
# --------------------------------------------------------------------------------------------
class MaybeMaxPool(nn.Module):
    """maxpool(2, 2) applied only if the map is at least 2x2 (docs/ZOO.md, features.12).

    Parameter-free, so it does not affect checkpoint names. The decision depends on the static
    input size only, so it is made at construction time (self.active) and asserted in forward.
    """

    def __init__(self, active):
        super().__init__()
        self.active = active

    def forward(self, x):
        if self.active:
            return F.max_pool2d(x, 2, 2)
        return x

    def extra_repr(self):
        return "kernel_size=2, stride=2, active=%s" % self.active


def _conv_out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


class AlexNet(nn.Module):
    def __init__(self, c_in, h, w, k, width):
        super().__init__()
        c64, c192, c384, c256 = ch(64, width), ch(192, width), ch(384, width), ch(256, width)
        # Spatial sizes: 32 -> 8 -> 4 -> 2 -> 1;  28 -> 7 -> 3 -> 1 -> (pool skipped) 1.
        hh, ww = _conv_out(h, 11, 4, 5), _conv_out(w, 11, 4, 5)
        hh, ww = hh // 2, ww // 2
        hh, ww = hh // 2, ww // 2
        if hh < 1 or ww < 1:
            raise ValueError("alexnet: input %dx%d too small" % (h, w))
        last_pool = hh >= 2 and ww >= 2
        if last_pool:
            hh, ww = hh // 2, ww // 2
        self.out_hw = (hh, ww)
        self.features = nn.Sequential(
            nn.Conv2d(c_in, c64, 11, 4, 5),       # 0
            nn.ReLU(inplace=True),                # 1
            nn.MaxPool2d(2, 2),                   # 2
            nn.Conv2d(c64, c192, 5, 1, 2),        # 3
            nn.ReLU(inplace=True),                # 4
            nn.MaxPool2d(2, 2),                   # 5
            nn.Conv2d(c192, c384, 3, 1, 1),       # 6
            nn.ReLU(inplace=True),                # 7
            nn.Conv2d(c384, c256, 3, 1, 1),       # 8
            nn.ReLU(inplace=True),                # 9
            nn.Conv2d(c256, c256, 3, 1, 1),       # 10
            nn.ReLU(inplace=True),                # 11
            MaybeMaxPool(last_pool),              # 12
        )
        self.classifier = nn.Linear(c256 * hh * ww, k)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(torch.flatten(x, 1))


# --------------------------------------------------------------------------------------------
# googlenet (kuangliu/pytorch-cifar style)
# --------------------------------------------------------------------------------------------
def _cbr(cin, cout, k, p):
    return [nn.Conv2d(cin, cout, k, 1, p), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1),
            nn.ReLU(True)]


class Inception(nn.Module):
    def __init__(self, cin, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_planes):
        # all counts already scaled by ch(); cin is the actual width of the previous block
        super().__init__()
        self.b1 = nn.Sequential(*_cbr(cin, n1x1, 1, 0))
        self.b2 = nn.Sequential(*_cbr(cin, n3x3red, 1, 0), *_cbr(n3x3red, n3x3, 3, 1))
        self.b3 = nn.Sequential(*_cbr(cin, n5x5red, 1, 0), *_cbr(n5x5red, n5x5, 3, 1),
                                *_cbr(n5x5, n5x5, 3, 1))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), *_cbr(cin, pool_planes, 1, 0))
        self.out_channels = n1x1 + n3x3 + n5x5 + pool_planes

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


GOOGLENET_CFG = (  # name, (n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_planes); None = maxpool
    ("a3", (64, 96, 128, 16, 32, 32)),
    ("b3", (128, 128, 192, 32, 96, 64)),
    (None, None),
    ("a4", (192, 96, 208, 16, 48, 64)),
    ("b4", (160, 112, 224, 24, 64, 64)),
    ("c4", (128, 128, 256, 24, 64, 64)),
    ("d4", (112, 144, 288, 32, 64, 64)),
    ("e4", (256, 160, 320, 32, 128, 128)),
    (None, None),
    ("a5", (256, 160, 320, 32, 128, 128)),
    ("b5", (384, 192, 384, 48, 128, 128)),
)


class GoogLeNet(nn.Module):
    def __init__(self, c_in, h, w, k, width):
        super().__init__()
        c192 = ch(192, width)
        self.pre_layers = nn.Sequential(*_cbr(c_in, c192, 3, 1))
        self.order = []
        cin = c192
        for name, cfg in GOOGLENET_CFG:
            if name is None:
                self.order.append(None)
                continue
            block = Inception(cin, *[ch(c, width) for c in cfg])
            setattr(self, name, block)
            self.order.append(name)
            cin = block.out_channels
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.linear = nn.Linear(cin, k)

    def forward(self, x):
        out = self.pre_layers(x)
        for name in self.order:
            out = self.maxpool(out) if name is None else getattr(self, name)(out)
        out = F.adaptive_avg_pool2d(out, 1)  # GAP (== avg_pool2d(8) for 32x32)
        return self.linear(torch.flatten(out, 1))


# --------------------------------------------------------------------------------------------
_CLASSES = {"smallcnn": SmallCNN, "resnet18": ResNet18, "alexnet": AlexNet,
            "googlenet": GoogLeNet}


def build(name, c_in, h, w, k, width=1.0):
    """Build a zoo model. name in MODELS; input [N, c_in, h, w]; output [N, k]."""
    if name not in _CLASSES:
        raise ValueError("unknown model %r (choices: %s)" % (name, ", ".join(MODELS)))
    if c_in < 1 or h < 1 or w < 1 or k < 1 or not width > 0:
        raise ValueError("bad shape/width: c_in=%r h=%r w=%r k=%r width=%r"
                         % (c_in, h, w, k, width))
    return _CLASSES[name](c_in, h, w, k, width)


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def _selftest(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    ok = True
    print("%-10s %-8s %6s %12s %10s  %s" % ("model", "input", "width", "params", "out", "notes"))
    for name in MODELS:
        for (c, h, w) in ((1, 28, 28), (3, 32, 32)):
            for width in (1.0, 0.25):
                m = build(name, c, h, w, 10, width)
                n = param_count(m)
                x = torch.randn(2, c, h, w)
                m.train()
                y = m(x)
                m.eval()
                with torch.no_grad():
                    y2 = m(x)
                shape_ok = tuple(y.shape) == (2, 10) and tuple(y2.shape) == (2, 10)
                finite = bool(torch.isfinite(y).all() and torch.isfinite(y2).all())
                notes = []
                if name == "alexnet":
                    notes.append("h,w=%d,%d last_pool=%s" % (m.out_hw + (m.features[12].active,)))
                if (c, h, w) == (3, 32, 32) and width == 1.0 and name in PUBLISHED_PARAMS:
                    ref = PUBLISHED_PARAMS[name]
                    match = n == ref
                    notes.append("published %d %s" % (ref, "OK" if match else "MISMATCH"))
                    ok &= match
                if not shape_ok or not finite:
                    notes.append("BAD OUTPUT")
                    ok = False
                print("%-10s %-8s %6.2f %12d %10s  %s" % (name, "%dx%dx%d" % (c, h, w), width, n,
                                                          "x".join(map(str, y.shape)),
                                                          "; ".join(notes)))
    # spot-check parameter names against docs/ZOO.md
    names = {
        "smallcnn": ["conv1.weight", "bn1.running_var", "fc1.weight", "fc2.bias"],
        "resnet18": ["conv1.weight", "bn1.weight", "layer1.0.conv1.weight",
                     "layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.running_mean",
                     "layer2.0.shortcut.1.num_batches_tracked", "linear.weight"],
        "alexnet": ["features.0.weight", "features.3.bias", "features.6.weight",
                    "features.8.weight", "features.10.bias", "classifier.weight"],
        "googlenet": ["pre_layers.0.weight", "pre_layers.1.running_mean", "a3.b1.0.weight",
                      "a3.b2.4.weight", "a3.b3.7.bias", "a3.b4.1.weight", "a3.b4.2.running_var",
                      "b5.b3.6.weight", "linear.weight"],
    }
    for name, want in names.items():
        sd = build(name, 3, 32, 32, 10, 1.0).state_dict()
        missing = [k for k in want if k not in sd]
        if missing:
            print("%s: missing state_dict keys %s" % (name, missing))
            ok = False
    bad = [k for k in build("resnet18", 3, 32, 32, 10).state_dict()
           if k.endswith("num_batches_tracked")
           and build("resnet18", 3, 32, 32, 10).state_dict()[k].dtype != torch.int64]
    if bad:
        print("num_batches_tracked not int64: %s" % bad)
        ok = False
    print("selftest: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--selftest", action="store_true", help="build/forward every model")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--print", dest="print_model", choices=MODELS,
                    help="print the module tree and state_dict keys/shapes of one model")
    ap.add_argument("--input", default="3x32x32", help="CxHxW for --print (default 3x32x32)")
    ap.add_argument("--k", type=int, default=10, help="output width for --print")
    ap.add_argument("--width", type=float, default=1.0, help="width multiplier for --print")
    args = ap.parse_args(argv)
    if args.threads < 1:
        ap.error("--threads must be >= 1")
    if args.selftest:
        return _selftest(args.threads)
    if args.print_model:
        torch.set_num_threads(args.threads)
        try:
            c, h, w = (int(v) for v in args.input.split("x"))
        except ValueError:
            ap.error("--input must be CxHxW, e.g. 3x32x32")
        m = build(args.print_model, c, h, w, args.k, args.width)
        print(m)
        for k, v in m.state_dict().items():
            print("%-45s %-8s %s" % (k, str(v.dtype).replace("torch.", ""), list(v.shape)))
        print("params: %d" % param_count(m))
        return 0
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
