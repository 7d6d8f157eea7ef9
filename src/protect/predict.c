/* Algorithm 2 (deploying process) on a model handle (model.c):
 *   y = [M](x); c = Φ^-1(y) (eq. 3 / ML over the deploy codebook);
 *   c_d = SampDist(c) with fresh randomness; output Φ(c_d) (we hand out c_d,
 *   Φ(c_d) is its one-hot form).
 * Decryption (eq. 4), classify (= predict + decrypt) and the decoding
 * accuracy live here too.
 *
 * Shape legend: N images, C channels, H rows, W columns, K model outputs. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protect/internal.h"

/* the batch of eip_train_evaluate: the same outputs bit for bit */
#define FWD_BATCH EIP_TRAIN_EVAL_BATCH

eip_status eip_protect_forward(eip_protect_model_t *m, const uint8_t *pixels, int64_t n, float *out,
                               eip_error *err)
{
    if (!m->net) /* eip_protect_model_load_head: outputs come from elsewhere */
        return eip_error_set(err, EIP_ERR_STATE, "forward: %s has no weights (a head loaded for "
                             "outputs computed elsewhere)", m->path[0] ? m->path : "the model");
    /* eip_train_predict itself over a view of the pixels: one normalisation,
     * the same batch and the same denormal mode as training's evaluation, so
     * the outputs agree bit for bit (test_paper checks) */
    eip_data_set view = {.n = n, .c = m->c, .h = m->h, .w = m->w, .pixels = (uint8_t *)pixels};
    snprintf(view.name, sizeof view.name, "images");
    return eip_train_predict(m->net, &view, m->mean, m->std, FWD_BATCH, out, err);
}

eip_status eip_protect_predict_outputs(const eip_protect_model_t *m, const float *y, int64_t n,
                                       eip_crypto_rng_t *rng, eip_crypto_ct *out, int64_t *slots,
                                       eip_error *err)
{
    int64_t *sl = slots ? slots : malloc((size_t)(n > 0 ? n : 1) * sizeof *sl); /* [N] */
    if (!sl)
        return eip_error_set(err, EIP_ERR_NOMEM, "predict: out of memory for %lld slots", (long long)n);
    eip_status s = EIP_OK;
    bool all_slots = m->cb != NULL;
    for (int64_t i = 0; i < n && !s; i++) {
        /* Algorithm 2 line 2: Φ^-1 (eq. 3, or ML) */
        sl[i] = -1;
        s = eip_crypto_phi_inv(m->pk, m->cb, y + i * m->k, 1, m->dec, &out[i], &sl[i], err);
        if (s)
            eip_error_prefix(err, "image %lld: ", (long long)i);
        all_slots &= sl[i] >= 0;
    }
    /* line 3: SampDist, spread over all cores (same draws, in image order,
     * as one call per image); from codebook slots where Φ^-1 gave one (out[i]
     * is then that slot's codeword, kept decoded by the codebook) */
    if (!s)
        s = all_slots ? eip_crypto_sampdist_slots(m->pk, m->cb, sl, n, rng, 0, out, err)
                      : eip_crypto_sampdist_batch(m->pk, out, n, rng, 0, out, err);
    if (sl != slots)
        free(sl);
    return s;
}

eip_status eip_protect_predict(eip_protect_model_t *m, const uint8_t *pixels, int64_t n,
                               eip_crypto_rng_t *rng, eip_crypto_ct *out, int64_t *slots,
                               eip_error *err)
{
    float *y = malloc((size_t)(n > 0 ? n : 1) * (size_t)m->k * sizeof *y); /* [N, K] */
    if (!y)
        return eip_error_set(err, EIP_ERR_NOMEM, "predict: out of memory for %lld outputs",
                             (long long)n);
    eip_status s = eip_protect_forward(m, pixels, n, y, err);
    if (!s)
        s = eip_protect_predict_outputs(m, y, n, rng, out, slots, err);
    free(y);
    return s;
}

eip_status eip_protect_decrypt(const eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                               int check_key, const eip_crypto_ct *c, int64_t n, int32_t *labels,
                               eip_error *err)
{
    eip_status s;
    if (check_key && (s = eip_crypto_sk_check_pk(sk, eip_crypto_pk_id(m->pk), "the model", err)))
        return s;
    if (eip_crypto_sk_group(sk) != eip_crypto_pk_group(m->pk))
        return eip_error_set(err, EIP_ERR_CRYPTO, "key of the %s group, the model uses %s",
                             eip_crypto_group_name(eip_crypto_sk_group(sk)),
                             eip_crypto_group_name(eip_crypto_pk_group(m->pk)));
    /* eq. (4) over all cores; an element outside the group would be ⊥: no label */
    return eip_crypto_dec_label_batch(sk, c, n, 0, labels, err);
}

eip_status eip_protect_classify(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                const uint8_t *pixels, int64_t n, int32_t *labels, eip_error *err)
{
    eip_status s = eip_crypto_sk_check_pk(sk, eip_crypto_pk_id(m->pk), "the model", err);
    if (s)
        return s;
    eip_crypto_ct *c = malloc((size_t)(n > 0 ? n : 1) * sizeof *c);
    if (!c)
        return eip_error_set(err, EIP_ERR_NOMEM, "classify: out of memory");
    if (!(s = eip_protect_predict(m, pixels, n, NULL, c, NULL, err)))
        s = eip_protect_decrypt(m, sk, 1, c, n, labels, err);
    free(c);
    return s;
}

/* lab [n]: label read with sk from the model's outputs y [n, K] through one
 * SampDist + Dec per distinct codebook slot (ristretto255, sk of m's public
 * key: Dec(sk, SampDist(c)) = Dec(sk, c) for every SampDist randomness, so
 * each image's answer is its slot's). */
