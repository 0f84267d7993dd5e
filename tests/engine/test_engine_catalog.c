/*  test_engine_catalog.c - catalog validation and lint (every class, all
    reported at once, with JSON Pointers), extends with override and
    inherit_checks, maps_to resolution, the kind vocabulary, summaries and
    diagnostics formatting.
*/
#include "engine_test.h"

#define KINDS "\"kinds\": {\"quality_manual\": {\"type\": \"document\", \"description\": \"QM\"}," \
              " \"internal_audit\": {\"type\": \"record\", \"description\": \"Audit report\"}}, "
#define ALL_LEVELS(prefix)                                                                              \
    "{\"id\": \"" prefix "/1\", \"level\": 1, \"severity\": \"major\", \"text\": \"t\", \"expr\": true}, " \
    "{\"id\": \"" prefix "/2\", \"level\": 2, \"severity\": \"major\", \"text\": \"t\", \"expr\": true}, " \
    "{\"id\": \"" prefix "/3\", \"level\": 3, \"severity\": \"minor\", \"text\": \"t\", \"expr\": true}, " \
    "{\"id\": \"" prefix "/4\", \"level\": 4, \"severity\": \"minor\", \"text\": \"t\", \"expr\": true}, " \
    "{\"id\": \"" prefix "/5\", \"level\": 5, \"severity\": \"observation\", \"text\": \"t\", \"expr\": true}"

static const char *valid_catalog =
    CATALOG_HEAD("base-1", KINDS)
    "\"attributes\": {\"sterile\": {\"type\": \"boolean\", \"description\": \"sterile devices\"}},"
    "\"clauses\": ["
    " {\"id\": \"4\", \"title\": \"Context\", \"parent\": null, \"kind\": \"requirement\"},"
    " {\"id\": \"4.1\", \"title\": \"Manual\", \"parent\": \"4\", \"kind\": \"requirement\", \"checks\": [" ALL_LEVELS("4.1") "]},"
    " {\"id\": \"4.2\", \"title\": \"Audit\", \"parent\": \"4\", \"kind\": \"requirement\","
    "  \"applies_if\": {\"var\": \"$unit.attributes.sterile\"}, \"checks\": ["
    "   {\"id\": \"4.2/a\", \"level\": 1, \"severity\": \"major\", \"text\": \"audit\","
    "    \"expr\": {\"some\": [{\"evidence\": \"internal_audit\"}, true]}}]},"
    " {\"id\": \"5\", \"title\": \"Leadership\", \"parent\": null, \"kind\": \"requirement\"}"
    "]}";

static void test_valid_catalog(void **state)
{
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    assert_int_equal(add_catalog(set, "base.json", valid_catalog, diags), 0);
    assert_int_equal(catalog_set_link(set, diags), 0);
    print_diags(diags);
    assert_int_equal(diag_list_size(diags), 0);
    assert_int_equal(catalog_set_size(set), 1);
    const catalog_t *catalog = catalog_set_find(set, "base-1");
    assert_non_null(catalog);
    assert_ptr_equal(catalog, catalog_set_at(set, 0));
    assert_null(catalog_set_find(set, "nope"));
    assert_string_equal(catalog_id(catalog), "base-1");
    assert_string_equal(catalog_standard(catalog), "TEST");
    assert_string_equal(catalog_edition(catalog), "1");
    assert_string_equal(catalog_title(catalog), "Test catalog");
    assert_true(catalog_certifiable(catalog));
    assert_int_equal(catalog_clause_count(catalog), 4);
    assert_string_equal(catalog_source(catalog), valid_catalog);
    char hex[65];
    engine_sha256_hex(valid_catalog, strlen(valid_catalog), hex);
    assert_string_equal(catalog_sha256(catalog), hex);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);
    assert_null(set);
}

