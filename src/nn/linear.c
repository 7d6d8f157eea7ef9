/* Fully connected layer (PyTorch Linear) over oneDNN inner product.
 * Shapes: x [N, F] (plain, after flatten) -> y [N, O] (plain);
 * weight [O, F] (master copy, row-major), bias [O].
 * The weights use format `any` (reordered in when stale); src and dst stay
 * plain, so the logits leave the net without a reorder. */
#include <math.h>
#include <stdlib.h>

#include "nn/nn_internal.h"

typedef struct linear_layer {
    int64_t in_f, out_f;
    int bias;
    int64_t w_off, b_off;
} linear_layer;

static eip_status linear_plan(void *layer, const eip_nn_plan_in *in, void **state,
                              eip_nn_plan_out *out, eip_error *err)
{
    linear_layer *L = layer;
    const char *nm = in->name;
    eip_nn_wstate *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", nm);
    *state = s;
    s->train = in->kind != EIP_NN_PK_INFER;
    dnnl_memory_desc_t src_md, dst_md, w_any, w_user, b_md;
    dnnl_dims_t sd = {in->n, L->in_f}, dd = {in->n, L->out_f}, wd = {L->out_f, L->in_f}, bd = {L->out_f};
    dnnl_memory_desc_t dw_any; /* bf16: diff weights stay f32 (into the fp32 master grads) */
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&src_md, 2, sd, in->dt, dnnl_ab), nm, "src desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&dst_md, 2, dd, in->dt, dnnl_ab), nm, "dst desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&w_any, 2, wd, in->dt, dnnl_format_tag_any), nm, "weights desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&dw_any, 2, wd, dnnl_f32, dnnl_format_tag_any), nm, "weights desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&w_user, 2, wd, dnnl_f32, dnnl_ab), nm, "weights desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_a), nm, "bias desc");
    const dnnl_memory_desc_t *bias_md = L->bias ? &b_md : NULL;
    out->out_md = dst_md;

    dnnl_inner_product_desc_t id;
    EIP_NN_TRY(dnnl_inner_product_forward_desc_init(&id, s->train ? dnnl_forward_training : dnnl_forward_inference,
                                                    &src_md, &w_any, bias_md, &dst_md),
               nm, "inner product forward desc");
    EIP_NN_OK(eip_nn_prim_make(&s->fwd, &id, in->eng, NULL, NULL, &out->scratch_bytes, nm,
                               "inner product forward", err));
    const dnnl_memory_desc_t *w_md = eip_nn_prim_md(&s->fwd, dnnl_query_weights_md, 0);
    EIP_NN_OK(eip_nn_wts_make(&s->w_fwd, &w_user, w_md, in->wcache, L->w_off, in->eng,
                              &out->scratch_bytes, nm, err));
    if (L->bias)
        EIP_NN_OK(eip_nn_mem_new(&s->bias, &b_md, in->eng, nm, err));
    if (s->train) {
        EIP_NN_TRY(dnnl_inner_product_backward_data_desc_init(&id, &src_md, &w_any, &dst_md), nm,
                   "inner product backward data desc");
        EIP_NN_OK(eip_nn_prim_make(&s->bwd_d, &id, in->eng, s->fwd.pd, NULL, &out->scratch_bytes,
                                   nm, "inner product backward data", err));
        const dnnl_memory_desc_t *wb_md = eip_nn_prim_md(&s->bwd_d, dnnl_query_weights_md, 0);
        s->bwd_w_same = dnnl_memory_desc_equal(wb_md, w_md);
        if (!s->bwd_w_same)
            EIP_NN_OK(eip_nn_wts_make(&s->w_bwd, &w_user, wb_md, in->wcache, L->w_off,
                                      in->eng, &out->scratch_bytes, nm, err));
        EIP_NN_TRY(dnnl_inner_product_backward_weights_desc_init(&id, &src_md, &dw_any, bias_md, &dst_md),
                   nm, "inner product backward weights desc");
        EIP_NN_OK(eip_nn_prim_make(&s->bwd_w, &id, in->eng, s->fwd.pd, NULL, &out->scratch_bytes,
                                   nm, "inner product backward weights", err));
        const dnnl_memory_desc_t *dw_md = eip_nn_prim_md(&s->bwd_w, dnnl_query_diff_weights_md, 0);
        EIP_NN_OK(eip_nn_wgrad_make(&s->gw, dw_md, &w_user, in->eng, &out->scratch_bytes, nm, err));
        out->wdiff_bytes = eip_nn_align(s->gw.bytes) + (L->bias ? eip_nn_align((size_t)L->out_f * sizeof(float)) : 0);
        if (L->bias)
            EIP_NN_OK(eip_nn_mem_new(&s->dbias, &b_md, in->eng, nm, err));
    }
    EIP_NN_OK(eip_nn_adapt_make(&s->in, in->in_md[0], &src_md, s->train ? &src_md : NULL, in->eng,
                                &out->scratch_bytes, nm, err));
    out->ws_bytes = s->in.bytes_f + s->in.bytes_b;
    return EIP_OK;
}

