/* SGD (momentum, Nesterov, coupled weight decay) and AdamW (decoupled weight
 * decay, bias correction) over flat float blocks, following PyTorch 1.13's
 * _single_tensor_sgd / _single_tensor_adamw operation by operation: the
 * scalar coefficients are computed in double (Python floats) and rounded to
 * float once, every tensor op is one float32 operation in torch's order, so
 * trajectories match torch to float rounding (the build never uses
 * fast-math, and ISO C11 mode does not contract a*b+c into an FMA).
 *
 * Each element's update is independent of the others, so the loops run
 * split over the OpenMP threads and vectorised (omp simd; CMakeLists.txt
 * gives this file -fno-math-errno and -fno-trapping-math, so sqrtf is one
 * instruction and a select may evaluate both sides): the same float operations per
 * element, hence bit-identical to the scalar loop.  A serial update left
 * the other threads idle for ~12 % of an EncryIP P = 1000 step (K = 3027
 * head, issue 16). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/train.h"
#include "train/isa.h"

/* below this many parameters a thread team costs more than it saves */
#define PAR_MIN 32768

struct eip_train_optim {
    eip_train_optim_config cfg;
    int64_t n;     /* parameter count */
    int64_t steps; /* updates done so far (torch state["step"]) */
    size_t n_buf;
    float *buf[2]; /* SGD: momentum_buffer; AdamW: exp_avg, exp_avg_sq — each [n] */
    uint8_t *ones; /* [n] all 1: the decay mask when the caller gives none */
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
    o->ones = malloc((size_t)n_params);
    if (!o->ones) {
        eip_train_optim_free(o);
        return eip_error_set(err, EIP_ERR_NOMEM, "optimiser: out of memory for %lld parameters",
                             (long long)n_params);
    }
    memset(o->ones, 1, (size_t)n_params);
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
    free(opt->ones);
    free(opt);
}

/* The loops below select instead of branching (every load unconditional)
 * so they vectorise; without a caller's decay mask they read `ones`.
 * Each thread runs a contiguous range through a kernel compiled for
 * AVX-512, AVX2 and baseline x86-64, chosen by the CPU at load time
 * (isa.h); the ISO C build does not contract a*b+c into an FMA in
 * any of them, so all three give the same bits. */

typedef struct sgd_coef {
    float wd, mom, damp1, neg_lr;
    int first, nesterov, use_wd;
} sgd_coef;

EIP_TRAIN_ISA_CLONES static void sgd_range(const sgd_coef *c, int64_t lo, int64_t hi,
                                           float *p, const float *g,
                                           float *buf, /* [n] each; buf may be NULL */
                                           const uint8_t *mask /* [n] */)
{
    const float wd = c->wd, mom = c->mom, damp1 = c->damp1, neg_lr = c->neg_lr;
    const int first = c->first, nesterov = c->nesterov, use_wd = c->use_wd;
    if (!buf) {
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) {
            const float dw = g[i] + wd * p[i]; /* d_p.add(param, alpha=weight_decay) */
            const int on = use_wd & (mask[i] != 0);
            const float d = on ? dw : g[i];
            p[i] = p[i] + neg_lr * d; /* param.add_(d_p, alpha=-lr) */
        }
        return;
    }
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        const float dw = g[i] + wd * p[i];
        const int on = use_wd & (mask[i] != 0);
        const float d = on ? dw : g[i];
        const float acc = buf[i] * mom + damp1 * d;
        const float bnew = first ? d : acc; /* torch.clone(d_p) on the first step */
        buf[i] = bnew;
        const float dn = d + mom * bnew;
        p[i] = p[i] + neg_lr * (nesterov ? dn : bnew);
    }
}

typedef struct adamw_coef {
    float decay, b1, one_b1, b2, one_b2, neg_step, bc2_sqrt, eps;
} adamw_coef;

EIP_TRAIN_ISA_CLONES static void adamw_range(const adamw_coef *c, int64_t lo, int64_t hi,
                                             float *p, const float *g, float *m,
                                             float *v, /* [n] each */
                                             const uint8_t *mask /* [n] */)
{
    const float decay = c->decay, b1 = c->b1, one_b1 = c->one_b1, b2 = c->b2, one_b2 = c->one_b2;
    const float neg_step = c->neg_step, bc2_sqrt = c->bc2_sqrt, eps = c->eps;
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        /* param.mul_(1 - lr * weight_decay); x * 1.0f is exact */
        const float sel = mask[i] ? decay : 1.0f;
        const float pi = p[i] * sel;
        const float mi = m[i] * b1 + one_b1 * g[i];
        const float vi = v[i] * b2 + one_b2 * g[i] * g[i]; /* addcmul_: (value*g)*g */
        const float denom = sqrtf(vi) / bc2_sqrt + eps;     /* (sqrt(v)/bc2_sqrt).add_(eps) */
        m[i] = mi;
        v[i] = vi;
        p[i] = pi + neg_step * mi / denom; /* addcdiv_: (value*m)/denom */
    }
}

/* [lo, hi) of thread t of nt: contiguous, 16-element aligned splits. */
static void thread_range(int64_t n, int t, int nt, int64_t *lo, int64_t *hi)
{
    const int64_t per = ((n + nt - 1) / nt + 15) / 16 * 16;
    *lo = (int64_t)t * per < n ? (int64_t)t * per : n;
    *hi = *lo + per < n ? *lo + per : n;
}

static void sgd_step(eip_train_optim_t *o, double lr, float *p, /* [n] */
                     const float *g, /* [n] */ const uint8_t *mask /* [n] */)
{
    const eip_train_optim_config *c = &o->cfg;
    const sgd_coef k = {(float)c->weight_decay, (float)c->momentum, (float)(1.0 - c->dampening),
                        (float)-lr, o->steps == 0, c->nesterov, c->weight_decay != 0.0};
    float *buf = o->n_buf ? o->buf[0] : NULL; /* [n] */
    const int64_t n = o->n;
#pragma omp parallel if (n >= PAR_MIN)
    {
        int64_t lo, hi;
        thread_range(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        sgd_range(&k, lo, hi, p, g, buf, mask);
    }
}

static void adamw_step(eip_train_optim_t *o, double lr, float *p, /* [n] */
                       const float *g, /* [n] */ const uint8_t *mask /* [n] */)
{
    const eip_train_optim_config *c = &o->cfg;
    const double t = (double)(o->steps + 1);
    const double bc1 = 1.0 - pow(c->beta1, t);
    const double bc2 = 1.0 - pow(c->beta2, t);
    const adamw_coef k = {(float)(1.0 - lr * c->weight_decay), (float)c->beta1, (float)(1.0 - c->beta1),
                          (float)c->beta2, (float)(1.0 - c->beta2), (float)-(lr / bc1),
                          (float)sqrt(bc2), (float)c->eps};
    const int64_t n = o->n;
#pragma omp parallel if (n >= PAR_MIN)
    {
        int64_t lo, hi;
        thread_range(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        adamw_range(&k, lo, hi, p, g, o->buf[0], o->buf[1], mask);
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
        sgd_step(opt, lr, params, grads, decay_mask ? decay_mask : opt->ones);
    else
        adamw_step(opt, lr, params, grads, decay_mask ? decay_mask : opt->ones);
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
