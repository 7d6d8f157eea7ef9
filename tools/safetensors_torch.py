#!/usr/bin/python3
"""Minimal safetensors reader/writer for torch state_dicts (Debian 12 has no
`safetensors` Python package).  Run with /usr/bin/python3 (Debian torch 1.13).

    load(path) -> (dict[str, Tensor], dict[str, str])
    save(tensors: dict[str, Tensor], path, metadata: dict[str, str] | None)

Command line:
    --self-check            round-trip test of this module (temp dir)
    --dump FILE             list tensors and metadata of FILE
    --write-ref DIR         write DIR/torch_written.safetensors and its expected
                            values DIR/torch_written.expected.txt (tests/ref/ckpt)
    --verify-c-written FILE check a file written by tests/ckpt/test_roundtrip.c
                            (same deterministic contents, see c_written_expected)

Format (docs/FORMATS.md, "Checkpoints (safetensors)"): u64 LE header length,
JSON header {"__metadata__": {str: str}, name: {"dtype", "shape",
"data_offsets": [begin, end]}}, padded with spaces to a multiple of 8, then the
little-endian data buffer, tensors tiling it exactly.
"""
import json
import math
import os
import struct
import sys
import tempfile

import numpy as np
import torch

torch.set_num_threads(2)

DTYPES = {  # safetensors name -> (torch dtype, numpy dtype)
    "F32": (torch.float32, np.dtype("<f4")),
    "F64": (torch.float64, np.dtype("<f8")),
    "I64": (torch.int64, np.dtype("<i8")),
    "I32": (torch.int32, np.dtype("<i4")),
    "U8": (torch.uint8, np.dtype("u1")),
}
BY_TORCH = {v[0]: k for k, v in DTYPES.items()}
MAX_HEADER = 100 * 1024 * 1024


def save(tensors, path, metadata=None):
    """Writes a dict of CPU tensors; layout like the reference implementation:
    buffer order by decreasing element size, then name."""
    items = []
    for name, t in tensors.items():
        if name == "__metadata__" or not name:
            raise ValueError("bad tensor name %r" % name)
        if t.dtype not in BY_TORCH:
            raise ValueError("%s: unsupported dtype %s" % (name, t.dtype))
        items.append((name, BY_TORCH[t.dtype], t.detach().cpu().contiguous()))
    items.sort(key=lambda it: (-DTYPES[it[1]][1].itemsize, it[0]))
    header, chunks, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, dt, t in items:
        raw = t.numpy().astype(DTYPES[dt][1], copy=False).tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)


