/*  worker_actors.h - the worker's two kinds of thread.

    An evaluator receives a task pointer, evaluates the bundle against each
    of the task's standards with the shared compiled catalogs (read-only),
    sets `results` or `error`, and sends the pointer back. The writer
    receives tasks with results, commits them in groups through worker_db,
    retrying with backoff while the database is away, sets `stale`, and
    sends each pointer back once its transaction committed.
*/
#ifndef ASSAY_WORKER_ACTORS_H_INCLUDED
#define ASSAY_WORKER_ACTORS_H_INCLUDED

#include "engine.h"
#include "worker_task.h"

#include <czmq.h>

/* Pure: evaluate one task (used by the evaluator actor and by tests). */
void worker_evaluate(const catalog_set_t *catalogs, worker_task_t *task);

/* zactor bodies. The evaluator's argument is the catalog set; the
   writer's is a worker_db_t *, which the writer then owns. */
void worker_evaluator_actor(zsock_t *pipe, void *catalogs);
void worker_writer_actor(zsock_t *pipe, void *db);

#endif
