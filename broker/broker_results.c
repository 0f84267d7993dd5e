/*  broker_results.c - result documents from stored outcomes. See
    broker_results.h.
*/
#include "broker_results.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _broker_results_t {
    const catalog_set_t *catalogs;
    zhashx_t *historic;     /* sha256 -> catalog_set_t * compiled from stored sources */
};

static void set_destructor(void **item)
{
    catalog_set_destroy((catalog_set_t **) item);
}

broker_results_t *broker_results_new(const catalog_set_t *catalogs)
{
    broker_results_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->catalogs = catalogs;
    self->historic = zhashx_new();
    if (!self->historic) {
        free(self);
        return NULL;
    }
    zhashx_set_destructor(self->historic, set_destructor);
    return self;
}

void broker_results_destroy(broker_results_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->historic);
    free(*self_p);
    *self_p = NULL;
}

/* A set made of the stored catalog and the broker's others (a catalog
   that extends another needs its base), or NULL. */
static catalog_set_t *compile_historic(const broker_results_t *self, const char *source)
{
    catalog_set_t *set = catalog_set_new();
    diag_list_t *diags = diag_list_new();
    bool ok = set && diags;
    for (size_t i = 0; ok && i < catalog_set_size(self->catalogs); i++) {
        const catalog_t *catalog = catalog_set_at(self->catalogs, i);
        ok = catalog_set_add(set, catalog_id(catalog), catalog_source(catalog),
                             strlen(catalog_source(catalog)), diags) == 0;
    }
    /* Added last: it replaces the broker's catalog of the same id. */
    ok = ok && catalog_set_add(set, "stored catalog", source, strlen(source), diags) == 0
         && catalog_set_link(set, diags) == 0;
    diag_list_destroy(&diags);
    if (!ok)
        catalog_set_destroy(&set);
    return set;
}

static const catalog_t *find_catalog(broker_results_t *self, broker_db_t *db,
                                     const char *standard, const char *sha256)
{
    const catalog_t *current = catalog_set_find(self->catalogs, standard);
    if (current && strcmp(catalog_sha256(current), sha256) == 0)
        return current;
    catalog_set_t *set = zhashx_lookup(self->historic, sha256);
    if (!set) {
        char *source = broker_db_catalog_source(db, sha256);
        set = source ? compile_historic(self, source) : NULL;
        free(source);
        if (!set)
            return NULL;
        zhashx_insert(self->historic, sha256, set);
    }
    const catalog_t *catalog = catalog_set_find(set, standard);
    return catalog && strcmp(catalog_sha256(catalog), sha256) == 0 ? catalog : NULL;
}

static const char *field(const cJSON *object, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, key));
}

static cJSON *error_document(const char *unit, const char *standard, const char *error)
{
    cJSON *document = cJSON_CreateObject();
    cJSON_AddStringToObject(document, "unit", unit ? unit : "");
    cJSON_AddStringToObject(document, "standard", standard ? standard : "");
    cJSON_AddStringToObject(document, "error", error);
    return document;
}

/* The document of one placeholder; its overrides and effective verdict
   move after the document's own keys. */
static cJSON *inflate(broker_results_t *self, broker_db_t *db, cJSON *placeholder)
{
    const cJSON *stored = cJSON_GetObjectItemCaseSensitive(placeholder, "$outcome");
    const char *standard = field(stored, "standard"), *sha256 = field(stored, "catalog_sha256");
    const char *outcome = field(stored, "outcome");
    assessment_head_t head = { field(stored, "unit"), field(stored, "unit_name"),
                               field(stored, "org"), field(stored, "as_of") };
    const catalog_t *catalog = standard && sha256 ? find_catalog(self, db, standard, sha256) : NULL;
    char error[512];
    if (!catalog) {
        snprintf(error, sizeof error, "catalog %s (sha256 %s) of this assessment is not available",
                 standard ? standard : "?", sha256 ? sha256 : "?");
        return error_document(head.unit, standard, error);
    }
    assessment_t *assessment = outcome ? assessment_from_outcome(catalog, &head, outcome,
                                                                 strlen(outcome), error, sizeof error)
                                       : NULL;
    if (!assessment)
        return error_document(head.unit, standard, outcome ? error : "no outcome stored");
    cJSON *document = assessment_to_json(assessment);
    assessment_destroy(&assessment);
    if (!document)
        return NULL;
    static const char *const beside[] = { "overrides", "effective" };
    for (size_t i = 0; i < 2; i++) {
        cJSON *item = cJSON_DetachItemFromObjectCaseSensitive(placeholder, beside[i]);
        if (item && !cJSON_IsNull(item))
            cJSON_AddItemToObject(document, beside[i], item);
        else
            cJSON_Delete(item);
    }
    return document;
}

char *broker_results_inflate(broker_results_t *self, broker_db_t *db, char *page)
{
    if (!strstr(page, "\"$outcome\""))
        return page;
    cJSON *root = cJSON_Parse(page);
    if (!root)
        return page;    /* not ours to judge: served as the database gave it */
    bool ok = true;
    const cJSON *job;
    cJSON_ArrayForEach(job, cJSON_GetObjectItemCaseSensitive(root, "jobs")) {
        cJSON *assessments = cJSON_GetObjectItemCaseSensitive(job, "assessments");
        cJSON *item = assessments ? assessments->child : NULL;
        for (int index = 0; ok && item; index++) {
            cJSON *next = item->next;
            if (cJSON_GetObjectItemCaseSensitive(item, "$outcome")) {
                cJSON *document = inflate(self, db, item);
                ok = document && cJSON_ReplaceItemInArray(assessments, index, document);
            }
            item = next;
        }
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    free(page);
    return text;
}
