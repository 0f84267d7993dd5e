/*  expr_compile.c - the compiler of rule language v1: JSON Logic plus
    Assay's domain operators, from cJSON to expr_t trees (expr_internal.h)
    with operators resolved, arities checked, var paths split into
    segments with their member keys, and evidence kinds keyed for the
    bundle's kind index. See expr.h and docs/catalog-format.md.
*/
#include "date.h"
#include "expr_internal.h"
#include "internal.h"
#include "jsontext.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    op_t op;
    int min;
    int max;        /* -1: any number */
} operator_t;

static const operator_t operators[] = {
    { "var", OP_VAR, 0, 2 },       { "==", OP_EQ, 2, 2 },       { "!=", OP_NE, 2, 2 },
    { "===", OP_SEQ, 2, 2 },       { "!==", OP_SNE, 2, 2 },     { "<", OP_LT, 2, 3 },
    { "<=", OP_LE, 2, 3 },         { ">", OP_GT, 2, 2 },        { ">=", OP_GE, 2, 2 },
    { "!", OP_NOT, 1, 1 },         { "!!", OP_NOTNOT, 1, 1 },   { "and", OP_AND, 1, -1 },
    { "or", OP_OR, 1, -1 },        { "if", OP_IF, 1, -1 },      { "in", OP_IN, 2, 2 },
    { "+", OP_ADD, 1, -1 },        { "-", OP_SUB, 1, 2 },       { "*", OP_MUL, 1, -1 },
    { "/", OP_DIV, 2, 2 },         { "min", OP_MIN, 1, -1 },    { "max", OP_MAX, 1, -1 },
    { "some", OP_SOME, 2, 2 },     { "all", OP_ALL, 2, 2 },     { "none", OP_NONE, 2, 2 },
    { "filter", OP_FILTER, 2, 2 }, { "map", OP_MAP, 2, 2 },     { "reduce", OP_REDUCE, 2, 3 },
    { "merge", OP_MERGE, 0, -1 },  { "evidence", OP_EVIDENCE, 1, 2 },
    { "age_days", OP_AGE_DAYS, 1, 1 }, { "count", OP_COUNT, 1, 1 },
    { "latest", OP_LATEST, 2, 2 }, { "coverage", OP_COVERAGE, 3, 4 },
};

#define OPERATOR_LIST "var == != === !== < <= > >= ! !! and or if in + - * / min max some all " \
                      "none filter map reduce merge evidence age_days count latest coverage"


void path_segment(const char *text, size_t length, segment_t *segment)
{
    segment->text = text;
    segment->length = length;
    segment->key = value_name_key(text, length);
    /* what JSON Logic takes as an array index: 1 to 9 digits */
    segment->is_index = length > 0 && length <= 9;
    segment->index = 0;
    for (size_t i = 0; i < length && segment->is_index; i++) {
        segment->is_index = text[i] >= '0' && text[i] <= '9';
        segment->index = segment->index * 10 + (size_t) (text[i] - '0');
    }
}


/* Splits `text` (kept alive by the caller) into a path_t. */
static bool path_compile(const char *text, path_t *path)
{
    memset(path, 0, sizeof *path);
    if (!text || !*text)
        return true;
    if (text[0] == '$') {
        if (strcmp(text, "$as_of") == 0) {
            path->root = ROOT_AS_OF;
            return true;
        }
        /* Only var's paths are checked to be $unit...; a latest or
           coverage FIELD such as "$ate" is not, and skipping 5 bytes of
           it read past its end (found by fuzz/fuzz_expr). */
        if (strncmp(text, "$unit", 5) != 0 || (text[5] && text[5] != '.')) {
            path->root = ROOT_NONE;
            return true;
        }
        path->root = ROOT_UNIT;
        text += 5;
        if (*text == '.')
            text++;
        if (!*text)
            return true;
    }
    size_t count = 1;
    for (const char *p = text; *p; p++)
        count += *p == '.';
    path->segments = calloc(count, sizeof *path->segments);
    if (!path->segments)
        return false;
    while (true) {
        size_t length = strcspn(text, ".");
        path_segment(text, length, &path->segments[path->count++]);
        if (!text[length])
            return true;
        text += length + 1;
    }
}

/* ---- compiler ------------------------------------------------------------- */

void expr_compiler_init(expr_compiler_t *self, const char *origin, diag_list_t *diags)
{
    memset(self, 0, sizeof *self);
    self->origin = origin;
    self->diags = diags;
}

void expr_refs_free(expr_ref_t *refs, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(refs[i].name);
        free(refs[i].pointer);
    }
    free(refs);
}

