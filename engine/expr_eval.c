/*  expr_eval.c - the evaluation context of rule language v1: one per
    (bundle, assessment), with the per-check arena, the marks that explain
    which evidence a verdict rested on, and the dispatch to the operators
    (expr_ops.c). Evaluation is total: a type error gives an error and a
    message, never a crash and never a pass.
*/
#include "eval_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    self->touched_bits = calloc((count + 63) / 64, sizeof *self->touched_bits);
    if (!self->marks || !self->touched || !self->touched_bits) {
        eval_destroy(&self);
        return NULL;
    }
    self->unit = bundle->unit;
    self->bundle_depth = bundle->pool ? value_pool_depth(bundle->pool) : 0;
    self->as_of = value_string(bundle->as_of, bundle->as_of_day);
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
    free(self->touched_bits);
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
    for (size_t i = 0; i < self->touched_count; i++) {
        self->marks[self->touched[i]] = 0;
        self->touched_bits[self->touched[i] >> 6] = 0;
    }
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

bool fail(eval_t *self, const expr_t *node, const char *format, ...)
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

/* `size` is rounded already (arena_alloc). */
void *arena_alloc_slow(eval_t *self, size_t size)
{
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
    void *block = self->chunks->data + self->chunks->used;
    self->chunks->used += size;
    return block;
}

/* The touched items in ascending index order, into `out`. With many
   touched items the bit set lists them in order (a word per 64 items, a
   step per item); a few are insertion-sorted. */
static size_t touched_sorted(const eval_t *self, size_t *out)
{
    size_t n = self->touched_count;
    if (n > 16) {
        size_t k = 0, words = (self->bundle->item_count + 63) / 64;
        for (size_t w = 0; w < words; w++)
            for (uint64_t bits = self->touched_bits[w]; bits; bits &= bits - 1)
                out[k++] = w * 64 + (size_t) __builtin_ctzll(bits);
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
    /* n == 0: nothing was written, `evidence` still holds every touched
       item in order, and a candidate is always touched */
    if (!pass && n == 0 && any_candidate)
        for (size_t i = 0; i < count; i++)
            if (self->marks[evidence[i]] & MARK_CANDIDATE)
                evidence[n++] = evidence[i];
    *evidence_count = n;
    *expired_count = e;
}


bool eval(eval_t *self, const expr_t *node, const value_t *data, value_t *out)
{
    if (self->depth >= 4 * EXPR_MAX_DEPTH)
        return fail(self, node, "evaluation nested too deeply");
    self->depth++;
    bool ok = true;
    value_t a;
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
    case OP_SEQ:
    case OP_SNE:
        ok = eval_equal(self, node, data, out);
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
            *out = value_bool(value_truthy(&a) == (node->op == OP_NOTNOT));
        break;
    case OP_AND:
    case OP_OR:
        ok = eval_logic(self, node, data, out);
        break;
    case OP_IF: {
        size_t i = 0;
        *out = value_null;
        bool done = false;
        for (; ok && !done && i + 1 < node->argc; i += 2) {
            ok = eval(self, node->args[i], data, &a);
            if (ok && value_truthy(&a)) {
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
    return value_truthy(&result) ? 1 : 0;
}

cJSON *eval_json(eval_t *self, const expr_t *expr)
{
    value_t result;
    self->depth = 0;
    if (!eval(self, expr, &self->unit, &result))
        return NULL;
    return value_to_json(&result);
}
