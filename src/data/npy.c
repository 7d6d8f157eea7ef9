/* NumPy .npy reader (format versions 1.0, 2.0, 3.0), as numpy.save writes
 * it: "\x93NUMPY", major, minor, header length (u16 LE for 1.x, u32 LE
 * otherwise), a Python dict literal {'descr': '<f4', 'fortran_order': False,
 * 'shape': (N, C, H, W), } padded with spaces and '\n', then the raw
 * C-order data.  Accepted (docs/DATA.md "npy"):
 *   images  uint8 (|u1) or float32 (<f4, values in [0, 1]; pixel =
 *           round(v * 255), as torchvision's ToTensor inverted), shape
 *           (N, C, H, W) with C in 1..4 or (N, H, W) (C = 1);
 *   labels  int64 (<i8), int32 (<i4) or uint8 (|u1), shape (N,).
 * Fortran order, big-endian data, other dtypes and shapes are refused with
 * the file and the reason.  There is no Debian C library for .npy; the
 * format is a fixed header (numpy's NEP 1), parsed strictly here. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_internal.h"

#define NPY_MAX_DIMS 8

typedef struct npy_hdr {
    char descr[16];
    int fortran, have_descr, have_fortran, have_shape;
    int ndim;
    uint64_t shape[NPY_MAX_DIMS];
    size_t data_off;
} npy_hdr;

static void skip_ws(const char *h, size_t n, size_t *p)
{
    while (*p < n && (h[*p] == ' ' || h[*p] == '\t' || h[*p] == '\n' || h[*p] == '\r'))
        (*p)++;
}

/* A quoted Python string ('x' or "x") of at most cap-1 characters. */
static int parse_str(const char *h, size_t n, size_t *p, char *out, size_t cap)
{
    if (*p >= n || (h[*p] != '\'' && h[*p] != '"'))
        return 0;
    const char q = h[(*p)++];
    size_t k = 0;
    while (*p < n && h[*p] != q) {
        if (k + 1 >= cap || h[*p] == '\\')
            return 0;
        out[k++] = h[(*p)++];
    }
    if (*p >= n)
        return 0;
    (*p)++;
    out[k] = '\0';
    return 1;
}

static int parse_shape(const char *h, size_t n, size_t *p, npy_hdr *hd)
{
    if (*p >= n || h[*p] != '(')
        return 0;
    (*p)++;
    hd->ndim = 0;
    for (;;) {
        skip_ws(h, n, p);
        if (*p < n && h[*p] == ')') {
            (*p)++;
            return 1;
        }
        if (*p >= n || !isdigit((unsigned char)h[*p]) || hd->ndim == NPY_MAX_DIMS)
            return 0;
        uint64_t v = 0;
        while (*p < n && isdigit((unsigned char)h[*p])) {
            v = v * 10 + (uint64_t)(h[(*p)++] - '0');
            if (v > ((uint64_t)1 << 40))
                return 0;
        }
        hd->shape[hd->ndim++] = v;
        skip_ws(h, n, p);
        if (*p < n && h[*p] == ',')
            (*p)++;
        else if (*p >= n || h[*p] != ')')
            return 0;
    }
}