def load(path):
    """Reads and validates a file; returns (tensors, metadata)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: too short" % path)
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or n > len(data) - 8:
        raise ValueError("%s: bad header length %d" % (path, n))
    header = json.loads(data[8:8 + n].decode("utf-8"))
    buf = data[8 + n:]
    meta = header.pop("__metadata__", {})
    if not all(isinstance(v, str) for v in meta.values()):
        raise ValueError("%s: non-string metadata" % path)
    out, spans = {}, []
    for name, e in header.items():
        np_dt = DTYPES[e["dtype"]][1]
        b, end = e["data_offsets"]
        count = math.prod(e["shape"])
        if count * np_dt.itemsize != end - b or not 0 <= b <= end <= len(buf):
            raise ValueError("%s: %s: shape/offset mismatch" % (path, name))
        arr = np.frombuffer(buf[b:end], dtype=np_dt).reshape(e["shape"]).copy()
        out[name] = torch.from_numpy(arr)
        spans.append((b, end))
    pos = 0
    for b, end in sorted(spans):
        if b != pos:
            raise ValueError("%s: gap or overlap at %d" % (path, b))
        pos = end
    if pos != len(buf):
        raise ValueError("%s: trailing buffer bytes" % path)
    return out, meta


def ref_tensors():
    """The committed Python-written reference (a BN conv block's state_dict)."""
    g = torch.Generator().manual_seed(1234)
    conv = torch.randn(4, 3, 3, 3, generator=g)
    conv[0, 0, 0, 0] = -0.0
    conv[0, 0, 0, 1] = float.fromhex("0x1p-149")  # smallest subnormal
    return {
        "features.0.weight": conv,
        "features.0.bias": torch.randn(4, generator=g),
        "features.1.running_var": torch.rand(4, generator=g) + 0.5,
        "features.1.num_batches_tracked": torch.tensor(9876543210123, dtype=torch.int64),
        "classifier.mask": torch.tensor([0, 1, 255, 7, 128], dtype=torch.uint8),
        "optim.step": torch.tensor([-5, 2147483647], dtype=torch.int32),
    }, {"format": "pt", "epoch": "7", "arch": "vgg-mini"}


def write_ref(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    tensors, meta = ref_tensors()
    path = os.path.join(out_dir, "torch_written.safetensors")
    save(tensors, path, meta)
    with open(os.path.join(out_dir, "torch_written.expected.txt"), "w") as f:
        f.write("# expected contents of torch_written.safetensors (tools/safetensors_torch.py --write-ref)\n")
        f.write("# meta <key> <value> | tensor <name> <dtype> <ndim> <dims...> <count> <values...>\n")
        f.write("# float values are exact hex floats, integers decimal\n")
        for k in sorted(meta):
            f.write("meta %s %s\n" % (k, meta[k]))
        for name in sorted(tensors):
            t = tensors[name]
            dt = BY_TORCH[t.dtype]
            vals = t.flatten().tolist()
            if dt in ("F32", "F64"):
                txt = " ".join(float(v).hex() for v in vals)
            else:
                txt = " ".join(str(int(v)) for v in vals)
            f.write("tensor %s %s %d %s %d %s\n" % (name, dt, t.dim(), " ".join(str(d) for d in t.shape),
                                                    len(vals), txt))
    print("wrote", path)


def c_written_expected():
    """Contents written by tests/ckpt/test_roundtrip.c (write_c_reference)."""
    conv = np.array([i * 0.37 - 10.0 for i in range(2 * 3 * 3 * 3)]).astype(np.float32)
    return {
        "conv.weight": torch.from_numpy(conv.reshape(2, 3, 3, 3)),
        "fc.bias": torch.tensor([-0.0, float.fromhex("0x1p-149"), 3.4028234663852886e38, -1.5, 0.1],
                                dtype=torch.float32),
        "bn.num_batches_tracked": torch.tensor(123456789012, dtype=torch.int64),
        "mask": torch.tensor([(i * 37) % 256 for i in range(7)], dtype=torch.uint8),
        "step": torch.tensor([-7, 2147483647], dtype=torch.int32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }, {"format": "pt", "epoch": "12", "note": "\u00fcn\u00efcode \u2713"}


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and \
        a.numpy().tobytes() == b.numpy().tobytes()


def verify_c_written(path):
    got, meta = load(path)
    want, want_meta = c_written_expected()
    ok = meta == want_meta and sorted(got) == sorted(want)
    for name in want:
        if name not in got or not same(got[name], want[name]):
            print("MISMATCH", name)
            ok = False
    print("C-written file %s: %s" % (path, "OK" if ok else "MISMATCH"))
    return ok


def self_check():
    tensors, meta = ref_tensors()
    tensors["big.f64"] = torch.randn(3, 2, dtype=torch.float64)
    tensors["empty"] = torch.zeros(0, 5)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.safetensors")
        save(tensors, p, meta)
        got, gmeta = load(p)
        ok = gmeta == meta and sorted(got) == sorted(tensors) and all(same(got[k], tensors[k]) for k in tensors)
        with open(p, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
        ok = ok and (8 + n) % 8 == 0
        # Every tensor aligned to its element size.
        hdr = json.loads(open(p, "rb").read()[8:8 + n])
        hdr.pop("__metadata__")
        ok = ok and all(e["data_offsets"][0] % DTYPES[e["dtype"]][1].itemsize == 0 for e in hdr.values())
    print("self-check:", "OK" if ok else "FAILED")
    return ok


def dump(path):
    tensors, meta = load(path)
    print("metadata:", meta)
    for k, t in tensors.items():
        print("%-40s %-14s %s" % (k, t.dtype, list(t.shape)))
    return True


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-check":
        return 0 if self_check() else 1
    if len(argv) == 3 and argv[1] == "--dump":
        return 0 if dump(argv[2]) else 1
    if len(argv) == 3 and argv[1] == "--write-ref":
        write_ref(argv[2])
        return 0
    if len(argv) == 3 and argv[1] == "--verify-c-written":
        return 0 if verify_c_written(argv[2]) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
