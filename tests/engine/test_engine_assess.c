/*  test_engine_assess.c - scoring and the result document: clause levels,
    nonconformity severities, readiness, not_applicable handling, heading
    aggregation, weighted means and their printing, explanations, errors,
    mappings, extends, determinism, evaluation sessions, and a speed check.
*/
#include "engine_test.h"
#include "session.h"

#include <time.h>

#define KINDS "\"kinds\": {\"doc\": {\"type\": \"document\", \"description\": \"a document\"}," \
              " \"rec\": {\"type\": \"record\", \"description\": \"a record\"}," \
              " \"policy\": {\"type\": \"document\", \"description\": \"a policy\"}}, " \
              "\"attributes\": {\"sterile\": {\"type\": \"boolean\"}, \"flag\": {\"type\": \"boolean\"}}, "

#define CHECK(id, level, severity, expr) \
    "{\"id\": \"" id "\", \"level\": " #level ", \"severity\": \"" severity "\", \"text\": \"" id " text\", \"expr\": " expr "}"
#define CLAUSE(id, parent, weight, checks) \
    "{\"id\": \"" id "\", \"title\": \"Clause " id "\", \"parent\": " parent ", \"kind\": \"requirement\", \"weight\": " #weight ", \"checks\": [" checks "]}"
#define HEADING(id, parent) \
    "{\"id\": \"" id "\", \"title\": \"Heading " id "\", \"parent\": " parent ", \"kind\": \"requirement\"}"

static const char *default_bundle =
    "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u1\", \"name\": \"Unit 1\", \"org\": \"acme\","
    " \"attributes\": {\"sterile\": false, \"flag\": true}}, \"as_of\": \"2026-11-01\", \"evidence\": ["
    " {\"id\": \"D-1\", \"kind\": \"doc\", \"type\": \"document\", \"status\": \"approved\", \"date\": \"2026-01-01\"},"
    " {\"id\": \"D-2\", \"kind\": \"doc\", \"type\": \"document\", \"status\": \"draft\", \"date\": \"2026-02-01\"},"
    " {\"id\": \"D-3\", \"kind\": \"doc\", \"type\": \"document\", \"status\": \"approved\", \"date\": \"2024-01-01\","
    "  \"expires\": \"2025-01-01\"},"
    " {\"id\": \"R-1\", \"kind\": \"rec\", \"type\": \"record\", \"date\": \"2024-06-01\"}"
    "]}";

/* Assess `bundle_text` against a catalog made of `clauses`; returns the
   result document (caller deletes). */
static cJSON *assess_with(const char *clauses, bool certifiable, const char *bundle_text)
{
    char *text = malloc(strlen(clauses) + 2048);
    sprintf(text,
            "{\"assay\": \"catalog/1\", \"id\": \"score-1\", \"standard\": \"S\", \"edition\": \"2024\","
            " \"title\": \"Scoring\", \"certifiable\": %s, \"levels\": [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\"], "
            KINDS "\"clauses\": [%s]}",
            certifiable ? "true" : "false", clauses);
    catalog_set_t *set = make_set(text, NULL);
    bundle_t *bundle = make_bundle(bundle_text ? bundle_text : default_bundle, set);
    assessment_t *assessment = engine_assess(catalog_set_at(set, 0), bundle);
    assert_non_null(assessment);
    /* the assessment does not need the bundle any more */
    bundle_destroy(&bundle);
    cJSON *result = assessment_to_json(assessment);
    assessment_destroy(&assessment);
    assert_null(assessment);
    catalog_set_destroy(&set);
    free(text);
    return result;
}

static const cJSON *clause(const cJSON *result, const char *id)
{
    return by_id(result, "clauses", id);
}

static const cJSON *check(const cJSON *result, const char *id)
{
    return by_id(result, "checks", id);
}

static void assert_clause(const cJSON *result, const char *id, const char *level, const char *status)
{
    const cJSON *c = clause(result, id);
    char *got_level = compact(json_path(c, "level"));
    if (strcmp(got_level, level) != 0 || strcmp(json_path(c, "status")->valuestring, status) != 0)
        fail_msg("clause %s: level %s status %s, expected %s %s", id, got_level,
                 json_path(c, "status")->valuestring, level, status);
    free(got_level);
}

static void test_levels(void **state)
{
    cJSON *result = assess_with(
        CLAUSE("a", "null", 1, CHECK("a/1", 1, "major", "true") "," CHECK("a/2", 2, "major", "true") ","
               CHECK("a/3", 3, "minor", "false") "," CHECK("a/4", 4, "minor", "true")) ","
        CLAUSE("b", "null", 1, CHECK("b/1", 1, "major", "false") "," CHECK("b/2", 2, "major", "true")) ","
        CLAUSE("c", "null", 1, CHECK("c/1", 1, "major", "true") "," CHECK("c/2", 2, "major", "true") ","
               CHECK("c/3", 3, "major", "true") "," CHECK("c/4", 4, "major", "true") ","
               CHECK("c/5", 5, "major", "true")) ","
        /* levels need not be contiguous */
        CLAUSE("d", "null", 1, CHECK("d/1", 1, "major", "true") "," CHECK("d/3", 3, "major", "true")) ","
        /* a not_applicable check does not hold a level back */
        CLAUSE("e", "null", 1, CHECK("e/1", 1, "major", "true") ","
               "{\"id\": \"e/2\", \"level\": 2, \"severity\": \"major\", \"text\": \"t\", \"applies_if\": false, \"expr\": false},"
               CHECK("e/3", 3, "major", "true")) ","
        /* the lowest level present failing gives 0 */
        CLAUSE("f", "null", 1, CHECK("f/2", 2, "minor", "false") "," CHECK("f/3", 3, "minor", "true")) ","
        /* two checks at the same level: both must pass */
        CLAUSE("g", "null", 1, CHECK("g/1", 1, "major", "true") "," CHECK("g/2a", 2, "minor", "true") ","
               CHECK("g/2b", 2, "minor", "false")),
        true, NULL);
    assert_clause(result, "a", "2", "minor_nc");
    assert_clause(result, "b", "0", "major_nc");
    assert_clause(result, "c", "5", "conformant");
    assert_clause(result, "d", "3", "conformant");
    assert_clause(result, "e", "3", "conformant");
    assert_clause(result, "f", "0", "minor_nc");
    assert_clause(result, "g", "1", "minor_nc");
    assert_string_equal(json_path(check(result, "e/2"), "status")->valuestring, "not_applicable");
    cJSON_Delete(result);
}

