/*  replay_main.c - runs a fuzz target's entry point over saved inputs,
    without libFuzzer, so that ctest replays tests/fuzz-regressions/ (and
    the seed corpora) in every build with the normal compiler.

        replay_TARGET PATH...    each PATH a file, or a folder of files
                                 (names starting with '.' or README skipped)

    A crash, a sanitizer report or an abort in the target fails the test;
    every input that went through is counted on stdout.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int s_replay_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t capacity = 4096, size = 0;
    uint8_t *data = malloc(capacity);
    size_t got;
    while (data && (got = fread(data + size, 1, capacity - size, file)) > 0) {
        size += got;
        if (size == capacity) {
            uint8_t *bigger = realloc(data, capacity *= 2);
            if (!bigger) {
                free(data);
                data = NULL;
            } else
                data = bigger;
        }
    }
    fclose(file);
    if (!data) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return -1;
    }
    /* An exact-size copy, so that ASan sees a read one past the input. */
    uint8_t *exact = malloc(size ? size : 1);
    if (!exact) {
        free(data);
        return -1;
    }
    memcpy(exact, data, size);
    free(data);
    fprintf(stderr, "replay: %s\n", path);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    return 0;
}

static int s_by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int s_replay(const char *path, size_t *count)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        fprintf(stderr, "replay: no such file or folder: %s\n", path);
        return -1;
    }
    if (!S_ISDIR(info.st_mode)) {
        (*count)++;
        return s_replay_file(path);
    }
    struct dirent **names = NULL;
    int entries = scandir(path, &names, NULL, s_by_name);
    if (entries < 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < entries; i++) {
        const char *name = names[i]->d_name;
        if (name[0] != '.' && strncmp(name, "README", 6) != 0) {
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, name);
            if (s_replay(child, count) != 0)
                rc = -1;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char *argv[])
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    size_t count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (s_replay(argv[i], &count) != 0)
            rc = 1;
    printf("replayed %zu inputs\n", count);
    return rc;
}
