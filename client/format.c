/*  format.c - result output formats. See format.h. */
#include "format.h"
#include "display.h"
#include "format_export.h"
#include "text_buffer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- evidence reuse -------------------------------------------------------- */

/* One piece of evidence serving clauses of several standards. A group is
   the consecutive assessments of one unit and as_of (how `assay check`
   prints a bundle's standards, and `assay results` a job's); an item
   serves a clause when a passing check of that clause cites it. Items
   serving two or more standards of their group are listed in the json
   document's "evidence_reuse" and counted in the table's last line. */
typedef struct {
    char *id;
    size_t sequence;            /* order of citation, to keep catalog order */
    size_t standard;            /* index into reuse_t.standards */
    char *clause;
} reuse_cite_t;

typedef struct {
    char *unit, *as_of;
    char **standards;           /* of the current group, in arrival order */
    size_t standard_count;
    reuse_cite_t *cites;
    size_t cite_count, cite_capacity;
    bool multi;                 /* some group had two or more standards */
    size_t items, units;        /* reused items, units with reuse */
    text_buffer_t json;              /* entries, comma separated */
    bool failed;
} reuse_t;

static char *reuse_strdup(reuse_t *self, const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy)
        self->failed = true;
    return copy;
}

static int reuse_compare(const void *a, const void *b)
{
    const reuse_cite_t *x = a, *y = b;
    int order = strcmp(x->id, y->id);
    return order ? order : x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

static void reuse_clear_group(reuse_t *self)
{
    for (size_t i = 0; i < self->cite_count; i++) {
        free(self->cites[i].id);
        free(self->cites[i].clause);
    }
    self->cite_count = 0;
    for (size_t i = 0; i < self->standard_count; i++)
        free(self->standards[i]);
    free(self->standards);
    self->standards = NULL;
    self->standard_count = 0;
    free(self->unit);
    free(self->as_of);
    self->unit = self->as_of = NULL;
}

/* The entry of one item whose cites are [first, last). */
static void reuse_entry(reuse_t *self, const reuse_cite_t *first, const reuse_cite_t *last)
{
    cJSON *entry = cJSON_CreateObject();
    cJSON *standards = cJSON_CreateArray();
    cJSON *clauses = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "unit", self->unit);
    cJSON_AddStringToObject(entry, "as_of", self->as_of);
    cJSON_AddStringToObject(entry, "evidence", first->id);
    cJSON_AddItemToObject(entry, "standards", standards);
    cJSON_AddItemToObject(entry, "clauses", clauses);
    for (size_t s = 0; s < self->standard_count; s++) {
        cJSON *list = NULL;
        for (const reuse_cite_t *cite = first; cite < last; cite++) {
            if (cite->standard != s)
                continue;
            if (!list) {
                cJSON_AddItemToArray(standards, cJSON_CreateString(self->standards[s]));
                list = cJSON_AddArrayToObject(clauses, self->standards[s]);
            }
            bool seen = false;
            const cJSON *clause;
            cJSON_ArrayForEach(clause, list) {
                seen = seen || strcmp(clause->valuestring, cite->clause) == 0;
            }
            if (!seen)
                cJSON_AddItemToArray(list, cJSON_CreateString(cite->clause));
        }
    }
    char *text = cJSON_PrintUnformatted(entry);
    cJSON_Delete(entry);
    if (!text) {
        self->failed = true;
        return;
    }
    if (self->json.size)
        text_buffer_append(&self->json, ",", 1);
    text_buffer_puts(&self->json, text);
    free(text);
}

/* Close the current group: list its items that served several standards. */
static void reuse_flush(reuse_t *self)
{
    if (self->standard_count >= 2) {
        self->multi = true;
        if (self->cite_count > 1)   /* qsort(NULL, 0, ...) is undefined */
            qsort(self->cites, self->cite_count, sizeof *self->cites, reuse_compare);
        size_t reused = 0;
        for (size_t i = 0, end; i < self->cite_count; i = end) {
            for (end = i; end < self->cite_count && strcmp(self->cites[end].id, self->cites[i].id) == 0; end++)
                ;
            /* cites are in arrival order within an item, so their
               standards never decrease: first and last differ when the
               item served two or more */
            if (self->cites[i].standard != self->cites[end - 1].standard) {
                reuse_entry(self, &self->cites[i], &self->cites[end]);
                reused++;
            }
        }
        self->items += reused;
        self->units += reused > 0;
    }
    reuse_clear_group(self);
}

