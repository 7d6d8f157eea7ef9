/* Batch loader: seeded per-epoch shuffling, random crop with zero padding,
 * random horizontal flip, per-channel normalisation, NCHW float batches.
 * Order and augmentation are pure functions of (seed, epoch, position) so
 * batches are reproducible, random-access and independent of call order.
 * The augmentation order matches torchvision's RandomCrop(padding) followed
 * by RandomHorizontalFlip, then ToTensor (/255) and Normalize(mean, std). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_internal.h"

#define LOADER_MAX_BATCH ((int64_t)1 << 20)

struct eip_data_loader {
    const eip_data_set *ds; /* borrowed */
    eip_data_loader_cfg cfg;
    int64_t *order; /* [N] dataset index of each epoch position */
    int64_t epoch;
    int64_t next_batch;
    float lut[EIP_DATA_MAX_CHANNELS][256]; /* pixel value -> normalised float, per channel */
};

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Independent streams: tag 1 = epoch order, tag 2 = per-sample augmentation. */
static uint64_t stream_seed(uint64_t seed, uint64_t tag, int64_t epoch, int64_t pos)
{
    return mix64(mix64(mix64(seed ^ mix64(tag)) ^ (uint64_t)epoch) ^ (uint64_t)pos);
}

static int is_prefix(const char *name, const char *p) { return strncmp(name, p, strlen(p)) == 0; }

eip_status eip_data_loader_cfg_default(eip_data_loader_cfg *cfg, const eip_data_set *train,
                                       int64_t batch_size, uint64_t seed, eip_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->batch_size = batch_size;
    cfg->seed = seed;
    cfg->shuffle = 1;
    cfg->normalize = 1;
    double mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS];
    if (train->c < 1 || train->c > EIP_DATA_MAX_CHANNELS)
        return eip_error_set(err, EIP_ERR_SHAPE, "dataset %s: %d channels", train->name, (int)train->c);
    eip_status st = eip_data_set_channel_stats(train, mean, std, err);
    if (st != EIP_OK)
        return st;
    for (int32_t c = 0; c < train->c; c++) {
        cfg->mean[c] = (float)mean[c];
        cfg->std[c] = std[c] > 1e-6 ? (float)std[c] : 1.0f; /* constant channel: only centre it */
    }
    if (is_prefix(train->name, "cifar")) {
        cfg->crop_pad = 4;
        cfg->hflip = 1;
    } else if (is_prefix(train->name, "gtsrb")) {
        cfg->crop_pad = 4; /* no flip: mirrored signs change meaning */
    }
    if (train->flags & EIP_DATA_FLAG_NO_HFLIP)
        cfg->hflip = 0;
    return EIP_OK;
}

eip_status eip_data_loader_init(eip_data_loader **out, const eip_data_set *ds,
                                const eip_data_loader_cfg *cfg, eip_error *err)
{
    *out = NULL;
    eip_status st = eip_data_set_validate(ds, err);
    if (st != EIP_OK)
        return st;
    if (cfg->batch_size < 1 || cfg->batch_size > LOADER_MAX_BATCH)
        return eip_error_set(err, EIP_ERR_ARG, "loader for %s: batch size %lld not in 1..%lld", ds->name,
                             (long long)cfg->batch_size, (long long)LOADER_MAX_BATCH);
    if (cfg->crop_pad < 0 || cfg->crop_pad > ds->h || cfg->crop_pad > ds->w)
        return eip_error_set(err, EIP_ERR_ARG, "loader for %s: crop padding %d not in 0..%d", ds->name,
                             (int)cfg->crop_pad, (int)(ds->h < ds->w ? ds->h : ds->w));
    if (cfg->hflip && (ds->flags & EIP_DATA_FLAG_NO_HFLIP))
        return eip_error_set(err, EIP_ERR_ARG, "loader for %s: horizontal flip is not allowed for this dataset",
                             ds->name);
    if (cfg->normalize)
        for (int32_t c = 0; c < ds->c; c++)
            if (!(cfg->std[c] > 0.0f) || !isfinite(cfg->std[c]) || !isfinite(cfg->mean[c]))
                return eip_error_set(err, EIP_ERR_ARG, "loader for %s: channel %d mean %g std %g invalid",
                                     ds->name, (int)c, (double)cfg->mean[c], (double)cfg->std[c]);
    eip_data_loader *L = calloc(1, sizeof *L);
    if (L)
        L->order = malloc(ds->n ? (size_t)ds->n * sizeof *L->order : 1);
    if (!L || !L->order) {
        free(L);
        return eip_error_set(err, EIP_ERR_NOMEM, "loader for %s: out of memory", ds->name);
    }
    L->ds = ds;
    L->cfg = *cfg;
    /* Same float operations as ToTensor (v / 255) then Normalize
     * ((x - mean) / std), tabulated once per channel. */
    for (int32_t c = 0; c < ds->c; c++)
        for (int v = 0; v < 256; v++)
            L->lut[c][v] = cfg->normalize ? eip_data_pixel_normalize((uint8_t)v, cfg->mean[c], cfg->std[c])
                                          : (float)v / 255.0f;
    eip_data_loader_epoch_begin(L, 0);
    *out = L;
    return EIP_OK;
}

