/* Adaptive attack on AdvParams (the paper's "adaptive attack": the attacker
 * knows the method and looks for the perturbed parameters), plus the
 * set-loss helper shared with the AdvParams encryption.
 *
 * Shape legend: N images, C channels, H rows, W columns, K outputs,
 * P parameters (flat block), B batch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/attack.h"
#include "util/parse.h"

static const char *const score_names[] = {"zscore", "bound", "grad", "gain", "combined"};

const char *eip_attack_score_name(eip_attack_score sc)
{
    return eip_choice_name(score_names, 5, (int)sc);
}

eip_status eip_attack_score_parse(const char *s, eip_attack_score *out, eip_error *err)
{
    int i = 0;
    eip_status st = eip_parse_choice("score", s, score_names, 5, &i, err);
    if (st == EIP_OK)
        *out = (eip_attack_score)i;
    return st;
}

/* First maximum of v[0..k). */
static int64_t argmax_f(const float *v, int64_t k)
{
    int64_t best = 0;
    for (int64_t j = 1; j < k; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

/* Loss + dlogits of one batch, and its correct rows (see attack.h). */
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

eip_status eip_attack_loss_eval(eip_nn_net_t *net, const float *x, const int32_t *ids, int64_t n,
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
    const int with_grad = grad != EIP_ATTACK_GRAD_NONE;
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
            if (grad == EIP_ATTACK_GRAD_MARGIN)
                margin_grad(targets, logits, ids + i0, tgt, ok_rows, b, k, scale / (float)b, dlogits);
            else
                for (int64_t j = 0; j < b * k; j++)
                    dlogits[j] *= grad == EIP_ATTACK_GRAD_CORRECT && !ok_rows[j / k] ? 0.0f : scale;
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

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (lower median), via a sorted copy. */
static eip_status median_of(const float *v, int64_t n, float *out, eip_error *err)
{
    float *a = malloc((size_t)n * sizeof(float));
    if (!a)
        return eip_error_set(err, EIP_ERR_NOMEM, "median: out of memory");
    memcpy(a, v, (size_t)n * sizeof(float));
    qsort(a, (size_t)n, sizeof(float), cmp_float);
    *out = a[(n - 1) / 2];
    free(a);
    return EIP_OK;
}

static void normalise_max(float *v, int64_t n)
{
    float m = 0.0f;
    for (int64_t i = 0; i < n; i++)
        if (v[i] > m)
            m = v[i];
    if (m > 0.0f)
        for (int64_t i = 0; i < n; i++)
            v[i] /= m;
}

/* One criterion (not COMBINED) into sc [P]. */
static eip_status score_one(eip_nn_net_t *net, eip_attack_score score, float *sc, eip_error *err)
{
    int64_t np = 0;
    const float *p = eip_nn_params(net, &np);  /* [P] */
    const float *g = eip_nn_grads(net, NULL);  /* [P] */
    memset(sc, 0, (size_t)np * sizeof(float));
    for (int64_t ti = 0; ti < eip_nn_tensor_count(net); ti++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, ti);
        if (t->kind != EIP_NN_TENSOR_PARAM || t->count < 1)
            continue;
        const float *w = p + t->offset;
        double mean = 0, var = 0;
        float lo = w[0], hi = w[0], med = 0.0f;
        for (int64_t i = 0; i < t->count; i++) {
            mean += w[i];
            lo = w[i] < lo ? w[i] : lo;
            hi = w[i] > hi ? w[i] : hi;
        }
        mean /= (double)t->count;
        for (int64_t i = 0; i < t->count; i++)
            var += (w[i] - mean) * (w[i] - mean);
        const double sd = sqrt(var / (double)t->count), range = (double)hi - (double)lo;
        if (score == EIP_ATTACK_SCORE_GAIN) {
            eip_status s = median_of(w, t->count, &med, err);
            if (s != EIP_OK)
                return s;
        }
        for (int64_t i = 0; i < t->count; i++) {
            double v = 0.0;
            switch (score) {
            case EIP_ATTACK_SCORE_ZSCORE:
                v = sd > 0 ? fabs(w[i] - mean) / sd : 0.0;
                break;
            case EIP_ATTACK_SCORE_BOUND: {
                double d = fmin((double)w[i] - lo, (double)hi - w[i]);
                v = range > 0 ? 1.0 - d / range : 0.0;
                break;
            }
            case EIP_ATTACK_SCORE_GRAD:
                v = fabs((double)g[t->offset + i]);
                break;
            case EIP_ATTACK_SCORE_GAIN:
                v = fmax(0.0, (double)g[t->offset + i] * ((double)w[i] - med));
                break;
            default:
                break;
            }
            sc[t->offset + i] = (float)v;
        }
    }
    return EIP_OK;
}

eip_status eip_attack_adaptive_scores(eip_nn_net_t *net, eip_attack_score score, const float *x,
                                      const int32_t *ids, int64_t n,
                                      const eip_train_targets *targets, int64_t batch,
                                      float *scores, eip_error *err)
{
    if ((unsigned)score > EIP_ATTACK_SCORE_COMBINED)
        return eip_error_set(err, EIP_ERR_ARG, "adaptive attack: unknown score %d", (int)score);
    eip_status s;
    const int needs_grad = score == EIP_ATTACK_SCORE_GRAD || score == EIP_ATTACK_SCORE_GAIN ||
                           score == EIP_ATTACK_SCORE_COMBINED;
    if (needs_grad) {
        if (!x || !ids || n < 1)
            return eip_error_set(err, EIP_ERR_ARG, "adaptive attack: score '%s' needs attacker data",
                                 eip_attack_score_name(score));
        if ((s = eip_attack_loss_eval(net, x, ids, n, targets, batch, EIP_ATTACK_GRAD_ALL, NULL, NULL, err)) != EIP_OK)
            return s;
    }
    if (score != EIP_ATTACK_SCORE_COMBINED)
        return score_one(net, score, scores, err);
    int64_t np = eip_nn_param_count(net);
    float *tmp = malloc((size_t)np * sizeof(float)); /* [P] */
    if (!tmp)
        return eip_error_set(err, EIP_ERR_NOMEM, "adaptive attack: out of memory");
    memset(scores, 0, (size_t)np * sizeof(float));
    for (int c = EIP_ATTACK_SCORE_ZSCORE; c < EIP_ATTACK_SCORE_COMBINED; c++) {
        if ((s = score_one(net, (eip_attack_score)c, tmp, err)) != EIP_OK) {
            free(tmp);
            return s;
        }
        normalise_max(tmp, np);
        for (int64_t i = 0; i < np; i++)
            scores[i] += tmp[i];
    }
    free(tmp);
    return EIP_OK;
}

/* Heap of the best `cap` (score desc, index asc); heap[0] is the worst kept. */
static int better(const float *sc, int64_t a, int64_t b)
{
    return sc[a] > sc[b] || (sc[a] == sc[b] && a < b);
}

static void sift_down(int64_t *h, int64_t n, int64_t i, const float *sc)
{
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && better(sc, h[m], h[l]))
            m = l;
        if (r < n && better(sc, h[m], h[r]))
            m = r;
        if (m == i)
            return;
        int64_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int cmp_idx_desc_ctxless(const void *a, const void *b, const float *sc)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return better(sc, x, y) ? -1 : better(sc, y, x) ? 1 : 0;
}

eip_status eip_attack_adaptive_reset(eip_nn_net_t *net, const float *scores, int64_t budget,
                                     eip_attack_reset mode, int64_t *reset_idx, eip_error *err)
{
    int64_t np = 0;
    float *p = eip_nn_params(net, &np); /* [P] */
    if (budget < 0 || budget > np)
        return eip_error_set(err, EIP_ERR_ARG, "adaptive attack: budget %lld outside [0, %lld]",
                             (long long)budget, (long long)np);
    if (mode != EIP_ATTACK_RESET_MEDIAN && mode != EIP_ATTACK_RESET_ZERO)
        return eip_error_set(err, EIP_ERR_ARG, "adaptive attack: unknown reset mode %d", (int)mode);
    if (budget == 0)
        return EIP_OK;
    int64_t *h = malloc((size_t)budget * sizeof(int64_t)); /* [budget] */
    if (!h)
        return eip_error_set(err, EIP_ERR_NOMEM, "adaptive attack: out of memory");
    int64_t hn = 0;
    for (int64_t i = 0; i < np; i++) {
        if (hn < budget) {
            h[hn++] = i;
            if (hn == budget)
                for (int64_t j = hn / 2 - 1; j >= 0; j--)
                    sift_down(h, hn, j, scores);
        } else if (better(scores, i, h[0])) {
            h[0] = i;
            sift_down(h, hn, 0, scores);
        }
    }
    /* insertion sort best-first (budgets are small) */
    for (int64_t i = 1; i < hn; i++)
        for (int64_t j = i; j > 0 && cmp_idx_desc_ctxless(&h[j], &h[j - 1], scores) < 0; j--) {
            int64_t t = h[j];
            h[j] = h[j - 1];
            h[j - 1] = t;
        }
    eip_status s = EIP_OK;
    /* Replacement values are taken from the tensors before any reset. */
    float *val = malloc((size_t)hn * sizeof(float));
    if (!val) {
        free(h);
        return eip_error_set(err, EIP_ERR_NOMEM, "adaptive attack: out of memory");
    }
    for (int64_t ti = 0; ti < eip_nn_tensor_count(net) && s == EIP_OK; ti++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, ti);
        if (t->kind != EIP_NN_TENSOR_PARAM)
            continue;
        float med = 0.0f;
        int have = 0;
        for (int64_t j = 0; j < hn && s == EIP_OK; j++) {
            if (h[j] < t->offset || h[j] >= t->offset + t->count)
                continue;
            if (mode == EIP_ATTACK_RESET_MEDIAN && !have) {
                s = median_of(p + t->offset, t->count, &med, err);
                have = 1;
            }
            val[j] = mode == EIP_ATTACK_RESET_MEDIAN ? med : 0.0f;
        }
    }
    if (s == EIP_OK) {
        for (int64_t j = 0; j < hn; j++) {
            p[h[j]] = val[j];
            if (reset_idx)
                reset_idx[j] = h[j];
        }
        eip_nn_mark_dirty(net);
    }
    free(val);
    free(h);
    return s;
}
