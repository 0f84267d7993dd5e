/*  expr.c - compiler and evaluator of rule language v1. See expr.h and
    docs/catalog-format.md for the semantics.

    Values during evaluation are value_t: scalars by value, strings, JSON
    objects and arrays borrowed from the bundle or the compiled rule, and
    arrays built by operators allocated in the per-check arena. Evidence
    items travel as V_ITEM so that the evaluator can record which items a
    verdict rested on (the marks) without any lookup.
*/
#include "expr.h"
#include "date.h"
#include "internal.h"
#include "jsontext.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ------------------------------------------------------------- */

/* Composite types come after V_STRING (compare() relies on it). V_TABLE
   is a JSON object with a field table (the unit and its attributes). */
typedef enum { V_NULL, V_BOOL, V_NUMBER, V_STRING, V_ARRAY, V_JARRAY, V_OBJECT, V_TABLE, V_ITEM, V_PAIR } vtype_t;

/* Day of a string not parsed yet (DATE_NONE means "not a date"). */
#define DAY_UNPARSED (INT32_MIN + 1)

typedef struct value_s value_t;
typedef struct pair_s pair_t;

struct value_s {
    vtype_t type;
    int32_t day;                /* V_STRING: cached day number, see above */
    union {
        bool boolean;
        double number;
        const char *string;
        struct {
            const value_t *items;
            size_t count;
        } array;
        const cJSON *json;      /* V_JARRAY, V_OBJECT */
        const field_table_t *table;
        const item_t *item;
        const pair_t *pair;
    } u;
};

/* Data inside reduce: {"current": ..., "accumulator": ...}. */
struct pair_s {
    value_t current;
    value_t accumulator;
};

static const value_t null_value = { .type = V_NULL };

static value_t make_bool(bool b)
{
    value_t v = { .type = V_BOOL };
    v.u.boolean = b;
    return v;
}

static value_t make_number(double n)
{
    value_t v = { .type = V_NUMBER };
    v.u.number = n;
    return v;
}

static value_t make_string(const char *s, int32_t day)
{
    value_t v = { .type = V_STRING, .day = day };
    v.u.string = s;
    return v;
}

static value_t from_json(const cJSON *json)
{
    value_t v = null_value;
    if (!json)
        return v;
    /* the type bits directly: this runs for every field read */
    switch (json->type & 0xFF) {
    case cJSON_False: return make_bool(false);
    case cJSON_True: return make_bool(true);
    case cJSON_Number: return make_number(json->valuedouble);
    case cJSON_String: return json->valuestring ? make_string(json->valuestring, DAY_UNPARSED) : v;
    case cJSON_Array:
        v.type = V_JARRAY;
        v.u.json = json;
        return v;
    case cJSON_Object:
        v.type = V_OBJECT;
        v.u.json = json;
        return v;
    default:
        return v;
    }
}

static const char *type_name(const value_t *v)
{
    switch (v->type) {
    case V_NULL: return "null";
    case V_BOOL: return "a boolean";
    case V_NUMBER: return "a number";
    case V_STRING: return "a string";
    case V_ARRAY:
    case V_JARRAY: return "an array";
    case V_OBJECT:
    case V_TABLE:
    case V_PAIR: return "an object";
    case V_ITEM: return "an evidence item";
    }
    return "a value";
}

static bool is_array(const value_t *v)
{
    return v->type == V_ARRAY || v->type == V_JARRAY;
}

static int32_t string_day(const value_t *v)
{
    if (v->type != V_STRING)
        return DATE_NONE;
    if (v->day != DAY_UNPARSED)
        return v->day;
    int32_t day;
    return date_parse_iso(v->u.string, &day) ? day : DATE_NONE;
}

static bool truthy(const value_t *v)
{
    switch (v->type) {
    case V_NULL: return false;
    case V_BOOL: return v->u.boolean;
    case V_NUMBER: return v->u.number != 0 && !isnan(v->u.number);
    case V_STRING: return v->u.string[0] != '\0';
    case V_ARRAY: return v->u.array.count > 0;
    case V_JARRAY: return v->u.json->child != NULL;
    default: return true;
    }
}

/* ---- operators ------------------------------------------------------------ */

typedef enum {
    OP_CONST, OP_ARRAY, OP_VAR, OP_EQ, OP_NE, OP_SEQ, OP_SNE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_NOT, OP_NOTNOT, OP_AND, OP_OR, OP_IF, OP_IN, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MIN,
    OP_MAX, OP_SOME, OP_ALL, OP_NONE, OP_FILTER, OP_MAP, OP_REDUCE, OP_MERGE, OP_EVIDENCE,
    OP_AGE_DAYS, OP_COUNT, OP_LATEST, OP_COVERAGE
} op_t;

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

