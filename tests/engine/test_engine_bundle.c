/*  test_engine_bundle.c - bundle/1 parsing and validation: each class of
    bad input gives a clean error with origin and JSON Pointer (invalid
    JSON, bad UTF-8, NUL, 10,000-deep nesting, too big, missing and
    duplicate ids, unknown kind or type, bad dates, wrong types), and what
    leaves the bundle usable is a warning.
*/
#include "engine_test.h"

static const char *catalog_text =
    CATALOG_HEAD("cat-1", "\"kinds\": {\"quality_manual\": {\"type\": \"document\", \"description\": \"QM\"},"
                 " \"internal_audit\": {\"type\": \"record\", \"description\": \"IA\"}}, ")
    "\"clauses\": []}";

#define BUNDLE(unit, evidence)                                                         \
    "{\"assay\": \"bundle/1\", \"unit\": " unit ", \"as_of\": \"2026-11-01\", \"evidence\": [" \
    evidence "]}"
#define UNIT "{\"id\": \"acme-1\", \"name\": \"ACME\", \"org\": \"acme\", \"attributes\": {\"x\": 1}}"
#define QM(id) "{\"id\": \"" id "\", \"kind\": \"quality_manual\", \"type\": \"document\", \"date\": \"2026-01-01\"}"

static int setup(void **state)
{
    *state = make_set(catalog_text, NULL);
    return 0;
}

static int teardown(void **state)
{
    catalog_set_t *set = *state;
    catalog_set_destroy(&set);
    return 0;
}

static void test_valid(void **state)
{
    diag_list_t *diags = diag_list_new();
    const char *text = BUNDLE(UNIT, QM("QM-1") ", {\"id\": \"IA-1\", \"kind\": \"internal_audit\", \"type\": \"record\","
                                    " \"date\": \"2026-06-01T08:00:00+01:00\", \"expires\": \"2027-06-01\","
                                    " \"scope\": [\"8.5\"], \"open_findings\": 0}");
    bundle_t *bundle = bundle_parse("acme.json", text, strlen(text), *state, NULL, diags);
    print_diags(diags);
    assert_non_null(bundle);
    assert_int_equal(diag_list_size(diags), 0);
    assert_string_equal(bundle_unit_id(bundle), "acme-1");
    assert_string_equal(bundle_unit_name(bundle), "ACME");
    assert_string_equal(bundle_org(bundle), "acme");
    assert_string_equal(bundle_as_of(bundle), "2026-11-01");
    assert_int_equal(bundle_item_count(bundle), 2);
    assert_int_equal(diag_list_size(bundle_warnings(bundle)), 0);
    bundle_destroy(&bundle);
    assert_null(bundle);
    diag_list_destroy(&diags);
}

static void test_minimal_unit(void **state)
{
    /* name and org are optional: the name falls back to the id */
    bundle_t *bundle = make_bundle(BUNDLE("{\"id\": \"u:1.a_b-c\"}", ""), *state);
    assert_string_equal(bundle_unit_name(bundle), "u:1.a_b-c");
    assert_string_equal(bundle_org(bundle), "");
    assert_int_equal(bundle_item_count(bundle), 0);
    bundle_destroy(&bundle);
}

/* Parses `length` bytes of `text`; expects NULL and an error at `where`
   (NULL: any) whose message contains `message`. */
static void expect_error_n(const catalog_set_t *set, const bundle_limits_t *limits, const char *text,
                           size_t length, const char *where, const char *message)
{
    diag_list_t *diags = diag_list_new();
    bundle_t *bundle = bundle_parse("in.json", text, length, set, limits, diags);
    assert_null(bundle);
    if (find_diag(diags, DIAG_ERROR, where, message) < 0) {
        print_diags(diags);
        fail_msg("expected an error at %s containing \"%s\"", where ? where : "(any)", message);
    }
    for (size_t i = 0; i < diag_list_size(diags); i++)
        assert_string_equal(diag_list_at(diags, i)->origin, "in.json");
    diag_list_destroy(&diags);
}

static void expect_error(const catalog_set_t *set, const char *text, const char *where, const char *message)
{
    expect_error_n(set, NULL, text, strlen(text), where, message);
}

