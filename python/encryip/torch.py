"""PyTorch side of encryip: the loss for a plan's targets, a Dataset that
mixes in the verification replicas, and the memorisation check.

    ds = encryip.torch.ProtectedDataset(my_dataset, plan, epochs=E)
    loss_fn = encryip.torch.loss(plan)
    model.fc = torch.nn.Linear(model.fc.in_features, plan.outputs)
    ... your loop (DDP, DistributedSampler, optimiser: unchanged) ...
    encryip.torch.check_memorised(model, plan)   # raises NotMemorisedError
"""
import numpy as np
import torch
import torch.nn.functional as F

from . import EncryipError, NotMemorisedError  # noqa: F401  (re-exported)


def loss(plan):
    """Loss(logits [B, K], targets) for the plan's targets: paper group the
    block soft-label cross-entropy (sum over the 3 blocks u1, u2, u3 of
    -Σ t log softmax, mean over the batch — what encryip's own trainer
    minimises, paper sec. 4.3); ristretto255 cross-entropy over the slots."""
    k = plan.outputs
    if plan.target_kind == "block":
        q = k // 3

        def block_ce(logits, targets):
            lp = F.log_softmax(logits.view(-1, 3, q), dim=2)
            return -(targets.view(-1, 3, q) * lp).sum(dim=(1, 2)).mean()
        return block_ce

    def slot_ce(logits, targets):
        return F.cross_entropy(logits, targets)
    return slot_ce


def default_transform(x):
    """uint8 [C, H, W] -> float [C, H, W] in [0, 1] (like ToTensor)."""
    return torch.from_numpy(np.ascontiguousarray(x)).float().div_(255.0)


class ProtectedDataset(torch.utils.data.Dataset):
    """(image, target) for every item of `dataset` (image, label), then the V
    verification images x̄_i, each `replicas` times (default: plan.replicas
    for len(dataset) and `epochs`), with their targets Φ(c̄_i) / slots.
    Targets come from one C call.  Verification images go through
    `verif_transform` (uint8 [C, H, W] -> tensor shaped like your images).
    Works with DistributedSampler (map-style)."""

    def __init__(self, dataset, plan, labels=None, epochs=1, replicas=None,
                 verif_transform=default_transform):
        self.dataset, self.plan = dataset, plan
        if labels is None:
            labels = getattr(dataset, "targets", None)
        if labels is None:
            labels = [dataset[i][1] for i in range(len(dataset))]
        labels = np.asarray(labels, dtype=np.int64)
        if labels.shape[0] != len(dataset):
            raise EncryipError(9, "ProtectedDataset: %d labels for %d items" % (labels.shape[0], len(dataset)))
        self.replicas = plan.replicas(len(dataset), epochs) if replicas is None else int(replicas)
        self.targets = torch.from_numpy(plan.targets(labels))
        self.verif_targets = torch.from_numpy(plan.verification_targets())
        imgs = plan.verification_images()
        self.verif_images = [verif_transform(x) for x in imgs]
        self.n, self.v = len(dataset), plan.verif_count

    def __len__(self):
        return self.n + self.v * self.replicas

    def __getitem__(self, i):
        if i < 0:
            i += len(self)
        if i < self.n:
            return self.dataset[i][0], self.targets[i]
        j = (i - self.n) % self.v
        return self.verif_images[j], self.verif_targets[j]


@torch.no_grad()
def logits_on(model, images, transform=default_transform, batch=256, device=None):
    """Model outputs [N, K] on uint8 images [N, C, H, W] in eval mode."""
    m = getattr(model, "module", model)
    was = m.training
    m.eval()
    dev = device or next(m.parameters()).device
    out = []
    for i in range(0, len(images), batch):
        x = torch.stack([transform(a) for a in images[i:i + batch]]).to(dev)
        out.append(m(x).float().cpu())
    m.train(was)
    return torch.cat(out) if out else torch.zeros(0, 0)


def check_memorised(model, plan, transform=default_transform, batch=256):
    """Raises NotMemorisedError (with the licensee and counts) unless a
    deployment of `model` would be traced by `encryip trace`'s rule for every
    licensee; returns the fraction of verification instances memorised."""
    return plan.check_memorised(logits_on(model, plan.verification_images(), transform, batch))
