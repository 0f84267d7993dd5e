/*  test_engine_value.c - the engine's own value representation (value.h),
    the bundle's kind index, and the evidence prefilter: the pieces that
    made evaluation fast must not change what it computes.
*/
#include "engine_test.h"
#include "expr_internal.h"
#include "internal.h"
#include "value.h"

#include "date.h"

static value_t convert_text(value_pool_t *pool, const char *text, cJSON **json)
{
    *json = cJSON_Parse(text);
    assert_non_null(*json);
    value_t v;
    assert_true(value_pool_convert(pool, *json, &v));
    return v;
}

static const value_t *member(const value_t *object, const char *name)
{
    assert_int_equal(object->type, V_OBJECT);
    return object_find(object->u.object, value_name_key(name, strlen(name)), name, strlen(name));
}

static void test_convert_scalars(void **state)
{
    value_pool_t *pool = value_pool_new();
    cJSON *json;
    value_t v = convert_text(pool, "{\"s\": \"ab\\u00e9\", \"d\": \"2026-11-01\", \"t\": \"2026-10-31T23:00:00Z\","
                                   " \"bad\": \"2026-13-01\", \"n\": 1.5, \"b\": false, \"z\": null,"
                                   " \"e\": \"\", \"code\": \"12345\"}", &json);
    const value_t *s = member(&v, "s");
    assert_int_equal(s->type, V_STRING);
    assert_int_equal(s->u.string.length, 4);    /* bytes, é is two */
    assert_int_equal(value_day(s), DATE_NONE);
    int32_t day;
    assert_true(date_parse_day("2026-11-01", &day));
    assert_int_equal(member(&v, "d")->day, day);            /* parsed at conversion */
    assert_int_equal(value_day(member(&v, "t")), day - 1);
    assert_int_equal(value_day(member(&v, "bad")), DATE_NONE);
    assert_int_equal(value_day(member(&v, "code")), DATE_NONE);
    assert_int_equal(member(&v, "n")->type, V_NUMBER);
    assert_true(member(&v, "n")->u.number == 1.5);
    assert_int_equal(member(&v, "b")->type, V_BOOL);
    assert_false(value_truthy(member(&v, "b")));
    assert_int_equal(member(&v, "z")->type, V_NULL);
    assert_false(value_truthy(member(&v, "e")));
    assert_null(member(&v, "missing"));
    assert_null(member(&v, "S"));               /* names are case-sensitive */
    cJSON_Delete(json);
    value_pool_destroy(&pool);
    assert_null(pool);
}

static void test_convert_composites(void **state)
{
    value_pool_t *pool = value_pool_new();
    cJSON *json;
    value_t v = convert_text(pool, "{\"a\": [1, \"x\", [true]], \"o\": {\"k\": []}, \"o2\": {\"k\": []}}", &json);
    const value_t *a = member(&v, "a");
    assert_int_equal(a->type, V_LIST);
    assert_int_equal(a->u.list->count, 3);
    assert_int_equal(a->u.list->items[1].type, V_STRING);
    assert_int_equal(a->u.list->items[2].type, V_LIST);
    assert_int_equal(value_pool_depth(pool), 4);        /* object, array, array, true */
    /* composites compare by identity: the same node, not equal content */
    const value_t *o = member(&v, "o"), *o2 = member(&v, "o2");
    assert_true(value_strict_equal(o, o));
    assert_false(value_strict_equal(o, o2));
    assert_false(value_strict_equal(member(o, "k"), member(o2, "k")));  /* two empty arrays */
    assert_true(value_truthy(member(o, "k")) == false);
    /* printed back unchanged */
    cJSON *back = value_to_json(&v);
    char *text = cJSON_PrintUnformatted(back);
    assert_string_equal(text, "{\"a\":[1,\"x\",[true]],\"o\":{\"k\":[]},\"o2\":{\"k\":[]}}");
    free(text);
    cJSON_Delete(back);
    cJSON_Delete(json);
    value_pool_destroy(&pool);
}

static void test_duplicate_names(void **state)
{
    value_pool_t *pool = value_pool_new();
    cJSON *json;
    value_t v = convert_text(pool, "{\"status\": \"draft\", \"id\": 1, \"status\": \"approved\"}", &json);
    assert_false(v.u.object->unique);
    /* the first wins, even when a hint points at the later one */
    uint32_t hint = 2;
    const value_t *found = object_find_hinted(v.u.object, value_name_key("status", 6), "status", 6, &hint);
    assert_non_null(found);
    assert_string_equal(found->u.string.text, "draft");
    cJSON_Delete(json);

    value_t w = convert_text(pool, "{\"a\": 1, \"b\": 2, \"c\": 3}", &json);
    assert_true(w.u.object->unique);
    /* a stale or wrong hint only costs a scan */
    hint = 0;
    found = object_find_hinted(w.u.object, value_name_key("c", 1), "c", 1, &hint);
    assert_true(found->u.number == 3);
    assert_int_equal(hint, 2);
    hint = 99;
    found = object_find_hinted(w.u.object, value_name_key("b", 1), "b", 1, &hint);
    assert_true(found->u.number == 2);
    assert_null(object_find_hinted(w.u.object, value_name_key("d", 1), "d", 1, &hint));
    cJSON_Delete(json);
    value_pool_destroy(&pool);
}

