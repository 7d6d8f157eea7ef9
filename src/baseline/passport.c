/* DeepIPR passport layers (Fan et al. 2022, TPAMI; Fan, Ng, Chan 2019),
 * EncryIP section 5.2's passport-based baseline.
 *
 * A passport layer is conv -> normalisation whose affine scale and bias are
 * not free parameters but functions of the conv's own weights W [O, I, kh, kw]
 * and two secret passports P_gamma, P_beta [I, S, S]:
 *     gamma = Avg(W ⊛ P_gamma),  beta = Avg(W ⊛ P_beta)     (DeepIPR eq. (2))
 * (⊛: the convolution of the passport through the layer's weights, here with
 * stride 1 and "same" zero padding; Avg: the mean over output positions).
 * The mean over positions of a convolution is linear in W:
 *     gamma_o = sum_m W[o, m] Pbar_gamma[m],  m = (i, a, b),
 *     Pbar[i, a, b] = (1/S^2) sum_{y, x} P_pad[i, y + a, x + b],
 * so dgamma_o/dW[o, m] = Pbar_gamma[m] exactly (the conv backward-weights of
 * the passport with a uniform 1/S^2 output gradient); Pbar is computed once.
 * The engine's batch norm (+ReLU) carries gamma / beta as its weight / bias:
 * before every forward they are overwritten with the passport values, after
 * every backward their gradients are moved onto W and zeroed.
 * Sign signature (DeepIPR sec. 3.3): the loss lambda * sum max(gamma0 -
 * gamma_o s_o, 0) embeds s in sign(gamma). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline/internal.h"

typedef struct pp_layer {
    char conv[96], bn[96];
    int64_t o, m;               /* output channels, M = I*kh*kw */
    int64_t w_off, g_off, b_off; /* W, bn weight, bn bias offsets into params / grads */
    int64_t i_ch, kh, kw;
    float *pbar_g, *pbar_b;     /* [M] averaged passports */
    double amp_g, amp_b;        /* passport amplitudes (see passports_fill) */
    int8_t *sig;                /* [O] in {-1, +1} */
} pp_layer;

struct eip_baseline_passport {
    int n;
    pp_layer *l;                /* [n] */
    int64_t size;
    double gamma0, lambda;
};

void eip_baseline_passport_free(eip_baseline_passport_t *pp)
{
    if (!pp)
        return;
    for (int i = 0; i < pp->n; i++) {
        free(pp->l[i].pbar_g);
        free(pp->l[i].pbar_b);
        free(pp->l[i].sig);
    }
    free(pp->l);
    free(pp);
}

int eip_baseline_passport_layers(const eip_baseline_passport_t *pp)
{
    return pp->n;
}

/* Pbar [I, kh, kw] of a random passport [I, S, S] (uniform in [-1, 1]). */
static void passport_draw(eip_data_rng *r, const pp_layer *l, int64_t s, float *p /* [I, S, S] */,
                          float *pbar /* [M] */)
{
    for (int64_t i = 0; i < l->i_ch * s * s; i++)
        p[i] = (float)(2.0 * eip_data_rng_uniform(r) - 1.0);
    const int64_t ph = l->kh / 2, pw = l->kw / 2;
    for (int64_t i = 0; i < l->i_ch; i++)
        for (int64_t a = 0; a < l->kh; a++)
            for (int64_t b = 0; b < l->kw; b++) {
                double acc = 0;
                for (int64_t y = 0; y < s; y++) {
                    const int64_t yy = y + a - ph;
                    if (yy < 0 || yy >= s)
                        continue;
                    for (int64_t x = 0; x < s; x++) {
                        const int64_t xx = x + b - pw;
                        if (xx >= 0 && xx < s)
                            acc += p[(i * s + yy) * s + xx];
                    }
                }
                pbar[(i * l->kh + a) * l->kw + b] = (float)(acc / (double)(s * s));
            }
}

/* New passports (and, with sig = 1, a new signature) for every layer;
 * with params, amplitudes fitted to those weights. */
