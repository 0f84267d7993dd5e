/*  assessment.h - the assessment_t structure that engine_assess fills
    (assess.c) and the result document reads (result.c). Internal to the
    engine.

    An assessment copies what it needs from the bundle (unit, item ids,
    warnings), so it outlives the bundle; it borrows the catalog, which
    lives as long as the catalog set. Results are arrays in the catalog's
    effective order: clauses[i] is catalog->eff[i], checks in clause order.
*/
#ifndef ASSAY_ASSESSMENT_H_INCLUDED
#define ASSAY_ASSESSMENT_H_INCLUDED

#include "internal.h"

typedef enum { CHECK_PASS, CHECK_FAIL, CHECK_NOT_APPLICABLE, CHECK_ERROR } check_status_t;
/* Ordered so that "worst of" is the maximum among the first three. */
typedef enum { STATUS_CONFORMANT, STATUS_MINOR_NC, STATUS_MAJOR_NC, STATUS_NOT_APPLICABLE } clause_status_t;
typedef enum { APP_UNKNOWN, APP_YES, APP_NO, APP_ERROR } applicability_t;

typedef struct {
    bool done;
    bool applicable;
    bool has_level;
    double level;
    clause_status_t status;
} clause_result_t;

typedef struct {
    size_t clause;              /* index into the catalog's effective list */
    const check_t *check;
    check_status_t status;
    char *message;
    size_t evidence_offset;     /* into assessment->indices */
    size_t evidence_count;
    size_t expired_offset;
    size_t expired_count;
} check_result_t;

typedef struct {
    size_t clause;
    size_t map;
    int evidenced;              /* 1, 0, -1 when the target is not linked, -2 when it does
                                   not apply to the unit */
} mapping_result_t;

typedef struct {
    char *where;
    char *message;
} warning_t;

struct _assessment_t {
    const catalog_t *catalog;
    char *unit;
    char *unit_name;
    char *org;
    char as_of[11];
    char **item_ids;            /* into id_pool, bundle order */
    char *id_pool;
    clause_result_t *clauses;
    check_result_t *checks;
    size_t check_count;
    size_t *indices;            /* evidence / expired item indices of all checks */
    size_t index_count;
    size_t index_capacity;
    mapping_result_t *mappings;
    size_t mapping_count;
    warning_t *warnings;
    size_t warning_count;
    double maturity;
    int major_nc;
    int minor_nc;
    int observations;
    const char *readiness;
};

/* x rounded to 2 decimals, never -0: what the result document prints. */
double assessment_round2(double x);
/* Weighted mean level of the applicable assessed clauses among `indices`
   (all of the catalog's effective clauses when NULL), rounded; *any says
   whether there was one. */
double assessment_weighted_mean(const catalog_t *catalog, const clause_result_t *results,
                                const size_t *indices, size_t count, bool *any);
/* Maturity, NC and observation counts and readiness, from the clause and
   check results (engine_assess, and an assessment read back from its
   stored outcome, use the same rule). */
void assessment_summarize(assessment_t *a);
/* {"TOP-LEVEL CLAUSE": mean level, ...} for the top-level clauses with an
   applicable assessed clause below them; caller owns it. */
cJSON *assessment_maturity_by_clause_json(const assessment_t *self);

#endif