static void test_invalid_json(void **state)
{
    expect_error(*state, "{\"assay\": \"bundle/1\",, }", "offset 22", "bundle is not valid JSON (line 1, column 23)");
    expect_error(*state, "{\"assay\":\n \"bundle/1\"\n", NULL, "not valid JSON");
    expect_error(*state, BUNDLE(UNIT, "") " trailing", NULL, "unexpected text after the JSON value");
    expect_error(*state, "", "", "empty bundle");
    expect_error(*state, "[]", "", "must be a JSON object");
    expect_error(*state, "{\"assay\": \"bundle/2\"}", "/assay", "unsupported format");
}

static void test_bad_utf8(void **state)
{
    expect_error(*state, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"caf\xc3\x28\"}}", "offset 41", "invalid UTF-8");
    /* overlong encoding of '/' and a UTF-16 surrogate encoded in UTF-8 */
    expect_error(*state, "{\"a\": \"\xc0\xaf\"}", "offset 7", "invalid UTF-8");
    expect_error(*state, "{\"a\": \"\xed\xa0\x80\"}", "offset 7", "invalid UTF-8");
    /* truncated sequence at the very end */
    expect_error(*state, "{\"a\": \"\xe2\x82", NULL, "invalid UTF-8");
    /* valid multi-byte text is fine */
    bundle_t *bundle = make_bundle(BUNDLE("{\"id\": \"u1\", \"name\": \"M\xc3\xbcnchen \xe2\x82\xac \xf0\x9f\x98\x80\"}", ""), *state);
    assert_string_equal(bundle_unit_name(bundle), "M\xc3\xbcnchen \xe2\x82\xac \xf0\x9f\x98\x80");
    bundle_destroy(&bundle);
}

static void test_nul(void **state)
{
    const char text[] = "{\"assay\": \"bun\0dle/1\"}";
    expect_error_n(*state, NULL, text, sizeof text - 1, "offset 14", "NUL byte");
    expect_error(*state, "{\"assay\": \"bundle/1\", \"x\": \"a\\u0000b\"}", "offset 29", "\\u0000");
    /* an escaped backslash followed by u0000 is just text */
    bundle_t *bundle = make_bundle(BUNDLE("{\"id\": \"u1\", \"name\": \"a\\\\u0000\"}", ""), *state);
    assert_string_equal(bundle_unit_name(bundle), "a\\u0000");
    bundle_destroy(&bundle);
}

