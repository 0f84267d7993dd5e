/*  catalog.c - catalog_set_t and catalog_t: validating and compiling
    catalog/1 documents, `extends` inheritance, `maps_to` resolution, the
    evidence-kind vocabulary, and the catalog summaries the CLI shows.

    Validation reports every problem it finds, each with a JSON Pointer and
    usually a hint, because catalog authors fix a file in one pass that
    way. Problems that need the other catalogs (a parent inherited from the
    base, a kind the base declares, a mapping target) are checked by
    catalog_set_link once the whole set is known.
*/
#include "date.h"
#include "expr.h"
#include "internal.h"
#include "jsontext.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Catalogs are larger and more nested than bundles, but still bounded. */
#define CATALOG_MAX_DEPTH 160

typedef struct {
    const char *name;
    const kind_decl_t *decl;        /* from the first catalog (by id) declaring it */
    const catalog_t **catalogs;
    size_t catalog_count;
} kind_entry_t;

struct _catalog_set_t {
    catalog_t **catalogs;           /* sorted by id */
    size_t count;
    size_t capacity;
    kind_entry_t *kinds;            /* union of all declared kinds, sorted */
    size_t kind_count;
};

/* The parsed source is kept for catalog_to_json (rules shown as written). */
typedef struct {
    catalog_t catalog;
    cJSON *json;
} catalog_holder_t;

const char *const evidence_types[] = { "document", "record", "metric", "attestation", NULL };
static const char *const attribute_types[] = { "boolean", "string", "number", "array", NULL };
static const char *const clause_kinds[] = { "requirement", "guidance", "control", NULL };
static const char *const severities[] = { "major", "minor", "observation", NULL };

/* ---- loader: validation state for one file --------------------------------- */

typedef struct {
    jreader_t read;
    expr_compiler_t compiler;
} loader_t;

static int one_of(const char *value, const char *const *names)
{
    for (int i = 0; value && names[i]; i++)
        if (strcmp(value, names[i]) == 0)
            return i;
    return -1;
}

static void join(char *out, size_t size, const char *const *names)
{
    out[0] = '\0';
    for (int i = 0; names[i]; i++) {
        strncat(out, i ? ", " : "", size - strlen(out) - 1);
        strncat(out, names[i], size - strlen(out) - 1);
    }
}

/* A required or optional string member; reports and returns NULL when
   wrong. The pointer names the member (or the object when missing). */
static const char *get_string(loader_t *self, const cJSON *object, const char *key, bool required,
                              bool non_empty)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!item) {
        if (required)
            jreader_report(&self->read, DIAG_ERROR, NULL, "missing \"%s\"", key);
        return NULL;
    }
    size_t at = jptr_push_key(&self->read.where, key);
    const char *value = NULL;
    if (!cJSON_IsString(item))
        jreader_report(&self->read, DIAG_ERROR, NULL, "\"%s\" must be a string", key);
    else if (non_empty && !*item->valuestring)
        jreader_report(&self->read, DIAG_ERROR, NULL, "\"%s\" must not be empty", key);
    else
        value = item->valuestring;
    jptr_pop(&self->read.where, at);
    return value;
}

static const char *get_enum(loader_t *self, const cJSON *object, const char *key,
                            const char *const *names, int *index)
{
    const char *value = get_string(self, object, key, true, false);
    if (!value)
        return NULL;
    *index = one_of(value, names);
    if (*index < 0) {
        char allowed[128];
        join(allowed, sizeof allowed, names);
        size_t at = jptr_push_key(&self->read.where, key);
        jreader_report(&self->read, DIAG_ERROR, allowed, "\"%s\" is not a valid %s", value, key);
        jptr_pop(&self->read.where, at);
        return NULL;
    }
    return value;
}

