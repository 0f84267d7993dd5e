/*  worker.h - assay-worker: takes jobs from the broker by credit,
    evaluates them with the compiled catalogs on evaluator threads while
    the main thread keeps heartbeating, and commits the verdicts through a
    writer thread, then reports DONE.
*/
#ifndef ASSAY_WORKER_H_INCLUDED
#define ASSAY_WORKER_H_INCLUDED

typedef struct {
    const char *broker_endpoint;
    const char *database_url;
    const char *catalogs;     /* extra catalog folders, or NULL */
    const char *name;         /* shown by the broker; default host-pid */
    int slots;                /* jobs held at once: the credit announced */
    int threads;              /* evaluator threads (default: CPU cores) */
    int heartbeat_ms;
    int liveness;
    int shutdown_ms;          /* on SIGTERM, time to finish in-flight jobs */
} worker_config_t;

void worker_config_defaults(worker_config_t *config);

/* Run until SIGTERM/SIGINT; returns the exit code. */
int worker_run(const worker_config_t *config);

#endif
