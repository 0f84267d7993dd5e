/*  bench_engine.c - assay-bench-engine: how long the engine takes per
    unit, on one core, for the three stages every assessment pays:
    bundle_parse (parse, validate, index), engine_session_assess (every
    selected standard on one parsed bundle, through one session) and
    assessment_to_json plus printing.

    Units are read into memory first so that file I/O is not measured.
    Stages are timed in this thread's CPU time, not wall time: on a shared
    machine a wall clock also counts the time other processes held the
    core. Each stage is summed over all units per pass and the median pass
    is reported, so one disturbed pass does not skew the figure.
*/
#include "engine.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *path;
    char *text;
    size_t length;
} unit_text_t;

/* CPU time of this thread. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static int compare_units(const void *a, const void *b)
{
    return strcmp(((const unit_text_t *) a)->path, ((const unit_text_t *) b)->path);
}

static double median(double *values, int count)
{
    qsort(values, (size_t) count, sizeof *values, compare_doubles);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

static unit_text_t *read_units(const char *folder, size_t limit, size_t *count)
{
    DIR *dir = opendir(folder);
    if (!dir) {
        fprintf(stderr, "assay-bench-engine: cannot open %s\n", folder);
        return NULL;
    }
    unit_text_t *units = NULL;
    size_t n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t length = strlen(entry->d_name);
        if (length <= 5 || strcmp(entry->d_name + length - 5, ".json") != 0)
            continue;
        unit_text_t *grown = realloc(units, (n + 1) * sizeof *units);
        if (!grown)
            break;
        units = grown;
        char path[4096], error[256];
        snprintf(path, sizeof path, "%s/%s", folder, entry->d_name);
        units[n].text = util_file_read(path, BUNDLE_DEFAULT_MAX_BYTES, &units[n].length, error,
                                       sizeof error);
        if (!units[n].text) {
            fprintf(stderr, "assay-bench-engine: %s\n", error);
            continue;
        }
        units[n].path = strdup(path);
        n++;
    }
    closedir(dir);
    qsort(units, n, sizeof *units, compare_units);
    for (size_t i = limit; i < n; i++) {
        free(units[i].path);
        free(units[i].text);
    }
    *count = n < limit ? n : limit;
    return units;
}

/* The standards to evaluate, resolved once. */
static size_t select_catalogs(const catalog_set_t *set, const char *spec, const catalog_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < catalog_set_size(set); i++) {
        const catalog_t *catalog = catalog_set_at(set, i);
        if (strcmp(spec, "all") == 0 || strcmp(spec, catalog_id(catalog)) == 0)
            out[n++] = catalog;
    }
    return n;
}

static void usage(void)
{
    fprintf(stderr, "usage: assay-bench-engine --units DIR [--standard all|ID] [--passes N] [--limit N]\n");
}

