/* PR: the weight-regulariser watermark of Uchida et al. 2017 (ICMR),
 * EncryIP section 5.2's watermark-based baseline.
 *
 * The host layer's weights W [O, I, kh, kw] are averaged over the O output
 * filters: w̄ [M], M = I*kh*kw (Uchida sec. 3.2).  The key is a secret
 * matrix X [T, M] ("random" embedding, X ~ N(0, 1)) and the mark a T-bit
 * message b.  Training adds E_R = lambda * sum_t BCE(sigmoid(x_t . w̄), b_t)
 * to the loss (eq. (4)); extraction thresholds sigmoid(X w̄) at 0.5.
 * A different user needs a different (X, b), hence a different training. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline/internal.h"

struct eip_baseline_pr {
    char layer[128];
    int64_t o, m, t;   /* output filters, M, T */
    int64_t w_off;     /* W's offset in params / grads */
    double lambda;
    float *x;          /* [T, M] */
    uint8_t *b;        /* [T] */
};

eip_status eip_baseline_pr_init(eip_baseline_pr_t **out, eip_nn_net_t *net,
                                const eip_baseline_pr_config *cfg, eip_error *err)
{
    *out = NULL;
    const eip_nn_tensor *w = NULL;
    eip_status s = eip_baseline_tensor(net, "PR watermark", cfg->layer, "weight", 4, &w, err);
    if (s)
        return s;
    const int64_t m = w->shape[1] * w->shape[2] * w->shape[3];
    if (cfg->bits < 1 || cfg->bits > m || cfg->bits > EIP_BASELINE_PR_MAX_BITS)
        return eip_error_set(err, EIP_ERR_ARG,
                             "PR watermark: %lld bits for layer '%s': must be 1 .. %lld (M = Cin*kh*kw "
                             "of the layer; more bits than weights cannot all be embedded)",
                             (long long)cfg->bits, cfg->layer, (long long)(m < EIP_BASELINE_PR_MAX_BITS ? m : EIP_BASELINE_PR_MAX_BITS));
    if (!(cfg->lambda > 0) || !isfinite(cfg->lambda))
        return eip_error_set(err, EIP_ERR_ARG, "PR watermark: lambda %g, must be > 0", cfg->lambda);
    eip_baseline_pr_t *pr = calloc(1, sizeof *pr);
    if (!pr)
        return eip_error_set(err, EIP_ERR_NOMEM, "PR watermark: out of memory");
    snprintf(pr->layer, sizeof pr->layer, "%s", cfg->layer);
    pr->o = w->shape[0];
    pr->m = m;
    pr->t = cfg->bits;
    pr->w_off = w->offset;
    pr->lambda = cfg->lambda;
    pr->x = malloc((size_t)(pr->t * m) * sizeof *pr->x);
    pr->b = malloc((size_t)pr->t);
    if (!pr->x || !pr->b) {
        eip_baseline_pr_free(pr);
        return eip_error_set(err, EIP_ERR_NOMEM, "PR watermark: out of memory");
    }
    eip_data_rng r;
    eip_data_rng_seed(&r, cfg->seed ^ 0x5052574d41524bull /* "PRWMARK" */);
    for (int64_t i = 0; i < pr->t * m; i++)
        pr->x[i] = (float)eip_baseline_gauss(&r);
    for (int64_t i = 0; i < pr->t; i++)
        pr->b[i] = (uint8_t)eip_data_rng_below(&r, 2);
    *out = pr;
    return EIP_OK;
}

void eip_baseline_pr_free(eip_baseline_pr_t *pr)
{
    if (!pr)
        return;
    free(pr->x);
    free(pr->b);
    free(pr);
}

int64_t eip_baseline_pr_bits(const eip_baseline_pr_t *pr)
{
    return pr->t;
}

int64_t eip_baseline_pr_m(const eip_baseline_pr_t *pr)
{
    return pr->m;
}

const uint8_t *eip_baseline_pr_message(const eip_baseline_pr_t *pr)
{
    return pr->b;
}

/* The net still has the layer the key was made for (same shape, offset). */
static eip_status pr_check(const eip_baseline_pr_t *pr, eip_nn_net_t *net, eip_error *err)
{
    const eip_nn_tensor *w = NULL;
    eip_status s = eip_baseline_tensor(net, "PR watermark", pr->layer, "weight", 4, &w, err);
    if (s)
        return s;
    if (w->shape[0] != pr->o || w->shape[1] * w->shape[2] * w->shape[3] != pr->m ||
        w->offset != pr->w_off)
        return eip_error_set(err, EIP_ERR_SHAPE,
                             "PR watermark: layer '%s' of this net is not the one the key was made for",
                             pr->layer);
    return EIP_OK;
}

