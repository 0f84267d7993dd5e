/*  broker_stats.c - the broker's own view for QUERY stats: uptime,
    cache, counters since start, intake in hand, and each worker's credit,
    leases and rates. Built on the event loop from its memory (no I/O);
    the query thread adds the database's counts (broker_query.c).
*/
#include "broker_internal.h"

#include <time.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* A wall-clock time (ms since the epoch) as ISO 8601 UTC. */
static void add_time(cJSON *object, const char *name, int64_t wall_ms)
{
    time_t seconds = (time_t) (wall_ms / 1000);
    struct tm utc;
    char text[40];
    gmtime_r(&seconds, &utc);
    size_t length = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf(text + length, sizeof text - length, ".%03dZ", (int) (wall_ms % 1000));
    cJSON_AddStringToObject(object, name, text);
}

/* Bytes the broker's heap holds for live allocations (all threads,
   ZeroMQ's queues included), or -1 where that cannot be known. Unlike RSS
   it excludes memory the allocator keeps cached after a burst, so an
   operator (and the malformed-frames test) can tell a leak from a backlog
   that has drained. AddressSanitizer replaces malloc, so glibc's figures
   would describe an unused heap there. */
static double heap_in_use_bytes(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return -1;
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    return (double) info.uordblks + (double) info.hblkhd;
#else
    return -1;
#endif
}

char *broker_stats_json(broker_t *self)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *broker = cJSON_AddObjectToObject(root, "broker");
    int64_t now = zclock_mono();
    int64_t wall_now = zclock_time();
    cJSON_AddNumberToObject(broker, "uptime_s", (double) (now - self->started) / 1000.0);
    cJSON_AddBoolToObject(broker, "database", broker_db_ready(self->db));
    cJSON_AddNumberToObject(broker, "queued_in_memory", (double) zlistx_size(self->queue));
    cJSON_AddBoolToObject(broker, "more_queued_in_database", self->spilled);
    cJSON_AddNumberToObject(broker, "jobs_in_memory", (double) zhashx_size(self->jobs));
    cJSON_AddNumberToObject(broker, "orphans", (double) zlistx_size(self->orphans));
    cJSON_AddNumberToObject(broker, "intake_in_progress", (double) self->intake_items);
    cJSON_AddNumberToObject(broker, "longest_turn_ms", (double) self->longest_turn_ms);
    double heap = heap_in_use_bytes();
    if (heap >= 0)
        cJSON_AddNumberToObject(broker, "heap_in_use_bytes", heap);
    else
        cJSON_AddNullToObject(broker, "heap_in_use_bytes");
    const broker_counters_t *c = &self->counters;
    struct { const char *name; uint64_t value; } counters[] = {
        { "accepted", c->accepted }, { "existing", c->existing }, { "refused", c->refused },
        { "dispatched", c->dispatched }, { "done", c->done }, { "failed", c->failed },
        { "requeued", c->requeued }, { "dead", c->dead }, { "stale", c->stale },
        { "malformed_client", c->malformed_client }, { "malformed_worker", c->malformed_worker },
        { "intake_transactions", c->intake_transactions },
    };
    cJSON *counts = cJSON_AddObjectToObject(broker, "counters");
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        cJSON_AddNumberToObject(counts, counters[i].name, (double) counters[i].value);
    cJSON *workers = cJSON_AddArrayToObject(root, "workers");
    for (worker_t *worker = zhashx_first(self->workers); worker;
         worker = zhashx_next(self->workers)) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "name", worker->name);
        cJSON_AddNumberToObject(entry, "credit", worker->credit);
        cJSON_AddNumberToObject(entry, "in_flight", (double) zlistx_size(worker->leases));
        cJSON_AddNumberToObject(entry, "last_heartbeat_ms", (double) (now - worker->last_seen));
        add_time(entry, "last_heartbeat", wall_now - (now - worker->last_seen));
        add_time(entry, "joined", wall_now - (now - worker->joined));
        cJSON_AddNumberToObject(entry, "done", (double) worker->done);
        cJSON_AddNumberToObject(entry, "failed", (double) worker->failed);
        /* Jobs per second over the last minute (or since it joined, if
           later), and since it joined. */
        double alive_s = (double) (now - worker->joined) / 1000.0;
        double window_s = alive_s < RATE_WINDOW_S ? alive_s : RATE_WINDOW_S;
        uint32_t recent = broker_worker_done_recently(worker, now);
        cJSON_AddNumberToObject(entry, "done_last_minute", recent);
        cJSON_AddNumberToObject(entry, "rate_per_s", window_s >= 1 ? recent / window_s : recent);
        cJSON_AddNumberToObject(entry, "rate_per_s_since_joined",
                                alive_s >= 1 ? (double) worker->done / alive_s : (double) worker->done);
        cJSON_AddItemToArray(workers, entry);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}
