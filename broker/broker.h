/*  broker.h - assay-broker: durable intake, dispatch by credit, leases,
    heartbeats, requeue and recovery (see proto/PROTOCOL.md, DESIGN.md).

    PostgreSQL is the source of truth; what the broker holds in memory is a
    cache of unfinished jobs that it can rebuild at any time. A job is
    answered ACCEPTED only after its row is committed.
*/
#ifndef ASSAY_BROKER_H_INCLUDED
#define ASSAY_BROKER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *client_endpoint;   /* ROUTER for clients */
    const char *worker_endpoint;   /* ROUTER for workers */
    const char *database_url;
    const char *catalogs;          /* extra catalog folders, or NULL */
    int heartbeat_ms;              /* worker link heartbeat interval */
    int liveness;                  /* missed heartbeats before a worker is lost */
    int deadline_ms;               /* a running job is requeued after this */
    int lease_grace_ms;            /* after a restart, time for workers to claim jobs */
    int max_attempts;              /* dispatches before a job is dead-lettered */
    int retry_backoff_ms;          /* first delay after a failed attempt, doubling */
    size_t max_jobs_in_memory;     /* the rest wait in PostgreSQL */
    size_t max_bundle_bytes;
    int validators;                /* threads checking submissions */
} broker_config_t;

/* Defaults for every field. */
void broker_config_defaults(broker_config_t *config);

typedef struct _broker_t broker_t;

/* Bind the endpoints and load the catalogs; NULL with `error` on failure. */
broker_t *broker_new(const broker_config_t *config, char *error, size_t error_size);
void broker_destroy(broker_t **self_p);

/* Serve until SIGINT/SIGTERM. Returns 0 on a clean stop. */
int broker_run(broker_t *self);

#endif
