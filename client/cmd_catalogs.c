/*  cmd_catalogs.c - `assay catalogs list|show ID|kinds|lint FILE`: what
    the loaded catalogs hold, and a linter for catalog authors that prints
    every problem (not just the first) with its JSON pointer and a hint.
    Offline: reads catalog folders only.
*/
#include "commands.h"
#include "display.h"
#include "inputs.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *string_of(const cJSON *object, const char *name)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
    return text ? text : "";
}

/* The loaded catalogs as --format json lists them; caller deletes. */
static cJSON *list_json(const catalog_set_t *catalogs)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < catalog_set_size(catalogs); i++) {
        const catalog_t *catalog = catalog_set_at(catalogs, i);
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "id", catalog_id(catalog));
        cJSON_AddStringToObject(entry, "standard", catalog_standard(catalog));
        cJSON_AddStringToObject(entry, "edition", catalog_edition(catalog));
        cJSON_AddStringToObject(entry, "title", catalog_title(catalog));
        cJSON_AddBoolToObject(entry, "certifiable", catalog_certifiable(catalog));
        cJSON_AddNumberToObject(entry, "clauses", (double) catalog_clause_count(catalog));
        cJSON_AddStringToObject(entry, "sha256", catalog_sha256(catalog));
        cJSON_AddItemToArray(array, entry);
    }
    return array;
}

static int list(const catalog_set_t *catalogs, bool json)
{
    cJSON *array = list_json(catalogs);
    if (json) {
        cli_print_json_line(array);
        cJSON_Delete(array);
        return EXIT_DONE;
    }
    /* the table from the same texts, escaped: catalogs may come from
       anyone (display.h) */
    if (cli_escape_answer("catalogs", array) != EXIT_DONE) {
        cJSON_Delete(array);
        return EXIT_UNAVAILABLE;
    }
    size_t id_width = 2, standard_width = 8;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, array) {
        if (strlen(string_of(entry, "id")) > id_width)
            id_width = strlen(string_of(entry, "id"));
        if (strlen(string_of(entry, "standard")) > standard_width)
            standard_width = strlen(string_of(entry, "standard"));
    }
    printf("%-*s  %-*s  %-7s  %-11s  %7s  %s\n", (int) id_width, "ID", (int) standard_width,
           "STANDARD", "EDITION", "CERTIFIABLE", "CLAUSES", "TITLE");
    cJSON_ArrayForEach(entry, array) {
        const cJSON *clauses = cJSON_GetObjectItemCaseSensitive(entry, "clauses");
        printf("%-*s  %-*s  %-7s  %-11s  %7.0f  %s\n", (int) id_width, string_of(entry, "id"),
               (int) standard_width, string_of(entry, "standard"), string_of(entry, "edition"),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entry, "certifiable")) ? "yes" : "no",
               cJSON_IsNumber(clauses) ? clauses->valuedouble : 0.0, string_of(entry, "title"));
    }
    cJSON_Delete(array);
    return EXIT_DONE;
}

/* A catalog for people: its clauses as an outline, each with its checks. */
static void show_outline(const cJSON *json)
{
    printf("%s: %s %s, %s (%s)\n", string_of(json, "id"), string_of(json, "standard"),
           string_of(json, "edition"), string_of(json, "title"),
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, "certifiable")) ? "certifiable"
                                                                               : "guidance");
    const cJSON *clauses = cJSON_GetObjectItemCaseSensitive(json, "clauses");
    const cJSON *clause;
    cJSON_ArrayForEach(clause, clauses) {
        /* Indent by depth: the number of dots in the clause id. */
        const char *id = string_of(clause, "id");
        int depth = 0;
        for (const char *at = id; *at; at++)
            depth += *at == '.';
        const char *kind = string_of(clause, "kind");
        printf("%*s%s  %s%s%s%s\n", 2 + 2 * depth, "", id, string_of(clause, "title"),
               *kind ? "  [" : "", kind, *kind ? "]" : "");
        const cJSON *checks = cJSON_GetObjectItemCaseSensitive(clause, "checks");
        const cJSON *check;
        cJSON_ArrayForEach(check, checks) {
            const cJSON *level = cJSON_GetObjectItemCaseSensitive(check, "level");
            printf("%*s- %s (level %.0f, %s): %s\n", 4 + 2 * depth, "", string_of(check, "id"),
                   cJSON_IsNumber(level) ? level->valuedouble : 0.0, string_of(check, "severity"),
                   string_of(check, "text"));
        }
    }
}

static int show(const args_t *args, const catalog_set_t *catalogs, bool json)
{
    if (args->positional_count != 2)
        return cli_usage_error(args->command, "show: expected one catalog ID");
    const char *id = args->positional[1];
    const catalog_t *catalog = catalog_set_find(catalogs, id);
    if (!catalog) {
        fprintf(stderr, "assay %s: show: unknown catalog '%s' (see `assay catalogs list`)\n",
                args->command, id);
        return EXIT_USAGE;
    }
    cJSON *summary = catalog_to_json(catalog);
    int rc = EXIT_DONE;
    if (json)
        cli_print_json_line(summary);
    else if ((rc = cli_escape_answer(args->command, summary)) == EXIT_DONE)
        show_outline(summary);
    cJSON_Delete(summary);
    return rc;
}

