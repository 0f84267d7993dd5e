#!/usr/bin/env bash
# Graceful shutdown: SIGTERM to a worker finishes or hands back its
# in-flight jobs; SIGTERM to the broker stops intake, keeps what is durable
# and exits; `assay wait` interrupted exits 130 (SIGINT) or 143 (SIGTERM)
# and leaves the jobs running. Nothing is lost or doubled.
source "$(dirname "$0")/lib.sh"
UNITS=${ASSAY_TEST_UNITS:-2000}

# No workers yet: the batch must still be running while the waits are
# interrupted, however fast the machine drains it (a CI machine with more
# cores finished 2,000 units before the first signal).
stack_start 0
# All five standards: a batch long enough to stop a worker and then the
# broker in its course.
units=$(generate_units "$UNITS" 81 all)
assay submit "$units" --standard all --batch calm >/dev/null

# While the batch is young: an interrupted wait leaves it running.
for signal in INT TERM; do
  assay wait calm --timeout 300 >/dev/null 2>"$WORK/wait-$signal.err" &
  waiter=$!
  sleep 1
  kill -"$signal" "$waiter" || fail "wait ended before SIG$signal: $(cat "$WORK/wait-$signal.err")"
  rc=0
  wait "$waiter" || rc=$?
  expected=$([[ $signal == INT ]] && echo 130 || echo 143)
  assert_eq "$rc" "$expected" "exit code of wait on SIG$signal"
done
assert_eq "$(jobs_in calm cancelled)" 0 "jobs cancelled by an interrupted wait"
"$STACK" start-worker 1 >&2
"$STACK" start-worker 2 >&2

wait_done calm $((UNITS / 5))
log "SIGTERM worker-1"
"$STACK" stop-worker 1 >&2
grep -q 'stopped' "$ASSAY_STACK_DIR/logs/worker-1.log" || fail "worker-1 did not stop cleanly"
"$STACK" start-worker 1 >&2

wait_done calm $((UNITS / 2))
log "SIGTERM broker"
"$STACK" stop-broker >&2
grep -q 'broker: stopped' "$ASSAY_STACK_DIR/logs/broker.log" || fail "the broker did not stop cleanly"
"$STACK" start-broker >&2


rc=0
assay wait calm --timeout 300 >/dev/null || rc=$?
assert_eq "$rc" 0 "exit code of the final wait"
assert_exactly_once calm "$UNITS"
log "passed"
