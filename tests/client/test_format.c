/*  test_format.c - the output formats of `assay results` and `assay
    check` for fixed result documents, byte for byte, and CSV quoting. */
#include "format.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

/* Two assessments of one unit, in the shape of docs/catalog-format.md
   ("Result document"): a title with a comma and quotes to quote. */
static const char document_13485[] =
    "{\"unit\":\"acme-stuttgart\",\"unit_name\":\"ACME Stuttgart plant\",\"org\":\"acme\","
    "\"standard\":\"iso13485-2016\",\"edition\":\"2016\",\"catalog_sha256\":\"abc\","
    "\"as_of\":\"2026-11-01\",\"maturity\":2.43,\"maturity_by_clause\":{\"8\":2.43},"
    "\"readiness\":\"not_ready\",\"major_nc\":1,\"minor_nc\":0,\"observations\":1,"
    "\"clauses\":["
    "{\"id\":\"8.2\",\"title\":\"Monitoring, \\\"measurement\\\"\",\"parent\":\"8\","
    "\"assessed\":true,\"applicable\":true,\"level\":2.5,\"status\":\"major_nc\",\"weight\":1},"
    "{\"id\":\"8.2.4\",\"title\":\"Internal audit\",\"parent\":\"8.2\",\"assessed\":true,"
    "\"applicable\":true,\"level\":2,\"status\":\"major_nc\",\"weight\":1},"
    "{\"id\":\"7.5.7\",\"title\":\"Sterilization\",\"parent\":\"7.5\",\"assessed\":false,"
    "\"applicable\":false,\"level\":null,\"status\":\"not_applicable\",\"weight\":1}],"
    "\"checks\":[],"
    "\"findings\":[{\"clause\":\"8.2.4\",\"check\":\"8.2.4/recent\",\"severity\":\"major\","
    "\"text\":\"An internal audit was completed in the last 12 months\",\"evidence\":[\"IA-7\"]},"
    "{\"clause\":\"8.2.4\",\"check\":\"8.2.4/scope\",\"severity\":\"observation\","
    "\"text\":\"scope\",\"evidence\":[]}]}";

static const char document_9001[] =
    "{\"unit\":\"acme-stuttgart\",\"unit_name\":\"ACME Stuttgart plant\",\"org\":\"acme\","
    "\"standard\":\"iso9001-2015\",\"edition\":\"2015\",\"catalog_sha256\":\"def\","
    "\"as_of\":\"2026-11-01\",\"maturity\":4,\"maturity_by_clause\":{},"
    "\"readiness\":\"ready\",\"major_nc\":0,\"minor_nc\":0,\"observations\":0,"
    "\"clauses\":[{\"id\":\"9.2\",\"title\":\"Internal audit\",\"parent\":\"9\","
    "\"assessed\":true,\"applicable\":true,\"level\":4,\"status\":\"conformant\",\"weight\":1}],"
    "\"checks\":[],\"findings\":[]}";

/* Run one format over both documents and return what it printed. */
static char *render(format_kind_t kind, const cJSON *unfinished_job)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    format_t *format = format_new(kind, out);
    assert_non_null(format);
    cJSON *first = cJSON_Parse(document_13485), *second = cJSON_Parse(document_9001);
    assert_non_null(first);
    assert_non_null(second);
    assert_int_equal(format_assessment(format, first), 0);
    assert_int_equal(format_assessment(format, second), 0);
    if (unfinished_job)
        assert_int_equal(format_unfinished_job(format, unfinished_job), 0);
    assert_int_equal(format_finish(format), 0);
    assert_int_equal(format_count(format), 2);
    format_destroy(&format);
    assert_null(format);
    cJSON_Delete(first);
    cJSON_Delete(second);
    fclose(out);
    return text;
}

