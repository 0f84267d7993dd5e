/*  session.h - engine_session_t internals: what one bundle's checks gave,
    shared by every catalog assessed through the session (session.c; read
    by assess.c). Internal to the engine.

    A catalog that extends another walks the base's own check_t, and
    mapping targets evaluate another catalog's checks, so within one job
    the same (check, bundle) comes up several times. What a check gives on
    a bundle does not depend on the catalog it is reached from: applies_if
    and expr see only the bundle (the unit, its items, as_of), the
    evaluation context is reset between checks (arena, marks, error), and
    recording evidence marks never changes a verdict. So the session keeps
    it, keyed by the check_t (or, for a clause's applies_if, by the
    expression): the first evaluation records the explanation too, and
    every later use copies it. Checks of different catalogs with the same
    rule (applies_if and expr JSON) share that key (catalog_share.c). Clause applicability stays per catalog
    (assess.c): an extending catalog may override a clause's applies_if,
    which then is another expression.
*/
#ifndef ASSAY_SESSION_H_INCLUDED
#define ASSAY_SESSION_H_INCLUDED

#include "assessment.h"

/* What one check gave on the session's bundle, once its clause applies. */
typedef struct {
    check_status_t status;
    bool explained;             /* expr ran: evidence and expired were recorded (maybe none) */
    bool oom;                   /* memory ran out: the assessment must fail */
    const char *message;        /* NULL, or the message a result carries (owned by the session) */
    const size_t *evidence;     /* ascending bundle item indices, valid until the next call */
    size_t evidence_count;
    const size_t *expired;
    size_t expired_count;
} check_outcome_t;

/* The outcome of `check`, evaluated on first use. NULL when memory runs
   out. Pointers in it are valid until the next session call. */
const check_outcome_t *session_check(engine_session_t *self, const check_t *check);

/* A clause's applies_if: 1, 0, or -1 with the evaluator's message in
   *error (owned by the session, valid until the next call); *oom when
   memory ran out. */
int session_test(engine_session_t *self, const expr_t *expr, const char **error, bool *oom);

/* Whether checks with the same rule share an outcome (check_t.shared;
   on by default). Off, each check_t is evaluated once: what tests compare
   the sharing with. */
void session_share_rules(engine_session_t *self, bool share);

/* The session's bundle. */
const bundle_t *session_bundle(const engine_session_t *self);

#endif