/* Every length, a difference at every position: the overlapping loads
   must see each byte. */
static void test_bytes_equal(void **state)
{
    char a[48], b[48];
    for (size_t length = 0; length <= 40; length++) {
        for (size_t i = 0; i < length; i++)
            a[i] = b[i] = (char) ('a' + i % 26);
        assert_true(value_bytes_equal(a, b, length));
        for (size_t at = 0; at < length; at++) {
            b[at] = 'Z';
            assert_false(value_bytes_equal(a, b, length));
            b[at] = a[at];
        }
    }
}

/* Many kinds, interleaved: every kind's items in bundle order. */
static void test_kind_index(void **state)
{
    enum { KINDS = 40, ITEMS = 200 };
    char *text = malloc(64 * 1024);
    size_t n = (size_t) sprintf(text, "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u\"}, \"as_of\": \"2026-11-01\","
                                      " \"evidence\": [");
    for (int i = 0; i < ITEMS; i++)
        n += (size_t) sprintf(text + n, "%s{\"id\": \"I%d\", \"kind\": \"kind_%d\", \"type\": \"record\"}",
                              i ? ", " : "", i, (i * 7) % KINDS);
    strcpy(text + n, "]}");
    bundle_t *bundle = make_bundle(text, NULL);
    free(text);
    assert_int_equal(bundle->kind_count, KINDS);
    size_t total = 0;
    for (int k = 0; k < KINDS; k++) {
        char kind[32];
        int length = sprintf(kind, "kind_%d", k);
        const size_t *indices;
        size_t count = bundle_kind_items(bundle, value_name_key(kind, (size_t) length), kind,
                                         (size_t) length, &indices);
        assert_int_equal(count, ITEMS / KINDS);
        for (size_t i = 0; i < count; i++) {
            assert_int_equal((indices[i] * 7) % KINDS, (size_t) k);
            if (i)
                assert_true(indices[i] > indices[i - 1]);
        }
        total += count;
    }
    assert_int_equal(total, ITEMS);
    const size_t *indices;
    assert_int_equal(bundle_kind_items(bundle, value_name_key("kind_", 5), "kind_", 5, &indices), 0);
    assert_int_equal(bundle_kind_items(bundle, value_name_key("kind_400", 8), "kind_400", 8, &indices), 0);
    bundle_destroy(&bundle);
}

static const expr_t *prefilter_of(const char *text, expr_t **owner)
{
    diag_list_t *diags = diag_list_new();
    *owner = compile_text(text, diags);
    diag_list_destroy(&diags);
    assert_non_null(*owner);
    return (*owner)->prefilter;
}

static void test_prefilter_shapes(void **state)
{
    expr_t *e;
    const expr_t *p;
    /* the "in" after an equality */
    p = prefilter_of("{\"evidence\": [\"procedure\", {\"and\": [{\"==\": [{\"var\": \"status\"}, \"approved\"]},"
                     " {\"in\": [\"t\", {\"var\": [\"topics\", []]}]}]}]}", &e);
    assert_non_null(p);
    assert_int_equal(p->op, OP_IN);
    expr_destroy(&e);
    /* a leading string equality */
    p = prefilter_of("{\"evidence\": [\"kpi\", {\"and\": [{\"==\": [{\"var\": \"metric\"}, \"m\"]},"
                     " {\"<=\": [0, {\"age_days\": {\"var\": \"date\"}}, 365]}]}]}", &e);
    assert_non_null(p);
    assert_int_equal(p->op, OP_EQ);
    expr_destroy(&e);
    /* something that may mark or fail before the "in": none */
    p = prefilter_of("{\"evidence\": [\"procedure\", {\"and\": [{\"<=\": [{\"age_days\": {\"var\": \"date\"}}, 9]},"
                     " {\"in\": [\"t\", {\"var\": \"topics\"}]}]}]}", &e);
    assert_null(p);
    expr_destroy(&e);
    p = prefilter_of("{\"evidence\": [\"procedure\", {\"or\": [{\"in\": [\"t\", {\"var\": \"topics\"}]}, true]}]}", &e);
    assert_null(p);
    expr_destroy(&e);
    /* a computed default, or a number needle: evaluated in full */
    p = prefilter_of("{\"evidence\": [\"p\", {\"in\": [\"t\", {\"var\": [\"topics\", {\"var\": \"x\"}]}]}]}", &e);
    assert_null(p);
    expr_destroy(&e);
    p = prefilter_of("{\"evidence\": [\"p\", {\"in\": [1, {\"var\": \"topics\"}]}]}", &e);
    assert_null(p);
    expr_destroy(&e);
}

