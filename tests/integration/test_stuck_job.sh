#!/usr/bin/env bash
# A job that outlives its deadline while its worker keeps heartbeating is
# requeued: heartbeats say the worker lives, the deadline says the job is
# stuck. The other jobs of the batch finish exactly once, and the worker
# is not declared lost.
source "$(dirname "$0")/lib.sh"
UNITS=${ASSAY_TEST_UNITS:-2000}
export ASSAY_BROKER_FLAGS="--deadline-ms 400 --retry-backoff-ms 100"

stack_start 2
units=$(generate_units "$UNITS" 51)
# One unit with 60,000 evidence items: seconds of evaluation and storage,
# far past a 400 ms deadline, while normal units take milliseconds.
python3 - "$ASSAY_SOURCE_DIR/examples/units/precisa-calibration-expired.json" "$units/zz-huge.json" <<'PY'
import json, sys
bundle = json.load(open(sys.argv[1]))
bundle["unit"]["id"] = "zz-huge-unit"
template = {item["kind"]: item for item in bundle["evidence"]}
extra = []
while len(extra) < 60000:
    for kind, item in template.items():
        copy = dict(item, id=f"HUGE-{len(extra)}")
        extra.append(copy)
bundle["evidence"] += extra
json.dump(bundle, open(sys.argv[2], "w"))
PY
assay submit "$units" --standard iso13485-2016 --batch stuck >/dev/null
rc=0
assay wait stuck --timeout 300 >/dev/null 2>&1 || rc=$?
log "wait exited $rc"
errors=$(sql "SELECT errors::text FROM jobs WHERE unit_id = 'zz-huge-unit'")
log "the huge job's error history: ${errors:0:300}"
[[ $errors == *deadline* ]] || fail "the huge job was never requeued for its deadline"
grep -q 'removed' "$ASSAY_STACK_DIR/logs/broker.log" && fail "a heartbeating worker was declared lost"
# Every other job is done exactly once.
others=$(sql "SELECT count(*) FROM jobs WHERE unit_id <> 'zz-huge-unit' AND state = 'done'")
assert_eq "$others" "$UNITS" "normal jobs done"
duplicates=$(sql "SELECT count(*) FROM (SELECT job_id, standard FROM assessments GROUP BY 1, 2 HAVING count(*) > 1) d")
assert_eq "$duplicates" 0 "duplicate assessments"
state=$(sql "SELECT state FROM jobs WHERE unit_id = 'zz-huge-unit'")
log "the huge job ended $state"
[[ $state == dead || $state == done ]] || fail "the huge job ended in state $state"
log "passed"