static void test_sha256(void **state)
{
    char hex[65];
    engine_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    engine_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_diag_list(void **state)
{
    diag_list_t *diags = diag_list_new();
    diag_list_add(diags, DIAG_ERROR, "a.json", "/x/0", "fix it", "bad %s", "thing");
    diag_list_add(diags, DIAG_WARNING, "b.json", "", NULL, "odd");
    assert_int_equal(diag_list_size(diags), 2);
    assert_int_equal(diag_list_errors(diags), 1);
    assert_string_equal(diag_list_at(diags, 0)->message, "bad thing");
    assert_null(diag_list_at(diags, 2));
    char *text = diag_list_format(diags);
    assert_string_equal(text, "a.json: /x/0: bad thing (hint: fix it)\nb.json: warning: odd\n");
    free(text);
    diag_list_destroy(&diags);
    assert_null(diags);
    diag_list_destroy(&diags);  /* harmless on NULL */
}

/* Adds `text`, expects failure with an error at `where` containing `message`. */
static void expect_error(const char *text, const char *where, const char *message)
{
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    assert_int_equal(add_catalog(set, "bad.json", text, diags), -1);
    assert_int_equal(catalog_set_size(set), 0);
    if (find_diag(diags, DIAG_ERROR, where, message) < 0) {
        print_diags(diags);
        fail_msg("expected an error at %s containing \"%s\"", where, message);
    }
    assert_string_equal(diag_list_at(diags, 0)->origin, "bad.json");
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);
}

