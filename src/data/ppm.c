/* Binary PPM (netpbm P6) reader: "P6" <ws> width <ws> height <ws> maxval
 * <one ws byte> then width*height RGB triplets (one byte each, maxval <= 255).
 * '#' comments may appear between header tokens.  Output is planar [3, H, W]
 * (values rescaled to 0..255 when maxval < 255). */
#include <stdlib.h>
#include <string.h>

#include "data/data_internal.h"

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* Skips whitespace and comments, then reads a decimal number <= max. */
static eip_status header_number(const unsigned char *buf, size_t len, size_t *pos, const char *name,
                                const char *what, long max, long *out, eip_error *err)
{
    size_t p = *pos;
    for (;;) {
        while (p < len && is_ws(buf[p]))
            p++;
        if (p < len && buf[p] == '#') {
            while (p < len && buf[p] != '\n')
                p++;
            continue;
        }
        break;
    }
    if (p >= len)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PPM header: truncated before %s", name, what);
    if (buf[p] < '0' || buf[p] > '9')
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PPM header: %s is not a number", name, what);
    long v = 0;
    while (p < len && buf[p] >= '0' && buf[p] <= '9') {
        v = v * 10 + (buf[p] - '0');
        if (v > max)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PPM header: %s larger than %ld", name,
                                 what, max);
        p++;
    }
    /* A comment may directly follow width or height; maxval must be followed
     * by exactly one whitespace byte before the raster. */
    if (p >= len || !(is_ws(buf[p]) || (buf[p] == '#' && strcmp(what, "maxval") != 0)))
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PPM header: %s not followed by whitespace",
                             name, what);
    *pos = p;
    *out = v;
    return EIP_OK;
}

eip_status eip_data_ppm_from_memory(const unsigned char *buf, size_t len, const char *name,
                                    uint8_t **rgb, int32_t *h, int32_t *w, eip_error *err)
{
    *rgb = NULL;
    *h = *w = 0;
    if (len < 2 || buf[0] != 'P' || buf[1] != '6')
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PPM header: magic is not P6", name);
    size_t pos = 2;
    if (pos >= len || !is_ws(buf[pos]))
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PPM header: no whitespace after P6", name);
    long width, height, maxval;
    eip_status st;
    if ((st = header_number(buf, len, &pos, name, "width", EIP_DATA_MAX_DIM, &width, err)) != EIP_OK ||
        (st = header_number(buf, len, &pos, name, "height", EIP_DATA_MAX_DIM, &height, err)) != EIP_OK ||
        (st = header_number(buf, len, &pos, name, "maxval", 65535, &maxval, err)) != EIP_OK)
        return st;
    if (width < 1 || height < 1)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PPM header: empty image %ldx%ld", name,
                             width, height);
    if (maxval < 1 || maxval > 255)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PPM header: maxval %ld (only 1..255 supported)",
                             name, maxval);
    pos++; /* the single whitespace byte before the raster */
    size_t plane = (size_t)width * (size_t)height, need = 3 * plane;
    if (len - pos != need)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: PPM raster has %zu bytes, %ldx%ld needs %zu", name,
                             len - pos, width, height, need);
    uint8_t *out = malloc(need); /* [3, H, W] */
    if (!out)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    const unsigned char *r = buf + pos; /* [H, W, 3] */
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) {
            unsigned v = r[3 * i + (size_t)c];
            if (v > (unsigned)maxval) {
                free(out);
                return eip_error_set(err, EIP_ERR_FORMAT, "%s: PPM sample %u exceeds maxval %ld", name, v,
                                     maxval);
            }
            out[(size_t)c * plane + i] = (uint8_t)((v * 255u + (unsigned)maxval / 2) / (unsigned)maxval);
        }
    *rgb = out;
    *h = (int32_t)height;
    *w = (int32_t)width;
    return EIP_OK;
}
