/*  outcome.c - an assessment's stored form (the "outcome"), and reading
    it back.

    The result document repeats what the catalog already holds: clause
    titles, parents and weights, check texts, levels and severities.
    Storage keeps only what the evaluation decided, as arrays in the
    catalog's effective order (one character per clause or check where a
    status fits in one), so one assessment is one compact row; with the
    catalog (stored once, by hash) it gives back the very same result
    document. Format v1, a JSON object:

      "clauses"     one status code per effective clause: c conformant,
                    m minor_nc, M major_nc, n not_applicable
      "applicable"  one 1/0 per effective clause
      "levels"      one number or null per effective clause
      "checks"      one status code per check: p pass, f fail,
                    n not_applicable, e error
      "evidence"    one array of evidence ids per check
      "expired"     {"K": [ids]} for the checks K (0-based) that skipped
                    expired items
      "messages"    {"K": "text"} for the checks K with a message
      "mappings"    one code per maps_to entry in clause order: 1 or 0
                    evidenced, - not linked, n not applicable
      "warnings"    the bundle's warnings, [{"where", "message"}]

    The SQL views (sql/003_compact.sql) read the same format.
*/
#include "assessment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char clause_codes[] = "cmMn";  /* by clause_status_t */
static const char check_codes[] = "pfne";   /* by check_status_t */

