#!/usr/bin/env bash
# Poison jobs: jobs whose evaluation fails on every worker (here: the
# broker knows a catalog the workers were not given, a fleet out of step)
# are retried with backoff, dead-lettered after the last attempt with their
# error history, and the rest of the batch completes. `assay retry`
# requeues dead letters; `assay cancel` stops the queued jobs of a batch.
source "$(dirname "$0")/lib.sh"
UNITS=${ASSAY_TEST_UNITS:-2000}

mkdir -p "$WORK/extra"
python3 - "$ASSAY_SOURCE_DIR/catalogs/iso13485-2016.json" "$WORK/extra/poison.json" <<'PY'
import json, sys
catalog = json.load(open(sys.argv[1]))
catalog["id"] = "poison-13485"
catalog["title"] = "A catalog only the broker has"
json.dump(catalog, open(sys.argv[2], "w"))
PY
export ASSAY_BROKER_FLAGS="--catalogs $WORK/extra --retry-backoff-ms 200"
stack_start 2

units=$(generate_units "$UNITS" 61)
assay submit "$units" --standard iso13485-2016 --batch mixed >/dev/null
mkdir -p "$WORK/poison"
cp "$ASSAY_SOURCE_DIR"/examples/units/medtech-lyon-audit-overdue.json \
   "$ASSAY_SOURCE_DIR"/examples/units/novocardia-startup.json "$WORK/poison/"
ASSAY_CATALOGS="$WORK/extra" assay submit "$WORK/poison" --standard poison-13485 --batch mixed >/dev/null

rc=0
assay wait mixed --timeout 300 >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 3 "exit code of wait on a batch with dead letters"
assert_eq "$(jobs_in mixed dead)" 2 "dead-lettered jobs"
assert_eq "$(jobs_in mixed done)" "$UNITS" "jobs done beside them"
history=$(sql "SELECT jsonb_array_length(errors) FROM jobs WHERE state = 'dead' LIMIT 1")
assert_eq "$history" 3 "error history entries of a dead letter (one per attempt)"
sql "SELECT errors::text FROM jobs WHERE state = 'dead' LIMIT 1" | grep -q 'poison-13485' ||
  fail "the error history does not say what failed"
duplicates=$(sql "SELECT count(*) FROM (SELECT job_id, standard FROM assessments GROUP BY 1, 2 HAVING count(*) > 1) d")
assert_eq "$duplicates" 0 "duplicate assessments"

log "assay retry requeues the dead letters"
assay retry mixed >"$WORK/retry.out"
grep -q 2 "$WORK/retry.out" || fail "retry did not say it requeued 2 jobs: $(cat "$WORK/retry.out")"
wait_for 60 bash -c "[[ \$($STACK psql -XAtq -c \"SELECT count(*) FROM jobs WHERE state = 'dead' AND jsonb_array_length(errors) >= 6\") == 2 ]]" ||
  fail "the retried dead letters did not run their attempts again"

log "assay cancel stops the queued jobs of a batch"
# Stopped (not killed) workers say goodbye, so the broker has no one to
# lease to; with killed ones it would lease up to their credit before it
# declared them lost, and those jobs would be running, not queued.
"$STACK" stop-worker 1 >&2
"$STACK" stop-worker 2 >&2
no_workers() { [[ $(assay stats --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["workers"]))') == 0 ]]; }
wait_for 30 no_workers || fail "the broker still counts workers after both stopped"
units2=$(generate_units "$UNITS" 62)
assay submit "$units2" --standard iso13485-2016 --batch to-cancel >/dev/null
assay cancel to-cancel >"$WORK/cancel.out"
assert_eq "$(jobs_in to-cancel cancelled)" "$UNITS" "cancelled jobs"
"$STACK" start-worker 1 >&2
"$STACK" start-worker 2 >&2
sleep 3
assert_eq "$(sql "SELECT count(*) FROM assessments a JOIN batch_jobs bj ON bj.job_id = a.job_id JOIN batches b ON b.id = bj.batch_id WHERE b.name = 'to-cancel'")" 0 \
  "assessments of cancelled jobs"
log "passed"
