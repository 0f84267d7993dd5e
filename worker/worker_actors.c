/*  worker_actors.c - evaluator and writer threads. See worker_actors.h.

    Both threads poll "nonstop": a SIGTERM must not cut a commit in half.
    The main thread decides when to stop and says so with $TERM.
*/
#include "worker_actors.h"
#include "worker_db.h"

#include <inttypes.h>

#define WRITE_GROUP_MAX 64
#define WRITE_LINGER_MS 10

/* Tasks travel between threads as pointer frames sent with zsock_send's
   "p" picture; this reads one back (zmsg_popptr is a draft API). */
static worker_task_t *pop_task(zmsg_t *msg)
{
    zframe_t *frame = zmsg_pop(msg);
    worker_task_t *task = NULL;
    if (frame && zframe_size(frame) == sizeof task)
        memcpy(&task, zframe_data(frame), sizeof task);
    zframe_destroy(&frame);
    return task;
}


static void fail(worker_task_t *task, const char *text)
{
    free(task->error);
    task->error = strdup(text);
}

void worker_evaluate(const catalog_set_t *catalogs, worker_task_t *task)
{
    diag_list_t *diags = diag_list_new();
    bundle_limits_t limits = { .max_bytes = task->bundle_size + 1 };
    bundle_t *bundle = bundle_parse("bundle", task->bundle, task->bundle_size, catalogs,
                                    &limits, diags);
    if (!bundle) {
        char *text = diag_list_format(diags);
        fail(task, text ? text : "invalid bundle");
        free(text);
        diag_list_destroy(&diags);
        return;
    }
    diag_list_destroy(&diags);
    /* One session for the bundle: the standards of a job share checks
       (extends, maps_to), which it then evaluates once. */
    engine_session_t *session = engine_session_new(bundle);
    if (!session) {
        fail(task, "out of memory while evaluating");
        bundle_destroy(&bundle);
        return;
    }
    char *standards = strdup(task->standards), *cursor = standards, *id;
    while ((id = strsep(&cursor, ",")) && !task->error) {
        const catalog_t *catalog = catalog_set_find(catalogs, id);
        if (!catalog) {
            char text[256];
            snprintf(text, sizeof text, "this worker has no catalog '%s'", id);
            fail(task, text);
            break;
        }
        assessment_t *assessment = engine_session_assess(session, catalog);
        if (!assessment || !worker_db_stage(task, assessment))
            fail(task, "out of memory while evaluating");
        assessment_destroy(&assessment);
    }
    free(standards);
    engine_session_destroy(&session);
    bundle_destroy(&bundle);
}

void worker_evaluator_actor(zsock_t *pipe, void *catalogs)
{
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, NULL);
    zpoller_set_nonstop(poller, true);
    while (zpoller_wait(poller, -1) == pipe) {
        zmsg_t *msg = zmsg_recv(pipe);
        if (!msg)
            continue;
        zframe_t *frame = zmsg_first(msg);
        if (zframe_streq(frame, "$TERM")) {
            zmsg_destroy(&msg);
            break;
        }
        worker_task_t *task = pop_task(msg);
        zmsg_destroy(&msg);
        if (task) {
            worker_evaluate(catalogs, task);
            zsock_send(pipe, "p", task);
        }
    }
    zpoller_destroy(&poller);
}

/* ---- writer --------------------------------------------------------- */

typedef struct {
    worker_task_t *tasks[WRITE_GROUP_MAX];
    size_t count;
    bool terminated;
} write_group_t;

/* Take one message from the pipe into the group; false on $TERM. */
static bool take(zsock_t *pipe, write_group_t *group)
{
    zmsg_t *msg = zmsg_recv(pipe);
    if (!msg)
        return true;
    if (zframe_streq(zmsg_first(msg), "$TERM")) {
        zmsg_destroy(&msg);
        group->terminated = true;
        return false;
    }
    worker_task_t *task = pop_task(msg);
    zmsg_destroy(&msg);
    if (task)
        group->tasks[group->count++] = task;
    return true;
}

/* A group that fails while the database is up holds a result the
   database refuses (a bug, or a constraint): store one by one so that one
   bad result fails alone, with the database's reason, and the rest land. */
static void store_singly(worker_db_t *db, write_group_t *group, zsock_t *pipe)
{
    for (size_t i = 0; i < group->count; i++) {
        worker_task_t *task = group->tasks[i];
        if (worker_db_store(db, &task, 1) != 0) {
            if (!worker_db_ready(db)) {
                /* The database went away meanwhile: keep the rest. */
                memmove(group->tasks, group->tasks + i, (group->count - i) * sizeof task);
                group->count -= i;
                return;
            }
            fail(task, worker_db_error(db));
        }
        zsock_send(pipe, "p", task);
    }
    group->count = 0;
}

void worker_writer_actor(zsock_t *pipe, void *db_argument)
{
    worker_db_t *db = db_argument;
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, NULL);
    zpoller_set_nonstop(poller, true);
    write_group_t group = { .count = 0 };
    int64_t retry_at = 0;
    bool warned = false;
    while (!group.terminated) {
        /* Wait for work, or until a postponed group may be retried. */
        int64_t wait = retry_at - zclock_mono();
        int timeout = group.count == 0 ? -1 : wait > 0 ? (int) wait : 0;
        if (group.count == WRITE_GROUP_MAX)
            zclock_sleep(timeout < 0 ? 0 : timeout > 100 ? 100 : timeout);
        else if (zpoller_wait(poller, timeout) == pipe && !take(pipe, &group))
            break;
        /* Gather what else is already waiting, and what comes within a
           few milliseconds: a statement of one job costs the database
           nearly what one of sixty does. One transaction for all. */
        int64_t linger_until = zclock_mono() + WRITE_LINGER_MS;
        while (group.count < WRITE_GROUP_MAX && !group.terminated) {
            int64_t left = linger_until - zclock_mono();
            if (!(zsock_events(pipe) & ZMQ_POLLIN)
                && (left <= 0 || zpoller_wait(poller, (int) left) != pipe))
                break;
            if (!take(pipe, &group))
                break;
        }
        if (group.terminated || group.count == 0 || zclock_mono() < retry_at)
            continue;
        if (worker_db_store(db, group.tasks, group.count) == 0) {
            if (warned)
                zsys_info("database back: results committed");
            warned = false;
            for (size_t i = 0; i < group.count; i++)
                zsock_send(pipe, "p", group.tasks[i]);
            group.count = 0;
            continue;
        }
        if (worker_db_ready(db)) {
            store_singly(db, &group, pipe);
            continue;
        }
        if (!warned)
            zsys_warning("%zu results wait for the database: %s", group.count,
                         worker_db_error(db));
        warned = true;
        /* Kept, not dropped: retried after the backoff. */
        int backoff = worker_db_backoff_ms(db);
        retry_at = zclock_mono() + (backoff > 100 ? backoff : 100);
    }
    /* Results not committed at $TERM stay with the main thread, which
       still owns them; the broker will requeue those jobs. */
    zpoller_destroy(&poller);
    worker_db_destroy(&db);
}

