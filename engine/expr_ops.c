/*  expr_ops.c - the operators of rule language v1 and the JavaScript-like
    conversions and comparisons JSON Logic defines them with. Data is
    value_t (value.h): bundle fields are found by member key, strings
    compare by length first, evidence comes from the bundle's kind index.
*/
#include "date.h"
#include "eval_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any array as a contiguous view. null is the empty array (so a missing
   attribute counts as none). */
static bool array_view(eval_t *self, const expr_t *node, const value_t *v, const value_t **items,
                       size_t *count)
{
    if (v->type == V_ARRAY) {
        *items = v->u.array.items;
        *count = v->u.array.count;
        return true;
    }
    if (v->type == V_LIST) {
        *items = v->u.list->items;
        *count = v->u.list->count;
        return true;
    }
    if (v->type == V_NULL) {
        *items = NULL;
        *count = 0;
        return true;
    }
    return fail(self, node, "expected an array, got %s", value_type_name(v));
}

/* One step of a dot path. Evidence items read their own fields; fields
   not at the top level are looked up under "fields" too, so producers that
   nest their custom fields there need no different rules. */
static bool step(eval_t *self, const value_t *current, const segment_t *segment, value_t *next)
{
    const value_t *found = NULL;
    uint32_t *hint = &self->hints[((uintptr_t) segment / sizeof *segment) % EVAL_HINTS];
    switch (current->type) {
    case V_OBJECT:
        found = object_find_hinted(current->u.object, segment->key, segment->text, segment->length, hint);
        break;
    case V_ITEM: {
        const item_t *item = current->u.item;
        found = object_find_hinted(item->object, segment->key, segment->text, segment->length, hint);
        if (!found && item->nested)
            found = object_find(item->nested, segment->key, segment->text, segment->length);
        break;
    }
    case V_PAIR:
        if (segment->length == 7 && memcmp(segment->text, "current", 7) == 0)
            found = &current->u.pair->current;
        else if (segment->length == 11 && memcmp(segment->text, "accumulator", 11) == 0)
            found = &current->u.pair->accumulator;
        break;
    case V_ARRAY:
        if (segment->is_index && segment->index < current->u.array.count)
            found = &current->u.array.items[segment->index];
        break;
    case V_LIST:
        if (segment->is_index && segment->index < current->u.list->count)
            found = &current->u.list->items[segment->index];
        break;
    default:
        break;
    }
    if (!found)
        return false;
    *next = *found;
    return true;
}

/* Resolve a dot path computed at run time; "" or NULL is the data itself
   and a leading $unit / $as_of ignores the data. Missing gives null. */
static value_t lookup(eval_t *self, const value_t *data, const char *path)
{
    if (!path || !*path)
        return *data;
    value_t current = *data;
    if (path[0] == '$') {
        if (strcmp(path, "$as_of") == 0)
            return self->as_of;
        if (strncmp(path, "$unit", 5) != 0 || (path[5] && path[5] != '.'))
            return value_null;
        current = self->unit;
        path += 5;
        if (*path == '.')
            path++;
        if (!*path)
            return current;
    }
    while (true) {
        size_t length = strcspn(path, ".");
        segment_t segment;
        path_segment(path, length, &segment);
        value_t next;
        if (!step(self, &current, &segment, &next))
            return value_null;
        current = next;
        if (!path[length])
            return current;
        path += length + 1;
    }
}

static value_t lookup_path(eval_t *self, const value_t *data, const path_t *path)
{
    if (path->root == ROOT_NONE)
        return value_null;
    value_t current = path->root == ROOT_UNIT ? self->unit : path->root == ROOT_AS_OF ? self->as_of : *data;
    for (size_t i = 0; i < path->count; i++) {
        value_t next;
        if (!step(self, &current, &path->segments[i], &next))
            return value_null;
        current = next;
    }
    return current;
}

static const char *format_number(eval_t *self, double n)
{
    char buffer[40];
    if (n == floor(n) && fabs(n) < 1e15)
        snprintf(buffer, sizeof buffer, "%.0f", n);
    else {
        snprintf(buffer, sizeof buffer, "%.15g", n);
        if (strtod(buffer, NULL) != n)
            snprintf(buffer, sizeof buffer, "%.17g", n);
    }
    char *copy = arena_alloc(self, strlen(buffer) + 1);
    if (copy)
        strcpy(copy, buffer);
    return copy;
}

