/*  test_broker_quota.c - per-identity intake quotas (broker_quota.c):
    unfinished jobs and bytes per hour are counted per identity, refused
    temporarily when over and permanently when a single bundle can never
    fit; the hour slides by the minute; a database refresh replaces the
    unfinished counts.
*/
#include "broker_quota.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define MINUTE 60000

static void test_unfinished_jobs_per_identity(void **state)
{
    broker_quota_t *quota = broker_quota_new((broker_quota_limits_t) {.unfinished_jobs = 2});
    char reason[256];
    assert_int_equal(broker_quota_admit(quota, "alice", 10, 0, reason, sizeof reason), BROKER_QUOTA_ADMITTED);
    assert_int_equal(broker_quota_admit(quota, "alice", 10, 0, reason, sizeof reason), BROKER_QUOTA_ADMITTED);
    assert_int_equal(broker_quota_admit(quota, "alice", 10, 0, reason, sizeof reason), BROKER_QUOTA_TEMPORARY);
    assert_non_null(strstr(reason, "alice"));
    assert_non_null(strstr(reason, "unfinished jobs (limit 2)"));
    /* Another identity has its own account. */
    assert_int_equal(broker_quota_admit(quota, "bob", 10, 0, reason, sizeof reason), BROKER_QUOTA_ADMITTED);
    /* A submission that did not become a job gives its slot back. */
    broker_quota_unadmit(quota, "alice");
    assert_int_equal(broker_quota_unfinished(quota, "alice"), 1);
    assert_int_equal(broker_quota_admit(quota, "alice", 10, 0, reason, sizeof reason), BROKER_QUOTA_ADMITTED);
    broker_quota_destroy(&quota);
    assert_null(quota);
}

static void test_refresh_replaces_counts(void **state)
{
    broker_quota_t *quota = broker_quota_new((broker_quota_limits_t) {.unfinished_jobs = 1});
    char reason[256];
    assert_int_equal(broker_quota_admit(quota, "alice", 1, 0, reason, sizeof reason), BROKER_QUOTA_ADMITTED);
    assert_int_equal(broker_quota_admit(quota, "alice", 1, 0, reason, sizeof reason), BROKER_QUOTA_TEMPORARY);
    /* The job finished: the database no longer lists alice. */
    broker_quota_refresh_begin(quota);
    assert_int_equal(broker_quota_unfinished(quota, "alice"), 0);
    assert_int_equal(broker_quota_admit(quota, "alice", 1, 0, reason, sizeof reason), BROKER_QUOTA_ADMITTED);
    /* A refresh that counts jobs (after a broker restart, say) holds. */
    broker_quota_refresh_begin(quota);
    broker_quota_set_unfinished(quota, "carol", 5);
    assert_int_equal(broker_quota_admit(quota, "carol", 1, 0, reason, sizeof reason), BROKER_QUOTA_TEMPORARY);
    broker_quota_destroy(&quota);
}

static void test_bytes_per_hour_slide(void **state)
{
    broker_quota_t *quota = broker_quota_new((broker_quota_limits_t) {.bytes_per_hour = 1000});
    char reason[256];
    int64_t t = 5 * MINUTE;
    assert_int_equal(broker_quota_admit(quota, "alice", 600, t, reason, sizeof reason), BROKER_QUOTA_ADMITTED);
    assert_int_equal(broker_quota_admit(quota, "alice", 300, t + 30 * MINUTE, reason, sizeof reason),
                     BROKER_QUOTA_ADMITTED);
    assert_int_equal(broker_quota_bytes_last_hour(quota, "alice", t + 30 * MINUTE), 900);
    assert_int_equal(broker_quota_admit(quota, "alice", 200, t + 59 * MINUTE, reason, sizeof reason),
                     BROKER_QUOTA_TEMPORARY);
    assert_non_null(strstr(reason, "900 bytes in the last hour (limit 1000)"));
    /* An hour after the first, its 600 bytes have left the window. */
    assert_int_equal(broker_quota_admit(quota, "alice", 200, t + 60 * MINUTE, reason, sizeof reason),
                     BROKER_QUOTA_ADMITTED);
    assert_int_equal(broker_quota_bytes_last_hour(quota, "alice", t + 60 * MINUTE), 500);
    /* Long silence clears everything. */
    assert_int_equal(broker_quota_bytes_last_hour(quota, "alice", t + 600 * MINUTE), 0);
    broker_quota_destroy(&quota);
}

static void test_bundle_larger_than_an_hour_is_permanent(void **state)
{
    broker_quota_t *quota = broker_quota_new((broker_quota_limits_t) {.bytes_per_hour = 1000});
    char reason[256];
    assert_int_equal(broker_quota_admit(quota, "alice", 1001, 0, reason, sizeof reason), BROKER_QUOTA_PERMANENT);
    assert_non_null(strstr(reason, "1001 bytes"));
    /* Nothing was charged for it. */
    assert_int_equal(broker_quota_bytes_last_hour(quota, "alice", 0), 0);
    assert_int_equal(broker_quota_unfinished(quota, "alice"), 0);
    broker_quota_destroy(&quota);
}

static void test_no_limits(void **state)
{
    broker_quota_t *quota = broker_quota_new((broker_quota_limits_t) {0});
    char reason[64];
    for (int i = 0; i < 1000; i++)
        assert_int_equal(broker_quota_admit(quota, "bulk", UINT64_C(1) << 40, 0, reason, sizeof reason),
                         BROKER_QUOTA_ADMITTED);
    broker_quota_destroy(&quota);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unfinished_jobs_per_identity),
        cmocka_unit_test(test_refresh_replaces_counts),
        cmocka_unit_test(test_bytes_per_hour_slide),
        cmocka_unit_test(test_bundle_larger_than_an_hour_is_permanent),
        cmocka_unit_test(test_no_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
