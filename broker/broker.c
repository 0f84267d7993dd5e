/*  broker.c - the broker's event loop, its workers, dispatch by credit,
    leases, heartbeats, requeue and recovery.

    One thread serves both ROUTER sockets. Reads that may be slow (status,
    results) go to the query thread, and submissions to intake's validator
    and writer threads (broker_intake.c), so dispatch and heartbeats never
    wait behind them.
    Every change of a job's state goes to PostgreSQL first, conditional on
    the attempt the broker expects; when the database disagrees, the
    database wins and the cached job is dropped.
*/
#include "broker_internal.h"
#include "util.h"

#include <inttypes.h>

#define DRAIN_LIMIT 512          /* messages handled per socket per turn */
/* Client messages read per turn: each may carry up to 16 MiB to copy. */
#define CLIENT_LIMIT 128
#define SHUTDOWN_DRAIN_MS 10000  /* to answer the submissions in hand */
#define CLIENT_SNDHWM 100000     /* answers queued per client */
#define DISPATCH_BATCH 256       /* jobs per dispatch statement */

void broker_config_defaults(broker_config_t *config)
{
    *config = (broker_config_t) {
        .client_endpoint = "tcp://*:5555",
        .worker_endpoint = "tcp://*:5556",
        .database_url = UTIL_DEFAULT_DATABASE_URL,
        .heartbeat_ms = 1000,
        .liveness = 3,
        .deadline_ms = 60000,
        .lease_grace_ms = 5000,
        .max_attempts = 3,
        .retry_backoff_ms = 1000,
        .max_jobs_in_memory = 100000,
        .max_bundle_bytes = BUNDLE_DEFAULT_MAX_BYTES,
        .validators = 2,
    };
}

/* ---- jobs ----------------------------------------------------------- */

static void job_key(uint64_t id, char key[24])
{
    snprintf(key, 24, "%" PRIu64, id);
}

static job_t *job_find(broker_t *self, uint64_t id)
{
    char key[24];
    job_key(id, key);
    return zhashx_lookup(self->jobs, key);
}

static void job_destructor(void **item)
{
    free(*item);
    *item = NULL;
}

/* Take a job out of whatever list holds it. */
static void job_unlink(broker_t *self, job_t *job)
{
    if (job->queue_handle) {
        zlistx_delete(self->queue, job->queue_handle);
        job->queue_handle = NULL;
    }
    if (job->lease_handle) {
        zlistx_delete(job->worker ? job->worker->leases : self->orphans, job->lease_handle);
        job->lease_handle = NULL;
    }
    job->worker = NULL;
}

static void job_forget(broker_t *self, job_t *job)
{
    char key[24];
    job_key(job->id, key);
    job_unlink(self, job);
    zhashx_delete(self->jobs, key);
}

static void job_enqueue(broker_t *self, job_t *job, int64_t delay_ms, bool front)
{
    job_unlink(self, job);
    job->phase = JOB_QUEUED;
    job->not_before = delay_ms > 0 ? zclock_mono() + delay_ms : 0;
    job->queue_handle = front ? zlistx_add_start(self->queue, job) : zlistx_add_end(self->queue, job);
}

job_t *broker_job_add(broker_t *self, uint64_t id, uint32_t attempt, bool running, int64_t delay_ms)
{
    job_t *job = job_find(self, id);
    if (job)
        return job;   /* already cached: the cache is the newer view */
    job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->id = id;
    job->attempt = attempt;
    char key[24];
    job_key(id, key);
    zhashx_insert(self->jobs, key, job);
    if (running) {
        /* Recovered after a restart: its holder has lease_grace_ms to say
           it still has it (READY.held) before it is requeued. */
        job->phase = JOB_RUNNING;
        job->lease_handle = zlistx_add_end(self->orphans, job);
    } else
        job_enqueue(self, job, delay_ms, false);
    return job;
}

/* Hand a running job back to the queue (or to the dead letters). */
/* Why a lease ended without a result. A failed evaluation or a job past
   its deadline uses up one of the job's attempts; a lease lost with its
   worker (killed, cut off, restarted) only counts against a looser limit
   (LOST_LEASE_FACTOR x max_attempts), so that a fleet of crashing
   workers does not dead-letter innocent jobs, while a bundle that kills
   every worker it meets still ends as a dead letter. */
