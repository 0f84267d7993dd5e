/*  test_inputs.c - how `assay submit` and `assay check` turn FILE|DIR|-
    arguments into bundles: folders walked recursively in sorted order
    (dot names and other extensions skipped), JSON Lines split per line,
    problems counted, and a bundle read and parsed with its unit id. */
#include "inputs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char bundle_a[] =
    "{\"assay\":\"bundle/1\",\"unit\":{\"id\":\"unit-a\",\"name\":\"A\",\"org\":\"o\"},"
    "\"as_of\":\"2026-11-01\",\"evidence\":[]}";

static char folder[256];

static void write_file(const char *relative, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", folder, relative);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static int setup(void **state)
{
    snprintf(folder, sizeof folder, "/tmp/assay-test-inputs.XXXXXX");
    if (!mkdtemp(folder))
        return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/units", folder);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/units/sub", folder);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/units/.hidden", folder);
    mkdir(path, 0700);
    write_file("units/b.json", bundle_a);
    write_file("units/a.json", bundle_a);
    write_file("units/sub/c.json", bundle_a);
    write_file("units/.hidden/x.json", bundle_a);
    write_file("units/notes.txt", "not a bundle");
    write_file("units/.d.json", bundle_a);
    snprintf(path, sizeof path, "%s/empty", folder);
    mkdir(path, 0700);
    write_file("lines.jsonl", "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}");
    write_file("pretty.jsonl", "{\n  \"a\": 1\n}\n");
    return 0;
}

static int teardown(void **state)
{
    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s'", folder);
    return system(command) == 0 ? 0 : -1;
}

/* The path of an input relative to the test folder. */
static const char *relative(const input_t *input)
{
    size_t length = strlen(folder);
    return strncmp(input->origin, folder, length) == 0 ? input->origin + length + 1 : input->origin;
}

static void test_folder_walk_sorted(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s/units", folder);
    const char *args[] = { path };
    inputs_t inputs = { 0 };
    FILE *err = fopen("/dev/null", "w");
    assert_int_equal(inputs_collect(&inputs, args, 1, err), 0);
    assert_int_equal(inputs.count, 3);
    assert_string_equal(relative(&inputs.items[0]), "units/a.json");
    assert_string_equal(relative(&inputs.items[1]), "units/b.json");
    assert_string_equal(relative(&inputs.items[2]), "units/sub/c.json");
    assert_non_null(inputs.items[0].path);   /* files are read again, not kept */
    assert_null(inputs.items[0].text);
    inputs_free(&inputs);
    fclose(err);
}

static void test_json_lines(void **state)
{
    char lines[512], pretty[512];
    snprintf(lines, sizeof lines, "%s/lines.jsonl", folder);
    snprintf(pretty, sizeof pretty, "%s/pretty.jsonl", folder);
    const char *args[] = { lines, pretty };
    inputs_t inputs = { 0 };
    FILE *err = fopen("/dev/null", "w");
    assert_int_equal(inputs_collect(&inputs, args, 2, err), 0);
    assert_int_equal(inputs.count, 4);
    assert_string_equal(relative(&inputs.items[0]), "lines.jsonl:1");
    assert_string_equal(inputs.items[0].text, "{\"a\":1}");
    assert_string_equal(relative(&inputs.items[1]), "lines.jsonl:3");
    assert_string_equal(relative(&inputs.items[2]), "lines.jsonl:4");
    assert_string_equal(inputs.items[2].text, "{\"c\":3}");
    /* One document over several lines stays one bundle. */
    assert_string_equal(relative(&inputs.items[3]), "pretty.jsonl");
    size_t length = 0;
    char error[256];
    char *text = input_read(&inputs.items[1], &length, error, sizeof error);
    assert_non_null(text);
    assert_int_equal(length, strlen("{\"b\":2}\r"));
    free(text);
    inputs_free(&inputs);
    fclose(err);
}

static void test_problems_counted(void **state)
{
    char missing[512], empty[512];
    snprintf(missing, sizeof missing, "%s/no-such.json", folder);
    snprintf(empty, sizeof empty, "%s/empty", folder);
    const char *args[] = { missing, empty };
    inputs_t inputs = { 0 };
    char *messages = NULL;
    size_t size = 0;
    FILE *err = open_memstream(&messages, &size);
    assert_int_equal(inputs_collect(&inputs, args, 2, err), 2);
    fclose(err);
    assert_non_null(strstr(messages, "no-such.json"));
    assert_non_null(strstr(messages, "no *.json bundles"));
    free(messages);
    inputs_free(&inputs);
}

