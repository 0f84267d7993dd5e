/*  args.h - the CLI's argument parser (pure: no I/O, no globals).

    Owns the one option vocabulary all subcommands share: each subcommand
    says which options it accepts (a mask of args_flag_t), and anything
    else is a usage error naming the option. Options may come before or
    after positional arguments, as `--name value` or `--name=value`; `--`
    ends options and a lone `-` is a positional argument (stdin).
*/
#ifndef ASSAY_CLIENT_ARGS_H_INCLUDED
#define ASSAY_CLIENT_ARGS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    ARG_BROKER = 1u << 0,     /* --broker ENDPOINT */
    ARG_CATALOGS = 1u << 1,   /* --catalogs DIR[:DIR...] */
    ARG_STANDARD = 1u << 2,   /* --standard ID[,ID...]|all */
    ARG_BATCH = 1u << 3,      /* --batch NAME */
    ARG_KEY = 1u << 4,        /* --key KEY */
    ARG_WAIT = 1u << 5,       /* --wait */
    ARG_TIMEOUT = 1u << 6,    /* --timeout SECONDS */
    ARG_FAIL_ON = 1u << 7,    /* --fail-on POLICY */
    ARG_FORMAT = 1u << 8,     /* --format NAME */
    ARG_VERBOSE = 1u << 9,    /* --verbose, -v */
    ARG_QUIET = 1u << 10,     /* --quiet, -q */
    ARG_HTML = 1u << 11,      /* --html FILE */
    ARG_STATUS = 1u << 12,    /* --status STATUS (override) */
    ARG_REASON = 1u << 13,    /* --reason TEXT (override) */
    ARG_BY = 1u << 14,        /* --by NAME (override) */
    ARG_EXPIRES = 1u << 15,   /* --expires YYYY-MM-DD (override) */
    ARG_ALL = 1u << 16,       /* --all (diff: unchanged pairs too) */
    ARG_ALLOW_OUTSIDE = 1u << 17  /* --allow-outside (manifest paths) */
} args_flag_t;

/* Options every subcommand takes. */
#define ARG_COMMON (ARG_VERBOSE | ARG_QUIET)

typedef struct {
    const char *command;      /* argv[0]: the subcommand */
    unsigned seen;            /* args_flag_t of the options given */
    bool help;                /* -h / --help */
    const char *broker;
    const char *catalogs;
    const char *standard;
    const char *batch;
    const char *key;
    const char *fail_on;
    const char *format;
    const char *html;
    const char *status;       /* override */
    const char *reason;
    const char *by;
    const char *expires;
    bool all;                 /* diff */
    bool allow_outside;       /* submit, check: manifest paths may leave its folder */
    double timeout_s;         /* valid when seen & ARG_TIMEOUT; >= 0 */
    bool wait;
    bool verbose;
    bool quiet;
    /* Positional arguments, borrowed from argv, in order. */
    const char **positional;
    size_t positional_count;
} args_t;

/* Parse argv[1..argc-1] for the subcommand argv[0], accepting only the
   options in `allowed` (plus --help). Returns 0, or -1 with a one-line
   message in `error` (unknown option, missing or bad value). Strings in
   `self` point into argv; call args_free when done either way. */
int args_parse(args_t *self, int argc, char *const *argv, unsigned allowed,
               char *error, size_t error_size);
void args_free(args_t *self);

/* Parse a duration in seconds ("30", "2.5"); false unless finite, >= 0. */
bool args_parse_seconds(const char *text, double *seconds);

#endif
