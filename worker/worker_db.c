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
    /* The write path's own cost, logged at the end (bench/run reads it). */
    uint64_t transactions, jobs, bytes;
    int64_t store_us;
};

worker_db_t *worker_db_new(const char *conninfo, const char *worker_name,
                           const catalog_set_t *catalogs)
{
    worker_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    /* A worker stopped in the middle of a commit (SIGSTOP, a partition)
       must not hold its job rows locked for ever: the server ends such a
       transaction after 5 s idle, and the broker can requeue those jobs.
       Generic plans: a custom plan of the store statement would fold a
       group's arrays (hundreds of KB) into plan constants at every call. */
    self->session = pg_session_new(conninfo,
                                   "-c idle_in_transaction_session_timeout=5000 -c lock_timeout=5000 "
                                   "-c plan_cache_mode=force_generic_plan",
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
    if (self->transactions)
        zsys_info("write path: %" PRIu64 " jobs (%" PRIu64 " bytes of outcomes) in %" PRIu64
                  " transactions, %.3f s in the database", self->jobs, self->bytes,
                  self->transactions, (double) self->store_us / 1e6);
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

/* The store statement, prepared once per connection. */
static bool prepare_store(worker_db_t *self, PGconn *connection)
{
    PGresult *result = PQprepare(connection, "assay_store",
        "SELECT job_id, stored FROM assay_store_results($1, $2::bigint[], $3::integer[], "
        "$4::text[], $5::text[], $6::date[], $7::numeric[], $8::jsonb[], $9::text[], "
        "$10::integer[], $11::integer[], $12::integer[], $13::text[], $14::text[], "
        "$15::text[], $16::text[])", 1 + WORKER_ROW_FIELDS, NULL);
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
    if (!store_catalogs(self, connection) || !prepare_store(self, connection)) {
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

bool worker_db_stage(worker_task_t *task, const assessment_t *assessment)
{
    const catalog_t *catalog = assessment_catalog(assessment);
    char **grown = realloc(task->rows, (task->row_count + 1) * WORKER_ROW_FIELDS * sizeof *grown);
    if (!grown)
        return false;
    task->rows = grown;
    char **row = task->rows + task->row_count * WORKER_ROW_FIELDS;
    /* In the order of assay_store_results' arrays. */
    row[0] = zsys_sprintf("%" PRIu64, task->job_id);
    row[1] = zsys_sprintf("%" PRIu32, task->attempt);
    row[2] = strdup(catalog_id(catalog));
    row[3] = strdup(catalog_sha256(catalog));
    row[4] = strdup(assessment_as_of(assessment));
    row[5] = zsys_sprintf("%.2f", assessment_maturity(assessment));
    row[6] = assessment_maturity_by_clause(assessment);
    row[7] = strdup(assessment_readiness(assessment));
    row[8] = zsys_sprintf("%d", assessment_major_nc(assessment));
    row[9] = zsys_sprintf("%d", assessment_minor_nc(assessment));
    row[10] = zsys_sprintf("%d", assessment_observations(assessment));
    row[11] = strdup(assessment_unit_name(assessment));
    row[12] = strdup(assessment_org(assessment));
    row[13] = strdup(catalog_edition(catalog));
    row[14] = assessment_outcome(assessment);
    task->row_count++;
    for (size_t i = 0; i < WORKER_ROW_FIELDS; i++)
        if (!row[i])
            return false;
    return true;
}

/* ---- the writer ---------------------------------------------------------- */

/* A growing text buffer for one array parameter. */
typedef struct {
    char *text;
    size_t size;
    size_t capacity;
} array_text_t;

static bool array_reserve(array_text_t *array, size_t more)
{
    if (array->size + more + 1 <= array->capacity)
        return true;
    size_t capacity = (array->capacity + more + 1) * 2;
    char *grown = realloc(array->text, capacity);
    if (!grown)
        return false;
    array->text = grown;
    array->capacity = capacity;
    return true;
}

/* One element of an array literal, double-quoted: inside the quotes only
   a double quote and a backslash need a backslash before them. The text
   is a parameter value, never part of the statement. */
static bool array_add(array_text_t *array, const char *element)
{
    size_t length = strlen(element);
    if (!array_reserve(array, 2 * length + 4))
        return false;
    char *out = array->text + array->size;
    *out++ = array->size == 0 ? '{' : ',';
    *out++ = '"';
    for (size_t i = 0; i < length; i++) {
        if (element[i] == '"' || element[i] == '\\')
            *out++ = '\\';
        *out++ = element[i];
    }
    *out++ = '"';
    array->size = (size_t) (out - array->text);
    return true;
}

static bool array_close(array_text_t *array)
{
    if (!array_reserve(array, 2))
        return false;
    if (array->size == 0)
        array->text[array->size++] = '{';
    array->text[array->size++] = '}';
    array->text[array->size] = '\0';
    return true;
}

/* Stores every row of the tasks with one statement; sets each task's
   `stale` from what the attempt guard kept. */
static bool store_rows(worker_db_t *self, PGconn *connection, worker_task_t **tasks, size_t count)
{
    array_text_t arrays[WORKER_ROW_FIELDS] = { { 0 } };
    bool ok = true;
    for (size_t t = 0; ok && t < count; t++)
        for (size_t r = 0; ok && r < tasks[t]->row_count; r++)
            for (size_t f = 0; ok && f < WORKER_ROW_FIELDS; f++)
                ok = array_add(&arrays[f], tasks[t]->rows[r * WORKER_ROW_FIELDS + f]);
    const char *values[1 + WORKER_ROW_FIELDS] = { self->worker_name };
    for (size_t f = 0; ok && f < WORKER_ROW_FIELDS; f++) {
        ok = array_close(&arrays[f]);
        values[1 + f] = arrays[f].text;
    }
    PGresult *result = NULL;
    if (ok)
        result = PQexecPrepared(connection, "assay_store", 1 + WORKER_ROW_FIELDS, values,
                                NULL, NULL, 0);
    else
        pg_session_fail(self->session, "out of memory", "building the store statement");
    for (size_t f = 0; f < WORKER_ROW_FIELDS; f++)
        free(arrays[f].text);
    ok = ok && command_ok(self, result);
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
    int64_t started = zclock_usecs();
    bool ok = exec_simple(self, connection, "BEGIN")
              && store_rows(self, connection, tasks, count)
              && exec_simple(self, connection, "COMMIT");
    if (!ok) {
        if (PQstatus(connection) == CONNECTION_OK)
            PQclear(PQexec(connection, "ROLLBACK"));
        else
            pg_session_retry_now(self->session);
        return -1;
    }
    self->store_us += zclock_usecs() - started;
    self->transactions++;
    self->jobs += count;
    for (size_t i = 0; i < count; i++)
        for (size_t r = 0; r < tasks[i]->row_count; r++)
            self->bytes += strlen(tasks[i]->rows[r * WORKER_ROW_FIELDS + WORKER_ROW_FIELDS - 1]);
    return 0;
}