/* A dot path split once at compile time. */
/* ROOT_NONE: a '$' path that is neither $unit... nor $as_of, which only a
   latest or coverage FIELD can be (var's are checked at compile time); it
   reads null, as lookup() does for such a path. */
typedef enum { ROOT_DATA, ROOT_UNIT, ROOT_AS_OF, ROOT_NONE } path_root_t;

typedef struct {
    const char *text;       /* into the owning node's string */
    size_t length;
    uint32_t hash;          /* engine_hash of the segment */
} segment_t;

typedef struct {
    path_root_t root;
    segment_t *segments;
    size_t count;
} path_t;

struct expr_s {
    op_t op;
    const char *name;       /* operator name, for messages */
    size_t argc;
    expr_t **args;
    value_t constant;       /* OP_CONST */
    char *text;             /* constant string; var path; evidence/coverage kind; latest field */
    char *field;            /* coverage field */
    bool dynamic;           /* var: path computed at run time from args[0] */
    path_t path;            /* var: compiled text; latest: field; coverage: field */
};

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
        path->segments[path->count++] = (segment_t) { text, length, engine_hash(text, length) };
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
        node->constant = make_string(node->text, date_parse_iso(node->text, &day) ? day : DATE_NONE);
    } else
        node->constant = from_json(json);
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
            break;
        case OP_LATEST:
            node->text = literal_string(self, first->next, where, "latest", "field name");
            ok = node->text != NULL && path_compile(node->text, &node->path);
            break;
        case OP_COVERAGE:
            node->text = literal_string(self, first->next, where, "coverage", "kind");
            node->field = literal_string(self, first->next->next, where, "coverage", "field name");
            ok = node->text && node->field && path_compile(node->field, &node->path);
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

/* ---- evaluation context ----------------------------------------------------- */

typedef struct chunk_s {
    struct chunk_s *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} chunk_t;

enum {
    MARK_CANDIDATE = 1,     /* returned by evidence */
    MARK_JUDGED = 2,        /* iterated over by some/all/none/filter/latest/coverage */
    MARK_SATISFIED = 4,     /* a predicate held for it */
    MARK_REJECTED = 8,      /* a predicate did not hold for it */
    MARK_PICKED = 16,       /* chosen by latest */
    MARK_EXPIRED = 32       /* skipped as expired */
};

struct _eval_t {
    const bundle_t *bundle;
    value_t unit;
    value_t as_of;
    chunk_t *chunks;
    uint8_t *marks;
    size_t *touched;
    size_t touched_count;
    bool record;
    bool failed;
    bool oom;
    int depth;
    char error[320];
};

#define CHUNK_SIZE (64u * 1024u)

eval_t *eval_new(const bundle_t *bundle)
{
    eval_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bundle = bundle;
    size_t count = bundle->item_count ? bundle->item_count : 1;
    self->marks = calloc(count, 1);
    self->touched = calloc(count, sizeof *self->touched);
    if (!self->marks || !self->touched) {
        eval_destroy(&self);
        return NULL;
    }
    self->unit.type = V_TABLE;
    self->unit.u.table = &bundle->unit_table;
    self->as_of = make_string(bundle->as_of, bundle->as_of_day);
    return self;
}

void eval_destroy(eval_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    eval_t *self = *self_p;
    while (self->chunks) {
        chunk_t *next = self->chunks->next;
        free(self->chunks);
        self->chunks = next;
    }
    free(self->marks);
    free(self->touched);
    free(self);
    *self_p = NULL;
}

void eval_begin(eval_t *self, bool record)
{
    /* Keep one chunk: most checks fit, so steady state does no malloc. */
    while (self->chunks && self->chunks->next) {
        chunk_t *next = self->chunks->next;
        free(self->chunks);
        self->chunks = next;
    }
    if (self->chunks)
        self->chunks->used = 0;
    for (size_t i = 0; i < self->touched_count; i++)
        self->marks[self->touched[i]] = 0;
    self->touched_count = 0;
    self->record = record;
    self->failed = false;
    self->depth = 0;
    self->error[0] = '\0';
}

const char *eval_error(const eval_t *self)
{
    return self->error;
}

bool eval_out_of_memory(const eval_t *self)
{
    return self->oom;
}