static bool valid_id(const char *id)
{
    if (!*id || strlen(id) > 64)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

/* Descriptions and comments are for people; never flagged. */
static const char *const note_keys[] = { "description", "note", "notes", "comment", NULL };

static char *dup_or_null(const char *text)
{
    return text ? strdup(text) : NULL;
}

/* ---- destruction ------------------------------------------------------------ */

static void eff_clear(catalog_t *self)
{
    for (size_t i = 0; i < self->eff_count; i++) {
        free(self->eff[i].checks);
        free(self->eff[i].subtree);
        free(self->eff[i].maps);
    }
    free(self->eff);
    self->eff = NULL;
    self->eff_count = 0;
    self->base = NULL;
}

static void check_free(check_t *check)
{
    free(check->id);
    free(check->text);
    expr_destroy(&check->applies_if);
    expr_destroy(&check->expr);
}

static void clause_free(clause_t *clause)
{
    free(clause->id);
    free(clause->title);
    free(clause->parent);
    expr_destroy(&clause->applies_if);
    for (size_t i = 0; i < clause->map_count; i++)
        free(clause->maps_to[i]);
    free(clause->maps_to);
    for (size_t i = 0; i < clause->check_count; i++)
        check_free(&clause->checks[i]);
    free(clause->checks);
}

static void catalog_destroy(catalog_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    catalog_t *self = *self_p;
    eff_clear(self);
    free(self->id);
    free(self->standard);
    free(self->edition);
    free(self->title);
    free(self->extends);
    for (int i = 0; i < 6; i++)
        free(self->levels[i]);
    free(self->origin);
    free(self->source);
    for (size_t i = 0; i < self->kind_count; i++) {
        free(self->kinds[i].name);
        free(self->kinds[i].type);
        free(self->kinds[i].description);
    }
    free(self->kinds);
    for (size_t i = 0; i < self->attribute_count; i++) {
        free(self->attributes[i].name);
        free(self->attributes[i].type);
    }
    free(self->attributes);
    for (size_t i = 0; i < self->clause_count; i++)
        clause_free(&self->clauses[i]);
    free(self->clauses);
    expr_refs_free(self->refs, self->ref_count);
    cJSON_Delete(((catalog_holder_t *) self)->json);
    free(self);
    *self_p = NULL;
}

/* ---- compiling one file ------------------------------------------------------ */

static int compare_kind_decl(const void *a, const void *b)
{
    return strcmp(((const kind_decl_t *) a)->name, ((const kind_decl_t *) b)->name);
}

static void load_kinds(loader_t *self, catalog_t *catalog, const cJSON *root)
{
    const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(root, "kinds");
    if (!kinds) {
        jreader_report(&self->read, DIAG_ERROR, "declare the evidence kinds the checks read, e.g. "
               "\"kinds\": {\"quality_manual\": {\"type\": \"document\", \"description\": \"...\"}}",
               "missing \"kinds\"");
        return;
    }
    size_t at = jptr_push_key(&self->read.where, "kinds");
    if (!cJSON_IsObject(kinds)) {
        jreader_report(&self->read, DIAG_ERROR, NULL, "\"kinds\" must be an object of kind: {type, description}");
        jptr_pop(&self->read.where, at);
        return;
    }
    size_t count = (size_t) cJSON_GetArraySize(kinds);
    catalog->kinds = calloc(count ? count : 1, sizeof *catalog->kinds);
    if (!catalog->kinds) {
        jreader_report(&self->read, DIAG_ERROR, NULL, "out of memory");
        jptr_pop(&self->read.where, at);
        return;
    }
    for (const cJSON *kind = kinds->child; kind; kind = kind->next) {
        size_t at_kind = jptr_push_key(&self->read.where, kind->string);
        int type_index = -1;
        if (!*kind->string)
            jreader_report(&self->read, DIAG_ERROR, NULL, "empty kind name");
        else if (!cJSON_IsObject(kind))
            jreader_report(&self->read, DIAG_ERROR, NULL, "a kind is an object {\"type\": ..., \"description\": ...}");
        else {
            for (size_t i = 0; i < catalog->kind_count; i++)
                if (strcmp(catalog->kinds[i].name, kind->string) == 0)
                    jreader_report(&self->read, DIAG_ERROR, NULL, "kind \"%s\" declared twice", kind->string);
            const char *type = get_enum(self, kind, "type", evidence_types, &type_index);
            const char *description = get_string(self, kind, "description", false, false);
            if (!cJSON_GetObjectItemCaseSensitive(kind, "description"))
                jreader_report(&self->read, DIAG_WARNING, "`assay catalogs kinds` shows it to bundle producers",
                       "kind \"%s\" has no description", kind->string);
            if (type) {
                kind_decl_t *decl = &catalog->kinds[catalog->kind_count++];
                decl->name = strdup(kind->string);
                decl->type = strdup(type);
                decl->description = strdup(description ? description : "");
            }
        }
        jptr_pop(&self->read.where, at_kind);
    }
    qsort(catalog->kinds, catalog->kind_count, sizeof *catalog->kinds, compare_kind_decl);
    jptr_pop(&self->read.where, at);
}

static void load_attributes(loader_t *self, catalog_t *catalog, const cJSON *root)
{
    const cJSON *attributes = cJSON_GetObjectItemCaseSensitive(root, "attributes");
    if (!attributes || cJSON_IsNull(attributes))
        return;
    size_t at = jptr_push_key(&self->read.where, "attributes");
    if (!cJSON_IsObject(attributes)) {
        jreader_report(&self->read, DIAG_ERROR, NULL, "\"attributes\" must be an object of name: {type, description}");
        jptr_pop(&self->read.where, at);
        return;
    }
    size_t count = (size_t) cJSON_GetArraySize(attributes);
    catalog->attributes = calloc(count ? count : 1, sizeof *catalog->attributes);
    for (const cJSON *attribute = attributes->child; catalog->attributes && attribute;
         attribute = attribute->next) {
        size_t at_attribute = jptr_push_key(&self->read.where, attribute->string);
        int type_index;
        if (!cJSON_IsObject(attribute))
            jreader_report(&self->read, DIAG_ERROR, NULL, "an attribute is an object {\"type\": ..., \"description\": ...}");
        else {
            const char *type = get_enum(self, attribute, "type", attribute_types, &type_index);
            get_string(self, attribute, "description", false, false);
            if (type) {
                attr_decl_t *decl = &catalog->attributes[catalog->attribute_count++];
                decl->name = strdup(attribute->string);
                decl->type = strdup(type);
            }
        }
        jptr_pop(&self->read.where, at_attribute);
    }
    jptr_pop(&self->read.where, at);
}

static void load_levels(loader_t *self, catalog_t *catalog, const cJSON *root)
{
    const cJSON *levels = cJSON_GetObjectItemCaseSensitive(root, "levels");
    if (!levels) {
        jreader_report(&self->read, DIAG_ERROR, "six names, for maturity levels 0 to 5", "missing \"levels\"");
        return;
    }
    size_t at = jptr_push_key(&self->read.where, "levels");
    if (!cJSON_IsArray(levels) || cJSON_GetArraySize(levels) != 6)
        jreader_report(&self->read, DIAG_ERROR, "six names, for maturity levels 0 to 5",
               "\"levels\" must be an array of exactly 6 names");
    else {
        int i = 0;
        for (const cJSON *level = levels->child; level; level = level->next, i++) {
            size_t at_level = jptr_push_index(&self->read.where, (size_t) i);
            if (!cJSON_IsString(level) || !*level->valuestring)
                jreader_report(&self->read, DIAG_ERROR, NULL, "a level name must be a non-empty string");
            else
                catalog->levels[i] = strdup(level->valuestring);
            jptr_pop(&self->read.where, at_level);
        }
    }
    jptr_pop(&self->read.where, at);
}

static expr_t *compile_member(loader_t *self, const cJSON *object, const char *key, bool applies_if)
{
    const cJSON *json = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!json)
        return NULL;
    size_t at = jptr_push_key(&self->read.where, key);
    self->compiler.in_applies_if = applies_if;
    expr_t *expr = expr_compile(&self->compiler, json, jptr_str(&self->read.where));
    self->compiler.in_applies_if = false;
    jptr_pop(&self->read.where, at);
    return expr;
}

static const char *const check_keys[] = { "id", "level", "severity", "text", "applies_if", "expr", NULL };
static const char *const clause_keys[] = { "id", "title", "parent", "kind", "weight", "applies_if",
                                           "maps_to", "checks", "inherit_checks", NULL };
static const char *const catalog_keys[] = { "assay", "id", "standard", "edition", "title",
                                            "certifiable", "extends", "levels", "attributes",
                                            "kinds", "clauses", NULL };

/* Check ids seen so far in the file, for the duplicate lint. */
typedef struct {
    const char *id;
    size_t clause;
    size_t check;
} seen_check_t;

static void load_check(loader_t *self, check_t *check, const cJSON *json)
{
    check->json = json;
    check->id = dup_or_null(get_string(self, json, "id", true, true));
    const cJSON *level = cJSON_GetObjectItemCaseSensitive(json, "level");
    if (!level)
        jreader_report(&self->read, DIAG_ERROR, "the maturity level 1 to 5 this check evidences", "missing \"level\"");
    else {
        size_t at = jptr_push_key(&self->read.where, "level");
        if (!cJSON_IsNumber(level) || level->valuedouble != floor(level->valuedouble)
            || level->valuedouble < 1 || level->valuedouble > 5)
            jreader_report(&self->read, DIAG_ERROR, "levels 1 to 5 (0 is what a clause scores when nothing passes)",
                   "check level must be an integer from 1 to 5");
        else
            check->level = (int) level->valuedouble;
        jptr_pop(&self->read.where, at);
    }
    int severity = -1;
    if (get_enum(self, json, "severity", severities, &severity))
        check->severity = (severity_t) severity;
    check->text = dup_or_null(get_string(self, json, "text", true, true));
    check->applies_if = compile_member(self, json, "applies_if", true);
    if (!cJSON_GetObjectItemCaseSensitive(json, "expr"))
        jreader_report(&self->read, DIAG_ERROR, "the rule: a JSON Logic expression, truthy = pass", "missing \"expr\"");
    else
        check->expr = compile_member(self, json, "expr", false);
    jreader_warn_unknown(&self->read, json, check_keys, note_keys, "a misspelt field is ignored");
}

