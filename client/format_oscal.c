/*  format_oscal.c - `--format oscal`: the result documents as one OSCAL
    1.2.1 assessment-results document (JSON, one line), valid against
    NIST's schema (kept at ../shared/vendor/oscal-1.2.1/; the test
    test_formats validates against it).

    assessment-results
      uuid, metadata (title, last-modified, version, oscal-version
        "1.2.1", roles, parties: one organization per unit, one per org)
      import-ap: "#UUID" of a back-matter resource: Assay has no OSCAL
        assessment plan; its plan is the catalogs, each a resource too
      results: one per unit x standard
        props (ns FORMAT_OSCAL_NS): unit, org, standard, edition,
          catalog-sha256, as-of, maturity, readiness, major-nc, minor-nc,
          observations, clause-maturity per top-level clause (group = the
          clause's control id)
        local-definitions.assessment-assets: Assay as the platform
        reviewed-controls: include-controls = applicable assessed
          clauses, exclude-controls = not applicable ones
        observations: one per evaluated check (pass, fail or error),
          method EXAMINE, subject the unit's party, relevant-evidence one
          per evidence item the check rests on (and per expired item)
        findings: one per applicable assessed clause, target
          objective-id = the control id, status satisfied (conformant) or
          not-satisfied (minor_nc, major_nc), reason pass/fail,
          related-observations = its checks

    Assessors' overrides (the "overrides" and "effective" the broker adds
    to a result): a finding's status is the verdict that applies, the
    override's (not_applicable: satisfied, reason "other"); the machine
    verdict stays beside it in the props (machine-status, override-status,
    -id, -by, -at, -expires), the description and the status remarks,
    which carry the reason. A clause the machine found not applicable gets
    a finding when an assessor ruled on it. The result's props add
    effective-readiness, effective-major-nc, effective-minor-nc and
    active-overrides.
      back-matter: the plan and the catalogs

    Mapping: Assay's clause status conformant / minor_nc / major_nc ->
    satisfied / not-satisfied (the nonconformity grade in the finding's
    "status" prop); check status pass / fail / error -> observation prop
    "status". Clause ids become control ids by format_oscal_control_id:
    OSCAL tokens must start with a letter, clause numbers do not; the
    clause id itself is the finding's "clause" prop.

    Determinism. UUIDs are version 5 (SHA-1, name-based) in the namespace
    uuid5(URL, FORMAT_OSCAL_NS), named after what they identify: a result
    after unit, standard, catalog digest and as_of; its findings and
    observations after that and the clause or check; parties after the
    unit or org. Random v4 UUIDs would make every export of the same
    results differ and `assay check` never match `assay results`; name-
    based ones are stable across exports and revisions, as OSCAL asks of
    per-subject identifiers, and are unique as long as the names are.
    Times: the schema wants date-times (metadata last-modified, result
    start, observation collected); Assay measures everything against the
    bundle's as_of, never the wall clock, so these are as_of at
    00:00:00Z (last-modified: the latest as_of). Only an export with no
    assessment at all, which has no date to go by, is dated now.
*/
#include "format.h"
#include "format_export.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef ASSAY_VERSION
#define ASSAY_VERSION "0"
#endif

#define OSCAL_VERSION "1.2.1"

struct _oscal_t {
    FILE *spool;              /* the results so far, comma-separated */
    bool failed;
    size_t results;
    char namespace[37];       /* uuid5(URL, FORMAT_OSCAL_NS) */
    char *result_uuids;       /* "\n"-joined: the document's uuid is named after them */
    size_t result_uuids_size;
    char latest_as_of[11];
    cJSON *units;             /* [{"unit", "name", "org"}] in order of appearance */
    cJSON *catalogs;          /* [{"standard", "edition", "sha256"}] distinct */
};

/* ---- small helpers ----------------------------------------------------------- */

static const char *get_string(const cJSON *object, const char *name)
{
    const char *value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
    return value ? value : "";
}

/* Text fit for OSCAL's string and markup-line types (no line breaks, no
   leading or trailing blanks, not empty): controls become blanks, ends
   are trimmed; `fallback` when nothing is left. Caller frees. */
static char *clean_line(const char *text, const char *fallback)
{
    if (!text)
        text = "";
    while (*text && ((unsigned char) *text <= ' ' || *text == 0x7f))
        text++;
    char *out = strdup(*text ? text : fallback);
    if (!out)
        return NULL;
    for (char *at = out; *at; at++)
        if ((unsigned char) *at < ' ' || *at == 0x7f)
            *at = ' ';
    size_t length = strlen(out);
    while (length > 0 && out[length - 1] == ' ')
        out[--length] = '\0';
    return out;
}

char *format_oscal_control_id(const char *clause_id)
{
    if (!clause_id)
        clause_id = "";
    size_t length = strlen(clause_id);
    char *token = malloc(length + sizeof "clause-");
    if (!token)
        return NULL;
    memcpy(token, "clause-", 7);
    for (size_t i = 0; i < length; i++) {
        char c = clause_id[i];
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                 || c == '.' || c == '-' || c == '_';
        token[7 + i] = keep ? c : '_';
    }
    token[7 + length] = '\0';
    return token;
}

