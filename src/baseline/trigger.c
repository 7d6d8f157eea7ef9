/* EW: the trigger-set watermark of Zhang et al. 2018 (ASIA CCS), EncryIP
 * section 5.2's trigger-based baseline.  Three kinds of trigger images
 * (Zhang sec. 3.2): content (a stamp pasted on the owner's own images),
 * noise, unrelated (images of another task), each with target labels the
 * model learns from the training data they are mixed into.  Verification:
 * the fraction of triggers classified as their target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline/internal.h"

const char *eip_baseline_trigger_kind_name(eip_baseline_trigger_kind k)
{
    switch (k) {
    case EIP_BASELINE_TRIGGER_CONTENT: return "content";
    case EIP_BASELINE_TRIGGER_NOISE: return "noise";
    case EIP_BASELINE_TRIGGER_UNRELATED: return "unrelated";
    }
    return "?";
}

/* A seeded square stamp (side ~ a quarter of the image, at least 3 pixels)
 * of black and white pixels, pasted at a seeded corner: the "content" mark,
 * our stand-in for Zhang's "TEST" text. */
static void stamp(eip_data_set *ds, eip_data_rng *r)
{
    int32_t side = ds->h / 4 > 3 ? ds->h / 4 : (ds->h < 3 ? ds->h : 3);
    side = side < 64 ? side : 64;
    const int32_t sw = side < ds->w ? side : ds->w;
    uint8_t pat[64 * 64];
    for (int32_t i = 0; i < side * sw; i++)
        pat[i] = eip_data_rng_below(r, 2) ? 255 : 0;
    const uint64_t corner = eip_data_rng_below(r, 4);
    const int32_t y0 = (corner & 1) ? ds->h - side : 0, x0 = (corner & 2) ? ds->w - sw : 0;
    for (int64_t n = 0; n < ds->n; n++)
        for (int32_t c = 0; c < ds->c; c++)
            for (int32_t y = 0; y < side; y++)
                for (int32_t x = 0; x < sw; x++)
                    ds->pixels[((n * ds->c + c) * ds->h + y0 + y) * ds->w + x0 + x] = pat[y * sw + x];
}

eip_status eip_baseline_trigger_make(const eip_baseline_trigger_config *cfg, eip_data_set *out,
                                     eip_error *err)
{
    memset(out, 0, sizeof *out);
    const char *kn = eip_baseline_trigger_kind_name(cfg->kind);
    if (cfg->n < 1 || cfg->n > EIP_DATA_MAX_IMAGES)
        return eip_error_set(err, EIP_ERR_ARG, "%s triggers: count %lld, must be >= 1", kn,
                             (long long)cfg->n);
    if (cfg->classes < 2 || cfg->c < 1 || cfg->h < 1 || cfg->w < 1)
        return eip_error_set(err, EIP_ERR_ARG, "%s triggers: need >= 2 classes and an image shape", kn);
    if (cfg->kind == EIP_BASELINE_TRIGGER_NOISE)
        return eip_data_noise_generate("triggers/noise", cfg->n, cfg->c, cfg->h, cfg->w, cfg->classes,
                                       cfg->seed ^ 0x4e4f495345ull /* "NOISE" */, out, err);
    if (cfg->kind != EIP_BASELINE_TRIGGER_CONTENT && cfg->kind != EIP_BASELINE_TRIGGER_UNRELATED)
        return eip_error_set(err, EIP_ERR_ARG, "triggers: unknown kind %d", (int)cfg->kind);
    const eip_data_set *src = cfg->source;
    if (!src || src->n < 1)
        return eip_error_set(err, EIP_ERR_ARG, "%s triggers: no source images", kn);
    if (src->c != cfg->c || src->h != cfg->h || src->w != cfg->w)
        return eip_error_set(err, EIP_ERR_SHAPE,
                             "%s triggers: %s images are %dx%dx%d, the model takes %dx%dx%d", kn,
                             src->name, src->c, src->h, src->w, cfg->c, cfg->h, cfg->w);
    if (cfg->shift < 1 || cfg->shift >= cfg->classes)
        return eip_error_set(err, EIP_ERR_ARG, "%s triggers: label shift %d, must be 1 .. %d", kn,
                             cfg->shift, cfg->classes - 1);
    /* n distinct images when the source has them, else with repeats */
    int64_t *idx = malloc((size_t)(src->n > cfg->n ? src->n : cfg->n) * sizeof *idx);
    if (!idx)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s triggers: out of memory", kn);
    eip_data_rng r;
    eip_data_rng_seed(&r, cfg->seed ^ 0x54524947474552ull /* "TRIGGER" */);
    for (int64_t i = 0; i < src->n; i++)
        idx[i] = i;
    eip_data_rng_shuffle(&r, idx, src->n);
    for (int64_t i = src->n; i < cfg->n; i++)
        idx[i] = idx[i % src->n];
    eip_status s = eip_data_set_subset_indices(src, idx, cfg->n, out, err);
    free(idx);
    if (s)
        return s;
    snprintf(out->name, sizeof out->name, "triggers/%s", kn);
    out->num_classes = cfg->classes;
    for (int64_t i = 0; i < out->n; i++)
        out->labels[i] = (int32_t)(((int64_t)out->labels[i] + cfg->shift) % cfg->classes);
    if (cfg->kind == EIP_BASELINE_TRIGGER_CONTENT)
        stamp(out, &r);
    return EIP_OK;
}

