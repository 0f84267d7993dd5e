/*  test_engine_expr.c - rule language v1: every operator's semantics on a
    fixed bundle, null and type-error behaviour, and compile errors with
    their JSON Pointers.
*/
#include "engine_test.h"

/* as_of 2026-11-01. IA-3 and CPK-4 have expired. */
static const char *bundle_text =
    "{\"assay\": \"bundle/1\","
    " \"unit\": {\"id\": \"u1\", \"name\": \"Unit one\", \"org\": \"acme\","
    "  \"attributes\": {\"products\": [\"a\", \"b\", \"c\"], \"sterile\": true, \"n\": 3, \"s\": \"text\"}},"
    " \"as_of\": \"2026-11-01\","
    " \"evidence\": ["
    "  {\"id\": \"IA-1\", \"kind\": \"internal_audit\", \"type\": \"record\", \"date\": \"2026-06-01\","
    "   \"scope\": [\"8.5\", \"9.2\"], \"open_findings\": 2},"
    "  {\"id\": \"IA-2\", \"kind\": \"internal_audit\", \"type\": \"record\", \"date\": \"2025-01-01\","
    "   \"open_findings\": 0},"
    "  {\"id\": \"IA-3\", \"kind\": \"internal_audit\", \"type\": \"record\", \"date\": \"2026-09-01\","
    "   \"expires\": \"2026-10-01\"},"
    "  {\"id\": \"CPK-1\", \"kind\": \"capability\", \"type\": \"metric\", \"product\": \"a\", \"value\": 1.52},"
    "  {\"id\": \"CPK-2\", \"kind\": \"capability\", \"type\": \"metric\", \"product\": \"b\", \"value\": 1.1},"
    "  {\"id\": \"CPK-3\", \"kind\": \"capability\", \"type\": \"metric\", \"product\": [\"c\", \"d\"], \"value\": 1.4},"
    "  {\"id\": \"CPK-4\", \"kind\": \"capability\", \"type\": \"metric\", \"product\": \"e\", \"value\": 2,"
    "   \"expires\": \"2026-01-01\"},"
    "  {\"id\": \"DOC-1\", \"kind\": \"doc\", \"type\": \"document\", \"date\": \"2026-10-31T23:30:00Z\","
    "   \"fields\": {\"owner\": {\"name\": \"x\"}}}"
    " ]}";

static int setup(void **state)
{
    *state = make_bundle(bundle_text, NULL);
    return 0;
}

static int teardown(void **state)
{
    bundle_t *bundle = *state;
    bundle_destroy(&bundle);
    return 0;
}

typedef struct {
    const char *expr;
    const char *expected;   /* printed JSON, or "ERROR: ..." prefix */
} case_t;

static void run_cases(void **state, const case_t *cases, size_t count)
{
    const bundle_t *bundle = *state;
    for (size_t i = 0; i < count; i++) {
        char *got = eval_text(bundle, cases[i].expr);
        bool ok = strncmp(cases[i].expected, "ERROR", 5) == 0
                      ? strncmp(got, cases[i].expected, strlen(cases[i].expected)) == 0
                      : strcmp(got, cases[i].expected) == 0;
        if (!ok)
            fail_msg("%s\n  expected %s\n  got      %s", cases[i].expr, cases[i].expected, got);
        free(got);
    }
}

#define RUN(cases) run_cases(state, cases, sizeof cases / sizeof cases[0])

