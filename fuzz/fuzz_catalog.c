/*  fuzz_catalog.c - libFuzzer target for the catalog compiler (validation,
    lint, expression compilation, extends and maps_to linking).

    The input is a catalog's text. It is added to a fresh set that already
    holds a small base catalog ("fuzz-base", so that `extends` and
    `maps_to` have something to resolve), then the set is linked. Contract:
    catalog_set_add and catalog_set_link fail if and only if they reported
    an error. A catalog that compiles and links is summarised
    (catalog_to_json, the kind vocabulary) and assessed against a fixed
    bundle, which runs every rule it compiled.

    Seeds: fuzz/corpus/catalog and catalogs/ (fuzz/run).
*/
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

static const char s_base[] =
    "{\"assay\": \"catalog/1\", \"id\": \"fuzz-base\", \"standard\": \"FUZZ\", \"edition\": \"1\","
    " \"title\": \"Fuzz base\", \"certifiable\": true,"
    " \"levels\": [\"absent\", \"initial\", \"documented\", \"implemented\", \"measured\", \"optimizing\"],"
    " \"attributes\": {\"sterile\": {\"type\": \"boolean\", \"description\": \"sterile\"},"
    "   \"products\": {\"type\": \"array\", \"description\": \"products\"}},"
    " \"kinds\": {\"internal_audit\": {\"type\": \"record\", \"description\": \"audit\"},"
    "   \"capability\": {\"type\": \"metric\", \"description\": \"Cpk\"},"
    "   \"procedure\": {\"type\": \"document\", \"description\": \"procedure\"}},"
    " \"clauses\": ["
    "  {\"id\": \"4\", \"title\": \"Context\", \"parent\": null, \"kind\": \"requirement\"},"
    "  {\"id\": \"4.1\", \"title\": \"Audit\", \"parent\": \"4\", \"kind\": \"requirement\","
    "   \"applies_if\": {\"var\": \"$unit.attributes.sterile\"}, \"checks\": ["
    "    {\"id\": \"4.1/a\", \"level\": 1, \"severity\": \"major\", \"text\": \"audit\","
    "     \"expr\": {\"some\": [{\"evidence\": \"internal_audit\"}, {\"<=\": [0, {\"age_days\": {\"var\": \"date\"}}, 365]}]}},"
    "    {\"id\": \"4.1/b\", \"level\": 3, \"severity\": \"minor\", \"text\": \"capability\","
    "     \"expr\": {\">=\": [{\"coverage\": [{\"var\": \"$unit.attributes.products\"}, \"capability\", \"product\"]}, 1]}}]}"
    " ]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    if (catalog_set_add(set, "base.json", s_base, sizeof s_base - 1, diags) != 0)
        fuzz_fail("the base catalog does not compile");
    int added = catalog_set_add(set, "fuzz.json", (const char *) data, size, diags);
    if ((added != 0) != (diag_list_errors(diags) != 0))
        fuzz_fail("catalog_set_add returned %d with %zu errors", added, diag_list_errors(diags));
    if (added == 0) {
        int linked = catalog_set_link(set, diags);
        if ((linked != 0) != (diag_list_errors(diags) != 0))
            fuzz_fail("catalog_set_link returned %d with %zu errors", linked,
                      diag_list_errors(diags));
        if (linked == 0) {
            cJSON *kinds = catalog_set_kinds_json(set);
            cJSON_Delete(kinds);
            const bundle_t *bundle = fuzz_fixed_bundle();
            for (size_t i = 0; i < catalog_set_size(set); i++) {
                const catalog_t *catalog = catalog_set_at(set, i);
                cJSON *summary = catalog_to_json(catalog);
                if (!summary)
                    fuzz_fail("catalog_to_json gave nothing for %s", catalog_id(catalog));
                cJSON_Delete(summary);
                assessment_t *assessment = engine_assess(catalog, bundle);
                if (!assessment)
                    fuzz_fail("engine_assess returned NULL for %s", catalog_id(catalog));
                cJSON *result = assessment_to_json(assessment);
                char *text = cJSON_PrintUnformatted(result);
                if (!text)
                    fuzz_fail("no result document for %s", catalog_id(catalog));
                free(text);
                cJSON_Delete(result);
                assessment_destroy(&assessment);
            }
        }
    }
    char *report = diag_list_format(diags);
    free(report);
    diag_list_destroy(&diags);
    catalog_set_destroy(&set);
    return 0;
}
