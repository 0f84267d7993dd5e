/*  args.c - the CLI's argument parser. See args.h. */
#include "args.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;         /* without the leading "--" */
    char short_name;          /* 0: none */
    args_flag_t flag;
    bool takes_value;
} option_t;

static const option_t options[] = {
    { "broker", 0, ARG_BROKER, true },
    { "catalogs", 0, ARG_CATALOGS, true },
    { "standard", 0, ARG_STANDARD, true },
    { "standards", 0, ARG_STANDARD, true },   /* the plural people type */
    { "batch", 0, ARG_BATCH, true },
    { "key", 0, ARG_KEY, true },
    { "wait", 0, ARG_WAIT, false },
    { "timeout", 0, ARG_TIMEOUT, true },
    { "fail-on", 0, ARG_FAIL_ON, true },
    { "format", 'f', ARG_FORMAT, true },
    { "verbose", 'v', ARG_VERBOSE, false },
    { "quiet", 'q', ARG_QUIET, false },
    { "html", 0, ARG_HTML, true },
    { "status", 0, ARG_STATUS, true },
    { "reason", 0, ARG_REASON, true },
    { "by", 0, ARG_BY, true },
    { "expires", 0, ARG_EXPIRES, true },
    { "all", 0, ARG_ALL, false },
    { "allow-outside", 0, ARG_ALLOW_OUTSIDE, false },
};

bool args_parse_seconds(const char *text, double *seconds)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    double value = strtod(text, &end);
    if (*end || !isfinite(value) || value < 0)
        return false;
    *seconds = value;
    return true;
}

static const option_t *find_long(const char *name, size_t length)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (strlen(options[i].name) == length && strncmp(options[i].name, name, length) == 0)
            return &options[i];
    return NULL;
}

static const option_t *find_short(char name)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (options[i].short_name && options[i].short_name == name)
            return &options[i];
    return NULL;
}

/* Store one option's value; -1 with a message when it is not valid. */
static int store(args_t *self, const option_t *option, const char *value, char *error,
                 size_t error_size)
{
    /* An empty value is almost always an unset shell variable. */
    if (option->takes_value && !*value) {
        snprintf(error, error_size, "--%s: empty value", option->name);
        return -1;
    }
    self->seen |= option->flag;
    switch (option->flag) {
    case ARG_BROKER: self->broker = value; break;
    case ARG_CATALOGS: self->catalogs = value; break;
    case ARG_STANDARD: self->standard = value; break;
    case ARG_BATCH: self->batch = value; break;
    case ARG_KEY: self->key = value; break;
    case ARG_FAIL_ON: self->fail_on = value; break;
    case ARG_FORMAT: self->format = value; break;
    case ARG_HTML: self->html = value; break;
    case ARG_STATUS: self->status = value; break;
    case ARG_REASON: self->reason = value; break;
    case ARG_BY: self->by = value; break;
    case ARG_EXPIRES: self->expires = value; break;
    case ARG_ALL: self->all = true; break;
    case ARG_ALLOW_OUTSIDE: self->allow_outside = true; break;
    case ARG_WAIT: self->wait = true; break;
    case ARG_VERBOSE: self->verbose = true; break;
    case ARG_QUIET: self->quiet = true; break;
    case ARG_TIMEOUT:
        if (!args_parse_seconds(value, &self->timeout_s)) {
            snprintf(error, error_size, "--timeout: expected seconds (a number >= 0), got '%s'",
                     value);
            return -1;
        }
        break;
    }
    return 0;
}

int args_parse(args_t *self, int argc, char *const *argv, unsigned allowed,
               char *error, size_t error_size)
{
    memset(self, 0, sizeof *self);
    self->command = argc > 0 ? argv[0] : "";
    self->positional = calloc((size_t) (argc > 0 ? argc : 1), sizeof *self->positional);
    if (!self->positional) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            self->positional[self->positional_count++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            self->help = true;
            continue;
        }
        const option_t *option = NULL;
        const char *inline_value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *equals = strchr(name, '=');
            size_t length = equals ? (size_t) (equals - name) : strlen(name);
            option = find_long(name, length);
            if (equals)
                inline_value = equals + 1;
        } else if (arg[2] == '\0')
            option = find_short(arg[1]);
        if (!option || !(option->flag & allowed)) {
            snprintf(error, error_size, "unknown option '%s'", arg);
            return -1;
        }
        const char *value = NULL;
        if (option->takes_value) {
            if (inline_value)
                value = inline_value;
            else if (i + 1 < argc)
                value = argv[++i];
            else {
                snprintf(error, error_size, "--%s needs a value", option->name);
                return -1;
            }
        } else if (inline_value) {
            snprintf(error, error_size, "--%s takes no value", option->name);
            return -1;
        }
        if (store(self, option, value, error, error_size) != 0)
            return -1;
    }
    return 0;
}

void args_free(args_t *self)
{
    free(self->positional);
    self->positional = NULL;
    self->positional_count = 0;
}
