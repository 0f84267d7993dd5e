/*  engine_test.h - helpers shared by the engine tests: building catalogs,
    bundles and expressions from inline JSON text. static inline so each
    test file may use any subset without unused-function warnings.
*/
#ifndef ENGINE_TEST_H_INCLUDED
#define ENGINE_TEST_H_INCLUDED

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "expr.h"

/* Levels and a standard header, so test catalogs only spell what matters. */
#define CATALOG_HEAD(id, extra)                                                                  \
    "{\"assay\": \"catalog/1\", \"id\": \"" id "\", \"standard\": \"TEST\", \"edition\": \"1\", " \
    "\"title\": \"Test catalog\", \"certifiable\": true, "                                       \
    "\"levels\": [\"absent\", \"initial\", \"documented\", \"implemented\", \"measured\", "      \
    "\"optimizing\"], " extra

/* Index of the first diagnostic whose pointer is `where` and whose
   message contains `text` (either may be NULL), or -1. */
static inline long find_diag(const diag_list_t *diags, diag_severity_t severity, const char *where,
                             const char *text)
{
    for (size_t i = 0; i < diag_list_size(diags); i++) {
        const diag_t *diag = diag_list_at(diags, i);
        if (diag->severity == severity && (!where || strcmp(diag->where, where) == 0)
            && (!text || strstr(diag->message, text)))
            return (long) i;
    }
    return -1;
}

static inline void print_diags(const diag_list_t *diags)
{
    char *text = diag_list_format(diags);
    if (text && *text)
        fprintf(stderr, "%s", text);
    free(text);
}

static inline int add_catalog(catalog_set_t *set, const char *origin, const char *text, diag_list_t *diags)
{
    return catalog_set_add(set, origin, text, strlen(text), diags);
}

/* A linked set of the given catalogs; fails the test on any error. */
static inline catalog_set_t *make_set(const char *first, ...)
{
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    va_list args;
    va_start(args, first);
    for (const char *text = first; text; text = va_arg(args, const char *))
        if (add_catalog(set, "test.json", text, diags) != 0) {
            print_diags(diags);
            fail_msg("catalog did not compile");
        }
    va_end(args);
    if (catalog_set_link(set, diags) != 0) {
        print_diags(diags);
        fail_msg("catalog set did not link");
    }
    diag_list_destroy(&diags);
    return set;
}

static inline bundle_t *make_bundle(const char *text, const catalog_set_t *set)
{
    diag_list_t *diags = diag_list_new();
    bundle_t *bundle = bundle_parse("bundle.json", text, strlen(text), set, NULL, diags);
    if (!bundle) {
        print_diags(diags);
        fail_msg("bundle did not parse");
    }
    diag_list_destroy(&diags);
    return bundle;
}

/* Compile `text` as an expression rooted at /expr; NULL on errors, which
   go to diags. */
static inline expr_t *compile_text(const char *text, diag_list_t *diags)
{
    cJSON *json = cJSON_Parse(text);
    if (!json)
        fail_msg("test expression is not JSON: %s", text);
    expr_compiler_t compiler;
    expr_compiler_init(&compiler, "test", diags);
    expr_t *expr = expr_compile(&compiler, json, "/expr");
    expr_compiler_clear(&compiler);
    cJSON_Delete(json);
    return expr;
}

/* Evaluate against the bundle: the result printed as JSON, or "ERROR: "
   and the message. Caller frees. */
static inline char *eval_text(const bundle_t *bundle, const char *text)
{
    diag_list_t *diags = diag_list_new();
    expr_t *expr = compile_text(text, diags);
    if (!expr) {
        print_diags(diags);
        fail_msg("expression did not compile: %s", text);
    }
    diag_list_destroy(&diags);
    eval_t *eval = eval_new(bundle);
    eval_begin(eval, true);
    cJSON *result = eval_json(eval, expr);
    char *out;
    if (result) {
        out = cJSON_PrintUnformatted(result);
        cJSON_Delete(result);
    } else {
        const char *message = eval_error(eval);
        out = malloc(strlen(message) + 8);
        sprintf(out, "ERROR: %s", message);
    }
    eval_destroy(&eval);
    expr_destroy(&expr);
    return out;
}

static inline cJSON *json_path(const cJSON *json, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(json, key);
}

/* The entry of array `key` of the result whose "id" is `id`. */
static inline const cJSON *by_id(const cJSON *result, const char *key, const char *id)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, json_path(result, key)) {
        const cJSON *value = json_path(item, "id");
        if (cJSON_IsString(value) && strcmp(value->valuestring, id) == 0)
            return item;
    }
    fail_msg("no %s entry with id %s", key, id);
    return NULL;
}

/* Print a JSON value compactly for comparisons; caller frees. */
static inline char *compact(const cJSON *json)
{
    return json ? cJSON_PrintUnformatted(json) : strdup("(missing)");
}

#define assert_json_equal(json, expected)             \
    do {                                              \
        char *_text = compact(json);                  \
        assert_string_equal(_text, expected);         \
        free(_text);                                  \
    } while (0)

#endif
