/*  worker.c - the worker's main thread: the broker link, heartbeats,
    credit, and the hand-offs between evaluators and the writer.

    The main thread never computes and never waits on the database, so it
    always answers heartbeats; a worker is only declared lost when it truly
    stops. It owns every task from JOB to DONE/FAILED.
*/
#include "worker.h"
#include "assay_msg.h"
#include "util.h"
#include "worker_actors.h"
#include "worker_db.h"

#include <inttypes.h>
#include <unistd.h>

typedef struct {
    worker_config_t config;
    catalog_set_t *catalogs;
    zsock_t *broker;
    zactor_t **evaluators;
    bool *evaluator_busy;
    zactor_t *writer;
    zpoller_t *poller;      /* broker, writer and evaluators */
    zhashx_t *tasks;        /* "job:attempt" -> worker_task_t, owned */
    zlistx_t *waiting;      /* tasks received while every evaluator was busy */
    int64_t broker_expires;
    int64_t next_heartbeat;
    bool stopping;
} worker_t;

void worker_config_defaults(worker_config_t *config)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    *config = (worker_config_t) {
        .broker_endpoint = UTIL_DEFAULT_WORKER_ENDPOINT,
        .database_url = UTIL_DEFAULT_DATABASE_URL,
        .slots = 16,
        .threads = cores > 0 ? (int) cores : 1,
        .heartbeat_ms = 1000,
        .liveness = 3,
        .shutdown_ms = 10000,
    };
}

static void task_key(uint64_t job_id, uint32_t attempt, char key[40])
{
    snprintf(key, 40, "%" PRIu64 ":%" PRIu32, job_id, attempt);
}

static void task_destructor(void **item)
{
    worker_task_destroy((worker_task_t **) item);
}

static void send_to_broker(worker_t *self, assay_msg_t **msg_p)
{
    assay_msg_send(msg_p, self->broker);
    self->next_heartbeat = zclock_mono() + self->config.heartbeat_ms;
}

static void send_command(worker_t *self, assay_msg_id_t id)
{
    assay_msg_t *msg = assay_msg_new(id);
    send_to_broker(self, &msg);
}

/* READY states everything the broker needs to know about us: our free
   slots and the jobs we still hold (so their leases survive a reconnect
   or a broker restart). */
static void send_ready(worker_t *self)
{
    size_t held_count = zhashx_size(self->tasks);
    assay_held_t *held = calloc(held_count + 1, sizeof *held);
    size_t i = 0;
    for (worker_task_t *task = zhashx_first(self->tasks); task; task = zhashx_next(self->tasks))
        held[i++] = (assay_held_t) { task->job_id, task->attempt };
    assay_msg_t *msg = assay_msg_new(ASSAY_MSG_READY);
    assay_msg_set_worker(msg, self->config.name);
    int free_slots = self->stopping ? 0 : self->config.slots - (int) held_count;
    assay_msg_set_credit(msg, free_slots > 0 ? (uint32_t) free_slots : 0);
    assay_msg_set_held(msg, held, held_count);
    free(held);
    send_to_broker(self, &msg);
}

static void broker_connect(worker_t *self)
{
    zsock_destroy(&self->broker);
    self->broker = zsock_new_dealer(self->config.broker_endpoint);
    if (!self->broker) {
        zsys_error("cannot connect to %s", self->config.broker_endpoint);
        return;
    }
    /* Let DONE and DISCONNECT go out even when we exit right after. */
    zsock_set_linger(self->broker, 2000);
    zpoller_destroy(&self->poller);
    self->poller = zpoller_new(self->broker, self->writer, NULL);
    zpoller_set_nonstop(self->poller, true);
    for (int i = 0; i < self->config.threads; i++)
        zpoller_add(self->poller, self->evaluators[i]);
    self->broker_expires = zclock_mono() + (int64_t) self->config.heartbeat_ms * self->config.liveness;
    send_ready(self);
}

static void finish(worker_t *self, worker_task_t *task)
{
    char key[40];
    task_key(task->job_id, task->attempt, key);
    zhashx_delete(self->tasks, key);
}

