#!/usr/bin/env python3
"""Writes Fashion-MNIST (idx .gz, Debian's dataset-fashion-mnist) as an
image-folder tree, the layout a PyTorch user keeps their images in:

    OUT/train/<class>/<index>.pgm     OUT/test/<class>/<index>.pgm

PGM (binary P5) because it needs no imaging library.  Usage:
    /usr/bin/python3 examples/make_imagefolder.py OUT [--train N] [--test N]
"""
import argparse
import gzip
import os

import numpy as np

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
           "ankle-boot"]


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--src", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--train", type=int, default=20000, help="first N training images")
    ap.add_argument("--test", type=int, default=10000, help="first N test images")
    a = ap.parse_args()
    for split, prefix, n in (("train", "train", a.train), ("test", "t10k", a.test)):
        x = idx(os.path.join(a.src, prefix + "-images-idx3-ubyte.gz"))[:n]
        y = idx(os.path.join(a.src, prefix + "-labels-idx1-ubyte.gz"))[:n]
        for c in CLASSES:
            os.makedirs(os.path.join(a.out, split, c), exist_ok=True)
        for i, (img, lab) in enumerate(zip(x, y)):
            with open(os.path.join(a.out, split, CLASSES[lab], "%05d.pgm" % i), "wb") as f:
                f.write(b"P5\n%d %d\n255\n" % (img.shape[1], img.shape[0]) + img.tobytes())
        print("%s: %d images in %s" % (split, len(x), os.path.join(a.out, split)))


if __name__ == "__main__":
    main()
