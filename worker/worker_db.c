/*  worker_db.c - the worker's PostgreSQL connection. See worker_db.h. */
#include "worker_db.h"
#include "pg_session.h"

#include <czmq.h>
#include <inttypes.h>
#include <libpq-fe.h>

struct _worker_db_t {
    pg_session_t *session;
    char *worker_name;
    const catalog_set_t *catalogs;
};

worker_db_t *worker_db_new(const char *conninfo, const char *worker_name,
                           const catalog_set_t *catalogs)
{
    worker_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    /* A worker stopped in the middle of a commit (SIGSTOP, a partition)
       must not hold its job rows locked for ever: the server ends such a
       transaction after 5 s idle, and the broker can requeue those jobs. */
    self->session = pg_session_new(conninfo,
                                   "-c idle_in_transaction_session_timeout=5000 -c lock_timeout=5000",
                                   "assay-worker");
    self->worker_name = strdup(worker_name);
    self->catalogs = catalogs;
    if (!self->session || !self->worker_name)
        worker_db_destroy(&self);
    return self;
}

void worker_db_destroy(worker_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    worker_db_t *self = *self_p;
    pg_session_destroy(&self->session);
    free(self->worker_name);
    free(self);
    *self_p = NULL;
}

const char *worker_db_error(const worker_db_t *self)
{
    return pg_session_error(self->session);
}

int worker_db_backoff_ms(const worker_db_t *self)
{
    return pg_session_backoff_ms(self->session);
}

static bool command_ok(worker_db_t *self, PGresult *result)
{
    ExecStatusType status = PQresultStatus(result);
    bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok)
        pg_session_fail(self->session, "database error", PQresultErrorMessage(result));
    return ok;
}

/* Record the catalogs we evaluate with, and their layout for the SQL
   views, so results can reference them. */
static bool store_catalogs(worker_db_t *self, PGconn *connection)
{
    for (size_t i = 0; i < catalog_set_size(self->catalogs); i++) {
        const catalog_t *catalog = catalog_set_at(self->catalogs, i);
        cJSON *layout = catalog_layout_json(catalog);
        char *layout_text = layout ? cJSON_PrintUnformatted(layout) : NULL;
        cJSON_Delete(layout);
        if (!layout_text) {
            pg_session_fail(self->session, "out of memory", "catalog layout");
            return false;
        }
        const char *values[] = { catalog_sha256(catalog), catalog_id(catalog),
                                 catalog_edition(catalog), catalog_title(catalog),
                                 catalog_source(catalog), layout_text };
        PGresult *result = PQexecParams(connection,
            "SELECT assay_record_catalog($1, $2, $3, $4, $5, $6::json)",
            6, NULL, values, NULL, NULL, 0);
        free(layout_text);
        bool ok = command_ok(self, result);
        PQclear(result);
        if (!ok)
            return false;
    }
    return true;
}

/* The session's staging table: rows COPY'd in by a store, read by
   assay_store_staged in the same transaction, gone at its end. */
static bool create_stage(worker_db_t *self, PGconn *connection)
{
    PGresult *result = PQexec(connection,
        "CREATE TEMP TABLE IF NOT EXISTS assay_stage ("
        "  job_id bigint NOT NULL, attempt integer NOT NULL, standard text NOT NULL, "
        "  catalog_sha256 text NOT NULL, as_of date NOT NULL, maturity numeric NOT NULL, "
        "  maturity_by_clause jsonb NOT NULL, readiness text NOT NULL, "
        "  major_nc integer NOT NULL, minor_nc integer NOT NULL, observations integer NOT NULL, "
        "  unit_name text NOT NULL, org text NOT NULL, edition text NOT NULL, "
        "  outcome text NOT NULL) ON COMMIT DELETE ROWS");
    bool ok = command_ok(self, result);
    PQclear(result);
    return ok;
}

bool worker_db_ready(worker_db_t *self)
{
    bool opened = false;
    PGconn *connection = pg_session_connect(self->session, &opened);
    if (!connection)
        return false;
    if (!opened)
        return true;
    if (!store_catalogs(self, connection) || !create_stage(self, connection)) {
        pg_session_abandon(self->session);
        return false;
    }
    zsys_info("database: connected");
    return true;
}

static bool exec_simple(worker_db_t *self, PGconn *connection, const char *sql)
{
    PGresult *result = PQexec(connection, sql);
    bool ok = command_ok(self, result);
    PQclear(result);
    return ok;
}

/* ---- staging rows (evaluator threads) ---------------------------------- */

static bool reserve(worker_task_t *task, size_t more)
{
    if (task->rows_size + more + 1 <= task->rows_capacity)
        return true;
    size_t capacity = (task->rows_capacity + more + 1) * 2;
    char *grown = realloc(task->rows, capacity);
    if (!grown)
        return false;
    task->rows = grown;
    task->rows_capacity = capacity;
    return true;
}

