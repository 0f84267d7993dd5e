/*  cmd_results.c - `assay results BATCH|JOB`: page through the stored
    results with QUERY results {"after", "limit", "full"} until the broker
    says there is no next page, and print them with format.c. Also the
    results sink that `check` and `wait --fail-on` feed: it prints, checks
    the --fail-on policy, and counts jobs without results.
*/
#include "commands.h"
#include "display.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Summaries are small; full documents carry every clause and check, so
   fewer per page keep each REPLY a few MiB at most. */
#define PAGE_SUMMARY 1000
#define PAGE_FULL 100
#define LINES_SHOWN 20

static const char *text_or(const cJSON *object, const char *name, const char *fallback)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
    return text ? text : fallback;
}

void results_sink_assessment(results_sink_t *self, const cJSON *assessment)
{
    self->assessments++;
    if (self->format && format_assessment(self->format, assessment) != 0)
        self->output_failed = true;
    if (self->observe_assessment && self->observe_assessment(self->observer, assessment) != 0)
        self->output_failed = true;
    char reason[256];
    if (self->policy && policy_breached(self->policy, assessment, reason, sizeof reason)) {
        self->breaches++;
        char unit[300], standard[300];
        if (self->breaches <= LINES_SHOWN)
            fprintf(stderr, "assay %s: --fail-on %s: %s %s: %s\n", self->command,
                    self->policy_text ? self->policy_text : "",
                    display_escape_into(text_or(assessment, "unit", "?"), unit, sizeof unit),
                    display_escape_into(text_or(assessment, "standard", "?"), standard,
                                        sizeof standard), reason);
    }
}

/* The last entry of a job's error history, for the note on stderr. */
static const char *last_error(const cJSON *job)
{
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(job, "errors");
    int count = cJSON_GetArraySize(errors);
    if (count == 0)
        return NULL;
    const cJSON *last = cJSON_GetArrayItem(errors, count - 1);
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(last, "error"));
    return text ? text : cJSON_GetStringValue(last);
}

void results_sink_job(results_sink_t *self, cJSON *job)
{
    const char *state = text_or(job, "state", "unknown");
    const char *unit = text_or(job, "unit", "?");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(job, "job");
    if (strcmp(state, "done") == 0) {
        cJSON *assessments = cJSON_GetObjectItemCaseSensitive(job, "assessments");
        format_sort_assessments(assessments);
        const cJSON *assessment;
        cJSON_ArrayForEach(assessment, assessments)
            results_sink_assessment(self, assessment);
        return;
    }
    if (strcmp(state, "failed") == 0 || strcmp(state, "dead") == 0)
        self->jobs_failed++;
    else if (strcmp(state, "cancelled") == 0)
        self->jobs_cancelled++;
    else
        self->jobs_unfinished++;
    if (self->format && format_unfinished_job(self->format, job) != 0)
        self->output_failed = true;
    if (self->observe_job && self->observe_job(self->observer, job) != 0)
        self->output_failed = true;
    /* Name the jobs that will not have results (up to a screenful); jobs
       still on their way are only counted. */
    bool final = strcmp(state, "queued") != 0 && strcmp(state, "running") != 0;
    if (final && ++self->jobs_noted <= LINES_SHOWN) {
        /* the worker's message may quote the bundle (display.h) */
        const char *error = last_error(job);
        char unit_shown[300], state_shown[64], error_shown[1024];
        fprintf(stderr, "assay %s: job %.0f (unit %s): %s%s%s\n", self->command,
                cJSON_IsNumber(id) ? id->valuedouble : 0.0,
                display_escape_into(unit, unit_shown, sizeof unit_shown),
                display_escape_into(state, state_shown, sizeof state_shown), error ? ": " : "",
                display_escape_into(error, error_shown, sizeof error_shown));
    }
}