typedef enum { REQUEUE_FAILED, REQUEUE_LEASE_LOST } requeue_cause_t;
#define LOST_LEASE_FACTOR 3

static void job_requeue(broker_t *self, job_t *job, const char *reason, int delay_ms,
                        requeue_cause_t cause)
{
    char state[16];
    /* After one failure (the database is down, or the row is locked by a
       stalled worker's transaction) the others wait too: trying each
       would block the loop for a lock timeout per job. */
    bool postpone = zclock_mono() < self->requeue_retry_at || !broker_db_ready(self->db);
    if (postpone
        || broker_db_requeue(self->db, job->id, job->attempt, reason, delay_ms,
                             cause == REQUEUE_LEASE_LOST ? LOST_LEASE_FACTOR : 1, state) != 0) {
        if (!postpone) {
            zsys_warning("job %" PRIu64 ": requeue postponed: %s", job->id,
                         broker_db_error(self->db));
            self->requeue_retry_at = zclock_mono() + 1000;
        }
        job_unlink(self, job);
        job->lease_handle = zlistx_add_end(self->orphans, job);
        return;
    }
    if (strcmp(state, "queued") == 0) {
        self->counters.requeued++;
        zsys_info("job %" PRIu64 " attempt %" PRIu32 " requeued: %s", job->id, job->attempt, reason);
        job_enqueue(self, job, delay_ms, delay_ms == 0);
    } else {
        if (strcmp(state, "dead") == 0) {
            self->counters.dead++;
            zsys_warning("job %" PRIu64 " dead-lettered after attempt %" PRIu32 ": %s",
                         job->id, job->attempt, reason);
        }
        job_forget(self, job);
    }
}

/* ---- workers ----------------------------------------------------------- */

static void worker_destructor(void **item)
{
    worker_t *worker = *item;
    zlistx_destroy(&worker->leases);
    zframe_destroy(&worker->routing_id);
    free(worker->identity);
    free(worker->name);
    free(worker);
    *item = NULL;
}

static void worker_send(broker_t *self, worker_t *worker, assay_msg_t **msg_p)
{
    assay_msg_set_routing_id(*msg_p, worker->routing_id);
    assay_msg_send(msg_p, self->workers_socket);
}

static void worker_send_command(broker_t *self, zframe_t *routing_id, assay_msg_id_t id)
{
    assay_msg_t *msg = assay_msg_new(id);
    assay_msg_set_routing_id(msg, routing_id);
    assay_msg_send(&msg, self->workers_socket);
}

/* Forget a worker and requeue whatever it held. */
static void worker_remove(broker_t *self, worker_t *worker, const char *reason)
{
    job_t *job;
    while ((job = zlistx_first(worker->leases))) {
        job_unlink(self, job);
        job_requeue(self, job, reason, 0, REQUEUE_LEASE_LOST);
    }
    zsys_info("worker %s removed: %s", worker->name, reason);
    zhashx_delete(self->workers, worker->identity);
}

/* Jobs done per second over the last RATE_WINDOW_S seconds: a ring of
   one-second buckets, cleared as time moves past them. */
static void worker_rate_advance(worker_t *worker, int64_t now)
{
    int64_t second = now / 1000;
    if (second - worker->rate_second >= RATE_WINDOW_S)
        memset(worker->done_per_second, 0, sizeof worker->done_per_second);
    else
        for (int64_t past = worker->rate_second + 1; past <= second; past++)
            worker->done_per_second[past % RATE_WINDOW_S] = 0;
    worker->rate_second = second;
}

uint32_t broker_worker_done_recently(worker_t *worker, int64_t now)
{
    worker_rate_advance(worker, now);
    uint32_t sum = 0;
    for (int i = 0; i < RATE_WINDOW_S; i++)
        sum += worker->done_per_second[i];
    return sum;
}

static void worker_touch(broker_t *self, worker_t *worker)
{
    worker->last_seen = zclock_mono();
    worker->expires = worker->last_seen + (int64_t) self->config.heartbeat_ms * self->config.liveness;
}