static void reuse_cite(reuse_t *self, const char *id, size_t standard, const char *clause)
{
    if (self->cite_count == self->cite_capacity) {
        size_t capacity = self->cite_capacity ? self->cite_capacity * 2 : 256;
        reuse_cite_t *grown = realloc(self->cites, capacity * sizeof *grown);
        if (!grown) {
            self->failed = true;
            return;
        }
        self->cites = grown;
        self->cite_capacity = capacity;
    }
    reuse_cite_t *cite = &self->cites[self->cite_count];
    cite->id = reuse_strdup(self, id);
    cite->clause = reuse_strdup(self, clause);
    cite->sequence = self->cite_count;
    cite->standard = standard;
    if (cite->id && cite->clause)
        self->cite_count++;
    else {
        free(cite->id);
        free(cite->clause);
    }
}

static int reuse_add(reuse_t *self, const cJSON *assessment)
{
    const char *unit = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(assessment, "unit"));
    const char *as_of = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(assessment, "as_of"));
    const char *standard = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(assessment, "standard"));
    unit = unit ? unit : "";
    as_of = as_of ? as_of : "";
    if (!self->unit || strcmp(self->unit, unit) != 0 || strcmp(self->as_of, as_of) != 0) {
        reuse_flush(self);
        self->unit = reuse_strdup(self, unit);
        self->as_of = reuse_strdup(self, as_of);
    }
    char **grown = realloc(self->standards, (self->standard_count + 1) * sizeof *grown);
    if (!grown) {
        self->failed = true;
        return -1;
    }
    self->standards = grown;
    size_t index = self->standard_count;
    self->standards[index] = reuse_strdup(self, standard);
    if (self->standards[index])
        self->standard_count++;
    const cJSON *check;
    cJSON_ArrayForEach(check, cJSON_GetObjectItemCaseSensitive(assessment, "checks")) {
        const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(check, "status"));
        const char *clause = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(check, "clause"));
        if (!status || strcmp(status, "pass") != 0 || !clause)
            continue;
        const cJSON *id;
        cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(check, "evidence")) {
            if (cJSON_IsString(id))
                reuse_cite(self, id->valuestring, index, clause);
        }
    }
    return self->failed || self->json.failed ? -1 : 0;
}

static void reuse_free(reuse_t *self)
{
    reuse_clear_group(self);
    free(self->cites);
    free(self->json.data);
}

/* One table row: the cells of the columns below. */
#define TABLE_COLUMNS 7
static const char *const table_headers[TABLE_COLUMNS] = {
    "UNIT", "STANDARD", "MATURITY", "READINESS", "MAJOR", "MINOR", "OBS"
};
static const bool table_right_aligned[TABLE_COLUMNS] = {
    false, false, true, false, true, true, true
};

typedef struct {
    char *cells[TABLE_COLUMNS];
} table_row_t;

struct _format_t {
    format_kind_t kind;
    FILE *out;
    size_t count;
    bool failed;
    /* json: the assessments and unfinished jobs, printed at the end so a
       broken run never leaves half a document on stdout. */
    text_buffer_t assessments;
    text_buffer_t jobs;
    /* table */
    table_row_t *rows;
    size_t row_count, row_capacity;
    size_t ready, conditional, not_ready, not_applicable, major, minor;
    /* csv */
    bool header_done;
    /* junit, oscal: format_export.c */
    format_export_t *export;
    /* json, table: evidence serving several standards (see above) */
    reuse_t reuse;
    /* table: the assessors' overrides that apply, a line each */
    text_buffer_t overrides;
    size_t override_count;
};

int format_kind_parse(const char *name, format_kind_t *kind)
{
    static const char *const names[] = { "table", "json", "jsonl", "csv", "junit", "oscal" };
    for (int i = 0; i < 6; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *kind = (format_kind_t) i;
            return 0;
        }
    return -1;
}

