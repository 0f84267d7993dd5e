#!/usr/bin/env bash
# History, human review and the operations view on a real stack: two runs
# of the same units where one unit improved between them (a recent internal
# audit added, as_of unchanged) -> `assay diff` shows its maturity change,
# readiness change and the closed 8.2.4 NC; `assay history` lists both runs;
# an assessor's override shows beside the machine verdict (which stays as
# stored), a newer one supersedes it, an expired one no longer applies;
# the SQL views for BI tools return the expected rows; `assay stats` shows
# both workers with heartbeats; a CSV manifest submission works.
source "$(dirname "$0")/lib.sh"
cd "$ASSAY_SOURCE_DIR"

UNIT=medtech-lyon-audit-overdue
STANDARDS=iso13485-2016,iso9001-2015
stack_start 2

# json_check FILE PYTHON: run PYTHON with `d` bound to the last line of FILE
# parsed as JSON; it fails the test by raising.
json_check() {
  python3 - "$1" "$2" <<'PY' || fail "check on $1 failed: $2"
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
exec(sys.argv[2])
PY
}

# expect_rc CODE WHAT COMMAND...: the command exits with CODE.
expect_rc() {
  local code=$1 what=$2 rc=0
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [[ $rc == "$code" ]] || fail "$what: expected exit $code, got $rc: $(cat "$WORK/err")"
  log "ok: $what exits $code"
}

log "two runs of three units; the second has $UNIT with a recent internal audit"
mkdir -p "$WORK/run-a" "$WORK/run-b"
for unit in $UNIT alpenmed-innsbruck-certified axleworks-tier1-pune; do
  cp "examples/units/$unit.json" "$WORK/run-a/"
  cp "examples/units/$unit.json" "$WORK/run-b/"
done
python3 - "$WORK/run-b/$UNIT.json" <<'PY'
import json, sys
path = sys.argv[1]
bundle = json.load(open(path))
processes = bundle["unit"]["attributes"]["processes"]
bundle["evidence"].append({"id": "IA-2026-02", "kind": "internal_audit", "type": "record",
                           "date": "2026-10-15", "scope": processes, "open_findings": 0,
                           "auditor": "Group QA (independent)"})
json.dump(bundle, open(path, "w"), indent=1)
PY
assay submit "$WORK/run-a" --standard "$STANDARDS" --batch hist-a --wait --timeout 120 -q >/dev/null ||
  fail "submit hist-a"
assay submit "$WORK/run-b" --standard "$STANDARDS" --batch hist-b --wait --timeout 120 -q >/dev/null ||
  fail "submit hist-b"
# The unchanged units are the same jobs (same key), filed under both batches.
assert_eq "$(sql "SELECT count(*) FROM jobs")" 4 "jobs (3 + the improved unit)"
job_a=$(sql "SELECT id FROM jobs WHERE unit_id = '$UNIT' ORDER BY id LIMIT 1")
job_b=$(sql "SELECT id FROM jobs WHERE unit_id = '$UNIT' ORDER BY id DESC LIMIT 1")

log "assay diff hist-a hist-b"
assay diff hist-a hist-b --format json >"$WORK/diff.json" || fail "diff --format json"
json_check "$WORK/diff.json" '
c = d["counts"]
assert c["pairs"] == 6 and c["changed"] == 2 and c["unchanged"] == 4, c
assert c["only_in_from"] == 0 and c["only_in_to"] == 0, c
assert c["maturity_up"] == 2 and c["maturity_down"] == 0 and c["new_nc"] == 0, c
pairs = {(p["unit"], p["standard"]): p for p in d["pairs"]}
assert set(pairs) == {("medtech-lyon-audit-overdue", "iso13485-2016"),
                      ("medtech-lyon-audit-overdue", "iso9001-2015")}, list(pairs)