/* READY is a full statement of the worker's state: its free credit and
   the jobs it still holds. Leases it does not mention are handed back;
   orphans it names (after a broker restart) become its leases again. */
static void worker_ready(broker_t *self, worker_t *worker, assay_msg_t *msg)
{
    free(worker->name);
    worker->name = strdup(*assay_msg_worker(msg) ? assay_msg_worker(msg) : worker->identity);
    worker->credit = assay_msg_credit(msg);
    const assay_held_t *held = assay_msg_held(msg);
    size_t held_count = assay_msg_held_count(msg);

    job_t *job = zlistx_first(worker->leases);
    while (job) {
        job_t *next = zlistx_next(worker->leases);
        bool still_held = false;
        for (size_t i = 0; i < held_count && !still_held; i++)
            still_held = held[i].job_id == job->id && held[i].attempt == job->attempt;
        if (!still_held) {
            job_unlink(self, job);
            job_requeue(self, job, "worker restarted without it", 0, REQUEUE_LEASE_LOST);
        }
        job = next;
    }
    for (size_t i = 0; i < held_count; i++) {
        job = job_find(self, held[i].job_id);
        if (job && job->phase == JOB_RUNNING && !job->worker && job->attempt == held[i].attempt) {
            job_unlink(self, job);
            job->worker = worker;
            job->deadline = zclock_mono() + self->config.deadline_ms;
            job->lease_handle = zlistx_add_end(worker->leases, job);
            zsys_info("job %" PRIu64 " reclaimed by %s", job->id, worker->name);
        }
    }
    zsys_info("worker %s ready, credit %" PRIu32 ", holding %zu", worker->name, worker->credit,
              held_count);
}

/* A job's lease ends with DONE or FAILED from its holder. */
static job_t *lease_end(broker_t *self, worker_t *worker, assay_msg_t *msg)
{
    worker->credit++;   /* each answer returns the slot its JOB took */
    job_t *job = job_find(self, assay_msg_job_id(msg));
    if (!job || job->worker != worker || job->attempt != assay_msg_attempt(msg))
        return NULL;    /* requeued meanwhile: its new attempt decides */
    return job;
}

static void worker_done(broker_t *self, worker_t *worker, assay_msg_t *msg)
{
    if (assay_msg_code(msg) == ASSAY_DONE_STALE)
        self->counters.stale++;
    job_t *job = lease_end(self, worker, msg);
    if (!job)
        return;
    /* Committed, or refused by the attempt guard because the database
       moved on (cancelled): either way the database now holds its truth. */
    worker->done++;
    int64_t now = zclock_mono();
    worker_rate_advance(worker, now);
    worker->done_per_second[(now / 1000) % RATE_WINDOW_S]++;
    self->counters.done++;
    job_forget(self, job);
}

static void worker_failed(broker_t *self, worker_t *worker, assay_msg_t *msg)
{
    job_t *job = lease_end(self, worker, msg);
    if (!job)
        return;
    worker->failed++;
    self->counters.failed++;
    int shift = job->attempt > 10 ? 10 : (int) job->attempt - 1;
    int delay = self->config.retry_backoff_ms << (shift > 0 ? shift : 0);
    job_unlink(self, job);
    job_requeue(self, job, assay_msg_text(msg), delay, REQUEUE_FAILED);
}

/* A worker that reconnected (it thought us silent) comes back on a new
   routing id under its old name: its leases move to the new link, and
   READY then keeps those it still holds. Without this the old link would
   expire later and take jobs the worker is finishing. */
static void adopt_leases(broker_t *self, worker_t *worker, const char *name)
{
    if (!*name)
        return;
    worker_t *old = zhashx_first(self->workers);
    while (old && (old == worker || !old->name || strcmp(old->name, name) != 0))
        old = zhashx_next(self->workers);
    if (!old)
        return;
    job_t *job;
    while ((job = zlistx_first(old->leases))) {
        zlistx_delete(old->leases, job->lease_handle);
        job->worker = worker;
        job->lease_handle = zlistx_add_end(worker->leases, job);
    }
    worker->done = old->done;
    worker->failed = old->failed;
    zsys_info("worker %s reconnected: %zu leases carried over", name,
              zlistx_size(worker->leases));
    zhashx_delete(self->workers, old->identity);
}