/* Items the prefilter sees: the shapes it must not decide alone. */
static const char *prefilter_bundle =
    "{\"assay\": \"bundle/1\", \"unit\": {\"id\": \"u\"}, \"as_of\": \"2026-11-01\", \"evidence\": ["
    " {\"id\": \"P1\", \"kind\": \"procedure\", \"type\": \"document\", \"status\": \"approved\", \"topics\": [\"a\", \"b\"]},"
    " {\"id\": \"P2\", \"kind\": \"procedure\", \"type\": \"document\", \"status\": \"approved\", \"topics\": \"xaby\"},"
    " {\"id\": \"P3\", \"kind\": \"procedure\", \"type\": \"document\", \"status\": \"draft\", \"topics\": [\"a\"]},"
    " {\"id\": \"P4\", \"kind\": \"procedure\", \"type\": \"document\", \"status\": \"approved\"},"
    " {\"id\": \"P5\", \"kind\": \"procedure\", \"type\": \"document\", \"status\": \"approved\", \"topics\": [\"c\"],"
    "  \"expires\": \"2026-01-01\"},"
    " {\"id\": \"K1\", \"kind\": \"kpi\", \"type\": \"metric\", \"metric\": 1},"
    " {\"id\": \"K2\", \"kind\": \"kpi\", \"type\": \"metric\", \"metric\": \"m\"},"
    " {\"id\": \"K3\", \"kind\": \"kpi\", \"type\": \"metric\", \"fields\": {\"metric\": \"m\"}}"
    "]}";

static void test_prefilter_results(void **state)
{
    bundle_t *bundle = make_bundle(prefilter_bundle, NULL);
    static const struct {
        const char *expr, *expected;
    } cases[] = {
        /* list membership, substring of a string haystack, missing field */
        { "{\"map\": [{\"evidence\": [\"procedure\", {\"and\": [{\"==\": [{\"var\": \"status\"}, \"approved\"]},"
          " {\"in\": [\"ab\", {\"var\": [\"topics\", []]}]}]}]}, {\"var\": \"id\"}]}", "[\"P2\"]" },
        { "{\"map\": [{\"evidence\": [\"procedure\", {\"in\": [\"a\", {\"var\": \"topics\"}]}]}, {\"var\": \"id\"}]}",
          "[\"P1\",\"P2\",\"P3\"]" },
        /* a haystack "in" cannot search is still an error */
        { "{\"evidence\": [\"kpi\", {\"in\": [\"m\", {\"var\": \"metric\"}]}]}",
          "ERROR: in: expected a string or an array, got a number" },
        /* loose equality converts: 1 == "1"; and "fields" are read too */
        { "{\"map\": [{\"evidence\": [\"kpi\", {\"==\": [{\"var\": \"metric\"}, \"1\"]}]}, {\"var\": \"id\"}]}",
          "[\"K1\"]" },
        { "{\"map\": [{\"evidence\": [\"kpi\", {\"and\": [{\"==\": [\"m\", {\"var\": \"metric\"}]}, true]}]},"
          " {\"var\": \"id\"}]}", "[\"K2\",\"K3\"]" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = eval_text(bundle, cases[i].expr);
        if (strncmp(cases[i].expected, "ERROR: ", 7) == 0)
            assert_true(strncmp(got, cases[i].expected, strlen(cases[i].expected)) == 0);
        else
            assert_string_equal(got, cases[i].expected);
        free(got);
    }
    /* explanations: rejected items are named on a fail, expired ones too */
    diag_list_t *diags = diag_list_new();
    expr_t *expr = compile_text("{\"evidence\": [\"procedure\", {\"and\": [{\"==\": [{\"var\": \"status\"}, \"approved\"]},"
                                " {\"in\": [\"zz\", {\"var\": [\"topics\", []]}]}]}]}", diags);
    assert_non_null(expr->prefilter);
    eval_t *eval = eval_new(bundle);
    eval_begin(eval, true);
    assert_int_equal(eval_test(eval, expr), 0);
    size_t evidence[8], expired[8], evidence_count, expired_count;
    eval_explain(eval, false, evidence, &evidence_count, expired, &expired_count);
    assert_int_equal(evidence_count, 4);        /* P1..P4 judged and rejected */
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(evidence[i], i);
    assert_int_equal(expired_count, 1);
    assert_int_equal(expired[0], 4);
    eval_destroy(&eval);
    expr_destroy(&expr);
    diag_list_destroy(&diags);
    bundle_destroy(&bundle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_scalars),
        cmocka_unit_test(test_convert_composites),
        cmocka_unit_test(test_duplicate_names),
        cmocka_unit_test(test_bytes_equal),
        cmocka_unit_test(test_kind_index),
        cmocka_unit_test(test_prefilter_shapes),
        cmocka_unit_test(test_prefilter_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
