/*  inputs.c - the evidence bundles named on the command line. See inputs.h. */
#include "inputs.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
        fprintf(err, "%s: ", diag->origin ? diag->origin : "-");
        if (diag->where && *diag->where)
            fprintf(err, "%s: ", diag->where);
        fprintf(err, "%s%s", error ? "" : "warning: ", diag->message ? diag->message : "");
        if (diag->hint && *diag->hint)
            fprintf(err, " (hint: %s)", diag->hint);
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
