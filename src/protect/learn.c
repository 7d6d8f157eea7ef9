/* Algorithm 1 (learning process) of EncryIP, with the verification
 * instances of section 4.4:
 *   1  (pk, {sk_j}) <- Gen(P)                     (or keys given by the caller)
 *   2-4 c_y <- Enc(pk, y) once per label y (the paper fixes the first
 *       encryption per label), [y] = Φ(c_y)      (eq. 1, 2)
 *       + V verification instances x̄_i labelled Φ(c̄_i): c̄_i <- Fake(pk)
 *       (paper group) or a targeted verification ciphertext (ristretto255,
 *       eip_crypto_targeting_fake_for: label m under licensee j only)
 *   6  [M] <- A({(x_i, [y_i])}) with the soft-label loss:
 *       paper group: K = 3q, block cross-entropy over (T1, T2, T3);
 *       ristretto255: K = codebook size, cross-entropy over slots.
 * Label ids given to the trainer: 0..z-1 training labels, z..z+V-1
 * verification instances (replicated so the model memorises them).
 * Codebook slot order is a random permutation of the ids, so neither the
 * deploy codebook nor the output layout reveals which codeword is which
 * label (docs/PROTECT.md). */
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protect/internal.h"
#include "util/io.h"

int64_t eip_protect_output_width(eip_crypto_group_id group, int64_t q, int32_t classes,
                                 int64_t licensees, int64_t verif_count)
{
    if (group == EIP_CRYPTO_GROUP_PAPER)
        return 3 * (q > 0 ? q : eip_crypto_paper_default_q(classes));
    return classes + licensees * (verif_count > 0 ? verif_count : EIP_PROTECT_DEFAULT_PER_LICENSEE);
}


typedef struct eval_ctx {
    eip_protect_model_t *model;
    const eip_crypto_codebook_t *owner;
    eip_data_set test; /* first eval_limit test images (a copy) */
} eval_ctx;

/* Per-epoch figure: the model's own decoding (ML slot of the owner's
 * labelled codebook), which is what every licensee key then decrypts. */
static eip_status eval_decode(void *ctx, double *acc, eip_error *err)
{
    eval_ctx *e = ctx;
    eip_protect_accuracy a;
    eip_status s = eip_protect_decode_accuracy(e->model, NULL, e->owner, &e->test, NULL, &a, err);
    *acc = a.codebook_ml;
    return s;
}

static eip_status dataset_setup(const eip_protect_config *cfg, eip_protect_result *out,
                                const int64_t *perm, eip_data_set *combined, eip_error *err)
{
    const eip_data_set *tr = cfg->train;
    const int32_t z = tr->num_classes;
    const int paper = eip_crypto_pk_group(out->pk) == EIP_CRYPTO_GROUP_PAPER;
    const int64_t v = out->verif.n;
    eip_status s = eip_protect_verif_images(cfg->verif_source, v, tr->c, tr->h, tr->w, cfg->seed,
                                            cfg->mnist_dir, &out->verif.images, err);
    if (s)
        return s;
    int64_t reps = cfg->verif_reps;
    if (reps <= 0) {
        eip_train_config probe; /* the epoch count decides the replicas */
        memset(&probe, 0, sizeof probe);
        cfg->trainconf(cfg->trainconf_ctx, 1, &probe);
        reps = eip_protect_verif_reps_auto(tr->n, v, probe.epochs, cfg->verif_fraction);
    }
    out->verif_reps = reps;
    int64_t *idx = malloc((size_t)(v * reps) * sizeof *idx);
    if (!idx)
        return eip_error_set(err, EIP_ERR_NOMEM, "protect: out of memory");
    for (int64_t r = 0; r < reps; r++)
        for (int64_t i = 0; i < v; i++)
            idx[r * v + i] = i;
    eip_data_set rep = {0};
    s = eip_data_set_subset_indices(&out->verif.images, idx, v * reps, &rep, err);
    free(idx);
    if (s)
        return s;
    for (int64_t r = 0; r < v * reps; r++)
        rep.labels[r] = z + (int32_t)(r % v); /* id of instance r % v */
    s = eip_data_set_concat(tr, &rep, combined, err);
    eip_data_set_free(&rep);
    if (s)
        return s;
    combined->num_classes = z + (int32_t)v;
    combined->flags = tr->flags;
    if (snprintf(combined->name, sizeof combined->name, "%s+verification", tr->name) >=
        (int)sizeof combined->name)
        snprintf(combined->name, sizeof combined->name, "train+verification");
    if (!paper) /* one-hot over codebook slots: the target class is the slot */
        for (int64_t i = 0; i < combined->n; i++)
            combined->labels[i] = (int32_t)perm[combined->labels[i]];
    out->train_n = tr->n;
    return EIP_OK;
}

/* Fraction of verification images whose ML codeword is their own c̄_i. */
static eip_status memorised(eip_protect_model_t *m, const eip_protect_result *r, double *rate,
                            eip_error *err)
{
    const int64_t v = r->verif.n;
    float *y = malloc((size_t)(v * r->k) * sizeof *y); /* [V, K] */
    if (!y)
        return eip_error_set(err, EIP_ERR_NOMEM, "protect: out of memory");
    eip_status s = eip_protect_forward(m, r->verif.images.pixels, v, y, err);
    int64_t hit = 0;
    if (!s)
        s = eip_protect_memorised_outputs(r->pk, r->codebook, &r->verif, y, r->k, NULL, &hit, err);
    free(y);
    *rate = v ? (double)hit / (double)v : 0;
    return s;
}

