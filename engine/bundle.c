/*  bundle.c - bundle_t: parsing and validating bundle/1 evidence bundles.

    Bundles come from outside (schedulers, scripts, other teams), so the
    text is checked before cJSON sees it (size, encoding, NUL, nesting; see
    jsontext.c), and every problem is reported with the origin and a JSON
    Pointer. Dates are parsed once here into day numbers, the unit and the
    items are converted into the evaluator's values (value.h), and the
    evidence is indexed by kind in a hash table keyed like member names, so
    evaluation never reads cJSON, scans or re-parses the raw array.
*/
#include "date.h"
#include "internal.h"
#include "jsontext.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNIT_ID_MAX 128


typedef jreader_t loader_t;

/* Reports a missing or mistyped string member; NULL when not usable. */
static const char *member_string(loader_t *self, const cJSON *object, const char *key, bool required)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!item || (!required && cJSON_IsNull(item))) {
        if (required)
            jreader_report(self, DIAG_ERROR, NULL, "missing \"%s\"", key);
        return NULL;
    }
    if (cJSON_IsString(item) && *item->valuestring)
        return item->valuestring;
    size_t at = jptr_push_key(&self->where, key);
    jreader_report(self, DIAG_ERROR, NULL, "\"%s\" must be a non-empty string", key);
    jptr_pop(&self->where, at);
    return NULL;
}

static bool valid_unit_id(const char *id)
{
    size_t length = strlen(id);
    if (length == 0 || length > UNIT_ID_MAX)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
              || *p == '.' || *p == '_' || *p == ':' || *p == '-'))
            return false;
    return true;
}

/* cJSON turns 1e999 into infinity; such a number is an error anywhere. */
static void check_numbers(loader_t *self, const cJSON *json, int depth)
{
    if (depth > 1100)
        return;     /* unreachable: cJSON stops at 1000 levels */
    if (cJSON_IsNumber(json) && !isfinite(json->valuedouble)) {
        jreader_report(self, DIAG_ERROR, NULL, "number out of range");
        return;
    }
    size_t index = 0;
    for (const cJSON *child = json->child; child; child = child->next, index++) {
        size_t at = cJSON_IsObject(json) ? jptr_push_key(&self->where, child->string ? child->string : "")
                                         : jptr_push_index(&self->where, index);
        check_numbers(self, child, depth + 1);
        jptr_pop(&self->where, at);
    }
}

static void load_unit(loader_t *self, bundle_t *bundle, const cJSON *root)
{
    const cJSON *unit = cJSON_GetObjectItemCaseSensitive(root, "unit");
    if (!unit) {
        jreader_report(self, DIAG_ERROR, "the business unit: {\"id\", \"name\", \"org\", \"attributes\"}",
               "missing \"unit\"");
        return;
    }
    size_t at = jptr_push_key(&self->where, "unit");
    if (!cJSON_IsObject(unit)) {
        jreader_report(self, DIAG_ERROR, NULL, "\"unit\" must be an object");
        jptr_pop(&self->where, at);
        return;
    }
    bundle->unit_json = unit;
    const char *id = member_string(self, unit, "id", true);
    if (id && !valid_unit_id(id)) {
        size_t at_id = jptr_push_key(&self->where, "id");
        jreader_report(self, DIAG_ERROR, "1 to 128 characters of A-Z a-z 0-9 . _ : -",
               "invalid unit id \"%s\"", id);
        jptr_pop(&self->where, at_id);
    } else
        bundle->unit_id = id;
    bundle->unit_name = member_string(self, unit, "name", false);
    bundle->org = member_string(self, unit, "org", false);
    const cJSON *attributes = cJSON_GetObjectItemCaseSensitive(unit, "attributes");
    if (attributes && !cJSON_IsObject(attributes) && !cJSON_IsNull(attributes)) {
        size_t at_attributes = jptr_push_key(&self->where, "attributes");
        jreader_report(self, DIAG_ERROR, NULL, "\"attributes\" must be an object");
        jptr_pop(&self->where, at_attributes);
    }
    static const char *const unit_keys[] = { "id", "name", "org", "attributes", NULL };
    jreader_warn_unknown(self, unit, unit_keys, NULL, "it is ignored");
    jptr_pop(&self->where, at);
}

