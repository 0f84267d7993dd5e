/*  worker_db.h - the worker's only door to PostgreSQL.

    It stores finished jobs: several per transaction, each through
    assay_store_result (sql/001_init.sql), which marks the job done and
    writes its verdicts only if the job is still running at the task's
    attempt. No transaction is ever open while anything is computed.
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

/* Store the tasks' results in one transaction, setting each task's
   `stale`. Returns 0 when committed, -1 when nothing was (retry later). */
int worker_db_store(worker_db_t *self, worker_task_t **tasks, size_t count);

#endif