/* Evaluate an operator's argument. Literals and var reads with a literal
   path, more than half of all nodes a catalog evaluates, are answered here
   without the dispatch; they cannot fail (a default is evaluated in full),
   and their parent, dispatched by eval, still reports a failure recorded
   before. */
static inline bool operand(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    if (node->op == OP_CONST) {
        *out = node->constant;
        return true;
    }
    if (node->op == OP_VAR && !node->dynamic) {
        *out = lookup_path(self, data, &node->path);
        if (out->type != V_NULL || node->argc < 2)
            return true;
        return operand(self, node->args[1], data, out);    /* the default */
    }
    return eval(self, node, data, out);
}

/* The predicates of evidence, some, all and none: and/or of comparisons
   and "in" for the most part, called here without eval's dispatch (the
   depth guard is for nesting, which a compiled tree bounds). */
static bool predicate(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    switch (node->op) {
    case OP_AND:
    case OP_OR:
        return eval_logic(self, node, data, out) && !self->failed;
    case OP_EQ:
    case OP_NE:
    case OP_SEQ:
    case OP_SNE:
        return eval_equal(self, node, data, out) && !self->failed;
    case OP_IN:
        return eval_in(self, node, data, out) && !self->failed;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        return eval_compare(self, node, data, out) && !self->failed;
    default:
        return operand(self, node, data, out);
    }
}

/* JavaScript-like string conversion for loose equality and "in": arrays
   join their elements with commas. NULL on error. */
static const char *to_string(eval_t *self, const expr_t *node, const value_t *v, int depth)
{
    switch (v->type) {
    case V_NULL: return "";     /* only reached inside arrays, as JS does */
    case V_BOOL: return v->u.boolean ? "true" : "false";
    case V_NUMBER: return format_number(self, v->u.number);
    case V_STRING: return v->u.string.text;
    case V_ARRAY:
    case V_LIST: {
        if (depth > EXPR_MAX_DEPTH) {
            fail(self, node, "array nested too deeply");
            return NULL;
        }
        const value_t *items = NULL;
        size_t count = 0;
        if (!array_view(self, node, v, &items, &count))
            return NULL;
        size_t total = 1;
        const char **parts = count ? arena_alloc(self, count * sizeof *parts) : NULL;
        if (count && !parts)
            return NULL;
        for (size_t i = 0; i < count; i++) {
            if (!(parts[i] = to_string(self, node, &items[i], depth + 1)))
                return NULL;
            total += strlen(parts[i]) + 1;
        }
        char *text = arena_alloc(self, total);
        if (!text)
            return NULL;
        char *cursor = text;
        for (size_t i = 0; i < count; i++) {
            if (i)
                *cursor++ = ',';
            size_t length = strlen(parts[i]);
            memcpy(cursor, parts[i], length);
            cursor += length;
        }
        *cursor = '\0';
        return text;
    }
    default:
        return "[object Object]";
    }
}

/* JSON Logic's "==": JavaScript abstract equality, except that null only
   equals null (there is no undefined here). */
static bool loose_equal(eval_t *self, const expr_t *node, const value_t *a, const value_t *b,
                        bool *equal)
{
    if (a->type == V_NULL || b->type == V_NULL) {
        *equal = a->type == b->type;
        return true;
    }
    if (a->type == b->type || (value_is_array(a) && value_is_array(b))) {
        *equal = value_strict_equal(a, b);
        return true;
    }
    double x, y;
    if (a->type == V_BOOL || b->type == V_BOOL || (a->type == V_NUMBER && b->type == V_STRING)
        || (a->type == V_STRING && b->type == V_NUMBER)) {
        if (value_is_array(a) || value_is_array(b)) {
            /* bool vs array: compare the array's string form as a number */
            const value_t *array = value_is_array(a) ? a : b, *other = value_is_array(a) ? b : a;
            const char *text = to_string(self, node, array, 0);
            if (!text)
                return false;
            value_t converted = value_string(text, DAY_UNPARSED);
            return loose_equal(self, node, &converted, other, equal);
        }
        *equal = value_to_number(a, &x) && value_to_number(b, &y) && x == y;
        return true;
    }
    if ((value_is_array(a) && (b->type == V_STRING || b->type == V_NUMBER))
        || (value_is_array(b) && (a->type == V_STRING || a->type == V_NUMBER))) {
        const value_t *array = value_is_array(a) ? a : b, *other = value_is_array(a) ? b : a;
        const char *text = to_string(self, node, array, 0);
        if (!text)
            return false;
        value_t converted = value_string(text, DAY_UNPARSED);
        return loose_equal(self, node, &converted, other, equal);
    }
    *equal = false;
    return true;
}

