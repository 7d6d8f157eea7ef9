/* Combined protection (docs/PROTECT.md "Combined protection"): EncryIP
 * confuses the outputs, AdvParams encrypts the weights of the same model.
 *
 *   eip_protect_advparams_encrypt  AdvParams on the trained protected net,
 *       with the targets Algorithm 1 trained with and an accuracy rule that
 *       decodes with the owner's labelled codebook — what any licensee key
 *       would decrypt — so "near chance" means near chance for a licensee,
 *       not for some proxy read-out;
 *   eip_protect_model_unlock       the weights key restores the weights in
 *       memory (eip_advparams_decrypt: bit for bit, both hashes checked);
 *       eip_protect_model_save refuses an unlocked model (model.c), so the
 *       plaintext weights never reach the disk through this library.
 *
 * Shape legend: N images, C channels, H rows, W columns, K model outputs,
 * z classes. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protect/internal.h"

#define ACC_BATCH 128

/* ---- model state ----------------------------------------------------------- */

eip_status eip_protect_model_unlock(eip_protect_model_t *m, const eip_advparams_key *key,
                                    eip_error *err)
{
    const char *name = m->path[0] ? m->path : "protected model";
    if (!m->adv)
        return eip_error_set(err, EIP_ERR_ARG, "%s: the weights are not AdvParams-encrypted (no "
                             "protect.advparams metadata): there is nothing to unlock", name);
    if (!m->locked)
        return eip_error_set(err, EIP_ERR_STATE, "%s: the weights are already unlocked", name);
    if (sodium_memcmp(key->hash_enc, m->adv_hash, EIP_ADVPARAMS_HASH_BYTES) != 0) {
        char kh[2 * EIP_ADVPARAMS_HASH_BYTES + 1], mh[2 * EIP_ADVPARAMS_HASH_BYTES + 1];
        sodium_bin2hex(kh, sizeof kh, key->hash_enc, EIP_ADVPARAMS_HASH_BYTES);
        sodium_bin2hex(mh, sizeof mh, m->adv_hash, EIP_ADVPARAMS_HASH_BYTES);
        return eip_error_set(err, EIP_ERR_CRYPTO, "%s: the weights key belongs to another model (it "
                             "unlocks weights hashing to %.16s..., this model's protect.advparams is "
                             "%.16s...); model left locked", name, kh, mh);
    }
    /* The metadata matches; eip_advparams_decrypt also checks the weights
     * themselves (a pruned or fine-tuned copy of the encrypted file carries
     * the same metadata) and leaves the net unchanged on any failure. */
    eip_status s = eip_advparams_decrypt(m->net, key, err);
    if (s) {
        eip_error_prefix(err, "%s: the weights do not match the weights key (modified since "
                         "encryption?): ", name);
        return s;
    }
    m->locked = 0;
    return EIP_OK;
}

/* ---- encryption --------------------------------------------------------------- */

/* Accuracy rule for eip_advparams_encrypt: the ML slot of the owner's
 * labelled codebook must carry the image's true label. */
typedef struct acc_ctx {
    const eip_crypto_pk_t *pk;
    const eip_crypto_codebook_t *owner;
    const int32_t *id_label; /* [n_ids] true label of each label id */
    int64_t n_ids, k, sample; /* sample = C*H*W */
} acc_ctx;

static eip_status decode_acc(void *ctx, eip_nn_net_t *net, const float *x, const int32_t *ids,
                             int64_t n, double *accuracy, eip_error *err)
{
    const acc_ctx *a = ctx;
    float *y = malloc((size_t)(ACC_BATCH * a->k) * sizeof *y); /* [B, K] */
    if (!y)
        return eip_error_set(err, EIP_ERR_NOMEM, "AdvParams accuracy: out of memory");
    eip_status s = EIP_OK;
    int64_t right = 0;
    for (int64_t i0 = 0; i0 < n && !s; i0 += ACC_BATCH) {
        const int64_t b = n - i0 < ACC_BATCH ? n - i0 : ACC_BATCH;
        if ((s = eip_nn_forward(net, x + i0 * a->sample, b, EIP_NN_EVAL, y, err)))
            break;
        for (int64_t i = 0; i < b && !s; i++) {
            eip_crypto_ct c;
            int64_t slot = -1;
            if ((s = eip_crypto_phi_inv(a->pk, a->owner, y + i * a->k, 1, EIP_CRYPTO_PHI_ML, &c,
                                        &slot, err)))
                break;
            const int32_t id = ids[i0 + i];
            right += id >= 0 && id < a->n_ids &&
                     eip_crypto_codebook_label(a->owner, slot) == a->id_label[id];
        }
    }
    free(y);
    if (!s)
        *accuracy = n ? (double)right / (double)n : 0;
    return s;
}

