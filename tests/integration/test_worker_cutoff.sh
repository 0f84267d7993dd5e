#!/usr/bin/env bash
# A worker cut off (SIGSTOP) for longer than the heartbeat liveness, then
# resumed: the broker declares it lost and requeues its jobs, the other
# worker does them, and the late writes of the resumed worker are refused
# by the attempt guard and counted.
source "$(dirname "$0")/lib.sh"
UNITS=${ASSAY_TEST_UNITS:-2000}

stack_start 2
# All five standards: worker-1 must still hold leases when it is stopped.
units=$(generate_units "$UNITS" 41 all)
assay submit "$units" --standard all --batch cut >/dev/null
wait_done cut $((UNITS / 4))
victim=$(pid_of worker-1)
log "SIGSTOP worker-1 (pid $victim) at $(jobs_in cut done) done"
kill -STOP "$victim"
stopped_at=$SECONDS
# Liveness is 3 heartbeats of 1 s: within a few seconds its leases move.
wait_for 15 bash -c "grep -q 'worker worker-1 removed' '$ASSAY_STACK_DIR/logs/broker.log'" ||
  fail "the broker did not declare worker-1 lost"
log "worker-1 declared lost after $((SECONDS - stopped_at)) s"
sleep 1
kill -CONT "$victim"
log "SIGCONT worker-1"

rc=0
assay wait cut --timeout 300 >/dev/null || rc=$?
assert_eq "$rc" 0 "exit code of wait"
assert_exactly_once cut "$UNITS"
# Its in-flight results were refused by the attempt guard, and counted.
wait_for 20 bash -c "(( \$($STACK psql -XAtq -c 'SELECT count(*) FROM stale_writes') > 0 ))" ||
  fail "no late write was refused by the attempt guard"
log "stale writes refused: $(sql 'SELECT count(*) FROM stale_writes')"
stale=$(broker_stat "['broker']['counters']['stale']")
((stale > 0)) || fail "the broker did not count the stale writes"
kill -0 "$victim" || fail "the resumed worker died"
log "passed"