/* ==, !=, ===, !== */
bool eval_equal(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t a, b;
    if (!operand(self, node->args[0], data, &a) || !operand(self, node->args[1], data, &b))
        return false;
    bool equal;
    if (node->op == OP_SEQ || node->op == OP_SNE)
        equal = value_strict_equal(&a, &b);
    else if (!loose_equal(self, node, &a, &b, &equal))
        return false;
    *out = value_bool(equal == (node->op == OP_EQ || node->op == OP_SEQ));
    return true;
}

/* Relational comparison: -1/0/1 in *order, or *comparable false (null,
   NaN: every comparison with null is false). Composite values are an
   error rather than JavaScript's string coercion. */
static bool compare(eval_t *self, const expr_t *node, const value_t *a, const value_t *b,
                    bool *comparable, int *order)
{
    *comparable = false;
    const value_t *bad = a->type >= V_ARRAY ? a : b->type >= V_ARRAY ? b : NULL;
    if (bad)
        return fail(self, node, "cannot compare %s", value_type_name(bad));
    if (a->type == V_NULL || b->type == V_NULL)
        return true;
    if (a->type == V_STRING && b->type == V_STRING) {
        int c = strcmp(a->u.string.text, b->u.string.text);
        *order = c < 0 ? -1 : c > 0;
        *comparable = true;
        return true;
    }
    double x, y;
    if (!value_to_number(a, &x) || !value_to_number(b, &y))
        return true;
    *order = x < y ? -1 : x > y;
    *comparable = true;
    return true;
}

/* Arithmetic operand: 1 a number, 0 null (the result is null), or an
   error. Numeric strings are accepted as JSON Logic does. */
static int arith_operand(eval_t *self, const expr_t *node, const value_t *v, double *n)
{
    if (v->type == V_NUMBER) {
        *n = v->u.number;
        return 1;
    }
    if (v->type == V_NULL)
        return 0;
    if (v->type == V_STRING && v->u.string.length && value_to_number(v, n))
        return 1;
    if (v->type == V_STRING)
        fail(self, node, "\"%s\" is not a number", v->u.string.text);
    else
        fail(self, node, "cannot do arithmetic on %s", value_type_name(v));
    return -1;
}

static bool number_result(eval_t *self, const expr_t *node, double n, value_t *out)
{
    if (!isfinite(n))
        return fail(self, node, "the result is not a finite number");
    *out = value_number(n);
    return true;
}

/* ---- operators -------------------------------------------------------------- */

bool eval_var(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    const char *path = node->text;
    if (node->dynamic) {
        value_t p;
        if (!operand(self, node->args[0], data, &p))
            return false;
        if (p.type == V_NUMBER) {
            if (p.u.number < 0 || p.u.number != floor(p.u.number))
                return fail(self, node, "a numeric path must be an array index");
            path = format_number(self, p.u.number);
            if (!path)
                return false;
        } else if (p.type == V_STRING)
            path = p.u.string.text;
        else if (p.type != V_NULL)
            return fail(self, node, "the path must be a string, got %s", value_type_name(&p));
        else
            path = NULL;
    }
    *out = node->dynamic ? lookup(self, data, path) : lookup_path(self, data, &node->path);
    if (out->type == V_NULL && node->argc == 2)
        return operand(self, node->args[1], data, out);
    return true;
}

bool eval_compare(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t values[3];
    for (size_t i = 0; i < node->argc; i++)
        if (!operand(self, node->args[i], data, &values[i]))
            return false;
    bool result = true;
    for (size_t i = 0; i + 1 < node->argc; i++) {
        bool comparable;
        int order = 0;
        if (!compare(self, node, &values[i], &values[i + 1], &comparable, &order))
            return false;
        switch (node->op) {
        case OP_LT: result = result && comparable && order < 0; break;
        case OP_LE: result = result && comparable && order <= 0; break;
        case OP_GT: result = result && comparable && order > 0; break;
        default: result = result && comparable && order >= 0; break;
        }
    }
    *out = value_bool(result);
    return true;
}

