/*  test_engine_properties.c - properties of the engine over generated units,
    for every catalog in catalogs/ (issue 3, point 9).

    The units come from examples/generate, run by the ctest fixture
    test_engine_properties_units before this test: one JSON Lines file per
    catalog, PROPS_UNITS/ID.jsonl, generated with that catalog's kind
    generators. The catalogs are read from PROPS_CATALOGS (the source
    tree's catalogs/). Both may be given as argv[1] and argv[2] instead.

    Nothing here is a hard-coded result: every property compares the
    engine with itself or with a recomputation from its own output.

      determinism     the same input gives byte-identical result JSON: twice,
                      from a re-parsed bundle, from a re-serialized bundle,
                      with a catalog set compiled again in another order,
                      from its stored outcome read back against the catalog
                      (what the broker serves), through an evaluation
                      session shared with every other catalog (each of
                      those as it gives alone too), with every check
                      evaluated for itself (no outcome shared between
                      checks of the same rule), and the result
                      survives a JSON round trip unchanged
      explanations    every `evidence` and `expired` id of every check and
                      every finding's `evidence` is an item of the bundle;
                      `expired` names only items whose `expires` is before
                      `as_of`, `evidence` never names them
      empty bundle    the unit with no evidence scores level 0 on every
                      applicable assessed clause, maturity 0, and not_ready
                      on a certifiable standard
      not applicable  the maturity (and maturity_by_clause) recomputed from
                      the clause list's applicable assessed levels and
                      weights equals the reported one; a not_applicable
                      clause has no level; flipping a boolean attribute
                      changes nothing about clauses whose rules do not read
                      it (their applicability, level and status are the
                      same), so a clause the flip makes not applicable
                      leaves the contribution of every other clause alone
      monotonicity    adding an item of a kind the unit lacks (a document or
                      record the catalog requires, approved, dated as_of,
                      unexpired) never lowers a clause's level nor changes
                      whether it applies. "Requires": some rule demands the
                      kind and none makes an obligation conditional on it
                      (see kind_reads); events such as change records,
                      complaints or concessions oblige follow-up (an impact
                      assessment, an investigation), so a bare one rightly
                      lowers a level and is not added

    Failures are collected and printed (the first few of each property)
    before the test fails, so one run shows every broken property.
*/
#include "engine_test.h"
#include "session.h"

#include <dirent.h>
#include <math.h>

#ifndef PROPS_CATALOGS
#define PROPS_CATALOGS "catalogs"
#endif
#ifndef PROPS_UNITS
#define PROPS_UNITS "props-units"
#endif

static const char *catalogs_dir = PROPS_CATALOGS;
static const char *units_dir = PROPS_UNITS;

#define MAX_CATALOGS 32

typedef struct {
    char *file;         /* name in the folder */
    char *text;
    size_t length;
    cJSON *json;        /* parsed, for reading rules statically */
} source_t;

typedef struct {
    char **lines;       /* one bundle per line */
    size_t count;
} units_t;

static source_t sources[MAX_CATALOGS];
static size_t source_count;
static catalog_set_t *set;
static units_t units[MAX_CATALOGS];     /* by index in the set (sorted by id) */

static int failures;
static int max_reported = 25;   /* PROPERTY_REPORT=N prints more */
#define PROP_FAIL(...)                                      \
    do {                                                    \
        if (failures++ < max_reported) {                    \
            fprintf(stderr, "property failed: ");           \
            fprintf(stderr, __VA_ARGS__);                   \
            fputc('\n', stderr);                            \
        }                                                   \
    } while (0)

static void assert_no_failures(const char *property)
{
    if (failures) {
        int count = failures;
        failures = 0;
        fail_msg("%s: %d failure%s (the first %d printed above)", property, count,
                 count == 1 ? "" : "s", max_reported);
    }
}

/* ---- loading ---------------------------------------------------------- */

static char *read_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    size_t capacity = 1 << 16, size = 0;
    char *data = malloc(capacity);
    size_t got;
    while (data && (got = fread(data + size, 1, capacity - size - 1, file)) > 0) {
        size += got;
        if (size + 1 == capacity) {
            capacity *= 2;
            char *grown = realloc(data, capacity);
            if (!grown)
                free(data);
            data = grown;
        }
    }
    fclose(file);
    if (data)
        data[size] = '\0';
    if (length)
        *length = size;
    return data;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Compile the sources into a new linked set, adding them in the given
   order (forwards or backwards). */
static catalog_set_t *compile_set(bool backwards)
{
    catalog_set_t *result = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    for (size_t k = 0; k < source_count; k++) {
        const source_t *source = &sources[backwards ? source_count - 1 - k : k];
        if (catalog_set_add(result, source->file, source->text, source->length, diags) != 0) {
            print_diags(diags);
            fail_msg("catalog %s does not compile", source->file);
        }
    }
    if (catalog_set_link(result, diags) != 0) {
        print_diags(diags);
        fail_msg("catalogs do not link");
    }
    diag_list_destroy(&diags);
    return result;
}

