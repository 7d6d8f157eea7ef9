#!/usr/bin/env python3
"""The line between library and application, checked (docs/DESIGN.md).

Run by the CTest test `layering`:

  check_layers.py --source DIR --module NAME=LIB.a [--module ...] [--app-dir DIR ...]
                  [--app-lib NAME=LIB.a ...]

Rules (each violation is printed; any violation exits 1):
  (a) no file under src/ includes a header of the application (app/);
  (b) no library object references a symbol that prints, exits, aborts or
      runs a program (system, popen, printf, puts, putchar, exit, abort,
      stdout, stderr, ...): the library returns eip_status instead;
  (c) inside a module, the object files form layers: no two .o files of one
      module reference each other's symbols in a circle (a cycle is printed);
  (d) modules only reference modules below them in the dependency order of
      /work/shared/design/ARCHITECTURE.md
          util -> crypto, data, ckpt -> nn -> keyring, train -> attack, advparams -> protect
      (no upward and no sideways reference), both in the objects' symbols and
      in the DEPS of CMakeLists.txt's eip_module() lines.
The application's libraries (--app-lib) are held to rule (c) only: the
experiment drivers form layers too.
"""
import argparse
import os
import re
import subprocess
import sys

# Rank in the dependency order: a module may reference only lower ranks.
RANK = {
    "util": 0,
    "crypto": 1, "data": 1, "ckpt": 1,
    "nn": 2,
    "keyring": 3, "train": 3,
    "attack": 4, "advparams": 4, "baseline": 4,
    "protect": 5,
}

# Symbols a library object must not reference (rule b).
FORBIDDEN = {
    "system", "popen", "pclose", "execv", "execvp", "execl", "execlp", "fork",
    "printf", "vprintf", "puts", "putchar", "perror",
    "exit", "_exit", "_Exit", "quick_exit", "abort",
    "stdout", "stderr",
}

# nm symbol types that define a symbol in an object.
DEFINED = set("TDBRVWCGSi")


def nm_archive(lib):
    """{object name: (defined set, undefined set)} of one static library."""
    out = subprocess.run(["nm", "-A", "--defined-only", lib], capture_output=True, text=True)
    und = subprocess.run(["nm", "-A", "--undefined-only", lib], capture_output=True, text=True)
    if out.returncode or und.returncode:
        sys.exit(f"layering: nm {lib} failed: {out.stderr}{und.stderr}")
    objs = {}

    def obj_of(field):
        # "lib.a:file.c.o" (GNU nm -A on an archive)
        return field.rsplit(":", 1)[-1] if ":" in field else field

    for line in out.stdout.splitlines():
        m = re.match(r"^(.*?):\s*(?:[0-9a-fA-F]+\s+)?([A-Za-z])\s+(\S+)$", line)
        if not m:
            continue
        where, typ, sym = m.groups()
        if typ.islower() and typ not in ("i",):
            continue  # local (static) symbols do not link objects together
        if typ not in DEFINED:
            continue
        objs.setdefault(obj_of(where), (set(), set()))[0].add(sym)
    for line in und.stdout.splitlines():
        m = re.match(r"^(.*?):\s+U\s+(\S+)$", line)
        if not m:
            continue
        where, sym = m.groups()
        objs.setdefault(obj_of(where), (set(), set()))[1].add(sym.split("@")[0])
    return objs


def find_cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def one_cycle(graph, comp):
    """A concrete cycle a -> b -> ... -> a inside a strongly connected component."""
    comp = set(comp)
    start = min(comp)
    # BFS back to start
    prev, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph.get(v, ())):
                if w not in comp:
                    continue
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return sorted(comp)


def check_includes(source, app_dirs, problems):
    """Rule (a): src/ never includes an application header."""
    app_names = set()
    for d in app_dirs:
        if os.path.isdir(d):
            app_names.update(n for n in os.listdir(d) if os.path.isdir(os.path.join(d, n)))
    inc = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
    for root, _, files in os.walk(os.path.join(source, "src")):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(root, f)
            with open(path, encoding="utf-8", errors="replace") as fh:
                for no, line in enumerate(fh, 1):
                    m = inc.match(line)
                    if not m:
                        continue
                    name = m.group(1)
                    first = name.split("/")[0]
                    if name.startswith("app/") or ".." in name.split("/") or first in app_names:
                        problems.append(f"(a) {os.path.relpath(path, source)}:{no}: includes "
                                        f"\"{name}\" from the application")