static void test_missing_fields(void **state)
{
    expect_error("{\"assay\": \"catalog/1\"}", "", "missing \"id\"");
    expect_error("[1]", "", "must be a JSON object");
    expect_error("{\"id\": \"x\"", "offset 9", "not valid JSON");
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [{\"id\": \"1\", \"title\": \"t\", \"kind\": \"requirement\"}]}",
                 "/clauses/0", "missing \"parent\"");
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [{\"id\": \"1\", \"title\": \"t\", \"parent\": null,"
                 " \"kind\": \"requirement\", \"checks\": [{\"id\": \"1/a\", \"level\": 1, \"text\": \"t\","
                 " \"expr\": true}]}]}",
                 "/clauses/0/checks/0", "missing \"severity\"");
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [{\"id\": \"1\", \"title\": \"t\", \"parent\": null,"
                 " \"kind\": \"requirement\", \"checks\": [{\"id\": \"1/a\", \"level\": 1, \"severity\": \"major\","
                 " \"text\": \"t\"}]}]}",
                 "/clauses/0/checks/0", "missing \"expr\"");
    expect_error(CATALOG_HEAD("x-1", "") "\"clauses\": []}", "", "missing \"kinds\"");
    expect_error(CATALOG_HEAD("Bad Id", KINDS) "\"clauses\": []}", "/id", "invalid catalog id");
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [{\"id\": \"1\", \"title\": \"t\", \"parent\": null,"
                 " \"kind\": \"chapter\"}]}", "/clauses/0/kind", "not a valid kind");
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [{\"id\": \"1\", \"title\": \"t\", \"parent\": null,"
                 " \"kind\": \"requirement\", \"weight\": -2}]}", "/clauses/0/weight", "positive number");
    expect_error(CATALOG_HEAD("x-1", "\"kinds\": {\"k\": {\"type\": \"video\", \"description\": \"d\"}}, ")
                 "\"clauses\": []}", "/kinds/k/type", "not a valid type");
    expect_error("{\"assay\": \"catalog/2\", \"id\": \"x\"}", "/assay", "unsupported format");
}

/* Several problems in one file are all reported, each at its place. */
static void test_all_problems_reported(void **state)
{
    const char *text =
        "{\"assay\": \"catalog/1\", \"id\": \"x-1\", \"edition\": \"1\", \"certifiable\": true,"
        " \"levels\": [\"a\", \"b\"], " KINDS
        "\"clauses\": [{\"id\": \"1\", \"title\": \"t\", \"parent\": null, \"kind\": \"requirement\","
        " \"checks\": [{\"id\": \"1/a\", \"level\": 9, \"severity\": \"fatal\", \"text\": \"t\","
        " \"expr\": {\"nope\": 1}}]}]}";
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    assert_int_equal(add_catalog(set, "bad.json", text, diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "", "missing \"standard\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "", "missing \"title\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/levels", "exactly 6") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/checks/0/level", "1 to 5") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/checks/0/severity", "not a valid severity") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/checks/0/expr/nope", "unknown operator") >= 0);
    assert_int_equal(diag_list_errors(diags), 6);
    /* every error has a hint or a message naming the problem */
    for (size_t i = 0; i < diag_list_size(diags); i++)
        assert_true(strlen(diag_list_at(diags, i)->message) > 0);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);
}

#define CLAUSE(id, parent, checks) \
    "{\"id\": \"" id "\", \"title\": \"t\", \"parent\": " parent ", \"kind\": \"requirement\", \"checks\": [" checks "]}"
#define CHECK(id, level, expr) \
    "{\"id\": \"" id "\", \"level\": " #level ", \"severity\": \"major\", \"text\": \"t\", \"expr\": " expr "}"

static void test_lint_classes(void **state)
{
    /* unknown evidence kind */
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [" CLAUSE("1", "null", CHECK("1/a", 1,
                 "{\"some\": [{\"evidence\": \"calibration\"}, true]}")) "]}",
                 "/clauses/0/checks/0/expr/some/0/evidence", "unknown evidence kind \"calibration\"");
    /* coverage kind too */
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [" CLAUSE("1", "null", CHECK("1/a", 1,
                 "{\">=\": [{\"coverage\": [[], \"product_cert\", \"product\"]}, 1]}")) "]}",
                 "/clauses/0/checks/0/expr/>=/0/coverage/1", "unknown evidence kind \"product_cert\"");
    /* unknown operator */
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [" CLAUSE("1", "null", CHECK("1/a", 1,
                 "{\"substr\": [\"abc\", 1]}")) "]}", "/clauses/0/checks/0/expr/substr", "unknown operator");
    /* duplicate clause id */
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [" CLAUSE("1", "null", "") ", " CLAUSE("1", "null", "") "]}",
                 "/clauses/1/id", "duplicate clause id \"1\"");
    /* duplicate check id, across clauses */
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [" CLAUSE("1", "null", CHECK("c", 1, "true")) ", "
                 CLAUSE("2", "null", CHECK("c", 1, "true")) "]}",
                 "/clauses/1/checks/0/id", "duplicate check id \"c\"");
    /* dangling parent */
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [" CLAUSE("1", "null", "") ", "
                 CLAUSE("1.1", "\"9\"", "") "]}", "/clauses/1/parent", "parent \"9\" of clause \"1.1\" does not exist");
    /* parent cycle */
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [" CLAUSE("1", "\"2\"", "") ", "
                 CLAUSE("2", "\"1\"", "") "]}", "/clauses/0/parent", "parent cycle");
    /* level outside 1-5 */
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [" CLAUSE("1", "null", CHECK("1/a", 0, "true")) "]}",
                 "/clauses/0/checks/0/level", "1 to 5");
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [" CLAUSE("1", "null", CHECK("1/a", 2.5, "true")) "]}",
                 "/clauses/0/checks/0/level", "integer");
    /* a malformed mapping */
    expect_error(CATALOG_HEAD("x-1", KINDS) "\"clauses\": [{\"id\": \"1\", \"title\": \"t\", \"parent\": null,"
                 " \"kind\": \"control\", \"maps_to\": [\"no-colon\"]}]}", "/clauses/0/maps_to/0", "CATALOG:CLAUSE");
}