int main(int argc, char **argv)
{
    const char *folder = NULL, *standard = "all";
    int passes = 5;
    size_t limit = 200;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--units") == 0 && i + 1 < argc)
            folder = argv[++i];
        else if (strcmp(argv[i], "--standard") == 0 && i + 1 < argc)
            standard = argv[++i];
        else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
            passes = atoi(argv[++i]);
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = (size_t) strtoul(argv[++i], NULL, 10);
        else {
            usage();
            return 2;
        }
    }
    if (!folder || passes < 1 || passes > 1000 || limit == 0) {
        usage();
        return 2;
    }
    diag_list_t *diags = diag_list_new();
    catalog_set_t *set = util_catalogs_load(NULL, diags);
    if (!set) {
        char *text = diag_list_format(diags);
        fprintf(stderr, "%s", text ? text : "cannot load catalogs\n");
        free(text);
        return 2;
    }
    const catalog_t **catalogs = calloc(catalog_set_size(set) + 1, sizeof *catalogs);
    size_t catalog_count = select_catalogs(set, standard, catalogs);
    if (catalog_count == 0) {
        fprintf(stderr, "assay-bench-engine: no standard \"%s\"\n", standard);
        return 2;
    }
    size_t count = 0;
    unit_text_t *units = read_units(folder, limit, &count);
    if (!units || count == 0) {
        fprintf(stderr, "assay-bench-engine: no units in %s\n", folder);
        return 2;
    }
    size_t bytes = 0;
    for (size_t u = 0; u < count; u++)
        bytes += units[u].length;

    double *parse = calloc((size_t) passes, sizeof *parse);
    double *assess = calloc((size_t) passes, sizeof *assess);
    double *serialize = calloc((size_t) passes, sizeof *serialize);
    double *store = calloc((size_t) passes, sizeof *store);
    size_t printed = 0, stored = 0, checks_evaluated = 0, checks_reused = 0;
    for (int p = 0; p < passes; p++) {
        for (size_t u = 0; u < count; u++) {
            double t0 = now_ms();
            bundle_t *bundle = bundle_parse(units[u].path, units[u].text, units[u].length, set, NULL, diags);
            double t1 = now_ms();
            parse[p] += t1 - t0;
            if (!bundle) {
                fprintf(stderr, "assay-bench-engine: %s does not parse\n", units[u].path);
                return 1;
            }
            /* evaluate: every selected standard through one session, as
               a worker and assay check do */
            assessment_t *results[16];
            engine_session_t *session = engine_session_new(bundle);
            for (size_t c = 0; c < catalog_count && c < 16; c++)
                results[c] = engine_session_assess(session, catalogs[c]);
            size_t evaluated = 0, reused = 0;
            if (session)
                engine_session_counts(session, &evaluated, &reused);
            checks_evaluated += evaluated;
            checks_reused += reused;
            engine_session_destroy(&session);
            double t2 = now_ms();
            assess[p] += t2 - t1;
            for (size_t c = 0; c < catalog_count && c < 16; c++) {
                cJSON *json = assessment_to_json(results[c]);
                char *text = cJSON_PrintUnformatted(json);
                printed += strlen(text);
                free(text);
                cJSON_Delete(json);
            }
            double t3 = now_ms();
            serialize[p] += t3 - t2;
            /* what a worker stores: the outcome and the summary */
            for (size_t c = 0; c < catalog_count && c < 16; c++) {
                char *outcome = assessment_outcome(results[c]);
                char *by_clause = assessment_maturity_by_clause(results[c]);
                stored += strlen(outcome);
                free(outcome);
                free(by_clause);
            }
            store[p] += now_ms() - t3;
            for (size_t c = 0; c < catalog_count && c < 16; c++)
                assessment_destroy(&results[c]);
            bundle_destroy(&bundle);
        }
    }
    double mp = median(parse, passes) / (double) count;
    double ma = median(assess, passes) / (double) count;
    double ms = median(serialize, passes) / (double) count;
    double mo = median(store, passes) / (double) count;
    /* median() sorted them: [0] is the best pass, the least disturbed */
    double bp = parse[0] / (double) count, ba = assess[0] / (double) count;
    double bs = serialize[0] / (double) count, bo = store[0] / (double) count;
    printf("units %zu (%.1f KB each on average), standards %zu (%s), passes %d\n", count,
           (double) bytes / (double) count / 1024.0, catalog_count, standard, passes);
    printf("             median     best  (ms/unit, CPU time)\n");
    printf("parse      %8.3f %8.3f\n", mp, bp);
    printf("evaluate   %8.3f %8.3f  (%.0f checks evaluated, %.0f reused per unit)\n", ma, ba,
           (double) checks_evaluated / (double) passes / (double) count,
           (double) checks_reused / (double) passes / (double) count);
    printf("serialize  %8.3f %8.3f  (%.0f KB of JSON per unit)\n", ms, bs,
           (double) printed / (double) passes / (double) count / 1024.0);
    printf("outcome    %8.3f %8.3f  (%.0f KB stored per unit: what a worker writes)\n", mo, bo,
           (double) stored / (double) passes / (double) count / 1024.0);
    printf("worker     %8.3f %8.3f  (parse + evaluate + outcome: a worker's engine time)\n",
           mp + ma + mo, bp + ba + bo);
    printf("check      %8.3f %8.3f  (parse + evaluate + serialize: assay check)\n",
           mp + ma + ms, bp + ba + bs);
    for (size_t u = 0; u < count; u++) {
        free(units[u].path);
        free(units[u].text);
    }
    free(units);
    free(parse);
    free(assess);
    free(serialize);
    free(store);
    free(catalogs);
    catalog_set_destroy(&set);
    diag_list_destroy(&diags);
    return 0;
}