p = pairs[("medtech-lyon-audit-overdue", "iso13485-2016")]
assert p["from"]["maturity"] == 3.65 and p["to"]["maturity"] == 3.68, p
assert p["maturity_change"] == 0.03, p
assert p["readiness_change"] == "not_ready -> conditional", p
assert p["from"]["major_nc"] == 1 and p["to"]["major_nc"] == 0, p
closed = {n["clause"]: n for n in p["closed_nc"]}
assert "8.2.4" in closed and closed["8.2.4"]["was"] == "major_nc", closed
assert closed["8.2.4"]["title"] == "Internal audit", closed
assert p["new_nc"] == [], p
'
assay diff hist-a hist-b --all --format json >"$WORK/diff-all.json" || fail "diff --all"
json_check "$WORK/diff-all.json" 'assert len(d["pairs"]) == 6 and sum(not p["changed"] for p in d["pairs"]) == 4, d'
assay diff hist-a hist-b >"$WORK/diff.table" || fail "diff table"
grep -q "closed 8.2.4 Internal audit: major_nc -> minor_nc" "$WORK/diff.table" ||
  fail "the diff table does not show the closed 8.2.4 NC: $(cat "$WORK/diff.table")"
grep -q "3.65 -> 3.68" "$WORK/diff.table" || fail "the diff table does not show the maturity change"
grep -q "not_ready -> conditional" "$WORK/diff.table" || fail "the diff table does not show the readiness change"
expect_rc 4 "diff with an unknown batch" assay diff hist-a no-such-batch
grep -q "no-such-batch" "$WORK/err" || fail "the diff error does not name the batch"
expect_rc 2 "diff with one batch" assay diff hist-a

log "assay history $UNIT"
assay history "$UNIT" --format json >"$WORK/history.json" || fail "history"
json_check "$WORK/history.json" '
rows = d["assessments"]
assert len(rows) == 4 and d["jobs"] == 2, d
runs = [(r["standard"], r["run"], r["batch"]) for r in rows]
assert runs == [("iso13485-2016", 1, "hist-a"), ("iso13485-2016", 2, "hist-b"),
                ("iso9001-2015", 1, "hist-a"), ("iso9001-2015", 2, "hist-b")], runs
assert rows[0]["maturity_change"] is None and rows[1]["maturity_change"] == 0.03, rows[:2]
assert rows[1]["readiness"] == "conditional" and rows[1]["previous_readiness"] == "not_ready", rows[1]
'
assay history "$UNIT" --standard iso13485-2016 >"$WORK/history.table" || fail "history table"
grep -q "hist-a" "$WORK/history.table" && grep -q "hist-b" "$WORK/history.table" ||
  fail "history table lacks a run: $(cat "$WORK/history.table")"
grep -q "iso9001-2015" "$WORK/history.table" && fail "history --standard shows another standard"
expect_rc 4 "history of an unknown unit" assay history no-such-unit

