/* Simulated leaks: what a licensee who leaks (and then fine-tunes) the
 * deployed model can rebuild without the owner's secrets — the codeword the
 * model uses for each label, found by running the model on its own labelled
 * data and decrypting with its key (paper section 4.5 (1), removal attacks;
 * section 5.3 fine-tunes "following Algorithm 1"). */
#include <stdlib.h>
#include <string.h>

#include "protect/internal.h"

eip_status eip_protect_leaker_targets(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                      const eip_data_set *data, float **table,
                                      eip_train_targets *targets, eip_error *err)
{
    *table = NULL;
    const int32_t z = eip_crypto_pk_classes(m->pk);
    const int64_t slots = eip_crypto_codebook_size(m->cb), n = data->n;
    if (data->num_classes > z)
        return eip_error_set(err, EIP_ERR_ARG, "%s: %d classes, the model has %d", data->name,
                             (int)data->num_classes, (int)z);
    eip_status s = eip_protect_model_check_shape(m, data->name, data->c, data->h, data->w, err);
    if (s)
        return s;
    float *y = malloc((size_t)(n > 0 ? n : 1) * (size_t)m->k * sizeof *y); /* [N, K] */
    int64_t *count = calloc((size_t)z * (size_t)slots, sizeof *count);      /* [z, slots] */
    int32_t *slot_label = malloc((size_t)slots * sizeof *slot_label);       /* Dec(sk, slot) */
    float *t = calloc((size_t)z * (size_t)m->k, sizeof *t);                 /* [z, K] */
    if (!y || !count || !slot_label || !t) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "leaker targets: out of memory");
        goto done;
    }
    for (int64_t sl = 0; sl < slots; sl++)
        if (eip_crypto_dec_label(sk, eip_crypto_codebook_ct(m->cb, sl), &slot_label[sl], NULL))
            slot_label[sl] = EIP_CRYPTO_NOT_A_LABEL;
    if ((s = eip_protect_forward(m, data->pixels, n, y, err)))
        goto done;
    for (int64_t i = 0; i < n && !s; i++) {
        eip_crypto_ct c;
        int64_t sl;
        if ((s = eip_crypto_phi_inv(m->pk, m->cb, y + i * m->k, 1, EIP_CRYPTO_PHI_ML, &c, &sl, err)))
            break;
        if (slot_label[sl] == data->labels[i])
            count[(size_t)data->labels[i] * (size_t)slots + (size_t)sl]++;
    }
    if (s)
        goto done;
    const int paper = eip_crypto_pk_group(m->pk) == EIP_CRYPTO_GROUP_PAPER;
    for (int32_t lab = 0; lab < z && !s; lab++) {
        int64_t best = -1;
        for (int64_t sl = 0; sl < slots; sl++)
            if (slot_label[sl] == lab &&
                (best < 0 || count[(size_t)lab * slots + sl] > count[(size_t)lab * slots + best]))
                best = sl;
        if (best < 0) {
            s = eip_error_set(err, EIP_ERR_NOT_FOUND, "leaker targets: no codeword decrypts to label %d",
                              (int)lab);
            break;
        }
        if (paper)
            s = eip_crypto_phi(m->pk, NULL, eip_crypto_codebook_ct(m->cb, best), t + (size_t)lab * m->k,
                               err);
        else
            t[(size_t)lab * m->k + best] = 1.0f;
    }
    if (s)
        goto done;
    *targets = (eip_train_targets){paper ? EIP_TRAIN_TARGET_BLOCK : EIP_TRAIN_TARGET_SOFT, paper ? 3 : 0,
                                   z, t};
    *table = t;
    t = NULL;
done:
    free(y);
    free(count);
    free(slot_label);
    free(t);
    return s;
}