static void handle_worker_message(broker_t *self, assay_msg_t *msg)
{
    zframe_t *routing_id = assay_msg_routing_id(msg);
    char *identity = zframe_strhex(routing_id);
    worker_t *worker = zhashx_lookup(self->workers, identity);
    assay_msg_id_t id = assay_msg_id(msg);

    /* A command no worker sends is a protocol error whether or not the
       peer is registered (its registration may have lapsed meanwhile). */
    if (id != ASSAY_MSG_READY && id != ASSAY_MSG_CREDIT && id != ASSAY_MSG_DONE
        && id != ASSAY_MSG_FAILED && id != ASSAY_MSG_HEARTBEAT && id != ASSAY_MSG_DISCONNECT) {
        self->counters.malformed_worker++;
        zsys_warning("%s sent %s on the worker link: dropped",
                     worker ? worker->name : "an unknown peer", assay_msg_command(msg));
        free(identity);
        return;
    }
    if (!worker && id == ASSAY_MSG_READY) {
        worker = calloc(1, sizeof *worker);
        worker->identity = strdup(identity);
        worker->routing_id = zframe_dup(routing_id);
        worker->leases = zlistx_new();
        worker->joined = zclock_mono();
        worker->rate_second = worker->joined / 1000;
        zhashx_insert(self->workers, identity, worker);
        adopt_leases(self, worker, assay_msg_worker(msg));
    }
    free(identity);
    if (!worker) {
        /* Unknown (e.g. we declared it lost, or we restarted): it must
           introduce itself again with READY. */
        if (id != ASSAY_MSG_DISCONNECT)
            worker_send_command(self, routing_id, ASSAY_MSG_DISCONNECT);
        return;
    }
    worker_touch(self, worker);
    switch (id) {
    case ASSAY_MSG_READY: worker_ready(self, worker, msg); break;
    case ASSAY_MSG_CREDIT: worker->credit += assay_msg_credit(msg); break;
    case ASSAY_MSG_DONE: worker_done(self, worker, msg); break;
    case ASSAY_MSG_FAILED: worker_failed(self, worker, msg); break;
    case ASSAY_MSG_DISCONNECT: worker_remove(self, worker, "worker disconnected"); break;
    case ASSAY_MSG_HEARTBEAT: break;
    default:
        self->counters.malformed_worker++;
        zsys_warning("worker %s sent %s on the worker link: dropped", worker->name,
                     assay_msg_command(msg));
    }
}

/* ---- dispatch ----------------------------------------------------------- */

typedef struct {
    broker_t *self;
    worker_t *worker;
} dispatch_context_t;

static void dispatched(void *arg, uint64_t job_id, uint32_t attempt, const char *standards,
                       const char *bundle, size_t bundle_size)
{
    dispatch_context_t *context = arg;
    broker_t *self = context->self;
    job_t *job = job_find(self, job_id);
    if (!job)
        return;
    job->attempt = attempt;
    job->phase = JOB_RUNNING;
    job->worker = context->worker;
    job->deadline = zclock_mono() + self->config.deadline_ms;
    job->lease_handle = zlistx_add_end(context->worker->leases, job);
    context->worker->credit--;
    self->counters.dispatched++;

    assay_msg_t *msg = assay_msg_new(ASSAY_MSG_JOB);
    assay_msg_set_job_id(msg, job_id);
    assay_msg_set_attempt(msg, attempt);
    assay_msg_set_deadline_ms(msg, (uint32_t) self->config.deadline_ms);
    assay_msg_set_standards(msg, standards);
    assay_msg_set_body(msg, bundle, bundle_size);
    worker_send(self, context->worker, &msg);
}

/* Take up to `limit` jobs that may run now, in queue order. */
static size_t queue_take(broker_t *self, job_t **taken, size_t limit)
{
    int64_t now = zclock_mono();
    size_t count = 0;
    job_t *job = zlistx_first(self->queue);
    while (job && count < limit) {
        job_t *next = zlistx_next(self->queue);
        if (job->not_before <= now) {
            zlistx_delete(self->queue, job->queue_handle);
            job->queue_handle = NULL;
            taken[count++] = job;
        }
        job = next;
    }
    return count;
}