static void load_clause(loader_t *self, catalog_t *catalog, clause_t *clause, const cJSON *json,
                        seen_check_t **seen, size_t *seen_count)
{
    clause->id = dup_or_null(get_string(self, json, "id", true, true));
    clause->title = dup_or_null(get_string(self, json, "title", true, false));
    const cJSON *parent = cJSON_GetObjectItemCaseSensitive(json, "parent");
    if (!parent)
        jreader_report(&self->read, DIAG_ERROR, "use null for a top-level clause", "missing \"parent\"");
    else if (!cJSON_IsNull(parent)) {
        const char *value = get_string(self, json, "parent", true, true);
        clause->parent = dup_or_null(value);
        if (value && clause->id && strcmp(value, clause->id) == 0) {
            size_t at = jptr_push_key(&self->read.where, "parent");
            jreader_report(&self->read, DIAG_ERROR, NULL, "clause \"%s\" is its own parent", value);
            jptr_pop(&self->read.where, at);
        }
    }
    int kind = -1;
    if (get_enum(self, json, "kind", clause_kinds, &kind))
        clause->kind = (clause_kind_t) kind;
    clause->weight = 1;
    const cJSON *weight = cJSON_GetObjectItemCaseSensitive(json, "weight");
    if (weight) {
        size_t at = jptr_push_key(&self->read.where, "weight");
        if (!cJSON_IsNumber(weight) || !(weight->valuedouble > 0) || !isfinite(weight->valuedouble))
            jreader_report(&self->read, DIAG_ERROR, NULL, "\"weight\" must be a positive number");
        else
            clause->weight = weight->valuedouble;
        jptr_pop(&self->read.where, at);
    }
    clause->applies_if = compile_member(self, json, "applies_if", true);

    const cJSON *maps = cJSON_GetObjectItemCaseSensitive(json, "maps_to");
    if (maps && !cJSON_IsNull(maps)) {
        size_t at = jptr_push_key(&self->read.where, "maps_to");
        if (!cJSON_IsArray(maps))
            jreader_report(&self->read, DIAG_ERROR, NULL, "\"maps_to\" must be an array of \"CATALOG:CLAUSE\"");
        else {
            size_t count = (size_t) cJSON_GetArraySize(maps);
            clause->maps_to = calloc(count ? count : 1, sizeof *clause->maps_to);
            size_t i = 0;
            for (const cJSON *map = maps->child; clause->maps_to && map; map = map->next, i++) {
                size_t at_map = jptr_push_index(&self->read.where, i);
                const char *colon = cJSON_IsString(map) ? strchr(map->valuestring, ':') : NULL;
                if (!colon || colon == map->valuestring || !colon[1])
                    jreader_report(&self->read, DIAG_ERROR, "e.g. \"iso27002-2022:5.7\"",
                           "a mapping must be a string \"CATALOG:CLAUSE\"");
                else
                    clause->maps_to[clause->map_count++] = strdup(map->valuestring);
                jptr_pop(&self->read.where, at_map);
            }
        }
        jptr_pop(&self->read.where, at);
    }

    const cJSON *inherit = cJSON_GetObjectItemCaseSensitive(json, "inherit_checks");
    if (inherit) {
        size_t at = jptr_push_key(&self->read.where, "inherit_checks");
        if (!cJSON_IsBool(inherit))
            jreader_report(&self->read, DIAG_ERROR, NULL, "\"inherit_checks\" must be true or false");
        else if (cJSON_IsTrue(inherit) && !catalog->extends)
            jreader_report(&self->read, DIAG_WARNING, NULL, "\"inherit_checks\" has no effect in a catalog that extends nothing");
        clause->inherit_checks = cJSON_IsTrue(inherit);
        jptr_pop(&self->read.where, at);
    }

    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(json, "checks");
    if (checks && !cJSON_IsNull(checks)) {
        size_t at = jptr_push_key(&self->read.where, "checks");
        if (!cJSON_IsArray(checks))
            jreader_report(&self->read, DIAG_ERROR, NULL, "\"checks\" must be an array");
        else {
            size_t count = (size_t) cJSON_GetArraySize(checks);
            clause->checks = calloc(count ? count : 1, sizeof *clause->checks);
            seen_check_t *grown = realloc(*seen, (*seen_count + count + 1) * sizeof **seen);
            if (grown)
                *seen = grown;
            size_t i = 0;
            for (const cJSON *check = checks->child; clause->checks && grown && check;
                 check = check->next, i++) {
                size_t at_check = jptr_push_index(&self->read.where, i);
                if (!cJSON_IsObject(check))
                    jreader_report(&self->read, DIAG_ERROR, NULL, "a check must be an object");
                else {
                    check_t *compiled = &clause->checks[clause->check_count++];
                    load_check(self, compiled, check);
                    for (size_t s = 0; compiled->id && s < *seen_count; s++)
                        if (strcmp((*seen)[s].id, compiled->id) == 0) {
                            char hint[96];
                            snprintf(hint, sizeof hint, "first at /clauses/%zu/checks/%zu",
                                     (*seen)[s].clause, (*seen)[s].check);
                            size_t at_id = jptr_push_key(&self->read.where, "id");
                            jreader_report(&self->read, DIAG_ERROR, hint, "duplicate check id \"%s\"", compiled->id);
                            jptr_pop(&self->read.where, at_id);
                            break;
                        }
                    if (compiled->id)
                        (*seen)[(*seen_count)++] = (seen_check_t) { compiled->id, clause->source_index, i };
                }
                jptr_pop(&self->read.where, at_check);
            }
        }
        jptr_pop(&self->read.where, at);
    }
    jreader_warn_unknown(&self->read, json, clause_keys, note_keys, "a misspelt field is ignored");
}

static void load_clauses(loader_t *self, catalog_t *catalog, const cJSON *root)
{
    const cJSON *clauses = cJSON_GetObjectItemCaseSensitive(root, "clauses");
    if (!clauses) {
        jreader_report(&self->read, DIAG_ERROR, NULL, "missing \"clauses\"");
        return;
    }
    size_t at = jptr_push_key(&self->read.where, "clauses");
    if (!cJSON_IsArray(clauses)) {
        jreader_report(&self->read, DIAG_ERROR, NULL, "\"clauses\" must be an array");
        jptr_pop(&self->read.where, at);
        return;
    }
    size_t count = (size_t) cJSON_GetArraySize(clauses);
    catalog->clauses = calloc(count ? count : 1, sizeof *catalog->clauses);
    seen_check_t *seen = NULL;
    size_t seen_count = 0;
    size_t i = 0;
    for (const cJSON *json = clauses->child; catalog->clauses && json; json = json->next, i++) {
        size_t at_clause = jptr_push_index(&self->read.where, i);
        if (!cJSON_IsObject(json))
            jreader_report(&self->read, DIAG_ERROR, NULL, "a clause must be an object");
        else {
            clause_t *clause = &catalog->clauses[catalog->clause_count++];
            clause->source_index = i;
            clause->json = json;
            load_clause(self, catalog, clause, json, &seen, &seen_count);
            for (size_t j = 0; clause->id && j + 1 < catalog->clause_count; j++)
                if (catalog->clauses[j].id && strcmp(catalog->clauses[j].id, clause->id) == 0) {
                    char hint[64];
                    snprintf(hint, sizeof hint, "first at /clauses/%zu", catalog->clauses[j].source_index);
                    size_t at_id = jptr_push_key(&self->read.where, "id");
                    jreader_report(&self->read, DIAG_ERROR, hint, "duplicate clause id \"%s\"", clause->id);
                    jptr_pop(&self->read.where, at_id);
                    break;
                }
        }
        jptr_pop(&self->read.where, at_clause);
    }
    free(seen);
    jptr_pop(&self->read.where, at);
}