static void test_severities_and_readiness(void **state)
{
    cJSON *result = assess_with(
        CLAUSE("maj", "null", 1, CHECK("maj/1", 1, "major", "false") "," CHECK("maj/2", 2, "major", "false") ","
               CHECK("maj/3", 3, "minor", "false")) ","
        CLAUSE("min", "null", 1, CHECK("min/1", 1, "minor", "false") "," CHECK("min/2", 2, "observation", "false")) ","
        CLAUSE("obs", "null", 1, CHECK("obs/1", 1, "major", "true") "," CHECK("obs/2", 2, "observation", "false")),
        true, NULL);
    assert_clause(result, "maj", "0", "major_nc");
    assert_clause(result, "min", "0", "minor_nc");
    /* a failing observation is a finding that never changes the status */
    assert_clause(result, "obs", "1", "conformant");
    /* counts are of clauses, observations of findings */
    assert_int_equal(json_path(result, "major_nc")->valueint, 1);
    assert_int_equal(json_path(result, "minor_nc")->valueint, 1);
    assert_int_equal(json_path(result, "observations")->valueint, 2);
    assert_string_equal(json_path(result, "readiness")->valuestring, "not_ready");
    assert_int_equal(cJSON_GetArraySize(json_path(result, "findings")), 6);
    const cJSON *finding = cJSON_GetArrayItem(json_path(result, "findings"), 5);
    assert_json_equal(finding, "{\"clause\":\"obs\",\"check\":\"obs/2\",\"severity\":\"observation\","
                               "\"text\":\"obs/2 text\",\"evidence\":[]}");
    cJSON_Delete(result);

    result = assess_with(CLAUSE("min", "null", 1, CHECK("min/1", 1, "minor", "false")) ","
                         CLAUSE("ok", "null", 1, CHECK("ok/1", 1, "major", "true")), true, NULL);
    assert_string_equal(json_path(result, "readiness")->valuestring, "conditional");
    cJSON_Delete(result);

    result = assess_with(CLAUSE("ok", "null", 1, CHECK("ok/1", 1, "major", "true") ","
                                CHECK("ok/2", 2, "observation", "false")), true, NULL);
    assert_string_equal(json_path(result, "readiness")->valuestring, "ready");
    cJSON_Delete(result);

    /* guidance and control catalogs have no readiness */
    result = assess_with(CLAUSE("maj", "null", 1, CHECK("maj/1", 1, "major", "false")), false, NULL);
    assert_string_equal(json_path(result, "readiness")->valuestring, "n/a");
    assert_int_equal(json_path(result, "major_nc")->valueint, 1);
    cJSON_Delete(result);
}

static void test_errors_never_pass(void **state)
{
    cJSON *result = assess_with(
        CLAUSE("e", "null", 1, CHECK("e/1", 1, "major", "{\"count\": 5}") "," CHECK("e/2", 2, "major", "true")) ","
        CLAUSE("m", "null", 1, CHECK("m/1", 1, "major", "true") ","
               CHECK("m/2", 2, "minor", "{\"<\": [{\"age_days\": 7}, 3]}")) ","
        /* an applies_if that cannot be evaluated makes its checks errors */
        "{\"id\": \"x\", \"title\": \"t\", \"parent\": null, \"kind\": \"requirement\","
        " \"applies_if\": {\"in\": [1, 2]}, \"checks\": [" CHECK("x/1", 1, "minor", "true") "]},"
        CLAUSE("x.1", "\"x\"", 1, CHECK("x.1/1", 1, "minor", "true")) ","
        "{\"id\": \"y\", \"title\": \"t\", \"parent\": null, \"kind\": \"requirement\", \"checks\": ["
        " {\"id\": \"y/1\", \"level\": 1, \"severity\": \"major\", \"text\": \"t\","
        "  \"applies_if\": {\"+\": [{\"var\": \"$unit.attributes\"}]}, \"expr\": true}]}",
        true, NULL);
    const cJSON *e1 = check(result, "e/1");
    assert_string_equal(json_path(e1, "status")->valuestring, "error");
    assert_string_equal(json_path(e1, "message")->valuestring, "count: expected an array, got a number");
    assert_clause(result, "e", "0", "major_nc");
    assert_string_equal(json_path(check(result, "m/2"), "status")->valuestring, "error");
    assert_clause(result, "m", "1", "minor_nc");
    assert_string_equal(json_path(check(result, "x/1"), "status")->valuestring, "error");
    assert_string_equal(json_path(check(result, "x/1"), "message")->valuestring,
                        "applies_if of clause x: in: expected a string or an array, got a number");
    /* and the clauses below it */
    assert_string_equal(json_path(check(result, "x.1/1"), "status")->valuestring, "error");
    assert_string_equal(json_path(check(result, "y/1"), "status")->valuestring, "error");
    assert_string_equal(json_path(check(result, "y/1"), "message")->valuestring,
                        "applies_if: +: cannot do arithmetic on an object");
    assert_true(cJSON_IsNull(json_path(check(result, "e/2"), "message")));
    assert_int_equal(cJSON_GetArraySize(json_path(result, "findings")), 5);
    cJSON_Delete(result);
}

