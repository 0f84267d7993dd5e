/*  result.c - the canonical result document of an assessment (see
    engine.h): built from arrays in catalog order with numbers rounded to
    2 decimals, so the same inputs always print byte-identically.
*/
#include "assessment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const check_status_names[] = { "pass", "fail", "not_applicable", "error" };
static const char *const clause_status_names[] = { "conformant", "minor_nc", "major_nc", "not_applicable" };
static const char *const severity_names[] = { "major", "minor", "observation" };

double assessment_round2(double x)
{
    double r = round(x * 100.0) / 100.0;
    return r == 0 ? 0 : r;      /* never print -0 */
}

double assessment_weighted_mean(const catalog_t *catalog, const clause_result_t *results,
                                const size_t *indices, size_t count, bool *any)
{
    double weights = 0, sum = 0;
    *any = false;
    for (size_t k = 0; k < count; k++) {
        size_t j = indices ? indices[k] : k;
        if (catalog->eff[j].check_count == 0 || !results[j].applicable)
            continue;
        *any = true;
        weights += catalog->eff[j].clause->weight;
        sum += catalog->eff[j].clause->weight * results[j].level;
    }
    return *any ? assessment_round2(sum / weights) : 0;
}

void assessment_summarize(assessment_t *a)
{
    const catalog_t *catalog = a->catalog;
    bool any;
    a->maturity = assessment_weighted_mean(catalog, a->clauses, NULL, catalog->eff_count, &any);
    a->major_nc = a->minor_nc = a->observations = 0;
    for (size_t i = 0; i < catalog->eff_count; i++) {
        if (catalog->eff[i].check_count == 0)
            continue;
        a->major_nc += a->clauses[i].status == STATUS_MAJOR_NC;
        a->minor_nc += a->clauses[i].status == STATUS_MINOR_NC;
    }
    for (size_t k = 0; k < a->check_count; k++)
        a->observations += a->checks[k].check->severity == SEVERITY_OBSERVATION
                           && (a->checks[k].status == CHECK_FAIL || a->checks[k].status == CHECK_ERROR);
    a->readiness = !catalog->certifiable ? "n/a"
                   : a->major_nc ? "not_ready"
                   : a->minor_nc ? "conditional" : "ready";
}

cJSON *assessment_maturity_by_clause_json(const assessment_t *self)
{
    const catalog_t *catalog = self->catalog;
    cJSON *by_clause = cJSON_CreateObject();
    for (size_t i = 0; by_clause && i < catalog->eff_count; i++) {
        const eclause_t *entry = &catalog->eff[i];
        if (entry->parent >= 0)
            continue;
        bool any;
        double mean = assessment_weighted_mean(catalog, self->clauses, entry->subtree,
                                               entry->subtree_count, &any);
        if (any)
            cJSON_AddNumberToObject(by_clause, entry->clause->id, mean);
    }
    return by_clause;
}

/* ---- result document ------------------------------------------------------------- */

/* Keys are string literals added with cJSON's *CS variants: no copy per
   key, about half the allocations of a result document. cJSON_Delete and
   cJSON_Duplicate both honour constant keys. */
static void put(cJSON *object, const char *key, cJSON *item)
{
    if (item && !cJSON_AddItemToObjectCS(object, key, item))
        cJSON_Delete(item);
}

static void put_string(cJSON *object, const char *key, const char *value)
{
    put(object, key, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

/* A value from the static name tables (statuses, severities, readiness):
   referenced, not copied, as the keys are; the strings live as long as
   the program, so the document may outlive everything else. */
static void put_name(cJSON *object, const char *key, const char *name)
{
    put(object, key, name ? cJSON_CreateStringReference(name) : cJSON_CreateNull());
}

static void put_number(cJSON *object, const char *key, double value)
{
    put(object, key, cJSON_CreateNumber(value));
}

static void put_bool(cJSON *object, const char *key, bool value)
{
    put(object, key, cJSON_CreateBool(value));
}

static cJSON *put_container(cJSON *object, const char *key, cJSON *container)
{
    if (!container || !cJSON_AddItemToObjectCS(object, key, container)) {
        cJSON_Delete(container);
        return NULL;
    }
    return container;
}

static cJSON *id_array(const assessment_t *self, size_t offset, size_t count)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; array && i < count; i++)
        cJSON_AddItemToArray(array, cJSON_CreateString(self->item_ids[self->indices[offset + i]]));
    return array;
}