static eip_status passports_fill(eip_baseline_passport_t *pp, uint64_t seed, int sig,
                                 const float *params /* NULL: keep the amplitudes */, eip_error *err)
{
    eip_data_rng r;
    eip_data_rng_seed(&r, seed ^ 0x50415353504f5254ull /* "PASSPORT" */);
    for (int i = 0; i < pp->n; i++) {
        pp_layer *l = &pp->l[i];
        float *p = malloc((size_t)(l->i_ch * pp->size * pp->size) * sizeof *p);
        if (!p)
            return eip_error_set(err, EIP_ERR_NOMEM, "passport: out of memory");
        passport_draw(&r, l, pp->size, p, l->pbar_g);
        passport_draw(&r, l, pp->size, p, l->pbar_b);
        free(p);
        if (params) {
            /* Amplitude: a passport of unit entries averaged over S^2
             * positions gives |gamma| ~ 0.05 with PyTorch-initialised
             * weights, which stalls training (the layer's output is scaled
             * down 20x); DeepIPR's passports are feature maps of real images
             * with larger values.  The amplitude is chosen once, when the
             * passport is drawn, so that RMS(gamma) = 1 (batch norm's
             * default scale) and RMS(beta) = 0.1 at those weights; a forged
             * passport gets the same amplitudes. */
            double sg = 0, sb = 0;
            const float *w = params + l->w_off;
            for (int64_t o = 0; o < l->o; o++) {
                double g = 0, b = 0;
                for (int64_t j = 0; j < l->m; j++) {
                    g += (double)w[o * l->m + j] * l->pbar_g[j];
                    b += (double)w[o * l->m + j] * l->pbar_b[j];
                }
                sg += g * g;
                sb += b * b;
            }
            l->amp_g = sg > 0 ? 0.3 / sqrt(sg / (double)l->o) : 1.0;
            l->amp_b = sb > 0 ? 0.03 / sqrt(sb / (double)l->o) : 1.0;
        }
        for (int64_t j = 0; j < l->m; j++) {
            l->pbar_g[j] = (float)(l->pbar_g[j] * l->amp_g);
            l->pbar_b[j] = (float)(l->pbar_b[j] * l->amp_b);
        }
        if (sig)
            for (int64_t o = 0; o < l->o; o++)
                l->sig[o] = eip_data_rng_below(&r, 2) ? 1 : -1;
    }
    return EIP_OK;
}

static eip_status layer_setup(eip_nn_net_t *net, const char *conv, const char *bn, pp_layer *l,
                              eip_error *err)
{
    const eip_nn_tensor *w = NULL, *g = NULL, *b = NULL;
    eip_status s;
    if ((s = eip_baseline_tensor(net, "passport", conv, "weight", 4, &w, err)) ||
        (s = eip_baseline_tensor(net, "passport", bn, "weight", 1, &g, err)) ||
        (s = eip_baseline_tensor(net, "passport", bn, "bias", 1, &b, err)))
        return s;
    if (g->shape[0] != w->shape[0] || b->shape[0] != w->shape[0])
        return eip_error_set(err, EIP_ERR_ARG,
                             "passport: '%s' has %lld channels but conv '%s' has %lld outputs",
                             bn, (long long)g->shape[0], conv, (long long)w->shape[0]);
    snprintf(l->conv, sizeof l->conv, "%s", conv);
    snprintf(l->bn, sizeof l->bn, "%s", bn);
    l->o = w->shape[0];
    l->i_ch = w->shape[1];
    l->kh = w->shape[2];
    l->kw = w->shape[3];
    l->m = l->i_ch * l->kh * l->kw;
    l->w_off = w->offset;
    l->g_off = g->offset;
    l->b_off = b->offset;
    l->pbar_g = malloc((size_t)l->m * sizeof *l->pbar_g);
    l->pbar_b = malloc((size_t)l->m * sizeof *l->pbar_b);
    l->sig = malloc((size_t)l->o);
    if (!l->pbar_g || !l->pbar_b || !l->sig)
        return eip_error_set(err, EIP_ERR_NOMEM, "passport: out of memory");
    return EIP_OK;
}