static bool dispatch_to(broker_t *self, worker_t *worker)
{
    job_t *taken[DISPATCH_BATCH];
    size_t limit = worker->credit < DISPATCH_BATCH ? worker->credit : DISPATCH_BATCH;
    size_t count = queue_take(self, taken, limit);
    if (count == 0)
        return false;
    uint64_t ids[DISPATCH_BATCH];
    uint32_t attempts[DISPATCH_BATCH];
    for (size_t i = 0; i < count; i++) {
        ids[i] = taken[i]->id;
        attempts[i] = taken[i]->attempt;
    }
    dispatch_context_t context = { self, worker };
    if (broker_db_dispatch(self->db, worker->name, ids, attempts, count, dispatched, &context) != 0) {
        zsys_warning("dispatch postponed: %s", broker_db_error(self->db));
        for (size_t i = count; i-- > 0;)
            taken[i]->queue_handle = zlistx_add_start(self->queue, taken[i]);
        return false;
    }
    /* Jobs the database did not move were finished or cancelled meanwhile. */
    for (size_t i = 0; i < count; i++)
        if (taken[i]->phase == JOB_QUEUED)
            job_forget(self, taken[i]);
    return true;
}

static void dispatch(broker_t *self)
{
    if (!self->recovered || zlistx_size(self->queue) == 0 || !broker_db_ready(self->db))
        return;
    bool progress = true;
    while (progress && zlistx_size(self->queue) > 0) {
        progress = false;
        for (worker_t *worker = zhashx_first(self->workers); worker;
             worker = zhashx_next(self->workers))
            if (worker->credit > 0 && dispatch_to(self, worker))
                progress = true;
    }
}

/* ---- timers ------------------------------------------------------------- */

static void heartbeat_workers(broker_t *self, int64_t now)
{
    if (now < self->next_heartbeat)
        return;
    self->next_heartbeat = now + self->config.heartbeat_ms;
    for (worker_t *worker = zhashx_first(self->workers); worker;
         worker = zhashx_next(self->workers))
        worker_send_command(self, worker->routing_id, ASSAY_MSG_HEARTBEAT);
}

static void expire_workers(broker_t *self, int64_t now)
{
    zlistx_t *lost = zlistx_new();
    for (worker_t *worker = zhashx_first(self->workers); worker;
         worker = zhashx_next(self->workers))
        if (worker->expires < now)
            zlistx_add_end(lost, worker);
    for (worker_t *worker = zlistx_first(lost); worker; worker = zlistx_next(lost)) {
        char reason[128];
        snprintf(reason, sizeof reason, "worker %s lost: silent for %" PRId64 " ms", worker->name,
                 now - worker->last_seen);
        worker_remove(self, worker, reason);
    }
    zlistx_destroy(&lost);
}

/* A job past its deadline is requeued even while its worker heartbeats:
   liveness and progress are separate questions. The worker's slot stays
   taken until it answers for that job. */
static void expire_leases(broker_t *self, int64_t now)
{
    for (worker_t *worker = zhashx_first(self->workers); worker;
         worker = zhashx_next(self->workers)) {
        job_t *job = zlistx_first(worker->leases);
        while (job) {
            job_t *next = zlistx_next(worker->leases);
            if (job->deadline < now) {
                job_unlink(self, job);
                job_requeue(self, job, "deadline exceeded", 0, REQUEUE_FAILED);
            }
            job = next;
        }
    }
}

static void expire_orphans(broker_t *self, int64_t now)
{
    if (now < self->orphans_until || now < self->requeue_retry_at
        || zlistx_size(self->orphans) == 0)
        return;
    job_t *job;
    size_t rounds = zlistx_size(self->orphans);
    while (rounds-- > 0 && (job = zlistx_first(self->orphans))) {
        job_unlink(self, job);
        job_requeue(self, job, "not reclaimed after broker restart", 0, REQUEUE_LEASE_LOST);
    }
    self->orphans_until = now + self->config.heartbeat_ms;
}