static bool load_units(size_t index, const char *id)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.jsonl", units_dir, id);
    char *text = read_file(path, NULL);
    if (!text) {
        fprintf(stderr, "no generated units for catalog %s: %s (the fixture test_engine_properties_units "
                "writes them; examples/generate needs a kind table for every catalog)\n", id, path);
        return false;
    }
    units_t *list = &units[index];
    char *cursor = text, *line;
    while ((line = strsep(&cursor, "\n")))
        if (*line) {
            list->lines = realloc(list->lines, (list->count + 1) * sizeof *list->lines);
            list->lines[list->count++] = strdup(line);
        }
    free(text);
    if (list->count == 0) {
        fprintf(stderr, "%s holds no units\n", path);
        return false;
    }
    return true;
}

static int setup(void **state)
{
    DIR *dir = opendir(catalogs_dir);
    if (!dir) {
        fprintf(stderr, "cannot open %s\n", catalogs_dir);
        return -1;
    }
    char *names[MAX_CATALOGS];
    size_t name_count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t length = strlen(entry->d_name);
        if (length > 5 && strcmp(entry->d_name + length - 5, ".json") == 0 && name_count < MAX_CATALOGS)
            names[name_count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, name_count, sizeof *names, compare_strings);
    for (size_t i = 0; i < name_count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", catalogs_dir, names[i]);
        source_t *source = &sources[source_count++];
        source->file = names[i];
        source->text = read_file(path, &source->length);
        source->json = source->text ? cJSON_Parse(source->text) : NULL;
        if (!source->json) {
            fprintf(stderr, "cannot read %s\n", path);
            return -1;
        }
    }
    if (source_count == 0) {
        fprintf(stderr, "no catalogs in %s\n", catalogs_dir);
        return -1;
    }
    set = compile_set(false);
    for (size_t i = 0; i < catalog_set_size(set); i++)
        if (!load_units(i, catalog_id(catalog_set_at(set, i))))
            return -1;
    return 0;
}

