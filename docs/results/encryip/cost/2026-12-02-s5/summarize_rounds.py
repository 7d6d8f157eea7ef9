#!/usr/bin/env python3
"""Per-round training seconds of `encryip experiment cost` from its log
(images per epoch / the img/s printed at each epoch's end, summed over the
epochs), then for each run the median over rounds of (run / original of the
same round), replicas counted, and the same per trained image.
usage: summarize_rounds.py cost.log cost.csv"""
import re, sys, csv, statistics
log, csvf = sys.argv[1], sys.argv[2]
imgs = {r["run"]: int(r["images"]) for r in csv.DictReader(open(csvf))}
t = {}  # (round, run) -> seconds
pat = re.compile(r"\[cost r(\d+): (.*?)\] epoch (\d+)/(\d+) .*?([0-9.]+) img/s")
for line in open(log):
    m = pat.search(line)
    if m:
        rnd, run = int(m.group(1)), m.group(2)
        t[(rnd, run)] = t.get((rnd, run), 0.0) + imgs[run] / float(m.group(5))
rounds = sorted({r for r, _ in t})
print("| run | median training s (%d rounds) | median ratio to the original of the same round (replicas counted) | range | median per-image ratio |" % len(rounds))
print("|---|---:|---:|---|---:|")
for run in imgs:
    ts = [t[(r, run)] for r in rounds if (r, run) in t]
    ratios = [t[(r, run)] / t[(r, "original")] for r in rounds if (r, run) in t and (r, "original") in t]
    per = [x * imgs["original"] / imgs[run] for x in ratios]
    print("| %s | %.2f | %.3fx | %.3f-%.3f | %.3fx |" % (run, statistics.median(ts), statistics.median(ratios),
          min(ratios), max(ratios), statistics.median(per)))
