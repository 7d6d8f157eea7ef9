/* idx reader (the MNIST / Fashion-MNIST file format): big-endian header
 *   magic = 0x00 0x00 <type> <ndims>, then ndims u32 sizes, then the data.
 * Only unsigned-byte data (type 0x08) is used by the datasets: idx1 labels
 * [N] and idx3 images [N, H, W].  Files may be raw or gzip'd. */
#include <stdlib.h>
#include <string.h>

#include "data/data_internal.h"

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Parses the header of an ubyte idx file with `ndims` dimensions and checks
 * that the data size matches the buffer exactly.  dims[ndims]. */
static eip_status idx_header(const unsigned char *buf, size_t len, const char *name, int ndims,
                             uint32_t *dims, size_t *data_off, eip_error *err)
{
    size_t hdr = 4 + 4 * (size_t)ndims;
    if (len < 4)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: file too short for an idx header (%zu bytes)",
                             name, len);
    if (buf[0] != 0 || buf[1] != 0 || buf[2] != 0x08 || buf[3] != (unsigned char)ndims)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: bad idx magic %02x %02x %02x %02x (want 00 00 08 %02x: ubyte, %d dims)",
                             name, buf[0], buf[1], buf[2], buf[3], ndims, ndims);
    if (len < hdr)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: truncated idx header", name);
    uint64_t total = 1;
    for (int i = 0; i < ndims; i++) {
        dims[i] = be32(buf + 4 + 4 * (size_t)i);
        if (i > 0 && (dims[i] == 0 || dims[i] > EIP_DATA_MAX_DIM))
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: idx dimension %d is %u (allowed 1..%d)",
                                 name, i, dims[i], EIP_DATA_MAX_DIM);
        if (i == 0 && (int64_t)dims[0] > EIP_DATA_MAX_IMAGES)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: idx count %u exceeds the cap %lld", name,
                                 dims[0], (long long)EIP_DATA_MAX_IMAGES);
        total *= dims[i]; /* <= 2^26 * 4096^2: no overflow in 64 bits */
    }
    if (total > EIP_DATA_MAX_BYTES)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: idx data of %llu bytes exceeds the cap", name,
                             (unsigned long long)total);
    if ((uint64_t)(len - hdr) != total)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: header promises %llu data bytes but the file has %zu", name,
                             (unsigned long long)total, len - hdr);
    *data_off = hdr;
    return EIP_OK;
}

eip_status eip_data_idx_labels_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           int32_t max_classes, int32_t **labels, int64_t *n,
                                           eip_error *err)
{
    *labels = NULL;
    *n = 0;
    if (max_classes < 1 || max_classes > 256)
        return eip_error_set(err, EIP_ERR_ARG, "%s: max_classes %d must be in 1..256", name,
                             (int)max_classes);
    const unsigned char *raw;
    size_t raw_len;
    unsigned char *owned;
    eip_status st = eip_data_gunzip_maybe(buf, len, name, EIP_DATA_MAX_BYTES, &raw, &raw_len,
                                          &owned, err);
    if (st != EIP_OK)
        return st;
    uint32_t dims[1] = {0};
    size_t off;
    st = idx_header(raw, raw_len, name, 1, dims, &off, err);
    int32_t *lab = NULL;
    if (st == EIP_OK) {
        lab = malloc(dims[0] ? (size_t)dims[0] * sizeof *lab : 1);
        if (!lab)
            st = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory for %u labels", name, dims[0]);
    }
    for (uint32_t i = 0; st == EIP_OK && i < dims[0]; i++) {
        lab[i] = raw[off + i];
        if (lab[i] >= max_classes)
            st = eip_error_set(err, EIP_ERR_FORMAT, "%s: label %d at index %u is out of range 0..%d",
                               name, (int)lab[i], i, (int)max_classes - 1);
    }
    free(owned);
    if (st != EIP_OK) {
        free(lab);
        return st;
    }
    *labels = lab;
    *n = dims[0];
    return EIP_OK;
}

eip_status eip_data_idx_labels_load(const char *path, int32_t max_classes, int32_t **labels,
                                    int64_t *n, eip_error *err)
{
    *labels = NULL;
    *n = 0;
    unsigned char *buf;
    size_t len;
    eip_status st = eip_data_read_file(path, &buf, &len, err);
    if (st != EIP_OK)
        return st;
    st = eip_data_idx_labels_from_memory(buf, len, path, max_classes, labels, n, err);
    free(buf);
    return st;
}

eip_status eip_data_idx_images_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           uint8_t **pixels, int64_t *n, int32_t *h, int32_t *w,
                                           eip_error *err)
{
    *pixels = NULL;
    *n = 0;
    *h = *w = 0;
    const unsigned char *raw;
    size_t raw_len;
    unsigned char *owned;
    eip_status st = eip_data_gunzip_maybe(buf, len, name, EIP_DATA_MAX_BYTES, &raw, &raw_len,
                                          &owned, err);
    if (st != EIP_OK)
        return st;
    uint32_t dims[3];
    size_t off;
    st = idx_header(raw, raw_len, name, 3, dims, &off, err);
    uint8_t *px = NULL; /* [N, H, W] */
    size_t bytes = raw_len - (st == EIP_OK ? off : raw_len);
    if (st == EIP_OK) {
        px = malloc(bytes ? bytes : 1);
        if (!px)
            st = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory for %zu pixel bytes", name, bytes);
        else
            memcpy(px, raw + off, bytes);
    }
    free(owned);
    if (st != EIP_OK)
        return st;
    *pixels = px;
    *n = dims[0];
    *h = (int32_t)dims[1];
    *w = (int32_t)dims[2];
    return EIP_OK;
}

eip_status eip_data_idx_images_load(const char *path, uint8_t **pixels, int64_t *n, int32_t *h,
                                    int32_t *w, eip_error *err)
{
    *pixels = NULL;
    *n = 0;
    *h = *w = 0;
    unsigned char *buf;
    size_t len;
    eip_status st = eip_data_read_file(path, &buf, &len, err);
    if (st != EIP_OK)
        return st;
    st = eip_data_idx_images_from_memory(buf, len, path, pixels, n, h, w, err);
    free(buf);
    return st;
}
