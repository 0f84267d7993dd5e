/*  inputs.c - the evidence bundles named on the command line. See inputs.h. */
#include "inputs.h"
#include "display.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static input_t *add(inputs_t *self)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 64;
        input_t *grown = realloc(self->items, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        self->items = grown;
        self->capacity = capacity;
    }
    input_t *input = &self->items[self->count++];
    memset(input, 0, sizeof *input);
    return input;
}

static int add_file(inputs_t *self, const char *path)
{
    input_t *input = add(self);
    if (!input)
        return -1;
    input->origin = strdup(path);
    input->path = strdup(path);
    return input->origin && input->path ? 0 : -1;
}

/* ---- folders ------------------------------------------------------------- */

typedef struct {
    char **paths;
    size_t count, capacity;
} path_list_t;

static int path_list_add(path_list_t *list, char *path)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 256;
        char **grown = realloc(list->paths, capacity * sizeof *grown);
        if (!grown) {
            free(path);
            return -1;
        }
        list->paths = grown;
        list->capacity = capacity;
    }
    list->paths[list->count++] = path;
    return 0;
}

static bool has_suffix(const char *name, const char *suffix)
{
    size_t length = strlen(name), suffix_length = strlen(suffix);
    return length > suffix_length && strcmp(name + length - suffix_length, suffix) == 0;
}

/* Collect *.json below `folder`; symbolic links to folders are not
   followed, so a link cycle cannot loop. */