static void test_jsonl(void **state)
{
    char *text = render(FORMAT_JSONL, NULL);
    assert_string_equal(text,
        "{\"unit\":\"acme-stuttgart\",\"unit_name\":\"ACME Stuttgart plant\",\"org\":\"acme\","
        "\"standard\":\"iso13485-2016\",\"edition\":\"2016\",\"as_of\":\"2026-11-01\","
        "\"maturity\":2.43,\"readiness\":\"not_ready\",\"major_nc\":1,\"minor_nc\":0,"
        "\"observations\":1}\n"
        "{\"unit\":\"acme-stuttgart\",\"unit_name\":\"ACME Stuttgart plant\",\"org\":\"acme\","
        "\"standard\":\"iso9001-2015\",\"edition\":\"2015\",\"as_of\":\"2026-11-01\","
        "\"maturity\":4,\"readiness\":\"ready\",\"major_nc\":0,\"minor_nc\":0,"
        "\"observations\":0}\n");
    free(text);
}

static void test_json_is_one_last_line(void **state)
{
    char *text = render(FORMAT_JSON, NULL);
    size_t length = strlen(text);
    assert_true(length > 2);
    assert_int_equal(text[length - 1], '\n');
    assert_null(memchr(text, '\n', length - 1));    /* one line */
    cJSON *document = cJSON_Parse(text);
    assert_non_null(document);
    cJSON *assessments = cJSON_GetObjectItemCaseSensitive(document, "assessments");
    assert_int_equal(cJSON_GetArraySize(assessments), 2);
    /* The full documents, as given. */
    cJSON *expected = cJSON_Parse(document_13485);
    assert_true(cJSON_Compare(cJSON_GetArrayItem(assessments, 0), expected, true));
    assert_null(cJSON_GetObjectItemCaseSensitive(document, "jobs"));
    cJSON_Delete(expected);
    cJSON_Delete(document);
    free(text);

    /* A failed job is listed under "jobs", without assessments. */
    cJSON *job = cJSON_Parse("{\"job\":7,\"unit\":\"u7\",\"state\":\"failed\",\"attempt\":1,"
                             "\"errors\":[{\"error\":\"boom\"}],\"assessments\":[]}");
    text = render(FORMAT_JSON, job);
    document = cJSON_Parse(text);
    assert_non_null(document);
    cJSON *jobs = cJSON_GetObjectItemCaseSensitive(document, "jobs");
    assert_int_equal(cJSON_GetArraySize(jobs), 1);
    assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(jobs, 0), "assessments"));
    cJSON_Delete(document);
    cJSON_Delete(job);
    free(text);
}

static void test_csv(void **state)
{
    char *text = render(FORMAT_CSV, NULL);
    assert_string_equal(text,
        "unit,org,standard,edition,as_of,clause,parent,title,applicable,assessed,level,status,"
        "major,minor,observations,override_status,override_by\n"
        "acme-stuttgart,acme,iso13485-2016,2016,2026-11-01,8.2,8,\"Monitoring, \"\"measurement\"\"\","
        "true,true,2.5,major_nc,0,0,0,,\n"
        "acme-stuttgart,acme,iso13485-2016,2016,2026-11-01,8.2.4,8.2,Internal audit,"
        "true,true,2,major_nc,1,0,1,,\n"
        "acme-stuttgart,acme,iso13485-2016,2016,2026-11-01,7.5.7,7.5,Sterilization,"
        "false,false,,not_applicable,0,0,0,,\n"
        "acme-stuttgart,acme,iso9001-2015,2015,2026-11-01,9.2,9,Internal audit,"
        "true,true,4,conformant,0,0,0,,\n");
    free(text);
}

static void test_table(void **state)
{
    char *text = render(FORMAT_TABLE, NULL);
    assert_string_equal(text,
        "UNIT            STANDARD       MATURITY  READINESS  MAJOR  MINOR  OBS\n"
        "acme-stuttgart  iso13485-2016      2.43  not_ready      1      0    1\n"
        "acme-stuttgart  iso9001-2015       4.00  ready          0      0    0\n"
        "2 assessments: 1 ready, 0 conditional, 1 not ready, 0 n/a; 1 major NC, 0 minor NC\n");
    free(text);
}

