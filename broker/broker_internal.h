/*  broker_internal.h - the broker's state, shared by its own files only
    (broker.c: loop, workers, dispatch; broker_intake.c: submissions, with
    its validator and writer threads; broker_check.c: a submission's
    checks; broker_query.c: the read-query thread, with broker_results.c).
*/
#ifndef ASSAY_BROKER_INTERNAL_H_INCLUDED
#define ASSAY_BROKER_INTERNAL_H_INCLUDED

#include "assay_msg.h"
#include "broker.h"
#include "broker_db.h"
#include "engine.h"

#include <czmq.h>

typedef struct _worker_t worker_t;
typedef struct _intake_item_t intake_item_t;

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
             malformed_client, malformed_worker, dispatched,
             intake_transactions;   /* groups of submissions committed */
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
    int64_t longest_turn_ms; /* the slowest turn of the loop since start */
    broker_counters_t counters;
    /* Intake (broker_intake.c): its threads and what they hold. */
    zactor_t **validators;
    size_t validator_count;
    size_t *validator_load;   /* bytes each validator has to check */
    zlistx_t *intake_arrivals; /* items being checked, in arrival order */
    zactor_t *intake_writer;
    size_t intake_items;      /* submissions in validators or the writer */
    size_t intake_bytes;      /* their bundles' bytes */
    bool clients_paused;      /* not reading clients until intake drains */
};

/* broker.c */
job_t *broker_job_add(broker_t *self, uint64_t id, uint32_t attempt, bool running, int64_t delay_ms);
void broker_send_client(broker_t *self, assay_msg_t **msg_p);
/* Jobs the worker finished over the last RATE_WINDOW_S seconds. */
uint32_t broker_worker_done_recently(worker_t *worker, int64_t now);

/* broker_stats.c: the stats body from the loop's memory (caller frees). */
char *broker_stats_json(broker_t *self);

/* broker_intake.c. Start the validators and the writer (their pipes
   join self->poller); 0 or -1. */
int broker_intake_start(broker_t *self);
/* Take a received message whose command is SUBMIT (assay_msg_peek_id),
   not decoded yet (nulls *raw_p): it is decoded, checked, stored and
   answered by the threads and broker_intake_handle; a malformed one is
   counted and dropped. `default_batch` names the batch when the client
   left it empty. */
void broker_intake_submit(broker_t *self, zmsg_t **raw_p, const char *default_batch);
/* If `which` is one of intake's threads, take what it sent (answering
   clients, caching new jobs) and return true. */
bool broker_intake_handle(broker_t *self, void *which);
/* Too much in hand: stop reading clients; eased: read them again. */
bool broker_intake_full(const broker_t *self);
bool broker_intake_eased(const broker_t *self);
/* At shutdown: answer what is in hand, waiting at most timeout_ms. */
void broker_intake_drain(broker_t *self, int timeout_ms);
/* End the threads. */
void broker_intake_stop(broker_t *self);

/* broker_query.c: the thread answering status and results; `broker` is
   the broker_t, of which it reads only the configuration and catalogs. */
void broker_query_actor(zsock_t *pipe, void *broker);

#endif