static void test_var(void **state)
{
    static const case_t cases[] = {
        { "{\"var\": \"$unit.attributes.n\"}", "3" },
        { "{\"var\": \"$unit.id\"}", "\"u1\"" },
        { "{\"var\": \"$as_of\"}", "\"2026-11-01\"" },
        { "{\"var\": [\"nothing.here\", 5]}", "5" },
        { "{\"var\": \"nothing\"}", "null" },
        /* top-level data is the unit */
        { "{\"var\": \"attributes.products.1\"}", "\"b\"" },
        { "{\"var\": \"attributes.products.7\"}", "null" },
        { "{\"var\": [\"attributes.s\"]}", "\"text\"" },
        /* computed path */
        { "{\"var\": {\"if\": [true, \"attributes.n\", \"x\"]}}", "3" },
        /* $ reads the unit from inside any scope */
        { "{\"map\": [[1, 2], {\"var\": \"$unit.attributes.n\"}]}", "[3,3]" },
        { "{\"map\": [[[10, 11]], {\"var\": 1}]}", "[11]" },
        { "{\"map\": [[1, 2], {\"var\": \"\"}]}", "[1,2]" },
        { "{\"count\": {\"var\": \"$unit.attributes.products\"}}", "3" },
    };
    RUN(cases);
}

static void test_equality(void **state)
{
    static const case_t cases[] = {
        { "{\"==\": [1, \"1\"]}", "true" },
        { "{\"==\": [0, false]}", "true" },
        { "{\"==\": [\"\", 0]}", "true" },
        { "{\"==\": [\"a\", \"a\"]}", "true" },
        { "{\"==\": [null, null]}", "true" },
        { "{\"==\": [null, 0]}", "false" },
        { "{\"==\": [null, false]}", "false" },
        { "{\"==\": [[1, 2], \"1,2\"]}", "true" },
        { "{\"!=\": [1, 2]}", "true" },
        { "{\"!=\": [1, \"1\"]}", "false" },
        { "{\"===\": [1, \"1\"]}", "false" },
        { "{\"===\": [1, 1]}", "true" },
        { "{\"!==\": [1, \"1\"]}", "true" },
        { "{\"==\": [{\"var\": \"$unit.attributes.s\"}, \"text\"]}", "true" },
    };
    RUN(cases);
}

static void test_comparison(void **state)
{
    static const case_t cases[] = {
        { "{\"<\": [1, 2]}", "true" },
        { "{\"<\": [2, 2]}", "false" },
        { "{\"<=\": [2, 2]}", "true" },
        { "{\">\": [3, 2]}", "true" },
        { "{\">=\": [2, 3]}", "false" },
        { "{\"<\": [1, 2, 3]}", "true" },
        { "{\"<\": [1, 3, 3]}", "false" },
        { "{\"<=\": [1, 3, 3]}", "true" },
        { "{\"<=\": [1, 5, 3]}", "false" },
        { "{\"<\": [\"2026-01-01\", \"2026-06-01\"]}", "true" },
        { "{\"<\": [\"10\", 9]}", "false" },
        { "{\"<\": [\"abc\", 9]}", "false" },
        /* every comparison with null is false */
        { "{\"<\": [null, 1]}", "false" },
        { "{\">\": [null, -1]}", "false" },
        { "{\">=\": [1, null]}", "false" },
        { "{\"<=\": [null, null]}", "false" },
        { "{\"<=\": [0, null, 5]}", "false" },
        { "{\">=\": [{\"var\": \"nothing\"}, 0]}", "false" },
        /* composite values cannot be ordered */
        { "{\"<\": [[1], 2]}", "ERROR: <: cannot compare an array" },
        { "{\">\": [{\"var\": \"attributes\"}, 2]}", "ERROR: >: cannot compare an object" },
    };
    RUN(cases);
}

static void test_logic(void **state)
{
    static const case_t cases[] = {
        { "{\"!\": [0]}", "true" },
        { "{\"!\": [[]]}", "true" },
        { "{\"!\": \"x\"}", "false" },
        { "{\"!!\": [[]]}", "false" },
        { "{\"!!\": [\"0\"]}", "true" },
        { "{\"!!\": {\"var\": \"attributes.products\"}}", "true" },
        { "{\"and\": [1, 0, 2]}", "0" },
        { "{\"and\": [true, \"y\"]}", "\"y\"" },
        { "{\"or\": [0, \"\", \"x\"]}", "\"x\"" },
        { "{\"or\": [0, false]}", "false" },
        /* short-circuit: the error is never reached */
        { "{\"and\": [false, {\"count\": 5}]}", "false" },
        { "{\"or\": [true, {\"count\": 5}]}", "true" },
        { "{\"if\": [false, 1, true, 2, 3]}", "2" },
        { "{\"if\": [false, 1, 3]}", "3" },
        { "{\"if\": [false, 1]}", "null" },
        { "{\"if\": [\"x\", \"yes\", \"no\"]}", "\"yes\"" },
    };
    RUN(cases);
}

