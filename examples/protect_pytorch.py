#!/usr/bin/env python3
"""Protect your own PyTorch model with EncryIP: a custom CNN (not in
encryip's zoo) on images read from a folder, trained by PyTorch, on one
process or with DistributedDataParallel (gloo):

    /usr/bin/python3 examples/make_imagefolder.py data
    /usr/bin/python3 examples/protect_pytorch.py --data data --out bundle
    /usr/bin/python3 -m torch.distributed.run --nproc_per_node=2 \\
        examples/protect_pytorch.py --data data --out bundle --force

Modes:
  protect   (default) plan (keys, targets, verification set) -> train ->
            memorisation check -> bundle; then each licensee decrypts the
            test answers and the owner traces a simulated leak (licensee 2)
  plain     the same network on the true labels (the baseline; --save-plain
            keeps its weights, also used as the "honest" suspect)
  finetune  protect an already-trained model: load --pretrained plain
            weights, replace the head by one of EncryIP's width, fine-tune
            on the encrypted targets for --epochs
The lines marked `# encryip` are all a training script needs to change.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import encryip                 # noqa: E402  # encryip
import encryip.torch as et     # noqa: E402  # encryip


# ---- the user's own code: data from a folder, a custom CNN ---------------------------

def read_pnm(path):
    """Binary PGM (P5) / PPM (P6) -> uint8 [C, H, W]."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    magic, w, h, maxv = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    if magic not in (b"P5", b"P6") or maxv != 255:
        raise ValueError("%s: not an 8-bit binary PGM/PPM" % path)
    c = 1 if magic == b"P5" else 3
    img = np.frombuffer(data, dtype=np.uint8, count=w * h * c, offset=pos + 1)
    return img.reshape(h, w, c).transpose(2, 0, 1)


class ImageFolder(torch.utils.data.Dataset):
    """root/<class>/<file>.pgm|ppm; classes sorted by name; all in memory."""

    def __init__(self, root, limit=0):
        self.classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
        files = [(os.path.join(root, c, f), i) for i, c in enumerate(self.classes)
                 for f in sorted(os.listdir(os.path.join(root, c)))]
        files.sort(key=lambda t: os.path.basename(t[0]))   # interleave classes (file = index)
        if limit:
            files = files[:limit]
        self.images = np.stack([read_pnm(p) for p, _ in files])      # uint8 [N, C, H, W]
        self.targets = [lab for _, lab in files]

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        return torch.from_numpy(self.images[i]).float().div_(255.0), self.targets[i]


class FolderNet(nn.Module):
    """A small custom CNN: two conv blocks, a 1x1 bottleneck, global pooling, head."""

    def __init__(self, in_ch=1, outputs=10, width=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_ch, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.hidden = nn.Linear(8 * width, 128)
        self.head = nn.Linear(128, outputs)

    def forward(self, x):
        return self.head(F.relu(self.hidden(self.features(x))))


# ---- training (the user's loop; DDP or not) -------------------------------------------

def train(model, dataset, loss_fn, epochs, batch, lr, seed, world, rank, log, after_epoch=None):
    sampler = torch.utils.data.distributed.DistributedSampler(
        dataset, num_replicas=world, rank=rank, shuffle=True, seed=seed) if world > 1 else None
    g = torch.Generator()
    g.manual_seed(seed)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=sampler is None,
                                         sampler=sampler, generator=g if sampler is None else None)
    net = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(loader))
    for ep in range(epochs):
        if sampler is not None:
            sampler.set_epoch(ep)
        net.train()
        t0, tot, n = time.time(), 0.0, 0
        for x, t in loader:
            opt.zero_grad()
            loss = loss_fn(net(x), t)
            loss.backward()
            opt.step()
            sched.step()
            tot, n = tot + loss.item() * len(x), n + len(x)
        log("epoch %d/%d: loss %.4f (%.1f s, %d samples on rank %d)" % (ep + 1, epochs, tot / max(n, 1),
                                                                       time.time() - t0, n, rank))
        if after_epoch is not None and rank == 0:
            after_epoch(ep, model)
    return model


