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

/* Record the catalogs we evaluate with, so results can reference them. */
static bool store_catalogs(worker_db_t *self, PGconn *connection)
{
    for (size_t i = 0; i < catalog_set_size(self->catalogs); i++) {
        const catalog_t *catalog = catalog_set_at(self->catalogs, i);
        const char *values[] = { catalog_sha256(catalog), catalog_id(catalog),
                                 catalog_edition(catalog), catalog_title(catalog),
                                 catalog_source(catalog) };
        PGresult *result = PQexecParams(connection,
            "INSERT INTO catalogs (sha256, id, edition, title, content) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
            5, NULL, values, NULL, NULL, 0);
        bool ok = command_ok(self, result);
        PQclear(result);
        if (!ok)
            return false;
    }
    return true;
}

bool worker_db_ready(worker_db_t *self)
{
    bool opened = false;
    PGconn *connection = pg_session_connect(self->session, &opened);
    if (!connection)
        return false;
    if (!opened)
        return true;
    if (!store_catalogs(self, connection)) {
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

static bool store_one(worker_db_t *self, PGconn *connection, worker_task_t *task)
{
    char job[24], attempt[16];
    snprintf(job, sizeof job, "%" PRIu64, task->job_id);
    snprintf(attempt, sizeof attempt, "%" PRIu32, task->attempt);
    const char *values[] = { job, attempt, self->worker_name, task->results };
    PGresult *result = PQexecParams(connection,
        "SELECT assay_store_result($1::bigint, $2::integer, $3, $4::json)",
        4, NULL, values, NULL, NULL, 0);
    bool ok = command_ok(self, result);
    if (ok)
        task->stale = PQgetvalue(result, 0, 0)[0] != 't';
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
    bool ok = exec_simple(self, connection, "BEGIN");
    for (size_t i = 0; ok && i < count; i++)
        ok = store_one(self, connection, tasks[i]);
    ok = ok && exec_simple(self, connection, "COMMIT");
    if (!ok) {
        if (PQstatus(connection) == CONNECTION_OK)
            PQclear(PQexec(connection, "ROLLBACK"));
        else
            pg_session_retry_now(self->session);
        return -1;
    }
    return 0;
}
