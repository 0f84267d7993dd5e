/*  broker_check.h - the checks a submission passes before it is stored:
    the size limit, the standards, the bundle itself, its SHA-256 and the
    default idempotency key.

    Pure: no sockets, no database, no globals. The broker's validator
    threads run it side by side with one compiled catalog set, which is
    immutable once loaded and read-only here, so it is shared between
    threads without a lock. The refusal texts are the ones clients and
    tests know (tests/badinput): change them only on purpose.
*/
#ifndef ASSAY_BROKER_CHECK_H_INCLUDED
#define ASSAY_BROKER_CHECK_H_INCLUDED

#include "engine.h"

#include <stdbool.h>
#include <stddef.h>

/* The longest key a client may send (ASSAY_MSG_MAX_SHORT) and the
   default one ("sha256:" and 64 hex digits) both fit. */
#define BROKER_CHECK_KEY_MAX 256

/* The verdict on one submission. Every pointer is owned by the check and
   freed by broker_check_clear. */
typedef struct {
    bool valid;
    char *refusal;          /* why not (code 2, for a person), when not valid */
    char *standards;        /* canonical comma list, when valid */
    char *unit_id;          /* the bundle's unit id, when valid */
    char sha256[65];        /* hex of the body's bytes, when valid */
    char key[BROKER_CHECK_KEY_MAX + 1];   /* as sent, or the default */
} broker_check_t;

/* Check one SUBMIT's standards, key and body against `catalogs` (read
   only) and the bundle size limit; fills *check (zeroed first). Returns
   0 when valid, -1 when refused (check->refusal says why; NULL only when
   out of memory). */
int broker_check_submission(const catalog_set_t *catalogs, size_t max_bundle_bytes,
                            const char *standards, const char *key,
                            const char *body, size_t body_size, broker_check_t *check);

/* Free what the check holds and zero it; safe to call twice. */
void broker_check_clear(broker_check_t *check);

#endif
