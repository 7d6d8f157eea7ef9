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
        py_c, py_d, c_c, c_d, cli_d = [], [], [], [], []
        for _ in range(a.reps):
            t = time.perf_counter()
            cts = dep.confuse(y)
            py_c.append(time.perf_counter() - t)
            t = time.perf_counter()
            lab = sk.decrypt(cts)
            py_d.append(time.perf_counter() - t)
            out = subprocess.run([a.cprog, b, lf, str(a.n), key], capture_output=True, text=True,
                                 check=True).stdout
            m = re.match(r"confuse ([0-9.]+) s, decrypt ([0-9.]+) s", out)
            c_c.append(float(m.group(1)))
            c_d.append(float(m.group(2)))
            ct = os.path.join(b, "answers.ct")
            cts.save(ct)
            t = time.perf_counter()
            subprocess.run([a.cli, "decrypt", "--key", key, "--in", ct, "--out", os.path.join(b, "l.txt")],
                           capture_output=True, check=True)
            cli_d.append(time.perf_counter() - t)
        med = statistics.median
        res[group] = {"outputs": plan.outputs, "labels_decrypted": int((lab >= 0).sum()),
                      "python_confuse_s": med(py_c), "c_confuse_s": med(c_c),
                      "python_decrypt_s": med(py_d), "c_decrypt_s": med(c_d), "cli_decrypt_s": med(cli_d),
                      "confuse_ratio": med(py_c) / med(c_c), "decrypt_ratio_vs_c": med(py_d) / med(c_d),
                      "decrypt_ratio_vs_cli": med(py_d) / med(cli_d),
                      "raw": {"py_confuse": py_c, "c_confuse": c_c, "py_decrypt": py_d,
                              "c_decrypt": c_d, "cli_decrypt": cli_d}}
        print(group, json.dumps({k: v for k, v in res[group].items() if k != "raw"}), flush=True)
    res["loadavg_end"] = os.getloadavg()
    with open(os.path.join(a.out, "speed.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
