/*  broker_check.c - a submission's checks, off the event loop. See
    broker_check.h. The same checks `assay submit` makes, for clients that
    skipped them.
*/
#include "broker_check.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int refuse(broker_check_t *check, const char *text)
{
    check->valid = false;
    check->refusal = strdup(text);
    return -1;
}

int broker_check_submission(const catalog_set_t *catalogs, size_t max_bundle_bytes,
                            const char *standards, const char *key,
                            const char *body, size_t body_size, broker_check_t *check)
{
    memset(check, 0, sizeof *check);
    char error[512];
    if (body_size > max_bundle_bytes) {
        snprintf(error, sizeof error, "bundle of %zu bytes is over the limit of %zu bytes",
                 body_size, max_bundle_bytes);
        return refuse(check, error);
    }
    check->standards = util_standards_resolve(catalogs, standards, error, sizeof error);
    if (!check->standards)
        return refuse(check, error);
    diag_list_t *diags = diag_list_new();
    bundle_limits_t limits = { .max_bytes = max_bundle_bytes };
    bundle_t *bundle = bundle_parse("bundle", body, body_size, catalogs, &limits, diags);
    if (!bundle) {
        char *text = diag_list_format(diags);
        diag_list_destroy(&diags);
        free(check->standards);
        check->standards = NULL;
        int rc = refuse(check, text ? text : "invalid bundle");
        free(text);
        return rc;
    }
    check->unit_id = strdup(bundle_unit_id(bundle));
    bundle_destroy(&bundle);
    diag_list_destroy(&diags);
    if (!check->unit_id) {
        broker_check_clear(check);
        return -1;
    }

    engine_sha256_hex(body, body_size, check->sha256);
    if (key && *key)
        snprintf(check->key, sizeof check->key, "%s", key);
    else {
        /* Default key: unit, standards and exact content, so a scheduler
           that resubmits the same thing gets the same job back. */
        size_t size = strlen(check->unit_id) + strlen(check->standards) + 64 + 3;
        char *material = malloc(size);
        if (!material) {
            broker_check_clear(check);
            return -1;
        }
        snprintf(material, size, "%s\n%s\n%s", check->unit_id, check->standards, check->sha256);
        memcpy(check->key, "sha256:", 7);
        engine_sha256_hex(material, strlen(material), check->key + 7);
        free(material);
    }
    check->valid = true;
    return 0;
}

void broker_check_clear(broker_check_t *check)
{
    free(check->refusal);
    free(check->standards);
    free(check->unit_id);
    memset(check, 0, sizeof *check);
}
