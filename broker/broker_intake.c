/*  broker_intake.c - durable intake of submissions, off the event loop.

    A SUBMIT travels through three kinds of thread, as a pointer to one
    intake_item_t that only the thread holding the pointer touches:

      main loop --item--> validator (one of --validators, default 2):
                          decodes the SUBMIT (the loop only received it,
                          so its megabytes are never copied there), then
                          size, standards, bundle_parse, SHA-256, default
                          key (broker_check.c, with the shared read-only
                          catalogs)
      main loop <--item-- validator: items are taken back in the order
                          the SUBMITs arrived (validators finish out of
                          order), so job ids follow submission order; a
                          bad bundle is refused (code 2) here
      main loop --item--> intake writer: gathers whatever is waiting into
                          one group (up to GROUP_MAX items or GROUP_BYTES
                          of bundles), stores it with one assay_submit_many
                          statement in one transaction on its own
                          PostgreSQL connection, and hands the group back
      main loop <--group- intake writer: ACCEPTED for each (only after
                          COMMIT), refused 2 for a key conflict, refused 75
                          for all of a group that could not be committed;
                          new jobs enter the cache in id order

    So the loop never parses a bundle or waits for the database on behalf
    of a submission; heartbeats, dispatch and queries go on meanwhile.
    Items in validators or the writer are bounded (INTAKE_MAX_ITEMS,
    INTAKE_MAX_BYTES): past that the loop stops reading the client socket
    until they drain, which slows clients without dropping them.
*/
#include "broker_internal.h"
#include "broker_check.h"

#include <inttypes.h>
#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define GROUP_MAX 1024                    /* submissions per transaction */
#define GROUP_BYTES (64u << 20)           /* bundle bytes per transaction */
/* A group still small gathers a little longer while submissions keep
   coming (each within GATHER_GAP_MS of the last, GATHER_MAX_MS in all):
   validators return items one by one, and a burst should be one
   transaction, not one per item. A lone submission waits GATHER_GAP_MS. */
#define GATHER_GAP_MS 2
#define GATHER_MAX_MS 20
#define VALIDATOR_NICE 5
#define INTAKE_MAX_ITEMS 8192
#define INTAKE_MAX_BYTES ((size_t) 256 << 20)

struct _intake_item_t {
    zmsg_t *raw;                /* as received, until the validator decodes it */
    assay_msg_t *msg;           /* the SUBMIT, decoded; NULL when malformed */
    char *malformed;            /* why it could not be decoded */
    char *default_batch;        /* the broker's name for an unnamed batch */
    char *batch;                /* as sent, or the default */
    size_t validator;           /* which validator has (or had) it */
    size_t bytes;               /* its body's size, for the bounds */
    void *arrival_handle;       /* in broker.intake_arrivals until checked */
    bool checked;               /* back from its validator */
    broker_check_t check;       /* set by the validator */
    broker_submit_result_t result;   /* set by the writer when stored */
    bool stored;                /* committed; else `error` says why not */
    char *error;
};

static void item_destroy(intake_item_t **item_p)
{
    intake_item_t *item = *item_p;
    if (!item)
        return;
    zmsg_destroy(&item->raw);
    assay_msg_destroy(&item->msg);
    free(item->malformed);
    free(item->default_batch);
    broker_check_clear(&item->check);
    free(item->batch);
    free(item->error);
    free(item);
    *item_p = NULL;
}

/* Items travel as pointer frames (zmsg_popptr is a draft API). */
static void send_item(void *destination, intake_item_t *item)
{
    zframe_t *frame = zframe_new(&item, sizeof item);
    zframe_send(&frame, destination, 0);
}

static intake_item_t *item_of(zframe_t *frame)
{
    intake_item_t *item = NULL;
    if (frame && zframe_size(frame) == sizeof item)
        memcpy(&item, zframe_data(frame), sizeof item);
    return item;
}

/* Wait for the pipe; false only when the context is gone. A signal that
   lands on this thread (EINTR) is the main loop's business, not ours. */
