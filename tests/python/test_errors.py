"""Errors from the C library surface as EncryipError with its message and
status: never a crash, never garbage."""
import os
import shutil

import numpy as np
import pytest

import encryip


def test_key_of_another_keyring(bundle, tmp_path):
    plan, out = bundle
    cts = encryip.Deployment(out).confuse(np.zeros((3, plan.outputs), np.float32))
    other = encryip.Keys.generate(10, 1)
    with pytest.raises(encryip.EncryipError) as e:
        other.master.licensee(1).decrypt(cts)
    assert e.value.status == 5 and e.value.status_name == "crypto"
    assert "another public key" in e.value.message
    # verify-key with a key of another keyring
    other.master.licensee(1).save(str(tmp_path / "x.key"))
    with pytest.raises(encryip.EncryipError) as e:
        encryip.verify_key(str(tmp_path / "x.key"), bundle=out)
    assert "another public key" in str(e.value)
    # a plan cannot mix a public key with the master key of another keyring
    with pytest.raises(encryip.EncryipError) as e:
        encryip.protect_plan(classes=10, keys=encryip.Keys(plan.public_key, other.master),
                             image_shape=(1, 28, 28))
    assert e.value.status == 5


def test_wrong_key_is_no_crash(bundle):
    """A licensee key of the right keyring never decrypts another's targeted
    verification answer; an unrelated deployment's answers are refused."""
    plan, out = bundle
    cts = encryip.Ciphertexts.load(os.path.join(out, "owner", "verification.ct"))
    got = [encryip.Licensee(os.path.join(out, "keys", "licensee-%d.key" % j)).decrypt(cts)
           for j in (1, 2, 3)]
    for j in range(3):   # instances 8j..8j+7 are targeted at licensee j+1 only
        mine = got[j][8 * j:8 * j + 8]
        assert (mine >= 0).all()
        others = np.concatenate([got[j][:8 * j], got[j][8 * j + 8:]])
        assert (others == encryip.NOT_A_LABEL).all()


def test_corrupt_files(bundle, tmp_path):
    plan, out = bundle
    key = tmp_path / "k.key"
    shutil.copy(os.path.join(out, "keys", "licensee-1.key"), key)
    data = bytearray(key.read_bytes())
    data[40] ^= 1
    key.write_bytes(bytes(data))
    with pytest.raises(encryip.EncryipError) as e:
        encryip.Licensee(str(key))
    assert e.value.status_name == "checksum" and str(key) in e.value.message
    key.write_bytes(bytes(data[:20]))
    with pytest.raises(encryip.EncryipError) as e:
        encryip.Licensee(str(key))
    assert e.value.status_name == "format"
    cb = os.path.join(out, "deploy", "codebook.bin")
    raw = bytearray(open(cb, "rb").read())
    raw[-1] ^= 0xff
    open(cb, "wb").write(bytes(raw))
    with pytest.raises(encryip.EncryipError) as e:
        encryip.Deployment(out)
    assert "codebook.bin" in e.value.message
    with pytest.raises(encryip.EncryipError) as e:
        encryip.Deployment(str(tmp_path / "nothing"))
    assert e.value.status_name == "io"
    with pytest.raises(encryip.EncryipError) as e:
        encryip.Plan.load(str(tmp_path / "nothing"))
    assert e.value.status_name == "io"


def test_bad_arguments(bundle, tmp_path):
    plan, out = bundle
    dep = encryip.Deployment(out)
    with pytest.raises(encryip.EncryipError) as e:
        dep.confuse(np.zeros((4, plan.outputs + 1), np.float32))
    assert e.value.status_name == "shape"
    with pytest.raises(encryip.EncryipError) as e:
        plan.targets([0, 10])
    assert e.value.status_name == "range"
    with pytest.raises(encryip.EncryipError) as e:     # existing bundle, no force
        plan.write(out)
    assert e.value.status_name == "state" and "already exists" in e.value.message
    with pytest.raises(encryip.EncryipError) as e:
        encryip.protect_plan(classes=10, licensees=11, group="paper", image_shape=(1, 28, 28))
    assert e.value.status_name == "range" and "--q" in e.value.message
    with pytest.raises(encryip.EncryipError) as e:
        encryip.trace(lambda im: np.zeros(3), bundle=out)
    assert e.value.status_name == "shape"
    with pytest.raises(encryip.EncryipError) as e:
        encryip.trace(lambda im: np.full(len(im), 10), bundle=out)
    assert e.value.status_name == "range"
    with pytest.raises(TypeError):
        encryip.Licensee(os.path.join(out, "keys", "licensee-1.key")).decrypt(np.zeros((2, 96)))
