/*  assess.c - assessment_t: evaluating a bundle against a compiled catalog,
    scoring (check -> clause -> heading -> standard), explanations, and the
    canonical result document.

    An assessment copies what it needs from the bundle (unit, item ids,
    warnings), so it outlives the bundle; it borrows the catalog, which
    lives as long as the catalog set. The result document is built from
    arrays in catalog order with numbers rounded to 2 decimals, so the same
    inputs always print byte-identically.
*/
#include "assessment.h"
#include "date.h"
#include "expr.h"
#include "session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-catalog evaluation state (the assessed catalog, and any catalog
   that mapping targets point into). */
typedef struct {
    const catalog_t *catalog;
    clause_result_t *results;
    applicability_t *applicability;
    long *error_source;         /* clause whose applies_if failed, for APP_ERROR */
    char **errors;              /* message at the failing clause */
} catalog_state_t;

typedef struct {
    assessment_t *assessment;
    engine_session_t *session;  /* evaluates each check once per bundle (session.h) */
    catalog_state_t main;
    catalog_state_t *targets;
    size_t target_count;
    bool oom;
} context_t;

static bool state_init(catalog_state_t *state, const catalog_t *catalog)
{
    size_t n = catalog->eff_count ? catalog->eff_count : 1;
    state->catalog = catalog;
    state->results = calloc(n, sizeof *state->results);
    state->applicability = calloc(n, sizeof *state->applicability);
    state->error_source = calloc(n, sizeof *state->error_source);
    state->errors = calloc(n, sizeof *state->errors);
    return state->results && state->applicability && state->error_source && state->errors;
}

static void state_free(catalog_state_t *state)
{
    for (size_t i = 0; state->errors && i < state->catalog->eff_count; i++)
        free(state->errors[i]);
    free(state->errors);
    free(state->error_source);
    free(state->applicability);
    free(state->results);
}

/* A clause applies when its applies_if holds and its parent applies; an
   applies_if that fails to evaluate poisons the subtree with errors
   rather than silently skipping it. */
static applicability_t applicability(context_t *ctx, catalog_state_t *state, size_t index)
{
    if (state->applicability[index] != APP_UNKNOWN)
        return state->applicability[index];
    const eclause_t *entry = &state->catalog->eff[index];
    state->applicability[index] = APP_YES;     /* provisional; parents never cycle after link */
    applicability_t result = APP_YES;
    if (entry->parent >= 0) {
        result = applicability(ctx, state, (size_t) entry->parent);
        if (result == APP_ERROR)
            state->error_source[index] = state->error_source[entry->parent];
    }
    if (result == APP_YES && entry->clause->applies_if) {
        const char *error = NULL;
        bool oom = false;
        int r = session_test(ctx->session, entry->clause->applies_if, &error, &oom);
        if (r < 0) {
            if (oom)
                ctx->oom = true;
            size_t size = strlen(error) + strlen(entry->clause->id) + 40;
            state->errors[index] = malloc(size);
            if (state->errors[index])
                snprintf(state->errors[index], size, "applies_if of clause %s: %s", entry->clause->id,
                         error);
            state->error_source[index] = (long) index;
            result = APP_ERROR;
        } else if (r == 0)
            result = APP_NO;
    }
    state->applicability[index] = result;
    return result;
}

static bool add_indices(context_t *ctx, const size_t *values, size_t count, size_t *offset)
{
    assessment_t *a = ctx->assessment;
    *offset = a->index_count;
    if (count == 0)
        return true;    /* nothing to copy, and indices may still be NULL */
    if (a->index_count + count > a->index_capacity) {
        size_t capacity = a->index_capacity ? a->index_capacity : 64;
        while (capacity < a->index_count + count)
            capacity *= 2;
        size_t *grown = realloc(a->indices, capacity * sizeof *grown);
        if (!grown)
            return false;
        a->indices = grown;
        a->index_capacity = capacity;
    }
    memcpy(a->indices + a->index_count, values, count * sizeof *values);
    a->index_count += count;
    return true;
}

