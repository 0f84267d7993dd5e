#!/usr/bin/env bash
# A worker killed with SIGKILL mid-batch loses nothing: the broker sees it
# go silent, requeues what it held, the others finish it, and every job is
# stored exactly once. Several kills, restarting the worker each time.
source "$(dirname "$0")/lib.sh"
cd "$ASSAY_SOURCE_DIR"
UNITS=${ASSAY_TEST_UNITS:-3000}
KILLS=${ASSAY_TEST_KILLS:-10}

stack_start 2
# Units with evidence for all five standards, assessed against all five:
# enough work that the batch outlasts ten kill-and-restart rounds (a batch
# of one standard now finishes before the second kill).
examples/generate --units "$UNITS" --seed 11 --standards all --out "$WORK/units"
assay submit "$WORK/units" --standard all --batch kill >/dev/null

done_count() { sql "SELECT count(*) FROM jobs WHERE state = 'done'"; }
for ((k = 1; k <= KILLS; k++)); do
  # Kill while the batch is still running, spread across it.
  target=$((UNITS * k / (KILLS + 2)))
  wait_for 120 bash -c "(( \$($STACK psql -XAtq -c \"SELECT count(*) FROM jobs WHERE state = 'done'\") >= $target ))" ||
    fail "batch stalled before $target jobs"
  worker=$(( (k % 2) + 1 ))
  log "kill -9 worker-$worker at $(done_count) done"
  "$STACK" kill-worker "$worker" >&2
  sleep 0.5
  "$STACK" start-worker "$worker" >&2
done

rc=0
assay wait kill --timeout 300 >/dev/null || rc=$?
assert_eq "$rc" 0 "exit code of wait"
assert_exactly_once kill "$UNITS"
workers=$(sql "SELECT count(DISTINCT worker) FROM assessments")
((workers >= 2)) || fail "only $workers worker(s) did the work"
requeued=$(sql "SELECT count(*) FROM jobs WHERE attempt > 1")
log "jobs run more than once after a kill: $requeued"
# The kills hit workers holding leases; those jobs must have been requeued.
((requeued >= 1)) || fail "no job was requeued: the kills missed the batch"
log "passed"