static void test_in(void **state)
{
    static const case_t cases[] = {
        { "{\"in\": [\"ex\", \"text\"]}", "true" },
        { "{\"in\": [\"z\", \"text\"]}", "false" },
        { "{\"in\": [\"b\", {\"var\": \"$unit.attributes.products\"}]}", "true" },
        { "{\"in\": [\"z\", [\"a\", \"b\"]]}", "false" },
        { "{\"in\": [1, [1, 2]]}", "true" },
        { "{\"in\": [\"1\", [1, 2]]}", "false" },
        { "{\"in\": [\"a\", null]}", "false" },
        { "{\"in\": [\"a\", {\"var\": \"missing\"}]}", "false" },
        { "{\"in\": [\"a\", 5]}", "ERROR: in: expected a string or an array, got a number" },
    };
    RUN(cases);
}

static void test_arithmetic(void **state)
{
    static const case_t cases[] = {
        { "{\"+\": [1, 2, \"3\"]}", "6" },
        { "{\"+\": \"3.5\"}", "3.5" },
        { "{\"-\": [5, 2]}", "3" },
        { "{\"-\": 4}", "-4" },
        { "{\"*\": [2, 3, 4]}", "24" },
        { "{\"/\": [7, 2]}", "3.5" },
        { "{\"min\": [3, 1, 2]}", "1" },
        { "{\"max\": [3, 1, 2]}", "3" },
        { "{\"+\": [1, null]}", "null" },
        { "{\"max\": [{\"var\": \"missing\"}, 2]}", "null" },
        { "{\"/\": [1, 0]}", "ERROR: /: division by zero" },
        { "{\"+\": [1, {\"var\": \"attributes\"}]}", "ERROR: +: cannot do arithmetic on an object" },
        { "{\"*\": [1, [2]]}", "ERROR: *: cannot do arithmetic on an array" },
        { "{\"+\": [1, \"abc\"]}", "ERROR: +: \"abc\" is not a number" },
        { "{\"+\": [true, 1]}", "ERROR: +: cannot do arithmetic on a boolean" },
        { "{\"*\": [1e200, 1e200]}", "ERROR: *: the result is not a finite number" },
    };
    RUN(cases);
}

static void test_arrays(void **state)
{
    static const case_t cases[] = {
        { "{\"some\": [[1, 2, 3], {\">\": [{\"var\": \"\"}, 2]}]}", "true" },
        { "{\"some\": [[], true]}", "false" },
        { "{\"all\": [[1, 2, 3], {\">\": [{\"var\": \"\"}, 0]}]}", "true" },
        { "{\"all\": [[1, 2, 3], {\">\": [{\"var\": \"\"}, 1]}]}", "false" },
        { "{\"all\": [[], true]}", "false" },
        { "{\"none\": [[1, 2], {\">\": [{\"var\": \"\"}, 5]}]}", "true" },
        { "{\"none\": [[], true]}", "true" },
        { "{\"some\": [null, true]}", "false" },
        { "{\"filter\": [[1, 2, 3, 4], {\">\": [{\"var\": \"\"}, 2]}]}", "[3,4]" },
        { "{\"map\": [[1, 2, 3], {\"*\": [{\"var\": \"\"}, 2]}]}", "[2,4,6]" },
        { "{\"map\": [{\"var\": \"attributes.products\"}, {\"in\": [{\"var\": \"\"}, \"abc\"]}]}", "[true,true,true]" },
        { "{\"reduce\": [[1, 2, 3], {\"+\": [{\"var\": \"current\"}, {\"var\": \"accumulator\"}]}, 10]}", "16" },
        { "{\"reduce\": [[], {\"+\": [{\"var\": \"current\"}, {\"var\": \"accumulator\"}]}, 0]}", "0" },
        { "{\"merge\": [[1, 2], 3, [[4]]]}", "[1,2,3,[4]]" },
        { "{\"merge\": []}", "[]" },
        { "{\"merge\": [{\"var\": \"attributes.products\"}, \"d\"]}", "[\"a\",\"b\",\"c\",\"d\"]" },
        { "{\"some\": [5, true]}", "ERROR: some: expected an array, got a number" },
        { "{\"map\": [{\"var\": \"attributes\"}, 1]}", "ERROR: map: expected an array, got an object" },
    };
    RUN(cases);
}