const char *format_kind_name(format_kind_t kind)
{
    switch (kind) {
    case FORMAT_TABLE: return "table";
    case FORMAT_JSON: return "json";
    case FORMAT_JSONL: return "jsonl";
    case FORMAT_CSV: return "csv";
    case FORMAT_JUNIT: return "junit";
    case FORMAT_OSCAL: return "oscal";
    }
    return "table";
}

bool format_needs_full(format_kind_t kind)
{
    return kind == FORMAT_JSON || kind == FORMAT_CSV || kind == FORMAT_JUNIT
        || kind == FORMAT_OSCAL;
}

format_t *format_new(format_kind_t kind, FILE *out)
{
    format_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->kind = kind;
    self->out = out;
    if (kind == FORMAT_JUNIT || kind == FORMAT_OSCAL) {
        self->export = format_export_new(kind == FORMAT_OSCAL);
        if (!self->export) {
            free(self);
            return NULL;
        }
    }
    return self;
}

void format_destroy(format_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    format_t *self = *self_p;
    for (size_t i = 0; i < self->row_count; i++)
        for (int column = 0; column < TABLE_COLUMNS; column++)
            free(self->rows[i].cells[column]);
    free(self->rows);
    free(self->assessments.data);
    free(self->jobs.data);
    free(self->overrides.data);
    format_export_destroy(&self->export);
    reuse_free(&self->reuse);
    free(self);
    *self_p = NULL;
}

size_t format_count(const format_t *self)
{
    return self->count;
}

void format_number(double value, char out[32])
{
    if (!isfinite(value)) {
        snprintf(out, 32, "%s", "");
        return;
    }
    double rounded = round(value * 100.0) / 100.0;
    if (rounded == 0)
        rounded = 0;    /* no "-0" */
    if (fabs(rounded - round(rounded)) < 1e-9 && fabs(rounded) < 1e15) {
        snprintf(out, 32, "%.0f", round(rounded));
        return;
    }
    snprintf(out, 32, "%.2f", rounded);
    size_t length = strlen(out);
    while (length > 0 && out[length - 1] == '0')
        out[--length] = '\0';
}

static char *csv_quote(const char *text);

/* A plain decimal number: an optional sign, digits, an optional fraction
   ("-0.5", "+2", "3"). Nothing else (no exponent, no "inf", no blanks). */
static bool csv_plain_number(const char *text)
{
    const char *at = text + (*text == '-' || *text == '+');
    size_t digits = strspn(at, "0123456789");
    if (digits == 0)
        return false;
    at += digits;
    if (*at == '.') {
        digits = strspn(++at, "0123456789");
        if (digits == 0)
            return false;
        at += digits;
    }
    return *at == '\0';
}

bool format_csv_is_formula(const char *text)
{
    return text && *text && strchr("=+-@\t\r", *text) && !csv_plain_number(text);
}

char *format_csv_field(const char *text)
{
    if (!text)
        text = "";
    /* OWASP "CSV Injection": a spreadsheet runs a cell that starts with
       = + - @ TAB or CR as a formula, and the texts here come from
       bundles, catalogs and assessors. Such a cell gets a leading single
       quote (shown as text, not run) unless it is a plain number, such as
       a maturity change of -0.5, which stays a number. */
    char *prefixed = NULL;
    if (format_csv_is_formula(text)) {
        prefixed = malloc(strlen(text) + 2);
        if (!prefixed)
            return NULL;
        prefixed[0] = '\'';
        strcpy(prefixed + 1, text);
        text = prefixed;
    }
    char *field = csv_quote(text);
    free(prefixed);
    return field;
}

/* RFC 4180: quoted when it holds a comma, quote, CR or LF, or starts or
   ends with a blank; quotes doubled. */