static void test_parse_names_unit_and_errors(void **state)
{
    write_file("bad.json", "{\"assay\":\"bundle/1\",\"unit\":{\"id\":\"u\"},\"as_of\":\"2026-02-30\","
                           "\"evidence\":[]}");
    char good[512], bad[512];
    snprintf(good, sizeof good, "%s/units/a.json", folder);
    snprintf(bad, sizeof bad, "%s/bad.json", folder);
    const char *args[] = { good, bad };
    inputs_t inputs = { 0 };
    FILE *quiet = fopen("/dev/null", "w");
    assert_int_equal(inputs_collect(&inputs, args, 2, quiet), 0);
    fclose(quiet);

    char *messages = NULL;
    size_t size = 0;
    FILE *err = open_memstream(&messages, &size);
    bundle_t *bundle = input_parse(&inputs.items[0], NULL, false, err, NULL, NULL);
    assert_non_null(bundle);
    assert_string_equal(inputs.items[0].unit_id, "unit-a");
    bundle_destroy(&bundle);
    bundle = input_parse(&inputs.items[1], NULL, false, err, NULL, NULL);
    assert_null(bundle);
    fclose(err);
    /* "FILE: /pointer: message" */
    char expected[600];
    snprintf(expected, sizeof expected, "%s: /as_of: ", bad);
    assert_non_null(strstr(messages, expected));
    free(messages);
    inputs_free(&inputs);
}

/* A CSV manifest: columns in any order, quoted fields (commas, doubled
   quotes), paths relative to the manifest, per-row standards normalised
   to a comma list, blank lines skipped, the unit id checked on parse. */
static void test_csv_manifest(void **state)
{
    write_file("units/m.csv",
               "\xef\xbb\xbf" "bundle, Standards ,unit_id,note\r\n"
               "a.json,\"iso9001-2015, iso13485-2016\",unit-a,\"say \"\"hi\"\", twice\"\r\n"
               "\r\n"
               "sub/c.json,,unit-a,\n"
               "b.json,iso9001-2015;iatf16949-2016,other-unit,x\n");
    char path[512];
    snprintf(path, sizeof path, "%s/units/m.csv", folder);
    const char *args[] = { path };
    inputs_t inputs = { 0 };
    FILE *quiet = fopen("/dev/null", "w");
    assert_int_equal(inputs_collect(&inputs, args, 1, quiet), 0);
    fclose(quiet);
    assert_int_equal(inputs.count, 3);
    assert_string_equal(relative(&inputs.items[0]), "units/a.json");
    assert_string_equal(inputs.items[0].standards, "iso9001-2015,iso13485-2016");
    assert_string_equal(inputs.items[0].expected_unit, "unit-a");
    assert_string_equal(relative(&inputs.items[1]), "units/sub/c.json");
    assert_null(inputs.items[1].standards);
    assert_string_equal(inputs.items[2].standards, "iso9001-2015,iatf16949-2016");
    char source[600];
    snprintf(source, sizeof source, "%s:4", path);
    assert_string_equal(inputs.items[1].source, source);

    char *messages = NULL;
    size_t size = 0;
    FILE *err = open_memstream(&messages, &size);
    bundle_t *bundle = input_parse(&inputs.items[0], NULL, false, err, NULL, NULL);
    assert_non_null(bundle);
    bundle_destroy(&bundle);
    bundle = input_parse(&inputs.items[2], NULL, false, err, NULL, NULL);
    assert_null(bundle);
    fclose(err);
    assert_non_null(strstr(messages, "unit_id 'other-unit' is not the bundle's unit.id 'unit-a'"));
    snprintf(source, sizeof source, "%s:5:", path);
    assert_non_null(strstr(messages, source));
    free(messages);
    inputs_free(&inputs);
}

