/*  jsontext.h - turning untrusted text into a cJSON tree safely, and
    building JSON Pointers for diagnostics (internal).

    cJSON recurses once per nesting level and accepts NUL escapes and any
    bytes inside strings; the pre-scan here rejects what cJSON would take or
    choke on (bad UTF-8, NUL, \u0000, nesting beyond a limit) before cJSON
    sees the text, so a hostile 10,000-deep document costs one linear pass.
*/
#ifndef ASSAY_JSONTEXT_H_INCLUDED
#define ASSAY_JSONTEXT_H_INCLUDED

#include "engine.h"

/* Scan, then parse. On any problem adds one error (origin, "offset N")
   to diags and returns NULL. `what` names the document ("bundle"). */
cJSON *jsontext_parse(const char *origin, const char *what, const char *text, size_t length,
                      int max_depth, diag_list_t *diags);

/* A growable JSON Pointer: push a segment, remember the old length, pop
   back to it. Segments are escaped (~0, ~1) as RFC 6901 requires. */
typedef struct {
    char *text;
    size_t length;
    size_t capacity;
} jptr_t;

void jptr_init(jptr_t *self, const char *start);
void jptr_free(jptr_t *self);
size_t jptr_push_key(jptr_t *self, const char *key);
size_t jptr_push_index(jptr_t *self, size_t index);
void jptr_pop(jptr_t *self, size_t length);
const char *jptr_str(const jptr_t *self);

/* The state of reading one document that people or tools wrote (a bundle,
   a catalog): every problem is reported at its place and reading goes on,
   so one run lists them all. */
typedef struct {
    const char *origin;       /* the file, for messages */
    diag_list_t *diags;       /* every error and warning */
    diag_list_t *warnings;    /* warnings again, or NULL */
    size_t errors;
    jptr_t where;             /* the JSON Pointer of what is being read */
} jreader_t;

/* Report at `where`; an error counts in `errors`. */
void jreader_report(jreader_t *self, diag_severity_t severity, const char *hint,
                    const char *format, ...) __attribute__((format(printf, 4, 5)));
/* A warning with `hint` for each member of `object` that is in neither
   `known` nor `ignored` (both NULL-ended; ignored may be NULL) and does
   not start with '_' or '$': a misspelt field must not pass unnoticed. */
void jreader_warn_unknown(jreader_t *self, const cJSON *object, const char *const *known,
                          const char *const *ignored, const char *hint);

#endif
