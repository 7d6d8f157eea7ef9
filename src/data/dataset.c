/* In-memory dataset: init/free, validation, subsets, concatenation, channel
 * statistics and the seeded noise-image generator. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_internal.h"

size_t eip_data_set_image_bytes(const eip_data_set *ds)
{
    return (size_t)ds->c * (size_t)ds->h * (size_t)ds->w;
}

static eip_status check_shape(const char *name, int64_t n, int32_t c, int32_t h, int32_t w,
                              int32_t num_classes, eip_error *err)
{
    if (n < 0 || n > EIP_DATA_MAX_IMAGES)
        return eip_error_set(err, EIP_ERR_RANGE, "dataset %s: %lld images (allowed 0..%lld)", name,
                             (long long)n, (long long)EIP_DATA_MAX_IMAGES);
    if (c < 1 || c > EIP_DATA_MAX_CHANNELS || h < 1 || h > EIP_DATA_MAX_DIM || w < 1 ||
        w > EIP_DATA_MAX_DIM)
        return eip_error_set(err, EIP_ERR_SHAPE, "dataset %s: bad image shape %dx%dx%d", name, (int)c,
                             (int)h, (int)w);
    if (num_classes < 1 || num_classes > EIP_DATA_MAX_CLASSES)
        return eip_error_set(err, EIP_ERR_RANGE, "dataset %s: num_classes %d (allowed 1..%d)", name,
                             (int)num_classes, EIP_DATA_MAX_CLASSES);
    if ((uint64_t)n * (uint64_t)c * (uint64_t)h * (uint64_t)w > EIP_DATA_MAX_BYTES)
        return eip_error_set(err, EIP_ERR_RANGE, "dataset %s: more than %zu pixel bytes", name,
                             EIP_DATA_MAX_BYTES);
    return EIP_OK;
}

eip_status eip_data_set_init(eip_data_set *ds, const char *name, int64_t n, int32_t c, int32_t h,
                             int32_t w, int32_t num_classes, eip_error *err)
{
    memset(ds, 0, sizeof *ds);
    eip_status st = check_shape(name ? name : "", n, c, h, w, num_classes, err);
    if (st != EIP_OK)
        return st;
    size_t img = (size_t)c * (size_t)h * (size_t)w;
    ds->pixels = calloc(n ? (size_t)n * img : 1, 1);
    ds->labels = calloc(n ? (size_t)n : 1, sizeof *ds->labels);
    if (!ds->pixels || !ds->labels) {
        eip_data_set_free(ds);
        return eip_error_set(err, EIP_ERR_NOMEM, "dataset %s: out of memory for %lld images", name,
                             (long long)n);
    }
    eip_data_set_name(ds, name);
    ds->n = n;
    ds->c = c;
    ds->h = h;
    ds->w = w;
    ds->num_classes = num_classes;
    return EIP_OK;
}

void eip_data_set_free(eip_data_set *ds)
{
    if (!ds)
        return;
    free(ds->pixels);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

eip_status eip_data_set_validate(const eip_data_set *ds, eip_error *err)
{
    eip_status st = check_shape(ds->name, ds->n, ds->c, ds->h, ds->w, ds->num_classes, err);
    if (st != EIP_OK)
        return st;
    if (ds->n > 0 && (!ds->pixels || !ds->labels))
        return eip_error_set(err, EIP_ERR_STATE, "dataset %s: missing buffers", ds->name);
    for (int64_t i = 0; i < ds->n; i++)
        if (ds->labels[i] < 0 || ds->labels[i] >= ds->num_classes)
            return eip_error_set(err, EIP_ERR_RANGE, "dataset %s: label %d at index %lld out of 0..%d",
                                 ds->name, (int)ds->labels[i], (long long)i, (int)ds->num_classes - 1);
    return EIP_OK;
}

void eip_data_set_class_counts(const eip_data_set *ds, int64_t *counts)
{
    memset(counts, 0, (size_t)ds->num_classes * sizeof *counts);
    for (int64_t i = 0; i < ds->n; i++)
        if (ds->labels[i] >= 0 && ds->labels[i] < ds->num_classes)
            counts[ds->labels[i]]++;
}

eip_status eip_data_set_subset_indices(const eip_data_set *src, const int64_t *idx, int64_t k,
                                       eip_data_set *out, eip_error *err)
{
    char name[EIP_DATA_NAME_BYTES];
    snprintf(name, sizeof name, "%s", src->name);
    eip_status st = eip_data_set_init(out, name, k, src->c, src->h, src->w, src->num_classes, err);
    if (st != EIP_OK)
        return st;
    out->flags = src->flags;
    size_t img = eip_data_set_image_bytes(src);
    for (int64_t i = 0; i < k; i++) {
        if (idx[i] < 0 || idx[i] >= src->n) {
            eip_data_set_free(out);
            return eip_error_set(err, EIP_ERR_RANGE, "dataset %s: subset index %lld out of 0..%lld",
                                 name, (long long)idx[i], (long long)src->n - 1);
        }
        memcpy(out->pixels + (size_t)i * img, src->pixels + (size_t)idx[i] * img, img);
        out->labels[i] = src->labels[idx[i]];
    }
    return EIP_OK;
}

eip_status eip_data_set_subset_first(const eip_data_set *src, int64_t k, eip_data_set *out,
                                     eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (k < 0 || k > src->n)
        return eip_error_set(err, EIP_ERR_RANGE, "dataset %s: subset of %lld from %lld images",
                             src->name, (long long)k, (long long)src->n);
    int64_t *idx = malloc(k ? (size_t)k * sizeof *idx : 1);
    if (!idx)
        return eip_error_set(err, EIP_ERR_NOMEM, "dataset %s: out of memory", src->name);
    for (int64_t i = 0; i < k; i++)
        idx[i] = i;
    eip_status st = eip_data_set_subset_indices(src, idx, k, out, err);
    free(idx);
    return st;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

eip_status eip_data_set_subset_shuffled(const eip_data_set *src, int64_t k, uint64_t seed,
                                        eip_data_set *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (k < 0 || k > src->n)
        return eip_error_set(err, EIP_ERR_RANGE, "dataset %s: subset of %lld from %lld images",
                             src->name, (long long)k, (long long)src->n);
    int64_t *idx = malloc(src->n ? (size_t)src->n * sizeof *idx : 1);
    if (!idx)
        return eip_error_set(err, EIP_ERR_NOMEM, "dataset %s: out of memory", src->name);
    for (int64_t i = 0; i < src->n; i++)
        idx[i] = i;
    eip_data_rng r;
    eip_data_rng_seed(&r, seed);
    eip_data_rng_shuffle(&r, idx, src->n);
    qsort(idx, (size_t)k, sizeof *idx, cmp_i64); /* keep the original order */
    eip_status st = eip_data_set_subset_indices(src, idx, k, out, err);
    free(idx);
    return st;
}

