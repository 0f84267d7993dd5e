/*  eval_internal.h - the evaluation context that expr_eval.c (context,
    arena, explanations, dispatch) and expr_ops.c (the operators) share;
    not seen outside them.
*/
#ifndef ASSAY_EVAL_INTERNAL_H_INCLUDED
#define ASSAY_EVAL_INTERNAL_H_INCLUDED

#include "expr_internal.h"
#include "internal.h"

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

/* Direct-mapped by segment address: a collision only costs a scan. */
#define EVAL_HINTS 1024

struct _eval_t {
    const bundle_t *bundle;
    int bundle_depth;           /* its deepest nesting, value_pool_depth */
    value_t unit;
    value_t as_of;
    chunk_t *chunks;
    uint8_t *marks;
    size_t *touched;
    size_t touched_count;
    uint64_t *touched_bits;     /* a bit per marked item, so explanations list them in
                                   order without sorting or scanning every mark */
    bool record;
    bool failed;
    bool oom;
    int depth;
    char error[320];
    uint32_t hints[EVAL_HINTS]; /* member positions by path segment, see object_find_hinted */
};

/* Evaluate `node` with `data` as the current data; false on error (the
   message is in the context). */
bool eval(eval_t *self, const expr_t *node, const value_t *data, value_t *out);

/* Records the first error of a check (later ones are consequences);
   returns false so callers can `return fail(...)`. */
bool fail(eval_t *self, const expr_t *node, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* Memory for values of the current check, freed by eval_begin. NULL (and
   the check fails) when memory runs out. */
void *arena_alloc_slow(eval_t *self, size_t size);

static inline void *arena_alloc(eval_t *self, size_t size)
{
    size = (size + 15) & ~(size_t) 15;
    chunk_t *chunk = self->chunks;
    if (!chunk || chunk->used + size > chunk->size)
        return arena_alloc_slow(self, size);
    void *block = chunk->data + chunk->used;
    chunk->used += size;
    return block;
}

/* Remember that an item took part in the outcome, for eval_explain. */
static inline void mark_item(eval_t *self, const item_t *item, uint8_t flags)
{
    if (!self->record)
        return;
    size_t index = item->index;
    if (!self->marks[index]) {
        self->touched[self->touched_count++] = index;
        self->touched_bits[index >> 6] |= (uint64_t) 1 << (index & 63);
    }
    self->marks[index] |= flags;
}

static inline void mark(eval_t *self, const value_t *v, uint8_t flags)
{
    if (v->type == V_ITEM)
        mark_item(self, v->u.item, flags);
}

/* The operators (expr_ops.c), dispatched by eval. */
bool eval_var(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_logic(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_equal(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_compare(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_arith(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_in(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_iterate(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_reduce(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_merge(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_evidence(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_age_days(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_count(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_latest(eval_t *self, const expr_t *node, const value_t *data, value_t *out);
bool eval_coverage(eval_t *self, const expr_t *node, const value_t *data, value_t *out);

#endif
