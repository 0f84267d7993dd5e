/*  broker_db.c - the broker's PostgreSQL connection: intake, dispatch,
    requeue, recovery and the read queries. See broker_db.h.

    Errors are reported, never hidden: a failed statement sets the error
    text and, when the connection is gone, the next broker_db_ready call
    reconnects with backoff. Integer arrays are passed as array literals
    made only of digits and commas, intake's text arrays in PostgreSQL's
    binary array format; everything else is a plain parameter.
*/
#include "broker_db.h"
#include "pg_session.h"

#include <czmq.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _broker_db_t {
    pg_session_t *session;
};

static broker_db_t *db_new(const char *conninfo, const char *options, const char *name)
{
    broker_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->session = pg_session_new(conninfo, options, name);
    if (!self->session)
        broker_db_destroy(&self);
    return self;
}

/* lock_timeout: a row locked by a worker's transaction (a worker stopped
   mid-commit) must not stall the event loop; the statement fails, and
   the next tick tries again. */
#define BROKER_OPTIONS "-c lock_timeout=1000 -c statement_timeout=60000"

broker_db_t *broker_db_new(const char *conninfo)
{
    return db_new(conninfo, BROKER_OPTIONS, "assay-broker");
}

broker_db_t *broker_db_new_intake(const char *conninfo)
{
    /* Generic plans: a custom plan would fold the group's arrays (tens
       of megabytes of bundles) into constants and copy them while
       planning each call. */
    return db_new(conninfo, BROKER_OPTIONS " -c plan_cache_mode=force_generic_plan",
                  "assay-broker-intake");
}

void broker_db_destroy(broker_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pg_session_destroy(&(*self_p)->session);
    free(*self_p);
    *self_p = NULL;
}

const char *broker_db_error(const broker_db_t *self)
{
    return pg_session_error(self->session);
}

bool broker_db_ready(broker_db_t *self)
{
    bool opened = false;
    if (!pg_session_connect(self->session, &opened))
        return false;
    if (opened)
        zsys_info("database: connected");
    return true;
}

