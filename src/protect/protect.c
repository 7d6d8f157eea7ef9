/* Algorithm 1 (learning process) of EncryIP, with the verification
 * instances of section 4.4:
 *   1  (pk, {sk_j}) <- Gen(P)                     (or keys given by the caller)
 *   2-4 c_y <- Enc(pk, y) once per label y (the paper fixes the first
 *       encryption per label), [y] = Φ(c_y)      (eq. 1, 2)
 *       + V verification instances x̄_i labelled Φ(c̄_i): c̄_i <- Fake(pk)
 *       (paper group) or a targeted verification ciphertext (ristretto255,
 *       eip_crypto_fake_for: label m under licensee j only)
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void stage(const eip_protect_config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void stage(const eip_protect_config *cfg, const char *fmt, ...)
{
    if (!cfg->stage)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cfg->stage(cfg->stage_ctx, buf);
}

int64_t eip_protect_output_width(eip_crypto_group_id group, int64_t q, int32_t classes,
                                 int64_t licensees, int64_t verif_count)
{
    if (group == EIP_CRYPTO_GROUP_PAPER)
        return 3 * (q > 0 ? q : eip_crypto_paper_default_q(classes));
    return classes + licensees * (verif_count > 0 ? verif_count : EIP_PROTECT_DEFAULT_PER_LICENSEE);
}

void eip_protect_result_free(eip_protect_result *r)
{
    if (!r)
        return;
    eip_nn_net_free(r->net);
    for (int64_t j = 0; r->sk && j < r->licensees; j++)
        eip_crypto_sk_free(r->sk[j]);
    free(r->sk);
    eip_crypto_master_free(r->master);
    eip_crypto_pk_free(r->pk);
    eip_crypto_codebook_free(r->codebook);
    eip_crypto_codebook_free(r->deploy_codebook);
    eip_protect_verif_free(&r->verif);
    eip_train_history_free(&r->history);
    if (r->adv_key.entries) /* the original weights: secret */
        sodium_memzero(r->adv_key.entries, (size_t)r->adv_key.n * sizeof *r->adv_key.entries);
    eip_advparams_key_free(&r->adv_key);
    eip_advparams_result_free(&r->adv);
    memset(r, 0, sizeof *r);
}

static eip_status master_clone(const eip_crypto_master_t *m, eip_crypto_master_t **out, eip_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_crypto_master_to_bytes(m, &buf, &len, err);
    if (s)
        return s;
    s = eip_crypto_master_from_bytes(buf, len, "master key", out, err);
    eip_crypto_secret_free(buf, len);
    return s;
}

/* Uniform index below n: CSPRNG unless the run is seeded (then a seeded
 * stream, reproducible like the seeded keys). */