/* ---- effective clause lists ---------------------------------------------------- */

typedef struct {
    eclause_t *items;
    size_t count;
    size_t capacity;
} eff_list_t;

static eclause_t *eff_insert(eff_list_t *list, size_t position)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 64;
        eclause_t *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        list->items = grown;
        list->capacity = capacity;
    }
    memmove(&list->items[position + 1], &list->items[position],
            (list->count - position) * sizeof *list->items);
    list->count++;
    eclause_t *entry = &list->items[position];
    memset(entry, 0, sizeof *entry);
    /* parents after the insertion point moved one down */
    for (size_t i = 0; i < list->count; i++)
        if (i != position && list->items[i].parent >= (long) position)
            list->items[i].parent++;
    return entry;
}

static long eff_find(const eclause_t *items, size_t count, const char *id)
{
    for (size_t i = 0; id && i < count; i++)
        if (items[i].clause->id && strcmp(items[i].clause->id, id) == 0)
            return (long) i;
    return -1;
}

static bool is_descendant(const eclause_t *items, size_t count, size_t index, size_t ancestor)
{
    long p = items[index].parent;
    for (size_t steps = 0; p >= 0 && steps <= count; steps++) {
        if ((size_t) p == ancestor)
            return true;
        p = items[p].parent;
    }
    return false;
}

static bool set_checks(eclause_t *entry, const check_t *const *first, size_t first_count,
                       const check_t *own, size_t own_count)
{
    size_t total = first_count + own_count;
    entry->checks = total ? calloc(total, sizeof *entry->checks) : NULL;
    if (total && !entry->checks)
        return false;
    for (size_t i = 0; i < first_count; i++)
        entry->checks[i] = first[i];
    for (size_t i = 0; i < own_count; i++)
        entry->checks[first_count + i] = &own[i];
    entry->check_count = total;
    return true;
}

/* Resolve parent indices and subtrees; reports dangling parents and
   cycles when `report_to` is given. Returns the number of errors. */
static size_t eff_finish(catalog_t *catalog, const char *origin, diag_list_t *report_to)
{
    size_t errors = 0;
    eclause_t *items = catalog->eff;
    size_t count = catalog->eff_count;
    for (size_t i = 0; i < count; i++) {
        items[i].parent = -1;
        const char *parent = items[i].clause->parent;
        if (!parent)
            continue;
        items[i].parent = eff_find(items, count, parent);
        if (items[i].parent < 0 && report_to) {
            char where[64];
            snprintf(where, sizeof where, "/clauses/%zu/parent", items[i].clause->source_index);
            diag_list_add(report_to, DIAG_ERROR, items[i].owner->origin, where,
                          catalog->extends ? "the parent must be a clause of this catalog or its base"
                                           : "the parent must be a clause id of this catalog",
                          "parent \"%s\" of clause \"%s\" does not exist", parent, items[i].clause->id);
            errors++;
        }
    }
    /* break cycles so every later walk terminates */
    for (size_t i = 0; i < count; i++) {
        long p = items[i].parent;
        size_t steps = 0;
        while (p >= 0 && steps <= count) {
            p = items[p].parent;
            steps++;
        }
        if (p >= 0) {
            if (report_to) {
                char where[64];
                snprintf(where, sizeof where, "/clauses/%zu/parent", items[i].clause->source_index);
                diag_list_add(report_to, DIAG_ERROR, items[i].owner->origin, where, NULL,
                              "clause \"%s\" is part of a parent cycle", items[i].clause->id);
                errors++;
            }
            items[i].parent = -1;
        }
    }
    size_t *sizes = calloc(count ? count : 1, sizeof *sizes);
    if (!sizes)
        return errors + 1;
    for (size_t i = 0; i < count; i++) {
        sizes[i]++;
        for (long p = items[i].parent; p >= 0; p = items[p].parent)
            sizes[p]++;
    }
    for (size_t i = 0; i < count; i++) {
        free(items[i].subtree);
        items[i].subtree = malloc(sizes[i] * sizeof *items[i].subtree);
        items[i].subtree_count = 0;
        if (!items[i].subtree)
            errors++;
    }
    for (size_t j = 0; j < count; j++) {
        if (items[j].subtree)
            items[j].subtree[items[j].subtree_count++] = j;
        for (long p = items[j].parent; p >= 0; p = items[p].parent)
            if (items[p].subtree)
                items[p].subtree[items[p].subtree_count++] = j;
    }
    free(sizes);
    return errors;
}

/* The effective list of a catalog on its own: its clauses in file order. */
static int eff_build_own(catalog_t *catalog)
{
    eff_clear(catalog);
    catalog->eff = calloc(catalog->clause_count ? catalog->clause_count : 1, sizeof *catalog->eff);
    if (!catalog->eff)
        return -1;
    for (size_t i = 0; i < catalog->clause_count; i++) {
        eclause_t *entry = &catalog->eff[catalog->eff_count++];
        entry->clause = &catalog->clauses[i];
        entry->owner = catalog;
        entry->maps = calloc(entry->clause->map_count ? entry->clause->map_count : 1, sizeof *entry->maps);
        if (!entry->maps || !set_checks(entry, NULL, 0, catalog->clauses[i].checks,
                                        catalog->clauses[i].check_count))
            return -1;
    }
    return eff_finish(catalog, NULL, NULL) ? -1 : 0;
}

/* Base clauses in base order; an own clause with a base clause's id takes
   its place, a new one goes after the last descendant of its parent (or
   at the end), so sub-clauses an extension adds sit under their parent. */
