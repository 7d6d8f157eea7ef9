#!/usr/bin/python3
"""Medians per (model, mode, variant) of images_per_s and cpu_ms_per_iter_median; ratios."""
import json, sys, statistics, collections
d = collections.defaultdict(list)
for f in sys.argv[1:]:
    for l in open(f):
        if l.startswith("{"):
            r = json.loads(l); d[(r["cap"], r["model"], r["mode"], r["variant"])].append(r)
keys = sorted({k[:3] for k in d})
print("| cap | model | mode | before img/s | after img/s | torch img/s | after/before | after/torch | before/torch | CPU ms/iter before / after / torch | runs | load avg at starts |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---|")
for k in keys:
    m = {}; c = {}; n = {}; loads = []
    for v in ("before", "after", "torch"):
        rs = d.get(k + (v,), [])
        n[v] = len(rs)
        m[v] = statistics.median([r["images_per_s"] for r in rs]) if rs else None
        cs = [r.get("cpu_ms_per_iter_median") for r in rs if r.get("cpu_ms_per_iter_median")]
        c[v] = statistics.median(cs) if cs else None
        loads += [r["loadavg"].split()[0] for r in rs]
    f = lambda x: "-" if x is None else "%.1f" % x
    rt = lambda a, b: "-" if a is None or b is None else "%.2fx" % (a / b)
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %d/%d/%d | %s |" % (
        "AVX2" if k[0] == "1" else "none", k[1], k[2], f(m["before"]), f(m["after"]), f(m["torch"]),
        rt(m["after"], m["before"]), rt(m["after"], m["torch"]), rt(m["before"], m["torch"]),
        f(c["before"]), f(c["after"]), f(c["torch"]), n["before"], n["after"], n["torch"],
        "-".join(sorted(set(loads), key=float)[:1] + sorted(set(loads), key=float)[-1:])))
