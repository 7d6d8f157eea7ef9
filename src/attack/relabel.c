/* Relabelling a protected model's confused outputs with k labelled images
 * and no key (issue 17 item 3; README threat model "what it does not
 * protect against").  EncryIP maps every class to one fixed codeword
 * (paper section 4.2, "the first encryption result as the ciphertext for
 * each label"), so the model's outputs are a relabelling of the classes:
 * learning the map back needs labelled examples, not the key.
 *
 * Shape legend: k labelled images, n images to label, S codebook slots,
 * D model outputs (features), z classes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/attack.h"

eip_status eip_attack_relabel_vote_fit(const int64_t *slots, const int32_t *labels, int64_t k,
                                       int64_t s, int32_t classes, eip_attack_relabel_vote *out,
                                       eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (k < 1 || s < 1 || classes < 2)
        return eip_error_set(err, EIP_ERR_ARG,
                             "relabel vote: need k >= 1 images, >= 1 slot, >= 2 classes "
                             "(k=%lld, slots=%lld, classes=%d)",
                             (long long)k, (long long)s, (int)classes);
    for (int64_t i = 0; i < k; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return eip_error_set(err, EIP_ERR_RANGE, "relabel vote: label %d of image %lld out of "
                                 "range 0..%d", (int)labels[i], (long long)i, (int)classes - 1);
    int64_t *cnt = calloc((size_t)(s + 1) * (size_t)classes, sizeof *cnt); /* [S + 1, z]; row S = all */
    out->label = malloc((size_t)s * sizeof *out->label);
    if (!cnt || !out->label) {
        free(cnt);
        free(out->label);
        out->label = NULL;
        return eip_error_set(err, EIP_ERR_NOMEM, "relabel vote (%lld slots): out of memory",
                             (long long)s);
    }
    for (int64_t i = 0; i < k; i++) {
        cnt[s * classes + labels[i]]++;
        if (slots[i] >= 0 && slots[i] < s)
            cnt[slots[i] * classes + labels[i]]++;
    }
    int32_t fallback = 0;
    for (int32_t y = 1; y < classes; y++)
        if (cnt[s * classes + y] > cnt[s * classes + fallback])
            fallback = y;
    for (int64_t j = 0; j < s; j++) {
        const int64_t *row = cnt + j * classes;
        int32_t best = 0;
        for (int32_t y = 1; y < classes; y++)
            if (row[y] > row[best])
                best = y;
        if (row[best] > 0)
            out->seen++;
        out->label[j] = row[best] > 0 ? best : fallback;
    }
    out->slots = s;
    out->classes = classes;
    out->fallback = fallback;
    free(cnt);
    return EIP_OK;
}

void eip_attack_relabel_vote_apply(const eip_attack_relabel_vote *v, const int64_t *slots,
                                   int64_t n, int32_t *out)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = slots[i] >= 0 && slots[i] < v->slots ? v->label[slots[i]] : v->fallback;
}

void eip_attack_relabel_vote_free(eip_attack_relabel_vote *v)
{
    if (!v)
        return;
    free(v->label);
    memset(v, 0, sizeof *v);
}

eip_attack_relabel_head_config eip_attack_relabel_head_config_default(void)
{
    return (eip_attack_relabel_head_config){.steps = 300, .lr = 0.5, .l2 = 1e-3};
}

void eip_attack_relabel_head_free(eip_attack_relabel_head *h)
{
    if (!h)
        return;
    free(h->mean);
    free(h->std);
    free(h->w);
    free(h->b);
    memset(h, 0, sizeof *h);
}

/* logits [z] = W f + b for one standardised feature row f [D]. */
static void head_logits(const eip_attack_relabel_head *h, const float *f, double *logit)
{
    for (int32_t c = 0; c < h->classes; c++) {
        double a = h->b[c];
        const float *w = h->w + (int64_t)c * h->dim;
        for (int64_t d = 0; d < h->dim; d++)
            a += (double)w[d] * f[d];
        logit[c] = a;
    }
}

