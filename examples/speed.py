#!/usr/bin/env python3
"""Python vs C for the same work (docs/RESULTS.md "Python"): Algorithm 2
(confuse) and eq. (4) (decrypt) on N model outputs, both groups.  Python:
encryip.Deployment.confuse / Licensee.decrypt (one C call each); C: the
examples/c/confuse_decrypt program (same library calls, no Python) and, for
decrypt, `encryip decrypt` on the saved ciphertext file.  Median of R runs.
usage: speed.py C_PROGRAM ENCRYIP_CLI OUTDIR [--n 10000] [--reps 3]"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import encryip  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cprog")
    ap.add_argument("cli")
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    res = {"n": a.n, "reps": a.reps, "cpu": open("/proc/cpuinfo").read().split("model name")[1]
           .split(":")[1].split("\n")[0].strip(), "loadavg_start": os.getloadavg()}
    rng = np.random.default_rng(0)
    for group in ("paper", "ristretto255"):
        b = os.path.join(a.out, "speed-" + group)
        plan = encryip.protect_plan(classes=10, licensees=3, group=group, image_shape=(1, 28, 28),
                                    out=b, force=True)
        # logits a trained model would give: one clear winner among the labels' slots
        y = rng.normal(size=(a.n, plan.outputs)).astype(np.float32)
        if plan.target_kind == "slot":
            win = plan.targets(rng.integers(0, 10, a.n))
            y[np.arange(a.n), win] += 8
        else:
            y += 6 * plan.targets(rng.integers(0, 10, a.n))
        lf = os.path.join(b, "logits.f32")
        y.tofile(lf)
        dep = encryip.Deployment(b)
        key = os.path.join(b, "keys", "licensee-1.key")
        sk = encryip.Licensee(key)
        t = {k: [] for k in ("py_confuse", "c_confuse", "py_decrypt", "c_decrypt", "cli_decrypt",
                             "py_confuse_cpu", "c_confuse_cpu", "py_decrypt_cpu", "c_decrypt_cpu")}
        for _ in range(a.reps):
            w, c = time.perf_counter(), time.process_time()
            cts = dep.confuse(y)
            t["py_confuse"].append(time.perf_counter() - w)
            t["py_confuse_cpu"].append(time.process_time() - c)
            w, c = time.perf_counter(), time.process_time()
            lab = sk.decrypt(cts)
            t["py_decrypt"].append(time.perf_counter() - w)
            t["py_decrypt_cpu"].append(time.process_time() - c)
            out = subprocess.run([a.cprog, b, lf, str(a.n), key], capture_output=True, text=True,
                                 check=True).stdout
            m = re.match(r"confuse ([0-9.]+) s \(cpu ([0-9.]+) s\), decrypt ([0-9.]+) s \(cpu ([0-9.]+) s\)", out)
            for i, name in enumerate(("c_confuse", "c_confuse_cpu", "c_decrypt", "c_decrypt_cpu")):
                t[name].append(float(m.group(i + 1)))
            ct = os.path.join(b, "answers.ct")
            cts.save(ct)
            w = time.perf_counter()
            subprocess.run([a.cli, "decrypt", "--key", key, "--in", ct, "--out", os.path.join(b, "l.txt")],
                           capture_output=True, check=True)
            t["cli_decrypt"].append(time.perf_counter() - w)
        med = {k: statistics.median(v) for k, v in t.items()}
        res[group] = {"outputs": plan.outputs, "labels_decrypted": int((lab >= 0).sum()), "median": med,
                      "confuse_ratio_wall": med["py_confuse"] / med["c_confuse"],
                      "confuse_ratio_cpu": med["py_confuse_cpu"] / med["c_confuse_cpu"],
                      "decrypt_ratio_wall": med["py_decrypt"] / med["c_decrypt"],
                      "decrypt_ratio_cpu": med["py_decrypt_cpu"] / med["c_decrypt_cpu"],
                      "raw": t}
        print(group, json.dumps({k: v for k, v in res[group].items() if k != "raw"}), flush=True)
    res["loadavg_end"] = os.getloadavg()
    with open(os.path.join(a.out, "speed.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
