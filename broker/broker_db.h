/*  broker_db.h - the broker's only door to PostgreSQL.

    One broker_db_t is one connection with its own reconnect backoff: the
    broker's main loop owns one (dispatch, requeue, recovery), the intake
    writer thread one (submissions) and the query thread another (status
    and results), so neither slow reads nor large intakes stall dispatch. Every state change is conditional on the expected state
    and attempt; a change that finds the job elsewhere reports it, and the
    caller drops its cached copy. All SQL is parameterized.
*/
#ifndef ASSAY_BROKER_DB_H_INCLUDED
#define ASSAY_BROKER_DB_H_INCLUDED

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _broker_db_t broker_db_t;

/* Create a handle; the first connection attempt happens in broker_db_ready. */
broker_db_t *broker_db_new(const char *conninfo);
/* The same for the intake thread's connection, set up for its large
   parameters (listed by the server as assay-broker-intake). */
broker_db_t *broker_db_new_intake(const char *conninfo);
void broker_db_destroy(broker_db_t **self_p);

/* True when connected; otherwise tries to (re)connect, at most once per
   backoff period (100 ms doubling to 5 s), and says whether that worked. */
bool broker_db_ready(broker_db_t *self);
/* The last error, one line. */
const char *broker_db_error(const broker_db_t *self);

int broker_db_begin(broker_db_t *self);
int broker_db_commit(broker_db_t *self);
void broker_db_rollback(broker_db_t *self);

/* One submission, inside an open transaction. */
typedef struct {
    const char *batch;
    const char *key;
    const char *unit_id;
    const char *standards;
    const char *sha256;
    const char *content;
    int max_attempts;
} broker_submission_t;

typedef struct {
    uint64_t job_id;
    bool existing;
    bool conflict;
} broker_submit_result_t;

int broker_db_submit(broker_db_t *self, const broker_submission_t *submission,
                     broker_submit_result_t *result);

/* A group of submissions in one statement (assay_submit_many, sql/004),
   inside an open transaction: results[i] answers submissions[i]. The
   text columns travel as binary text[] parameters, so a bundle's bytes
   are copied once and never escaped. `content_sizes` are the bundles'
   lengths. Returns 0, or -1 (error set) when nothing can be trusted: the
   caller rolls back. */
int broker_db_submit_many(broker_db_t *self, const broker_submission_t *submissions,
                          const size_t *content_sizes, size_t count,
                          broker_submit_result_t *results);

/* Mark the given queued jobs running under `worker`, each guarded by its
   expected attempt; calls `on_row` for each job that moved, with its new
   attempt, standards and bundle text. Jobs not reported had changed state
   (done, cancelled...). Returns 0, or -1 on a database error. */
typedef void (broker_dispatch_fn)(void *arg, uint64_t job_id, uint32_t attempt,
                                  const char *standards, const char *bundle, size_t bundle_size);
int broker_db_dispatch(broker_db_t *self, const char *worker, const uint64_t *job_ids,
                       const uint32_t *attempts, size_t count, broker_dispatch_fn *on_row, void *arg);

/* Hand a running job back: queued again (not before `delay_ms`), or dead
   when it has used its last attempt (max_attempts x `attempt_factor`).
   `reason` joins the job's error history. Sets *state to "queued", "dead",
   or "" when the job was no longer running at that attempt. */
int broker_db_requeue(broker_db_t *self, uint64_t job_id, uint32_t attempt,
                      const char *reason, int delay_ms, int attempt_factor, char state[16]);

/* Load unfinished jobs: queued ones with id > after_id (in id order, at
   most `limit`), or all running ones. `delay_ms` is how long until the
   job may run (0 = now). Returns the number loaded, or -1. */
typedef void (broker_load_fn)(void *arg, uint64_t job_id, uint32_t attempt, bool running,
                              int64_t delay_ms);
int broker_db_load_queued(broker_db_t *self, uint64_t after_id, int limit,
                          broker_load_fn *on_row, void *arg);
int broker_db_load_running(broker_db_t *self, broker_load_fn *on_row, void *arg);

/* Cancel the queued jobs of a batch or job; calls on_row for each. */
int broker_db_cancel(broker_db_t *self, const char *target, broker_load_fn *on_row, void *arg);
/* Requeue the dead jobs of a batch or job with a fresh attempt budget. */
int broker_db_retry(broker_db_t *self, const char *target, broker_load_fn *on_row, void *arg);

/* Queries for the CLI; each returns JSON text (caller frees) and sets *code to an
   assay_code_t (0, 4 not found, 75 database unavailable). */
char *broker_db_status(broker_db_t *self, const char *target, int *code);
/* With `full`, an assessment stored compactly comes as {"$outcome":
   {catalog_sha256, standard, unit, unit_name, org, as_of, outcome},
   "overrides", "effective"}, for broker_results to turn into its result
   document; one stored before sql/003_compact.sql as its document. */
char *broker_db_results(broker_db_t *self, const char *target, uint64_t after_job,
                         int limit, bool full, int *code);
/* The source text of the catalog stored with that hash, or NULL; caller
   frees. */
char *broker_db_catalog_source(broker_db_t *self, const char *sha256);

/* History and review (QUERY diff, history, overrides, override). On a
   refusal (code 2 or 4) the text is {"error": "..."} naming what. */
/* Unit x standard pairs of two batches (newest assessment of each in
   each): maturity and readiness change, NCs new and closed by clause. A
   window of `limit` pairs in (unit, standard) order after (after_unit,
   after_standard): its changed pairs (all with `all`), its counts, and
   "next", the cursor of the following window (null after the last). */
char *broker_db_diff(broker_db_t *self, const char *from, const char *to,
                     const char *after_unit, const char *after_standard, int limit, bool all,
                     int *code);
/* Every assessment of a unit (of one standard when not NULL), with the
   change from the run before. */
char *broker_db_history(broker_db_t *self, const char *unit, const char *standard, int *code);
/* The overrides of a batch, a unit or a job: the whole audit trail. */
char *broker_db_overrides(broker_db_t *self, const char *target, int *code);

/* An assessor's decision on one clause of a job's assessment. Fields are
   validated by the caller (status, non-empty reason and by, expires a
   valid YYYY-MM-DD or NULL); standard may be NULL when the clause is in
   one assessment of the job only. */
typedef struct {
    uint64_t job_id;
    const char *standard;
    const char *clause;
    const char *status;
    const char *reason;
    const char *by;
    const char *expires;
} broker_override_t;
/* Record it in one transaction: checks the clause is an assessed clause
   of that assessment, keeps the machine verdict as previous_status, and
   supersedes the clause's current override. Returns the new override. */
char *broker_db_override(broker_db_t *self, const broker_override_t *request, int *code);

/* {"queued", "running", "dead", "failed"}: job counts in the database. */
char *broker_db_job_counts(broker_db_t *self, int *code);

#endif
