/*  format.h - how assessment results are printed: table, json, jsonl, csv.

    The one place that turns result documents (docs/catalog-format.md,
    "Result document") into output, used by both `assay results` (the
    documents come from the broker) and `assay check` (the engine makes
    them here): the same documents therefore print byte for byte the same
    whichever way they were made.

      table  aligned columns per unit x standard, then a summary line;
             control characters in texts shown as escapes (display.h)
      json   one document, {"assessments": [...]} (+ "jobs" when some did
             not finish), on one line: the last line of stdout
      jsonl  one object per assessment: unit, unit_name, org, standard,
             edition, as_of, maturity, readiness, major_nc, minor_nc,
             observations
      csv    a header, then one row per unit x standard x clause; cells
             that a spreadsheet would run as formulas get a leading '
             (format_csv_field)
      junit  JUnit XML: a testsuite per unit x standard, a testcase per
             assessed clause (format_export.h)
      oscal  OSCAL 1.2.1 assessment-results JSON, one line (format_export.h)

    Pure apart from writing to the FILE it is given.
*/
#ifndef ASSAY_CLIENT_FORMAT_H_INCLUDED
#define ASSAY_CLIENT_FORMAT_H_INCLUDED

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum {
    FORMAT_TABLE, FORMAT_JSON, FORMAT_JSONL, FORMAT_CSV, FORMAT_JUNIT, FORMAT_OSCAL
} format_kind_t;

/* "table" ... "oscal" to a kind; -1 when unknown. */
int format_kind_parse(const char *name, format_kind_t *kind);
const char *format_kind_name(format_kind_t kind);
/* Whether the format prints more than the summary fields (clauses...),
   so results must be fetched in full. */
bool format_needs_full(format_kind_t kind);

typedef struct _format_t format_t;

format_t *format_new(format_kind_t kind, FILE *out);
void format_destroy(format_t **self_p);

/* One result document (or, for table and jsonl, its summary). Assessments
   are printed in the order given. Returns 0, or -1 when out of memory. */
int format_assessment(format_t *self, const cJSON *assessment);
/* A job without results (failed, dead, cancelled, not yet run): only the
   json document lists them, under "jobs"; the others say nothing. */
int format_unfinished_job(format_t *self, const cJSON *job);
/* Print what was held back (table, json). Returns 0, or -1 when writing
   failed (e.g. a closed pipe). */
int format_finish(format_t *self);
size_t format_count(const format_t *self);

/* Sort an array of result documents by "standard" (byte order), the order
   in which both results and check print a unit's assessments. */
void format_sort_assessments(cJSON *assessments);

/* The jsonl object for one assessment; caller owns it. */
cJSON *format_jsonl_object(const cJSON *assessment);
/* A CSV field per RFC 4180: quoted when it holds a comma, quote, CR, LF
   or leading/trailing blanks, quotes doubled; and safe from spreadsheet
   formula injection (OWASP): a cell starting with = + - @ TAB or CR gets
   a leading ' unless it is a plain number ("-0.5" stays as it is).
   Caller frees; NULL when out of memory. */
char *format_csv_field(const char *text);
/* Whether format_csv_field prefixes `text` with ': it starts with one of
   = + - @ TAB CR and is not a plain decimal number. */
bool format_csv_is_formula(const char *text);
/* A number as people read it: integers without decimals, others with at
   most 2 ("2.5", "3", "1.47"). */
void format_number(double value, char out[32]);
/* The assessor's override of a clause that applies, from the assessment's
   "overrides" (proto/PROTOCOL.md 4.4.1), or NULL; borrowed. */
const cJSON *format_clause_override(const cJSON *assessment, const char *clause_id);

#endif
