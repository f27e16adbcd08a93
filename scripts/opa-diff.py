#!/usr/bin/env python3
"""Differential test of tollgate's Rego engine against real OPA.

Cases come from two places:
  - the built-in pack (`rego_eval pack`): each rule's entry rules on each document of its
    fixture folders, and each `test_` rule of the pack's tests;
  - the corpus `tests/opa-diff/*.cases`: conformance-style cases written for tollgate (the
    constructs of issue 14, and cases in the spirit of OPA's v1/test/cases).

Each case is evaluated by tollgate's engine (`examples/rego_eval.rs`, set up as `tollgate check`
sets it up) and by OPA (the `opa-golib-python-bindings` wheel, OPA's Go engine), and the results
are compared: the same value, both undefined, or both an error. Known, explained divergences are
listed in `tests/opa-diff/known-divergences.txt` (name: reason) and in docs/opa-compatibility.md.

Usage: opa-diff.py RUNNER POLICIES_DIR CORPUS_DIR [--verbose]
Prints the number of cases and divergences; exits 1 on an unexplained divergence.

Corpus format: a case starts with `### case: NAME`; header lines `### query: data.x.y`,
`### input: JSON`, `### data: JSON`, `### module: FILE.rego` (starts another module; the first
one is `case.rego`); every other line is Rego of the current module.
"""

import json
import math
import os
import subprocess
import sys
import re
import tempfile

from opa_bindings import OpaEngine, OpaError, OpaUndefinedError

TODAY = "2026-06-01"
STRICT = re.compile(r"eval_(builtin|type)_error")


def parse_corpus(directory):
    module_sets, cases = {}, []
    for fname in sorted(os.listdir(directory)):
        if not fname.endswith(".cases"):
            continue
        cur = None
        module = None
        with open(os.path.join(directory, fname), encoding="utf-8") as f:
            for line in f:
                if line.startswith("### case:"):
                    cur = {"name": f"{fname[:-6]}/{line[9:].strip()}", "modules": {}}
                    module = "case.rego"
                    cur["modules"][module] = ""
                    cases.append(cur)
                elif line.startswith("### query:"):
                    cur["query"] = line[10:].strip()
                elif line.startswith("### input:"):
                    cur["input"] = json.loads(line[10:])
                elif line.startswith("### data:"):
                    cur["data"] = json.loads(line[9:])
                elif line.startswith("### module:"):
                    module = line[11:].strip()
                    cur["modules"][module] = ""
                elif cur is not None:
                    cur["modules"][module] += line
    out = []
    for c in cases:
        sid = "corpus:" + c["name"]
        module_sets[sid] = c.pop("modules")
        c["modules"] = sid
        out.append(c)
    return module_sets, out


def opa_eval(engine_cache, module_sets, case):
    key = (case["modules"], json.dumps(case.get("data"), sort_keys=True))
    if key not in engine_cache:
        eng = OpaEngine()
        eng.print_handler = lambda *a: None
        err = None
        try:
            for path, text in sorted(module_sets[case["modules"]].items()):
                eng.add_policy(path, text)
            if case.get("data") is not None:
                eng.add_data(case["data"])
        except OpaError as e:
            err = str(e)
        engine_cache[key] = (eng, err)
    eng, err = engine_cache[key]
    if err:
        return {"error": err}
    path = case["query"][len("data."):]
    kwargs = {"input": case["input"]} if "input" in case else {}
    # OPA prepares (compiles) each distinct query, about 0.6 s with the whole pack loaded: the
    # package is evaluated once per input and each rule read from it; on an error in any of
    # its rules, the rule alone is evaluated.
    package, _, rule = path.rpartition(".")
    pkey = (key, package, json.dumps(kwargs, sort_keys=True))
    if pkey not in engine_cache:
        try:
            engine_cache[pkey] = eng.eval_document(package, **kwargs)
        except OpaError:
            engine_cache[pkey] = None
    whole = engine_cache[pkey]
    if isinstance(whole, dict):
        return {"value": whole[rule]} if rule in whole else {"undefined": True}
    try:
        return {"value": eng.eval_document(path, **kwargs)}
    except OpaUndefinedError:
        return {"undefined": True}
    except OpaError as e:
        return {"error": str(e)}


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (math.isfinite(a) and math.isclose(a, b, rel_tol=1e-12))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def agree(t, o):
    if "error" in t or "error" in o:
        return "error" in t and "error" in o
    if "undefined" in t or "undefined" in o:
        return "undefined" in t and "undefined" in o
    return same(t["value"], o["value"])


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    runner, policies, corpus = sys.argv[1:4]
    verbose = "--verbose" in sys.argv
    pack = json.loads(subprocess.run([runner, "pack", policies, TODAY], check=True,
                                     capture_output=True, text=True).stdout)
    module_sets = dict(pack["module_sets"])
    cases = list(pack["cases"])
    corpus_sets, corpus_cases = parse_corpus(corpus)
    module_sets.update(corpus_sets)
    cases.extend(corpus_cases)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"module_sets": module_sets, "cases": cases}, f)
        tmp = f.name
    try:
        ours = json.loads(subprocess.run([runner, "eval", tmp], check=True,
                                         capture_output=True, text=True).stdout)
    finally:
        os.unlink(tmp)
    known = {}
    known_file = os.path.join(corpus, "known-divergences.txt")
    if os.path.exists(known_file):
        with open(known_file, encoding="utf-8") as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    name, _, reason = line.partition(": ")
                    known[name.strip()] = reason.strip()
    engines = {}
    diverging, explained, strict = [], [], []
    for case in cases:
        o = opa_eval(engines, module_sets, case)
        t = ours.get(case["name"], {"error": "no result"})
        if not agree(t, o):
            if case["name"] in known:
                explained.append((case["name"], t, o))
            elif "error" in o and "error" not in t and STRICT.search(o["error"]):
                # The wheel evaluates with strict builtin errors; tollgate, like `opa eval`
                # and conftest, makes a builtin's error undefined (docs/opa-compatibility.md).
                strict.append((case["name"], t, o))
            else:
                diverging.append((case["name"], t, o))
    for name, t, o in diverging + (explained + strict if verbose else []):
        print(f"DIVERGES {name}\n  tollgate: {json.dumps(t)[:400]}\n  opa:      {json.dumps(o)[:400]}")
    print(f"opa-diff: {len(cases)} cases ({len(pack['cases'])} from the pack, "
          f"{len(corpus_cases)} from the corpus), {len(diverging)} unexplained divergences, "
          f"{len(explained)} known (tests/opa-diff/known-divergences.txt), {len(strict)} where "
          f"only OPA's strict builtin errors differ")
    return 1 if diverging else 0


if __name__ == "__main__":
    sys.exit(main())
