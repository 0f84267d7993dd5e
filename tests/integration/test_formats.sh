#!/usr/bin/env bash
# The export formats on a real stack: a few example units (and one whose
# names need escaping) against all standards; `assay results --format
# oscal` validates against NIST's OSCAL 1.2.1 JSON schema (kept beside the
# checkout, ../shared/vendor/oscal-1.2.1/), `--format junit` parses as XML
# with one testsuite per unit x standard and one failure per nonconformity,
# and `assay check` prints both byte for byte as `results` does for the
# same bundles (both are deterministic: name-based UUIDs, as_of dates).
source "$(dirname "$0")/lib.sh"
cd "$ASSAY_SOURCE_DIR"

oscal_validator_setup

# A few example units of different kinds, and one whose texts need
# escaping in XML (markup characters, quotes, a control character, non-ASCII).
units="$WORK/units"
mkdir -p "$units"
mapfile -t picked < <(ls examples/units/*.json | awk 'NR % 9 == 1' | head -n 4)
((${#picked[@]} >= 3)) || fail "expected example units in examples/units"
cp "${picked[@]}" "$units/"
python3 - "${picked[0]}" "$units/zz-escape-test.json" <<'PY'
import json, sys
bundle = json.load(open(sys.argv[1]))
bundle["unit"]["id"] = "zz-escape-test"
bundle["unit"]["name"] = "Tricky <Name> & \"Quotes\" 'apos' \u0001 \u00fcn\u00efc\u00f6d\u00e9 ]]>"
bundle["evidence"][0]["id"] = "QM<&>\"1\""
json.dump(bundle, open(sys.argv[2], "w"), ensure_ascii=False)
PY
count=$(ls "$units" | wc -l)

stack_start 2
standards=$(assay catalogs list | tail -n +2 | wc -l)
((standards >= 5)) || fail "expected the bundled standards, found $standards"
log "submit $count units against all $standards standards"
rc=0
assay submit "$units" --standard all --batch formats --wait --timeout 120 >/dev/null || rc=$?
assert_eq "$rc" 0 "exit code of submit --wait"
assert_exactly_once formats "$count"
assay results formats --format json | tail -n 1 >"$WORK/results.json"

log "oscal: valid against NIST's schema"
rc=0
assay results formats --format oscal >"$WORK/results.oscal.json" || rc=$?
assert_eq "$rc" 0 "exit code of results --format oscal"
assert_eq "$(wc -l <"$WORK/results.oscal.json")" 1 "lines of --format oscal"
oscal_validate "$WORK/results.oscal.json" || fail "--format oscal does not validate against $SCHEMA"
python3 - "$WORK/results.json" "$WORK/results.oscal.json" "$((count * standards))" <<'PY' ||
import json, sys
assessments = json.load(open(sys.argv[1]))["assessments"]
ar = json.load(open(sys.argv[2]))["assessment-results"]
expected = int(sys.argv[3])
assert ar["metadata"]["oscal-version"] == "1.2.1", ar["metadata"]
results = ar["results"]
assert len(assessments) == expected and len(results) == expected, (len(assessments), len(results))
NS = "https://assay.example/ns/oscal"
uuids = set()
def collect(node):
    if isinstance(node, dict):
        if isinstance(node.get("uuid"), str):
            assert node["uuid"] not in uuids, ("uuid used twice", node["uuid"])
            uuids.add(node["uuid"])
        for value in node.values():
            collect(value)
    elif isinstance(node, list):
        for value in node:
            collect(value)
collect(ar)
for doc, result in zip(assessments, results):
    props = {p["name"]: p["value"] for p in result.get("props", []) if p.get("ns") == NS}
    assert props["unit"] == doc["unit"] and props["standard"] == doc["standard"], (props, doc["unit"])
    assert props["readiness"] == doc["readiness"], (props, doc["readiness"])
    assert float(props["maturity"]) == doc["maturity"], (props, doc["maturity"])
    assessed = [c for c in doc["clauses"] if c["assessed"]]
    applicable = [c for c in assessed if c["status"] != "not_applicable"]
    findings = result.get("findings", [])
    assert len(findings) == len(applicable), (doc["unit"], doc["standard"], len(findings))
    unsatisfied = sum(f["target"]["status"]["state"] == "not-satisfied" for f in findings)
    assert unsatisfied == doc["major_nc"] + doc["minor_nc"], (doc["unit"], doc["standard"])
    # Every check that was evaluated is an observation citing its evidence.
    observations = {o["uuid"]: o for o in result.get("observations", [])}
    evaluated = [c for c in doc["checks"] if c["status"] != "not_applicable"]
    assert len(observations) == len(evaluated), (doc["unit"], doc["standard"])
    for check, observation in zip(evaluated, result.get("observations", [])):
        cited = [p["value"] for e in observation.get("relevant-evidence", [])
                 for p in e.get("props", []) if p["name"] == "evidence-id"]
        assert cited == check["evidence"] + check["expired"], (check, cited)
    for finding in findings:
        for related in finding.get("related-observations", []):
            assert related["observation-uuid"] in observations, finding["uuid"]
print(f"oscal: {len(results)} results, {len(uuids)} distinct uuids", file=sys.stderr)
PY
  fail "--format oscal does not say what --format json says"

log "junit: one testsuite per unit x standard, one failure per nonconformity"
rc=0
assay results formats --format junit >"$WORK/results.junit.xml" || rc=$?
assert_eq "$rc" 0 "exit code of results --format junit"
python3 - "$WORK/results.json" "$WORK/results.junit.xml" "$((count * standards))" <<'PY' ||
import json, sys
import xml.etree.ElementTree as ET
assessments = json.load(open(sys.argv[1]))["assessments"]
root = ET.parse(sys.argv[2]).getroot()
expected = int(sys.argv[3])
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == expected, (len(suites), expected)
nc = sum(doc["major_nc"] + doc["minor_nc"] for doc in assessments)
failures = root.findall("./testsuite/testcase/failure")
assert len(failures) == nc and int(root.get("failures")) == nc, (len(failures), nc)
assert int(root.get("tests")) == len(root.findall("./testsuite/testcase"))
for doc, suite in zip(assessments, suites):
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["unit"] == doc["unit"] and props["standard"] == doc["standard"]
    assert props["unit_name"] == doc["unit_name"].replace("\u0001", "\ufffd"), props["unit_name"]
    assert props["readiness"] == doc["readiness"]
    cases = suite.findall("testcase")
    assessed = [c for c in doc["clauses"] if c["assessed"]]
    assert len(cases) == len(assessed) == int(suite.get("tests")), (doc["unit"], doc["standard"])
    skipped = sum(c["status"] == "not_applicable" for c in assessed)
    assert len(suite.findall("testcase/skipped")) == skipped == int(suite.get("skipped"))
    failed = suite.findall("testcase/failure")
    assert len(failed) == doc["major_nc"] + doc["minor_nc"] == int(suite.get("failures"))
    for clause, case in zip(assessed, cases):
        assert case.get("name").startswith(clause["id"] + " "), (case.get("name"), clause["id"])
        failure = case.find("failure")
        if clause["status"] in ("major_nc", "minor_nc"):
            assert failure is not None and failure.get("type") == clause["status"], clause
            severity = "[major]" if clause["status"] == "major_nc" else "[minor]"
            assert severity in failure.text and "evidence: " in failure.text, failure.text
            # Each blocking finding of the clause, with its evidence ids.
            for finding in doc["findings"]:
                if finding["clause"] == clause["id"] and finding["severity"] != "observation":
                    assert finding["check"] in failure.text, (finding, failure.text)
                    for item in finding["evidence"]:
                        assert item in failure.text, (item, failure.text)
        else:
            assert failure is None, clause
print(f"junit: {len(suites)} suites, {nc} failures", file=sys.stderr)
PY
  fail "--format junit does not have the expected structure"

log "check prints what results prints, byte for byte"
for format in junit oscal; do
  rc=0
  assay check "$units" --standard all --format "$format" >"$WORK/check.$format" || rc=$?
  assert_eq "$rc" 0 "exit code of check --format $format"
  assay results formats --format "$format" >"$WORK/results.$format"
  cmp -s "$WORK/check.$format" "$WORK/results.$format" ||
    fail "check and results differ in --format $format: $(diff <(tr '>' '\n' <"$WORK/check.$format") <(tr '>' '\n' <"$WORK/results.$format") | head -n 5)"
  log "ok: check --format $format = results --format $format ($(wc -c <"$WORK/check.$format") bytes)"
done
# One job alone is a document of its own, valid too.
job=$(sql "SELECT min(j.id) FROM jobs j JOIN batches b ON b.id = j.batch_id WHERE b.name = 'formats'")
assay results "$job" --format oscal >"$WORK/job.oscal.json"
oscal_validate "$WORK/job.oscal.json" ||
  fail "--format oscal of job $job does not validate"

log "passed"