static int teardown(void **state)
{
    for (size_t i = 0; i < MAX_CATALOGS; i++) {
        for (size_t k = 0; k < units[i].count; k++)
            free(units[i].lines[k]);
        free(units[i].lines);
    }
    for (size_t i = 0; i < source_count; i++) {
        free(sources[i].file);
        free(sources[i].text);
        cJSON_Delete(sources[i].json);
    }
    catalog_set_destroy(&set);
    return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* The catalog's source JSON by id, or NULL. */
static const cJSON *source_json(const char *id)
{
    for (size_t i = 0; i < source_count; i++) {
        const cJSON *json_id = json_path(sources[i].json, "id");
        if (cJSON_IsString(json_id) && strcmp(json_id->valuestring, id) == 0)
            return sources[i].json;
    }
    return NULL;
}

/* The catalog and its bases (extends), nearest first; returns the count. */
static size_t chain(const char *id, const cJSON *out[8])
{
    size_t count = 0;
    const cJSON *json = source_json(id);
    while (json && count < 8) {
        out[count++] = json;
        const cJSON *extends = json_path(json, "extends");
        json = cJSON_IsString(extends) ? source_json(extends->valuestring) : NULL;
    }
    return count;
}

/* Assess bundle text against a catalog of `catalogs`: the result document
   printed, or NULL (and a failure) when the bundle does not parse. */
static char *assess_text(const catalog_set_t *catalogs, const catalog_t *catalog, const char *text,
                         const char *what)
{
    diag_list_t *diags = diag_list_new();
    bundle_t *bundle = bundle_parse("unit", text, strlen(text), catalogs, NULL, diags);
    if (!bundle) {
        char *messages = diag_list_format(diags);
        PROP_FAIL("%s: %s: bundle does not parse: %s", catalog_id(catalog), what, messages);
        free(messages);
        diag_list_destroy(&diags);
        return NULL;
    }
    diag_list_destroy(&diags);
    assessment_t *assessment = engine_assess(catalog, bundle);
    bundle_destroy(&bundle);
    assert_non_null(assessment);
    cJSON *json = assessment_to_json(assessment);
    assessment_destroy(&assessment);
    assert_non_null(json);
    char *printed = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    return printed;
}

static cJSON *assess_json(const catalog_t *catalog, const char *text, const char *what)
{
    char *printed = assess_text(set, catalog, text, what);
    if (!printed)
        return NULL;
    cJSON *json = cJSON_Parse(printed);
    free(printed);
    assert_non_null(json);
    return json;
}

static void print_and_free(cJSON *json, char **text)
{
    *text = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
}

static const char *unit_id(const cJSON *bundle)
{
    const cJSON *id = json_path(json_path(bundle, "unit"), "id");
    return cJSON_IsString(id) ? id->valuestring : "?";
}

static double round2(double x)
{
    double r = round(x * 100.0) / 100.0;
    return r == 0 ? 0 : r;
}

static bool same_number(const cJSON *a, double b)
{
    return cJSON_IsNumber(a) && fabs(a->valuedouble - b) < 1e-9;
}

/* The clause entry of a result by id, or NULL. */
static const cJSON *result_clause(const cJSON *result, const char *id)
{
    const cJSON *clause;
    cJSON_ArrayForEach(clause, json_path(result, "clauses")) {
        if (strcmp(json_path(clause, "id")->valuestring, id) == 0)
            return clause;
    }
    return NULL;
}

/* ---- determinism ------------------------------------------------------- */

/* `catalog` on its own, without sharing outcomes between checks of the
   same rule: what a shared session must give. */
static assessment_t *assess_unshared(const catalog_t *catalog, const bundle_t *bundle)
{
    engine_session_t *session = engine_session_new(bundle);
    if (!session)
        return NULL;
    session_share_rules(session, false);
    assessment_t *assessment = engine_session_assess(session, catalog);
    engine_session_destroy(&session);
    return assessment;
}

static void test_determinism(void **state)
{
    catalog_set_t *again = compile_set(true);
    size_t assessed = 0;
    for (size_t c = 0; c < catalog_set_size(set); c++) {
        const catalog_t *catalog = catalog_set_at(set, c);
        const catalog_t *other = catalog_set_find(again, catalog_id(catalog));
        assert_non_null(other);
        for (size_t u = 0; u < units[c].count; u++) {
            const char *line = units[c].lines[u];
            cJSON *bundle = cJSON_Parse(line);
            assert_non_null(bundle);
            const char *id = unit_id(bundle);

            /* one parsed bundle, assessed twice, printed twice */
            diag_list_t *diags = diag_list_new();
            bundle_t *parsed = bundle_parse("unit", line, strlen(line), set, NULL, diags);
            diag_list_destroy(&diags);
            if (!parsed) {
                PROP_FAIL("%s: %s: generated bundle does not parse", catalog_id(catalog), id);
                cJSON_Delete(bundle);
                continue;
            }
            assessment_t *first = engine_assess(catalog, parsed);
            assessment_t *second = engine_assess(catalog, parsed);
            /* one session shared by every catalog of the set, this one
               last (so it finds what the others evaluated), each of the
               others as it is alone, every check_t evaluated for itself */
            char *texts[9];
            texts[7] = NULL;
            texts[8] = NULL;
            assessment_t *unshared = assess_unshared(catalog, parsed);
            if (unshared)
                print_and_free(assessment_to_json(unshared), &texts[8]);
            assessment_destroy(&unshared);
            engine_session_t *session = engine_session_new(parsed);
            if (!session)
                PROP_FAIL("%s: %s: no session", catalog_id(catalog), id);
            for (size_t k = catalog_set_size(set); session && k-- > 0;) {
                const catalog_t *each = catalog_set_at(set, k);
                if (each == catalog)
                    continue;
                assessment_t *shared = engine_session_assess(session, each);
                assessment_t *alone = assess_unshared(each, parsed);
                char *pair[2] = { NULL, NULL };
                if (shared)
                    print_and_free(assessment_to_json(shared), &pair[0]);
                if (alone)
                    print_and_free(assessment_to_json(alone), &pair[1]);
                if (!pair[0] || !pair[1] || strcmp(pair[0], pair[1]) != 0)
                    PROP_FAIL("%s: %s: %s differs in a shared session", catalog_id(catalog), id,
                              catalog_id(each));
                free(pair[0]);
                free(pair[1]);
                assessment_destroy(&shared);
                assessment_destroy(&alone);
            }
            assessment_t *shared = session ? engine_session_assess(session, catalog) : NULL;
            if (shared)
                print_and_free(assessment_to_json(shared), &texts[7]);
            assessment_destroy(&shared);
            engine_session_destroy(&session);
            bundle_destroy(&parsed);
            cJSON *json = assessment_to_json(first);
            char *reference = cJSON_PrintUnformatted(json);
            cJSON_Delete(json);
            print_and_free(assessment_to_json(first), &texts[0]);
            print_and_free(assessment_to_json(second), &texts[1]);
            /* stored as an outcome, read back with the catalog */
            char *outcome = assessment_outcome(first);
            assert_non_null(outcome);
            assessment_head_t head = { assessment_unit(first), assessment_unit_name(first),
                                       assessment_org(first), assessment_as_of(first) };
            char error[256] = "";
            assessment_t *stored = assessment_from_outcome(catalog, &head, outcome,
                                                           strlen(outcome), error, sizeof error);
            if (!stored)
                PROP_FAIL("%s: %s: outcome not read back: %s", catalog_id(catalog), id, error);
            texts[6] = NULL;
            if (stored)
                print_and_free(assessment_to_json(stored), &texts[6]);
            assessment_destroy(&stored);
            free(outcome);
            assessment_destroy(&first);
            assessment_destroy(&second);
            /* the bundle parsed again from its text, and from another
               serialization of it (indented, keys in the same order) */
            texts[2] = assess_text(set, catalog, line, "re-parsed");
            char *indented = cJSON_Print(bundle);
            texts[3] = assess_text(set, catalog, indented, "re-serialized");
            free(indented);
            /* the catalogs compiled again, added in reverse order */
            texts[4] = assess_text(again, other, line, "recompiled catalogs");
            /* the result through a JSON round trip */
            cJSON *round_trip = cJSON_Parse(reference);
            print_and_free(round_trip, &texts[5]);
            static const char *const how[] = {
                "to_json again", "second assessment", "bundle re-parsed", "bundle re-serialized",
                "catalogs recompiled", "result re-parsed", "stored outcome read back",
                "shared session", "rules unshared"
            };
            for (int k = 0; k < 9; k++) {
                if (!texts[k] || strcmp(texts[k], reference) != 0)
                    PROP_FAIL("%s: %s: result differs (%s)", catalog_id(catalog), id, how[k]);
                free(texts[k]);
            }
            free(reference);
            cJSON_Delete(bundle);
            assessed++;
        }
    }
    catalog_set_destroy(&again);
    printf("determinism: %zu units x 9 ways, over %zu catalogs\n", assessed, catalog_set_size(set));
    assert_no_failures("determinism");
}

/* ---- explanations ------------------------------------------------------ */

/* The bundle's item with that id, or NULL. */
static const cJSON *bundle_item(const cJSON *bundle, const char *id)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, json_path(bundle, "evidence")) {
        const cJSON *item_id = json_path(item, "id");
        if (cJSON_IsString(item_id) && strcmp(item_id->valuestring, id) == 0)
            return item;
    }
    return NULL;
}

