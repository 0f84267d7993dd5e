/*  test_display.c - stored text made safe for a terminal: C0, DEL, C1
    and broken UTF-8 shown as escapes; UTF-8 text, backslashes and plain
    ASCII untouched; cut short only between characters; every string of
    a broker's answer escaped in place. */
#include "display.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static void test_escape(void **state)
{
    struct { const char *in, *out; } cases[] = {
        { "plain text", "plain text" },
        { "", "" },
        { "Söhne Zürich 東京 😀", "Söhne Zürich 東京 😀" },
        { "back\\slash", "back\\slash" },
        { "\x1b]0;title\x07", "\\x1b]0;title\\x07" },
        { "\x1b[2J", "\\x1b[2J" },
        { "two\nlines\tand\rcr", "two\\x0alines\\x09and\\x0dcr" },
        { "del\x7f", "del\\x7f" },
        { "csi\xc2\x9b" "2J nel\xc2\x85", "csi\\u009b2J nel\\u0085" },
        { "\xc2\xa0nbsp", "\xc2\xa0nbsp" },           /* U+00A0 is printable */
        { "raw\x9b" "byte", "raw\\x9bbyte" },          /* not UTF-8 */
        { "cut\xe2\x82", "cut\\xe2\\x82" },
        { "overlong\xc0\x80", "overlong\\xc0\\x80" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = display_escape(cases[i].in);
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("case %zu: gave '%s', expected '%s'", i, out, cases[i].out);
        assert_int_equal(display_needs_escape(cases[i].in), strcmp(cases[i].in, out) != 0);
        free(out);
    }
    char *out = display_escape(NULL);
    assert_string_equal(out, "");
    free(out);
}

static void test_escape_into_cuts_between_characters(void **state)
{
    char out[8];
    assert_string_equal(display_escape_into("ab\x1b\x1b", out, sizeof out), "ab\\x1b");
    assert_string_equal(display_escape_into("abcdeü", out, sizeof out), "abcdeü");
    assert_string_equal(display_escape_into("abcdefü", out, sizeof out), "abcdef");
    assert_string_equal(display_escape_into("x", out, 1), "");
}

static void test_escape_json(void **state)
{
    cJSON *body = cJSON_Parse("{\"reason\":\"\\u001b[2J\",\"list\":[\"ok\",{\"by\":\"a\\u009bb\"}],"
                              "\"n\\u001b\":1,\"unit\":\"Zürich\"}");
    assert_non_null(body);
    assert_int_equal(display_escape_json(body), 0);
    char *text = cJSON_PrintUnformatted(body);
    assert_string_equal(text, "{\"reason\":\"\\\\x1b[2J\",\"list\":[\"ok\",{\"by\":\"a\\\\u009bb\"}],"
                              "\"n\\\\x1b\":1,\"unit\":\"Zürich\"}");
    free(text);
    cJSON_Delete(body);
    assert_int_equal(display_escape_json(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_escape_into_cuts_between_characters),
        cmocka_unit_test(test_escape_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
