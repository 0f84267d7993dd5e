/*  test_policy.c - --fail-on: parsing (rules, combinations, errors) and
    evaluation against result summaries. */
#include "policy.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

static cJSON *summary(const char *readiness, int major, int minor, double maturity)
{
    cJSON *object = cJSON_CreateObject();
    cJSON_AddStringToObject(object, "unit", "u1");
    cJSON_AddStringToObject(object, "standard", "iso13485-2016");
    cJSON_AddNumberToObject(object, "maturity", maturity);
    cJSON_AddStringToObject(object, "readiness", readiness);
    cJSON_AddNumberToObject(object, "major_nc", major);
    cJSON_AddNumberToObject(object, "minor_nc", minor);
    cJSON_AddNumberToObject(object, "observations", 0);
    return object;
}

static void test_parse_rules(void **state)
{
    policy_t policy;
    char error[256];
    assert_int_equal(policy_parse(&policy, NULL, error, sizeof error), 0);
    assert_true(policy_is_none(&policy));
    assert_int_equal(policy_parse(&policy, "none", error, sizeof error), 0);
    assert_true(policy_is_none(&policy));
    assert_int_equal(policy_parse(&policy, "major, not-ready,maturity<2.5", error, sizeof error), 0);
    assert_true(policy.major);
    assert_false(policy.minor);
    assert_true(policy.not_ready);
    assert_true(policy.maturity);
    assert_true(policy.maturity_below > 2.49 && policy.maturity_below < 2.51);
    assert_false(policy_is_none(&policy));
    /* The strictest threshold wins. */
    assert_int_equal(policy_parse(&policy, "maturity<2,maturity<3", error, sizeof error), 0);
    assert_true(policy.maturity_below > 2.99 && policy.maturity_below < 3.01);
}

static void test_parse_errors(void **state)
{
    policy_t policy;
    char error[256];
    assert_int_equal(policy_parse(&policy, "majr", error, sizeof error), -1);
    assert_non_null(strstr(error, "majr"));
    assert_int_equal(policy_parse(&policy, "maturity<", error, sizeof error), -1);
    assert_int_equal(policy_parse(&policy, "maturity<6", error, sizeof error), -1);
    assert_int_equal(policy_parse(&policy, "maturity<x", error, sizeof error), -1);
    assert_int_equal(policy_parse(&policy, "major,,minor", error, sizeof error), -1);
    /* A failed parse leaves no half-set policy behind. */
    assert_int_equal(policy_parse(&policy, "major,bogus", error, sizeof error), -1);
    assert_true(policy_is_none(&policy));
}

static void test_evaluate(void **state)
{
    policy_t policy;
    char error[256], reason[256];
    cJSON *clean = summary("ready", 0, 0, 4.2);
    cJSON *minor = summary("conditional", 0, 2, 3.1);
    cJSON *major = summary("not_ready", 1, 0, 1.5);
    cJSON *guidance = summary("n/a", 0, 0, 2.0);

    assert_int_equal(policy_parse(&policy, "none", error, sizeof error), 0);
    assert_false(policy_breached(&policy, major, reason, sizeof reason));

    assert_int_equal(policy_parse(&policy, "major", error, sizeof error), 0);
    assert_false(policy_breached(&policy, clean, reason, sizeof reason));
    assert_false(policy_breached(&policy, minor, reason, sizeof reason));
    assert_true(policy_breached(&policy, major, reason, sizeof reason));
    assert_non_null(strstr(reason, "1 major NC"));

    /* minor covers major too: "fail on minor or worse". */
    assert_int_equal(policy_parse(&policy, "minor", error, sizeof error), 0);
    assert_true(policy_breached(&policy, minor, reason, sizeof reason));
    assert_true(policy_breached(&policy, major, reason, sizeof reason));
    assert_false(policy_breached(&policy, clean, reason, sizeof reason));

    assert_int_equal(policy_parse(&policy, "not-ready", error, sizeof error), 0);
    assert_false(policy_breached(&policy, minor, reason, sizeof reason));
    assert_false(policy_breached(&policy, guidance, reason, sizeof reason));
    assert_true(policy_breached(&policy, major, reason, sizeof reason));

    assert_int_equal(policy_parse(&policy, "conditional", error, sizeof error), 0);
    assert_true(policy_breached(&policy, minor, reason, sizeof reason));
    assert_false(policy_breached(&policy, guidance, reason, sizeof reason));

    assert_int_equal(policy_parse(&policy, "maturity<3", error, sizeof error), 0);
    assert_false(policy_breached(&policy, clean, reason, sizeof reason));
    assert_false(policy_breached(&policy, minor, reason, sizeof reason));
    assert_true(policy_breached(&policy, guidance, reason, sizeof reason));
    assert_non_null(strstr(reason, "maturity 2.00 < 3"));

    /* Several rules: every breached one is named. */
    assert_int_equal(policy_parse(&policy, "major,maturity<2", error, sizeof error), 0);
    assert_true(policy_breached(&policy, major, reason, sizeof reason));
    assert_non_null(strstr(reason, "major NC"));
    assert_non_null(strstr(reason, "maturity 1.50 < 2"));

    cJSON_Delete(clean);
    cJSON_Delete(minor);
    cJSON_Delete(major);
    cJSON_Delete(guidance);
}

