#!/usr/bin/env python3
"""Tables of docs/RESULTS.md "Protect your own PyTorch model" from the JSON
files examples/measure.sh and examples/speed.py write.
usage: summarize.py RESULTS_DIR > RESULTS_DIR/summary.md"""
import glob
import json
import os
import statistics
import sys

d = sys.argv[1]


def load(pat):
    return {os.path.basename(p)[:-5]: json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, pat)))}


def mem(r):
    """Memorised fraction; a failed check records only its message."""
    if r.get("memorised") is not None:
        return "%.3f" % r["memorised"]
    import re
    m = re.search(r"reproduces (\d+) of (\d+)", r.get("memorised_error", ""))
    return "%s/%s, check failed" % (m.group(1), m.group(2)) if m else "check failed"


def epoch_mem(m):
    """A per-epoch memorisation entry: the fraction, or the failed check's counts."""
    import re
    f = re.search(r"reproduces (\d+) of (\d+) instances for licensee (\d+)", m)
    return "%s/%s for licensee %s" % f.groups() if f else m


def mean_sd(xs):
    return (statistics.mean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0)


plain = load("plain-s*.json")
print("| run | seeds | test accuracy (mean ± sd) | change vs plain (points, mean ± sd of per-seed differences) "
      "| verification memorised | leak traced to licensee 2 | honest plain model named | train s (median) |")
print("|---|---|---|---|---|---|---|---|")
pa = [plain[k]["test_acc"] for k in sorted(plain)] or [float("nan")]
m, s = mean_sd(pa)
print("| plain (true labels) | %d | %.4f ± %.4f | — | — | — | — | %.0f |" % (
    len(plain), m, s, statistics.median([plain[k]["train_seconds"] for k in plain] or [float("nan")])))
for g in ("paper", "ristretto255"):
    runs = load("%s-s*.json" % g)
    if not runs:
        continue
    acc = [runs[k]["test_acc"] for k in sorted(runs)]
    diff = [100 * (runs[k]["test_acc"] - plain["plain-s" + k.split("-s")[1]]["test_acc"])
            for k in sorted(runs) if "plain-s" + k.split("-s")[1] in plain]
    m, s = mean_sd(acc)
    dm, ds = mean_sd(diff or [float("nan")])
    mems = [mem(runs[k]) for k in sorted(runs)]
    leak = [runs[k].get("trace_leak") for k in sorted(runs)]
    hon = [runs[k].get("trace_honest") for k in sorted(runs)]
    print("| EncryIP %s | %d | %.4f ± %.4f | %+.2f ± %.2f | %s | %s | %s | %.0f |" % (
        g, len(acc), m, s, dm, ds, ", ".join(mems),
        ", ".join(str(x) for x in leak), ", ".join(str(x) if x else "none" for x in hon),
        statistics.median(runs[k]["train_seconds"] for k in runs)))

# per-epoch test accuracy (--epoch-eval): plain runs, and the seed-1 protected runs
# (licensee 1's decrypted accuracy and the memorisation check after each epoch)
pe = [(k, r) for k, r in sorted(load("*.json").items()) if r.get("test_acc_per_epoch") or r.get("per_epoch")]
if pe:
    n = max(len(r.get("test_acc_per_epoch") or r.get("per_epoch")) for _, r in pe)
    print()
    print("| test accuracy (first %d test images) after epoch | " % pe[0][1].get("epoch_eval_images", 0)
          + " | ".join(str(i + 1) for i in range(n)) + " |")
    print("|---|" + "---|" * n)
    for k, r in pe:
        if r.get("test_acc_per_epoch"):
            cells = ["%.4f" % x for x in r["test_acc_per_epoch"]]
        else:
            cells = ["%.4f (mem. %s)" % (e["test_acc"], epoch_mem(e["memorised"])) for e in r["per_epoch"]]
        print("| %s | %s |" % (k, " | ".join(cells + [""] * (n - len(cells)))))