log "assay override: the assessor's verdict beside the machine's"
machine=$(sql "SELECT c.status FROM clause_results c JOIN assessments a ON a.id = c.assessment_id
               WHERE a.job_id = $job_b AND a.standard = 'iso13485-2016' AND c.clause_id = '8.2.4'")
assert_eq "$machine" minor_nc "machine verdict of 8.2.4 in hist-b"
stored_before=$(sql "SELECT md5(string_agg(COALESCE(a.result::text, a.outcome) || c.status, '' ORDER BY a.id, c.clause_id))
                     FROM assessments a JOIN clause_results c ON c.assessment_id = a.id")
expect_rc 2 "override of a clause in two standards without --standard" \
  assay override "$job_b" 8.2.4 --status conformant --reason r --by b
grep -q "say which standard" "$WORK/err" || fail "ambiguity not explained: $(cat "$WORK/err")"
expect_rc 2 "override without --reason" assay override "$job_b" 8.2.4 --standard iso13485-2016 --status conformant --by b
expect_rc 2 "override with a bad status" assay override "$job_b" 8.2.4 --standard iso13485-2016 --status waived --reason r --by b
expect_rc 2 "override with a bad date" assay override "$job_b" 8.2.4 --standard iso13485-2016 --status conformant --reason r --by b --expires 2027-02-30
expect_rc 2 "override of a heading clause" assay override "$job_b" 8.2 --standard iso13485-2016 --status conformant --reason r --by b
expect_rc 4 "override of an unknown clause" assay override "$job_b" 99.9 --standard iso13485-2016 --status conformant --reason r --by b
expect_rc 4 "override of an unknown job" assay override 999999 8.2.4 --standard iso13485-2016 --status conformant --reason r --by b
expect_rc 4 "override of a standard the job lacks" assay override "$job_b" 8.2.4 --standard iso27002-2022 --status conformant --reason r --by b
assert_eq "$(sql "SELECT count(*) FROM overrides")" 0 "overrides after refusals"

assay override "$job_b" 8.2.4 --standard iso13485-2016 --status conformant \
  --reason "IA-2026-02 closed the findings of IA-2025-03; verified on site" --by "A. Auditor" \
  --expires 2099-12-31 >"$WORK/override1.out" || fail "override 1"
grep -q "machine minor_nc, assessor conformant" "$WORK/override1.out" || fail "override 1 output: $(cat "$WORK/override1.out")"
assay override "$job_b" 8.2.4 --standard iso13485-2016 --status minor_nc \
  --reason "Second review: one finding still open" --by "B. Lead" --format json >"$WORK/override2.json" ||
  fail "override 2"
json_check "$WORK/override2.json" 'assert d["status"] == "minor_nc" and d["previous_status"] == "minor_nc" and d["active"] and d["replaces"] is not None, d'
assay override "$job_b" 8.5.2 --standard iso13485-2016 --status conformant --reason "Waiver that lapsed" \
  --by "C. Old" --expires 2020-01-01 >/dev/null 2>"$WORK/expired.err" || fail "override with a past expiry"
grep -q "does not apply" "$WORK/expired.err" || fail "no warning for an override that expired already"
assay override "$job_b" 9.2.1 --standard iso9001-2015 --status minor_nc --reason "Audit plan not yet approved" \
  --by "A. Auditor" >/dev/null || fail "override 3"

log "the machine verdict is never changed; the audit trail is append-only"
stored_after=$(sql "SELECT md5(string_agg(COALESCE(a.result::text, a.outcome) || c.status, '' ORDER BY a.id, c.clause_id))
                    FROM assessments a JOIN clause_results c ON c.assessment_id = a.id")
assert_eq "$stored_after" "$stored_before" "stored verdicts after overrides"
assert_eq "$(sql "SELECT count(*) FROM overrides")" 4 "override rows (none replaced in place)"
assert_eq "$(sql "SELECT count(*) FROM overrides WHERE superseded_by IS NOT NULL")" 1 "superseded overrides"
assert_eq "$(sql "SELECT o1.superseded_by = o2.id FROM overrides o1, overrides o2
                  WHERE o1.by = 'A. Auditor' AND o1.clause_id = '8.2.4' AND o2.by = 'B. Lead'")" t \
  "the first 8.2.4 override points at the one that replaced it"
if "$STACK" psql -XAtq -v ON_ERROR_STOP=1 -c "DELETE FROM overrides" >/dev/null 2>&1; then
  fail "overrides could be deleted"
fi
if "$STACK" psql -XAtq -v ON_ERROR_STOP=1 -c "UPDATE overrides SET status = 'conformant'" >/dev/null 2>&1; then
  fail "an override could be rewritten"
fi

log "results show the overridden verdict beside the machine verdict"
assay results hist-b --format json >"$WORK/results.json" || fail "results --format json"
json_check "$WORK/results.json" '
docs = {(a["unit"], a["standard"]): a for a in d["assessments"]}
a = docs[("medtech-lyon-audit-overdue", "iso13485-2016")]
clauses = {c["id"]: c for c in a["clauses"]}
assert clauses["8.2.4"]["status"] == "minor_nc" and clauses["8.5.2"]["status"] == "minor_nc", "machine verdicts"
ov = {o["clause"]: o for o in a["overrides"]}
assert set(ov) == {"8.2.4"}, ov   # superseded and expired ones do not apply
assert ov["8.2.4"]["status"] == "minor_nc" and ov["8.2.4"]["machine_status"] == "minor_nc", ov
assert ov["8.2.4"]["by"] == "B. Lead" and ov["8.2.4"]["reason"].startswith("Second review"), ov
b = docs[("medtech-lyon-audit-overdue", "iso9001-2015")]
assert [o["clause"] for o in b["overrides"]] == ["9.2.1"], b.get("overrides")
assert "overrides" not in docs[("alpenmed-innsbruck-certified", "iso13485-2016")]
'
assay results "$job_b" --format jsonl >"$WORK/results.jsonl" || fail "results jsonl of the job"
grep '"standard":"iso13485-2016"' "$WORK/results.jsonl" | grep -q '"overrides":\[{"id":[0-9]*,"clause":"8.2.4","status":"minor_nc","machine_status":"minor_nc"' ||
  fail "jsonl lacks the override: $(cat "$WORK/results.jsonl")"
assay results hist-b >"$WORK/results.table" || fail "results table"
grep -q "$UNIT  iso13485-2016  8.2.4: machine minor_nc, assessor minor_nc (by B. Lead)" "$WORK/results.table" ||
  fail "the results table does not show the override: $(cat "$WORK/results.table")"
assay results hist-b --format csv >"$WORK/results.csv" || fail "results csv"
head -n 1 "$WORK/results.csv" | grep -q ',status,major,minor,observations,override_status,override_by$' ||
  fail "csv header: $(head -n 1 "$WORK/results.csv")"
grep -q "^$UNIT,.*,iso9001-2015,.*,9.2.1,9.2,.*,conformant,0,0,[0-9]*,minor_nc,A. Auditor$" "$WORK/results.csv" ||
  fail "csv does not show 9.2.1's override beside its machine verdict"

log "assay overrides lists the trail"
assay overrides hist-b --format json >"$WORK/overrides.json" || fail "overrides --format json"
json_check "$WORK/overrides.json" '
o = d["overrides"]
assert d["kind"] == "batch" and len(o) == 4, d
states = [(x["clause"], x["by"], x["state"], x["active"]) for x in o]
assert states == [("8.2.4", "A. Auditor", "superseded", False), ("8.2.4", "B. Lead", "active", True),
                  ("8.5.2", "C. Old", "expired", False), ("9.2.1", "A. Auditor", "active", True)], states
first = o[0]
assert first["previous_status"] == "minor_nc" and first["status"] == "conformant", first
assert first["expires"] == "2099-12-31" and first["superseded_by"] == o[1]["id"], first
assert o[1]["replaces"] == first["id"] and o[1]["replaces_status"] == "conformant", o[1]
assert all(x["at"] and x["reason"] for x in o), o
'
assay overrides "$UNIT" >"$WORK/overrides.table" || fail "overrides of a unit"
grep -q "superseded by" "$WORK/overrides.table" && grep -q "expired" "$WORK/overrides.table" ||
  fail "overrides table: $(cat "$WORK/overrides.table")"
assay overrides hist-a --format json >"$WORK/overrides-a.json" || fail "overrides of hist-a"
json_check "$WORK/overrides-a.json" 'assert d["overrides"] == [], d'
expect_rc 4 "overrides of an unknown target" assay overrides no-such-thing

log "SQL views for BI tools"
assert_eq "$(sql "SELECT count(*) FROM assay_latest_assessments")" 6 "latest assessments (3 units x 2 standards)"
assert_eq "$(sql "SELECT batch || ' ' || maturity || ' ' || readiness || ' ' || effective_readiness || ' '
                         || effective_minor_nc || ' ' || active_overrides
                    FROM assay_latest_assessments WHERE unit_id = '$UNIT' AND standard = 'iso13485-2016'")" \
  "hist-b 3.68 conditional conditional 2 1" "latest iso13485 assessment of $UNIT"
assert_eq "$(sql "SELECT effective_major_nc || ' ' || effective_minor_nc || ' ' || effective_readiness
                    FROM assay_latest_assessments WHERE unit_id = '$UNIT' AND standard = 'iso9001-2015'")" \
  "$(sql "SELECT major_nc || ' ' || (minor_nc + 1) || ' not_ready' FROM assay_latest_assessments
          WHERE unit_id = '$UNIT' AND standard = 'iso9001-2015'")" \
  "iso9001 counts with 9.2.1 (conformant by machine) held as a minor NC"
assert_eq "$(sql "SELECT string_agg(run || ':' || batch || ':' || maturity || ':' || coalesce(maturity_delta::text, '-')
                                    || ':' || readiness_changed || ':' || coalesce(major_nc_delta::text, '-'), ' ' ORDER BY run)
                    FROM assay_assessment_trend WHERE unit_id = '$UNIT' AND standard = 'iso13485-2016'")" \
  "1:hist-a:3.65:-:false:- 2:hist-b:3.68:0.03:true:-1" "trend of $UNIT against iso13485-2016"
assert_eq "$(sql "SELECT count(*) FROM assay_assessment_trend")" 8 "trend rows (4 jobs x 2 standards)"
assert_eq "$(sql "SELECT string_agg(clause_id || ':' || machine_status || ':' || effective_status || ':' || overridden
                                    || ':' || coalesce(override_by, '-'), ' ' ORDER BY clause_id)
                    FROM assay_effective_clause_results
                   WHERE job_id = $job_b AND standard = 'iso13485-2016' AND clause_id IN ('8.2.4', '8.5.2', '8.2.1')")" \
  "8.2.1:conformant:conformant:false:- 8.2.4:minor_nc:minor_nc:true:B. Lead 8.5.2:minor_nc:minor_nc:false:C. Old" \
  "effective clause verdicts (the expired waiver does not apply)"
assert_eq "$(sql "SELECT effective_status FROM assay_effective_clause_results
                   WHERE job_id = $job_b AND standard = 'iso9001-2015' AND clause_id = '9.2.1'")" minor_nc \
  "9.2.1 effective verdict"
assert_eq "$(sql "SELECT count(*) FROM assay_effective_clause_results WHERE job_id = $job_a AND overridden")" 0 \
  "overrides of run b do not touch run a"

log "assay stats: queue, dead letters, both workers with heartbeats"
assay stats --format json >"$WORK/stats.json" || fail "stats --format json"
json_check "$WORK/stats.json" '
q = d["queue"]
assert q["queued_in_database"] == 0 and q["in_flight"] == 0 and q["dead_letters"] == 0, q
assert q["queued_in_memory"] == 0 and q["counted_in_database"] is True, q
w = sorted(d["workers"], key=lambda x: x["name"])
assert [x["name"] for x in w] == ["worker-1", "worker-2"], w
for x in w:
    assert x["last_heartbeat_ms"] < 3000 and x["last_heartbeat"].endswith("Z"), x
    assert x["rate_per_s"] >= 0 and "done_last_minute" in x and "rate_per_s_since_joined" in x, x
assert sum(x["done"] for x in w) == 4, w
assert sum(x["done_last_minute"] for x in w) <= 4, w
'
assay stats >"$WORK/stats.table" || fail "stats table"
for text in "dead letters" "in flight" "queued" worker-1 worker-2 "LAST HEARTBEAT" "RATE/S"; do
  grep -q "$text" "$WORK/stats.table" || fail "stats table lacks '$text': $(cat "$WORK/stats.table")"
done

log "a CSV manifest: unit id, bundle path (relative to it), standards per row"
mkdir -p "$WORK/manifest/bundles"
cp examples/units/catheterworks-galway.json examples/units/brakeline-tier1-zwickau.json \
  examples/units/cloudnest-saas-startup.json "$WORK/manifest/bundles/"
cat >"$WORK/manifest/units.csv" <<'CSV'
unit_id,bundle,standards
catheterworks-galway,bundles/catheterworks-galway.json,"iso13485-2016,iso9001-2015"
brakeline-tier1-zwickau,bundles/brakeline-tier1-zwickau.json,iatf16949-2016
cloudnest-saas-startup,bundles/cloudnest-saas-startup.json,
CSV
(cd /tmp && assay submit "$WORK/manifest/units.csv" --standard iso27002-2022 --batch hist-csv \
  --wait --timeout 120 >"$WORK/csv.out" 2>"$WORK/csv.err") || fail "CSV manifest submit: $(cat "$WORK/csv.err")"
grep -q "100% (3/3 finished" "$WORK/csv.err" || fail "no 100% progress line: $(cat "$WORK/csv.err")"
assert_eq "$(sql "SELECT string_agg(j.unit_id || '=' || array_to_string(j.standards, '+'), ' ' ORDER BY j.unit_id)
                    FROM jobs j JOIN batch_jobs bj ON bj.job_id = j.id JOIN batches b ON b.id = bj.batch_id
                   WHERE b.name = 'hist-csv'")" \
  "brakeline-tier1-zwickau=iatf16949-2016 catheterworks-galway=iso13485-2016+iso9001-2015 cloudnest-saas-startup=iso27002-2022" \
  "jobs of the manifest (row standards, else --standard)"
assert_exactly_once hist-csv 3
jobs_before=$(sql "SELECT count(*) FROM jobs")
printf 'unit_id,bundle\nsomeone-else,bundles/catheterworks-galway.json\n' >"$WORK/manifest/bad.csv"
expect_rc 2 "a manifest row whose unit_id is not the bundle's" assay submit "$WORK/manifest/bad.csv" --batch hist-bad
grep -q "bad.csv:2" "$WORK/err" || fail "the refusal does not name the manifest line: $(cat "$WORK/err")"
assert_eq "$(sql "SELECT count(*) FROM jobs")" "$jobs_before" "jobs after a refused manifest"

log "exports and --fail-on go by the verdicts that apply once assessors overrode them"
oscal_validator_setup
# The improved run of $UNIT against ISO 13485 alone (a new job: other
# standards, other key) has a few minor NCs: waiving each NC clause turns
# `--fail-on minor` from 1 into 0.
assay submit "$WORK/run-b/$UNIT.json" --standard iso13485-2016 --batch hist-waive --wait \
  --timeout 120 -q >/dev/null || fail "submit hist-waive"
waive_job=$(sql "SELECT j.id FROM jobs j JOIN batch_jobs bj ON bj.job_id = j.id
                   JOIN batches b ON b.id = bj.batch_id WHERE b.name = 'hist-waive'")
expect_rc 1 "results --fail-on minor before the waivers" assay results "$waive_job" --fail-on minor
count=0
while IFS='|' read -r standard clause status; do
  assay override "$waive_job" "$clause" --standard "$standard" --status conformant \
    --reason "Waived after review of $status" --by "W. Aiver" >/dev/null || fail "waiver of $standard $clause"
  count=$((count + 1))
done < <(sql "SELECT a.standard, c.clause_id, c.status FROM clause_results c
                JOIN assessments a ON a.id = c.assessment_id
               WHERE a.job_id = $waive_job AND c.assessed AND c.status IN ('major_nc', 'minor_nc')")
log "waived $count NC clauses of job $waive_job"
assay results "$waive_job" --fail-on minor,not-ready >"$WORK/waived.table" ||
  fail "results --fail-on minor,not-ready after waiving every NC: rc $?"
grep -q "$UNIT  iso13485-2016: readiness ready with the overrides (machine conditional)" "$WORK/waived.table" ||
  fail "the results table does not show the readiness the waivers give: $(cat "$WORK/waived.table")"
expect_rc 1 "results --fail-on maturity<5 (maturity stays the machine's)" \
  assay results "$waive_job" --fail-on 'maturity<5'
assay results "$waive_job" --format json >"$WORK/waived.json" || fail "results json of the waived job"
json_check "$WORK/waived.json" '
for a in d["assessments"]:
    assert a["major_nc"] + a["minor_nc"] > 0 or a["overrides"] == [], a["standard"]
    if a.get("overrides"):
        assert a["effective"] == {"readiness": "ready", "major_nc": 0, "minor_nc": 0}, a["effective"]
'
assay results "$waive_job" --format junit >"$WORK/waived.junit.xml" || fail "junit of the waived job"
python3 - "$WORK/waived.junit.xml" "$count" <<'PY' || fail "junit does not show the waivers beside the machine verdicts"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("failures") == "0", root.attrib
outs = [o.text for o in root.iter("system-out") if o.text and o.text.startswith("Assessor override: conformant (machine verdict ")]
assert len(outs) == int(sys.argv[2]), (len(outs), sys.argv[2])
assert all("by W. Aiver" in o and "Waived after review" in o for o in outs), outs
PY
assay results "$waive_job" --format oscal >"$WORK/waived.oscal.json" || fail "oscal of the waived job"
oscal_validate "$WORK/waived.oscal.json" || fail "oscal with overrides does not validate against $SCHEMA"
python3 - "$WORK/waived.oscal.json" "$count" <<'PY' || fail "oscal does not show the waivers beside the machine verdicts"
import json, sys
ar = json.load(open(sys.argv[1]))["assessment-results"]
props = lambda o: {p["name"]: p["value"] for p in o.get("props", [])}
waived = [f for r in ar["results"] for f in r.get("findings", []) if "machine-status" in props(f)]
assert len(waived) == int(sys.argv[2]), len(waived)
for f in waived:
    p = props(f)
    assert p["status"] == "conformant" and p["machine-status"] in ("major_nc", "minor_nc"), p
    assert p["override-by"] == "W. Aiver" and f["target"]["status"]["state"] == "satisfied", f
for r in ar["results"]:
    p = props(r)
    assert p["effective-readiness"] == "ready" and p["readiness"] != "ready", p
PY

for command in diff history override overrides stats; do
  assay "$command" --help >/dev/null || fail "assay $command --help"
done
log "passed"
