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

/* The outcome is written straight into a growing buffer: it is made once
   per assessment on the workers' hot path, where building a cJSON tree of
   a thousand nodes cost as much as the evaluation. Strings that need no
   escaping (evidence ids nearly always) are copied between quotes; any
   other goes through cJSON's printer, so JSON escaping stays cJSON's. */
typedef struct {
    char *text;
    size_t size;
    size_t capacity;
    bool failed;
} writer_t;

static bool reserve(writer_t *out, size_t more)
{
    if (out->failed)
        return false;
    if (out->size + more + 1 <= out->capacity)
        return true;
    size_t capacity = (out->capacity + more + 1) * 2;
    char *grown = realloc(out->text, capacity);
    if (!grown) {
        out->failed = true;
        return false;
    }
    out->text = grown;
    out->capacity = capacity;
    return true;
}

static void put_raw(writer_t *out, const char *text, size_t length)
{
    if (!reserve(out, length))
        return;
    memcpy(out->text + out->size, text, length);
    out->size += length;
    out->text[out->size] = '\0';
}

static void put_text(writer_t *out, const char *text)
{
    put_raw(out, text, strlen(text));
}

static bool plain(const char *text)
{
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        if (*c < 0x20 || *c == '"' || *c == '\\')
            return false;
    return true;
}

static void put_string(writer_t *out, const char *text)
{
    if (plain(text)) {
        size_t length = strlen(text);
        if (!reserve(out, length + 2))
            return;
        out->text[out->size++] = '"';
        memcpy(out->text + out->size, text, length);
        out->size += length;
        out->text[out->size++] = '"';
        out->text[out->size] = '\0';
        return;
    }
    cJSON *string = cJSON_CreateString(text);
    char *printed = string ? cJSON_PrintUnformatted(string) : NULL;
    if (printed)
        put_text(out, printed);
    else
        out->failed = true;
    free(printed);
    cJSON_Delete(string);
}

/* As cJSON prints a number: the shortest of 15 or 17 digits that reads
   back to the same double. */
static void put_number(writer_t *out, double value)
{
    char text[32];
    snprintf(text, sizeof text, "%1.15g", value);
    if (strtod(text, NULL) != value)
        snprintf(text, sizeof text, "%1.17g", value);
    put_text(out, text);
}

static void put_key(writer_t *out, bool first, const char *key)
{
    if (!first)
        put_raw(out, ",", 1);
    put_string(out, key);
    put_raw(out, ":", 1);
}

/* "KEY":"CODES", one code character per clause, check or mapping. */
static void put_codes(writer_t *out, bool first, const char *key, size_t count,
                      char (*code)(const assessment_t *, size_t), const assessment_t *self)
{
    put_key(out, first, key);
    if (!reserve(out, count + 2))
        return;
    out->text[out->size++] = '"';
    for (size_t i = 0; i < count; i++)
        out->text[out->size++] = code(self, i);
    out->text[out->size++] = '"';
    out->text[out->size] = '\0';
}

static char clause_status_code(const assessment_t *self, size_t i)
{
    return clause_codes[self->clauses[i].status];
}

static char clause_applicable_code(const assessment_t *self, size_t i)
{
    return self->clauses[i].applicable ? '1' : '0';
}

static char check_status_code(const assessment_t *self, size_t i)
{
    return check_codes[self->checks[i].status];
}

static char mapping_code(const assessment_t *self, size_t i)
{
    int evidenced = self->mappings[i].evidenced;
    return evidenced == 1 ? '1' : evidenced == 0 ? '0' : evidenced == -1 ? '-' : 'n';
}

static void put_ids(writer_t *out, const assessment_t *self, size_t offset, size_t count)
{
    put_raw(out, "[", 1);
    for (size_t i = 0; i < count; i++) {
        if (i)
            put_raw(out, ",", 1);
        put_string(out, self->item_ids[self->indices[offset + i]]);
    }
    put_raw(out, "]", 1);
}

static void put_clauses(writer_t *out, const assessment_t *self)
{
    size_t n = self->catalog->eff_count;
    put_codes(out, true, "clauses", n, clause_status_code, self);
    put_codes(out, false, "applicable", n, clause_applicable_code, self);
    put_key(out, false, "levels");
    put_raw(out, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put_raw(out, ",", 1);
        if (self->clauses[i].has_level)
            put_number(out, assessment_round2(self->clauses[i].level));
        else
            put_raw(out, "null", 4);
    }
    put_raw(out, "]", 1);
}

static void put_checks(writer_t *out, const assessment_t *self)
{
    put_codes(out, false, "checks", self->check_count, check_status_code, self);
    put_key(out, false, "evidence");
    put_raw(out, "[", 1);
    for (size_t k = 0; k < self->check_count; k++) {
        if (k)
            put_raw(out, ",", 1);
        put_ids(out, self, self->checks[k].evidence_offset, self->checks[k].evidence_count);
    }
    put_raw(out, "]", 1);
    /* expired and messages: objects keyed by the check's index */
    for (int pass = 0; pass < 2; pass++) {
        put_key(out, false, pass == 0 ? "expired" : "messages");
        put_raw(out, "{", 1);
        bool first = true;
        for (size_t k = 0; k < self->check_count; k++) {
            const check_result_t *r = &self->checks[k];
            if (pass == 0 ? r->expired_count == 0 : r->message == NULL)
                continue;
            char key[24];
            snprintf(key, sizeof key, "%zu", k);
            put_key(out, first, key);
            first = false;
            if (pass == 0)
                put_ids(out, self, r->expired_offset, r->expired_count);
            else
                put_string(out, r->message);
        }
        put_raw(out, "}", 1);
    }
}

static void put_rest(writer_t *out, const assessment_t *self)
{
    put_codes(out, false, "mappings", self->mapping_count, mapping_code, self);
    put_key(out, false, "warnings");
    put_raw(out, "[", 1);
    for (size_t k = 0; k < self->warning_count; k++) {
        put_raw(out, k ? ",{" : "{", k ? 2 : 1);
        put_key(out, true, "where");
        put_string(out, self->warnings[k].where);
        put_key(out, false, "message");
        put_string(out, self->warnings[k].message);
        put_raw(out, "}", 1);
    }
    put_raw(out, "]", 1);
}

char *assessment_outcome(const assessment_t *self)
{
    writer_t out = { 0 };
    put_raw(&out, "{", 1);
    put_clauses(&out, self);
    put_checks(&out, self);
    put_rest(&out, self);
    put_raw(&out, "}", 1);
    if (out.failed) {
        free(out.text);
        return NULL;
    }
    return out.text;
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
