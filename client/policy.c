/*  policy.c - the --fail-on policy. See policy.h. */
#include "policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Trim blanks in place; returns the first non-blank character. */
static char *trim(char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t length = strlen(text);
    while (length > 0 && (text[length - 1] == ' ' || text[length - 1] == '\t'))
        text[--length] = '\0';
    return text;
}

static int parse_rule(policy_t *self, char *rule, char *error, size_t error_size)
{
    if (strcmp(rule, "none") == 0)
        return 0;
    if (strcmp(rule, "major") == 0)
        self->major = true;
    else if (strcmp(rule, "minor") == 0)
        self->minor = true;
    else if (strcmp(rule, "not-ready") == 0 || strcmp(rule, "not_ready") == 0)
        self->not_ready = true;
    else if (strcmp(rule, "conditional") == 0)
        self->conditional = true;
    else if (strncmp(rule, "maturity<", 9) == 0) {
        const char *number = rule + 9;
        char *end = NULL;
        double value = *number ? strtod(number, &end) : NAN;
        if (!end || *end || !isfinite(value) || value < 0 || value > 5) {
            snprintf(error, error_size,
                     "--fail-on: '%s': the maturity threshold must be a number from 0 to 5", rule);
            return -1;
        }
        /* Several thresholds: the strictest one decides. */
        if (!self->maturity || value > self->maturity_below)
            self->maturity_below = value;
        self->maturity = true;
    } else {
        snprintf(error, error_size,
                 "--fail-on: unknown rule '%s' (expected none, major, minor, not-ready, "
                 "conditional or maturity<X, comma-separated)", rule);
        return -1;
    }
    return 0;
}

int policy_parse(policy_t *self, const char *text, char *error, size_t error_size)
{
    memset(self, 0, sizeof *self);
    if (!text || !*text)
        return 0;
    char *copy = strdup(text);
    if (!copy) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    int rc = 0;
    char *cursor = copy, *rule;
    while (rc == 0 && (rule = strsep(&cursor, ","))) {
        rule = trim(rule);
        if (!*rule) {
            snprintf(error, error_size, "--fail-on: empty rule in '%s'", text);
            rc = -1;
        } else
            rc = parse_rule(self, rule, error, error_size);
    }
    free(copy);
    if (rc != 0)
        memset(self, 0, sizeof *self);
    return rc;
}

bool policy_is_none(const policy_t *self)
{
    return !self->major && !self->minor && !self->not_ready && !self->conditional
        && !self->maturity;
}

/* Append one reason, "; "-separated, as far as it fits. */
static void add_reason(char *reason, size_t reason_size, const char *text)
{
    if (!reason || reason_size == 0)
        return;
    size_t used = strlen(reason);
    snprintf(reason + used, reason_size - used, "%s%s", used ? "; " : "", text);
}

static bool read_number(const cJSON *assessment, const char *name, double *value)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(assessment, name);
    if (!cJSON_IsNumber(item))
        return false;
    *value = item->valuedouble;
    return true;
}

bool policy_breached(const policy_t *self, const cJSON *assessment, char *reason,
                     size_t reason_size)
{
    if (reason && reason_size)
        reason[0] = '\0';
    bool breached = false;
    double major = 0, minor = 0, maturity = 0;
    /* Assessors' active overrides decide the counts and readiness when
       the broker sent what they make of them; maturity stays the
       machine's. */
    const cJSON *effective = cJSON_GetObjectItemCaseSensitive(assessment, "effective");
    const cJSON *verdict = cJSON_IsObject(effective) ? effective : assessment;
    bool have_major = read_number(verdict, "major_nc", &major);
    bool have_minor = read_number(verdict, "minor_nc", &minor);
    const char *readiness = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(verdict, "readiness"));

    if (self->major || self->minor) {
        if (!have_major) {
            add_reason(reason, reason_size, "no major_nc count in the result");
            breached = true;
        } else if (major > 0) {
            char text[64];
            snprintf(text, sizeof text, "%.0f major NC", major);
            add_reason(reason, reason_size, text);
            breached = true;
        }
    }
    if (self->minor) {
        if (!have_minor) {
            add_reason(reason, reason_size, "no minor_nc count in the result");
            breached = true;
        } else if (minor > 0) {
            char text[64];
            snprintf(text, sizeof text, "%.0f minor NC", minor);
            add_reason(reason, reason_size, text);
            breached = true;
        }
    }
    if (self->not_ready || self->conditional) {
        if (!readiness) {
            add_reason(reason, reason_size, "no readiness in the result");
            breached = true;
        } else if (strcmp(readiness, "not_ready") == 0) {
            add_reason(reason, reason_size, "not ready");
            breached = true;
        } else if (self->conditional && strcmp(readiness, "conditional") == 0) {
            add_reason(reason, reason_size, "conditionally ready");
            breached = true;
        }
    }
    if (breached && verdict == effective)
        add_reason(reason, reason_size, "with assessors' overrides");
    if (self->maturity) {
        if (!read_number(assessment, "maturity", &maturity)) {
            add_reason(reason, reason_size, "no maturity in the result");
            breached = true;
        } else if (maturity < self->maturity_below) {
            char text[96];
            snprintf(text, sizeof text, "maturity %.2f < %g", maturity, self->maturity_below);
            add_reason(reason, reason_size, text);
            breached = true;
        }
    }
    return breached;
}