static void test_not_applicable(void **state)
{
    cJSON *result = assess_with(
        CLAUSE("a", "null", 1, CHECK("a/1", 1, "major", "true") "," CHECK("a/2", 2, "major", "true") ","
               CHECK("a/3", 3, "major", "true") "," CHECK("a/4", 4, "major", "true")) ","
        "{\"id\": \"s\", \"title\": \"Sterile\", \"parent\": null, \"kind\": \"requirement\","
        " \"applies_if\": {\"var\": \"$unit.attributes.sterile\"}, \"checks\": [" CHECK("s/1", 1, "major", "false") "]},"
        CLAUSE("s.1", "\"s\"", 1, CHECK("s.1/1", 1, "major", "false")) ","
        /* every check not applicable: the clause is not applicable */
        "{\"id\": \"n\", \"title\": \"t\", \"parent\": null, \"kind\": \"requirement\", \"checks\": ["
        " {\"id\": \"n/1\", \"level\": 1, \"severity\": \"major\", \"text\": \"t\","
        "  \"applies_if\": {\"!\": {\"var\": \"$unit.attributes.flag\"}}, \"expr\": false}]}",
        true, NULL);
    assert_clause(result, "s", "null", "not_applicable");
    assert_clause(result, "s.1", "null", "not_applicable");
    assert_clause(result, "n", "null", "not_applicable");
    assert_false(cJSON_IsTrue(json_path(clause(result, "s"), "applicable")));
    assert_true(cJSON_IsTrue(json_path(clause(result, "s"), "assessed")));
    assert_string_equal(json_path(check(result, "s.1/1"), "status")->valuestring, "not_applicable");
    /* excluded from maturity, from NCs and from findings */
    assert_json_equal(json_path(result, "maturity"), "4");
    assert_int_equal(json_path(result, "major_nc")->valueint, 0);
    assert_string_equal(json_path(result, "readiness")->valuestring, "ready");
    assert_int_equal(cJSON_GetArraySize(json_path(result, "findings")), 0);
    cJSON_Delete(result);
}

static void test_headings_and_means(void **state)
{
    cJSON *result = assess_with(
        HEADING("4", "null") ","
        CLAUSE("4.1", "\"4\"", 1, CHECK("4.1/1", 1, "minor", "true") "," CHECK("4.1/2", 2, "minor", "false")) ","
        HEADING("4.2", "\"4\"") ","
        CLAUSE("4.2.1", "\"4.2\"", 3, CHECK("4.2.1/1", 1, "major", "true") "," CHECK("4.2.1/2", 2, "major", "true") ","
               CHECK("4.2.1/3", 3, "major", "true") "," CHECK("4.2.1/4", 4, "major", "false")) ","
        HEADING("5", "null") ","
        "{\"id\": \"5.1\", \"title\": \"t\", \"parent\": \"5\", \"kind\": \"requirement\","
        " \"applies_if\": false, \"checks\": [" CHECK("5.1/1", 1, "major", "true") "]},"
        CLAUSE("6", "null", 1, CHECK("6/1", 1, "major", "true") "," CHECK("6/2", 2, "major", "true") ","
               CHECK("6/3", 3, "major", "true")) ","
        HEADING("7", "null"),
        true, NULL);
    /* 4.2 = its one descendant; 4 = (1*1 + 3*3) / 4 = 2.5, worst status */
    assert_clause(result, "4.2", "3", "major_nc");
    assert_clause(result, "4", "2.5", "major_nc");
    assert_false(cJSON_IsTrue(json_path(clause(result, "4"), "assessed")));
    assert_true(cJSON_IsTrue(json_path(clause(result, "4"), "applicable")));
    /* a heading with nothing applicable below it */
    assert_clause(result, "5", "null", "not_applicable");
    assert_false(cJSON_IsTrue(json_path(clause(result, "5"), "applicable")));
    assert_clause(result, "7", "null", "not_applicable");
    /* maturity over assessed clauses only: (1*1 + 3*3 + 1*3) / 5 = 2.6 */
    assert_json_equal(json_path(result, "maturity"), "2.6");
    assert_json_equal(json_path(result, "maturity_by_clause"), "{\"4\":2.5,\"6\":3}");
    assert_int_equal(json_path(clause(result, "4.2.1"), "weight")->valueint, 3);
    cJSON_Delete(result);

    /* rounding to 2 decimals: (1 + 1 + 2) / 3 */
    result = assess_with(CLAUSE("a", "null", 1, CHECK("a/1", 1, "major", "true")) ","
                         CLAUSE("b", "null", 1, CHECK("b/1", 1, "major", "true")) ","
                         CLAUSE("c", "null", 1, CHECK("c/1", 1, "major", "true") "," CHECK("c/2", 2, "major", "true")),
                         true, NULL);
    assert_json_equal(json_path(result, "maturity"), "1.33");
    cJSON_Delete(result);
    /* nothing applicable at all: maturity 0 */
    result = assess_with("{\"id\": \"a\", \"title\": \"t\", \"parent\": null, \"kind\": \"requirement\","
                         " \"applies_if\": false, \"checks\": [" CHECK("a/1", 1, "major", "true") "]}", true, NULL);
    assert_json_equal(json_path(result, "maturity"), "0");
    assert_json_equal(json_path(result, "maturity_by_clause"), "{}");
    cJSON_Delete(result);
}