/* Run one parameterized statement; NULL (and the error set) on failure. */
static PGresult *run(broker_db_t *self, const char *sql, int count, const char *const *values)
{
    PGconn *connection = pg_session_connection(self->session);
    if (!connection) {
        if (!*pg_session_error(self->session))
            pg_session_fail(self->session, "database unavailable", "not connected");
        return NULL;
    }
    PGresult *result = PQexecParams(connection, sql, count, NULL, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return result;
    pg_session_fail(self->session, "database error", PQresultErrorMessage(result));
    PQclear(result);
    if (!pg_session_connection(self->session))
        pg_session_retry_now(self->session);   /* reconnect on the next ready check */
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
    PGconn *connection = pg_session_connection(self->session);
    if (connection)
        PQclear(PQexec(connection, "ROLLBACK"));
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

/* A text[] parameter in PostgreSQL's binary array format (array_send):
   ndim, has-nulls flag, element type, then per dimension its length and
   lower bound, then each element as a length and its bytes; all
   integers big-endian. NULL when out of memory or over 1 GB (the most a
   parameter may be). */
#define TEXT_OID 25
#define TEXT_ARRAY_OID 1009

static void put_u32(char **cursor, uint32_t value)
{
    unsigned char *out = (unsigned char *) *cursor;
    out[0] = (unsigned char) (value >> 24);
    out[1] = (unsigned char) (value >> 16);
    out[2] = (unsigned char) (value >> 8);
    out[3] = (unsigned char) value;
    *cursor += 4;
}

static char *text_array(const broker_submission_t *rows, size_t count, size_t field,
                        const size_t *sizes, int *length)
{
    size_t total = 20;
    for (size_t i = 0; i < count; i++) {
        const char *value = *(const char *const *) ((const char *) &rows[i] + field);
        total += 4 + (sizes ? sizes[i] : strlen(value));
    }
    if (total > (1u << 30))
        return NULL;
    char *buffer = malloc(total), *cursor = buffer;
    if (!buffer)
        return NULL;
    put_u32(&cursor, 1);                 /* one dimension */
    put_u32(&cursor, 0);                 /* no NULLs */
    put_u32(&cursor, TEXT_OID);
    put_u32(&cursor, (uint32_t) count);
    put_u32(&cursor, 1);                 /* lower bound */
    for (size_t i = 0; i < count; i++) {
        const char *value = *(const char *const *) ((const char *) &rows[i] + field);
        size_t size = sizes ? sizes[i] : strlen(value);
        put_u32(&cursor, (uint32_t) size);
        memcpy(cursor, value, size);
        cursor += size;
    }
    *length = (int) total;
    return buffer;
}

int broker_db_submit_many(broker_db_t *self, const broker_submission_t *submissions,
                          const size_t *content_sizes, size_t count,
                          broker_submit_result_t *results)
{
    PGconn *connection = pg_session_connection(self->session);
    if (!connection) {
        pg_session_fail(self->session, "database unavailable", "not connected");
        return -1;
    }
    static const size_t fields[] = {
        offsetof(broker_submission_t, batch), offsetof(broker_submission_t, key),
        offsetof(broker_submission_t, unit_id), offsetof(broker_submission_t, standards),
        offsetof(broker_submission_t, sha256), offsetof(broker_submission_t, content),
    };
    enum { ARRAYS = sizeof fields / sizeof fields[0] };
    char *values[ARRAYS + 1] = { NULL };
    int lengths[ARRAYS + 1] = { 0 }, formats[ARRAYS + 1] = { 0 };
    Oid types[ARRAYS + 1] = { 0 };
    bool built = true;
    for (size_t a = 0; a < ARRAYS; a++) {
        values[a] = text_array(submissions, count, fields[a],
                               fields[a] == offsetof(broker_submission_t, content) ? content_sizes : NULL,
                               &lengths[a]);
        types[a] = TEXT_ARRAY_OID;
        formats[a] = 1;
        built = built && values[a];
    }
    char max_attempts[16];
    snprintf(max_attempts, sizeof max_attempts, "%d", count ? submissions[0].max_attempts : 1);
    values[ARRAYS] = max_attempts;
    types[ARRAYS] = 23;   /* int4, as text */
    PGresult *rows = NULL;
    if (!built)
        pg_session_fail(self->session, "intake", "out of memory for a group of submissions");
    else
        rows = PQexecParams(connection,
            "SELECT job_id, existing, conflict "
            "  FROM assay_submit_many($1, $2, $3, $4, $5, $6, $7)",
            ARRAYS + 1, types, (const char *const *) values, lengths, formats, 0);
    for (size_t a = 0; a < ARRAYS; a++)
        free(values[a]);
    if (!built)
        return -1;
    if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
        pg_session_fail(self->session, "database error", PQresultErrorMessage(rows));
        PQclear(rows);
        if (!pg_session_connection(self->session))
            pg_session_retry_now(self->session);
        return -1;
    }
    int rc = 0;
    if ((size_t) PQntuples(rows) != count) {
        pg_session_fail(self->session, "intake", "assay_submit_many answered the wrong row count");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (PQgetisnull(rows, (int) i, 0)) {
            /* A key neither inserted nor found: another writer raced us.
               Nothing of the group is trusted; the clients retry. */
            pg_session_fail(self->session, "intake", "a submission's job was not found; retry");
            rc = -1;
            break;
        }
        results[i].job_id = strtoull(PQgetvalue(rows, (int) i, 0), NULL, 10);
        results[i].existing = PQgetvalue(rows, (int) i, 1)[0] == 't';
        results[i].conflict = PQgetvalue(rows, (int) i, 2)[0] == 't';
    }
    PQclear(rows);
    return rc;
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
    snprintf(id_text, sizeof id_text, "%" PRIu64, job_id);
    snprintf(attempt_text, sizeof attempt_text, "%" PRIu32, attempt);
    snprintf(delay_text, sizeof delay_text, "%d", delay_ms);
    snprintf(factor_text, sizeof factor_text, "%d", attempt_factor);
    const char *values[] = { id_text, attempt_text, reason, delay_text, factor_text };
    PGresult *rows = run(self,
        "UPDATE jobs SET state = CASE WHEN attempt >= max_attempts * $5::integer "
        "                             THEN 'dead' ELSE 'queued' END, "
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

/* What an assessment's active overrides make of it: readiness and NC
   counts by the view assay_effective_assessments (sql/002_history.sql),
   so exports, policies and BI tools apply one rule. `a` is the
   assessments row. */
#define EFFECTIVE_JSON \
    "(SELECT json_build_object('readiness', e.effective_readiness, " \
    "  'major_nc', e.effective_major_nc, 'minor_nc', e.effective_minor_nc) " \
    "   FROM assay_effective_assessments e WHERE e.assessment_id = a.id)"

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
        "      'assessments', COALESCE((SELECT json_agg(CASE "
        /* A compact assessment goes out as its outcome with what the
           document needs beside it; broker_results turns it into the
           result document with the catalog (broker_results.c). */
        "          WHEN $5::boolean AND a.outcome IS NOT NULL THEN json_build_object("
        "               '$outcome', json_build_object('catalog_sha256', a.catalog_sha256, "
        "                   'standard', a.standard, 'unit', a.unit_id, 'unit_name', a.unit_name, "
        "                   'org', a.org, 'as_of', a.as_of, 'outcome', a.outcome), "
        "               'overrides', ov.list, "
        "               'effective', CASE WHEN ov.list IS NOT NULL THEN " EFFECTIVE_JSON " END) "
        /* Assessments stored before sql/003_compact.sql keep their whole
           document. */
        "          WHEN $5::boolean AND ov.list IS NULL THEN a.result "
        /* Active overrides ride beside the machine verdicts, appended to
           the stored document's text (json keeps it byte for byte), with
           the readiness and NC counts they give (the SQL view's rule). */
        "          WHEN $5::boolean THEN (left(rtrim(a.result::text), -1) "
        "               || ',\"overrides\":' || ov.list::text "
        "               || ',\"effective\":' || " EFFECTIVE_JSON "::text || '}')::json "
        /* The summary: the document's head, from the row's columns, with
           numbers printed as the document prints them. */
        "          ELSE json_build_object('unit', a.unit_id, "
        "               'unit_name', a.unit_name, 'org', a.org, "
        "               'standard', a.standard, 'edition', a.edition, "
        "               'catalog_sha256', a.catalog_sha256, "
        "               'as_of', a.as_of, 'maturity', a.maturity::float8, "
        "               'maturity_by_clause', a.maturity_by_clause, "
        "               'readiness', a.readiness, 'major_nc', a.major_nc, "
        "               'minor_nc', a.minor_nc, "
        "               'observations', a.observations, "
        "               'overrides', COALESCE(ov.list, '[]'::json), "
        "               'effective', CASE WHEN ov.list IS NOT NULL THEN " EFFECTIVE_JSON " END) "
        "          END ORDER BY a.standard) "
        "        FROM assessments a "
        "        CROSS JOIN LATERAL (SELECT json_agg(json_build_object("
        "                 'id', o.id, 'clause', o.clause_id, 'status', o.status, "
        "                 'machine_status', o.previous_status, 'reason', o.reason, "
        "                 'by', o.by, 'at', o.created_at, 'expires', o.expires) "
        "                 ORDER BY o.clause_id) AS list "
        "            FROM overrides o WHERE o.assessment_id = a.id AND o.superseded_by IS NULL "
        "             AND (o.expires IS NULL OR o.expires >= current_date)) ov "
        "       WHERE a.job_id = p.id), '[]'::json)) ORDER BY p.id) "
        "    FROM page p), '[]'::json)) END",
        5, values, code);
}

char *broker_db_catalog_source(broker_db_t *self, const char *sha256)
{
    const char *values[] = { sha256 };
    PGresult *rows = run(self, "SELECT content FROM catalogs WHERE sha256 = $1", 1, values);
    char *content = rows && PQntuples(rows) == 1 ? strdup(PQgetvalue(rows, 0, 0)) : NULL;
    PQclear(rows);
    return content;
}

/* ---- history, review and operations (QUERY diff, history, override,
   overrides, stats): answered by the query thread ---------------------- */

/* {"error": TEXT} as the body of a refusal (code 2 or 4). */
static char *error_body(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *error_body(const char *format, ...)
{
    char text[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "error", text);
    char *printed = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    return printed;
}

/* The newest assessment of each unit x standard among a batch's jobs. */
#define BATCH_ASSESSMENTS(param) \
    "SELECT DISTINCT ON (a.unit_id, a.standard) a.* " \
    "  FROM batch_jobs bj JOIN batches b ON b.id = bj.batch_id " \
    "  JOIN assessments a ON a.job_id = bj.job_id WHERE b.name = " param " " \
    " ORDER BY a.unit_id, a.standard, a.created_at DESC, a.id DESC"

/* A clause status as a rank: 2 major NC, 1 minor NC, 0 otherwise. */
#define NC_RANK(status) \
    "CASE " status " WHEN 'major_nc' THEN 2 WHEN 'minor_nc' THEN 1 ELSE 0 END"

char *broker_db_diff(broker_db_t *self, const char *from, const char *to,
                     const char *after_unit, const char *after_standard, int limit, bool all,
                     int *code)
{
    const char *names[] = { from, to };
    PGresult *rows = run(self,
        "SELECT EXISTS (SELECT 1 FROM batches WHERE name = $1), "
        "       EXISTS (SELECT 1 FROM batches WHERE name = $2)", 2, names);
    if (!rows) {
        *code = 75;
        return NULL;
    }
    bool from_known = PQgetvalue(rows, 0, 0)[0] == 't';
    bool to_known = PQgetvalue(rows, 0, 1)[0] == 't';
    PQclear(rows);
    if (!from_known || !to_known) {
        *code = 4;
        return error_body("no such batch: %s", !from_known ? from : to);
    }
    char limit_text[16];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *values[] = { from, to, after_unit ? after_unit : "",
                             after_standard ? after_standard : "", all ? "t" : "f", limit_text };
    /* Pairs by unit and standard (FULL JOIN: a unit may be in one batch
       only), a window of `limit` of them after the cursor in (unit,
       standard) order; per pair of the window, the assessed clauses of
       both sides joined by id, an NC being new when its rank rose and
       closed when it fell. The reply lists the window's changed pairs
       (all of them with `all`) and counts the window: the client pages
       through every window and adds the counts up, so the clauses of
       each pair are compared once whatever the size of the batches. */
    return json_query(self,
        "WITH f AS (" BATCH_ASSESSMENTS("$1") "), "
        "     t AS (" BATCH_ASSESSMENTS("$2") "), "
        "pairs AS ("
        "  SELECT COALESCE(f.unit_id, t.unit_id) AS unit, COALESCE(f.standard, t.standard) AS standard, "
        "         f.id AS f_id, t.id AS t_id, f.readiness AS f_readiness, t.readiness AS t_readiness, "
        "         t.maturity - f.maturity AS maturity_change, "
        "         CASE WHEN f.id IS NOT NULL THEN json_build_object('job', f.job_id, "
        "              'assessed_at', f.created_at, 'as_of', f.as_of, 'maturity', f.maturity, "
        "              'readiness', f.readiness, 'major_nc', f.major_nc, 'minor_nc', f.minor_nc, "
        "              'observations', f.observations) END AS f_doc, "
        "         CASE WHEN t.id IS NOT NULL THEN json_build_object('job', t.job_id, "
        "              'assessed_at', t.created_at, 'as_of', t.as_of, 'maturity', t.maturity, "
        "              'readiness', t.readiness, 'major_nc', t.major_nc, 'minor_nc', t.minor_nc, "
        "              'observations', t.observations) END AS t_doc, "
        "         (SELECT json_object_agg(k.key, (t.maturity_by_clause->>k.key)::numeric "
        "                                        - (k.value #>> '{}')::numeric ORDER BY k.key) "
        "            FROM jsonb_each(f.maturity_by_clause) k "
        "           WHERE (t.maturity_by_clause->>k.key)::numeric <> (k.value #>> '{}')::numeric) "
        "           AS clause_change "
        "    FROM f FULL JOIN t ON t.unit_id = f.unit_id AND t.standard = f.standard), "
        "win AS (SELECT * FROM pairs WHERE (unit, standard) > ($3::text, $4::text) "
        "         ORDER BY unit, standard LIMIT $6::integer), "
        "judged AS ("
        "  SELECT w.*, n.new_nc, n.closed_nc, "
        "         (w.f_id IS NULL OR w.t_id IS NULL OR w.maturity_change <> 0 "
        "          OR w.f_readiness <> w.t_readiness OR n.new_nc IS NOT NULL "
        "          OR n.closed_nc IS NOT NULL) AS changed "
        "    FROM win w LEFT JOIN LATERAL ("
        "      SELECT json_agg(json_build_object('clause', x.clause_id, 'title', x.title, "
        "                 'was', x.was, 'now', x.now) ORDER BY x.clause_id) "
        "               FILTER (WHERE x.now_rank > x.was_rank) AS new_nc, "
        "             json_agg(json_build_object('clause', x.clause_id, 'title', x.title, "
        "                 'was', x.was, 'now', x.now) ORDER BY x.clause_id) "
        "               FILTER (WHERE x.was_rank > x.now_rank) AS closed_nc "
        "        FROM (SELECT COALESCE(cf.clause_id, ct.clause_id) AS clause_id, "
        "                     COALESCE(ct.title, cf.title) AS title, "
        "                     cf.status AS was, ct.status AS now, "
        "                     " NC_RANK("cf.status") " AS was_rank, "
        "                     " NC_RANK("ct.status") " AS now_rank "
        "                FROM (SELECT * FROM clause_results "
        "                       WHERE assessment_id = w.f_id AND assessed) cf "
        "                FULL JOIN (SELECT * FROM clause_results "
        "                            WHERE assessment_id = w.t_id AND assessed) ct "
        "                  ON ct.clause_id = cf.clause_id) x "
        /* The same assessment in both batches (a job filed under both)
           has nothing to compare. */
        "       WHERE w.f_id IS NOT NULL AND w.t_id IS NOT NULL AND w.f_id <> w.t_id) n ON true) "
        "SELECT json_build_object('from', $1::text, 'to', $2::text, "
        "  'counts', (SELECT json_build_object("
        "      'pairs', count(*), 'changed', count(*) FILTER (WHERE changed), "
        "      'unchanged', count(*) FILTER (WHERE NOT changed), "
        "      'only_in_from', count(*) FILTER (WHERE t_id IS NULL), "
        "      'only_in_to', count(*) FILTER (WHERE f_id IS NULL), "
        "      'maturity_up', count(*) FILTER (WHERE maturity_change > 0), "
        "      'maturity_down', count(*) FILTER (WHERE maturity_change < 0), "
        "      'readiness_changed', count(*) FILTER (WHERE f_readiness <> t_readiness), "
        "      'new_nc', COALESCE(sum(json_array_length(new_nc)), 0), "
        "      'closed_nc', COALESCE(sum(json_array_length(closed_nc)), 0)) FROM judged), "
        "  'next', (SELECT CASE WHEN count(*) = $6::integer THEN "
        "              (SELECT json_build_object('unit', l.unit, 'standard', l.standard) FROM win l "
        "                ORDER BY l.unit DESC, l.standard DESC LIMIT 1) END FROM win), "
        "  'pairs', COALESCE((SELECT json_agg(json_build_object("
        "      'unit', unit, 'standard', standard, 'changed', changed, "
        "      'from', f_doc, 'to', t_doc, 'maturity_change', maturity_change, "
        "      'maturity_by_clause_change', clause_change, "
        "      'readiness_change', CASE WHEN f_readiness <> t_readiness "
        "                               THEN f_readiness || ' -> ' || t_readiness END, "
        "      'new_nc', COALESCE(new_nc, '[]'::json), "
        "      'closed_nc', COALESCE(closed_nc, '[]'::json)) ORDER BY unit, standard) "
        "    FROM judged WHERE $5::boolean OR changed), '[]'::json))",
        6, values, code);
}

char *broker_db_history(broker_db_t *self, const char *unit, const char *standard, int *code)
{
    const char *values[] = { unit, standard && *standard ? standard : NULL };
    char *text = json_query(self,
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE unit_id = $1) THEN json_build_object("
        "  'unit', $1::text, "
        "  'jobs', (SELECT count(*) FROM jobs WHERE unit_id = $1), "
        "  'jobs_without_results', (SELECT count(*) FROM jobs "
        "                            WHERE unit_id = $1 AND state <> 'done'), "
        "  'assessments', COALESCE((SELECT json_agg(json_build_object("
        "      'standard', t.standard, 'run', t.run, 'job', t.job_id, 'batch', t.batch, "
        "      'batches', (SELECT json_agg(b.name ORDER BY b.id) FROM batch_jobs bj "
        "                    JOIN batches b ON b.id = bj.batch_id WHERE bj.job_id = t.job_id), "
        "      'assessed_at', t.run_at, 'as_of', t.as_of, 'maturity', t.maturity, "
        "      'maturity_change', t.maturity_delta, 'readiness', t.readiness, "
        "      'previous_readiness', t.previous_readiness, 'major_nc', t.major_nc, "
        "      'minor_nc', t.minor_nc, 'observations', t.observations, "
        "      'major_nc_change', t.major_nc_delta, 'minor_nc_change', t.minor_nc_delta, "
        "      'effective_readiness', e.effective_readiness, "
        "      'effective_major_nc', e.effective_major_nc, "
        "      'effective_minor_nc', e.effective_minor_nc, "
        "      'active_overrides', e.active_overrides) ORDER BY t.standard, t.run) "
        "    FROM assay_assessment_trend t "
        "    JOIN assay_effective_assessments e ON e.assessment_id = t.assessment_id "
        "   WHERE t.unit_id = $1 AND ($2::text IS NULL OR t.standard = $2::text)), '[]'::json)) "
        "END", 2, values, code);
    if (*code == 4)
        return error_body("no such unit: %s (no job ever assessed it)", unit);
    return text;
}

/* One override as `overrides` lists it; `o` is an overrides row. */
#define OVERRIDE_JSON \
    "json_build_object('id', o.id, 'job', o.job_id, 'unit', o.unit_id, " \
    "  'standard', o.standard, 'clause', o.clause_id, 'title', c.title, " \
    "  'status', o.status, 'machine_status', c.status, 'previous_status', o.previous_status, " \
    "  'reason', o.reason, 'by', o.by, 'at', o.created_at, 'expires', o.expires, " \
    "  'active', o.superseded_by IS NULL AND (o.expires IS NULL OR o.expires >= current_date), " \
    "  'state', CASE WHEN o.superseded_by IS NOT NULL THEN 'superseded' " \
    "                WHEN o.expires < current_date THEN 'expired' ELSE 'active' END, " \
    "  'superseded_by', o.superseded_by, " \
    "  'replaces', (SELECT p.id FROM overrides p WHERE p.superseded_by = o.id), " \
    "  'replaces_status', (SELECT p.status FROM overrides p WHERE p.superseded_by = o.id))"

char *broker_db_overrides(broker_db_t *self, const char *target, int *code)
{
    char number[24];
    const char *values[] = { target, job_number(target, number) };
    /* A batch by name, else a unit by id, else a job by number. */
    char *text = json_query(self,
        "WITH kind AS (SELECT CASE "
        "    WHEN EXISTS (SELECT 1 FROM batches WHERE name = $1) THEN 'batch' "
        "    WHEN EXISTS (SELECT 1 FROM jobs WHERE unit_id = $1) THEN 'unit' "
        "    WHEN EXISTS (SELECT 1 FROM jobs WHERE id = $2::bigint) THEN 'job' END AS kind), "
        "jobs_of AS ("
        "  SELECT bj.job_id AS id FROM batch_jobs bj JOIN batches b ON b.id = bj.batch_id "
        "   WHERE b.name = $1 AND (SELECT kind FROM kind) = 'batch' "
        "  UNION SELECT j.id FROM jobs j WHERE j.unit_id = $1 AND (SELECT kind FROM kind) = 'unit' "
        "  UNION SELECT j.id FROM jobs j WHERE j.id = $2::bigint AND (SELECT kind FROM kind) = 'job') "
        "SELECT CASE WHEN (SELECT kind FROM kind) IS NOT NULL THEN json_build_object("
        "  'target', $1::text, 'kind', (SELECT kind FROM kind), "
        "  'overrides', COALESCE((SELECT json_agg(" OVERRIDE_JSON " ORDER BY o.id) "
        "    FROM overrides o JOIN clause_results c "
        "      ON c.assessment_id = o.assessment_id AND c.clause_id = o.clause_id "
        "   WHERE o.job_id IN (SELECT id FROM jobs_of)), '[]'::json)) END",
        2, values, code);
    if (*code == 4)
        return error_body("no such batch, unit or job: %s", target);
    return text;
}

char *broker_db_override(broker_db_t *self, const broker_override_t *request, int *code)
{
    char job_text[24];
    snprintf(job_text, sizeof job_text, "%" PRIu64, request->job_id);
    const char *standard = request->standard && *request->standard ? request->standard : NULL;
    *code = 75;
    if (broker_db_begin(self) != 0)
        return NULL;
    char *answer = NULL;
    PGresult *rows = NULL;
    /* The job's assessments (locked: one decision at a time per
       assessment) and the clause in each, if it has it. */
    const char *find[] = { job_text, standard, request->clause };
    rows = run(self,
        "SELECT a.id, a.standard, a.unit_id, c.clause_id IS NOT NULL, c.assessed, c.status "
        "  FROM assessments a LEFT JOIN clause_results c "
        "    ON c.assessment_id = a.id AND c.clause_id = $3 "
        " WHERE a.job_id = $1::bigint AND ($2::text IS NULL OR a.standard = $2::text) "
        " ORDER BY a.standard FOR UPDATE OF a", 3, find);
    if (!rows)
        goto failed;
    int count = PQntuples(rows), found = -1, matches = 0;
    char standards[512] = "", with_clause[512] = "";
    for (int row = 0; row < count; row++) {
        size_t used = strlen(standards);
        snprintf(standards + used, sizeof standards - used, "%s%s", used ? ", " : "",
                 PQgetvalue(rows, row, 1));
        if (PQgetvalue(rows, row, 3)[0] == 't') {
            found = row;
            matches++;
            used = strlen(with_clause);
            snprintf(with_clause + used, sizeof with_clause - used, "%s%s", used ? ", " : "",
                     PQgetvalue(rows, row, 1));
        }
    }
    if (count == 0) {
        /* Why: no such job, no results yet, or not that standard. */
        PQclear(rows);
        const char *job[] = { job_text };
        rows = run(self,
            "SELECT j.state, array_to_string(j.standards, ', ') FROM jobs j WHERE j.id = $1::bigint",
            1, job);
        if (!rows)
            goto failed;
        *code = 4;
        if (PQntuples(rows) == 0)
            answer = error_body("no such job: %s", job_text);
        else if (strcmp(PQgetvalue(rows, 0, 0), "done") != 0)
            answer = error_body("job %s has no results (it is %s)", job_text,
                                PQgetvalue(rows, 0, 0));
        else
            answer = error_body("job %s has no assessment against %s (it has: %s)", job_text,
                                standard ? standard : "any standard", PQgetvalue(rows, 0, 1));
    } else if (matches == 0) {
        *code = 4;
        answer = error_body("clause %s is not in the assessment of job %s against %s",
                            request->clause, job_text, standards);
    } else if (matches > 1) {
        *code = 2;
        answer = error_body("clause %s is in several assessments of job %s (%s): say which "
                            "standard", request->clause, job_text, with_clause);
    } else if (PQgetvalue(rows, found, 4)[0] != 't') {
        *code = 2;
        answer = error_body("clause %s of %s is a heading: its verdict aggregates its "
                            "sub-clauses; override those instead", request->clause,
                            PQgetvalue(rows, found, 1));
    }
    if (answer) {
        PQclear(rows);
        broker_db_rollback(self);
        return answer;
    }
    char assessment[24], found_standard[300], unit[300], machine[32];
    snprintf(assessment, sizeof assessment, "%s", PQgetvalue(rows, found, 0));
    snprintf(found_standard, sizeof found_standard, "%s", PQgetvalue(rows, found, 1));
    snprintf(unit, sizeof unit, "%s", PQgetvalue(rows, found, 2));
    snprintf(machine, sizeof machine, "%s", PQgetvalue(rows, found, 5));
    PQclear(rows);

    /* The newer decision takes its id first; the current one (if any)
       points at it (the foreign key is checked at commit), then it is
       inserted: at no moment are there two current decisions. */
    rows = run(self, "SELECT nextval(pg_get_serial_sequence('overrides', 'id'))", 0, NULL);
    if (!rows)
        goto failed;
    char id_text[24];
    snprintf(id_text, sizeof id_text, "%s", PQgetvalue(rows, 0, 0));
    PQclear(rows);
    const char *supersede[] = { id_text, assessment, request->clause };
    rows = run(self,
        "UPDATE overrides SET superseded_by = $1::bigint "
        " WHERE assessment_id = $2::bigint AND clause_id = $3 AND superseded_by IS NULL", 3,
        supersede);
    if (!rows)
        goto failed;
    PQclear(rows);
    const char *expires = request->expires && *request->expires ? request->expires : NULL;
    const char *insert[] = { id_text, job_text, assessment, unit, found_standard, request->clause,
                             request->status, request->reason, request->by, expires, machine };
    rows = run(self,
        "INSERT INTO overrides (id, job_id, assessment_id, unit_id, standard, clause_id, status, "
        "                       reason, by, expires, previous_status) "
        "VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5, $6, $7, $8, $9, $10::date, $11)",
        11, insert);
    if (!rows)
        goto failed;
    PQclear(rows);
    const char *one[] = { id_text };
    rows = run(self,
        "SELECT " OVERRIDE_JSON " FROM overrides o JOIN clause_results c "
        "    ON c.assessment_id = o.assessment_id AND c.clause_id = o.clause_id "
        " WHERE o.id = $1::bigint", 1, one);
    if (!rows)
        goto failed;
    answer = PQntuples(rows) == 1 ? strdup(PQgetvalue(rows, 0, 0)) : NULL;
    PQclear(rows);
    if (!answer || broker_db_commit(self) != 0) {
        free(answer);
        goto failed;
    }
    *code = 0;
    return answer;
failed:
    broker_db_rollback(self);
    *code = 75;
    return NULL;
}

char *broker_db_job_counts(broker_db_t *self, int *code)
{
    /* Each count on its own partial index (jobs_unfinished,
       jobs_dead_or_failed): no scan of finished jobs. */
    return json_query(self,
        "SELECT json_build_object("
        "  'queued', (SELECT count(*) FROM jobs WHERE state = 'queued'), "
        "  'running', (SELECT count(*) FROM jobs WHERE state = 'running'), "
        "  'dead', (SELECT count(*) FROM jobs WHERE state = 'dead'), "
        "  'failed', (SELECT count(*) FROM jobs WHERE state = 'failed'))", 0, NULL, code);
}
