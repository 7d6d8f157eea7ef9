"""Training targets from Python equal what the library's formats say: each
label's row is Φ of its codeword in owner/codebook.bin (parsed here from
docs/FORMATS.md, independently of the library), the slot is its position."""
import os
import struct

import numpy as np
import pytest

import encryip


def codebook_records(path, elem):
    data = open(path, "rb").read()
    n = struct.unpack_from("<I", data, 16 + 16)[0]
    off, recs = 16 + 16 + 4, []
    for _ in range(n):
        label = struct.unpack_from("<i", data, off)[0]
        u = [data[off + 4 + k * elem: off + 4 + (k + 1) * elem] for k in range(3)]
        recs.append((label, u))
        off += 4 + 3 * elem
    assert off + 16 == len(data)
    return recs


@pytest.mark.parametrize("group", ["paper", "ristretto255"])
def test_targets_match_codebook(tmp_path, group):
    out = str(tmp_path / "b")
    plan = encryip.protect_plan(classes=10, licensees=3, group=group, verif_count=6,
                                image_shape=(1, 28, 28), out=out)
    elem = 4 if group == "paper" else 32
    recs = codebook_records(os.path.join(out, "owner", "codebook.bin"), elem)
    k, z = plan.outputs, 10
    v = plan.verif_count
    assert len(recs) == z + v and v == (6 if group == "paper" else 18)
    labels = np.array([3, 0, 9, 3, 5])
    t = plan.targets(labels)
    vt = plan.verification_targets()
    vcts = encryip.Ciphertexts.load(os.path.join(out, "owner", "verification.ct"))
    slot_of = {b"".join(u): s for s, (_, u) in enumerate(recs)}
    if group == "paper":
        q = 11
        assert k == 3 * q and t.shape == (5, k) and t.dtype == np.float32
        for row, y in zip(t, labels):
            (u,) = [u for lab, u in recs if lab == y]
            want = np.zeros(k, np.float32)
            for blk in range(3):
                want[blk * q + int.from_bytes(u[blk], "little")] = 1   # eq. (2)
            assert np.array_equal(row, want)
        for i in range(v):
            raw = vcts.data[i]
            want = np.zeros(k, np.float32)
            for blk in range(3):
                want[blk * q + int.from_bytes(raw[32 * blk:32 * blk + 4].tobytes(), "little")] = 1
            assert np.array_equal(vt[i], want)
    else:
        assert k == z + v and t.dtype == np.int64
        for s, y in zip(t, labels):
            assert recs[s][0] == y
        for i in range(v):
            assert vt[i] == slot_of[vcts.data[i].tobytes()]
            assert recs[vt[i]][0] == -1
        # the slot order is secret: not the label order
        assert [s for s in plan.targets(np.arange(10))] != list(range(10))
    # the plan read back from the bundle gives the same targets
    again = encryip.Plan.load(out)
    assert np.array_equal(again.targets(labels), t)
    assert np.array_equal(again.verification_targets(), vt)
    assert np.array_equal(again.verification_images(), plan.verification_images())


def test_replicas_rule():
    plan = encryip.protect_plan(classes=10, licensees=2, group="paper", verif_count=24,
                                image_shape=(1, 28, 28))
    # >= 150 presentations over the epochs and >= 2 % of the training set
    assert plan.replicas(1000, 1) == 150
    assert plan.replicas(1000, 10) == 15
    assert plan.replicas(600000, 10) == 500


def test_user_verification_images(tmp_path):
    imgs = np.arange(24 * 28 * 28, dtype=np.int64).reshape(24, 1, 28, 28) % 251
    plan = encryip.protect_plan(classes=10, licensees=2, group="paper", verification=imgs.astype(np.uint8),
                                out=str(tmp_path / "b"))
    assert np.array_equal(plan.verification_images(), imgs.astype(np.uint8))
    with pytest.raises(encryip.EncryipError) as e:
        encryip.protect_plan(classes=10, licensees=2, group="paper", verification=imgs[:5].astype(np.uint8))
    assert e.value.status_name == "shape" and "5 verification images" in e.value.message


@pytest.mark.parametrize("decoder", ["ml", "argmax"])
def test_confuse_decoders(tmp_path, decoder):
    """Algorithm 2 with either decoder on outputs that favour each label's
    codeword (paper group: eq. 3's per-block arg-max applies): every licensee
    decrypts the label."""
    out = str(tmp_path / "b")
    plan = encryip.protect_plan(classes=10, licensees=2, group="paper", image_shape=(1, 28, 28), out=out,
                                crypto_seed=5)
    labels = np.arange(10).repeat(3)
    noise = 0.3 * np.random.default_rng(1).normal(size=(30, plan.outputs))
    logits = (5.0 * plan.targets(labels) + noise).astype(np.float32)
    cts = encryip.Deployment(out, decoder=decoder).confuse(logits)
    for j in (1, 2):
        got = encryip.Licensee(os.path.join(out, "keys", "licensee-%d.key" % j)).decrypt(cts)
        assert np.array_equal(got, labels)
    with pytest.raises(encryip.EncryipError):
        encryip.Deployment(out, decoder="vote")
