#!/usr/bin/env bash
# Bad input on a real stack (DESIGN.md "Bad input"): every case of
# tests/badinput/cases.txt gives exit 2 from `assay check` and from `assay
# submit`, with a message naming the file and the field or position; the
# broker refuses the same bytes with code 2 and the same field or position
# when a client skips validation (raw_client); and afterwards the broker and
# workers still run and nothing accepted before has changed.
source "$(dirname "$0")/lib.sh"
cd "$ASSAY_SOURCE_DIR"
CASES=tests/badinput
DEFAULT_STANDARD=iso13485-2016
RAW_CLIENT="$ASSAY_BIN_DIR/tests/integration/raw_client"
[[ -x $RAW_CLIENT ]] || fail "no $RAW_CLIENT: build the tree first"
raw_client() {
  if [[ ${ASSAY_VALGRIND:-0} == 1 ]]; then
    $VALGRIND "$RAW_CLIENT" "$@"
  else
    "$RAW_CLIENT" "$@"
  fi
}

# The cases too big to commit (16 MiB + 1, 10,000 deep, 9 MiB).
GENERATED="$WORK/generated"
"$CASES/generate" "$GENERATED"

# Everything a bad submission could touch, as one checksum: every job's
# state and attempt, every assessment's result, the row counts of the
# tables below them. Nothing accepted earlier may change.
snapshot() {
  sql "SELECT md5(string_agg(line, E'\n' ORDER BY line)) FROM (
         SELECT concat_ws(' ', 'job', id, state, attempt, bundle_sha256, idem_key,
                          finished_at, errors::text) AS line FROM jobs
         UNION ALL
         SELECT concat_ws(' ', 'assessment', id, job_id, attempt, standard, maturity,
                          readiness, md5(COALESCE(result::text, outcome)), created_at) FROM assessments
         UNION ALL
         SELECT concat_ws(' ', 'rows', (SELECT count(*) FROM batches),
                          (SELECT count(*) FROM batch_jobs), (SELECT count(*) FROM bundles),
                          (SELECT count(*) FROM clause_results),
                          (SELECT count(*) FROM check_results),
                          (SELECT count(*) FROM findings))) s"
}

# counter NAME: one of the broker's counters (assay stats).
counter() {
  assay stats --format json | tail -n 1 |
    python3 -c "import json, sys; print(int(json.load(sys.stdin)['broker']['counters']['$1']))"
}

stack_start 2

log "a good batch first"
good_units=(examples/units/alpenmed-innsbruck-certified.json
            examples/units/medtech-lyon-audit-overdue.json
            examples/units/catheterworks-galway.json)
rc=0
assay submit "${good_units[@]}" --standard "$DEFAULT_STANDARD" --batch good --wait --timeout 120 \
  >"$WORK/good.out" 2>"$WORK/good.err" || rc=$?
assert_eq "$rc" 0 "exit code of the good batch (stderr: $(tail -n 3 "$WORK/good.err"))"
assert_exactly_once good "${#good_units[@]}"
before=$(snapshot)
accepted_before=$(counter accepted)
refused_before=$(counter refused)

# check_message WHAT FILE STDERR FRAGMENT NAMED: the message names NAMED
# (the file, or the standard when that is what is wrong) and contains the
# fragment (the field's pointer or the position).
check_message() {
  local what=$1 file=$2 err=$3 fragment=$4 named=$5
  grep -qF -- "$named" "$err" || fail "$what $file: the message does not name '$named': $(cat "$err")"
  grep -qF -- "$fragment" "$err" || fail "$what $file: the message lacks '$fragment': $(cat "$err")"
}

trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' <<<"$1"; }