static void test_evidence(void **state)
{
    static const case_t cases[] = {
        /* IA-3 expired before as_of: absent */
        { "{\"map\": [{\"evidence\": \"internal_audit\"}, {\"var\": \"id\"}]}", "[\"IA-1\",\"IA-2\"]" },
        { "{\"count\": {\"evidence\": \"internal_audit\"}}", "2" },
        { "{\"count\": {\"evidence\": \"nothing_of_this_kind\"}}", "0" },
        { "{\"map\": [{\"evidence\": [\"internal_audit\", {\">\": [{\"var\": \"open_findings\"}, 0]}]},"
          " {\"var\": \"id\"}]}", "[\"IA-1\"]" },
        /* items read their fields by dot path, and date */
        { "{\"some\": [{\"evidence\": \"internal_audit\"}, {\"in\": [\"9.2\", {\"var\": \"scope\"}]}]}", "true" },
        { "{\"map\": [{\"evidence\": \"internal_audit\"}, {\"var\": \"scope.0\"}]}", "[\"8.5\",null]" },
        { "{\"some\": [{\"evidence\": \"internal_audit\"},"
          " {\"<=\": [0, {\"age_days\": {\"var\": \"date\"}}, 365]}]}", "true" },
        { "{\"all\": [{\"evidence\": \"internal_audit\"},"
          " {\"<=\": [0, {\"age_days\": {\"var\": \"date\"}}, 365]}]}", "false" },
        /* custom fields nested under "fields" read the same way */
        { "{\"some\": [{\"evidence\": \"doc\"}, {\"==\": [{\"var\": \"owner.name\"}, \"x\"]}]}", "true" },
        { "{\"evidence\": [\"internal_audit\", {\"count\": 1}]}", "ERROR: count: expected an array, got a number" },
    };
    RUN(cases);
}

static void test_age_days(void **state)
{
    static const case_t cases[] = {
        { "{\"age_days\": \"2026-10-31\"}", "1" },
        { "{\"age_days\": \"2026-11-01\"}", "0" },
        { "{\"age_days\": \"2026-11-02\"}", "-1" },
        { "{\"age_days\": \"2025-11-01\"}", "365" },
        { "{\"age_days\": \"2024-03-01\"}", "975" },
        { "{\"age_days\": \"2026-10-31T23:59:59+02:00\"}", "1" },
        { "{\"age_days\": \"not a date\"}", "null" },
        { "{\"age_days\": \"2026-02-30\"}", "null" },
        { "{\"age_days\": null}", "null" },
        { "{\"age_days\": {\"var\": \"missing\"}}", "null" },
        { "{\"<=\": [0, {\"age_days\": \"garbage\"}, 365]}", "false" },
        /* an item (e.g. from latest) has the age of its date */
        { "{\"age_days\": {\"latest\": [{\"evidence\": \"internal_audit\"}, \"date\"]}}", "153" },
        { "{\"age_days\": 5}", "ERROR: age_days: expected a date, got a number" },
        { "{\"age_days\": [[1]]}", "ERROR: age_days: expected a date, got an array" },
    };
    RUN(cases);
}

