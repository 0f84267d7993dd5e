/*  report_html.c - the HTML report of a batch. See report_html.h. */
#include "report_html.h"

#include "format.h"
#include "text_buffer.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text building -------------------------------------------------------- */

static void put_escaped(text_buffer_t *self, const char *text)
{
    if (!text)
        return;
    const char *run = text;
    for (const char *at = text; *at; at++) {
        unsigned char byte = (unsigned char) *at;
        const char *reference;
        switch (byte) {
        case '&': reference = "&amp;"; break;
        case '<': reference = "&lt;"; break;
        case '>': reference = "&gt;"; break;
        case '"': reference = "&quot;"; break;
        case '\'': reference = "&#39;"; break;
        default:
            if ((byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7f)
                reference = "\xef\xbf\xbd";   /* U+FFFD */
            else
                continue;
        }
        text_buffer_append(self, run, (size_t) (at - run));
        text_buffer_puts(self, reference);
        run = at + 1;
    }
    text_buffer_puts(self, run);
}

char *report_html_escape(const char *text)
{
    text_buffer_t out = { 0 };
    put_escaped(&out, text ? text : "");
    if (out.failed) {
        free(out.data);
        return NULL;
    }
    return out.data ? out.data : strdup("");
}

/* A small printf for markup, so that no string reaches the page unescaped
   by accident:
     %h  a string, HTML-escaped (NULL: nothing)
     %s  a string as it is: markup this file wrote
     %d  an int      %z  a size_t
     %n  a number as people read it (format_number: "2.5", "3")
     %f  a coordinate, one decimal    %%  a percent sign */
static void emit(text_buffer_t *self, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    const char *run = format;
    for (const char *at = format; *at; at++) {
        if (*at != '%')
            continue;
        text_buffer_append(self, run, (size_t) (at - run));
        char number[64];
        switch (at[1]) {
        case 'h': put_escaped(self, va_arg(arguments, const char *)); break;
        case 's': text_buffer_puts(self, va_arg(arguments, const char *)); break;
        case 'd':
            snprintf(number, sizeof number, "%d", va_arg(arguments, int));
            text_buffer_puts(self, number);
            break;
        case 'z':
            snprintf(number, sizeof number, "%zu", va_arg(arguments, size_t));
            text_buffer_puts(self, number);
            break;
        case 'n':
            format_number(va_arg(arguments, double), number);
            text_buffer_puts(self, number);
            break;
        case 'f':
            snprintf(number, sizeof number, "%.1f", va_arg(arguments, double));
            text_buffer_puts(self, number);
            break;
        case '%': text_buffer_append(self, "%", 1); break;
        default:
            /* A mistake in this file's own formats. */
            self->failed = true;
            va_end(arguments);
            return;
        }
        at++;
        run = at + 1;
    }
    text_buffer_puts(self, run);
    va_end(arguments);
}

/* ---- reading documents ---------------------------------------------------- */

static const cJSON *get(const cJSON *object, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(object, name);
}

static const char *string_of(const cJSON *object, const char *name)
{
    return cJSON_GetStringValue(get(object, name));
}

static const char *string_or(const cJSON *object, const char *name, const char *fallback)
{
    const char *text = string_of(object, name);
    return text ? text : fallback;
}

static double number_of(const cJSON *object, const char *name)
{
    const cJSON *item = get(object, name);
    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

static bool has_number(const cJSON *object, const char *name)
{
    return cJSON_IsNumber(get(object, name));
}

static bool equal(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Copy the named members that exist (any type) from one object to another. */
static bool copy_members(cJSON *to, const cJSON *from, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const cJSON *item = get(from, names[i]);
        if (!item)
            continue;
        cJSON *copy = cJSON_Duplicate(item, true);
        if (!copy || !cJSON_AddItemToObject(to, names[i], copy)) {
            cJSON_Delete(copy);
            return false;
        }
    }
    return true;
}

/* ---- the collected batch ---------------------------------------------------- */

/* What is kept of each document (an "entry"):
     unit, unit_name, org, standard, edition, as_of, maturity, readiness,
     major_nc, minor_nc, observations  as in the document
     top   [{id, level, status, applicable}]  the top-level clauses
     ncs   [{id, level, status, findings: [{check, severity, text, status,
            message, evidence, expired}]}]  the assessed clauses with a
           nonconformity, with their findings (the failing checks)
   and per standard, the clause titles and parents in catalog order:
     standards {ID: {edition, catalogs: [sha256...], clauses: {ID: {title,
     parent}}}}, the union over the catalogs seen. */
struct _report_t {
    cJSON *entries;
    cJSON *standards;
    cJSON *jobs;
};

report_t *report_new(void)
{
    report_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->entries = cJSON_CreateArray();
    self->standards = cJSON_CreateObject();
    self->jobs = cJSON_CreateArray();
    if (!self->entries || !self->standards || !self->jobs)
        report_destroy(&self);
    return self;
}

void report_destroy(report_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    report_t *self = *self_p;
    cJSON_Delete(self->entries);
    cJSON_Delete(self->standards);
    cJSON_Delete(self->jobs);
    free(self);
    *self_p = NULL;
}

/* Record the clause titles of the document's catalog (once per catalog). */
static int add_titles(report_t *self, const cJSON *assessment)
{
    const char *standard = string_of(assessment, "standard");
    cJSON *entry = cJSON_GetObjectItemCaseSensitive(self->standards, standard);
    if (!entry) {
        entry = cJSON_AddObjectToObject(self->standards, standard);
        if (!entry || !cJSON_AddStringToObject(entry, "edition",
                                               string_or(assessment, "edition", ""))
            || !cJSON_AddArrayToObject(entry, "catalogs")
            || !cJSON_AddObjectToObject(entry, "clauses")
            || !cJSON_AddObjectToObject(entry, "checks"))
            return -1;
    }
    cJSON *catalogs = cJSON_GetObjectItemCaseSensitive(entry, "catalogs");
    const char *sha = string_or(assessment, "catalog_sha256", "");
    const cJSON *seen;
    cJSON_ArrayForEach(seen, catalogs)
        if (equal(cJSON_GetStringValue(seen), sha))
            return 0;
    cJSON *sha_item = cJSON_CreateString(sha);
    if (!sha_item || !cJSON_AddItemToArray(catalogs, sha_item)) {
        cJSON_Delete(sha_item);
        return -1;
    }
    cJSON *clauses = cJSON_GetObjectItemCaseSensitive(entry, "clauses");
    const cJSON *clause;
    cJSON_ArrayForEach(clause, get(assessment, "clauses")) {
        const char *id = string_of(clause, "id");
        if (!id || cJSON_GetObjectItemCaseSensitive(clauses, id))
            continue;
        cJSON *info = cJSON_AddObjectToObject(clauses, id);
        if (!info || !cJSON_AddStringToObject(info, "title", string_or(clause, "title", "")))
            return -1;
        const char *parent = string_of(clause, "parent");
        if (!(parent ? cJSON_AddStringToObject(info, "parent", parent)
                     : cJSON_AddNullToObject(info, "parent")))
            return -1;
    }
    return 0;
}

static const cJSON *check_named(const cJSON *assessment, const char *id)
{
    const cJSON *check;
    cJSON_ArrayForEach(check, get(assessment, "checks"))
        if (equal(string_of(check, "id"), id))
            return check;
    return NULL;
}

/* Evidence ids listed per check; the rest are counted (all of them are in
   `assay results --format json`). */
#define EVIDENCE_SHOWN 10

/* The first EVIDENCE_SHOWN ids of a list, joined by ", "; *more is how
   many were left out. NULL when out of memory. */
static char *join_ids(const cJSON *ids, int *more)
{
    text_buffer_t text = { 0 };
    int shown = 0;
    *more = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids) {
        const char *value = cJSON_GetStringValue(id);
        if (!value)
            continue;
        if (shown == EVIDENCE_SHOWN) {
            (*more)++;
            continue;
        }
        if (shown++)
            text_buffer_puts(&text, ", ");
        text_buffer_puts(&text, value);
    }
    if (text.failed) {
        free(text.data);
        return NULL;
    }
    return text.data ? text.data : strdup("");
}

/* Add the ids as a joined string (and "NAME_more" when some were left out);
   nothing for an empty list. */
static bool add_ids(cJSON *to, const char *name, const cJSON *ids)
{
    if (cJSON_GetArraySize(ids) == 0)
        return true;
    int more = 0;
    char *joined = join_ids(ids, &more);
    if (!joined)
        return false;
    bool ok = cJSON_AddStringToObject(to, name, joined) != NULL;
    free(joined);
    if (ok && more > 0) {
        char key[32];
        snprintf(key, sizeof key, "%s_more", name);
        ok = cJSON_AddNumberToObject(to, key, more) != NULL;
    }
    return ok;
}

/* The findings of one clause (its failing checks), compact: {check,
   evidence ("A, B"), evidence_more, expired, expired_more, message, error},
   or only the check id (a string) when the check found nothing at all, as
   most do for a unit the standard does not fit. Each check's text and
   severity go once into `texts` (per standard). */
static cJSON *clause_findings(cJSON *texts, const cJSON *assessment, const char *clause_id)
{
    cJSON *findings = cJSON_CreateArray();
    if (!findings)
        return NULL;
    const cJSON *finding;
    cJSON_ArrayForEach(finding, get(assessment, "findings")) {
        const char *check_id = string_of(finding, "check");
        if (!check_id || !equal(string_of(finding, "clause"), clause_id))
            continue;
        if (!cJSON_GetObjectItemCaseSensitive(texts, check_id)) {
            cJSON *text = cJSON_AddObjectToObject(texts, check_id);
            if (!text || !cJSON_AddStringToObject(text, "text", string_or(finding, "text", ""))
                || !cJSON_AddStringToObject(text, "severity",
                                            string_or(finding, "severity", ""))) {
                cJSON_Delete(findings);
                return NULL;
            }
        }
        const cJSON *check = check_named(assessment, check_id);
        const char *message = string_of(check, "message");
        bool error = equal(string_of(check, "status"), "error");
        if (cJSON_GetArraySize(get(finding, "evidence")) == 0
            && cJSON_GetArraySize(get(check, "expired")) == 0 && !(message && *message)
            && !error) {
            cJSON *bare = cJSON_CreateString(check_id);
            if (!bare || !cJSON_AddItemToArray(findings, bare)) {
                cJSON_Delete(bare);
                cJSON_Delete(findings);
                return NULL;
            }
            continue;
        }
        cJSON *copy = cJSON_CreateObject();
        if (!copy || !cJSON_AddItemToArray(findings, copy)) {
            cJSON_Delete(copy);
            cJSON_Delete(findings);
            return NULL;
        }
        if (!cJSON_AddStringToObject(copy, "check", check_id)
            || !add_ids(copy, "evidence", get(finding, "evidence"))
            || !add_ids(copy, "expired", get(check, "expired"))
            || (message && *message && !cJSON_AddStringToObject(copy, "message", message))
            || (error && !cJSON_AddTrueToObject(copy, "error"))) {
            cJSON_Delete(findings);
            return NULL;
        }
    }
    return findings;
}

/* The check id of a finding as clause_findings keeps it. */
static const char *finding_check(const cJSON *finding)
{
    if (cJSON_IsString(finding))
        return finding->valuestring;
    return string_or(finding, "check", "");
}

static bool is_nonconformity(const char *status)
{
    return equal(status, "major_nc") || equal(status, "minor_nc");
}

/* The assessor's decision on a clause, if the document carries one. */
static const cJSON *override_of(const cJSON *overrides, const char *clause)
{
    const cJSON *decision;
    cJSON_ArrayForEach(decision, overrides)
        if (equal(string_of(decision, "clause"), clause))
            return decision;
    return NULL;
}

/* The active overrides (the broker appends them to the document): each
   with the machine verdict it stands beside. */
static cJSON *overrides_of(const cJSON *assessment)
{
    static const char *const keys[] = {
        "clause", "status", "machine_status", "reason", "by", "at", "expires"
    };
    cJSON *overrides = cJSON_CreateArray();
    if (!overrides)
        return NULL;
    const cJSON *decision;
    cJSON_ArrayForEach(decision, get(assessment, "overrides")) {
        const char *clause = string_of(decision, "clause");
        if (!clause)
            continue;
        cJSON *copy = cJSON_CreateObject();
        if (!copy || !cJSON_AddItemToArray(overrides, copy)) {
            cJSON_Delete(copy);
            cJSON_Delete(overrides);
            return NULL;
        }
        if (!copy_members(copy, decision, keys, sizeof keys / sizeof keys[0])) {
            cJSON_Delete(overrides);
            return NULL;
        }
        if (!string_of(copy, "machine_status")) {
            /* Not said: the verdict in the document. */
            const cJSON *clause_item;
            const char *machine = NULL;
            cJSON_ArrayForEach(clause_item, get(assessment, "clauses"))
                if (equal(string_of(clause_item, "id"), clause))
                    machine = string_of(clause_item, "status");
            cJSON_DeleteItemFromObjectCaseSensitive(copy, "machine_status");
            if (machine && !cJSON_AddStringToObject(copy, "machine_status", machine)) {
                cJSON_Delete(overrides);
                return NULL;
            }
        }
    }
    return overrides;
}

static cJSON *entry_of(cJSON *texts, const cJSON *assessment)
{
    static const char *const keys[] = {
        "unit", "unit_name", "org", "standard", "edition", "as_of", "maturity",
        "readiness", "major_nc", "minor_nc", "observations", "effective"
    };
    static const char *const top_keys[] = { "id", "level", "status", "applicable" };
    static const char *const nc_keys[] = { "id", "level", "status" };
    cJSON *entry = cJSON_CreateObject();
    if (!entry || !copy_members(entry, assessment, keys, sizeof keys / sizeof keys[0]))
        goto failed;
    cJSON *top = cJSON_AddArrayToObject(entry, "top");
    cJSON *ncs = cJSON_AddArrayToObject(entry, "ncs");
    cJSON *overrides = overrides_of(assessment);
    if (!overrides || !cJSON_AddItemToObject(entry, "overrides", overrides)) {
        cJSON_Delete(overrides);
        goto failed;
    }
    if (!top || !ncs)
        goto failed;
    const cJSON *clause;
    cJSON_ArrayForEach(clause, get(assessment, "clauses")) {
        const char *id = string_of(clause, "id");
        if (!id)
            continue;
        if (!string_of(clause, "parent")) {
            cJSON *cell = cJSON_CreateObject();
            if (!cell || !cJSON_AddItemToArray(top, cell)) {
                cJSON_Delete(cell);
                goto failed;
            }
            if (!copy_members(cell, clause, top_keys, sizeof top_keys / sizeof top_keys[0]))
                goto failed;
        }
        const cJSON *assessed = get(clause, "assessed");
        if (is_nonconformity(string_of(clause, "status")) && !cJSON_IsFalse(assessed)) {
            cJSON *nc = cJSON_CreateObject();
            if (!nc || !cJSON_AddItemToArray(ncs, nc)) {
                cJSON_Delete(nc);
                goto failed;
            }
            cJSON *findings = clause_findings(texts, assessment, id);
            if (!findings || !cJSON_AddItemToObject(nc, "findings", findings)) {
                cJSON_Delete(findings);
                goto failed;
            }
            if (!copy_members(nc, clause, nc_keys, sizeof nc_keys / sizeof nc_keys[0]))
                goto failed;
            const cJSON *decision = override_of(overrides, id);
            cJSON *copy = decision ? cJSON_Duplicate(decision, true) : NULL;
            if (decision && (!copy || !cJSON_AddItemToObject(nc, "override", copy))) {
                cJSON_Delete(copy);
                goto failed;
            }
        }
    }
    return entry;
failed:
    cJSON_Delete(entry);
    return NULL;
}

int report_add_assessment(report_t *self, const cJSON *assessment)
{
    if (!string_of(assessment, "unit") || !string_of(assessment, "standard"))
        return -1;
    if (add_titles(self, assessment) != 0)
        return -1;
    cJSON *texts = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(self->standards, string_of(assessment, "standard")),
        "checks");
    cJSON *entry = entry_of(texts, assessment);
    if (!entry || !cJSON_AddItemToArray(self->entries, entry)) {
        cJSON_Delete(entry);
        return -1;
    }
    return 0;
}

