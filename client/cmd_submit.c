/*  cmd_submit.c - `assay submit FILE|DIR|- ...`: validate every bundle
    here first (nothing is submitted when any is invalid), then pipeline
    one SUBMIT per bundle to the broker with a window of requests in
    flight, so thousands of units go in per second while the broker
    commits them in groups. Answers are matched by request id; a
    retryable refusal (75) is retried with backoff for a bounded time, a
    lost request is sent again with the same key (the broker answers with
    the existing job), and a refusal of the input (2) stops the run.
*/
#include "commands.h"
#include "display.h"
#include "inputs.h"
#include "signals.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* SUBMITs in flight: enough that the broker, which stores whatever has
   arrived as one group per transaction, always has the next group
   waiting while it commits one; bounded in bytes too, so that large
   bundles do not pile up in the queues. Below 1000, ZeroMQ's default
   queue per peer, so that a broker that answers a whole window at once
   never has to drop an answer (older brokers keep that default). */
#define WINDOW 768
#define WINDOW_BYTES ((size_t) 128 << 20)
#define RETRY_BUDGET_MS 30000     /* refused with 75 and no progress this long: give up */
#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS 5000
#define SCAN_EVERY_MS 250
#define SEQUENCE_BITS 16          /* request id = index << 16 | send count */

typedef enum { UNIT_PENDING, UNIT_IN_FLIGHT, UNIT_ACCEPTED, UNIT_REFUSED } unit_state_t;

typedef struct {
    unit_state_t state;
    uint32_t sends;
    uint32_t refusals;            /* 75s in a row */
    size_t bytes;                 /* the body in flight, while it is */
    int64_t sent_at;
    int64_t not_before;
    uint64_t job_id;
    bool existing;
    bool queued_for_resend;
} unit_t;

typedef struct {
    const args_t *args;
    inputs_t *inputs;
    unit_t *units;
    const char *batch;
    const char *standards;
    client_conn_t *conn;
    size_t next_new;              /* first input never sent */
    size_t *resend;               /* FIFO of inputs to send again */
    size_t resend_head, resend_tail;
    size_t in_flight, settled, accepted, existing, refused;
    size_t bytes_in_flight;
    int64_t last_answer;
    int64_t last_progress;
    bool stop;                    /* a bundle was refused as bad input */
    bool retry_noted;             /* said once that the broker refuses for now */
    char *last_refusal;           /* text of the last refusal printed */
    size_t same_refusals;         /* refusals not printed: same text as the last */
} submit_t;

/* ---- preparation ------------------------------------------------------ */

static char *default_batch_name(void)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
    char *name = malloc(64);
    if (name)
        snprintf(name, 64, "batch-%s-%ld", stamp, (long) getpid());
    return name;
}

/* Load the catalogs for local validation. An explicit --catalogs or
   ASSAY_CATALOGS must load; the bundled ones may be missing on a machine
   that only runs the CLI against a remote broker, which validates again. */
static int load_catalogs(const args_t *args, catalog_set_t **catalogs)
{
    diag_list_t *diags = diag_list_new();
    *catalogs = util_catalogs_load(args->catalogs, diags);
    bool explicit = args->catalogs || *util_env("ASSAY_CATALOGS", "");
    int rc = EXIT_DONE;
    if (!*catalogs && explicit) {
        inputs_print_diags(diags, false, stderr);
        fprintf(stderr, "assay %s: cannot load the catalogs\n", args->command);
        rc = EXIT_USAGE;
    } else if (!*catalogs && args->verbose)
        fprintf(stderr, "assay %s: no local catalogs; evidence kinds and standards are left "
                "for the broker to check\n", args->command);
    diag_list_destroy(&diags);
    return rc;
}

static int validate(submit_t *self, const catalog_set_t *catalogs)
{
    size_t invalid = 0;
    for (size_t i = 0; i < self->inputs->count; i++) {
        if (signals_caught())
            return signals_exit_code();
        bundle_t *bundle = input_parse(&self->inputs->items[i], catalogs, self->args->verbose,
                                       stderr, NULL, NULL);
        if (!bundle)
            invalid++;
        bundle_destroy(&bundle);
    }
    if (invalid) {
        fprintf(stderr, "assay %s: %zu of %zu bundles are invalid; nothing was submitted\n",
                self->args->command, invalid, self->inputs->count);
        return EXIT_USAGE;
    }
    return EXIT_DONE;
}

