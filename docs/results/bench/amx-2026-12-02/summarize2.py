#!/usr/bin/env python3
"""Table of run2.sh (bf16-final-threads2.jsonl): median img/s per (model, width, mode, build,
precision) over the two repetitions, bf16 / fp32 ratios (fp32 = the after build)."""
import collections, json, statistics, sys
path = sys.argv[1] if len(sys.argv) > 1 else "bf16-final-threads2.jsonl"
d = collections.defaultdict(list)
for line in open(path):
    j = json.loads(line)
    d[(j["model"], j["width"], j["mode"], j["build"], j["precision"])].append(j["images_per_s"])
print("| model | width | mode | fp32 img/s | bf16 before img/s | bf16 after img/s | before / fp32 | **after / fp32** | after / before |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
for w in [1, 0.25]:
    for m in ["resnet18", "smallcnn", "alexnet", "googlenet"]:
        for mo in ["infer", "train"]:
            f, b, a = (statistics.median(d[(m, w, mo, bu, p)]) for bu, p in
                       [("after", "fp32"), ("before", "bf16"), ("after", "bf16")])
            print(f"| {m} | {w:g} | {mo} | {f:.1f} | {b:.1f} | {a:.1f} | {b/f:.2f}x | **{a/f:.2f}x** | {a/b:.2f}x |")
