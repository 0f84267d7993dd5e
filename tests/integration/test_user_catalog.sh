#!/usr/bin/env bash
# User catalogs (docs/user-catalogs.md): the worked example
# examples/catalogs/acme-supplier-security.json lints clean; broken copies
# of it report every listed error class, each with a JSON Pointer, in one
# run; the example unit is assessed with it offline (--catalogs and
# ASSAY_CATALOGS alike), with its mappings into ISO/IEC 27002 and the
# evidence it shares with that standard; a folder can override a bundled
# catalog by id; and a stack whose broker and workers load the folder
# stores the same result as the offline check.
source "$(dirname "$0")/lib.sh"

CATALOGS="$ASSAY_SOURCE_DIR/examples/catalogs"
CATALOG="$CATALOGS/acme-supplier-security.json"
UNIT="$ASSAY_SOURCE_DIR/examples/user-units/nordcloud-hosting-acme-supplier.json"

log "the example catalog lints clean"
assay catalogs lint "$CATALOG" --format json >"$WORK/lint-ok.json" 2>"$WORK/lint-ok.err" ||
  fail "lint of the example catalog failed: $(cat "$WORK/lint-ok.err")"
assert_eq "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/lint-ok.json")" 0 \
  "diagnostics for the example catalog"

log "a broken copy reports every error class, with pointers, in one run"
python3 - "$CATALOG" "$WORK/broken.json" <<'PY'
import json, sys
catalog = json.load(open(sys.argv[1]))
clause = {c["id"]: c for c in catalog["clauses"]}
catalog["extends"] = "acme-base-2025"                                   # dangling extends
clause["SSR-1.1"]["checks"][0]["expr"] = {"matches": [{"var": "title"}, "^Info"]}  # unknown operator
clause["SSR-1.2"]["checks"][0]["expr"]["evidence"][0] = "acme_questionaire"        # unknown kind
clause["SSR-2.1"]["checks"][1]["id"] = "SSR-2.1/signed"                 # duplicate check id
catalog["clauses"].append({"id": "SSR-3", "title": "Again", "parent": None,
                           "kind": "requirement"})                      # duplicate clause id
clause["SSR-4.2"]["parent"] = "SSR-5"                                   # dangling parent
clause["SSR-4.1"]["maps_to"][0] = "iso27002-2022:8.99"                  # dangling maps_to
clause["SSR-2.2"]["checks"][2]["level"] = 7     # level outside 1-5, and so level 5 unreachable
clause["SSR-4"]["applies_if"] = {"var": "$unit.attributes.hosts_acme_service"}  # undeclared attribute
json.dump(catalog, open(sys.argv[2], "w"), indent=1)
PY
rc=0
assay catalogs lint "$WORK/broken.json" --format json >"$WORK/lint-broken.json" 2>"$WORK/lint-broken.err" || rc=$?
assert_eq "$rc" 2 "exit code of lint on the broken copy"
python3 - "$WORK/lint-broken.json" <<'PY' || fail "lint missed an error class (above)"
import json, sys
diags = json.load(open(sys.argv[1]))
expected = [  # (class, severity, pointer, message fragment)
    ("unknown operator", "error", "/clauses/1/checks/0/expr/matches", 'unknown operator "matches"'),
    ("unknown evidence kind", "error", "/clauses/2/checks/0/expr/evidence/0", 'unknown evidence kind "acme_questionaire"'),
    ("duplicate check id", "error", "/clauses/4/checks/1/id", 'duplicate check id "SSR-2.1/signed"'),
    ("duplicate clause id", "error", "/clauses/10/id", 'duplicate clause id "SSR-3"'),
    ("dangling parent", "error", "/clauses/9/parent", 'parent "SSR-5"'),
    ("dangling extends", "error", "/extends", 'base catalog "acme-base-2025" is not loaded'),
    ("dangling maps_to", "error", "/clauses/8/maps_to/0", 'has no clause "8.99"'),
    ("level outside 1-5", "error", "/clauses/5/checks/2/level", "from 1 to 5"),
    ("unreachable level", "warning", "/levels/5", "no check evidences level 5"),
    ("applies_if over an undeclared attribute", "warning", "/clauses/7/applies_if/var",
     'undeclared unit attribute "hosts_acme_service"'),
]
missing = 0
for name, severity, where, fragment in expected:
    hits = [d for d in diags if d["severity"] == severity and d["where"] == where and fragment in d["message"]]
    if not hits:
        print(f"missing {name}: {severity} at {where} with {fragment!r}", file=sys.stderr)
        missing += 1
    else:
        print(f"ok: {name}: {where}: {hits[0]['message']}", file=sys.stderr)
for d in diags:
    if not d["where"].startswith("/"):
        print(f"diagnostic without a JSON Pointer: {d}", file=sys.stderr)
        missing += 1
sys.exit(1 if missing else 0)
PY
grep -q "8 errors, 2 warnings" <(assay catalogs lint "$WORK/broken.json" 2>/dev/null) ||
  fail "the table verdict does not count 8 errors and 2 warnings (each reported once)"

log "without the folder, the unit's own kinds are unknown"
rc=0
assay check "$UNIT" --standard iso27002-2022 >/dev/null 2>"$WORK/nocat.err" || rc=$?
assert_eq "$rc" 2 "exit code of check without the user catalog"
grep -q "acme_security_questionnaire" "$WORK/nocat.err" || fail "the error does not name the unknown kind: $(cat "$WORK/nocat.err")"

