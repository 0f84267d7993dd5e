/*  broker_db.c - the broker's PostgreSQL connection: intake, dispatch,
    requeue, recovery and the read queries. See broker_db.h.

    Errors are reported, never hidden: a failed statement sets the error
    text and, when the connection is gone, the next broker_db_ready call
    reconnects with backoff. Integer arrays are passed as array literals
    made only of digits and commas; everything else is a plain parameter.
*/
#include "broker_db.h"

#include <czmq.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

struct _broker_db_t {
    char *conninfo;
    PGconn *connection;
    int64_t next_attempt;   /* monotonic ms before which we do not reconnect */
    int backoff_ms;
    char error[512];
};

broker_db_t *broker_db_new(const char *conninfo)
{
    broker_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->conninfo = strdup(conninfo);
    self->backoff_ms = BACKOFF_FIRST_MS;
    return self;
}

void broker_db_destroy(broker_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_db_t *self = *self_p;
    if (self->connection)
        PQfinish(self->connection);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}

const char *broker_db_error(const broker_db_t *self)
{
    return self->error;
}

static void set_error(broker_db_t *self, const char *what, const char *detail)
{
    snprintf(self->error, sizeof self->error, "%s: %s", what, detail ? detail : "");
    /* libpq messages end in a newline; logs want one line. */
    char *newline;
    while ((newline = strchr(self->error, '\n')))
        *newline = ' ';
}

bool broker_db_ready(broker_db_t *self)
{
    if (self->connection && PQstatus(self->connection) == CONNECTION_OK)
        return true;
    int64_t now = zclock_mono();
    if (now < self->next_attempt)
        return false;
    if (self->connection)
        PQfinish(self->connection);
    /* A short connect timeout keeps the event loop responsive while the
       database is down. */
    /* lock_timeout: a row locked by a worker's transaction (a worker
       stopped mid-commit) must not stall the event loop; the statement
       fails, and the next tick tries again. Keepalives notice a database
       host that vanished. Options come before dbname so that a URL which
       sets its own wins. */
    const char *keywords[] = { "options", "keepalives_idle", "keepalives_interval",
                               "keepalives_count", "dbname", "connect_timeout",
                               "application_name", NULL };
    const char *values[] = { "-c lock_timeout=1000 -c statement_timeout=60000", "10", "5", "3",
                             self->conninfo, "2", "assay-broker", NULL };
    self->connection = PQconnectdbParams(keywords, values, 1);
    if (PQstatus(self->connection) == CONNECTION_OK) {
        self->backoff_ms = BACKOFF_FIRST_MS;
        zsys_info("database: connected");
        return true;
    }
    set_error(self, "database unavailable", PQerrorMessage(self->connection));
    self->next_attempt = now + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : self->backoff_ms * 2;
    return false;
}