static eip_status parse_header(const unsigned char *buf, size_t len, const char *name, npy_hdr *hd,
                               eip_error *err)
{
    memset(hd, 0, sizeof *hd);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6))
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", name);
    const unsigned major = buf[6];
    size_t hlen, start;
    if (major == 1) {
        hlen = (size_t)buf[8] | ((size_t)buf[9] << 8);
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: truncated .npy header", name);
        hlen = (size_t)buf[8] | ((size_t)buf[9] << 8) | ((size_t)buf[10] << 16) | ((size_t)buf[11] << 24);
        start = 12;
    } else {
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: .npy format version %u.%u is not supported", name,
                             major, buf[7]);
    }
    if (hlen > len - start || hlen > 65536)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: truncated .npy header (%zu header bytes promised)",
                             name, hlen);
    const char *h = (const char *)buf + start;
    size_t p = 0;
    skip_ws(h, hlen, &p);
    if (p >= hlen || h[p++] != '{')
        goto bad;
    for (;;) {
        skip_ws(h, hlen, &p);
        if (p < hlen && h[p] == '}') {
            p++;
            break;
        }
        char key[32];
        if (!parse_str(h, hlen, &p, key, sizeof key))
            goto bad;
        skip_ws(h, hlen, &p);
        if (p >= hlen || h[p++] != ':')
            goto bad;
        skip_ws(h, hlen, &p);
        if (!strcmp(key, "descr") && !hd->have_descr) {
            if (!parse_str(h, hlen, &p, hd->descr, sizeof hd->descr))
                goto bad;
            hd->have_descr = 1;
        } else if (!strcmp(key, "fortran_order") && !hd->have_fortran) {
            if (hlen - p >= 4 && !memcmp(h + p, "True", 4)) {
                hd->fortran = 1;
                p += 4;
            } else if (hlen - p >= 5 && !memcmp(h + p, "False", 5)) {
                p += 5;
            } else {
                goto bad;
            }
            hd->have_fortran = 1;
        } else if (!strcmp(key, "shape") && !hd->have_shape) {
            if (!parse_shape(h, hlen, &p, hd))
                goto bad;
            hd->have_shape = 1;
        } else {
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: .npy header: unexpected or repeated key '%s'",
                                 name, key);
        }
        skip_ws(h, hlen, &p);
        if (p < hlen && h[p] == ',')
            p++;
        else if (p >= hlen || h[p] != '}')
            goto bad;
    }
    skip_ws(h, hlen, &p);
    if (p != hlen || !hd->have_descr || !hd->have_fortran || !hd->have_shape)
        goto bad;
    if (hd->fortran)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: Fortran-order array is not supported (save it with "
                             "numpy.ascontiguousarray)", name);
    hd->data_off = start + hlen;
    return EIP_OK;
bad:
    return eip_error_set(err, EIP_ERR_FORMAT,
                         "%s: malformed .npy header (want {'descr': .., 'fortran_order': .., 'shape': (..)})",
                         name);
}

static void shape_str(const npy_hdr *hd, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "(");
    for (int i = 0; i < hd->ndim && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%llu", i ? ", " : "", (unsigned long long)hd->shape[i]);
    if (o < cap)
        snprintf(out + o, cap - o, ")");
}

/* Checks that the data after the header holds exactly prod(shape) items. */
static eip_status check_data(const npy_hdr *hd, size_t len, size_t item, const char *name,
                             uint64_t *count, eip_error *err)
{
    uint64_t total = 1;
    for (int i = 0; i < hd->ndim; i++) {
        if (hd->shape[i] && total > (uint64_t)EIP_DATA_MAX_BYTES / hd->shape[i])
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: .npy array too large", name);
        total *= hd->shape[i];
    }
    if (total > (uint64_t)EIP_DATA_MAX_BYTES / item)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: .npy array too large", name);
    if ((uint64_t)(len - hd->data_off) != total * item) {
        char sh[160];
        shape_str(hd, sh, sizeof sh);
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: shape %s of %s needs %llu data bytes, the file has %zu",
                             name, sh, hd->descr, (unsigned long long)(total * item), len - hd->data_off);
    }
    *count = total;
    return EIP_OK;
}

