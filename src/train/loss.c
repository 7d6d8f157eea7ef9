/* Losses and accuracy helpers on plain [N, K] row-major float arrays.
 *
 * Shape legend: N = batch rows, K = output width, B = number of blocks,
 * Q = K / B = block width (EncryIP: B = 3, Q = q, the CS_lite group order).
 *
 * All three cross-entropies reduce to one kernel: a row segment of width W
 * with a softmax over it and a target that is either a class index (hard)
 * or a weight vector (soft).  Sums run in double so the float results are
 * within an ulp or two of PyTorch's float32 kernels. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "encryip/train.h"
#include "train/isa.h"

/* below this many logits a thread team costs more than it saves */
#define PAR_MIN 32768

static eip_status check_dims(const char *what, const void *logits, const void *targets,
                             int64_t n, int64_t k, eip_error *err)
{
    if (!logits || !targets)
        return eip_error_set(err, EIP_ERR_ARG, "%s: NULL input array", what);
    if (n <= 0 || k <= 0)
        return eip_error_set(err, EIP_ERR_SHAPE, "%s: bad shape [N=%lld, K=%lld]", what,
                             (long long)n, (long long)k);
    if ((uint64_t)n > (uint64_t)(SIZE_MAX / sizeof(float)) / (uint64_t)k)
        return eip_error_set(err, EIP_ERR_SHAPE, "%s: [N=%lld, K=%lld] too large", what,
                             (long long)n, (long long)k);
    return EIP_OK;
}

/* K splits into `blocks` equal blocks. */
static eip_status check_blocks(int64_t k, int64_t blocks, eip_error *err)
{
    if (blocks <= 0 || k % blocks != 0)
        return eip_error_set(err, EIP_ERR_SHAPE,
                             "block cross-entropy: K = %lld not divisible into %lld blocks",
                             (long long)k, (long long)blocks);
    return EIP_OK;
}

/* rows[i] = table row of ids[i] (EncryIP's confused label of each label
 * id, read in place: no per-image copy); an id outside [0, n_ids) ->
 * EIP_ERR_RANGE. */
static eip_status rows_of_ids(const float *table, /* [n_ids, K] */ int64_t n_ids,
                              const int32_t *ids, /* [N] */ int64_t n, int64_t k,
                              const float **rows /* [N] */, eip_error *err)
{
    for (int64_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= n_ids)
            return eip_error_set(err, EIP_ERR_RANGE, "label id %d outside the target table", ids[i]);
        rows[i] = table + (int64_t)ids[i] * k;
    }
    return EIP_OK;
}

/* Per-row losses [N], kept so that the threaded loops sum them in row
 * order afterwards (the result does not depend on the thread count); a
 * stack buffer up to 256 rows. */
typedef struct row_losses {
    double buf[256];
    double *v; /* [N] */
} row_losses;

static eip_status row_losses_init(row_losses *r, int64_t n, eip_error *err)
{
    r->v = n <= 256 ? r->buf : malloc((size_t)n * sizeof *r->v);
    return r->v ? EIP_OK
                : eip_error_set(err, EIP_ERR_NOMEM, "cross-entropy: row losses [%lld]", (long long)n);
}

/* sum of the N row losses, in row order; frees the buffer */
static double row_losses_sum(row_losses *r, int64_t n)
{
    double total = 0.0;
    for (int64_t i = 0; i < n; i++)
        total += r->v[i];
    if (r->v != r->buf)
        free(r->v);
    return total;
}

/* Hard labels in [0, K). */
static eip_status check_labels(const int32_t *labels, /* [N] */ int64_t n, int64_t k, eip_error *err)
{
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= k)
            return eip_error_set(err, EIP_ERR_RANGE, "cross-entropy: label[%lld] = %d not in [0, %lld)",
                                 (long long)i, (int)labels[i], (long long)k);
    return EIP_OK;
}

/* A row-pointer array [N]: a stack buffer up to 256 rows. */
typedef struct row_ptrs {
    const float *buf[256];
    const float **v; /* [N] */
} row_ptrs;

static eip_status row_ptrs_init(row_ptrs *r, int64_t n, eip_error *err)
{
    r->v = n <= 256 ? r->buf : malloc((size_t)n * sizeof *r->v);
    return r->v ? EIP_OK
                : eip_error_set(err, EIP_ERR_NOMEM, "block cross-entropy: rows [%lld]", (long long)n);
}