static eip_status linear_forward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    linear_layer *L = layer;
    eip_nn_wstate *s = state;
    dnnl_memory_t src;
    EIP_NN_OK(eip_nn_adapt_src(&s->in, ex, ex->src[0], ex->ws, &src, err));
    EIP_NN_OK(eip_nn_wts_sync(&s->w_fwd, ex->params + L->w_off, ex, err));
    if (L->bias)
        EIP_NN_OK(eip_nn_mem_bind(s->bias, ex->params + L->b_off, ex->name, err));
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s->w_fwd.prim},
                            {DNNL_ARG_DST, ex->dst}, {DNNL_ARG_BIAS, s->bias}};
    return eip_nn_prim_run(&s->fwd, ex, a, L->bias ? 4 : 3, "inner product forward", err);
}

static eip_status linear_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    linear_layer *L = layer;
    return eip_nn_wstate_backward(state, ex, L->w_off, L->bias ? L->b_off : -1, L->out_f,
                                  "inner product", err);
}

static void linear_init(void *layer, float *params, float *bufs, int64_t *counters, uint64_t *rng)
{
    linear_layer *L = layer;
    double bound = 1.0 / sqrt((double)L->in_f); /* kaiming_uniform(a=sqrt(5)) */
    eip_nn_fill_uniform(params + L->w_off, L->out_f * L->in_f, bound, rng);
    if (L->bias)
        eip_nn_fill_uniform(params + L->b_off, L->out_f, bound, rng);
}

static void linear_free(void *layer) { free(layer); }

static int64_t linear_macs(const void *layer, const eip_nn_shape *out)
{
    const linear_layer *L = layer;
    (void)out;
    return L->in_f * L->out_f;
}

static const eip_nn_layer_vt linear_vt = {
    "linear", linear_plan, linear_forward, linear_backward, eip_nn_wstate_free, linear_init, NULL,
    linear_free, 1, linear_macs, 1, NULL, 0,
};

eip_status eip_nn_linear_add(eip_nn_net_t *net, const char *name, int in, int64_t out_f,
                             int bias, int *id, eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "linear", name, lb_, sizeof lb_);
    const eip_nn_shape *is = eip_nn_node_shape(net, in);
    if (!is)
        return eip_error_set(err, EIP_ERR_ARG, "linear %s: bad input node", name);
    if (is->ndim != 1)
        return eip_error_set(err, EIP_ERR_SHAPE,
                             "linear %s: input is [%lld, %lld, %lld], needs a flat [F] input (add flatten)",
                             name, (long long)is->c, (long long)is->h, (long long)is->w);
    if (out_f < 1 || out_f > (1 << 24))
        return eip_error_set(err, EIP_ERR_RANGE, "linear %s: bad out=%lld", name, (long long)out_f);
    linear_layer *L = calloc(1, sizeof *L);
    if (!L)
        return eip_error_set(err, EIP_ERR_NOMEM, "linear %s", name);
    *L = (linear_layer){is->c, out_f, bias != 0, 0, 0};
    int64_t wshape[2] = {out_f, is->c};
    eip_status s = eip_nn_net_tensor(net, name, "weight", EIP_NN_TENSOR_PARAM, 2, wshape, &L->w_off, err);
    if (s == EIP_OK && L->bias)
        s = eip_nn_net_tensor(net, name, "bias", EIP_NN_TENSOR_PARAM, 1, &out_f, &L->b_off, err);
    if (s != EIP_OK) {
        free(L);
        return s;
    }
    eip_nn_shape os = {1, out_f, 1, 1};
    return eip_nn_net_add(net, &linear_vt, L, name, &in, 1, &os, id, err);
}