bool eval_arith(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    double result = 0;
    bool is_null = false;
    for (size_t i = 0; i < node->argc; i++) {
        value_t v;
        double n = 0;
        if (!operand(self, node->args[i], data, &v))
            return false;
        int kind = arith_operand(self, node, &v, &n);
        if (kind < 0)
            return false;
        if (kind == 0) {
            is_null = true;
            continue;
        }
        if (i == 0) {
            result = node->op == OP_SUB && node->argc == 1 ? -n : n;
            continue;
        }
        switch (node->op) {
        case OP_ADD: result += n; break;
        case OP_SUB: result -= n; break;
        case OP_MUL: result *= n; break;
        case OP_DIV:
            if (n == 0)
                return fail(self, node, "division by zero");
            result /= n;
            break;
        case OP_MIN: result = n < result ? n : result; break;
        case OP_MAX: result = n > result ? n : result; break;
        default: break;
        }
    }
    if (is_null) {
        *out = value_null;
        return true;
    }
    return number_result(self, node, result, out);
}

bool eval_in(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t needle, haystack;
    if (!operand(self, node->args[0], data, &needle) || !operand(self, node->args[1], data, &haystack))
        return false;
    if (haystack.type == V_NULL) {
        *out = value_bool(false);
        return true;
    }
    if (haystack.type == V_STRING) {
        if (needle.type != V_STRING && needle.type != V_NUMBER && needle.type != V_BOOL)
            return fail(self, node, "cannot look for %s in a string", value_type_name(&needle));
        const char *text = to_string(self, node, &needle, 0);
        if (!text)
            return false;
        *out = value_bool(strstr(haystack.u.string.text, text) != NULL);
        return true;
    }
    if (!value_is_array(&haystack))
        return fail(self, node, "expected a string or an array, got %s", value_type_name(&haystack));
    const value_t *items = NULL;
    size_t count = 0;
    if (!array_view(self, node, &haystack, &items, &count))
        return false;
    bool found = false;
    for (size_t i = 0; i < count && !found; i++)
        found = value_strict_equal(&items[i], &needle);
    *out = value_bool(found);
    return true;
}

/* some / all / none / filter / map: data is each element in turn. */
bool eval_iterate(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t source;
    const value_t *items = NULL;
    size_t count = 0;
    if (!operand(self, node->args[0], data, &source) || !array_view(self, node, &source, &items, &count))
        return false;
    value_t *results = NULL;
    size_t kept = 0;
    if ((node->op == OP_FILTER || node->op == OP_MAP) && count) {
        results = arena_alloc(self, count * sizeof *results);
        if (!results)
            return false;
    }
    if (node->op != OP_MAP)
        for (size_t i = 0; i < count; i++)
            mark(self, &items[i], MARK_JUDGED);
    for (size_t i = 0; i < count; i++) {
        value_t r;
        if (!predicate(self, node->args[1], &items[i], &r))
            return false;
        bool t = value_truthy(&r);
        switch (node->op) {
        case OP_SOME:
            mark(self, &items[i], t ? MARK_SATISFIED : MARK_REJECTED);
            if (t) {
                *out = value_bool(true);
                return true;
            }
            break;
        case OP_ALL:
            mark(self, &items[i], t ? MARK_SATISFIED : MARK_REJECTED);
            if (!t) {
                *out = value_bool(false);
                return true;
            }
            break;
        case OP_NONE:
            /* an element matching a "none" predicate is what goes wrong */
            mark(self, &items[i], t ? MARK_REJECTED : MARK_SATISFIED);
            if (t) {
                *out = value_bool(false);
                return true;
            }
            break;
        case OP_FILTER:
            mark(self, &items[i], t ? MARK_SATISFIED : MARK_REJECTED);
            if (t)
                results[kept++] = items[i];
            break;
        default:
            results[kept++] = r;
            break;
        }
    }
    switch (node->op) {
    case OP_SOME: *out = value_bool(false); break;
    case OP_ALL: *out = value_bool(count > 0); break;     /* JSON Logic: all of [] is false */
    case OP_NONE: *out = value_bool(true); break;
    default:
        out->type = V_ARRAY;
        out->u.array.items = results;
        out->u.array.count = kept;
        break;
    }
    return true;
}

bool eval_reduce(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t source, accumulator = value_null;
    const value_t *items = NULL;
    size_t count = 0;
    if (!operand(self, node->args[0], data, &source) || !array_view(self, node, &source, &items, &count))
        return false;
    if (node->argc == 3 && !operand(self, node->args[2], data, &accumulator))
        return false;
    for (size_t i = 0; i < count; i++) {
        pair_t *pair = arena_alloc(self, sizeof *pair);
        if (!pair)
            return false;
        pair->current = items[i];
        pair->accumulator = accumulator;
        value_t scope = { .type = V_PAIR };
        scope.u.pair = pair;
        if (!operand(self, node->args[1], &scope, &accumulator))
            return false;
    }
    *out = accumulator;
    return true;
}

