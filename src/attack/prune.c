/* Magnitude pruning attack (AdvParams' "model pruning attack"): zero the
 * smallest-|w| conv/linear weights, globally or per tensor.
 *
 * Shape legend: P parameters of the net (flat block). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/attack.h"

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int prunable(const eip_nn_tensor *t)
{
    return t->kind == EIP_NN_TENSOR_PARAM && t->ndim >= 2;
}

/* Zeroes exactly k of the listed ranges' smallest-|w| elements (ties by
 * position).  ranges: pairs (offset, count) into params. */
static eip_status prune_ranges(float *params, /* [P] */ const int64_t *off, const int64_t *cnt,
                               int64_t nr, int64_t k, eip_error *err)
{
    int64_t total = 0;
    for (int64_t r = 0; r < nr; r++)
        total += cnt[r];
    if (k <= 0 || total == 0)
        return EIP_OK;
    if (k > total)
        k = total;
    float *a = malloc((size_t)total * sizeof(float)); /* [total] |w| */
    if (!a)
        return eip_error_set(err, EIP_ERR_NOMEM, "pruning: out of memory (%lld weights)",
                             (long long)total);
    int64_t j = 0;
    for (int64_t r = 0; r < nr; r++)
        for (int64_t i = 0; i < cnt[r]; i++)
            a[j++] = fabsf(params[off[r] + i]);
    qsort(a, (size_t)total, sizeof(float), cmp_float);
    const float thr = a[k - 1];
    free(a);
    int64_t below = 0;
    for (int64_t r = 0; r < nr; r++)
        for (int64_t i = 0; i < cnt[r]; i++)
            if (fabsf(params[off[r] + i]) < thr)
                below++;
    int64_t ties = k - below; /* elements equal to thr still to zero, first by position */
    for (int64_t r = 0; r < nr; r++)
        for (int64_t i = 0; i < cnt[r]; i++) {
            float *w = &params[off[r] + i];
            float m = fabsf(*w);
            if (m < thr)
                *w = 0.0f;
            else if (m == thr && ties > 0) {
                *w = 0.0f;
                ties--;
            }
        }
    return EIP_OK;
}

eip_status eip_attack_prune(eip_nn_net_t *net, double ratio, eip_attack_prune_scope scope,
                            int64_t *pruned, eip_error *err)
{
    if (!(ratio >= 0.0 && ratio <= 1.0))
        return eip_error_set(err, EIP_ERR_ARG, "pruning ratio %g: must be in [0, 1]", ratio);
    if (scope != EIP_ATTACK_PRUNE_GLOBAL && scope != EIP_ATTACK_PRUNE_LAYER)
        return eip_error_set(err, EIP_ERR_ARG, "pruning scope %d: unknown", (int)scope);
    float *params = eip_nn_params(net, NULL);
    const int64_t nt = eip_nn_tensor_count(net);
    int64_t *off = malloc((size_t)(nt > 0 ? nt : 1) * sizeof(int64_t));
    int64_t *cnt = malloc((size_t)(nt > 0 ? nt : 1) * sizeof(int64_t));
    if (!off || !cnt) {
        free(off);
        free(cnt);
        return eip_error_set(err, EIP_ERR_NOMEM, "pruning: out of memory");
    }
    int64_t nr = 0, total = 0, done = 0;
    for (int64_t i = 0; i < nt; i++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
        if (!prunable(t))
            continue;
        off[nr] = t->offset;
        cnt[nr] = t->count;
        total += t->count;
        nr++;
    }
    eip_status s = EIP_OK;
    if (scope == EIP_ATTACK_PRUNE_GLOBAL) {
        int64_t k = (int64_t)llround(ratio * (double)total);
        s = prune_ranges(params, off, cnt, nr, k, err);
        done = k;
    } else {
        for (int64_t r = 0; r < nr && s == EIP_OK; r++) {
            int64_t k = (int64_t)llround(ratio * (double)cnt[r]);
            s = prune_ranges(params, &off[r], &cnt[r], 1, k, err);
            done += k;
        }
    }
    free(off);
    free(cnt);
    eip_nn_mark_dirty(net);
    if (pruned)
        *pruned = s == EIP_OK ? done : 0;
    return s;
}