static bool wait_for_pipe(zpoller_t *poller, zsock_t *pipe)
{
    while (true) {
        if (zpoller_wait(poller, -1) == pipe)
            return true;
        if (zmq_errno() != EINTR)
            return false;
    }
}

/* ---- validator threads ----------------------------------------------- */

/* The broker is only read: config and catalogs do not change while the
   thread lives (broker_destroy ends it first). */
static void validator_actor(zsock_t *pipe, void *arg)
{
    const broker_t *broker = arg;
#if defined(__linux__)
    /* Checking bundles is bulk work: when the cores are busy, the loop
       (heartbeats, dispatch), the query thread and other clients go
       first. Linux gives each thread its own nice value. */
    if (setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid), VALIDATOR_NICE) != 0)
        zsys_debug("validator: cannot lower its priority");
#endif
    zsock_signal(pipe, 0);
    /* Nonstop: SIGTERM is for the main loop to act on; we finish what we
       hold and end on $TERM. */
    zpoller_t *poller = zpoller_new(pipe, NULL);
    zpoller_set_nonstop(poller, true);
    while (wait_for_pipe(poller, pipe)) {
        zframe_t *frame = zframe_recv(pipe);
        if (!frame)
            continue;
        if (zframe_streq(frame, "$TERM")) {
            zframe_destroy(&frame);
            break;
        }
        intake_item_t *item = item_of(frame);
        zframe_destroy(&frame);
        if (!item)
            continue;
        const char *reason = NULL;
        item->msg = assay_msg_decode(item->raw, true, &reason);
        zmsg_destroy(&item->raw);
        if (!item->msg)
            item->malformed = strdup(reason ? reason : "unreadable");
        else {
            assay_msg_t *msg = item->msg;
            const char *batch = assay_msg_batch(msg);
            item->batch = strdup(*batch ? batch : item->default_batch);
            broker_check_submission(broker->catalogs, broker->config.max_bundle_bytes,
                                    assay_msg_standards(msg), assay_msg_key(msg),
                                    assay_msg_body(msg), assay_msg_body_size(msg), &item->check);
            if (!item->check.valid)
                assay_msg_set_body(msg, NULL, 0);   /* freed here, not on the loop */
        }
        send_item(pipe, item);
    }
    zpoller_destroy(&poller);
}

/* ---- the intake writer thread ---------------------------------------- */

typedef struct {
    intake_item_t *items[GROUP_MAX];
    size_t count;
    size_t bytes;
} group_t;

static void store_group(broker_db_t *db, const broker_config_t *config, group_t *group)
{
    broker_submission_t *rows = calloc(group->count, sizeof *rows);
    size_t *sizes = calloc(group->count, sizeof *sizes);
    broker_submit_result_t *results = calloc(group->count, sizeof *results);
    bool stored = rows && sizes && results && broker_db_ready(db);
    if (stored) {
        for (size_t i = 0; i < group->count; i++) {
            intake_item_t *item = group->items[i];
            rows[i] = (broker_submission_t) {
                .batch = item->batch, .key = item->check.key, .unit_id = item->check.unit_id,
                .standards = item->check.standards, .sha256 = item->check.sha256,
                .content = assay_msg_body(item->msg), .max_attempts = config->max_attempts,
            };
            sizes[i] = assay_msg_body_size(item->msg);
        }
        stored = broker_db_begin(db) == 0;
        if (stored && broker_db_submit_many(db, rows, sizes, group->count, results) != 0) {
            broker_db_rollback(db);
            stored = false;
        }
        stored = stored && broker_db_commit(db) == 0;
    }
    char *error = stored ? NULL
        : zsys_sprintf("not accepted, retry later: %s",
                       rows && sizes && results ? broker_db_error(db) : "out of memory");
    for (size_t i = 0; i < group->count; i++) {
        intake_item_t *item = group->items[i];
        item->stored = stored;
        if (stored)
            item->result = results[i];
        else
            item->error = strdup(error ? error : "not accepted, retry later");
        /* Only the routing id and request id are needed to answer: the
           bundle is freed here, not on the loop. */
        assay_msg_set_body(item->msg, NULL, 0);
    }
    zstr_free(&error);
    free(rows);
    free(sizes);
    free(results);
}

