/* Protect planning without training (docs/PYTHON.md): the part of
 * Algorithm 1 that does not touch the model, for a model trained elsewhere
 * (PyTorch through the Python package, or any other trainer):
 *   keys, one fixed c_y per label, the verification ciphertexts c̄_i and
 *   images x̄_i, the secret codebook slot order (all from
 *   eip_protect_keys_setup / eip_protect_codewords_setup, the same code
 *   eip_protect_run uses), the training target of every id (labels 0..z-1,
 *   verification instances z..z+V-1; eip_protect_targets), the replication
 *   schedule, a bundle skeleton (eip_protect_bundle_write without a net) and
 *   the memorisation check after training.
 * A plan is also loaded back from a bundle's owner/ files (CLI bundles too). */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "protect/internal.h"
#include "util/io.h"

struct eip_protect_plan {
    eip_protect_result r;  /* net NULL; pk, master, sk, codebooks, verif, k, id */
    int64_t n_ids;         /* z + V */
    int64_t *slot;         /* [z+V] codebook slot of id (the secret permutation) */
    float *table;          /* paper group: [z+V, K] Φ(c_id) (eq. 2); ristretto255: NULL */
};

int64_t eip_protect_verif_reps_auto(int64_t train_n, int64_t v, int64_t epochs, double fraction)
{
    /* enough that the replicas make up `fraction` of the training set and
     * that each instance is presented EIP_PROTECT_VERIF_PRESENTATIONS times
     * over all epochs (what memorising takes, docs/PROTECT.md) */
    const double frac = fraction > 0 ? fraction : 0.02;
    const int64_t ep = epochs > 0 ? epochs : 1;
    if (v < 1)
        return 0;
    const int64_t by_frac = (int64_t)ceil(frac * (double)(train_n > 0 ? train_n : 0) / (double)v);
    const int64_t by_seen = (EIP_PROTECT_VERIF_PRESENTATIONS + ep - 1) / ep;
    return by_frac > by_seen ? by_frac : by_seen;
}

eip_status eip_protect_memorised_outputs(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *owner_cb,
                                         const eip_protect_verif *v, const float *y, int64_t k,
                                         uint8_t *hit_each, int64_t *hits, eip_error *err)
{
    *hits = 0;
    if (k != eip_crypto_phi_dim(pk, owner_cb))
        return eip_error_set(err, EIP_ERR_SHAPE, "memorisation check: outputs have %lld columns, the "
                             "plan's model needs %lld", (long long)k,
                             (long long)eip_crypto_phi_dim(pk, owner_cb));
    for (int64_t i = 0; i < v->n; i++) {
        eip_crypto_ct c;
        int64_t slot;
        eip_status s = eip_crypto_phi_inv(pk, owner_cb, y + i * k, 1, EIP_CRYPTO_PHI_ML, &c, &slot, err);
        if (s)
            return s;
        const int hit = !memcmp(&c, &v->ct[i], sizeof c);
        *hits += hit;
        if (hit_each)
            hit_each[i] = (uint8_t)hit;
    }
    return EIP_OK;
}

void eip_protect_plan_free(eip_protect_plan_t *p)
{
    if (!p)
        return;
    eip_protect_result_free(&p->r);
    free(p->slot);
    free(p->table);
    free(p);
}

/* Targets table (paper) once the ids' codewords and slots are known. */
static eip_status plan_finish(eip_protect_plan_t *p, const eip_crypto_ct *ids_ct, eip_error *err)
{
    p->r.k = eip_crypto_phi_dim(p->r.pk, p->r.codebook);
    eip_train_targets t;
    return eip_protect_targets(p->r.pk, ids_ct, p->n_ids, p->r.k, &p->table, &t, err);
}