static void test_explanations(void **state)
{
    cJSON *result = assess_with(
        CLAUSE("d", "null", 1,
               CHECK("d/approved", 1, "major", "{\"some\": [{\"evidence\": \"doc\"}, {\"==\": [{\"var\": \"status\"}, \"approved\"]}]}") ","
               CHECK("d/released", 2, "minor", "{\"some\": [{\"evidence\": \"doc\"}, {\"==\": [{\"var\": \"status\"}, \"released\"]}]}") ","
               CHECK("d/two", 3, "minor", "{\">=\": [{\"count\": {\"evidence\": [\"doc\", {\"==\": [{\"var\": \"status\"}, \"approved\"]}]}}, 2]}") ","
               CHECK("d/recent", 4, "minor", "{\"some\": [{\"evidence\": \"rec\"}, {\"<=\": [{\"age_days\": {\"var\": \"date\"}}, 365]}]}") ","
               CHECK("d/none", 5, "observation", "{\">=\": [{\"count\": {\"evidence\": \"policy\"}}, 1]}")),
        true, NULL);
    assert_json_equal(json_path(check(result, "d/approved"), "evidence"), "[\"D-1\"]");
    /* D-3 expired before as_of: named, and not counted */
    assert_json_equal(json_path(check(result, "d/approved"), "expired"), "[\"D-3\"]");
    assert_json_equal(json_path(check(result, "d/released"), "evidence"), "[\"D-1\",\"D-2\"]");
    assert_string_equal(json_path(check(result, "d/two"), "status")->valuestring, "fail");
    assert_json_equal(json_path(check(result, "d/two"), "evidence"), "[\"D-2\"]");
    assert_json_equal(json_path(check(result, "d/recent"), "evidence"), "[\"R-1\"]");
    assert_json_equal(json_path(check(result, "d/recent"), "expired"), "[]");
    assert_json_equal(json_path(check(result, "d/none"), "evidence"), "[]");
    /* findings carry the same evidence */
    const cJSON *finding = cJSON_GetArrayItem(json_path(result, "findings"), 0);
    assert_string_equal(json_path(finding, "check")->valuestring, "d/released");
    assert_json_equal(json_path(finding, "evidence"), "[\"D-1\",\"D-2\"]");
    cJSON_Delete(result);
}

static void test_result_document(void **state)
{
    const char *bundle_text =
        "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u1\", \"name\": \"Unit 1\", \"org\": \"acme\"},"
        " \"as_of\": \"2026-11-01\", \"evidence\": ["
        " {\"id\": \"D-1\", \"kind\": \"doc\", \"type\": \"record\", \"status\": \"approved\"}]}";
    cJSON *result = assess_with(CLAUSE("a", "null", 1.5, CHECK("a/1", 1, "major", "true")), true, bundle_text);
    const char *keys[] = { "unit", "unit_name", "org", "standard", "edition", "catalog_sha256", "as_of",
                           "maturity", "maturity_by_clause", "readiness", "major_nc", "minor_nc",
                           "observations", "clauses", "checks", "findings", "mappings", "warnings" };
    const cJSON *item = result->child;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++, item = item->next) {
        assert_non_null(item);
        assert_string_equal(item->string, keys[i]);
    }
    assert_null(item);
    assert_string_equal(json_path(result, "unit")->valuestring, "u1");
    assert_string_equal(json_path(result, "unit_name")->valuestring, "Unit 1");
    assert_string_equal(json_path(result, "standard")->valuestring, "score-1");
    assert_string_equal(json_path(result, "edition")->valuestring, "2024");
    assert_int_equal(strlen(json_path(result, "catalog_sha256")->valuestring), 64);
    assert_json_equal(cJSON_GetArrayItem(json_path(result, "clauses"), 0),
                      "{\"id\":\"a\",\"title\":\"Clause a\",\"parent\":null,\"assessed\":true,\"applicable\":true,"
                      "\"level\":1,\"status\":\"conformant\",\"weight\":1.5}");
    assert_json_equal(cJSON_GetArrayItem(json_path(result, "checks"), 0),
                      "{\"id\":\"a/1\",\"clause\":\"a\",\"level\":1,\"severity\":\"major\",\"status\":\"pass\","
                      "\"evidence\":[],\"expired\":[],\"message\":null}");
    /* the bundle's warnings travel with the result (the bundle is gone by now) */
    assert_json_equal(json_path(result, "warnings"),
                      "[{\"where\":\"/evidence/0/type\",\"message\":\"kind \\\"doc\\\" is declared as a document, "
                      "this item says record\"}]");
    cJSON_Delete(result);
}

static void test_determinism(void **state)
{
    const char *clauses =
        HEADING("1", "null") ","
        CLAUSE("1.1", "\"1\"", 2, CHECK("1.1/a", 1, "major", "{\"some\": [{\"evidence\": \"doc\"}, true]}") ","
               CHECK("1.1/b", 3, "minor", "{\"all\": [{\"evidence\": \"doc\"}, {\"==\": [{\"var\": \"status\"}, \"approved\"]}]}")) ","
        CLAUSE("1.2", "\"1\"", 1, CHECK("1.2/a", 2, "observation", "{\"<\": [{\"age_days\": {\"var\": \"$as_of\"}}, 1]}"));
    char *first = NULL;
    for (int round = 0; round < 3; round++) {
        cJSON *result = assess_with(clauses, true, NULL);
        char *text = cJSON_PrintUnformatted(result);
        cJSON_Delete(result);
        if (first) {
            assert_string_equal(text, first);
            free(text);
        } else
            first = text;
    }
    free(first);
}