int results_sink_finish(results_sink_t *self)
{
    if (self->breaches > LINES_SHOWN)
        fprintf(stderr, "assay %s: ... and %zu more\n", self->command,
                self->breaches - LINES_SHOWN);
    if (self->breaches)
        fprintf(stderr, "assay %s: %zu of %zu assessments breach --fail-on %s\n", self->command,
                self->breaches, self->assessments, self->policy_text ? self->policy_text : "");
    if (self->jobs_noted > LINES_SHOWN)
        fprintf(stderr, "assay %s: ... and %zu more jobs without results\n", self->command,
                self->jobs_noted - LINES_SHOWN);
    if (self->jobs_cancelled)
        fprintf(stderr, "assay %s: %zu jobs were cancelled\n", self->command,
                self->jobs_cancelled);
    if (self->jobs_unfinished)
        fprintf(stderr, "assay %s: %zu jobs not finished yet (queued or running)\n",
                self->command, self->jobs_unfinished);
    if (self->jobs_failed) {
        fprintf(stderr, "assay %s: %zu jobs failed or were dead-lettered\n", self->command,
                self->jobs_failed);
        return EXIT_JOBS_FAILED;
    }
    return self->breaches ? EXIT_POLICY : EXIT_DONE;
}

int results_fetch(client_conn_t *conn, const char *target, bool full, results_sink_t *sink)
{
    double after = 0;
    while (true) {
        cJSON *arguments = cJSON_CreateObject();
        if (!arguments)
            return EXIT_UNAVAILABLE;
        cJSON_AddNumberToObject(arguments, "after", after);
        cJSON_AddNumberToObject(arguments, "limit", full ? PAGE_FULL : PAGE_SUMMARY);
        cJSON_AddBoolToObject(arguments, "full", full);
        uint32_t code = 0;
        cJSON *body = NULL;
        client_conn_result_t result = client_conn_query(conn, "results", target, arguments,
                                                        &code, &body);
        cJSON_Delete(arguments);
        if (result != CLIENT_CONN_OK || code != ASSAY_CODE_OK) {
            int rc = cli_request_failed(sink->command, target, result, code, body);
            cJSON_Delete(body);
            return rc;
        }
        cJSON *jobs = cJSON_GetObjectItemCaseSensitive(body, "jobs");
        if (!cJSON_IsArray(jobs)) {
            fprintf(stderr, "assay %s: %s: the broker's answer has no jobs list\n",
                    sink->command, target);
            cJSON_Delete(body);
            return EXIT_UNAVAILABLE;
        }
        cJSON *job;
        cJSON_ArrayForEach(job, jobs)
            results_sink_job(sink, job);
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(body, "next");
        /* "next" is the last job id of a full page; null on the last page.
           It must move forward, or a broken answer would loop forever. */
        bool more = cJSON_IsNumber(next) && next->valuedouble > after;
        if (more)
            after = next->valuedouble;
        cJSON_Delete(body);
        if (!more)
            return EXIT_DONE;
    }
}

int cmd_results(const args_t *args)
{
    int rc = cli_expect_arguments(args, 1, "one BATCH or JOB");
    if (rc != EXIT_DONE)
        return rc;
    format_kind_t kind;
    policy_t policy;
    if (cli_format(args, FORMAT_TABLE, &kind) != 0 || cli_policy(args, &policy) != 0)
        return EXIT_USAGE;
    rc = EXIT_DONE;
    client_conn_t *conn = cli_connect(args, &rc);
    if (!conn)
        return rc;
    format_t *format = format_new(kind, stdout);
    results_sink_t sink = {
        .format = format, .policy = &policy, .policy_text = args->fail_on,
        .command = args->command,
    };
    rc = results_fetch(conn, args->positional[0], format_needs_full(kind), &sink);
    if (rc == EXIT_DONE) {
        /* Only a complete answer is printed as a document (json, table):
           a broken run must not leave half of one on stdout. */
        if (format_finish(format) != 0 || sink.output_failed) {
            fprintf(stderr, "assay %s: cannot write the results\n", args->command);
            rc = EXIT_USAGE;
        } else
            rc = results_sink_finish(&sink);
    }
    format_destroy(&format);
    client_conn_destroy(&conn);
    return rc;
}
