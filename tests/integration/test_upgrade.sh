#!/usr/bin/env bash
# test_upgrade: verdicts stored under the schema before compact storage
# (sql/001 and 002: a row per clause, check and finding, and the whole
# result document) stay readable after sql/003_compact.sql, beside new
# compact ones, through every reader: the broker's results (byte for
# byte the documents that were stored), the SQL views, diff, history and
# overrides.
source "$(dirname "$0")/lib.sh"

UNITS=(medtech-lyon-audit-overdue brakeline-tier1-zwickau)
STANDARD=iso13485-2016,iso9001-2015

log "a database at the schema of migrations 001 and 002"
old_sql="$WORK/sql-before-003"
mkdir -p "$old_sql"
cp "$ASSAY_SOURCE_DIR"/sql/001_*.sql "$ASSAY_SOURCE_DIR"/sql/002_*.sql "$old_sql/"
ASSAY_SQL_DIR=$old_sql ASSAY_STACK_ONLY_DB=1 "$STACK" start >&2
assert_eq "$(sql "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations")" "001,002" \
  "migrations before the upgrade"

log "verdicts stored the old way: assay_store_result with whole documents"
catalogs_loaded=0
for unit in "${UNITS[@]}"; do
  file=$(grep -l "\"id\": *\"$unit\"" "$ASSAY_SOURCE_DIR"/examples/units/*.json | head -n 1)
  [[ -n $file ]] || fail "no example unit $unit"
  assay check "$file" --standard "$STANDARD" --format json | tail -n 1 >"$WORK/$unit.json"
  python3 - "$WORK/$unit.json" "$file" "$unit" >"$WORK/$unit.sql" <<'PY'
import hashlib, json, sys
docs = json.load(open(sys.argv[1]))["assessments"]
content = open(sys.argv[2]).read()
sha = hashlib.sha256(content.encode()).hexdigest()
unit = sys.argv[3]
standards = ",".join(d["standard"] for d in docs)
def q(text):
    return "'" + text.replace("'", "''") + "'"
print(f"SELECT job_id FROM assay_submit('legacy', {q('legacy:' + unit)}, {q(unit)}, "
      f"{q(standards)}, {q(sha)}, {q(content)}, 3) \\gset")
print("UPDATE jobs SET state = 'running', attempt = 1 WHERE id = :job_id;")
print(f"SELECT assay_store_result(:job_id, 1, 'old-worker', {q(json.dumps(docs))}::json);")
PY
done
# The catalogs the documents name, as the old worker recorded them.
python3 - "$ASSAY_SOURCE_DIR/catalogs" "$WORK"/*.json >"$WORK/catalogs.sql" <<'PY'
import hashlib, json, os, sys
folder, files = sys.argv[1], sys.argv[2:]
wanted = {d["standard"] for f in files for d in json.load(open(f))["assessments"]}
def q(text):
    return "'" + text.replace("'", "''") + "'"
for standard in sorted(wanted):
    text = open(os.path.join(folder, standard + ".json")).read()
    doc = json.loads(text)
    sha = hashlib.sha256(text.encode()).hexdigest()
    print(f"INSERT INTO catalogs (sha256, id, edition, title, content) VALUES ({q(sha)}, "
          f"{q(standard)}, {q(doc['edition'])}, {q(doc['title'])}, {q(text)}) ON CONFLICT DO NOTHING;")
PY
"$STACK" psql -XAq -v ON_ERROR_STOP=1 -f "$WORK/catalogs.sql" >/dev/null
for unit in "${UNITS[@]}"; do
  "$STACK" psql -XAq -v ON_ERROR_STOP=1 -f "$WORK/$unit.sql" >/dev/null
done
assert_eq "$(sql "SELECT count(*) FROM assessments")" 4 "legacy assessments stored"
legacy_clauses=$(sql "SELECT count(*) FROM clause_results")
legacy_checks=$(sql "SELECT count(*) FROM check_results")
legacy_findings=$(sql "SELECT count(*) FROM findings")
job=$(sql "SELECT id FROM jobs WHERE unit_id = 'medtech-lyon-audit-overdue'")
sql "INSERT INTO overrides (job_id, assessment_id, unit_id, standard, clause_id, status, reason, by,
                            previous_status)
     SELECT a.job_id, a.id, a.unit_id, a.standard, '8.2.4', 'conformant', 'closed on site',
            'A. Auditor', 'major_nc'
       FROM assessments a WHERE a.job_id = $job AND a.standard = 'iso13485-2016'" >/dev/null
sql "SELECT md5(string_agg(result::text, '' ORDER BY id)) FROM assessments" >"$WORK/documents.md5"

log "upgrade: migration 003, then the broker and workers"
"$STACK" migrate >&2
assert_eq "$(sql "SELECT count(*) FROM schema_migrations WHERE version = '003'")" 1 "003 applied"
# (the cluster may live in a temporary folder that stop removes: start the
# rest beside the running database)
stack_start 1

log "the stored documents are untouched and readable as before"
assert_eq "$(sql "SELECT md5(string_agg(result::text, '' ORDER BY id)) FROM assessments")" \
  "$(cat "$WORK/documents.md5")" "legacy documents after the upgrade"
assert_eq "$(sql "SELECT count(*) FROM clause_results")" "$legacy_clauses" "clause_results rows (view)"
assert_eq "$(sql "SELECT count(*) FROM check_results")" "$legacy_checks" "check_results rows (view)"
assert_eq "$(sql "SELECT count(*) FROM findings")" "$legacy_findings" "findings rows (view)"
assert_eq "$(sql "SELECT count(*) FROM assay_latest_assessments WHERE unit_name IS NULL OR org IS NULL")" 0 \
  "legacy assessments carry their unit's name and org"
assay results legacy --format json | tail -n 1 >"$WORK/legacy-results.json"
python3 - "$WORK/legacy-results.json" "$WORK"/medtech-lyon-audit-overdue.json "$WORK"/brakeline-tier1-zwickau.json <<'PY' ||
import json, sys
served = json.load(open(sys.argv[1]))["assessments"]
stored = [d for f in sys.argv[2:] for d in json.load(open(f))["assessments"]]
def key(d):
    return (d["unit"], d["standard"])
served = {key(d): d for d in served}
assert len(served) == len(stored) == 4, (len(served), len(stored))
for doc in stored:
    got = dict(served[key(doc)])
    overrides = got.pop("overrides", [])
    got.pop("effective", None)
    assert got == doc, key(doc)
    if key(doc) == ("medtech-lyon-audit-overdue", "iso13485-2016"):
        assert [o["clause"] for o in overrides] == ["8.2.4"], overrides
PY
  fail "legacy results differ from the stored documents"
assay overrides legacy --format json | tail -n 1 | grep -q '"clause":"8.2.4"' ||
  fail "the legacy override is not listed"

log "the same units assessed anew are stored compactly and compare equal"
for unit in "${UNITS[@]}"; do
  grep -l "\"id\": *\"$unit\"" "$ASSAY_SOURCE_DIR"/examples/units/*.json | head -n 1
done >"$WORK/files.txt"
assay submit $(cat "$WORK/files.txt") --standard "$STANDARD" --batch fresh --wait >/dev/null 2>&1 ||
  fail "fresh submission failed"
assert_eq "$(sql "SELECT count(*) FROM assessments WHERE outcome IS NOT NULL AND result IS NULL")" 4 \
  "new assessments stored compactly"
assert_eq "$(sql "SELECT count(*) FROM clause_results")" $((2 * legacy_clauses)) "clause rows, old and new"
assert_eq "$(sql "SELECT count(*) FROM findings")" $((2 * legacy_findings)) "findings, old and new"
# Row for row, the views give the new assessments what the old tables
# held for the old ones.
for view in "clause_results:clause_id, parent_id, title, assessed, applicable, level, status" \
            "check_results:check_id, clause_id, level, severity, status, evidence, expired, message" \
            "findings:check_id, clause_id, severity, text, evidence"; do
  name=${view%%:*} columns=${view#*:}
  differ=$(sql "SELECT count(*) FROM (
      (SELECT a.unit_id, a.standard, $columns FROM $name v JOIN assessments a ON a.id = v.assessment_id
        WHERE a.result IS NOT NULL
       EXCEPT SELECT a.unit_id, a.standard, $columns FROM $name v JOIN assessments a ON a.id = v.assessment_id
        WHERE a.outcome IS NOT NULL)
      UNION ALL
      (SELECT a.unit_id, a.standard, $columns FROM $name v JOIN assessments a ON a.id = v.assessment_id
        WHERE a.outcome IS NOT NULL
       EXCEPT SELECT a.unit_id, a.standard, $columns FROM $name v JOIN assessments a ON a.id = v.assessment_id
        WHERE a.result IS NOT NULL)) d")
  assert_eq "$differ" 0 "$name rows that differ between the legacy and the compact assessments"
done
assay diff legacy fresh --format json | tail -n 1 >"$WORK/diff.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["counts"]
assert c["pairs"] == 4 and c["changed"] == 0 and c["new_nc"] == 0 and c["closed_nc"] == 0, c
' "$WORK/diff.json" || fail "diff of the legacy and the fresh batch is not empty: $(cat "$WORK/diff.json")"
assay history medtech-lyon-audit-overdue --format json | tail -n 1 | python3 -c '
import json, sys
h = json.load(sys.stdin)
runs = [(a["standard"], a["run"]) for a in h["assessments"]]
assert sorted(runs) == [("iso13485-2016", 1), ("iso13485-2016", 2), ("iso9001-2015", 1), ("iso9001-2015", 2)], runs
' || fail "history does not show both runs"
log "ok"