void eip_data_loader_free(eip_data_loader *L)
{
    if (!L)
        return;
    free(L->order);
    free(L);
}

const eip_data_set *eip_data_loader_dataset(const eip_data_loader *L) { return L->ds; }

const eip_data_loader_cfg *eip_data_loader_config(const eip_data_loader *L) { return &L->cfg; }

int64_t eip_data_loader_num_batches(const eip_data_loader *L)
{
    int64_t n = L->ds->n, b = L->cfg.batch_size;
    return L->cfg.drop_last ? n / b : (n + b - 1) / b;
}

void eip_data_loader_epoch_begin(eip_data_loader *L, int64_t epoch)
{
    for (int64_t i = 0; i < L->ds->n; i++)
        L->order[i] = i;
    if (L->cfg.shuffle) {
        eip_data_rng r;
        eip_data_rng_seed(&r, stream_seed(L->cfg.seed, 1, epoch, 0));
        eip_data_rng_shuffle(&r, L->order, L->ds->n);
    }
    L->epoch = epoch;
    L->next_batch = 0;
}

int64_t eip_data_loader_order_at(const eip_data_loader *L, int64_t pos)
{
    return (pos >= 0 && pos < L->ds->n) ? L->order[pos] : -1;
}

/* One augmented, normalised image: dst [C, H, W]. */
static void fill_one(const eip_data_loader *L, int64_t pos, float *dst)
{
    const eip_data_set *ds = L->ds;
    const eip_data_loader_cfg *cfg = &L->cfg;
    int32_t C = ds->c, H = ds->h, W = ds->w, pad = cfg->crop_pad;
    const uint8_t *src = ds->pixels + (size_t)L->order[pos] * eip_data_set_image_bytes(ds); /* [C, H, W] */
    int32_t dy = 0, dx = 0, flip = 0;
    if (pad > 0 || cfg->hflip) {
        eip_data_rng r;
        eip_data_rng_seed(&r, stream_seed(cfg->seed, 2, L->epoch, pos));
        if (pad > 0) {
            dy = (int32_t)eip_data_rng_below(&r, (uint64_t)(2 * pad + 1));
            dx = (int32_t)eip_data_rng_below(&r, (uint64_t)(2 * pad + 1));
        }
        if (cfg->hflip)
            flip = (int32_t)(eip_data_rng_next(&r) >> 63);
    }
    for (int32_t c = 0; c < C; c++) {
        const float *lut = L->lut[c]; /* [256] */
        const uint8_t *plane = src + (size_t)c * (size_t)H * (size_t)W; /* [H, W] */
        float *out = dst + (size_t)c * (size_t)H * (size_t)W;           /* [H, W] */
        for (int32_t oy = 0; oy < H; oy++) {
            int32_t sy = oy + dy - pad;
            for (int32_t ox = 0; ox < W; ox++) {
                int32_t sx = (flip ? W - 1 - ox : ox) + dx - pad; /* crop, then flip */
                uint8_t v = (sy >= 0 && sy < H && sx >= 0 && sx < W) ? plane[(size_t)sy * (size_t)W + (size_t)sx]
                                                                     : 0; /* zero padding */
                out[(size_t)oy * (size_t)W + (size_t)ox] = lut[v];
            }
        }
    }
}

eip_status eip_data_loader_batch(const eip_data_loader *L, int64_t batch, float *x, int32_t *y,
                                 int64_t *b, eip_error *err)
{
    *b = 0;
    if (batch < 0)
        return eip_error_set(err, EIP_ERR_ARG, "loader for %s: batch %lld < 0", L->ds->name, (long long)batch);
    if (batch >= eip_data_loader_num_batches(L))
        return EIP_OK; /* past the end of the epoch */
    int64_t B = L->cfg.batch_size, start = batch * B;
    int64_t rows = L->ds->n - start < B ? L->ds->n - start : B;
    size_t img = eip_data_set_image_bytes(L->ds);
    /* images are independent (augmentation seeded by position): split over
     * the OpenMP threads, which would otherwise wait for this loop */
#pragma omp parallel for schedule(static) if (rows * (int64_t)img >= 65536)
    for (int64_t i = 0; i < rows; i++) {
        fill_one(L, start + i, x + (size_t)i * img);
        y[i] = L->ds->labels[L->order[start + i]];
    }
    *b = rows;
    return EIP_OK;
}

eip_status eip_data_loader_next(eip_data_loader *L, float *x, int32_t *y, int64_t *b, eip_error *err)
{
    eip_status st = eip_data_loader_batch(L, L->next_batch, x, y, b, err);
    if (st == EIP_OK && *b > 0)
        L->next_batch++;
    return st;
}