static int eff_build_extended(catalog_t *catalog, const catalog_t *base)
{
    eff_clear(catalog);
    eff_list_t list = { 0 };
    for (size_t i = 0; i < base->eff_count; i++) {
        eclause_t *entry = eff_insert(&list, list.count);
        if (!entry)
            goto fail;
        entry->clause = base->eff[i].clause;
        entry->owner = base->eff[i].owner;
        entry->parent = base->eff[i].parent;
        if (!set_checks(entry, base->eff[i].checks, base->eff[i].check_count, NULL, 0))
            goto fail;
    }
    for (size_t i = 0; i < catalog->clause_count; i++) {
        const clause_t *clause = &catalog->clauses[i];
        long existing = eff_find(list.items, list.count, clause->id);
        eclause_t *entry;
        if (existing >= 0) {
            entry = &list.items[existing];
            const check_t **inherited = entry->checks;
            size_t inherited_count = entry->check_count;
            entry->checks = NULL;
            bool ok = set_checks(entry, inherited, clause->inherit_checks ? inherited_count : 0,
                                 clause->checks, clause->check_count);
            free(inherited);
            if (!ok)
                goto fail;
        } else {
            long parent = eff_find(list.items, list.count, clause->parent);
            size_t position = list.count;
            if (parent >= 0) {
                position = (size_t) parent + 1;
                while (position < list.count && is_descendant(list.items, list.count, position, (size_t) parent))
                    position++;
            }
            entry = eff_insert(&list, position);
            if (!entry)
                goto fail;
            entry->parent = parent;
            if (!set_checks(entry, NULL, 0, clause->checks, clause->check_count))
                goto fail;
        }
        entry->clause = clause;
        entry->owner = catalog;
    }
    catalog->eff = list.items;
    catalog->eff_count = list.count;
    for (size_t i = 0; i < list.count; i++) {
        size_t maps = list.items[i].clause->map_count;
        list.items[i].maps = calloc(maps ? maps : 1, sizeof *list.items[i].maps);
        if (!list.items[i].maps)
            return -1;
    }
    return 0;
fail:
    catalog->eff = list.items;
    catalog->eff_count = list.count;
    eff_clear(catalog);
    return -1;
}

/* ---- lint that needs the full vocabulary ----------------------------------------- */

