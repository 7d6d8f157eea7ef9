/* bench_loss_ce: CPU time per batch of EncryIP's 3-block softmax
 * cross-entropy (N = 128 rows, K = 3q), the fused kernel of
 * src/train/loss.c (eip_train_loss_ce_block_ids: one max pass, one exp
 * pass, targets read from the table by label id) against the previous
 * kernel kept here for the comparison (max pass, exp pass, loss pass, exp
 * again for the gradient, plus a per-image copy of the target row).
 *
 *   bench_loss_ce [q [reps]]      (default q = 11, reps = 5000)
 *
 * One JSON line; process CPU time (clock()), so it is meaningful on a
 * loaded machine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encryip/train.h"

static void seg_lse(const float *x, /* [W] */ int64_t w, double *mx, double *lse)
{
    double m = -INFINITY;
    for (int64_t j = 0; j < w; j++)
        if (x[j] > m)
            m = x[j];
    double s = 0.0;
    for (int64_t j = 0; j < w; j++)
        s += exp((double)x[j] - m);
    *mx = m;
    *lse = log(s);
}

/* the kernel before the fusion */
static double seg_soft_old(const float *x, const float *t, /* [W] */ int64_t w, double scale,
                           float *g /* [W] */)
{
    double m, lse;
    seg_lse(x, w, &m, &lse);
    double loss = 0.0, tsum = 0.0;
    for (int64_t j = 0; j < w; j++) {
        if (t[j] != 0.0f)
            loss -= (double)t[j] * ((double)x[j] - m - lse);
        tsum += t[j];
    }
    for (int64_t j = 0; j < w; j++)
        g[j] = (float)((exp((double)x[j] - m - lse) * tsum - (double)t[j]) * scale);
    return loss;
}

int main(int argc, char **argv)
{
    const int64_t n = 128, q = argc > 1 ? atoll(argv[1]) : 11, reps = argc > 2 ? atoll(argv[2]) : 5000;
    const int64_t k = 3 * q, n_ids = 10;
    if (q < 2 || q > 100000 || reps < 1) {
        fprintf(stderr, "usage: bench_loss_ce [q >= 2 [reps >= 1]]\n");
        return 2;
    }
    float *x = malloc((size_t)(n * k) * sizeof(float));       /* [N, K] */
    float *tab = calloc((size_t)(n_ids * k), sizeof(float));  /* [n_ids, K] */
    float *tgt = malloc((size_t)(n * k) * sizeof(float));     /* [N, K] */
    float *g = malloc((size_t)(n * k) * sizeof(float));       /* [N, K] */
    int32_t *ids = malloc((size_t)n * sizeof(int32_t));      /* [N] */
    if (!x || !tab || !tgt || !g || !ids) {
        fprintf(stderr, "bench_loss_ce: out of memory\n");
        return 1;
    }
    for (int64_t i = 0; i < n * k; i++)
        x[i] = (float)sin((double)i);
    for (int64_t c = 0; c < n_ids; c++)
        for (int64_t b = 0; b < 3; b++)
            tab[c * k + b * q + (c * 7 + b) % q] = 1.0f; /* one-hot blocks, as a confused label */
    for (int64_t i = 0; i < n; i++)
        ids[i] = (int32_t)(i % n_ids);
    double sink = 0.0;
    clock_t t0 = clock();
    for (int64_t r = 0; r < reps; r++) {
        for (int64_t i = 0; i < n; i++)
            memcpy(tgt + i * k, tab + ids[i] * k, (size_t)k * sizeof(float));
        for (int64_t i = 0; i < n; i++)
            for (int64_t b = 0; b < 3; b++)
                sink += seg_soft_old(x + i * k + b * q, tgt + i * k + b * q, q, 1.0 / (double)n,
                                     g + i * k + b * q);
    }
    const double t_old = (double)(clock() - t0) / CLOCKS_PER_SEC / (double)reps;
    eip_error err = {0};
    float loss = 0.0f;
    t0 = clock();
    for (int64_t r = 0; r < reps; r++) {
        if (eip_train_loss_ce_block_ids(x, tab, n_ids, ids, n, k, 3, &loss, g, &err) != EIP_OK) {
            fprintf(stderr, "bench_loss_ce: %s\n", err.msg);
            return 1;
        }
        sink += loss;
    }
    const double t_new = (double)(clock() - t0) / CLOCKS_PER_SEC / (double)reps;
    printf("{\"bench\":\"loss_ce_block\",\"n\":%lld,\"q\":%lld,\"k\":%lld,\"old_us_per_batch\":%.2f,"
           "\"fused_us_per_batch\":%.2f,\"speedup\":%.2f,\"finite\":%d}\n",
           (long long)n, (long long)q, (long long)k, t_old * 1e6, t_new * 1e6, t_old / t_new,
           isfinite(sink) ? 1 : 0);
    free(x);
    free(tab);
    free(tgt);
    free(g);
    free(ids);
    return 0;
}
