/*  fuzz_bundle.c - libFuzzer target for the bundle parser and validator.

    The input is a bundle's text, as `assay check` or the broker would get
    it. Besides not crashing, bundle_parse must keep its contract: NULL if
    and only if it reported an error, each diagnostic with its origin and
    message. A bundle it accepts is assessed against one bundled catalog
    (chosen by the input's length, so a crash reproduces from the input
    alone), twice: the result document must be the same both times
    (DESIGN.md: a verdict is reproducible), which also shows reads of
    uninitialised or freed memory that happen not to crash.

    Seeds: fuzz/corpus/bundle, examples/units, tests/badinput (fuzz/run).
*/
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

static char *s_assess(const catalog_t *catalog, const bundle_t *bundle)
{
    assessment_t *assessment = engine_assess(catalog, bundle);
    if (!assessment)
        fuzz_fail("engine_assess returned NULL (only allowed when out of memory)");
    cJSON *json = assessment_to_json(assessment);
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    if (!text)
        fuzz_fail("assessment_to_json gave no document");
    double maturity = assessment_maturity(assessment);
    if (!(maturity >= 0 && maturity <= 5))
        fuzz_fail("maturity %g outside 0..5", maturity);
    if (assessment_major_nc(assessment) < 0 || assessment_minor_nc(assessment) < 0)
        fuzz_fail("negative nonconformity count");
    cJSON_Delete(json);
    assessment_destroy(&assessment);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const catalog_set_t *catalogs = fuzz_bundled_catalogs();
    diag_list_t *diags = diag_list_new();
    bundle_t *bundle = bundle_parse("fuzz.json", (const char *) data, size, catalogs, NULL, diags);
    size_t errors = diag_list_errors(diags);
    for (size_t i = 0; i < diag_list_size(diags); i++) {
        const diag_t *diag = diag_list_at(diags, i);
        if (!diag->origin || strcmp(diag->origin, "fuzz.json") != 0 || !diag->message
            || !*diag->message)
            fuzz_fail("diagnostic %zu lacks its origin or message", i);
    }
    char *report = diag_list_format(diags);
    free(report);
    if (!bundle) {
        if (errors == 0)
            fuzz_fail("bundle refused without an error");
    } else {
        if (errors != 0)
            fuzz_fail("bundle accepted with %zu errors", errors);
        if (!bundle_unit_id(bundle) || !*bundle_unit_id(bundle) || !bundle_as_of(bundle)
            || strlen(bundle_as_of(bundle)) != 10)
            fuzz_fail("accepted bundle without unit id or as_of");
        const catalog_t *catalog = catalog_set_at(catalogs, size % catalog_set_size(catalogs));
        char *first = s_assess(catalog, bundle);
        char *second = s_assess(catalog, bundle);
        if (strcmp(first, second) != 0)
            fuzz_fail("two assessments of the same bundle against %s differ", catalog_id(catalog));
        free(first);
        free(second);
        bundle_destroy(&bundle);
    }
    diag_list_destroy(&diags);
    return 0;
}
