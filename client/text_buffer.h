/*  text_buffer.h - a growing, NUL-terminated text the output formats and
    the HTML report build their documents in.

    Ownership: the caller owns `data` (free it) once done. After a failed
    allocation `failed` sticks and further appends do nothing, so builders
    check once at the end instead of after every append.
*/
#ifndef ASSAY_TEXT_BUFFER_H_INCLUDED
#define ASSAY_TEXT_BUFFER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t size;
    size_t capacity;
    bool failed;
} text_buffer_t;

/* Append `length` bytes. */
void text_buffer_append(text_buffer_t *self, const char *bytes, size_t length);
/* Append a C string; NULL appends nothing. */
void text_buffer_puts(text_buffer_t *self, const char *text);

#endif