eip_status eip_protect_run(const eip_protect_config *cfg, eip_protect_result *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    out->test_acc_ml = out->test_acc_argmax = out->verif_memorised = -1;
    if (!cfg->train || !cfg->nn || !cfg->build || !cfg->trainconf)
        return eip_error_set(err, EIP_ERR_ARG, "protect: train set, nn context, build and trainconf "
                             "callbacks are required");
    if (cfg->train->n < 1 || cfg->train->num_classes < 2)
        return eip_error_set(err, EIP_ERR_ARG, "protect: %s has %lld images and %d classes",
                             cfg->train->name, (long long)cfg->train->n, (int)cfg->train->num_classes);
    const double t0 = eip_clock_seconds();
    eip_crypto_ct *ids_ct = NULL;
    int64_t *perm = NULL;
    float *table = NULL;
    eip_data_set combined = {0};
    eip_protect_model_t *model = NULL;
    eval_ctx ec = {0};
    eip_status s;

    if ((s = eip_protect_keys_setup(cfg, out, err)))
        goto fail;
    eip_protect_bundle_id(out->pk, cfg->seed, out->id);
    if ((s = eip_protect_codewords_setup(cfg, out, &ids_ct, &perm, err)))
        goto fail;
    if ((s = dataset_setup(cfg, out, perm, &combined, err)))
        goto fail;
    const int paper = eip_crypto_pk_group(out->pk) == EIP_CRYPTO_GROUP_PAPER;
    const int64_t nid = combined.num_classes;
    out->k = eip_crypto_phi_dim(out->pk, out->codebook);
    eip_train_targets targets;
    if ((s = eip_protect_targets(out->pk, ids_ct, nid, out->k, &table, &targets, err)))
        goto fail;

    /* normalised with the statistics of D alone (what a licensee's inputs
     * look like), not of D + the verification images */
    eip_data_loader_cfg lcfg;
    const int64_t batch = cfg->batch > 0 ? cfg->batch : EIP_TRAIN_RECIPE_BATCH;
    if ((s = eip_data_loader_cfg_default(&lcfg, cfg->train, batch, cfg->seed, err)))
        goto fail;
    memcpy(out->mean, lcfg.mean, sizeof out->mean);
    memcpy(out->std, lcfg.std, sizeof out->std);

    if ((s = cfg->build(cfg->build_ctx, out->k, &out->net, err)))
        goto fail;
    if (eip_nn_output_size(out->net) != out->k) {
        s = eip_error_set(err, EIP_ERR_SHAPE, "protect: the net outputs %lld values, EncryIP needs %lld",
                          (long long)eip_nn_output_size(out->net), (long long)out->k);
        goto fail;
    }
    if ((s = eip_protect_model_wrap(out->net, 0, out->pk, out->deploy_codebook, out->mean, out->std,
                                    out->id, &model, err)))
        goto fail;

    /* line 6: the library's fit over D + verification instances */
    eip_train_fit_config fc;
    memset(&fc, 0, sizeof fc);
    fc.train = &combined;
    fc.loader = &lcfg;
    fc.targets = &targets;
    fc.trainconf = cfg->trainconf;
    fc.trainconf_ctx = cfg->trainconf_ctx;
    fc.seed = cfg->seed;
    fc.init = 1;
    if (cfg->test && cfg->test->n > 0) {
        int64_t ne = cfg->eval_limit > 0 && cfg->eval_limit < cfg->test->n ? cfg->eval_limit : cfg->test->n;
        if ((s = eip_data_set_subset_first(cfg->test, ne, &ec.test, err)))
            goto fail;
        ec.model = model;
        ec.owner = out->codebook;
        fc.eval = eval_decode;
        fc.eval_ctx = &ec;
    }
    eip_train_config probe;
    memset(&probe, 0, sizeof probe);
    cfg->trainconf(cfg->trainconf_ctx, 1, &probe);
    eip_protect_stage(cfg, "training: %lld images + %lld verification instances x %lld replicas, output K=%lld "
          "(%s), %lld epochs", (long long)cfg->train->n, (long long)out->verif.n,
          (long long)out->verif_reps, (long long)out->k,
          paper ? "3 one-hot blocks of q, block cross-entropy" : "one-hot over codebook slots",
          (long long)probe.epochs);
    eip_train_fit_result fit;
    if ((s = eip_train_fit(out->net, &fc, &fit, err)))
        goto fail;
    out->history = fit.history; /* ownership moves to the result */

    if (cfg->test && cfg->test->n > 0) {
        eip_protect_accuracy a;
        if ((s = eip_protect_decode_accuracy(model, out->sk[0], out->codebook, cfg->test, NULL, &a, err)))
            goto fail;
        out->test_acc_ml = a.codebook_ml;
        out->test_acc_argmax = a.key_argmax;
    }
    if ((s = memorised(model, out, &out->verif_memorised, err)))
        goto fail;
    out->seconds = eip_clock_seconds() - t0;
    eip_protect_stage(cfg, "done in %.1f s: test accuracy %.4f (ML decoding), %.4f (arg-max, eq. 3); verification "
          "instances memorised %.1f%%", out->seconds, out->test_acc_ml, out->test_acc_argmax,
          100.0 * out->verif_memorised);
    s = EIP_OK;
    goto done;
fail:
    eip_protect_result_free(out);
done:
    eip_protect_model_free(model);
    eip_data_set_free(&ec.test);
    eip_data_set_free(&combined);
    free(table);
    free(ids_ct);
    free(perm);
    return s;
}
