/*  text_buffer.c - a growing text. See text_buffer.h. */
#include "text_buffer.h"

#include <stdlib.h>
#include <string.h>

void text_buffer_append(text_buffer_t *self, const char *bytes, size_t length)
{
    if (self->failed)
        return;
    if (self->size + length + 1 > self->capacity) {
        size_t capacity = self->capacity ? self->capacity : 4096;
        while (self->size + length + 1 > capacity)
            capacity *= 2;
        char *grown = realloc(self->data, capacity);
        if (!grown) {
            self->failed = true;
            return;
        }
        self->data = grown;
        self->capacity = capacity;
    }
    memcpy(self->data + self->size, bytes, length);
    self->size += length;
    self->data[self->size] = '\0';
}

void text_buffer_puts(text_buffer_t *self, const char *text)
{
    if (text)
        text_buffer_append(self, text, strlen(text));
}