static void load_row(void *arg, uint64_t job_id, uint32_t attempt, bool running, int64_t delay_ms)
{
    broker_t *self = arg;
    broker_job_add(self, job_id, attempt, running, delay_ms);
    if (!running && job_id > self->loaded_upto)
        self->loaded_upto = job_id;
}

/* Keep the cache full enough: load queued jobs that wait only in the
   database, in id order, up to the memory limit. */
static void refill(broker_t *self)
{
    size_t cached = zhashx_size(self->jobs);
    if (!self->spilled || cached >= self->config.max_jobs_in_memory / 2 + 1
        || !broker_db_ready(self->db))
        return;
    int room = (int) (self->config.max_jobs_in_memory - cached);
    int loaded = broker_db_load_queued(self->db, self->loaded_upto, room, load_row, self);
    if (loaded >= 0 && loaded < room)
        self->spilled = false;
}

static void recover(broker_t *self)
{
    if (self->recovered || !broker_db_ready(self->db))
        return;
    if (broker_db_load_running(self->db, load_row, self) < 0)
        return;
    self->spilled = true;
    self->loaded_upto = 0;
    refill(self);
    self->recovered = true;
    self->orphans_until = zclock_mono() + self->config.lease_grace_ms;
    zsys_info("recovered: %zu unfinished jobs cached (%zu running awaiting reclaim)",
              zhashx_size(self->jobs), zlistx_size(self->orphans));
}

static void handle_workers(broker_t *self);

static void tick(broker_t *self)
{
    recover(self);
    /* Read what workers sent while the loop was busy (a large intake)
       before judging their silence: a queued heartbeat is a live worker. */
    handle_workers(self);
    int64_t now = zclock_mono();
    /* A loop that was itself stalled (a slow statement) did not listen: that time is not the workers'
       silence, so their deadlines move by it. */
    int64_t stall = self->last_tick ? now - self->last_tick - 50 : 0;
    if (stall > self->config.heartbeat_ms)
        for (worker_t *worker = zhashx_first(self->workers); worker;
             worker = zhashx_next(self->workers))
            worker->expires += stall;
    self->last_tick = now;
    heartbeat_workers(self, now);
    expire_workers(self, now);
    expire_leases(self, now);
    expire_orphans(self, now);
    refill(self);
}

/* ---- clients ------------------------------------------------------------ */

void broker_send_client(broker_t *self, assay_msg_t **msg_p)
{
    assay_msg_send(msg_p, self->clients);
}

static void reply(broker_t *self, assay_msg_t *request, int code, const char *body)
{
    assay_msg_t *answer = assay_msg_new(ASSAY_MSG_REPLY);
    assay_msg_set_routing_id(answer, assay_msg_routing_id(request));
    assay_msg_set_request_id(answer, assay_msg_request_id(request));
    assay_msg_set_code(answer, (uint32_t) code);
    assay_msg_set_body(answer, body, strlen(body));
    broker_send_client(self, &answer);
}

/* cancel and retry change what the cache holds, so they run here. */
static void cancelled_row(void *arg, uint64_t job_id, uint32_t attempt, bool running, int64_t delay)
{
    broker_t *self = arg;
    job_t *job = job_find(self, job_id);
    if (job && job->phase == JOB_QUEUED)
        job_forget(self, job);
}

static void retried_row(void *arg, uint64_t job_id, uint32_t attempt, bool running, int64_t delay)
{
    broker_job_add(arg, job_id, attempt, false, 0);
}

static void change_jobs(broker_t *self, assay_msg_t *msg, bool cancel)
{
    if (!broker_db_ready(self->db)) {
        reply(self, msg, ASSAY_CODE_RETRY, "{\"error\":\"database unavailable\"}");
        return;
    }
    int changed = cancel ? broker_db_cancel(self->db, assay_msg_target(msg), cancelled_row, self)
                         : broker_db_retry(self->db, assay_msg_target(msg), retried_row, self);
    if (changed < 0) {
        reply(self, msg, ASSAY_CODE_RETRY, "{\"error\":\"database unavailable\"}");
        return;
    }
    char body[96];
    snprintf(body, sizeof body, "{\"%s\":%d}", cancel ? "cancelled" : "requeued", changed);
    reply(self, msg, ASSAY_CODE_OK, body);
}