/* One check, once its clause applies to the unit. With `result` given,
   the message and explanation are recorded (the assessed catalog);
   mapping targets only need status. The evaluation itself is the
   session's, done once per bundle whichever catalog asks first. */
static check_status_t run_check(context_t *ctx, catalog_state_t *state, size_t clause,
                                const check_t *check, check_result_t *result)
{
    applicability_t app = applicability(ctx, state, clause);
    if (app == APP_NO)
        return CHECK_NOT_APPLICABLE;
    if (app == APP_ERROR) {
        const char *message = state->errors[state->error_source[clause]];
        if (result)
            result->message = strdup(message ? message : "applies_if failed");
        return CHECK_ERROR;
    }
    const check_outcome_t *outcome = session_check(ctx->session, check);
    if (!outcome || outcome->oom) {
        ctx->oom = true;
        return CHECK_ERROR;
    }
    if (result) {
        if (outcome->message)
            result->message = strdup(outcome->message);
        if (outcome->explained) {
            if (!add_indices(ctx, outcome->evidence, outcome->evidence_count,
                             &result->evidence_offset)
                || !add_indices(ctx, outcome->expired, outcome->expired_count,
                                &result->expired_offset))
                ctx->oom = true;
            result->evidence_count = outcome->evidence_count;
            result->expired_count = outcome->expired_count;
        }
    }
    return outcome->status;
}

/* Level and status of a clause with checks, from its checks' statuses. */
static void score_clause(const eclause_t *entry, const check_status_t *statuses, clause_result_t *out)
{
    bool any = false;
    clause_status_t status = STATUS_CONFORMANT;
    for (size_t j = 0; j < entry->check_count; j++) {
        if (statuses[j] == CHECK_NOT_APPLICABLE)
            continue;
        any = true;
        if (statuses[j] == CHECK_FAIL || statuses[j] == CHECK_ERROR) {
            severity_t severity = entry->checks[j]->severity;
            if (severity == SEVERITY_MAJOR)
                status = STATUS_MAJOR_NC;
            else if (severity == SEVERITY_MINOR && status != STATUS_MAJOR_NC)
                status = STATUS_MINOR_NC;
        }
    }
    out->done = true;
    if (!any) {
        out->applicable = false;
        out->has_level = false;
        out->status = STATUS_NOT_APPLICABLE;
        return;
    }
    /* highest L such that every applicable check of level <= L passes */
    int level = 0;
    for (int l = 1; l <= 5; l++) {
        bool present = false, all_pass = true;
        for (size_t j = 0; j < entry->check_count; j++)
            if (statuses[j] != CHECK_NOT_APPLICABLE && entry->checks[j]->level == l) {
                present = true;
                all_pass = all_pass && statuses[j] == CHECK_PASS;
            }
        if (!present)
            continue;
        if (!all_pass)
            break;
        level = l;
    }
    out->applicable = true;
    out->has_level = true;
    out->level = level;
    out->status = status;
}

/* For mapping targets: evaluate an assessed clause once, statuses only. */
static void ensure_assessed(context_t *ctx, catalog_state_t *state, size_t index)
{
    clause_result_t *result = &state->results[index];
    const eclause_t *entry = &state->catalog->eff[index];
    if (result->done || entry->check_count == 0)
        return;
    check_status_t small[32];
    check_status_t *statuses = entry->check_count <= 32 ? small
                                                        : malloc(entry->check_count * sizeof *statuses);
    if (!statuses) {
        ctx->oom = true;
        return;
    }
    for (size_t j = 0; j < entry->check_count; j++)
        statuses[j] = run_check(ctx, state, index, entry->checks[j], NULL);
    score_clause(entry, statuses, result);
    if (statuses != small)
        free(statuses);
}

/* A heading: weighted mean level and worst status of the applicable
   assessed clauses below it. */