/* The idempotency key of one bundle: none (the broker's default), the
   given key for a single bundle, KEY/UNIT for several. */
static int unit_key(const submit_t *self, size_t index, char *key, size_t key_size)
{
    key[0] = '\0';
    const char *given = self->args->key;
    if (!given)
        return 0;
    int length = self->inputs->count == 1
        ? snprintf(key, key_size, "%s", given)
        : snprintf(key, key_size, "%s/%s", given, self->inputs->items[index].unit_id);
    return length >= 0 && (size_t) length <= ASSAY_MSG_MAX_SHORT ? 0 : -1;
}

/* ---- pipeline ----------------------------------------------------------- */

static void queue_resend(submit_t *self, size_t index, int64_t not_before)
{
    unit_t *unit = &self->units[index];
    unit->state = UNIT_PENDING;
    unit->not_before = not_before;
    if (!unit->queued_for_resend) {
        unit->queued_for_resend = true;
        self->resend[self->resend_tail++ % self->inputs->count] = index;
    }
}

/* The next input to send now, or -1. Resends first, in order. */
static long next_to_send(submit_t *self, int64_t now)
{
    if (self->resend_head != self->resend_tail) {
        size_t index = self->resend[self->resend_head % self->inputs->count];
        if (self->units[index].not_before <= now) {
            self->resend_head++;
            self->units[index].queued_for_resend = false;
            return (long) index;
        }
    }
    if (self->next_new < self->inputs->count)
        return (long) self->next_new++;
    return -1;
}

/* A unit is no longer in flight (answered, or to be sent again). */
static void landed(submit_t *self, unit_t *unit)
{
    self->in_flight--;
    self->bytes_in_flight -= unit->bytes;
    unit->bytes = 0;
}

/* Send one SUBMIT; -1 when the input cannot be read any more (refused). */
static int send_one(submit_t *self, size_t index, int64_t now)
{
    input_t *input = &self->inputs->items[index];
    unit_t *unit = &self->units[index];
    char error[600], key[ASSAY_MSG_MAX_SHORT + 64];
    size_t length = 0;
    char *text = input_read(input, &length, error, sizeof error);
    if (!text) {
        fprintf(stderr, "assay %s: %s\n", self->args->command, error);
        unit->state = UNIT_REFUSED;
        self->settled++;
        self->refused++;
        self->stop = true;
        return -1;
    }
    unit_key(self, index, key, sizeof key);
    assay_msg_t *msg = assay_msg_new(ASSAY_MSG_SUBMIT);
    unit->sends++;
    assay_msg_set_request_id(msg, ((uint64_t) index << SEQUENCE_BITS)
                                  | (unit->sends & ((1u << SEQUENCE_BITS) - 1)));
    assay_msg_set_batch(msg, self->batch);
    assay_msg_set_key(msg, key);
    assay_msg_set_standards(msg, input->standards ? input->standards : self->standards);
    assay_msg_set_body(msg, text, length);
    free(text);
    const char *reason = NULL;
    if (assay_msg_check(msg, &reason) != 0) {
        /* Not encodable (e.g. a --batch that is not UTF-8): bad input. */
        fprintf(stderr, "assay %s: %s: cannot be sent: %s\n", self->args->command,
                input->origin, reason ? reason : "invalid message");
        assay_msg_destroy(&msg);
        unit->state = UNIT_REFUSED;
        self->settled++;
        self->refused++;
        self->stop = true;
        return -1;
    }
    unit->state = UNIT_IN_FLIGHT;
    unit->sent_at = now;
    unit->bytes = length;
    self->in_flight++;
    self->bytes_in_flight += length;
    if (client_conn_send(self->conn, &msg) != 0) {
        /* The send queue is full (the broker is away): try again later. */
        landed(self, unit);
        queue_resend(self, index, now + BACKOFF_FIRST_MS);
    }
    return 0;
}

