/*  fuzz_common.c - fixtures for the engine's fuzz targets. */
#include "fuzz_common.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    abort();
}

static char *s_read(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = NULL;
    if (fseek(file, 0, SEEK_END) == 0) {
        long length = ftell(file);
        if (length >= 0 && fseek(file, 0, SEEK_SET) == 0) {
            text = malloc((size_t) length + 1);
            if (text && fread(text, 1, (size_t) length, file) != (size_t) length) {
                free(text);
                text = NULL;
            } else if (text) {
                text[length] = '\0';
                *size = (size_t) length;
            }
        }
    }
    fclose(file);
    return text;
}

static int s_by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Loading the catalogs is the harness's own business (no util/ library,
   which would bring a second, uninstrumented copy of the engine). */
const catalog_set_t *fuzz_bundled_catalogs(void)
{
    static catalog_set_t *set = NULL;
    if (set)
        return set;
    const char *folder = getenv("ASSAY_BUNDLED_CATALOGS");
    if (!folder || !*folder)
        folder = ASSAY_DEFAULT_CATALOGS;
    struct dirent **names = NULL;
    int count = scandir(folder, &names, NULL, s_by_name);
    if (count < 0)
        fuzz_fail("fuzz: cannot read the catalogs in %s", folder);
    set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    for (int i = 0; i < count; i++) {
        const char *name = names[i]->d_name;
        size_t length = strlen(name);
        if (name[0] != '.' && length > 5 && strcmp(name + length - 5, ".json") == 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", folder, name);
            size_t size = 0;
            char *text = s_read(path, &size);
            if (!text || catalog_set_add(set, path, text, size, diags) != 0) {
                char *report = diag_list_format(diags);
                fuzz_fail("fuzz: catalog %s does not load:\n%s", path, report ? report : "");
            }
            free(text);
        }
        free(names[i]);
    }
    free(names);
    if (catalog_set_size(set) == 0 || catalog_set_link(set, diags) != 0)
        fuzz_fail("fuzz: the catalogs in %s do not link", folder);
    diag_list_destroy(&diags);
    return set;
}

/* as_of 2026-11-01; IA-3 and CPK-4 have expired. */
static const char s_bundle_text[] =
    "{\"assay\": \"bundle/1\","
    " \"unit\": {\"id\": \"fuzz-unit\", \"name\": \"Fuzz unit\", \"org\": \"fuzz\","
    "  \"attributes\": {\"products\": [\"a\", \"b\", \"c\"], \"sterile\": true, \"n\": 3,"
    "   \"s\": \"text\", \"software_only\": false, \"sector\": \"automotive\","
    "   \"nested\": {\"deep\": [1, {\"x\": null}]}, \"empty\": [], \"zero\": 0}},"
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
    "  {\"id\": \"CPK-3\", \"kind\": \"capability\", \"type\": \"metric\", \"product\": [\"c\", \"d\"],"
    "   \"value\": 1.4},"
    "  {\"id\": \"CPK-4\", \"kind\": \"capability\", \"type\": \"metric\", \"product\": \"e\", \"value\": 2,"
    "   \"expires\": \"2026-01-01\"},"
    "  {\"id\": \"QM-1\", \"kind\": \"quality_manual\", \"type\": \"document\", \"status\": \"approved\","
    "   \"date\": \"2026-02-10\"},"
    "  {\"id\": \"DOC-1\", \"kind\": \"procedure\", \"type\": \"document\", \"date\": \"2026-10-31T23:30:00Z\","
    "   \"topics\": [\"internal_audit\", \"calibration\"], \"fields\": {\"owner\": {\"name\": \"x\"}}},"
    "  {\"id\": \"ATT-1\", \"kind\": \"attestation\", \"type\": \"attestation\", \"signed\": true,"
    "   \"date\": \"2027-01-01\", \"value\": -1e300}"
    " ]}";

const bundle_t *fuzz_fixed_bundle(void)
{
    static bundle_t *bundle = NULL;
    if (bundle)
        return bundle;
    diag_list_t *diags = diag_list_new();
    bundle = bundle_parse("fixed.json", s_bundle_text, sizeof s_bundle_text - 1, NULL, NULL, diags);
    if (!bundle) {
        char *report = diag_list_format(diags);
        fuzz_fail("fuzz: the fixed bundle does not parse:\n%s", report ? report : "");
    }
    diag_list_destroy(&diags);
    return bundle;
}
