/*  engine.h - the public face of Assay's evaluation engine.

    The engine owns the rule language, the catalog compiler, the bundle
    parser and validator, the evaluator and the scoring. It does no I/O at
    all: callers hand it text and get back compiled structures, verdicts
    and diagnostics. Data flows one way:

        bundle text -> bundle_t -> (catalog_t compiled once) -> assessment_t -> JSON

    Ownership: every *_new / *_parse returns an object the caller owns and
    releases with the matching *_destroy(&p), which nulls the pointer.
    Accessors return borrowed pointers valid while the owner lives.
    Compiled catalogs and parsed bundles are immutable after creation and
    may be shared read-only between threads.
*/
#ifndef ASSAY_ENGINE_H_INCLUDED
#define ASSAY_ENGINE_H_INCLUDED

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- diagnostics ------------------------------------------------------ */

typedef enum { DIAG_ERROR, DIAG_WARNING } diag_severity_t;

typedef struct {
    diag_severity_t severity;
    char *origin;   /* file name or "-" the text came from */
    char *where;    /* JSON Pointer ("/evidence/3/date") or "offset 1234" */
    char *message;  /* what is wrong, one line */
    char *hint;     /* how to fix it, may be NULL */
} diag_t;

typedef struct _diag_list_t diag_list_t;

diag_list_t *diag_list_new(void);
void diag_list_destroy(diag_list_t **self_p);
void diag_list_add(diag_list_t *self, diag_severity_t severity, const char *origin,
                   const char *where, const char *hint, const char *format, ...)
    __attribute__((format(printf, 6, 7)));
size_t diag_list_size(const diag_list_t *self);
size_t diag_list_errors(const diag_list_t *self);
const diag_t *diag_list_at(const diag_list_t *self, size_t index);
/* "origin: where: message (hint: ...)" one per line, "warning: " before
   the message of a warning, "where: " left out when empty; caller frees. */
char *diag_list_format(const diag_list_t *self);

/* ---- catalogs ----------------------------------------------------------- */

typedef struct _catalog_t catalog_t;
typedef struct _catalog_set_t catalog_set_t;

catalog_set_t *catalog_set_new(void);
void catalog_set_destroy(catalog_set_t **self_p);

/* Validate and compile one catalog from its JSON text. Every problem found
   is added to `diags` (all of them, not just the first). A catalog whose
   id is already in the set replaces it (user catalogs override bundled
   ones). Returns 0 when added, -1 on any error (then nothing is added).
   Adding drops all links: call catalog_set_link again afterwards. */
int catalog_set_add(catalog_set_t *self, const char *origin, const char *text,
                    size_t length, diag_list_t *diags);
/* Resolve `extends` and `maps_to` across the set once all are added, and
   lint what needs the whole set (kinds and parents inherited from a base).
   Returns 0, or -1 with diagnostics for dangling references. */
int catalog_set_link(catalog_set_t *self, diag_list_t *diags);

size_t catalog_set_size(const catalog_set_t *self);
const catalog_t *catalog_set_at(const catalog_set_t *self, size_t index); /* sorted by id */
const catalog_t *catalog_set_find(const catalog_set_t *self, const char *id);
/* The union of evidence kinds the set declares, as a JSON array of
   {"kind", "type", "description", "catalogs": [...]}; caller owns it. */
cJSON *catalog_set_kinds_json(const catalog_set_t *self);

const char *catalog_id(const catalog_t *self);        /* "iso13485-2016" */
const char *catalog_standard(const catalog_t *self);  /* "ISO 13485" */
const char *catalog_edition(const catalog_t *self);
const char *catalog_title(const catalog_t *self);
bool catalog_certifiable(const catalog_t *self);
const char *catalog_sha256(const catalog_t *self);    /* hex of the source text */
const char *catalog_source(const catalog_t *self);    /* the JSON text it was compiled from */
size_t catalog_clause_count(const catalog_t *self);   /* including inherited ones */
/* Summary for `assay catalogs show`: id, title, clauses with their checks. */
cJSON *catalog_to_json(const catalog_t *self);

/* ---- bundles ------------------------------------------------------------ */

typedef struct _bundle_t bundle_t;

#define BUNDLE_DEFAULT_MAX_BYTES (16u * 1024u * 1024u)
#define BUNDLE_DEFAULT_MAX_DEPTH 64

typedef struct {
    size_t max_bytes;   /* 0 = BUNDLE_DEFAULT_MAX_BYTES */
    int max_depth;      /* 0 = BUNDLE_DEFAULT_MAX_DEPTH */
} bundle_limits_t;

/* Parse and validate one bundle. Errors (invalid JSON, bad UTF-8, NUL,
   wrong types, missing or duplicate ids, unknown kind or type, bad
   dates, too big, too deep) go to `diags` and give NULL; problems that
   leave the bundle usable are warnings, added to `diags` and kept in
   bundle_warnings. `catalogs` supplies the kind vocabulary; may be NULL
   to skip kind checks. `limits` may be NULL. `text` need not be
   NUL-terminated. */
