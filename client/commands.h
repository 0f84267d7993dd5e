/*  commands.h - what the subcommands share: exit codes, the entry point
    of each subcommand, connecting to the broker, and the pieces two
    subcommands use (waiting: submit --wait and wait; reading results:
    results, wait --fail-on and check).
*/
#ifndef ASSAY_CLIENT_COMMANDS_H_INCLUDED
#define ASSAY_CLIENT_COMMANDS_H_INCLUDED

#include "args.h"
#include "client_conn.h"
#include "format.h"
#include "policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes (DESIGN.md, "CLI contract"); REFUSED/REPLY codes equal them. */
enum {
    EXIT_DONE = 0,            /* done, within the --fail-on policy */
    EXIT_POLICY = 1,          /* done, but the policy is breached */
    EXIT_USAGE = 2,           /* bad usage or bad input */
    EXIT_JOBS_FAILED = 3,     /* some jobs failed or were dead-lettered */
    EXIT_NOT_FOUND = 4,       /* no such batch or job */
    EXIT_UNAVAILABLE = 75,    /* broker or database unavailable: retry later */
    EXIT_TIMEOUT = 124        /* --wait / wait timed out; the jobs go on */
    /* 130 / 143: interrupted (signals_exit_code) */
};

/* Subcommands (cmd_*.c): each takes the parsed arguments and returns the
   exit code. */
int cmd_submit(const args_t *args);
int cmd_wait(const args_t *args);
int cmd_status(const args_t *args);
int cmd_results(const args_t *args);
int cmd_check(const args_t *args);
int cmd_catalogs(const args_t *args);
int cmd_stats(const args_t *args);
int cmd_cancel(const args_t *args);
int cmd_retry(const args_t *args);
int cmd_report(const args_t *args);
int cmd_diff(const args_t *args);
int cmd_history(const args_t *args);
int cmd_override(const args_t *args);
int cmd_overrides(const args_t *args);

/* main.c: print "assay CMD: message" and the command's usage on stderr;
   returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* The broker endpoint: --broker, else ASSAY_BROKER, else the local stack. */
const char *cli_broker(const args_t *args);
/* Connect to the broker; NULL with *exit_code set (2: bad endpoint). */
client_conn_t *cli_connect(const args_t *args, int *exit_code);
/* Turn a failed request into a message on stderr and an exit code:
   unavailable (75), interrupted (130/143), or a REPLY/REFUSED code with
   its {"error": ...} body. `what` names the request ("status t1"). */
int cli_request_failed(const char *command, const char *what, client_conn_result_t result,
                       uint32_t code, const cJSON *body);
/* --format for the subcommand: `fallback` when not given; -1 and a usage
   error printed when unknown. */
int cli_format(const args_t *args, format_kind_t fallback, format_kind_t *kind);
/* --format for subcommands that print a table or JSON only: sets *json;
   EXIT_DONE, or EXIT_USAGE with a usage error printed. */
int cli_table_or_json(const args_t *args, bool *json);
/* --fail-on; -1 and a usage error printed when not understood. */
int cli_policy(const args_t *args, policy_t *policy);
/* The subcommand takes exactly `count` arguments, described by `what`
   ("one BATCH or JOB"): EXIT_DONE, or EXIT_USAGE with a usage error. */
int cli_expect_arguments(const args_t *args, size_t count, const char *what);
/* The start of a subcommand that asks the broker one thing and prints a
   table or JSON: `count` arguments (cli_expect_arguments), --format
   table|json (sets *json), then the connection; NULL with *exit_code set
   when any of them fails. */
client_conn_t *cli_connect_to_query(const args_t *args, size_t count, const char *what,
                                    bool *json, int *exit_code);
/* A JSON document on one line of stdout (as --format json prints). */
void cli_print_json_line(const cJSON *json);
/* Before a table or text is printed from a broker's answer: escape the
   answer's texts in place (display.h), so stored text cannot drive the
   terminal. EXIT_DONE, or EXIT_UNAVAILABLE with a message when out of
   memory (print nothing then). */
int cli_escape_answer(const char *command, cJSON *body);

/* ---- results (cmd_results.c) ------------------------------------------ */

/* Where assessments go: printed by `format` (may be NULL: only counted
   and checked against the policy). */
typedef struct {
    format_t *format;
    const policy_t *policy;
    const char *policy_text;  /* for messages */
    const char *command;      /* for messages */
    size_t assessments;
    size_t breaches;
    size_t jobs_failed;       /* failed or dead */
    size_t jobs_unfinished;   /* queued or running */
    size_t jobs_cancelled;
    size_t jobs_noted;        /* named on stderr so far */
    bool output_failed;
    /* Also given each assessment and each job without results (report);
       may be NULL. A non-zero return counts as an output failure. */
    int (*observe_assessment)(void *observer, const cJSON *assessment);
    int (*observe_job)(void *observer, const cJSON *job);
    void *observer;
} results_sink_t;

void results_sink_assessment(results_sink_t *self, const cJSON *assessment);
/* One job as the broker's results query lists it: its assessments when
   done, else a note on stderr. Sorts the job's assessments by standard. */
void results_sink_job(results_sink_t *self, cJSON *job);
/* Exit code for what went through the sink: 3 failed jobs, 1 policy
   breached, 0 otherwise; also prints the policy summary on stderr. */
int results_sink_finish(results_sink_t *self);

/* Page through the results of a batch or job into the sink. Returns
   0, or the exit code of the failure (4, 75, 130/143), message printed. */
int results_fetch(client_conn_t *conn, const char *target, bool full, results_sink_t *sink);

/* ---- waiting (cmd_wait.c) --------------------------------------------- */

typedef struct {
    const char *command;      /* for messages: "submit" or "wait" */
    bool has_timeout;
    double timeout_s;
    const policy_t *policy;   /* may be NULL: none */
    const char *policy_text;
    bool quiet;               /* no progress */
    bool json;                /* print the final status as JSON on stdout */
} wait_options_t;

/* Poll the status of a batch or job until nothing is queued or running;
   returns the exit code of the contract (0, 1, 3, 4, 75, 124, 130/143). */
int wait_run(client_conn_t *conn, const char *target, const wait_options_t *options);

#endif
