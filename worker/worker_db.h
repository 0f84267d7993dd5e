/*  worker_db.h - the worker's only door to PostgreSQL.

    It stores finished jobs, many per transaction: the evaluator stages
    each assessment as one row of fields (worker_db_stage, no connection
    needed), the writer passes a group's rows as arrays to one call of
    assay_store_results (sql/003_compact.sql), which marks each job done
    and keeps its assessments only if the job is still running at the
    task's attempt. No transaction is ever open while
    anything is computed.
*/
#ifndef ASSAY_WORKER_DB_H_INCLUDED
#define ASSAY_WORKER_DB_H_INCLUDED

#include "engine.h"
#include "worker_task.h"

typedef struct _worker_db_t worker_db_t;

/* Create a handle; `catalogs` (borrowed, must outlive it) are recorded in
   the catalogs table on every (re)connect, so verdicts can reference them. */
worker_db_t *worker_db_new(const char *conninfo, const char *worker_name,
                           const catalog_set_t *catalogs);
void worker_db_destroy(worker_db_t **self_p);

/* Connected, or reconnected now if the backoff period has passed. */
bool worker_db_ready(worker_db_t *self);
const char *worker_db_error(const worker_db_t *self);
/* Milliseconds until the next reconnect attempt is allowed. */
int worker_db_backoff_ms(const worker_db_t *self);

/* Append the assessment's row to task->rows (the task's job, attempt and
   the assessment's summary and outcome). Pure: the evaluator
   threads call it. Returns false when memory runs out. */
bool worker_db_stage(worker_task_t *task, const assessment_t *assessment);

/* Store the tasks' results in one transaction, setting each task's
   `stale`. Returns 0 when committed, -1 when nothing was (retry later). */
int worker_db_store(worker_db_t *self, worker_task_t **tasks, size_t count);

#endif