static bool item_expired(const cJSON *item, const char *as_of)
{
    const cJSON *expires = json_path(item, "expires");
    return cJSON_IsString(expires) && strncmp(expires->valuestring, as_of, 10) < 0;
}

/* Every id of `ids` is an item of the bundle, listed once; `expired`
   lists only expired items and `evidence` none. */
static void check_ids(const char *catalog, const char *unit, const cJSON *bundle, const cJSON *ids,
                      const char *where, bool expired_list, size_t *cited)
{
    const char *as_of = json_path(bundle, "as_of")->valuestring;
    if (!cJSON_IsArray(ids)) {
        PROP_FAIL("%s: %s: %s is not an array", catalog, unit, where);
        return;
    }
    const cJSON *id;
    int position = 0;
    cJSON_ArrayForEach(id, ids) {
        if (!cJSON_IsString(id)) {
            PROP_FAIL("%s: %s: %s holds a non-string", catalog, unit, where);
            continue;
        }
        (*cited)++;
        const cJSON *item = bundle_item(bundle, id->valuestring);
        if (!item) {
            PROP_FAIL("%s: %s: %s cites %s, not in the bundle", catalog, unit, where, id->valuestring);
            continue;
        }
        if (expired_list && !item_expired(item, as_of))
            PROP_FAIL("%s: %s: %s names %s as expired, it is not", catalog, unit, where, id->valuestring);
        if (!expired_list && item_expired(item, as_of))
            PROP_FAIL("%s: %s: %s cites the expired item %s", catalog, unit, where, id->valuestring);
        int other_position = 0;
        const cJSON *other;
        cJSON_ArrayForEach(other, ids) {
            if (other_position++ < position && cJSON_IsString(other)
                && strcmp(other->valuestring, id->valuestring) == 0)
                PROP_FAIL("%s: %s: %s cites %s twice", catalog, unit, where, id->valuestring);
        }
        position++;
    }
}

static void test_explanations(void **state)
{
    size_t cited = 0, checks = 0;
    for (size_t c = 0; c < catalog_set_size(set); c++) {
        const catalog_t *catalog = catalog_set_at(set, c);
        const char *cid = catalog_id(catalog);
        for (size_t u = 0; u < units[c].count; u++) {
            cJSON *bundle = cJSON_Parse(units[c].lines[u]);
            const char *id = unit_id(bundle);
            cJSON *result = assess_json(catalog, units[c].lines[u], id);
            if (!result) {
                cJSON_Delete(bundle);
                continue;
            }
            char where[512];
            const cJSON *check;
            cJSON_ArrayForEach(check, json_path(result, "checks")) {
                const char *check_id = json_path(check, "id")->valuestring;
                snprintf(where, sizeof where, "check %s evidence", check_id);
                check_ids(cid, id, bundle, json_path(check, "evidence"), where, false, &cited);
                snprintf(where, sizeof where, "check %s expired", check_id);
                check_ids(cid, id, bundle, json_path(check, "expired"), where, true, &cited);
                checks++;
            }
            const cJSON *finding;
            cJSON_ArrayForEach(finding, json_path(result, "findings")) {
                const char *check_id = json_path(finding, "check")->valuestring;
                snprintf(where, sizeof where, "finding of %s evidence", check_id);
                check_ids(cid, id, bundle, json_path(finding, "evidence"), where, false, &cited);
                /* a finding is a failing or erroring check of the list */
                const cJSON *source = by_id(result, "checks", check_id);
                const char *status = json_path(source, "status")->valuestring;
                if (strcmp(status, "fail") != 0 && strcmp(status, "error") != 0)
                    PROP_FAIL("%s: %s: finding for check %s, whose status is %s", cid, id, check_id, status);
            }
            cJSON_Delete(result);
            cJSON_Delete(bundle);
        }
    }
    printf("explanations: %zu checks, %zu ids cited, all in their bundles\n", checks, cited);
    assert_true(cited > 0);
    assert_no_failures("explanations");
}

/* ---- the empty bundle ---------------------------------------------------- */

