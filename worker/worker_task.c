/*  worker_task.c - construction and destruction of a worker task. */
#include "worker_task.h"

#include <stdlib.h>
#include <string.h>

worker_task_t *worker_task_new(uint64_t job_id, uint32_t attempt, const char *standards,
                               const char *bundle, size_t bundle_size)
{
    worker_task_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->job_id = job_id;
    self->attempt = attempt;
    self->standards = strdup(standards);
    self->bundle = malloc(bundle_size + 1);
    if (!self->standards || !self->bundle) {
        worker_task_destroy(&self);
        return NULL;
    }
    memcpy(self->bundle, bundle, bundle_size);
    self->bundle[bundle_size] = '\0';
    self->bundle_size = bundle_size;
    return self;
}

void worker_task_destroy(worker_task_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    worker_task_t *self = *self_p;
    free(self->standards);
    free(self->bundle);
    for (size_t i = 0; i < self->row_count * WORKER_ROW_FIELDS; i++)
        free(self->rows[i]);
    free(self->rows);
    free(self->error);
    free(self);
    *self_p = NULL;
}