int report_add_job(report_t *self, const cJSON *job)
{
    static const char *const keys[] = { "job", "unit", "state", "attempt" };
    cJSON *copy = cJSON_CreateObject();
    if (!copy || !cJSON_AddItemToArray(self->jobs, copy)) {
        cJSON_Delete(copy);
        return -1;
    }
    if (!copy_members(copy, job, keys, sizeof keys / sizeof keys[0]))
        return -1;
    /* The last error of its history, if any. */
    const cJSON *errors = get(job, "errors");
    int count = cJSON_GetArraySize(errors);
    if (count > 0) {
        const cJSON *last = cJSON_GetArrayItem(errors, count - 1);
        const char *error = string_of(last, "error");
        if (!error)
            error = cJSON_GetStringValue(last);
        if (error && !cJSON_AddStringToObject(copy, "error", error))
            return -1;
    }
    return 0;
}

/* ---- rendering: the rows ------------------------------------------------------ */

/* One entry in page order: by unit, then standard; of several entries for
   the same unit and standard only the last added is shown. */
typedef struct {
    const cJSON *entry;
    const char *unit;
    const char *standard;
    size_t sequence;
} row_t;

static int row_order(const void *a, const void *b)
{
    const row_t *x = a, *y = b;
    int order = strcmp(x->unit, y->unit);
    if (order == 0)
        order = strcmp(x->standard, y->standard);
    if (order == 0)
        order = x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
    return order;
}