static void row_ptrs_free(row_ptrs *r)
{
    if (r->v != r->buf)
        free(r->v);
}

/* max and log(sum exp(x - max)) of one segment. */
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

/* Soft-target segment: returns -sum_j t_j log softmax(x)_j; gradient
 * (softmax * sum t - t) * scale into g if non-NULL.
 * Fused (EncryIP's 3 blocks per row cost one max pass and one exp pass):
 * exp(x_j - m) is computed once, kept in e (the caller's [W] scratch), and
 * the loss comes from the same pass as
 *   -sum_j t_j (x_j - m - lse) = sum_j t_j (m - x_j) + tsum * lse. */
static double seg_soft(const float *x, const float *t, /* [W] */ int64_t w, double scale,
                       float *g /* [W] or NULL */, double *e /* [W] scratch */)
{
    double m = -INFINITY;
    for (int64_t j = 0; j < w; j++)
        if (x[j] > m)
            m = x[j];
    double s = 0.0, tdot = 0.0, tsum = 0.0;
    for (int64_t j = 0; j < w; j++) {
        const double d = (double)x[j] - m;
        e[j] = exp(d);
        s += e[j];
        if (t[j] != 0.0f) /* 0 * -inf (a -inf logit) contributes 0 */
            tdot -= (double)t[j] * d;
        tsum += t[j];
    }
    const double lse = log(s);
    if (g) {
        const double f = tsum * scale / s; /* softmax_j * tsum * scale = e_j * f */
        for (int64_t j = 0; j < w; j++)
            g[j] = (float)(e[j] * f - (double)t[j] * scale);
    }
    return tdot + tsum * lse;
}

/* Rows of targets: row i of [N, K] is rows[i] (a target table row per
 * label id, EncryIP's confused labels; no per-image copy).
 * Rows are independent: they run split over the OpenMP threads (the paper
 * group's K = 3q head at P = 1000 makes this loop a third of a step, and a
 * serial loop idles the other threads), each row's loss is kept and the
 * rows are summed in order afterwards, so the result does not depend on
 * the thread count. */
static eip_status ce_block_rows(const float *logits, const float *const *rows, /* [N] of [K] */
                                int64_t n, int64_t k, int64_t blocks, float *loss,
                                float *dlogits, eip_error *err)
{
    const int64_t q = k / blocks;
    const double scale = 1.0 / (double)n;
    row_losses rl;
    eip_status st = row_losses_init(&rl, n, err);
    if (st != EIP_OK)
        return st;
    double *row_total = rl.v; /* [N] */
    int nomem = 0;
#pragma omp parallel if (n * k >= PAR_MIN) reduction(| : nomem)
    {
        double ebuf[256], *e = q <= 256 ? ebuf : malloc((size_t)q * sizeof *e); /* [Q] */
        nomem = e == NULL;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < n; i++) {
            double t = 0.0;
            for (int64_t b = 0; b < blocks && e; b++) {
                const int64_t off = i * k + b * q;
                t += seg_soft(logits + off, rows[i] + b * q, q, scale,
                              dlogits ? dlogits + off : NULL, e);
            }
            row_total[i] = t;
        }
        if (e != ebuf)
            free(e);
    }
    const double total = row_losses_sum(&rl, n);
    if (nomem)
        return eip_error_set(err, EIP_ERR_NOMEM, "block cross-entropy: scratch [%lld]", (long long)q);
    *loss = (float)(total * scale);
    return EIP_OK;
}

