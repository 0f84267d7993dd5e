/*  cmd_wait.c - `assay wait BATCH|JOB` and `submit --wait`: poll the
    broker's status of a batch or job until nothing is queued or running,
    show progress on stderr, and turn the outcome into the exit codes of
    the contract. Waiting changes nothing: a timeout or a signal leaves
    every job running, and waiting again re-attaches.
*/
#include "commands.h"
#include "signals.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POLL_FIRST_MS 100
#define POLL_MAX_MS 1000
/* Once the broker has answered, a restart of the broker or of PostgreSQL
   is ridden out for this long before giving up with 75. */
#define OUTAGE_TOLERANCE_MS 60000
#define BAR_WIDTH 30

typedef struct {
    double total, queued, running, done, failed, dead, cancelled;
} counts_t;

static double count_of(const cJSON *status, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(status, name);
    return cJSON_IsNumber(item) && item->valuedouble > 0 ? item->valuedouble : 0;
}

static void counts_read(const cJSON *status, counts_t *counts)
{
    counts->total = count_of(status, "total");
    counts->queued = count_of(status, "queued");
    counts->running = count_of(status, "running");
    counts->done = count_of(status, "done");
    counts->failed = count_of(status, "failed");
    counts->dead = count_of(status, "dead");
    counts->cancelled = count_of(status, "cancelled");
}

typedef struct {
    const wait_options_t *options;
    const char *target;
    bool terminal;
    bool bar_shown;
    int last_decile;
    int64_t started;
    /* Rate: jobs finished since the first status we saw, over the time
       since then (jobs finished before this wait began do not count). */
    bool baseline_set;
    double baseline_finished;
    int64_t baseline_at;
} progress_t;

/* ", 12.5 jobs/s, ETA 1m20s" (nothing to say yet: empty). */
static void rate_text(progress_t *self, double finished, double remaining, char *out,
                      size_t size)
{
    out[0] = '\0';
    int64_t now = zclock_mono();
    if (!self->baseline_set) {
        self->baseline_set = true;
        self->baseline_finished = finished;
        self->baseline_at = now;
        return;
    }
    double seconds = (double) (now - self->baseline_at) / 1000.0;
    double rate = seconds >= 1 ? (finished - self->baseline_finished) / seconds : 0;
    if (rate <= 0)
        return;
    int length = snprintf(out, size, ", %.1f jobs/s", rate);
    if (remaining > 0 && length > 0 && (size_t) length < size) {
        double eta = ceil(remaining / rate);
        if (eta >= 3600)
            snprintf(out + length, size - (size_t) length, ", ETA %.0fh%02.0fm",
                     floor(eta / 3600), floor(fmod(eta, 3600) / 60));
        else if (eta >= 60)
            snprintf(out + length, size - (size_t) length, ", ETA %.0fm%02.0fs",
                     floor(eta / 60), fmod(eta, 60));
        else
            snprintf(out + length, size - (size_t) length, ", ETA %.0fs", eta);
    }
}

static void progress_show(progress_t *self, const counts_t *counts)
{
    if (self->options->quiet)
        return;
    double finished = counts->total - counts->queued - counts->running;
    double fraction = counts->total > 0 ? finished / counts->total : 1;
    int percent = (int) floor(fraction * 100);
    double seconds = (double) (zclock_mono() - self->started) / 1000.0;
    char rate[64];
    rate_text(self, finished, counts->total - finished, rate, sizeof rate);
    if (self->terminal) {
        int filled = (int) floor(fraction * BAR_WIDTH);
        char bar[BAR_WIDTH + 1];
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        fprintf(stderr, "\r[%s] %3d%% %.0f/%.0f  done %.0f  failed %.0f  running %.0f  %.0fs%s\033[K",
                bar, percent, finished, counts->total, counts->done,
                counts->failed + counts->dead, counts->running, seconds, rate);
        fflush(stderr);
        self->bar_shown = true;
        return;
    }
    /* Not a terminal (a log file, a scheduler): a line per 10 %. */
    int decile = percent / 10;
    if (decile <= self->last_decile)
        return;
    self->last_decile = decile;
    fprintf(stderr, "assay %s: %s: %d%% (%.0f/%.0f finished: %.0f done, %.0f failed or dead) "
            "after %.0fs%s\n", self->options->command, self->target, percent, finished,
            counts->total, counts->done, counts->failed + counts->dead, seconds, rate);
}

static void progress_end(progress_t *self)
{
    if (self->bar_shown) {
        fputc('\n', stderr);
        self->bar_shown = false;
    }
}

static void print_json(const wait_options_t *options, const cJSON *status)
{
    if (options->json && status)
        cli_print_json_line(status);
}

/* After the jobs finished: read their results for the --fail-on policy. */
static int check_policy(client_conn_t *conn, const char *target, const wait_options_t *options)
{
    results_sink_t sink = {
        .policy = options->policy, .policy_text = options->policy_text,
        .command = options->command,
    };
    int rc = results_fetch(conn, target, false, &sink);
    if (rc != EXIT_DONE)
        return rc;
    return results_sink_finish(&sink);
}

