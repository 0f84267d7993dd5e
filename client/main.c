/*  main.c - `assay`, the Assay CLI: subcommand dispatch, usage and help
    texts, and the helpers every subcommand uses to reach the broker and
    turn failures into the exit codes of the contract (DESIGN.md).
*/
#include "commands.h"
#include "display.h"
#include "signals.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_CODES \
    "Exit codes:\n" \
    "  0    done, and within the --fail-on policy (default policy: none)\n" \
    "  1    done, but the policy is breached (a unit not ready, a major NC,\n" \
    "       maturity below a threshold)\n" \
    "  2    bad usage or bad input; the message names the file and the field\n" \
    "  3    some jobs failed or were dead-lettered\n" \
    "  4    no such batch or job\n" \
    "  75   broker or database unavailable, nothing accepted: retry later\n" \
    "  124  --wait/wait timed out; the jobs go on, wait again to re-attach\n" \
    "  130  interrupted (SIGINT) while waiting; 143: SIGTERM. The jobs go on.\n"

#define BROKER_OPTIONS \
    "  --broker ENDPOINT     the broker's client endpoint (default: $ASSAY_BROKER,\n" \
    "                        else " UTIL_DEFAULT_BROKER ")\n"

#define COMMON_OPTIONS \
    "  -v, --verbose         say more on stderr\n" \
    "  -q, --quiet           say less on stderr (no progress)\n" \
    "  -h, --help            this help\n"

#define POLICY_HELP \
    "  --fail-on POLICY      exit 1 when a result breaches POLICY, a comma list of:\n" \
    "                        none (default), major (a major NC), minor (a minor or\n" \
    "                        major NC), not-ready, conditional (not ready or only\n" \
    "                        conditionally), maturity<X (X from 0 to 5)\n"

#define FORMAT_HELP \
    "  -f, --format FORMAT   table (default), json (one document, the last line),\n" \
    "                        jsonl (one object per unit x standard), csv (one row\n" \
    "                        per unit x standard x clause), junit (JUnit XML: a\n" \
    "                        testsuite per unit x standard, a testcase per clause,\n" \
    "                        a failure per NC), oscal (OSCAL 1.2.1 assessment-results\n" \
    "                        JSON, one line). csv cells starting with = + - @\n" \
    "                        TAB CR get a leading ' unless a plain number; table\n" \
    "                        shows control characters in texts as escapes\n"

typedef struct {
    const char *name;
    int (*run)(const args_t *args);
    unsigned options;
    const char *usage;
} command_t;

