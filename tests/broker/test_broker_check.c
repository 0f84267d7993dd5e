/*  test_broker_check.c - the checks the broker's validator threads run on
    each submission (broker_check.c): a valid bundle gives its unit, its
    canonical standards, its SHA-256 and the default key; every refusal
    keeps the text clients and tests/badinput know; the same catalog set
    serves several threads at once with the same verdicts.
*/
#include "broker_check.h"
#include "util.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNIT_FILE CHECK_SOURCE_DIR "/examples/units/alpenmed-innsbruck-certified.json"
#define BAD_FILE CHECK_SOURCE_DIR "/tests/badinput/duplicate-item-id.json"
#define MAX_BYTES (16u << 20)

static catalog_set_t *catalogs;

static char *read_file(const char *path, size_t *length)
{
    char error[256];
    char *text = util_file_read(path, 1u << 26, length, error, sizeof error);
    if (!text)
        fail_msg("%s", error);
    return text;
}

static int setup(void **state)
{
    diag_list_t *diags = diag_list_new();
    catalogs = util_catalogs_load(NULL, diags);
    diag_list_destroy(&diags);
    return catalogs ? 0 : -1;
}

static int teardown(void **state)
{
    catalog_set_destroy(&catalogs);
    return 0;
}

static void test_valid_default_key(void **state)
{
    size_t length;
    char *text = read_file(UNIT_FILE, &length);
    broker_check_t check;
    assert_int_equal(broker_check_submission(catalogs, MAX_BYTES, "iso9001-2015,iso13485-2016,iso9001-2015",
                                             "", text, length, &check), 0);
    assert_true(check.valid);
    assert_null(check.refusal);
    assert_string_equal(check.unit_id, "alpenmed-innsbruck-certified");
    /* Canonical: as given, duplicates removed. */
    assert_string_equal(check.standards, "iso9001-2015,iso13485-2016");
    char sha[65];
    engine_sha256_hex(text, length, sha);
    assert_string_equal(check.sha256, sha);
    /* The default key: sha256 of unit, standards and content hash. */
    char material[512], key[65];
    snprintf(material, sizeof material, "%s\n%s\n%s", check.unit_id, check.standards, sha);
    engine_sha256_hex(material, strlen(material), key);
    assert_memory_equal(check.key, "sha256:", 7);
    assert_string_equal(check.key + 7, key);
    broker_check_clear(&check);
    broker_check_clear(&check);   /* twice is harmless */
    free(text);
}

static void test_given_key_kept_whole(void **state)
{
    size_t length;
    char *text = read_file(UNIT_FILE, &length);
    /* A key as long as the protocol allows is kept whole, not cut. */
    char key[BROKER_CHECK_KEY_MAX + 1];
    memset(key, 'k', BROKER_CHECK_KEY_MAX);
    key[BROKER_CHECK_KEY_MAX] = '\0';
    broker_check_t check;
    assert_int_equal(broker_check_submission(catalogs, MAX_BYTES, "all", key, text, length, &check), 0);
    assert_string_equal(check.key, key);
    broker_check_clear(&check);
    free(text);
}

static void test_over_limit(void **state)
{
    broker_check_t check;
    assert_int_equal(broker_check_submission(catalogs, 10, "iso9001-2015", "", "{\"a\": 12345678}", 15,
                                             &check), -1);
    assert_false(check.valid);
    assert_string_equal(check.refusal, "bundle of 15 bytes is over the limit of 10 bytes");
    assert_null(check.standards);
    assert_null(check.unit_id);
    broker_check_clear(&check);
}

static void test_unknown_standard(void **state)
{
    size_t length;
    char *text = read_file(UNIT_FILE, &length);
    broker_check_t check;
    assert_int_equal(broker_check_submission(catalogs, MAX_BYTES, "iso9001-2015,nope-1", "", text,
                                             length, &check), -1);
    assert_non_null(strstr(check.refusal, "nope-1"));
    broker_check_clear(&check);
    free(text);
}

static void test_invalid_bundle(void **state)
{
    size_t length;
    char *text = read_file(BAD_FILE, &length);
    broker_check_t check;
    assert_int_equal(broker_check_submission(catalogs, MAX_BYTES, "iso13485-2016", "", text, length,
                                             &check), -1);
    /* The engine's own diagnostics, at the field's JSON Pointer. */
    assert_non_null(strstr(check.refusal, "/evidence/"));
    assert_null(check.standards);
    broker_check_clear(&check);
    free(text);

    assert_int_equal(broker_check_submission(catalogs, MAX_BYTES, "iso13485-2016", "", "", 0, &check), -1);
    assert_non_null(strstr(check.refusal, "empty bundle"));
    broker_check_clear(&check);
}

/* Threads share the catalog set read-only: the same verdicts as alone. */
typedef struct {
    const char *text;
    size_t length;
    char key[BROKER_CHECK_KEY_MAX + 1];
    int failures;
} thread_arg_t;

static void *check_many(void *argument)
{
    thread_arg_t *arg = argument;
    for (int i = 0; i < 50; i++) {
        broker_check_t check;
        if (broker_check_submission(catalogs, MAX_BYTES, "all", "", arg->text, arg->length, &check) != 0
            || strcmp(check.key, arg->key) != 0)
            arg->failures++;
        broker_check_clear(&check);
    }
    return NULL;
}

static void test_threads_share_catalogs(void **state)
{
    size_t length;
    char *text = read_file(UNIT_FILE, &length);
    broker_check_t alone;
    assert_int_equal(broker_check_submission(catalogs, MAX_BYTES, "all", "", text, length, &alone), 0);
    thread_arg_t args[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg_t) { .text = text, .length = length };
        snprintf(args[i].key, sizeof args[i].key, "%s", alone.key);
        assert_int_equal(pthread_create(&threads[i], NULL, check_many, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    broker_check_clear(&alone);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_default_key),
        cmocka_unit_test(test_given_key_kept_whole),
        cmocka_unit_test(test_over_limit),
        cmocka_unit_test(test_unknown_standard),
        cmocka_unit_test(test_invalid_bundle),
        cmocka_unit_test(test_threads_share_catalogs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