static void handle_query(broker_t *self, assay_msg_t *msg)
{
    const char *verb = assay_msg_text(msg);
    /* Reads and the override write run in the query thread, on its own
       connection. stats goes there too, carrying what our memory holds
       as its body: the thread adds the database's counts. */
    if (strcmp(verb, "status") == 0 || strcmp(verb, "results") == 0
        || strcmp(verb, "diff") == 0 || strcmp(verb, "history") == 0
        || strcmp(verb, "override") == 0 || strcmp(verb, "overrides") == 0) {
        zmsg_t *forward = assay_msg_encode(msg);
        zmsg_send(&forward, self->query);
    } else if (strcmp(verb, "stats") == 0) {
        char *body = broker_stats_json(self);
        assay_msg_set_body(msg, body, strlen(body));
        free(body);
        zmsg_t *forward = assay_msg_encode(msg);
        zmsg_send(&forward, self->query);
    } else if (strcmp(verb, "cancel") == 0 || strcmp(verb, "retry") == 0)
        change_jobs(self, msg, strcmp(verb, "cancel") == 0);
    else
        reply(self, msg, ASSAY_CODE_BAD_INPUT, "{\"error\":\"unknown query verb\"}");
}

static void handle_clients(broker_t *self)
{
    char default_batch[64];
    snprintf(default_batch, sizeof default_batch, "batch-%" PRId64, zclock_time());
    for (int i = 0; i < CLIENT_LIMIT && !broker_intake_full(self)
                    && (zsock_events(self->clients) & ZMQ_POLLIN); i++) {
        zmsg_t *raw = zmsg_recv(self->clients);
        if (!raw)
            break;
        /* A SUBMIT goes to intake as received: a validator thread decodes
           it, so its bundle (up to 16 MiB) is never copied here. */
        if (assay_msg_peek_id(raw, true) == ASSAY_MSG_SUBMIT) {
            broker_intake_submit(self, &raw, default_batch);
            continue;
        }
        const char *reason = NULL;
        assay_msg_t *msg = assay_msg_decode(raw, true, &reason);
        zmsg_destroy(&raw);
        if (!msg) {
            self->counters.malformed_client++;
            zsys_warning("client message dropped: %s", reason ? reason : "unreadable");
            continue;
        }
        if (assay_msg_id(msg) == ASSAY_MSG_QUERY)
            handle_query(self, msg);
        else {
            self->counters.malformed_client++;
            zsys_warning("client sent %s: dropped", assay_msg_command(msg));
        }
        assay_msg_destroy(&msg);
    }
}

/* Intake holds too much: leave new messages in ZeroMQ's queue (the
   clients' sends then wait) until it has drained to half. */
static void pace_clients(broker_t *self)
{
    if (!self->clients_paused && broker_intake_full(self)) {
        zpoller_remove(self->poller, self->clients);
        self->clients_paused = true;
    } else if (self->clients_paused && broker_intake_eased(self)) {
        zpoller_add(self->poller, self->clients);
        self->clients_paused = false;
    }
}

static void handle_workers(broker_t *self)
{
    for (int i = 0; i < DRAIN_LIMIT && (zsock_events(self->workers_socket) & ZMQ_POLLIN); i++) {
        const char *reason = NULL;
        assay_msg_t *msg = assay_msg_recv(self->workers_socket, &reason);
        if (!msg) {
            self->counters.malformed_worker++;
            zsys_warning("worker message dropped: %s", reason ? reason : "unreadable");
            continue;
        }
        handle_worker_message(self, msg);
        assay_msg_destroy(&msg);
    }
}

/* ---- lifecycle ---------------------------------------------------------- */