static void handle_answer(submit_t *self, assay_msg_t *msg, int64_t now)
{
    assay_msg_id_t id = assay_msg_id(msg);
    if (id != ASSAY_MSG_ACCEPTED && id != ASSAY_MSG_REFUSED)
        return;
    uint64_t request_id = assay_msg_request_id(msg);
    uint64_t index = request_id >> SEQUENCE_BITS;
    if (request_id >= (UINT64_C(1) << 63) || index >= self->inputs->count)
        return;
    unit_t *unit = &self->units[index];
    if (unit->state != UNIT_IN_FLIGHT)
        return;   /* an answer to an earlier send of something settled or resent */
    input_t *input = &self->inputs->items[index];
    landed(self, unit);
    if (id == ASSAY_MSG_ACCEPTED) {
        unit->state = UNIT_ACCEPTED;
        unit->job_id = assay_msg_job_id(msg);
        unit->existing = assay_msg_existing(msg);
        unit->refusals = 0;
        self->settled++;
        self->accepted++;
        self->existing += unit->existing;
        self->last_progress = now;
        return;
    }
    uint32_t code = assay_msg_code(msg);
    if (code == ASSAY_CODE_RETRY) {
        int backoff = BACKOFF_FIRST_MS << (unit->refusals < 5 ? unit->refusals : 5);
        unit->refusals++;
        queue_resend(self, (size_t) index, now + (backoff > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff));
        if (!self->retry_noted && !self->args->quiet) {
            /* Once, not per bundle: it is the same outage for all. */
            fprintf(stderr, "assay %s: %s: %s; retrying for up to %ds\n", self->args->command,
                    input->origin, assay_msg_text(msg), RETRY_BUDGET_MS / 1000);
            self->retry_noted = true;
        }
        return;
    }
    unit->state = UNIT_REFUSED;
    self->settled++;
    self->refused++;
    self->stop = true;
    /* The window's other bundles are often refused for the same reason
       (an unknown standard): say it once. */
    const char *text = assay_msg_text(msg);
    if (self->last_refusal && strcmp(self->last_refusal, text) == 0) {
        self->same_refusals++;
        return;
    }
    free(self->last_refusal);
    self->last_refusal = strdup(text);
    char origin[600], shown[1024];
    fprintf(stderr, "assay %s: %s: refused: %s\n", self->args->command,
            display_escape_into(input->origin, origin, sizeof origin),
            display_escape_into(text, shown, sizeof shown));
}

/* The link to the broker was lost and is back: what was in flight may
   have gone down with it. Send it again; the same key makes a repeat
   harmless (the broker answers with the job it already has). */
static void resend_in_flight(submit_t *self, int64_t now)
{
    for (size_t i = 0; i < self->next_new; i++) {
        unit_t *unit = &self->units[i];
        if (unit->state == UNIT_IN_FLIGHT) {
            landed(self, unit);
            queue_resend(self, i, now);
        }
    }
}