cJSON *assessment_to_json(const assessment_t *self)
{
    const catalog_t *catalog = self->catalog;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    put_string(root, "unit", self->unit);
    put_string(root, "unit_name", self->unit_name);
    put_string(root, "org", self->org);
    put_string(root, "standard", catalog->id);
    put_string(root, "edition", catalog->edition);
    put_string(root, "catalog_sha256", catalog->sha256);
    put_string(root, "as_of", self->as_of);
    put_number(root, "maturity", assessment_round2(self->maturity));

    put(root, "maturity_by_clause", assessment_maturity_by_clause_json(self));
    put_name(root, "readiness", self->readiness);
    put_number(root, "major_nc", self->major_nc);
    put_number(root, "minor_nc", self->minor_nc);
    put_number(root, "observations", self->observations);

    cJSON *clauses = put_container(root, "clauses", cJSON_CreateArray());
    for (size_t i = 0; i < catalog->eff_count; i++) {
        const eclause_t *entry = &catalog->eff[i];
        const clause_result_t *r = &self->clauses[i];
        cJSON *clause = cJSON_CreateObject();
        cJSON_AddItemToArray(clauses, clause);
        put_string(clause, "id", entry->clause->id);
        put_string(clause, "title", entry->clause->title ? entry->clause->title : "");
        put_string(clause, "parent", entry->clause->parent);
        put_bool(clause, "assessed", entry->check_count > 0);
        put_bool(clause, "applicable", r->applicable);
        if (r->has_level)
            put_number(clause, "level", assessment_round2(r->level));
        else
            put(clause, "level", cJSON_CreateNull());
        put_name(clause, "status", clause_status_names[r->status]);
        put_number(clause, "weight", assessment_round2(entry->clause->weight));
    }

    cJSON *checks = put_container(root, "checks", cJSON_CreateArray());
    for (size_t k = 0; k < self->check_count; k++) {
        const check_result_t *r = &self->checks[k];
        cJSON *check = cJSON_CreateObject();
        cJSON_AddItemToArray(checks, check);
        put_string(check, "id", r->check->id);
        put_string(check, "clause", catalog->eff[r->clause].clause->id);
        put_number(check, "level", r->check->level);
        put_name(check, "severity", severity_names[r->check->severity]);
        put_name(check, "status", check_status_names[r->status]);
        put(check, "evidence", id_array(self, r->evidence_offset, r->evidence_count));
        put(check, "expired", id_array(self, r->expired_offset, r->expired_count));
        put_string(check, "message", r->message);
    }

    cJSON *findings = put_container(root, "findings", cJSON_CreateArray());
    for (size_t k = 0; k < self->check_count; k++) {
        const check_result_t *r = &self->checks[k];
        if (r->status != CHECK_FAIL && r->status != CHECK_ERROR)
            continue;
        cJSON *finding = cJSON_CreateObject();
        cJSON_AddItemToArray(findings, finding);
        put_string(finding, "clause", catalog->eff[r->clause].clause->id);
        put_string(finding, "check", r->check->id);
        put_name(finding, "severity", severity_names[r->check->severity]);
        put_string(finding, "text", r->check->text);
        put(finding, "evidence", id_array(self, r->evidence_offset, r->evidence_count));
    }

    cJSON *mappings = put_container(root, "mappings", cJSON_CreateArray());
    for (size_t k = 0; k < self->mapping_count; k++) {
        const mapping_result_t *r = &self->mappings[k];
        cJSON *mapping = cJSON_CreateObject();
        cJSON_AddItemToArray(mappings, mapping);
        put_string(mapping, "clause", catalog->eff[r->clause].clause->id);
        put_string(mapping, "target", catalog->eff[r->clause].clause->maps_to[r->map]);
        if (r->evidenced < 0)
            put(mapping, "evidenced", cJSON_CreateNull());
        if (r->evidenced == -2)
            put_bool(mapping, "applicable", false);
        if (r->evidenced >= 0)
            put_bool(mapping, "evidenced", r->evidenced);
    }

    cJSON *warnings = put_container(root, "warnings", cJSON_CreateArray());
    for (size_t k = 0; k < self->warning_count; k++) {
        cJSON *warning = cJSON_CreateObject();
        cJSON_AddItemToArray(warnings, warning);
        put_string(warning, "where", self->warnings[k].where);
        put_string(warning, "message", self->warnings[k].message);
    }
    return root;
}

const catalog_t *assessment_catalog(const assessment_t *self) { return self->catalog; }
const char *assessment_unit(const assessment_t *self) { return self->unit; }
const char *assessment_unit_name(const assessment_t *self) { return self->unit_name; }
const char *assessment_org(const assessment_t *self) { return self->org; }
const char *assessment_as_of(const assessment_t *self) { return self->as_of; }

/* ---- the catalog's layout, for the SQL views ---------------------------- */

cJSON *catalog_layout_json(const catalog_t *self)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *clauses = put_container(root, "clauses", cJSON_CreateArray());
    cJSON *checks = put_container(root, "checks", cJSON_CreateArray());
    if (!root || !clauses || !checks) {
        cJSON_Delete(root);
        return NULL;
    }
    for (size_t i = 0; i < self->eff_count; i++) {
        const eclause_t *entry = &self->eff[i];
        cJSON *clause = cJSON_CreateObject();
        cJSON_AddItemToArray(clauses, clause);
        put_string(clause, "id", entry->clause->id);
        put_string(clause, "parent", entry->clause->parent);
        put_string(clause, "title", entry->clause->title ? entry->clause->title : "");
        put_bool(clause, "assessed", entry->check_count > 0);
        put_number(clause, "weight", assessment_round2(entry->clause->weight));
        for (size_t j = 0; j < entry->check_count; j++) {
            const check_t *check = entry->checks[j];
            cJSON *item = cJSON_CreateObject();
            cJSON_AddItemToArray(checks, item);
            put_string(item, "id", check->id);
            put_string(item, "clause", entry->clause->id);
            put_number(item, "level", check->level);
            put_string(item, "severity", severity_names[check->severity]);
            put_string(item, "text", check->text);
        }
    }
    return root;
}