static void start_evaluation(worker_t *self, worker_task_t *task)
{
    for (int i = 0; i < self->config.threads; i++)
        if (!self->evaluator_busy[i]) {
            self->evaluator_busy[i] = true;
            zsock_send(self->evaluators[i], "p", task);
            return;
        }
    zlistx_add_end(self->waiting, task);
}

static void receive_job(worker_t *self, assay_msg_t *msg)
{
    char key[40];
    task_key(assay_msg_job_id(msg), assay_msg_attempt(msg), key);
    if (zhashx_lookup(self->tasks, key))
        return;   /* a duplicate delivery of a job we already hold */
    if (self->stopping)
        return;   /* draining: our DISCONNECT hands it back at once */
    worker_task_t *task = worker_task_new(assay_msg_job_id(msg), assay_msg_attempt(msg),
                                          assay_msg_standards(msg), assay_msg_body(msg),
                                          assay_msg_body_size(msg));
    if (!task) {
        assay_msg_t *failed = assay_msg_new(ASSAY_MSG_FAILED);
        assay_msg_set_job_id(failed, assay_msg_job_id(msg));
        assay_msg_set_attempt(failed, assay_msg_attempt(msg));
        assay_msg_set_text(failed, "worker out of memory");
        send_to_broker(self, &failed);
        return;
    }
    zhashx_insert(self->tasks, key, task);
    start_evaluation(self, task);
}

static void handle_broker(worker_t *self)
{
    const char *reason = NULL;
    assay_msg_t *msg = assay_msg_recv(self->broker, &reason);
    if (!msg) {
        if (reason)
            zsys_warning("broker message dropped: %s", reason);
        return;
    }
    self->broker_expires = zclock_mono() + (int64_t) self->config.heartbeat_ms * self->config.liveness;
    switch (assay_msg_id(msg)) {
    case ASSAY_MSG_JOB: receive_job(self, msg); break;
    case ASSAY_MSG_HEARTBEAT: break;
    case ASSAY_MSG_DISCONNECT:
        /* The broker does not know us (it restarted, or declared us lost):
           introduce ourselves again with what we hold. */
        zsys_info("broker asked us to reconnect");
        send_ready(self);
        break;
    default:
        zsys_warning("broker sent %s on the worker link: dropped", assay_msg_command(msg));
    }
    assay_msg_destroy(&msg);
}

static void handle_evaluated(worker_t *self, int index)
{
    worker_task_t *task = NULL;
    if (zsock_recv(self->evaluators[index], "p", &task) != 0 || !task)
        return;
    self->evaluator_busy[index] = false;
    worker_task_t *next = zlistx_first(self->waiting);
    if (next) {
        zlistx_delete(self->waiting, zlistx_cursor(self->waiting));
        start_evaluation(self, next);
    }
    if (task->error) {
        assay_msg_t *msg = assay_msg_new(ASSAY_MSG_FAILED);
        assay_msg_set_job_id(msg, task->job_id);
        assay_msg_set_attempt(msg, task->attempt);
        assay_msg_set_text(msg, task->error);
        zsys_warning("job %" PRIu64 " attempt %" PRIu32 " failed: %s", task->job_id,
                     task->attempt, task->error);
        send_to_broker(self, &msg);
        finish(self, task);
    } else
        zsock_send(self->writer, "p", task);
}

static void handle_written(worker_t *self)
{
    worker_task_t *task = NULL;
    if (zsock_recv(self->writer, "p", &task) != 0 || !task)
        return;
    assay_msg_t *msg = assay_msg_new(task->error ? ASSAY_MSG_FAILED : ASSAY_MSG_DONE);
    assay_msg_set_job_id(msg, task->job_id);
    assay_msg_set_attempt(msg, task->attempt);
    if (task->error)
        assay_msg_set_text(msg, task->error);
    else
        assay_msg_set_code(msg, task->stale ? ASSAY_DONE_STALE : ASSAY_DONE_COMMITTED);
    if (task->stale)
        zsys_warning("job %" PRIu64 " attempt %" PRIu32 ": result refused by the attempt guard "
                     "(the job was requeued meanwhile)", task->job_id, task->attempt);
    send_to_broker(self, &msg);
    finish(self, task);
}