eip_status eip_data_set_subset_random(const eip_data_set *src, int64_t k, uint64_t seed,
                                      eip_data_set *out, eip_error *err)
{
    if (k <= 0 || k >= src->n)
        return eip_data_set_subset_first(src, src->n, out, err);
    return eip_data_set_subset_shuffled(src, k, seed, out, err);
}

eip_status eip_data_set_subset_fraction(const eip_data_set *src, double fraction, uint64_t seed,
                                        eip_data_set *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(fraction >= 0.0 && fraction <= 1.0))
        return eip_error_set(err, EIP_ERR_RANGE, "dataset %s: fraction %g not in [0, 1]", src->name,
                             fraction);
    int64_t k = (int64_t)llround(fraction * (double)src->n);
    if (k > src->n)
        k = src->n;
    return eip_data_set_subset_shuffled(src, k, seed, out, err);
}

eip_status eip_data_set_concat(const eip_data_set *a, const eip_data_set *b, eip_data_set *out,
                               eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (a->c != b->c || a->h != b->h || a->w != b->w)
        return eip_error_set(err, EIP_ERR_SHAPE, "concat %s + %s: image shapes %dx%dx%d and %dx%dx%d differ",
                             a->name, b->name, (int)a->c, (int)a->h, (int)a->w, (int)b->c, (int)b->h,
                             (int)b->w);
    if (a->n > EIP_DATA_MAX_IMAGES - b->n)
        return eip_error_set(err, EIP_ERR_RANGE, "concat %s + %s: too many images", a->name, b->name);
    int32_t nc = a->num_classes > b->num_classes ? a->num_classes : b->num_classes;
    eip_status st = eip_data_set_init(out, a->name, a->n + b->n, a->c, a->h, a->w, nc, err);
    if (st != EIP_OK)
        return st;
    out->flags = a->flags | b->flags;
    size_t img = eip_data_set_image_bytes(a);
    if (a->n) {
        memcpy(out->pixels, a->pixels, (size_t)a->n * img);
        memcpy(out->labels, a->labels, (size_t)a->n * sizeof *a->labels);
    }
    if (b->n) {
        memcpy(out->pixels + (size_t)a->n * img, b->pixels, (size_t)b->n * img);
        memcpy(out->labels + a->n, b->labels, (size_t)b->n * sizeof *b->labels);
    }
    return EIP_OK;
}

eip_status eip_data_set_channel_stats(const eip_data_set *ds, double *mean, double *std,
                                      eip_error *err)
{
    if (ds->n <= 0)
        return eip_error_set(err, EIP_ERR_ARG, "dataset %s: channel stats of an empty set", ds->name);
    size_t plane = (size_t)ds->h * (size_t)ds->w;
    for (int32_t c = 0; c < ds->c; c++) {
        /* Integer histogram: exact sums, no float accumulation error. */
        uint64_t hist[256] = {0};
        for (int64_t i = 0; i < ds->n; i++) {
            const uint8_t *p = ds->pixels + ((size_t)i * (size_t)ds->c + (size_t)c) * plane; /* [H, W] */
            for (size_t k = 0; k < plane; k++)
                hist[p[k]]++;
        }
        double cnt = (double)ds->n * (double)plane, s = 0, s2 = 0;
        for (int v = 0; v < 256; v++) {
            double x = v / 255.0;
            s += (double)hist[v] * x;
            s2 += (double)hist[v] * x * x;
        }
        double m = s / cnt, var = s2 / cnt - m * m;
        mean[c] = m;
        std[c] = sqrt(var > 0 ? var : 0);
    }
    return EIP_OK;
}

eip_status eip_data_noise_generate(const char *name, int64_t n, int32_t c, int32_t h, int32_t w,
                                   int32_t num_classes, uint64_t seed, eip_data_set *out,
                                   eip_error *err)
{
    eip_status st = eip_data_set_init(out, name, n, c, h, w, num_classes, err);
    if (st != EIP_OK)
        return st;
    eip_data_rng r;
    eip_data_rng_seed(&r, seed);
    size_t total = (size_t)n * eip_data_set_image_bytes(out);
    for (size_t i = 0; i < total; i += 8) {
        uint64_t v = eip_data_rng_next(&r);
        for (size_t k = 0; k < 8 && i + k < total; k++)
            out->pixels[i + k] = (uint8_t)(v >> (8 * k));
    }
    for (int64_t i = 0; i < n; i++)
        out->labels[i] = (int32_t)eip_data_rng_below(&r, (uint64_t)num_classes);
    return EIP_OK;
}