static int32_t item_date(loader_t *self, const cJSON *object, const char *key)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!value || cJSON_IsNull(value))
        return DATE_NONE;
    int32_t day = DATE_NONE;
    if (!cJSON_IsString(value) || !date_parse_iso(value->valuestring, &day)) {
        size_t at = jptr_push_key(&self->where, key);
        if (cJSON_IsString(value))
            jreader_report(self, DIAG_ERROR, "ISO 8601: YYYY-MM-DD, optionally with a time (2026-06-01T09:30:00Z)",
                   "invalid date \"%s\"", value->valuestring);
        else
            jreader_report(self, DIAG_ERROR, "ISO 8601: YYYY-MM-DD, optionally with a time",
                   "\"%s\" must be a date string", key);
        jptr_pop(&self->where, at);
        return DATE_NONE;
    }
    return day;
}

static bool known_type(const char *type)
{
    for (int i = 0; evidence_types[i]; i++)
        if (strcmp(type, evidence_types[i]) == 0)
            return true;
    return false;
}

static void load_item(loader_t *self, item_t *item, const cJSON *json, const catalog_set_t *catalogs)
{
    item->json = json;
    item->id = member_string(self, json, "id", true);
    item->kind = member_string(self, json, "kind", true);
    const char *declared = NULL;
    if (item->kind && catalogs) {
        declared = catalog_set_kind_type(catalogs, item->kind);
        if (!declared) {
            size_t at = jptr_push_key(&self->where, "kind");
            jreader_report(self, DIAG_ERROR, "kinds are declared by the catalogs: see `assay catalogs kinds`",
                   "unknown evidence kind \"%s\"", item->kind);
            jptr_pop(&self->where, at);
        }
    }
    const char *type = member_string(self, json, "type", true);
    bool known = type && known_type(type);
    if (type) {
        size_t at = jptr_push_key(&self->where, "type");
        if (!known)
            jreader_report(self, DIAG_ERROR, "document, record, metric or attestation",
                   "unknown evidence type \"%s\"", type);
        else if (declared && strcmp(declared, type) != 0)
            jreader_report(self, DIAG_WARNING, NULL, "kind \"%s\" is declared as a %s, this item says %s",
                   item->kind, declared, type);
        jptr_pop(&self->where, at);
    }
    item->type = known ? type : NULL;
    item->date = item_date(self, json, "date");
    item->expires = item_date(self, json, "expires");
}

typedef struct {
    const char *key;
    size_t index;
} sort_entry_t;

