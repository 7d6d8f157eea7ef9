"""Keys, ciphertexts, bundles and keyrings: Python <-> the encryip command."""
import os
import struct

import numpy as np

import encryip
from conftest import cli


def test_python_keys_work_with_cli(tmp_path):
    d = tmp_path / "keys"
    keys = encryip.keygen(10, 2, str(d), group="ristretto255")
    assert oct(os.stat(d / "master.key").st_mode & 0o777) == "0o600"
    assert oct(os.stat(d / "licensee-1.key").st_mode & 0o777) == "0o600"
    # the CLI issues licensee 3 from the Python master key
    cli("issue", "--master", d / "master.key", "--pk", d / "public.key", "--out", d / "licensee-3.key")
    sk3 = encryip.Licensee(str(d / "licensee-3.key"))
    assert sk3.index == 3 and sk3.pk_id == keys.pk.id
    assert encryip.MasterKey.load(str(d / "master.key")).licensees == 3


def test_cli_keys_load_in_python(tmp_path):
    d = tmp_path / "k"
    cli("keygen", "--classes", 10, "--licensees", 3, "--group", "paper", "--out", d)
    keys = encryip.Keys.load(str(d))
    assert keys.pk.group == "paper" and keys.pk.classes == 10 and keys.pk.q == 11
    assert keys.master.licensees == 3
    for j in (1, 2, 3):
        sk = encryip.Licensee(str(d / ("licensee-%d.key" % j)))
        assert sk.index == j and sk.pk_id == keys.pk.id
        # the key Python derives from the CLI's master key is the CLI's key
        assert keys.master.licensee(j).pk_id == sk.pk_id
    # a plan reusing CLI keys
    plan = encryip.protect_plan(classes=10, keys=str(d), image_shape=(1, 28, 28), verif_count=5)
    assert plan.public_key.id == keys.pk.id and plan.licensees == 3 and plan.outputs == 33


def test_python_answers_decrypt_with_cli(bundle, tmp_path):
    plan, out = bundle
    dep = encryip.Deployment(out)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(64, plan.outputs)).astype(np.float32)
    logits[np.arange(64), rng.integers(0, plan.outputs, 64)] += 10   # confident answers
    cts = dep.confuse(logits)
    assert cts.data.shape == (64, 96)
    f = tmp_path / "answers.ct"
    cts.save(str(f))
    back = encryip.Ciphertexts.load(str(f))
    assert np.array_equal(back.data, cts.data) and back.pk_id == cts.pk_id
    for j in (1, 2, 3):
        key = os.path.join(out, "keys", "licensee-%d.key" % j)
        py = encryip.Licensee(key).decrypt(cts)
        lines = cli("decrypt", "--key", key, "--in", f).stdout.split()
        assert lines == [str(v) if v >= 0 else "not-a-label" for v in py]
    # fresh SampDist per answer: the same logits never give the same ciphertexts
    assert not np.array_equal(dep.confuse(logits).data, cts.data)


def test_bundle_keyring_with_cli(bundle, tmp_path):
    plan, out = bundle
    kr = os.path.join(out, "owner", "keyring.sqlite")
    master = os.path.join(out, "owner", "master.key")
    cli("keyring", "check", "--keyring", kr, "--master", master)
    k4 = tmp_path / "carol.key"
    cli("licensee", "add", "--keyring", kr, "--master", master, "--name", "carol", "--out", k4)
    with encryip.Keyring(kr) as ring:
        assert [l["name"] for l in ring.licensees()] == ["licensee-1", "licensee-2", "licensee-3", "carol"]
        dave = ring.add("dave", master, key_out=str(tmp_path / "dave.key"))
        assert dave["id"] == 5
    assert encryip.verify_key(str(k4), bundle=out)["name"] == "carol"
    r = cli("verify-key", "--keyring", kr, "--key", tmp_path / "dave.key")
    assert "dave" in r.stdout
    cli("licensee", "list", "--keyring", kr)


def test_trace_python_and_cli_agree(bundle, tmp_path):
    """A suspect printing licensee 2's decryptions of the verification
    ciphertexts: `encryip trace` and encryip.trace name licensee 2."""
    plan, out = bundle
    cts = encryip.Ciphertexts.load(os.path.join(out, "owner", "verification.ct"))
    labels = encryip.Licensee(os.path.join(out, "keys", "licensee-2.key")).decrypt(cts)
    f = tmp_path / "labels.txt"
    f.write_text("".join("%d\n" % v if v >= 0 else "-\n" for v in labels))
    r = cli("trace", "--bundle", out, "--suspect", "cat %s; true" % f)
    assert "licensee 2 (licensee-2)" in r.stdout.splitlines()[-1]
    tr = encryip.trace(lambda images: labels, bundle=out)
    assert tr.named == 2 and tr.name == "licensee-2"
    assert tr.rows[1]["matched"] == 8 and tr.rows[1]["total"] == 8
    # and an honest suspect (its own labels) is named by neither
    r = cli("trace", "--bundle", out, "--suspect", "yes 0 | head -24; true", check=False)
    assert r.returncode == 6, r.stdout
    assert encryip.trace(lambda images: np.zeros(len(images), np.int32), bundle=out).named == 0
    log = cli("licensee", "log", "--keyring", os.path.join(out, "owner", "keyring.sqlite")).stdout
    assert log.count("trace") >= 4


def test_cli_bundle_in_python(tmp_path):
    """A bundle made by `encryip protect` (tiny: 300 images, 1 epoch): its
    plan, deployment head and answers load and decrypt in Python exactly as
    the CLI decrypts them."""
    out = tmp_path / "cli-bundle"
    cli("protect", "--dataset", "fashion-mnist", "--model", "smallcnn", "--width", "0.25", "--limit", 300,
        "--epochs", 1, "--licensees", 2, "--group", "ristretto255", "--verify-instances", 8,
        "--verify-reps", 2, "--allow-unmemorised", "--eval-limit", 100, "--threads", 1, "--crypto-seed", 3, "--out", out)
    plan = encryip.Plan.load(str(out))
    assert plan.licensees == 2 and plan.verif_count == 16 and plan.outputs == 26
    assert plan.verification_images().shape == (16, 1, 28, 28)
    imgs = out / "owner" / "verification.idx"
    cts_file = tmp_path / "answers.ct"
    cli("predict", "--model", out, "--input", imgs, "--out", cts_file, "--threads", 1)
    cts = encryip.Ciphertexts.load(str(cts_file))
    for j in (1, 2):
        key = out / "keys" / ("licensee-%d.key" % j)
        py = encryip.Licensee(str(key)).decrypt(cts)
        lines = cli("classify", "--model", out, "--key", key, "--input", imgs, "--threads", 1).stdout.split()
        assert lines == [str(v) if v >= 0 else "not-a-label" for v in py]
    dep = encryip.Deployment(str(out / "deploy"))
    assert dep.outputs == 26 and dep.public_key.id == plan.public_key.id
    assert len(dep.confuse(np.zeros((5, 26), np.float32))) == 5
