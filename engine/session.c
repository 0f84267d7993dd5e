/*  session.c - engine_session_t: one bundle's evaluation context and what
    its checks gave, shared by the catalogs assessed through it (see
    session.h for why that is sound, assess.c for the scoring around it).

    Entries live in one array, found through an open-addressing table keyed
    by the check_t (or expression) address; their evidence and expired
    indices live in one pool. An entry is only ever added: a job assesses
    one bundle against a handful of catalogs, so the session holds at most
    every check of those catalogs once.
*/
#include "session.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { ENTRY_CHECK, ENTRY_TEST } entry_kind_t;

typedef struct {
    const void *key;            /* the check_t, or the clause's applies_if expression */
    entry_kind_t kind;
    check_status_t status;      /* ENTRY_CHECK */
    int test;                   /* ENTRY_TEST: 1, 0, -1 */
    bool explained;
    char *message;              /* the result's message (check), the evaluator's (test) */
    size_t evidence_offset;     /* into pool */
    size_t evidence_count;
    size_t expired_offset;
    size_t expired_count;
} entry_t;

struct _engine_session_t {
    const bundle_t *bundle;
    eval_t *eval;               /* NULL after memory ran out and a new one could not be made */
    size_t *evidence_buffer;    /* bundle item count entries each, for eval_explain */
    size_t *expired_buffer;
    entry_t *entries;
    size_t entry_count;
    size_t entry_capacity;
    uint32_t *table;            /* entry index + 1, 0 = empty; mask + 1 slots */
    size_t mask;
    size_t *pool;
    size_t pool_count;
    size_t pool_capacity;
    check_outcome_t outcome;    /* what session_check last returned */
    bool unshared;              /* key by the check itself, not by its rule (tests) */
    size_t evaluated;
    size_t reused;
};

engine_session_t *engine_session_new(const bundle_t *bundle)
{
    if (!bundle)
        return NULL;
    engine_session_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->bundle = bundle;
    size_t items = bundle->item_count ? bundle->item_count : 1;
    self->eval = eval_new(bundle);
    self->evidence_buffer = malloc(items * sizeof *self->evidence_buffer);
    self->expired_buffer = malloc(items * sizeof *self->expired_buffer);
    self->mask = 255;
    self->table = calloc(self->mask + 1, sizeof *self->table);
    if (!self->eval || !self->evidence_buffer || !self->expired_buffer || !self->table)
        engine_session_destroy(&self);
    return self;
}

void engine_session_destroy(engine_session_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    engine_session_t *self = *self_p;
    for (size_t i = 0; i < self->entry_count; i++)
        free(self->entries[i].message);
    free(self->entries);
    free(self->table);
    free(self->pool);
    free(self->evidence_buffer);
    free(self->expired_buffer);
    eval_destroy(&self->eval);
    free(self);
    *self_p = NULL;
}

void engine_session_counts(const engine_session_t *self, size_t *evaluated, size_t *reused)
{
    if (evaluated)
        *evaluated = self->evaluated;
    if (reused)
        *reused = self->reused;
}

void session_share_rules(engine_session_t *self, bool share)
{
    self->unshared = !share;
}

const bundle_t *session_bundle(const engine_session_t *self)
{
    return self->bundle;
}

static size_t slot_of(const engine_session_t *self, const void *key)
{
    uint64_t h = (uint64_t) (uintptr_t) key * 0x9E3779B97F4A7C15ull;
    return (size_t) (h >> 32) & self->mask;
}

static entry_t *find(engine_session_t *self, const void *key, entry_kind_t kind)
{
    for (size_t slot = slot_of(self, key);; slot = (slot + 1) & self->mask) {
        uint32_t at = self->table[slot];
        if (!at)
            return NULL;
        entry_t *entry = &self->entries[at - 1];
        if (entry->key == key && entry->kind == kind)
            return entry;
    }
}

/* Room for one more entry, the table kept at most half full; false when
   memory runs out. */
static bool reserve(engine_session_t *self)
{
    if (self->entry_count == self->entry_capacity) {
        size_t capacity = self->entry_capacity ? 2 * self->entry_capacity : 128;
        entry_t *grown = realloc(self->entries, capacity * sizeof *grown);
        if (!grown)
            return false;
        self->entries = grown;
        self->entry_capacity = capacity;
    }
    if (2 * (self->entry_count + 1) <= self->mask + 1)
        return true;
    size_t mask = 2 * self->mask + 1;
    uint32_t *table = calloc(mask + 1, sizeof *table);
    if (!table)
        return false;
    free(self->table);
    self->table = table;
    self->mask = mask;
    for (size_t i = 0; i < self->entry_count; i++) {
        size_t slot = slot_of(self, self->entries[i].key);
        while (self->table[slot])
            slot = (slot + 1) & self->mask;
        self->table[slot] = (uint32_t) (i + 1);
    }
    return true;
}