eip_status eip_attack_relabel_head_fit(const float *x, const int32_t *labels, int64_t k,
                                       int64_t dim, int32_t classes,
                                       const eip_attack_relabel_head_config *cfg,
                                       eip_attack_relabel_head *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (k < 1 || dim < 1 || classes < 2 || cfg->steps < 1 || !(cfg->lr > 0) || !(cfg->l2 >= 0))
        return eip_error_set(err, EIP_ERR_ARG,
                             "relabel head: need k >= 1, dim >= 1, classes >= 2, steps >= 1, "
                             "lr > 0, l2 >= 0");
    for (int64_t i = 0; i < k; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return eip_error_set(err, EIP_ERR_RANGE, "relabel head: label %d of image %lld out of "
                                 "range 0..%d", (int)labels[i], (long long)i, (int)classes - 1);
    out->dim = dim;
    out->classes = classes;
    out->mean = calloc((size_t)dim, sizeof *out->mean);
    out->std = calloc((size_t)dim, sizeof *out->std);
    out->w = calloc((size_t)dim * (size_t)classes, sizeof *out->w);
    out->b = calloc((size_t)classes, sizeof *out->b);
    float *f = malloc((size_t)k * (size_t)dim * sizeof *f);          /* [k, D] standardised */
    double *gw = malloc((size_t)dim * (size_t)classes * sizeof *gw); /* [z, D] */
    double *gb = malloc((size_t)classes * sizeof *gb);               /* [z] */
    double *p = malloc((size_t)classes * sizeof *p);                 /* [z] */
    if (!out->mean || !out->std || !out->w || !out->b || !f || !gw || !gb || !p) {
        free(f);
        free(gw);
        free(gb);
        free(p);
        eip_attack_relabel_head_free(out);
        return eip_error_set(err, EIP_ERR_NOMEM, "relabel head (%lld x %lld): out of memory",
                             (long long)k, (long long)dim);
    }
    for (int64_t d = 0; d < dim; d++) {
        double m = 0, v = 0;
        for (int64_t i = 0; i < k; i++)
            m += x[i * dim + d];
        m /= (double)k;
        for (int64_t i = 0; i < k; i++)
            v += (x[i * dim + d] - m) * (x[i * dim + d] - m);
        v = sqrt(v / (double)k);
        out->mean[d] = (float)m;
        out->std[d] = (float)(v > 1e-6 ? v : 1.0); /* a constant output carries nothing */
        for (int64_t i = 0; i < k; i++)
            f[i * dim + d] = (float)((x[i * dim + d] - m) / out->std[d]);
    }
    /* Full-batch gradient descent on mean cross-entropy + l2/2 |W|^2 (convex,
     * so the result does not depend on a seed). */
    for (int64_t step = 0; step < cfg->steps; step++) {
        memset(gw, 0, (size_t)dim * (size_t)classes * sizeof *gw);
        memset(gb, 0, (size_t)classes * sizeof *gb);
        for (int64_t i = 0; i < k; i++) {
            const float *fi = f + i * dim;
            head_logits(out, fi, p);
            double mx = p[0], sum = 0;
            for (int32_t c = 1; c < classes; c++)
                mx = p[c] > mx ? p[c] : mx;
            for (int32_t c = 0; c < classes; c++)
                sum += (p[c] = exp(p[c] - mx));
            for (int32_t c = 0; c < classes; c++) {
                double g = p[c] / sum - (c == labels[i]);
                gb[c] += g;
                double *gwc = gw + (int64_t)c * dim;
                for (int64_t d = 0; d < dim; d++)
                    gwc[d] += g * fi[d];
            }
        }
        for (int32_t c = 0; c < classes; c++) {
            out->b[c] -= (float)(cfg->lr * gb[c] / (double)k);
            float *w = out->w + (int64_t)c * dim;
            const double *gwc = gw + (int64_t)c * dim;
            for (int64_t d = 0; d < dim; d++)
                w[d] -= (float)(cfg->lr * (gwc[d] / (double)k + cfg->l2 * w[d]));
        }
    }
    free(f);
    free(gw);
    free(gb);
    free(p);
    return EIP_OK;
}

eip_status eip_attack_relabel_head_apply(const eip_attack_relabel_head *h, const float *x,
                                         int64_t n, int32_t *out, eip_error *err)
{
    float *f = malloc((size_t)h->dim * sizeof *f);                   /* [D] */
    double *logit = malloc((size_t)h->classes * sizeof *logit);      /* [z] */
    if (!f || !logit) {
        free(f);
        free(logit);
        return eip_error_set(err, EIP_ERR_NOMEM, "relabel head: out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t best = 0;
        for (int64_t d = 0; d < h->dim; d++)
            f[d] = (x[i * h->dim + d] - h->mean[d]) / h->std[d];
        head_logits(h, f, logit);
        for (int32_t c = 1; c < h->classes; c++)
            if (logit[c] > logit[best])
                best = c;
        out[i] = best;
    }
    free(f);
    free(logit);
    return EIP_OK;
}
