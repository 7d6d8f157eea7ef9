#!/usr/bin/python3
"""encryip training engine vs PyTorch, side by side (docs/BENCHMARKS.md).

Runs build/bench_nn (the C engine, JSON-per-line output) and tools/torch_bench.py with the same
threads, batch, iterations and models, --repeat times (interleaved: encryip, torch, encryip, ...),
and prints a markdown table of the medians over the repeats and the ratios encryip / torch per
model and mode. If build/bench_nn is missing (or fails) it says so and prints the torch half.

  bench/compare.sh [--threads 2] [--batch 128] [--repeat 1] [--quick] [--models ...]
                   [--modes ...] [--bench-nn build/bench_nn] [--json-out FILE]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_BENCH = os.path.join(ROOT, "tools", "torch_bench.py")
MODELS = ("smallcnn", "resnet18", "alexnet", "googlenet")
MODES = ("train", "infer")


def run_jsonl(cmd, env, label):
    """Run cmd, return (records, error string or None). stderr is passed through."""
    sys.stderr.write("compare: running %s\n" % " ".join(cmd))
    sys.stderr.flush()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, universal_newlines=True)
    except OSError as e:
        return [], "%s: cannot run %s: %s" % (label, cmd[0], e)
    recs = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            recs.append(json.loads(line))
        except ValueError:
            sys.stderr.write("compare: %s: ignoring malformed line: %s\n" % (label, line[:200]))
    err = None if p.returncode == 0 else "%s exited with status %d" % (label, p.returncode)
    return recs, err


def med(vals):
    vals = [v for v in vals if isinstance(v, (int, float))]
    return statistics.median(vals) if vals else None


def fmt(v, nd=1):
    return "-" if v is None else ("%.*f" % (nd, v))


def ratio(a, b, nd=2):
    return "-" if a is None or b is None or b == 0 else "%.*f" % (nd, a / b)


def main(argv=None):
    ap = argparse.ArgumentParser(description="encryip vs PyTorch benchmark table",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=1, help="runs per engine (median taken)")
    ap.add_argument("--quick", action="store_true", help="--warmup 1 --iters 2 (smoke test)")
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    ap.add_argument("--bench-nn", default=None,
                    help="path of the C engine benchmark binary (default: build/bench_nn, "
                         "else build/bench/bench_nn, where bench/CMakeLists.txt puts it)")
    ap.add_argument("--no-encryip", action="store_true", help="torch half only")
    ap.add_argument("--json-out", default=None, help="write every raw JSON line here")
    a = ap.parse_args(argv)
    if a.quick:
        a.warmup, a.iters = 1, 2
    for name, val, lo in (("--threads", a.threads, 1), ("--batch", a.batch, 2),
                          ("--warmup", a.warmup, 0), ("--iters", a.iters, 1),
                          ("--repeat", a.repeat, 1)):
        if val < lo:
            ap.error("%s must be >= %d" % (name, lo))

    if a.bench_nn is None:
        cands = [os.path.join(ROOT, "build", "bench_nn"),
                 os.path.join(ROOT, "build", "bench", "bench_nn")]
        a.bench_nn = next((c for c in cands if os.path.isfile(c)), cands[0])
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    common = ["--threads", str(a.threads), "--batch", str(a.batch), "--warmup", str(a.warmup),
              "--iters", str(a.iters), "--models"] + a.models + ["--modes"] + a.modes
    have_c = not a.no_encryip and os.path.isfile(a.bench_nn) and os.access(a.bench_nn, os.X_OK)
    notes = []
    if a.no_encryip:
        notes.append("encryip half skipped (--no-encryip)")
    elif not have_c:
        msg = ("%s does not exist (or is not executable) yet (also looked for "
               "build/bench/bench_nn): build it with `cmake --build build --target bench_nn`; "
               "printing the PyTorch half only" % os.path.relpath(a.bench_nn, ROOT))
        sys.stderr.write("compare: NOTE: " + msg + "\n")
        notes.append(msg)

    raw, by = [], {}
    # Records are appended to --json-out as each run finishes, so a run that is cut off
    # still leaves its finished part on disk.
    jout = open(a.json_out, "w") if a.json_out else None
    for _ in range(a.repeat):
        runs = []
        if have_c:
            runs.append(("encryip", [a.bench_nn] + common))
        runs.append(("torch", ["/usr/bin/python3", TORCH_BENCH, "--no-table"] + common))
        for label, cmd in runs:
            recs, err = run_jsonl(cmd, env, label)
            if err:
                sys.stderr.write("compare: WARNING: %s\n" % err)
                notes.append(err)
            for r in recs:
                raw.append(r)
                if jout:
                    jout.write(json.dumps(r) + "\n")
                    jout.flush()
                eng = r.get("engine")
                if eng in ("encryip", "torch") and "model" in r and "mode" in r:
                    by.setdefault((eng, r["model"], r["mode"]), []).append(r)
                elif eng == "machine":
                    by.setdefault(("machine",), []).append(r)

    if jout:
        jout.close()

    peak = by.get(("machine",), [{}])[0].get("peak_gflops_est")
    print("### encryip vs PyTorch — %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))
    print()
    print("threads %d, batch %d, warm-up %d, timed iterations %d (median per run), repeats %d "
          "(median over repeats); fp32 peak estimate %s GFLOP/s"
          % (a.threads, a.batch, a.warmup, a.iters, a.repeat, fmt(peak)))
    for n in notes:
        print()
        print("> " + n)
    print()
    print("| model | mode | encryip img/s | torch img/s | ratio img/s (enc/torch) "
          "| encryip GFLOP/s | torch GFLOP/s | encryip RSS MB | torch RSS MB "
          "| ratio RSS (enc/torch) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model in a.models:
        for mode in a.modes:
            e = by.get(("encryip", model, mode), [])
            t = by.get(("torch", model, mode), [])
            e_ips, t_ips = med([r.get("images_per_s") for r in e]), \
                med([r.get("images_per_s") for r in t])
            e_gf, t_gf = med([r.get("gflops") for r in e]), med([r.get("gflops") for r in t])
            e_rss, t_rss = med([r.get("peak_rss_mb") for r in e]), \
                med([r.get("peak_rss_mb") for r in t])
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                  % (model, mode, fmt(e_ips), fmt(t_ips), ratio(e_ips, t_ips), fmt(e_gf),
                     fmt(t_gf), fmt(e_rss, 0), fmt(t_rss, 0), ratio(e_rss, t_rss)))
    torch_ok = any(k[0] == "torch" for k in by)
    return 0 if torch_ok else 1


if __name__ == "__main__":
    sys.exit(main())