static void test_count_latest(void **state)
{
    static const case_t cases[] = {
        { "{\"count\": [[1, 2]]}", "2" },
        { "{\"count\": null}", "0" },
        { "{\"count\": {\"var\": \"missing\"}}", "0" },
        { "{\"count\": 5}", "ERROR: count: expected an array, got a number" },
        { "{\"count\": \"abc\"}", "ERROR: count: expected an array, got a string" },
        { "{\"map\": [[{\"latest\": [{\"evidence\": \"internal_audit\"}, \"date\"]}], {\"var\": \"id\"}]}",
          "[\"IA-1\"]" },
        { "{\"latest\": [[], \"date\"]}", "null" },
        { "{\"latest\": [null, \"date\"]}", "null" },
        { "{\"latest\": [{\"evidence\": \"capability\"}, \"date\"]}", "null" },
        /* dates with a time compare by day too */
        { "{\"map\": [[{\"latest\": [{\"merge\": [{\"evidence\": \"internal_audit\"}, {\"evidence\": \"doc\"}]},"
          " \"date\"]}], {\"var\": \"id\"}]}", "[\"DOC-1\"]" },
        { "{\"latest\": [5, \"date\"]}", "ERROR: latest: expected an array, got a number" },
    };
    RUN(cases);
}

static void test_coverage(void **state)
{
    static const case_t cases[] = {
        /* a by CPK-1, b by CPK-2, c by CPK-3's array */
        { "{\"coverage\": [{\"var\": \"$unit.attributes.products\"}, \"capability\", \"product\"]}", "1" },
        { "{\"coverage\": [{\"var\": \"$unit.attributes.products\"}, \"capability\", \"product\","
          " {\">=\": [{\"var\": \"value\"}, 1.33]}]}", "0.66666666666666663" },
        { "{\"coverage\": [[\"a\", \"x\"], \"capability\", \"product\"]}", "0.5" },
        /* e is only covered by the expired CPK-4 */
        { "{\"coverage\": [[\"e\"], \"capability\", \"product\"]}", "0" },
        { "{\"coverage\": [[], \"capability\", \"product\"]}", "1" },
        { "{\"coverage\": [null, \"capability\", \"product\"]}", "1" },
        { "{\"coverage\": [\"a\", \"capability\", \"product\"]}", "ERROR: coverage: expected an array, got a string" },
    };
    RUN(cases);
}

/* An error anywhere in the tree is an error of the whole expression. */
static void test_error_propagates(void **state)
{
    static const case_t cases[] = {
        { "{\"!\": {\"count\": 5}}", "ERROR: count:" },
        { "{\"some\": [[1], {\"count\": 5}]}", "ERROR: count:" },
        { "{\"==\": [{\"age_days\": 1}, null]}", "ERROR: age_days:" },
        { "{\"if\": [{\"/\": [1, 0]}, true, true]}", "ERROR: /:" },
    };
    RUN(cases);
}

/* ---- compile errors ------------------------------------------------------- */

static void expect_compile_error(const char *text, const char *where, const char *message)
{
    diag_list_t *diags = diag_list_new();
    expr_t *expr = compile_text(text, diags);
    assert_null(expr);
    if (find_diag(diags, DIAG_ERROR, where, message) < 0) {
        print_diags(diags);
        fail_msg("no error at %s containing \"%s\" for %s", where, message, text);
    }
    diag_list_destroy(&diags);
}

static void test_compile_errors(void **state)
{
    expect_compile_error("{\"some\": [[1], {\"frobnicate\": 1}]}", "/expr/some/1/frobnicate",
                         "unknown operator \"frobnicate\"");
    expect_compile_error("{\"cat\": [\"a\", \"b\"]}", "/expr/cat", "unknown operator");
    expect_compile_error("{\"==\": [1]}", "/expr/==", "\"==\" takes 2 arguments, got 1");
    expect_compile_error("{\"<\": [1, 2, 3, 4]}", "/expr/<", "takes 2 to 3 arguments");
    expect_compile_error("{\"count\": [1, 2, 3]}", "/expr/count", "takes 1 argument, got 3");
    expect_compile_error("{\"coverage\": [[], \"k\"]}", "/expr/coverage", "takes 3 to 4 arguments");
    expect_compile_error("{\"and\": []}", "/expr/and", "at least 1");
    expect_compile_error("{\"==\": [1, 2], \"!=\": [1, 2]}", "/expr", "exactly one key");
    expect_compile_error("{}", "/expr", "exactly one key");
    expect_compile_error("{\"evidence\": {\"var\": \"k\"}}", "/expr/evidence", "kind must be a literal");
    expect_compile_error("{\"latest\": [[], 5]}", "/expr/latest", "field name must be a literal");
    expect_compile_error("{\"var\": \"$unknown.x\"}", "/expr/var", "unknown variable \"$unknown.x\"");
    expect_compile_error("{\"var\": -1}", "/expr/var", "array index");
    expect_compile_error("{\"var\": true}", "/expr/var", "string or a number");
}