static float le_f32(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int is_u8(const char *d) { return !strcmp(d, "|u1") || !strcmp(d, "<u1") || !strcmp(d, "u1"); }

eip_status eip_data_npy_images_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           uint8_t **px, int64_t *n, int32_t *c, int32_t *h,
                                           int32_t *w, eip_error *err)
{
    *px = NULL;
    *n = 0;
    *c = *h = *w = 0;
    npy_hdr hd;
    eip_status s = parse_header(buf, len, name, &hd, err);
    if (s)
        return s;
    const int f32 = !strcmp(hd.descr, "<f4");
    if (!f32 && !is_u8(hd.descr))
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: images of dtype '%s': want uint8 (|u1) or float32 (<f4)",
                             name, hd.descr);
    char sh[160];
    shape_str(&hd, sh, sizeof sh);
    if (hd.ndim != 3 && hd.ndim != 4)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: images of shape %s: want (N, C, H, W) or (N, H, W)",
                             name, sh);
    const uint64_t nn = hd.shape[0], cc = hd.ndim == 4 ? hd.shape[1] : 1,
                   hh = hd.shape[hd.ndim - 2], ww = hd.shape[hd.ndim - 1];
    if (cc < 1 || cc > EIP_DATA_MAX_CHANNELS || hh < 1 || hh > EIP_DATA_MAX_DIM || ww < 1 ||
        ww > EIP_DATA_MAX_DIM || nn > (uint64_t)EIP_DATA_MAX_IMAGES)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: images of shape %s: want N <= %lld, C in 1..%d, H and W in 1..%d "
                             "(channels-last (N, H, W, C) arrays must be transposed to (N, C, H, W))",
                             name, sh, (long long)EIP_DATA_MAX_IMAGES, EIP_DATA_MAX_CHANNELS, EIP_DATA_MAX_DIM);
    uint64_t count;
    if ((s = check_data(&hd, len, f32 ? 4 : 1, name, &count, err)))
        return s;
    uint8_t *out = malloc(count ? (size_t)count : 1); /* [N, C, H, W] */
    if (!out)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    const unsigned char *d = buf + hd.data_off;
    if (!f32) {
        memcpy(out, d, (size_t)count);
    } else {
        for (uint64_t i = 0; i < count; i++) {
            const float v = le_f32(d + 4 * i);
            if (!(v >= 0.0f && v <= 1.0f)) { /* also NaN */
                free(out);
                return eip_error_set(err, EIP_ERR_FORMAT,
                                     "%s: float32 value %g at flat index %llu is outside [0, 1] "
                                     "(float images are pixel/255; save uint8 for 0..255 data)",
                                     name, (double)v, (unsigned long long)i);
            }
            out[i] = (uint8_t)lrintf(v * 255.0f);
        }
    }
    *px = out;
    *n = (int64_t)nn;
    *c = (int32_t)cc;
    *h = (int32_t)hh;
    *w = (int32_t)ww;
    return EIP_OK;
}

eip_status eip_data_npy_labels_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           int32_t **labels, int64_t *n, eip_error *err)
{
    *labels = NULL;
    *n = 0;
    npy_hdr hd;
    eip_status s = parse_header(buf, len, name, &hd, err);
    if (s)
        return s;
    size_t item;
    if (!strcmp(hd.descr, "<i8"))
        item = 8;
    else if (!strcmp(hd.descr, "<i4"))
        item = 4;
    else if (is_u8(hd.descr))
        item = 1;
    else
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: labels of dtype '%s': want int64 (<i8), int32 (<i4) or uint8 (|u1)",
                             name, hd.descr);
    char sh[160];
    shape_str(&hd, sh, sizeof sh);
    if (hd.ndim != 1 || hd.shape[0] > (uint64_t)EIP_DATA_MAX_IMAGES)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: labels of shape %s: want (N,)", name, sh);
    uint64_t count;
    if ((s = check_data(&hd, len, item, name, &count, err)))
        return s;
    int32_t *out = malloc(count ? (size_t)count * sizeof *out : 1); /* [N] */
    if (!out)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    const unsigned char *d = buf + hd.data_off;
    for (uint64_t i = 0; i < count; i++) {
        int64_t v = 0;
        if (item == 1) {
            v = d[i];
        } else {
            uint64_t u = 0;
            for (size_t b = 0; b < item; b++)
                u |= (uint64_t)d[i * item + b] << (8 * b);
            v = item == 8 ? (int64_t)u : (int64_t)(int32_t)(uint32_t)u;
        }
        if (v < 0 || v >= EIP_DATA_MAX_CLASSES) {
            free(out);
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: label %lld at index %llu is out of 0..%d", name,
                                 (long long)v, (unsigned long long)i, EIP_DATA_MAX_CLASSES - 1);
        }
        out[i] = (int32_t)v;
    }
    *labels = out;
    *n = (int64_t)count;
    return EIP_OK;
}

