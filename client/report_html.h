/*  report_html.h - the HTML report of a batch (`assay report BATCH --html
    FILE`), built from result documents (docs/catalog-format.md, "Result
    document").

    One self-contained page: inline CSS and SVG, no external resources (a
    Content-Security-Policy forbids fetching any), no frameworks. It holds

      summary         units, standards, assessments, readiness counts and
                      NC counts, overall and per standard
      readiness       a table of units x standards: readiness and maturity
      heatmap         per standard, units x top-level clauses coloured by
                      maturity: one <rect class="cell" data-unit=...
                      data-standard=... data-clause=... data-level=...>
                      per unit x top-level clause of each assessment
                      (class "cell na" when the clause does not apply)
      radar charts    per unit and standard, an SVG polygon over the
                      standard's top-level clauses (<svg class="radar">)
      nonconformities per standard and clause: the failing checks (what is
                      missing, their texts once), then each unit with that
                      NC, the evidence that decided each failed check and
                      the items skipped as expired (the first 10 ids of
                      each; up to 50 units per clause in detail, the rest
                      named; units whose checks found nothing share a row)
      overrides       the assessors' active decisions (when the documents
                      carry "overrides", as the broker appends them), each
                      beside the machine verdict, which stays; an NC row
                      shows the decision on its clause too. The figures are
                      the machine's.
      jobs            jobs of the batch without results (failed, dead,
                      cancelled, unfinished)

    Clause titles appear with every clause id. All text from the documents
    is HTML-escaped. A few lines of inline script record any error the
    page meets (a script error, a blocked load) in the data-errors
    attribute of <html>, so a headless browser can check the page.

    Pure: builds text, does no I/O. The documents are not kept: only what
    the page shows is copied, so a batch of thousands of units fits.
*/
#ifndef ASSAY_CLIENT_REPORT_HTML_H_INCLUDED
#define ASSAY_CLIENT_REPORT_HTML_H_INCLUDED

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct _report_t report_t;

typedef struct {
    const char *batch;      /* the batch (or job) the report is about */
    const char *generated;  /* when, as people read it; NULL: not shown */
} report_options_t;

report_t *report_new(void);
void report_destroy(report_t **self_p);

/* One result document. A later document for the same unit and standard
   (the unit submitted again within the batch) replaces the earlier one.
   Returns 0, or -1 when out of memory or `assessment` has no unit or
   standard. */
int report_add_assessment(report_t *self, const cJSON *assessment);
/* A job without results, as the broker's results query lists it
   ({"job", "unit", "state", "errors"}). Returns 0 or -1 (out of memory). */
int report_add_job(report_t *self, const cJSON *job);

/* The page; caller frees. NULL when out of memory. */
char *report_html(const report_t *self, const report_options_t *options);

/* `text` with & < > " ' as character references and control characters
   (other than tab, LF, CR) as U+FFFD: safe in element content and in
   quoted attribute values. NULL reads as "". Caller frees; NULL when out
   of memory. */
char *report_html_escape(const char *text);

#endif
