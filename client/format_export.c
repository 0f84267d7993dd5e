/*  format_export.c - the junit and oscal exports: dispatch, the spool,
    name-based UUIDs. See format_export.h. */
#include "format_export.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _format_export_t {
    junit_t *junit;
    oscal_t *oscal;
};

format_export_t *format_export_new(bool is_oscal)
{
    format_export_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    if (is_oscal)
        self->oscal = oscal_new();
    else
        self->junit = junit_new();
    if (!self->oscal && !self->junit) {
        free(self);
        return NULL;
    }
    return self;
}

void format_export_destroy(format_export_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    junit_destroy(&(*self_p)->junit);
    oscal_destroy(&(*self_p)->oscal);
    free(*self_p);
    *self_p = NULL;
}

int format_export_assessment(format_export_t *self, const cJSON *assessment)
{
    return self->oscal ? oscal_assessment(self->oscal, assessment)
                       : junit_assessment(self->junit, assessment);
}

int format_export_finish(format_export_t *self, FILE *out)
{
    return self->oscal ? oscal_finish(self->oscal, out) : junit_finish(self->junit, out);
}

FILE *export_spool_open(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t size = strlen(dir) + sizeof "/assay-export.XXXXXX";
    char *path = malloc(size);
    if (!path)
        return NULL;
    snprintf(path, size, "%s/assay-export.XXXXXX", dir);
    int fd = mkstemp(path);
    FILE *spool = NULL;
    if (fd >= 0) {
        unlink(path);        /* gone with the process, whatever happens */
        spool = fdopen(fd, "w+");
        if (!spool)
            close(fd);
    }
    free(path);
    return spool ? spool : tmpfile();
}

int export_spool_copy(FILE *spool, FILE *out)
{
    if (fflush(spool) != 0 || ferror(spool) || fseek(spool, 0, SEEK_SET) != 0)
        return -1;
    char block[65536];
    size_t got;
    while ((got = fread(block, 1, sizeof block, spool)) > 0)
        if (fwrite(block, 1, got, out) != got)
            return -1;
    return ferror(spool) ? -1 : 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int format_uuid_v5(const char *namespace_uuid, const char *name, char out[37])
{
    /* The namespace as its 16 bytes (network order, as RFC 9562 hashes it). */
    uint8_t space[16];
    size_t byte = 0;
    for (const char *at = namespace_uuid; at && *at; at++) {
        if (*at == '-')
            continue;
        int high = hex_value(at[0]), low = at[1] ? hex_value(at[1]) : -1;
        if (high < 0 || low < 0 || byte == 16)
            return -1;
        space[byte++] = (uint8_t) (high << 4 | low);
        at++;
    }
    if (byte != 16)
        return -1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    bool ok = context && EVP_DigestInit_ex(context, EVP_sha1(), NULL) == 1
           && EVP_DigestUpdate(context, space, sizeof space) == 1
           && EVP_DigestUpdate(context, name ? name : "", name ? strlen(name) : 0) == 1
           && EVP_DigestFinal_ex(context, digest, &digest_size) == 1 && digest_size >= 16;
    EVP_MD_CTX_free(context);
    if (!ok)
        return -1;
    digest[6] = (unsigned char) ((digest[6] & 0x0f) | 0x50);    /* version 5 */
    digest[8] = (unsigned char) ((digest[8] & 0x3f) | 0x80);    /* variant 10 */
    static const char hex[] = "0123456789abcdef";
    char *cursor = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *cursor++ = '-';
        *cursor++ = hex[digest[i] >> 4];
        *cursor++ = hex[digest[i] & 0x0f];
    }
    *cursor = '\0';
    return 0;
}