static bool add(cJSON *object, const char *key, cJSON *item)
{
    if (!item)
        return false;
    if (!cJSON_AddItemToObjectCS(object, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static cJSON *id_list(const assessment_t *self, size_t offset, size_t count)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; array && i < count; i++) {
        cJSON *id = cJSON_CreateStringReference(self->item_ids[self->indices[offset + i]]);
        if (!id || !cJSON_AddItemToArray(array, id)) {
            cJSON_Delete(id);
            cJSON_Delete(array);
            return NULL;
        }
    }
    return array;
}

static char *code_string(size_t count)
{
    char *text = malloc(count + 1);
    if (text)
        text[count] = '\0';
    return text;
}

static bool put_clauses(const assessment_t *self, cJSON *root)
{
    const catalog_t *catalog = self->catalog;
    char *statuses = code_string(catalog->eff_count);
    char *applicable = code_string(catalog->eff_count);
    cJSON *levels = cJSON_CreateArray();
    bool ok = statuses && applicable && levels;
    for (size_t i = 0; ok && i < catalog->eff_count; i++) {
        const clause_result_t *r = &self->clauses[i];
        statuses[i] = clause_codes[r->status];
        applicable[i] = r->applicable ? '1' : '0';
        ok = cJSON_AddItemToArray(levels, r->has_level
                                              ? cJSON_CreateNumber(assessment_round2(r->level))
                                              : cJSON_CreateNull());
    }
    ok = ok && add(root, "clauses", cJSON_CreateString(statuses))
         && add(root, "applicable", cJSON_CreateString(applicable));
    free(statuses);
    free(applicable);
    if (!ok) {
        cJSON_Delete(levels);
        return false;
    }
    return add(root, "levels", levels);
}

static bool put_checks(const assessment_t *self, cJSON *root)
{
    char *statuses = code_string(self->check_count);
    cJSON *evidence = cJSON_CreateArray();
    cJSON *expired = cJSON_CreateObject();
    cJSON *messages = cJSON_CreateObject();
    bool ok = statuses && evidence && expired && messages;
    for (size_t k = 0; ok && k < self->check_count; k++) {
        const check_result_t *r = &self->checks[k];
        statuses[k] = check_codes[r->status];
        ok = cJSON_AddItemToArray(evidence, id_list(self, r->evidence_offset, r->evidence_count));
        char key[24];
        snprintf(key, sizeof key, "%zu", k);
        if (ok && r->expired_count)
            ok = cJSON_AddItemToObject(expired, key, id_list(self, r->expired_offset, r->expired_count));
        if (ok && r->message)
            ok = cJSON_AddItemToObject(messages, key, cJSON_CreateString(r->message));
    }
    ok = ok && add(root, "checks", cJSON_CreateString(statuses));
    free(statuses);
    if (!ok || !add(root, "evidence", evidence)) {
        cJSON_Delete(expired);
        cJSON_Delete(messages);
        return false;
    }
    if (!add(root, "expired", expired)) {
        cJSON_Delete(messages);
        return false;
    }
    return add(root, "messages", messages);
}

static bool put_rest(const assessment_t *self, cJSON *root)
{
    char *mappings = code_string(self->mapping_count);
    if (!mappings)
        return false;
    for (size_t k = 0; k < self->mapping_count; k++) {
        int evidenced = self->mappings[k].evidenced;
        mappings[k] = evidenced == 1 ? '1' : evidenced == 0 ? '0' : evidenced == -1 ? '-' : 'n';
    }
    bool ok = add(root, "mappings", cJSON_CreateString(mappings));
    free(mappings);
    cJSON *warnings = cJSON_CreateArray();
    for (size_t k = 0; ok && warnings && k < self->warning_count; k++) {
        cJSON *warning = cJSON_CreateObject();
        ok = warning && cJSON_AddItemToArray(warnings, warning)
             && add(warning, "where", cJSON_CreateString(self->warnings[k].where))
             && add(warning, "message", cJSON_CreateString(self->warnings[k].message));
    }
    if (!ok || !warnings) {
        cJSON_Delete(warnings);
        return false;
    }
    return add(root, "warnings", warnings);
}

char *assessment_outcome(const assessment_t *self)
{
    cJSON *root = cJSON_CreateObject();
    bool ok = root && put_clauses(self, root) && put_checks(self, root) && put_rest(self, root);
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

char *assessment_maturity_by_clause(const assessment_t *self)
{
    cJSON *by_clause = assessment_maturity_by_clause_json(self);
    char *text = by_clause ? cJSON_PrintUnformatted(by_clause) : NULL;
    cJSON_Delete(by_clause);
    return text;
}

/* ---- reading an outcome back ----------------------------------------- */

typedef struct {
    assessment_t *assessment;
    size_t pool_size;           /* bytes used in id_pool */
    size_t pool_capacity;
    size_t *offsets;            /* of each distinct id in id_pool */
    size_t id_capacity;
    size_t item_count;          /* distinct ids seen, the new item_ids */
    char *error;
    size_t error_size;
} reader_t;

static bool reject(reader_t *reader, const char *what)
{
    snprintf(reader->error, reader->error_size, "stored outcome does not fit catalog %s: %s",
             reader->assessment->catalog->id, what);
    return false;
}

/* The index of `id` among the ids read so far, adding it if new. Ids are
   kept as offsets (the pool moves as it grows) and become item_ids once
   the whole outcome is read. A check cites few ids and an assessment a
   few hundred, so a linear search costs less than a hash table would. */
static bool intern_id(reader_t *reader, const char *id, size_t *out)
{
    assessment_t *a = reader->assessment;
    size_t *offsets = reader->offsets;
    for (size_t i = 0; i < reader->item_count; i++)
        if (strcmp(a->id_pool + offsets[i], id) == 0) {
            *out = i;
            return true;
        }
    size_t size = strlen(id) + 1;
    if (reader->pool_size + size > reader->pool_capacity) {
        size_t capacity = (reader->pool_capacity + size) * 2;
        char *grown = realloc(a->id_pool, capacity);
        if (!grown)
            return false;
        a->id_pool = grown;
        reader->pool_capacity = capacity;
    }
    if (reader->item_count == reader->id_capacity) {
        size_t capacity = reader->id_capacity ? reader->id_capacity * 2 : 64;
        size_t *grown = realloc(offsets, capacity * sizeof *grown);
        if (!grown)
            return false;
        reader->offsets = offsets = grown;
        reader->id_capacity = capacity;
    }
    memcpy(a->id_pool + reader->pool_size, id, size);
    offsets[reader->item_count] = reader->pool_size;
    reader->pool_size += size;
    *out = reader->item_count++;
    return true;
}

static bool read_ids(reader_t *reader, const cJSON *list, size_t *offset, size_t *count)
{
    assessment_t *a = reader->assessment;
    *offset = a->index_count;
    *count = 0;
    if (!list)
        return true;
    if (!cJSON_IsArray(list))
        return reject(reader, "an evidence list is not an array");
    const cJSON *id;
    cJSON_ArrayForEach(id, list) {
        size_t index;
        if (!cJSON_IsString(id))
            return reject(reader, "an evidence id is not a string");
        if (!intern_id(reader, id->valuestring, &index))
            return reject(reader, "out of memory");
        if (a->index_count == a->index_capacity) {
            size_t capacity = a->index_capacity ? a->index_capacity * 2 : 256;
            size_t *grown = realloc(a->indices, capacity * sizeof *grown);
            if (!grown)
                return reject(reader, "out of memory");
            a->indices = grown;
            a->index_capacity = capacity;
        }
        a->indices[a->index_count++] = index;
        (*count)++;
    }
    return true;
}

static const char *code_field(const cJSON *root, const char *key, size_t expected)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, key));
    return text && strlen(text) == expected ? text : NULL;
}

