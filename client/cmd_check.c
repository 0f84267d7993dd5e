/*  cmd_check.c - `assay check BUNDLE...`: assess bundles here, offline,
    with the engine the workers use, and print them through the same
    results sink and formats as `assay results`, so the same bundle prints
    the same whichever way it was assessed. Needs neither broker nor
    database, only the catalogs.
*/
#include "commands.h"
#include "inputs.h"
#include "signals.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The standards to assess, in the order results print them: sorted by
   id, as the broker's results query orders a job's assessments. */
static char **standard_list(const catalog_set_t *catalogs, const char *spec, size_t *count,
                            char *error, size_t error_size)
{
    char *resolved = util_standards_resolve(catalogs, spec, error, error_size);
    if (!resolved)
        return NULL;
    size_t capacity = 1;
    for (const char *at = resolved; *at; at++)
        capacity += *at == ',';
    char **ids = calloc(capacity + 1, sizeof *ids);
    char *cursor = resolved, *id;
    *count = 0;
    while (ids && (id = strsep(&cursor, ",")))
        if (*id)
            ids[(*count)++] = strdup(id);
    free(resolved);
    if (ids)
        qsort(ids, *count, sizeof *ids, compare_ids);
    return ids;
}

static void free_list(char **ids, size_t count)
{
    for (size_t i = 0; ids && i < count; i++)
        free(ids[i]);
    free(ids);
}

int cmd_check(const args_t *args)
{
    if (args->positional_count == 0)
        return cli_usage_error(args->command, "no bundle given (FILE, DIR or -)");
    format_kind_t kind;
    policy_t policy;
    if (cli_format(args, FORMAT_TABLE, &kind) != 0 || cli_policy(args, &policy) != 0)
        return EXIT_USAGE;

    int rc = EXIT_DONE;
    inputs_t inputs = { 0 };
    catalog_set_t *catalogs = NULL;
    char **standards = NULL;
    size_t standard_count = 0;
    format_t *format = NULL;

    diag_list_t *diags = diag_list_new();
    catalogs = util_catalogs_load(args->catalogs, diags);
    if (!catalogs) {
        inputs_print_diags(diags, false, stderr);
        fprintf(stderr, "assay %s: cannot load the catalogs\n", args->command);
        rc = EXIT_USAGE;
    }
    diag_list_destroy(&diags);
    if (rc != EXIT_DONE)
        goto done;

    char error[256];
    standards = standard_list(catalogs, args->standard ? args->standard : "all",
                              &standard_count, error, sizeof error);
    if (!standards) {
        fprintf(stderr, "assay %s: --standard: %s\n", args->command, error);
        rc = EXIT_USAGE;
        goto done;
    }
    inputs.allow_outside = args->allow_outside;
    if (inputs_collect(&inputs, args->positional, args->positional_count, stderr) != 0) {
        rc = EXIT_USAGE;
        goto done;
    }
    /* Every bundle first, so bad input prints nothing on stdout. */
    size_t invalid = 0;
    for (size_t i = 0; i < inputs.count; i++) {
        bundle_t *bundle = input_parse(&inputs.items[i], catalogs, !args->quiet, stderr, NULL, NULL);
        invalid += bundle == NULL;
        bundle_destroy(&bundle);
        char *resolved = inputs.items[i].standards
            ? util_standards_resolve(catalogs, inputs.items[i].standards, error, sizeof error)
            : NULL;
        if (inputs.items[i].standards && !resolved) {
            fprintf(stderr, "assay %s: %s: standards: %s\n", args->command,
                    inputs.items[i].source ? inputs.items[i].source : inputs.items[i].origin,
                    error);
            invalid++;
        }
        free(resolved);
    }
    if (invalid) {
        fprintf(stderr, "assay %s: %zu of %zu bundles are invalid\n", args->command, invalid,
                inputs.count);
        rc = EXIT_USAGE;
        goto done;
    }

    format = format_new(kind, stdout);
    results_sink_t sink = {
        .format = format, .policy = &policy, .policy_text = args->fail_on,
        .command = args->command,
    };
    for (size_t i = 0; i < inputs.count && rc == EXIT_DONE; i++) {
        if (signals_caught()) {
            rc = signals_exit_code();
            break;
        }
        /* Read again: the validation pass kept nothing, so a folder of any
           size costs the memory of one bundle at a time. */
        bundle_t *bundle = input_parse(&inputs.items[i], catalogs, false, stderr, NULL, NULL);
        if (!bundle) {
            rc = EXIT_USAGE;
            break;
        }
        /* A manifest row's own standards replace --standard. */
        char **own = NULL;
        size_t own_count = 0;
        if (inputs.items[i].standards) {
            own = standard_list(catalogs, inputs.items[i].standards, &own_count, error,
                                sizeof error);
            if (!own) {
                fprintf(stderr, "assay %s: %s: standards: %s\n", args->command,
                        inputs.items[i].source ? inputs.items[i].source : inputs.items[i].origin,
                        error);
                bundle_destroy(&bundle);
                rc = EXIT_USAGE;
                break;
            }
        }
        char **row_standards = own ? own : standards;
        size_t row_count = own ? own_count : standard_count;
        /* One session per bundle: its standards share checks (extends,
           maps_to), evaluated once. NULL (out of memory) fails each below. */
        engine_session_t *session = engine_session_new(bundle);
        for (size_t s = 0; s < row_count && rc == EXIT_DONE; s++) {
            const catalog_t *catalog = catalog_set_find(catalogs, row_standards[s]);
            assessment_t *assessment = catalog ? engine_session_assess(session, catalog) : NULL;
            cJSON *document = assessment ? assessment_to_json(assessment) : NULL;
            if (!document) {
                fprintf(stderr, "assay %s: %s: %s: cannot assess (out of memory)\n",
                        args->command, inputs.items[i].origin, row_standards[s]);
                rc = EXIT_JOBS_FAILED;
            } else
                results_sink_assessment(&sink, document);
            cJSON_Delete(document);
            assessment_destroy(&assessment);
        }
        engine_session_destroy(&session);
        free_list(own, own_count);
        bundle_destroy(&bundle);
    }
    if (rc == EXIT_DONE) {
        if (format_finish(format) != 0 || sink.output_failed) {
            fprintf(stderr, "assay %s: cannot write the results\n", args->command);
            rc = EXIT_USAGE;
        } else
            rc = results_sink_finish(&sink);
    }
done:
    format_destroy(&format);
    free_list(standards, standard_count);
    catalog_set_destroy(&catalogs);
    inputs_free(&inputs);
    return rc;
}