static void score_heading(const catalog_state_t *state, size_t index, clause_result_t *out)
{
    const eclause_t *entry = &state->catalog->eff[index];
    double weights = 0, sum = 0;
    clause_status_t worst = STATUS_CONFORMANT;
    bool any = false;
    for (size_t k = 0; k < entry->subtree_count; k++) {
        size_t j = entry->subtree[k];
        const clause_result_t *r = &state->results[j];
        if (j == index || state->catalog->eff[j].check_count == 0 || !r->applicable)
            continue;
        any = true;
        double w = state->catalog->eff[j].clause->weight;
        weights += w;
        sum += w * r->level;
        if (r->status > worst)
            worst = r->status;
    }
    out->done = true;
    out->applicable = any;
    out->has_level = any;
    out->level = any ? assessment_round2(sum / weights) : 0;
    out->status = any ? worst : STATUS_NOT_APPLICABLE;
}

static catalog_state_t *target_state(context_t *ctx, const catalog_t *catalog)
{
    if (catalog == ctx->main.catalog)
        return &ctx->main;
    for (size_t i = 0; i < ctx->target_count; i++)
        if (ctx->targets[i].catalog == catalog)
            return &ctx->targets[i];
    catalog_state_t *grown = realloc(ctx->targets, (ctx->target_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    ctx->targets = grown;
    catalog_state_t *state = &ctx->targets[ctx->target_count];
    memset(state, 0, sizeof *state);
    if (!state_init(state, catalog)) {
        state_free(state);
        return NULL;
    }
    ctx->target_count++;
    return state;
}

/* A mapped clause is evidenced when it (or, for a heading, every
   applicable assessed clause below it) reaches at least level 1 with
   this bundle; -2 when it (or everything below it) does not apply. */
static int evidenced(context_t *ctx, const map_target_t *target)
{
    if (!target->catalog)
        return -1;
    catalog_state_t *state = target_state(ctx, target->catalog);
    if (!state) {
        ctx->oom = true;
        return 0;
    }
    const eclause_t *entry = &target->catalog->eff[target->index];
    bool any = false, all = true;
    for (size_t k = 0; k < entry->subtree_count; k++) {
        size_t j = entry->subtree[k];
        if (target->catalog->eff[j].check_count == 0)
            continue;
        ensure_assessed(ctx, state, j);
        const clause_result_t *r = &state->results[j];
        if (!r->applicable)
            continue;
        any = true;
        all = all && r->level >= 1;
    }
    return !any ? -2 : all;
}

static bool copy_bundle(assessment_t *a, const bundle_t *bundle)
{
    a->unit = strdup(bundle->unit_id);
    a->unit_name = strdup(bundle->unit_name ? bundle->unit_name : bundle->unit_id);
    a->org = strdup(bundle->org ? bundle->org : "");
    memcpy(a->as_of, bundle->as_of, sizeof a->as_of);
    size_t pool = 0;
    for (size_t i = 0; i < bundle->item_count; i++)
        pool += strlen(bundle->items[i].id) + 1;
    a->id_pool = malloc(pool ? pool : 1);
    a->item_ids = calloc(bundle->item_count ? bundle->item_count : 1, sizeof *a->item_ids);
    if (!a->unit || !a->unit_name || !a->org || !a->id_pool || !a->item_ids)
        return false;
    char *cursor = a->id_pool;
    for (size_t i = 0; i < bundle->item_count; i++) {
        size_t size = strlen(bundle->items[i].id) + 1;
        memcpy(cursor, bundle->items[i].id, size);
        a->item_ids[i] = cursor;
        cursor += size;
    }
    const diag_list_t *warnings = bundle_warnings(bundle);
    size_t count = diag_list_size(warnings);
    a->warnings = calloc(count ? count : 1, sizeof *a->warnings);
    if (!a->warnings)
        return false;
    for (size_t i = 0; i < count; i++) {
        const diag_t *diag = diag_list_at(warnings, i);
        a->warnings[i].where = strdup(diag->where ? diag->where : "");
        a->warnings[i].message = strdup(diag->message ? diag->message : "");
        a->warning_count++;
        if (!a->warnings[i].where || !a->warnings[i].message)
            return false;
    }
    return true;
}

assessment_t *engine_assess(const catalog_t *catalog, const bundle_t *bundle)
{
    if (!catalog || !bundle)
        return NULL;
    engine_session_t *session = engine_session_new(bundle);
    assessment_t *a = session ? engine_session_assess(session, catalog) : NULL;
    engine_session_destroy(&session);
    return a;
}

assessment_t *engine_session_assess(engine_session_t *session, const catalog_t *catalog)
{
    if (!session || !catalog)
        return NULL;
    const bundle_t *bundle = session_bundle(session);
    assessment_t *a = calloc(1, sizeof *a);
    context_t ctx = { .assessment = a, .session = session };
    if (!a)
        return NULL;
    a->catalog = catalog;
    size_t n = catalog->eff_count;
    for (size_t i = 0; i < n; i++)
        a->check_count += catalog->eff[i].check_count;
    a->checks = calloc(a->check_count ? a->check_count : 1, sizeof *a->checks);
    bool ok = copy_bundle(a, bundle) && a->checks && state_init(&ctx.main, catalog);
    a->clauses = ctx.main.results;

    /* clauses with checks, in catalog order */
    size_t c = 0;
    check_status_t *statuses = NULL;
    for (size_t i = 0; ok && i < n; i++) {
        const eclause_t *entry = &catalog->eff[i];
        applicability(&ctx, &ctx.main, i);
        if (entry->check_count == 0)
            continue;
        check_status_t *grown = realloc(statuses, entry->check_count * sizeof *statuses);
        if (!grown) {
            ok = false;
            break;
        }
        statuses = grown;
        for (size_t j = 0; j < entry->check_count; j++, c++) {
            check_result_t *result = &a->checks[c];
            result->clause = i;
            result->check = entry->checks[j];
            result->status = statuses[j] = run_check(&ctx, &ctx.main, i, entry->checks[j], result);
        }
        score_clause(entry, statuses, &ctx.main.results[i]);
    }
    free(statuses);
    /* headings, once every assessed clause is scored */
    for (size_t i = 0; ok && i < n; i++)
        if (catalog->eff[i].check_count == 0)
            score_heading(&ctx.main, i, &ctx.main.results[i]);

    size_t mapping_total = 0;
    for (size_t i = 0; i < n; i++)
        mapping_total += catalog->eff[i].clause->map_count;
    a->mappings = calloc(mapping_total ? mapping_total : 1, sizeof *a->mappings);
    ok = ok && a->mappings;
    for (size_t i = 0; ok && i < n; i++)
        for (size_t m = 0; m < catalog->eff[i].clause->map_count; m++)
            a->mappings[a->mapping_count++] = (mapping_result_t) {
                i, m, evidenced(&ctx, &catalog->eff[i].maps[m])
            };

    if (ok)
        assessment_summarize(a);

    ctx.main.results = NULL;    /* now owned by the assessment */
    state_free(&ctx.main);
    for (size_t i = 0; i < ctx.target_count; i++)
        state_free(&ctx.targets[i]);
    free(ctx.targets);
    if (!ok || ctx.oom)
        assessment_destroy(&a);
    return a;
}

void assessment_destroy(assessment_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    assessment_t *self = *self_p;
    free(self->unit);
    free(self->unit_name);
    free(self->org);
    free(self->item_ids);
    free(self->id_pool);
    free(self->clauses);
    for (size_t i = 0; self->checks && i < self->check_count; i++)
        free(self->checks[i].message);
    free(self->checks);
    free(self->indices);
    free(self->mappings);
    for (size_t i = 0; i < self->warning_count; i++) {
        free(self->warnings[i].where);
        free(self->warnings[i].message);
    }
    free(self->warnings);
    free(self);
    *self_p = NULL;
}

double assessment_maturity(const assessment_t *self) { return self->maturity; }
const char *assessment_readiness(const assessment_t *self) { return self->readiness; }
int assessment_major_nc(const assessment_t *self) { return self->major_nc; }
int assessment_minor_nc(const assessment_t *self) { return self->minor_nc; }
int assessment_observations(const assessment_t *self) { return self->observations; }

