/* Dropout (PyTorch nn.Dropout): TRAIN zeroes each element with probability
 * p and scales the rest by 1/(1-p) (inverted dropout); EVAL / EVAL_GRAD are
 * the identity.  The mask comes from a counter-based splitmix64 stream owned
 * by the layer (seed, counter), so it is reproducible for any thread count.
 * Shapes: x, y [N, ...] in the producer's layout (elementwise over the
 * physical buffer; padding stays zero); mask [physical elements] floats in ws. */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

typedef struct dropout_layer {
    double p;
    uint64_t seed, counter;
} dropout_layer;

typedef struct dropout_state {
    int64_t count; /* physical elements of the activation */
    int bf16;      /* activation is bf16 (mixed precision), else f32 */
    size_t esz;    /* bytes per element */
} dropout_state;

static void dropout_state_free(void *p) { free(p); }

static eip_status dropout_plan(void *layer, const eip_nn_plan_in *in, void **state,
                               eip_nn_plan_out *out, eip_error *err)
{
    dropout_state *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", in->name);
    *state = s;
    out->out_md = *in->in_md[0];
    s->bf16 = in->in_md[0]->data_type == dnnl_bf16; /* mixed precision: bf16 activations */
    s->esz = s->bf16 ? 2 : sizeof(float);
    s->count = (int64_t)(eip_nn_md_bytes(in->in_md[0]) / s->esz);
    if (in->kind == EIP_NN_PK_TRAIN)
        out->ws_bytes = (size_t)s->count * sizeof(float);
    return EIP_OK;
}

static inline uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static eip_status dropout_forward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    dropout_layer *L = layer;
    dropout_state *s = state;
    const float *x = eip_nn_mem_ptr(ex->src[0]); /* [count] (f32 or bf16) */
    float *y = eip_nn_mem_ptr(ex->dst);          /* [count] (f32 or bf16) */
    const uint16_t *xb = (const uint16_t *)x;
    uint16_t *yb = (uint16_t *)y;
    int64_t n = s->count;
    if (ex->kind != EIP_NN_PK_TRAIN || L->p == 0.0) {
        memcpy(y, x, (size_t)n * s->esz);
        if (ex->kind == EIP_NN_PK_TRAIN)
            for (int64_t i = 0; i < n; i++)
                ((float *)ex->ws)[i] = 1.0f;
        return EIP_OK;
    }
    float *mask = (float *)ex->ws; /* [count] */
    float scale = (float)(1.0 / (1.0 - L->p));
    /* element i keeps iff u_i >= p, u_i = top 53 bits of mix(seed + golden*(counter+i)) */
    uint64_t base = L->counter, seed = L->seed;
    double p = L->p;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        uint64_t z = mix(seed + 0x9E3779B97F4A7C15ull * (base + (uint64_t)i + 1));
        double u = (double)(z >> 11) * (1.0 / 9007199254740992.0);
        mask[i] = u >= p ? scale : 0.0f;
        if (s->bf16)
            yb[i] = eip_nn_f32_to_bf16(eip_nn_bf16_to_f32(xb[i]) * mask[i]);
        else
            y[i] = x[i] * mask[i];
    }
    L->counter += (uint64_t)n;
    return EIP_OK;
}

static eip_status dropout_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    dropout_state *s = state;
    const float *dy = eip_nn_mem_ptr(ex->ddst); /* [count] (f32 or bf16) */
    float *dx = eip_nn_mem_ptr(ex->dsrc[0]);    /* [count] (f32 or bf16) */
    if (ex->kind != EIP_NN_PK_TRAIN) {
        memcpy(dx, dy, (size_t)s->count * s->esz);
        return EIP_OK;
    }
    const float *mask = (const float *)ex->ws;
    const uint16_t *dyb = (const uint16_t *)dy;
    uint16_t *dxb = (uint16_t *)dx;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < s->count; i++) {
        if (s->bf16)
            dxb[i] = eip_nn_f32_to_bf16(eip_nn_bf16_to_f32(dyb[i]) * mask[i]);
        else
            dx[i] = dy[i] * mask[i];
    }
    return EIP_OK;
}

static void dropout_reseed(void *layer, uint64_t seed)
{
    dropout_layer *L = layer;
    L->seed = seed;
    L->counter = 0;
}

static void dropout_free(void *layer) { free(layer); }

static const eip_nn_layer_vt dropout_vt = {
    "dropout", dropout_plan, dropout_forward, dropout_backward, dropout_state_free, NULL,
    dropout_reseed, dropout_free, 0, NULL, 0, NULL, 0,
};

eip_status eip_nn_dropout_add(eip_nn_net_t *net, const char *name, int in, double p, int *id,
                              eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "dropout", name, lb_, sizeof lb_);
    const eip_nn_shape *is = eip_nn_node_shape(net, in);
    if (!is)
        return eip_error_set(err, EIP_ERR_ARG, "dropout %s: bad input node", name);
    if (!(p >= 0.0 && p < 1.0))
        return eip_error_set(err, EIP_ERR_RANGE, "dropout %s: p=%g outside [0, 1)", name, p);
    dropout_layer *L = calloc(1, sizeof *L);
    if (!L)
        return eip_error_set(err, EIP_ERR_NOMEM, "dropout %s", name);
    L->p = p;
    L->seed = 0x5EEDull;
    return eip_nn_net_add(net, &dropout_vt, L, name, &in, 1, is, id, err);
}
