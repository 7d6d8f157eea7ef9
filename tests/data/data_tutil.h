/* Helpers for the data tests: temp dirs and tiny generated files. */
#ifndef EIP_TESTS_DATA_TUTIL_H
#define EIP_TESTS_DATA_TUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "test.h"

/* Writes len bytes to dir/name; returns the path in a static-free buffer. */
static void tu_write(const char *dir, const char *name, const void *data, size_t len, char *path,
                     size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    REQUIRE(fp != NULL, "cannot create %s", path);
    REQUIRE(len == 0 || fwrite(data, 1, len, fp) == len, "write %s", path);
    fclose(fp);
}

static void tu_mkdir(const char *path) { REQUIRE(mkdir(path, 0755) == 0, "mkdir %s", path); }

/* gzip-compresses src into a malloc'd buffer. */
static unsigned char *tu_gzip(const unsigned char *src, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    unsigned char *dst = malloc(cap);
    REQUIRE(dst != NULL, "malloc");
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)len;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END, "deflate");
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return dst;
}

static void tu_put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

#endif
