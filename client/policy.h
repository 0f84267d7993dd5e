/*  policy.h - the --fail-on policy: which finished assessments make the
    CLI exit 1 ("done, but the policy is breached").

    A policy is a comma-separated list of rules; an assessment breaches
    the policy when it breaches any rule:

        none          never (the default)
        major         a major nonconformity
        minor         a minor or a major nonconformity
        not-ready     readiness not_ready (a certifiable standard)
        conditional   readiness conditional or not_ready
        maturity<X    maturity below X (0 to 5)

    Pure: parses text and reads result documents (cJSON), no I/O.
*/
#ifndef ASSAY_CLIENT_POLICY_H_INCLUDED
#define ASSAY_CLIENT_POLICY_H_INCLUDED

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool major;
    bool minor;
    bool not_ready;
    bool conditional;
    bool maturity;            /* maturity_below applies */
    double maturity_below;
} policy_t;

/* Parse POLICY text (NULL or empty: none). Returns 0, or -1 with a
   message naming the rule that is not understood. */
int policy_parse(policy_t *self, const char *text, char *error, size_t error_size);

/* True when no rule is set: the results need not be read at all. */
bool policy_is_none(const policy_t *self);

/* Does this assessment (a result document or its summary: readiness,
   major_nc, minor_nc, maturity) breach the policy? When it does and
   `reason` is not NULL, says why in one line ("2 major NC; maturity 1.50
   < 2"). A document missing a field a rule reads breaches that rule: a
   policy must not pass on what it could not see. When the document has
   an "effective" object (the readiness and NC counts its assessors'
   active overrides give; see proto/PROTOCOL.md), the NC and readiness
   rules read that instead: a waived NC no longer fails a nightly run,
   an NC an assessor raised does. Maturity is always the machine's. */
bool policy_breached(const policy_t *self, const cJSON *assessment, char *reason,
                     size_t reason_size);

#endif