bundle_t *bundle_parse(const char *origin, const char *text, size_t length,
                       const catalog_set_t *catalogs, const bundle_limits_t *limits,
                       diag_list_t *diags);
void bundle_destroy(bundle_t **self_p);

const char *bundle_unit_id(const bundle_t *self);
const char *bundle_unit_name(const bundle_t *self);  /* the unit id when unnamed */
const char *bundle_org(const bundle_t *self);        /* "" when absent */
const char *bundle_as_of(const bundle_t *self);      /* "YYYY-MM-DD" */
size_t bundle_item_count(const bundle_t *self);
/* Warnings found while parsing (they are also copied into assessments). */
const diag_list_t *bundle_warnings(const bundle_t *self);

/* ---- assessment ---------------------------------------------------------- */

typedef struct _assessment_t assessment_t;

/* Evaluate a bundle against a compiled catalog (and, through extends, its
   base). Total: rule errors become check status "error", never a crash.
   Returns NULL only when memory runs out. The assessment copies what it
   needs from the bundle (which may be destroyed first) but points into
   the catalog, whose set must outlive it and not change meanwhile. */
assessment_t *engine_assess(const catalog_t *catalog, const bundle_t *bundle);

/* An evaluation session: one bundle assessed against several catalogs.
   Within a job the same check comes up more than once (a catalog that
   extends another inherits its checks; maps_to evaluates another
   catalog's clauses), and what a check gives on a bundle does not depend
   on the catalog, so a session evaluates each check once and the
   catalogs assessed through it share the outcome (so do checks of
   different catalogs with the same rule). Results are byte-identical to
   engine_assess. The bundle, and the catalog sets of the catalogs
   assessed (outcomes are keyed by their checks), must outlive the
   session and not change meanwhile; a session is used by one thread at
   a time. */
typedef struct _engine_session_t engine_session_t;

/* NULL when memory runs out. */
engine_session_t *engine_session_new(const bundle_t *bundle);
void engine_session_destroy(engine_session_t **self_p);
/* engine_assess through the session: same contract, same result. */
assessment_t *engine_session_assess(engine_session_t *self, const catalog_t *catalog);
/* Checks and applies_if expressions evaluated so far, and uses answered
   from what the session kept (for tests and benchmarks). */
void engine_session_counts(const engine_session_t *self, size_t *evaluated, size_t *reused);
void assessment_destroy(assessment_t **self_p);

double assessment_maturity(const assessment_t *self);       /* 0..5, 2 decimals */
const char *assessment_readiness(const assessment_t *self); /* ready|conditional|not_ready|n/a */
int assessment_major_nc(const assessment_t *self);
int assessment_minor_nc(const assessment_t *self);
int assessment_observations(const assessment_t *self);

/* The canonical result document (docs/results.md): deterministic, so the
   same bundle and catalog always give byte-identical output. */
cJSON *assessment_to_json(const assessment_t *self);

/* The assessment's stored form (engine/outcome.c documents it): what the
   evaluation decided, without what the catalog holds. With the same
   catalog, assessment_from_outcome gives back an assessment whose result
   document is byte-identical. Caller frees the text. */
char *assessment_outcome(const assessment_t *self);
/* The "maturity_by_clause" object of the result document as JSON text;
   caller frees it. */
char *assessment_maturity_by_clause(const assessment_t *self);
const catalog_t *assessment_catalog(const assessment_t *self);
const char *assessment_unit(const assessment_t *self);
const char *assessment_unit_name(const assessment_t *self);
const char *assessment_org(const assessment_t *self);
const char *assessment_as_of(const assessment_t *self);

/* What an outcome does not hold: the unit and the assessment date. */
typedef struct {
    const char *unit;
    const char *unit_name;  /* NULL: the unit id */
    const char *org;        /* NULL: "" */
    const char *as_of;      /* "YYYY-MM-DD" */
} assessment_head_t;

/* Read an outcome back against the catalog it was made with (the one
   whose catalog_sha256 it was stored with). NULL with a message in
   `error` when it does not fit that catalog or is not an outcome. */
assessment_t *assessment_from_outcome(const catalog_t *catalog, const assessment_head_t *head,
                                      const char *outcome, size_t length, char *error,
                                      size_t error_size);

/* The catalog's effective clause and check lists as stored for SQL views
   (catalog_clauses, catalog_checks in sql/003_compact.sql), in the order
   outcomes use: {"clauses": [{"id", "parent", "title", "assessed",
   "weight"}], "checks": [{"id", "clause", "level", "severity", "text"}]}.
   Caller owns it. */
cJSON *catalog_layout_json(const catalog_t *self);

/* ---- helpers --------------------------------------------------------- */

/* Lower-case hex SHA-256 of data into out[65]. */
void engine_sha256_hex(const void *data, size_t length, char out[65]);

#endif