static const command_t commands[] = {
    { "submit", cmd_submit,
      ARG_COMMON | ARG_BROKER | ARG_CATALOGS | ARG_STANDARD | ARG_BATCH | ARG_KEY | ARG_WAIT
          | ARG_TIMEOUT | ARG_FAIL_ON | ARG_ALLOW_OUTSIDE,
      "usage: assay submit FILE|DIR|- ... [--standard ID[,ID...]|all] [--batch NAME]\n"
      "                    [--key KEY] [--wait] [--timeout S] [--fail-on POLICY]\n"
      "                    [--allow-outside]\n"
      "\n"
      "Validate every evidence bundle, then submit one job per bundle to the broker.\n"
      "A folder is walked recursively for *.json (in sorted order); - reads stdin\n"
      "(one bundle, or JSON Lines: one bundle per line), as does a FILE.jsonl. A\n"
      "FILE.csv is a manifest: a header row unit_id,bundle,standards then one row\n"
      "per bundle (paths relative to the manifest, and confined to its folder:\n"
      "../ or an absolute path or a link leading out of it is refused; the\n"
      "bundle's unit.id must equal unit_id; a row's standards, quoted if\n"
      "comma-separated, replace --standard for it). Nothing is submitted when any\n"
      "bundle is invalid or refused. Prints the batch name on stdout.\n"
      "\n"
      "  --standard LIST       catalog ids, comma-separated, or all (default: all)\n"
      "  --batch NAME          the batch to file the jobs under (default: a new\n"
      "                        batch-YYYYmmdd-HHMMSS-PID, printed on stderr)\n"
      "  --key KEY             idempotency key (default: a hash of unit, standards\n"
      "                        and bundle); with several bundles each gets KEY/UNIT\n"
      "  --wait                wait until every job of the batch finished\n"
      "  --timeout S           give up waiting after S seconds (exit 124)\n"
      POLICY_HELP
      "  --allow-outside       let a manifest's bundle paths leave its folder (only\n"
      "                        for a manifest you trust)\n"
      "  --catalogs DIRS       extra catalog folders for local validation\n"
      "                        (default: $ASSAY_CATALOGS)\n"
      BROKER_OPTIONS
      "  -v, --verbose         print one line per job on stdout (job, unit, new or\n"
      "                        existing, file) before the batch name\n"
      "  -q, --quiet           no progress on stderr\n"
      "  -h, --help            this help\n" },
    { "wait", cmd_wait, ARG_COMMON | ARG_BROKER | ARG_TIMEOUT | ARG_FAIL_ON | ARG_FORMAT,
      "usage: assay wait BATCH|JOB [--timeout S] [--fail-on POLICY]\n"
      "\n"
      "Wait until no job of the batch (or the job) is queued or running. Shows a\n"
      "progress bar when stderr is a terminal, else a line every 10%. Exits 0, or\n"
      "1 (policy breached), 3 (jobs failed or dead), 4, 75, 124 (timeout), 130/143.\n"
      "Cancelled jobs count as finished. Interrupting a wait cancels nothing: wait\n"
      "again to re-attach. A broker or database restart while waiting is ridden\n"
      "out for up to a minute.\n"
      "\n"
      "  --timeout S           give up after S seconds (exit 124; the jobs go on)\n"
      POLICY_HELP
      "  -f, --format json     print the final status as JSON on stdout\n"
      BROKER_OPTIONS COMMON_OPTIONS },
    { "status", cmd_status, ARG_COMMON | ARG_BROKER | ARG_FORMAT,
      "usage: assay status BATCH|JOB [--format table|json]\n"
      "\n"
      "The number of jobs of the batch (or the job) in each state: queued,\n"
      "running, done, failed, dead, cancelled.\n"
      "\n"
      "  -f, --format FORMAT   table (default) or json (one line)\n"
      BROKER_OPTIONS COMMON_OPTIONS },
    { "results", cmd_results, ARG_COMMON | ARG_BROKER | ARG_FORMAT | ARG_FAIL_ON,
      "usage: assay results BATCH|JOB [--format table|json|jsonl|csv|junit|oscal]\n"
      "                     [--fail-on POLICY]\n"
      "\n"
      "Print the stored results of a batch or job. Jobs that failed, were\n"
      "dead-lettered or are not finished are named on stderr (exit 3 when some\n"
      "failed).\n"
      "\n"
      FORMAT_HELP POLICY_HELP BROKER_OPTIONS COMMON_OPTIONS },
    { "check", cmd_check,
      ARG_COMMON | ARG_CATALOGS | ARG_STANDARD | ARG_FORMAT | ARG_FAIL_ON | ARG_ALLOW_OUTSIDE,
      "usage: assay check BUNDLE|DIR|- ... [--standard ID[,ID...]|all] [--format ...]\n"
      "                   [--fail-on POLICY] [--allow-outside]\n"
      "\n"
      "Assess bundles here, offline (no broker, no database), with the same\n"
      "engine the workers use; prints exactly what `assay results` prints for\n"
      "the same bundles.\n"
      "\n"
      "  --standard LIST       catalog ids, comma-separated, or all (default: all)\n"
      FORMAT_HELP POLICY_HELP
      "  --catalogs DIRS       extra catalog folders, colon-separated (default:\n"
      "                        $ASSAY_CATALOGS), added to the bundled ones\n"
      "  --allow-outside       let a CSV manifest's bundle paths leave its folder\n"
      COMMON_OPTIONS },
    { "catalogs", cmd_catalogs, ARG_COMMON | ARG_CATALOGS | ARG_FORMAT,
      "usage: assay catalogs list|show ID|kinds|lint FILE [--format table|json]\n"
      "\n"
      "  list                  the loaded catalogs (standard, edition, clauses)\n"
      "  show ID               one catalog's clauses and checks\n"
      "  kinds                 the evidence kinds the catalogs declare\n"
      "  lint FILE             validate a catalog file; every problem is printed\n"
      "                        on stderr with its JSON pointer and a hint; exit 2\n"
      "                        when there are errors\n"
      "\n"
      "  -f, --format FORMAT   table (default) or json\n"
      "  --catalogs DIRS       extra catalog folders, colon-separated (default:\n"
      "                        $ASSAY_CATALOGS), added to the bundled ones\n"
      COMMON_OPTIONS },
    { "stats", cmd_stats, ARG_COMMON | ARG_BROKER | ARG_FORMAT,
      "usage: assay stats [--format table|json]\n"
      "\n"
      "The operations view: queue depth (queued jobs in the database, and how many\n"
      "of them the broker caches), jobs in flight, dead letters and failed jobs\n"
      "(counted in the database), the broker's counters since it started, and\n"
      "each worker with its last heartbeat, jobs in flight, credit, jobs done and\n"
      "its rate (jobs/s over the last minute; rate_per_s_since_joined in json).\n"
      "When the database is unavailable the broker's own view is still shown.\n"
      "\n"
      "  -f, --format FORMAT   table (default) or json (one line)\n"
      BROKER_OPTIONS COMMON_OPTIONS },
    { "cancel", cmd_cancel, ARG_COMMON | ARG_BROKER,
      "usage: assay cancel BATCH|JOB\n"
      "\n"
      "Take the queued jobs of a batch (or the job) out of play. A running job\n"
      "finishes its attempt; finished jobs are not touched.\n"
      "\n"
      BROKER_OPTIONS COMMON_OPTIONS },
    { "retry", cmd_retry, ARG_COMMON | ARG_BROKER,
      "usage: assay retry BATCH|JOB\n"
      "\n"
      "Queue the failed and dead-lettered jobs of a batch (or the job) again,\n"
      "with a fresh budget of attempts.\n"
      "\n"
      BROKER_OPTIONS COMMON_OPTIONS },
    { "report", cmd_report, ARG_COMMON | ARG_BROKER | ARG_HTML,
      "usage: assay report BATCH|JOB [--html FILE]\n"
      "\n"
      "Write one self-contained HTML page about the stored results of a batch (or\n"
      "a job): a summary (units, standards, readiness, NC counts), readiness per\n"
      "unit, a heatmap of units x top-level clauses coloured by maturity, a radar\n"
      "chart per unit and standard, and the nonconformities grouped by clause with\n"
      "the failing checks and the evidence that decided them; assessors' overrides\n"
      "beside the machine verdicts. Inline CSS and SVG: it loads nothing from the\n"
      "network and opens offline in any browser. Jobs without results are listed\n"
      "in it (exit 3 when some failed or are dead).\n"
      "\n"
      "  --html FILE           where to write it (default, or -: stdout); the file\n"
      "                        is replaced whole, never left half-written\n"
      BROKER_OPTIONS COMMON_OPTIONS },
    { "diff", cmd_diff, ARG_COMMON | ARG_BROKER | ARG_FORMAT | ARG_ALL,
      "usage: assay diff BATCH_A BATCH_B [--all] [--format table|json]\n"
      "\n"
      "What changed from BATCH_A to BATCH_B, per unit and standard (the newest\n"
      "assessment of each in each batch): maturity change, readiness change, and\n"
      "the nonconformities new and closed, by clause (a clause whose NC got less\n"
      "severe, major to minor, counts as closed, and the other way as new). Machine\n"
      "verdicts are compared; overrides are not applied. Units in one batch only\n"
      "are listed as such.\n"
      "\n"
      "  --all                 list unchanged pairs too (default: changed only)\n"
      "  -f, --format FORMAT   table (default) or json (one document, the last line)\n"
      BROKER_OPTIONS COMMON_OPTIONS
      "\n"
      "Exit codes: 0 done, 2 bad usage, 4 no such batch, 75 broker or database\n"
      "unavailable (retry later).\n" },
    { "history", cmd_history, ARG_COMMON | ARG_BROKER | ARG_FORMAT | ARG_STANDARD,
      "usage: assay history UNIT [--standard ID] [--format table|json]\n"
      "\n"
      "Every assessment of a unit over time, per standard in run order: batch,\n"
      "job, as_of, maturity and its change from the run before, readiness, NC\n"
      "counts, and active overrides (with the readiness they give, when it\n"
      "differs from the machine's). A resubmission of identical content is the\n"
      "same job, not a new run.\n"
      "\n"
      "  --standard ID         one standard only\n"
      "  -f, --format FORMAT   table (default) or json (one document, the last line)\n"
      BROKER_OPTIONS COMMON_OPTIONS
      "\n"
      "Exit codes: 0 done, 2 bad usage, 4 no such unit, 75 broker or database\n"
      "unavailable (retry later).\n" },
    { "override", cmd_override,
      ARG_COMMON | ARG_BROKER | ARG_FORMAT | ARG_STANDARD | ARG_STATUS | ARG_REASON | ARG_BY
          | ARG_EXPIRES,
      "usage: assay override JOB CLAUSE --status STATUS --reason TEXT --by NAME\n"
      "                      [--expires YYYY-MM-DD] [--standard ID] [--format table|json]\n"
      "\n"
      "Record an assessor's decision on one clause of a job's assessment. The\n"
      "machine verdict is kept as it is and shown beside the decision (results,\n"
      "overrides, the SQL views); a newer decision on the same clause supersedes\n"
      "this one, which stays in the audit trail (who, when, why, the machine\n"
      "verdict then, expiry). An override applies until the end of its --expires\n"
      "day; after that the machine verdict applies again. Only assessed clauses\n"
      "(those with checks) can be overridden, not headings.\n"
      "\n"
      "  --status STATUS       conformant, minor_nc, major_nc or not_applicable\n"
      "  --reason TEXT         why (required)\n"
      "  --by NAME             who decided (required)\n"
      "  --expires DATE        last day it applies, YYYY-MM-DD (default: no expiry)\n"
      "  --standard ID         the job's standard, when it has the clause in more\n"
      "                        than one (e.g. iatf16949-2016 and iso9001-2015)\n"
      "  -f, --format FORMAT   table (default) or json (the recorded override)\n"
      BROKER_OPTIONS COMMON_OPTIONS
      "\n"
      "Exit codes: 0 recorded, 2 bad usage (or the clause is ambiguous or a\n"
      "heading), 4 no such job, assessment or clause, 75 broker or database\n"
      "unavailable (nothing recorded; retry later).\n" },
    { "overrides", cmd_overrides, ARG_COMMON | ARG_BROKER | ARG_FORMAT,
      "usage: assay overrides BATCH|UNIT|JOB [--format table|json]\n"
      "\n"
      "The assessors' decisions on the jobs of a batch, a unit or a job, oldest\n"
      "first, superseded and expired ones included: who, when, why, the machine\n"
      "verdict, the decision, expiry and state (active, expired, superseded).\n"
      "\n"
      "  -f, --format FORMAT   table (default) or json (one document, the last line)\n"
      BROKER_OPTIONS COMMON_OPTIONS
      "\n"
      "Exit codes: 0 done, 2 bad usage, 4 no such batch, unit or job, 75 broker or\n"
      "database unavailable (retry later).\n" },
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static const char main_usage[] =
    "usage: assay COMMAND [ARGS] [--help]\n"
    "\n"
    "Assess business units against management-system and security standards\n"
    "from their evidence, at batch scale, through an Assay broker.\n"
    "\n"
    "Commands:\n"
    "  submit FILE|DIR|- ... [--standard ID[,ID...]|all] [--batch NAME]\n"
    "         [--key KEY] [--wait] [--timeout S] [--fail-on POLICY]\n"
    "  status BATCH|JOB                 counts of jobs by state\n"
    "  wait BATCH|JOB [--timeout S]     until every job finished\n"
    "  results BATCH|JOB [--format table|json|jsonl|csv|junit|oscal]\n"
    "  check BUNDLE... [--standard ...] [--format ...]   offline, no broker\n"
    "  catalogs list|show ID|kinds|lint FILE\n"
    "  cancel BATCH|JOB                 take queued jobs out of play\n"
    "  retry BATCH|JOB                  queue failed and dead jobs again\n"
    "  report BATCH|JOB [--html FILE]   one self-contained HTML report\n"
    "  stats                            broker, queues, workers\n"
    "  diff BATCH_A BATCH_B             maturity, readiness and NC changes\n"
    "  history UNIT                     every assessment of a unit over time\n"
    "  override JOB CLAUSE --status S --reason TEXT --by NAME [--expires DATE]\n"
    "  overrides BATCH|UNIT|JOB         assessors' decisions, with their trail\n"
    "\n"
    "`assay COMMAND --help` describes each. Results go to stdout, diagnostics\n"
    "to stderr.\n"
    "\n"
    "Environment:\n"
    "  ASSAY_BROKER          the broker's client endpoint (" UTIL_DEFAULT_BROKER ");\n"
    "                        --broker overrides\n"
    "  ASSAY_CATALOGS        extra catalog folders, colon-separated; --catalogs\n"
    "                        overrides\n"
    "  ASSAY_BROKER_TIMEOUT  seconds without an answer before the broker counts\n"
    "                        as unavailable (10)\n"
    "\n"
    EXIT_CODES;

static const command_t *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int cli_usage_error(const char *command, const char *format, ...)
{
    fprintf(stderr, "assay %s: ", command);
    va_list arguments;
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fputc('\n', stderr);
    const command_t *found = find_command(command);
    fputs(found ? found->usage : main_usage, stderr);
    return EXIT_USAGE;
}

const char *cli_broker(const args_t *args)
{
    return args->broker ? args->broker : util_env("ASSAY_BROKER", UTIL_DEFAULT_BROKER);
}

client_conn_t *cli_connect(const args_t *args, int *exit_code)
{
    char error[512];
    client_conn_t *conn = client_conn_new(cli_broker(args), error, sizeof error);
    if (!conn) {
        fprintf(stderr, "assay %s: %s\n", args->command, error);
        *exit_code = EXIT_USAGE;
    }
    return conn;
}

int cli_request_failed(const char *command, const char *what, client_conn_result_t result,
                       uint32_t code, const cJSON *body)
{
    if (result == CLIENT_CONN_INTERRUPTED) {
        fprintf(stderr, "assay %s: interrupted\n", command);
        return signals_exit_code();
    }
    if (result == CLIENT_CONN_UNAVAILABLE) {
        fprintf(stderr, "assay %s: %s: the broker did not answer: unavailable, retry later\n",
                command, what);
        return EXIT_UNAVAILABLE;
    }
    /* the broker's message may echo stored text (display.h) */
    char error_text[1024];
    const char *error = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "error"));
    if (error)
        error = display_escape_into(error, error_text, sizeof error_text);
    switch (code) {
    case ASSAY_CODE_NOT_FOUND:
        fprintf(stderr, "assay %s: %s: no such batch or job\n", command, what);
        return EXIT_NOT_FOUND;
    case ASSAY_CODE_RETRY:
        fprintf(stderr, "assay %s: %s: %s; retry later\n", command, what,
                error ? error : "broker or database unavailable");
        return EXIT_UNAVAILABLE;
    case ASSAY_CODE_BAD_INPUT:
        fprintf(stderr, "assay %s: %s: %s\n", command, what, error ? error : "refused as bad input");
        return EXIT_USAGE;
    default:
        /* A code this client does not know: say so, and let schedulers
           retry rather than treat it as a verdict. */
        fprintf(stderr, "assay %s: %s: unexpected answer code %u%s%s\n", command, what,
                (unsigned) code, error ? ": " : "", error ? error : "");
        return EXIT_UNAVAILABLE;
    }
}