/* Hand the group back in one message: a flag frame (1: committed in one
   transaction), then a pointer frame per item, in group order. */
static void return_group(zsock_t *pipe, group_t *group)
{
    zmsg_t *msg = zmsg_new();
    uint8_t committed = group->count && group->items[0]->stored;
    zmsg_addmem(msg, &committed, 1);
    for (size_t i = 0; i < group->count; i++)
        zmsg_addmem(msg, &group->items[i], sizeof group->items[i]);
    zmsg_send(&msg, pipe);
    group->count = 0;
    group->bytes = 0;
}

/* Take what waits on the pipe into the group, as long as it has room;
   sets *terminated on $TERM. */
static void gather(zsock_t *pipe, group_t *group, bool *terminated)
{
    do {
        zframe_t *frame = zframe_recv(pipe);
        if (!frame)
            break;
        if (zframe_streq(frame, "$TERM"))
            *terminated = true;
        intake_item_t *item = item_of(frame);
        zframe_destroy(&frame);
        if (item) {
            group->items[group->count++] = item;
            group->bytes += item->bytes;
        }
    } while (!*terminated && group->count < GROUP_MAX && group->bytes < GROUP_BYTES
             && (zsock_events(pipe) & ZMQ_POLLIN));
}

static void writer_actor(zsock_t *pipe, void *arg)
{
    const broker_config_t *config = arg;
    broker_db_t *db = broker_db_new_intake(config->database_url);
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, NULL);
    zpoller_set_nonstop(poller, true);
    group_t *group = calloc(1, sizeof *group);
    bool terminated = false;
    while (!terminated && wait_for_pipe(poller, pipe)) {
        /* Whatever is already waiting joins the group, and whatever
           follows close behind: under load groups grow by themselves
           (more arrives while one commits). */
        gather(pipe, group, &terminated);
        int64_t gather_until = zclock_mono() + GATHER_MAX_MS;
        while (!terminated && group->count < GROUP_MAX && group->bytes < GROUP_BYTES
               && zclock_mono() < gather_until && zpoller_wait(poller, GATHER_GAP_MS) == pipe)
            gather(pipe, group, &terminated);
        if (group->count == 0)
            continue;
        if (terminated) {
            /* The main loop drained us before $TERM; anything still here
               came after it gave up waiting: not stored, not answered
               (clients resend with the same key). */
            for (size_t i = 0; i < group->count; i++)
                item_destroy(&group->items[i]);
            break;
        }
        store_group(db, config, group);
        return_group(pipe, group);
    }
    free(group);
    zpoller_destroy(&poller);
    broker_db_destroy(&db);
}

/* ---- the main loop's side ---------------------------------------------- */

static void refuse(broker_t *self, assay_msg_t *msg, int code, const char *text)
{
    assay_msg_t *answer = assay_msg_new(ASSAY_MSG_REFUSED);
    assay_msg_set_routing_id(answer, assay_msg_routing_id(msg));
    assay_msg_set_request_id(answer, assay_msg_request_id(msg));
    assay_msg_set_code(answer, (uint32_t) code);
    size_t length = strlen(text);
    if (length < ASSAY_MSG_MAX_TEXT)
        assay_msg_set_text(answer, text);
    else {
        /* A bundle with thousands of errors: send the first ones, cut on
           a line end so the text stays valid UTF-8. */
        char *cut = strndup(text, ASSAY_MSG_MAX_TEXT - 64);
        char *line_end = strrchr(cut, '\n');
        if (line_end)
            *line_end = '\0';
        char *shortened = zsys_sprintf("%s\n(more errors not shown)", cut);
        assay_msg_set_text(answer, shortened);
        zstr_free(&shortened);
        free(cut);
    }
    broker_send_client(self, &answer);
    self->counters.refused++;
}