log "the unit assessed with the user catalog"
assay check "$UNIT" --catalogs "$CATALOGS" --standard acme-supplier-security --format json >"$WORK/check.json"
ASSAY_CATALOGS="$CATALOGS" assay check "$UNIT" --standard acme-supplier-security --format json >"$WORK/check-env.json"
cmp -s "$WORK/check.json" "$WORK/check-env.json" || fail "--catalogs and ASSAY_CATALOGS give different results"
python3 - "$WORK/check.json" <<'PY' || fail "the example unit's result is not what docs/user-catalogs.md says"
import json, sys
(a,) = json.load(open(sys.argv[1]))["assessments"]
clauses = {c["id"]: c for c in a["clauses"]}
checks = {c["id"]: c for c in a["checks"]}
maps = {m["target"]: m for m in a["mappings"]}
problems = []
def want(what, got, expected):
    if got != expected:
        problems.append(f"{what}: {got!r}, expected {expected!r}")
want("readiness", a["readiness"], "conditional")
want("maturity", a["maturity"], 3)
want("minor_nc", a["minor_nc"], 1)
want("major_nc", a["major_nc"], 0)
want("SSR-3 status", clauses["SSR-3"]["status"], "minor_nc")
want("SSR-3 level", clauses["SSR-3"]["level"], 2)
want("SSR-4.1 level", clauses["SSR-4.1"]["level"], 4)
want("SSR-3/drill evidence", checks["SSR-3/drill"]["evidence"], ["DRILL-2025"])
want("SSR-4.1/tested expired", checks["SSR-4.1/tested"]["expired"], ["PT-2025-EDI"])
want("mapping to 5.1", maps["iso27002-2022:5.1"], {"clause": "SSR-1.1", "target": "iso27002-2022:5.1", "evidenced": True})
want("mapping to 5.20", maps["iso27002-2022:5.20"]["evidenced"], False)
want("mapping to 8.29 (not applicable: no development)", maps["iso27002-2022:8.29"],
     {"clause": "SSR-4.1", "target": "iso27002-2022:8.29", "evidenced": None, "applicable": False})
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

log "evidence reuse between the user catalog and ISO/IEC 27002"
assay check "$UNIT" --catalogs "$CATALOGS" --standard acme-supplier-security,iso27002-2022 --format json >"$WORK/both.json"
python3 - "$WORK/both.json" <<'PY' || fail "evidence reuse is not shown"
import json, sys
doc = json.load(open(sys.argv[1]))
reuse = {r["evidence"]: r for r in doc["evidence_reuse"]}
policy = reuse.get("POL-ISMS")
assert policy, f"POL-ISMS not listed as reused: {sorted(reuse)}"
assert policy["standards"] == ["acme-supplier-security", "iso27002-2022"], policy
assert "SSR-1.1" in policy["clauses"]["acme-supplier-security"], policy
assert "5.1" in policy["clauses"]["iso27002-2022"], policy
assert "QST-2026" not in reuse, "an item of the user catalog's own kind served one standard only"
print(f"ok: {len(reuse)} items reused, POL-ISMS serves {policy['clauses']}", file=sys.stderr)
PY
assay check "$UNIT" --catalogs "$CATALOGS" --standard acme-supplier-security,iso27002-2022 |
  grep -q "^evidence reuse: [1-9][0-9]* items\? served clauses of two or more standards, in 1 unit$" ||
  fail "the table has no evidence reuse line"

log "a folder overrides a bundled catalog by id"
mkdir -p "$WORK/override"
python3 - "$ASSAY_SOURCE_DIR/catalogs/iso27002-2022.json" "$WORK/override/iso27002-2022.json" <<'PY'
import json, sys
catalog = json.load(open(sys.argv[1]))
catalog["title"] = "ISO/IEC 27002 as ACME reads it"
for clause in catalog["clauses"]:
    if clause["id"] == "5.1":           # policy reviewed every 2 years instead of every year
        for check in clause["checks"]:
            if check["id"] == "5.1/reviewed":
                check["expr"]["evidence"][1]["and"][2]["<="][2] = 730
json.dump(catalog, open(sys.argv[2], "w"))
PY
assay catalogs list --catalogs "$WORK/override" | grep -q "ISO/IEC 27002 as ACME reads it" ||
  fail "catalogs list does not show the overriding catalog"
assay check "$UNIT" --catalogs "$CATALOGS:$WORK/override" --standard iso27002-2022 --format json >"$WORK/override.json"
assay check "$UNIT" --catalogs "$CATALOGS" --standard iso27002-2022 --format json >"$WORK/bundled.json"
python3 - "$WORK/override.json" "$WORK/bundled.json" "$WORK/override/iso27002-2022.json" <<'PY' || fail "the override was not used"
import hashlib, json, sys
(over,) = json.load(open(sys.argv[1]))["assessments"]
(bundled,) = json.load(open(sys.argv[2]))["assessments"]
sha = hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
assert over["catalog_sha256"] == sha, (over["catalog_sha256"], sha)
assert bundled["catalog_sha256"] != sha
PY

log "a stack whose broker and workers load the folder stores the same result"
export ASSAY_CATALOGS="$CATALOGS"
stack_start 1
assay submit "$UNIT" --standard acme-supplier-security --batch user-catalog --wait --timeout 120 >/dev/null
assay results user-catalog --format json >"$WORK/stored.json"
python3 - "$WORK/stored.json" "$WORK/check.json" <<'PY' || fail "the stored result differs from assay check"
import json, sys
stored = json.load(open(sys.argv[1]))["assessments"]
offline = json.load(open(sys.argv[2]))["assessments"]
assert stored == offline, "stored and offline results differ"
PY
log "passed"
