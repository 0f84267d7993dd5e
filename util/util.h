/*  util.h - the little that broker, worker and CLI share: reading files
    within a size limit, loading catalog folders into the engine, and
    settings from the environment with defaults pointing at the local stack.
    The engine itself does no I/O; this is where its text comes from.
*/
#ifndef ASSAY_UTIL_H_INCLUDED
#define ASSAY_UTIL_H_INCLUDED

#include "engine.h"
#include <stdbool.h>
#include <stddef.h>

/* Defaults: the local stack's endpoints (scripts/stack may pick others and
   says so through `scripts/stack env`). */
#define UTIL_DEFAULT_BROKER "tcp://127.0.0.1:5555"
#define UTIL_DEFAULT_WORKER_ENDPOINT "tcp://127.0.0.1:5556"
#define UTIL_DEFAULT_DATABASE_URL "postgresql://assay@127.0.0.1:55432/assay"

/* Read a whole file (or stdin for "-") into a NUL-terminated buffer the
   caller frees. Refuses files over `max_bytes` without reading them all.
   On error returns NULL and writes a one-line reason into `error`. */
char *util_file_read(const char *path, size_t max_bytes, size_t *length,
                     char *error, size_t error_size);

/* Value of the environment variable, or `fallback` when unset or empty. */
const char *util_env(const char *name, const char *fallback);

/* Load the bundled catalogs, then every *.json in each folder of `extra`
   (a colon-separated list, may be NULL: ASSAY_CATALOGS is used then), the
   later overriding the earlier by id; then link the set. Problems go to
   `diags`. Returns a new set, or NULL if any catalog had an error. */
catalog_set_t *util_catalogs_load(const char *extra, diag_list_t *diags);

/* Resolve "a,b" or "all" against the set into a canonical comma list
   (sorted as given, duplicates removed) the caller frees; NULL and a
   message in `error` if a standard is unknown. */
char *util_standards_resolve(const catalog_set_t *catalogs, const char *spec,
                             char *error, size_t error_size);

/* Parse a positive integer option; false if it is not one. */
bool util_parse_uint(const char *text, unsigned long max, unsigned long *value);

#endif
