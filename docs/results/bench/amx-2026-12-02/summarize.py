#!/usr/bin/env python3
"""bf16 before/after table from bf16-threads2.jsonl (run.sh): median img/s per (model, mode, build,
precision) over the repetitions, and bf16 / fp32 ratios (fp32 = the after build, unchanged code)."""
import collections, json, statistics, sys
path = sys.argv[1] if len(sys.argv) > 1 else "bf16-threads2.jsonl"
d = collections.defaultdict(list)
for line in open(path):
    j = json.loads(line)
    d[(j["model"], j["mode"], j["build"], j["precision"])].append(j["images_per_s"])
print("| model | mode | fp32 img/s | bf16 before (nChw16c) img/s | bf16 after (NHWC) img/s | before / fp32 | **after / fp32** | after / before |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for m in ["resnet18", "smallcnn", "alexnet", "googlenet"]:
    for mo in ["infer", "train"]:
        f, b, a = (statistics.median(d[(m, mo, bu, p)]) for bu, p in
                   [("after", "fp32"), ("before", "bf16"), ("after", "bf16")])
        print(f"| {m} | {mo} | {f:.1f} | {b:.1f} | {a:.1f} | {b/f:.2f}x | **{a/f:.2f}x** | {a/b:.2f}x |")