void expr_compiler_clear(expr_compiler_t *self)
{
    expr_refs_free(self->refs, self->ref_count);
    self->refs = NULL;
    self->ref_count = self->ref_capacity = 0;
}

static void add_ref(expr_compiler_t *self, expr_ref_type_t type, const char *name, size_t length,
                    const char *pointer)
{
    if (self->ref_count == self->ref_capacity) {
        size_t capacity = self->ref_capacity ? self->ref_capacity * 2 : 16;
        expr_ref_t *grown = realloc(self->refs, capacity * sizeof *grown);
        if (!grown)
            return;
        self->refs = grown;
        self->ref_capacity = capacity;
    }
    expr_ref_t *ref = &self->refs[self->ref_count];
    ref->type = type;
    ref->name = strndup(name, length);
    ref->pointer = strdup(pointer);
    ref->applies_if = self->in_applies_if;
    if (ref->name && ref->pointer)
        self->ref_count++;
    else {
        free(ref->name);
        free(ref->pointer);
    }
}

static void compile_error(expr_compiler_t *self, const jptr_t *where, const char *hint,
                          const char *format, ...) __attribute__((format(printf, 4, 5)));

static void compile_error(expr_compiler_t *self, const jptr_t *where, const char *hint,
                          const char *format, ...)
{
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    diag_list_add(self->diags, DIAG_ERROR, self->origin, jptr_str(where), hint, "%s", message);
    self->errors++;
}

void expr_destroy(expr_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    expr_t *self = *self_p;
    for (size_t i = 0; i < self->argc; i++)
        expr_destroy(&self->args[i]);
    free(self->args);
    free(self->text);
    free(self->field);
    free(self->path.segments);
    free(self);
    *self_p = NULL;
}

/* Evidence and coverage find their kind in the bundle's kind index by key. */
static void node_key_kind(expr_t *node)
{
    node->text_length = strlen(node->text);
    node->kind_key = value_name_key(node->text, node->text_length);
}

static expr_t *node_new(op_t op, const char *name)
{
    expr_t *node = calloc(1, sizeof *node);
    if (node) {
        node->op = op;
        node->name = name;
    }
    return node;
}

/* Checks a literal var path: a leading "$" must name $unit or $as_of.
   Records $unit.attributes.NAME for the attribute lint. */
static bool check_var_path(expr_compiler_t *self, const char *path, const jptr_t *where)
{
    if (path[0] != '$')
        return true;
    if (strcmp(path, "$as_of") == 0 || strcmp(path, "$unit") == 0)
        return true;
    if (strncmp(path, "$unit.", 6) == 0) {
        const char *rest = path + 6;
        if (strncmp(rest, "attributes.", 11) == 0 && rest[11]) {
            const char *name = rest + 11;
            size_t length = strcspn(name, ".");
            add_ref(self, EXPR_REF_ATTRIBUTE, name, length, jptr_str(where));
        }
        return true;
    }
    compile_error(self, where, "a leading $ reads $unit (the bundle's unit) or $as_of",
                  "unknown variable \"%s\"", path);
    return false;
}

static expr_t *compile(expr_compiler_t *self, const cJSON *json, jptr_t *where, int depth);

/* A var with a literal path and no default, or a literal. */
static bool is_plain(const expr_t *node)
{
    return node->op == OP_CONST || (node->op == OP_VAR && !node->dynamic && node->argc < 2);
}

/* An equality that neither marks items nor fails on bundle data nested
   no deeper than EXPR_MAX_DEPTH. */
static bool is_safe_equality(const expr_t *node)
{
    return (node->op == OP_EQ || node->op == OP_NE || node->op == OP_SEQ || node->op == OP_SNE)
           && is_plain(node->args[0]) && is_plain(node->args[1]);
}

/* {"in": [STRING, {"var": PATH}]}, the var with at most a literal or []
   as its default. */
static bool is_string_in_var(const expr_t *node)
{
    if (node->op != OP_IN || node->args[0]->op != OP_CONST || node->args[0]->constant.type != V_STRING)
        return false;
    const expr_t *var = node->args[1];
    if (var->op != OP_VAR || var->dynamic)
        return false;
    return var->argc < 2 || var->args[1]->op == OP_CONST
           || (var->args[1]->op == OP_ARRAY && var->args[1]->argc == 0);
}

/* {"==": [{"var": PATH}, STRING]} (or === , or the other way round), the
   var without a default. */
static bool is_string_equality(const expr_t *node)
{
    if (node->op != OP_EQ && node->op != OP_SEQ)
        return false;
    const expr_t *a = node->args[0], *b = node->args[1];
    const expr_t *literal = a->op == OP_CONST ? a : b, *var = a->op == OP_CONST ? b : a;
    return literal->op == OP_CONST && literal->constant.type == V_STRING && var->op == OP_VAR
           && !var->dynamic && var->argc < 2;
}