cases=0
while IFS='|' read -r file standard fragment; do
  file=$(trim "$file")
  [[ -z $file || $file == \#* ]] && continue
  standard=$(trim "$standard")
  fragment=$(trim "$fragment")
  [[ $standard == - ]] && standard=$DEFAULT_STANDARD
  path="$CASES/$file"
  [[ -f $path ]] || path="$GENERATED/$file"
  [[ -f $path ]] || fail "case $file: no such file in $CASES or $GENERATED"
  named=$path
  [[ $standard != "$DEFAULT_STANDARD" ]] && named=$standard
  cases=$((cases + 1))

  rc=0
  assay check "$path" --standard "$standard" >/dev/null 2>"$WORK/check.err" || rc=$?
  assert_eq "$rc" 2 "assay check $file: exit code"
  check_message "assay check" "$file" "$WORK/check.err" "$fragment" "$named"

  rc=0
  assay submit "$path" --standard "$standard" --batch bad >/dev/null 2>"$WORK/submit.err" || rc=$?
  assert_eq "$rc" 2 "assay submit $file: exit code"
  check_message "assay submit" "$file" "$WORK/submit.err" "$fragment" "$named"

  # The same bytes from a client that validates nothing. The broker does
  # not know the file's name, so only the field or position is asked of it.
  rc=0
  raw_client --standard "$standard" --batch bad "$path" >"$WORK/raw.out" 2>"$WORK/raw.err" || rc=$?
  assert_eq "$rc" 2 "broker refusal code for $file (stderr: $(cat "$WORK/raw.err"))"
  head -n 1 "$WORK/raw.out" | grep -qx 'REFUSED code=2' || fail "raw $file: $(cat "$WORK/raw.out")"
  grep -qF -- "$fragment" "$WORK/raw.out" ||
    fail "broker's refusal of $file lacks '$fragment': $(cat "$WORK/raw.out")"
done <"$CASES/cases.txt"
((cases >= 30)) || fail "only $cases cases in $CASES/cases.txt"
log "$cases bad inputs refused by check, submit and the broker"
"$STACK" status >"$WORK/status.out" 2>&1 || fail "stack not all running: $(cat "$WORK/status.out")"

assert_eq "$(counter refused)" "$((refused_before + cases))" "broker's refused counter"
assert_eq "$(counter accepted)" "$accepted_before" "broker's accepted counter"

# The broker's limit is configurable: restarted with 8 MiB, it refuses a
# valid 9 MiB bundle that `assay check` (16 MiB default) accepts.
log "restart the broker with --max-bundle-bytes 8388608"
"$STACK" stop-broker >&2
ASSAY_BROKER_FLAGS="${ASSAY_BROKER_FLAGS:-} --max-bundle-bytes 8388608" "$STACK" start-broker >&2
big="$GENERATED/over-broker-limit.json"
rc=0
assay check "$big" --standard "$DEFAULT_STANDARD" >/dev/null 2>"$WORK/check.err" || rc=$?
assert_eq "$rc" 0 "assay check of a valid 9 MiB bundle (stderr: $(head -c 300 "$WORK/check.err"))"
rc=0
assay submit "$big" --standard "$DEFAULT_STANDARD" --batch bad >/dev/null 2>"$WORK/submit.err" || rc=$?
assert_eq "$rc" 2 "assay submit of 9 MiB to a broker limited to 8 MiB: exit code"
check_message "assay submit" "$big" "$WORK/submit.err" "the limit of 8388608 bytes" "$big"
rc=0
raw_client --standard "$DEFAULT_STANDARD" --batch bad "$big" >"$WORK/raw.out" 2>&1 || rc=$?
assert_eq "$rc" 2 "broker refusal code for 9 MiB over an 8 MiB limit"
grep -qF "the limit of 8388608 bytes" "$WORK/raw.out" || fail "broker's refusal: $(cat "$WORK/raw.out")"

log "after all that: everything still runs, nothing accepted has changed"
"$STACK" status >"$WORK/status.out" 2>&1 || fail "stack not all running: $(cat "$WORK/status.out")"
assert_eq "$(snapshot)" "$before" "checksum of jobs and assessments"
assert_eq "$(sql "SELECT count(*) FROM batches WHERE name = 'bad'")" 0 "batches named 'bad'"
assert_exactly_once good "${#good_units[@]}"

# And the stack still does its work: a valid bundle from the raw client
# is accepted and assessed.
rc=0
raw_client --standard "$DEFAULT_STANDARD" --batch after examples/units/novocardia-startup.json \
  >"$WORK/raw.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "raw submission of a valid bundle ($(cat "$WORK/raw.out"))"
rc=0
assay wait after --timeout 120 >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 0 "exit code of wait for the batch after"
assert_exactly_once after 1
log "passed"
