/* SGD (momentum, Nesterov, coupled weight decay) and AdamW (decoupled weight
 * decay, bias correction) over flat float blocks, following PyTorch 1.13's
 * _single_tensor_sgd / _single_tensor_adamw operation by operation: the
 * scalar coefficients are computed in double (Python floats) and rounded to
 * float once, every tensor op is one float32 operation in torch's order, so
 * trajectories match torch to float rounding (the build never uses
 * fast-math, and ISO C11 mode does not contract a*b+c into an FMA). */
#include <math.h>
#include <stdlib.h>

#include "encryip/train.h"

struct eip_train_optim {
    eip_train_optim_config cfg;
    int64_t n;     /* parameter count */
    int64_t steps; /* updates done so far (torch state["step"]) */
    size_t n_buf;
    float *buf[2]; /* SGD: momentum_buffer; AdamW: exp_avg, exp_avg_sq — each [n] */
};

static const char *const sgd_names[] = {"momentum_buffer"};
static const char *const adamw_names[] = {"exp_avg", "exp_avg_sq"};

eip_train_optim_config eip_train_optim_config_default(eip_train_optim_kind kind)
{
    eip_train_optim_config c = {0};
    c.kind = kind;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    if (kind == EIP_TRAIN_OPTIM_ADAMW)
        c.weight_decay = 1e-2;
    return c;
}

static eip_status check_config(const eip_train_optim_config *c, eip_error *err)
{
    if (!(c->weight_decay >= 0.0 && isfinite(c->weight_decay)))
        return eip_error_set(err, EIP_ERR_ARG, "optimiser: weight_decay %g must be finite and >= 0",
                             c->weight_decay);
    if (c->kind == EIP_TRAIN_OPTIM_SGD) {
        if (!(c->momentum >= 0.0 && c->momentum < 1.0))
            return eip_error_set(err, EIP_ERR_ARG, "SGD: momentum %g not in [0, 1)", c->momentum);
        if (!(c->dampening >= 0.0 && c->dampening <= 1.0))
            return eip_error_set(err, EIP_ERR_ARG, "SGD: dampening %g not in [0, 1]", c->dampening);
        if (c->nesterov && (c->momentum <= 0.0 || c->dampening != 0.0))
            return eip_error_set(err, EIP_ERR_ARG,
                                 "SGD: nesterov needs momentum > 0 and dampening 0");
        return EIP_OK;
    }
    if (c->kind == EIP_TRAIN_OPTIM_ADAMW) {
        if (!(c->beta1 >= 0.0 && c->beta1 < 1.0) || !(c->beta2 >= 0.0 && c->beta2 < 1.0))
            return eip_error_set(err, EIP_ERR_ARG, "AdamW: betas (%g, %g) not in [0, 1)", c->beta1,
                                 c->beta2);
        if (!(c->eps >= 0.0 && isfinite(c->eps)))
            return eip_error_set(err, EIP_ERR_ARG, "AdamW: eps %g must be finite and >= 0", c->eps);
        return EIP_OK;
    }
    return eip_error_set(err, EIP_ERR_ARG, "optimiser: unknown kind %d", (int)c->kind);
}

eip_status eip_train_optim_init(eip_train_optim_t **out, const eip_train_optim_config *cfg,
                                int64_t n_params, eip_error *err)
{
    if (!out || !cfg)
        return eip_error_set(err, EIP_ERR_ARG, "optimiser: NULL argument");
    *out = NULL;
    eip_status st = check_config(cfg, err);
    if (st != EIP_OK)
        return st;
    if (n_params <= 0 || (uint64_t)n_params > SIZE_MAX / sizeof(float))
        return eip_error_set(err, EIP_ERR_ARG, "optimiser: bad parameter count %lld",
                             (long long)n_params);
    eip_train_optim_t *o = calloc(1, sizeof *o);
    if (!o)
        return eip_error_set(err, EIP_ERR_NOMEM, "optimiser: out of memory");
    o->cfg = *cfg;
    o->n = n_params;
    if (cfg->kind == EIP_TRAIN_OPTIM_ADAMW)
        o->n_buf = 2;
    else
        o->n_buf = cfg->momentum > 0.0 ? 1 : 0;
    for (size_t i = 0; i < o->n_buf; i++) {
        o->buf[i] = calloc((size_t)n_params, sizeof(float));
        if (!o->buf[i]) {
            eip_train_optim_free(o);
            return eip_error_set(err, EIP_ERR_NOMEM,
                                 "optimiser: out of memory for %lld-element moment buffer",
                                 (long long)n_params);
        }
    }
    *out = o;
    return EIP_OK;
}