static bool chain_declares_kind(const catalog_t *catalog, const char *kind)
{
    for (size_t depth = 0; catalog && depth < 64; catalog = catalog->base, depth++) {
        size_t lo = 0, hi = catalog->kind_count;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = strcmp(catalog->kinds[mid].name, kind);
            if (c == 0)
                return true;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    return false;
}

static bool chain_declares_attribute(const catalog_t *catalog, const char *name)
{
    for (size_t depth = 0; catalog && depth < 64; catalog = catalog->base, depth++)
        for (size_t i = 0; i < catalog->attribute_count; i++)
            if (strcmp(catalog->attributes[i].name, name) == 0)
                return true;
    return false;
}

/* Unknown kinds (error) and undeclared attributes (warning). */
static size_t lint_refs(const catalog_t *catalog, diag_list_t *diags)
{
    size_t errors = 0;
    for (size_t i = 0; i < catalog->ref_count; i++) {
        const expr_ref_t *ref = &catalog->refs[i];
        if (ref->type == EXPR_REF_KIND && !chain_declares_kind(catalog, ref->name)) {
            diag_list_add(diags, DIAG_ERROR, catalog->origin, ref->pointer,
                          "declare it under \"kinds\" with its type and a description",
                          "unknown evidence kind \"%s\"", ref->name);
            errors++;
        } else if (ref->type == EXPR_REF_ATTRIBUTE && !chain_declares_attribute(catalog, ref->name))
            diag_list_add(diags, DIAG_WARNING, catalog->origin, ref->pointer,
                          "declare it under \"attributes\" so bundle producers know to send it",
                          "%s reads undeclared unit attribute \"%s\"",
                          ref->applies_if ? "applies_if" : "expression", ref->name);
    }
    return errors;
}

/* A level that no check has can never be a clause's score: usually a
   typo in a check's level or a missing step in the maturity ladder. */
static void lint_levels(const catalog_t *catalog, diag_list_t *diags)
{
    bool reached[6] = { false };
    bool any = false;
    for (size_t i = 0; i < catalog->eff_count; i++)
        for (size_t j = 0; j < catalog->eff[i].check_count; j++) {
            reached[catalog->eff[i].checks[j]->level] = true;
            any = true;
        }
    if (!any)
        return;
    for (int level = 1; level <= 5; level++)
        if (!reached[level]) {
            char where[32];
            snprintf(where, sizeof where, "/levels/%d", level);
            diag_list_add(diags, DIAG_WARNING, catalog->origin, where,
                          "add checks at this level, or accept that no clause can score it",
                          "no check evidences level %d (\"%s\"): no clause can reach it", level,
                          catalog->levels[level] ? catalog->levels[level] : "");
        }
}

static size_t lint_duplicate_checks(const catalog_t *catalog, diag_list_t *diags)
{
    size_t errors = 0;
    for (size_t i = 0; i < catalog->eff_count; i++)
        for (size_t j = 0; j < catalog->eff[i].check_count; j++) {
            const check_t *check = catalog->eff[i].checks[j];
            bool duplicate = false;
            for (size_t k = 0; k <= i && !duplicate; k++)
                for (size_t l = 0; l < catalog->eff[k].check_count && (k < i || l < j); l++)
                    if (catalog->eff[k].checks[l] != check
                        && strcmp(catalog->eff[k].checks[l]->id, check->id) == 0) {
                        duplicate = true;
                        break;
                    }
            if (duplicate && catalog->eff[i].owner == catalog) {
                char where[64];
                snprintf(where, sizeof where, "/clauses/%zu", catalog->eff[i].clause->source_index);
                diag_list_add(diags, DIAG_ERROR, catalog->origin, where,
                              "check ids must be unique across the catalog and its base",
                              "duplicate check id \"%s\"", check->id);
                errors++;
            }
        }
    return errors;
}

/* ---- compiling a file ---------------------------------------------------------- */

static void lint_failed(const catalog_set_t *set, catalog_t *catalog, diag_list_t *diags);

/* `set`, when given, is the set the catalog is being added to: a catalog
   with errors is linted against it as far as it can be (lint_failed). */
static catalog_t *catalog_compile(const char *origin, cJSON *root, diag_list_t *diags,
                                  size_t *errors, const catalog_set_t *set)
{
    loader_t loader = { .read = { .origin = origin, .diags = diags } };
    jptr_init(&loader.read.where, "");
    expr_compiler_init(&loader.compiler, origin, diags);
    catalog_holder_t *holder = calloc(1, sizeof *holder);
    if (!holder) {
        diag_list_add(diags, DIAG_ERROR, origin, "", NULL, "out of memory");
        *errors = 1;
        jptr_free(&loader.read.where);
        return NULL;
    }
    catalog_t *catalog = &holder->catalog;
    holder->json = root;
    catalog->origin = strdup(origin ? origin : "-");

    if (!cJSON_IsObject(root)) {
        jreader_report(&loader.read, DIAG_ERROR, NULL, "a catalog must be a JSON object");
        goto done;
    }
    const char *tag = get_string(&loader, root, "assay", true, false);
    if (tag && strcmp(tag, "catalog/1") != 0) {
        size_t at = jptr_push_key(&loader.read.where, "assay");
        jreader_report(&loader.read, DIAG_ERROR, "this engine reads catalog/1", "unsupported format \"%s\"", tag);
        jptr_pop(&loader.read.where, at);
    }
    const char *id = get_string(&loader, root, "id", true, true);
    if (id && !valid_id(id)) {
        size_t at = jptr_push_key(&loader.read.where, "id");
        jreader_report(&loader.read, DIAG_ERROR, "lower-case letters, digits and '-', e.g. iso9001-2015",
               "invalid catalog id \"%s\"", id);
        jptr_pop(&loader.read.where, at);
    } else
        catalog->id = dup_or_null(id);
    catalog->standard = dup_or_null(get_string(&loader, root, "standard", true, true));
    catalog->title = dup_or_null(get_string(&loader, root, "title", true, true));
    const cJSON *edition = cJSON_GetObjectItemCaseSensitive(root, "edition");
    if (cJSON_IsNumber(edition) && edition->valuedouble == floor(edition->valuedouble)
        && fabs(edition->valuedouble) < 1e9) {
        char text[32];
        snprintf(text, sizeof text, "%.0f", edition->valuedouble);
        catalog->edition = strdup(text);
    } else
        catalog->edition = dup_or_null(get_string(&loader, root, "edition", true, true));
    const cJSON *certifiable = cJSON_GetObjectItemCaseSensitive(root, "certifiable");
    if (!cJSON_IsBool(certifiable)) {
        if (certifiable) {
            size_t at = jptr_push_key(&loader.read.where, "certifiable");
            jreader_report(&loader.read, DIAG_ERROR, NULL, "\"certifiable\" must be true or false");
            jptr_pop(&loader.read.where, at);
        } else
            jreader_report(&loader.read, DIAG_ERROR, "true for a certifiable standard, false for guidance or controls",
                   "missing \"certifiable\"");
    }
    catalog->certifiable = cJSON_IsTrue(certifiable);
    const cJSON *extends = cJSON_GetObjectItemCaseSensitive(root, "extends");
    if (extends && !cJSON_IsNull(extends)) {
        const char *base = get_string(&loader, root, "extends", false, true);
        size_t at = jptr_push_key(&loader.read.where, "extends");
        if (base && !valid_id(base))
            jreader_report(&loader.read, DIAG_ERROR, NULL, "invalid catalog id \"%s\"", base);
        else if (base && id && strcmp(base, id) == 0)
            jreader_report(&loader.read, DIAG_ERROR, NULL, "a catalog cannot extend itself");
        else
            catalog->extends = dup_or_null(base);
        jptr_pop(&loader.read.where, at);
    }
    load_levels(&loader, catalog, root);
    load_attributes(&loader, catalog, root);
    load_kinds(&loader, catalog, root);
    load_clauses(&loader, catalog, root);
    jreader_warn_unknown(&loader.read, root, catalog_keys, note_keys, "a misspelt field is ignored");

    catalog->refs = loader.compiler.refs;
    catalog->ref_count = loader.compiler.ref_count;
    loader.compiler.refs = NULL;
    loader.compiler.ref_count = 0;
    loader.read.errors += loader.compiler.errors;
    if (eff_build_own(catalog) != 0)
        loader.read.errors++;
    else if (!catalog->extends && loader.read.errors == 0) {
        /* everything is known already: lint now, so `catalogs lint FILE`
           on a single catalog reports all of it */
        loader.read.errors += eff_finish(catalog, catalog->origin, diags);
        loader.read.errors += lint_refs(catalog, diags);
        lint_levels(catalog, diags);
    } else if (loader.read.errors && set)
        lint_failed(set, catalog, diags);
done:
    expr_compiler_clear(&loader.compiler);
    jptr_free(&loader.read.where);
    *errors = loader.read.errors;
    if (loader.read.errors) {
        holder->json = NULL;    /* the caller owns root on failure */
        catalog_destroy(&catalog);
    }
    return catalog;
}

/* ---- the set ---------------------------------------------------------------------- */

catalog_set_t *catalog_set_new(void)
{
    return calloc(1, sizeof(catalog_set_t));
}

static void kinds_clear(catalog_set_t *self)
{
    for (size_t i = 0; i < self->kind_count; i++)
        free(self->kinds[i].catalogs);
    free(self->kinds);
    self->kinds = NULL;
    self->kind_count = 0;
}

void catalog_set_destroy(catalog_set_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    catalog_set_t *self = *self_p;
    /* links point across catalogs: drop them all before freeing any */
    for (size_t i = 0; i < self->count; i++)
        eff_clear(self->catalogs[i]);
    for (size_t i = 0; i < self->count; i++)
        catalog_destroy(&self->catalogs[i]);
    free(self->catalogs);
    kinds_clear(self);
    free(self);
    *self_p = NULL;
}

typedef struct {
    const kind_decl_t *decl;
    const catalog_t *catalog;
} kind_use_t;

static int compare_kind_use(const void *a, const void *b)
{
    const kind_use_t *x = a, *y = b;
    int c = strcmp(x->decl->name, y->decl->name);
    return c ? c : strcmp(x->catalog->id, y->catalog->id);
}

/* The union of kinds: rebuilt whenever the set changes, so lookups while
   parsing bundles are a binary search on an immutable table. */
static int kinds_rebuild(catalog_set_t *self)
{
    kinds_clear(self);
    size_t total = 0;
    for (size_t i = 0; i < self->count; i++)
        total += self->catalogs[i]->kind_count;
    if (!total)
        return 0;
    kind_use_t *uses = malloc(total * sizeof *uses);
    self->kinds = calloc(total, sizeof *self->kinds);
    if (!uses || !self->kinds) {
        free(uses);
        free(self->kinds);
        self->kinds = NULL;
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < self->count; i++)
        for (size_t j = 0; j < self->catalogs[i]->kind_count; j++)
            uses[n++] = (kind_use_t) { &self->catalogs[i]->kinds[j], self->catalogs[i] };
    qsort(uses, n, sizeof *uses, compare_kind_use);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(uses[j].decl->name, uses[i].decl->name) == 0)
            j++;
        kind_entry_t *entry = &self->kinds[self->kind_count++];
        entry->name = uses[i].decl->name;
        entry->decl = uses[i].decl;
        entry->catalogs = malloc((j - i) * sizeof *entry->catalogs);
        for (size_t k = i; entry->catalogs && k < j; k++)
            entry->catalogs[entry->catalog_count++] = uses[k].catalog;
        i = j;
    }
    free(uses);
    return 0;
}

static long set_index(const catalog_set_t *self, const char *id, bool *found)
{
    size_t lo = 0, hi = self->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(self->catalogs[mid]->id, id);
        if (c == 0) {
            *found = true;
            return (long) mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return (long) lo;
}

int catalog_set_add(catalog_set_t *self, const char *origin, const char *text, size_t length,
                    diag_list_t *diags)
{
    if (!self)
        return -1;
    cJSON *root = jsontext_parse(origin, "catalog", text, length, CATALOG_MAX_DEPTH, diags);
    if (!root)
        return -1;
    size_t errors = 0;
    catalog_t *catalog = catalog_compile(origin, root, diags, &errors, self);
    if (!catalog) {
        cJSON_Delete(root);
        return -1;
    }
    catalog->source = malloc(length + 1);
    if (!catalog->source) {
        diag_list_add(diags, DIAG_ERROR, origin, "", NULL, "out of memory");
        catalog_destroy(&catalog);
        return -1;
    }
    memcpy(catalog->source, text, length);
    catalog->source[length] = '\0';
    catalog->source_length = length;
    engine_sha256_hex(text, length, catalog->sha256);

    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 8;
        catalog_t **grown = realloc(self->catalogs, capacity * sizeof *grown);
        if (!grown) {
            catalog_destroy(&catalog);
            return -1;
        }
        self->catalogs = grown;
        self->capacity = capacity;
    }
    /* Any link may point into a catalog about to be replaced: fall back to
       unlinked lists everywhere; catalog_set_link rebuilds them. */
    for (size_t i = 0; i < self->count; i++) {
        eff_build_own(self->catalogs[i]);
        catalog_unshare_checks(self->catalogs[i]);
    }
    bool found;
    long index = set_index(self, catalog->id, &found);
    if (found)
        catalog_destroy(&self->catalogs[index]);
    else {
        memmove(&self->catalogs[index + 1], &self->catalogs[index],
                (self->count - (size_t) index) * sizeof *self->catalogs);
        self->count++;
    }
    self->catalogs[index] = catalog;
    kinds_rebuild(self);
    return 0;
}

