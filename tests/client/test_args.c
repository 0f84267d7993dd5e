/*  test_args.c - the CLI's argument parser: options before and after
    positional arguments, --name=value, --, -, unknown and disallowed
    options, missing and bad values. */
#include "args.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#define COUNT(array) ((int) (sizeof array / sizeof array[0]))

static void test_submit_line(void **state)
{
    char *argv[] = { "submit", "units", "--standard", "iso9001-2015,iso13485-2016",
                     "--batch=nightly", "-", "--wait", "--timeout", "2.5", "--fail-on",
                     "major,maturity<2", "more.json" };
    args_t args;
    char error[256];
    unsigned allowed = ARG_STANDARD | ARG_BATCH | ARG_WAIT | ARG_TIMEOUT | ARG_FAIL_ON;
    assert_int_equal(args_parse(&args, COUNT(argv), argv, allowed, error, sizeof error), 0);
    assert_string_equal(args.command, "submit");
    assert_string_equal(args.standard, "iso9001-2015,iso13485-2016");
    assert_string_equal(args.batch, "nightly");
    assert_true(args.wait);
    assert_true(args.seen & ARG_TIMEOUT);
    assert_true(args.timeout_s > 2.49 && args.timeout_s < 2.51);
    assert_string_equal(args.fail_on, "major,maturity<2");
    assert_int_equal(args.positional_count, 3);
    assert_string_equal(args.positional[0], "units");
    assert_string_equal(args.positional[1], "-");
    assert_string_equal(args.positional[2], "more.json");
    assert_false(args.help);
    args_free(&args);
}

static void test_unknown_option(void **state)
{
    char *argv[] = { "status", "b1", "--frobnicate" };
    args_t args;
    char error[256];
    assert_int_equal(args_parse(&args, COUNT(argv), argv, ARG_BROKER, error, sizeof error), -1);
    assert_non_null(strstr(error, "--frobnicate"));
    args_free(&args);
}

static void test_option_not_allowed_here(void **state)
{
    /* --wait exists, but not for this subcommand. */
    char *argv[] = { "status", "--wait", "b1" };
    args_t args;
    char error[256];
    assert_int_equal(args_parse(&args, COUNT(argv), argv, ARG_BROKER, error, sizeof error), -1);
    assert_non_null(strstr(error, "--wait"));
    args_free(&args);
}

static void test_missing_and_bad_values(void **state)
{
    args_t args;
    char error[256];
    char *missing[] = { "wait", "b1", "--timeout" };
    assert_int_equal(args_parse(&args, COUNT(missing), missing, ARG_TIMEOUT, error, sizeof error), -1);
    assert_non_null(strstr(error, "needs a value"));
    args_free(&args);

    char *bad[] = { "wait", "b1", "--timeout", "soon" };
    assert_int_equal(args_parse(&args, COUNT(bad), bad, ARG_TIMEOUT, error, sizeof error), -1);
    assert_non_null(strstr(error, "soon"));
    args_free(&args);

    char *negative[] = { "wait", "b1", "--timeout=-1" };
    assert_int_equal(args_parse(&args, COUNT(negative), negative, ARG_TIMEOUT, error,
                                sizeof error), -1);
    args_free(&args);

    char *empty[] = { "submit", "x", "--batch", "" };
    assert_int_equal(args_parse(&args, COUNT(empty), empty, ARG_BATCH, error, sizeof error), -1);
    assert_non_null(strstr(error, "empty"));
    args_free(&args);

    char *flag_value[] = { "submit", "x", "--wait=yes" };
    assert_int_equal(args_parse(&args, COUNT(flag_value), flag_value, ARG_WAIT, error,
                                sizeof error), -1);
    args_free(&args);
}

static void test_double_dash_and_help(void **state)
{
    char *argv[] = { "check", "-v", "--", "--odd-name.json", "-h" };
    args_t args;
    char error[256];
    assert_int_equal(args_parse(&args, COUNT(argv), argv, ARG_VERBOSE, error, sizeof error), 0);
    assert_true(args.verbose);
    assert_false(args.help);    /* after --, -h is a file name */
    assert_int_equal(args.positional_count, 2);
    assert_string_equal(args.positional[0], "--odd-name.json");
    assert_string_equal(args.positional[1], "-h");
    args_free(&args);

    char *help[] = { "results", "--help" };
    assert_int_equal(args_parse(&args, COUNT(help), help, 0, error, sizeof error), 0);
    assert_true(args.help);
    args_free(&args);
}

static void test_short_options_and_format(void **state)
{
    char *argv[] = { "results", "b1", "-f", "csv", "-q" };
    args_t args;
    char error[256];
    assert_int_equal(args_parse(&args, COUNT(argv), argv, ARG_FORMAT | ARG_QUIET, error,
                                sizeof error), 0);
    assert_string_equal(args.format, "csv");
    assert_true(args.quiet);
    args_free(&args);
}

static void test_seconds(void **state)
{
    double seconds = -1;
    assert_true(args_parse_seconds("0", &seconds));
    assert_true(seconds == 0);
    assert_true(args_parse_seconds("120", &seconds));
    assert_true(seconds == 120);
    assert_false(args_parse_seconds("", &seconds));
    assert_false(args_parse_seconds("1s", &seconds));
    assert_false(args_parse_seconds("nan", &seconds));
    assert_false(args_parse_seconds("inf", &seconds));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_line),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_option_not_allowed_here),
        cmocka_unit_test(test_missing_and_bad_values),
        cmocka_unit_test(test_double_dash_and_help),
        cmocka_unit_test(test_short_options_and_format),
        cmocka_unit_test(test_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
