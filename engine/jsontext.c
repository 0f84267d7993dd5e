/*  jsontext.c - pre-scan and parse of untrusted JSON text, JSON Pointer
    building. See jsontext.h.
*/
#include "jsontext.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void position(const char *text, size_t offset, size_t *line, size_t *column)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char) text[i] & 0xC0) != 0x80)
            c++;    /* count characters, not UTF-8 continuation bytes */
    }
    *line = l;
    *column = c;
}

static void report(const char *origin, const char *text, size_t offset, diag_list_t *diags,
                   const char *hint, const char *message)
{
    size_t line, column;
    position(text, offset, &line, &column);
    char where[48];
    snprintf(where, sizeof where, "offset %zu", offset);
    diag_list_add(diags, DIAG_ERROR, origin, where, hint, "%s (line %zu, column %zu)", message,
                  line, column);
}

/* Length of the valid UTF-8 sequence at p, or 0. Rejects overlong forms,
   surrogates and code points above U+10FFFF. */
static size_t utf8_sequence(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t need;
    uint32_t code;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        code = c & 0x07;
    } else
        return 0;
    if (left < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        code = (code << 6) | (p[i] & 0x3F);
    }
    if ((need == 3 && code < 0x800) || (need == 4 && (code < 0x10000 || code > 0x10FFFF))
        || (code >= 0xD800 && code <= 0xDFFF))
        return 0;
    return need;
}

/* One linear pass: encoding, NUL, \u0000 and nesting depth. Strings are
   tracked so brackets inside them do not count as nesting. */
/* Bytes prescan has nothing to do for (1), inside and outside strings:
   not NUL, not the start of a UTF-8 sequence, and not a quote, a
   backslash (in strings) or a bracket (outside). */
static const unsigned char plain_in_string[256] = {
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const unsigned char plain_outside[256] = {
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static bool prescan(const char *origin, const char *what, const char *text, size_t length,
                    int max_depth, diag_list_t *diags)
{
    const unsigned char *bytes = (const unsigned char *) text;
    bool in_string = false;
    int depth = 0;
    size_t i = 0;
    while (i < length) {
        /* runs of bytes that change nothing in the current state, in a
           tight loop: most of a bundle is string content and spacing */
        const unsigned char *plain = in_string ? plain_in_string : plain_outside;
        while (i < length && plain[bytes[i]])
            i++;
        if (i == length)
            break;
        unsigned char c = bytes[i];
        if (c == 0) {
            report(origin, text, i, diags, "JSON text may not contain NUL bytes",
                   "NUL byte in the text");
            return false;
        }
        if (c >= 0x80) {
            size_t size = utf8_sequence(bytes + i, length - i);
            if (!size) {
                char message[96];
                snprintf(message, sizeof message, "invalid UTF-8 (byte 0x%02X)", c);
                report(origin, text, i, diags, "save the file as UTF-8", message);
                return false;
            }
            i += size;
            continue;
        }
        if (in_string) {
            if (c == '"')
                in_string = false;
            else if (c == '\\' && i + 1 < length) {
                if (bytes[i + 1] == 'u' && i + 5 < length && memcmp(text + i + 2, "0000", 4) == 0) {
                    report(origin, text, i, diags, "strings may not contain NUL characters",
                           "\\u0000 escape in a string");
                    return false;
                }
                if (bytes[i + 1] < 0x80)
                    i++;    /* skip the escaped character: an escaped quote does not end the string */
            }
        } else if (c == '"')
            in_string = true;
        else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                char message[96];
                snprintf(message, sizeof message, "%s nested more than %d levels deep", what,
                         max_depth);
                report(origin, text, i, diags, "flatten the structure", message);
                return false;
            }
        } else if (c == ']' || c == '}')
            depth--;
        i++;
    }
    return true;
}

cJSON *jsontext_parse(const char *origin, const char *what, const char *text, size_t length,
                      int max_depth, diag_list_t *diags)
{
    if (!text || length == 0) {
        diag_list_add(diags, DIAG_ERROR, origin, "", NULL, "empty %s: no JSON text", what);
        return NULL;
    }
    if (!prescan(origin, what, text, length, max_depth, diags))
        return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, length, &end, false);
    if (!root) {
        size_t offset = end && end >= text && end <= text + length ? (size_t) (end - text) : 0;
        char message[96];
        snprintf(message, sizeof message, "%s is not valid JSON", what);
        report(origin, text, offset, diags, "check for a missing comma, quote or bracket here",
               message);
        return NULL;
    }
    size_t offset = end ? (size_t) (end - text) : length;
    while (offset < length && strchr(" \t\r\n", text[offset]))
        offset++;
    if (offset < length) {
        report(origin, text, offset, diags, "a JSON document holds exactly one value",
               "unexpected text after the JSON value");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ---- JSON Pointer ----------------------------------------------------- */

static void append(jptr_t *self, const char *data, size_t size)
{
    if (self->length + size + 1 > self->capacity) {
        size_t capacity = self->capacity ? self->capacity : 64;
        while (capacity < self->length + size + 1)
            capacity *= 2;
        char *grown = realloc(self->text, capacity);
        if (!grown)
            return;     /* a truncated pointer is better than none */
        self->text = grown;
        self->capacity = capacity;
    }
    memcpy(self->text + self->length, data, size);
    self->length += size;
    self->text[self->length] = '\0';
}

void jptr_init(jptr_t *self, const char *start)
{
    memset(self, 0, sizeof *self);
    append(self, start ? start : "", start ? strlen(start) : 0);
}

void jptr_free(jptr_t *self)
{
    free(self->text);
    memset(self, 0, sizeof *self);
}

size_t jptr_push_key(jptr_t *self, const char *key)
{
    size_t old = self->length;
    append(self, "/", 1);
    for (const char *p = key; *p; p++) {
        if (*p == '~')
            append(self, "~0", 2);
        else if (*p == '/')
            append(self, "~1", 2);
        else
            append(self, p, 1);
    }
    return old;
}

size_t jptr_push_index(jptr_t *self, size_t index)
{
    size_t old = self->length;
    char segment[32];
    int size = snprintf(segment, sizeof segment, "/%zu", index);
    append(self, segment, (size_t) size);
    return old;
}

void jptr_pop(jptr_t *self, size_t length)
{
    if (length <= self->length && self->text) {
        self->length = length;
        self->text[length] = '\0';
    }
}

const char *jptr_str(const jptr_t *self)
{
    return self->text ? self->text : "";
}

void jreader_report(jreader_t *self, diag_severity_t severity, const char *hint,
                    const char *format, ...)
{
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    diag_list_add(self->diags, severity, self->origin, jptr_str(&self->where), hint, "%s", message);
    if (severity == DIAG_ERROR)
        self->errors++;
    else if (self->warnings)
        diag_list_add(self->warnings, severity, self->origin, jptr_str(&self->where), hint, "%s",
                      message);
}

static bool listed(const char *key, const char *const *names)
{
    for (int i = 0; names && names[i]; i++)
        if (strcmp(key, names[i]) == 0)
            return true;
    return false;
}

void jreader_warn_unknown(jreader_t *self, const cJSON *object, const char *const *known,
                          const char *const *ignored, const char *hint)
{
    for (const cJSON *member = object->child; member; member = member->next) {
        const char *key = member->string ? member->string : "";
        if (key[0] == '_' || key[0] == '$' || listed(key, known) || listed(key, ignored))
            continue;
        size_t at = jptr_push_key(&self->where, key);
        jreader_report(self, DIAG_WARNING, hint, "unknown field \"%s\"", key);
        jptr_pop(&self->where, at);
    }
}