eip_status eip_data_npy_images_load(const char *path, uint8_t **px, int64_t *n, int32_t *c,
                                    int32_t *h, int32_t *w, eip_error *err)
{
    *px = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_data_read_file(path, &buf, &len, err);
    if (!s)
        s = eip_data_npy_images_from_memory(buf, len, path, px, n, c, h, w, err);
    free(buf);
    return s;
}

static eip_status labels_load(const char *path, int32_t **labels, int64_t *n, eip_error *err)
{
    *labels = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_data_read_file(path, &buf, &len, err);
    if (!s)
        s = eip_data_npy_labels_from_memory(buf, len, path, labels, n, err);
    free(buf);
    return s;
}

/* PREFIX<x_suffix> + PREFIX<y_suffix> -> one split (num_classes set later). */
static eip_status split_load(const char *prefix, const char *part, const char *setname,
                             eip_data_set *out, eip_error *err)
{
    char xp[4096], yp[4096];
    if ((size_t)snprintf(xp, sizeof xp, "%s%sx.npy", prefix, part) >= sizeof xp ||
        (size_t)snprintf(yp, sizeof yp, "%s%sy.npy", prefix, part) >= sizeof yp)
        return eip_error_set(err, EIP_ERR_ARG, "npy:%s: path too long", prefix);
    uint8_t *px = NULL;
    int32_t *lab = NULL, c, h, w;
    int64_t n, ny;
    eip_status s = eip_data_npy_images_load(xp, &px, &n, &c, &h, &w, err);
    if (!s)
        s = labels_load(yp, &lab, &ny, err);
    if (!s && ny != n)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %lld labels for the %lld images of %s", yp,
                          (long long)ny, (long long)n, xp);
    if (!s && n < 1)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: no images", xp);
    int32_t maxl = 0;
    for (int64_t i = 0; !s && i < n; i++)
        maxl = lab[i] > maxl ? lab[i] : maxl;
    if (!s && !(s = eip_data_set_init(out, setname, n, c, h, w, maxl + 1, err))) {
        memcpy(out->pixels, px, (size_t)n * eip_data_set_image_bytes(out));
        memcpy(out->labels, lab, (size_t)n * sizeof *lab);
    }
    free(px);
    free(lab);
    return s;
}

eip_status eip_data_npy_load(const char *prefix, eip_data_set *train, eip_data_set *test,
                             eip_error *err)
{
    eip_data_set tr = {0}, te = {0};
    char name[EIP_DATA_NAME_BYTES];
    const char *base = strrchr(prefix, '/') ? strrchr(prefix, '/') + 1 : prefix;
    snprintf(name, sizeof name, "npy:%.40s/train", base);
    eip_status s = split_load(prefix, "_", name, &tr, err);
    snprintf(name, sizeof name, "npy:%.40s/test", base);
    if (!s)
        s = split_load(prefix, "_test_", name, &te, err);
    if (!s && (te.c != tr.c || te.h != tr.h || te.w != tr.w))
        s = eip_error_set(err, EIP_ERR_SHAPE, "npy:%s: train images are %dx%dx%d, test images %dx%dx%d",
                          prefix, tr.c, tr.h, tr.w, te.c, te.h, te.w);
    if (s) {
        eip_data_set_free(&tr);
        eip_data_set_free(&te);
        return s;
    }
    /* Classes: 0..max label of both splits. */
    const int32_t k = tr.num_classes > te.num_classes ? tr.num_classes : te.num_classes;
    tr.num_classes = te.num_classes = k;
    if (train)
        *train = tr;
    else
        eip_data_set_free(&tr);
    if (test)
        *test = te;
    else
        eip_data_set_free(&te);
    return EIP_OK;
}