/* A builder: every helper notes running out of memory in `failed`, so
   the code that assembles a result reads straight and checks once. */
typedef struct {
    oscal_t *oscal;
    bool failed;
} build_t;

static cJSON *add_string(build_t *b, cJSON *object, const char *name, const char *value)
{
    cJSON *item = cJSON_AddStringToObject(object, name, value ? value : "");
    if (!item)
        b->failed = true;
    return item;
}

/* printf into a new string; NULL (and `failed`) when out of memory. */
static char *aprintf(build_t *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
static char *aprintf(build_t *b, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int size = vsnprintf(NULL, 0, format, arguments);
    va_end(arguments);
    char *text = size >= 0 ? malloc((size_t) size + 1) : NULL;
    if (!text) {
        b->failed = true;
        return NULL;
    }
    va_start(arguments, format);
    vsnprintf(text, (size_t) size + 1, format, arguments);
    va_end(arguments);
    return text;
}

/* Append printf output to *text (a malloc'd string or NULL); on running
   out of memory *text is freed and NULL, and `failed` set. */
static void appendf(build_t *b, char **text, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void appendf(build_t *b, char **text, const char *format, ...)
{
    if (b->failed) {
        free(*text);
        *text = NULL;
        return;
    }
    va_list arguments;
    va_start(arguments, format);
    int size = vsnprintf(NULL, 0, format, arguments);
    va_end(arguments);
    size_t used = *text ? strlen(*text) : 0;
    char *grown = size >= 0 ? realloc(*text, used + (size_t) size + 1) : NULL;
    if (!grown) {
        free(*text);
        *text = NULL;
        b->failed = true;
        return;
    }
    va_start(arguments, format);
    vsnprintf(grown + used, (size_t) size + 1, format, arguments);
    va_end(arguments);
    *text = grown;
}

/* Add a string made by aprintf, and free it. */
static void add_owned(build_t *b, cJSON *object, const char *name, char *text)
{
    if (text)
        add_string(b, object, name, text);
    free(text);
}

/* A one-line string (clean_line). */
static void add_line(build_t *b, cJSON *object, const char *name, const char *value,
                     const char *fallback)
{
    char *line = clean_line(value, fallback);
    if (!line) {
        b->failed = true;
        return;
    }
    add_string(b, object, name, line);
    free(line);
}

static void add_line_owned(build_t *b, cJSON *object, const char *name, char *value,
                           const char *fallback)
{
    if (value)
        add_line(b, object, name, value, fallback);
    free(value);
}

static cJSON *add_array(build_t *b, cJSON *object, const char *name)
{
    cJSON *array = cJSON_AddArrayToObject(object, name);
    if (!array)
        b->failed = true;
    return array;
}

static cJSON *add_object(build_t *b, cJSON *object, const char *name)
{
    cJSON *child = cJSON_AddObjectToObject(object, name);
    if (!child)
        b->failed = true;
    return child;
}

static cJSON *push_object(build_t *b, cJSON *array)
{
    cJSON *object = cJSON_CreateObject();
    if (!object || !cJSON_AddItemToArray(array, object)) {
        cJSON_Delete(object);
        b->failed = true;
        return NULL;
    }
    return object;
}

static void push_string(build_t *b, cJSON *array, const char *value)
{
    cJSON *item = cJSON_CreateString(value);
    if (!item || !cJSON_AddItemToArray(array, item)) {
        cJSON_Delete(item);
        b->failed = true;
    }
}

/* OSCAL arrays have at least one item: drop an empty one. */
static void drop_if_empty(cJSON *object, const char *name)
{
    cJSON *array = cJSON_GetObjectItemCaseSensitive(object, name);
    if (array && cJSON_GetArraySize(array) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(object, name);
}

/* A prop in the Assay namespace; none when the value is empty. */
static void add_prop(build_t *b, cJSON *props, const char *name, const char *value,
                     const char *group)
{
    char *line = clean_line(value, "");
    if (!line) {
        b->failed = true;
        return;
    }
    if (*line) {
        cJSON *prop = push_object(b, props);
        add_string(b, prop, "name", name);
        add_string(b, prop, "ns", FORMAT_OSCAL_NS);
        add_string(b, prop, "value", line);
        if (group)
            add_string(b, prop, "group", group);
    }
    free(line);
}

/* A prop from a scalar of the result document. */
static void add_prop_item(build_t *b, cJSON *props, const char *name, const cJSON *item,
                          const char *group)
{
    char value[32] = "";
    if (cJSON_IsString(item)) {
        add_prop(b, props, name, item->valuestring, group);
        return;
    }
    if (cJSON_IsNumber(item))
        format_number(item->valuedouble, value);
    else if (cJSON_IsBool(item))
        snprintf(value, sizeof value, "%s", cJSON_IsTrue(item) ? "true" : "false");
    add_prop(b, props, name, value, group);
}

/* UUID v5 of the parts joined by "\n". */
static void make_uuid(build_t *b, char out[37], const char *kind, const char *key,
                      const char *detail)
{
    size_t size = strlen(kind) + strlen(key) + (detail ? strlen(detail) : 0) + 3;
    char *name = malloc(size);
    if (!name) {
        b->failed = true;
        snprintf(out, 37, "%s", "00000000-0000-5000-8000-000000000000");
        return;
    }
    snprintf(name, size, "%s\n%s%s%s", kind, key, detail ? "\n" : "", detail ? detail : "");
    if (format_uuid_v5(b->oscal->namespace, name, out) != 0) {
        b->failed = true;
        snprintf(out, 37, "%s", "00000000-0000-5000-8000-000000000000");
    }
    free(name);
}

/* "YYYY-MM-DDT00:00:00Z" for an as_of date (its first 10 characters). */
static void date_time(const char *as_of, char out[32])
{
    snprintf(out, 32, "%.10sT00:00:00Z", as_of);
}

static const cJSON *find_finding(const cJSON *findings, const char *check_id)
{
    const cJSON *finding;
    cJSON_ArrayForEach(finding, findings)
        if (strcmp(get_string(finding, "check"), check_id) == 0)
            return finding;
    return NULL;
}

/* ---- the document's parts ---------------------------------------------------- */

static void add_origin(build_t *b, cJSON *object, const char *platform_uuid)
{
    cJSON *origins = add_array(b, object, "origins");
    cJSON *origin = push_object(b, origins);
    cJSON *actors = add_array(b, origin, "actors");
    cJSON *actor = push_object(b, actors);
    add_string(b, actor, "type", "assessment-platform");
    add_string(b, actor, "actor-uuid", platform_uuid);
}

/* "IA-7, IA-8", or "none". Caller frees; NULL when out of memory. */
static char *id_list(build_t *b, const cJSON *ids)
{
    char *text = NULL;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
        if (cJSON_IsString(id))
            appendf(b, &text, "%s%s", text ? ", " : "", id->valuestring);
    return text ? text : aprintf(b, "%s", "none");
}

/* The evidence items a check rests on (and the expired ones it skipped). */
static void add_relevant_evidence(build_t *b, cJSON *observation, const cJSON *check)
{
    cJSON *evidence = add_array(b, observation, "relevant-evidence");
    static const char *const lists[] = { "evidence", "expired" };
    for (int list = 0; list < 2; list++) {
        const cJSON *id;
        cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(check, lists[list])) {
            if (!cJSON_IsString(id))
                continue;
            cJSON *item = push_object(b, evidence);
            add_owned(b, item, "description",
                      aprintf(b, "Evidence item %s%s", id->valuestring,
                              list == 0 ? "." : ": expired before the assessment date, so "
                                                "not counted."));
            cJSON *props = add_array(b, item, "props");
            add_prop(b, props, "evidence-id", id->valuestring, NULL);
            if (list == 1)
                add_prop(b, props, "expired", "true", NULL);
            drop_if_empty(item, "props");
        }
    }
    drop_if_empty(observation, "relevant-evidence");
}

/* One observation per evaluated check; its uuid goes to `uuid_out`. */
static void add_observation(build_t *b, cJSON *observations, const cJSON *assessment,
                            const cJSON *check, const char *key, const char *party_uuid,
                            const char *platform_uuid, const char *collected,
                            char uuid_out[37])
{
    const char *check_id = get_string(check, "id");
    const char *status = get_string(check, "status");
    const cJSON *finding = find_finding(cJSON_GetObjectItemCaseSensitive(assessment, "findings"),
                                        check_id);
    make_uuid(b, uuid_out, "observation", key, check_id);
    cJSON *observation = push_object(b, observations);
    add_string(b, observation, "uuid", uuid_out);
    add_line_owned(b, observation, "title", aprintf(b, "Check %s: %s", check_id, status), "Check");

    const char *text = finding ? get_string(finding, "text") : "";
    const char *message = get_string(check, "message");
    const cJSON *level_item = cJSON_GetObjectItemCaseSensitive(check, "level");
    char level[32] = "-";
    if (cJSON_IsNumber(level_item))
        format_number(level_item->valuedouble, level);
    char *description = aprintf(b, "Check %s (level %s, %s if it fails)%s%s: %s.", check_id,
                                level, get_string(check, "severity"), *text ? ": " : "", text,
                                status);
    if (*message)
        appendf(b, &description, " %s.", message);
    char *evidence = id_list(b, cJSON_GetObjectItemCaseSensitive(check, "evidence"));
    appendf(b, &description, " Evidence: %s.", evidence ? evidence : "none");
    free(evidence);
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(check, "expired")) > 0) {
        char *expired = id_list(b, cJSON_GetObjectItemCaseSensitive(check, "expired"));
        appendf(b, &description, " Expired, not counted: %s.", expired ? expired : "");
        free(expired);
    }
    add_owned(b, observation, "description", description);

    cJSON *props = add_array(b, observation, "props");
    add_prop(b, props, "check", check_id, NULL);
    add_prop(b, props, "status", status, NULL);
    add_prop_item(b, props, "level", level_item, NULL);
    add_prop(b, props, "severity", get_string(check, "severity"), NULL);
    drop_if_empty(observation, "props");
    cJSON *methods = add_array(b, observation, "methods");
    push_string(b, methods, "EXAMINE");
    cJSON *types = add_array(b, observation, "types");
    push_string(b, types, "control-objective");
    add_origin(b, observation, platform_uuid);
    cJSON *subjects = add_array(b, observation, "subjects");
    cJSON *subject = push_object(b, subjects);
    add_string(b, subject, "subject-uuid", party_uuid);
    add_string(b, subject, "type", "party");
    add_relevant_evidence(b, observation, check);
    add_string(b, observation, "collected", collected);
}

