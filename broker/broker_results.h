/*  broker_results.h - result documents from stored outcomes, for the
    query thread.

    Assessments are stored compactly (sql/003_compact.sql): the outcome
    holds what the evaluation decided, the catalog the rest. A results
    page from broker_db_results carries each such assessment as an
    {"$outcome": ...} placeholder; this turns it back into the very
    result document the worker computed, with the catalog it was made
    with: the broker's own when the hash matches, else the one stored
    under that hash, compiled once and kept.
*/
#ifndef ASSAY_BROKER_RESULTS_H_INCLUDED
#define ASSAY_BROKER_RESULTS_H_INCLUDED

#include "broker_db.h"
#include "engine.h"

typedef struct _broker_results_t broker_results_t;

/* `catalogs` is borrowed and must outlive the object. */
broker_results_t *broker_results_new(const catalog_set_t *catalogs);
void broker_results_destroy(broker_results_t **self_p);

/* The page with every placeholder replaced by its document (overrides and
   effective verdict after it, as for documents stored whole). Takes
   `page`; returns the new text (caller frees), or NULL when memory runs
   out. An outcome that cannot be read becomes {"unit", "standard",
   "error"} naming why, and the rest of the page is served. */
char *broker_results_inflate(broker_results_t *self, broker_db_t *db, char *page);

#endif