eip_status eip_baseline_trigger_mix(const eip_data_set *train, const eip_data_set *const *sets,
                                    int n_sets, int64_t reps, eip_data_set *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (reps < 1 || n_sets < 1)
        return eip_error_set(err, EIP_ERR_ARG, "trigger mix: %d sets x %lld replicas, need >= 1 each",
                             n_sets, (long long)reps);
    eip_data_set acc = {0}, next = {0}, rep = {0};
    eip_status s = eip_data_set_subset_first(train, train->n, &acc, err);
    for (int k = 0; k < n_sets && !s; k++) {
        const eip_data_set *t = sets[k];
        if (t->n * reps > EIP_DATA_MAX_IMAGES) {
            s = eip_error_set(err, EIP_ERR_ARG, "trigger mix: %s x %lld replicas is too many images",
                              t->name, (long long)reps);
            break;
        }
        int64_t *idx = malloc((size_t)(t->n * reps) * sizeof *idx);
        if (!idx) {
            s = eip_error_set(err, EIP_ERR_NOMEM, "trigger mix: out of memory");
            break;
        }
        for (int64_t i = 0; i < t->n * reps; i++)
            idx[i] = i % t->n;
        s = eip_data_set_subset_indices(t, idx, t->n * reps, &rep, err);
        free(idx);
        if (!s)
            s = eip_data_set_concat(&acc, &rep, &next, err);
        eip_data_set_free(&rep);
        if (!s) {
            eip_data_set_free(&acc);
            acc = next;
            memset(&next, 0, sizeof next);
        }
    }
    if (s) {
        eip_data_set_free(&acc);
        return s;
    }
    acc.flags = train->flags;
    snprintf(acc.name, sizeof acc.name, "%.40s+triggers", train->name);
    *out = acc;
    return EIP_OK;
}

eip_status eip_baseline_trigger_accuracy(eip_nn_net_t *net, const eip_data_set *triggers,
                                         const float *mean, const float *std, double *acc,
                                         eip_error *err)
{
    if (!triggers || triggers->n < 1)
        return eip_error_set(err, EIP_ERR_ARG, "trigger accuracy: no trigger images");
    /* the labels of a trigger set are its targets: plain accuracy is the
     * watermark accuracy */
    return eip_train_evaluate(net, triggers, mean, std, EIP_TRAIN_EVAL_BATCH, acc, err);
}
