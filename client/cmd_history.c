/*  cmd_history.c - history and human review: `assay diff BATCH_A BATCH_B`,
    `assay history UNIT`, `assay override JOB CLAUSE ...` and
    `assay overrides BATCH|UNIT|JOB`. Each is a QUERY to the broker (verbs
    diff, history, override, overrides; proto/PROTOCOL.md), answered from
    PostgreSQL by its query thread; the output is a table for people or,
    with --format json, one JSON document on the last line of stdout.
*/
#include "commands.h"
#include "date.h"
#include "display.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_PAGE 1000

/* ---- helpers ------------------------------------------------------------ */

/* One QUERY; on failure prints why (with the broker's own message for a
   refusal, which names what was not found) and returns the exit code,
   else 0 with *body set (caller deletes). */
static int ask(const args_t *args, client_conn_t *conn, const char *verb, const char *target,
               const cJSON *arguments, const char *what, cJSON **body)
{
    uint32_t code = 0;
    *body = NULL;
    client_conn_result_t result = client_conn_query(conn, verb, target, arguments, &code, body);
    if (result == CLIENT_CONN_OK && code == ASSAY_CODE_OK && cJSON_IsObject(*body))
        return EXIT_DONE;
    int rc;
    const char *error = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(*body, "error"));
    if (result == CLIENT_CONN_OK && code == ASSAY_CODE_OK) {
        fprintf(stderr, "assay %s: %s: the broker's answer is not a JSON object\n",
                args->command, what);
        rc = EXIT_UNAVAILABLE;
    } else if (result == CLIENT_CONN_OK && code == ASSAY_CODE_NOT_FOUND && error) {
        char shown[1024];
        fprintf(stderr, "assay %s: %s\n", args->command,
                display_escape_into(error, shown, sizeof shown));
        rc = EXIT_NOT_FOUND;
    } else if (result == CLIENT_CONN_OK && code == ASSAY_CODE_BAD_INPUT
               && error && strstr(error, "unknown query verb")) {
        fprintf(stderr, "assay %s: the broker at %s does not know '%s': it is older than this "
                "client\n", args->command, cli_broker(args), verb);
        rc = EXIT_UNAVAILABLE;
    } else
        rc = cli_request_failed(args->command, what, result, code, *body);
    cJSON_Delete(*body);
    *body = NULL;
    return rc;
}

static const char *text_of(const cJSON *object, const char *name, const char *fallback)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
    return text ? text : fallback;
}

