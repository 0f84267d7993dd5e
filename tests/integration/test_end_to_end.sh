#!/usr/bin/env bash
# The whole path, real at every step: the example units go through the CLI
# to the broker, two workers evaluate them, PostgreSQL keeps the verdicts,
# and the stored verdicts match the ones written by hand in
# examples/expectations.json.
source "$(dirname "$0")/lib.sh"
cd "$ASSAY_SOURCE_DIR"
STANDARD=all

stack_start 2
units=(examples/units/*.json)
count=${#units[@]}
((count >= 20)) || fail "expected at least 20 example units, found $count"

log "submit $count units against all standards and wait"
rc=0
assay submit examples/units --standard "$STANDARD" --batch e2e --wait --timeout 120 \
  >"$WORK/submit.out" || rc=$?
assert_eq "$rc" 0 "exit code of submit --wait"
assert_exactly_once e2e "$count"

# Every verdict can be reproduced: it names the bundle and catalog it came from.
orphans=$(sql "SELECT count(*) FROM assessments a JOIN jobs j ON j.id = a.job_id
               LEFT JOIN bundles b ON b.sha256 = a.bundle_sha256
               LEFT JOIN catalogs c ON c.sha256 = a.catalog_sha256
               WHERE a.bundle_sha256 <> j.bundle_sha256 OR b.sha256 IS NULL OR c.sha256 IS NULL")
assert_eq "$orphans" 0 "assessments without their bundle or catalog"
# The stored form is compact (an outcome per assessment, the catalog
# stored once): the broker turns it back into result documents.
assay results e2e --format json | tail -n 1 | python3 -c '
import json, sys
for doc in json.load(sys.stdin)["assessments"]:
    print(json.dumps(doc))' >"$WORK/stored.jsonl" || fail "results --format json failed"
assert_eq "$(sql "SELECT count(*) FROM assessments WHERE outcome IS NULL OR result IS NOT NULL")" 0 \
  "assessments stored whole instead of as an outcome"
python3 tests/integration/check_expectations.py examples/expectations.json "$WORK/stored.jsonl" ||
  fail "stored verdicts differ from examples/expectations.json"

log "resubmitting the same batch returns the existing jobs"
assay submit examples/units --standard "$STANDARD" --batch e2e >/dev/null 2>"$WORK/resubmit.err" ||
  fail "resubmit failed: $(cat "$WORK/resubmit.err")"
jobs=$(sql "SELECT count(*) FROM jobs")
assert_eq "$jobs" "$count" "jobs after an identical resubmission"

log "results in every format"
standards=$(assay catalogs list | tail -n +2 | wc -l)
assay results e2e --format jsonl >"$WORK/results.jsonl"
assert_eq "$(wc -l <"$WORK/results.jsonl")" $((count * standards)) "jsonl lines (one per unit x standard)"
python3 - "$WORK/results.jsonl" <<'PY' || fail "jsonl lines lack the contract's fields"
import json, sys
for line in open(sys.argv[1]):
    doc = json.loads(line)
    for key in ("unit", "standard", "maturity", "readiness", "major_nc", "minor_nc"):
        assert key in doc, (key, doc)
PY
assay results e2e --format json | tail -n 1 | python3 -c 'import json,sys; json.load(sys.stdin)' ||
  fail "the last line of --format json is not one JSON document"
assay results e2e --format csv >"$WORK/results.csv"
head -n 1 "$WORK/results.csv" | grep -q 'unit' || fail "csv has no header"
(($(wc -l <"$WORK/results.csv") > count)) || fail "csv has fewer rows than one per unit"
assay results e2e --format table >"$WORK/results.table"
grep -q medtech-lyon-audit-overdue "$WORK/results.table" || fail "table shows no unit"

log "offline check gives what the distributed path stored"
for unit in "${units[@]}"; do
  id=$(basename "$unit" .json)
  assay check "$unit" --standard "$STANDARD" --format jsonl >"$WORK/check.jsonl"
  grep -F "\"unit\":\"$id\"" "$WORK/results.jsonl" >"$WORK/dist.jsonl" || true
  python3 - "$WORK/check.jsonl" "$WORK/dist.jsonl" <<'PY' || fail "assay check and results differ for $id"
import json, sys
key = lambda doc: doc["standard"]
a = sorted((json.loads(l) for l in open(sys.argv[1]) if l.strip()), key=key)
b = sorted((json.loads(l) for l in open(sys.argv[2]) if l.strip()), key=key)
assert a and a == b, (a, b)
PY
done

log "status and exit codes"
assay status e2e >/dev/null || fail "status of a known batch failed"
rc=0
assay status no-such-batch >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 4 "exit code of status for an unknown batch"
rc=0
assay wait e2e --timeout 10 >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 0 "exit code of wait on a finished batch"
log "passed"