static eip_status slot_labels(const eip_protect_model_t *m, const eip_crypto_sk_t *sk, const float *y,
                              int64_t n, eip_crypto_rng_t *rng, int32_t *lab, eip_error *err)
{
    const int64_t ns = eip_crypto_codebook_size(m->cb);
    int32_t *of = malloc((size_t)(ns > 0 ? ns : 1) * sizeof *of); /* [slots] label, or unset */
    unsigned char *done = calloc((size_t)(ns > 0 ? ns : 1), 1);
    eip_status s = EIP_OK;
    if (!of || !done)
        s = eip_error_set(err, EIP_ERR_NOMEM, "accuracy: out of memory");
    for (int64_t i = 0; i < n && !s; i++) {
        eip_crypto_ct c, cd;
        int64_t sl = -1;
        if ((s = eip_crypto_phi_inv(m->pk, m->cb, y + i * m->k, 1, m->dec, &c, &sl, err)))
            break;
        if (sl < 0 || sl >= ns) {
            s = eip_error_set(err, EIP_ERR_STATE, "accuracy: image %lld decodes to no codebook slot",
                              (long long)i);
            break;
        }
        if (!done[sl] && !(s = eip_crypto_sampdist(m->pk, &c, rng, &cd, err)) &&
            !(s = eip_crypto_dec_label(sk, &cd, &of[sl], err)))
            done[sl] = 1;
        lab[i] = of[sl];
    }
    free(of);
    free(done);
    return s;
}

eip_status eip_protect_decode_accuracy(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                       const eip_crypto_codebook_t *owner_cb, const eip_data_set *ds,
                                       eip_crypto_rng_t *rng, eip_protect_accuracy *acc,
                                       eip_error *err)
{
    memset(acc, 0, sizeof *acc);
    acc->n = ds->n;
    acc->key_ml = acc->key_argmax = acc->codebook_ml = acc->not_a_label = acc->verif_slot = -1;
    eip_status s = eip_protect_model_check_shape(m, ds->name, ds->c, ds->h, ds->w, err);
    if (s)
        return s;
    const int64_t n = ds->n;
    float *y = malloc((size_t)(n > 0 ? n : 1) * (size_t)m->k * sizeof *y); /* [N, K] */
    eip_crypto_ct *c = malloc((size_t)(n > 0 ? n : 1) * sizeof *c);
    int32_t *lab = malloc((size_t)(n > 0 ? n : 1) * sizeof *lab);
    int64_t *slot = malloc((size_t)(n > 0 ? n : 1) * sizeof *slot);
    const eip_crypto_phi_decoder keep = m->dec;
    if (!y || !c || !lab || !slot) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "accuracy: out of memory");
        goto done;
    }
    if ((s = eip_protect_forward(m, ds->pixels, n, y, err)))
        goto done;
    /* ristretto255: both decoders pick the arg-max slot (phi.c), and a key
     * of this public key decrypts SampDist(c) to Dec(c) whatever the
     * randomness (CS_lite correctness): the arg-max pass would repeat the ML
     * pass exactly, and the ML pass needs one SampDist + Dec per distinct
     * slot, not per image.  A key of another keygen reads a fresh random
     * element per query; it gets both passes, every image. */
    const int same_pass = eip_crypto_pk_group(m->pk) != EIP_CRYPTO_GROUP_PAPER && sk &&
                          !memcmp(eip_crypto_sk_pk_id(sk), eip_crypto_pk_id(m->pk),
                                  EIP_CRYPTO_PKID_BYTES);
    for (int pass = 0; pass < 2; pass++) {
        m->dec = pass == 0 ? EIP_CRYPTO_PHI_ML : EIP_CRYPTO_PHI_ARGMAX;
        if (m->dec == EIP_CRYPTO_PHI_ML && owner_cb) {
            /* the model's own reading: label of the chosen slot in the
             * owner's labelled codebook (same slots as the deploy one) */
            int64_t right = 0, vs = 0;
            for (int64_t i = 0; i < n && !s; i++) {
                eip_crypto_ct cc;
                int64_t sl;
                if (!(s = eip_crypto_phi_inv(m->pk, owner_cb, y + i * m->k, 1, EIP_CRYPTO_PHI_ML, &cc,
                                             &sl, err))) {
                    right += eip_crypto_codebook_label(owner_cb, sl) == ds->labels[i];
                    vs += eip_crypto_codebook_label(owner_cb, sl) == EIP_CRYPTO_NOT_A_LABEL;
                }
            }
            if (s)
                goto done;
            acc->codebook_ml = n ? (double)right / (double)n : 0;
            acc->verif_slot = n ? (double)vs / (double)n : 0;
        }
        if (!sk)
            continue;
        if (pass == 1 && same_pass) {
            acc->key_argmax = acc->key_ml;
            continue;
        }
        if (same_pass ? (s = slot_labels(m, sk, y, n, rng, lab, err))
                      : ((s = eip_protect_predict_outputs(m, y, n, rng, c, slot, err)) ||
                         (s = eip_protect_decrypt(m, sk, 0, c, n, lab, err))))
            goto done;
        int64_t right = 0, nal = 0;
        for (int64_t i = 0; i < n; i++) {
            right += lab[i] == ds->labels[i];
            nal += lab[i] == EIP_CRYPTO_NOT_A_LABEL;
        }
        if (pass == 0) {
            acc->key_ml = n ? (double)right / (double)n : 0;
            acc->not_a_label = n ? (double)nal / (double)n : 0;
        } else {
            acc->key_argmax = n ? (double)right / (double)n : 0;
        }
    }
done:
    m->dec = keep;
    free(y);
    free(c);
    free(lab);
    free(slot);
    return s;
}
