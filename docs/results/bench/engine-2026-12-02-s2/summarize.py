#!/usr/bin/env python3
"""before/after bench_nn lines (alternated, 3 repeats) -> markdown: median img/s,
median of the per-repeat after/before ratios, peak RSS; torch img/s from a
compare.py JSON file of the same session if given.
usage: summarize.py before.jsonl after.jsonl [torch-compare.jsonl]"""
import json, sys, statistics as st
def load(p):
    out = {}
    for l in open(p):
        l = l.strip()
        if not l.startswith("{"):
            continue
        d = json.loads(l)
        if d.get("engine", "encryip") != "encryip":
            continue
        out.setdefault((d["model"], d["mode"]), []).append(d)
    return out
b, a = load(sys.argv[1]), load(sys.argv[2])
torch = {}
if len(sys.argv) > 3:
    for l in open(sys.argv[3]):
        if l.startswith("{"):
            d = json.loads(l)
            if d.get("engine") == "torch":
                torch[(d["model"], d["mode"])] = d["images_per_s"]
print("| model | mode | before img/s (median of 3) | after img/s | after/before (median of per-repeat ratios) | before / after peak RSS MB | torch img/s (same session) | after/torch |")
print("|---|---|---:|---:|---:|---|---:|---:|")
for k in b:
    if k not in a:
        continue
    bi = [d["images_per_s"] for d in b[k]]; ai = [d["images_per_s"] for d in a[k]]
    r = [x / y for x, y in zip(ai, bi)]
    t = torch.get(k)
    print("| %s | %s | %.1f | %.1f | %.2fx | %.0f / %.0f | %s | %s |" % (k[0], k[1], st.median(bi), st.median(ai), st.median(r),
          max(d["peak_rss_mb"] for d in b[k]), max(d["peak_rss_mb"] for d in a[k]),
          "%.1f" % t if t else "-", "%.2fx" % (st.median(ai) / t) if t else "-"))