static int string_order(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

typedef struct {
    const report_t *report;
    const report_options_t *options;
    text_buffer_t out;
    row_t *rows;
    size_t row_count;
    const char **units;         /* distinct, sorted */
    const row_t **unit_first;   /* the first row of each unit */
    size_t unit_count;
    const char **standards;     /* distinct, sorted */
    size_t standard_count;
} page_t;

static int page_collect(page_t *page)
{
    size_t count = (size_t) cJSON_GetArraySize(page->report->entries);
    page->rows = calloc(count ? count : 1, sizeof *page->rows);
    page->units = calloc(count ? count : 1, sizeof *page->units);
    page->unit_first = calloc(count ? count : 1, sizeof *page->unit_first);
    page->standards = calloc(count ? count : 1, sizeof *page->standards);
    if (!page->rows || !page->units || !page->unit_first || !page->standards)
        return -1;
    size_t sequence = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, page->report->entries) {
        row_t *row = &page->rows[sequence];
        row->entry = entry;
        row->unit = string_or(entry, "unit", "");
        row->standard = string_or(entry, "standard", "");
        row->sequence = sequence++;
    }
    qsort(page->rows, count, sizeof *page->rows, row_order);
    /* Keep the last of each unit x standard. */
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        bool superseded = i + 1 < count && strcmp(page->rows[i].unit, page->rows[i + 1].unit) == 0
                          && strcmp(page->rows[i].standard, page->rows[i + 1].standard) == 0;
        if (!superseded)
            page->rows[kept++] = page->rows[i];
    }
    page->row_count = kept;
    for (size_t i = 0; i < kept; i++) {
        if (page->unit_count == 0
            || strcmp(page->units[page->unit_count - 1], page->rows[i].unit) != 0) {
            page->unit_first[page->unit_count] = &page->rows[i];
            page->units[page->unit_count++] = page->rows[i].unit;
        }
        bool known = false;
        for (size_t s = 0; s < page->standard_count && !known; s++)
            known = strcmp(page->standards[s], page->rows[i].standard) == 0;
        if (!known)
            page->standards[page->standard_count++] = page->rows[i].standard;
    }
    qsort(page->standards, page->standard_count, sizeof *page->standards, string_order);
    return 0;
}

static void page_free(page_t *page)
{
    free(page->rows);
    free(page->units);
    free(page->unit_first);
    free(page->standards);
}

static size_t count_overrides(const page_t *page)
{
    size_t count = 0;
    for (size_t i = 0; i < page->row_count; i++)
        count += (size_t) cJSON_GetArraySize(get(page->rows[i].entry, "overrides"));
    return count;
}

static const cJSON *standard_info(const page_t *page, const char *standard)
{
    return cJSON_GetObjectItemCaseSensitive(page->report->standards, standard);
}

static const cJSON *clause_info(const page_t *page, const char *standard, const char *clause)
{
    return cJSON_GetObjectItemCaseSensitive(get(standard_info(page, standard), "clauses"),
                                            clause);
}

static const char *clause_title(const page_t *page, const char *standard, const char *clause)
{
    return string_or(clause_info(page, standard, clause), "title", "");
}

/* ---- rendering: colours and small pieces ------------------------------------- */

/* Maturity 0..5 from red through amber and yellow to green. */
static void maturity_colour(double level, char out[8], bool *dark_text)
{
    static const double stops[][3] = {
        { 217, 45, 32 }, { 247, 144, 9 }, { 250, 197, 21 }, { 102, 198, 28 }, { 7, 148, 85 }
    };
    if (!isfinite(level) || level < 0)
        level = 0;
    if (level > 5)
        level = 5;
    double position = level / 5.0 * 4.0;
    int index = (int) floor(position);
    if (index >= 4)
        index = 3;
    double fraction = position - index;
    double rgb[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = stops[index][c] + (stops[index + 1][c] - stops[index][c]) * fraction;
    snprintf(out, 8, "#%02x%02x%02x", (unsigned) lround(rgb[0]) & 0xffu,
             (unsigned) lround(rgb[1]) & 0xffu, (unsigned) lround(rgb[2]) & 0xffu);
    double luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255.0;
    if (dark_text)
        *dark_text = luminance > 0.45;
}

static const char *readiness_label(const char *readiness)
{
    if (equal(readiness, "ready"))
        return "ready";
    if (equal(readiness, "conditional"))
        return "conditional";
    if (equal(readiness, "not_ready"))
        return "not ready";
    return readiness && *readiness ? readiness : "n/a";
}

static const char *readiness_class(const char *readiness)
{
    if (equal(readiness, "ready"))
        return "ready";
    if (equal(readiness, "conditional"))
        return "conditional";
    if (equal(readiness, "not_ready"))
        return "not-ready";
    return "na";
}

static void badge_readiness(text_buffer_t *out, const char *readiness)
{
    emit(out, "<span class=\"badge %s\">%h</span>", readiness_class(readiness),
         readiness_label(readiness));
}

static const char *status_label(const char *status)
{
    if (equal(status, "major_nc"))
        return "major NC";
    if (equal(status, "minor_nc"))
        return "minor NC";
    if (equal(status, "conformant"))
        return "conformant";
    if (equal(status, "not_applicable"))
        return "not applicable";
    return status ? status : "";
}

static const char *severity_class(const char *severity)
{
    if (equal(severity, "major"))
        return "major";
    if (equal(severity, "minor"))
        return "minor";
    return "observation";
}

/* "unit name (unit-id)", or just the id when the name is the id. */
static void unit_label(text_buffer_t *out, const cJSON *entry)
{
    const char *unit = string_or(entry, "unit", "");
    const char *name = string_of(entry, "unit_name");
    if (name && *name && strcmp(name, unit) != 0)
        emit(out, "%h <span class=\"id\">%h</span>", name, unit);
    else
        emit(out, "<span class=\"id\">%h</span>", unit);
}

/* Joined evidence ids as code (with how many more), or `none` in words. */
static void evidence_list(text_buffer_t *out, const cJSON *finding, const char *name, const char *none)
{
    const char *ids = string_of(finding, name);
    if (!ids || !*ids) {
        emit(out, "<span class=\"muted\">%h</span>", none);
        return;
    }
    char key[32];
    snprintf(key, sizeof key, "%s_more", name);
    emit(out, "<code>%h</code>", ids);
    if (number_of(finding, key) > 0)
        emit(out, " <span class=\"note\">and %n more</span>", number_of(finding, key));
}

/* ---- rendering: the sections --------------------------------------------------- */

static const char style[] =
    ":root{--fg:#1d2330;--muted:#5d6679;--line:#d9dee7;--soft:#f3f5f8;--major:#b42318;"
    "--minor:#b54708;--ok:#067647}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--soft);color:var(--fg);"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}\n"
    "header{background:#1d2330;color:#fff;padding:18px 32px}\n"
    "header h1{margin:0;font-size:22px;font-weight:650}\n"
    "header p{margin:4px 0 0;color:#c5ccd8}\n"
    "nav{padding:8px 32px;background:#fff;border-bottom:1px solid var(--line);position:sticky;"
    "top:0;z-index:1}\n"
    "nav a{margin-right:18px;color:#175cd3;text-decoration:none}\n"
    "main{padding:8px 32px 40px}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;"
    "margin:16px 0}\n"
    "h2{font-size:18px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 8px}\n"
    "h4{font-size:14px;margin:12px 0 6px}\n"
    ".tiles{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:14px}\n"
    ".tile{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:118px}\n"
    ".tile b{display:block;font-size:24px;font-variant-numeric:tabular-nums}\n"
    ".tile span{color:var(--muted);font-size:12px}\n"
    ".tile.ready b{color:var(--ok)}.tile.not-ready b,.tile.major b{color:var(--major)}\n"
    ".tile.conditional b,.tile.minor b{color:var(--minor)}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;margin:4px 0}\n"
    "th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;"
    "vertical-align:top}\n"
    "th{font-size:12px;color:var(--muted);font-weight:600;white-space:nowrap}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "td.readiness{white-space:nowrap}details table{width:100%}\n"
    ".badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;"
    "font-weight:600;white-space:nowrap}\n"
    ".badge.ready{background:#dcfae6;color:#067647}"
    ".badge.conditional{background:#fef0c7;color:#93370d}\n"
    ".badge.not-ready,.badge.major{background:#fee4e2;color:#b42318}"
    ".badge.minor{background:#fef0c7;color:#93370d}\n"
    ".badge.na,.badge.observation{background:#eaecf0;color:#475467}\n"
    ".muted,.id{color:var(--muted)}.id{font-size:12px}\n"
    "code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,monospace;font-size:12px;"
    "background:var(--soft);border-radius:3px;padding:0 3px}\n"
    "svg text{font-family:system-ui,'DejaVu Sans',Arial,sans-serif}\n"
    ".heatmap text{font-size:11px;fill:#1d2330}.heatmap .value{font-size:10px}\n"
    ".clause-titles{columns:2 320px;margin:6px 0 0;padding:0;list-style:none;"
    "font-size:12px;color:var(--muted)}\n"
    ".legend{display:flex;gap:12px;flex-wrap:wrap;align-items:center;font-size:12px;"
    "color:var(--muted);margin-bottom:8px}\n"
    ".legend i{display:inline-block;width:16px;height:12px;border-radius:2px;"
    "vertical-align:-2px;margin-right:4px}\n"
    ".unit{border-top:1px solid var(--line);padding:10px 0}\n"
    ".unit h3{margin:4px 0 8px}\n"
    ".radars{display:flex;flex-wrap:wrap;gap:10px}\n"
    ".radar-card{border:1px solid var(--line);border-radius:6px;padding:6px 8px;width:276px}\n"
    ".radar-card p{margin:0;font-size:12px}\n"
    ".radar text{font-size:10px;fill:#475467}\n"
    "details{border-top:1px solid var(--line);padding:6px 0}\n"
    "summary{cursor:pointer}\n"
    "ul.checks{margin:0;padding-left:18px}\n"
    ".note{color:var(--muted);font-size:12px}\n"
    "@media print{nav{display:none}section{break-inside:avoid-page;border:none}}\n";

