/* bench_loss_ce: time per batch of EncryIP's 3-block softmax
 * cross-entropy (N = 128 rows, K = 3q), three kernels:
 *   old   the kernel before the fusion, kept here (max pass, exp pass, loss
 *         pass, exp again for the gradient, a per-image target copy);
 *   fused src/train/loss.c's double-precision loop
 *         (eip_train_loss_ce_block_ids: one max pass, one exp pass, rows
 *         over the OpenMP threads);
 *   probs the trainer's path for block targets (every q since 2026-12-02,
 *         before only q >= 256): oneDNN's softmax (eip_nn_softmax_run) +
 *         eip_train_loss_ce_block_ids_probs.
 *
 *   bench_loss_ce [q [reps [threads]]]   (default q = 11, reps = 5000, threads = 1)
 *
 * One JSON line: wall time per batch (what a training step waits for) and
 * process CPU time (clock(), all threads; steadier on a loaded machine). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encryip/nn.h"
#include "encryip/train.h"
#include "util/io.h"

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

typedef struct timing {
    double wall, cpu; /* seconds per batch */
} timing;

static timing t_since(double w0, clock_t c0, int64_t reps)
{
    timing t = {(eip_clock_seconds() - w0) / (double)reps,
                (double)(clock() - c0) / CLOCKS_PER_SEC / (double)reps};
    return t;
}

int main(int argc, char **argv)
{
    const int64_t n = 128;
    int64_t q = 11, reps = 5000, threads = 1;
    eip_error err = {0};
    if (argc > 4 || (argc > 1 && eip_parse_i64("q", argv[1], 2, 100000, &q, &err) != EIP_OK) ||
        (argc > 2 && eip_parse_i64("reps", argv[2], 1, INT64_MAX, &reps, &err) != EIP_OK) ||
        (argc > 3 && eip_parse_i64("threads", argv[3], 1, 256, &threads, &err) != EIP_OK)) {
        fprintf(stderr, "bench_loss_ce: %s\nusage: bench_loss_ce [q >= 2 [reps >= 1 [threads 1..256]]]\n",
                err.msg[0] ? err.msg : "too many arguments");
        return 2;
    }
    const int64_t k = 3 * q, n_ids = 10;
    eip_nn_ctx ctx;
    if (eip_nn_ctx_init(&ctx, (int)threads, &err) != EIP_OK) { /* sets the OpenMP thread count */
        fprintf(stderr, "bench_loss_ce: %s\n", err.msg);
        return 1;
    }
    float *x = malloc((size_t)(n * k) * sizeof(float));       /* [N, K] */
    float *tab = calloc((size_t)(n_ids * k), sizeof(float));  /* [n_ids, K] */
    float *tgt = malloc((size_t)(n * k) * sizeof(float));     /* [N, K] */
    float *g = malloc((size_t)(n * k) * sizeof(float));       /* [N, K] */
    float *p = malloc((size_t)(n * k) * sizeof(float));       /* [N, K] */
    int32_t *ids = malloc((size_t)n * sizeof(int32_t));      /* [N] */
    eip_nn_softmax_t *sm = NULL;
    if (!x || !tab || !tgt || !g || !p || !ids || eip_nn_softmax_init(&sm, &ctx, n * 3, q, &err) != EIP_OK) {
        fprintf(stderr, "bench_loss_ce: out of memory or %s\n", err.msg);
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
    double w0 = eip_clock_seconds();
    clock_t c0 = clock();
    for (int64_t r = 0; r < reps; r++) {
        for (int64_t i = 0; i < n; i++)
            memcpy(tgt + i * k, tab + ids[i] * k, (size_t)k * sizeof(float));
        for (int64_t i = 0; i < n; i++)
            for (int64_t b = 0; b < 3; b++)
                sink += seg_soft_old(x + i * k + b * q, tgt + i * k + b * q, q, 1.0 / (double)n,
                                     g + i * k + b * q);
    }
    const timing t_old = t_since(w0, c0, reps);
    float loss = 0.0f;
    w0 = eip_clock_seconds();
    c0 = clock();
    for (int64_t r = 0; r < reps; r++) {
        if (eip_train_loss_ce_block_ids(x, tab, n_ids, ids, n, k, 3, &loss, g, &err) != EIP_OK) {
            fprintf(stderr, "bench_loss_ce: %s\n", err.msg);
            return 1;
        }
        sink += loss;
    }
    const timing t_fused = t_since(w0, c0, reps);
    w0 = eip_clock_seconds();
    c0 = clock();
    for (int64_t r = 0; r < reps; r++) {
        if (eip_nn_softmax_run(sm, x, n * 3, p, NULL, &err) != EIP_OK ||
            eip_train_loss_ce_block_ids_probs(x, p, tab, n_ids, ids, n, k, 3, &loss, g, &err) != EIP_OK) {
            fprintf(stderr, "bench_loss_ce: %s\n", err.msg);
            return 1;
        }
        sink += loss;
    }
    const timing t_probs = t_since(w0, c0, reps);
    printf("{\"bench\":\"loss_ce_block\",\"n\":%lld,\"q\":%lld,\"k\":%lld,\"threads\":%d,"
           "\"old_us\":%.2f,\"fused_us\":%.2f,\"probs_us\":%.2f,"
           "\"old_cpu_us\":%.2f,\"fused_cpu_us\":%.2f,\"probs_cpu_us\":%.2f,"
           "\"probs_speedup_vs_fused\":%.2f,\"isa\":\"%s\",\"finite\":%d}\n",
           (long long)n, (long long)q, (long long)k, (int)threads, t_old.wall * 1e6, t_fused.wall * 1e6,
           t_probs.wall * 1e6, t_old.cpu * 1e6, t_fused.cpu * 1e6, t_probs.cpu * 1e6,
           t_fused.wall / t_probs.wall, eip_nn_cpu_isa(), isfinite(sink) ? 1 : 0);
    eip_nn_softmax_free(sm);
    eip_nn_ctx_free(&ctx);
    free(x);
    free(tab);
    free(tgt);
    free(g);
    free(p);
    free(ids);
    return 0;
}
