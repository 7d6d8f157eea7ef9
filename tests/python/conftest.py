"""Shared fixtures: the built CLI, small Fashion-MNIST arrays, a tiny custom
CNN (not in encryip's zoo) and its 1-epoch PyTorch training."""
import gzip
import os
import subprocess

import numpy as np
import pytest

import encryip

CLI = os.environ.get("ENCRYIP_CLI", "encryip")
SRC = os.environ.get("ENCRYIP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FASHION = "/usr/share/datasets/fashion-mnist"


def cli(*args, check=True):
    r = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("encryip %s: exit %d\n%s%s" % (" ".join(map(str, args)), r.returncode,
                                                          r.stdout, r.stderr))
    return r


def idx(path, n):
    with gzip.open(path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)[:n]


@pytest.fixture(scope="session")
def fashion():
    """2,000 training and 500 test images, uint8 [N, 1, 28, 28] + labels."""
    xtr = idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"), 2000)[:, None].copy()
    ytr = idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz"), 2000).astype(np.int64)
    xte = idx(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"), 500)[:, None].copy()
    yte = idx(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz"), 500).astype(np.int64)
    return xtr, ytr, xte, yte


@pytest.fixture
def bundle(tmp_path):
    """A ristretto255 plan written as a bundle skeleton (seeded keys: test only)."""
    out = tmp_path / "bundle"
    plan = encryip.protect_plan(classes=10, licensees=3, group="ristretto255", verif_count=8,
                                image_shape=(1, 28, 28), out=str(out), crypto_seed=7)
    return plan, str(out)