static bool fail(eval_t *self, const expr_t *node, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error of a check (later ones are consequences). */
static bool fail(eval_t *self, const expr_t *node, const char *format, ...)
{
    if (!self->failed) {
        char message[256];
        va_list args;
        va_start(args, format);
        vsnprintf(message, sizeof message, format, args);
        va_end(args);
        snprintf(self->error, sizeof self->error, "%s: %s", node ? node->name : "rule", message);
        self->failed = true;
    }
    return false;
}

static void *arena_alloc(eval_t *self, size_t size)
{
    size = (size + 15) & ~(size_t) 15;
    if (!self->chunks || self->chunks->used + size > self->chunks->size) {
        size_t capacity = size > CHUNK_SIZE ? size : CHUNK_SIZE;
        chunk_t *chunk = malloc(sizeof *chunk + capacity);
        if (!chunk) {
            self->oom = true;
            fail(self, NULL, "out of memory");
            return NULL;
        }
        chunk->size = capacity;
        chunk->used = 0;
        /* A fresh chunk goes second so the first (kept by eval_begin)
           stays the big reusable one. */
        if (self->chunks && self->chunks->used + CHUNK_SIZE / 2 < self->chunks->size) {
            chunk->next = self->chunks->next;
            self->chunks->next = chunk;
            chunk->used = size;
            return chunk->data;
        }
        chunk->next = self->chunks;
        self->chunks = chunk;
    }
    void *block = self->chunks->data + self->chunks->used;
    self->chunks->used += size;
    return block;
}

static void mark(eval_t *self, const value_t *v, uint8_t flags)
{
    if (v->type != V_ITEM || !self->record)
        return;
    size_t index = v->u.item->index;
    if (!self->marks[index])
        self->touched[self->touched_count++] = index;
    self->marks[index] |= flags;
}

static void mark_item(eval_t *self, const item_t *item, uint8_t flags)
{
    value_t v = { .type = V_ITEM };
    v.u.item = item;
    mark(self, &v, flags);
}

/* The touched items in ascending index order, into `out`. Marks are
   indexed by item, so with many touched items a scan of the mark array
   beats sorting; a few are insertion-sorted. */
static size_t touched_sorted(const eval_t *self, size_t *out)
{
    size_t n = self->touched_count;
    if (n > 16) {
        size_t k = 0;
        for (size_t i = 0; i < self->bundle->item_count; i++)
            if (self->marks[i])
                out[k++] = i;
        return k;
    }
    for (size_t i = 0; i < n; i++) {
        size_t value = self->touched[i], j = i;
        while (j > 0 && out[j - 1] > value) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = value;
    }
    return n;
}

void eval_explain(const eval_t *self, bool pass, size_t *evidence, size_t *evidence_count,
                  size_t *expired, size_t *expired_count)
{
    /* `evidence` doubles as the sorted list: entries are only ever
       written at or below the position being read */
    size_t count = touched_sorted(self, evidence);
    size_t n = 0, e = 0;
    bool any_candidate = false;
    /* pass: what satisfied a predicate or was picked, plus evidence that
       was returned and never judged (e.g. counted); fail: what was judged
       and rejected, or failing that everything examined. */
    for (size_t i = 0; i < count; i++) {
        size_t index = evidence[i];
        uint8_t m = self->marks[index];
        bool take = pass ? (m & (MARK_SATISFIED | MARK_PICKED))
                               || ((m & MARK_CANDIDATE) && !(m & MARK_JUDGED))
                         : (m & (MARK_REJECTED | MARK_PICKED));
        any_candidate = any_candidate || (m & MARK_CANDIDATE);
        if (m & MARK_EXPIRED)
            expired[e++] = index;
        if (take)
            evidence[n++] = index;
    }
    if (!pass && n == 0 && any_candidate)
        for (size_t i = 0; i < self->bundle->item_count; i++)
            if (self->marks[i] & MARK_CANDIDATE)
                evidence[n++] = i;
    *evidence_count = n;
    *expired_count = e;
}

/* ---- evaluation helpers ----------------------------------------------------- */

static bool eval(eval_t *self, const expr_t *node, const value_t *data, value_t *out);

/* Any array as a contiguous view; JSON arrays are converted in the arena.
   null is the empty array (so a missing attribute counts as none). */
static bool array_view(eval_t *self, const expr_t *node, const value_t *v, const value_t **items,
                       size_t *count)
{
    if (v->type == V_ARRAY) {
        *items = v->u.array.items;
        *count = v->u.array.count;
        return true;
    }
    if (v->type == V_NULL) {
        *items = NULL;
        *count = 0;
        return true;
    }
    if (v->type != V_JARRAY)
        return fail(self, node, "expected an array, got %s", type_name(v));
    size_t n = 0;
    for (const cJSON *child = v->u.json->child; child; child = child->next)
        n++;
    value_t *values = n ? arena_alloc(self, n * sizeof *values) : NULL;
    if (n && !values)
        return false;
    size_t i = 0;
    for (const cJSON *child = v->u.json->child; child && i < n; child = child->next)
        values[i++] = from_json(child);
    *items = values;
    *count = n;
    return true;
}

static const cJSON *json_member(const cJSON *object, const char *key, size_t length)
{
    for (const cJSON *child = object->child; child; child = child->next) {
        const char *name = child->string;
        /* first byte inline: most keys differ there */
        if (name && length && name[0] == key[0] && strncmp(name, key, length) == 0 && name[length] == '\0')
            return child;
        if (name && !length && !name[0])
            return child;
    }
    return NULL;
}

static bool parse_index(const char *segment, size_t length, size_t *index)
{
    if (length == 0 || length > 9)
        return false;
    size_t value = 0;
    for (size_t i = 0; i < length; i++) {
        if (segment[i] < '0' || segment[i] > '9')
            return false;
        value = value * 10 + (size_t) (segment[i] - '0');
    }
    *index = value;
    return true;
}

static const item_field_t *table_find(const field_table_t *table, const char *segment, size_t length,
                                      uint32_t hash)
{
    for (size_t i = 0; i < table->count; i++) {
        const item_field_t *field = &table->fields[i];
        if (field->hash == hash && field->length == length && memcmp(field->json->string, segment, length) == 0)
            return field;
    }
    return NULL;
}

/* One step of a dot path. Evidence items read their own fields; fields
   not at the top level are looked up under "fields" too, so producers that
   nest their custom fields there need no different rules. */
static bool step(const value_t *current, const char *segment, size_t length, uint32_t hash,
                 value_t *next)
{
    size_t index;
    switch (current->type) {
    case V_OBJECT: {
        const cJSON *member = json_member(current->u.json, segment, length);
        if (!member)
            return false;
        *next = from_json(member);
        return true;
    }
    case V_TABLE: {
        const item_field_t *field = table_find(current->u.table, segment, length, hash);
        if (!field)
            return false;
        if (field->table) {
            next->type = V_TABLE;
            next->u.table = field->table;
        } else
            *next = from_json(field->json);
        return true;
    }
    case V_ITEM: {
        const item_t *item = current->u.item;
        const item_field_t *field = table_find(&item->table, segment, length, hash);
        const cJSON *member = field ? field->json : NULL;
        if (!member) {
            member = item->nested ? json_member(item->nested, segment, length) : NULL;
            if (!member)
                return false;
            *next = from_json(member);
            return true;
        }
        *next = from_json(member);
        if (next->type == V_STRING && length == 4 && memcmp(segment, "date", 4) == 0)
            next->day = item->date;
        else if (next->type == V_STRING && length == 7 && memcmp(segment, "expires", 7) == 0)
            next->day = item->expires;
        return true;
    }
    case V_PAIR:
        if (length == 7 && memcmp(segment, "current", 7) == 0)
            *next = current->u.pair->current;
        else if (length == 11 && memcmp(segment, "accumulator", 11) == 0)
            *next = current->u.pair->accumulator;
        else
            return false;
        return true;
    case V_ARRAY:
        if (!parse_index(segment, length, &index) || index >= current->u.array.count)
            return false;
        *next = current->u.array.items[index];
        return true;
    case V_JARRAY: {
        if (!parse_index(segment, length, &index))
            return false;
        const cJSON *child = current->u.json->child;
        while (child && index--)
            child = child->next;
        if (!child)
            return false;
        *next = from_json(child);
        return true;
    }
    default:
        return false;
    }
}

/* Resolve a dot path against data; "" or NULL is the data itself and a
   leading $unit / $as_of ignores the data. Missing gives null. */
static value_t lookup(const eval_t *self, const value_t *data, const char *path)
{
    if (!path || !*path)
        return *data;
    value_t current = *data;
    if (path[0] == '$') {
        if (strcmp(path, "$as_of") == 0)
            return self->as_of;
        if (strncmp(path, "$unit", 5) != 0 || (path[5] && path[5] != '.'))
            return null_value;
        current = self->unit;
        path += 5;
        if (*path == '.')
            path++;
        if (!*path)
            return current;
    }
    while (true) {
        size_t length = strcspn(path, ".");
        value_t next;
        if (!step(&current, path, length, engine_hash(path, length), &next))
            return null_value;
        current = next;
        if (!path[length])
            return current;
        path += length + 1;
    }
}

static value_t lookup_path(const eval_t *self, const value_t *data, const path_t *path)
{
    if (path->root == ROOT_NONE)
        return null_value;
    value_t current = path->root == ROOT_UNIT ? self->unit : path->root == ROOT_AS_OF ? self->as_of : *data;
    for (size_t i = 0; i < path->count; i++) {
        value_t next;
        if (!step(&current, path->segments[i].text, path->segments[i].length, path->segments[i].hash,
                  &next))
            return null_value;
        current = next;
    }
    return current;
}

static bool strict_equal(const value_t *a, const value_t *b)
{
    if ((a->type == V_OBJECT || a->type == V_TABLE) && (b->type == V_OBJECT || b->type == V_TABLE))
        return (a->type == V_OBJECT ? a->u.json : a->u.table->json)
               == (b->type == V_OBJECT ? b->u.json : b->u.table->json);
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case V_NULL: return true;
    case V_BOOL: return a->u.boolean == b->u.boolean;
    case V_NUMBER: return a->u.number == b->u.number;
    case V_STRING: return strcmp(a->u.string, b->u.string) == 0;
    case V_ARRAY: return a->u.array.items == b->u.array.items && a->u.array.count == b->u.array.count;
    case V_JARRAY:
    case V_OBJECT: return a->u.json == b->u.json;
    case V_TABLE: return a->u.table == b->u.table;
    case V_ITEM: return a->u.item == b->u.item;
    case V_PAIR: return a->u.pair == b->u.pair;
    }
    return false;
}

