#!/usr/bin/env python3
"""check_expectations.py - compare stored verdicts with hand-written ones.

usage: check_expectations.py EXPECTATIONS.json RESULTS.jsonl

RESULTS.jsonl holds one result document per line (as stored in the
assessments table). EXPECTATIONS maps standard -> unit -> expected values:
a plain key must equal the stored value, KEY_min / KEY_max bound it, and
"clauses" maps clause id -> expectations of that clause's entry. Every
named unit must have been assessed. Exit 0 when all hold, 1 otherwise.
"""
import json
import sys


def compare(where, expected, actual, problems):
    for key, want in expected.items():
        if key.startswith("_") or key in ("description", "why", "note"):
            continue
        if key == "clauses":
            by_id = {c["id"]: c for c in actual.get("clauses", [])}
            for clause, clause_want in want.items():
                if clause not in by_id:
                    problems.append(f"{where}: clause {clause} not in the result")
                    continue
                compare(f"{where} clause {clause}", clause_want, by_id[clause], problems)
            continue
        base, bound = key, None
        for suffix in ("_min", "_max"):
            if key.endswith(suffix) and key[: -len(suffix)] in actual:
                base, bound = key[: -len(suffix)], suffix
        if base not in actual:
            problems.append(f"{where}: no field '{base}' in the result")
            continue
        got = actual[base]
        if bound == "_min" and not (got is not None and got >= want):
            problems.append(f"{where}: {base} = {got}, expected >= {want}")
        elif bound == "_max" and not (got is not None and got <= want):
            problems.append(f"{where}: {base} = {got}, expected <= {want}")
        elif bound is None and got != want:
            problems.append(f"{where}: {base} = {json.dumps(got)}, expected {json.dumps(want)}")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        expectations = json.load(f)
    stored = {}
    with open(sys.argv[2]) as f:
        for line in f:
            if line.strip():
                doc = json.loads(line)
                stored[(doc["standard"], doc["unit"])] = doc
    problems, checked = [], 0
    for standard, units in expectations.items():
        if standard.startswith("_") or not isinstance(units, dict):
            continue
        for unit, want in units.items():
            if unit.startswith("_"):
                continue
            doc = stored.get((standard, unit))
            if doc is None:
                problems.append(f"{standard} {unit}: no stored assessment")
                continue
            compare(f"{standard} {unit}", want, doc, problems)
            checked += 1
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{checked} expected assessments checked, {len(problems)} problems", file=sys.stderr)
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
