/*  format_export.h - the two export formats for other tools, behind
    format.c: `junit` (JUnit XML for CI dashboards) and `oscal` (OSCAL
    1.2.1 assessment-results JSON for GRC tooling). format.c owns the
    format_t and forwards each result document here; both exports keep
    what they write in a spool (a temporary file) and copy it to the
    output only in export_finish, so a broken run never leaves half a
    document on stdout, and a big batch costs disk, not memory.

    junit  <testsuites> with one <testsuite> per unit x standard and one
           <testcase> per assessed clause: a <failure> per nonconformity
           (type major_nc/minor_nc, its failing checks with severity,
           text and evidence ids), <skipped/> when not applicable,
           observations in <system-out>; maturity, readiness and counts
           as <properties>.
    oscal  one {"assessment-results": ...} document (OSCAL 1.2.1) on one
           line: a result per unit x standard (maturity, readiness and
           counts as props in the Assay namespace), reviewed-controls,
           a finding per applicable assessed clause (satisfied or
           not-satisfied), an observation per evaluated check citing the
           evidence items it rests on. Deterministic: UUIDs are version 5
           (name-based) and times are the assessments' as_of dates, so the
           same assessments print byte for byte the same (see
           format_oscal.c).

    Pure apart from the spool and the FILE it is given.
*/
#ifndef ASSAY_CLIENT_FORMAT_EXPORT_H_INCLUDED
#define ASSAY_CLIENT_FORMAT_EXPORT_H_INCLUDED

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

/* Namespace of the props Assay adds to OSCAL documents. */
#define FORMAT_OSCAL_NS "https://assay.example/ns/oscal"

typedef struct _format_export_t format_export_t;

/* is_oscal: oscal, else junit. NULL when out of memory. */
format_export_t *format_export_new(bool is_oscal);
void format_export_destroy(format_export_t **self_p);
/* One result document. Returns 0, or -1 (out of memory or disk). */
int format_export_assessment(format_export_t *self, const cJSON *assessment);
/* Write the whole document to `out`. Returns 0, or -1. */
int format_export_finish(format_export_t *self, FILE *out);

/* Text for XML 1.0: & < > " ' as entities; in an attribute (attribute =
   true) also tab, LF and CR as character references, so that attribute
   normalisation keeps them; in element text CR as &#13; (line-end
   normalisation would eat it). Characters XML 1.0 cannot carry at all
   (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF) and bytes that are
   not UTF-8 (including encoded surrogates and overlong forms) become
   U+FFFD. NULL text gives "". Caller frees; NULL when out of memory. */
char *format_xml_escape(const char *text, bool attribute);

/* RFC 9562 (ex 4122) version 5 UUID of `name` in `namespace_uuid` (both
   as text; the namespace in 8-4-4-4-12 hex form), lowercase, into out.
   Returns 0, or -1 when the namespace is malformed or hashing failed. */
int format_uuid_v5(const char *namespace_uuid, const char *name, char out[37]);

/* An OSCAL token (control ids must start with a letter or '_') for a
   clause id: "clause-" + the id, with any byte outside [A-Za-z0-9._-]
   replaced by '_'. Caller frees. */
char *format_oscal_control_id(const char *clause_id);

/* ---- inside the exports: format_export.c dispatches to these -------------- */

/* A spool for a document in the making: an unlinked temporary file in
   $TMPDIR (else /tmp); NULL when none can be made. export_spool_copy
   appends all of it to `out`; returns 0 or -1. */
FILE *export_spool_open(void);
int export_spool_copy(FILE *spool, FILE *out);

typedef struct _junit_t junit_t;          /* format_junit.c */
junit_t *junit_new(void);
void junit_destroy(junit_t **self_p);
int junit_assessment(junit_t *self, const cJSON *assessment);
int junit_finish(junit_t *self, FILE *out);

typedef struct _oscal_t oscal_t;          /* format_oscal.c */
oscal_t *oscal_new(void);
void oscal_destroy(oscal_t **self_p);
int oscal_assessment(oscal_t *self, const cJSON *assessment);
int oscal_finish(oscal_t *self, FILE *out);

#endif