eip_status eip_protect_plan_create(const eip_protect_plan_config *pc, eip_protect_plan_t **out,
                                   eip_error *err)
{
    *out = NULL;
    if (pc->classes < 2 || pc->classes > EIP_CRYPTO_MAX_CLASSES)
        return eip_error_set(err, EIP_ERR_ARG, "protect plan: %d classes (allowed 2..%d)",
                             (int)pc->classes, EIP_CRYPTO_MAX_CLASSES);
    if (pc->c < 1 || pc->c > EIP_DATA_MAX_CHANNELS || pc->h < 1 || pc->h > EIP_DATA_MAX_DIM ||
        pc->w < 1 || pc->w > EIP_DATA_MAX_DIM)
        return eip_error_set(err, EIP_ERR_SHAPE, "protect plan: image shape %dx%dx%d (CxHxW) out of "
                             "range", (int)pc->c, (int)pc->h, (int)pc->w);
    eip_protect_plan_t *p = calloc(1, sizeof *p);
    if (!p)
        return eip_error_set(err, EIP_ERR_NOMEM, "protect plan: out of memory");
    p->r.test_acc_ml = p->r.test_acc_argmax = p->r.verif_memorised = -1;
    /* what eip_protect_run reads for its set-up steps */
    eip_data_set labels = {0};
    snprintf(labels.name, sizeof labels.name, "the labels");
    labels.num_classes = pc->classes;
    eip_protect_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.train = &labels;
    cfg.group = pc->group;
    cfg.q = pc->q;
    cfg.licensees = pc->licensees;
    cfg.pk = pc->pk;
    cfg.master = pc->master;
    cfg.verif_count = pc->verif_count;
    cfg.seed = pc->seed;
    cfg.crypto_rng = pc->crypto_rng;
    eip_crypto_ct *ids_ct = NULL;
    eip_status s;
    if ((s = eip_protect_keys_setup(&cfg, &p->r, err)))
        goto fail;
    eip_protect_bundle_id(p->r.pk, pc->seed, p->r.id);
    if ((s = eip_protect_codewords_setup(&cfg, &p->r, &ids_ct, &p->slot, err)))
        goto fail;
    const int64_t v = p->r.verif.n;
    p->n_ids = pc->classes + v;
    if (pc->verif_pixels) {
        if (pc->verif_n != v) {
            s = eip_error_set(err, EIP_ERR_SHAPE, "protect plan: %lld verification images given, the "
                              "plan has %lld verification instances (%s)", (long long)pc->verif_n,
                              (long long)v, pc->group == EIP_CRYPTO_GROUP_PAPER || (pc->pk &&
                              eip_crypto_pk_group(pc->pk) == EIP_CRYPTO_GROUP_PAPER)
                                  ? "verif_count" : "verif_count per licensee x licensees");
            goto fail;
        }
        if ((s = eip_data_set_init(&p->r.verif.images, "verification/user", v, pc->c, pc->h, pc->w,
                                   1, err)))
            goto fail;
        memcpy(p->r.verif.images.pixels, pc->verif_pixels,
               (size_t)v * eip_data_set_image_bytes(&p->r.verif.images));
    } else if ((s = eip_protect_verif_images(pc->verif_source, v, pc->c, pc->h, pc->w, pc->seed,
                                             pc->mnist_dir, &p->r.verif.images, err))) {
        goto fail;
    }
    if ((s = plan_finish(p, ids_ct, err)))
        goto fail;
    free(ids_ct);
    *out = p;
    return EIP_OK;
fail:
    free(ids_ct);
    eip_protect_plan_free(p);
    return s;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

eip_status eip_protect_plan_load(const char *bundle, eip_protect_plan_t **out, eip_error *err)
{
    *out = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/owner/master.key", bundle);
    if (!file_exists(path))
        return eip_error_set(err, EIP_ERR_IO, "%s: not an encryip bundle with owner files (no "
                             "owner/master.key)", bundle);
    eip_protect_plan_t *p = calloc(1, sizeof *p);
    if (!p)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", bundle);
    p->r.test_acc_ml = p->r.test_acc_argmax = p->r.verif_memorised = -1;
    eip_crypto_ct *ids_ct = NULL;
    eip_status s;
    snprintf(path, sizeof path, "%s/deploy/public.key", bundle);
    if ((s = eip_crypto_pk_load(path, &p->r.pk, err)))
        goto fail;
    snprintf(path, sizeof path, "%s/owner/master.key", bundle);
    if ((s = eip_crypto_master_load(path, &p->r.master, err)))
        goto fail;
    if (memcmp(eip_crypto_master_pk_id(p->r.master), eip_crypto_pk_id(p->r.pk), EIP_CRYPTO_PKID_BYTES)) {
        s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: belongs to another public key than "
                          "deploy/public.key", path);
        goto fail;
    }
    p->r.licensees = eip_crypto_master_licensees(p->r.master);
    p->r.sk = calloc((size_t)p->r.licensees, sizeof *p->r.sk);
    if (!p->r.sk) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", bundle);
        goto fail;
    }
    for (int64_t j = 0; j < p->r.licensees; j++)
        if ((s = eip_crypto_master_sk(p->r.master, j + 1, &p->r.sk[j], err)))
            goto fail;
    snprintf(path, sizeof path, "%s/owner/codebook.bin", bundle);
    if ((s = eip_crypto_codebook_load(p->r.pk, path, &p->r.codebook, err)) ||
        (s = eip_protect_codebook_clone(p->r.pk, p->r.codebook, 1, &p->r.deploy_codebook, err)))
        goto fail;
    snprintf(path, sizeof path, "%s/owner/verification.json", bundle);
    if ((s = eip_protect_verif_load(p->r.pk, path, &p->r.verif, err)))
        goto fail;
    snprintf(p->r.id, sizeof p->r.id, "%s", p->r.verif.model);
    /* ids back from the labelled codebook: label y's slot, then c̄_i's */
    const int32_t z = eip_crypto_pk_classes(p->r.pk);
    const int64_t v = p->r.verif.n, ncb = eip_crypto_codebook_size(p->r.codebook);
    p->n_ids = z + v;
    if (ncb != p->n_ids) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s/owner/codebook.bin: %lld slots, expected %d labels "
                          "+ %lld verification codewords", bundle, (long long)ncb, (int)z, (long long)v);
        goto fail;
    }
    p->slot = malloc((size_t)p->n_ids * sizeof *p->slot);
    ids_ct = malloc((size_t)p->n_ids * sizeof *ids_ct);
    if (!p->slot || !ids_ct) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", bundle);
        goto fail;
    }
    for (int64_t i = 0; i < p->n_ids; i++)
        p->slot[i] = -1;
    for (int64_t sl = 0; sl < ncb; sl++) {
        const int32_t y = eip_crypto_codebook_label(p->r.codebook, sl);
        if (y >= 0 && y < z && p->slot[y] < 0)
            p->slot[y] = sl;
    }
    for (int64_t i = 0; i < v; i++)
        p->slot[z + i] = eip_crypto_codebook_find(p->r.codebook, &p->r.verif.ct[i]);
    for (int64_t i = 0; i < p->n_ids; i++) {
        if (p->slot[i] < 0) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s/owner/codebook.bin: no codeword for %s %lld",
                              bundle, i < z ? "label" : "verification instance",
                              (long long)(i < z ? i : i - z));
            goto fail;
        }
        ids_ct[i] = *eip_crypto_codebook_ct(p->r.codebook, p->slot[i]);
    }
    if ((s = plan_finish(p, ids_ct, err)))
        goto fail;
    free(ids_ct);
    *out = p;
    return EIP_OK;