static uint64_t pick(eip_data_rng *seeded, uint64_t n)
{
    return seeded ? eip_data_rng_below(seeded, n) : (uint64_t)randombytes_uniform((uint32_t)n);
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

eip_status eip_protect_keys_setup(const eip_protect_config *cfg, eip_protect_result *out, eip_error *err)
{
    const int32_t z = cfg->train->num_classes;
    eip_status s;
    if (!!cfg->pk != !!cfg->master)
        return eip_error_set(err, EIP_ERR_ARG,
                             "protect: give both the public and the master key, or neither");
    if (cfg->pk) {
        if ((s = eip_protect_pk_clone(cfg->pk, &out->pk, err)) ||
            (s = master_clone(cfg->master, &out->master, err)))
            return s;
        if (memcmp(eip_crypto_master_pk_id(out->master), eip_crypto_pk_id(out->pk),
                   EIP_CRYPTO_PKID_BYTES))
            return eip_error_set(err, EIP_ERR_CRYPTO,
                  "protect: the master key belongs to another public key");
        if (eip_crypto_pk_classes(out->pk) != z)
            return eip_error_set(err, EIP_ERR_ARG, "protect: the keys are for %d classes, %s has %d",
                                 (int)eip_crypto_pk_classes(out->pk), cfg->train->name, (int)z);
        stage(cfg, "keys: reusing a %s public key with %lld licensees",
              eip_crypto_group_name(eip_crypto_pk_group(out->pk)),
              (long long)eip_crypto_master_licensees(out->master));
    } else {
        eip_crypto_params prm = {cfg->group, z, cfg->q};
        if (cfg->licensees < 1)
            return eip_error_set(err, EIP_ERR_ARG, "protect: --licensees must be at least 1");
        if ((s = eip_crypto_gen(&prm, cfg->licensees, cfg->crypto_rng, &out->pk, &out->master, err)))
            return s;
        stage(cfg, "keygen: %s group%s, %lld licensees%s", eip_crypto_group_name(cfg->group),
              cfg->group == EIP_CRYPTO_GROUP_PAPER ? " (toy: q is tiny, see README)" : "",
              (long long)cfg->licensees, cfg->crypto_rng ? " (seeded: reproducible, not secret)" : "");
    }
    out->licensees = eip_crypto_master_licensees(out->master);
    out->sk = calloc((size_t)out->licensees, sizeof *out->sk);
    if (!out->sk)
        return eip_error_set(err, EIP_ERR_NOMEM, "protect: out of memory");
    for (int64_t j = 0; j < out->licensees; j++)
        if ((s = eip_crypto_master_sk(out->master, j + 1, &out->sk[j], err)))
            return s;
    return EIP_OK;
}

/* Codewords in id order (labels, then verification), verification set,
 * slot permutation and both codebooks. */
eip_status eip_protect_codewords_setup(const eip_protect_config *cfg, eip_protect_result *out,
                                      eip_crypto_ct **ids_ct, int64_t **perm_out, eip_error *err)
{
    const eip_crypto_pk_t *pk = out->pk;
    const int32_t z = eip_crypto_pk_classes(pk);
    const int paper = eip_crypto_pk_group(pk) == EIP_CRYPTO_GROUP_PAPER;
    const int64_t per = cfg->verif_count > 0 ? cfg->verif_count
                        : paper ? EIP_PROTECT_DEFAULT_FAKES : EIP_PROTECT_DEFAULT_PER_LICENSEE;
    const int64_t v = paper ? per : per * out->licensees;
    if (v < 1 || v > EIP_PROTECT_MAX_VERIF)
        return eip_error_set(err, EIP_ERR_RANGE, "protect: %lld verification instances (allowed 1..%d)",
                             (long long)v, EIP_PROTECT_MAX_VERIF);
    if (paper && (double)(z + v) > 0.5 * pow((double)eip_crypto_pk_q(pk) - 1, 3))
        return eip_error_set(err, EIP_ERR_RANGE,
                             "protect: %lld codewords do not fit the paper group with q=%lld; use "
                             "fewer verification instances or a larger --q",
                             (long long)(z + v), (long long)eip_crypto_pk_q(pk));
    const int64_t nid = z + v;
    eip_crypto_ct *ct = calloc((size_t)nid, sizeof *ct);
    int64_t *perm = malloc((size_t)nid * sizeof *perm), *inv = malloc((size_t)nid * sizeof *inv);
    eip_status s = EIP_OK;
    if (!ct || !perm || !inv) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "protect: out of memory");
        goto done;
    }
    eip_data_rng seeded_r, *seeded = NULL;
    if (cfg->crypto_rng) {
        eip_data_rng_seed(&seeded_r, cfg->seed ^ 0x534c4f54ull /* "SLOT" */);
        seeded = &seeded_r;
    }
    stage(cfg, "Enc: one fixed ciphertext per label (%d), %lld %s verification ciphertexts", (int)z,
          (long long)v, paper ? "Fake" : "targeted");
    for (int32_t y = 0; y < z && !s; y++)
        s = eip_crypto_enc(pk, y, cfg->crypto_rng, &ct[y], err); /* eq. (1), fixed per label */
    if (s)
        goto done;
    if ((s = eip_protect_verif_alloc(&out->verif, v, err)))
        goto done;
    snprintf(out->verif.model, sizeof out->verif.model, "%s", out->id);
    eip_data_rng lab_r;
    eip_data_rng_seed(&lab_r, cfg->seed ^ 0x4c4142454cull /* "LABEL" */);
    for (int64_t i = 0; i < v && !s; i++) {
        eip_crypto_ct *c = &ct[z + i];
        if (paper) {
            /* c̄ <- Fake(pk), redrawn (a) when it repeats an earlier codeword
             * and (b) for the first 1000 tries when it shares two of its three
             * elements with a label codeword: in a group as small as Z_11^*
             * such a Fake sits one block away from a label and attracts
             * ordinary images whose output is uncertain in one block
             * (measured in docs/PROTECT.md).  Conditioning the draw keeps it
             * a Fake: r1 != r2 still holds. */
            int dup = 1;
            for (int tries = 0; dup && tries < 2000 && !s; tries++) {
                if ((s = eip_crypto_fake(pk, cfg->crypto_rng, c, err)))
                    break;
                dup = 0;
                for (int64_t k = 0; k < z + i && !dup; k++) {
                    int same = 0;
                    for (int b = 0; b < 3; b++)
                        same += !memcmp(&ct[k].u[b], &c->u[b], sizeof c->u[b]);
                    dup = same == 3 || (tries < 1000 && k < z && same >= 2);
                }
            }
            if (!s && dup)
                s = eip_error_set(err, EIP_ERR_RANGE, "protect: no fresh Fake ciphertext in the group");
            out->verif.kind[i] = EIP_KEYRING_VERIF_FAKE;
            out->verif.licensee[i] = 0;
            out->verif.label[i] = EIP_CRYPTO_NOT_A_LABEL;
        } else {
            /* targeted: Dec(sk_j, c̄) = m, every other key: no label */
            const int64_t j = 1 + i / per;
            const int32_t m = (int32_t)eip_data_rng_below(&lab_r, (uint64_t)z);
            if ((s = eip_crypto_fake_for(out->master, j, m, cfg->crypto_rng, c, err)))
                break;
            out->verif.kind[i] = EIP_KEYRING_VERIF_TARGETED;
            out->verif.licensee[i] = j;
            out->verif.label[i] = m;
        }
        out->verif.ct[i] = *c;
    }
    if (s)
        goto done;
    /* slot order: random permutation of the ids */
    for (int64_t i = 0; i < nid; i++)
        inv[i] = i;
    for (int64_t i = nid - 1; i > 0; i--) {
        int64_t j = (int64_t)pick(seeded, (uint64_t)i + 1), t = inv[i];
        inv[i] = inv[j];
        inv[j] = t;
    }
    for (int64_t sl = 0; sl < nid; sl++)
        perm[inv[sl]] = sl;
    if ((s = eip_crypto_codebook_new(pk, &out->codebook, err)))
        goto done;
    for (int64_t sl = 0; sl < nid && !s; sl++)
        s = eip_crypto_codebook_add(out->codebook, &ct[inv[sl]],
                                    inv[sl] < z ? (int32_t)inv[sl] : EIP_CRYPTO_NOT_A_LABEL, NULL, err);
    if (!s)
        s = eip_protect_codebook_clone(pk, out->codebook, 1, &out->deploy_codebook, err);