/* Records what goes wrong on the page (a script error, a load the policy
   blocked) in <html data-errors>, for headless checks; loads nothing. */
static const char self_check[] =
    "(function(){var root=document.documentElement;"
    "function note(text){root.setAttribute('data-errors',"
    "(root.getAttribute('data-errors')||'')+text+'\\n');}"
    "window.addEventListener('error',function(e){note('error: '+(e.message||"
    "(e.target&&e.target.tagName)||'unknown'));},true);"
    "document.addEventListener('securitypolicyviolation',function(e){"
    "note('blocked: '+e.violatedDirective);});"
    "window.addEventListener('load',function(){root.setAttribute('data-loaded',"
    "String(document.querySelectorAll('rect.cell').length));});})();";

static void render_head(page_t *page)
{
    const char *batch = page->options && page->options->batch ? page->options->batch : "";
    emit(&page->out,
         "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"assay report\">\n"
         "<link rel=\"icon\" href=\"data:,\">\n"
         "<title>Assay report: %h</title>\n<style>\n%s</style>\n<script>%s</script>\n"
         "</head>\n<body>\n",
         batch, style, self_check);
    emit(&page->out, "<header><h1>Assay report: batch %h</h1><p>", batch);
    emit(&page->out, "%z business units, %z standards, %z assessments", page->unit_count,
         page->standard_count, page->row_count);
    if (page->options && page->options->generated)
        emit(&page->out, " &middot; generated %h", page->options->generated);
    emit(&page->out, "</p></header>\n<nav><a href=\"#summary\">Summary</a>"
                     "<a href=\"#readiness\">Readiness</a><a href=\"#heatmap\">Heatmap</a>"
                     "<a href=\"#units\">Units</a><a href=\"#nonconformities\">Nonconformities</a>");
    if (count_overrides(page) > 0)
        emit(&page->out, "<a href=\"#overrides\">Assessors&#39; decisions</a>");
    if (cJSON_GetArraySize(page->report->jobs) > 0)
        emit(&page->out, "<a href=\"#jobs\">Jobs without results</a>");
    emit(&page->out, "</nav>\n<main>\n");
}

typedef struct {
    size_t assessments, ready, conditional, not_ready, other;
    double major, minor, observations, maturity_sum, maturity_min, maturity_max;
} tally_t;

static void tally_add(tally_t *tally, const cJSON *entry)
{
    const char *readiness = string_of(entry, "readiness");
    if (equal(readiness, "ready"))
        tally->ready++;
    else if (equal(readiness, "conditional"))
        tally->conditional++;
    else if (equal(readiness, "not_ready"))
        tally->not_ready++;
    else
        tally->other++;
    double maturity = number_of(entry, "maturity");
    if (tally->assessments == 0 || maturity < tally->maturity_min)
        tally->maturity_min = maturity;
    if (tally->assessments == 0 || maturity > tally->maturity_max)
        tally->maturity_max = maturity;
    tally->assessments++;
    tally->maturity_sum += maturity;
    tally->major += number_of(entry, "major_nc");
    tally->minor += number_of(entry, "minor_nc");
    tally->observations += number_of(entry, "observations");
}

static void render_summary(page_t *page)
{
    text_buffer_t *out = &page->out;
    tally_t all = { 0 };
    for (size_t i = 0; i < page->row_count; i++)
        tally_add(&all, page->rows[i].entry);
    size_t missing = (size_t) cJSON_GetArraySize(page->report->jobs);
    emit(out, "<section id=\"summary\" data-units=\"%z\" data-standards=\"%z\" "
              "data-assessments=\"%z\">\n<h2>Summary</h2>\n<div class=\"tiles\">",
         page->unit_count, page->standard_count, page->row_count);
    emit(out, "<div class=\"tile\"><b>%z</b><span>business units</span></div>"
              "<div class=\"tile\"><b>%z</b><span>standards</span></div>"
              "<div class=\"tile\"><b>%z</b><span>assessments</span></div>",
         page->unit_count, page->standard_count, all.assessments);
    if (all.assessments)
        emit(out, "<div class=\"tile\"><b>%n</b><span>mean maturity (0-5)</span></div>",
             all.maturity_sum / (double) all.assessments);
    emit(out, "<div class=\"tile ready\"><b>%z</b><span>ready</span></div>"
              "<div class=\"tile conditional\"><b>%z</b><span>conditional</span></div>"
              "<div class=\"tile not-ready\"><b>%z</b><span>not ready</span></div>"
              "<div class=\"tile\"><b>%z</b><span>n/a (guidance)</span></div>",
         all.ready, all.conditional, all.not_ready, all.other);
    emit(out, "<div class=\"tile major\"><b>%n</b><span>major NCs</span></div>"
              "<div class=\"tile minor\"><b>%n</b><span>minor NCs</span></div>"
              "<div class=\"tile\"><b>%n</b><span>observations</span></div>",
         all.major, all.minor, all.observations);
    size_t decisions = count_overrides(page);
    if (decisions)
        emit(out, "<div class=\"tile\"><b>%z</b><span>assessors&#39; overrides</span></div>",
             decisions);
    if (missing)
        emit(out, "<div class=\"tile major\"><b>%z</b><span>jobs without results</span></div>",
             missing);
    emit(out, "</div>\n<div class=\"scroll\"><table>\n<tr><th>Standard</th><th>Edition</th>"
              "<th class=\"num\">Units</th><th class=\"num\">Mean maturity</th>"
              "<th class=\"num\">Min</th><th class=\"num\">Max</th><th class=\"num\">Ready</th>"
              "<th class=\"num\">Conditional</th><th class=\"num\">Not ready</th>"
              "<th class=\"num\">n/a</th><th class=\"num\">Major NCs</th>"
              "<th class=\"num\">Minor NCs</th><th class=\"num\">Observations</th></tr>\n");
    for (size_t s = 0; s < page->standard_count; s++) {
        tally_t one = { 0 };
        for (size_t i = 0; i < page->row_count; i++)
            if (strcmp(page->rows[i].standard, page->standards[s]) == 0)
                tally_add(&one, page->rows[i].entry);
        emit(out, "<tr data-standard=\"%h\"><td><a href=\"#heatmap-%h\">%h</a></td><td>%h</td>"
                  "<td class=\"num\">%z</td><td class=\"num\">%n</td><td class=\"num\">%n</td>"
                  "<td class=\"num\">%n</td>",
             page->standards[s], page->standards[s], page->standards[s],
             string_or(standard_info(page, page->standards[s]), "edition", ""),
             one.assessments, one.assessments ? one.maturity_sum / (double) one.assessments : 0.0,
             one.maturity_min, one.maturity_max);
        emit(out, "<td class=\"num\">%z</td><td class=\"num\">%z</td><td class=\"num\">%z</td>"
                  "<td class=\"num\">%z</td><td class=\"num\">%n</td><td class=\"num\">%n</td>"
                  "<td class=\"num\">%n</td></tr>\n",
             one.ready, one.conditional, one.not_ready, one.other, one.major, one.minor,
             one.observations);
    }
    emit(out, "</table></div>\n</section>\n");
}