static void test_empty_bundle(void **state)
{
    size_t clauses = 0;
    for (size_t c = 0; c < catalog_set_size(set); c++) {
        const catalog_t *catalog = catalog_set_at(set, c);
        const char *cid = catalog_id(catalog);
        for (size_t u = 0; u < units[c].count; u++) {
            cJSON *bundle = cJSON_Parse(units[c].lines[u]);
            const char *id = unit_id(bundle);
            cJSON_ReplaceItemInObjectCaseSensitive(bundle, "evidence", cJSON_CreateArray());
            char *text = cJSON_PrintUnformatted(bundle);
            cJSON *result = assess_json(catalog, text, "empty bundle");
            free(text);
            if (!result) {
                cJSON_Delete(bundle);
                continue;
            }
            const cJSON *clause;
            cJSON_ArrayForEach(clause, json_path(result, "clauses")) {
                if (!cJSON_IsTrue(json_path(clause, "applicable")))
                    continue;
                clauses++;
                if (!same_number(json_path(clause, "level"), 0)) {
                    char *level = compact(json_path(clause, "level"));
                    PROP_FAIL("%s: %s with no evidence: clause %s is at level %s", cid, id,
                              json_path(clause, "id")->valuestring, level);
                    free(level);
                }
            }
            if (!same_number(json_path(result, "maturity"), 0))
                PROP_FAIL("%s: %s with no evidence: maturity %g", cid, id,
                          json_path(result, "maturity")->valuedouble);
            const char *readiness = json_path(result, "readiness")->valuestring;
            const char *expected = catalog_certifiable(catalog) ? "not_ready" : "n/a";
            if (strcmp(readiness, expected) != 0)
                PROP_FAIL("%s: %s with no evidence: readiness %s, expected %s", cid, id, readiness, expected);
            cJSON_Delete(result);
            cJSON_Delete(bundle);
        }
    }
    printf("empty bundle: %zu applicable clauses at level 0\n", clauses);
    assert_true(clauses > 0);
    assert_no_failures("empty bundle");
}

/* ---- not applicable clauses and maturity --------------------------------- */

/* The top-level ancestor of a clause, following "parent" in the result. */
static const char *top_level(const cJSON *result, const cJSON *clause)
{
    for (int depth = 0; depth < 64; depth++) {
        const cJSON *parent = json_path(clause, "parent");
        if (!cJSON_IsString(parent))
            return json_path(clause, "id")->valuestring;
        const cJSON *up = result_clause(result, parent->valuestring);
        if (!up)
            return NULL;
        clause = up;
    }
    return NULL;
}

/* Recompute maturity and maturity_by_clause from the clause list alone:
   weighted mean of the applicable assessed levels. Returns the number of
   mismatches (reported). */
static void check_maturity(const char *cid, const char *unit, const cJSON *result, const char *what)
{
    double weights = 0, sum = 0;
    const cJSON *clause;
    cJSON_ArrayForEach(clause, json_path(result, "clauses")) {
        bool applicable = cJSON_IsTrue(json_path(clause, "applicable"));
        const cJSON *level = json_path(clause, "level");
        const char *status = json_path(clause, "status")->valuestring;
        const char *id = json_path(clause, "id")->valuestring;
        if (!applicable && (!cJSON_IsNull(level) || strcmp(status, "not_applicable") != 0))
            PROP_FAIL("%s: %s%s: not applicable clause %s has a level or status %s", cid, unit, what, id, status);
        if (applicable && !cJSON_IsNumber(level))
            PROP_FAIL("%s: %s%s: applicable clause %s has no level", cid, unit, what, id);
        if (!applicable || !cJSON_IsTrue(json_path(clause, "assessed")))
            continue;
        double weight = json_path(clause, "weight")->valuedouble;
        weights += weight;
        sum += weight * level->valuedouble;
    }
    double expected = weights > 0 ? round2(sum / weights) : 0;
    if (!same_number(json_path(result, "maturity"), expected))
        PROP_FAIL("%s: %s%s: maturity %g, the applicable assessed clauses give %g", cid, unit, what,
                  json_path(result, "maturity")->valuedouble, expected);

    /* per top-level clause */
    const cJSON *by_clause = json_path(result, "maturity_by_clause");
    const cJSON *top;
    cJSON_ArrayForEach(top, json_path(result, "clauses")) {
        if (cJSON_IsString(json_path(top, "parent")))
            continue;
        const char *top_id = json_path(top, "id")->valuestring;
        double w = 0, s = 0;
        cJSON_ArrayForEach(clause, json_path(result, "clauses")) {
            if (!cJSON_IsTrue(json_path(clause, "applicable")) || !cJSON_IsTrue(json_path(clause, "assessed")))
                continue;
            const char *root = top_level(result, clause);
            if (!root || strcmp(root, top_id) != 0)
                continue;
            double weight = json_path(clause, "weight")->valuedouble;
            w += weight;
            s += weight * json_path(clause, "level")->valuedouble;
        }
        const cJSON *reported = json_path(by_clause, top_id);
        if (w == 0 && reported)
            PROP_FAIL("%s: %s%s: maturity_by_clause lists %s, which has no applicable assessed clause",
                      cid, unit, what, top_id);
        if (w > 0 && !same_number(reported, round2(s / w)))
            PROP_FAIL("%s: %s%s: maturity_by_clause %s is %g, recomputed %g", cid, unit, what, top_id,
                      reported ? reported->valuedouble : -1, round2(s / w));
    }
}

/* Whether the rules of a clause (its own applies_if and checks in the
   catalog and its bases, and its ancestors' applies_if) may read unit
   attribute `name`. Over-approximates: a rule reading the whole unit or
   attribute object, or a computed var path, may read anything. */