done:
    free(inv);
    if (s) {
        free(ct);
        free(perm);
        return s;
    }
    *ids_ct = ct;
    *perm_out = perm;
    return EIP_OK;
}

eip_status eip_protect_targets(const eip_crypto_pk_t *pk, const eip_crypto_ct *ids_ct,
                               int64_t n_ids, int64_t k, float **table, eip_train_targets *t,
                               eip_error *err)
{
    *table = NULL;
    *t = (eip_train_targets){EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    if (eip_crypto_pk_group(pk) != EIP_CRYPTO_GROUP_PAPER)
        return EIP_OK; /* one-hot over slots: the slot is the class */
    /* row id = Φ(c_id) = T1 T2 T3 (eq. 2), trained with 3 softmaxes */
    float *tb = malloc((size_t)(n_ids * k) * sizeof *tb);
    if (!tb)
        return eip_error_set(err, EIP_ERR_NOMEM, "protect: out of memory");
    eip_status s = EIP_OK;
    for (int64_t i = 0; i < n_ids && !s; i++)
        s = eip_crypto_phi(pk, NULL, &ids_ct[i], tb + i * k, err);
    if (s) {
        free(tb);
        return s;
    }
    *table = tb;
    *t = (eip_train_targets){EIP_TRAIN_TARGET_BLOCK, 3, n_ids, tb};
    return EIP_OK;
}

/* Training set given to the trainer: D with label ids (ristretto255: slots)
 * followed by `reps` replicas of each verification image. */
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
    const double t0 = now_s();
    eip_crypto_ct *ids_ct = NULL;
    int64_t *perm = NULL;
    float *table = NULL;
    eip_data_set combined = {0};
    eip_data_loader *loader = NULL;
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

    eip_data_loader_cfg lcfg;
    const int64_t batch = cfg->batch > 0 ? cfg->batch : 128;
    if ((s = eip_data_loader_cfg_default(&lcfg, cfg->train, batch, cfg->seed, err)) ||
        (s = eip_data_loader_init(&loader, &combined, &lcfg, err)))
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
    if ((s = eip_nn_init_params(out->net, cfg->seed, err)))
        goto fail;
    if ((s = eip_protect_model_wrap(out->net, 0, out->pk, out->deploy_codebook, out->mean, out->std,
                                    out->id, &model, err)))
        goto fail;

    eip_train_config tc;
    memset(&tc, 0, sizeof tc);
    cfg->trainconf(cfg->trainconf_ctx, eip_data_loader_num_batches(loader), &tc);
    tc.eval = NULL;
    if (cfg->test && cfg->test->n > 0) {
        int64_t ne = cfg->eval_limit > 0 && cfg->eval_limit < cfg->test->n ? cfg->eval_limit : cfg->test->n;
        if ((s = eip_data_set_subset_first(cfg->test, ne, &ec.test, err)))
            goto fail;
        ec.model = model;
        ec.owner = out->codebook;
        tc.eval = eval_decode;
        tc.eval_ctx = &ec;
    }
    stage(cfg, "training: %lld images + %lld verification instances x %lld replicas, output K=%lld "
          "(%s), %lld epochs", (long long)cfg->train->n, (long long)out->verif.n,
          (long long)out->verif_reps, (long long)out->k,
          paper ? "3 one-hot blocks of q, block cross-entropy" : "one-hot over codebook slots",
          (long long)tc.epochs);
    if ((s = eip_train_run(out->net, loader, &targets, &tc, &out->history, err)))
        goto fail;

    if (cfg->test && cfg->test->n > 0) {
        eip_protect_accuracy a;
        if ((s = eip_protect_decode_accuracy(model, out->sk[0], out->codebook, cfg->test, NULL, &a, err)))
            goto fail;
        out->test_acc_ml = a.codebook_ml;
        out->test_acc_argmax = a.key_argmax;
    }
    if ((s = memorised(model, out, &out->verif_memorised, err)))
        goto fail;
    out->seconds = now_s() - t0;
    stage(cfg, "done in %.1f s: test accuracy %.4f (ML decoding), %.4f (arg-max, eq. 3); verification "
          "instances memorised %.1f%%", out->seconds, out->test_acc_ml, out->test_acc_argmax,
          100.0 * out->verif_memorised);
    s = EIP_OK;
    goto done;
fail:
    eip_protect_result_free(out);
done:
    eip_protect_model_free(model);
    eip_data_set_free(&ec.test);
    eip_data_loader_free(loader);
    eip_data_set_free(&combined);
    free(table);
    free(ids_ct);
    free(perm);
    return s;
}
