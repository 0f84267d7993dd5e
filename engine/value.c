/*  value.c - value_t: the conversions and comparisons every operator
    shares, and the conversion of a parsed bundle into values (see
    value.h).
*/
#include "value.h"
#include "date.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const value_t value_null = { .type = V_NULL };

name_key_t value_name_key(const char *name, size_t length)
{
    return (name_key_t) engine_hash(name, length) << 32 | (uint32_t) length;
}

value_t value_string(const char *text, int32_t day)
{
    value_t v = { .type = V_STRING, .day = day };
    v.u.string.text = text;
    v.u.string.length = strlen(text);
    return v;
}

const char *value_type_name(const value_t *v)
{
    switch (v->type) {
    case V_NULL: return "null";
    case V_BOOL: return "a boolean";
    case V_NUMBER: return "a number";
    case V_STRING: return "a string";
    case V_ARRAY:
    case V_LIST: return "an array";
    case V_OBJECT:
    case V_PAIR: return "an object";
    case V_ITEM: return "an evidence item";
    }
    return "a value";
}

bool value_truthy(const value_t *v)
{
    switch (v->type) {
    case V_NULL: return false;
    case V_BOOL: return v->u.boolean;
    case V_NUMBER: return v->u.number != 0 && !isnan(v->u.number);
    case V_STRING: return v->u.string.length > 0;
    case V_ARRAY: return v->u.array.count > 0;
    case V_LIST: return v->u.list->count > 0;
    default: return true;
    }
}

int32_t value_day(const value_t *v)
{
    if (v->type != V_STRING)
        return DATE_NONE;
    if (v->day != DAY_UNPARSED)
        return v->day;
    int32_t day;
    return date_parse_iso(v->u.string.text, &day) ? day : DATE_NONE;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool value_to_number(const value_t *v, double *n)
{
    switch (v->type) {
    case V_NUMBER:
        *n = v->u.number;
        return !isnan(*n);
    case V_BOOL:
        *n = v->u.boolean ? 1 : 0;
        return true;
    case V_STRING: {
        const char *s = v->u.string.text;
        while (is_blank(*s))
            s++;
        if (!*s) {
            *n = 0;
            return true;
        }
        char *end;
        double value = strtod(s, &end);
        while (is_blank(*end))
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

#define TO_JSON_MAX_DEPTH 128

static cJSON *to_json(const value_t *v, int depth)
{
    if (depth > TO_JSON_MAX_DEPTH)
        return cJSON_CreateNull();
    switch (v->type) {
    case V_NULL: return cJSON_CreateNull();
    case V_BOOL: return cJSON_CreateBool(v->u.boolean);
    case V_NUMBER: return cJSON_CreateNumber(v->u.number);
    case V_STRING: return cJSON_CreateString(v->u.string.text);
    case V_ARRAY: {
        cJSON *array = cJSON_CreateArray();
        for (size_t i = 0; array && i < v->u.array.count; i++)
            cJSON_AddItemToArray(array, to_json(&v->u.array.items[i], depth + 1));
        return array;
    }
    case V_LIST: return cJSON_Duplicate(v->u.list->json, true);
    case V_OBJECT: return cJSON_Duplicate(v->u.object->json, true);
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

cJSON *value_to_json(const value_t *v)
{
    return to_json(v, 0);
}

/* ---- pool ----------------------------------------------------------------- */

typedef struct pool_chunk_s {
    struct pool_chunk_s *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} pool_chunk_t;

struct value_pool_s {
    pool_chunk_t *chunks;
    int depth;                  /* deepest nesting converted */
};

/* A 63 KB bundle converts to about 100 KB of values: few chunks. */
#define POOL_CHUNK_SIZE (128u * 1024u)

value_pool_t *value_pool_new(void)
{
    return calloc(1, sizeof(value_pool_t));
}

void value_pool_destroy(value_pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    value_pool_t *self = *self_p;
    while (self->chunks) {
        pool_chunk_t *next = self->chunks->next;
        free(self->chunks);
        self->chunks = next;
    }
    free(self);
    *self_p = NULL;
}

static void *pool_alloc(value_pool_t *self, size_t size)
{
    size = (size + 15) & ~(size_t) 15;
    pool_chunk_t *chunk = self->chunks;
    if (!chunk || chunk->used + size > chunk->size) {
        size_t capacity = size > POOL_CHUNK_SIZE ? size : POOL_CHUNK_SIZE;
        chunk = malloc(sizeof *chunk + capacity);
        if (!chunk)
            return NULL;
        chunk->size = capacity;
        chunk->used = 0;
        chunk->next = self->chunks;
        self->chunks = chunk;
    }
    void *block = chunk->data + chunk->used;
    chunk->used += size;
    return block;
}

static size_t child_count(const cJSON *json)
{
    size_t n = 0;
    for (const cJSON *child = json->child; child; child = child->next)
        n++;
    return n;
}

/* A string's day is parsed here when it could be a date (YYYY-...), so
   that age_days and latest on bundle data are integer work. */
static int32_t string_day_now(const char *s)
{
    if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'
          && s[3] >= '0' && s[3] <= '9' && s[4] == '-'))
        return DAY_UNPARSED;
    int32_t day;
    return date_parse_iso(s, &day) ? day : DATE_NONE;
}

int value_pool_depth(const value_pool_t *self)
{
    return self->depth;
}

/* Small objects (evidence items, attributes) are checked pair by pair;
   big ones are not worth it and count as possibly duplicated. */
static bool names_unique(const member_t *members, size_t count)
{
    if (count > 24)
        return false;
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (members[i].key == members[j].key && strcmp(members[i].name, members[j].name) == 0)
                return false;
    return true;
}

static bool convert(value_pool_t *self, const cJSON *json, value_t *out, int depth)
{
    *out = value_null;
    if (depth > self->depth)
        self->depth = depth;
    if (!json)
        return true;
    switch (json->type & 0xFF) {
    case cJSON_False: *out = value_bool(false); return true;
    case cJSON_True: *out = value_bool(true); return true;
    case cJSON_Number: *out = value_number(json->valuedouble); return true;
    case cJSON_String:
        if (json->valuestring)
            *out = value_string(json->valuestring, string_day_now(json->valuestring));
        return true;
    case cJSON_Array: {
        size_t count = child_count(json);
        list_t *list = pool_alloc(self, sizeof *list);
        value_t *items = count ? pool_alloc(self, count * sizeof *items) : NULL;
        if (!list || (count && !items))
            return false;
        size_t i = 0;
        for (const cJSON *child = json->child; child; child = child->next)
            if (!convert(self, child, &items[i++], depth + 1))
                return false;
        *list = (list_t) { json, items, count };
        out->type = V_LIST;
        out->u.list = list;
        return true;
    }
    case cJSON_Object: {
        size_t count = child_count(json);
        object_t *object = pool_alloc(self, sizeof *object);
        member_t *members = count ? pool_alloc(self, count * sizeof *members) : NULL;
        if (!object || (count && !members))
            return false;
        size_t i = 0;
        for (const cJSON *child = json->child; child; child = child->next, i++) {
            const char *name = child->string ? child->string : "";
            members[i].name = name;
            members[i].key = value_name_key(name, strlen(name));
            if (!convert(self, child, &members[i].value, depth + 1))
                return false;
        }
        *object = (object_t) { json, members, count, names_unique(members, count) };
        out->type = V_OBJECT;
        out->u.object = object;
        return true;
    }
    default:
        return true;
    }
}

bool value_pool_convert(value_pool_t *self, const cJSON *json, value_t *out)
{
    return convert(self, json, out, 1);
}