static void test_compile_reports_all(void **state)
{
    diag_list_t *diags = diag_list_new();
    assert_null(compile_text("{\"and\": [{\"foo\": 1}, {\"bar\": [{\"==\": [1]}]}]}", diags));
    assert_int_equal(diag_list_errors(diags), 3);
    assert_true(find_diag(diags, DIAG_ERROR, "/expr/and/0/foo", "\"foo\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/expr/and/1/bar", "\"bar\"") >= 0);
    assert_true(find_diag(diags, DIAG_ERROR, "/expr/and/1/bar/0/==", "takes 2") >= 0);
    diag_list_destroy(&diags);
}

static void test_compile_depth_bounded(void **state)
{
    /* 100 nested "!" (over EXPR_MAX_DEPTH) is a clean compile error */
    char text[2048] = "";
    for (int i = 0; i < 100; i++)
        strcat(text, "{\"!\": ");
    strcat(text, "true");
    for (int i = 0; i < 100; i++)
        strcat(text, "}");
    diag_list_t *diags = diag_list_new();
    assert_null(compile_text(text, diags));
    assert_true(find_diag(diags, DIAG_ERROR, NULL, "nested deeper than") >= 0);
    diag_list_destroy(&diags);

    /* 60 is fine and evaluates */
    text[0] = '\0';
    for (int i = 0; i < 60; i++)
        strcat(text, "{\"!\": ");
    strcat(text, "true");
    for (int i = 0; i < 60; i++)
        strcat(text, "}");
    char *got = eval_text(*state, text);
    assert_string_equal(got, "true");
    free(got);
}

static void test_compile_records_refs(void **state)
{
    diag_list_t *diags = diag_list_new();
    cJSON *json = cJSON_Parse("{\"and\": [{\"evidence\": \"k1\"}, {\"var\": \"$unit.attributes.size.x\"},"
                              " {\"coverage\": [[], \"k2\", \"f\"]}]}");
    expr_compiler_t compiler;
    expr_compiler_init(&compiler, "test", diags);
    expr_t *expr = expr_compile(&compiler, json, "/e");
    assert_non_null(expr);
    assert_int_equal(compiler.ref_count, 3);
    assert_int_equal(compiler.refs[0].type, EXPR_REF_KIND);
    assert_string_equal(compiler.refs[0].name, "k1");
    assert_string_equal(compiler.refs[0].pointer, "/e/and/0/evidence");
    assert_int_equal(compiler.refs[1].type, EXPR_REF_ATTRIBUTE);
    assert_string_equal(compiler.refs[1].name, "size");
    assert_string_equal(compiler.refs[2].name, "k2");
    expr_compiler_clear(&compiler);
    expr_destroy(&expr);
    assert_null(expr);
    cJSON_Delete(json);
    diag_list_destroy(&diags);
}

/* ---- explanation marks ------------------------------------------------------- */