static void test_same_assessment_twice(void **state)
{
    /* one catalog and bundle, assessed twice: identical documents */
    catalog_set_t *set = make_set(CATALOG_HEAD("det-1", KINDS)
                                  "\"clauses\": [" CLAUSE("1", "null", 1, CHECK("1/a", 1, "major",
                                  "{\"some\": [{\"evidence\": \"doc\"}, true]}")) "]}", NULL);
    bundle_t *bundle = make_bundle(default_bundle, set);
    assessment_t *a = engine_assess(catalog_set_at(set, 0), bundle);
    assessment_t *b = engine_assess(catalog_set_at(set, 0), bundle);
    cJSON *ja = assessment_to_json(a), *jb = assessment_to_json(b), *ja2 = assessment_to_json(a);
    char *ta = cJSON_PrintUnformatted(ja), *tb = cJSON_PrintUnformatted(jb), *ta2 = cJSON_PrintUnformatted(ja2);
    assert_string_equal(ta, tb);
    assert_string_equal(ta, ta2);
    assert_true(assessment_maturity(a) == 1.0);
    assert_string_equal(assessment_readiness(a), "ready");
    assert_int_equal(assessment_major_nc(a), 0);
    assert_int_equal(assessment_minor_nc(a), 0);
    assert_int_equal(assessment_observations(a), 0);
    free(ta);
    free(tb);
    free(ta2);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    cJSON_Delete(ja2);
    assessment_destroy(&a);
    assessment_destroy(&b);
    bundle_destroy(&bundle);
    catalog_set_destroy(&set);
}

static const char *controls =
    CATALOG_HEAD("ctl-1", KINDS)
    "\"clauses\": ["
    HEADING("5", "null") ","
    CLAUSE("5.1", "\"5\"", 1, CHECK("5.1/p", 1, "major", "{\"some\": [{\"evidence\": \"policy\"}, true]}")) ","
    CLAUSE("5.2", "\"5\"", 1, CHECK("5.2/d", 1, "major", "{\"some\": [{\"evidence\": \"doc\"}, true]}"))
    "]}";

static const char *guidance =
    "{\"assay\": \"catalog/1\", \"id\": \"guide-1\", \"standard\": \"G\", \"edition\": \"1\", \"title\": \"Guide\","
    " \"certifiable\": false, \"levels\": [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\"], \"kinds\": {},"
    " \"clauses\": ["
    "  {\"id\": \"A.1\", \"title\": \"t\", \"parent\": null, \"kind\": \"guidance\", \"maps_to\": [\"ctl-1:5.1\", \"ctl-1:5.2\"]},"
    "  {\"id\": \"A.2\", \"title\": \"t\", \"parent\": null, \"kind\": \"guidance\", \"maps_to\": [\"ctl-1:5\"]}"
    " ]}";

static void test_mappings(void **state)
{
    catalog_set_t *set = make_set(guidance, controls, NULL);
    bundle_t *bundle = make_bundle(default_bundle, set);
    assessment_t *assessment = engine_assess(catalog_set_find(set, "guide-1"), bundle);
    cJSON *result = assessment_to_json(assessment);
    /* no policy: 5.1 not evidenced; documents: 5.2 evidenced; heading 5 needs all below it */
    assert_json_equal(json_path(result, "mappings"),
                      "[{\"clause\":\"A.1\",\"target\":\"ctl-1:5.1\",\"evidenced\":false},"
                      "{\"clause\":\"A.1\",\"target\":\"ctl-1:5.2\",\"evidenced\":true},"
                      "{\"clause\":\"A.2\",\"target\":\"ctl-1:5\",\"evidenced\":false}]");
    assert_string_equal(json_path(result, "readiness")->valuestring, "n/a");
    cJSON_Delete(result);
    assessment_destroy(&assessment);
    bundle_destroy(&bundle);

    bundle = make_bundle("{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u2\"}, \"as_of\": \"2026-11-01\", \"evidence\": ["
                         " {\"id\": \"P-1\", \"kind\": \"policy\", \"type\": \"document\"},"
                         " {\"id\": \"D-1\", \"kind\": \"doc\", \"type\": \"document\"}]}", set);
    assessment = engine_assess(catalog_set_find(set, "guide-1"), bundle);
    result = assessment_to_json(assessment);
    assert_json_equal(json_path(result, "mappings"),
                      "[{\"clause\":\"A.1\",\"target\":\"ctl-1:5.1\",\"evidenced\":true},"
                      "{\"clause\":\"A.1\",\"target\":\"ctl-1:5.2\",\"evidenced\":true},"
                      "{\"clause\":\"A.2\",\"target\":\"ctl-1:5\",\"evidenced\":true}]");
    cJSON_Delete(result);
    assessment_destroy(&assessment);
    bundle_destroy(&bundle);
    catalog_set_destroy(&set);
}

/* A target that does not apply to the unit is neither evidenced nor
   missing: "evidenced": null, "applicable": false (and so is a heading
   target with nothing applicable below it). */