static void accept_item(broker_t *self, intake_item_t *item)
{
    assay_msg_t *answer = assay_msg_new(ASSAY_MSG_ACCEPTED);
    assay_msg_set_routing_id(answer, assay_msg_routing_id(item->msg));
    assay_msg_set_request_id(answer, assay_msg_request_id(item->msg));
    assay_msg_set_job_id(answer, item->result.job_id);
    assay_msg_set_batch(answer, item->batch);
    assay_msg_set_existing(answer, item->result.existing);
    broker_send_client(self, &answer);
}

static void answer_stored(broker_t *self, intake_item_t *item)
{
    if (item->result.conflict) {
        char text[600];
        snprintf(text, sizeof text, "key '%s' is already used by job %" PRIu64
                 " with another bundle or other standards", item->check.key,
                 item->result.job_id);
        refuse(self, item->msg, ASSAY_CODE_BAD_INPUT, text);
        return;
    }
    accept_item(self, item);
    if (item->result.existing) {
        self->counters.existing++;
        return;
    }
    self->counters.accepted++;
    /* Cache the new job unless the cache is full: then it waits in the
       database and is loaded, in id order, as room frees up. A job at or
       below loaded_upto was already loaded by refill (the commit landed
       before its query): it is cached, or dispatched and maybe done. */
    uint64_t id = item->result.job_id;
    if (id <= self->loaded_upto)
        return;
    if (!self->spilled && zhashx_size(self->jobs) < self->config.max_jobs_in_memory) {
        broker_job_add(self, id, 0, false, 0);
        self->loaded_upto = id;
    } else
        self->spilled = true;
}

static void item_done(broker_t *self, intake_item_t **item_p)
{
    self->intake_items--;
    self->intake_bytes -= (*item_p)->bytes;
    item_destroy(item_p);
}

void broker_intake_submit(broker_t *self, zmsg_t **raw_p, const char *default_batch)
{
    intake_item_t *item = calloc(1, sizeof *item);
    if (!item || !(item->default_batch = strdup(default_batch))) {
        free(item);
        zmsg_destroy(raw_p);
        return;
    }
    item->raw = *raw_p;
    *raw_p = NULL;
    item->bytes = zmsg_content_size(item->raw);
    /* The validator with the fewest bytes to check: a 16 MiB bundle does
       not hold up the small ones behind it. */
    size_t best = 0;
    for (size_t i = 1; i < self->validator_count; i++)
        if (self->validator_load[i] < self->validator_load[best])
            best = i;
    item->validator = best;
    self->validator_load[best] += item->bytes + 1;
    self->intake_items++;
    self->intake_bytes += item->bytes;
    item->arrival_handle = zlistx_add_end(self->intake_arrivals, item);
    send_item(self->validators[best], item);
}

bool broker_intake_full(const broker_t *self)
{
    return self->intake_items >= INTAKE_MAX_ITEMS || self->intake_bytes >= INTAKE_MAX_BYTES;
}

bool broker_intake_eased(const broker_t *self)
{
    return self->intake_items < INTAKE_MAX_ITEMS / 2 && self->intake_bytes < INTAKE_MAX_BYTES / 2;
}

static void forward_checked(broker_t *self, intake_item_t *item)
{
    if (!item->msg) {
        /* Without a trusted request id there is no one to answer. */
        self->counters.malformed_client++;
        zsys_warning("client message dropped: %s", item->malformed);
        item_done(self, &item);
    } else if (!item->check.valid) {
        refuse(self, item->msg, ASSAY_CODE_BAD_INPUT,
               item->check.refusal ? item->check.refusal : "invalid bundle");
        item_done(self, &item);
    } else if (!self->recovered) {
        refuse(self, item->msg, ASSAY_CODE_RETRY, "not accepted, retry later: broker still recovering");
        item_done(self, &item);
    } else
        send_item(self->intake_writer, item);
}

/* Items leave in arrival order: the first not yet checked holds back the
   ones behind it (their validators go on with the next ones meanwhile). */