static const char *grade_of(const char *status)
{
    return strcmp(status, "conformant") == 0       ? "Conformant"
         : strcmp(status, "major_nc") == 0         ? "Major nonconformity"
         : strcmp(status, "minor_nc") == 0         ? "Minor nonconformity"
         : strcmp(status, "not_applicable") == 0   ? "Not applicable"
                                                   : status;
}

/* An assessor's override as the finding's props, beside the machine's
   status (the "status" prop is the verdict that applies). */
static void add_override_props(build_t *b, cJSON *props, const cJSON *override,
                               const char *machine)
{
    add_prop(b, props, "machine-status", machine, NULL);
    add_prop(b, props, "override-status", get_string(override, "status"), NULL);
    add_prop_item(b, props, "override-id", cJSON_GetObjectItemCaseSensitive(override, "id"), NULL);
    add_prop(b, props, "override-by", get_string(override, "by"), NULL);
    add_prop(b, props, "override-at", get_string(override, "at"), NULL);
    add_prop(b, props, "override-expires", get_string(override, "expires"), NULL);
}

/* The finding for an assessed clause that applies (or that an assessor
   ruled on). Its status is the verdict that applies: an assessor's
   active override, else the machine's; an overridden machine verdict
   stays in the description, the props and the status remarks. */