bool eval_merge(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t *parts = node->argc ? arena_alloc(self, node->argc * sizeof *parts) : NULL;
    if (node->argc && !parts)
        return false;
    size_t total = 0;
    for (size_t i = 0; i < node->argc; i++) {
        if (!operand(self, node->args[i], data, &parts[i]))
            return false;
        if (value_is_array(&parts[i])) {
            const value_t *items = NULL;
            size_t count = 0;
            if (!array_view(self, node, &parts[i], &items, &count))
                return false;
            parts[i].type = V_ARRAY;
            parts[i].u.array.items = items;
            parts[i].u.array.count = count;
            total += count;
        } else
            total++;
    }
    value_t *merged = total ? arena_alloc(self, total * sizeof *merged) : NULL;
    if (total && !merged)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < node->argc; i++) {
        if (parts[i].type == V_ARRAY)
            for (size_t j = 0; j < parts[i].u.array.count; j++)
                merged[n++] = parts[i].u.array.items[j];
        else
            merged[n++] = parts[i];
    }
    out->type = V_ARRAY;
    out->u.array.items = merged;
    out->u.array.count = n;
    return true;
}

/* Whether the prefilter (expr_prefilter) is certainly false for `item`:
   for an "in", the needle is not in the haystack, which is null, a string
   or an array; for an equality, the field is null or another string.
   Anything else (a conversion, or an "in" that would fail) is left to the
   evaluator. */
static bool prefilter_rejects_equality(eval_t *self, const expr_t *equality, const value_t *item)
{
    const expr_t *a = equality->args[0], *b = equality->args[1];
    const expr_t *literal = a->op == OP_CONST ? a : b, *var = a->op == OP_CONST ? b : a;
    value_t v = lookup_path(self, item, &var->path);
    /* null equals only null; two strings are equal only byte for byte */
    return v.type == V_NULL || (v.type == V_STRING && !value_strict_equal(&v, &literal->constant));
}

static bool prefilter_rejects(eval_t *self, const expr_t *in, const value_t *item)
{
    if (in->op != OP_IN)
        return prefilter_rejects_equality(self, in, item);
    const value_t *needle = &in->args[0]->constant;
    const expr_t *var = in->args[1];
    value_t haystack = lookup_path(self, item, &var->path);
    if (haystack.type == V_NULL && var->argc == 2) {
        if (var->args[1]->op != OP_CONST)
            return true;    /* the default is [] */
        haystack = var->args[1]->constant;
    }
    const value_t *values = NULL;
    size_t count = 0;
    switch (haystack.type) {
    case V_NULL:
        return true;
    case V_STRING:
        return strstr(haystack.u.string.text, needle->u.string.text) == NULL;
    case V_ARRAY:
        values = haystack.u.array.items;
        count = haystack.u.array.count;
        break;
    case V_LIST:
        values = haystack.u.list->items;
        count = haystack.u.list->count;
        break;
    default:
        return false;
    }
    for (size_t i = 0; i < count; i++)
        if (value_strict_equal(&values[i], needle))
            return false;
    return true;
}

bool eval_evidence(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    const size_t *indices;
    size_t count = bundle_kind_items(self->bundle, node->kind_key, node->text, node->text_length, &indices);
    /* deeper data could make an equality before the "in" fail (to_string) */
    const expr_t *prefilter = self->bundle_depth <= EXPR_MAX_DEPTH ? node->prefilter : NULL;
    value_t *items = count ? arena_alloc(self, count * sizeof *items) : NULL;
    if (count && !items)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const item_t *item = &self->bundle->items[indices[i]];
        if (item->expired) {
            mark_item(self, item, MARK_EXPIRED);
            continue;
        }
        value_t v = { .type = V_ITEM };
        v.u.item = item;
        if (prefilter && prefilter_rejects(self, prefilter, &v)) {
            mark(self, &v, MARK_REJECTED);
            continue;
        }
        if (node->argc == 2) {
            value_t r;
            if (!predicate(self, node->args[1], &v, &r))
                return false;
            if (!value_truthy(&r)) {
                mark(self, &v, MARK_REJECTED);
                continue;
            }
        }
        mark(self, &v, MARK_CANDIDATE);
        items[n++] = v;
    }
    out->type = V_ARRAY;
    out->u.array.items = items;
    out->u.array.count = n;
    return true;
}