static void test_missing_fields_breach(void **state)
{
    policy_t policy;
    char error[256], reason[256];
    cJSON *empty = cJSON_CreateObject();
    assert_int_equal(policy_parse(&policy, "major", error, sizeof error), 0);
    assert_true(policy_breached(&policy, empty, reason, sizeof reason));
    assert_int_equal(policy_parse(&policy, "none", error, sizeof error), 0);
    assert_false(policy_breached(&policy, empty, reason, sizeof reason));
    cJSON_Delete(empty);
}

/* An assessment with assessors' overrides: the counts and readiness
   they give decide the NC and readiness rules; maturity stays the
   machine's. */
static void test_overrides_decide(void **state)
{
    policy_t policy;
    char error[256], reason[256];
    cJSON *waived = summary("not_ready", 1, 0, 2.0);
    cJSON *effective = cJSON_AddObjectToObject(waived, "effective");
    cJSON_AddStringToObject(effective, "readiness", "ready");
    cJSON_AddNumberToObject(effective, "major_nc", 0);
    cJSON_AddNumberToObject(effective, "minor_nc", 0);
    assert_int_equal(policy_parse(&policy, "major,not-ready", error, sizeof error), 0);
    assert_false(policy_breached(&policy, waived, reason, sizeof reason));
    assert_int_equal(policy_parse(&policy, "maturity<3", error, sizeof error), 0);
    assert_true(policy_breached(&policy, waived, reason, sizeof reason));
    assert_string_equal(reason, "maturity 2.00 < 3");

    cJSON *raised = summary("ready", 0, 0, 4.0);
    effective = cJSON_AddObjectToObject(raised, "effective");
    cJSON_AddStringToObject(effective, "readiness", "conditional");
    cJSON_AddNumberToObject(effective, "major_nc", 0);
    cJSON_AddNumberToObject(effective, "minor_nc", 1);
    assert_int_equal(policy_parse(&policy, "minor", error, sizeof error), 0);
    assert_true(policy_breached(&policy, raised, reason, sizeof reason));
    assert_string_equal(reason, "1 minor NC; with assessors' overrides");
    assert_int_equal(policy_parse(&policy, "conditional", error, sizeof error), 0);
    assert_true(policy_breached(&policy, raised, reason, sizeof reason));
    assert_int_equal(policy_parse(&policy, "major", error, sizeof error), 0);
    assert_false(policy_breached(&policy, raised, reason, sizeof reason));
    cJSON_Delete(waived);
    cJSON_Delete(raised);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rules),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_evaluate),
        cmocka_unit_test(test_missing_fields_breach),
        cmocka_unit_test(test_overrides_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
