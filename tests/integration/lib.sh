# lib.sh - what every integration test shares: a private stack of its own
# (PostgreSQL, broker, workers as real processes, started by scripts/stack
# in a fresh state folder), the CLI on PATH, and small assertions.
#
# Sourced by tests/integration/*.sh, which ctest runs with ASSAY_SOURCE_DIR
# (the checkout) and ASSAY_BIN_DIR (the build tree) set.

set -euo pipefail

: "${ASSAY_SOURCE_DIR:?ASSAY_SOURCE_DIR must point at the checkout}"
: "${ASSAY_BIN_DIR:?ASSAY_BIN_DIR must point at the build tree}"
export ASSAY_BIN_DIR
STACK="$ASSAY_SOURCE_DIR/scripts/stack"
TEST_NAME=$(basename "$0" .sh)
export PATH="$ASSAY_BIN_DIR/client:$ASSAY_BIN_DIR/broker:$ASSAY_BIN_DIR/worker:$PATH"

# Each test has its own state folder, so tests may run in parallel and a
# failed run leaves nothing behind but (on failure) its logs.
ASSAY_STACK_DIR=$(mktemp -d "/tmp/assay-$TEST_NAME.XXXXXX")
export ASSAY_STACK_DIR
WORK="$ASSAY_STACK_DIR/work"
mkdir -p "$WORK"

log() { printf '[%s %s] %s\n' "$TEST_NAME" "$(date +%T)" "$*" >&2; }

fail() {
  log "FAIL: $*"
  exit 1
}

# Under valgrind (ASSAY_VALGRIND=1): the processes of the stack and every
# `assay` call write memcheck logs into the state folder; any invalid
# access or definite leak fails the test.
VALGRIND_LOGS="$ASSAY_STACK_DIR/valgrind"
if [[ ${ASSAY_VALGRIND:-0} == 1 ]]; then
  mkdir -p "$VALGRIND_LOGS"
  VALGRIND="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=no --log-file=$VALGRIND_LOGS/%p.log"
  export ASSAY_WRAPPER="$VALGRIND"
  assay() { $VALGRIND "$ASSAY_BIN_DIR/client/assay" "$@"; }
fi