/* Run the pipeline; returns an exit code. */
static int pipeline(submit_t *self)
{
    int64_t now = zclock_mono();
    self->last_answer = self->last_progress = now;
    int64_t next_scan = now + SCAN_EVERY_MS;
    uint64_t losses = client_conn_losses(self->conn);
    while (self->settled < self->inputs->count) {
        if (signals_caught())
            return signals_exit_code();
        now = zclock_mono();
        while (!self->stop && self->in_flight < WINDOW
               && (self->in_flight == 0 || self->bytes_in_flight < WINDOW_BYTES)) {
            long index = next_to_send(self, now);
            if (index < 0)
                break;
            send_one(self, (size_t) index, now);
        }
        if (self->stop && self->in_flight == 0)
            return EXIT_USAGE;
        assay_msg_t *msg = client_conn_recv(self->conn, 50);
        now = zclock_mono();
        if (msg) {
            self->last_answer = now;
            handle_answer(self, msg, now);
            assay_msg_destroy(&msg);
            /* Take everything that already arrived before sending more. */
            while ((msg = client_conn_recv(self->conn, 0))) {
                handle_answer(self, msg, now);
                assay_msg_destroy(&msg);
            }
        }
        if (now >= next_scan) {
            next_scan = now + SCAN_EVERY_MS;
            if (client_conn_connected(self->conn) && client_conn_losses(self->conn) != losses) {
                losses = client_conn_losses(self->conn);
                resend_in_flight(self, now);
            }
            if (self->in_flight > 0 && client_conn_given_up(self->conn, self->last_answer)) {
                fprintf(stderr, "assay %s: the broker at %s does not answer\n",
                        self->args->command, client_conn_endpoint(self->conn));
                return EXIT_UNAVAILABLE;
            }
            if (now - self->last_progress >= RETRY_BUDGET_MS) {
                fprintf(stderr, "assay %s: the broker keeps refusing: database unavailable\n",
                        self->args->command);
                return EXIT_UNAVAILABLE;
            }
        }
    }
    return self->refused ? EXIT_USAGE : EXIT_DONE;
}

static void print_jobs(const submit_t *self)
{
    for (size_t i = 0; i < self->inputs->count; i++) {
        const unit_t *unit = &self->units[i];
        if (unit->state != UNIT_ACCEPTED)
            continue;
        const input_t *input = &self->inputs->items[i];
        char unit_id[300], origin[600];
        printf("%" PRIu64 "\t%s\t%s\t%s\n", unit->job_id,
               display_escape_into(input->unit_id, unit_id, sizeof unit_id),
               unit->existing ? "existing" : "new",
               display_escape_into(input->origin, origin, sizeof origin));
    }
}

/* ---- the command --------------------------------------------------------- */