static char *csv_quote(const char *text)
{
    size_t length = strlen(text);
    bool quote = strpbrk(text, ",\"\r\n") != NULL
              || (length > 0 && (text[0] == ' ' || text[0] == '\t'
                                 || text[length - 1] == ' ' || text[length - 1] == '\t'));
    if (!quote)
        return strdup(text);
    size_t quotes = 0;
    for (const char *at = text; *at; at++)
        quotes += *at == '"';
    char *field = malloc(length + quotes + 3), *cursor = field;
    if (!field)
        return NULL;
    *cursor++ = '"';
    for (const char *at = text; *at; at++) {
        if (*at == '"')
            *cursor++ = '"';
        *cursor++ = *at;
    }
    *cursor++ = '"';
    *cursor = '\0';
    return field;
}

/* ---- helpers reading a result document --------------------------------- */

static const char *get_string(const cJSON *object, const char *name)
{
    const char *value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
    return value ? value : "";
}

/* Any scalar as text: strings as they are, numbers by format_number,
   booleans as true/false, null and absent as "". */
static void scalar_text(const cJSON *item, char *out, size_t out_size)
{
    if (cJSON_IsString(item))
        snprintf(out, out_size, "%s", item->valuestring);
    else if (cJSON_IsNumber(item)) {
        char number[32];
        format_number(item->valuedouble, number);
        snprintf(out, out_size, "%s", number);
    } else if (cJSON_IsBool(item))
        snprintf(out, out_size, "%s", cJSON_IsTrue(item) ? "true" : "false");
    else
        snprintf(out, out_size, "%s", "");
}

void format_sort_assessments(cJSON *assessments)
{
    int count = cJSON_GetArraySize(assessments);
    if (count < 2)
        return;
    cJSON **items = malloc((size_t) count * sizeof *items);
    if (!items)
        return;
    for (int i = 0; i < count; i++)
        items[i] = cJSON_DetachItemFromArray(assessments, 0);
    size_t *order = malloc((size_t) count * sizeof *order);
    if (order) {
        for (int i = 0; i < count; i++)
            order[i] = (size_t) i;
        /* Insertion sort: stable, and a unit has a handful of standards. */
        for (int i = 1; i < count; i++) {
            size_t current = order[i];
            int j = i - 1;
            while (j >= 0 && strcmp(get_string(items[order[j]], "standard"),
                                    get_string(items[current], "standard")) > 0) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = current;
        }
        for (int i = 0; i < count; i++)
            cJSON_AddItemToArray(assessments, items[order[i]]);
        free(order);
    } else
        for (int i = 0; i < count; i++)
            cJSON_AddItemToArray(assessments, items[i]);
    free(items);
}

cJSON *format_jsonl_object(const cJSON *assessment)
{
    static const char *const keys[] = {
        "unit", "unit_name", "org", "standard", "edition", "as_of", "maturity",
        "readiness", "major_nc", "minor_nc", "observations"
    };
    cJSON *object = cJSON_CreateObject();
    if (!object)
        return NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(assessment, keys[i]);
        if (item && !cJSON_AddItemToObject(object, keys[i], cJSON_Duplicate(item, true))) {
            cJSON_Delete(object);
            return NULL;
        }
    }
    /* Assessors' overrides that apply, beside the machine verdict (only
       from `assay results`, and only when there are some). */
    const cJSON *overrides = cJSON_GetObjectItemCaseSensitive(assessment, "overrides");
    if (cJSON_GetArraySize(overrides) > 0
        && !cJSON_AddItemToObject(object, "overrides", cJSON_Duplicate(overrides, true))) {
        cJSON_Delete(object);
        return NULL;
    }
    return object;
}

const cJSON *format_clause_override(const cJSON *assessment, const char *clause_id)
{
    const cJSON *entry;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(assessment, "overrides")) {
        const char *clause = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "clause"));
        if (clause && strcmp(clause, clause_id) == 0)
            return entry;
    }
    return NULL;
}

/* ---- per format ----------------------------------------------------------- */

static int print_json_line(format_t *self, const cJSON *object)
{
    char *text = cJSON_PrintUnformatted(object);
    if (!text)
        return -1;
    fputs(text, self->out);
    fputc('\n', self->out);
    free(text);
    return 0;
}

