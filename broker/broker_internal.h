/*  broker_internal.h - the broker's state, shared by its own files only
    (broker.c: loop, workers, dispatch; broker_intake.c: submissions;
    broker_query.c: the read-query thread, with broker_results.c).
*/
#ifndef ASSAY_BROKER_INTERNAL_H_INCLUDED
#define ASSAY_BROKER_INTERNAL_H_INCLUDED

#include "assay_msg.h"
#include "broker.h"
#include "broker_db.h"
#include "engine.h"

#include <czmq.h>

typedef struct _worker_t worker_t;

#define RATE_WINDOW_S 60    /* a worker's rate is measured over this long */

typedef enum { JOB_QUEUED, JOB_RUNNING } job_phase_t;

/* An unfinished job as the broker caches it: no bundle, only what
   dispatch and leases need (the bundle comes back with the dispatch). */
typedef struct {
    uint64_t id;
    uint32_t attempt;       /* as in the database */
    job_phase_t phase;
    int64_t not_before;     /* monotonic ms; queued jobs wait until then */
    int64_t deadline;       /* monotonic ms; running jobs are requeued after */
    worker_t *worker;       /* lease holder; NULL for an orphan after restart */
    void *queue_handle;     /* in broker.queue while queued */
    void *lease_handle;     /* in worker.leases or broker.orphans while running */
} job_t;

struct _worker_t {
    char *identity;         /* hex of the routing id, the hash key */
    zframe_t *routing_id;
    char *name;
    uint32_t credit;        /* free slots the worker has announced */
    int64_t expires;        /* lost when silent past this */
    int64_t last_seen;
    zlistx_t *leases;       /* job_t *, not owned */
    uint64_t done;
    uint64_t failed;
    int64_t joined;         /* monotonic ms of its first READY */
    uint32_t done_per_second[RATE_WINDOW_S];   /* ring, by second */
    int64_t rate_second;    /* the second the ring was last moved to */
};

typedef struct {
    uint64_t accepted, existing, refused, done, failed, requeued, dead, stale,
             malformed_client, malformed_worker, dispatched;
} broker_counters_t;

struct _broker_t {
    broker_config_t config;
    zsock_t *clients;
    zsock_t *workers_socket;
    zactor_t *query;
    zpoller_t *poller;
    broker_db_t *db;
    catalog_set_t *catalogs;
    zhashx_t *jobs;         /* "id" -> job_t, owns the jobs */
    zlistx_t *queue;        /* job_t * ready to dispatch, FIFO */
    zlistx_t *orphans;      /* job_t * running with no known holder */
    zhashx_t *workers;      /* identity -> worker_t, owns them */
    bool recovered;         /* unfinished jobs reloaded since start */
    bool spilled;           /* queued jobs wait in the database past loaded_upto */
    uint64_t loaded_upto;
    int64_t next_heartbeat;
    int64_t orphans_until;  /* grace for workers to reclaim jobs after restart */
    int64_t requeue_retry_at; /* after a failed requeue, when to try again */
    int64_t started;
    int64_t last_tick;      /* when the timers last ran: a stalled loop shows here */
    broker_counters_t counters;
};

/* broker.c */
job_t *broker_job_add(broker_t *self, uint64_t id, uint32_t attempt, bool running, int64_t delay_ms);
void broker_send_client(broker_t *self, assay_msg_t **msg_p);

/* broker_intake.c: answer a group of SUBMIT messages, taking them. */
void broker_intake(broker_t *self, assay_msg_t **submits, size_t count);

/* broker_query.c: the thread answering status and results; `broker` is
   the broker_t, of which it reads only the configuration and catalogs. */
void broker_query_actor(zsock_t *pipe, void *broker);

#endif