/* Whether catalog `id` (`self` when that is its id, else the set's) has
   clause `clause` of its own or through its bases: what link_maps will
   find once the set links. */
static bool set_has_clause(const catalog_set_t *set, const catalog_t *self, const char *id,
                           const char *clause, bool *loaded)
{
    const catalog_t *catalog = self->id && strcmp(self->id, id) == 0 ? self : catalog_set_find(set, id);
    *loaded = catalog != NULL;
    for (size_t depth = 0; catalog && depth < 64; depth++) {
        for (size_t i = 0; i < catalog->clause_count; i++)
            if (catalog->clauses[i].id && strcmp(catalog->clauses[i].id, clause) == 0)
                return true;
        catalog = catalog->extends ? catalog_set_find(set, catalog->extends) : NULL;
    }
    return false;
}

/* A catalog with errors is never added, so catalog_set_link never lints
   it: lint now what needs the rest of the set (unknown kinds, dangling
   parents, extends and maps_to, unreachable levels, undeclared
   attributes), so that `assay catalogs lint` reports every error in one
   run. Check ids shared with the base are left to the run after. */
static void lint_failed(const catalog_set_t *set, catalog_t *catalog, diag_list_t *diags)
{
    if (!catalog->eff)
        return;
    const catalog_t *base = catalog->extends ? catalog_set_find(set, catalog->extends) : NULL;
    if (catalog->extends && !base)
        diag_list_add(diags, DIAG_ERROR, catalog->origin, "/extends",
                      "load the base catalog too (`assay catalogs list` shows what is loaded)",
                      "base catalog \"%s\" is not loaded", catalog->extends);
    /* with its base if loaded, else on its own list: what it names and
       does not declare itself is unknown to this set either way */
    if (!base || eff_build_extended(catalog, base) == 0) {
        catalog->base = base;
        eff_finish(catalog, catalog->origin, diags);
        lint_refs(catalog, diags);
        lint_levels(catalog, diags);
    }
    for (size_t i = 0; i < catalog->clause_count; i++) {
        const clause_t *clause = &catalog->clauses[i];
        for (size_t m = 0; m < clause->map_count; m++) {
            const char *ref = clause->maps_to[m];
            const char *colon = strchr(ref, ':');
            char id[128];
            snprintf(id, sizeof id, "%.*s", (int) (colon - ref), ref);
            bool loaded;
            if (set_has_clause(set, catalog, id, colon + 1, &loaded))
                continue;
            char where[80];
            snprintf(where, sizeof where, "/clauses/%zu/maps_to/%zu", clause->source_index, m);
            if (!loaded)
                diag_list_add(diags, DIAG_ERROR, catalog->origin, where, "load the target catalog too",
                              "maps_to \"%s\": catalog \"%s\" is not loaded", ref, id);
            else
                diag_list_add(diags, DIAG_ERROR, catalog->origin, where, NULL,
                              "maps_to \"%s\": catalog \"%s\" has no clause \"%s\"", ref, id, colon + 1);
        }
    }
}

/* Depth-first so a base is linked before what extends it. state: 0 new,
   1 in progress, 2 done. */
static size_t link_one(catalog_set_t *self, size_t index, int *state, diag_list_t *diags)
{
    catalog_t *catalog = self->catalogs[index];
    if (state[index] >= 2)
        return 0;   /* done, errors (if any) already counted */
    if (state[index] == 1) {
        diag_list_add(diags, DIAG_ERROR, catalog->origin, "/extends", NULL,
                      "catalog \"%s\" is part of an extends cycle", catalog->id);
        return 1;
    }
    state[index] = 1;
    size_t errors = 0;
    if (catalog->extends) {
        bool found;
        long base = set_index(self, catalog->extends, &found);
        if (!found) {
            diag_list_add(diags, DIAG_ERROR, catalog->origin, "/extends",
                          "load the base catalog too (`assay catalogs list` shows what is loaded)",
                          "base catalog \"%s\" is not loaded", catalog->extends);
            errors++;
            eff_build_own(catalog);
        } else {
            errors += link_one(self, (size_t) base, state, diags);
            if (state[base] != 2) {
                diag_list_add(diags, DIAG_ERROR, catalog->origin, "/extends", NULL,
                              "base catalog \"%s\" could not be linked", catalog->extends);
                errors++;
                eff_build_own(catalog);
            } else if (eff_build_extended(catalog, self->catalogs[base]) != 0) {
                diag_list_add(diags, DIAG_ERROR, catalog->origin, "", NULL, "out of memory");
                errors++;
            } else {
                catalog->base = self->catalogs[base];
                errors += eff_finish(catalog, catalog->origin, diags);
                errors += lint_refs(catalog, diags);
                errors += lint_duplicate_checks(catalog, diags);
                lint_levels(catalog, diags);
            }
        }
    } else if (eff_build_own(catalog) != 0) {
        diag_list_add(diags, DIAG_ERROR, catalog->origin, "", NULL, "out of memory");
        errors++;
    }
    state[index] = errors ? 3 : 2;
    return errors;
}

static size_t link_maps(catalog_set_t *self, catalog_t *catalog, diag_list_t *diags)
{
    size_t errors = 0;
    for (size_t i = 0; i < catalog->eff_count; i++) {
        eclause_t *entry = &catalog->eff[i];
        for (size_t m = 0; m < entry->clause->map_count; m++) {
            const char *ref = entry->clause->maps_to[m];
            const char *colon = strchr(ref, ':');
            char id[128];
            snprintf(id, sizeof id, "%.*s", (int) (colon - ref), ref);
            bool found;
            long target = set_index(self, id, &found);
            long clause = found ? catalog_find_clause(self->catalogs[target], colon + 1) : -1;
            if (clause >= 0) {
                entry->maps[m].catalog = self->catalogs[target];
                entry->maps[m].index = (size_t) clause;
            } else if (entry->owner == catalog) {
                char where[80];
                snprintf(where, sizeof where, "/clauses/%zu/maps_to/%zu", entry->clause->source_index, m);
                if (!found)
                    diag_list_add(diags, DIAG_ERROR, catalog->origin, where,
                                  "load the target catalog too", "maps_to \"%s\": catalog \"%s\" is not loaded",
                                  ref, id);
                else
                    diag_list_add(diags, DIAG_ERROR, catalog->origin, where, NULL,
                                  "maps_to \"%s\": catalog \"%s\" has no clause \"%s\"", ref, id, colon + 1);
                errors++;
            }
        }
    }
    return errors;
}