/* Encryption set: enc_n training images, shuffle seeded from the bundle id
 * (reproducible for a bundle, different across bundles). */
static eip_status enc_set(const eip_protect_result *r, const eip_data_set *train, int64_t enc_n,
                          eip_data_set *enc, eip_error *err)
{
    uint64_t seed = 0;
    for (int i = 0; i < 16 && r->id[i]; i++) {
        const char ch = r->id[i];
        seed = seed << 4 | (uint64_t)(ch >= 'a' ? ch - 'a' + 10 : ch - '0');
    }
    const double frac = enc_n >= train->n ? 1.0 : (double)enc_n / (double)train->n;
    return eip_data_set_subset_fraction(train, frac, seed ^ 0x414456ull /* "ADV" */, enc, err);
}

eip_status eip_protect_advparams_encrypt(eip_protect_result *r, const eip_data_set *train,
                                         int64_t enc_n, const eip_advparams_config *cfg_in,
                                         eip_error *err)
{
    if (!r || !r->net || !r->pk || !r->codebook)
        return eip_error_set(err, EIP_ERR_ARG, "AdvParams: no protect result to encrypt");
    if (r->adv_key.n > 0)
        return eip_error_set(err, EIP_ERR_STATE, "AdvParams: the protected model's weights are "
                             "already encrypted");
    const int32_t z = eip_crypto_pk_classes(r->pk);
    if (!train || train->n < 1 || train->num_classes != z)
        return eip_error_set(err, EIP_ERR_ARG, "AdvParams: the encryption images must come from a "
                             "labelled set of %d classes (%s has %lld images, %d classes)", (int)z,
                             train ? train->name : "(none)", train ? (long long)train->n : 0LL,
                             train ? (int)train->num_classes : 0);
    if (enc_n <= 0)
        enc_n = EIP_PROTECT_ADV_DEFAULT_ENC;
    const int paper = eip_crypto_pk_group(r->pk) == EIP_CRYPTO_GROUP_PAPER;
    const int64_t slots = eip_crypto_codebook_size(r->codebook);
    int64_t *slot_of = malloc((size_t)z * sizeof *slot_of);              /* [z] */
    eip_crypto_ct *label_ct = calloc((size_t)z, sizeof *label_ct);     /* [z] c_y */
    int32_t *id_label = malloc((size_t)(paper ? z : slots) * sizeof *id_label);
    float *table = NULL;
    eip_data_set enc = {0};
    eip_status s = EIP_OK;
    if (!slot_of || !label_ct || !id_label) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "AdvParams: out of memory");
        goto done;
    }
    /* c_y and its slot from the owner's labelled codebook */
    for (int32_t y = 0; y < z; y++)
        slot_of[y] = -1;
    for (int64_t sl = 0; sl < slots; sl++) {
        const int32_t l = eip_crypto_codebook_label(r->codebook, sl);
        if (l >= 0 && l < z) {
            slot_of[l] = sl;
            label_ct[l] = *eip_crypto_codebook_ct(r->codebook, sl);
        }
        if (!paper)
            id_label[sl] = l;
    }
    for (int32_t y = 0; y < z; y++)
        if (slot_of[y] < 0) {
            s = eip_error_set(err, EIP_ERR_STATE, "AdvParams: the owner codebook has no codeword for "
                              "label %d", (int)y);
            goto done;
        }
    if (paper)
        for (int32_t y = 0; y < z; y++)
            id_label[y] = y;
    /* the targets of Algorithm 1 (label ids = labels; ristretto255: slots) */
    eip_train_targets tg;
    if ((s = eip_protect_targets(r->pk, label_ct, z, r->k, &table, &tg, err)) ||
        (s = enc_set(r, train, enc_n, &enc, err)))
        goto done;
    if (!paper)
        for (int64_t i = 0; i < enc.n; i++)
            enc.labels[i] = (int32_t)slot_of[enc.labels[i]];
    enc.num_classes = paper ? z : (int32_t)slots;
    int64_t c, h, w;
    eip_nn_input_shape(r->net, &c, &h, &w);
    acc_ctx ac = {r->pk, r->codebook, id_label, paper ? z : slots, r->k, c * h * w};
    eip_advparams_config cfg = cfg_in ? *cfg_in : eip_advparams_config_default(z);
    cfg.acc_fn = decode_acc;
    cfg.acc_ctx = &ac;
    if ((s = eip_advparams_encrypt(r->net, &enc, r->mean, r->std, &tg, &cfg, &r->adv_key, &r->adv,
                                   err))) {
        eip_error_prefix(err, "protected model %s: ", r->id);
        goto done;
    }
    r->adv_enc_n = enc.n;
    r->adv_target = cfg.target_acc;
done:
    eip_data_set_free(&enc);
    free(table);
    free(slot_of);
    free(label_ct);
    free(id_label);
    return s;
}