void eip_train_optim_free(eip_train_optim_t *opt)
{
    if (!opt)
        return;
    free(opt->buf[0]);
    free(opt->buf[1]);
    free(opt);
}

static void sgd_step(eip_train_optim_t *o, double lr, float *p, /* [n] */
                     const float *g, /* [n] */ const uint8_t *mask /* [n] or NULL */)
{
    const eip_train_optim_config *c = &o->cfg;
    const float wd = (float)c->weight_decay;
    const float mom = (float)c->momentum;
    const float damp1 = (float)(1.0 - c->dampening);
    const float neg_lr = (float)-lr;
    const int first = o->steps == 0;
    float *buf = o->n_buf ? o->buf[0] : NULL; /* [n] */
    for (int64_t i = 0; i < o->n; i++) {
        float d = g[i];
        if (wd != 0.0f && (!mask || mask[i]))
            d = d + wd * p[i]; /* d_p.add(param, alpha=weight_decay) */
        if (buf) {
            if (first)
                buf[i] = d; /* torch.clone(d_p): no dampening on the first step */
            else
                buf[i] = buf[i] * mom + damp1 * d;
            d = c->nesterov ? d + mom * buf[i] : buf[i];
        }
        p[i] = p[i] + neg_lr * d; /* param.add_(d_p, alpha=-lr) */
    }
}

static void adamw_step(eip_train_optim_t *o, double lr, float *p, /* [n] */
                       const float *g, /* [n] */ const uint8_t *mask /* [n] or NULL */)
{
    const eip_train_optim_config *c = &o->cfg;
    const double t = (double)(o->steps + 1);
    const float decay = (float)(1.0 - lr * c->weight_decay);
    const float b1 = (float)c->beta1, one_b1 = (float)(1.0 - c->beta1);
    const float b2 = (float)c->beta2, one_b2 = (float)(1.0 - c->beta2);
    const double bc1 = 1.0 - pow(c->beta1, t);
    const double bc2 = 1.0 - pow(c->beta2, t);
    const float neg_step = (float)-(lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    const float eps = (float)c->eps;
    float *m = o->buf[0]; /* [n] */
    float *v = o->buf[1]; /* [n] */
    for (int64_t i = 0; i < o->n; i++) {
        if (!mask || mask[i])
            p[i] = p[i] * decay; /* param.mul_(1 - lr * weight_decay) */
        m[i] = m[i] * b1 + one_b1 * g[i];
        v[i] = v[i] * b2 + one_b2 * g[i] * g[i];           /* addcmul_: (value*g)*g */
        const float denom = sqrtf(v[i]) / bc2_sqrt + eps;  /* (sqrt(v)/bc2_sqrt).add_(eps) */
        p[i] = p[i] + neg_step * m[i] / denom;             /* addcdiv_: (value*m)/denom */
    }
}

eip_status eip_train_optim_step(eip_train_optim_t *opt, double lr,
                                float *params,             /* [n_params] */
                                const float *grads,        /* [n_params] */
                                const uint8_t *decay_mask, /* [n_params] or NULL */
                                eip_error *err)
{
    if (!opt || !params || !grads)
        return eip_error_set(err, EIP_ERR_ARG, "optimiser step: NULL argument");
    if (!(lr >= 0.0 && isfinite(lr)))
        return eip_error_set(err, EIP_ERR_ARG, "optimiser step: learning rate %g must be finite and >= 0",
                             lr);
    if (opt->cfg.kind == EIP_TRAIN_OPTIM_SGD)
        sgd_step(opt, lr, params, grads, decay_mask);
    else
        adamw_step(opt, lr, params, grads, decay_mask);
    opt->steps++;
    return EIP_OK;
}

int64_t eip_train_optim_n_params(const eip_train_optim_t *opt) { return opt->n; }

int64_t eip_train_optim_step_count(const eip_train_optim_t *opt) { return opt->steps; }

eip_status eip_train_optim_step_count_set(eip_train_optim_t *opt, int64_t steps, eip_error *err)
{
    if (!opt || steps < 0)
        return eip_error_set(err, EIP_ERR_ARG, "optimiser: bad step count %lld", (long long)steps);
    opt->steps = steps;
    return EIP_OK;
}

size_t eip_train_optim_buffer_count(const eip_train_optim_t *opt) { return opt->n_buf; }

float *eip_train_optim_buffer(eip_train_optim_t *opt, size_t i, const char **name, int64_t *len)
{
    if (!opt || i >= opt->n_buf)
        return NULL;
    if (name)
        *name = opt->cfg.kind == EIP_TRAIN_OPTIM_ADAMW ? adamw_names[i] : sgd_names[i];
    if (len)
        *len = opt->n;
    return opt->buf[i];
}
