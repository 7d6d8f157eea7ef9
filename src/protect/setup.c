/* The set-up steps of Algorithm 1 shared by the training run (learn.c) and
 * the training-free plan (plan.c): keys (line 1), the fixed per-label
 * ciphertexts and verification ciphertexts with their secret slot order
 * (lines 2-4), and the bundle id.  Below both, so neither calls the other. */
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protect/internal.h"
#include "util/io.h"

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

void eip_protect_stage(const eip_protect_config *cfg, const char *fmt, ...)
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

void eip_protect_bundle_id(const eip_crypto_pk_t *pk, uint64_t seed,
                           char out[2 * EIP_PROTECT_ID_BYTES + 1])
{
    /* BLAKE2b-128(pk id || seed): unique per key pair */
    unsigned char in[EIP_CRYPTO_PKID_BYTES + 8], h[EIP_PROTECT_ID_BYTES];
    memcpy(in, eip_crypto_pk_id(pk), EIP_CRYPTO_PKID_BYTES);
    eip_le_put_u64(in + EIP_CRYPTO_PKID_BYTES, seed);
    crypto_generichash(h, sizeof h, in, sizeof in, NULL, 0);
    sodium_bin2hex(out, 2 * EIP_PROTECT_ID_BYTES + 1, h, sizeof h);
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
        eip_protect_stage(cfg, "keys: reusing a %s public key with %lld licensees",
              eip_crypto_group_name(eip_crypto_pk_group(out->pk)),
              (long long)eip_crypto_master_licensees(out->master));
    } else {
        eip_crypto_params prm = {cfg->group, z, cfg->q};
        if (cfg->licensees < 1)
            return eip_error_set(err, EIP_ERR_ARG, "protect: --licensees must be at least 1");
        if ((s = eip_crypto_gen(&prm, cfg->licensees, cfg->crypto_rng, &out->pk, &out->master, err)))
            return s;
        eip_protect_stage(cfg, "keygen: %s group%s, %lld licensees%s", eip_crypto_group_name(cfg->group),
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
    eip_crypto_targeting_t *tg = NULL;
    if (!ct || !perm || !inv) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "protect: out of memory");
        goto done;
    }
    eip_data_rng seeded_r, *seeded = NULL;
    if (cfg->crypto_rng) {
        eip_data_rng_seed(&seeded_r, cfg->seed ^ 0x534c4f54ull /* "SLOT" */);
        seeded = &seeded_r;
    }
    eip_protect_stage(cfg, "Enc: one fixed ciphertext per label (%d), %lld %s verification ciphertexts", (int)z,
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
    /* targeted: one context for all V = per * P instances, so the set-up is
     * O(P + V z), not O(V P) (src/crypto/targeted.c) */
    if (!paper && (s = eip_crypto_targeting_new(out->master, &tg, err)))
        goto done;
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
            if ((s = eip_crypto_targeting_fake_for(tg, j, m, cfg->crypto_rng, c, err)))
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
    eip_crypto_targeting_free(tg);
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