static double number_of(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

/* A number as people read it ("3.65", "2"), or "-" when absent. */
static void number_text(const cJSON *item, char out[32])
{
    if (cJSON_IsNumber(item))
        format_number(item->valuedouble, out);
    else
        snprintf(out, 32, "-");
}

/* A change with its sign ("+0.03", "-1", "0"), or "" when absent. */
static void change_text(const cJSON *item, char out[32])
{
    if (!cJSON_IsNumber(item)) {
        out[0] = '\0';
        return;
    }
    char number[32];
    format_number(item->valuedouble, number);
    /* %.30s: the sign and the number fit the 32 bytes (-O2 checks). */
    snprintf(out, 32, "%s%.30s", item->valuedouble > 0 && strcmp(number, "0") != 0 ? "+" : "",
             number);
}

/* "2026-11-23T11:18:08.78708+00:00" -> "2026-11-23 11:18:08". */
static void time_text(const char *iso, char out[32])
{
    snprintf(out, 32, "%.19s", iso ? iso : "-");
    if (strlen(out) > 10 && out[10] == 'T')
        out[10] = ' ';
}

/* ---- a small table: rows of cells, aligned when printed ------------------ */

#define TABLE_MAX_COLUMNS 14

typedef struct {
    size_t columns;
    const char *headers[TABLE_MAX_COLUMNS];
    bool right[TABLE_MAX_COLUMNS];
    char **cells;             /* rows x columns, owned */
    char **notes;             /* per row: lines printed below it, or NULL */
    size_t rows, capacity;
} table_t;

static void table_row(table_t *self, const char *const *cells, char *note)
{
    if (self->rows == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 32;
        char **grown = realloc(self->cells, capacity * self->columns * sizeof *grown);
        char **notes = grown ? realloc(self->notes, capacity * sizeof *notes) : NULL;
        if (grown)
            self->cells = grown;
        if (!notes) {
            free(note);
            return;
        }
        self->notes = notes;
        self->capacity = capacity;
    }
    for (size_t column = 0; column < self->columns; column++)
        self->cells[self->rows * self->columns + column] = strdup(cells[column] ? cells[column] : "");
    self->notes[self->rows++] = note;
}

static void table_print(table_t *self)
{
    size_t width[TABLE_MAX_COLUMNS];
    for (size_t column = 0; column < self->columns; column++) {
        width[column] = strlen(self->headers[column]);
        for (size_t row = 0; row < self->rows; row++) {
            const char *cell = self->cells[row * self->columns + column];
            size_t length = cell ? strlen(cell) : 0;
            if (length > width[column])
                width[column] = length;
        }
    }
    for (size_t row = 0; row <= self->rows; row++) {
        for (size_t column = 0; column < self->columns; column++) {
            const char *cell = row == 0 ? self->headers[column]
                                        : self->cells[(row - 1) * self->columns + column];
            if (!cell)
                cell = "";
            const char *separator = column ? "  " : "";
            if (self->right[column])
                printf("%s%*s", separator, (int) width[column], cell);
            else if (column + 1 == self->columns)
                printf("%s%s", separator, cell);
            else
                printf("%s%-*s", separator, (int) width[column], cell);
        }
        putchar('\n');
        if (row > 0 && self->notes[row - 1])
            fputs(self->notes[row - 1], stdout);
    }
}

static void table_free(table_t *self)
{
    for (size_t i = 0; i < self->rows * self->columns; i++)
        free(self->cells[i]);
    for (size_t row = 0; row < self->rows; row++)
        free(self->notes[row]);
    free(self->cells);
    free(self->notes);
}

/* Append a formatted line to a growing note. */
static void note_add(char **note, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void note_add(char **note, const char *format, ...)
{
    char line[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    size_t used = *note ? strlen(*note) : 0;
    char *grown = realloc(*note, used + strlen(line) + 1);
    if (!grown)
        return;
    memcpy(grown + used, line, strlen(line) + 1);
    *note = grown;
}

/* ---- assay diff ------------------------------------------------------------ */

static void diff_nc_notes(char **note, const cJSON *list, const char *what)
{
    const cJSON *nc;
    cJSON_ArrayForEach(nc, list) {
        const char *was = text_of(nc, "was", NULL), *now = text_of(nc, "now", NULL);
        note_add(note, "    %-6s %s %s: %s -> %s\n", what, text_of(nc, "clause", "?"),
                 text_of(nc, "title", ""), was ? was : "(not assessed)",
                 now ? now : "(not assessed)");
    }
}

static void diff_print(const cJSON *document, const char *from, const char *to, bool all)
{
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(document, "counts");
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(document, "pairs");
    printf("diff %s -> %s: %.0f unit x standard pairs, %.0f changed, %.0f unchanged%s\n", from, to,
           number_of(counts, "pairs"), number_of(counts, "changed"),
           number_of(counts, "unchanged"), all ? "" : " (not listed; --all lists them)");
    if (cJSON_GetArraySize(pairs) > 0) {
        table_t table = {
            .columns = 7,
            .headers = { "UNIT", "STANDARD", "MATURITY", "CHANGE", "READINESS", "NEW NC",
                         "CLOSED NC" },
            .right = { false, false, false, true, false, true, true },
        };
        const cJSON *pair;
        cJSON_ArrayForEach(pair, pairs) {
            const cJSON *before = cJSON_GetObjectItemCaseSensitive(pair, "from");
            const cJSON *after = cJSON_GetObjectItemCaseSensitive(pair, "to");
            char was[32], now[32], maturity[80], change[32], readiness[80], new_count[16],
                 closed_count[16];
            number_text(cJSON_GetObjectItemCaseSensitive(before, "maturity"), was);
            number_text(cJSON_GetObjectItemCaseSensitive(after, "maturity"), now);
            if (!cJSON_IsObject(before))
                snprintf(maturity, sizeof maturity, "only in %s: %s", to, now);
            else if (!cJSON_IsObject(after))
                snprintf(maturity, sizeof maturity, "only in %s: %s", from, was);
            else
                snprintf(maturity, sizeof maturity, "%s -> %s", was, now);
            change_text(cJSON_GetObjectItemCaseSensitive(pair, "maturity_change"), change);
            const char *readiness_change = text_of(pair, "readiness_change", NULL);
            snprintf(readiness, sizeof readiness, "%s",
                     readiness_change ? readiness_change
                                      : text_of(cJSON_IsObject(after) ? after : before,
                                                "readiness", "-"));
            const cJSON *new_nc = cJSON_GetObjectItemCaseSensitive(pair, "new_nc");
            const cJSON *closed_nc = cJSON_GetObjectItemCaseSensitive(pair, "closed_nc");
            snprintf(new_count, sizeof new_count, "%d", cJSON_GetArraySize(new_nc));
            snprintf(closed_count, sizeof closed_count, "%d", cJSON_GetArraySize(closed_nc));
            const char *cells[] = { text_of(pair, "unit", "?"), text_of(pair, "standard", "?"),
                                    maturity, change, readiness, new_count, closed_count };
            char *note = NULL;
            diff_nc_notes(&note, closed_nc, "closed");
            diff_nc_notes(&note, new_nc, "new");
            table_row(&table, cells, note);
        }
        table_print(&table);
        table_free(&table);
    }
    printf("maturity up in %.0f, down in %.0f; readiness changed in %.0f; nonconformities: "
           "%.0f new, %.0f closed; only in %s: %.0f, only in %s: %.0f\n",
           number_of(counts, "maturity_up"), number_of(counts, "maturity_down"),
           number_of(counts, "readiness_changed"), number_of(counts, "new_nc"),
           number_of(counts, "closed_nc"), from, number_of(counts, "only_in_from"), to,
           number_of(counts, "only_in_to"));
}

int cmd_diff(const args_t *args)
{
    bool json = false;
    int rc = EXIT_DONE;
    client_conn_t *conn = cli_connect_to_query(args, 2, "two batches (BATCH_A BATCH_B)", &json, &rc);
    if (!conn)
        return rc;
    const char *from = args->positional[0], *to = args->positional[1];
    char what[600];
    snprintf(what, sizeof what, "diff %s %s", from, to);
    cJSON *document = NULL, *pairs = NULL, *after = NULL;
    /* Page through the pairs; the counts come with the first page. */
    while (rc == EXIT_DONE) {
        cJSON *arguments = cJSON_CreateObject();
        cJSON_AddStringToObject(arguments, "against", to);
        cJSON_AddNumberToObject(arguments, "limit", DIFF_PAGE);
        cJSON_AddBoolToObject(arguments, "all", args->all);
        if (after)
            cJSON_AddItemToObject(arguments, "after", after);
        after = NULL;
        cJSON *page = NULL;
        rc = ask(args, conn, "diff", from, arguments, what, &page);
        cJSON_Delete(arguments);
        if (rc != EXIT_DONE)
            break;
        /* Each page is a window of pairs: its changed ones and its
           counts, which add up over the windows. */
        cJSON *page_pairs = cJSON_DetachItemFromObjectCaseSensitive(page, "pairs");
        if (!document) {
            document = page;
            pairs = cJSON_IsArray(page_pairs) ? page_pairs : cJSON_CreateArray();
            if (!cJSON_IsArray(page_pairs))
                cJSON_Delete(page_pairs);
        } else {
            cJSON *pair;
            while (cJSON_IsArray(page_pairs) && (pair = cJSON_DetachItemFromArray(page_pairs, 0)))
                cJSON_AddItemToArray(pairs, pair);
            cJSON_Delete(page_pairs);
            cJSON *total = cJSON_GetObjectItemCaseSensitive(document, "counts");
            const cJSON *count;
            cJSON_ArrayForEach(count, cJSON_GetObjectItemCaseSensitive(page, "counts")) {
                cJSON *sum = cJSON_GetObjectItemCaseSensitive(total, count->string);
                if (cJSON_IsNumber(sum) && cJSON_IsNumber(count))
                    cJSON_SetNumberValue(sum, sum->valuedouble + count->valuedouble);
            }
        }
        cJSON *next = cJSON_GetObjectItemCaseSensitive(page, "next");
        bool more = cJSON_IsObject(next) && text_of(next, "unit", NULL)
                 && text_of(next, "standard", NULL);
        if (more)
            after = cJSON_Duplicate(next, true);
        if (page != document)
            cJSON_Delete(page);
        if (!more)
            break;
    }
    cJSON_Delete(after);
    if (rc == EXIT_DONE) {
        cJSON_DeleteItemFromObjectCaseSensitive(document, "next");
        cJSON_AddItemToObject(document, "pairs", pairs);
        pairs = NULL;
        if (json)
            cli_print_json_line(document);
        else if ((rc = cli_escape_answer(args->command, document)) == EXIT_DONE)
            diff_print(document, from, to, args->all);
    }
    cJSON_Delete(pairs);
    cJSON_Delete(document);
    client_conn_destroy(&conn);
    return rc;
}

/* ---- assay history ------------------------------------------------------- */

static void history_print(const cJSON *body)
{
    const cJSON *assessments = cJSON_GetObjectItemCaseSensitive(body, "assessments");
    printf("unit %s: %d assessments from %.0f jobs", text_of(body, "unit", "?"),
           cJSON_GetArraySize(assessments), number_of(body, "jobs"));
    if (number_of(body, "jobs_without_results") > 0)
        printf(" (%.0f without results)", number_of(body, "jobs_without_results"));
    putchar('\n');
    if (cJSON_GetArraySize(assessments) == 0)
        return;
    table_t table = {
        .columns = 13,
        .headers = { "STANDARD", "RUN", "ASSESSED AT", "BATCH", "JOB", "AS OF", "MATURITY",
                     "CHANGE", "READINESS", "MAJOR", "MINOR", "OBS", "OVERRIDES" },
        .right = { false, true, false, false, true, false, true, true, false, true, true, true,
                   false },
    };
    const cJSON *entry;
    cJSON_ArrayForEach(entry, assessments) {
        char run[32], at[32], job[32], maturity[32], change[32], major[32], minor[32],
             observations[32], overrides[96], readiness[96];
        number_text(cJSON_GetObjectItemCaseSensitive(entry, "run"), run);
        time_text(text_of(entry, "assessed_at", NULL), at);
        number_text(cJSON_GetObjectItemCaseSensitive(entry, "job"), job);
        number_text(cJSON_GetObjectItemCaseSensitive(entry, "maturity"), maturity);
        change_text(cJSON_GetObjectItemCaseSensitive(entry, "maturity_change"), change);
        number_text(cJSON_GetObjectItemCaseSensitive(entry, "major_nc"), major);
        number_text(cJSON_GetObjectItemCaseSensitive(entry, "minor_nc"), minor);
        number_text(cJSON_GetObjectItemCaseSensitive(entry, "observations"), observations);
        double active = number_of(entry, "active_overrides");
        const char *machine = text_of(entry, "readiness", "-");
        const char *effective = text_of(entry, "effective_readiness", machine);
        /* With overrides, the readiness they give beside the machine's. */
        if (active > 0 && strcmp(machine, effective) != 0)
            snprintf(overrides, sizeof overrides, "%.0f (readiness %s)", active, effective);
        else if (active > 0)
            snprintf(overrides, sizeof overrides, "%.0f", active);
        else
            snprintf(overrides, sizeof overrides, "-");
        snprintf(readiness, sizeof readiness, "%s", machine);
        const char *cells[] = { text_of(entry, "standard", "?"), run, at,
                                text_of(entry, "batch", "?"), job, text_of(entry, "as_of", "-"),
                                maturity, change, readiness, major, minor, observations,
                                overrides };
        table_row(&table, cells, NULL);
    }
    table_print(&table);
    table_free(&table);
}

int cmd_history(const args_t *args)
{
    int rc = cli_expect_arguments(args, 1, "one UNIT");
    if (rc != EXIT_DONE)
        return rc;
    if (args->standard && strchr(args->standard, ','))
        return cli_usage_error(args->command, "--standard: one standard id");
    bool json = false;
    rc = cli_table_or_json(args, &json);
    if (rc != EXIT_DONE)
        return rc;
    client_conn_t *conn = cli_connect(args, &rc);
    if (!conn)
        return rc;
    cJSON *arguments = cJSON_CreateObject();
    if (args->standard && strcmp(args->standard, "all") != 0)
        cJSON_AddStringToObject(arguments, "standard", args->standard);
    cJSON *body = NULL;
    rc = ask(args, conn, "history", args->positional[0], arguments, args->positional[0], &body);
    cJSON_Delete(arguments);
    if (rc == EXIT_DONE) {
        if (json)
            cli_print_json_line(body);
        else if ((rc = cli_escape_answer(args->command, body)) == EXIT_DONE)
            history_print(body);
    }
    cJSON_Delete(body);
    client_conn_destroy(&conn);
    return rc;
}

/* ---- assay override ------------------------------------------------------- */

static const char *const clause_statuses[] = {
    "conformant", "minor_nc", "major_nc", "not_applicable"
};

int cmd_override(const args_t *args)
{
    int rc = cli_expect_arguments(args, 2, "JOB and CLAUSE");
    if (rc != EXIT_DONE)
        return rc;
    const char *job = args->positional[0], *clause = args->positional[1];
    if (!*job || strspn(job, "0123456789") != strlen(job) || strlen(job) > 18
        || strspn(job, "0") == strlen(job))
        return cli_usage_error(args->command, "JOB: expected a job id (a number, as `assay "
                               "submit -v` and `assay results --format json` show), got '%s'",
                               job);
    bool known = false;
    for (size_t i = 0; args->status && i < 4; i++)
        known = known || strcmp(args->status, clause_statuses[i]) == 0;
    if (!args->status)
        return cli_usage_error(args->command, "--status is required");
    if (!known)
        return cli_usage_error(args->command, "--status: expected conformant, minor_nc, "
                               "major_nc or not_applicable, got '%s'", args->status);
    if (!args->reason || strspn(args->reason, " \t\r\n") == strlen(args->reason))
        return cli_usage_error(args->command, "--reason is required: say why");
    if (!args->by || strspn(args->by, " \t\r\n") == strlen(args->by))
        return cli_usage_error(args->command, "--by is required: say who decided");
    int32_t expires_day;
    if (args->expires && !date_parse_day(args->expires, &expires_day))
        return cli_usage_error(args->command, "--expires: expected a date YYYY-MM-DD, got '%s'",
                               args->expires);
    if (args->standard && (strchr(args->standard, ',') || strcmp(args->standard, "all") == 0))
        return cli_usage_error(args->command, "--standard: one standard id");
    bool json = false;
    rc = cli_table_or_json(args, &json);
    if (rc != EXIT_DONE)
        return rc;
    client_conn_t *conn = cli_connect(args, &rc);
    if (!conn)
        return rc;
    cJSON *arguments = cJSON_CreateObject();
    cJSON_AddStringToObject(arguments, "job", job);
    if (args->standard)
        cJSON_AddStringToObject(arguments, "standard", args->standard);
    cJSON_AddStringToObject(arguments, "clause", clause);
    cJSON_AddStringToObject(arguments, "status", args->status);
    cJSON_AddStringToObject(arguments, "reason", args->reason);
    cJSON_AddStringToObject(arguments, "by", args->by);
    if (args->expires)
        cJSON_AddStringToObject(arguments, "expires", args->expires);
    char what[320];
    snprintf(what, sizeof what, "job %s clause %s", job, clause);
    cJSON *body = NULL;
    rc = ask(args, conn, "override", job, arguments, what, &body);
    cJSON_Delete(arguments);
    if (rc == EXIT_DONE) {
        if (json)
            cli_print_json_line(body);
        else if ((rc = cli_escape_answer(args->command, body)) == EXIT_DONE) {
            char id[32];
            number_text(cJSON_GetObjectItemCaseSensitive(body, "id"), id);
            printf("override %s: job %s, %s %s clause %s (%s): machine %s, assessor %s\n", id,
                   job, text_of(body, "unit", "?"), text_of(body, "standard", "?"),
                   text_of(body, "clause", clause), text_of(body, "title", ""),
                   text_of(body, "machine_status", "?"), text_of(body, "status", "?"));
            const cJSON *replaces = cJSON_GetObjectItemCaseSensitive(body, "replaces");
            if (cJSON_IsNumber(replaces))
                printf("  replaces override %.0f (%s)\n", replaces->valuedouble,
                       text_of(body, "replaces_status", "?"));
            printf("  by %s at %s, %s%s\n", text_of(body, "by", "?"), text_of(body, "at", "?"),
                   text_of(body, "expires", NULL) ? "expires after " : "no expiry",
                   text_of(body, "expires", ""));
        }
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "active")))
            fprintf(stderr, "assay %s: --expires %s is in the past: the decision is recorded, "
                    "but it does not apply\n", args->command, args->expires ? args->expires : "");
    }
    cJSON_Delete(body);
    client_conn_destroy(&conn);
    return rc;
}

