#!/usr/bin/env bash
# The broker killed with SIGKILL, twice: once while a client waits on a
# running batch (the client keeps waiting and sees the batch finish), once
# in the middle of a submission (the client's retry with the same keys
# gets every job accepted once). Workers reconnect by themselves.
source "$(dirname "$0")/lib.sh"
UNITS=${ASSAY_TEST_UNITS:-2000}

stack_start 2
# Phase 1 assesses all five standards: the batch must outlast the kill.
units=$(generate_units "$UNITS" 21 all)

log "phase 1: kill the broker while a client waits"
assay submit "$units" --standard all --batch bk1 >/dev/null
assay wait bk1 --timeout 300 >"$WORK/wait.out" 2>"$WORK/wait.err" &
waiter=$!
wait_done bk1 $((UNITS / 4))
log "kill -9 broker at $(jobs_in bk1 done) done"
"$STACK" kill-broker >&2
sleep 1
"$STACK" start-broker >&2
rc=0
wait "$waiter" || rc=$?
assert_eq "$rc" 0 "exit code of the wait that spanned the broker restart"
assert_exactly_once bk1 "$UNITS"

log "phase 2: kill the broker during a submission, then resubmit"
units2=$(generate_units "$UNITS" 22)
rc=0
assay submit "$units2" --standard iso13485-2016 --batch bk2 >/dev/null 2>"$WORK/submit2.err" &
submitter=$!
sleep 0.7
"$STACK" kill-broker >&2
accepted_before=$(jobs_in bk2)
log "broker killed with $accepted_before jobs of bk2 committed"
sleep 1
"$STACK" start-broker >&2
wait "$submitter" || rc=$?
log "interrupted submit exited $rc"
# A scheduler retries: the same keys give the same jobs, never doubles.
assay submit "$units2" --standard iso13485-2016 --batch bk2 --wait --timeout 300 >/dev/null
assert_exactly_once bk2 "$UNITS"
assert_eq "$(sql "SELECT count(*) FROM jobs")" $((2 * UNITS)) "jobs in the database"
log "passed"