static void test_mappings_not_applicable(void **state)
{
    const char *gated =
        CATALOG_HEAD("ctl-2", KINDS)
        "\"clauses\": ["
        HEADING("6", "null") ","
        "{\"id\": \"6.1\", \"title\": \"t\", \"parent\": \"6\", \"kind\": \"control\","
        " \"applies_if\": {\"var\": \"$unit.attributes.sterile\"},"
        " \"checks\": [" CHECK("6.1/d", 1, "major", "{\"some\": [{\"evidence\": \"doc\"}, true]}") "]},"
        CLAUSE("7", "null", 1, CHECK("7/d", 1, "major", "{\"some\": [{\"evidence\": \"doc\"}, true]}"))
        "]}";
    const char *guide =
        "{\"assay\": \"catalog/1\", \"id\": \"guide-2\", \"standard\": \"G\", \"edition\": \"1\", \"title\": \"Guide\","
        " \"certifiable\": false, \"levels\": [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\"], \"kinds\": {},"
        " \"clauses\": ["
        "  {\"id\": \"A.1\", \"title\": \"t\", \"parent\": null, \"kind\": \"guidance\","
        "   \"maps_to\": [\"ctl-2:6.1\", \"ctl-2:6\", \"ctl-2:7\"]}"
        " ]}";
    catalog_set_t *set = make_set(guide, gated, NULL);
    bundle_t *bundle = make_bundle(default_bundle, set);    /* sterile: false */
    assessment_t *assessment = engine_assess(catalog_set_find(set, "guide-2"), bundle);
    cJSON *result = assessment_to_json(assessment);
    assert_json_equal(json_path(result, "mappings"),
                      "[{\"clause\":\"A.1\",\"target\":\"ctl-2:6.1\",\"evidenced\":null,\"applicable\":false},"
                      "{\"clause\":\"A.1\",\"target\":\"ctl-2:6\",\"evidenced\":null,\"applicable\":false},"
                      "{\"clause\":\"A.1\",\"target\":\"ctl-2:7\",\"evidenced\":true}]");
    cJSON_Delete(result);
    assessment_destroy(&assessment);
    bundle_destroy(&bundle);
    catalog_set_destroy(&set);
}