const expr_t *expr_prefilter(const expr_t *predicate)
{
    if (is_string_in_var(predicate) || is_string_equality(predicate))
        return predicate;
    if (predicate->op != OP_AND)
        return NULL;
    /* an "in" after equalities selects better (status == approved holds
       for most items, the topic for few); else a leading string equality */
    for (size_t i = 0; i < predicate->argc; i++) {
        if (is_string_in_var(predicate->args[i]))
            return predicate->args[i];
        if (!is_safe_equality(predicate->args[i]))
            break;
    }
    return is_string_equality(predicate->args[0]) ? predicate->args[0] : NULL;
}

static expr_t *compile_const(const cJSON *json)
{
    expr_t *node = node_new(OP_CONST, "literal");
    if (!node)
        return NULL;
    if (cJSON_IsString(json)) {
        node->text = strdup(json->valuestring ? json->valuestring : "");
        if (!node->text) {
            free(node);
            return NULL;
        }
        int32_t day;
        node->constant = value_string(node->text, date_parse_iso(node->text, &day) ? day : DATE_NONE);
    } else if (cJSON_IsBool(json))
        node->constant = value_bool(cJSON_IsTrue(json));
    else if (cJSON_IsNumber(json))
        node->constant = value_number(json->valuedouble);
    else
        node->constant = value_null;
    return node;
}

static const operator_t *find_operator(const char *name)
{
    for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++)
        if (strcmp(operators[i].name, name) == 0)
            return &operators[i];
    return NULL;
}

/* Literal string argument (evidence kind, field names): these must be
   known when the catalog is compiled so that lint can check them. */
static char *literal_string(expr_compiler_t *self, const cJSON *arg, const jptr_t *where,
                            const char *op, const char *what)
{
    if (!cJSON_IsString(arg) || !arg->valuestring || !*arg->valuestring) {
        compile_error(self, where, NULL, "%s: the %s must be a literal non-empty string", op, what);
        return NULL;
    }
    return strdup(arg->valuestring);
}

