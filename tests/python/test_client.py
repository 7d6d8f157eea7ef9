"""encryip.Client against a real `encryip serve` on a loopback port the
test picks (--port 0 --port-file) and stops: answers decrypt to the same
labels as local `encryip classify`, two answers to the same images differ,
a key of another keygen is refused before anything is sent, a bad request
surfaces as EncryipError."""
import os
import signal
import subprocess
import time

import numpy as np
import pytest

import encryip
from conftest import CLI, cli


@pytest.fixture(scope="module")
def served(tmp_path_factory, fashion):
    d = tmp_path_factory.mktemp("client")
    out = d / "bundle"
    cli("protect", "--dataset", "fashion-mnist", "--model", "smallcnn", "--width", "0.25", "--limit", 300,
        "--epochs", 1, "--licensees", 2, "--group", "ristretto255", "--verify-instances", 8,
        "--verify-reps", 2, "--allow-unmemorised", "--eval-limit", 100, "--threads", 1,
        "--crypto-seed", 5, "--out", out)
    port_file = d / "port"
    srv = subprocess.Popen([CLI, "serve", "--model", str(out / "deploy"), "--port", "0",
                            "--port-file", str(port_file), "--threads", "1", "--quiet"],
                           stderr=subprocess.PIPE)
    for _ in range(300):
        if port_file.exists() and port_file.read_text().strip():
            break
        if srv.poll() is not None:
            raise AssertionError("serve exited: %s" % srv.stderr.read().decode())
        time.sleep(0.05)
    url = "http://127.0.0.1:%s" % port_file.read_text().strip()
    yield out, url
    srv.send_signal(signal.SIGTERM)
    assert srv.wait(timeout=30) == 0


def test_client_classify_equals_local(served, fashion, tmp_path):
    out, url = served
    _, _, xte, _ = fashion
    x = xte[:40]
    for j in (1, 2):
        key = str(out / "keys" / ("licensee-%d.key" % j))
        remote = encryip.Client(url, key).classify(x)
        # the CLI, locally, on the same images (written as an idx3 file)
        path = tmp_path / "x.idx"
        with open(path, "wb") as f:
            f.write(bytes([0, 0, 8, 3]) + b"".join(int(v).to_bytes(4, "big") for v in (40, 28, 28)))
            f.write(x.tobytes())
        r = cli("classify", "--model", out, "--key", key, "--input", path)
        local = np.array([encryip.NOT_A_LABEL if v == "not-a-label" else int(v)
                          for v in r.stdout.split()], dtype=np.int32)
        assert remote.dtype == np.int32 and remote.shape == (40,)
        assert np.array_equal(remote, local)


def test_client_answers_fresh(served, fashion):
    out, url = served
    c = encryip.Client(url, str(out / "keys" / "licensee-1.key"))
    x = fashion[2][:8]
    a, b = c.predict(x), c.predict(x)
    assert len(a) == 8 and not np.array_equal(a.data, b.data)
    assert np.array_equal(c.key.decrypt(a), c.key.decrypt(b))


def test_client_refuses_foreign_key_and_bad_shape(served, tmp_path):
    out, url = served
    cli("keygen", "--classes", 10, "--licensees", 1, "--out", tmp_path / "other")
    with pytest.raises(encryip.EncryipError, match="another public key"):
        encryip.Client(url, str(tmp_path / "other" / "licensee-1.key"))
    c = encryip.Client(url, str(out / "keys" / "licensee-1.key"))
    with pytest.raises(encryip.EncryipError, match="shape"):
        c.predict(np.zeros((2, 3, 28, 28), np.uint8))
    with pytest.raises(encryip.EncryipError):
        encryip.Client("http://127.0.0.1:1", str(out / "keys" / "licensee-1.key"), timeout=2)
