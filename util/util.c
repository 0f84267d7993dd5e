/*  util.c - file reading, catalog folder loading and environment settings
    shared by the three executables. See util.h.
*/
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *util_file_read(const char *path, size_t max_bytes, size_t *length,
                     char *error, size_t error_size)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *file = is_stdin ? stdin : fopen(path, "rb");
    if (!file) {
        snprintf(error, error_size, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t capacity = 64 * 1024, used = 0;
    char *buffer = malloc(capacity + 1);
    while (buffer) {
        if (used == capacity) {
            if (capacity > max_bytes)
                break;
            capacity *= 2;
            char *grown = realloc(buffer, capacity + 1);
            if (!grown) {
                free(buffer);
                buffer = NULL;
                break;
            }
            buffer = grown;
        }
        size_t got = fread(buffer + used, 1, capacity - used, file);
        used += got;
        if (got == 0)
            break;
        if (used > max_bytes)
            break;
    }
    bool read_failed = ferror(file);
    if (!is_stdin)
        fclose(file);
    if (!buffer) {
        snprintf(error, error_size, "%s: out of memory", path);
        return NULL;
    }
    if (read_failed) {
        snprintf(error, error_size, "%s: read error", path);
        free(buffer);
        return NULL;
    }
    if (used > max_bytes) {
        snprintf(error, error_size, "%s: larger than the limit of %zu bytes", path, max_bytes);
        free(buffer);
        return NULL;
    }
    buffer[used] = '\0';
    *length = used;
    return buffer;
}

const char *util_env(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value && *value ? value : fallback;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Add every *.json of one folder, in name order so loading is repeatable. */
static int load_folder(catalog_set_t *set, const char *folder, diag_list_t *diags)
{
    DIR *dir = opendir(folder);
    if (!dir) {
        diag_list_add(diags, DIAG_ERROR, folder, "", "set ASSAY_CATALOGS or --catalogs to a folder of catalog JSON files",
                      "cannot open catalog folder: %s", strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t length = strlen(entry->d_name);
        if (length > 5 && strcmp(entry->d_name + length - 5, ".json") == 0) {
            char **grown = realloc(names, (count + 1) * sizeof *names);
            if (!grown)
                break;
            names = grown;
            names[count++] = strdup(entry->d_name);
        }
    }
    closedir(dir);
    qsort(names, count, sizeof *names, compare_names);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        char path[4096], error[512];
        snprintf(path, sizeof path, "%s/%s", folder, names[i]);
        size_t length = 0;
        char *text = util_file_read(path, 64u * 1024 * 1024, &length, error, sizeof error);
        if (!text) {
            diag_list_add(diags, DIAG_ERROR, path, "", NULL, "%s", error);
            rc = -1;
        } else if (catalog_set_add(set, path, text, length, diags) != 0)
            rc = -1;
        free(text);
        free(names[i]);
    }
    free(names);
    return rc;
}

catalog_set_t *util_catalogs_load(const char *extra, diag_list_t *diags)
{
    catalog_set_t *set = catalog_set_new();
    int rc = load_folder(set, util_env("ASSAY_BUNDLED_CATALOGS", ASSAY_DEFAULT_CATALOGS), diags);
    if (!extra)
        extra = getenv("ASSAY_CATALOGS");
    if (extra && *extra) {
        char *folders = strdup(extra), *cursor = folders, *folder;
        while ((folder = strsep(&cursor, ":")))
            if (*folder && load_folder(set, folder, diags) != 0)
                rc = -1;
        free(folders);
    }
    if (rc == 0 && catalog_set_link(set, diags) != 0)
        rc = -1;
    if (rc != 0)
        catalog_set_destroy(&set);
    return set;
}

char *util_standards_resolve(const catalog_set_t *catalogs, const char *spec,
                             char *error, size_t error_size)
{
    size_t capacity = 64, used = 0;
    char *list = calloc(1, capacity);
    char *copy = strdup(spec && *spec ? spec : "all"), *cursor = copy, *name;
    bool ok = true;
    while (ok && (name = strsep(&cursor, ","))) {
        if (!*name)
            continue;
        bool all = strcmp(name, "all") == 0;
        size_t count = all ? catalog_set_size(catalogs) : 1;
        for (size_t i = 0; i < count; i++) {
            const catalog_t *catalog = all ? catalog_set_at(catalogs, i)
                                           : catalog_set_find(catalogs, name);
            if (!catalog) {
                snprintf(error, error_size, "unknown standard '%s' (see `assay catalogs list`)", name);
                ok = false;
                break;
            }
            const char *id = catalog_id(catalog);
            /* Skip duplicates: "a,a" or "all,a" name each standard once. */
            size_t id_length = strlen(id);
            bool seen = false;
            for (const char *at = list; !seen && (at = strstr(at, id)); at += id_length)
                seen = (at == list || at[-1] == ',') && (at[id_length] == ',' || at[id_length] == '\0');
            if (seen)
                continue;
            while (used + id_length + 2 > capacity)
                list = realloc(list, capacity *= 2);
            if (used)
                list[used++] = ',';
            memcpy(list + used, id, id_length + 1);
            used += id_length;
        }
    }
    free(copy);
    if (ok && used == 0) {
        snprintf(error, error_size, "no standard named");
        ok = false;
    }
    if (!ok) {
        free(list);
        return NULL;
    }
    return list;
}

bool util_parse_uint(const char *text, unsigned long max, unsigned long *value)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long parsed = strtoul(text, &end, 10);
    if (errno || *end || text[0] == '-' || parsed > max)
        return false;
    *value = parsed;
    return true;
}