def check_cmake_deps(source, problems):
    """Rule (d) on the build description: eip_module(NAME DEPS ...)."""
    path = os.path.join(source, "CMakeLists.txt")
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"^\s*eip_module\(\s*(\w+)\s+DEPS\s+([^)]*)\)", line)
            if not m:
                continue
            mod = m.group(1)
            for dep in m.group(2).split():
                if not dep.startswith("encryip_"):
                    continue
                d = dep[len("encryip_"):]
                if mod in RANK and d in RANK and RANK[d] >= RANK[mod]:
                    problems.append(f"(d) CMakeLists.txt: module {mod} (rank {RANK[mod]}) links "
                                    f"{dep} (rank {RANK[d]}): not below it in the dependency order")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--module", action="append", default=[], help="NAME=path/to/libencryip_NAME.a")
    ap.add_argument("--app-dir", action="append", default=[])
    ap.add_argument("--app-lib", action="append", default=[], help="NAME=path/to/lib.a (rule c only)")
    a = ap.parse_args()

    problems = []
    check_includes(a.source, a.app_dir or [os.path.join(a.source, "app")], problems)
    check_cmake_deps(a.source, problems)

    mods = {}
    for spec in a.module:
        name, _, lib = spec.partition("=")
        if name not in RANK:
            problems.append(f"(d) module {name} has no place in the dependency order "
                            f"(add it to RANK in tools/check_layers.py and to docs/DESIGN.md)")
            continue
        mods[name] = nm_archive(lib)

    owner = {}  # symbol -> (module, object)
    for mod, objs in mods.items():
        for obj, (defs, _) in objs.items():
            for s in defs:
                owner.setdefault(s, (mod, obj))

    apps = {}
    for spec in a.app_lib:
        name, _, lib = spec.partition("=")
        apps[name] = nm_archive(lib)

    def cycles(mod, objs, own):
        graph, why = {}, {}
        for obj, (_, undef) in sorted(objs.items()):
            for s in sorted(undef):
                if own.get(s, obj) != obj:
                    graph.setdefault(obj, set()).add(own[s])
                    why.setdefault((obj, own[s]), s)
        for comp in find_cycles(graph):
            cyc = one_cycle(graph, comp)
            steps = " -> ".join(
                f"{cyc[i]} [{why.get((cyc[i], cyc[i + 1]), '?')}]" for i in range(len(cyc) - 1))
            problems.append(f"(c) {mod}: files call each other in a circle: {steps} -> {cyc[-1]}")

    for name, objs in sorted(apps.items()):
        own = {}
        for obj, (defs, _) in objs.items():
            for s in defs:
                own.setdefault(s, obj)
        cycles(name, objs, own)

    for mod in sorted(mods):
        objs = mods[mod]
        own = {}
        for obj, (_, undef) in sorted(objs.items()):
            bad = sorted(undef & FORBIDDEN)
            if bad:
                problems.append(f"(b) {mod}/{obj} references {', '.join(bad)}: the library "
                                f"must not print, exit, abort or run programs")
            for s in sorted(undef):
                if s not in owner:
                    continue
                omod, oobj = owner[s]
                if omod == mod:
                    own[s] = oobj
                elif RANK[omod] >= RANK[mod]:
                    problems.append(f"(d) {mod}/{obj} references {s} of {omod}/{oobj}: "
                                    f"{omod} is not below {mod} in the dependency order")
        cycles(f"module {mod}", objs, own)

    for p in problems:
        print(p)
    n_obj = sum(len(o) for o in mods.values())
    if problems:
        print(f"layering: {len(problems)} violation(s) in {len(mods)} modules / {n_obj} objects")
        return 1
    print(f"layering: ok ({len(mods)} modules, {n_obj} objects; {len(apps)} application libraries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