static int compare_entries(const void *a, const void *b)
{
    const sort_entry_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static void load_evidence(loader_t *self, bundle_t *bundle, const cJSON *root,
                          const catalog_set_t *catalogs)
{
    const cJSON *evidence = cJSON_GetObjectItemCaseSensitive(root, "evidence");
    if (!evidence) {
        jreader_report(self, DIAG_ERROR, "an array of evidence items, [] for none", "missing \"evidence\"");
        return;
    }
    size_t at = jptr_push_key(&self->where, "evidence");
    if (!cJSON_IsArray(evidence)) {
        jreader_report(self, DIAG_ERROR, NULL, "\"evidence\" must be an array");
        jptr_pop(&self->where, at);
        return;
    }
    size_t count = (size_t) cJSON_GetArraySize(evidence);
    bundle->items = calloc(count ? count : 1, sizeof *bundle->items);
    sort_entry_t *ids = calloc(count ? count : 1, sizeof *ids);
    if (!bundle->items || !ids) {
        jreader_report(self, DIAG_ERROR, NULL, "out of memory");
        free(ids);
        jptr_pop(&self->where, at);
        return;
    }
    size_t id_count = 0, i = 0;
    for (const cJSON *json = evidence->child; json; json = json->next, i++) {
        size_t at_item = jptr_push_index(&self->where, i);
        item_t *item = &bundle->items[i];
        item->index = i;
        item->date = item->expires = DATE_NONE;
        if (!cJSON_IsObject(json))
            jreader_report(self, DIAG_ERROR, NULL, "an evidence item must be an object");
        else {
            load_item(self, item, json, catalogs);
            if (item->id)
                ids[id_count++] = (sort_entry_t) { item->id, i };
        }
        jptr_pop(&self->where, at_item);
    }
    bundle->item_count = i;
    qsort(ids, id_count, sizeof *ids, compare_entries);
    for (size_t k = 1; k < id_count; k++) {
        size_t first = k - 1;
        while (first > 0 && strcmp(ids[first - 1].key, ids[k].key) == 0)
            first--;
        if (strcmp(ids[k - 1].key, ids[k].key) == 0) {
            size_t at_id = jptr_push_index(&self->where, ids[k].index);
            size_t at_key = jptr_push_key(&self->where, "id");
            char hint[64];
            snprintf(hint, sizeof hint, "first at /evidence/%zu", ids[first].index);
            jreader_report(self, DIAG_ERROR, hint, "duplicate evidence id \"%s\"", ids[k].key);
            jptr_pop(&self->where, at_key);
            jptr_pop(&self->where, at_id);
        }
    }
    free(ids);
    jptr_pop(&self->where, at);
}

static size_t kind_slot(const bundle_t *bundle, name_key_t key, const char *kind, size_t length)
{
    size_t slot = (size_t) (key >> 32) & bundle->kind_mask;
    while (bundle->kinds[slot].kind
           && (bundle->kinds[slot].key != key || memcmp(bundle->kinds[slot].kind, kind, length) != 0))
        slot = (slot + 1) & bundle->kind_mask;
    return slot;
}

/* Items grouped by kind (bundle order within a kind): count per kind,
   then place each item after the ones of its kind before it. */
static int build_kind_index(bundle_t *bundle)
{
    size_t count = bundle->item_count, size = 16;
    while (size < 2 * count)
        size *= 2;
    bundle->kind_mask = size - 1;
    bundle->kinds = calloc(size, sizeof *bundle->kinds);
    bundle->by_kind = calloc(count ? count : 1, sizeof *bundle->by_kind);
    size_t *slots = calloc(count ? count : 1, sizeof *slots);
    if (!bundle->kinds || !bundle->by_kind || !slots) {
        free(slots);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        const char *kind = bundle->items[i].kind;
        size_t length = strlen(kind);
        name_key_t key = value_name_key(kind, length);
        size_t slot = kind_slot(bundle, key, kind, length);
        if (!bundle->kinds[slot].kind) {
            bundle->kinds[slot] = (kind_slot_t) { kind, key, 0, 0 };
            bundle->kind_count++;
        }
        bundle->kinds[slot].count++;
        slots[i] = slot;
    }
    size_t first = 0;
    for (size_t slot = 0; slot < size; slot++) {
        bundle->kinds[slot].first = first;
        first += bundle->kinds[slot].count;
        bundle->kinds[slot].count = 0;
    }
    for (size_t i = 0; i < count; i++) {
        kind_slot_t *entry = &bundle->kinds[slots[i]];
        bundle->by_kind[entry->first + entry->count++] = i;
    }
    free(slots);
    return 0;
}

/* The unit and the items as values (value.h), and the kind index. */
static int build_index(bundle_t *bundle)
{
    bundle->pool = value_pool_new();
    if (!bundle->pool || !value_pool_convert(bundle->pool, bundle->unit_json, &bundle->unit))
        return -1;
    for (size_t i = 0; i < bundle->item_count; i++) {
        item_t *item = &bundle->items[i];
        value_t converted;
        if (!value_pool_convert(bundle->pool, item->json, &converted))
            return -1;
        item->object = converted.u.object;
        const value_t *nested = object_find(item->object, value_name_key("fields", 6), "fields", 6);
        item->nested = nested && nested->type == V_OBJECT ? nested->u.object : NULL;
    }
    return build_kind_index(bundle);
}

size_t bundle_kind_items(const bundle_t *self, name_key_t key, const char *kind, size_t length,
                         const size_t **indices)
{
    const kind_slot_t *entry = &self->kinds[kind_slot(self, key, kind, length)];
    *indices = self->by_kind + entry->first;
    return entry->kind ? entry->count : 0;
}

/* Whether any number in the tree is out of range: a cheap walk, so the
   walk that builds JSON Pointers runs only for a bundle with one. */
static bool any_nonfinite(const cJSON *json, int depth)
{
    if (depth > 1100)
        return false;
    if (cJSON_IsNumber(json) && !isfinite(json->valuedouble))
        return true;
    for (const cJSON *child = json->child; child; child = child->next)
        if (any_nonfinite(child, depth + 1))
            return true;
    return false;
}

bundle_t *bundle_parse(const char *origin, const char *text, size_t length,
                       const catalog_set_t *catalogs, const bundle_limits_t *limits,
                       diag_list_t *diags)
{
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : BUNDLE_DEFAULT_MAX_BYTES;
    int max_depth = limits && limits->max_depth > 0 ? limits->max_depth : BUNDLE_DEFAULT_MAX_DEPTH;
    if (!origin)
        origin = "-";
    if (length > max_bytes) {
        diag_list_add(diags, DIAG_ERROR, origin, "", "split the bundle, or raise the size limit",
                      "bundle is %zu bytes, over the limit of %zu", length, max_bytes);
        return NULL;
    }
    cJSON *root = jsontext_parse(origin, "bundle", text, length, max_depth, diags);
    if (!root)
        return NULL;
    bundle_t *bundle = calloc(1, sizeof *bundle);
    if (!bundle) {
        cJSON_Delete(root);
        diag_list_add(diags, DIAG_ERROR, origin, "", NULL, "out of memory");
        return NULL;
    }
    bundle->root = root;
    bundle->warnings = diag_list_new();
    loader_t loader = { .origin = origin, .diags = diags, .warnings = bundle->warnings };
    jptr_init(&loader.where, "");

    if (!cJSON_IsObject(root))
        jreader_report(&loader, DIAG_ERROR, NULL, "a bundle must be a JSON object");
    else {
        const char *tag = member_string(&loader, root, "assay", true);
        if (tag && strcmp(tag, "bundle/1") != 0) {
            size_t at = jptr_push_key(&loader.where, "assay");
            jreader_report(&loader, DIAG_ERROR, "this engine reads bundle/1", "unsupported format \"%s\"", tag);
            jptr_pop(&loader.where, at);
        }
        load_unit(&loader, bundle, root);
        const char *as_of = member_string(&loader, root, "as_of", true);
        if (as_of) {
            if (!date_parse_day(as_of, &bundle->as_of_day)) {
                size_t at = jptr_push_key(&loader.where, "as_of");
                jreader_report(&loader, DIAG_ERROR, "the assessment date, YYYY-MM-DD", "invalid date \"%s\"", as_of);
                jptr_pop(&loader.where, at);
            } else
                memcpy(bundle->as_of, as_of, 11);
        }
        load_evidence(&loader, bundle, root, catalogs);
        if (any_nonfinite(root, 0))
            check_numbers(&loader, root, 0);
        static const char *const bundle_keys[] = { "assay", "unit", "as_of", "evidence", NULL };
        jreader_warn_unknown(&loader, root, bundle_keys, NULL, "it is ignored");
    }
    jptr_free(&loader.where);
    if (loader.errors || !bundle->warnings || build_index(bundle) != 0) {
        if (!loader.errors)
            diag_list_add(diags, DIAG_ERROR, origin, "", NULL, "out of memory");
        bundle_destroy(&bundle);
        return NULL;
    }
    for (size_t i = 0; i < bundle->item_count; i++)
        bundle->items[i].expired = bundle->items[i].expires != DATE_NONE
                                   && bundle->items[i].expires < bundle->as_of_day;
    if (!bundle->unit_name)
        bundle->unit_name = bundle->unit_id;
    if (!bundle->org)
        bundle->org = "";
    return bundle;
}

void bundle_destroy(bundle_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bundle_t *self = *self_p;
    cJSON_Delete(self->root);
    free(self->items);
    value_pool_destroy(&self->pool);
    free(self->by_kind);
    free(self->kinds);
    diag_list_destroy(&self->warnings);
    free(self);
    *self_p = NULL;
}

const char *bundle_unit_id(const bundle_t *self) { return self->unit_id; }
const char *bundle_unit_name(const bundle_t *self) { return self->unit_name; }
const char *bundle_org(const bundle_t *self) { return self->org; }
const char *bundle_as_of(const bundle_t *self) { return self->as_of; }
size_t bundle_item_count(const bundle_t *self) { return self->item_count; }
const diag_list_t *bundle_warnings(const bundle_t *self) { return self->warnings; }
