/*  cmd_report.c - `assay report BATCH|JOB [--html FILE]`: fetch the full
    results of a batch from the broker (the same paging as `assay results`)
    and write the HTML report that report_html.c builds: to FILE, replaced
    whole (written beside it, then renamed), or to stdout without --html or
    with --html -.
*/
#include "commands.h"
#include "report_html.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int observe_assessment(void *observer, const cJSON *assessment)
{
    return report_add_assessment(observer, assessment);
}

static int observe_job(void *observer, const cJSON *job)
{
    return report_add_job(observer, job);
}

/* Write `text` to `path` through a temporary file in the same folder, so
   that the file is either the old one or the whole new report. */
static int write_file(const char *command, const char *path, const char *text)
{
    size_t length = strlen(text);
    if (strcmp(path, "-") == 0) {
        if (fwrite(text, 1, length, stdout) != length || fflush(stdout) != 0) {
            fprintf(stderr, "assay %s: cannot write the report to stdout\n", command);
            return EXIT_USAGE;
        }
        return EXIT_DONE;
    }
    size_t temporary_size = strlen(path) + 32;
    char *temporary = malloc(temporary_size);
    if (!temporary) {
        fprintf(stderr, "assay %s: out of memory\n", command);
        return EXIT_USAGE;
    }
    snprintf(temporary, temporary_size, "%s.tmp-%ld", path, (long) getpid());
    FILE *file = fopen(temporary, "w");
    int error = 0;
    if (!file)
        error = errno;
    else {
        if (fwrite(text, 1, length, file) != length)
            error = errno ? errno : EIO;
        if (fclose(file) != 0 && !error)
            error = errno ? errno : EIO;
        if (!error && rename(temporary, path) != 0)
            error = errno;
        if (error)
            unlink(temporary);
    }
    free(temporary);
    if (error) {
        fprintf(stderr, "assay %s: cannot write %s: %s\n", command, path, strerror(error));
        return EXIT_USAGE;
    }
    return EXIT_DONE;
}

int cmd_report(const args_t *args)
{
    int rc = cli_expect_arguments(args, 1, "one BATCH or JOB");
    if (rc != EXIT_DONE)
        return rc;
    const char *path = args->html ? args->html : "-";
    if (!*path)
        return cli_usage_error(args->command, "--html: expected a file name");
    const char *target = args->positional[0];
    report_t *report = report_new();
    if (!report) {
        fprintf(stderr, "assay %s: out of memory\n", args->command);
        return EXIT_USAGE;
    }
    rc = EXIT_DONE;
    client_conn_t *conn = cli_connect(args, &rc);
    if (!conn) {
        report_destroy(&report);
        return rc;
    }
    results_sink_t sink = {
        .command = args->command,
        .observe_assessment = observe_assessment,
        .observe_job = observe_job,
        .observer = report,
    };
    rc = results_fetch(conn, target, true, &sink);
    client_conn_destroy(&conn);
    if (rc == EXIT_DONE && sink.output_failed) {
        fprintf(stderr, "assay %s: out of memory while reading the results\n", args->command);
        rc = EXIT_USAGE;
    }
    char *html = NULL;
    if (rc == EXIT_DONE) {
        char generated[64] = "";
        time_t now = time(NULL);
        struct tm utc;
        if (gmtime_r(&now, &utc))
            strftime(generated, sizeof generated, "%Y-%m-%d %H:%M UTC", &utc);
        report_options_t options = { .batch = target, .generated = generated };
        html = report_html(report, &options);
        if (!html) {
            fprintf(stderr, "assay %s: out of memory while writing the report\n",
                    args->command);
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_DONE)
        rc = write_file(args->command, path, html);
    if (rc == EXIT_DONE) {
        if (strcmp(path, "-") != 0 && !args->quiet)
            fprintf(stderr, "assay %s: wrote %s (%zu assessments)\n", args->command, path,
                    sink.assessments);
        /* Failed or dead jobs are in the report, and give 3 as in results. */
        rc = results_sink_finish(&sink);
    }
    free(html);
    report_destroy(&report);
    return rc;
}