int cli_format(const args_t *args, format_kind_t fallback, format_kind_t *kind)
{
    *kind = fallback;
    if (!args->format)
        return 0;
    if (format_kind_parse(args->format, kind) != 0) {
        cli_usage_error(args->command, "unknown format '%s'", args->format);
        return -1;
    }
    return 0;
}

int cli_table_or_json(const args_t *args, bool *json)
{
    format_kind_t kind;
    if (cli_format(args, FORMAT_TABLE, &kind) != 0)
        return EXIT_USAGE;
    if (kind != FORMAT_TABLE && kind != FORMAT_JSON)
        return cli_usage_error(args->command, "--format: expected table or json");
    *json = kind == FORMAT_JSON;
    return EXIT_DONE;
}

int cli_expect_arguments(const args_t *args, size_t count, const char *what)
{
    if (args->positional_count == count)
        return EXIT_DONE;
    return cli_usage_error(args->command, "expected %s, got %zu arguments", what,
                           args->positional_count);
}

client_conn_t *cli_connect_to_query(const args_t *args, size_t count, const char *what,
                                    bool *json, int *exit_code)
{
    *exit_code = cli_expect_arguments(args, count, what);
    if (*exit_code == EXIT_DONE)
        *exit_code = cli_table_or_json(args, json);
    return *exit_code == EXIT_DONE ? cli_connect(args, exit_code) : NULL;
}

