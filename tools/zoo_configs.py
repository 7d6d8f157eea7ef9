#!/usr/bin/python3
"""Writes the zoo models (src/nn/zoo.c, width 1) as config files
docs/configs/<model>.cfg with `input c=auto h=auto w=auto` and the head's
`out=auto` (docs/CONFIG.md).  alexnet's last pool depends on the input size:
the file is the 3x32x32 (CIFAR) variant.  Usage: tools/zoo_configs.py [DIR]"""
import os
import sys

HEAD = "input c=auto h=auto w=auto\n"


def smallcnn():
    s = "# smallcnn (docs/ZOO.md): 4 conv-BN-ReLU, 2 max-pools, 2 linear\n" + HEAD
    for conv, bn, c, pool in (("conv1", "bn1", 32, 0), ("conv2", "bn2", 32, 1),
                              ("conv3", "bn3", 64, 0), ("conv4", "bn4", 64, 1)):
        s += "conv name=%s out=%d k=3 pad=1 bias=0\nbn name=%s relu=1\n" % (conv, c, bn)
        if pool:
            s += "maxpool k=2\n"
    return s + "flatten\nlinear name=fc1 out=128\nrelu\ndropout name=dropout p=0.3\nlinear name=fc2 out=auto\n"


def resnet18():
    s = "# resnet18 (kuangliu/pytorch-cifar, docs/ZOO.md)\n" + HEAD
    s += "conv name=conv1 out=64 k=3 pad=1 bias=0\nbn name=bn1 relu=1\n"
    prev, cin = "bn1", 64
    for st, (c, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2))):
        for b in range(2):
            p = "layer%d.%d" % (st + 1, b)
            sd = stride if b == 0 else 1
            s += "conv name=%s.conv1 in=%s out=%d k=3 stride=%d pad=1 bias=0\n" % (p, prev, c, sd)
            s += "bn name=%s.bn1 relu=1\n" % p
            s += "conv name=%s.conv2 out=%d k=3 pad=1 bias=0\nbn name=%s.bn2\n" % (p, c, p)
            short = prev
            if sd != 1 or cin != c:
                s += "conv name=%s.shortcut.0 in=%s out=%d k=1 stride=%d bias=0\n" % (p, prev, c, sd)
                s += "bn name=%s.shortcut.1\n" % p
                short = p + ".shortcut.1"
            s += "add name=%s.add in=%s.bn2,%s relu=1\n" % (p, p, short)
            prev, cin = p + ".add", c
    return s + "gap\nflatten\nlinear name=linear out=auto\n"


def alexnet():
    s = "# alexnet, CIFAR variant (bearpaw, docs/ZOO.md), for 3x32x32 inputs\n" + HEAD
    for idx, c, k, st, pad, pool in ((0, 64, 11, 4, 5, 1), (3, 192, 5, 1, 2, 1), (6, 384, 3, 1, 1, 0),
                                     (8, 256, 3, 1, 1, 0), (10, 256, 3, 1, 1, 1)):
        s += "conv name=features.%d out=%d k=%d stride=%d pad=%d\nrelu\n" % (idx, c, k, st, pad)
        if pool:
            s += "maxpool k=2\n"
    return s + "flatten\nlinear name=classifier out=auto\n"


def googlenet():
    s = "# googlenet, CIFAR variant (kuangliu/pytorch-cifar, docs/ZOO.md)\n" + HEAD
    s += "conv name=pre_layers.0 out=192 k=3 pad=1\nbn name=pre_layers.1 relu=1\n"
    prev = "pre_layers.1"
    tab = [("a3", 64, 96, 128, 16, 32, 32), ("b3", 128, 128, 192, 32, 96, 64), None,
           ("a4", 192, 96, 208, 16, 48, 64), ("b4", 160, 112, 224, 24, 64, 64), ("c4", 128, 128, 256, 24, 64, 64),
           ("d4", 112, 144, 288, 32, 64, 64), ("e4", 256, 160, 320, 32, 128, 128), None,
           ("a5", 256, 160, 320, 32, 128, 128), ("b5", 384, 192, 384, 48, 128, 128)]
    pools = 0

    def cbr(pre, i, inp, c, k, pad):
        return ("conv name=%s.%d in=%s out=%d k=%d pad=%d\nbn name=%s.%d relu=1\n"
                % (pre, i, inp, c, k, pad, pre, i + 1))
    for row in tab:
        if row is None:
            pools += 1
            s += "maxpool name=maxpool%d in=%s k=3 stride=2 pad=1\n" % (pools, prev)
            prev = "maxpool%d" % pools
            continue
        nm, n1, r3, n3, r5, n5, pp = row
        s += "# inception %s\n" % nm
        s += cbr(nm + ".b1", 0, prev, n1, 1, 0)
        s += cbr(nm + ".b2", 0, prev, r3, 1, 0) + cbr(nm + ".b2", 3, nm + ".b2.1", n3, 3, 1)
        s += (cbr(nm + ".b3", 0, prev, r5, 1, 0) + cbr(nm + ".b3", 3, nm + ".b3.1", n5, 3, 1)
              + cbr(nm + ".b3", 6, nm + ".b3.4", n5, 3, 1))
        s += "maxpool name=%s.b4.0 in=%s k=3 stride=1 pad=1\n" % (nm, prev)
        s += cbr(nm + ".b4", 1, nm + ".b4.0", pp, 1, 0)
        s += "concat name=%s.cat in=%s.b1.1,%s.b2.4,%s.b3.7,%s.b4.2\n" % (nm, nm, nm, nm, nm)
        prev = nm + ".cat"
    return s + "gap\nflatten\nlinear name=linear out=auto\n"


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "docs", "configs")
    for name, f in (("smallcnn", smallcnn), ("resnet18", resnet18), ("alexnet", alexnet), ("googlenet", googlenet)):
        with open(os.path.join(out, name + ".cfg"), "w") as fp:
            fp.write(f())