static void explain(const bundle_t *bundle, const char *text, int *verdict, char *evidence, char *expired)
{
    diag_list_t *diags = diag_list_new();
    expr_t *expr = compile_text(text, diags);
    assert_non_null(expr);
    eval_t *eval = eval_new(bundle);
    eval_begin(eval, true);
    *verdict = eval_test(eval, expr);
    size_t ev[16], ex[16], nev, nex;
    eval_explain(eval, *verdict == 1, ev, &nev, ex, &nex);
    evidence[0] = expired[0] = '\0';
    /* ids by index: the fixture's order */
    static const char *ids[] = { "IA-1", "IA-2", "IA-3", "CPK-1", "CPK-2", "CPK-3", "CPK-4", "DOC-1" };
    for (size_t i = 0; i < nev; i++)
        strcat(strcat(evidence, i ? "," : ""), ids[ev[i]]);
    for (size_t i = 0; i < nex; i++)
        strcat(strcat(expired, i ? "," : ""), ids[ex[i]]);
    eval_destroy(&eval);
    expr_destroy(&expr);
    diag_list_destroy(&diags);
}

static void test_explanations(void **state)
{
    int verdict;
    char evidence[256], expired[256];
    /* pass: the item that satisfied the predicate */
    explain(*state, "{\"some\": [{\"evidence\": \"internal_audit\"},"
                    " {\"<=\": [0, {\"age_days\": {\"var\": \"date\"}}, 365]}]}", &verdict, evidence, expired);
    assert_int_equal(verdict, 1);
    assert_string_equal(evidence, "IA-1");
    assert_string_equal(expired, "IA-3");
    /* fail: the items examined that did not satisfy it */
    explain(*state, "{\"some\": [{\"evidence\": \"internal_audit\"},"
                    " {\">\": [{\"var\": \"open_findings\"}, 5]}]}", &verdict, evidence, expired);
    assert_int_equal(verdict, 0);
    assert_string_equal(evidence, "IA-1,IA-2");
    assert_string_equal(expired, "IA-3");
    /* all: a fail rests on the item that broke it */
    explain(*state, "{\"all\": [{\"evidence\": \"internal_audit\"},"
                    " {\">\": [{\"var\": \"open_findings\"}, 1]}]}", &verdict, evidence, expired);
    assert_int_equal(verdict, 0);
    assert_string_equal(evidence, "IA-2");
    /* none: the offending item */
    explain(*state, "{\"none\": [{\"evidence\": \"internal_audit\"},"
                    " {\">\": [{\"var\": \"open_findings\"}, 1]}]}", &verdict, evidence, expired);
    assert_int_equal(verdict, 0);
    assert_string_equal(evidence, "IA-1");
    /* counted evidence: the items returned */
    explain(*state, "{\">=\": [{\"count\": {\"evidence\": \"capability\"}}, 3]}", &verdict, evidence, expired);
    assert_int_equal(verdict, 1);
    assert_string_equal(evidence, "CPK-1,CPK-2,CPK-3");
    assert_string_equal(expired, "CPK-4");
    /* a fail with nothing of the kind: nothing to name */
    explain(*state, "{\">=\": [{\"count\": {\"evidence\": \"nothing\"}}, 1]}", &verdict, evidence, expired);
    assert_int_equal(verdict, 0);
    assert_string_equal(evidence, "");
    assert_string_equal(expired, "");
    /* latest: the picked item */
    explain(*state, "{\"<=\": [{\"age_days\": {\"latest\": [{\"evidence\": \"internal_audit\"}, \"date\"]}}, 90]}",
            &verdict, evidence, expired);
    assert_int_equal(verdict, 0);
    assert_string_equal(evidence, "IA-1");
    /* coverage: covering items on a pass */
    explain(*state, "{\">=\": [{\"coverage\": [[\"a\", \"b\"], \"capability\", \"product\"]}, 1]}",
            &verdict, evidence, expired);
    assert_int_equal(verdict, 1);
    assert_string_equal(evidence, "CPK-1,CPK-2");
    assert_string_equal(expired, "CPK-4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_var),
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_comparison),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_in),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_age_days),
        cmocka_unit_test(test_count_latest),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_error_propagates),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_compile_reports_all),
        cmocka_unit_test(test_compile_depth_bounded),
        cmocka_unit_test(test_compile_records_refs),
        cmocka_unit_test(test_explanations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