/* ---- assay overrides ------------------------------------------------------ */

static void overrides_print(const cJSON *body)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "overrides");
    size_t active = 0, expired = 0, superseded = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, list) {
        const char *state = text_of(entry, "state", "");
        active += strcmp(state, "active") == 0;
        expired += strcmp(state, "expired") == 0;
        superseded += strcmp(state, "superseded") == 0;
    }
    printf("%s %s: %d overrides: %zu active, %zu expired, %zu superseded\n",
           text_of(body, "kind", "target"), text_of(body, "target", "?"),
           cJSON_GetArraySize(list), active, expired, superseded);
    if (cJSON_GetArraySize(list) == 0)
        return;
    table_t table = {
        .columns = 12,
        .headers = { "ID", "JOB", "UNIT", "STANDARD", "CLAUSE", "MACHINE", "OVERRIDE", "STATE",
                     "BY", "AT", "EXPIRES", "REASON" },
        .right = { true, true },
    };
    cJSON_ArrayForEach(entry, list) {
        char id[32], job[32], at[32], state[64];
        number_text(cJSON_GetObjectItemCaseSensitive(entry, "id"), id);
        number_text(cJSON_GetObjectItemCaseSensitive(entry, "job"), job);
        time_text(text_of(entry, "at", NULL), at);
        const cJSON *by_newer = cJSON_GetObjectItemCaseSensitive(entry, "superseded_by");
        if (cJSON_IsNumber(by_newer))
            snprintf(state, sizeof state, "superseded by %.0f", by_newer->valuedouble);
        else
            snprintf(state, sizeof state, "%s", text_of(entry, "state", "?"));
        const char *cells[] = { id, job, text_of(entry, "unit", "?"),
                                text_of(entry, "standard", "?"), text_of(entry, "clause", "?"),
                                text_of(entry, "previous_status", "?"),
                                text_of(entry, "status", "?"), state, text_of(entry, "by", "?"),
                                at, text_of(entry, "expires", "-"), text_of(entry, "reason", "") };
        table_row(&table, cells, NULL);
    }
    table_print(&table);
    table_free(&table);
}

int cmd_overrides(const args_t *args)
{
    bool json = false;
    int rc = EXIT_DONE;
    client_conn_t *conn = cli_connect_to_query(args, 1, "one BATCH, UNIT or JOB", &json, &rc);
    if (!conn)
        return rc;
    cJSON *body = NULL;
    rc = ask(args, conn, "overrides", args->positional[0], NULL, args->positional[0], &body);
    if (rc == EXIT_DONE) {
        if (json)
            cli_print_json_line(body);
        else if ((rc = cli_escape_answer(args->command, body)) == EXIT_DONE)
            overrides_print(body);
    }
    cJSON_Delete(body);
    client_conn_destroy(&conn);
    return rc;
}