static void on_timers(worker_t *self)
{
    int64_t now = zclock_mono();
    if (now >= self->broker_expires) {
        zsys_warning("broker silent for %d ms: reconnecting",
                     self->config.heartbeat_ms * self->config.liveness);
        broker_connect(self);
    } else if (now >= self->next_heartbeat)
        send_command(self, ASSAY_MSG_HEARTBEAT);
}

static int start(worker_t *self)
{
    diag_list_t *diags = diag_list_new();
    self->catalogs = util_catalogs_load(self->config.catalogs, diags);
    if (!self->catalogs) {
        char *text = diag_list_format(diags);
        zsys_error("cannot load catalogs:\n%s", text ? text : "");
        free(text);
        diag_list_destroy(&diags);
        return -1;
    }
    diag_list_destroy(&diags);
    self->tasks = zhashx_new();
    zhashx_set_destructor(self->tasks, task_destructor);
    self->waiting = zlistx_new();
    self->evaluators = calloc((size_t) self->config.threads, sizeof *self->evaluators);
    self->evaluator_busy = calloc((size_t) self->config.threads, sizeof *self->evaluator_busy);
    for (int i = 0; i < self->config.threads; i++)
        self->evaluators[i] = zactor_new(worker_evaluator_actor, self->catalogs);
    worker_db_t *db = worker_db_new(self->config.database_url, self->config.name, self->catalogs);
    self->writer = zactor_new(worker_writer_actor, db);
    broker_connect(self);
    return self->broker ? 0 : -1;
}

static void stop(worker_t *self)
{
    if (self->broker)
        send_command(self, ASSAY_MSG_DISCONNECT);
    zpoller_destroy(&self->poller);
    zactor_destroy(&self->writer);
    for (int i = 0; self->evaluators && i < self->config.threads; i++)
        zactor_destroy(&self->evaluators[i]);
    free(self->evaluators);
    free(self->evaluator_busy);
    zlistx_destroy(&self->waiting);
    zhashx_destroy(&self->tasks);
    zsock_destroy(&self->broker);
    catalog_set_destroy(&self->catalogs);
}

/* One turn of the loop: wait for any of our sockets, handle it. */
static void turn(worker_t *self)
{
    int64_t wait = self->next_heartbeat - zclock_mono();
    void *which = self->poller
        ? zpoller_wait(self->poller, wait > 0 ? (int) (wait < 100 ? wait : 100) : 0) : NULL;
    if (!self->poller)
        zclock_sleep(100);   /* no socket yet: retry the connection */
    if (which && which == self->broker)
        handle_broker(self);
    else if (which && which == self->writer)
        handle_written(self);
    else if (which)
        for (int i = 0; i < self->config.threads; i++)
            if (which == self->evaluators[i])
                handle_evaluated(self, i);
    on_timers(self);
}

int worker_run(const worker_config_t *config)
{
    worker_t self = { .config = *config };
    if (start(&self) != 0) {
        stop(&self);
        return 1;
    }
    zsys_info("worker %s: %d slots, broker %s", config->name, config->slots,
              config->broker_endpoint);
    while (!zsys_interrupted)
        turn(&self);

    /* SIGTERM: take no more work, finish and commit what is being
       evaluated within shutdown_ms, and hand back what never started:
       READY without those jobs makes the broker requeue them now, and the
       DISCONNECT at the end returns whatever arrived meanwhile. */
    self.stopping = true;
    worker_task_t *waiting;
    while ((waiting = zlistx_first(self.waiting))) {
        zlistx_delete(self.waiting, zlistx_cursor(self.waiting));
        finish(&self, waiting);
    }
    send_ready(&self);
    int64_t give_up = zclock_mono() + config->shutdown_ms;
    while (zhashx_size(self.tasks) > 0 && zclock_mono() < give_up)
        turn(&self);
    if (zhashx_size(self.tasks) > 0)
        zsys_warning("stopping with %zu jobs unfinished: the broker requeues them",
                     zhashx_size(self.tasks));
    stop(&self);
    zsys_info("worker %s: stopped", config->name);
    return 0;
}
