/*  worker_task.h - one job inside a worker, as it moves between threads.

    The main thread owns every task. It lends a task to an evaluator, then
    to the writer, by passing the pointer through their pipes; while a task
    is lent, only the borrower touches its mutable fields.
*/
#ifndef ASSAY_WORKER_TASK_H_INCLUDED
#define ASSAY_WORKER_TASK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fields of one assessment as assay_store_results takes them. */
#define WORKER_ROW_FIELDS 15

typedef struct {
    uint64_t job_id;        /* fixed at creation */
    uint32_t attempt;       /* fixed at creation: the fencing token */
    char *standards;
    char *bundle;
    size_t bundle_size;
    char **rows;            /* set by the evaluator (worker_db_stage): one row per
                               standard, WORKER_ROW_FIELDS strings each, owned */
    size_t row_count;
    char *error;            /* set by the evaluator when evaluation failed */
    bool stale;             /* set by the writer: the attempt guard refused it */
} worker_task_t;

worker_task_t *worker_task_new(uint64_t job_id, uint32_t attempt, const char *standards,
                               const char *bundle, size_t bundle_size);
void worker_task_destroy(worker_task_t **self_p);

#endif
