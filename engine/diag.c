/*  diag.c - diag_list_t, the list of errors and warnings every engine
    entry point reports into. Problems are collected rather than returned
    one at a time so that a catalog author or a bundle producer sees all of
    them in one run.
*/
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _diag_list_t {
    diag_t *items;
    size_t count;
    size_t capacity;
    size_t errors;
};

diag_list_t *diag_list_new(void)
{
    return calloc(1, sizeof(diag_list_t));
}

void diag_list_destroy(diag_list_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    diag_list_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free(self->items[i].origin);
        free(self->items[i].where);
        free(self->items[i].message);
        free(self->items[i].hint);
    }
    free(self->items);
    free(self);
    *self_p = NULL;
}

void diag_list_add(diag_list_t *self, diag_severity_t severity, const char *origin,
                   const char *where, const char *hint, const char *format, ...)
{
    if (!self)
        return;
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 8;
        diag_t *grown = realloc(self->items, capacity * sizeof *grown);
        if (!grown)
            return;     /* out of memory: losing a diagnostic beats crashing */
        self->items = grown;
        self->capacity = capacity;
    }
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    diag_t *diag = &self->items[self->count];
    diag->severity = severity;
    diag->origin = strdup(origin ? origin : "-");
    diag->where = strdup(where ? where : "");
    diag->message = strdup(message);
    diag->hint = hint ? strdup(hint) : NULL;
    if (!diag->origin || !diag->where || !diag->message) {
        free(diag->origin);
        free(diag->where);
        free(diag->message);
        free(diag->hint);
        return;
    }
    self->count++;
    if (severity == DIAG_ERROR)
        self->errors++;
}

size_t diag_list_size(const diag_list_t *self)
{
    return self ? self->count : 0;
}

size_t diag_list_errors(const diag_list_t *self)
{
    return self ? self->errors : 0;
}

const diag_t *diag_list_at(const diag_list_t *self, size_t index)
{
    return self && index < self->count ? &self->items[index] : NULL;
}

char *diag_list_format(const diag_list_t *self)
{
    size_t size = 1;
    for (size_t i = 0; self && i < self->count; i++) {
        const diag_t *diag = &self->items[i];
        size += strlen(diag->origin) + strlen(diag->where) + strlen(diag->message)
                + (diag->hint ? strlen(diag->hint) : 0) + 32;
    }
    char *text = malloc(size), *cursor = text;
    if (!text)
        return NULL;
    *cursor = '\0';
    for (size_t i = 0; self && i < self->count; i++) {
        const diag_t *diag = &self->items[i];
        cursor += sprintf(cursor, "%s: ", diag->origin);
        if (*diag->where)
            cursor += sprintf(cursor, "%s: ", diag->where);
        cursor += sprintf(cursor, "%s%s", diag->severity == DIAG_WARNING ? "warning: " : "",
                          diag->message);
        if (diag->hint && *diag->hint)
            cursor += sprintf(cursor, " (hint: %s)", diag->hint);
        *cursor++ = '\n';
        *cursor = '\0';
    }
    return text;
}