static void test_too_deep(void **state)
{
    /* 10,000 levels: cJSON alone would refuse at 1000 or recurse; the
       pre-scan stops at the limit with a clean error */
    size_t depth = 10000;
    size_t size = 64 + 2 * depth;
    char *text = malloc(size);
    strcpy(text, "{\"assay\": \"bundle/1\", \"x\": ");
    size_t length = strlen(text);
    memset(text + length, '[', depth);
    memset(text + length + depth, ']', depth);
    length += 2 * depth;
    text[length++] = '}';
    text[length] = '\0';
    expect_error_n(*state, NULL, text, length, "offset 90", "nested more than 64 levels deep");
    /* a caller that raises the limit past cJSON's own still gets a clean error */
    bundle_limits_t limits = { .max_depth = 100000 };
    expect_error_n(*state, &limits, text, length, NULL, "not valid JSON");
    /* braces inside strings do not count */
    char *deep_string = malloc(size + 64);
    sprintf(deep_string, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u1\", \"name\": \"%s\"}, "
                         "\"as_of\": \"2026-11-01\", \"evidence\": []}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    bundle_t *bundle = make_bundle(deep_string, *state);
    bundle_destroy(&bundle);
    free(deep_string);
    /* exactly at the limit is fine: 64 levels including the root */
    char limit_text[512] = "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u1\", \"attributes\": {\"a\": ";
    for (int i = 0; i < 61; i++)
        strcat(limit_text, "[");
    for (int i = 0; i < 61; i++)
        strcat(limit_text, "]");
    strcat(limit_text, "}}, \"as_of\": \"2026-11-01\", \"evidence\": []}");
    bundle = make_bundle(limit_text, *state);
    bundle_destroy(&bundle);
    limits.max_depth = 63;
    expect_error_n(*state, &limits, limit_text, strlen(limit_text), NULL, "nested more than 63 levels deep");
    free(text);
}

static void test_too_big(void **state)
{
    const char *text = BUNDLE(UNIT, QM("QM-1"));
    bundle_limits_t limits = { .max_bytes = 100 };
    expect_error_n(*state, &limits, text, strlen(text), "", "over the limit of 100");
    limits.max_bytes = strlen(text);
    diag_list_t *diags = diag_list_new();
    bundle_t *bundle = bundle_parse("in.json", text, strlen(text), *state, &limits, diags);
    assert_non_null(bundle);
    bundle_destroy(&bundle);
    diag_list_destroy(&diags);
    /* the default limit is 16 MiB; a length just over it is refused before any parsing */
    expect_error_n(*state, NULL, text, BUNDLE_DEFAULT_MAX_BYTES + 1, "", "over the limit of 16777216");
}

static void test_unit_errors(void **state)
{
    expect_error(*state, BUNDLE("{\"name\": \"x\"}", ""), "/unit", "missing \"id\"");
    expect_error(*state, BUNDLE("{\"id\": \"\"}", ""), "/unit/id", "non-empty string");
    expect_error(*state, BUNDLE("{\"id\": 12}", ""), "/unit/id", "non-empty string");
    expect_error(*state, BUNDLE("{\"id\": \"has space\"}", ""), "/unit/id", "invalid unit id");
    expect_error(*state, BUNDLE("{\"id\": \"u1\", \"attributes\": [1]}", ""), "/unit/attributes", "must be an object");
    expect_error(*state, BUNDLE("\"acme\"", ""), "/unit", "must be an object");
    expect_error(*state, "{\"assay\": \"bundle/1\", \"as_of\": \"2026-11-01\", \"evidence\": []}", "", "missing \"unit\"");
    char long_id[200];
    memset(long_id, 'a', 129);
    long_id[129] = '\0';
    char text[512];
    snprintf(text, sizeof text, BUNDLE("{\"id\": \"%s\"}", ""), long_id);
    expect_error(*state, text, "/unit/id", "invalid unit id");
}

static void test_as_of_errors(void **state)
{
    expect_error(*state, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u\"}, \"evidence\": []}", "", "missing \"as_of\"");
    expect_error(*state, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u\"}, \"as_of\": \"2026-02-30\", \"evidence\": []}",
                 "/as_of", "invalid date \"2026-02-30\"");
    expect_error(*state, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u\"}, \"as_of\": \"2026-11-01T00:00:00Z\", "
                 "\"evidence\": []}", "/as_of", "invalid date");
    expect_error(*state, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u\"}, \"as_of\": 20261101, \"evidence\": []}",
                 "/as_of", "non-empty string");
}

static void test_item_errors(void **state)
{
    expect_error(*state, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u\"}, \"as_of\": \"2026-11-01\"}", "",
                 "missing \"evidence\"");
    expect_error(*state, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u\"}, \"as_of\": \"2026-11-01\", \"evidence\": {}}",
                 "/evidence", "must be an array");
    expect_error(*state, BUNDLE(UNIT, QM("QM-1") ", 5"), "/evidence/1", "must be an object");
    expect_error(*state, BUNDLE(UNIT, "{\"kind\": \"quality_manual\", \"type\": \"document\"}"), "/evidence/0",
                 "missing \"id\"");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": 7, \"kind\": \"quality_manual\", \"type\": \"document\"}"),
                 "/evidence/0/id", "non-empty string");
    expect_error(*state, BUNDLE(UNIT, QM("QM-1") ", " QM("QM-2") ", " QM("QM-1")), "/evidence/2/id",
                 "duplicate evidence id \"QM-1\"");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"calibration\", \"type\": \"record\"}"),
                 "/evidence/0/kind", "unknown evidence kind \"calibration\"");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": \"X\", \"type\": \"record\"}"), "/evidence/0", "missing \"kind\"");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"quality_manual\", \"type\": \"memo\"}"),
                 "/evidence/0/type", "unknown evidence type \"memo\"");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"quality_manual\"}"), "/evidence/0", "missing \"type\"");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"quality_manual\", \"type\": \"document\","
                                      " \"date\": \"2026-13-01\"}"), "/evidence/0/date", "invalid date \"2026-13-01\"");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"quality_manual\", \"type\": \"document\","
                                      " \"date\": \"01.02.2026\"}"), "/evidence/0/date", "invalid date");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"quality_manual\", \"type\": \"document\","
                                      " \"expires\": \"2026-01-01T25:00\"}"), "/evidence/0/expires", "invalid date");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"quality_manual\", \"type\": \"document\","
                                      " \"expires\": 20260101}"), "/evidence/0/expires", "must be a date string");
    expect_error(*state, BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"quality_manual\", \"type\": \"document\","
                                      " \"value\": 1e999}"), "/evidence/0/value", "number out of range");
    /* without a catalog set, kinds are not checked but types still are */
    bundle_t *bundle = make_bundle(BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"anything\", \"type\": \"record\"}"), NULL);
    bundle_destroy(&bundle);
    expect_error(NULL, BUNDLE(UNIT, "{\"id\": \"X\", \"kind\": \"anything\", \"type\": \"memo\"}"), "/evidence/0/type",
                 "unknown evidence type");
}