eip_status eip_train_loss_ce_hard(const float *logits,   /* [N, K] */
                                  const int32_t *labels, /* [N] */
                                  int64_t n, int64_t k,
                                  float *loss, float *dlogits /* [N, K] or NULL */,
                                  eip_error *err)
{
    eip_status st = check_dims("cross-entropy", logits, labels, n, k, err);
    if (st != EIP_OK)
        return st;
    if (!loss)
        return eip_error_set(err, EIP_ERR_ARG, "cross-entropy: NULL loss output");
    if ((st = check_labels(labels, n, k, err)) != EIP_OK)
        return st;
    const double scale = 1.0 / (double)n;
    /* with a gradient, exp(x_j - m) is computed once (kept in e) and the
     * softmax is e_j / s: one exp pass per row, not two (EncryIP's wide
     * ristretto255 heads, K = z + V, make this the step's costliest loop) */
    double ebuf[256], *e = !dlogits || k <= 256 ? ebuf : malloc((size_t)k * sizeof *e); /* [K] */
    if (!e)
        return eip_error_set(err, EIP_ERR_NOMEM, "cross-entropy: scratch [%lld]", (long long)k);
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const float *x = logits + i * k; /* [K] */
        double m, lse;
        if (!dlogits) {
            seg_lse(x, k, &m, &lse);
            total -= (double)x[labels[i]] - m - lse;
            continue;
        }
        m = -INFINITY;
        for (int64_t j = 0; j < k; j++)
            if (x[j] > m)
                m = x[j];
        double sum = 0.0;
        for (int64_t j = 0; j < k; j++) {
            e[j] = exp((double)x[j] - m);
            sum += e[j];
        }
        lse = log(sum);
        total -= (double)x[labels[i]] - m - lse;
        float *g = dlogits + i * k; /* [K] */
        const double f = scale / sum;
        for (int64_t j = 0; j < k; j++)
            g[j] = (float)(e[j] * f - (j == labels[i] ? scale : 0.0));
    }
    if (e != ebuf)
        free(e);
    *loss = (float)(total * scale);
    return EIP_OK;
}

eip_status eip_train_loss_ce_soft(const float *logits,  /* [N, K] */
                                  const float *targets, /* [N, K] */
                                  int64_t n, int64_t k,
                                  float *loss, float *dlogits /* [N, K] or NULL */,
                                  eip_error *err)
{
    return eip_train_loss_ce_block(logits, targets, n, k, 1, loss, dlogits, err);
}

eip_status eip_train_loss_ce_block(const float *logits,  /* [N, K] = [N, B * Q] */
                                   const float *targets, /* [N, K] */
                                   int64_t n, int64_t k, int64_t blocks,
                                   float *loss, float *dlogits /* [N, K] or NULL */,
                                   eip_error *err)
{
    eip_status st = check_dims("soft cross-entropy", logits, targets, n, k, err);
    if (st != EIP_OK)
        return st;
    if (!loss)
        return eip_error_set(err, EIP_ERR_ARG, "soft cross-entropy: NULL loss output");
    row_ptrs rows;
    if ((st = check_blocks(k, blocks, err)) != EIP_OK || (st = row_ptrs_init(&rows, n, err)) != EIP_OK)
        return st;
    for (int64_t i = 0; i < n; i++)
        rows.v[i] = targets + i * k;
    st = ce_block_rows(logits, rows.v, n, k, blocks, loss, dlogits, err);
    row_ptrs_free(&rows);
    return st;
}

eip_status eip_train_loss_ce_block_ids(const float *logits, /* [N, K] */
                                       const float *table,  /* [n_ids, K] */
                                       int64_t n_ids, const int32_t *ids, /* [N] */
                                       int64_t n, int64_t k, int64_t blocks, float *loss,
                                       float *dlogits /* [N, K] or NULL */, eip_error *err)
{
    eip_status st = check_dims("soft cross-entropy", logits, table, n, k, err);
    if (st != EIP_OK)
        return st;
    if (!loss || !ids)
        return eip_error_set(err, EIP_ERR_ARG, "soft cross-entropy: NULL loss output or ids");
    row_ptrs rows;
    if ((st = check_blocks(k, blocks, err)) != EIP_OK || (st = row_ptrs_init(&rows, n, err)) != EIP_OK)
        return st;
    if ((st = rows_of_ids(table, n_ids, ids, n, k, rows.v, err)) == EIP_OK)
        st = ce_block_rows(logits, rows.v, n, k, blocks, loss, dlogits, err);
    row_ptrs_free(&rows);
    return st;
}

/* Soft-target segment x from its softmax p: returns -sum_j t_j log p_j;
 * gradient (p_j tsum - t_j) * scale into g if non-NULL.
 * With c = log sum_j exp(x_j) (so log p_j = x_j - c):
 *   -sum_j t_j log p_j = c tsum - sum_j t_j x_j,
 * and c = max x - log(max p), since p is largest where x is and there
 * p = 1 / sum_j exp(x_j - max x) >= 1/W (never underflows).  So one log per
 * segment, no exp, no log-softmax pass; max is exact in any order and the
 * two target sums are the only reassociated ones (omp simd reduction; their
 * order follows the vector width of the CPU's clone, isa.h). */