static bool text_reads(const char *text, const char *name)
{
    if (strstr(text, "\"$unit\"") || strstr(text, "\"$unit.attributes\"")
        || strstr(text, "\"attributes\"") || strstr(text, "\"var\":{") || strstr(text, "\"var\":[{"))
        return true;
    char pattern[256];
    for (const char *at = text; (at = strstr(at, "attributes.")); at++) {
        snprintf(pattern, sizeof pattern, "attributes.%s", name);
        size_t length = strlen(pattern);
        if (strncmp(at, pattern, length) == 0 && (at[length] == '"' || at[length] == '.'))
            return true;
    }
    return false;
}

static const cJSON *source_clause(const cJSON *catalog, const char *id)
{
    const cJSON *clause;
    cJSON_ArrayForEach(clause, json_path(catalog, "clauses")) {
        const cJSON *clause_id = json_path(clause, "id");
        if (cJSON_IsString(clause_id) && strcmp(clause_id->valuestring, id) == 0)
            return clause;
    }
    return NULL;
}

static bool clause_reads(const cJSON *const *catalogs, size_t catalog_count, const cJSON *result,
                         const char *clause_id, const char *name)
{
    bool own = true;
    for (int depth = 0; clause_id && depth < 64; depth++, own = false) {
        for (size_t k = 0; k < catalog_count; k++) {
            const cJSON *clause = source_clause(catalogs[k], clause_id);
            if (!clause)
                continue;
            /* the clause itself: all of it; an ancestor: its applies_if */
            const cJSON *part = own ? clause : json_path(clause, "applies_if");
            if (!part)
                continue;
            char *text = cJSON_PrintUnformatted(part);
            bool reads = text_reads(text, name);
            free(text);
            if (reads)
                return true;
        }
        const cJSON *entry = result_clause(result, clause_id);
        const cJSON *parent = entry ? json_path(entry, "parent") : NULL;
        clause_id = cJSON_IsString(parent) ? parent->valuestring : NULL;
    }
    return false;
}

static void test_not_applicable(void **state)
{
    size_t flips = 0, compared = 0, turned_off = 0;
    for (size_t c = 0; c < catalog_set_size(set); c++) {
        const catalog_t *catalog = catalog_set_at(set, c);
        const char *cid = catalog_id(catalog);
        const cJSON *catalogs[8];
        size_t catalog_count = chain(cid, catalogs);
        assert_true(catalog_count > 0);
        size_t catalog_off = 0;
        for (size_t u = 0; u < units[c].count; u++) {
            cJSON *bundle = cJSON_Parse(units[c].lines[u]);
            const char *id = unit_id(bundle);
            cJSON *base = assess_json(catalog, units[c].lines[u], id);
            if (!base) {
                cJSON_Delete(bundle);
                continue;
            }
            check_maturity(cid, id, base, "");

            /* flip each boolean attribute the catalog (or a base) declares */
            for (size_t k = 0; k < catalog_count; k++) {
                const cJSON *declared;
                cJSON_ArrayForEach(declared, json_path(catalogs[k], "attributes")) {
                    const cJSON *type = json_path(declared, "type");
                    if (!cJSON_IsString(type) || strcmp(type->valuestring, "boolean") != 0)
                        continue;
                    const char *name = declared->string;
                    cJSON *copy = cJSON_Duplicate(bundle, true);
                    cJSON *unit = json_path(copy, "unit");
                    cJSON *attributes = json_path(unit, "attributes");
                    if (!attributes)
                        attributes = cJSON_AddObjectToObject(unit, "attributes");
                    bool value = cJSON_IsTrue(json_path(attributes, name));
                    cJSON_DeleteItemFromObjectCaseSensitive(attributes, name);
                    cJSON_AddBoolToObject(attributes, name, !value);
                    char *text = cJSON_PrintUnformatted(copy);
                    cJSON_Delete(copy);
                    char what[300];
                    snprintf(what, sizeof what, " with %s=%s", name, value ? "false" : "true");
                    cJSON *flipped = assess_json(catalog, text, what);
                    free(text);
                    if (!flipped)
                        continue;
                    flips++;
                    check_maturity(cid, id, flipped, what);
                    const cJSON *before;
                    cJSON_ArrayForEach(before, json_path(base, "clauses")) {
                        const char *clause_id = json_path(before, "id")->valuestring;
                        const cJSON *after = result_clause(flipped, clause_id);
                        if (!after) {
                            PROP_FAIL("%s: %s%s: clause %s vanished", cid, id, what, clause_id);
                            continue;
                        }
                        bool was = cJSON_IsTrue(json_path(before, "applicable"));
                        bool is = cJSON_IsTrue(json_path(after, "applicable"));
                        if (was && !is && cJSON_IsTrue(json_path(before, "assessed"))) {
                            turned_off++;
                            catalog_off++;
                        }
                        if (!cJSON_IsTrue(json_path(before, "assessed"))
                            || clause_reads(catalogs, catalog_count, base, clause_id, name))
                            continue;
                        compared++;
                        char *a = compact(before), *b = compact(after);
                        if (strcmp(a, b) != 0)
                            PROP_FAIL("%s: %s%s: clause %s does not read %s but changed: %s -> %s", cid, id,
                                      what, clause_id, name, a, b);
                        free(a);
                        free(b);
                    }
                    cJSON_Delete(flipped);
                }
            }
            cJSON_Delete(base);
            cJSON_Delete(bundle);
        }
        printf("not applicable: %s: %zu clauses turned not applicable by a flip\n", cid, catalog_off);
    }
    printf("not applicable: %zu flips, %zu unaffected clauses compared, %zu clauses turned off\n", flips,
           compared, turned_off);
    assert_true(turned_off > 0);
    assert_no_failures("not applicable");
}

