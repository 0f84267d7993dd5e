/*  sha256.c - engine_sha256_hex, the content hash that names catalog
    versions and default submission keys. OpenSSL's EVP interface, because
    the low-level SHA256_* functions are deprecated in OpenSSL 3.
*/
#include "engine.h"

#include <openssl/evp.h>
#include <string.h>

void engine_sha256_hex(const void *data, size_t length, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!EVP_Digest(data ? data : "", length, digest, &size, EVP_sha256(), NULL) || size != 32) {
        memset(out, '0', 64);   /* cannot happen short of a broken libcrypto */
        out[64] = '\0';
        return;
    }
    for (unsigned int i = 0; i < size; i++) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 15];
    }
    out[64] = '\0';
}