/* Keep a new entry (reserve was called). */
static entry_t *insert(engine_session_t *self, const entry_t *entry)
{
    size_t slot = slot_of(self, entry->key);
    while (self->table[slot])
        slot = (slot + 1) & self->mask;
    self->entries[self->entry_count] = *entry;
    self->table[slot] = (uint32_t) (++self->entry_count);
    return &self->entries[self->entry_count - 1];
}

static bool pool_add(engine_session_t *self, const size_t *values, size_t count, size_t *offset)
{
    *offset = self->pool_count;
    if (count == 0)
        return true;
    if (self->pool_count + count > self->pool_capacity) {
        size_t capacity = self->pool_capacity ? self->pool_capacity : 256;
        while (capacity < self->pool_count + count)
            capacity *= 2;
        size_t *grown = realloc(self->pool, capacity * sizeof *grown);
        if (!grown)
            return false;
        self->pool = grown;
        self->pool_capacity = capacity;
    }
    memcpy(self->pool + self->pool_count, values, count * sizeof *values);
    self->pool_count += count;
    return true;
}

/* The evaluator's out-of-memory flag stays set once raised, so a session
   that goes on after it (the next catalog) starts from a fresh one. */
static void renew_eval(engine_session_t *self)
{
    eval_destroy(&self->eval);
    self->eval = eval_new(self->bundle);
}

static const check_outcome_t *out_of_memory(engine_session_t *self)
{
    renew_eval(self);
    self->outcome = (check_outcome_t) { .status = CHECK_ERROR, .oom = true };
    return &self->outcome;
}

static const check_outcome_t *outcome_of(engine_session_t *self, const entry_t *entry)
{
    self->outcome = (check_outcome_t) {
        .status = entry->status,
        .explained = entry->explained,
        .message = entry->message,
        .evidence = self->pool ? self->pool + entry->evidence_offset : NULL,
        .evidence_count = entry->evidence_count,
        .expired = self->pool ? self->pool + entry->expired_offset : NULL,
        .expired_count = entry->expired_count,
    };
    return &self->outcome;
}

/* What run_check in assess.c did before there were sessions, with the
   explanation always recorded (recording never changes a verdict) so
   that a later use by an assessed catalog finds it. */
const check_outcome_t *session_check(engine_session_t *self, const check_t *check)
{
    /* checks with the same rule share one outcome (catalog_share.c) */
    const check_t *key = check->shared && !self->unshared ? check->shared : check;
    entry_t *found = find(self, key, ENTRY_CHECK);
    if (found) {
        self->reused++;
        return outcome_of(self, found);
    }
    if (!self->eval || !reserve(self))
        return NULL;
    eval_t *eval = self->eval;
    entry_t entry = { .key = key, .kind = ENTRY_CHECK };
    int r = 1;
    if (check->applies_if) {
        eval_begin(eval, false);
        r = eval_test(eval, check->applies_if);
        if (r < 0 && eval_out_of_memory(eval))
            return out_of_memory(self);
        if (r == 0)
            entry.status = CHECK_NOT_APPLICABLE;
        else if (r < 0) {
            entry.status = CHECK_ERROR;
            size_t size = strlen(eval_error(eval)) + 16;
            entry.message = malloc(size);
            if (!entry.message)
                return NULL;
            snprintf(entry.message, size, "applies_if: %s", eval_error(eval));
        }
    }
    if (r > 0) {
        eval_begin(eval, true);
        r = eval_test(eval, check->expr);
        if (r < 0 && eval_out_of_memory(eval))
            return out_of_memory(self);
        entry.status = r < 0 ? CHECK_ERROR : r ? CHECK_PASS : CHECK_FAIL;
        if (r < 0 && !(entry.message = strdup(eval_error(eval))))
            return NULL;
        eval_explain(eval, entry.status == CHECK_PASS, self->evidence_buffer,
                     &entry.evidence_count, self->expired_buffer, &entry.expired_count);
        entry.explained = true;
        if (!pool_add(self, self->evidence_buffer, entry.evidence_count, &entry.evidence_offset)
            || !pool_add(self, self->expired_buffer, entry.expired_count, &entry.expired_offset)) {
            free(entry.message);
            return NULL;
        }
    }
    self->evaluated++;
    return outcome_of(self, insert(self, &entry));
}

int session_test(engine_session_t *self, const expr_t *expr, const char **error, bool *oom)
{
    *oom = false;
    entry_t *found = find(self, expr, ENTRY_TEST);
    if (found) {
        self->reused++;
        *error = found->message;
        return found->test;
    }
    if (!self->eval || !reserve(self)) {
        *oom = true;
        *error = "out of memory";
        return -1;
    }
    eval_begin(self->eval, false);
    int r = eval_test(self->eval, expr);
    if (r < 0 && eval_out_of_memory(self->eval)) {
        renew_eval(self);
        *oom = true;
        *error = "out of memory";
        return -1;
    }
    entry_t entry = { .key = expr, .kind = ENTRY_TEST, .test = r };
    if (r < 0 && !(entry.message = strdup(eval_error(self->eval)))) {
        *oom = true;
        *error = "out of memory";
        return -1;
    }
    self->evaluated++;
    *error = insert(self, &entry)->message;
    return r;
}