static void test_lint_warnings(void **state)
{
    /* undeclared attribute in applies_if, unreachable levels, unknown field:
       warnings only, the catalog loads */
    const char *text = CATALOG_HEAD("x-1", KINDS)
        "\"clauses\": [{\"id\": \"1\", \"title\": \"t\", \"parent\": null, \"kind\": \"requirement\","
        " \"applies_if\": {\"var\": \"$unit.attributes.implants\"}, \"applys_if\": true,"
        " \"checks\": [" CHECK("1/a", 1, "true") ", " CHECK("1/b", 3, "true") "]}]}";
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    assert_int_equal(add_catalog(set, "warn.json", text, diags), 0);
    assert_int_equal(catalog_set_link(set, diags), 0);
    assert_int_equal(diag_list_errors(diags), 0);
    assert_true(find_diag(diags, DIAG_WARNING, "/clauses/0/applies_if/var",
                          "applies_if reads undeclared unit attribute \"implants\"") >= 0);
    assert_true(find_diag(diags, DIAG_WARNING, "/levels/2", "no check evidences level 2") >= 0);
    assert_true(find_diag(diags, DIAG_WARNING, "/levels/4", "no clause can reach it") >= 0);
    assert_true(find_diag(diags, DIAG_WARNING, "/levels/5", NULL) >= 0);
    assert_true(find_diag(diags, DIAG_WARNING, "/levels/3", NULL) < 0);
    assert_true(find_diag(diags, DIAG_WARNING, "/clauses/0/applys_if", "unknown field") >= 0);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);
}

static void test_replace_same_id(void **state)
{
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    assert_int_equal(add_catalog(set, "a.json", valid_catalog, diags), 0);
    char *other = strdup(valid_catalog);
    char *title = strstr(other, "Test catalog");
    memcpy(title, "Next catalog", 12);
    assert_int_equal(add_catalog(set, "b.json", other, diags), 0);
    assert_int_equal(catalog_set_link(set, diags), 0);
    assert_int_equal(catalog_set_size(set), 1);
    assert_string_equal(catalog_title(catalog_set_at(set, 0)), "Next catalog");
    /* a failing catalog adds nothing and leaves the old one */
    assert_int_equal(add_catalog(set, "c.json", "{\"id\": \"base-1\"}", diags), -1);
    assert_string_equal(catalog_title(catalog_set_at(set, 0)), "Next catalog");
    free(other);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);
}

static const char *ext_catalog =
    CATALOG_HEAD("ext-1", "\"extends\": \"base-1\", "
                 "\"kinds\": {\"csr\": {\"type\": \"document\", \"description\": \"customer requirements\"}}, ")
    "\"clauses\": ["
    /* override: replaces the base checks of 4.1 */
    " {\"id\": \"4.1\", \"title\": \"Manual (ext)\", \"parent\": \"4\", \"kind\": \"requirement\", \"checks\": ["
    "   {\"id\": \"4.1/ext\", \"level\": 2, \"severity\": \"minor\", \"text\": \"t\","
    "    \"expr\": {\"some\": [{\"evidence\": \"quality_manual\"}, true]}}]},"
    /* a new sub-clause under an inherited clause */
    " {\"id\": \"4.1.1\", \"title\": \"Supplement\", \"parent\": \"4.1\", \"kind\": \"requirement\", \"checks\": ["
    "   {\"id\": \"4.1.1/csr\", \"level\": 1, \"severity\": \"major\", \"text\": \"t\","
    "    \"expr\": {\"some\": [{\"evidence\": \"csr\"}, true]}}]},"
    /* append to the base checks */
    " {\"id\": \"4.2\", \"title\": \"Audit\", \"parent\": \"4\", \"kind\": \"requirement\", \"inherit_checks\": true,"
    "  \"checks\": [{\"id\": \"4.2/ext\", \"level\": 2, \"severity\": \"minor\", \"text\": \"t\", \"expr\": true}]},"
    " {\"id\": \"6\", \"title\": \"Planning\", \"parent\": null, \"kind\": \"requirement\"}"
    "]}";

