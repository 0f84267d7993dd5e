/*  worker_db.c - the worker's PostgreSQL connection. See worker_db.h. */
#include "worker_db.h"

#include <czmq.h>
#include <inttypes.h>
#include <libpq-fe.h>

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

struct _worker_db_t {
    char *conninfo;
    char *worker_name;
    const catalog_set_t *catalogs;
    PGconn *connection;
    int64_t next_attempt;
    int backoff_ms;
    char error[512];
};

worker_db_t *worker_db_new(const char *conninfo, const char *worker_name,
                           const catalog_set_t *catalogs)
{
    worker_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->conninfo = strdup(conninfo);
    self->worker_name = strdup(worker_name);
    self->catalogs = catalogs;
    self->backoff_ms = BACKOFF_FIRST_MS;
    return self;
}

void worker_db_destroy(worker_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    worker_db_t *self = *self_p;
    if (self->connection)
        PQfinish(self->connection);
    free(self->conninfo);
    free(self->worker_name);
    free(self);
    *self_p = NULL;
}

const char *worker_db_error(const worker_db_t *self)
{
    return self->error;
}

int worker_db_backoff_ms(const worker_db_t *self)
{
    int64_t wait = self->next_attempt - zclock_mono();
    return wait > 0 ? (int) wait : 0;
}

static void set_error(worker_db_t *self, const char *what, const char *detail)
{
    snprintf(self->error, sizeof self->error, "%s: %s", what, detail ? detail : "");
    char *newline;
    while ((newline = strchr(self->error, '\n')))
        *newline = ' ';
}

static bool command_ok(worker_db_t *self, PGresult *result)
{
    ExecStatusType status = PQresultStatus(result);
    bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok)
        set_error(self, "database error", PQresultErrorMessage(result));
    return ok;
}

/* Record the catalogs we evaluate with, so results can reference them. */
static bool store_catalogs(worker_db_t *self)
{
    for (size_t i = 0; i < catalog_set_size(self->catalogs); i++) {
        const catalog_t *catalog = catalog_set_at(self->catalogs, i);
        const char *values[] = { catalog_sha256(catalog), catalog_id(catalog),
                                 catalog_edition(catalog), catalog_title(catalog),
                                 catalog_source(catalog) };
        PGresult *result = PQexecParams(self->connection,
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
    if (self->connection && PQstatus(self->connection) == CONNECTION_OK)
        return true;
    int64_t now = zclock_mono();
    if (now < self->next_attempt)
        return false;
    if (self->connection)
        PQfinish(self->connection);
    /* A worker stopped in the middle of a commit (SIGSTOP, a partition)
       must not hold its job rows locked for ever: the server ends such a
       transaction after 5 s idle, and the broker can requeue those jobs.
       Options come before dbname so that a URL which sets its own wins. */
    const char *keywords[] = { "options", "keepalives_idle", "keepalives_interval",
                               "keepalives_count", "dbname", "connect_timeout",
                               "application_name", NULL };
    const char *values[] = { "-c idle_in_transaction_session_timeout=5000 -c lock_timeout=5000",
                             "10", "5", "3", self->conninfo, "2", "assay-worker", NULL };
    self->connection = PQconnectdbParams(keywords, values, 1);
    if (PQstatus(self->connection) == CONNECTION_OK && store_catalogs(self)) {
        self->backoff_ms = BACKOFF_FIRST_MS;
        zsys_info("database: connected");
        return true;
    }
    if (PQstatus(self->connection) != CONNECTION_OK)
        set_error(self, "database unavailable", PQerrorMessage(self->connection));
    PQfinish(self->connection);
    self->connection = NULL;
    self->next_attempt = now + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : self->backoff_ms * 2;
    return false;
}

static bool exec_simple(worker_db_t *self, const char *sql)
{
    PGresult *result = PQexec(self->connection, sql);
    bool ok = command_ok(self, result);
    PQclear(result);
    return ok;
}

static bool store_one(worker_db_t *self, worker_task_t *task)
{
    char job[24], attempt[16];
    snprintf(job, sizeof job, "%" PRIu64, task->job_id);
    snprintf(attempt, sizeof attempt, "%" PRIu32, task->attempt);
    const char *values[] = { job, attempt, self->worker_name, task->results };
    PGresult *result = PQexecParams(self->connection,
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
    bool ok = exec_simple(self, "BEGIN");
    for (size_t i = 0; ok && i < count; i++)
        ok = store_one(self, tasks[i]);
    ok = ok && exec_simple(self, "COMMIT");
    if (!ok) {
        if (PQstatus(self->connection) == CONNECTION_OK)
            PQclear(PQexec(self->connection, "ROLLBACK"));
        else
            self->next_attempt = 0;
        return -1;
    }
    return 0;
}
