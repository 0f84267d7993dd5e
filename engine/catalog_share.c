/*  catalog_share.c - which checks of a catalog set are the same rule.

    Catalogs repeat rules: about a quarter of the bundled checks have the
    applies_if and expr of another check (iso27002 and iso27032 ask for
    the same controls, iso13485 and iso9001 for the same procedures). An
    expression compiles from its JSON alone (expr_compile sees no catalog),
    and evaluates on the bundle alone, so two checks whose applies_if and
    expr are the same JSON give the same status, message and explanation
    on any bundle. catalog_set_link points each check at the first such
    check of the set (check_t.shared); an evaluation session (session.c)
    keys its outcomes by that check, so it evaluates the rule once.

    "The same JSON" is strict: same types, same member names in the same
    order, numbers bit for bit, strings byte for byte; anything less only
    means no sharing.
*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t hash, const void *data, size_t length)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ bytes[i]) * 1099511628211ull;
    return hash;
}

static uint64_t json_hash(const cJSON *json, uint64_t hash)
{
    if (!json)
        return mix(hash, "-", 1);
    unsigned char type = (unsigned char) (json->type & 0xFF);
    hash = mix(hash, &type, 1);
    if (json->string)
        hash = mix(hash, json->string, strlen(json->string) + 1);
    if (cJSON_IsNumber(json))
        hash = mix(hash, &json->valuedouble, sizeof json->valuedouble);
    else if (cJSON_IsString(json) || cJSON_IsRaw(json))
        hash = mix(hash, json->valuestring, strlen(json->valuestring) + 1);
    for (const cJSON *child = json->child; child; child = child->next)
        hash = json_hash(child, hash);
    return mix(hash, ".", 1);
}

static bool json_same(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return false;
    if (cJSON_IsNumber(a))
        return memcmp(&a->valuedouble, &b->valuedouble, sizeof a->valuedouble) == 0;
    if (cJSON_IsString(a) || cJSON_IsRaw(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (!cJSON_IsArray(a) && !cJSON_IsObject(a))
        return true;    /* null, true, false */
    for (a = a->child, b = b->child; a && b; a = a->next, b = b->next) {
        if ((a->string || b->string)
            && (!a->string || !b->string || strcmp(a->string, b->string) != 0))
            return false;
        if (!json_same(a, b))
            return false;
    }
    return a == b;
}

static const cJSON *rule_part(const check_t *check, const char *name)
{
    return check->json ? cJSON_GetObjectItemCaseSensitive(check->json, name) : NULL;
}

void catalog_unshare_checks(catalog_t *catalog)
{
    for (size_t i = 0; i < catalog->clause_count; i++)
        for (size_t j = 0; j < catalog->clauses[i].check_count; j++)
            catalog->clauses[i].checks[j].shared = NULL;
}

void catalog_share_checks(catalog_t *const *catalogs, size_t count)
{
    size_t total = 0;
    for (size_t c = 0; c < count; c++) {
        catalog_unshare_checks(catalogs[c]);
        for (size_t i = 0; i < catalogs[c]->clause_count; i++)
            total += catalogs[c]->clauses[i].check_count;
    }
    size_t mask = 15;
    while (mask + 1 < 2 * total)
        mask = 2 * mask + 1;
    check_t **table = calloc(mask + 1, sizeof *table);
    uint64_t *hashes = calloc(mask + 1, sizeof *hashes);
    if (!table || !hashes) {
        free(table);    /* no sharing: every check is its own */
        free(hashes);
        return;
    }
    for (size_t c = 0; c < count; c++)
        for (size_t i = 0; i < catalogs[c]->clause_count; i++)
            for (size_t j = 0; j < catalogs[c]->clauses[i].check_count; j++) {
                check_t *check = &catalogs[c]->clauses[i].checks[j];
                if (!check->json || !check->expr)
                    continue;
                const cJSON *condition = rule_part(check, "applies_if");
                const cJSON *expr = rule_part(check, "expr");
                uint64_t hash = json_hash(expr, json_hash(condition, 14695981039346656037ull));
                size_t slot = (size_t) (hash ^ (hash >> 32)) & mask;
                for (; table[slot]; slot = (slot + 1) & mask)
                    if (hashes[slot] == hash
                        && json_same(rule_part(table[slot], "applies_if"), condition)
                        && json_same(rule_part(table[slot], "expr"), expr))
                        break;
                if (!table[slot]) {
                    table[slot] = check;
                    hashes[slot] = hash;
                }
                check->shared = table[slot];
            }
    free(table);
    free(hashes);
}