static void handle_checked(broker_t *self, zactor_t *validator)
{
    zframe_t *frame = zframe_recv(validator);
    intake_item_t *item = item_of(frame);
    zframe_destroy(&frame);
    if (!item)
        return;
    self->validator_load[item->validator] -= item->bytes + 1;
    item->checked = true;
    while ((item = zlistx_first(self->intake_arrivals)) && item->checked) {
        zlistx_delete(self->intake_arrivals, item->arrival_handle);
        item->arrival_handle = NULL;
        forward_checked(self, item);
    }
}

static void handle_stored(broker_t *self)
{
    zmsg_t *msg = zmsg_recv(self->intake_writer);
    if (!msg)
        return;
    zframe_t *flag = zmsg_first(msg);
    if (flag && zframe_size(flag) == 1 && zframe_data(flag)[0])
        self->counters.intake_transactions++;
    for (zframe_t *frame = zmsg_next(msg); frame; frame = zmsg_next(msg)) {
        intake_item_t *item = item_of(frame);
        if (!item)
            continue;
        if (item->stored)
            answer_stored(self, item);
        else
            refuse(self, item->msg, ASSAY_CODE_RETRY, item->error);
        item_done(self, &item);
    }
    zmsg_destroy(&msg);
}

bool broker_intake_handle(broker_t *self, void *which)
{
    if (which && which == self->intake_writer) {
        handle_stored(self);
        return true;
    }
    for (size_t i = 0; which && i < self->validator_count; i++)
        if (which == self->validators[i]) {
            handle_checked(self, self->validators[i]);
            return true;
        }
    return false;
}

int broker_intake_start(broker_t *self)
{
    self->intake_arrivals = zlistx_new();
    self->validator_count = (size_t) self->config.validators;
    self->validators = calloc(self->validator_count, sizeof *self->validators);
    self->validator_load = calloc(self->validator_count, sizeof *self->validator_load);
    if (!self->intake_arrivals || !self->validators || !self->validator_load)
        return -1;
    /* Pipes without a high-water mark: with one (czmq's default is 1000
       messages) the loop, sending to a full validator, and the
       validator, sending back to the loop, could wait for each other for
       ever. What is in them is bounded by INTAKE_MAX_ITEMS instead. */
    size_t pipe_hwm = zsys_pipehwm();
    zsys_set_pipehwm(0);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < self->validator_count; i++) {
        self->validators[i] = zactor_new(validator_actor, self);
        if (!self->validators[i] || zpoller_add(self->poller, self->validators[i]) != 0)
            rc = -1;
    }
    if (rc == 0) {
        self->intake_writer = zactor_new(writer_actor, &self->config);
        if (!self->intake_writer || zpoller_add(self->poller, self->intake_writer) != 0)
            rc = -1;
    }
    zsys_set_pipehwm(pipe_hwm);
    return rc;
}

void broker_intake_drain(broker_t *self, int timeout_ms)
{
    if (self->intake_items == 0 || !self->intake_writer)
        return;
    zsys_info("broker: finishing %zu submissions in hand", self->intake_items);
    /* Nonstop: we are here because of SIGTERM. */
    zpoller_t *poller = zpoller_new(self->intake_writer, NULL);
    zpoller_set_nonstop(poller, true);
    for (size_t i = 0; i < self->validator_count; i++)
        zpoller_add(poller, self->validators[i]);
    int64_t deadline = zclock_mono() + timeout_ms;
    while (self->intake_items > 0 && zclock_mono() < deadline) {
        void *which = zpoller_wait(poller, 100);
        broker_intake_handle(self, which);
    }
    if (self->intake_items > 0)
        zsys_warning("broker: %zu submissions left unanswered (clients resend them)",
                     self->intake_items);
    zpoller_destroy(&poller);
}

void broker_intake_stop(broker_t *self)
{
    /* Validators first: nothing they return is read any more. */
    for (size_t i = 0; self->validators && i < self->validator_count; i++)
        zactor_destroy(&self->validators[i]);
    zactor_destroy(&self->intake_writer);
    free(self->validators);
    free(self->validator_load);
    zlistx_destroy(&self->intake_arrivals);   /* items not owned */
    self->validators = NULL;
    self->validator_load = NULL;
}