/* z [T] = X w̄ (double accumulation). */
static eip_status pr_project(const eip_baseline_pr_t *pr, eip_nn_net_t *net, double *z,
                             double *wbar /* [M] */, eip_error *err)
{
    eip_status s = pr_check(pr, net, err);
    if (s)
        return s;
    const float *w = eip_nn_params(net, NULL) + pr->w_off; /* [O, M] */
    for (int64_t j = 0; j < pr->m; j++)
        wbar[j] = 0;
    for (int64_t o = 0; o < pr->o; o++)
        for (int64_t j = 0; j < pr->m; j++)
            wbar[j] += w[o * pr->m + j];
    for (int64_t j = 0; j < pr->m; j++)
        wbar[j] /= (double)pr->o;
    for (int64_t t = 0; t < pr->t; t++) {
        double a = 0;
        const float *xt = pr->x + t * pr->m;
        for (int64_t j = 0; j < pr->m; j++)
            a += (double)xt[j] * wbar[j];
        z[t] = a;
    }
    return EIP_OK;
}

eip_status eip_baseline_pr_loss(const eip_baseline_pr_t *pr, eip_nn_net_t *net, double *loss,
                                float *grads, eip_error *err)
{
    double *z = malloc((size_t)(pr->t + pr->m) * sizeof *z);
    if (!z)
        return eip_error_set(err, EIP_ERR_NOMEM, "PR watermark: out of memory");
    double *wbar = z + pr->t;
    eip_status s = pr_project(pr, net, z, wbar, err);
    if (s) {
        free(z);
        return s;
    }
    /* BCE(sigmoid(z), b) = softplus(z) - b z, stable for any z; its
     * derivative is sigmoid(z) - b. */
    double e = 0;
    for (int64_t t = 0; t < pr->t; t++) {
        const double zt = z[t];
        e += (zt > 0 ? zt + log1p(exp(-zt)) : log1p(exp(zt))) - (pr->b[t] ? zt : 0.0);
        z[t] = pr->lambda * (1.0 / (1.0 + exp(-zt)) - (double)pr->b[t]); /* dE_R/dz_t */
    }
    *loss = pr->lambda * e;
    if (grads) {
        /* dE_R/dw̄ = X^T dz; w̄ is the mean over O filters, so each filter
         * gets 1/O of it. */
        for (int64_t j = 0; j < pr->m; j++)
            wbar[j] = 0;
        for (int64_t t = 0; t < pr->t; t++) {
            const float *xt = pr->x + t * pr->m;
            for (int64_t j = 0; j < pr->m; j++)
                wbar[j] += (double)xt[j] * z[t];
        }
        float *g = grads + pr->w_off; /* [O, M] */
        for (int64_t o = 0; o < pr->o; o++)
            for (int64_t j = 0; j < pr->m; j++)
                g[o * pr->m + j] += (float)(wbar[j] / (double)pr->o);
    }
    free(z);
    return EIP_OK;
}

eip_status eip_baseline_pr_hook(void *ctx, eip_train_hook_phase phase, eip_nn_net_t *net,
                                double *extra_loss, eip_error *err)
{
    if (phase != EIP_TRAIN_HOOK_AFTER_BACKWARD)
        return EIP_OK;
    return eip_baseline_pr_loss(ctx, net, extra_loss, eip_nn_grads(net, NULL), err);
}

eip_status eip_baseline_pr_extract(const eip_baseline_pr_t *pr, eip_nn_net_t *net,
                                   uint8_t *bits_out, double *ber, eip_error *err)
{
    double *z = malloc((size_t)(pr->t + pr->m) * sizeof *z);
    if (!z)
        return eip_error_set(err, EIP_ERR_NOMEM, "PR watermark: out of memory");
    eip_status s = pr_project(pr, net, z, z + pr->t, err);
    if (!s) {
        int64_t wrong = 0;
        for (int64_t t = 0; t < pr->t; t++) {
            const uint8_t bit = z[t] >= 0; /* sigmoid(z) >= 0.5 */
            wrong += bit != pr->b[t];
            if (bits_out)
                bits_out[t] = bit;
        }
        *ber = (double)wrong / (double)pr->t;
    }
    free(z);
    return s;
}