static eip_status pp_alloc(int n, int64_t size, double gamma0, double lambda,
                           eip_baseline_passport_t **out, eip_error *err)
{
    if (n < 1 || n > EIP_BASELINE_PASSPORT_MAX_LAYERS)
        return eip_error_set(err, EIP_ERR_ARG, "passport: %d layers, must be 1 .. %d", n,
                             EIP_BASELINE_PASSPORT_MAX_LAYERS);
    if (size < 1 || size > 512)
        return eip_error_set(err, EIP_ERR_ARG, "passport: size %lld, must be 1 .. 512", (long long)size);
    if (!(gamma0 >= 0) || !(lambda >= 0) || !isfinite(gamma0) || !isfinite(lambda))
        return eip_error_set(err, EIP_ERR_ARG, "passport: gamma0 %g and lambda %g must be >= 0",
                             gamma0, lambda);
    eip_baseline_passport_t *pp = calloc(1, sizeof *pp);
    if (!pp || !(pp->l = calloc((size_t)n, sizeof *pp->l))) {
        free(pp);
        return eip_error_set(err, EIP_ERR_NOMEM, "passport: out of memory");
    }
    pp->n = n;
    pp->size = size;
    pp->gamma0 = gamma0;
    pp->lambda = lambda;
    *out = pp;
    return EIP_OK;
}

eip_status eip_baseline_passport_init(eip_baseline_passport_t **out, eip_nn_net_t *net,
                                      const eip_baseline_passport_config *cfg, eip_error *err)
{
    *out = NULL;
    if (!cfg->convs || !cfg->bns)
        return eip_error_set(err, EIP_ERR_ARG, "passport: no layers given");
    eip_baseline_passport_t *pp = NULL;
    eip_status s = pp_alloc(cfg->n_layers, cfg->size, cfg->gamma0, cfg->lambda, &pp, err);
    if (s)
        return s;
    for (int i = 0; i < pp->n && !s; i++) {
        for (int j = 0; j < i && !s; j++)
            if (!strcmp(cfg->convs[i] ? cfg->convs[i] : "", cfg->convs[j] ? cfg->convs[j] : ""))
                s = eip_error_set(err, EIP_ERR_ARG, "passport: layer '%s' given twice", cfg->convs[i]);
        if (!s)
            s = layer_setup(net, cfg->convs[i], cfg->bns[i], &pp->l[i], err);
    }
    if (!s)
        s = passports_fill(pp, cfg->seed, 1, eip_nn_params(net, NULL), err);
    if (s) {
        eip_baseline_passport_free(pp);
        return s;
    }
    *out = pp;
    return EIP_OK;
}

eip_status eip_baseline_passport_forge(const eip_baseline_passport_t *pp, uint64_t seed,
                                       eip_baseline_passport_t **out, eip_error *err)
{
    *out = NULL;
    eip_baseline_passport_t *f = NULL;
    eip_status s = pp_alloc(pp->n, pp->size, pp->gamma0, pp->lambda, &f, err);
    if (s)
        return s;
    for (int i = 0; i < pp->n && !s; i++) {
        pp_layer *l = &f->l[i];
        *l = pp->l[i];
        l->pbar_g = malloc((size_t)l->m * sizeof *l->pbar_g);
        l->pbar_b = malloc((size_t)l->m * sizeof *l->pbar_b);
        l->sig = malloc((size_t)l->o);
        if (!l->pbar_g || !l->pbar_b || !l->sig)
            s = eip_error_set(err, EIP_ERR_NOMEM, "passport: out of memory");
        else
            memcpy(l->sig, pp->l[i].sig, (size_t)l->o);
    }
    if (!s)
        s = passports_fill(f, seed, 0, NULL, err);
    if (s) {
        eip_baseline_passport_free(f);
        return s;
    }
    *out = f;
    return EIP_OK;
}

/* The net still has every layer at the place the handle was made for. */
static eip_status pp_check(const eip_baseline_passport_t *pp, eip_nn_net_t *net, eip_error *err)
{
    for (int i = 0; i < pp->n; i++) {
        const pp_layer *l = &pp->l[i];
        const eip_nn_tensor *w = NULL, *g = NULL;
        eip_status s;
        if ((s = eip_baseline_tensor(net, "passport", l->conv, "weight", 4, &w, err)) ||
            (s = eip_baseline_tensor(net, "passport", l->bn, "weight", 1, &g, err)))
            return s;
        if (w->offset != l->w_off || w->shape[0] != l->o || g->offset != l->g_off)
            return eip_error_set(err, EIP_ERR_SHAPE,
                                 "passport: layer '%s' of this net is not the one the passport was "
                                 "made for", l->conv);
    }
    return EIP_OK;
}

