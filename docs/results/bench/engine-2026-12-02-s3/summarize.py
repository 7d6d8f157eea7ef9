#!/usr/bin/env python3
"""Tables of the session-3 before/after run (run.sh): bench_nn (uncapped,
AVX2-capped inference), classify, bench_step, experiment cost."""
import json, re, statistics, glob, os, subprocess
os.chdir(os.path.dirname(os.path.abspath(__file__)))
def nn(prefix):
    rows = {}
    for v in ("before", "after"):
        f = f"{prefix}-{v}.jsonl"
        if not os.path.exists(f): return
        for l in open(f):
            d = json.loads(l); rows.setdefault((d["model"], d["mode"]), {}).setdefault(v, []).append(d)
    print(f"\n{prefix}: | model | mode | before img/s (median) | after img/s (median) | after/before (median of per-repeat ratios) | peak RSS MB before / after |")
    print("|---|---|---:|---:|---:|---|")
    for (m, mode), r in rows.items():
        b = [d["images_per_s"] for d in r.get("before", [])]; a = [d["images_per_s"] for d in r.get("after", [])]
        if not a or not b: continue
        ratios = [x / y for x, y in zip(a, b)]
        print(f"| {m} | {mode} | {statistics.median(b):.1f} | {statistics.median(a):.1f} | {statistics.median(ratios):.2f}x "
              f"({', '.join('%.2f' % x for x in ratios)}) | {r['before'][0]['peak_rss_mb']:.0f} / {r['after'][0]['peak_rss_mb']:.0f} |")
nn("bench_nn"); nn("bench_nn-avx2")
print("\nclassify (wall s, user s):")
for v in ("before", "after"):
    xs = []
    for f in sorted(glob.glob(f"classify-{v}-*.err")):
        m = re.search(r"([0-9.]+) s wall ([0-9.]+) s user", open(f).read())
        if m: xs.append((float(m.group(1)), float(m.group(2))))
    print(v, " / ".join("%.2f" % w for w, _ in xs), " user", " / ".join("%.2f" % u for _, u in xs))
labs = sorted(glob.glob("labels-*.txt"))
if labs:
    print("labels sha256:", " ".join(subprocess.run(["sha256sum"] + labs, capture_output=True, text=True).stdout.split()[0::2][:1]),
          "identical:", len(set(open(f).read() for f in labs)) == 1)
print("\nbench_step (median over repeats of each phase's median ms):")
for v in ("before", "after"):
    f = f"bench_step-{v}.jsonl"
    if not os.path.exists(f): continue
    ds = [json.loads(l) for l in open(f)]
    for head in ("plain", "encryip"):
        hs = [d for d in ds if d["head"] == head]
        ph = ["zero", "fwd", "loss", "bwd", "opt", "step"]
        print(f"| {v} | {head} | " + " | ".join("%.3f" % statistics.median(d[p + "_ms"] for d in hs) for p in ph) +
              (" | %.3fx (%s)" % (statistics.median(d["step_ratio"] for d in hs), ", ".join("%.2f" % d["step_ratio"] for d in hs)) if head == "encryip" else " | |"))