/* One field of COPY's text format: backslash, tab, newline and carriage
   return escaped (the format's only special bytes), then a tab or, after
   the last field, a newline. */
static bool put_field(worker_task_t *task, const char *text, bool last)
{
    size_t length = strlen(text);
    if (!reserve(task, 2 * length + 1))
        return false;
    char *out = task->rows + task->rows_size;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        const char *escape = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n"
                           : c == '\r' ? "\\r" : NULL;
        if (escape) {
            *out++ = escape[0];
            *out++ = escape[1];
        } else
            *out++ = c;
    }
    *out++ = last ? '\n' : '\t';
    task->rows_size = (size_t) (out - task->rows);
    task->rows[task->rows_size] = '\0';
    return true;
}

bool worker_db_stage(worker_task_t *task, const assessment_t *assessment)
{
    const catalog_t *catalog = assessment_catalog(assessment);
    char job[24], attempt[16], maturity[32], major[16], minor[16], observations[16];
    snprintf(job, sizeof job, "%" PRIu64, task->job_id);
    snprintf(attempt, sizeof attempt, "%" PRIu32, task->attempt);
    snprintf(maturity, sizeof maturity, "%.2f", assessment_maturity(assessment));
    snprintf(major, sizeof major, "%d", assessment_major_nc(assessment));
    snprintf(minor, sizeof minor, "%d", assessment_minor_nc(assessment));
    snprintf(observations, sizeof observations, "%d", assessment_observations(assessment));
    char *by_clause = assessment_maturity_by_clause(assessment);
    char *outcome = assessment_outcome(assessment);
    const char *fields[] = {
        job, attempt, catalog_id(catalog), catalog_sha256(catalog), assessment_as_of(assessment),
        maturity, by_clause, assessment_readiness(assessment), major, minor, observations,
        assessment_unit_name(assessment), assessment_org(assessment), catalog_edition(catalog),
        outcome,
    };
    size_t count = sizeof fields / sizeof *fields;
    bool ok = by_clause && outcome;
    for (size_t i = 0; ok && i < count; i++)
        ok = put_field(task, fields[i], i + 1 == count);
    free(by_clause);
    free(outcome);
    return ok;
}

/* ---- the writer ---------------------------------------------------------- */

static bool copy_rows(worker_db_t *self, PGconn *connection, worker_task_t **tasks, size_t count)
{
    PGresult *result = PQexec(connection, "COPY pg_temp.assay_stage FROM STDIN");
    bool ok = PQresultStatus(result) == PGRES_COPY_IN;
    if (!ok)
        pg_session_fail(self->session, "database error", PQresultErrorMessage(result));
    PQclear(result);
    for (size_t i = 0; ok && i < count; i++)
        if (tasks[i]->rows_size)
            ok = PQputCopyData(connection, tasks[i]->rows, (int) tasks[i]->rows_size) == 1;
    if (PQputCopyEnd(connection, ok ? NULL : "worker gave up the copy") != 1)
        ok = false;
    result = PQgetResult(connection);
    if (!command_ok(self, result))
        ok = false;
    PQclear(result);
    /* Drain: libpq ends a COPY with its own final result. */
    while ((result = PQgetResult(connection)))
        PQclear(result);
    return ok;
}

/* Which jobs the attempt guard kept; the others are stale. */
static bool store_staged(worker_db_t *self, PGconn *connection, worker_task_t **tasks, size_t count)
{
    const char *values[] = { self->worker_name };
    PGresult *result = PQexecParams(connection,
        "SELECT job_id, stored FROM assay_store_staged($1)", 1, NULL, values, NULL, NULL, 0);
    bool ok = command_ok(self, result);
    for (size_t i = 0; ok && i < count; i++)
        tasks[i]->stale = true;
    for (int row = 0; ok && row < PQntuples(result); row++) {
        uint64_t job = strtoull(PQgetvalue(result, row, 0), NULL, 10);
        bool stored = PQgetvalue(result, row, 1)[0] == 't';
        for (size_t i = 0; i < count; i++)
            if (tasks[i]->job_id == job)
                tasks[i]->stale = !stored;
    }
    PQclear(result);
    return ok;
}

int worker_db_store(worker_db_t *self, worker_task_t **tasks, size_t count)
{
    if (!worker_db_ready(self))
        return -1;
    /* Held for the whole transaction: if it breaks midway, libpq still
       says why through it. */
    PGconn *connection = pg_session_connection(self->session);
    bool ok = exec_simple(self, connection, "BEGIN")
              && copy_rows(self, connection, tasks, count)
              && store_staged(self, connection, tasks, count)
              && exec_simple(self, connection, "COMMIT");
    if (!ok) {
        if (PQstatus(connection) == CONNECTION_OK)
            PQclear(PQexec(connection, "ROLLBACK"));
        else
            pg_session_retry_now(self->session);
        return -1;
    }
    return 0;
}
