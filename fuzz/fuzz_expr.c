/*  fuzz_expr.c - libFuzzer target for the rule language: the expression
    compiler and the evaluator (engine/expr.h, the engine's internal API,
    so that each input is one expression rather than a whole catalog).

    The input is one expression's JSON text. It is read the way a
    catalog's text is (jsontext_parse: UTF-8, NUL and nesting checks, the
    catalog's nesting limit), compiled, and evaluated against a fixed
    bundle, with and without recording evidence. Contract (docs/
    catalog-format.md): compilation fails only with a diagnostic;
    evaluation is total (a value, or an error with a message, never a
    crash); the value and the truth test agree on whether it was an error;
    the explanation names items of the bundle, ascending.

    Seeds: fuzz/corpus/expr (expressions from the bundled catalogs and one
    per operator).
*/
#include "expr.h"
#include "fuzz_common.h"
#include "jsontext.h"

#include <stdlib.h>
#include <string.h>

#define CATALOG_NESTING 160   /* docs/catalog-format.md, Lint */

static void s_check_explanation(const eval_t *eval, bool pass, size_t items)
{
    size_t *evidence = calloc(items + 1, sizeof *evidence);
    size_t *expired = calloc(items + 1, sizeof *expired);
    size_t evidence_count = 0, expired_count = 0;
    if (!evidence || !expired)
        fuzz_fail("out of memory");
    eval_explain(eval, pass, evidence, &evidence_count, expired, &expired_count);
    if (evidence_count > items || expired_count > items)
        fuzz_fail("explanation names %zu + %zu items of %zu", evidence_count, expired_count, items);
    for (size_t i = 0; i < evidence_count; i++)
        if (evidence[i] >= items || (i && evidence[i] <= evidence[i - 1]))
            fuzz_fail("evidence index %zu out of order or range", evidence[i]);
    for (size_t i = 0; i < expired_count; i++)
        if (expired[i] >= items || (i && expired[i] <= expired[i - 1]))
            fuzz_fail("expired index %zu out of order or range", expired[i]);
    free(evidence);
    free(expired);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    diag_list_t *diags = diag_list_new();
    cJSON *json = jsontext_parse("fuzz", "expression", (const char *) data, size,
                                 CATALOG_NESTING, diags);
    if (!json) {
        diag_list_destroy(&diags);
        return 0;
    }
    expr_compiler_t compiler;
    expr_compiler_init(&compiler, "fuzz", diags);
    expr_t *expr = expr_compile(&compiler, json, "/expr");
    expr_compiler_clear(&compiler);
    cJSON_Delete(json);
    if (!expr) {
        if (diag_list_errors(diags) == 0)
            fuzz_fail("expression refused without an error");
        diag_list_destroy(&diags);
        return 0;
    }

    const bundle_t *bundle = fuzz_fixed_bundle();
    eval_t *eval = eval_new(bundle);
    if (!eval)
        fuzz_fail("eval_new returned NULL");
    eval_begin(eval, true);
    cJSON *value = eval_json(eval, expr);
    bool value_error = value == NULL;
    if (value_error && !eval_out_of_memory(eval)
        && (!eval_error(eval) || !*eval_error(eval)))
        fuzz_fail("evaluation failed without a message");
    char *printed = value ? cJSON_PrintUnformatted(value) : NULL;
    free(printed);
    cJSON_Delete(value);
    bool value_oom = eval_out_of_memory(eval);

    eval_begin(eval, true);
    int outcome = eval_test(eval, expr);
    if (outcome < -1 || outcome > 1)
        fuzz_fail("eval_test returned %d", outcome);
    if (outcome == -1 && (!eval_error(eval) || !*eval_error(eval)))
        fuzz_fail("eval_test error without a message");
    if (!value_oom && !eval_out_of_memory(eval) && (outcome == -1) != value_error)
        fuzz_fail("eval_json %s but eval_test %s", value_error ? "failed" : "succeeded",
                  outcome == -1 ? "failed" : "succeeded");
    s_check_explanation(eval, outcome == 1, bundle_item_count(bundle));

    /* As an applies_if: nothing recorded, same outcome. */
    eval_begin(eval, false);
    int again = eval_test(eval, expr);
    if (again != outcome && !eval_out_of_memory(eval))
        fuzz_fail("the same expression gave %d, then %d without recording", outcome, again);

    eval_destroy(&eval);
    expr_destroy(&expr);
    diag_list_destroy(&diags);
    return 0;
}