static void test_extends_assessment(void **state)
{
    const char *ext = CATALOG_HEAD("ext-1", "\"extends\": \"ctl-1\", \"kinds\": {}, ")
        "\"clauses\": ["
        /* replaces 5.1's checks */
        CLAUSE("5.1", "\"5\"", 1, CHECK("5.1/ext", 1, "minor", "{\"some\": [{\"evidence\": \"rec\"}, true]}")) ","
        /* adds to 5.2's */
        "{\"id\": \"5.2\", \"title\": \"t\", \"parent\": \"5\", \"kind\": \"requirement\", \"inherit_checks\": true,"
        " \"checks\": [" CHECK("5.2/ext", 2, "minor", "false") "]},"
        CLAUSE("5.3", "\"5\"", 1, CHECK("5.3/a", 1, "major", "true"))
        "]}";
    catalog_set_t *set = make_set(ext, controls, NULL);
    bundle_t *bundle = make_bundle(default_bundle, set);
    assessment_t *assessment = engine_assess(catalog_set_find(set, "ext-1"), bundle);
    cJSON *result = assessment_to_json(assessment);
    const char *expected_checks[] = { "5.1/ext", "5.2/d", "5.2/ext", "5.3/a" };
    const cJSON *checks = json_path(result, "checks");
    assert_int_equal(cJSON_GetArraySize(checks), 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(json_path(cJSON_GetArrayItem(checks, i), "id")->valuestring, expected_checks[i]);
    assert_clause(result, "5.1", "1", "conformant");
    assert_clause(result, "5.2", "1", "minor_nc");
    assert_clause(result, "5", "1", "minor_nc");
    assert_string_equal(json_path(result, "standard")->valuestring, "ext-1");
    assert_string_equal(json_path(result, "readiness")->valuestring, "conditional");
    cJSON_Delete(result);
    assessment_destroy(&assessment);
    bundle_destroy(&bundle);
    catalog_set_destroy(&set);
}

/* Assess `id` through the session and alone; the documents must match. */
static void assert_session_matches(engine_session_t *session, const catalog_set_t *set,
                                   const char *id, const bundle_t *bundle)
{
    const catalog_t *catalog = catalog_set_find(set, id);
    assessment_t *shared = engine_session_assess(session, catalog);
    assessment_t *alone = engine_assess(catalog, bundle);
    assert_non_null(shared);
    assert_non_null(alone);
    char *texts[2];
    for (int k = 0; k < 2; k++) {
        cJSON *json = assessment_to_json(k ? alone : shared);
        texts[k] = cJSON_PrintUnformatted(json);
        cJSON_Delete(json);
    }
    assert_string_equal(texts[0], texts[1]);
    free(texts[0]);
    free(texts[1]);
    assessment_destroy(&shared);
    assessment_destroy(&alone);
}

static void assert_counts(const engine_session_t *session, size_t evaluated, size_t reused)
{
    size_t e = 0, r = 0;
    engine_session_counts(session, &e, &r);
    if (e != evaluated || r != reused)
        fail_msg("session counts: %zu evaluated, %zu reused; expected %zu, %zu", e, r, evaluated,
                 reused);
}

/* A session evaluates each check once per bundle: an extending catalog
   reuses its base's checks, mapping targets reuse the target catalog's,
   a clause's applies_if is evaluated once, and a catalog assessed again
   evaluates nothing; every document is the one engine_assess gives. */
static void test_session_shares_checks(void **state)
{
    const char *ext = CATALOG_HEAD("ext-1", "\"extends\": \"ctl-1\", \"kinds\": {}, ")
        "\"clauses\": ["
        CLAUSE("5.1", "\"5\"", 1, CHECK("5.1/ext", 1, "minor", "{\"some\": [{\"evidence\": \"rec\"}, true]}")) ","
        "{\"id\": \"5.2\", \"title\": \"t\", \"parent\": \"5\", \"kind\": \"requirement\", \"inherit_checks\": true,"
        " \"checks\": [" CHECK("5.2/ext", 2, "minor", "false") "]},"
        CLAUSE("5.3", "\"5\"", 1, CHECK("5.3/a", 1, "major", "true"))
        "]}";
    catalog_set_t *set = make_set(ext, controls, guidance, NULL);
    bundle_t *bundle = make_bundle(default_bundle, set);
    engine_session_t *session = engine_session_new(bundle);
    assert_non_null(session);
    assert_counts(session, 0, 0);
    assert_session_matches(session, set, "ctl-1", bundle);     /* 5.1/p, 5.2/d */
    assert_counts(session, 2, 0);
    assert_session_matches(session, set, "ext-1", bundle);     /* 5.2/d inherited */
    assert_counts(session, 5, 1);
    assert_session_matches(session, set, "guide-1", bundle);   /* 5.1/p, 5.2/d through maps_to */
    assert_counts(session, 5, 3);
    assert_session_matches(session, set, "ctl-1", bundle);
    assert_counts(session, 5, 5);
    engine_session_destroy(&session);
    assert_null(session);
    bundle_destroy(&bundle);
    catalog_set_destroy(&set);

    /* a mapping target whose clause does not apply: the clause's applies_if
       is kept too, and a check below a clause that does not apply is never
       evaluated */
    const char *gated =
        CATALOG_HEAD("ctl-2", KINDS)
        "\"clauses\": ["
        HEADING("6", "null") ","
        "{\"id\": \"6.1\", \"title\": \"t\", \"parent\": \"6\", \"kind\": \"control\","
        " \"applies_if\": {\"var\": \"$unit.attributes.sterile\"},"
        " \"checks\": [" CHECK("6.1/d", 1, "major", "{\"some\": [{\"evidence\": \"doc\"}, true]}") "]},"
        CLAUSE("7", "null", 1, CHECK("7/d", 1, "major", "{\"some\": [{\"evidence\": \"doc\"}, true]}"))
        "]}";
    const char *guide =
        "{\"assay\": \"catalog/1\", \"id\": \"guide-2\", \"standard\": \"G\", \"edition\": \"1\", \"title\": \"Guide\","
        " \"certifiable\": false, \"levels\": [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\"], \"kinds\": {},"
        " \"clauses\": ["
        "  {\"id\": \"A.1\", \"title\": \"t\", \"parent\": null, \"kind\": \"guidance\","
        "   \"maps_to\": [\"ctl-2:6.1\", \"ctl-2:6\", \"ctl-2:7\"]}"
        " ]}";
    set = make_set(guide, gated, NULL);
    bundle = make_bundle(default_bundle, set);
    session = engine_session_new(bundle);
    assert_session_matches(session, set, "guide-2", bundle);   /* 6.1's applies_if, 7/d */
    assert_counts(session, 2, 0);
    assert_session_matches(session, set, "ctl-2", bundle);
    assert_counts(session, 2, 2);
    engine_session_destroy(&session);
    bundle_destroy(&bundle);
    catalog_set_destroy(&set);

    /* checks with the same rule (applies_if and expr), in one catalog or
       two, are evaluated once; unshared, once each; the same documents */
    const char *rule = "{\"some\": [{\"evidence\": \"doc\"}, {\"==\": [{\"var\": \"status\"}, \"approved\"]}]}";
    char *first = malloc(4096), *second = malloc(4096);
    snprintf(first, 4096, "%s\"clauses\": [%s, %s]}", CATALOG_HEAD("dup-1", KINDS),
             CLAUSE("1", "null", 1, CHECK("1/a", 1, "major", "%s")),
             CLAUSE("2", "null", 1, CHECK("2/a", 2, "minor", "%s") "," CHECK("2/b", 1, "major", "true")));
    snprintf(second, 4096, first, rule, rule);
    snprintf(first, 4096, "%s\"clauses\": [%s]}", CATALOG_HEAD("dup-2", KINDS),
             CLAUSE("9", "null", 1, CHECK("9/a", 3, "minor", "%s")));
    char *third = malloc(4096);
    snprintf(third, 4096, first, rule);
    set = make_set(second, third, NULL);
    bundle = make_bundle(default_bundle, set);
    session = engine_session_new(bundle);
    assert_session_matches(session, set, "dup-1", bundle);     /* 1/a (and 2/a), 2/b */
    assert_counts(session, 2, 1);
    assert_session_matches(session, set, "dup-2", bundle);     /* 9/a is 1/a's rule */
    assert_counts(session, 2, 2);
    engine_session_destroy(&session);
    session = engine_session_new(bundle);
    session_share_rules(session, false);
    assert_session_matches(session, set, "dup-1", bundle);
    assert_counts(session, 3, 0);
    assert_session_matches(session, set, "dup-2", bundle);
    assert_counts(session, 4, 0);
    engine_session_destroy(&session);
    bundle_destroy(&bundle);
    catalog_set_destroy(&set);
    free(first);
    free(second);
    free(third);
}

/* ~100 clauses, ~50 items, 200 rounds: a smoke run of the evaluator at
   size that also prints its speed. */
/* The stored outcome gives back the same document with the catalog it was
   made with (errors with messages, expired items, not applicable clauses
   included), and refuses a catalog of another shape or a text that is no
   outcome, saying why. */
static void test_outcome_round_trip(void **state)
{
    const char *clauses =
        CLAUSE("e", "null", 1, CHECK("e/1", 1, "major", "{\"count\": 5}") ","
               CHECK("e/2", 2, "minor", "{\"some\": [{\"evidence\": \"doc\"}, true]}")) ","
        "{\"id\": \"n\", \"title\": \"t\", \"parent\": null, \"kind\": \"requirement\","
        " \"applies_if\": {\"var\": \"$unit.attributes.sterile\"}, \"checks\": ["
        CHECK("n/1", 1, "minor", "true") "]}";
    char *text = malloc(strlen(clauses) + 2048);
    sprintf(text,
            "{\"assay\": \"catalog/1\", \"id\": \"score-1\", \"standard\": \"S\", \"edition\": \"2024\","
            " \"title\": \"Scoring\", \"certifiable\": true, \"levels\": [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\"], "
            KINDS "\"clauses\": [%s]}", clauses);
    catalog_set_t *set = make_set(text, NULL);
    const catalog_t *catalog = catalog_set_at(set, 0);
    bundle_t *bundle = make_bundle(default_bundle, set);
    assessment_t *assessment = engine_assess(catalog, bundle);
    bundle_destroy(&bundle);
    assert_non_null(assessment);
    cJSON *json = assessment_to_json(assessment);
    char *expected = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    char *outcome = assessment_outcome(assessment);
    assert_non_null(outcome);
    /* nothing the catalog holds: no check text, no clause title */
    assert_null(strstr(outcome, "e/1 text"));
    assert_null(strstr(outcome, "Clause e"));
    assessment_head_t head = { "u1", "Unit 1", "acme", "2026-11-01" };
    char error[256] = "";
    assessment_t *back = assessment_from_outcome(catalog, &head, outcome, strlen(outcome),
                                                 error, sizeof error);
    assert_non_null(back);
    json = assessment_to_json(back);
    char *actual = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    assert_string_equal(actual, expected);
    assert_string_equal(assessment_readiness(back), "not_ready");
    assessment_destroy(&back);

    /* a catalog with one clause more does not fit */
    char *other_text = malloc(strlen(text) + 512);
    sprintf(other_text, "%.*s," CLAUSE("z", "null", 1, CHECK("z/1", 1, "minor", "true")) "]}",
            (int) (strlen(text) - 2), text);
    catalog_set_t *other = make_set(other_text, NULL);
    back = assessment_from_outcome(catalog_set_at(other, 0), &head, outcome, strlen(outcome),
                                   error, sizeof error);
    assert_null(back);
    assert_non_null(strstr(error, "does not fit catalog score-1: clause lists of another length"));
    back = assessment_from_outcome(catalog, &head, "[1,2]", 5, error, sizeof error);
    assert_null(back);
    assert_non_null(strstr(error, "not a JSON object"));

    catalog_set_destroy(&other);
    free(other_text);
    free(outcome);
    free(expected);
    free(actual);
    assessment_destroy(&assessment);
    catalog_set_destroy(&set);
    free(text);
}

static void test_speed(void **state)
{
    size_t size = 1 << 20;
    char *catalog = malloc(size), *cursor = catalog;
    cursor += sprintf(cursor, CATALOG_HEAD("speed-1", KINDS) "\"clauses\": [");
    for (int i = 0; i < 100; i++)
        cursor += sprintf(cursor,
            "%s{\"id\": \"c%d\", \"title\": \"t\", \"parent\": null, \"kind\": \"requirement\", \"checks\": ["
            "{\"id\": \"c%d/a\", \"level\": 1, \"severity\": \"major\", \"text\": \"t\", \"expr\": {\"some\": ["
            "{\"evidence\": [\"doc\", {\"==\": [{\"var\": \"status\"}, \"approved\"]}]},"
            " {\"<=\": [0, {\"age_days\": {\"var\": \"date\"}}, 365]}]}},"
            "{\"id\": \"c%d/b\", \"level\": 2, \"severity\": \"minor\", \"text\": \"t\", \"expr\": {\"none\": ["
            "{\"evidence\": \"rec\"}, {\"in\": [\"t%d\", {\"var\": [\"topics\", []]}]}]}}]}",
            i ? "," : "", i, i, i, i % 7);
    sprintf(cursor, "]}");
    catalog_set_t *set = make_set(catalog, NULL);
    char *bundle_text = malloc(size);
    cursor = bundle_text;
    cursor += sprintf(cursor, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u\"}, \"as_of\": \"2026-11-01\", \"evidence\": [");
    for (int i = 0; i < 50; i++)
        cursor += sprintf(cursor, "%s{\"id\": \"E%d\", \"kind\": \"%s\", \"type\": \"%s\", \"status\": \"%s\","
                          " \"date\": \"2026-%02d-01\", \"topics\": [\"t%d\", \"x\"]}",
                          i ? "," : "", i, i % 2 ? "doc" : "rec", i % 2 ? "document" : "record",
                          i % 3 ? "approved" : "draft", 1 + i % 10, i % 11);
    sprintf(cursor, "]}");
    bundle_t *bundle = make_bundle(bundle_text, set);
    const int rounds = 200;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < rounds; i++) {
        assessment_t *assessment = engine_assess(catalog_set_at(set, 0), bundle);
        assert_non_null(assessment);
        assessment_destroy(&assessment);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double us = ((double) (end.tv_sec - start.tv_sec) * 1e6 + (double) (end.tv_nsec - start.tv_nsec) / 1e3) / rounds;
    /* Reported, not asserted: speed is the benchmarks' business, and a
       bound would fail under valgrind or a loaded machine. */
    printf("engine_assess: 100 clauses, 200 checks, 50 items: %.1f us per assessment\n", us);
    bundle_destroy(&bundle);
    catalog_set_destroy(&set);
    free(catalog);
    free(bundle_text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_severities_and_readiness),
        cmocka_unit_test(test_errors_never_pass),
        cmocka_unit_test(test_not_applicable),
        cmocka_unit_test(test_headings_and_means),
        cmocka_unit_test(test_explanations),
        cmocka_unit_test(test_result_document),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_same_assessment_twice),
        cmocka_unit_test(test_mappings),
        cmocka_unit_test(test_mappings_not_applicable),
        cmocka_unit_test(test_extends_assessment),
        cmocka_unit_test(test_session_shares_checks),
        cmocka_unit_test(test_outcome_round_trip),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