static expr_t *compile_operation(expr_compiler_t *self, const cJSON *json, jptr_t *where, int depth)
{
    const cJSON *entry = json->child;
    const char *name = entry->string ? entry->string : "";
    size_t at_op = jptr_push_key(where, name);
    const operator_t *op = find_operator(name);

    /* Arguments: an array is the argument list, anything else is one
       argument (JSON Logic's unary sugar). */
    size_t argc = cJSON_IsArray(entry) ? (size_t) cJSON_GetArraySize(entry) : 1;
    const cJSON *first = cJSON_IsArray(entry) ? entry->child : entry;
    expr_t **args = argc ? calloc(argc, sizeof *args) : NULL;
    bool ok = op != NULL && (argc == 0 || args);
    if (!op)
        compile_error(self, where, "rule language v1 operators: " OPERATOR_LIST,
                      "unknown operator \"%s\"", name);
    else if ((int) argc < op->min || (op->max >= 0 && (int) argc > op->max)) {
        char expected[48];
        if (op->min == op->max)
            snprintf(expected, sizeof expected, "%d", op->min);
        else if (op->max < 0)
            snprintf(expected, sizeof expected, "at least %d", op->min);
        else
            snprintf(expected, sizeof expected, "%d to %d", op->min, op->max);
        compile_error(self, where,
                      argc > 1 && op->max == 1 ? "a literal array argument must be wrapped in another array"
                                               : NULL,
                      "\"%s\" takes %s argument%s, got %zu", name, expected,
                      op->min == 1 && op->max == 1 ? "" : "s", argc);
        ok = false;
    }

    /* Compile every argument even after an error, to report all problems. */
    bool var_literal = false;
    const cJSON *arg = first;
    for (size_t i = 0; i < argc && arg; i++, arg = arg->next) {
        size_t at_arg = cJSON_IsArray(entry) ? jptr_push_index(where, i) : where->length;
        if (op && op->op == OP_VAR && i == 0 && !cJSON_IsObject(arg) && !cJSON_IsArray(arg)) {
            var_literal = true;
            if (cJSON_IsString(arg) && !check_var_path(self, arg->valuestring, where))
                ok = false;
            if (cJSON_IsNumber(arg) && (arg->valuedouble < 0 || arg->valuedouble != floor(arg->valuedouble))) {
                compile_error(self, where, NULL, "var: a numeric path must be an array index");
                ok = false;
            }
            if (cJSON_IsBool(arg)) {
                compile_error(self, where, NULL, "var: the path must be a string or a number");
                ok = false;
            }
        }
        if (op && (op->op == OP_EVIDENCE || op->op == OP_COVERAGE) && i == (op->op == OP_EVIDENCE ? 0u : 1u)) {
            if (cJSON_IsString(arg) && arg->valuestring && *arg->valuestring)
                add_ref(self, EXPR_REF_KIND, arg->valuestring, strlen(arg->valuestring),
                        jptr_str(where));
        }
        if (args) {
            args[i] = compile(self, arg, where, depth + 1);
            if (!args[i])
                ok = false;
        }
        jptr_pop(where, at_arg);
    }

    expr_t *node = ok ? node_new(op->op, op->name) : NULL;
    if (node) {
        node->argc = argc;
        node->args = args;
        args = NULL;
        switch (node->op) {
        case OP_VAR:
            if (argc == 0 || var_literal) {
                const cJSON *path = argc ? first : NULL;
                if (cJSON_IsString(path))
                    node->text = strdup(path->valuestring);
                else if (cJSON_IsNumber(path)) {
                    char index[32];
                    snprintf(index, sizeof index, "%.0f", path->valuedouble);
                    node->text = strdup(index);
                }
                /* NULL text: the whole data */
                if (!path_compile(node->text, &node->path))
                    ok = false;
            } else
                node->dynamic = true;
            break;
        case OP_EVIDENCE:
            node->text = literal_string(self, first, where, "evidence", "kind");
            ok = node->text != NULL;
            if (ok) {
                node_key_kind(node);
                node->prefilter = argc == 2 ? expr_prefilter(node->args[1]) : NULL;
            }
            break;
        case OP_LATEST:
            node->text = literal_string(self, first->next, where, "latest", "field name");
            ok = node->text != NULL && path_compile(node->text, &node->path);
            break;
        case OP_COVERAGE:
            node->text = literal_string(self, first->next, where, "coverage", "kind");
            node->field = literal_string(self, first->next->next, where, "coverage", "field name");
            ok = node->text && node->field && path_compile(node->field, &node->path);
            if (ok)
                node_key_kind(node);
            break;
        default:
            break;
        }
        if (!ok)
            expr_destroy(&node);
    }
    if (args) {
        for (size_t i = 0; i < argc; i++)
            expr_destroy(&args[i]);
        free(args);
    }
    jptr_pop(where, at_op);
    return node;
}

static expr_t *compile(expr_compiler_t *self, const cJSON *json, jptr_t *where, int depth)
{
    if (depth > EXPR_MAX_DEPTH) {
        compile_error(self, where, "split the rule or simplify it",
                      "expression nested deeper than %d levels", EXPR_MAX_DEPTH);
        return NULL;
    }
    if (cJSON_IsArray(json)) {
        size_t count = (size_t) cJSON_GetArraySize(json);
        expr_t *node = node_new(OP_ARRAY, "array");
        expr_t **items = count ? calloc(count, sizeof *items) : NULL;
        bool ok = node && (count == 0 || items);
        size_t i = 0;
        for (const cJSON *item = json->child; item && i < count; item = item->next, i++) {
            size_t at = jptr_push_index(where, i);
            if (items && !(items[i] = compile(self, item, where, depth + 1)))
                ok = false;
            jptr_pop(where, at);
        }
        if (node) {
            node->args = items;
            node->argc = count;
        }
        if (!ok) {
            if (node)
                expr_destroy(&node);
            else if (items) {
                for (i = 0; i < count; i++)
                    expr_destroy(&items[i]);
                free(items);
            }
        }
        return node;
    }
    if (cJSON_IsObject(json)) {
        int keys = cJSON_GetArraySize(json);
        if (keys != 1) {
            compile_error(self, where, "write {\"OPERATOR\": [ARGUMENTS]}",
                          "an expression object must have exactly one key, the operator (found %d)", keys);
            return NULL;
        }
        return compile_operation(self, json, where, depth);
    }
    if (cJSON_IsNumber(json) && !isfinite(json->valuedouble)) {
        compile_error(self, where, NULL, "number out of range");
        return NULL;
    }
    return compile_const(json);
}

expr_t *expr_compile(expr_compiler_t *self, const cJSON *json, const char *pointer)
{
    jptr_t where;
    jptr_init(&where, pointer);
    size_t errors = self->errors;
    expr_t *node = compile(self, json, &where, 1);
    jptr_free(&where);
    if (node && self->errors != errors)
        expr_destroy(&node);    /* defensive: any error means no tree */
    return node;
}