valgrind_verdict() {
  [[ ${ASSAY_VALGRIND:-0} == 1 ]] || return 0
  local bad
  bad=$(grep -lE 'Invalid (read|write|free)|uninitialised|definitely lost: [1-9]|Mismatched free' \
    "$VALGRIND_LOGS"/*.log 2>/dev/null || true)
  if [[ -n $bad ]]; then
    log "valgrind found errors:"
    for f in $bad; do cat "$f" >&2; done
    return 1
  fi
  log "valgrind: no invalid accesses, no definite leaks ($(ls "$VALGRIND_LOGS" | wc -l) processes)"
}

stack_cleanup() {
  local rc=$?
  if ((rc != 0)); then
    log "exit $rc; stack logs follow"
    "$STACK" logs 2>&1 | tail -n 80 >&2 || true
  fi
  # Stop first (SIGTERM: processes exit and valgrind writes its summary).
  "$STACK" stop >/dev/null 2>&1 || true
  if ((rc == 0)) && ! valgrind_verdict; then
    rc=1
  fi
  "$STACK" destroy >/dev/null 2>&1 || true
  exit "$rc"
}
trap stack_cleanup EXIT

# stack_start [WORKERS]: start and point the CLI at it.
stack_start() {
  "$STACK" start --workers "${1:-2}" >&2
  eval "$("$STACK" env)"
}

# sql QUERY: one value or rows, unaligned, from the stack's database.
sql() {
  "$STACK" psql -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
  [[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"
  log "ok: $3 = $1"
}

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# The exactly-once audit: every accepted job of the batch is done, with
# one assessment per standard, and nothing stored twice.
assert_exactly_once() {
  local batch=$1 expected_jobs=$2
  local jobs done assessments duplicates
  jobs=$(sql "SELECT count(*) FROM jobs j JOIN batches b ON b.id = j.batch_id WHERE b.name = '$batch'")
  assert_eq "$jobs" "$expected_jobs" "jobs accepted in $batch"
  done=$(sql "SELECT count(*) FROM jobs j JOIN batches b ON b.id = j.batch_id WHERE b.name = '$batch' AND j.state = 'done'")
  assert_eq "$done" "$expected_jobs" "jobs done in $batch"
  assessments=$(sql "SELECT count(*) FROM assessments a JOIN jobs j ON j.id = a.job_id JOIN batches b ON b.id = j.batch_id WHERE b.name = '$batch'")
  local standards
  standards=$(sql "SELECT coalesce(sum(cardinality(j.standards)), 0) FROM jobs j JOIN batches b ON b.id = j.batch_id WHERE b.name = '$batch'")
  assert_eq "$assessments" "$standards" "assessments (jobs x standards) in $batch"
  duplicates=$(sql "SELECT count(*) FROM (SELECT job_id, standard FROM assessments GROUP BY 1, 2 HAVING count(*) > 1) d")
  assert_eq "$duplicates" 0 "duplicate assessments"
  local stray
  stray=$(sql "SELECT count(*) FROM assessments a JOIN jobs j ON j.id = a.job_id WHERE a.attempt <> j.attempt")
  assert_eq "$stray" 0 "assessments written by a stale attempt"
}

# pid_of NAME: the pid of a stack process (broker, worker-K).
pid_of() { cat "$ASSAY_STACK_DIR/run/$1.pid"; }

# generate_units N SEED [STANDARDS]: N synthetic units (evidence for STANDARDS,
# default iso13485-2016) into $WORK/units-SEED; prints the folder.
generate_units() {
  local dir="$WORK/units-$2"
  "$ASSAY_SOURCE_DIR/examples/generate" --units "$1" --seed "$2" --standards "${3:-iso13485-2016}" \
    --out "$dir" >&2
  echo "$dir"
}

# jobs_in BATCH [STATE]: how many jobs of the batch (in that state).
jobs_in() {
  local filter=""
  [[ -n ${2:-} ]] && filter="AND j.state = '$2'"
  sql "SELECT count(*) FROM jobs j JOIN batch_jobs bj ON bj.job_id = j.id
       JOIN batches b ON b.id = bj.batch_id WHERE b.name = '$1' $filter"
}

# wait_done BATCH N [SECONDS]: until at least N jobs of the batch are done.
wait_done() {
  local deadline=$((SECONDS + ${3:-180}))
  while (($(jobs_in "$1" done) < $2)); do
    ((SECONDS < deadline)) || fail "$1: fewer than $2 jobs done after ${3:-180} s"
    sleep 0.2
  done
}

# broker_stat PATH: one number from `assay stats --format json` (python path).
broker_stat() {
  assay stats --format json | python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"
}

# oscal_validator_setup: find NIST's OSCAL 1.2.1 assessment-results schema
# (kept beside the checkout, ../shared/vendor/oscal-1.2.1/) and a python3
# with jsonschema and regex (NIST's patterns use \p{L}; Debian's python3
# has both once scripts/bootstrap ran); fail when either is missing.
# oscal_validate FILE then validates one export.
oscal_validator_setup() {
  SCHEMA="$ASSAY_SOURCE_DIR/../shared/vendor/oscal-1.2.1/oscal_assessment-results_schema.json"
  [[ -f $SCHEMA ]] ||
    fail "NIST's OSCAL schema is missing: expected $SCHEMA (shared/ is kept beside the checkout)"
  PYTHON=
  local candidate
  for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import jsonschema, regex' 2>/dev/null; then
      PYTHON=$candidate
      break
    fi
  done
  [[ -n $PYTHON ]] ||
    fail "no python3 with the modules jsonschema and regex: run scripts/bootstrap (python3-jsonschema, python3-regex)"
  log "validator: $PYTHON, schema: $SCHEMA"
}

oscal_validate() {
  "$PYTHON" "$ASSAY_SOURCE_DIR/tests/integration/validate_oscal.py" "$SCHEMA" "$1" >&2
}

# sanitized_broker: is the broker under test built with AddressSanitizer?
# (Not `nm | grep -q`: grep would stop reading, nm die of SIGPIPE, and
# pipefail turn a match into a failure.)
sanitized_broker() {
  local symbols
  symbols=$(nm -D "$ASSAY_BIN_DIR/broker/assay-broker" 2>/dev/null || true)
  symbols+=$(nm "$ASSAY_BIN_DIR/broker/assay-broker" 2>/dev/null || true)
  [[ $symbols == *__asan_init* ]]
}