static void add_finding(build_t *b, cJSON *findings, const cJSON *assessment,
                        const cJSON *clause, const char *key, const char *platform_uuid,
                        const cJSON *observation_uuids)
{
    const char *id = get_string(clause, "id");
    const char *machine = get_string(clause, "status");
    const cJSON *override = format_clause_override(assessment, id);
    const char *status = override ? get_string(override, "status") : machine;
    bool not_applicable = strcmp(status, "not_applicable") == 0;
    bool satisfied = strcmp(status, "conformant") == 0 || not_applicable;
    char uuid[37];
    make_uuid(b, uuid, "finding", key, id);
    cJSON *finding = push_object(b, findings);
    add_string(b, finding, "uuid", uuid);
    add_line_owned(b, finding, "title", aprintf(b, "%s %s", id, get_string(clause, "title")),
                   "Clause");

    char level[32] = "-";
    const cJSON *level_item = cJSON_GetObjectItemCaseSensitive(clause, "level");
    if (cJSON_IsNumber(level_item))
        format_number(level_item->valuedouble, level);
    /* The description: the grade (an override's first), then every
       finding of the clause. */
    char *description = override
        ? aprintf(b, "%s by assessor override (%s, %s): %s\nMachine verdict: %s at maturity "
                     "level %s.", grade_of(status), get_string(override, "by"),
                  get_string(override, "at"), get_string(override, "reason"),
                  grade_of(machine), level)
        : aprintf(b, "%s at maturity level %s.", grade_of(machine), level);
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(assessment, "findings")) {
        if (strcmp(get_string(item, "clause"), id) != 0)
            continue;
        char *evidence = id_list(b, cJSON_GetObjectItemCaseSensitive(item, "evidence"));
        appendf(b, &description, "\n- %s (%s): %s; evidence: %s", get_string(item, "check"),
                get_string(item, "severity"), get_string(item, "text"),
                evidence ? evidence : "none");
        free(evidence);
    }
    add_owned(b, finding, "description", description);

    cJSON *props = add_array(b, finding, "props");
    add_prop(b, props, "clause", id, NULL);
    add_prop(b, props, "status", status, NULL);
    if (override)
        add_override_props(b, props, override, machine);
    add_prop_item(b, props, "level", level_item, NULL);
    add_prop_item(b, props, "weight", cJSON_GetObjectItemCaseSensitive(clause, "weight"), NULL);
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(assessment, "mappings"))
        if (strcmp(get_string(item, "clause"), id) == 0) {
            const cJSON *evidenced = cJSON_GetObjectItemCaseSensitive(item, "evidenced");
            add_prop(b, props, "maps-to", get_string(item, "target"),
                     cJSON_IsTrue(evidenced) ? "evidenced"
                     : cJSON_IsFalse(evidenced) ? "not-evidenced" : NULL);
        }
    drop_if_empty(finding, "props");
    add_origin(b, finding, platform_uuid);

    cJSON *target = add_object(b, finding, "target");
    add_string(b, target, "type", "objective-id");
    char *control = format_oscal_control_id(id);
    if (!control)
        b->failed = true;
    add_string(b, target, "target-id", control ? control : "clause");
    free(control);
    cJSON *target_status = add_object(b, target, "status");
    add_string(b, target_status, "state", satisfied ? "satisfied" : "not-satisfied");
    /* "other": an assessor ruled the clause out, which is neither. */
    add_string(b, target_status, "reason", not_applicable ? "other" : satisfied ? "pass" : "fail");
    if (override)
        add_owned(b, target_status, "remarks",
                  aprintf(b, "Assessor override by %s of the machine verdict %s: %s",
                          get_string(override, "by"), machine, get_string(override, "reason")));

    cJSON *related = add_array(b, finding, "related-observations");
    const cJSON *observation;
    cJSON_ArrayForEach(observation, observation_uuids) {
        cJSON *reference = push_object(b, related);
        add_string(b, reference, "observation-uuid", observation->valuestring);
    }
    drop_if_empty(finding, "related-observations");
}