int wait_run(client_conn_t *conn, const char *target, const wait_options_t *options)
{
    progress_t progress = {
        .options = options, .target = target, .terminal = isatty(STDERR_FILENO) == 1,
        .last_decile = -1, .started = zclock_mono(),
    };
    int64_t deadline = options->has_timeout
        ? progress.started + (int64_t) llround(options->timeout_s * 1000.0) : INT64_MAX;
    int poll_ms = POLL_FIRST_MS;
    bool answered = false;
    int64_t outage_since = 0;
    cJSON *status = NULL;
    counts_t counts = { 0 };

    while (true) {
        uint32_t code = 0;
        cJSON *body = NULL;
        client_conn_result_t result = client_conn_query(conn, "status", target, NULL, &code, &body);
        int64_t now = zclock_mono();
        if (result == CLIENT_CONN_INTERRUPTED || signals_caught()) {
            cJSON_Delete(body);
            break;
        }
        bool outage = result == CLIENT_CONN_UNAVAILABLE
                   || (result == CLIENT_CONN_OK && code == ASSAY_CODE_RETRY);
        if (outage) {
            /* A broker that never answered is not there: exit at once.
               One that answered (even "database unavailable") is ridden
               out for a while: a restart of it or of PostgreSQL. */
            if (result == CLIENT_CONN_OK)
                answered = true;
            if (!outage_since)
                outage_since = now;
            if (!answered || now - outage_since >= OUTAGE_TOLERANCE_MS || now >= deadline) {
                progress_end(&progress);
                int rc = cli_request_failed(options->command, target, result, code, body);
                if (answered && now >= deadline && now - outage_since < OUTAGE_TOLERANCE_MS) {
                    fprintf(stderr, "assay %s: %s: timed out while the broker was unavailable; "
                            "the jobs go on\n", options->command, target);
                    rc = EXIT_TIMEOUT;
                }
                cJSON_Delete(body);
                cJSON_Delete(status);
                return rc;
            }
            if (now == outage_since && !options->quiet) {
                progress_end(&progress);
                fprintf(stderr, "assay %s: %s: broker or database unavailable; still waiting\n",
                        options->command, target);
            }
            cJSON_Delete(body);
        } else if (code != ASSAY_CODE_OK) {
            progress_end(&progress);
            int rc = cli_request_failed(options->command, target, result, code, body);
            cJSON_Delete(body);
            cJSON_Delete(status);
            return rc;
        } else {
            answered = true;
            outage_since = 0;
            cJSON_Delete(status);
            status = body;
            counts_read(status, &counts);
            progress_show(&progress, &counts);
            if (counts.queued + counts.running <= 0)
                break;
        }
        now = zclock_mono();
        if (now >= deadline) {
            progress_end(&progress);
            print_json(options, status);
            fprintf(stderr, "assay %s: %s: timed out after %gs with %.0f of %.0f jobs finished; "
                    "the jobs go on: `assay wait %s` re-attaches\n", options->command, target,
                    options->timeout_s, counts.total - counts.queued - counts.running,
                    counts.total, target);
            cJSON_Delete(status);
            return EXIT_TIMEOUT;
        }
        int64_t sleep_ms = poll_ms;
        if (now + sleep_ms > deadline)
            sleep_ms = deadline - now;
        if (!client_conn_idle(conn, (int) sleep_ms))
            break;
        poll_ms = poll_ms * 3 / 2 > POLL_MAX_MS ? POLL_MAX_MS : poll_ms * 3 / 2;
    }
    progress_end(&progress);
    if (signals_caught()) {
        fprintf(stderr, "assay %s: %s: interrupted; nothing was cancelled, the jobs go on: "
                "`assay wait %s` re-attaches\n", options->command, target, target);
        cJSON_Delete(status);
        return signals_exit_code();
    }
    print_json(options, status);
    cJSON_Delete(status);
    double seconds = (double) (zclock_mono() - progress.started) / 1000.0;
    if (!options->quiet)
        fprintf(stderr, "assay %s: %s: %.0f jobs finished: %.0f done, %.0f failed, %.0f dead, "
                "%.0f cancelled (%.1fs)\n", options->command, target, counts.total, counts.done,
                counts.failed, counts.dead, counts.cancelled, seconds);
    if (counts.failed + counts.dead > 0) {
        fprintf(stderr, "assay %s: %s: some jobs failed or were dead-lettered; "
                "`assay results %s` names them, `assay retry %s` queues them again\n",
                options->command, target, target, target);
        return EXIT_JOBS_FAILED;
    }
    if (options->policy && !policy_is_none(options->policy))
        return check_policy(conn, target, options);
    return EXIT_DONE;
}

int cmd_wait(const args_t *args)
{
    int rc = cli_expect_arguments(args, 1, "one BATCH or JOB");
    if (rc != EXIT_DONE)
        return rc;
    format_kind_t kind;
    policy_t policy;
    if (cli_format(args, FORMAT_TABLE, &kind) != 0 || cli_policy(args, &policy) != 0)
        return EXIT_USAGE;
    if (kind != FORMAT_TABLE && kind != FORMAT_JSON)
        return cli_usage_error(args->command, "--format: wait prints table or json");
    rc = EXIT_DONE;
    client_conn_t *conn = cli_connect(args, &rc);
    if (!conn)
        return rc;
    wait_options_t options = {
        .command = args->command, .has_timeout = (args->seen & ARG_TIMEOUT) != 0,
        .timeout_s = args->timeout_s, .policy = &policy, .policy_text = args->fail_on,
        .quiet = args->quiet, .json = kind == FORMAT_JSON,
    };
    rc = wait_run(conn, args->positional[0], &options);
    client_conn_destroy(&conn);
    return rc;
}