int catalog_set_link(catalog_set_t *self, diag_list_t *diags)
{
    if (!self)
        return -1;
    int *state = calloc(self->count ? self->count : 1, sizeof *state);
    if (!state)
        return -1;
    size_t errors = 0;
    catalog_share_checks(self->catalogs, self->count);
    for (size_t i = 0; i < self->count; i++)
        errors += link_one(self, i, state, diags);
    /* mappings after every list is final, since targets index into them */
    for (size_t i = 0; i < self->count; i++)
        errors += link_maps(self, self->catalogs[i], diags);
    free(state);
    return errors ? -1 : 0;
}

size_t catalog_set_size(const catalog_set_t *self)
{
    return self ? self->count : 0;
}

const catalog_t *catalog_set_at(const catalog_set_t *self, size_t index)
{
    return self && index < self->count ? self->catalogs[index] : NULL;
}

const catalog_t *catalog_set_find(const catalog_set_t *self, const char *id)
{
    if (!self || !id)
        return NULL;
    bool found;
    long index = set_index(self, id, &found);
    return found ? self->catalogs[index] : NULL;
}

static const kind_entry_t *find_kind(const catalog_set_t *self, const char *kind)
{
    size_t lo = 0, hi = self ? self->kind_count : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(self->kinds[mid].name, kind);
        if (c == 0)
            return &self->kinds[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *catalog_set_kind_type(const catalog_set_t *self, const char *kind)
{
    const kind_entry_t *entry = find_kind(self, kind);
    return entry ? entry->decl->type : NULL;
}

cJSON *catalog_set_kinds_json(const catalog_set_t *self)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; array && self && i < self->kind_count; i++) {
        const kind_entry_t *entry = &self->kinds[i];
        cJSON *object = cJSON_CreateObject();
        cJSON_AddItemToArray(array, object);
        cJSON_AddStringToObject(object, "kind", entry->name);
        cJSON_AddStringToObject(object, "type", entry->decl->type);
        cJSON_AddStringToObject(object, "description", entry->decl->description);
        cJSON *catalogs = cJSON_AddArrayToObject(object, "catalogs");
        for (size_t j = 0; j < entry->catalog_count; j++)
            cJSON_AddItemToArray(catalogs, cJSON_CreateString(entry->catalogs[j]->id));
    }
    return array;
}

/* ---- accessors -------------------------------------------------------------------- */

const char *catalog_id(const catalog_t *self) { return self->id; }
const char *catalog_standard(const catalog_t *self) { return self->standard; }
const char *catalog_edition(const catalog_t *self) { return self->edition; }
const char *catalog_title(const catalog_t *self) { return self->title; }
bool catalog_certifiable(const catalog_t *self) { return self->certifiable; }
const char *catalog_sha256(const catalog_t *self) { return self->sha256; }
const char *catalog_source(const catalog_t *self) { return self->source; }
size_t catalog_clause_count(const catalog_t *self) { return self->eff_count; }

long catalog_find_clause(const catalog_t *self, const char *id)
{
    return eff_find(self->eff, self->eff_count, id);
}

cJSON *catalog_to_json(const catalog_t *self)
{
    static const char *const kind_names[] = { "requirement", "guidance", "control" };
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "id", self->id);
    cJSON_AddStringToObject(root, "standard", self->standard);
    cJSON_AddStringToObject(root, "edition", self->edition);
    cJSON_AddStringToObject(root, "title", self->title);
    cJSON_AddBoolToObject(root, "certifiable", self->certifiable);
    if (self->extends)
        cJSON_AddStringToObject(root, "extends", self->extends);
    else
        cJSON_AddNullToObject(root, "extends");
    cJSON_AddStringToObject(root, "sha256", self->sha256);
    cJSON *levels = cJSON_AddArrayToObject(root, "levels");
    for (int i = 0; i < 6; i++)
        cJSON_AddItemToArray(levels, cJSON_CreateString(self->levels[i] ? self->levels[i] : ""));
    cJSON *kinds = cJSON_AddArrayToObject(root, "kinds");
    for (size_t i = 0; i < self->kind_count; i++) {
        cJSON *kind = cJSON_CreateObject();
        cJSON_AddItemToArray(kinds, kind);
        cJSON_AddStringToObject(kind, "kind", self->kinds[i].name);
        cJSON_AddStringToObject(kind, "type", self->kinds[i].type);
        cJSON_AddStringToObject(kind, "description", self->kinds[i].description);
    }
    cJSON *clauses = cJSON_AddArrayToObject(root, "clauses");
    for (size_t i = 0; i < self->eff_count; i++) {
        const eclause_t *entry = &self->eff[i];
        const clause_t *clause = entry->clause;
        cJSON *object = cJSON_CreateObject();
        cJSON_AddItemToArray(clauses, object);
        cJSON_AddStringToObject(object, "id", clause->id);
        cJSON_AddStringToObject(object, "title", clause->title ? clause->title : "");
        if (clause->parent)
            cJSON_AddStringToObject(object, "parent", clause->parent);
        else
            cJSON_AddNullToObject(object, "parent");
        cJSON_AddStringToObject(object, "kind", kind_names[clause->kind]);
        cJSON_AddNumberToObject(object, "weight", clause->weight);
        cJSON_AddStringToObject(object, "from", entry->owner->id);
        const cJSON *applies_if = cJSON_GetObjectItemCaseSensitive(clause->json, "applies_if");
        if (applies_if)
            cJSON_AddItemToObject(object, "applies_if", cJSON_Duplicate(applies_if, true));
        cJSON *maps = cJSON_AddArrayToObject(object, "maps_to");
        for (size_t m = 0; m < clause->map_count; m++)
            cJSON_AddItemToArray(maps, cJSON_CreateString(clause->maps_to[m]));
        cJSON *checks = cJSON_AddArrayToObject(object, "checks");
        for (size_t j = 0; j < entry->check_count; j++) {
            const check_t *check = entry->checks[j];
            cJSON *c = cJSON_CreateObject();
            cJSON_AddItemToArray(checks, c);
            cJSON_AddStringToObject(c, "id", check->id);
            cJSON_AddNumberToObject(c, "level", check->level);
            cJSON_AddStringToObject(c, "severity", severities[check->severity]);
            cJSON_AddStringToObject(c, "text", check->text);
            const cJSON *condition = cJSON_GetObjectItemCaseSensitive(check->json, "applies_if");
            if (condition)
                cJSON_AddItemToObject(c, "applies_if", cJSON_Duplicate(condition, true));
            const cJSON *expr = cJSON_GetObjectItemCaseSensitive(check->json, "expr");
            if (expr)
                cJSON_AddItemToObject(c, "expr", cJSON_Duplicate(expr, true));
        }
    }
    return root;
}