/* JavaScript's ToNumber for primitives: what JSON Logic's loose
   comparisons do. false for NaN and for non-primitives. */
static bool to_number(const value_t *v, double *n)
{
    switch (v->type) {
    case V_NUMBER:
        *n = v->u.number;
        return !isnan(*n);
    case V_BOOL:
        *n = v->u.boolean ? 1 : 0;
        return true;
    case V_STRING: {
        const char *s = v->u.string;
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (!*s) {
            *n = 0;
            return true;
        }
        char *end;
        double value = strtod(s, &end);
        while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
            end++;
        if (*end || end == s || isnan(value))
            return false;
        /* strtod takes hex and "inf"; JSON Logic data means decimal */
        for (const char *p = s; p < end; p++)
            if (*p == 'x' || *p == 'X' || *p == 'n' || *p == 'N' || *p == 'i' || *p == 'I')
                return false;
        *n = value;
        return true;
    }
    default:
        return false;
    }
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

/* JavaScript-like string conversion for loose equality and "in": arrays
   join their elements with commas. NULL on error. */
static const char *to_string(eval_t *self, const expr_t *node, const value_t *v, int depth)
{
    switch (v->type) {
    case V_NULL: return "";     /* only reached inside arrays, as JS does */
    case V_BOOL: return v->u.boolean ? "true" : "false";
    case V_NUMBER: return format_number(self, v->u.number);
    case V_STRING: return v->u.string;
    case V_ARRAY:
    case V_JARRAY: {
        if (depth > EXPR_MAX_DEPTH) {
            fail(self, node, "array nested too deeply");
            return NULL;
        }
        const value_t *items;
        size_t count;
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
    if (a->type == b->type || (is_array(a) && is_array(b))) {
        *equal = strict_equal(a, b);
        return true;
    }
    double x, y;
    if (a->type == V_BOOL || b->type == V_BOOL || (a->type == V_NUMBER && b->type == V_STRING)
        || (a->type == V_STRING && b->type == V_NUMBER)) {
        if (is_array(a) || is_array(b)) {
            /* bool vs array: compare the array's string form as a number */
            const value_t *array = is_array(a) ? a : b, *other = is_array(a) ? b : a;
            const char *text = to_string(self, node, array, 0);
            if (!text)
                return false;
            value_t converted = make_string(text, DAY_UNPARSED);
            return loose_equal(self, node, &converted, other, equal);
        }
        *equal = to_number(a, &x) && to_number(b, &y) && x == y;
        return true;
    }
    if ((is_array(a) && (b->type == V_STRING || b->type == V_NUMBER))
        || (is_array(b) && (a->type == V_STRING || a->type == V_NUMBER))) {
        const value_t *array = is_array(a) ? a : b, *other = is_array(a) ? b : a;
        const char *text = to_string(self, node, array, 0);
        if (!text)
            return false;
        value_t converted = make_string(text, DAY_UNPARSED);
        return loose_equal(self, node, &converted, other, equal);
    }
    *equal = false;
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
        return fail(self, node, "cannot compare %s", type_name(bad));
    if (a->type == V_NULL || b->type == V_NULL)
        return true;
    if (a->type == V_STRING && b->type == V_STRING) {
        int c = strcmp(a->u.string, b->u.string);
        *order = c < 0 ? -1 : c > 0;
        *comparable = true;
        return true;
    }
    double x, y;
    if (!to_number(a, &x) || !to_number(b, &y))
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
    if (v->type == V_STRING && *v->u.string && to_number(v, n))
        return 1;
    if (v->type == V_STRING)
        fail(self, node, "\"%s\" is not a number", v->u.string);
    else
        fail(self, node, "cannot do arithmetic on %s", type_name(v));
    return -1;
}

static bool number_result(eval_t *self, const expr_t *node, double n, value_t *out)
{
    if (!isfinite(n))
        return fail(self, node, "the result is not a finite number");
    *out = make_number(n);
    return true;
}

/* ---- operators -------------------------------------------------------------- */

static bool eval_var(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    const char *path = node->text;
    if (node->dynamic) {
        value_t p;
        if (!eval(self, node->args[0], data, &p))
            return false;
        if (p.type == V_NUMBER) {
            if (p.u.number < 0 || p.u.number != floor(p.u.number))
                return fail(self, node, "a numeric path must be an array index");
            path = format_number(self, p.u.number);
            if (!path)
                return false;
        } else if (p.type == V_STRING)
            path = p.u.string;
        else if (p.type != V_NULL)
            return fail(self, node, "the path must be a string, got %s", type_name(&p));
        else
            path = NULL;
    }
    *out = node->dynamic ? lookup(self, data, path) : lookup_path(self, data, &node->path);
    if (out->type == V_NULL && node->argc == 2)
        return eval(self, node->args[1], data, out);
    return true;
}

static bool eval_compare(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t values[3];
    for (size_t i = 0; i < node->argc; i++)
        if (!eval(self, node->args[i], data, &values[i]))
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
    *out = make_bool(result);
    return true;
}

static bool eval_arith(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    double result = 0;
    bool is_null = false;
    for (size_t i = 0; i < node->argc; i++) {
        value_t v;
        double n = 0;
        if (!eval(self, node->args[i], data, &v))
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
        *out = null_value;
        return true;
    }
    return number_result(self, node, result, out);
}

static bool eval_in(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t needle, haystack;
    if (!eval(self, node->args[0], data, &needle) || !eval(self, node->args[1], data, &haystack))
        return false;
    if (haystack.type == V_NULL) {
        *out = make_bool(false);
        return true;
    }
    if (haystack.type == V_STRING) {
        if (needle.type != V_STRING && needle.type != V_NUMBER && needle.type != V_BOOL)
            return fail(self, node, "cannot look for %s in a string", type_name(&needle));
        const char *text = to_string(self, node, &needle, 0);
        if (!text)
            return false;
        *out = make_bool(strstr(haystack.u.string, text) != NULL);
        return true;
    }
    if (!is_array(&haystack))
        return fail(self, node, "expected a string or an array, got %s", type_name(&haystack));
    if (haystack.type == V_JARRAY) {
        bool found = false;
        for (const cJSON *child = haystack.u.json->child; child && !found; child = child->next) {
            value_t element = from_json(child);
            found = strict_equal(&element, &needle);
        }
        *out = make_bool(found);
        return true;
    }
    const value_t *items;
    size_t count;
    if (!array_view(self, node, &haystack, &items, &count))
        return false;
    bool found = false;
    for (size_t i = 0; i < count && !found; i++)
        found = strict_equal(&items[i], &needle);
    *out = make_bool(found);
    return true;
}

/* some / all / none / filter / map: data is each element in turn. */
static bool eval_iterate(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t source;
    const value_t *items;
    size_t count;
    if (!eval(self, node->args[0], data, &source) || !array_view(self, node, &source, &items, &count))
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
        if (!eval(self, node->args[1], &items[i], &r))
            return false;
        bool t = truthy(&r);
        switch (node->op) {
        case OP_SOME:
            mark(self, &items[i], t ? MARK_SATISFIED : MARK_REJECTED);
            if (t) {
                *out = make_bool(true);
                return true;
            }
            break;
        case OP_ALL:
            mark(self, &items[i], t ? MARK_SATISFIED : MARK_REJECTED);
            if (!t) {
                *out = make_bool(false);
                return true;
            }
            break;
        case OP_NONE:
            /* an element matching a "none" predicate is what goes wrong */
            mark(self, &items[i], t ? MARK_REJECTED : MARK_SATISFIED);
            if (t) {
                *out = make_bool(false);
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
    case OP_SOME: *out = make_bool(false); break;
    case OP_ALL: *out = make_bool(count > 0); break;     /* JSON Logic: all of [] is false */
    case OP_NONE: *out = make_bool(true); break;
    default:
        out->type = V_ARRAY;
        out->u.array.items = results;
        out->u.array.count = kept;
        break;
    }
    return true;
}

static bool eval_reduce(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t source, accumulator = null_value;
    const value_t *items;
    size_t count;
    if (!eval(self, node->args[0], data, &source) || !array_view(self, node, &source, &items, &count))
        return false;
    if (node->argc == 3 && !eval(self, node->args[2], data, &accumulator))
        return false;
    for (size_t i = 0; i < count; i++) {
        pair_t *pair = arena_alloc(self, sizeof *pair);
        if (!pair)
            return false;
        pair->current = items[i];
        pair->accumulator = accumulator;
        value_t scope = { .type = V_PAIR };
        scope.u.pair = pair;
        if (!eval(self, node->args[1], &scope, &accumulator))
            return false;
    }
    *out = accumulator;
    return true;
}

static bool eval_merge(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t *parts = node->argc ? arena_alloc(self, node->argc * sizeof *parts) : NULL;
    if (node->argc && !parts)
        return false;
    size_t total = 0;
    for (size_t i = 0; i < node->argc; i++) {
        if (!eval(self, node->args[i], data, &parts[i]))
            return false;
        if (is_array(&parts[i])) {
            const value_t *items;
            size_t count;
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

static bool eval_evidence(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    const size_t *indices;
    size_t count = bundle_kind_items(self->bundle, node->text, &indices);
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
        if (node->argc == 2) {
            value_t r;
            if (!eval(self, node->args[1], &v, &r))
                return false;
            if (!truthy(&r)) {
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

static bool eval_age_days(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t v;
    if (!eval(self, node->args[0], data, &v))
        return false;
    int32_t day;
    switch (v.type) {
    case V_NULL:
        *out = null_value;
        return true;
    case V_STRING:
        day = string_day(&v);
        break;
    case V_ITEM:
        /* an item's age is the age of its date */
        day = v.u.item->date;
        break;
    case V_OBJECT:
    case V_TABLE: {
        value_t date = from_json(cJSON_GetObjectItemCaseSensitive(v.type == V_OBJECT ? v.u.json : v.u.table->json,
                                                                  "date"));
        day = string_day(&date);
        break;
    }
    default:
        return fail(self, node, "expected a date, got %s", type_name(&v));
    }
    *out = day == DATE_NONE ? null_value : make_number((double) self->bundle->as_of_day - day);
    return true;
}

static bool eval_count(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t v;
    if (!eval(self, node->args[0], data, &v))
        return false;
    if (v.type == V_NULL)
        *out = make_number(0);
    else if (v.type == V_ARRAY)
        *out = make_number((double) v.u.array.count);
    else if (v.type == V_JARRAY)
        *out = make_number((double) cJSON_GetArraySize(v.u.json));
    else
        return fail(self, node, "expected an array, got %s", type_name(&v));
    return true;
}

static bool eval_latest(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t source;
    const value_t *items;
    size_t count;
    if (!eval(self, node->args[0], data, &source) || !array_view(self, node, &source, &items, &count))
        return false;
    size_t best = count;
    int32_t best_day = DATE_NONE;
    for (size_t i = 0; i < count; i++) {
        mark(self, &items[i], MARK_JUDGED);
        value_t date = lookup_path(self, &items[i], &node->path);
        int32_t day = string_day(&date);
        if (day != DATE_NONE && (best == count || day > best_day)) {
            best = i;
            best_day = day;
        }
    }
    if (best == count) {
        *out = null_value;
        return true;
    }
    mark(self, &items[best], MARK_PICKED);
    *out = items[best];
    return true;
}

static bool eval_coverage(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    value_t list;
    const value_t *values;
    size_t count;
    if (!eval(self, node->args[0], data, &list) || !array_view(self, node, &list, &values, &count))
        return false;
    const size_t *indices;
    size_t item_count = bundle_kind_items(self->bundle, node->text, &indices);
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
            if (field.type == V_JARRAY)
                for (const cJSON *child = field.u.json->child; child && !match; child = child->next) {
                    value_t element = from_json(child);
                    match = strict_equal(&element, &values[i]);
                }
            else if (field.type == V_ARRAY)
                for (size_t j = 0; j < field.u.array.count && !match; j++)
                    match = strict_equal(&field.u.array.items[j], &values[i]);
            else
                match = strict_equal(&field, &values[i]);
            if (!match)
                continue;
            if (node->argc == 4 && verdicts[k] < 0) {
                value_t r;
                if (!eval(self, node->args[3], &v, &r))
                    return false;
                verdicts[k] = truthy(&r);
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
    *out = make_number(count ? (double) covered / (double) count : 1.0);
    return true;
}

static bool eval(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    if (self->depth >= 4 * EXPR_MAX_DEPTH)
        return fail(self, node, "evaluation nested too deeply");
    self->depth++;
    bool ok = true;
    value_t a, b;
    bool equal;
    switch (node->op) {
    case OP_CONST:
        *out = node->constant;
        break;
    case OP_ARRAY: {
        value_t *items = node->argc ? arena_alloc(self, node->argc * sizeof *items) : NULL;
        ok = node->argc == 0 || items;
        for (size_t i = 0; ok && i < node->argc; i++)
            ok = eval(self, node->args[i], data, &items[i]);
        if (ok) {
            out->type = V_ARRAY;
            out->u.array.items = items;
            out->u.array.count = node->argc;
        }
        break;
    }
    case OP_VAR:
        ok = eval_var(self, node, data, out);
        break;
    case OP_EQ:
    case OP_NE:
        ok = eval(self, node->args[0], data, &a) && eval(self, node->args[1], data, &b)
             && loose_equal(self, node, &a, &b, &equal);
        if (ok)
            *out = make_bool(node->op == OP_EQ ? equal : !equal);
        break;
    case OP_SEQ:
    case OP_SNE:
        ok = eval(self, node->args[0], data, &a) && eval(self, node->args[1], data, &b);
        if (ok)
            *out = make_bool(strict_equal(&a, &b) == (node->op == OP_SEQ));
        break;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        ok = eval_compare(self, node, data, out);
        break;
    case OP_NOT:
    case OP_NOTNOT:
        ok = eval(self, node->args[0], data, &a);
        if (ok)
            *out = make_bool(truthy(&a) == (node->op == OP_NOTNOT));
        break;
    case OP_AND:
    case OP_OR:
        for (size_t i = 0; ok && i < node->argc; i++) {
            ok = eval(self, node->args[i], data, out);
            if (ok && truthy(out) == (node->op == OP_OR))
                break;
        }
        break;
    case OP_IF: {
        size_t i = 0;
        *out = null_value;
        bool done = false;
        for (; ok && !done && i + 1 < node->argc; i += 2) {
            ok = eval(self, node->args[i], data, &a);
            if (ok && truthy(&a)) {
                ok = eval(self, node->args[i + 1], data, out);
                done = true;
            }
        }
        if (ok && !done && i < node->argc)
            ok = eval(self, node->args[i], data, out);
        break;
    }
    case OP_IN:
        ok = eval_in(self, node, data, out);
        break;
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MIN:
    case OP_MAX:
        ok = eval_arith(self, node, data, out);
        break;
    case OP_SOME:
    case OP_ALL:
    case OP_NONE:
    case OP_FILTER:
    case OP_MAP:
        ok = eval_iterate(self, node, data, out);
        break;
    case OP_REDUCE:
        ok = eval_reduce(self, node, data, out);
        break;
    case OP_MERGE:
        ok = eval_merge(self, node, data, out);
        break;
    case OP_EVIDENCE:
        ok = eval_evidence(self, node, data, out);
        break;
    case OP_AGE_DAYS:
        ok = eval_age_days(self, node, data, out);
        break;
    case OP_COUNT:
        ok = eval_count(self, node, data, out);
        break;
    case OP_LATEST:
        ok = eval_latest(self, node, data, out);
        break;
    case OP_COVERAGE:
        ok = eval_coverage(self, node, data, out);
        break;
    }
    self->depth--;
    /* A failure deep inside must not be masked by an operator that
       succeeded around it. */
    return ok && !self->failed;
}

int eval_test(eval_t *self, const expr_t *expr)
{
    value_t result;
    self->depth = 0;
    if (!eval(self, expr, &self->unit, &result))
        return -1;
    return truthy(&result) ? 1 : 0;
}

static cJSON *to_json(const value_t *v, int depth)
{
    if (depth > 2 * EXPR_MAX_DEPTH)
        return cJSON_CreateNull();
    switch (v->type) {
    case V_NULL: return cJSON_CreateNull();
    case V_BOOL: return cJSON_CreateBool(v->u.boolean);
    case V_NUMBER: return cJSON_CreateNumber(v->u.number);
    case V_STRING: return cJSON_CreateString(v->u.string);
    case V_ARRAY: {
        cJSON *array = cJSON_CreateArray();
        for (size_t i = 0; array && i < v->u.array.count; i++)
            cJSON_AddItemToArray(array, to_json(&v->u.array.items[i], depth + 1));
        return array;
    }
    case V_JARRAY:
    case V_OBJECT: return cJSON_Duplicate(v->u.json, true);
    case V_TABLE: return cJSON_Duplicate(v->u.table->json, true);
    case V_ITEM: return cJSON_Duplicate(v->u.item->json, true);
    case V_PAIR: {
        cJSON *object = cJSON_CreateObject();
        if (object) {
            cJSON_AddItemToObject(object, "current", to_json(&v->u.pair->current, depth + 1));
            cJSON_AddItemToObject(object, "accumulator", to_json(&v->u.pair->accumulator, depth + 1));
        }
        return object;
    }
    }
    return NULL;
}

cJSON *eval_json(eval_t *self, const expr_t *expr)
{
    value_t result;
    self->depth = 0;
    if (!eval(self, expr, &self->unit, &result))
        return NULL;
    return to_json(&result, 0);
}
