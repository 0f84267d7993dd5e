#!/usr/bin/env bash
# Malformed frames on a real stack (PROTOCOL.md section 9): garbage_client
# sends thousands of random, truncated, mutated and oversized (70 MiB)
# multipart messages to both broker endpoints. The broker must drop and
# count each one (malformed_client / malformed_worker grow by exactly what
# was sent), keep answering, keep its workers, not grow with every round
# (a leak per message would show), and still assess a good batch.
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

broker_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$(cat "$ASSAY_STACK_DIR/run/broker.pid")/status"; }

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
rss0=$(broker_rss_kib)

round 1 2
rss1=$(broker_rss_kib)
round 2 0
round 3 0
rss3=$(broker_rss_kib)
log "broker RSS: $rss0 KiB at start, $rss1 KiB after round 1, $rss3 KiB after round 3"
# Rounds 2 and 3 send about 12,600 messages: a leak of 1.3 KiB per message
# would pass 16 MiB. On a loaded machine a backlog of garbage waits in
# ZeroMQ's queues and the allocator keeps that memory (10 MiB seen), so the
# bound is loose; valgrind (ASSAY_VALGRIND) and LeakSanitizer (make
# test-asan) find leaks exactly.
if [[ ${ASSAY_VALGRIND:-0} != 1 ]]; then
  ((rss3 - rss1 < 16384)) || fail "broker grew by $((rss3 - rss1)) KiB over two rounds of garbage"
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