static int add_to_json(format_t *self, text_buffer_t *buffer, const cJSON *item)
{
    char *text = cJSON_PrintUnformatted(item);
    if (!text)
        return -1;
    if (buffer->size)
        text_buffer_append(buffer, ",", 1);
    text_buffer_puts(buffer, text);
    free(text);
    return buffer->failed ? -1 : 0;
}

static int add_table_row(format_t *self, const cJSON *assessment)
{
    if (self->row_count == self->row_capacity) {
        size_t capacity = self->row_capacity ? self->row_capacity * 2 : 64;
        table_row_t *grown = realloc(self->rows, capacity * sizeof *grown);
        if (!grown)
            return -1;
        self->rows = grown;
        self->row_capacity = capacity;
    }
    table_row_t *row = &self->rows[self->row_count];
    char maturity[32] = "";
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(assessment, "maturity");
    if (cJSON_IsNumber(item))
        snprintf(maturity, sizeof maturity, "%.2f", item->valuedouble);
    static const char *const fields[TABLE_COLUMNS] = {
        "unit", "standard", NULL, "readiness", "major_nc", "minor_nc", "observations"
    };
    for (int column = 0; column < TABLE_COLUMNS; column++) {
        char cell[512];
        if (fields[column])
            scalar_text(cJSON_GetObjectItemCaseSensitive(assessment, fields[column]), cell,
                        sizeof cell);
        else
            snprintf(cell, sizeof cell, "%s", maturity);
        /* display.h: unit ids and the like come from bundles */
        row->cells[column] = display_escape(cell);
        if (!row->cells[column]) {
            for (int done = 0; done < column; done++)
                free(row->cells[done]);
            return -1;
        }
    }
    self->row_count++;

    const char *readiness = get_string(assessment, "readiness");
    if (strcmp(readiness, "ready") == 0)
        self->ready++;
    else if (strcmp(readiness, "conditional") == 0)
        self->conditional++;
    else if (strcmp(readiness, "not_ready") == 0)
        self->not_ready++;
    else
        self->not_applicable++;
    const cJSON *major = cJSON_GetObjectItemCaseSensitive(assessment, "major_nc");
    const cJSON *minor = cJSON_GetObjectItemCaseSensitive(assessment, "minor_nc");
    self->major += cJSON_IsNumber(major) && major->valuedouble > 0 ? (size_t) major->valuedouble : 0;
    self->minor += cJSON_IsNumber(minor) && minor->valuedouble > 0 ? (size_t) minor->valuedouble : 0;
    const char *unit = get_string(assessment, "unit"), *standard = get_string(assessment, "standard");
    const cJSON *entry;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(assessment, "overrides")) {
        /* the assessor's texts, like the cells, are escaped (display.h) */
        const char *texts[] = { unit, standard, get_string(entry, "clause"),
                                get_string(entry, "machine_status"), get_string(entry, "status"),
                                get_string(entry, "by"), get_string(entry, "expires") };
        char safe[7][256];
        for (int i = 0; i < 7; i++)
            display_escape_into(texts[i], safe[i], sizeof safe[i]);
        char line[2048];
        snprintf(line, sizeof line, "  %s  %s  %s: machine %s, assessor %s (by %s%s%s)\n",
                 safe[0], safe[1], safe[2], safe[3], safe[4], safe[5], *safe[6] ? ", until " : "",
                 safe[6]);
        text_buffer_puts(&self->overrides, line);
        self->override_count++;
    }
    /* What the overrides make of the assessment, when they change it. */
    const cJSON *effective = cJSON_GetObjectItemCaseSensitive(assessment, "effective");
    const char *applied = get_string(effective, "readiness");
    if (*applied && strcmp(applied, readiness) != 0) {
        char safe[4][256], line[1100];
        snprintf(line, sizeof line, "  %s  %s: readiness %s with the overrides (machine %s)\n",
                 display_escape_into(unit, safe[0], sizeof safe[0]),
                 display_escape_into(standard, safe[1], sizeof safe[1]),
                 display_escape_into(applied, safe[2], sizeof safe[2]),
                 display_escape_into(readiness, safe[3], sizeof safe[3]));
        text_buffer_puts(&self->overrides, line);
    }
    return self->overrides.failed ? -1 : 0;
}