bool eval_age_days(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t v;
    if (!operand(self, node->args[0], data, &v))
        return false;
    int32_t day;
    switch (v.type) {
    case V_NULL:
        *out = value_null;
        return true;
    case V_STRING:
        day = value_day(&v);
        break;
    case V_ITEM:
        /* an item's age is the age of its date */
        day = v.u.item->date;
        break;
    case V_OBJECT: {
        const value_t *date = object_find(v.u.object, value_name_key("date", 4), "date", 4);
        day = date ? value_day(date) : DATE_NONE;
        break;
    }
    default:
        return fail(self, node, "expected a date, got %s", value_type_name(&v));
    }
    *out = day == DATE_NONE ? value_null : value_number((double) self->bundle->as_of_day - day);
    return true;
}

bool eval_count(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t v;
    if (!operand(self, node->args[0], data, &v))
        return false;
    if (v.type == V_NULL)
        *out = value_number(0);
    else if (v.type == V_ARRAY)
        *out = value_number((double) v.u.array.count);
    else if (v.type == V_LIST)
        *out = value_number((double) v.u.list->count);
    else
        return fail(self, node, "expected an array, got %s", value_type_name(&v));
    return true;
}

bool eval_latest(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t source;
    const value_t *items = NULL;
    size_t count = 0;
    if (!operand(self, node->args[0], data, &source) || !array_view(self, node, &source, &items, &count))
        return false;
    size_t best = count;
    int32_t best_day = DATE_NONE;
    for (size_t i = 0; i < count; i++) {
        mark(self, &items[i], MARK_JUDGED);
        value_t date = lookup_path(self, &items[i], &node->path);
        int32_t day = value_day(&date);
        if (day != DATE_NONE && (best == count || day > best_day)) {
            best = i;
            best_day = day;
        }
    }
    if (best == count) {
        *out = value_null;
        return true;
    }
    mark(self, &items[best], MARK_PICKED);
    *out = items[best];
    return true;
}

bool eval_coverage(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t list;
    const value_t *values = NULL;
    size_t count = 0;
    if (!operand(self, node->args[0], data, &list) || !array_view(self, node, &list, &values, &count))
        return false;
    const size_t *indices;
    size_t item_count = bundle_kind_items(self->bundle, node->kind_key, node->text, node->text_length, &indices);
    /* The predicate is evaluated at most once per item: -1 not yet. */
    signed char *verdicts = item_count ? arena_alloc(self, item_count) : NULL;
    if (item_count && !verdicts)
        return false;
    for (size_t k = 0; k < item_count; k++) {
        const item_t *item = &self->bundle->items[indices[k]];
        verdicts[k] = -1;
        mark_item(self, item, item->expired ? MARK_EXPIRED : MARK_CANDIDATE | MARK_JUDGED);
    }
    size_t covered = 0;
    for (size_t i = 0; i < count; i++) {
        bool found = false;
        for (size_t k = 0; k < item_count; k++) {
            const item_t *item = &self->bundle->items[indices[k]];
            if (item->expired)
                continue;
            value_t v = { .type = V_ITEM };
            v.u.item = item;
            value_t field = lookup_path(self, &v, &node->path);
            bool match = false;
            if (field.type == V_LIST)
                for (size_t j = 0; j < field.u.list->count && !match; j++)
                    match = value_strict_equal(&field.u.list->items[j], &values[i]);
            else if (field.type == V_ARRAY)
                for (size_t j = 0; j < field.u.array.count && !match; j++)
                    match = value_strict_equal(&field.u.array.items[j], &values[i]);
            else
                match = value_strict_equal(&field, &values[i]);
            if (!match)
                continue;
            if (node->argc == 4 && verdicts[k] < 0) {
                value_t r;
                if (!operand(self, node->args[3], &v, &r))
                    return false;
                verdicts[k] = value_truthy(&r);
            }
            if (node->argc == 4 && !verdicts[k]) {
                mark(self, &v, MARK_REJECTED);
                continue;
            }
            mark(self, &v, MARK_SATISFIED);
            found = true;
        }
        covered += found;
    }
    *out = value_number(count ? (double) covered / (double) count : 1.0);
    return true;
}


/* and / or: the first falsy (truthy) argument, or the last. */
bool eval_logic(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    bool stop_when = node->op == OP_OR;
    for (size_t i = 0; i < node->argc; i++) {
        if (!predicate(self, node->args[i], data, out))
            return false;
        if (value_truthy(out) == stop_when)
            break;
    }
    return true;
}