void cli_print_json_line(const cJSON *json)
{
    char *text = cJSON_PrintUnformatted(json);
    if (text)
        printf("%s\n", text);
    free(text);
}

int cli_escape_answer(const char *command, cJSON *body)
{
    if (display_escape_json(body) == 0)
        return EXIT_DONE;
    fprintf(stderr, "assay %s: out of memory\n", command);
    return EXIT_UNAVAILABLE;
}

int cli_policy(const args_t *args, policy_t *policy)
{
    char error[256];
    if (policy_parse(policy, args->fail_on, error, sizeof error) != 0) {
        cli_usage_error(args->command, "%s", error);
        return -1;
    }
    return 0;
}

/* Global options may also come before the command ("assay --broker X
   status b"): move them after it, where the command's parser sees them. */
static int reorder(int argc, char **argv, char ***reordered)
{
    int first = 1;
    while (first < argc && argv[first][0] == '-' && strcmp(argv[first], "-") != 0) {
        const char *arg = argv[first];
        bool takes_value = (strcmp(arg, "--broker") == 0 || strcmp(arg, "--catalogs") == 0
                            || strcmp(arg, "--format") == 0 || strcmp(arg, "-f") == 0);
        first += takes_value && first + 1 < argc ? 2 : 1;
    }
    char **out = calloc((size_t) argc + 1, sizeof *out);
    if (!out)
        return -1;
    int count = 0;
    if (first < argc)
        out[count++] = argv[first];
    for (int i = 1; i < first; i++)
        out[count++] = argv[i];
    for (int i = first + 1; i < argc; i++)
        out[count++] = argv[i];
    *reordered = out;
    return first < argc ? count : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_usage, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0) {
        const command_t *about = argc > 2 ? find_command(argv[2]) : NULL;
        fputs(about ? about->usage : main_usage, stdout);
        return EXIT_DONE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("assay %s\n", ASSAY_VERSION);
        return EXIT_DONE;
    }
    char **reordered = NULL;
    int count = reorder(argc, argv, &reordered);
    if (count <= 0) {
        free(reordered);
        fputs("assay: no command given\n", stderr);
        fputs(main_usage, stderr);
        return EXIT_USAGE;
    }
    const command_t *command = find_command(reordered[0]);
    if (!command) {
        fprintf(stderr, "assay: unknown command '%s'\n", reordered[0]);
        fputs(main_usage, stderr);
        free(reordered);
        return EXIT_USAGE;
    }
    args_t args;
    char error[512];
    int rc;
    if (args_parse(&args, count, reordered, command->options, error, sizeof error) != 0)
        rc = cli_usage_error(command->name, "%s", error);
    else if (args.help) {
        fputs(command->usage, stdout);
        rc = EXIT_DONE;
    } else {
        signals_install();
        rc = command->run(&args);
    }
    args_free(&args);
    free(reordered);
    /* A closed stdout (e.g. `| head`) must not turn success into a crash
       or silence a write error. */
    if (fflush(stdout) != 0 && rc == EXIT_DONE)
        rc = EXIT_USAGE;
    return rc;
}