#define CSV_COLUMNS 17
static const char *const csv_headers[CSV_COLUMNS] = {
    "unit", "org", "standard", "edition", "as_of", "clause", "parent", "title",
    "applicable", "assessed", "level", "status", "major", "minor", "observations",
    "override_status", "override_by"
};

static void csv_row(format_t *self, const char *const cells[CSV_COLUMNS])
{
    for (int column = 0; column < CSV_COLUMNS; column++) {
        char *field = format_csv_field(cells[column]);
        if (column)
            fputc(',', self->out);
        fputs(field ? field : "", self->out);
        free(field);
    }
    fputc('\n', self->out);
}

static int add_csv_rows(format_t *self, const cJSON *assessment)
{
    if (!self->header_done) {
        csv_row(self, csv_headers);
        self->header_done = true;
    }
    const cJSON *clauses = cJSON_GetObjectItemCaseSensitive(assessment, "clauses");
    const cJSON *findings = cJSON_GetObjectItemCaseSensitive(assessment, "findings");
    const cJSON *clause;
    cJSON_ArrayForEach(clause, clauses) {
        const char *clause_id = get_string(clause, "id");
        /* Findings per severity for this clause. */
        int major = 0, minor = 0, observations = 0;
        const cJSON *finding;
        cJSON_ArrayForEach(finding, findings) {
            if (strcmp(get_string(finding, "clause"), clause_id) != 0)
                continue;
            const char *severity = get_string(finding, "severity");
            major += strcmp(severity, "major") == 0;
            minor += strcmp(severity, "minor") == 0;
            observations += strcmp(severity, "observation") == 0;
        }
        char text[CSV_COLUMNS][1024];
        scalar_text(cJSON_GetObjectItemCaseSensitive(assessment, "unit"), text[0], sizeof text[0]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(assessment, "org"), text[1], sizeof text[1]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(assessment, "standard"), text[2], sizeof text[2]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(assessment, "edition"), text[3], sizeof text[3]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(assessment, "as_of"), text[4], sizeof text[4]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(clause, "id"), text[5], sizeof text[5]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(clause, "parent"), text[6], sizeof text[6]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(clause, "title"), text[7], sizeof text[7]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(clause, "applicable"), text[8], sizeof text[8]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(clause, "assessed"), text[9], sizeof text[9]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(clause, "level"), text[10], sizeof text[10]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(clause, "status"), text[11], sizeof text[11]);
        snprintf(text[12], sizeof text[12], "%d", major);
        snprintf(text[13], sizeof text[13], "%d", minor);
        snprintf(text[14], sizeof text[14], "%d", observations);
        /* status is the machine verdict; an assessor's, when one applies,
           stands beside it. */
        const cJSON *override = format_clause_override(assessment, clause_id);
        scalar_text(cJSON_GetObjectItemCaseSensitive(override, "status"), text[15], sizeof text[15]);
        scalar_text(cJSON_GetObjectItemCaseSensitive(override, "by"), text[16], sizeof text[16]);
        const char *cells[CSV_COLUMNS];
        for (int column = 0; column < CSV_COLUMNS; column++)
            cells[column] = text[column];
        csv_row(self, cells);
    }
    return 0;
}

int format_assessment(format_t *self, const cJSON *assessment)
{
    int rc = 0;
    if ((self->kind == FORMAT_JSON || self->kind == FORMAT_TABLE)
        && reuse_add(&self->reuse, assessment) != 0) {
        self->failed = true;
        return -1;
    }
    switch (self->kind) {
    case FORMAT_TABLE:
        rc = add_table_row(self, assessment);
        break;
    case FORMAT_JSON:
        rc = add_to_json(self, &self->assessments, assessment);
        break;
    case FORMAT_JSONL: {
        cJSON *object = format_jsonl_object(assessment);
        rc = object ? print_json_line(self, object) : -1;
        cJSON_Delete(object);
        break;
    }
    case FORMAT_CSV:
        rc = add_csv_rows(self, assessment);
        break;
    case FORMAT_JUNIT:
    case FORMAT_OSCAL:
        rc = format_export_assessment(self->export, assessment);
        break;
    }
    if (rc == 0)
        self->count++;
    else
        self->failed = true;
    return rc;
}