static void test_extends(void **state)
{
    catalog_set_t *set = make_set(ext_catalog, valid_catalog, NULL);
    const catalog_t *ext = catalog_set_find(set, "ext-1");
    assert_int_equal(catalog_clause_count(ext), 6);
    cJSON *json = catalog_to_json(ext);
    const cJSON *clauses = json_path(json, "clauses");
    const char *order[] = { "4", "4.1", "4.1.1", "4.2", "5", "6" };
    for (int i = 0; i < 6; i++)
        assert_string_equal(json_path(cJSON_GetArrayItem(clauses, i), "id")->valuestring, order[i]);
    const cJSON *c41 = by_id(json, "clauses", "4.1");
    assert_string_equal(json_path(c41, "title")->valuestring, "Manual (ext)");
    assert_string_equal(json_path(c41, "from")->valuestring, "ext-1");
    assert_int_equal(cJSON_GetArraySize(json_path(c41, "checks")), 1);
    const cJSON *c42 = by_id(json, "clauses", "4.2");
    assert_int_equal(cJSON_GetArraySize(json_path(c42, "checks")), 2);
    assert_string_equal(json_path(cJSON_GetArrayItem(json_path(c42, "checks"), 0), "id")->valuestring, "4.2/a");
    assert_string_equal(json_path(cJSON_GetArrayItem(json_path(c42, "checks"), 1), "id")->valuestring, "4.2/ext");
    assert_string_equal(json_path(by_id(json, "clauses", "5"), "from")->valuestring, "base-1");
    /* expressions are shown as written */
    assert_json_equal(json_path(cJSON_GetArrayItem(json_path(c42, "checks"), 0), "expr"),
                      "{\"some\":[{\"evidence\":\"internal_audit\"},true]}");
    cJSON_Delete(json);
    /* the base is unchanged */
    assert_int_equal(catalog_clause_count(catalog_set_find(set, "base-1")), 4);
    catalog_set_destroy(&set);
}

static void test_extends_errors(void **state)
{
    /* dangling extends */
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    assert_int_equal(add_catalog(set, "ext.json", ext_catalog, diags), 0);
    assert_int_equal(catalog_set_link(set, diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "/extends", "base catalog \"base-1\" is not loaded") >= 0);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);

    /* a kind neither the catalog nor its base declares; a parent in neither */
    const char *bad = CATALOG_HEAD("ext-2", "\"extends\": \"base-1\", \"kinds\": {}, ")
        "\"clauses\": [" CLAUSE("7", "\"99\"", CHECK("7/a", 1, "{\"count\": {\"evidence\": \"nope\"}}")) ","
        CLAUSE("8", "null", CHECK("4.1/1", 1, "{\"count\": {\"evidence\": \"internal_audit\"}}")) "]}";
    set = catalog_set_new();
    diags = diag_list_new();
    assert_int_equal(add_catalog(set, "base.json", valid_catalog, diags), 0);
    assert_int_equal(add_catalog(set, "ext2.json", bad, diags), 0);
    assert_int_equal(catalog_set_link(set, diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/checks/0/expr/count/evidence",
                          "unknown evidence kind \"nope\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/parent", "parent \"99\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/1", "duplicate check id \"4.1/1\"") >= 0);
    /* internal_audit comes from the base: no error for it */
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/1/checks/0/expr/count/evidence", NULL) < 0);
    assert_string_equal(diag_list_at(diags, (size_t) find_diag(diags, DIAG_ERROR, "/clauses/0/parent", NULL))->origin,
                        "ext2.json");
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);

    /* a cycle of extends */
    const char *a = CATALOG_HEAD("cyc-a", "\"extends\": \"cyc-b\", \"kinds\": {}, ") "\"clauses\": []}";
    const char *b = CATALOG_HEAD("cyc-b", "\"extends\": \"cyc-a\", \"kinds\": {}, ") "\"clauses\": []}";
    set = catalog_set_new();
    diags = diag_list_new();
    assert_int_equal(add_catalog(set, "a.json", a, diags), 0);
    assert_int_equal(add_catalog(set, "b.json", b, diags), 0);
    assert_int_equal(catalog_set_link(set, diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "/extends", "extends cycle") >= 0);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);

    /* a catalog cannot extend itself */
    expect_error(CATALOG_HEAD("self-1", "\"extends\": \"self-1\", " KINDS) "\"clauses\": []}", "/extends",
                 "cannot extend itself");
}