static void add_reviewed_controls(build_t *b, cJSON *result, const cJSON *clauses)
{
    cJSON *reviewed = add_object(b, result, "reviewed-controls");
    cJSON *selections = add_array(b, reviewed, "control-selections");
    cJSON *selection = push_object(b, selections);
    cJSON *include = add_array(b, selection, "include-controls");
    cJSON *exclude = add_array(b, selection, "exclude-controls");
    const cJSON *clause;
    cJSON_ArrayForEach(clause, clauses) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(clause, "assessed")))
            continue;
        bool applicable = strcmp(get_string(clause, "status"), "not_applicable") != 0;
        char *control = format_oscal_control_id(get_string(clause, "id"));
        if (!control) {
            b->failed = true;
            continue;
        }
        cJSON *select = push_object(b, applicable ? include : exclude);
        add_string(b, select, "control-id", control);
        free(control);
    }
    if (cJSON_GetArraySize(exclude) > 0)
        add_string(b, selection, "remarks",
                   "Excluded controls are clauses that do not apply to this unit "
                   "(not_applicable).");
    drop_if_empty(selection, "exclude-controls");
    if (cJSON_GetArraySize(include) == 0) {
        /* Nothing applies: the other form of a selection, which needs no
           list (the exclusions still say what was left out). */
        cJSON_DeleteItemFromObjectCaseSensitive(selection, "include-controls");
        add_object(b, selection, "include-all");
    }
}

/* Remember the unit (a party) and the catalog (a back-matter resource). */
static void note_unit_and_catalog(build_t *b, const cJSON *assessment)
{
    oscal_t *self = b->oscal;
    const char *unit = get_string(assessment, "unit");
    bool known = false;
    const cJSON *item;
    cJSON_ArrayForEach(item, self->units)
        if (strcmp(get_string(item, "unit"), unit) == 0) {
            known = true;
            break;
        }
    if (!known) {
        cJSON *entry = push_object(b, self->units);
        add_string(b, entry, "unit", unit);
        add_string(b, entry, "name", get_string(assessment, "unit_name"));
        add_string(b, entry, "org", get_string(assessment, "org"));
    }
    const char *standard = get_string(assessment, "standard");
    const char *sha = get_string(assessment, "catalog_sha256");
    known = false;
    cJSON_ArrayForEach(item, self->catalogs)
        if (strcmp(get_string(item, "standard"), standard) == 0
            && strcmp(get_string(item, "sha256"), sha) == 0) {
            known = true;
            break;
        }
    if (!known) {
        cJSON *entry = push_object(b, self->catalogs);
        add_string(b, entry, "standard", standard);
        add_string(b, entry, "edition", get_string(assessment, "edition"));
        add_string(b, entry, "sha256", sha);
    }
    const char *as_of = get_string(assessment, "as_of");
    if (strncmp(as_of, self->latest_as_of, 10) > 0)
        snprintf(self->latest_as_of, sizeof self->latest_as_of, "%.10s", as_of);
}