static void test_csv_manifest_problems(void **state)
{
    static const struct { const char *text; const char *message; } cases[] = {
        { "unit,standards\nunit-a,iso9001-2015\n", ":1: a manifest needs a header row" },
        { "unit_id,bundle\nunit-a,missing.json\n", ":2: bundle " },
        { "unit_id,bundle\n,a.json\n", ":2: unit_id is empty" },
        { "unit_id,bundle\nunit-a,sub\n", ":2: bundle " },
        { "unit_id,bundle\nunit-a,\"a.json\n", ":2: a quoted field is not closed" },
        { "unit_id,bundle\n\n", "lists no bundles" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file("units/bad.csv", cases[i].text);
        char path[512];
        snprintf(path, sizeof path, "%s/units/bad.csv", folder);
        const char *args[] = { path };
        inputs_t inputs = { 0 };
        char *messages = NULL;
        size_t size = 0;
        FILE *err = open_memstream(&messages, &size);
        assert_int_equal(inputs_collect(&inputs, args, 1, err), 1);
        fclose(err);
        if (!strstr(messages, cases[i].message))
            fail_msg("case %zu: expected '%s' in '%s'", i, cases[i].message, messages);
        free(messages);
        inputs_free(&inputs);
    }
}

/* Manifest paths stay in the manifest's folder (units/): ../, an
   absolute path, a link to a file or folder outside, and a sibling
   folder sharing the prefix (units-evil) are refused, naming the
   manifest, the line and the path; --allow-outside reads them. */
static void test_csv_manifest_confined(void **state)
{
    char path[512], target[512], link[512];
    write_file("outside.json", bundle_a);
    snprintf(path, sizeof path, "%s/units-evil", folder);
    mkdir(path, 0700);
    write_file("units-evil/e.json", bundle_a);
    snprintf(target, sizeof target, "%s/outside.json", folder);
    snprintf(link, sizeof link, "%s/units/link.json", folder);
    assert_int_equal(symlink(target, link), 0);
    snprintf(link, sizeof link, "%s/units/up", folder);
    assert_int_equal(symlink(folder, link), 0);
    const char *refused[] = {
        "../outside.json", "sub/../../outside.json", target, "link.json", "up/outside.json",
        "../units-evil/e.json", "/etc/passwd",
    };
    snprintf(path, sizeof path, "%s/units/m.csv", folder);
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char text[700];
        snprintf(text, sizeof text, "unit_id,bundle\nunit-a,a.json\nunit-a,%s\n", refused[i]);
        write_file("units/m.csv", text);
        const char *args[] = { path };
        inputs_t inputs = { 0 };
        char *messages = NULL, expected[1200];
        size_t size = 0;
        FILE *err = open_memstream(&messages, &size);
        assert_int_equal(inputs_collect(&inputs, args, 1, err), 1);
        fclose(err);
        snprintf(expected, sizeof expected, "%s:3: bundle %s: outside the manifest's folder",
                 path, refused[i]);
        if (!strstr(messages, expected))
            fail_msg("case %zu: expected '%s' in '%s'", i, expected, messages);
        free(messages);
        inputs_free(&inputs);

        inputs.allow_outside = true;
        FILE *quiet = fopen("/dev/null", "w");
        assert_int_equal(inputs_collect(&inputs, args, 1, quiet), 0);
        fclose(quiet);
        assert_int_equal(inputs.count, 2);
        inputs_free(&inputs);
    }
    /* inside, also through ./, sub/.. and a link that stays inside */
    snprintf(target, sizeof target, "%s/units/a.json", folder);
    snprintf(link, sizeof link, "%s/units/sub/inside.json", folder);
    assert_int_equal(symlink(target, link), 0);
    write_file("units/m.csv", "unit_id,bundle\nunit-a,./a.json\nunit-a,sub/../b.json\n"
                              "unit-a,sub/inside.json\n");
    const char *args[] = { path };
    inputs_t inputs = { 0 };
    FILE *quiet = fopen("/dev/null", "w");
    assert_int_equal(inputs_collect(&inputs, args, 1, quiet), 0);
    fclose(quiet);
    assert_int_equal(inputs.count, 3);
    inputs_free(&inputs);
    unlink(link);
    snprintf(link, sizeof link, "%s/units/link.json", folder);
    unlink(link);
    snprintf(link, sizeof link, "%s/units/up", folder);
    unlink(link);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_manifest),
        cmocka_unit_test(test_csv_manifest_problems),
        cmocka_unit_test(test_csv_manifest_confined),
        cmocka_unit_test(test_folder_walk_sorted),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_problems_counted),
        cmocka_unit_test(test_parse_names_unit_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