# DDP block (measure.sh since 2026-12-02): the same ristretto255 seed-1 run, back to back
blk = load("ddp-*.json")
if blk:
    print()
    print("| ristretto255, seed 1 | processes x threads | images x epochs | global batch | test accuracy | "
          "memorised | leak traced | train s | wall s | wall vs 1 x 1 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ref = blk.get("ddp-1proc-1thread", {}).get("wall_seconds")
    for name in ("ddp-1proc-1thread", "ddp-1proc-2threads", "ddp-2proc-1thread"):
        r = blk.get(name)
        if r:
            print("| %s | %d x %d | %d x %d | %d | %.4f | %s | %s | %.0f | %.0f | %s |" % (
                name, r["world"], r["threads"], r["train_images"], r["epochs"], r["world"] * r["batch"],
                r["test_acc"], mem(r), r.get("trace_leak"), r["train_seconds"], r["wall_seconds"],
                "%.2f" % (r["wall_seconds"] / ref) if ref else "—"))

ddp = load("ddp2-*.json")
one = load("ristretto255-s1.json")
if ddp and one:
    print()
    print("| ristretto255, seed 1 | processes | global batch | test accuracy | memorised | leak traced | "
          "train s | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in list(one.items()) + list(ddp.items()):
        print("| %s | %d | %d | %.4f | %s | %s | %.0f | %.0f |" % (
            name, r["world"], 64, r["test_acc"], mem(r), r.get("trace_leak"),
            r["train_seconds"], r["wall_seconds"]))

ft = load("finetune-*.json")


def ft_label(r):
    """'2 epochs, max lr 3e-3'; runs before 2026-12-02 recorded no lr (theirs was 1e-3)."""
    lr = "{:.0e}".format(r.get("lr", 1e-3)).replace("e-0", "e-")
    return "%d epoch%s, max lr %s" % (r["epochs"], "s" if r["epochs"] > 1 else "", lr)


ft1 = {k: dict(v, label=ft_label(v)) for k, v in ft.items()}
if ft:
    print()
    print("| protecting the trained plain model (seed 1) | epochs | test accuracy | change vs its plain "
          "model (points) | memorised | leak traced | honest named | train s |")
    print("|---|---|---|---|---|---|---|---|")
    base = plain.get("plain-s1", {}).get("test_acc")
    for g in ("paper", "ristretto255"):
        scratch = load("%s-s1.json" % g).get("%s-s1" % g)
        rows = [("from scratch, %s" % g, scratch)]
        for src in (ft1, {k.replace("-e2", ""): v for k, v in load("finetune2/finetune-e2-*.json").items()}):
            f = src.get("finetune-%s-s1" % g)
            if f:
                rows.append(("head replaced + fine-tuned (%s), %s" % (
                    f.get("label", "%d epochs, max lr 3e-3" % f["epochs"]), g), f))
        for label, r in rows:
            if r:
                print("| %s | %d | %.4f | %+.2f | %s | %s | %s | %.0f |" % (
                    label, r["epochs"], r["test_acc"], 100 * (r["test_acc"] - base) if base else 0,
                    mem(r), r.get("trace_leak"), r.get("trace_honest") or "none",
                    r["train_seconds"]))

lg = load("longer/*.json")
if lg:
    print()
    print("| seed 1, 4 epochs | test accuracy | memorised | leak traced | honest named | train s |")
    print("|---|---|---|---|---|---|")
    for k, r in sorted(lg.items()):
        print("| %s | %.4f | %s | %s | %s | %.0f |" % (k, r["test_acc"], mem(r) if r["mode"] != "plain" else "—",
                                                    r.get("trace_leak", "—"), r.get("trace_honest") or "—",
                                                    r["train_seconds"]))

sp = os.path.join(d, "speed", "speed.json")
if os.path.exists(sp):
    s = json.load(open(sp))
    print()
    print("| %d outputs, median of %d | Python confuse s (CPU s) | C confuse s (CPU s) | ratio wall (CPU) | "
          "Python decrypt s (CPU s) | C decrypt s (CPU s) | ratio wall (CPU) | `encryip decrypt` s |"
          % (s["n"], s["reps"]))
    print("|---|---|---|---|---|---|---|---|")
    for g in ("paper", "ristretto255"):
        r = s[g]
        m = r["median"]
        print("| %s (K = %d) | %.3f (%.3f) | %.3f (%.3f) | %.2f (%.2f) | %.4f (%.4f) | %.4f (%.4f) | "
              "%.2f (%.2f) | %.3f |" % (
                  g, r["outputs"], m["py_confuse"], m["py_confuse_cpu"], m["c_confuse"], m["c_confuse_cpu"],
                  r["confuse_ratio_wall"], r["confuse_ratio_cpu"], m["py_decrypt"], m["py_decrypt_cpu"],
                  m["c_decrypt"], m["c_decrypt_cpu"], r["decrypt_ratio_wall"], r["decrypt_ratio_cpu"],
                  m["cli_decrypt"]))
    print()
    print("CPU: %s; load average %s at the start, %s at the end." % (
        s["cpu"], " ".join("%.1f" % x for x in s["loadavg_start"]),
        " ".join("%.1f" % x for x in s["loadavg_end"])))