static cJSON *build_result(build_t *b, const cJSON *assessment, char result_uuid[37])
{
    const char *unit = get_string(assessment, "unit");
    const char *standard = get_string(assessment, "standard");
    const char *as_of = get_string(assessment, "as_of");
    /* What a result is: this unit, against this catalog, as of this date. */
    char *key = aprintf(b, "%s\n%s\n%s\n%s", unit, standard,
                        get_string(assessment, "catalog_sha256"), as_of);
    if (!key)
        return NULL;
    char party_uuid[37], platform_uuid[37], start[32];
    make_uuid(b, result_uuid, "result", key, NULL);
    make_uuid(b, party_uuid, "unit", unit, NULL);
    make_uuid(b, platform_uuid, "assessment-platform", key, NULL);
    date_time(as_of, start);

    cJSON *result = cJSON_CreateObject();
    if (!result) {
        free(key);
        b->failed = true;
        return NULL;
    }
    add_string(b, result, "uuid", result_uuid);
    add_line_owned(b, result, "title", aprintf(b, "%s: %s", unit, standard), "Assessment");
    const cJSON *maturity = cJSON_GetObjectItemCaseSensitive(assessment, "maturity");
    char maturity_text[32] = "";
    if (cJSON_IsNumber(maturity))
        format_number(maturity->valuedouble, maturity_text);
    add_owned(b, result, "description", aprintf(b,
             "Assay assessment of the evidence of %s (%s) against %s edition %s, as of %s: "
             "maturity %s, readiness %s, %.0f major and %.0f minor nonconformities, "
             "%.0f observations.", get_string(assessment, "unit_name"), unit, standard,
             get_string(assessment, "edition"), as_of, maturity_text,
             get_string(assessment, "readiness"),
             cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(assessment, "major_nc")),
             cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(assessment, "minor_nc")),
             cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(assessment, "observations"))));
    add_string(b, result, "start", start);

    cJSON *props = add_array(b, result, "props");
    add_prop(b, props, "unit", unit, NULL);
    add_prop(b, props, "org", get_string(assessment, "org"), NULL);
    add_prop(b, props, "standard", standard, NULL);
    add_prop(b, props, "edition", get_string(assessment, "edition"), NULL);
    add_prop(b, props, "catalog-sha256", get_string(assessment, "catalog_sha256"), NULL);
    add_prop(b, props, "as-of", as_of, NULL);
    add_prop_item(b, props, "maturity", maturity, NULL);
    add_prop(b, props, "readiness", get_string(assessment, "readiness"), NULL);
    add_prop_item(b, props, "major-nc", cJSON_GetObjectItemCaseSensitive(assessment, "major_nc"),
                  NULL);
    add_prop_item(b, props, "minor-nc", cJSON_GetObjectItemCaseSensitive(assessment, "minor_nc"),
                  NULL);
    add_prop_item(b, props, "observations",
                  cJSON_GetObjectItemCaseSensitive(assessment, "observations"), NULL);
    const cJSON *effective = cJSON_GetObjectItemCaseSensitive(assessment, "effective");
    if (cJSON_IsObject(effective)) {
        add_prop(b, props, "effective-readiness", get_string(effective, "readiness"), NULL);
        add_prop_item(b, props, "effective-major-nc",
                      cJSON_GetObjectItemCaseSensitive(effective, "major_nc"), NULL);
        add_prop_item(b, props, "effective-minor-nc",
                      cJSON_GetObjectItemCaseSensitive(effective, "minor_nc"), NULL);
        char count[32];
        format_number(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(assessment, "overrides")),
                      count);
        add_prop(b, props, "active-overrides", count, NULL);
    }
    const cJSON *by_clause;
    cJSON_ArrayForEach(by_clause, cJSON_GetObjectItemCaseSensitive(assessment,
                                                                   "maturity_by_clause")) {
        char *control = format_oscal_control_id(by_clause->string);
        if (!control)
            b->failed = true;
        add_prop_item(b, props, "clause-maturity", by_clause, control ? control : "clause");
        free(control);
    }
    drop_if_empty(result, "props");

    cJSON *definitions = add_object(b, result, "local-definitions");
    cJSON *assets = add_object(b, definitions, "assessment-assets");
    cJSON *platforms = add_array(b, assets, "assessment-platforms");
    cJSON *platform = push_object(b, platforms);
    add_string(b, platform, "uuid", platform_uuid);
    add_string(b, platform, "title", "Assay " ASSAY_VERSION);
    cJSON *platform_props = add_array(b, platform, "props");
    add_prop(b, platform_props, "version", ASSAY_VERSION, NULL);

    const cJSON *clauses = cJSON_GetObjectItemCaseSensitive(assessment, "clauses");
    add_reviewed_controls(b, result, clauses);

    /* Observations, one per evaluated check; each clause keeps the uuids
       of its own for its finding. */
    cJSON *observations = add_array(b, result, "observations");
    cJSON *by_clause_uuids = cJSON_CreateObject();
    if (!by_clause_uuids)
        b->failed = true;
    char collected[32];
    date_time(as_of, collected);
    const cJSON *check;
    cJSON_ArrayForEach(check, cJSON_GetObjectItemCaseSensitive(assessment, "checks")) {
        if (strcmp(get_string(check, "status"), "not_applicable") == 0)
            continue;
        char uuid[37];
        add_observation(b, observations, assessment, check, key, party_uuid, platform_uuid,
                        collected, uuid);
        const char *clause_id = get_string(check, "clause");
        cJSON *list = cJSON_GetObjectItemCaseSensitive(by_clause_uuids, clause_id);
        if (!list)
            list = add_array(b, by_clause_uuids, clause_id);
        push_string(b, list, uuid);
    }
    drop_if_empty(result, "observations");

    cJSON *findings = add_array(b, result, "findings");
    const cJSON *clause;
    cJSON_ArrayForEach(clause, clauses) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(clause, "assessed"))
            || (strcmp(get_string(clause, "status"), "not_applicable") == 0
                && !format_clause_override(assessment, get_string(clause, "id"))))
            continue;
        add_finding(b, findings, assessment, clause, key, platform_uuid,
                    cJSON_GetObjectItemCaseSensitive(by_clause_uuids, get_string(clause, "id")));
    }
    drop_if_empty(result, "findings");
    cJSON_Delete(by_clause_uuids);

    /* The bundle's warnings, if any, as remarks. */
    const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(assessment, "warnings");
    if (cJSON_GetArraySize(warnings) > 0) {
        char *remarks = aprintf(b, "%s", "Bundle warnings:");
        const cJSON *warning;
        cJSON_ArrayForEach(warning, warnings)
            appendf(b, &remarks, "\n- %s: %s", get_string(warning, "where"),
                    get_string(warning, "message"));
        add_owned(b, result, "remarks", remarks);
    }
    free(key);
    return result;
}