static const char *controls_catalog =
    CATALOG_HEAD("ctl-1", "\"kinds\": {\"policy\": {\"type\": \"document\", \"description\": \"A policy\"},"
                 " \"quality_manual\": {\"type\": \"record\", \"description\": \"QM as seen by ctl\"}}, ")
    "\"clauses\": ["
    " {\"id\": \"5\", \"title\": \"Organizational\", \"parent\": null, \"kind\": \"control\"},"
    " {\"id\": \"5.1\", \"title\": \"Policies\", \"parent\": \"5\", \"kind\": \"control\", \"checks\": ["
    "   {\"id\": \"5.1/policy\", \"level\": 1, \"severity\": \"major\", \"text\": \"t\","
    "    \"expr\": {\"some\": [{\"evidence\": \"policy\"}, true]}}]}"
    "]}";

static void test_maps_to(void **state)
{
    const char *guide = CATALOG_HEAD("guide-1", "\"kinds\": {}, ")
        "\"clauses\": [{\"id\": \"A.1\", \"title\": \"t\", \"parent\": null, \"kind\": \"guidance\","
        " \"maps_to\": [\"ctl-1:5.1\", \"ctl-1:5\"]}]}";
    catalog_set_t *set = make_set(guide, controls_catalog, NULL);
    catalog_set_destroy(&set);

    /* dangling: unknown clause and unknown catalog */
    const char *dangling = CATALOG_HEAD("guide-2", "\"kinds\": {}, ")
        "\"clauses\": [{\"id\": \"A.1\", \"title\": \"t\", \"parent\": null, \"kind\": \"guidance\","
        " \"maps_to\": [\"ctl-1:9.9\", \"nope-1:5\"]}]}";
    set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    assert_int_equal(add_catalog(set, "ctl.json", controls_catalog, diags), 0);
    assert_int_equal(add_catalog(set, "guide.json", dangling, diags), 0);
    assert_int_equal(catalog_set_link(set, diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/maps_to/0", "has no clause \"9.9\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/maps_to/1", "catalog \"nope-1\" is not loaded") >= 0);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);
}

/* A catalog with a compile error is never added, so nothing links it:
   what needs the rest of the set (kinds, parents, extends, maps_to,
   levels, attributes) is still linted against the set, so that one lint
   run reports every error. */
static void test_every_error_with_compile_errors(void **state)
{
    const char *broken = CATALOG_HEAD("x-2", KINDS)
        "\"clauses\": ["
        " {\"id\": \"1\", \"title\": \"t\", \"parent\": null, \"kind\": \"requirement\","
        "  \"applies_if\": {\"var\": \"$unit.attributes.implants\"}, \"maps_to\": [\"base-1:9\", \"nope-1:1\"],"
        "  \"checks\": [" CHECK("1/a", 1, "{\"substr\": [\"abc\", 1]}") ", "
        CHECK("1/b", 2, "{\"some\": [{\"evidence\": \"calibration\"}, true]}") "]},"
        " " CLAUSE("1.1", "\"9\"", CHECK("1.1/a", 3, "true")) "]}";
    catalog_set_t *set = make_set(valid_catalog, NULL);
    diag_list_t *diags = diag_list_new();
    assert_int_equal(add_catalog(set, "broken.json", broken, diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/checks/0/expr/substr", "unknown operator") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/checks/1/expr/some/0/evidence",
                          "unknown evidence kind \"calibration\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/1/parent", "parent \"9\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/maps_to/0", "has no clause \"9\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/maps_to/1", "catalog \"nope-1\" is not loaded") >= 0);
    assert_true(find_diag(diags, DIAG_WARNING, "/clauses/0/applies_if/var", "undeclared unit attribute") >= 0);
    assert_true(find_diag(diags, DIAG_WARNING, "/levels/4", "no check evidences level 4") >= 0);
    assert_int_equal(diag_list_errors(diags), 5);
    diag_list_destroy(&diags);

    /* extending a loaded base: its kinds and clauses count; a missing
       base is reported, and the rest linted as if it extended nothing */
    const char *extending = CATALOG_HEAD("x-3", "\"kinds\": {}, \"extends\": \"base-1\", ")
        "\"clauses\": [" CLAUSE("4.9", "\"4\"", CHECK("4.9/a", 1, "{\"some\": [{\"evidence\": \"internal_audit\"}, true]}")
        ", " CHECK("4.9/b", 2, "{\"nope\": 1}") ", " CHECK("4.9/c", 3, "{\"some\": [{\"evidence\": \"calibration\"}, true]}")) "]}";
    diags = diag_list_new();
    assert_int_equal(add_catalog(set, "extending.json", extending, diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/checks/1/expr/nope", "unknown operator") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/checks/2/expr/some/0/evidence", "\"calibration\"") >= 0);
    assert_int_equal(diag_list_errors(diags), 2);
    diag_list_destroy(&diags);
    const char *orphan = CATALOG_HEAD("x-4", "\"kinds\": {}, \"extends\": \"gone-1\", ")
        "\"clauses\": [" CLAUSE("4.9", "\"4\"", CHECK("4.9/a", 1, "{\"nope\": 1}")) "]}";
    diags = diag_list_new();
    assert_int_equal(add_catalog(set, "orphan.json", orphan, diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "/extends", "base catalog \"gone-1\" is not loaded") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/clauses/0/parent", "parent \"4\"") >= 0);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);
}