static int walk(const char *folder, path_list_t *list, FILE *err, int depth)
{
    if (depth > 64) {
        fprintf(err, "%s: folders nested too deep\n", folder);
        return -1;
    }
    DIR *dir = opendir(folder);
    if (!dir) {
        fprintf(err, "%s: cannot open folder: %s\n", folder, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir(dir))) {
        if (entry->d_name[0] == '.')
            continue;
        size_t length = strlen(folder) + strlen(entry->d_name) + 2;
        char *path = malloc(length);
        if (!path) {
            rc = -1;
            break;
        }
        bool slash = folder[strlen(folder) - 1] == '/';
        snprintf(path, length, "%s%s%s", folder, slash ? "" : "/", entry->d_name);
        struct stat info;
        if (lstat(path, &info) != 0) {
            fprintf(err, "%s: %s\n", path, strerror(errno));
            free(path);
            rc = -1;
        } else if (S_ISDIR(info.st_mode)) {
            rc = walk(path, list, err, depth + 1);
            free(path);
        } else if (has_suffix(entry->d_name, ".json")) {
            /* A link to a file is fine; stat says what it points at. */
            if (stat(path, &info) == 0 && S_ISREG(info.st_mode))
                rc = path_list_add(list, path);
            else
                free(path);
        } else
            free(path);
    }
    closedir(dir);
    return rc;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static int add_folder(inputs_t *self, const char *folder, FILE *err)
{
    path_list_t list = { 0 };
    int rc = walk(folder, &list, err, 0);
    if (rc == 0 && list.count == 0) {
        fprintf(err, "%s: no *.json bundles in this folder\n", folder);
        rc = -1;
    }
    if (rc == 0)
        qsort(list.paths, list.count, sizeof *list.paths, compare_paths);
    for (size_t i = 0; i < list.count; i++) {
        if (rc == 0 && add_file(self, list.paths[i]) != 0)
            rc = -1;
        free(list.paths[i]);
    }
    free(list.paths);
    return rc;
}

/* ---- stdin and JSON Lines --------------------------------------------- */

/* Is `text` several JSON documents, one per line? It is when its first
   document parses and is followed by more than blanks. One document
   spread over many lines, or broken JSON, is left whole for the bundle
   parser to judge (and report). */
static bool is_json_lines(const char *text, size_t length)
{
    const char *end = NULL;
    cJSON *first = cJSON_ParseWithLengthOpts(text, length, &end, false);
    if (!first)
        return false;
    cJSON_Delete(first);
    for (; end && end < text + length; end++)
        if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n')
            return true;
    return false;
}

static int add_text(inputs_t *self, const char *origin, char *text, size_t length)
{
    if (!is_json_lines(text, length)) {
        input_t *input = add(self);
        if (!input) {
            free(text);
            return -1;
        }
        input->origin = strdup(origin);
        input->text = text;
        input->length = length;
        return 0;
    }
    size_t line_number = 0;
    const char *cursor = text, *stop = text + length;
    int rc = 0;
    while (rc == 0 && cursor < stop) {
        const char *newline = memchr(cursor, '\n', (size_t) (stop - cursor));
        const char *line_end = newline ? newline : stop;
        line_number++;
        size_t line_length = (size_t) (line_end - cursor);
        bool blank = true;
        for (size_t i = 0; i < line_length && blank; i++)
            blank = cursor[i] == ' ' || cursor[i] == '\t' || cursor[i] == '\r';
        if (!blank) {
            input_t *input = add(self);
            if (!input)
                rc = -1;
            else {
                char name[64];
                snprintf(name, sizeof name, ":%zu", line_number);
                input->origin = malloc(strlen(origin) + strlen(name) + 1);
                input->text = strndup(cursor, line_length);
                input->length = line_length;
                if (!input->origin || !input->text)
                    rc = -1;
                else
                    sprintf(input->origin, "%s%s", origin, name);
            }
        }
        cursor = line_end + 1;
    }
    free(text);
    return rc;
}

static int add_whole(inputs_t *self, const char *path, FILE *err)
{
    char error[512];
    size_t length = 0;
    /* JSON Lines may hold many bundles, each up to the bundle limit. */
    char *text = util_file_read(path, 1024u * 1024u * 1024u, &length, error, sizeof error);
    if (!text) {
        fprintf(err, "%s\n", error);
        return -1;
    }
    return add_text(self, path, text, length);
}

/* ---- CSV manifests ------------------------------------------------------ */

static void free_fields(char **fields, int count);

static int csv_record_fields(const char **cursor, const char *stop, char ***fields, int *count,
                             size_t *line);

/* One CSV record (RFC 4180: quoted fields may hold commas, doubled quotes
   and line breaks) from *cursor into *fields (caller frees with
   free_fields). Returns the number of fields, or -1 for a quote left open
   (or no memory), with nothing left to free. *line counts the lines
   consumed. */
static int csv_record(const char **cursor, const char *stop, char ***fields, size_t *line)
{
    int count = 0;
    *fields = NULL;
    if (csv_record_fields(cursor, stop, fields, &count, line) != 0) {
        free_fields(*fields, count);
        *fields = NULL;
        return -1;
    }
    return count;
}

static int csv_record_fields(const char **cursor, const char *stop, char ***fields, int *count_p,
                             size_t *line)
{
    const char *at = *cursor;
    int count = 0;
    bool more = true;
    /* On failure *count_p says how many fields the caller must free. */
    while (more) {
        size_t capacity = 64, length = 0;
        char *field = malloc(capacity);
        if (!field)
            return -1;
        more = false;
        if (at < stop && *at == '"') {
            at++;
            while (true) {
                if (at >= stop) {
                    free(field);
                    return -1;
                }
                if (*at == '"' && (at + 1 >= stop || at[1] != '"')) {
                    at++;
                    break;
                }
                if (*at == '"')
                    at++;
                if (*at == '\n')
                    (*line)++;
                if (length + 2 > capacity) {
                    char *grown = realloc(field, capacity *= 2);
                    if (!grown) {
                        free(field);
                        return -1;
                    }
                    field = grown;
                }
                field[length++] = *at++;
            }
        }
        /* Unquoted text (or what follows a closing quote) up to , or EOL. */
        while (at < stop && *at != ',' && *at != '\n' && *at != '\r') {
            if (length + 2 > capacity) {
                char *grown = realloc(field, capacity *= 2);
                if (!grown) {
                    free(field);
                    return -1;
                }
                field = grown;
            }
            field[length++] = *at++;
        }
        field[length] = '\0';
        char **grown = realloc(*fields, (size_t) (count + 1) * sizeof *grown);
        if (!grown) {
            free(field);
            return -1;
        }
        *fields = grown;
        (*fields)[count++] = field;
        *count_p = count;
        if (at < stop && *at == ',') {
            at++;
            more = true;
        }
    }
    if (at < stop && *at == '\r')
        at++;
    if (at < stop && *at == '\n')
        at++;
    (*line)++;
    *cursor = at;
    return 0;
}

static void free_fields(char **fields, int count)
{
    for (int i = 0; i < count; i++)
        free(fields[i]);
    free(fields);
}

/* Trim blanks in place. */
static char *trim(char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t length = strlen(text);
    while (length > 0 && (text[length - 1] == ' ' || text[length - 1] == '\t'))
        text[--length] = '\0';
    return text;
}

/* "iso9001-2015; iso13485-2016" -> "iso9001-2015,iso13485-2016": a list
   separated by commas, semicolons, blanks or |. NULL when empty. */
static char *standards_list(const char *text)
{
    char *list = malloc(strlen(text) + 1), *out = list;
    if (!list)
        return NULL;
    for (const char *at = text; *at;) {
        size_t skip = strspn(at, ",; \t|");
        at += skip;
        size_t length = strcspn(at, ",; \t|");
        if (length == 0)
            break;
        if (out != list)
            *out++ = ',';
        memcpy(out, at, length);
        out += length;
        at += length;
    }
    *out = '\0';
    if (!*list) {
        free(list);
        return NULL;
    }
    return list;
}

/* The manifest's folder, links and dot-dots resolved; caller frees. */
static char *manifest_folder(const char *path, size_t folder_length)
{
    char *folder = folder_length ? strndup(path, folder_length) : strdup(".");
    char *real = folder ? realpath(folder, NULL) : NULL;
    free(folder);
    return real;
}

/* Is `bundle` (the path to read) inside `folder` (a realpath) once its
   own links and dot-dots are resolved? Compared on a component boundary,
   so /data/units-evil is not inside /data/units. A path that does not
   resolve (missing) counts as inside: reading it fails and says why. */
static bool manifest_contains(const char *folder, const char *bundle)
{
    char *real = realpath(bundle, NULL);
    if (!real)
        return true;
    size_t length = strlen(folder);
    bool inside = strcmp(folder, "/") == 0
        || (strncmp(real, folder, length) == 0 && (real[length] == '/' || real[length] == '\0'));
    free(real);
    return inside;
}

/* A manifest: a header naming the columns unit_id, bundle and (optional)
   standards, in any order (other columns are ignored), then a row per
   bundle. Bundle paths are relative to the manifest's folder, and stay in
   it unless self->allow_outside (inputs.h). */
static int add_manifest(inputs_t *self, const char *path, FILE *err)
{
    char error[512];
    size_t length = 0;
    char *text = util_file_read(path, 64u * 1024u * 1024u, &length, error, sizeof error);
    if (!text) {
        fprintf(err, "%s\n", error);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    size_t folder_length = slash ? (size_t) (slash - path) + 1 : 0;
    char *folder = self->allow_outside ? NULL : manifest_folder(path, folder_length);
    if (!self->allow_outside && !folder) {
        fprintf(err, "%s: cannot resolve the manifest's folder: %s\n", path, strerror(errno));
        free(text);
        return -1;
    }
    const char *cursor = text, *stop = text + length;
    if (length >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        cursor += 3;   /* a spreadsheet's byte order mark */
    size_t line = 0, rows = 0;
    int unit_column = -1, bundle_column = -1, standards_column = -1, problems = 0;
    char **fields = NULL;
    int count = csv_record(&cursor, stop, &fields, &line);
    for (int i = 0; i < count; i++) {
        char *name = trim(fields[i]);
        if (strcasecmp(name, "unit_id") == 0 || strcasecmp(name, "unit") == 0)
            unit_column = i;
        else if (strcasecmp(name, "bundle") == 0 || strcasecmp(name, "path") == 0)
            bundle_column = i;
        else if (strcasecmp(name, "standards") == 0 || strcasecmp(name, "standard") == 0)
            standards_column = i;
    }
    free_fields(fields, count > 0 ? count : 0);
    fields = NULL;
    if (count < 0 || unit_column < 0 || bundle_column < 0) {
        fprintf(err, "%s:1: a manifest needs a header row with the columns unit_id, bundle and "
                "(optional) standards\n", path);
        free(folder);
        free(text);
        return -1;
    }
    while (cursor < stop) {
        size_t first_line = line + 1;
        count = csv_record(&cursor, stop, &fields, &line);
        if (count < 0) {
            fprintf(err, "%s:%zu: a quoted field is not closed\n", path, first_line);
            problems++;
            break;
        }
        bool blank = true;
        for (int i = 0; i < count && blank; i++)
            blank = !*trim(fields[i]);
        if (!blank) {
            const char *unit = unit_column < count ? trim(fields[unit_column]) : "";
            const char *bundle = bundle_column < count ? trim(fields[bundle_column]) : "";
            const char *standards = standards_column >= 0 && standards_column < count
                ? trim(fields[standards_column]) : "";
            char source[600];
            snprintf(source, sizeof source, "%s:%zu", path, first_line);
            struct stat info;
            char *resolved = malloc(folder_length + strlen(bundle) + 1);
            if (resolved) {
                if (bundle[0] == '/')
                    strcpy(resolved, bundle);
                else {
                    memcpy(resolved, path, folder_length);
                    strcpy(resolved + folder_length, bundle);
                }
            }
            if (!resolved)
                problems++;
            else if (!*unit || !*bundle) {
                fprintf(err, "%s: %s is empty\n", source, !*unit ? "unit_id" : "bundle");
                problems++;
            } else if (folder && !manifest_contains(folder, resolved)) {
                char shown[600];
                fprintf(err, "%s: bundle %s: outside the manifest's folder %s (refused; "
                        "--allow-outside reads it)\n", source,
                        display_escape_into(bundle, shown, sizeof shown), folder);
                problems++;
            } else if (stat(resolved, &info) != 0) {
                fprintf(err, "%s: bundle %s: %s\n", source, resolved, strerror(errno));
                problems++;
            } else if (!S_ISREG(info.st_mode)) {
                fprintf(err, "%s: bundle %s: not a file\n", source, resolved);
                problems++;
            } else {
                input_t *input = add(self);
                if (!input) {
                    problems++;
                } else {
                    input->origin = strdup(resolved);
                    input->path = strdup(resolved);
                    input->source = strdup(source);
                    input->expected_unit = strdup(unit);
                    input->standards = standards_list(standards);
                    if (!input->origin || !input->path || !input->source || !input->expected_unit)
                        problems++;
                }
                rows++;
            }
            free(resolved);
        }
        free_fields(fields, count);
        fields = NULL;
    }
    free(folder);
    free(text);
    if (problems == 0 && rows == 0) {
        fprintf(err, "%s: the manifest lists no bundles\n", path);
        problems++;
    }
    return problems ? -1 : 0;
}

int inputs_collect(inputs_t *self, const char *const *args, size_t count, FILE *err)
{
    int problems = 0;
    bool stdin_used = false;
    for (size_t i = 0; i < count; i++) {
        const char *arg = args[i];
        if (strcmp(arg, "-") == 0) {
            if (stdin_used) {
                fprintf(err, "-: stdin can be read only once\n");
                problems++;
                continue;
            }
            stdin_used = true;
            problems += add_whole(self, "-", err) != 0;
            continue;
        }
        struct stat info;
        if (stat(arg, &info) != 0) {
            fprintf(err, "%s: %s\n", arg, strerror(errno));
            problems++;
        } else if (S_ISDIR(info.st_mode))
            problems += add_folder(self, arg, err) != 0;
        else if (has_suffix(arg, ".jsonl"))
            problems += add_whole(self, arg, err) != 0;
        else if (has_suffix(arg, ".csv"))
            problems += add_manifest(self, arg, err) != 0;
        else if (add_file(self, arg) != 0) {
            fprintf(err, "%s: out of memory\n", arg);
            problems++;
        }
    }
    return problems;
}

void inputs_free(inputs_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        free(self->items[i].origin);
        free(self->items[i].path);
        free(self->items[i].text);
        free(self->items[i].unit_id);
        free(self->items[i].source);
        free(self->items[i].expected_unit);
        free(self->items[i].standards);
    }
    free(self->items);
    memset(self, 0, sizeof *self);
}

char *input_read(const input_t *input, size_t *length, char *error, size_t error_size)
{
    if (!input->path) {
        char *copy = malloc(input->length + 1);
        if (!copy) {
            snprintf(error, error_size, "%s: out of memory", input->origin);
            return NULL;
        }
        memcpy(copy, input->text, input->length);
        copy[input->length] = '\0';
        *length = input->length;
        return copy;
    }
    return util_file_read(input->path, BUNDLE_DEFAULT_MAX_BYTES, length, error, error_size);
}

void inputs_print_diags(const diag_list_t *diags, bool warnings, FILE *err)
{
    for (size_t i = 0; i < diag_list_size(diags); i++) {
        const diag_t *diag = diag_list_at(diags, i);
        bool error = diag->severity == DIAG_ERROR;
        if (!error && !warnings)
            continue;
        /* messages quote the bundle, which may be anyone's (display.h) */
        char shown[1024];
        fprintf(err, "%s: ", display_escape_into(diag->origin ? diag->origin : "-", shown,
                                                 sizeof shown));
        if (diag->where && *diag->where)
            fprintf(err, "%s: ", display_escape_into(diag->where, shown, sizeof shown));
        fprintf(err, "%s%s", error ? "" : "warning: ",
                display_escape_into(diag->message, shown, sizeof shown));
        if (diag->hint && *diag->hint)
            fprintf(err, " (hint: %s)", display_escape_into(diag->hint, shown, sizeof shown));
        fputc('\n', err);
    }
}

bundle_t *input_parse(input_t *input, const catalog_set_t *catalogs, bool warnings, FILE *err,
                      char **text_out, size_t *length_out)
{
    char error[600];
    size_t length = 0;
    char *text = input_read(input, &length, error, sizeof error);
    if (!text) {
        fprintf(err, "%s\n", error);
        return NULL;
    }
    diag_list_t *diags = diag_list_new();
    bundle_t *bundle = diags ? bundle_parse(input->origin, text, length, catalogs, NULL, diags)
                             : NULL;
    if (diags) {
        inputs_print_diags(diags, warnings, err);
        if (!bundle && diag_list_errors(diags) == 0)
            fprintf(err, "%s: invalid bundle\n", input->origin);
    } else
        fprintf(err, "%s: out of memory\n", input->origin);
    diag_list_destroy(&diags);
    if (bundle && input->expected_unit && strcmp(bundle_unit_id(bundle), input->expected_unit)) {
        char expected[300], actual[300];
        fprintf(err, "%s: unit_id '%s' is not the bundle's unit.id '%s' (%s)\n", input->source,
                display_escape_into(input->expected_unit, expected, sizeof expected),
                display_escape_into(bundle_unit_id(bundle), actual, sizeof actual), input->origin);
        bundle_destroy(&bundle);
    }
    if (bundle && !input->unit_id)
        input->unit_id = strdup(bundle_unit_id(bundle));
    if (bundle && text_out) {
        *text_out = text;
        if (length_out)
            *length_out = length;
    } else
        free(text);
    return bundle;
}