/* ---- the format ---------------------------------------------------------------- */

oscal_t *oscal_new(void)
{
    oscal_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->spool = export_spool_open();
    self->units = cJSON_CreateArray();
    self->catalogs = cJSON_CreateArray();
    /* The namespace of Assay's UUIDs: uuid5(NAMESPACE_URL, FORMAT_OSCAL_NS). */
    if (!self->spool || !self->units || !self->catalogs
        || format_uuid_v5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", FORMAT_OSCAL_NS,
                          self->namespace) != 0) {
        oscal_destroy(&self);
        return NULL;
    }
    return self;
}

void oscal_destroy(oscal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oscal_t *self = *self_p;
    if (self->spool)
        fclose(self->spool);
    free(self->result_uuids);
    cJSON_Delete(self->units);
    cJSON_Delete(self->catalogs);
    free(self);
    *self_p = NULL;
}

int oscal_assessment(oscal_t *self, const cJSON *assessment)
{
    if (self->failed)
        return -1;
    build_t b = { .oscal = self };
    char uuid[37];
    cJSON *result = build_result(&b, assessment, uuid);
    note_unit_and_catalog(&b, assessment);
    char *text = result && !b.failed ? cJSON_PrintUnformatted(result) : NULL;
    cJSON_Delete(result);
    if (!text) {
        self->failed = true;
        return -1;
    }
    if (self->results)
        fputc(',', self->spool);
    fputs(text, self->spool);
    free(text);
    char *grown = realloc(self->result_uuids, self->result_uuids_size + 38);
    if (grown)
        self->result_uuids = grown;
    if (!grown || ferror(self->spool)) {
        self->failed = true;
        return -1;
    }
    snprintf(self->result_uuids + self->result_uuids_size, 38, "%s\n", uuid);
    self->result_uuids_size += 37;
    self->results++;
    return 0;
}

/* The catalog key named in resource uuids: "STANDARD\nSHA256". */
static void catalog_uuid(build_t *b, const cJSON *catalog, char out[37])
{
    make_uuid(b, out, "catalog", get_string(catalog, "standard"), get_string(catalog, "sha256"));
}

/* Everything but the results: uuid, metadata, import-ap, back-matter. */
static cJSON *build_frame(build_t *b, const char *last_modified)
{
    oscal_t *self = b->oscal;
    cJSON *frame = cJSON_CreateObject();
    if (!frame) {
        b->failed = true;
        return NULL;
    }
    char uuid[37];
    make_uuid(b, uuid, "assessment-results", self->result_uuids ? self->result_uuids : "", NULL);
    add_string(b, frame, "uuid", uuid);

    cJSON *metadata = add_object(b, frame, "metadata");
    char title[256];
    size_t units = (size_t) cJSON_GetArraySize(self->units);
    snprintf(title, sizeof title, "Assay assessment results: %zu assessment%s of %zu unit%s",
             self->results, self->results == 1 ? "" : "s", units, units == 1 ? "" : "s");
    add_string(b, metadata, "title", title);
    add_string(b, metadata, "last-modified", last_modified);
    add_string(b, metadata, "version", ASSAY_VERSION);
    add_string(b, metadata, "oscal-version", OSCAL_VERSION);
    cJSON *roles = add_array(b, metadata, "roles");
    cJSON *role = push_object(b, roles);
    add_string(b, role, "id", "assessed-unit");
    add_string(b, role, "title", "Assessed business unit");
    cJSON *parties = add_array(b, metadata, "parties");
    cJSON *orgs = cJSON_CreateArray();       /* org names already listed */
    if (!orgs)
        b->failed = true;
    const cJSON *unit;
    cJSON_ArrayForEach(unit, self->units) {
        const char *org = get_string(unit, "org");
        char org_uuid[37] = "";
        char *org_name = clean_line(org, "");
        if (org_name && *org_name) {
            make_uuid(b, org_uuid, "org", org_name, NULL);
            bool listed = false;
            const cJSON *seen;
            cJSON_ArrayForEach(seen, orgs)
                listed = listed || strcmp(seen->valuestring, org_name) == 0;
            if (!listed) {
                push_string(b, orgs, org_name);
                cJSON *party = push_object(b, parties);
                add_string(b, party, "uuid", org_uuid);
                add_string(b, party, "type", "organization");
                add_string(b, party, "name", org_name);
            }
        }
        char party_uuid[37];
        make_uuid(b, party_uuid, "unit", get_string(unit, "unit"), NULL);
        cJSON *party = push_object(b, parties);
        add_string(b, party, "uuid", party_uuid);
        add_string(b, party, "type", "organization");
        add_line(b, party, "name", get_string(unit, "name"), get_string(unit, "unit"));
        add_line(b, party, "short-name", get_string(unit, "unit"), "unit");
        cJSON *props = add_array(b, party, "props");
        add_prop(b, props, "unit", get_string(unit, "unit"), NULL);
        drop_if_empty(party, "props");
        if (*org_uuid) {
            cJSON *member = add_array(b, party, "member-of-organizations");
            push_string(b, member, org_uuid);
        }
        free(org_name);
    }
    cJSON_Delete(orgs);
    drop_if_empty(metadata, "parties");
    cJSON *responsible = add_array(b, metadata, "responsible-parties");
    if (units > 0) {
        cJSON *entry = push_object(b, responsible);
        add_string(b, entry, "role-id", "assessed-unit");
        cJSON *uuids = add_array(b, entry, "party-uuids");
        cJSON_ArrayForEach(unit, self->units) {
            char party_uuid[37];
            make_uuid(b, party_uuid, "unit", get_string(unit, "unit"), NULL);
            push_string(b, uuids, party_uuid);
        }
    }
    drop_if_empty(metadata, "responsible-parties");

    /* The plan: the catalogs, as back-matter resources. */
    char *plan_key = aprintf(b, "%s", "");
    const cJSON *catalog;
    cJSON_ArrayForEach(catalog, self->catalogs)
        appendf(b, &plan_key, "%s %s\n", get_string(catalog, "standard"),
                get_string(catalog, "sha256"));
    char plan_uuid[37];
    make_uuid(b, plan_uuid, "assessment-plan", plan_key ? plan_key : "", NULL);
    free(plan_key);
    cJSON *import = add_object(b, frame, "import-ap");
    char href[40];
    snprintf(href, sizeof href, "#%s", plan_uuid);
    add_string(b, import, "href", href);
    add_string(b, import, "remarks",
               "Assay has no separate OSCAL assessment plan: the plan is the catalogs listed "
               "in back-matter, applied by Assay's rules to each unit's evidence bundle.");

    /* Filled by oscal_finish: the spooled results, or a note that there
       are none. */
    add_array(b, frame, "results");

    cJSON *back = add_object(b, frame, "back-matter");
    cJSON *resources = add_array(b, back, "resources");
    cJSON *plan = push_object(b, resources);
    add_string(b, plan, "uuid", plan_uuid);
    add_string(b, plan, "title", "Assay assessment plan");
    add_string(b, plan, "description",
               "Each unit's evidence bundle assessed against the catalogs below by Assay's "
               "machine-readable clause rules, as of the bundle's date.");
    cJSON_ArrayForEach(catalog, self->catalogs) {
        char resource_uuid[37];
        catalog_uuid(b, catalog, resource_uuid);
        cJSON *resource = push_object(b, resources);
        add_string(b, resource, "uuid", resource_uuid);
        add_line_owned(b, resource, "title",
                       aprintf(b, "Assay catalog %s, edition %s", get_string(catalog, "standard"),
                               get_string(catalog, "edition")), "Assay catalog");
        cJSON *props = add_array(b, resource, "props");
        add_prop(b, props, "standard", get_string(catalog, "standard"), NULL);
        add_prop(b, props, "edition", get_string(catalog, "edition"), NULL);
        add_prop(b, props, "catalog-sha256", get_string(catalog, "sha256"), NULL);
        drop_if_empty(resource, "props");
    }
    return frame;
}

