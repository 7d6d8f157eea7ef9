#!/usr/bin/python3
"""PyTorch baseline for the training-engine benchmark (docs/BENCHMARKS.md).

For each model (smallcnn at 1x28x28; resnet18, alexnet, googlenet at 3x32x32; width 1, K=10 by
default) and each mode:
  train  forward + cross-entropy + backward + SGD step (momentum 0.9, nesterov, wd 5e-4)
  infer  eval mode under torch.no_grad(), forward only
it runs --warmup untimed iterations, then --iters timed ones, and reports
  images_per_s  batch / median iteration time
  peak_rss_mb   ru_maxrss of a fresh child process that ran only this model+mode
  gflops        achieved GFLOP/s = images_per_s * FLOPs per image, where forward FLOPs are
                2 * MACs of every Conv2d/Linear (hook counter; BN, ReLU, pooling, loss and the
                optimiser are not counted) and training counts 3x forward (fwd + 2 for bwd)
Every model+mode runs in its own subprocess (so allocations and oneDNN caches of one model do
not pollute another's RSS or timing). Output: one JSON object per line on stdout (format in
docs/BENCHMARKS.md, shared with build/bench_nn), a human table on stderr.

The machine's fp32 peak is reported as an ESTIMATE (one JSON line with "engine": "machine"):
  peak = cores x GHz x 2 FMA units x 16 fp32 lanes (AVX-512) x 2 flops per FMA
with GHz from /proc/cpuinfo "cpu MHz" (base clock as the hypervisor reports it; the real
AVX-512 clock under load may differ, and "2 FMA units per core" is assumed, not measured).

Usage:
  nice -n 10 /usr/bin/python3 tools/torch_bench.py                 # full run (a few minutes)
  /usr/bin/python3 tools/torch_bench.py --quick --batch 16         # smoke test
  /usr/bin/python3 tools/torch_bench.py --models resnet18 --modes train --threads 2 --batch 128
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ("smallcnn", "resnet18", "alexnet", "googlenet")
MODES = ("train", "infer")
DEFAULT_INPUT = {"smallcnn": (1, 28, 28), "resnet18": (3, 32, 32), "alexnet": (3, 32, 32),
                 "googlenet": (3, 32, 32)}


# ---------------------------------------------------------------------------- machine peak
def cpu_info():
    model, mhz, flags = "unknown", None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key, val = key.strip(), val.strip()
                if key == "model name" and model == "unknown":
                    model = val
                elif key == "cpu MHz" and mhz is None:
                    mhz = float(val)
                elif key == "flags" and not flags:
                    flags = set(val.split())
    except OSError:
        pass
    return model, mhz, flags


def machine_peak():
    model, mhz, flags = cpu_info()
    cores = os.cpu_count() or 1
    lanes = 16 if "avx512f" in flags else (8 if "avx2" in flags else 4)
    fma_units = 2  # assumption: server cores with two 512-bit FMA units
    ghz = (mhz or 0.0) / 1000.0
    peak = cores * ghz * fma_units * lanes * 2
    return {"engine": "machine", "cpu": model, "cores": cores, "ghz": ghz,
            "fma_units_assumed": fma_units, "fp32_lanes": lanes,
            "peak_gflops_est": round(peak, 1),
            "formula": "cores x GHz x fma_units x fp32_lanes x 2 (estimate)"}


# ------------------------------------------------------------------------------ FLOP count
def forward_flops_per_image(model, c, h, w):
    """2 * MACs of Conv2d and Linear layers for one image (hook-based; eval mode, no_grad)."""
    import torch
    import torch.nn as nn
    macs = [0]

    def conv_hook(mod, inp, out):
        kh, kw = mod.kernel_size
        macs[0] += out.numel() * (mod.in_channels // mod.groups) * kh * kw

    def linear_hook(mod, inp, out):
        macs[0] += out.numel() * mod.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, c, h, w))
    model.train(was_training)
    for hk in hooks:
        hk.remove()
    return 2 * macs[0]


# ------------------------------------------------------------------------------ the child
def run_child(a):
    """Measure one model+mode in this (fresh) process; print one JSON line."""
    rss_start_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, HERE)
    import torch_zoo
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rss_import_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    c, h, w = DEFAULT_INPUT[a.model] if a.input is None else a.input
    model = torch_zoo.build(a.model, c, h, w, a.k, a.width)
    fwd_flops = forward_flops_per_image(model, c, h, w)
    x = torch.randn(a.batch, c, h, w)
    y = torch.randint(0, a.k, (a.batch,))
    times, ctimes = [], []
    if a.mode == "train":
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True,
                              weight_decay=5e-4)
        flops_per_image = 3 * fwd_flops

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
    else:
        model.eval()
        flops_per_image = fwd_flops

        def step():
            with torch.no_grad():
                model(x)
    for _ in range(a.warmup):
        step()
    for _ in range(a.iters):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        ctimes.append(time.process_time() - c0)
    med = statistics.median(times)
    ips = a.batch / med
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    rec = {
        "engine": "torch", "model": a.model, "mode": a.mode,
        "input": "%dx%dx%d" % (c, h, w), "k": a.k, "width": a.width,
        "batch": a.batch, "threads": a.threads,
        "images_per_s": round(ips, 2),
        "peak_rss_mb": round(peak_kb / 1024.0, 1),
        "gflops": round(ips * flops_per_image / 1e9, 2),
        "ms_per_iter_median": round(med * 1e3, 3),
        "ms_per_iter_min": round(min(times) * 1e3, 3),
        "ms_per_iter_max": round(max(times) * 1e3, 3),
        # process CPU time (all threads): disturbed less than wall time on a loaded machine
        "cpu_ms_per_iter_median": round(statistics.median(ctimes) * 1e3, 3),
        "iters": a.iters, "warmup": a.warmup,
        "fwd_gflop_per_image": round(fwd_flops / 1e9, 6),
        "params": torch_zoo.param_count(model),
        "rss_after_import_mb": round(rss_import_kb / 1024.0, 1),
        "rss_at_start_mb": round(rss_start_kb / 1024.0, 1),
        "version": "torch " + torch.__version__,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
    }
    print(json.dumps(rec), flush=True)
    return 0


# ------------------------------------------------------------------------------ the parent
def human_table(recs, peak, out):
    hdr = ("model", "mode", "input", "batch", "thr", "img/s", "ms/iter", "GFLOP/s", "%peak",
           "RSS MB")
    rows = []
    for r in recs:
        pct = "%.1f" % (100.0 * r["gflops"] / peak) if peak else "-"
        rows.append((r["model"], r["mode"], r["input"], str(r["batch"]), str(r["threads"]),
                     "%.1f" % r["images_per_s"], "%.1f" % r["ms_per_iter_median"],
                     "%.1f" % r["gflops"], pct, "%.0f" % r["peak_rss_mb"]))
    widths = [max(len(x) for x in col) for col in zip(hdr, *rows)]
    fmt = "  ".join("%%-%ds" % wd if i < 3 else "%%%ds" % wd for i, wd in enumerate(widths))
    out.write(fmt % hdr + "\n")
    for row in rows:
        out.write(fmt % row + "\n")
    out.flush()


def parse_input(s):
    try:
        c, h, w = (int(v) for v in s.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected CxHxW, e.g. 3x32x32")
    if min(c, h, w) < 1:
        raise argparse.ArgumentTypeError("dimensions must be >= 1")
    return (c, h, w)


def main(argv=None):
    ap = argparse.ArgumentParser(description="PyTorch training/inference throughput baseline",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--input", type=parse_input, default=None,
                    help="CxHxW for every model (default: 1x28x28 smallcnn, 3x32x32 others)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed iterations")
    ap.add_argument("--iters", type=int, default=10, help="timed iterations (median reported)")
    ap.add_argument("--quick", action="store_true", help="smoke test: --warmup 1 --iters 2")
    ap.add_argument("--out", default=None, help="also write the JSON lines to this file")
    ap.add_argument("--no-table", action="store_true", help="skip the human table on stderr")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model", choices=MODELS, help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.quick:
        a.warmup, a.iters = 1, 2
    for name, val, lo in (("--batch", a.batch, 2), ("--threads", a.threads, 1),
                          ("--k", a.k, 1), ("--warmup", a.warmup, 0), ("--iters", a.iters, 1)):
        if val < lo:
            ap.error("%s must be >= %d" % (name, lo))
    if not a.width > 0:
        ap.error("--width must be > 0")
    if a.child:
        return run_child(a)

    peak = machine_peak()
    lines = [json.dumps(peak)]
    print(lines[0], flush=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), MKL_NUM_THREADS=str(a.threads))
    recs, failed = [], []
    for model in a.models:
        for mode in a.modes:
            cmd = [sys.executable, os.path.abspath(__file__), "--child", "--model", model,
                   "--mode", mode, "--batch", str(a.batch), "--threads", str(a.threads),
                   "--width", repr(a.width), "--k", str(a.k), "--warmup", str(a.warmup),
                   "--iters", str(a.iters)]
            if a.input is not None:
                cmd += ["--input", "x".join(map(str, a.input))]
            p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True)
            rec = None
            for line in p.stdout.splitlines():
                if line.startswith("{"):
                    rec = json.loads(line)
            if p.returncode != 0 or rec is None:
                failed.append((model, mode))
                sys.stderr.write("torch_bench: %s/%s failed (exit %d):\n%s\n"
                                 % (model, mode, p.returncode, p.stderr[-2000:]))
                continue
            line = json.dumps(rec)
            lines.append(line)
            print(line, flush=True)
            recs.append(rec)
    if a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, a.out)
    if not a.no_table and recs:
        sys.stderr.write("\n%s, %d threads, batch %d; fp32 peak estimate %.1f GFLOP/s (%s)\n"
                         % (recs[0]["version"], a.threads, a.batch, peak["peak_gflops_est"],
                            platform.node()))
        human_table(recs, peak["peak_gflops_est"], sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