broker_t *broker_new(const broker_config_t *config, char *error, size_t error_size)
{
    diag_list_t *diags = diag_list_new();
    catalog_set_t *catalogs = util_catalogs_load(config->catalogs, diags);
    if (!catalogs) {
        char *text = diag_list_format(diags);
        snprintf(error, error_size, "cannot load catalogs:\n%s", text ? text : "");
        free(text);
        diag_list_destroy(&diags);
        return NULL;
    }
    diag_list_destroy(&diags);

    broker_t *self = calloc(1, sizeof *self);
    self->config = *config;
    self->catalogs = catalogs;
    self->clients = zsock_new(ZMQ_ROUTER);
    self->workers_socket = zsock_new(ZMQ_ROUTER);
    /* A ROUTER drops what it cannot queue for a peer: a group of answers
       (a committed intake group can answer a thousand SUBMITs of one
       client at once) must fit, or the client waits for answers that
       were never sent. Answers are bounded by the requests in flight. */
    if (self->clients)
        zsock_set_sndhwm(self->clients, CLIENT_SNDHWM);
    if (!self->clients || !self->workers_socket
        || zsock_bind(self->clients, "%s", config->client_endpoint) < 0
        || zsock_bind(self->workers_socket, "%s", config->worker_endpoint) < 0) {
        snprintf(error, error_size, "cannot bind %s / %s: %s", config->client_endpoint,
                 config->worker_endpoint, zmq_strerror(zmq_errno()));
        broker_destroy(&self);
        return NULL;
    }
    self->db = broker_db_new(config->database_url);
    self->query = zactor_new(broker_query_actor, self);
    self->jobs = zhashx_new();
    zhashx_set_destructor(self->jobs, job_destructor);
    self->queue = zlistx_new();
    self->orphans = zlistx_new();
    self->workers = zhashx_new();
    zhashx_set_destructor(self->workers, worker_destructor);
    self->poller = zpoller_new(self->clients, self->workers_socket, self->query, NULL);
    self->started = zclock_mono();
    if (!self->query || broker_intake_start(self) != 0) {
        snprintf(error, error_size, "cannot start the broker's threads");
        broker_destroy(&self);
        return NULL;
    }
    return self;
}

void broker_destroy(broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_t *self = *self_p;
    zpoller_destroy(&self->poller);
    broker_intake_stop(self);
    zactor_destroy(&self->query);
    zhashx_destroy(&self->workers);
    zlistx_destroy(&self->queue);
    zlistx_destroy(&self->orphans);
    zhashx_destroy(&self->jobs);
    zsock_destroy(&self->clients);
    zsock_destroy(&self->workers_socket);
    broker_db_destroy(&self->db);
    catalog_set_destroy(&self->catalogs);
    free(self);
    *self_p = NULL;
}

int broker_run(broker_t *self)
{
    zsys_info("broker: clients on %s, workers on %s", self->config.client_endpoint,
              self->config.worker_endpoint);
    recover(self);
    int64_t next_tick = 0;
    while (!zsys_interrupted) {
        void *which = zpoller_wait(self->poller, 50);
        if (zpoller_terminated(self->poller))
            break;
        int64_t turn_started = zclock_mono();
        if (which == self->clients)
            handle_clients(self);
        else if (which == self->workers_socket)
            handle_workers(self);
        else if (which == self->query) {
            zmsg_t *answer = zmsg_recv(self->query);
            if (answer)
                zmsg_send(&answer, self->clients);
        } else
            broker_intake_handle(self, which);
        pace_clients(self);
        /* Timers need not run after every message; 20 times a second
           keeps heartbeats and leases well inside their periods. */
        if (zclock_mono() >= next_tick) {
            tick(self);
            next_tick = zclock_mono() + 50;
        }
        dispatch(self);
        /* The longest the loop was deaf: what a heartbeat or a query
           may have waited (stats: longest_turn_ms). */
        int64_t turn = zclock_mono() - turn_started;
        if (turn > self->longest_turn_ms)
            self->longest_turn_ms = turn;
    }
    /* Submissions already read are answered: committed ones ACCEPTED,
       the rest refused or, past the deadline, left to the clients'
       resend (same key, same job). */
    broker_intake_drain(self, SHUTDOWN_DRAIN_MS);
    /* Tell workers we are going so they reconnect at once when we are
       back, instead of waiting out the heartbeat. Their jobs stay running
       in the database and are reclaimed after the restart. */
    for (worker_t *worker = zhashx_first(self->workers); worker;
         worker = zhashx_next(self->workers))
        worker_send_command(self, worker->routing_id, ASSAY_MSG_DISCONNECT);
    zsys_info("broker: stopped");
    return 0;
}