int cmd_submit(const args_t *args)
{
    if (args->positional_count == 0)
        return cli_usage_error(args->command, "no bundle given (FILE, DIR or -)");
    policy_t policy;
    if (cli_policy(args, &policy) != 0)
        return EXIT_USAGE;
    if (!args->wait && (args->seen & (ARG_TIMEOUT | ARG_FAIL_ON)))
        return cli_usage_error(args->command, "--timeout and --fail-on need --wait");
    const char *standards = args->standard ? args->standard : "all";
    if (strlen(standards) > ASSAY_MSG_MAX_SHORT)
        return cli_usage_error(args->command, "--standard: longer than %u bytes",
                               ASSAY_MSG_MAX_SHORT);
    if (args->batch && strlen(args->batch) > ASSAY_MSG_MAX_SHORT)
        return cli_usage_error(args->command, "--batch: longer than %u bytes",
                               ASSAY_MSG_MAX_SHORT);

    inputs_t inputs = { 0 };
    catalog_set_t *catalogs = NULL;
    char *generated = NULL;
    client_conn_t *conn = NULL;
    submit_t self = { .args = args, .inputs = &inputs, .standards = standards };
    int rc = EXIT_DONE;

    inputs.allow_outside = args->allow_outside;
    if (inputs_collect(&inputs, args->positional, args->positional_count, stderr) != 0) {
        fprintf(stderr, "assay %s: nothing was submitted\n", args->command);
        rc = EXIT_USAGE;
        goto done;
    }
    if ((rc = load_catalogs(args, &catalogs)) != EXIT_DONE)
        goto done;
    if (catalogs) {
        /* Checked here so that nothing reaches the broker that it would
           refuse; a broker with catalogs this machine lacks needs them in
           --catalogs / ASSAY_CATALOGS here too. */
        char error[256];
        char *resolved = util_standards_resolve(catalogs, standards, error, sizeof error);
        if (!resolved) {
            fprintf(stderr, "assay %s: --standard: %s; nothing was submitted (catalogs only "
                    "the broker has: add them with --catalogs)\n", args->command, error);
            rc = EXIT_USAGE;
            goto done;
        }
        free(resolved);
    }
    /* A manifest row's own standards replace --standard for its bundle. */
    for (size_t i = 0; i < inputs.count; i++) {
        const input_t *input = &inputs.items[i];
        if (!input->standards)
            continue;
        char error[256];
        char *resolved = catalogs ? util_standards_resolve(catalogs, input->standards, error,
                                                           sizeof error) : NULL;
        if (catalogs && !resolved) {
            fprintf(stderr, "assay %s: %s: standards: %s; nothing was submitted\n",
                    args->command, input->source ? input->source : input->origin, error);
            rc = EXIT_USAGE;
        } else if (strlen(input->standards) > ASSAY_MSG_MAX_SHORT) {
            fprintf(stderr, "assay %s: %s: standards: longer than %u bytes\n", args->command,
                    input->source ? input->source : input->origin, ASSAY_MSG_MAX_SHORT);
            rc = EXIT_USAGE;
        }
        free(resolved);
        if (rc != EXIT_DONE)
            goto done;
    }
    if ((rc = validate(&self, catalogs)) != EXIT_DONE) {
        if (rc != EXIT_USAGE)
            fprintf(stderr, "assay %s: interrupted; nothing was submitted\n", args->command);
        goto done;
    }
    for (size_t i = 0; i < inputs.count; i++) {
        char key[ASSAY_MSG_MAX_SHORT + 64];
        if (unit_key(&self, i, key, sizeof key) != 0) {
            rc = cli_usage_error(args->command, "--key: the key for %s is longer than %u bytes",
                                 inputs.items[i].origin, ASSAY_MSG_MAX_SHORT);
            goto done;
        }
    }
    if (args->batch)
        self.batch = args->batch;
    else {
        self.batch = generated = default_batch_name();
        if (!generated) {
            rc = EXIT_UNAVAILABLE;
            goto done;
        }
        fprintf(stderr, "assay %s: batch %s\n", args->command, generated);
    }

    conn = cli_connect(args, &rc);
    if (!conn)
        goto done;
    self.conn = conn;
    self.units = calloc(inputs.count, sizeof *self.units);
    self.resend = calloc(inputs.count, sizeof *self.resend);
    if (!self.units || !self.resend) {
        fprintf(stderr, "assay %s: out of memory\n", args->command);
        rc = EXIT_UNAVAILABLE;
        goto done;
    }
    int64_t started = zclock_mono();
    rc = pipeline(&self);
    double seconds = (double) (zclock_mono() - started) / 1000.0;

    if (args->verbose)
        print_jobs(&self);
    if (rc == EXIT_DONE) {
        printf("%s\n", self.batch);
        fflush(stdout);
        if (!args->quiet)
            fprintf(stderr, "assay %s: %zu jobs in batch %s: %zu new, %zu existing "
                    "(already submitted with the same key) in %.2fs\n", args->command,
                    self.accepted, self.batch, self.accepted - self.existing, self.existing,
                    seconds);
    } else if (rc == EXIT_UNAVAILABLE || rc >= 128)
        fprintf(stderr, "assay %s: %zu of %zu bundles accepted into batch %s before this "
                "stopped; submitting again is safe (the same bundles give the same jobs)\n",
                args->command, self.accepted, inputs.count, self.batch);
    else if (rc == EXIT_USAGE) {
        if (self.same_refusals)
            fprintf(stderr, "assay %s: ... and %zu more bundles refused the same way\n",
                    args->command, self.same_refusals);
        fprintf(stderr, "assay %s: stopped after a refusal: %zu of %zu bundles accepted into "
                "batch %s\n", args->command, self.accepted, inputs.count, self.batch);
    }

    if (rc == EXIT_DONE && args->wait) {
        wait_options_t options = {
            .command = args->command, .has_timeout = (args->seen & ARG_TIMEOUT) != 0,
            .timeout_s = args->timeout_s, .policy = &policy, .policy_text = args->fail_on,
            .quiet = args->quiet,
        };
        rc = wait_run(conn, self.batch, &options);
    }
done:
    client_conn_destroy(&conn);
    free(self.units);
    free(self.resend);
    free(self.last_refusal);
    free(generated);
    catalog_set_destroy(&catalogs);
    inputs_free(&inputs);
    return rc;
}