fail:
    free(ids_ct);
    eip_protect_plan_free(p);
    return s;
}

eip_status eip_protect_plan_write(const eip_protect_plan_t *p, const eip_protect_bundle_info *info,
                                  const char *dir, int force, eip_error *err)
{
    return eip_protect_bundle_write(&p->r, info, dir, force, err);
}

int64_t eip_protect_plan_outputs(const eip_protect_plan_t *p) { return p->r.k; }
int32_t eip_protect_plan_classes(const eip_protect_plan_t *p) { return eip_crypto_pk_classes(p->r.pk); }
int64_t eip_protect_plan_licensees(const eip_protect_plan_t *p) { return p->r.licensees; }
int64_t eip_protect_plan_verif_count(const eip_protect_plan_t *p) { return p->r.verif.n; }
const char *eip_protect_plan_id(const eip_protect_plan_t *p) { return p->r.id; }
const eip_crypto_pk_t *eip_protect_plan_pk(const eip_protect_plan_t *p) { return p->r.pk; }
const eip_crypto_codebook_t *eip_protect_plan_codebook(const eip_protect_plan_t *p) { return p->r.codebook; }
const eip_protect_verif *eip_protect_plan_verif(const eip_protect_plan_t *p) { return &p->r.verif; }

void eip_protect_plan_verif_shape(const eip_protect_plan_t *p, int32_t *c, int32_t *h, int32_t *w)
{
    *c = p->r.verif.images.c;
    *h = p->r.verif.images.h;
    *w = p->r.verif.images.w;
}