EIP_TRAIN_ISA_CLONES static double seg_soft_probs(const float *x, const float *p,
                                                  const float *t, /* [W] each */ int64_t w,
                                                  double scale, float *g /* [W] or NULL */)
{
    float xm = -INFINITY, pm = 0.0f;
    double tx = 0.0, tsum = 0.0;
#pragma omp simd reduction(max : xm, pm) reduction(+ : tx, tsum)
    for (int64_t j = 0; j < w; j++) {
        const float tj = t[j], xj = x[j], pj = p[j];
        xm = xj > xm ? xj : xm;
        pm = pj > pm ? pj : pm;
        const double txj = (double)tj * (double)xj;
        tx += tj != 0.0f ? txj : 0.0; /* 0 * -inf contributes 0 */
        tsum += (double)tj;
    }
    if (g) {
        const float f = (float)(tsum * scale), sc = (float)scale;
#pragma omp simd
        for (int64_t j = 0; j < w; j++)
            g[j] = p[j] * f - t[j] * sc;
    }
    const double c = (double)xm - log((double)pm);
    return c * tsum - tx;
}

eip_status eip_train_loss_ce_block_ids_probs(const float *logits, /* [N, K] */
                                             const float *p,      /* [N, K] */
                                             const float *table,  /* [n_ids, K] */
                                             int64_t n_ids, const int32_t *ids, /* [N] */
                                             int64_t n, int64_t k, int64_t blocks, float *loss,
                                             float *dlogits /* [N, K] or NULL */, eip_error *err)
{
    eip_status st = check_dims("soft cross-entropy", logits, table, n, k, err);
    if (st != EIP_OK)
        return st;
    if (!loss || !ids || !p)
        return eip_error_set(err, EIP_ERR_ARG, "soft cross-entropy: NULL loss, ids or probabilities");
    row_ptrs rows;
    row_losses rl;
    if ((st = check_blocks(k, blocks, err)) != EIP_OK || (st = row_ptrs_init(&rows, n, err)) != EIP_OK)
        return st;
    if ((st = rows_of_ids(table, n_ids, ids, n, k, rows.v, err)) != EIP_OK ||
        (st = row_losses_init(&rl, n, err)) != EIP_OK) {
        row_ptrs_free(&rows);
        return st;
    }
    const int64_t q = k / blocks;
    const double scale = 1.0 / (double)n;
    double *row_total = rl.v;          /* [N] */
    const float *const *row = rows.v; /* [N] of [K] */
#pragma omp parallel for schedule(static) if (n * k >= PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        double t = 0.0;
        for (int64_t b = 0; b < blocks; b++) {
            const int64_t off = i * k + b * q;
            t += seg_soft_probs(logits + off, p + off, row[i] + b * q, q, scale,
                                dlogits ? dlogits + off : NULL);
        }
        row_total[i] = t;
    }
    row_ptrs_free(&rows);
    *loss = (float)(row_losses_sum(&rl, n) * scale);
    return EIP_OK;
}

/* One row of the hard-label loss from its softmax p: -log p_y = c - x_y
 * with c = max x - log(max p), as seg_soft_probs; gradient (p - onehot(y))
 * * scale into g if non-NULL. */
EIP_TRAIN_ISA_CLONES static double row_hard_probs(const float *x, const float *p, /* [K] each */
                                                  int32_t y, int64_t k, float sc,
                                                  float *g /* [K] or NULL */)
{
    float xm = -INFINITY, pm = 0.0f;
#pragma omp simd reduction(max : xm, pm)
    for (int64_t j = 0; j < k; j++) {
        xm = x[j] > xm ? x[j] : xm;
        pm = p[j] > pm ? p[j] : pm;
    }
    if (g) {
#pragma omp simd
        for (int64_t j = 0; j < k; j++)
            g[j] = p[j] * sc;
        g[y] = p[y] * sc - sc;
    }
    return (double)xm - log((double)pm) - (double)x[y];
}

