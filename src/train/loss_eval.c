/* The loss of a whole image set under a net, with optional parameter
 * gradients: shared by the AdvParams encryption (a defence: sec. 3 of the
 * AdvParams paper, the encryption-set loss it raises) and the adaptive
 * attack on it, so neither builds on the other.
 *
 * Shape legend: N images, C channels, H rows, W columns, K outputs, B batch. */
#include <stdlib.h>
#include <string.h>

#include "encryip/train.h"

/* First maximum of v[0..k). */
static int64_t argmax_f(const float *v, int64_t k)
{
    int64_t best = 0;
    for (int64_t j = 1; j < k; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

/* Loss + dlogits of one batch, and its correct rows (see train.h). */
static eip_status batch_loss(const eip_train_targets *t, const float *logits, /* [B, K] */
                             const int32_t *ids, /* [B] */ int64_t b, int64_t k,
                             float *tgt, /* [B, K] */ float *loss, float *dlogits, /* [B, K] */
                             uint8_t *ok_rows, /* [B] */ int64_t *correct, eip_error *err)
{
    eip_status s;
    *correct = 0;
    if (t->kind == EIP_TRAIN_TARGET_HARD) {
        if ((s = eip_train_loss_ce_hard(logits, ids, b, k, loss, dlogits, err)) != EIP_OK)
            return s;
        for (int64_t i = 0; i < b; i++) {
            ok_rows[i] = argmax_f(logits + i * k, k) == ids[i];
            *correct += ok_rows[i];
        }
        return EIP_OK;
    }
    if (!t->table || (t->kind == EIP_TRAIN_TARGET_BLOCK && (t->blocks < 1 || k % t->blocks)))
        return eip_error_set(err, EIP_ERR_SHAPE, "targets: no table, or %lld outputs are not %lld blocks",
                             (long long)k, (long long)t->blocks);
    for (int64_t i = 0; i < b; i++) {
        if (ids[i] < 0 || ids[i] >= t->n_ids)
            return eip_error_set(err, EIP_ERR_RANGE, "label id %d outside the target table (%lld rows)",
                                 ids[i], (long long)t->n_ids);
        memcpy(tgt + i * k, t->table + (int64_t)ids[i] * k, (size_t)k * sizeof(float));
    }
    const int64_t nb = t->kind == EIP_TRAIN_TARGET_BLOCK ? t->blocks : 1, q = k / nb;
    if (t->kind == EIP_TRAIN_TARGET_SOFT)
        s = eip_train_loss_ce_soft(logits, tgt, b, k, loss, dlogits, err);
    else
        s = eip_train_loss_ce_block(logits, tgt, b, k, t->blocks, loss, dlogits, err);
    if (s != EIP_OK)
        return s;
    for (int64_t i = 0; i < b; i++) {
        int ok = 1;
        for (int64_t j = 0; j < nb; j++)
            ok &= argmax_f(logits + i * k + j * q, q) == argmax_f(tgt + i * k + j * q, q);
        ok_rows[i] = (uint8_t)ok;
        *correct += ok;
    }
    return EIP_OK;
}

/* dlogits of the mean negative margin over the correct rows: per block,
 * d(z_runner-up - z_target)/dz.  Unlike cross-entropy it does not saturate
 * on confidently right rows, so a first-order score ranks a change by how
 * far it moves every right answer towards a wrong one, not by how it moves
 * the few rows already near the boundary. */
static void margin_grad(const eip_train_targets *t, const float *logits, /* [B, K] */
                        const int32_t *ids, /* [B] */ const float *tgt, /* [B, K] */
                        const uint8_t *ok_rows, /* [B] */ int64_t b, int64_t k, float scale,
                        float *dlogits /* [B, K] */)
{
    const int64_t nb = t->kind == EIP_TRAIN_TARGET_BLOCK ? t->blocks : 1, q = k / nb;
    memset(dlogits, 0, (size_t)(b * k) * sizeof(float));
    for (int64_t i = 0; i < b; i++) {
        if (!ok_rows[i])
            continue;
        for (int64_t j = 0; j < nb; j++) {
            const float *z = logits + i * k + j * q;
            const int64_t y = t->kind == EIP_TRAIN_TARGET_HARD ? ids[i] : argmax_f(tgt + i * k + j * q, q);
            int64_t r = y == 0 ? 1 : 0;
            for (int64_t c = 0; c < q; c++)
                if (c != y && z[c] > z[r])
                    r = c;
            dlogits[i * k + j * q + r] += scale;
            dlogits[i * k + j * q + y] -= scale;
        }
    }
}

eip_status eip_train_loss_eval(eip_nn_net_t *net, const float *x, const int32_t *ids, int64_t n,
                                const eip_train_targets *targets, int64_t batch, int grad,
                                double *loss, int64_t *correct, eip_error *err)
{
    if (n < 1 || batch < 1)
        return eip_error_set(err, EIP_ERR_ARG, "set loss: %lld images, batch %lld (need >= 1)",
                             (long long)n, (long long)batch);
    int64_t c, h, w;
    eip_nn_input_shape(net, &c, &h, &w);
    const int64_t k = eip_nn_output_size(net), sample = c * h * w, bm = batch < n ? batch : n;
    float *logits = malloc((size_t)(bm * k) * sizeof(float));  /* [B, K] */
    float *dlogits = malloc((size_t)(bm * k) * sizeof(float)); /* [B, K] */
    float *tgt = malloc((size_t)(bm * k) * sizeof(float));     /* [B, K] */
    uint8_t *ok_rows = malloc((size_t)bm);                      /* [B] */
    const int with_grad = grad != EIP_TRAIN_GRAD_NONE;
    eip_status s = EIP_OK;
    if (!logits || !dlogits || !tgt || !ok_rows) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "set loss: out of memory");
        goto done;
    }
    if (with_grad)
        eip_nn_zero_grad(net);
    double lsum = 0.0;
    int64_t csum = 0;
    for (int64_t i0 = 0; i0 < n; i0 += bm) {
        const int64_t b = n - i0 < bm ? n - i0 : bm;
        float l = 0.0f;
        int64_t cc = 0;
        if ((s = eip_nn_forward(net, x + i0 * sample, b, with_grad ? EIP_NN_EVAL_GRAD : EIP_NN_EVAL,
                                logits, err)) != EIP_OK ||
            (s = batch_loss(targets, logits, ids + i0, b, k, tgt, &l, dlogits, ok_rows, &cc, err)) != EIP_OK)
            goto done;
        lsum += (double)l * (double)b;
        csum += cc;
        if (with_grad) {
            /* batch mean -> set mean */
            const float scale = (float)((double)b / (double)n);
            if (grad == EIP_TRAIN_GRAD_MARGIN)
                margin_grad(targets, logits, ids + i0, tgt, ok_rows, b, k, scale / (float)b, dlogits);
            else
                for (int64_t j = 0; j < b * k; j++)
                    dlogits[j] *= grad == EIP_TRAIN_GRAD_CORRECT && !ok_rows[j / k] ? 0.0f : scale;
            if ((s = eip_nn_backward(net, dlogits, NULL, err)) != EIP_OK)
                goto done;
        }
    }
    if (loss)
        *loss = lsum / (double)n;
    if (correct)
        *correct = csum;
done:
    free(logits);
    free(dlogits);
    free(tgt);
    free(ok_rows);
    return s;
}

