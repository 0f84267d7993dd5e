#!/usr/bin/env bash
# Malformed frames on a real stack (PROTOCOL.md section 9): garbage_client
# sends thousands of random, truncated, mutated and oversized (70 MiB)
# multipart messages to both broker endpoints. The broker must drop and
# count each one (malformed_client / malformed_worker grow by exactly what
# was sent), keep answering, keep its workers, not grow with every round
# (a leak per message would show in the broker's live heap), and still
# assess a good batch.
source "$(dirname "$0")/lib.sh"
cd "$ASSAY_SOURCE_DIR"
STANDARD=iso13485-2016
GARBAGE="$ASSAY_BIN_DIR/tests/integration/garbage_client"
[[ -x $GARBAGE ]] || fail "no $GARBAGE: build the tree first"
COUNT=${ASSAY_GARBAGE_COUNT:-3000}
if [[ ${ASSAY_VALGRIND:-0} == 1 ]]; then
  COUNT=${ASSAY_GARBAGE_COUNT:-500}   # memcheck decodes some 50 times slower
fi

counters() {
  assay stats --format json | tail -n 1 | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d["broker"]["counters"]
print(int(c["malformed_client"]), int(c["malformed_worker"]), len(d["workers"]))'
}

# The broker's live heap in KiB ("none" where it cannot be measured).
# Not RSS: after a burst glibc keeps freed memory cached, and how much
# depends on how big the backlog in ZeroMQ's queues grew, i.e. on load.
broker_heap_kib() {
  assay stats --format json | tail -n 1 | python3 -c '
import json, sys
heap = json.load(sys.stdin)["broker"]["heap_in_use_bytes"]
print("none" if heap is None else int(heap) // 1024)'
}


# round SEED OVERSIZED: one garbage run; checks the counters grew by
# exactly what garbage_client says it sent.
round() {
  local seed=$1 oversized=$2 client0 worker0 workers client1 worker1
  read -r client0 worker0 workers < <(counters)
  log "garbage round (seed $seed): $COUNT messages per endpoint, $oversized oversized"
  "$GARBAGE" --clients "$ASSAY_BROKER" --workers "$ASSAY_WORKER_ENDPOINT" --count "$COUNT" \
    --oversized "$oversized" --seed "$seed" >"$WORK/garbage.out" 2>"$WORK/garbage.err" ||
    fail "garbage_client did not send everything: $(cat "$WORK/garbage.err")"
  local sent_client sent_worker
  sent_client=$(sed -n 's/^malformed_client=//p' "$WORK/garbage.out")
  sent_worker=$(sed -n 's/^malformed_worker=//p' "$WORK/garbage.out")
  # The sockets lingered until everything was delivered; give the broker
  # time to drain its queue, then a moment more so overcounting shows.
  local limit=120
  [[ ${ASSAY_VALGRIND:-0} == 1 ]] && limit=720
  local deadline=$((SECONDS + limit))
  while read -r client1 worker1 workers < <(counters) &&
    ((client1 - client0 < sent_client || worker1 - worker0 < sent_worker)); do
    ((SECONDS < deadline)) ||
      fail "counted $((client1 - client0))/$sent_client client and $((worker1 - worker0))/$sent_worker worker messages"
    sleep 0.5
  done
  sleep 1
  read -r client1 worker1 workers < <(counters)
  assert_eq "$((client1 - client0))" "$sent_client" "malformed_client growth"
  assert_eq "$((worker1 - worker0))" "$sent_worker" "malformed_worker growth"
  assert_eq "$workers" 2 "workers the broker still knows"
}

stack_start 2
heap0=$(broker_heap_kib)

round 1 2
heap1=$(broker_heap_kib)
round 2 0
round 3 0
heap3=$(broker_heap_kib)
log "broker live heap: $heap0 KiB at start, $heap1 KiB after round 1, $heap3 KiB after round 3"
# Rounds 2 and 3 send about 12,600 messages, all drained by now: a leak of
# 50 bytes per message would pass 600 KiB (idle growth measured: ~25 KiB). Round 1 is the warm-up (caches,
# hash tables at their working size). Under AddressSanitizer the heap is
# not glibc's, so LeakSanitizer checks this at exit instead; under valgrind
# (ASSAY_VALGRIND) memcheck does.
if [[ $heap3 == none ]]; then
  sanitized_broker || fail "the broker reports no heap figure, yet it is not a sanitized build"
  log "sanitized broker: leaks are checked by LeakSanitizer at exit"
elif [[ ${ASSAY_VALGRIND:-0} != 1 ]]; then
  ((heap3 - heap1 < 512)) || fail "broker's live heap grew by $((heap3 - heap1)) KiB over two rounds of garbage"
fi

"$STACK" status >"$WORK/status.out" 2>&1 || fail "stack not all running: $(cat "$WORK/status.out")"
grep -q 'message dropped' "$ASSAY_STACK_DIR/logs/broker.log" || fail "the broker logged no dropped message"

log "a good batch still completes"
units=(examples/units/*.json)
rc=0
assay submit "${units[@]:0:8}" --standard "$STANDARD" --batch after-garbage --wait --timeout 180 \
  >"$WORK/submit.out" 2>"$WORK/submit.err" || rc=$?
assert_eq "$rc" 0 "exit code of submit --wait after the garbage ($(tail -n 2 "$WORK/submit.err"))"
assert_exactly_once after-garbage 8
log "passed"