eip_status eip_train_loss_ce_hard_probs(const float *logits, /* [N, K] */
                                        const float *p,      /* [N, K] */
                                        const int32_t *labels, /* [N] */
                                        int64_t n, int64_t k, float *loss,
                                        float *dlogits /* [N, K] or NULL */, eip_error *err)
{
    eip_status st = check_dims("cross-entropy", logits, labels, n, k, err);
    if (st != EIP_OK)
        return st;
    if (!loss || !p)
        return eip_error_set(err, EIP_ERR_ARG, "cross-entropy: NULL loss or probabilities");
    if ((st = check_labels(labels, n, k, err)) != EIP_OK)
        return st;
    const double scale = 1.0 / (double)n;
    const float sc = (float)scale;
    row_losses rl;
    if ((st = row_losses_init(&rl, n, err)) != EIP_OK)
        return st;
    double *row_total = rl.v; /* [N] */
#pragma omp parallel for schedule(static) if (n * k >= PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        row_total[i] = row_hard_probs(logits + i * k, p + i * k, labels[i], k, sc,
                                      dlogits ? dlogits + i * k : NULL);
    const double total = row_losses_sum(&rl, n);
    *loss = (float)(total * scale);
    return EIP_OK;
}

/* First index of the maximum; NaN never compares greater. */
static int32_t seg_argmax(const float *x, /* [W] */ int64_t w)
{
    int64_t best = 0;
    for (int64_t j = 1; j < w; j++)
        if (x[j] > x[best] || (isnan(x[best]) && !isnan(x[j])))
            best = j;
    return (int32_t)best;
}

static eip_status check_argmax(const char *what, const float *x, const void *out, int64_t n,
                               int64_t k, int64_t blocks, eip_error *err)
{
    eip_status st = check_dims(what, x, out, n, k, err);
    if (st != EIP_OK)
        return st;
    if (blocks <= 0 || k % blocks != 0)
        return eip_error_set(err, EIP_ERR_SHAPE, "%s: K = %lld not divisible into %lld blocks",
                             what, (long long)k, (long long)blocks);
    if (k / blocks > INT32_MAX)
        return eip_error_set(err, EIP_ERR_SHAPE, "%s: block width %lld too large", what,
                             (long long)(k / blocks));
    return EIP_OK;
}

eip_status eip_train_argmax(const float *x, /* [N, K] */ int64_t n, int64_t k,
                            int32_t *out /* [N] */, eip_error *err)
{
    return eip_train_argmax_block(x, n, k, 1, out, err);
}

eip_status eip_train_argmax_block(const float *x, /* [N, K] */ int64_t n, int64_t k,
                                  int64_t blocks, int32_t *out /* [N, B] */, eip_error *err)
{
    eip_status st = check_argmax("argmax", x, out, n, k, blocks, err);
    if (st != EIP_OK)
        return st;
    const int64_t q = k / blocks;
    for (int64_t i = 0; i < n; i++)
        for (int64_t b = 0; b < blocks; b++)
            out[i * blocks + b] = seg_argmax(x + i * k + b * q, q);
    return EIP_OK;
}

eip_status eip_train_accuracy_count(const float *logits,   /* [N, K] */
                                    const int32_t *labels, /* [N] */
                                    int64_t n, int64_t k, int64_t *correct, eip_error *err)
{
    return eip_train_accuracy_block_count(logits, labels, n, k, 1, correct, NULL, err);
}

eip_status eip_train_accuracy_block_count(const float *logits,    /* [N, K] */
                                          const int32_t *targets, /* [N, B] */
                                          int64_t n, int64_t k, int64_t blocks,
                                          int64_t *rows_correct, int64_t *blocks_correct,
                                          eip_error *err)
{
    eip_status st = check_argmax("accuracy", logits, targets, n, k, blocks, err);
    if (st != EIP_OK)
        return st;
    if (!rows_correct)
        return eip_error_set(err, EIP_ERR_ARG, "accuracy: NULL output");
    const int64_t q = k / blocks;
    int64_t rows = 0, hits = 0;
    for (int64_t i = 0; i < n; i++) {
        int all = 1;
        for (int64_t b = 0; b < blocks; b++) {
            int ok = seg_argmax(logits + i * k + b * q, q) == targets[i * blocks + b];
            hits += ok;
            all &= ok;
        }
        rows += all;
    }
    *rows_correct = rows;
    if (blocks_correct)
        *blocks_correct = hits;
    return EIP_OK;
}