static int kinds(const catalog_set_t *catalogs, bool json)
{
    cJSON *array = catalog_set_kinds_json(catalogs);
    if (json) {
        cli_print_json_line(array);
        cJSON_Delete(array);
        return EXIT_DONE;
    }
    if (cli_escape_answer("catalogs", array) != EXIT_DONE) {
        cJSON_Delete(array);
        return EXIT_UNAVAILABLE;
    }
    size_t kind_width = 4, type_width = 4;
    const cJSON *kind;
    cJSON_ArrayForEach(kind, array) {
        if (strlen(string_of(kind, "kind")) > kind_width)
            kind_width = strlen(string_of(kind, "kind"));
        if (strlen(string_of(kind, "type")) > type_width)
            type_width = strlen(string_of(kind, "type"));
    }
    printf("%-*s  %-*s  %s\n", (int) kind_width, "KIND", (int) type_width, "TYPE",
           "DESCRIPTION (CATALOGS)");
    cJSON_ArrayForEach(kind, array) {
        printf("%-*s  %-*s  %s (", (int) kind_width, string_of(kind, "kind"), (int) type_width,
               string_of(kind, "type"), string_of(kind, "description"));
        const cJSON *catalog;
        bool first = true;
        cJSON_ArrayForEach(catalog, cJSON_GetObjectItemCaseSensitive(kind, "catalogs")) {
            printf("%s%s", first ? "" : ", ", cJSON_GetStringValue(catalog) ? catalog->valuestring : "");
            first = false;
        }
        printf(")\n");
    }
    cJSON_Delete(array);
    return EXIT_DONE;
}

/* Lint one catalog file as it would be loaded: on top of the bundled (and
   ASSAY_CATALOGS) ones, so `extends` and `maps_to` resolve, replacing a
   catalog of the same id. Every diagnostic goes to stderr; the verdict
   (or, with --format json, every diagnostic) to stdout. */
static int lint(const args_t *args, bool json)
{
    if (args->positional_count != 2)
        return cli_usage_error(args->command, "lint: expected one catalog FILE");
    const char *path = args->positional[1];
    char error[600];
    size_t length = 0;
    char *text = util_file_read(path, 64u * 1024 * 1024, &length, error, sizeof error);
    if (!text) {
        fprintf(stderr, "%s\n", error);
        return EXIT_USAGE;
    }
    diag_list_t *diags = diag_list_new();
    diag_list_t *base_diags = diag_list_new();
    catalog_set_t *catalogs = util_catalogs_load(args->catalogs, base_diags);
    if (!catalogs) {
        /* The other catalogs do not load (perhaps because of this very
           file): lint this one alone. */
        fprintf(stderr, "assay %s: lint: the other catalogs do not load (`assay catalogs "
                "list` says why); %s is checked on its own\n", args->command, path);
        catalogs = catalog_set_new();
    }
    diag_list_destroy(&base_diags);
    if (catalog_set_add(catalogs, path, text, length, diags) == 0)
        catalog_set_link(catalogs, diags);
    free(text);

    size_t errors = diag_list_errors(diags), warnings = diag_list_size(diags) - errors;
    inputs_print_diags(diags, true, stderr);
    if (json) {
        cJSON *array = cJSON_CreateArray();
        for (size_t i = 0; i < diag_list_size(diags); i++) {
            const diag_t *diag = diag_list_at(diags, i);
            cJSON *entry = cJSON_CreateObject();
            cJSON_AddStringToObject(entry, "severity",
                                    diag->severity == DIAG_ERROR ? "error" : "warning");
            cJSON_AddStringToObject(entry, "origin", diag->origin ? diag->origin : path);
            cJSON_AddStringToObject(entry, "where", diag->where ? diag->where : "");
            cJSON_AddStringToObject(entry, "message", diag->message ? diag->message : "");
            if (diag->hint)
                cJSON_AddStringToObject(entry, "hint", diag->hint);
            else
                cJSON_AddNullToObject(entry, "hint");
            cJSON_AddItemToArray(array, entry);
        }
        cli_print_json_line(array);
        cJSON_Delete(array);
    } else if (errors)
        printf("%s: %zu error%s, %zu warning%s\n", path, errors, errors == 1 ? "" : "s",
               warnings, warnings == 1 ? "" : "s");
    else if (warnings)
        printf("%s: ok, %zu warning%s\n", path, warnings, warnings == 1 ? "" : "s");
    else
        printf("%s: ok\n", path);
    diag_list_destroy(&diags);
    catalog_set_destroy(&catalogs);
    return errors ? EXIT_USAGE : EXIT_DONE;
}

int cmd_catalogs(const args_t *args)
{
    if (args->positional_count == 0)
        return cli_usage_error(args->command, "expected list, show ID, kinds or lint FILE");
    format_kind_t kind;
    if (cli_format(args, FORMAT_TABLE, &kind) != 0)
        return EXIT_USAGE;
    if (kind != FORMAT_TABLE && kind != FORMAT_JSON)
        return cli_usage_error(args->command, "--format: expected table or json");
    bool json = kind == FORMAT_JSON;
    const char *action = args->positional[0];
    if (strcmp(action, "lint") == 0)
        return lint(args, json);
    bool known = strcmp(action, "list") == 0 || strcmp(action, "show") == 0
              || strcmp(action, "kinds") == 0;
    if (!known)
        return cli_usage_error(args->command, "unknown action '%s'", action);
    if (strcmp(action, "show") != 0 && args->positional_count != 1)
        return cli_usage_error(args->command, "%s takes no arguments", action);

    diag_list_t *diags = diag_list_new();
    catalog_set_t *catalogs = util_catalogs_load(args->catalogs, diags);
    if (!catalogs) {
        inputs_print_diags(diags, true, stderr);
        fprintf(stderr, "assay %s: cannot load the catalogs (`assay catalogs lint FILE` "
                "checks one)\n", args->command);
        diag_list_destroy(&diags);
        return EXIT_USAGE;
    }
    diag_list_destroy(&diags);
    int rc = strcmp(action, "list") == 0 ? list(catalogs, json)
           : strcmp(action, "show") == 0 ? show(args, catalogs, json)
           : kinds(catalogs, json);
    catalog_set_destroy(&catalogs);
    return rc;
}
