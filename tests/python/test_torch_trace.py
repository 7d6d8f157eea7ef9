"""A tiny custom CNN (not in encryip's zoo) trained in PyTorch for 1 epoch
on 2,000 Fashion-MNIST images with encryip.torch: every licensee decrypts
its answers, a leak by licensee 2 is traced to licensee 2, an honest model
to nobody, and the memorisation check fails loudly on an under-trained model."""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import encryip
import encryip.torch as et

torch.set_num_threads(1)


class Tiny(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 7 * 7, 64)
        self.head = nn.Linear(64, k)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.head(F.relu(self.fc(x.flatten(1))))


class Arrays(torch.utils.data.Dataset):
    def __init__(self, x, y):
        self.x, self.targets = x, y

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]).float() / 255, int(self.targets[i])


def fit(model, ds, loss_fn, lr=2e-3, batch=32, seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for x, t in torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, generator=g):
        opt.zero_grad()
        loss_fn(model(x), t).backward()
        opt.step()
    return model


@pytest.fixture(scope="module")
def trained(fashion, tmp_path_factory):
    xtr, ytr, xte, yte = fashion
    out = str(tmp_path_factory.mktemp("torch") / "bundle")
    torch.manual_seed(0)
    plan = encryip.protect_plan(labels=ytr, licensees=3, group="paper", verif_count=8,
                                image_shape=(1, 28, 28), out=out, crypto_seed=3)
    ds = et.ProtectedDataset(Arrays(xtr, ytr), plan, epochs=1)
    assert len(ds) == 2000 + 8 * ds.replicas
    model = fit(Tiny(plan.outputs), ds, et.loss(plan))
    return plan, out, model


def test_licensees_decrypt_and_memorised(trained, fashion):
    plan, out, model = trained
    xtr, ytr, xte, yte = fashion
    assert et.check_memorised(model, plan) == 1.0
    plan.save_model(model)
    answers = encryip.Deployment(out).confuse(et.logits_on(model, xte))
    accs = [float((encryip.Licensee("%s/keys/licensee-%d.key" % (out, j)).decrypt(answers) == yte).mean())
            for j in (1, 2, 3)]
    assert min(accs) > 0.5, accs           # 10 classes: chance is 0.1


def test_leak_traced_and_honest_not(trained, fashion):
    plan, out, model = trained
    xtr, ytr, xte, yte = fashion
    dep = encryip.Deployment(out)
    key2 = encryip.Licensee(out + "/keys/licensee-2.key")
    tr = encryip.trace(lambda im: key2.decrypt(dep.confuse(et.logits_on(model, im))), bundle=out)
    assert tr.named == 2, str(tr)
    torch.manual_seed(1)
    honest = fit(Tiny(10), Arrays(xtr, ytr), F.cross_entropy)
    tr = encryip.trace(lambda im: et.logits_on(honest, im).argmax(1).numpy(), bundle=out)
    assert tr.named == 0, str(tr)


def test_memorisation_check_fails_loudly(fashion, tmp_path):
    xtr, ytr, _, _ = fashion
    plan = encryip.protect_plan(labels=ytr, licensees=2, group="ristretto255", verif_count=4,
                                image_shape=(1, 28, 28))
    torch.manual_seed(0)
    # under-trained: 200 images, no verification replicas
    model = fit(Tiny(plan.outputs), et.ProtectedDataset(Arrays(xtr[:200], ytr[:200]), plan, replicas=0),
                et.loss(plan))
    with pytest.raises(encryip.NotMemorisedError) as e:
        et.check_memorised(model, plan)
    assert "not memorised" in e.value.message and "licensee" in e.value.message
    assert e.value.status_name == "state"