int oscal_finish(oscal_t *self, FILE *out)
{
    if (self->failed)
        return -1;
    char last_modified[32];
    if (self->latest_as_of[0])
        date_time(self->latest_as_of, last_modified);
    else {
        time_t now = time(NULL);
        struct tm utc;
        gmtime_r(&now, &utc);
        strftime(last_modified, sizeof last_modified, "%Y-%m-%dT%H:%M:%SZ", &utc);
    }
    build_t b = { .oscal = self };
    cJSON *frame = build_frame(&b, last_modified);
    if (self->results == 0 && frame) {
        /* OSCAL wants at least one result: say that there was none. */
        cJSON *results = cJSON_GetObjectItemCaseSensitive(frame, "results");
        cJSON *result = push_object(&b, results);
        char uuid[37];
        make_uuid(&b, uuid, "result", "none", NULL);
        add_string(&b, result, "uuid", uuid);
        add_string(&b, result, "title", "No assessments");
        add_string(&b, result, "description", "There were no finished assessments to export.");
        add_string(&b, result, "start", last_modified);
        cJSON *reviewed = add_object(&b, result, "reviewed-controls");
        cJSON *selections = add_array(&b, reviewed, "control-selections");
        cJSON *selection = push_object(&b, selections);
        add_object(&b, selection, "include-all");
    }
    char *text = frame && !b.failed ? cJSON_PrintUnformatted(frame) : NULL;
    cJSON_Delete(frame);
    if (!text)
        return -1;
    /* Splice the spooled results into the empty "results": [] of the frame,
       which keeps the document's members in OSCAL's order. */
    int rc = 0;
    const char *marker = "\"results\":[]";
    char *at = self->results ? strstr(text, marker) : NULL;
    if (self->results && !at) {
        free(text);
        return -1;
    }
    fputs("{\"assessment-results\":", out);
    if (at) {
        size_t head = (size_t) (at - text) + strlen(marker) - 1;
        fwrite(text, 1, head, out);
        rc = export_spool_copy(self->spool, out);
        fputs(at + strlen(marker) - 1, out);
    } else
        fputs(text, out);
    fputs("}\n", out);
    free(text);
    return rc == 0 && !ferror(out) ? 0 : -1;
}