eip_status eip_protect_plan_targets(const eip_protect_plan_t *p, const int32_t *ids, int64_t n,
                                    float *soft, int64_t *slots, eip_error *err)
{
    const int64_t k = p->r.k;
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= p->n_ids)
            return eip_error_set(err, EIP_ERR_RANGE, "targets: id %d at position %lld is outside "
                                 "0..%lld (labels 0..%d, then verification instances)", (int)ids[i],
                                 (long long)i, (long long)(p->n_ids - 1),
                                 (int)eip_crypto_pk_classes(p->r.pk) - 1);
    for (int64_t i = 0; i < n; i++) {
        const int64_t sl = p->slot[ids[i]];
        if (slots)
            slots[i] = sl; /* ristretto255: the class of the slot cross-entropy */
        if (!soft)
            continue;
        if (p->table) /* paper: Φ(c_id), 3 one-hot blocks (eq. 2) */
            memcpy(soft + i * k, p->table + (int64_t)ids[i] * k, (size_t)k * sizeof *soft);
        else {        /* ristretto255: one-hot over the codebook slots */
            memset(soft + i * k, 0, (size_t)k * sizeof *soft);
            soft[i * k + sl] = 1.0f;
        }
    }
    return EIP_OK;
}

eip_status eip_protect_plan_check_memorised(const eip_protect_plan_t *p, const float *y, int64_t v,
                                            int64_t k, double *rate, eip_error *err)
{
    const eip_protect_verif *vf = &p->r.verif;
    *rate = 0;
    if (v != vf->n)
        return eip_error_set(err, EIP_ERR_SHAPE, "memorisation check: %lld output rows, the plan has "
                             "%lld verification instances", (long long)v, (long long)vf->n);
    uint8_t *hit = malloc((size_t)(v > 0 ? v : 1));
    if (!hit)
        return eip_error_set(err, EIP_ERR_NOMEM, "memorisation check: out of memory");
    int64_t hits = 0;
    eip_status s = eip_protect_memorised_outputs(p->r.pk, p->r.codebook, vf, y, k, hit, &hits, err);
    if (s) {
        free(hit);
        return s;
    }
    *rate = v ? (double)hits / (double)v : 0;
    /* trace's decision rule (eip_protect_trace_score) applied to a
     * deployment that answers every memorised instance right: licensee j's
     * relevant instances are all V (Fake, paper) or those targeted at j */
    const double chance = 1.0 / (double)eip_crypto_pk_classes(p->r.pk);
    for (int64_t j = 1; j <= p->r.licensees && !s; j++) {
        int64_t tot = 0, m = 0;
        for (int64_t i = 0; i < v; i++)
            if (vf->kind[i] == EIP_KEYRING_VERIF_FAKE || vf->licensee[i] == j) {
                tot++;
                m += hit[i];
            }
        const double pv = eip_protect_binom_tail(tot, m, chance);
        if (!(tot > 0 && pv < EIP_PROTECT_TRACE_PVALUE &&
              (double)m >= EIP_PROTECT_TRACE_MIN_RATE * (double)tot))
            s = eip_error_set(err, EIP_ERR_STATE,
                              "verification instances not memorised: the model reproduces %lld of "
                              "%lld instances for licensee %lld (p = %.3g; tracing needs >= %.0f%% and "
                              "p < %g) — a leak by this licensee could not be traced; train longer "
                              "or with more replicas", (long long)m, (long long)tot, (long long)j, pv,
                              100 * EIP_PROTECT_TRACE_MIN_RATE, EIP_PROTECT_TRACE_PVALUE);
    }
    free(hit);
    return s;
}