static void test_empty_outputs(void **state)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    format_t *format = format_new(FORMAT_CSV, out);
    assert_int_equal(format_finish(format), 0);
    format_destroy(&format);
    fclose(out);
    assert_non_null(strstr(text, "unit,org,standard"));   /* a header even when empty */
    free(text);

    out = open_memstream(&text, &size);
    format = format_new(FORMAT_JSON, out);
    assert_int_equal(format_finish(format), 0);
    format_destroy(&format);
    fclose(out);
    assert_string_equal(text, "{\"assessments\":[]}\n");
    free(text);
}

static void test_csv_quoting(void **state)
{
    struct { const char *in, *out; } cases[] = {
        { "plain", "plain" },
        { "", "" },
        { "a,b", "\"a,b\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "two\nlines", "\"two\nlines\"" },
        { "cr\rhere", "\"cr\rhere\"" },
        { " padded", "\" padded\"" },
        { "padded ", "\"padded \"" },
        { "Zürich", "Zürich" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *field = format_csv_field(cases[i].in);
        assert_string_equal(field, cases[i].out);
        free(field);
    }
    char *field = format_csv_field(NULL);
    assert_string_equal(field, "");
    free(field);
}

static void test_numbers(void **state)
{
    char out[32];
    format_number(2.5, out);
    assert_string_equal(out, "2.5");
    format_number(3.0, out);
    assert_string_equal(out, "3");
    format_number(1.467, out);
    assert_string_equal(out, "1.47");
    format_number(-0.001, out);
    assert_string_equal(out, "0");
    format_number(0.1 + 0.2, out);
    assert_string_equal(out, "0.3");
}

static void test_kinds_and_sort(void **state)
{
    format_kind_t kind;
    assert_int_equal(format_kind_parse("csv", &kind), 0);
    assert_int_equal(kind, FORMAT_CSV);
    assert_int_equal(format_kind_parse("yaml", &kind), -1);
    assert_true(format_needs_full(FORMAT_CSV));
    assert_true(format_needs_full(FORMAT_JSON));
    assert_false(format_needs_full(FORMAT_JSONL));
    assert_false(format_needs_full(FORMAT_TABLE));
    assert_string_equal(format_kind_name(FORMAT_JSONL), "jsonl");

    cJSON *array = cJSON_Parse("[{\"standard\":\"iso9001-2015\",\"n\":1},"
                               "{\"standard\":\"iatf16949-2016\"},"
                               "{\"standard\":\"iso13485-2016\"},"
                               "{\"standard\":\"iso9001-2015\",\"n\":2}]");
    format_sort_assessments(array);
    char *text = cJSON_PrintUnformatted(array);
    assert_string_equal(text, "[{\"standard\":\"iatf16949-2016\"},{\"standard\":\"iso13485-2016\"},"
                              "{\"standard\":\"iso9001-2015\",\"n\":1},"
                              "{\"standard\":\"iso9001-2015\",\"n\":2}]");
    free(text);
    cJSON_Delete(array);
}

/* OWASP CSV injection: a cell starting with = + - @ TAB CR is prefixed
   with ' unless it is a plain number; RFC 4180 quoting still applies. */
static void test_csv_formula_cells(void **state)
{
    struct { const char *in, *out; } cases[] = {
        { "=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"" },
        { "=1+2", "'=1+2" },
        { "+1+2", "'+1+2" },
        { "-2+3", "'-2+3" },
        { "@SUM(A1:A9)", "'@SUM(A1:A9)" },
        { "\tcmd", "'\tcmd" },
        { "\rcmd", "\"'\rcmd\"" },
        { "=a,b", "\"'=a,b\"" },
        { "-", "'-" },
        { "-1e5", "'-1e5" },
        { "-.5", "'-.5" },
        { "- 1", "'- 1" },
        /* plain numbers stay numbers */
        { "-0.5", "-0.5" },
        { "+2", "+2" },
        { "-3", "-3" },
        { "2.43", "2.43" },
        /* the characters elsewhere are harmless */
        { "a=b", "a=b" },
        { "iso9001-2015", "iso9001-2015" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *field = format_csv_field(cases[i].in);
        if (strcmp(field, cases[i].out) != 0)
            fail_msg("case %zu: '%s' gave '%s', expected '%s'", i, cases[i].in, field,
                     cases[i].out);
        free(field);
    }
    assert_true(format_csv_is_formula("=1"));
    assert_false(format_csv_is_formula("-0.5"));
    assert_false(format_csv_is_formula(""));
    assert_false(format_csv_is_formula(NULL));
}

/* An assessment whose texts (a bundle's unit id, a catalog's title, an
   assessor's name) carry formulas and terminal controls. */
static const char document_hostile[] =
    "{\"unit\":\"evil\\u001b[2J\\u001b]0;pwned\\u0007\",\"org\":\"@org\","
    "\"standard\":\"iso9001-2015\",\"edition\":\"2015\",\"as_of\":\"2026-11-01\","
    "\"maturity\":1,\"readiness\":\"not_ready\",\"major_nc\":1,\"minor_nc\":0,"
    "\"observations\":0,"
    "\"clauses\":[{\"id\":\"9.2\",\"title\":\"=cmd|' /C calc'!A0\",\"parent\":\"9\","
    "\"assessed\":true,\"applicable\":true,\"level\":1,\"status\":\"major_nc\"}],"
    "\"checks\":[],\"findings\":[],"
    "\"overrides\":[{\"clause\":\"9.2\",\"machine_status\":\"major_nc\",\"status\":\"conformant\","
    "\"by\":\"mallory\\u009b2J\\nline\\tTab\\u007f\",\"reason\":\"\\u001b[2J\"}]}";

static char *render_one(format_kind_t kind, const char *json)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    format_t *format = format_new(kind, out);
    cJSON *document = cJSON_Parse(json);
    assert_non_null(document);
    assert_int_equal(format_assessment(format, document), 0);
    assert_int_equal(format_finish(format), 0);
    format_destroy(&format);
    cJSON_Delete(document);
    fclose(out);
    return text;
}

static void test_csv_formula_rows(void **state)
{
    char *text = render_one(FORMAT_CSV, document_hostile);
    assert_non_null(strstr(text, "'@org,iso9001-2015,2015,2026-11-01,9.2,9,"
                                 "'=cmd|' /C calc'!A0,true,true,1,major_nc,0,0,0,conformant,"));
    /* the data is kept otherwise: CSV is a machine format */
    assert_non_null(strstr(text, "evil\x1b[2J"));
    free(text);
}

/* Table output: controls in stored texts shown as escapes, never sent to
   the terminal; structural newlines stay. */
static void test_table_escapes_controls(void **state)
{
    char *text = render_one(FORMAT_TABLE, document_hostile);
    for (const char *at = text; *at; at++)
        if ((unsigned char) *at < 0x20 && *at != '\n')
            fail_msg("control 0x%02x at %zu in '%s'", (unsigned) *at, (size_t) (at - text), text);
    assert_null(strstr(text, "\xc2\x9b"));
    assert_null(strchr(text, 0x7f));
    assert_non_null(strstr(text, "evil\\x1b[2J\\x1b]0;pwned\\x07  iso9001-2015"));
    assert_non_null(strstr(text, "(by mallory\\u009b2J\\x0aline\\x09Tab\\x7f)\n"));
    free(text);

    /* UTF-8 text untouched */
    text = render_one(FORMAT_TABLE,
                      "{\"unit\":\"Söhne-Zürich\",\"standard\":\"iso9001-2015\",\"maturity\":3,"
                      "\"readiness\":\"ready\",\"major_nc\":0,\"minor_nc\":0,\"observations\":0}");
    assert_non_null(strstr(text, "\nSöhne-Zürich  iso9001-2015"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_json_is_one_last_line),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_empty_outputs),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_formula_cells),
        cmocka_unit_test(test_csv_formula_rows),
        cmocka_unit_test(test_table_escapes_controls),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_kinds_and_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