/* Run one parameterized statement; NULL (and the error set) on failure. */
static PGresult *run(broker_db_t *self, const char *sql, int count, const char *const *values)
{
    if (!self->connection || PQstatus(self->connection) != CONNECTION_OK) {
        if (!self->error[0])
            set_error(self, "database unavailable", "not connected");
        return NULL;
    }
    PGresult *result = PQexecParams(self->connection, sql, count, NULL, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return result;
    set_error(self, "database error", PQresultErrorMessage(result));
    PQclear(result);
    if (PQstatus(self->connection) != CONNECTION_OK)
        self->next_attempt = 0;   /* reconnect on the next ready check */
    return NULL;
}

static int run_command(broker_db_t *self, const char *sql)
{
    PGresult *result = run(self, sql, 0, NULL);
    if (!result)
        return -1;
    PQclear(result);
    return 0;
}

int broker_db_begin(broker_db_t *self)
{
    return run_command(self, "BEGIN");
}

int broker_db_commit(broker_db_t *self)
{
    return run_command(self, "COMMIT");
}

void broker_db_rollback(broker_db_t *self)
{
    if (self->connection && PQstatus(self->connection) == CONNECTION_OK)
        PQclear(PQexec(self->connection, "ROLLBACK"));
}

int broker_db_submit(broker_db_t *self, const broker_submission_t *submission,
                     broker_submit_result_t *result)
{
    char max_attempts[16];
    snprintf(max_attempts, sizeof max_attempts, "%d", submission->max_attempts);
    const char *values[] = { submission->batch, submission->key, submission->unit_id,
                             submission->standards, submission->sha256, submission->content,
                             max_attempts };
    PGresult *rows = run(self,
        "SELECT job_id, existing, conflict FROM assay_submit($1, $2, $3, $4, $5, $6, $7::integer)",
        7, values);
    if (!rows)
        return -1;
    result->job_id = strtoull(PQgetvalue(rows, 0, 0), NULL, 10);
    result->existing = PQgetvalue(rows, 0, 1)[0] == 't';
    result->conflict = PQgetvalue(rows, 0, 2)[0] == 't';
    PQclear(rows);
    return 0;
}

/* "{1,2,3}" from integers: the only text we build, and it holds digits. */
static char *integer_array(const uint64_t *values64, const uint32_t *values32, size_t count)
{
    char *text = malloc(count * 21 + 3), *cursor = text;
    if (!text)
        return NULL;
    *cursor++ = '{';
    for (size_t i = 0; i < count; i++)
        cursor += sprintf(cursor, i ? ",%" PRIu64 : "%" PRIu64,
                          values64 ? values64[i] : (uint64_t) values32[i]);
    *cursor++ = '}';
    *cursor = '\0';
    return text;
}

int broker_db_dispatch(broker_db_t *self, const char *worker, const uint64_t *job_ids,
                       const uint32_t *attempts, size_t count, broker_dispatch_fn *on_row, void *arg)
{
    char *ids = integer_array(job_ids, NULL, count);
    char *expected = integer_array(NULL, attempts, count);
    const char *values[] = { ids, expected, worker };
    PGresult *rows = ids && expected ? run(self,
        "UPDATE jobs j SET state = 'running', attempt = j.attempt + 1, worker = $3, "
        "       started_at = now(), not_before = NULL "
        "  FROM unnest($1::bigint[], $2::integer[]) AS u(id, attempt) "
        " WHERE j.id = u.id AND j.attempt = u.attempt AND j.state = 'queued' "
        "RETURNING j.id, j.attempt, array_to_string(j.standards, ','), "
        "          (SELECT b.content FROM bundles b WHERE b.sha256 = j.bundle_sha256)",
        3, values) : NULL;
    free(ids);
    free(expected);
    if (!rows)
        return -1;
    for (int row = 0; row < PQntuples(rows); row++)
        on_row(arg, strtoull(PQgetvalue(rows, row, 0), NULL, 10),
               (uint32_t) strtoul(PQgetvalue(rows, row, 1), NULL, 10),
               PQgetvalue(rows, row, 2), PQgetvalue(rows, row, 3),
               (size_t) PQgetlength(rows, row, 3));
    PQclear(rows);
    return 0;
}

int broker_db_requeue(broker_db_t *self, uint64_t job_id, uint32_t attempt,
                      const char *reason, int delay_ms, int attempt_factor, char state[16])
{
    char id_text[24], attempt_text[16], delay_text[16], factor_text[16];
    snprintf(factor_text, sizeof factor_text, "%d", attempt_factor);
    snprintf(id_text, sizeof id_text, "%" PRIu64, job_id);
    snprintf(attempt_text, sizeof attempt_text, "%" PRIu32, attempt);
    snprintf(delay_text, sizeof delay_text, "%d", delay_ms);
    const char *values[] = { id_text, attempt_text, reason, delay_text, factor_text };
    PGresult *rows = run(self,
        "UPDATE jobs SET state = CASE WHEN attempt >= max_attempts * $5::integer THEN 'dead' ELSE 'queued' END, "
        "       worker = NULL, "
        "       not_before = now() + make_interval(secs => $4::integer / 1000.0), "
        "       finished_at = CASE WHEN attempt >= max_attempts * $5::integer THEN now() END, "
        "       errors = errors || jsonb_build_array(jsonb_build_object("
        "                'attempt', attempt, 'at', now(), 'error', $3::text)) "
        " WHERE id = $1::bigint AND attempt = $2::integer AND state = 'running' "
        "RETURNING state", 5, values);
    if (!rows)
        return -1;
    snprintf(state, 16, "%s", PQntuples(rows) ? PQgetvalue(rows, 0, 0) : "");
    PQclear(rows);
    return 0;
}

static int load_rows(PGresult *rows, broker_load_fn *on_row, void *arg)
{
    if (!rows)
        return -1;
    int count = PQntuples(rows);
    for (int row = 0; row < count; row++)
        on_row(arg, strtoull(PQgetvalue(rows, row, 0), NULL, 10),
               (uint32_t) strtoul(PQgetvalue(rows, row, 1), NULL, 10),
               strcmp(PQgetvalue(rows, row, 2), "running") == 0,
               strtoll(PQgetvalue(rows, row, 3), NULL, 10));
    PQclear(rows);
    return count;
}

#define JOB_ROW "id, attempt, state, " \
    "GREATEST(0, COALESCE(EXTRACT(EPOCH FROM (not_before - now())) * 1000, 0))::bigint"

int broker_db_load_queued(broker_db_t *self, uint64_t after_id, int limit,
                          broker_load_fn *on_row, void *arg)
{
    char after_text[24], limit_text[16];
    snprintf(after_text, sizeof after_text, "%" PRIu64, after_id);
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *values[] = { after_text, limit_text };
    return load_rows(run(self,
        "SELECT " JOB_ROW " FROM jobs WHERE state = 'queued' AND id > $1::bigint "
        " ORDER BY id LIMIT $2::integer", 2, values), on_row, arg);
}

int broker_db_load_running(broker_db_t *self, broker_load_fn *on_row, void *arg)
{
    return load_rows(run(self,
        "SELECT " JOB_ROW " FROM jobs WHERE state = 'running' ORDER BY id", 0, NULL),
        on_row, arg);
}

/* The jobs a target names: a batch by name, else a job by number. */
#define TARGET_JOBS \
    "WITH target AS ( " \
    "  SELECT bj.job_id AS id FROM batch_jobs bj JOIN batches b ON b.id = bj.batch_id " \
    "   WHERE b.name = $1 " \
    "  UNION " \
    "  SELECT j.id FROM jobs j WHERE j.id = $2::bigint " \
    "     AND NOT EXISTS (SELECT 1 FROM batches WHERE name = $1)) "

/* $2 is the target as a job number, or NULL when it cannot be one. */
static const char *job_number(const char *target, char buffer[24])
{
    size_t length = strlen(target);
    if (length == 0 || length > 18 || strspn(target, "0123456789") != length)
        return NULL;
    snprintf(buffer, 24, "%s", target);
    return buffer;
}

int broker_db_cancel(broker_db_t *self, const char *target, broker_load_fn *on_row, void *arg)
{
    char number[24];
    const char *values[] = { target, job_number(target, number) };
    return load_rows(run(self, TARGET_JOBS
        "UPDATE jobs j SET state = 'cancelled', finished_at = now() FROM target t "
        " WHERE j.id = t.id AND j.state = 'queued' "
        "RETURNING j.id, j.attempt, j.state, 0", 2, values), on_row, arg);
}

int broker_db_retry(broker_db_t *self, const char *target, broker_load_fn *on_row, void *arg)
{
    char number[24];
    const char *values[] = { target, job_number(target, number) };
    /* A retried dead letter gets as many attempts again as it had. */
    return load_rows(run(self, TARGET_JOBS
        "UPDATE jobs j SET state = 'queued', max_attempts = j.attempt + j.max_attempts, "
        "       not_before = NULL, finished_at = NULL FROM target t "
        " WHERE j.id = t.id AND j.state IN ('dead', 'failed') "
        "RETURNING j.id, j.attempt, j.state, 0", 2, values), on_row, arg);
}

/* Run a query whose single cell is a JSON document; NULL when no rows. */
static char *json_query(broker_db_t *self, const char *sql, int count, const char *const *values,
                        int *code)
{
    PGresult *rows = run(self, sql, count, values);
    if (!rows) {
        *code = 75;
        return NULL;
    }
    char *text = NULL;
    if (PQntuples(rows) == 1 && !PQgetisnull(rows, 0, 0)) {
        text = strdup(PQgetvalue(rows, 0, 0));
        *code = 0;
    } else
        *code = 4;
    PQclear(rows);
    return text;
}

char *broker_db_status(broker_db_t *self, const char *target, int *code)
{
    char number[24];
    const char *values[] = { target, job_number(target, number) };
    return json_query(self, TARGET_JOBS
        "SELECT CASE WHEN count(*) = 0 THEN NULL ELSE json_build_object("
        "  'target', $1::text, "
        "  'kind', CASE WHEN EXISTS (SELECT 1 FROM batches WHERE name = $1) "
        "              THEN 'batch' ELSE 'job' END, "
        "  'total', count(*), "
        "  'queued', count(*) FILTER (WHERE j.state = 'queued'), "
        "  'running', count(*) FILTER (WHERE j.state = 'running'), "
        "  'done', count(*) FILTER (WHERE j.state = 'done'), "
        "  'failed', count(*) FILTER (WHERE j.state = 'failed'), "
        "  'dead', count(*) FILTER (WHERE j.state = 'dead'), "
        "  'cancelled', count(*) FILTER (WHERE j.state = 'cancelled'), "
        "  'first_created', min(j.created_at), 'last_finished', max(j.finished_at)) END "
        "FROM target t JOIN jobs j ON j.id = t.id", 2, values, code);
}

char *broker_db_results(broker_db_t *self, const char *target, uint64_t after_job,
                        int limit, bool full, int *code)
{
    char number[24], after_text[24], limit_text[16];
    snprintf(after_text, sizeof after_text, "%" PRIu64, after_job);
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *values[] = { target, job_number(target, number), after_text, limit_text,
                             full ? "t" : "f" };
    /* The summary is the result document's head, built in the document's
       own key order so both forms read alike. */
    return json_query(self, TARGET_JOBS
        ", page AS (SELECT j.* FROM target t JOIN jobs j ON j.id = t.id "
        "            WHERE j.id > $3::bigint ORDER BY j.id LIMIT $4::integer) "
        "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM target) THEN NULL ELSE json_build_object("
        "  'target', $1::text, "
        "  'next', (SELECT CASE WHEN count(*) = $4::integer THEN max(id) END FROM page), "
        "  'jobs', COALESCE((SELECT json_agg(json_build_object("
        "      'job', p.id, 'unit', p.unit_id, 'state', p.state, 'attempt', p.attempt, "
        "      'errors', p.errors, "
        "      'assessments', COALESCE((SELECT json_agg(CASE WHEN $5::boolean THEN a.result "
        "          ELSE json_build_object('unit', d.doc->'unit', "
        "               'unit_name', d.doc->'unit_name', 'org', d.doc->'org', "
        "               'standard', d.doc->'standard', 'edition', d.doc->'edition', "
        "               'catalog_sha256', d.doc->'catalog_sha256', "
        "               'as_of', d.doc->'as_of', 'maturity', d.doc->'maturity', "
        "               'maturity_by_clause', d.doc->'maturity_by_clause', "
        "               'readiness', d.doc->'readiness', 'major_nc', d.doc->'major_nc', "
        "               'minor_nc', d.doc->'minor_nc', "
        "               'observations', d.doc->'observations') END ORDER BY a.standard) "
        "        FROM assessments a CROSS JOIN LATERAL (SELECT a.result::jsonb AS doc) d "
        "       WHERE a.job_id = p.id), '[]'::json)) ORDER BY p.id) "
        "    FROM page p), '[]'::json)) END",
        5, values, code);
}
