/*  display.c - text from storage made safe to print on a terminal. See
    display.h. */
#include "display.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The length of the UTF-8 character at `at` and its code point; 0 when
   the bytes there are not valid UTF-8 (overlong, surrogate, cut short). */
static size_t utf8_next(const unsigned char *at, unsigned *code)
{
    size_t length;
    unsigned least;
    if (at[0] < 0x80) {
        *code = at[0];
        return 1;
    }
    if (at[0] >= 0xc2 && at[0] <= 0xdf)
        length = 2, least = 0x80, *code = at[0] & 0x1fu;
    else if (at[0] >= 0xe0 && at[0] <= 0xef)
        length = 3, least = 0x800, *code = at[0] & 0x0fu;
    else if (at[0] >= 0xf0 && at[0] <= 0xf4)
        length = 4, least = 0x10000, *code = at[0] & 0x07u;
    else
        return 0;
    for (size_t i = 1; i < length; i++) {
        if ((at[i] & 0xc0) != 0x80)     /* the terminating NUL stops here too */
            return 0;
        *code = (*code << 6) | (at[i] & 0x3fu);
    }
    if (*code < least || *code > 0x10ffff || (*code >= 0xd800 && *code <= 0xdfff))
        return 0;
    return length;
}

/* What stands for the character at `at`: *piece (into `buffer` when
   escaped) of *piece_length bytes. Returns the bytes of `at` consumed. */
static size_t display_piece(const unsigned char *at, char buffer[8], const char **piece,
                            size_t *piece_length)
{
    unsigned code = 0;
    size_t length = utf8_next(at, &code);
    if (length == 0 || code < 0x20 || code == 0x7f) {
        snprintf(buffer, 8, "\\x%02x", at[0]);
        *piece = buffer;
        *piece_length = 4;
        return 1;
    }
    if (code >= 0x80 && code <= 0x9f) {
        snprintf(buffer, 8, "\\u%04x", code);
        *piece = buffer;
        *piece_length = 6;
        return length;
    }
    *piece = (const char *) at;
    *piece_length = length;
    return length;
}

bool display_needs_escape(const char *text)
{
    const unsigned char *at = (const unsigned char *) (text ? text : "");
    while (*at) {
        char buffer[8];
        const char *piece;
        size_t piece_length;
        size_t used = display_piece(at, buffer, &piece, &piece_length);
        if (piece == buffer)
            return true;
        at += used;
    }
    return false;
}

char *display_escape_into(const char *text, char *out, size_t size)
{
    const unsigned char *at = (const unsigned char *) (text ? text : "");
    size_t length = 0;
    while (*at) {
        char buffer[8];
        const char *piece;
        size_t piece_length;
        size_t used = display_piece(at, buffer, &piece, &piece_length);
        if (length + piece_length + 1 > size)
            break;
        memcpy(out + length, piece, piece_length);
        length += piece_length;
        at += used;
    }
    out[length] = '\0';
    return out;
}

char *display_escape(const char *text)
{
    const unsigned char *at = (const unsigned char *) (text ? text : "");
    size_t size = 1;
    while (*at) {
        char buffer[8];
        const char *piece;
        size_t piece_length;
        at += display_piece(at, buffer, &piece, &piece_length);
        size += piece_length;
    }
    char *out = malloc(size);
    return out ? display_escape_into(text, out, size) : NULL;
}

/* `text` escaped, in memory cJSON may free; NULL when out of memory. */
static char *escape_for_cjson(const char *text)
{
    char *escaped = display_escape(text);
    char *copy = escaped ? cJSON_malloc(strlen(escaped) + 1) : NULL;
    if (copy)
        strcpy(copy, escaped);
    free(escaped);
    return copy;
}

int display_escape_json(cJSON *item)
{
    if (!item)
        return 0;
    /* member names too: some answers are printed as name: value */
    if (item->string && !(item->type & cJSON_StringIsConst) && display_needs_escape(item->string)) {
        char *name = escape_for_cjson(item->string);
        if (!name)
            return -1;
        cJSON_free(item->string);
        item->string = name;
    }
    if (cJSON_IsString(item) && !(item->type & cJSON_IsReference)
        && display_needs_escape(item->valuestring)) {
        char *value = display_escape(item->valuestring);
        bool set = value && cJSON_SetValuestring(item, value);
        free(value);
        if (!set)
            return -1;
    }
    for (cJSON *child = item->child; child; child = child->next)
        if (display_escape_json(child) != 0)
            return -1;
    return 0;
}
