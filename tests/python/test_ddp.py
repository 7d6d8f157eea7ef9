"""examples/protect_pytorch.py under torchrun with 2 processes (DDP, gloo):
images read from a folder, a custom CNN, 1 epoch on 1,200 images; the run
finishes, the memorisation check passes, every licensee decrypts its
answers to the same labels, and the simulated leak is traced to licensee 2."""
import json
import os
import subprocess
import sys

from conftest import SRC


def test_torchrun_two_processes(tmp_path):
    data, out, res = tmp_path / "data", tmp_path / "bundle", tmp_path / "r.json"
    subprocess.run([sys.executable, os.path.join(SRC, "examples", "make_imagefolder.py"), str(data),
                    "--train", "1200", "--test", "200"], check=True, capture_output=True)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                        "--redirects", "1", "--tee", "1",  # Debian torch 1.13 + Python 3.11: see docs/PYTHON.md
                        "--rdzv_backend=c10d", "--rdzv_endpoint=127.0.0.1:0",
                        os.path.join(SRC, "examples", "protect_pytorch.py"), "--data", str(data),
                        "--out", str(out), "--group", "paper", "--verif-count", "8", "--epochs", "1",
                        "--batch", "16", "--lr", "2e-3", "--json", str(res)],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    got = json.load(open(res))
    assert got["world"] == 2
    assert got["memorised"] == 1.0
    accs = got["test_acc_per_licensee"]
    # every key decrypts alike, except test images the model maps to a Fake
    # (verification) codeword, which decrypt differently under each key
    # (seen: 0.595 / 0.605 / 0.595 in a CI run)
    assert len(accs) == 3 and max(accs) - min(accs) <= 0.02 and min(accs) > 0.25, accs  # chance: 0.1
    assert got["trace_leak"] == 2
    assert os.path.exists(out / "deploy" / "model.pt")