@torch.no_grad()
def logits_of(model, images, batch=500):
    model.eval()
    return torch.cat([model(torch.from_numpy(images[i:i + batch]).float().div_(255.0))
                      for i in range(0, len(images), batch)])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with train/<class>/ and test/<class>/")
    ap.add_argument("--out", help="bundle directory (protect, finetune)")
    ap.add_argument("--mode", choices=["protect", "plain", "finetune"], default="protect")
    ap.add_argument("--group", choices=["ristretto255", "paper"], default="ristretto255")
    ap.add_argument("--licensees", type=int, default=3)
    ap.add_argument("--verif-count", type=int, default=0, help="verification instances (0 = default)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=128, help="per process")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--train-limit", type=int, default=0)
    ap.add_argument("--test-limit", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process")
    ap.add_argument("--pretrained", help="finetune: plain weights (from --mode plain --save-plain)")
    ap.add_argument("--save-plain", help="plain: write the trained weights here")
    ap.add_argument("--honest", help="protect/finetune: plain weights traced as an honest suspect")
    ap.add_argument("--json", help="write the results here (rank 0)")
    ap.add_argument("--force", action="store_true", help="replace an existing bundle")
    ap.add_argument("--epoch-eval", type=int, default=0, metavar="N",
                    help="after every epoch: test accuracy on the first N test images (and the "
                         "memorisation check) into the JSON; its time is left out of train_seconds")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo")
    torch.manual_seed(a.seed)      # same initial weights on every rank

    def log(msg):
        if rank == 0 or "rank" in msg:
            print("[%d] %s" % (rank, msg), flush=True)

    t_start = time.time()
    train_ds = ImageFolder(os.path.join(a.data, "train"), a.train_limit)
    test_ds = ImageFolder(os.path.join(a.data, "test"), a.test_limit)
    shape, z = train_ds.images.shape[1:], len(train_ds.classes)
    res = {"mode": a.mode, "group": a.group, "world": world, "epochs": a.epochs, "seed": a.seed,
           "train_images": len(train_ds), "test_images": len(test_ds), "threads": a.threads,
           "batch": a.batch, "lr": a.lr, "width": a.width}

    if a.mode == "plain":
        model = FolderNet(shape[0], z, a.width)
        per_epoch = res.setdefault("test_acc_per_epoch", [])
        if a.epoch_eval:
            res["epoch_eval_images"] = min(a.epoch_eval, len(test_ds))

        def after_epoch(ep, m):      # not counted in train_seconds (measurement only)
            t0 = time.time()
            per_epoch.append(float((logits_of(m, test_ds.images[:a.epoch_eval]).argmax(1).numpy() ==
                                    np.array(test_ds.targets[:a.epoch_eval])).mean()))
            res["eval_seconds"] = res.get("eval_seconds", 0.0) + time.time() - t0
            log("  test accuracy after epoch %d: %.4f" % (ep + 1, per_epoch[-1]))
        train(model, train_ds, F.cross_entropy, a.epochs, a.batch, a.lr, a.seed, world, rank, log,
              after_epoch if a.epoch_eval else None)
        res["train_seconds"] = time.time() - t_start - res.get("eval_seconds", 0.0)
        if rank == 0:
            acc = float((logits_of(model, test_ds.images).argmax(1).numpy() ==
                         np.array(test_ds.targets)).mean())
            res["test_acc"] = acc
            log("plain model: test accuracy %.4f" % acc)
            if a.save_plain:
                torch.save(model.state_dict(), a.save_plain)
    else:
        # encryip: keys, encrypted targets, verification set -> bundle skeleton (rank 0 writes)
        if rank == 0:
            plan = encryip.protect_plan(labels=train_ds.targets, classes=z, licensees=a.licensees,
                                        group=a.group, verification="noise", verif_count=a.verif_count,
                                        image_shape=shape, out=a.out, seed=a.seed, force=a.force,
                                        arch="FolderNet (PyTorch)", dataset=a.data)
        if world > 1:
            dist.barrier()
        if rank != 0:
            plan = encryip.Plan.load(a.out)                        # encryip: same plan on every rank
        ds = et.ProtectedDataset(train_ds, plan, epochs=a.epochs)  # encryip
        log("plan: %s group, %d licensees, K=%d outputs, %d verification instances x %d replicas"
            % (plan.group, plan.licensees, plan.outputs, plan.verif_count, ds.replicas))
        model = FolderNet(shape[0], z, a.width)
        if a.mode == "finetune":
            model.load_state_dict(torch.load(a.pretrained))        # the user's trained model
        model.head = nn.Linear(model.head.in_features, plan.outputs)   # encryip: head of width K
        res["replicas"] = ds.replicas
        if a.epoch_eval:
            res["epoch_eval_images"] = min(a.epoch_eval, len(test_ds))
        per_epoch = res.setdefault("per_epoch", [])

        def after_epoch(ep, m):      # memorised fraction and licensee 1's test accuracy (measurement)
            t0 = time.time()
            try:
                mem = "%.3f" % et.check_memorised(m, plan)
            except encryip.NotMemorisedError as e:
                mem = str(e)
            lab = encryip.Licensee(os.path.join(a.out, "keys", "licensee-1.key")).decrypt(
                encryip.Deployment(a.out).confuse(logits_of(m, test_ds.images[:a.epoch_eval])))
            per_epoch.append({"memorised": mem,
                              "test_acc": float((lab == np.array(test_ds.targets[:a.epoch_eval])).mean())})
            res["eval_seconds"] = res.get("eval_seconds", 0.0) + time.time() - t0
            log("  after epoch %d: test accuracy %.4f, memorised %s" % (ep + 1, per_epoch[-1]["test_acc"], mem))
        train(model, ds, et.loss(plan), a.epochs, a.batch, a.lr, a.seed, world, rank, log,  # encryip
              after_epoch if a.epoch_eval else None)
        res["train_seconds"] = time.time() - t_start - res.get("eval_seconds", 0.0)
        if rank == 0:
            try:
                res["memorised"] = et.check_memorised(model, plan)  # encryip: fails loudly
            except encryip.NotMemorisedError as e:
                res["memorised"], res["memorised_error"] = None, str(e)
                log("MEMORISATION CHECK FAILED: %s" % e)
            plan.save_model(model)                                  # encryip: deploy/model.pt
            evaluate(a, model, plan, test_ds, res, log)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    res["wall_seconds"] = time.time() - t_start
    if rank == 0 and a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    if rank == 0 and res.get("memorised_error"):
        sys.exit(3)


def evaluate(a, model, plan, test_ds, res, log):
    """Customer side (decrypt) and owner side (trace), all in Python."""
    y = np.array(test_ds.targets)
    deploy = encryip.Deployment(a.out)                 # what a licensee runs: no secret key
    t0 = time.time()
    answers = deploy.confuse(logits_of(model, test_ds.images))
    res["confuse_seconds"] = time.time() - t0
    accs = []
    for j in range(1, plan.licensees + 1):
        key = encryip.Licensee(os.path.join(a.out, "keys", "licensee-%d.key" % j))
        t0 = time.time()
        labels = key.decrypt(answers)
        res.setdefault("decrypt_seconds", time.time() - t0)
        accs.append(float((labels == y).mean()))
    res["test_acc_per_licensee"] = accs
    res["test_acc"] = min(accs)
    log("test accuracy decrypted by licensees 1..%d: %s" % (plan.licensees, ", ".join("%.4f" % x for x in accs)))

    leaker = encryip.Licensee(os.path.join(a.out, "keys", "licensee-%d.key" % min(2, plan.licensees)))

    def leaked(images):    # a deployment run with licensee 2's key: answers decrypted labels
        return leaker.decrypt(deploy.confuse(logits_of(model, images)))
    tr = encryip.trace(leaked, bundle=a.out, what="simulated leak by licensee %d" % leaker.index)
    log(str(tr))
    res["trace_leak"] = tr.named
    res["trace_leak_expected"] = leaker.index
    if a.honest:
        honest = FolderNet(test_ds.images.shape[1], len(test_ds.classes), a.width)
        honest.load_state_dict(torch.load(a.honest))
        tr = encryip.trace(lambda im: logits_of(honest, im).argmax(1).numpy(), bundle=a.out,
                           what="honest plain model")
        log(str(tr))
        res["trace_honest"] = tr.named


if __name__ == "__main__":
    main()