static const row_t *row_of(const page_t *page, const char *unit, const char *standard)
{
    /* Rows are sorted by unit then standard: a binary search. */
    size_t low = 0, high = page->row_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        const row_t *row = &page->rows[middle];
        int order = strcmp(row->unit, unit);
        if (order == 0)
            order = strcmp(row->standard, standard);
        if (order == 0)
            return row;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return NULL;
}

static void render_readiness(page_t *page)
{
    text_buffer_t *out = &page->out;
    emit(out, "<section id=\"readiness\">\n<h2>Readiness per unit</h2>\n"
              "<p class=\"note\">Readiness for certification and maturity (0-5) of each unit "
              "against each standard; n/a for guidance standards.</p>\n"
              "<div class=\"scroll\"><table>\n<tr><th>Unit</th><th>Organisation</th>");
    for (size_t s = 0; s < page->standard_count; s++)
        emit(out, "<th>%h</th>", page->standards[s]);
    emit(out, "</tr>\n");
    for (size_t u = 0; u < page->unit_count; u++) {
        const cJSON *first = page->unit_first[u]->entry;
        emit(out, "<tr data-unit=\"%h\"><td><a href=\"#unit-%h\">", page->units[u],
             page->units[u]);
        unit_label(out, first);
        emit(out, "</a></td><td>%h</td>", string_or(first, "org", ""));
        for (size_t s = 0; s < page->standard_count; s++) {
            const row_t *row = row_of(page, page->units[u], page->standards[s]);
            if (!row) {
                emit(out, "<td class=\"muted\">&mdash;</td>");
                continue;
            }
            emit(out, "<td class=\"readiness\" data-standard=\"%h\" data-readiness=\"%h\">",
                 page->standards[s], string_or(row->entry, "readiness", ""));
            badge_readiness(out, string_of(row->entry, "readiness"));
            emit(out, " %n", number_of(row->entry, "maturity"));
            double major = number_of(row->entry, "major_nc"), minor = number_of(row->entry,
                                                                                "minor_nc");
            if (major > 0 || minor > 0)
                emit(out, "<br><span class=\"note\">%n major, %n minor NC</span>", major, minor);
            /* What the assessors' decisions make of it, when they change it. */
            const cJSON *effective = get(row->entry, "effective");
            const char *applied = string_of(effective, "readiness");
            if (applied && !equal(applied, string_of(row->entry, "readiness"))) {
                emit(out, "<br><span class=\"note\" data-effective-readiness=\"%h\">"
                          "with assessors&#39; decisions:</span> ", applied);
                badge_readiness(out, applied);
            }
            emit(out, "</td>");
        }
        emit(out, "</tr>\n");
    }
    emit(out, "</table></div>\n</section>\n");
}

/* The top-level clauses of a standard, in catalog order (the union over
   the catalogs seen), as borrowed ids. */
static size_t top_clauses(const page_t *page, const char *standard, const char ***ids)
{
    const cJSON *clauses = get(standard_info(page, standard), "clauses");
    size_t count = 0;
    const cJSON *clause;
    cJSON_ArrayForEach(clause, clauses)
        count += !string_of(clause, "parent");
    *ids = calloc(count ? count : 1, sizeof **ids);
    if (!*ids)
        return 0;
    size_t at = 0;
    cJSON_ArrayForEach(clause, clauses)
        if (!string_of(clause, "parent"))
            (*ids)[at++] = clause->string;
    return count;
}

static const cJSON *top_cell(const cJSON *entry, const char *clause)
{
    const cJSON *cell;
    cJSON_ArrayForEach(cell, get(entry, "top"))
        if (equal(string_of(cell, "id"), clause))
            return cell;
    return NULL;
}

static bool cell_applies(const cJSON *cell)
{
    return has_number(cell, "level") && !cJSON_IsFalse(get(cell, "applicable"));
}

#define CELL_W 52
#define CELL_H 24
#define HEADER_H 30
#define CHAR_W 6.6

static void render_heatmap(page_t *page, const char *standard)
{
    text_buffer_t *out = &page->out;
    const char **columns = NULL;
    size_t column_count = top_clauses(page, standard, &columns);
    size_t row_count = 0, longest = 0;
    for (size_t i = 0; i < page->row_count; i++)
        if (strcmp(page->rows[i].standard, standard) == 0) {
            row_count++;
            size_t length = strlen(page->rows[i].unit);
            if (length > longest)
                longest = length;
        }
    double label_w = longest * CHAR_W + 16;
    if (label_w < 120)
        label_w = 120;
    if (label_w > 300)
        label_w = 300;
    size_t label_chars = (size_t) ((label_w - 16) / CHAR_W);
    double width = label_w + (double) column_count * CELL_W + 8;
    double height = HEADER_H + (double) row_count * CELL_H + 8;
    emit(out, "<h3 id=\"heatmap-%h\">%h</h3>\n", standard, standard);
    emit(out, "<div class=\"scroll\"><svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" "
              "data-standard=\"%h\" data-rows=\"%z\" data-columns=\"%z\" width=\"%f\" "
              "height=\"%f\" viewBox=\"0 0 %f %f\" role=\"img\">"
              "<title>%h: maturity of each unit per top-level clause</title>\n",
         standard, row_count, column_count, width, height, width, height, standard);
    for (size_t c = 0; c < column_count; c++)
        emit(out, "<text x=\"%f\" y=\"%f\" text-anchor=\"middle\" font-weight=\"600\">%h"
                  "<title>%h %h</title></text>",
             label_w + (double) c * CELL_W + CELL_W / 2.0, HEADER_H - 10.0, columns[c],
             columns[c], clause_title(page, standard, columns[c]));
    emit(out, "\n");
    size_t y_index = 0;
    for (size_t i = 0; i < page->row_count; i++) {
        const row_t *row = &page->rows[i];
        if (strcmp(row->standard, standard) != 0)
            continue;
        double y = HEADER_H + (double) y_index++ * CELL_H;
        const char *unit = row->unit;
        size_t length = strlen(unit);
        emit(out, "<g data-unit=\"%h\"><text x=\"%f\" y=\"%f\" text-anchor=\"end\">", unit,
             label_w - 8, y + CELL_H / 2.0 + 4);
        if (length > label_chars && label_chars > 1) {
            char *shortened = strndup(unit, label_chars - 1);
            emit(out, "%h&hellip;", shortened ? shortened : "");
            free(shortened);
        } else
            emit(out, "%h", unit);
        emit(out, "<title>%h (%h)</title></text>", string_or(row->entry, "unit_name", unit),
             unit);
        for (size_t c = 0; c < column_count; c++) {
            const cJSON *cell = top_cell(row->entry, columns[c]);
            if (!cell)
                continue;
            double x = label_w + (double) c * CELL_W;
            const char *status = string_or(cell, "status", "");
            if (!cell_applies(cell)) {
                emit(out, "<rect class=\"cell na\" data-unit=\"%h\" data-standard=\"%h\" "
                          "data-clause=\"%h\" data-level=\"\" data-status=\"%h\" x=\"%f\" "
                          "y=\"%f\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"#eaecf0\">"
                          "<title>%h &middot; %h %h: not applicable</title></rect>"
                          "<text class=\"value\" x=\"%f\" y=\"%f\" text-anchor=\"middle\" "
                          "fill=\"#667085\">n/a</text>",
                     unit, standard, columns[c], status, x + 1, y + 1, CELL_W - 2, CELL_H - 2,
                     unit, columns[c], clause_title(page, standard, columns[c]),
                     x + CELL_W / 2.0, y + CELL_H / 2.0 + 4);
                continue;
            }
            double level = number_of(cell, "level");
            char colour[8];
            bool dark = true;
            maturity_colour(level, colour, &dark);
            const char *stroke = equal(status, "major_nc") ? " stroke=\"#55160c\" stroke-width=\"2\""
                               : equal(status, "minor_nc") ? " stroke=\"#93370d\" "
                                                             "stroke-width=\"1.5\" "
                                                             "stroke-dasharray=\"3 2\""
                                                           : "";
            emit(out, "<rect class=\"cell\" data-unit=\"%h\" data-standard=\"%h\" "
                      "data-clause=\"%h\" data-level=\"%n\" data-status=\"%h\" x=\"%f\" "
                      "y=\"%f\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"%s\"%s>"
                      "<title>%h &middot; %h %h: maturity %n, %h</title></rect>",
                 unit, standard, columns[c], level, status, x + 1, y + 1, CELL_W - 2,
                 CELL_H - 2, colour, stroke, unit, columns[c],
                 clause_title(page, standard, columns[c]), level, status_label(status));
            char value[16];
            snprintf(value, sizeof value, "%.1f", level);
            emit(out, "<text class=\"value\" x=\"%f\" y=\"%f\" text-anchor=\"middle\" "
                      "style=\"fill:%s\">%s</text>",
                 x + CELL_W / 2.0, y + CELL_H / 2.0 + 4, dark ? "#1d2330" : "#ffffff", value);
        }
        emit(out, "</g>\n");
    }
    emit(out, "</svg></div>\n<ul class=\"clause-titles\">");
    for (size_t c = 0; c < column_count; c++)
        emit(out, "<li><b>%h</b> %h</li>", columns[c], clause_title(page, standard, columns[c]));
    emit(out, "</ul>\n");
    free(columns);
}