static void test_kinds_json(void **state)
{
    catalog_set_t *set = make_set(valid_catalog, controls_catalog, NULL);
    cJSON *kinds = catalog_set_kinds_json(set);
    assert_json_equal(kinds,
        "[{\"kind\":\"internal_audit\",\"type\":\"record\",\"description\":\"Audit report\",\"catalogs\":[\"base-1\"]},"
        "{\"kind\":\"policy\",\"type\":\"document\",\"description\":\"A policy\",\"catalogs\":[\"ctl-1\"]},"
        "{\"kind\":\"quality_manual\",\"type\":\"document\",\"description\":\"QM\",\"catalogs\":[\"base-1\",\"ctl-1\"]}]");
    cJSON_Delete(kinds);
    catalog_set_destroy(&set);
}

static void test_catalog_to_json(void **state)
{
    catalog_set_t *set = make_set(valid_catalog, NULL);
    cJSON *json = catalog_to_json(catalog_set_at(set, 0));
    assert_string_equal(json_path(json, "id")->valuestring, "base-1");
    assert_true(cJSON_IsNull(json_path(json, "extends")));
    assert_int_equal(cJSON_GetArraySize(json_path(json, "levels")), 6);
    assert_int_equal(cJSON_GetArraySize(json_path(json, "clauses")), 4);
    const cJSON *c42 = by_id(json, "clauses", "4.2");
    assert_json_equal(json_path(c42, "applies_if"), "{\"var\":\"$unit.attributes.sterile\"}");
    const cJSON *check = cJSON_GetArrayItem(json_path(c42, "checks"), 0);
    assert_string_equal(json_path(check, "severity")->valuestring, "major");
    assert_int_equal(json_path(check, "level")->valueint, 1);
    cJSON_Delete(json);
    catalog_set_destroy(&set);
}

/* Catalog text goes through the same safe parsing as bundles. */
static void test_catalog_text_checks(void **state)
{
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    const char text[] = "{\"assay\": \"cata\0log/1\"}";
    assert_int_equal(catalog_set_add(set, "nul.json", text, sizeof text - 1, diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "offset 15", "NUL") >= 0);
    assert_int_equal(add_catalog(set, "bad.json", "{\"id\": \"\xff\"}", diags), -1);
    assert_true(find_diag(diags, DIAG_ERROR, "offset 8", "invalid UTF-8") >= 0);
    assert_int_equal(catalog_set_add(set, "empty.json", "", 0, diags), -1);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_catalog),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_diag_list),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_all_problems_reported),
        cmocka_unit_test(test_lint_classes),
        cmocka_unit_test(test_lint_warnings),
        cmocka_unit_test(test_replace_same_id),
        cmocka_unit_test(test_extends),
        cmocka_unit_test(test_extends_errors),
        cmocka_unit_test(test_maps_to),
        cmocka_unit_test(test_every_error_with_compile_errors),
        cmocka_unit_test(test_kinds_json),
        cmocka_unit_test(test_catalog_to_json),
        cmocka_unit_test(test_catalog_text_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
