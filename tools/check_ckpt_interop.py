#!/usr/bin/python3
"""Model-level checkpoint interop between the C engine (eip_nn_save / eip_nn_load) and
tools/torch_zoo.py, both directions.  Run with /usr/bin/python3 (Debian torch 1.13).

  --write-ref [DIR]   PyTorch -> C.  Writes, for smallcnn 1x28x28 (width 0.125) and
                      resnet18 3x32x32 (width 0.125), a PyTorch-initialised state_dict (BN
                      running stats and num_batches_tracked set to non-default values) as
                      DIR/ckpt_torch_<zoo>_<c>x<h>.safetensors with the metadata eip_nn_load
                      needs (encryip.nn.format/zoo/c_in/h/w/k/width, src/nn/net_io.c), and
                      DIR/ckpt_torch_<zoo>_<c>x<h>.ref (tests/nn/nnref.h format: x16 = the first 16 values
                      of interop_input(2, c, h, w) as a check of the formula, the EVAL
                      logits PyTorch computes).  Default DIR tests/ref/nn; the files are
                      committed, so CI (tests/nn/test_ckpt_interop.c) needs no torch.
  --check-c DIR       C -> PyTorch.  For every DIR/c_*.safetensors written by
                      tests/nn/test_ckpt_interop.c (build-dir/tests/nn_interop/): rebuilds the
                      torch_zoo model from the metadata, load_state_dict(strict=True), runs EVAL
                      on the deterministic input interop_input() and compares with the logits
                      the C engine stored in the metadata (interop.logits, interop.n).
                      Exit status 1 on any mismatch.

Typical use (docs/TESTING.md, "Reference files"):
  ctest -R nn_ckpt_interop && /usr/bin/python3 tools/check_ckpt_interop.py --check-c \\
      build/tests/nn_interop
"""
import argparse
import glob
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_nn_refs  # noqa: E402  (write_ref, the nnref format)
import safetensors_torch  # noqa: E402
import torch_zoo  # noqa: E402

# (zoo, c, h, k, width, seed)
TORCH_CASES = [("smallcnn", 1, 28, 10, 0.125, 3001), ("resnet18", 3, 32, 10, 0.125, 3002)]
BATCH = 2
# fp32 on both sides, different kernels / summation order
ATOL, RTOL = 1e-4, 1e-3


def interop_input(n, c, h, w):
    """x[i] = ((i * 7919) % 2001 - 1000) / 1000 in fp32, i over [n, c, h, w] row-major;
    integer arithmetic + one correctly rounded division, so C computes the same floats
    (tests/nn/test_ckpt_interop.c, interop_input)."""
    i = torch.arange(n * c * h * w, dtype=torch.int64)
    return (((i * 7919) % 2001 - 1000).to(torch.float32) / 1000.0).reshape(n, c, h, w)


def arch_meta(zoo, c, h, w, k, width):
    return {"encryip.nn.format": "1", "encryip.nn.zoo": zoo, "encryip.nn.c_in": str(c),
            "encryip.nn.h": str(h), "encryip.nn.w": str(w), "encryip.nn.k": str(k),
            "encryip.nn.width": repr(float(width))}


def write_ref(out):
    os.makedirs(out, exist_ok=True)
    for zoo, c, h, k, width, seed in TORCH_CASES:
        torch.manual_seed(seed)
        net = torch_zoo.build(zoo, c, h, h, k, width)
        with torch.no_grad():  # running stats away from (0, 1) so EVAL really uses them
            for name, b in net.named_buffers():
                if name.endswith("running_mean"):
                    b.copy_(0.2 * torch.randn_like(b))
                elif name.endswith("running_var"):
                    b.copy_(0.5 + torch.rand_like(b))
                elif name.endswith("num_batches_tracked"):
                    b.fill_(17)
        net.eval()
        x = interop_input(BATCH, c, h, h)
        with torch.no_grad():
            logits = net(x)
        stem = os.path.join(out, "ckpt_torch_%s_%dx%d" % (zoo, c, h))
        safetensors_torch.save(net.state_dict(), stem + ".safetensors",
                               arch_meta(zoo, c, h, h, k, width))
        gen_nn_refs.write_ref(stem + ".ref", [("x16", gen_nn_refs.F32, x.reshape(-1)[:16]),
                                              ("logits", gen_nn_refs.F32, logits)])
        print("wrote %s.safetensors (%d bytes) and .ref" %
              (stem, os.path.getsize(stem + ".safetensors")))


def check_c(d):
    files = sorted(glob.glob(os.path.join(d, "c_*.safetensors")))
    if not files:
        print("no c_*.safetensors in %s (run the nn_ckpt_interop test first)" % d)
        return 1
    bad = 0
    for f in files:
        tensors, meta = safetensors_torch.load(f)
        zoo = meta["encryip.nn.zoo"]
        c, h, w, k = (int(meta["encryip.nn." + s]) for s in ("c_in", "h", "w", "k"))
        net = torch_zoo.build(zoo, c, h, w, k, float(meta["encryip.nn.width"]))
        net.load_state_dict(tensors, strict=True)
        net.eval()
        n = int(meta["interop.n"])
        want = torch.tensor([float(v) for v in meta["interop.logits"].split(",")]).reshape(n, k)
        with torch.no_grad():
            got = net(interop_input(n, c, h, w))
        err = (got - want).abs().max().item()
        tol = ATOL * max(1.0, want.abs().max().item()) + RTOL * want.abs().max().item()
        ok = err <= tol
        bad += not ok
        print("%-48s %s  max |torch - C| = %.3g (tol %.3g)" % (os.path.basename(f),
                                                            "ok  " if ok else "FAIL", err, tol))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write-ref", nargs="?", const=os.path.join(HERE, "..", "tests", "ref", "nn"))
    ap.add_argument("--check-c", metavar="DIR")
    a = ap.parse_args()
    torch.set_num_threads(2)
    if not a.write_ref and not a.check_c:
        ap.error("give --write-ref and/or --check-c")
    if a.write_ref:
        write_ref(a.write_ref)
    return check_c(a.check_c) if a.check_c else 0


if __name__ == "__main__":
    sys.exit(main())