static void render_heatmaps(page_t *page)
{
    text_buffer_t *out = &page->out;
    emit(out, "<section id=\"heatmap\">\n<h2>Maturity heatmap</h2>\n"
              "<p class=\"note\">One cell per unit and top-level clause: the weighted mean "
              "maturity level (0-5) of the clause's assessed requirements.</p>\n"
              "<div class=\"legend\">");
    for (int level = 0; level <= 5; level++) {
        char colour[8];
        maturity_colour(level, colour, NULL);
        emit(out, "<span><i style=\"background:%s\"></i>%d</span>", colour, level);
    }
    emit(out, "<span><i style=\"background:#eaecf0\"></i>not applicable</span>"
              "<span><i style=\"border:2px solid #55160c\"></i>major NC below</span>"
              "<span><i style=\"border:1.5px dashed #93370d\"></i>minor NC below</span>"
              "</div>\n");
    for (size_t s = 0; s < page->standard_count; s++)
        render_heatmap(page, page->standards[s]);
    emit(out, "</section>\n");
}

#define RADAR_W 260
#define RADAR_H 232
#define RADAR_R 80.0

static void radar_point(size_t index, size_t count, double radius, double *x, double *y)
{
    double angle = -M_PI / 2 + 2 * M_PI * (double) index / (double) (count ? count : 1);
    *x = RADAR_W / 2.0 + radius * cos(angle);
    *y = RADAR_H / 2.0 + radius * sin(angle);
}

static void render_radar(page_t *page, const cJSON *entry)
{
    text_buffer_t *out = &page->out;
    const char *unit = string_or(entry, "unit", "");
    const char *standard = string_or(entry, "standard", "");
    const cJSON *top = get(entry, "top");
    size_t count = (size_t) cJSON_GetArraySize(top);
    emit(out, "<svg class=\"radar\" xmlns=\"http://www.w3.org/2000/svg\" data-unit=\"%h\" "
              "data-standard=\"%h\" data-axes=\"%z\" width=\"%d\" height=\"%d\" "
              "viewBox=\"0 0 %d %d\" role=\"img\"><title>%h, %h: maturity per top-level "
              "clause</title>",
         unit, standard, count, RADAR_W, RADAR_H, RADAR_W, RADAR_H, unit, standard);
    if (count == 0) {
        emit(out, "<text x=\"%f\" y=\"%f\" text-anchor=\"middle\">no clauses</text></svg>",
             RADAR_W / 2.0, RADAR_H / 2.0);
        return;
    }
    /* Rings at levels 1 to 5, then the axes. */
    for (int level = 1; level <= 5; level++) {
        double radius = RADAR_R * level / 5.0;
        if (count < 3) {
            emit(out, "<circle cx=\"%f\" cy=\"%f\" r=\"%f\" fill=\"none\" stroke=\"#d9dee7\"/>",
                 RADAR_W / 2.0, RADAR_H / 2.0, radius);
            continue;
        }
        emit(out, "<polygon fill=\"none\" stroke=\"#d9dee7\" points=\"");
        for (size_t i = 0; i < count; i++) {
            double x, y;
            radar_point(i, count, radius, &x, &y);
            emit(out, "%s%f,%f", i ? " " : "", x, y);
        }
        emit(out, "\"/>");
    }
    size_t index = 0;
    const cJSON *cell;
    cJSON_ArrayForEach(cell, top) {
        double x, y, lx, ly;
        radar_point(index, count, RADAR_R, &x, &y);
        radar_point(index, count, RADAR_R + 14, &lx, &ly);
        const char *anchor = lx > RADAR_W / 2.0 + 8 ? "start"
                           : lx < RADAR_W / 2.0 - 8 ? "end" : "middle";
        const char *id = string_or(cell, "id", "");
        emit(out, "<line x1=\"%f\" y1=\"%f\" x2=\"%f\" y2=\"%f\" stroke=\"#d9dee7\"/>"
                  "<text x=\"%f\" y=\"%f\" text-anchor=\"%s\"%s>%h<title>%h %h</title></text>",
             RADAR_W / 2.0, RADAR_H / 2.0, x, y, lx, ly + 4, anchor,
             cell_applies(cell) ? "" : " style=\"fill:#98a2b3\"", id, id,
             clause_title(page, standard, id));
        index++;
    }
    /* The unit's shape: not applicable clauses sit at the centre. */
    char colour[8];
    maturity_colour(number_of(entry, "maturity"), colour, NULL);
    emit(out, "<polygon class=\"radar-shape\" fill=\"%s\" fill-opacity=\"0.3\" stroke=\"%s\" "
              "stroke-width=\"2\" points=\"",
         colour, colour);
    index = 0;
    cJSON_ArrayForEach(cell, top) {
        double level = cell_applies(cell) ? number_of(cell, "level") : 0;
        double x, y;
        radar_point(index++, count, RADAR_R * fmin(fmax(level, 0), 5) / 5.0, &x, &y);
        emit(out, "%s%f,%f", index > 1 ? " " : "", x, y);
    }
    emit(out, "\"/>");
    index = 0;
    cJSON_ArrayForEach(cell, top) {
        bool applies = cell_applies(cell);
        double level = applies ? number_of(cell, "level") : 0;
        double x, y;
        radar_point(index++, count, RADAR_R * fmin(fmax(level, 0), 5) / 5.0, &x, &y);
        const char *id = string_or(cell, "id", "");
        if (applies)
            emit(out, "<circle cx=\"%f\" cy=\"%f\" r=\"3\" fill=\"%s\"><title>%h %h: %n"
                      "</title></circle>",
                 x, y, colour, id, clause_title(page, standard, id), level);
        else
            emit(out, "<circle cx=\"%f\" cy=\"%f\" r=\"3\" fill=\"#fff\" stroke=\"#98a2b3\">"
                      "<title>%h %h: not applicable</title></circle>",
                 x, y, id, clause_title(page, standard, id));
    }
    emit(out, "</svg>");
}

static void render_units(page_t *page)
{
    text_buffer_t *out = &page->out;
    emit(out, "<section id=\"units\">\n<h2>Units</h2>\n<p class=\"note\">Per unit and standard: "
              "readiness, maturity, nonconformities, and the maturity of each top-level "
              "clause (radar; 0 at the centre, 5 at the rim).</p>\n");
    for (size_t u = 0; u < page->unit_count; u++) {
        const cJSON *first = page->unit_first[u]->entry;
        emit(out, "<div class=\"unit\" id=\"unit-%h\" data-unit=\"%h\"><h3>", page->units[u],
             page->units[u]);
        unit_label(out, first);
        emit(out, "</h3><p class=\"note\">");
        const char *org = string_of(first, "org");
        if (org && *org)
            emit(out, "organisation %h &middot; ", org);
        emit(out, "evidence as of %h</p>\n<div class=\"radars\">",
             string_or(first, "as_of", "?"));
        for (const row_t *row = page->unit_first[u];
             row < page->rows + page->row_count && strcmp(row->unit, page->units[u]) == 0;
             row++) {
            emit(out, "<div class=\"radar-card\"><p><b>%h</b> ", row->standard);
            badge_readiness(out, string_of(row->entry, "readiness"));
            emit(out, "</p><p>maturity %n &middot; %n major, %n minor NC, %n observations</p>",
                 number_of(row->entry, "maturity"), number_of(row->entry, "major_nc"),
                 number_of(row->entry, "minor_nc"), number_of(row->entry, "observations"));
            render_radar(page, row->entry);
            emit(out, "</div>");
        }
        emit(out, "</div></div>\n");
    }
    emit(out, "</section>\n");
}

/* One nonconformity of one unit, for grouping by clause. */
typedef struct {
    const row_t *row;
    const cJSON *nc;
    size_t clause_index;
    size_t order;
} nc_ref_t;

