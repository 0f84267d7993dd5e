#!/usr/bin/env bash
# PostgreSQL stopped mid-batch and started again: while it is down the
# broker refuses submissions with the retryable code (75) and accepts
# nothing it cannot persist; workers keep their finished results and
# commit them once it is back; nothing is lost or doubled.
source "$(dirname "$0")/lib.sh"
UNITS=${ASSAY_TEST_UNITS:-2000}

stack_start 2
# All five standards: the batch must still be running when the database
# stops (one standard's 2,000 units finish in a few seconds now).
units=$(generate_units "$UNITS" 31 all)
assay submit "$units" --standard all --batch pg >/dev/null
wait_done pg $((UNITS / 4))
log "stopping PostgreSQL at $(jobs_in pg done) done"
"$STACK" pg-stop >&2

rc=0
assay submit "$ASSAY_SOURCE_DIR/examples/units" --standard iso13485-2016 \
  --batch while-down >/dev/null 2>"$WORK/down.err" || rc=$?
assert_eq "$rc" 75 "exit code of a submission while the database is down"
grep -qi 'retry\|unavailable' "$WORK/down.err" || fail "no retry hint: $(cat "$WORK/down.err")"

sleep 2
log "starting PostgreSQL again"
"$STACK" pg-start >&2
rc=0
assay wait pg --timeout 300 >/dev/null || rc=$?
assert_eq "$rc" 0 "exit code of wait after the restart"
assert_exactly_once pg "$UNITS"
assert_eq "$(sql "SELECT count(*) FROM batches WHERE name = 'while-down'")" 0 \
  "jobs of the submission refused while down"
log "passed"
