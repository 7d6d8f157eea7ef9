/* Adaptive attack on AdvParams (the paper's "adaptive attack": the attacker
 * knows the method and looks for the perturbed parameters).
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
        if ((s = eip_train_loss_eval(net, x, ids, n, targets, batch, EIP_TRAIN_GRAD_ALL, NULL, NULL, err)) != EIP_OK)
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