static int nc_order(const void *a, const void *b)
{
    const nc_ref_t *x = a, *y = b;
    if (x->clause_index != y->clause_index)
        return x->clause_index < y->clause_index ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static size_t clause_index(const page_t *page, const char *standard, const char *clause)
{
    size_t index = 0;
    const cJSON *info;
    cJSON_ArrayForEach(info, get(standard_info(page, standard), "clauses")) {
        if (equal(info->string, clause))
            return index;
        index++;
    }
    return index;
}

/* " in 8 Measurement... > 8.2 Monitoring..." for a clause's ancestors;
   nothing for a top-level clause. */
static void clause_path(page_t *page, const char *standard, const char *clause)
{
    const char *chain[16];
    size_t depth = 0;
    const char *parent = string_of(clause_info(page, standard, clause), "parent");
    while (parent && depth < 16) {
        chain[depth++] = parent;
        parent = string_of(clause_info(page, standard, parent), "parent");
    }
    if (depth == 0)
        return;
    emit(&page->out, " <span class=\"note\">in ");
    for (size_t level = depth; level > 0; level--) {
        const char *id = chain[level - 1];
        emit(&page->out, "%s%h %h", level == depth ? "" : " &rsaquo; ", id,
             clause_title(page, standard, id));
    }
    emit(&page->out, "</span>");
}

static const char *status_class(const char *status)
{
    if (equal(status, "major_nc"))
        return "major";
    if (equal(status, "minor_nc"))
        return "minor";
    if (equal(status, "conformant"))
        return "ready";
    return "na";
}

/* An assessor's decision beside the machine verdict it overrides. */
static void render_decision(text_buffer_t *out, const cJSON *decision)
{
    const char *status = string_of(decision, "status");
    emit(out, "<div class=\"override\" data-override=\"%h\"><span class=\"note\">assessor:"
              "</span> <span class=\"badge %s\">%h</span> <span class=\"note\">by %h",
         status ? status : "", status_class(status), status_label(status),
         string_or(decision, "by", "?"));
    const char *expires = string_of(decision, "expires");
    if (expires && *expires)
        emit(out, ", until %h", expires);
    emit(out, ": %h</span></div>", string_or(decision, "reason", ""));
}

/* One unit's row in a clause group: its status and level, then each failing
   check (by id; the group lists their texts) with the evidence that decided
   it and the items skipped as expired. */
static void render_nc(page_t *page, const nc_ref_t *ref)
{
    text_buffer_t *out = &page->out;
    const cJSON *nc = ref->nc;
    const char *status = string_or(nc, "status", "");
    emit(out, "<tr class=\"nc\" data-unit=\"%h\"><td><a href=\"#unit-%h\">%h</a></td>"
              "<td><span class=\"badge %s\">%h</span>",
         ref->row->unit, ref->row->unit, ref->row->unit,
         equal(status, "major_nc") ? "major" : "minor", status_label(status));
    const cJSON *decision = get(nc, "override");
    if (decision)
        render_decision(out, decision);
    emit(out, "</td><td class=\"num\">");
    if (has_number(nc, "level"))
        emit(out, "%n", number_of(nc, "level"));
    emit(out, "</td><td>");
    size_t shown = 0;
    const cJSON *finding;
    cJSON_ArrayForEach(finding, get(nc, "findings")) {
        bool expired = string_of(finding, "expired") != NULL;
        const char *message = string_of(finding, "message");
        emit(out, "%s<span class=\"id\">%h</span> ", shown ? "<br>" : "",
             finding_check(finding));
        if (cJSON_IsTrue(get(finding, "error")))
            emit(out, "<span class=\"badge major\">error</span> ");
        evidence_list(out, finding, "evidence", expired ? "no current item" : "no item found");
        if (expired) {
            emit(out, " <span class=\"note\">expired</span> ");
            evidence_list(out, finding, "expired", "");
        }
        if (message && *message)
            emit(out, " <span class=\"note\">%h</span>", message);
        shown++;
    }
    if (!shown)
        emit(out, "<span class=\"muted\">no failing check recorded</span>");
    emit(out, "</td></tr>\n");
}

/* Whether no failing check of the nonconformity found anything: no item
   examined, none expired, no message. Such units are listed together. */
static bool nc_bare(const cJSON *nc)
{
    if (get(nc, "override"))
        return false;
    const cJSON *finding;
    cJSON_ArrayForEach(finding, get(nc, "findings"))
        if (!cJSON_IsString(finding))
            return false;
    return true;
}

/* Same status, level and failing checks. */
static bool nc_same(const cJSON *a, const cJSON *b)
{
    if (!equal(string_of(a, "status"), string_of(b, "status"))
        || has_number(a, "level") != has_number(b, "level")
        || number_of(a, "level") != number_of(b, "level"))
        return false;
    const cJSON *findings_a = get(a, "findings"), *findings_b = get(b, "findings");
    int count = cJSON_GetArraySize(findings_a);
    if (count != cJSON_GetArraySize(findings_b))
        return false;
    for (int i = 0; i < count; i++)
        if (!equal(finding_check(cJSON_GetArrayItem(findings_a, i)),
                   finding_check(cJSON_GetArrayItem(findings_b, i))))
            return false;
    return true;
}

/* The units of a clause group whose failing checks found nothing at all,
   one row per same status, level and failing checks. `done` marks the
   refs rendered. */
static void render_bare(page_t *page, const nc_ref_t *refs, size_t count, bool *done)
{
    text_buffer_t *out = &page->out;
    for (size_t i = 0; i < count; i++) {
        if (done[i] || !nc_bare(refs[i].nc))
            continue;
        const cJSON *nc = refs[i].nc;
        const char *status = string_or(nc, "status", "");
        size_t units = 0;
        for (size_t j = i; j < count; j++)
            units += !done[j] && nc_bare(refs[j].nc) && nc_same(nc, refs[j].nc);
        emit(out, "<tr class=\"nc\" data-units=\"%z\"><td>", units);
        size_t listed = 0;
        for (size_t j = i; j < count; j++) {
            if (done[j] || !nc_bare(refs[j].nc) || !nc_same(nc, refs[j].nc))
                continue;
            done[j] = true;
            emit(out, "%s<a href=\"#unit-%h\">%h</a>", listed++ ? ", " : "", refs[j].row->unit,
                 refs[j].row->unit);
        }
        emit(out, "</td><td><span class=\"badge %s\">%h</span></td><td class=\"num\">",
             equal(status, "major_nc") ? "major" : "minor", status_label(status));
        if (has_number(nc, "level"))
            emit(out, "%n", number_of(nc, "level"));
        emit(out, "</td><td>");
        size_t shown = 0;
        const cJSON *finding;
        cJSON_ArrayForEach(finding, get(nc, "findings"))
            emit(out, "%s<span class=\"id\">%h</span>", shown++ ? ", " : "",
                 finding_check(finding));
        emit(out, "%s<span class=\"muted\">no item found</span></td></tr>\n",
             shown ? ": " : "");
    }
}

/* Units of a clause group shown with their evidence; beyond that the
   group names the rest (a batch of thousands stays a page a browser
   opens). */
#define NC_DETAILS 50

/* The units of a clause group beyond NC_DETAILS whose checks found
   something: named, with where their evidence is. */
static void render_more(page_t *page, const nc_ref_t *refs, size_t count, bool *done,
                        size_t more)
{
    text_buffer_t *out = &page->out;
    const char *batch = page->options && page->options->batch ? page->options->batch : "BATCH";
    emit(out, "<tr class=\"nc more\" data-units=\"%z\"><td colspan=\"4\"><span class=\"note\">"
              "%z more units with this nonconformity (their evidence: <code>assay results "
              "%h --format json</code>):</span> ",
         more, more, batch);
    size_t listed = 0;
    for (size_t i = 0; i < count; i++) {
        if (done[i] || nc_bare(refs[i].nc))
            continue;
        done[i] = true;
        bool major = equal(string_of(refs[i].nc, "status"), "major_nc");
        emit(out, "%s<a href=\"#unit-%h\">%h</a> <span class=\"note\">(%s)</span>",
             listed++ ? ", " : "", refs[i].row->unit, refs[i].row->unit,
             major ? "major" : "minor");
    }
    emit(out, "</td></tr>\n");
}

/* The checks that failed within one clause group, once each, with how many
   of the group's units failed them: what is missing. */
static void render_missing(page_t *page, const char *standard, const nc_ref_t *refs,
                           size_t count)
{
    const cJSON *texts = get(standard_info(page, standard), "checks");
    text_buffer_t *out = &page->out;
    size_t capacity = 1;
    for (size_t i = 0; i < count; i++)
        capacity += (size_t) cJSON_GetArraySize(get(refs[i].nc, "findings"));
    const cJSON **seen = calloc(capacity, sizeof *seen);
    size_t *units = calloc(capacity, sizeof *units);
    size_t seen_count = 0;
    if (!seen || !units) {
        free(seen);
        free(units);
        out->failed = true;
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const cJSON *finding;
        cJSON_ArrayForEach(finding, get(refs[i].nc, "findings")) {
            const char *check = finding_check(finding);
            size_t at = 0;
            while (at < seen_count && !equal(finding_check(seen[at]), check))
                at++;
            if (at == seen_count)
                seen[seen_count++] = finding;
            units[at]++;
        }
    }
    emit(out, "<ul class=\"checks\">");
    for (size_t i = 0; i < seen_count; i++) {
        const char *check = finding_check(seen[i]);
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(texts, check);
        const char *severity = string_or(text, "severity", "");
        emit(out, "<li><span class=\"badge %s\">%h</span> %h <span class=\"id\">%h</span> "
                  "<span class=\"note\">&middot; failed by %z unit%s</span></li>",
             severity_class(severity), severity, string_or(text, "text", ""), check, units[i],
             units[i] == 1 ? "" : "s");
    }
    emit(out, "</ul>\n");
    free(seen);
    free(units);
}

static void render_nonconformities(page_t *page)
{
    text_buffer_t *out = &page->out;
    size_t total = 0;
    for (size_t i = 0; i < page->row_count; i++)
        total += (size_t) cJSON_GetArraySize(get(page->rows[i].entry, "ncs"));
    emit(out, "<section id=\"nonconformities\" data-count=\"%z\">\n<h2>Nonconformities by "
              "clause</h2>\n<p class=\"note\">Each clause with a nonconformity: what is missing "
              "(the checks that failed, by severity), then each unit that has it with the "
              "evidence that decided each failed check (the items examined that did not "
              "satisfy it) and the items skipped as expired.</p>\n",
         total);
    if (total == 0)
        emit(out, "<p>No nonconformities.</p>\n");
    nc_ref_t *refs = calloc(total ? total : 1, sizeof *refs);
    if (!refs) {
        out->failed = true;
        return;
    }
    /* Open the groups when they are few enough to read through. */
    bool open = total <= 50;
    for (size_t s = 0; s < page->standard_count && total; s++) {
        const char *standard = page->standards[s];
        size_t count = 0;
        for (size_t i = 0; i < page->row_count; i++) {
            if (strcmp(page->rows[i].standard, standard) != 0)
                continue;
            const cJSON *nc;
            cJSON_ArrayForEach(nc, get(page->rows[i].entry, "ncs")) {
                refs[count] = (nc_ref_t) {
                    .row = &page->rows[i], .nc = nc,
                    .clause_index = clause_index(page, standard, string_or(nc, "id", "")),
                    .order = count,
                };
                count++;
            }
        }
        if (count == 0)
            continue;
        qsort(refs, count, sizeof *refs, nc_order);
        emit(out, "<h3>%h <span class=\"muted\">%z nonconformities</span></h3>\n", standard,
             count);
        for (size_t first = 0; first < count;) {
            const char *clause = string_or(refs[first].nc, "id", "");
            size_t end = first, major = 0;
            while (end < count && equal(string_or(refs[end].nc, "id", ""), clause)) {
                major += equal(string_of(refs[end].nc, "status"), "major_nc");
                end++;
            }
            emit(out, "<details class=\"nc-clause\" data-standard=\"%h\" data-clause=\"%h\"%s>"
                      "<summary><b>%h</b> %h",
                 standard, clause, open ? " open" : "", clause,
                 clause_title(page, standard, clause));
            clause_path(page, standard, clause);
            emit(out, " &mdash; %z unit%s", end - first, end - first == 1 ? "" : "s");
            if (major)
                emit(out, " <span class=\"badge major\">%z major</span>", major);
            if (end - first - major)
                emit(out, " <span class=\"badge minor\">%z minor</span>", end - first - major);
            emit(out, "</summary>\n");
            render_missing(page, standard, refs + first, end - first);
            emit(out, "<div class=\"scroll\"><table>\n<tr><th>Unit</th><th>Status</th>"
                      "<th class=\"num\">Level</th><th>Failed checks: the evidence that "
                      "decided them</th></tr>\n");
            bool *done = calloc(end - first, sizeof *done);
            if (!done) {
                out->failed = true;
                break;
            }
            size_t detailed = 0, more = 0;
            for (size_t i = first; i < end; i++)
                if (!nc_bare(refs[i].nc)) {
                    if (detailed++ < NC_DETAILS) {
                        render_nc(page, &refs[i]);
                        done[i - first] = true;
                    } else
                        more++;
                }
            if (more)
                render_more(page, refs + first, end - first, done, more);
            render_bare(page, refs + first, end - first, done);
            free(done);
            emit(out, "</table></div></details>\n");
            first = end;
        }
    }
    free(refs);
    emit(out, "</section>\n");
}

/* Every active override: the machine verdict, which stays, and the
   assessor's decision beside it. */
static void render_overrides(page_t *page)
{
    size_t count = count_overrides(page);
    if (count == 0)
        return;
    text_buffer_t *out = &page->out;
    emit(out, "<section id=\"overrides\" data-count=\"%z\">\n<h2>Assessors&#39; decisions</h2>\n"
              "<p class=\"note\">Active overrides: an assessor&#39;s verdict on a clause beside "
              "the machine verdict, which is kept. The figures above are the machine&#39;s.</p>\n"
              "<div class=\"scroll\"><table>\n<tr><th>Unit</th><th>Standard</th><th>Clause</th>"
              "<th>Machine verdict</th><th>Assessor&#39;s verdict</th><th>By</th><th>When</th>"
              "<th>Until</th><th>Reason</th></tr>\n",
         count);
    for (size_t i = 0; i < page->row_count; i++) {
        const row_t *row = &page->rows[i];
        const cJSON *decision;
        cJSON_ArrayForEach(decision, get(row->entry, "overrides")) {
            const char *clause = string_or(decision, "clause", "");
            const char *machine = string_of(decision, "machine_status");
            const char *status = string_of(decision, "status");
            /* "2026-11-02T10:00:00.123+00:00" as "2026-11-02 10:00". */
            char when[64];
            snprintf(when, sizeof when, "%s", string_or(decision, "at", ""));
            if (strlen(when) >= 16 && when[10] == 'T') {
                when[10] = ' ';
                when[16] = '\0';
            }
            emit(out, "<tr class=\"override\" data-unit=\"%h\" data-standard=\"%h\" "
                      "data-clause=\"%h\"><td><a href=\"#unit-%h\">%h</a></td><td>%h</td>"
                      "<td><b>%h</b> %h</td>",
                 row->unit, row->standard, clause, row->unit, row->unit, row->standard, clause,
                 clause_title(page, row->standard, clause));
            emit(out, "<td><span class=\"badge %s\">%h</span></td>"
                      "<td><span class=\"badge %s\">%h</span></td><td>%h</td><td>%h</td>"
                      "<td>%h</td><td>%h</td></tr>\n",
                 status_class(machine), status_label(machine), status_class(status),
                 status_label(status), string_or(decision, "by", ""), when,
                 string_or(decision, "expires", ""), string_or(decision, "reason", ""));
        }
    }
    emit(out, "</table></div>\n</section>\n");
}

static void render_jobs(page_t *page)
{
    const cJSON *jobs = page->report->jobs;
    if (cJSON_GetArraySize(jobs) == 0)
        return;
    text_buffer_t *out = &page->out;
    emit(out, "<section id=\"jobs\">\n<h2>Jobs without results</h2>\n<p class=\"note\">These "
              "jobs of the batch have no results (yet): they are not in the figures above.</p>\n"
              "<table>\n<tr><th class=\"num\">Job</th><th>Unit</th><th>State</th>"
              "<th class=\"num\">Attempt</th><th>Last error</th></tr>\n");
    const cJSON *job;
    cJSON_ArrayForEach(job, jobs)
        emit(out, "<tr><td class=\"num\">%n</td><td>%h</td><td>%h</td><td class=\"num\">%n</td>"
                  "<td>%h</td></tr>\n",
             number_of(job, "job"), string_or(job, "unit", "?"), string_or(job, "state", "?"),
             number_of(job, "attempt"), string_or(job, "error", ""));
    emit(out, "</table>\n</section>\n");
}

char *report_html(const report_t *self, const report_options_t *options)
{
    page_t page = { .report = self, .options = options };
    if (page_collect(&page) != 0) {
        page_free(&page);
        return NULL;
    }
    render_head(&page);
    render_summary(&page);
    render_readiness(&page);
    render_heatmaps(&page);
    render_units(&page);
    render_nonconformities(&page);
    render_overrides(&page);
    render_jobs(&page);
    emit(&page.out, "</main>\n</body>\n</html>\n");
    page_free(&page);
    if (page.out.failed) {
        free(page.out.data);
        return NULL;
    }
    return page.out.data;
}
