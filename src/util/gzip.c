/* The one gzip reader of encryip (zlib): files are read whole and inflated
 * in memory, so every reader has one code path shared with its
 * *_from_memory form (and the fuzz targets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "util/io.h"

eip_status eip_io_gunzip_maybe(const unsigned char *buf, size_t len, const char *name,
                                 size_t max_out, const unsigned char **out, size_t *out_len,
                                 unsigned char **owned, eip_error *err)
{
    *owned = NULL;
    if (len < 2 || buf[0] != 0x1f || buf[1] != 0x8b) {
        *out = buf;
        *out_len = len;
        return EIP_OK;
    }
    size_t cap = len < (1u << 16) ? (1u << 16) : len * 2;
    if (cap > max_out)
        cap = max_out;
    unsigned char *dst = malloc(cap ? cap : 1);
    if (!dst)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory inflating", name);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        free(dst);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: inflateInit2 failed", name);
    }
    size_t used = 0, in_off = 0;
    eip_status st = EIP_OK;
    for (;;) {
        /* zlib counts in uInt; feed at most 1 GiB per call. */
        size_t in_chunk = len - in_off;
        if (in_chunk > (1u << 30))
            in_chunk = 1u << 30;
        if (used == cap) {
            if (cap >= max_out) {
                st = eip_error_set(err, EIP_ERR_FORMAT,
                                   "%s: decompressed data larger than the %zu bytes allowed",
                                   name, max_out);
                break;
            }
            size_t ncap = cap * 2 > max_out ? max_out : cap * 2;
            unsigned char *nd = realloc(dst, ncap);
            if (!nd) {
                st = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory inflating", name);
                break;
            }
            dst = nd;
            cap = ncap;
        }
        size_t out_chunk = cap - used;
        if (out_chunk > (1u << 30))
            out_chunk = 1u << 30;
        zs.next_in = (Bytef *)(buf + in_off);
        zs.avail_in = (uInt)in_chunk;
        zs.next_out = dst + used;
        zs.avail_out = (uInt)out_chunk;
        int rc = inflate(&zs, Z_NO_FLUSH);
        in_off += in_chunk - zs.avail_in;
        used += out_chunk - zs.avail_out;
        if (rc == Z_STREAM_END) {
            /* Another gzip member may follow (concatenated .gz files). */
            if (in_off < len && len - in_off >= 2 && buf[in_off] == 0x1f && buf[in_off + 1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            if (in_off != len)
                st = eip_error_set(err, EIP_ERR_FORMAT, "%s: %zu bytes of trailing garbage after gzip data",
                                   name, len - in_off);
            break;
        }
        if (rc == Z_OK)
            continue;
        if (rc == Z_BUF_ERROR && zs.avail_out == 0)
            continue; /* grow the output and go on */
        if (rc == Z_BUF_ERROR || (rc == Z_OK && in_off == len))
            st = eip_error_set(err, EIP_ERR_FORMAT, "%s: truncated gzip data", name);
        else
            st = eip_error_set(err, EIP_ERR_FORMAT, "%s: corrupt gzip data (%s)", name,
                               zs.msg ? zs.msg : "inflate error");
        break;
    }
    inflateEnd(&zs);
    if (st != EIP_OK) {
        free(dst);
        return st;
    }
    *owned = dst;
    *out = dst;
    *out_len = used;
    return EIP_OK;
}

eip_status eip_io_read_file_gz(const char *path, size_t max_bytes, unsigned char **out,
                               size_t *out_len, eip_error *err)
{
    unsigned char *buf = NULL, *owned = NULL;
    size_t len = 0;
    const unsigned char *raw = NULL;
    *out = NULL;
    *out_len = 0;
    eip_status s = eip_io_read_file(path, max_bytes, &buf, &len, err);
    if (s != EIP_OK)
        return s;
    if ((s = eip_io_gunzip_maybe(buf, len, path, max_bytes, &raw, out_len, &owned, err)) != EIP_OK) {
        free(buf);
        return s;
    }
    if (owned) {
        free(buf);
        *out = owned;
    } else {
        *out = buf;
    }
    return EIP_OK;
}

eip_status eip_io_path_join(char *out, size_t cap, const char *dir, const char *file,
                            eip_error *err)
{
    int k = snprintf(out, cap, "%s/%s", dir, file);
    if (k < 0 || (size_t)k >= cap)
        return eip_error_set(err, EIP_ERR_ARG, "%s/%s: path too long", dir, file);
    return EIP_OK;
}

double eip_clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