int format_unfinished_job(format_t *self, const cJSON *job)
{
    if (self->kind != FORMAT_JSON)
        return 0;
    /* The job without its (empty) assessments: what and why. */
    cJSON *copy = cJSON_Duplicate(job, true);
    if (!copy)
        return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "assessments");
    int rc = add_to_json(self, &self->jobs, copy);
    cJSON_Delete(copy);
    if (rc)
        self->failed = true;
    return rc;
}

static void print_table(format_t *self)
{
    size_t width[TABLE_COLUMNS];
    for (int column = 0; column < TABLE_COLUMNS; column++) {
        width[column] = strlen(table_headers[column]);
        for (size_t i = 0; i < self->row_count; i++) {
            size_t length = strlen(self->rows[i].cells[column]);
            if (length > width[column])
                width[column] = length;
        }
    }
    for (size_t i = 0; i <= self->row_count; i++) {
        const char *const *cells = i == 0 ? table_headers
                                          : (const char *const *) self->rows[i - 1].cells;
        for (int column = 0; column < TABLE_COLUMNS; column++) {
            const char *separator = column ? "  " : "";
            bool last = column == TABLE_COLUMNS - 1;
            if (table_right_aligned[column])
                fprintf(self->out, "%s%*s", separator, (int) width[column], cells[column]);
            else if (last)
                fprintf(self->out, "%s%s", separator, cells[column]);
            else
                fprintf(self->out, "%s%-*s", separator, (int) width[column], cells[column]);
        }
        fputc('\n', self->out);
    }
    fprintf(self->out, "%zu assessment%s: %zu ready, %zu conditional, %zu not ready, %zu n/a; "
            "%zu major NC, %zu minor NC\n", self->row_count, self->row_count == 1 ? "" : "s",
            self->ready, self->conditional, self->not_ready, self->not_applicable, self->major,
            self->minor);
    if (self->override_count)
        fprintf(self->out, "%zu clause verdict%s overridden by assessors (the counts above are "
                "the machine's):\n%s", self->override_count,
                self->override_count == 1 ? "" : "s", self->overrides.data);
}

int format_finish(format_t *self)
{
    if (self->failed)
        return -1;
    switch (self->kind) {
    case FORMAT_TABLE:
        print_table(self);
        reuse_flush(&self->reuse);
        /* only when some item did: the summaries `assay results` fetches
           for a table carry no checks, so it shows there with json */
        if (self->reuse.items)
            fprintf(self->out, "evidence reuse: %zu item%s served clauses of two or more standards, "
                    "in %zu unit%s\n", self->reuse.items, self->reuse.items == 1 ? "" : "s",
                    self->reuse.units, self->reuse.units == 1 ? "" : "s");
        break;
    case FORMAT_JSON:
        fputs("{\"assessments\":[", self->out);
        if (self->assessments.size)
            fputs(self->assessments.data, self->out);
        fputc(']', self->out);
        if (self->jobs.size) {
            fputs(",\"jobs\":[", self->out);
            fputs(self->jobs.data, self->out);
            fputc(']', self->out);
        }
        /* only when some unit was assessed against several standards */
        reuse_flush(&self->reuse);
        if (self->reuse.failed || self->reuse.json.failed)
            return -1;
        if (self->reuse.multi) {
            fputs(",\"evidence_reuse\":[", self->out);
            if (self->reuse.json.size)
                fputs(self->reuse.json.data, self->out);
            fputc(']', self->out);
        }
        fputs("}\n", self->out);
        break;
    case FORMAT_JSONL:
        break;
    case FORMAT_CSV:
        /* An empty result still has its header, so readers see columns. */
        if (!self->header_done) {
            csv_row(self, csv_headers);
            self->header_done = true;
        }
        break;
    case FORMAT_JUNIT:
    case FORMAT_OSCAL:
        if (format_export_finish(self->export, self->out) != 0)
            return -1;
        break;
    }
    if (fflush(self->out) != 0 || ferror(self->out))
        return -1;
    return 0;
}
