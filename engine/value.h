/*  value.h - the values rules compute with (internal).

    A bundle's JSON is converted once, when the bundle is parsed, into
    value_t trees held in a value_pool_t: strings carry their length and,
    when they look like dates, their day number; objects are member arrays
    whose names carry a precomputed key. Evaluation then reads values
    directly: no cJSON, no strlen, no strcmp to find a field, no malloc.
    Each converted array and object remembers the cJSON node it came from,
    which gives it an identity (JSON Logic compares composites by
    reference) and lets tools print it unchanged.

    Values built while evaluating (arrays of results, strings made by
    conversions) live in the evaluator's arena; constants in compiled
    rules live in their expr_t. A value_t is a small struct passed by
    value; it never owns what it points to.
*/
#ifndef ASSAY_VALUE_H_INCLUDED
#define ASSAY_VALUE_H_INCLUDED

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Composite types come after V_STRING (ordering comparisons rely on it).
   V_ARRAY is built during evaluation or by a literal array, V_LIST is an
   array of the bundle, V_OBJECT an object of the bundle, V_ITEM an
   evidence item (so the evaluator can record what a verdict rested on),
   V_PAIR the data inside reduce. */
typedef enum { V_NULL, V_BOOL, V_NUMBER, V_STRING, V_ARRAY, V_LIST, V_OBJECT, V_ITEM, V_PAIR } value_type_t;

/* value_t.day of a string not looked at yet; DATE_NONE (date.h) means
   "not a date". */
#define DAY_UNPARSED (INT32_MIN + 1)

typedef struct value_s value_t;
typedef struct list_s list_t;
typedef struct object_s object_t;
typedef struct pair_s pair_t;
struct item_s;

struct value_s {
    value_type_t type;
    int32_t day;                /* V_STRING: its day number, see above */
    union {
        bool boolean;
        double number;
        struct {
            const char *text;   /* NUL-terminated */
            size_t length;
        } string;
        struct {
            const value_t *items;
            size_t count;
        } array;                /* V_ARRAY */
        const list_t *list;
        const object_t *object;
        const struct item_s *item;
        const pair_t *pair;
    } u;
};

struct list_s {
    const cJSON *json;          /* its source: identity and printing */
    const value_t *items;
    size_t count;
};

/* A member name's key: its hash and length in one word, so that finding a
   member compares integers and confirms with one memcmp. */
typedef uint64_t name_key_t;

typedef struct {
    name_key_t key;
    const char *name;
    value_t value;
} member_t;

struct object_s {
    const cJSON *json;          /* its source: identity and printing */
    const member_t *members;    /* document order; the first of duplicates wins */
    size_t count;
    bool unique;                /* known to have no duplicate names */
};

struct pair_s {
    value_t current;
    value_t accumulator;
};

extern const value_t value_null;

name_key_t value_name_key(const char *name, size_t length);

static inline value_t value_bool(bool b)
{
    value_t v = { .type = V_BOOL };
    v.u.boolean = b;
    return v;
}

static inline value_t value_number(double n)
{
    value_t v = { .type = V_NUMBER };
    v.u.number = n;
    return v;
}

/* `text` must outlive the value; its day is parsed on first need. */
value_t value_string(const char *text, int32_t day);

static inline bool value_is_array(const value_t *v)
{
    return v->type == V_ARRAY || v->type == V_LIST;
}

/* memcmp(a, b, length) == 0 for the short texts rules compare (names,
   codes, statuses) without a call or a loop: two overlapping loads of a
   fixed size cover every length from 4 to 16. */
static inline bool value_bytes_equal(const char *a, const char *b, size_t length)
{
    uint64_t x8, y8, z8, w8;
    uint32_t x4, y4, z4, w4;
    if (length >= 8 && length <= 16) {
        memcpy(&x8, a, 8), memcpy(&y8, b, 8);
        memcpy(&z8, a + length - 8, 8), memcpy(&w8, b + length - 8, 8);
        return x8 == y8 && z8 == w8;
    }
    if (length >= 4 && length < 8) {
        memcpy(&x4, a, 4), memcpy(&y4, b, 4);
        memcpy(&z4, a + length - 4, 4), memcpy(&w4, b + length - 4, 4);
        return x4 == y4 && z4 == w4;
    }
    if (length < 4) {
        for (size_t i = 0; i < length; i++)
            if (a[i] != b[i])
                return false;
        return true;
    }
    return memcmp(a, b, length) == 0;
}

/* The member named `name` (`key` from value_name_key), or NULL. The key
   decides; the bytes only confirm against a hash collision. */
static inline const value_t *object_find(const object_t *object, name_key_t key, const char *name,
                                         size_t length)
{
    for (size_t i = 0; i < object->count; i++) {
        const member_t *member = &object->members[i];
        if (member->key == key && value_bytes_equal(member->name, name, length))
            return &member->value;
    }
    return NULL;
}

/* object_find, trying position *hint first and leaving the position found
   there. Items of one kind mostly list their fields in the same order, so
   a hint kept per path segment skips the scan; with duplicate names the
   first must win, so such objects are scanned. */
static inline const value_t *object_find_hinted(const object_t *object, name_key_t key, const char *name,
                                                size_t length, uint32_t *hint)
{
    if (object->unique && *hint < object->count) {
        const member_t *member = &object->members[*hint];
        if (member->key == key && value_bytes_equal(member->name, name, length))
            return &member->value;
    }
    for (size_t i = 0; i < object->count; i++) {
        const member_t *member = &object->members[i];
        if (member->key == key && value_bytes_equal(member->name, name, length)) {
            *hint = (uint32_t) i;
            return &member->value;
        }
    }
    return NULL;
}

/* JSON Logic's "===": primitives by value, composites by identity.
   Inline: "in" and coverage call it per element. */
static inline bool value_strict_equal(const value_t *a, const value_t *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case V_NULL: return true;
    case V_BOOL: return a->u.boolean == b->u.boolean;
    case V_NUMBER: return a->u.number == b->u.number;
    case V_STRING:
        return a->u.string.length == b->u.string.length
               && value_bytes_equal(a->u.string.text, b->u.string.text, a->u.string.length);
    case V_ARRAY: return a->u.array.items == b->u.array.items && a->u.array.count == b->u.array.count;
    case V_LIST: return a->u.list == b->u.list;
    case V_OBJECT: return a->u.object == b->u.object;
    case V_ITEM: return a->u.item == b->u.item;
    case V_PAIR: return a->u.pair == b->u.pair;
    }
    return false;
}

const char *value_type_name(const value_t *v);
bool value_truthy(const value_t *v);
/* Day number of a date string, DATE_NONE for anything else. */
int32_t value_day(const value_t *v);

/* JavaScript's ToNumber for primitives; false for NaN and composites. */
bool value_to_number(const value_t *v, double *n);
/* A copy as cJSON, for tools and tests; caller owns it. */
cJSON *value_to_json(const value_t *v);

/* ---- conversion of parsed JSON -------------------------------------------- */

/* Owns the values converted from one document; freed in one go. */
typedef struct value_pool_s value_pool_t;

value_pool_t *value_pool_new(void);
void value_pool_destroy(value_pool_t **self_p);
/* Convert `json` (kept alive by the caller for as long as the values) into
   values in the pool. false when memory runs out. */
bool value_pool_convert(value_pool_t *self, const cJSON *json, value_t *out);
/* The deepest nesting converted so far: 1 for a scalar, 2 for [1], ... */
int value_pool_depth(const value_pool_t *self);

#endif
