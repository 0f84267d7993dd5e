/*  inputs.h - the evidence bundles named on the command line.

    Owns turning FILE|DIR|- arguments into an ordered list of bundles, and
    reading and validating each one, for `assay submit` and `assay check`:

    * a folder is walked recursively for *.json files (names starting with
      a dot are skipped), sorted by path so a batch is always submitted in
      the same order;
    * `-` is stdin: one bundle, or JSON Lines (a bundle per line, as
      `examples/generate` writes without --out); a FILE.jsonl likewise;
    * a FILE.csv is a manifest: a header row naming the columns unit_id,
      bundle and (optional) standards, then one row per bundle; bundle
      paths are relative to the manifest's folder, the bundle's unit.id
      must equal unit_id, and a row's standards (separated by commas,
      semicolons or blanks) replace --standard for that bundle; a bundle
      path must stay inside the manifest's folder once `..` and symbolic
      links are resolved (an absolute path too), unless allow_outside:
      a manifest may come from someone else, and must not make the CLI
      read and send /etc/shadow;
    * anything else is one bundle file, whatever its name.

    Files are read again when needed rather than kept in memory, so a
    batch of any size costs memory per name, not per byte; stdin and
    JSON Lines are kept because they cannot be read twice.
*/
#ifndef ASSAY_CLIENT_INPUTS_H_INCLUDED
#define ASSAY_CLIENT_INPUTS_H_INCLUDED

#include "engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    char *origin;       /* what messages call it: the path, "-", or "path:LINE" */
    char *path;         /* file to read; NULL when `text` holds the bundle */
    char *text;
    size_t length;
    char *unit_id;      /* set by inputs_parse */
    /* From a CSV manifest row (else NULL): */
    char *source;       /* "MANIFEST:LINE", for messages */
    char *expected_unit;/* its unit_id: the bundle's unit.id must match */
    char *standards;    /* its standards, comma-separated: they replace --standard */
} input_t;

typedef struct {
    input_t *items;
    size_t count;
    size_t capacity;
    bool allow_outside;     /* set before collecting: --allow-outside */
} inputs_t;

/* Add the bundles the arguments name. Problems (missing file, empty
   folder, stdin twice) are printed to `err`; returns their number. */
int inputs_collect(inputs_t *self, const char *const *args, size_t count, FILE *err);
void inputs_free(inputs_t *self);

/* The bundle's text (NUL-terminated, caller frees); NULL with a message
   when it cannot be read or is over the size limit. */
char *input_read(const input_t *input, size_t *length, char *error, size_t error_size);

/* Read and parse one bundle. Errors, and warnings when `warnings`, go to
   `err` as "ORIGIN: /pointer: message (hint: ...)"; returns NULL on any
   error. Remembers the unit id in input->unit_id. `text_out`, when not
   NULL, receives the text (caller frees). */
bundle_t *input_parse(input_t *input, const catalog_set_t *catalogs, bool warnings, FILE *err,
                      char **text_out, size_t *length_out);

/* Print diagnostics one per line; only errors unless `warnings`. */
void inputs_print_diags(const diag_list_t *diags, bool warnings, FILE *err);

#endif