static void test_all_errors_reported(void **state)
{
    const char *text = "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"bad id\"}, \"as_of\": \"yesterday\","
                       " \"evidence\": [{\"id\": \"A\", \"kind\": \"nope\", \"type\": \"record\"},"
                       " {\"id\": \"A\", \"kind\": \"quality_manual\", \"type\": \"document\", \"date\": \"x\"}]}";
    diag_list_t *diags = diag_list_new();
    assert_null(bundle_parse("in.json", text, strlen(text), *state, NULL, diags));
    assert_int_equal(diag_list_errors(diags), 5);
    assert_true(find_diag(diags, DIAG_ERROR, "/unit/id", NULL) >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/as_of", NULL) >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/evidence/0/kind", NULL) >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/evidence/1/date", NULL) >= 0);
    long duplicate = find_diag(diags, DIAG_ERROR, "/evidence/1/id", "duplicate");
    assert_true(duplicate >= 0);
    assert_string_equal(diag_list_at(diags, (size_t) duplicate)->hint, "first at /evidence/0");
    diag_list_destroy(&diags);
}

static void test_warnings(void **state)
{
    /* a type other than the kind's declared one, unknown top-level and unit
       fields: usable, warned */
    const char *text = "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u1\", \"colour\": \"red\"}, \"as_of\": \"2026-11-01\","
                       " \"evidence\": [{\"id\": \"A\", \"kind\": \"quality_manual\", \"type\": \"record\"}],"
                       " \"extra\": 1, \"_comment\": \"ignored\"}";
    diag_list_t *diags = diag_list_new();
    bundle_t *bundle = bundle_parse("in.json", text, strlen(text), *state, NULL, diags);
    assert_non_null(bundle);
    assert_int_equal(diag_list_errors(diags), 0);
    assert_int_equal(diag_list_size(diags), 3);
    const diag_list_t *warnings = bundle_warnings(bundle);
    assert_int_equal(diag_list_size(warnings), 3);
    assert_true(find_diag(warnings, DIAG_WARNING, "/evidence/0/type",
                          "kind \"quality_manual\" is declared as a document, this item says record") >= 0);
    assert_true(find_diag(warnings, DIAG_WARNING, "/extra", "unknown field") >= 0);
    assert_true(find_diag(warnings, DIAG_WARNING, "/unit/colour", "unknown field") >= 0);
    bundle_destroy(&bundle);
    diag_list_destroy(&diags);
}

/* A bundle may arrive without a terminating NUL (a message frame). */
static void test_not_nul_terminated(void **state)
{
    const char *text = BUNDLE(UNIT, QM("QM-1"));
    size_t length = strlen(text);
    char *copy = malloc(length);
    memcpy(copy, text, length);
    diag_list_t *diags = diag_list_new();
    bundle_t *bundle = bundle_parse("frame", copy, length, *state, NULL, diags);
    assert_non_null(bundle);
    bundle_destroy(&bundle);
    /* and cut short, it is invalid, not an over-read */
    assert_null(bundle_parse("frame", copy, length - 3, *state, NULL, diags));
    assert_true(find_diag(diags, DIAG_ERROR, NULL, "not valid JSON") >= 0);
    diag_list_destroy(&diags);
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_minimal_unit),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_too_deep),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_unit_errors),
        cmocka_unit_test(test_as_of_errors),
        cmocka_unit_test(test_item_errors),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_not_nul_terminated),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