/* gamma_o of one layer from the current weights (double sum). */
static double layer_gamma(const pp_layer *l, const float *params, int64_t o)
{
    const float *w = params + l->w_off + o * l->m; /* [M] */
    double g = 0;
    for (int64_t j = 0; j < l->m; j++)
        g += (double)w[j] * l->pbar_g[j];
    return g;
}

/* gamma / beta of one layer from the current weights (double sums). */
static void layer_scale(const pp_layer *l, const float *params, float *gamma, float *beta)
{
    const float *w = params + l->w_off; /* [O, M] */
    for (int64_t o = 0; o < l->o; o++) {
        double g = 0, b = 0;
        for (int64_t j = 0; j < l->m; j++) {
            g += (double)w[o * l->m + j] * l->pbar_g[j];
            b += (double)w[o * l->m + j] * l->pbar_b[j];
        }
        gamma[o] = (float)g;
        beta[o] = (float)b;
    }
}

eip_status eip_baseline_passport_scale(const eip_baseline_passport_t *pp, eip_nn_net_t *net, int i,
                                       float *gamma, float *beta, eip_error *err)
{
    if (i < 0 || i >= pp->n)
        return eip_error_set(err, EIP_ERR_RANGE, "passport: layer index %d of %d", i, pp->n);
    eip_status s = pp_check(pp, net, err);
    if (!s)
        layer_scale(&pp->l[i], eip_nn_params(net, NULL), gamma, beta);
    return s;
}

eip_status eip_baseline_passport_apply(const eip_baseline_passport_t *pp, eip_nn_net_t *net,
                                       eip_error *err)
{
    eip_status s = pp_check(pp, net, err);
    if (s)
        return s;
    float *params = eip_nn_params(net, NULL);
    for (int i = 0; i < pp->n; i++)
        layer_scale(&pp->l[i], params, params + pp->l[i].g_off, params + pp->l[i].b_off);
    eip_nn_mark_dirty(net);
    return EIP_OK;
}

eip_status eip_baseline_passport_backward(const eip_baseline_passport_t *pp, eip_nn_net_t *net,
                                          double *loss, eip_error *err)
{
    eip_status s = pp_check(pp, net, err);
    if (s)
        return s;
    const float *params = eip_nn_params(net, NULL);
    float *grads = eip_nn_grads(net, NULL);
    double total = 0;
    for (int i = 0; i < pp->n; i++) {
        const pp_layer *l = &pp->l[i];
        float *gw = grads + l->w_off; /* [O, M] */
        for (int64_t o = 0; o < l->o; o++) {
            const double gam = layer_gamma(l, params, o);
            double dg = grads[l->g_off + o], db = grads[l->b_off + o];
            const double h = pp->gamma0 - gam * l->sig[o]; /* sign-loss hinge */
            if (h > 0) {
                total += pp->lambda * h;
                dg -= pp->lambda * l->sig[o];
            }
            for (int64_t j = 0; j < l->m; j++)
                gw[o * l->m + j] += (float)(dg * l->pbar_g[j] + db * l->pbar_b[j]);
            grads[l->g_off + o] = 0.0f;
            grads[l->b_off + o] = 0.0f;
        }
    }
    if (loss)
        *loss = total;
    return EIP_OK;
}

eip_status eip_baseline_passport_hook(void *ctx, eip_train_hook_phase phase, eip_nn_net_t *net,
                                      double *extra_loss, eip_error *err)
{
    if (phase == EIP_TRAIN_HOOK_BEFORE_FORWARD)
        return eip_baseline_passport_apply(ctx, net, err);
    return eip_baseline_passport_backward(ctx, net, extra_loss, err);
}

eip_status eip_baseline_passport_detect(const eip_baseline_passport_t *pp, eip_nn_net_t *net,
                                        double *match, eip_error *err)
{
    eip_status s = pp_check(pp, net, err);
    if (s)
        return s;
    const float *params = eip_nn_params(net, NULL);
    int64_t hit = 0, total = 0;
    for (int i = 0; i < pp->n; i++) {
        const pp_layer *l = &pp->l[i];
        for (int64_t o = 0; o < l->o; o++) {
            hit += (layer_gamma(l, params, o) > 0 ? 1 : -1) == l->sig[o];
            total++;
        }
    }
    *match = total ? (double)hit / (double)total : 0.0;
    return EIP_OK;
}