/* ---- monotonicity ------------------------------------------------------ */

/* How the rules read each kind, to tell the documents and records a
   catalog requires from the events whose presence obliges follow-up.

   A read is DEMANDING where one more item can only help the check pass:
   reached through the first argument of some / all / filter / map, count,
   merge, latest, max, +, *, and / or / !!, an if branch, or the larger
   side of a two-argument comparison (">=": [count, 1]).

   A read is CONDITIONAL where the mere presence of the kind switches on
   an obligation: under "!" ("no supplier audit, or qualified auditors")
   or in an applies_if.

   Every other read (none, ==, a between, the smaller side of a
   comparison...) is JUDGING: it looks at what the items say.

   A kind is required when some rule demands it and none is conditional
   on it. Events (changes, complaints, concessions, advisory notices...)
   are read only by judging or conditional rules: a new change record
   without its impact assessment rightly lowers a level, so the property
   does not add them. */
enum { DEMANDING = 1, JUDGING = 2, CONDITIONAL = 4 };

static void mark_kind(cJSON *marks, const cJSON *kind, int how)
{
    if (!cJSON_IsString(kind))
        return;
    cJSON *mark = cJSON_GetObjectItemCaseSensitive(marks, kind->valuestring);
    if (mark) {
        int merged = (int) mark->valuedouble | how;
        cJSON_SetNumberValue(mark, merged);
    } else
        cJSON_AddNumberToObject(marks, kind->valuestring, how);
}

/* `how` is the kind of read an evidence operator here would be. */
static void mark_reads(cJSON *marks, const cJSON *expr, int how)
{
    if (cJSON_IsArray(expr)) {
        const cJSON *element;
        cJSON_ArrayForEach(element, expr) mark_reads(marks, element, how);
        return;
    }
    if (!cJSON_IsObject(expr) || !expr->child)
        return;
    const char *op = expr->child->string;
    const cJSON *args = expr->child;
    int count = cJSON_IsArray(args) ? cJSON_GetArraySize(args) : 1;
#define ARG(k) (cJSON_IsArray(args) ? cJSON_GetArrayItem(args, k) : (k) == 0 ? args : NULL)
    if (strcmp(op, "evidence") == 0) {
        mark_kind(marks, ARG(0), how);
        mark_reads(marks, ARG(1), how & CONDITIONAL ? CONDITIONAL : JUDGING);
        return;
    }
    if (strcmp(op, "coverage") == 0) {
        mark_kind(marks, ARG(1), how);
        mark_reads(marks, ARG(0), how & CONDITIONAL ? CONDITIONAL : JUDGING);
        mark_reads(marks, ARG(3), how & CONDITIONAL ? CONDITIONAL : JUDGING);
        return;
    }
    int judging = how & CONDITIONAL ? CONDITIONAL : JUDGING;
    int first = judging, second = judging, rest = judging;
    static const char *const keep[] = { "and", "or", "!!", "count", "merge", "latest", "max", "+", "*" };
    for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
        if (strcmp(op, keep[k]) == 0)
            first = second = rest = how;
    if (strcmp(op, "!") == 0)
        first = second = rest = CONDITIONAL;
    else if (strcmp(op, "some") == 0 || strcmp(op, "all") == 0 || strcmp(op, "filter") == 0
             || strcmp(op, "map") == 0)
        first = how;
    else if (strcmp(op, "if") == 0)
        second = rest = how;
    else if ((strcmp(op, ">") == 0 || strcmp(op, ">=") == 0) && count == 2)
        first = how;
    else if ((strcmp(op, "<") == 0 || strcmp(op, "<=") == 0) && count == 2)
        second = how;
    for (int k = 0; k < count; k++)
        mark_reads(marks, ARG(k), k == 0 ? first : k == 1 ? second : rest);
#undef ARG
}

/* Kind -> how it is read, over every rule of the catalog and its bases. */
static cJSON *kind_reads(const cJSON *const *catalogs, size_t catalog_count)
{
    cJSON *marks = cJSON_CreateObject();
    for (size_t k = 0; k < catalog_count; k++) {
        const cJSON *clause;
        cJSON_ArrayForEach(clause, json_path(catalogs[k], "clauses")) {
            mark_reads(marks, json_path(clause, "applies_if"), CONDITIONAL);
            const cJSON *check;
            cJSON_ArrayForEach(check, json_path(clause, "checks")) {
                mark_reads(marks, json_path(check, "applies_if"), CONDITIONAL);
                mark_reads(marks, json_path(check, "expr"), DEMANDING);
            }
        }
    }
    return marks;
}