static bool read_clauses(reader_t *reader, const cJSON *root)
{
    assessment_t *a = reader->assessment;
    size_t n = a->catalog->eff_count;
    const char *statuses = code_field(root, "clauses", n);
    const char *applicable = code_field(root, "applicable", n);
    const cJSON *levels = cJSON_GetObjectItemCaseSensitive(root, "levels");
    if (!statuses || !applicable || !cJSON_IsArray(levels) || (size_t) cJSON_GetArraySize(levels) != n)
        return reject(reader, "clause lists of another length");
    a->clauses = calloc(n ? n : 1, sizeof *a->clauses);
    if (!a->clauses)
        return reject(reader, "out of memory");
    const cJSON *level = levels->child;
    for (size_t i = 0; i < n; i++, level = level->next) {
        const char *code = strchr(clause_codes, statuses[i]);
        if (!code || !*code || (!cJSON_IsNumber(level) && !cJSON_IsNull(level)))
            return reject(reader, "an unknown clause status or level");
        a->clauses[i] = (clause_result_t) {
            .done = true, .applicable = applicable[i] == '1', .has_level = cJSON_IsNumber(level),
            .level = cJSON_IsNumber(level) ? level->valuedouble : 0,
            .status = (clause_status_t) (code - clause_codes),
        };
    }
    return true;
}

static bool read_checks(reader_t *reader, const cJSON *root)
{
    assessment_t *a = reader->assessment;
    const catalog_t *catalog = a->catalog;
    for (size_t i = 0; i < catalog->eff_count; i++)
        a->check_count += catalog->eff[i].check_count;
    const char *statuses = code_field(root, "checks", a->check_count);
    const cJSON *evidence = cJSON_GetObjectItemCaseSensitive(root, "evidence");
    const cJSON *expired = cJSON_GetObjectItemCaseSensitive(root, "expired");
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!statuses || !cJSON_IsArray(evidence)
        || (size_t) cJSON_GetArraySize(evidence) != a->check_count)
        return reject(reader, "check lists of another length");
    a->checks = calloc(a->check_count ? a->check_count : 1, sizeof *a->checks);
    if (!a->checks)
        return reject(reader, "out of memory");
    const cJSON *list = evidence->child;
    size_t k = 0;
    for (size_t i = 0; i < catalog->eff_count; i++)
        for (size_t j = 0; j < catalog->eff[i].check_count; j++, k++, list = list->next) {
            check_result_t *r = &a->checks[k];
            const char *code = strchr(check_codes, statuses[k]);
            if (!code || !*code)
                return reject(reader, "an unknown check status");
            r->clause = i;
            r->check = catalog->eff[i].checks[j];
            r->status = (check_status_t) (code - check_codes);
            char key[24];
            snprintf(key, sizeof key, "%zu", k);
            const char *message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(messages, key));
            if (message && !(r->message = strdup(message)))
                return reject(reader, "out of memory");
            if (!read_ids(reader, list, &r->evidence_offset, &r->evidence_count)
                || !read_ids(reader, cJSON_GetObjectItemCaseSensitive(expired, key),
                             &r->expired_offset, &r->expired_count))
                return false;
        }
    return true;
}

