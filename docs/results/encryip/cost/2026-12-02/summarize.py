#!/usr/bin/python3
"""Median over rounds of each run's training seconds, ratio to the same
round's original, per-image ratio and set-up seconds, for the before (main)
and after (cost16) binaries: reads {before,after}-r*/cost.csv."""
import csv, glob, os, statistics, sys

d = os.path.dirname(os.path.abspath(__file__))
rows = {}
for v in ("before", "after"):
    for f in sorted(glob.glob(os.path.join(d, v + "-r*", "cost.csv"))):
        lines = open(f).read().splitlines()
        head = lines[0].split(",")
        runs = []
        for line in lines[1:]:  # run names hold a comma ("EncryIP paper, P=3"), unquoted before
            x = next(csv.reader([line]))
            extra = len(x) - len(head)
            runs.append(dict(zip(head, [",".join(x[:extra + 1])] + x[extra + 1:])))
        base = [r for r in runs if r["run"] == "original"]
        if not base:
            continue
        b = base[0]
        b_ips = int(b["images"]) / float(b["train_s"])
        for r in runs:
            t = float(r["train_s"])
            if t <= 0:
                continue
            ips = int(r["images"]) / t
            rows.setdefault((v, r["run"]), []).append(
                (t, t / float(b["train_s"]), b_ips / ips, float(r["setup_s"]), r))
print("| binary | run | K | instances x replicas | images / epoch | rounds | training s (median) | ratio to original (median) | per-image ratio (median) | set-up s (median) | test acc (ML) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
order = ["original", "EncryIP paper, P=3", "EncryIP ristretto255, P=3",
         "EncryIP paper, P=1000", "EncryIP ristretto255, P=1000"]
for v in ("before", "after"):
    for name in order:
        xs = rows.get((v, name))
        if not xs:
            continue
        med = lambda i: statistics.median(x[i] for x in xs)
        r = xs[0][4]
        print("| %s | %s | %s | %s x %s | %s | %d | %.1f | %.3fx | %.3fx | %.3f | %s |" % (
            v, name, r["k"], r["verif_n"], r["verif_reps"], r["images"], len(xs), med(0), med(1),
            med(2), med(3), " / ".join("%.4f" % float(x[4]["acc"]) for x in xs)))