static bool required_kind(const cJSON *marks, const char *kind)
{
    const cJSON *mark = json_path(marks, kind);
    int how = mark ? (int) mark->valuedouble : 0;
    return (how & DEMANDING) && !(how & CONDITIONAL);
}

static bool bundle_has_kind(const cJSON *bundle, const char *kind)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, json_path(bundle, "evidence")) {
        const cJSON *item_kind = json_path(item, "kind");
        if (cJSON_IsString(item_kind) && strcmp(item_kind->valuestring, kind) == 0)
            return true;
    }
    return false;
}

static void test_monotonic(void **state)
{
    size_t additions = 0, raised = 0;
    for (size_t c = 0; c < catalog_set_size(set); c++) {
        const catalog_t *catalog = catalog_set_at(set, c);
        const char *cid = catalog_id(catalog);
        const cJSON *catalogs[8];
        size_t catalog_count = chain(cid, catalogs);
        cJSON *reads = kind_reads(catalogs, catalog_count);
        size_t required = 0, other = 0;
        char other_list[4096] = "";
        for (size_t k = 0; k < catalog_count; k++) {
            const cJSON *declared;
            cJSON_ArrayForEach(declared, json_path(catalogs[k], "kinds")) {
                if (required_kind(reads, declared->string))
                    required++;
                else {
                    other++;
                    size_t used = strlen(other_list);
                    snprintf(other_list + used, sizeof other_list - used, "%s%s", used ? " " : "",
                             declared->string);
                }
            }
        }
        printf("monotonicity: %s: %zu required kinds; not added (events, conditional or unread): %s\n",
               cid, required, other ? other_list : "none");
        for (size_t u = 0; u < units[c].count; u++) {
            cJSON *bundle = cJSON_Parse(units[c].lines[u]);
            const char *id = unit_id(bundle);
            const char *as_of = json_path(bundle, "as_of")->valuestring;
            cJSON *base = assess_json(catalog, units[c].lines[u], id);
            if (!base) {
                cJSON_Delete(bundle);
                continue;
            }
            for (size_t k = 0; k < catalog_count; k++) {
                const cJSON *declared;
                cJSON_ArrayForEach(declared, json_path(catalogs[k], "kinds")) {
                    const char *kind = declared->string;
                    const char *type = json_path(declared, "type")->valuestring;
                    if ((strcmp(type, "document") != 0 && strcmp(type, "record") != 0)
                        || !required_kind(reads, kind) || bundle_has_kind(bundle, kind))
                        continue;
                    cJSON *copy = cJSON_Duplicate(bundle, true);
                    cJSON *item = cJSON_CreateObject();
                    cJSON_AddStringToObject(item, "id", "PROPERTY-TEST-ADDED-1");
                    cJSON_AddStringToObject(item, "kind", kind);
                    cJSON_AddStringToObject(item, "type", type);
                    cJSON_AddStringToObject(item, "title", "Added by the monotonicity property");
                    cJSON_AddStringToObject(item, "status", "approved");
                    cJSON_AddStringToObject(item, "date", as_of);
                    cJSON_AddItemToArray(json_path(copy, "evidence"), item);
                    char *text = cJSON_PrintUnformatted(copy);
                    cJSON_Delete(copy);
                    char what[300];
                    snprintf(what, sizeof what, " plus a %s", kind);
                    cJSON *after = assess_json(catalog, text, what);
                    free(text);
                    if (!after)
                        continue;
                    additions++;
                    const cJSON *before;
                    cJSON_ArrayForEach(before, json_path(base, "clauses")) {
                        const char *clause_id = json_path(before, "id")->valuestring;
                        const cJSON *now = result_clause(after, clause_id);
                        bool was = cJSON_IsTrue(json_path(before, "applicable"));
                        bool is = now && cJSON_IsTrue(json_path(now, "applicable"));
                        if (was != is) {
                            PROP_FAIL("%s: %s%s: clause %s %s applicable", cid, id, what, clause_id,
                                      is ? "became" : "is no longer");
                            continue;
                        }
                        if (!was)
                            continue;
                        double old_level = json_path(before, "level")->valuedouble;
                        double new_level = json_path(now, "level")->valuedouble;
                        if (new_level < old_level)
                            PROP_FAIL("%s: %s%s: clause %s fell from level %g to %g", cid, id, what,
                                      clause_id, old_level, new_level);
                        raised += new_level > old_level && cJSON_IsTrue(json_path(before, "assessed"));
                    }
                    cJSON_Delete(after);
                }
            }
            cJSON_Delete(base);
            cJSON_Delete(bundle);
        }
        cJSON_Delete(reads);
    }
    printf("monotonicity: %zu items added, %zu assessed clause levels raised\n", additions, raised);
    assert_true(additions > 0);
    assert_no_failures("monotonicity");
}

int main(int argc, char **argv)
{
    if (argc > 1)
        catalogs_dir = argv[1];
    if (argc > 2)
        units_dir = argv[2];
    if (getenv("PROPERTY_REPORT"))
        max_reported = atoi(getenv("PROPERTY_REPORT"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_explanations),
        cmocka_unit_test(test_empty_bundle),
        cmocka_unit_test(test_not_applicable),
        cmocka_unit_test(test_monotonic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
