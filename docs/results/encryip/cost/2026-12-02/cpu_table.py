#!/usr/bin/python3
"""Rows for docs/RESULTS.md from the CPU-time runs given as arguments
(directories holding cost.csv): median over the runs of each column, and the
range of the CPU ratio."""
import csv, os, statistics, sys

def load(f):
    lines = open(f).read().splitlines()
    head = lines[0].split(",")
    out = []
    for line in lines[1:]:  # names hold a comma; unquoted in the first runs
        x = next(csv.reader([line]))
        extra = len(x) - len(head)
        out.append(dict(zip(head, [",".join(x[:extra + 1])] + x[extra + 1:])))
    return out

runs = [load(os.path.join(d, "cost.csv")) for d in sys.argv[1:]]
for i, r0 in enumerate(runs[0]):
    col = lambda c: [float(r[i][c]) for r in runs]
    med = lambda c: statistics.median(col(c))
    cr = col("cpu_ratio")
    print("| %s | %s | %s x %s | %s | %.2f | %.1f | **%.3fx** (%.3f–%.3f) | %.3fx | %.1f | %.3fx | %s |" % (
        r0["run"], r0["k"], r0["verif_n"], r0["verif_reps"], r0["images"], med("setup_s"),
        med("cpu_s"), med("cpu_ratio"), min(cr), max(cr), med("cpu_per_image_ratio"), med("train_s"),
        med("ratio"), " / ".join("%.4f" % a for a in col("acc"))))