static bool read_rest(reader_t *reader, const cJSON *root)
{
    assessment_t *a = reader->assessment;
    const catalog_t *catalog = a->catalog;
    size_t total = 0;
    for (size_t i = 0; i < catalog->eff_count; i++)
        total += catalog->eff[i].clause->map_count;
    const char *codes = code_field(root, "mappings", total);
    if (!codes)
        return reject(reader, "a mapping list of another length");
    a->mappings = calloc(total ? total : 1, sizeof *a->mappings);
    if (!a->mappings)
        return reject(reader, "out of memory");
    for (size_t i = 0; i < catalog->eff_count; i++)
        for (size_t m = 0; m < catalog->eff[i].clause->map_count; m++) {
            char code = codes[a->mapping_count];
            int evidenced = code == '1' ? 1 : code == '0' ? 0 : code == '-' ? -1 : -2;
            a->mappings[a->mapping_count++] = (mapping_result_t) { i, m, evidenced };
        }
    const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(root, "warnings");
    size_t count = cJSON_IsArray(warnings) ? (size_t) cJSON_GetArraySize(warnings) : 0;
    a->warnings = calloc(count ? count : 1, sizeof *a->warnings);
    if (!a->warnings)
        return reject(reader, "out of memory");
    const cJSON *warning;
    if (!cJSON_IsArray(warnings))
        warnings = NULL;
    cJSON_ArrayForEach(warning, warnings) {
        const char *where = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(warning, "where"));
        const char *message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(warning, "message"));
        warning_t *out = &a->warnings[a->warning_count++];
        out->where = strdup(where ? where : "");
        out->message = strdup(message ? message : "");
        if (!out->where || !out->message)
            return reject(reader, "out of memory");
    }
    return true;
}

static bool copy_head(assessment_t *a, const assessment_head_t *head)
{
    a->unit = strdup(head->unit ? head->unit : "");
    a->unit_name = strdup(head->unit_name ? head->unit_name : a->unit ? a->unit : "");
    a->org = strdup(head->org ? head->org : "");
    snprintf(a->as_of, sizeof a->as_of, "%s", head->as_of ? head->as_of : "");
    return a->unit && a->unit_name && a->org;
}

assessment_t *assessment_from_outcome(const catalog_t *catalog, const assessment_head_t *head,
                                      const char *outcome, size_t length, char *error,
                                      size_t error_size)
{
    assessment_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    a->catalog = catalog;
    reader_t reader = { .assessment = a, .error = error, .error_size = error_size };
    cJSON *root = cJSON_ParseWithLength(outcome, length);
    bool ok = cJSON_IsObject(root) ? true : reject(&reader, "not a JSON object");
    ok = ok && (copy_head(a, head) || reject(&reader, "out of memory"))
         && read_clauses(&reader, root) && read_checks(&reader, root) && read_rest(&reader, root);
    cJSON_Delete(root);
    if (ok) {
        a->item_ids = calloc(reader.item_count ? reader.item_count : 1, sizeof *a->item_ids);
        ok = a->item_ids ? true : reject(&reader, "out of memory");
    }
    for (size_t i = 0; ok && i < reader.item_count; i++)
        a->item_ids[i] = a->id_pool + reader.offsets[i];
    free(reader.offsets);
    if (ok)
        assessment_summarize(a);
    else
        assessment_destroy(&a);
    return a;
}
