/* 2-D convolution (PyTorch Conv2d: square kernel k, stride, zero padding,
 * optional bias) over oneDNN's direct convolution.
 * Shapes: x [N, I, H, W] -> y [N, O, OH, OW], OH = (H + 2p - k) / s + 1
 * (floor); weight [O, I, k, k] (OIHW master copy), bias [O].
 * Activations are nChw16c (the layout oneDNN's AVX-512 kernels want), the
 * image input plain NCHW; weights use format `any` (OIhw16i16o, ...); the plain master weights are reordered in when
 * stale and diff weights are reordered back with accumulation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

typedef struct conv_layer {
    int64_t ci, co, k, stride, pad;
    int bias;
    int64_t w_off, b_off; /* into params / grads */
} conv_layer;

static eip_status conv_plan(void *layer, const eip_nn_plan_in *in, void **state,
                            eip_nn_plan_out *out, eip_error *err)
{
    conv_layer *L = layer;
    const char *nm = in->name;
    eip_nn_wstate *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", nm);
    *state = s;
    s->train = in->kind != EIP_NN_PK_INFER;
    const eip_nn_shape *os = in->out_shape;
    dnnl_memory_desc_t src_any, dst_any, w_any, w_user, b_md;
    dnnl_dims_t sd = {in->n, L->ci, in->in_shape[0]->h, in->in_shape[0]->w};
    dnnl_dims_t dd = {in->n, L->co, os->h, os->w};
    dnnl_dims_t wd = {L->co, L->ci, L->k, L->k};
    dnnl_dims_t bd = {L->co};
    dnnl_dims_t st = {L->stride, L->stride}, pad = {L->pad, L->pad};
    /* src layout: oneDNN's `any` picks plain NCHW for small I (the first-layer
     * path) and its backward weights then falls back to the slow reference
     * implementation; so only a plain few-channel input (the image) gets
     * `any`, every inner conv reads nChw16c (padded if I % 16 != 0). */
    dnnl_memory_desc_t plain_in;
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&plain_in, 4, sd, dnnl_f32, dnnl_abcd), nm, "src desc");
    int first = L->ci <= 4 && dnnl_memory_desc_equal(in->in_md[0], &plain_in);
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&src_any, 4, sd, dnnl_f32, first ? dnnl_format_tag_any : dnnl_aBcd16b),
               nm, "src desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&dst_any, 4, dd, dnnl_f32, dnnl_aBcd16b), nm, "dst desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dnnl_f32, dnnl_format_tag_any), nm, "weights desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&w_user, 4, wd, dnnl_f32, dnnl_oihw), nm, "weights desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_a), nm, "bias desc");
    const dnnl_memory_desc_t *bias_md = L->bias ? &b_md : NULL;

    dnnl_convolution_desc_t cd;
    EIP_NN_TRY(dnnl_convolution_forward_desc_init(&cd, s->train ? dnnl_forward_training : dnnl_forward_inference,
                                                  dnnl_convolution_direct, &src_any, &w_any, bias_md,
                                                  &dst_any, st, pad, pad),
               nm, "convolution forward desc");
    EIP_NN_OK(eip_nn_prim_make(&s->fwd, &cd, in->eng, NULL, NULL, &out->scratch_bytes, nm,
                               "convolution forward", err));
    const dnnl_memory_desc_t *src_md = eip_nn_prim_md(&s->fwd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *w_md = eip_nn_prim_md(&s->fwd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dst_md = eip_nn_prim_md(&s->fwd, dnnl_query_dst_md, 0);
    out->out_md = *dst_md;
    EIP_NN_OK(eip_nn_wts_make(&s->w_fwd, &w_user, w_md, in->wcache, L->w_off, in->eng,
                              &out->scratch_bytes, nm, err));
    if (L->bias)
        EIP_NN_OK(eip_nn_mem_new(&s->bias, &b_md, in->eng, nm, err));

    const dnnl_memory_desc_t *dsrc_md = NULL;
    if (s->train) {
        dnnl_memory_desc_t dsrc_any = src_any;
        EIP_NN_TRY(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &dsrc_any,
                                                            &w_any, dst_md, st, pad, pad),
                   nm, "convolution backward data desc");
        EIP_NN_OK(eip_nn_prim_make(&s->bwd_d, &cd, in->eng, s->fwd.pd, NULL, &out->scratch_bytes,
                                   nm, "convolution backward data", err));
        dsrc_md = eip_nn_prim_md(&s->bwd_d, dnnl_query_diff_src_md, 0);
        const dnnl_memory_desc_t *wb_md = eip_nn_prim_md(&s->bwd_d, dnnl_query_weights_md, 0);
        s->bwd_w_same = dnnl_memory_desc_equal(wb_md, w_md);
        if (!s->bwd_w_same)
            EIP_NN_OK(eip_nn_wts_make(&s->w_bwd, &w_user, wb_md, in->wcache, L->w_off,
                                      in->eng, &out->scratch_bytes, nm, err));

        EIP_NN_TRY(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, src_md,
                                                               &w_any, bias_md, dst_md, st, pad, pad),
                   nm, "convolution backward weights desc");
        EIP_NN_OK(eip_nn_prim_make(&s->bwd_w, &cd, in->eng, s->fwd.pd, NULL, &out->scratch_bytes,
                                   nm, "convolution backward weights", err));
        const dnnl_memory_desc_t *dw_md = eip_nn_prim_md(&s->bwd_w, dnnl_query_diff_weights_md, 0);
        EIP_NN_OK(eip_nn_wgrad_make(&s->gw, dw_md, &w_user, in->eng, &out->scratch_bytes, nm, err));
        out->wdiff_bytes = eip_nn_align(s->gw.bytes) + (L->bias ? eip_nn_align((size_t)L->co * sizeof(float)) : 0);
        if (L->bias)
            EIP_NN_OK(eip_nn_mem_new(&s->dbias, &b_md, in->eng, nm, err));
    }
    EIP_NN_OK(eip_nn_adapt_make(&s->in, in->in_md[0], src_md, dsrc_md, in->eng,
                                &out->scratch_bytes, nm, err));
    out->ws_bytes = s->in.bytes_f + s->in.bytes_b;
    return EIP_OK;
}

static eip_status conv_forward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    conv_layer *L = layer;
    eip_nn_wstate *s = state;
    dnnl_memory_t src;
    EIP_NN_OK(eip_nn_adapt_src(&s->in, ex, ex->src[0], ex->ws, &src, err));
    EIP_NN_OK(eip_nn_wts_sync(&s->w_fwd, ex->params + L->w_off, ex, err));
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s->w_fwd.prim},
                            {DNNL_ARG_DST, ex->dst}, {DNNL_ARG_BIAS, s->bias}};
    if (L->bias)
        EIP_NN_OK(eip_nn_mem_bind(s->bias, ex->params + L->b_off, ex->name, err));
    return eip_nn_prim_run(&s->fwd, ex, a, L->bias ? 4 : 3, "convolution forward", err);
}

static eip_status conv_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    conv_layer *L = layer;
    eip_nn_wstate *s = state;
    if (!s->train)
        return eip_error_set(err, EIP_ERR_STATE, "layer %s: planned without backward", ex->name);
    dnnl_memory_t src;
    EIP_NN_OK(eip_nn_adapt_src(&s->in, ex, ex->src[0], ex->ws, &src, err));
    /* diff weights (+ bias) into the shared scratch, then accumulated into grads */
    EIP_NN_OK(eip_nn_mem_bind(s->gw.prim, ex->wdiff, ex->name, err));
    EIP_NN_OK(eip_nn_mem_bind(s->gw.user, ex->grads + L->w_off, ex->name, err));
    float *db = (float *)(ex->wdiff + eip_nn_align(s->gw.bytes)); /* [O] */
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ex->ddst},
                            {DNNL_ARG_DIFF_WEIGHTS, s->gw.prim}, {DNNL_ARG_DIFF_BIAS, s->dbias}};
    if (L->bias)
        EIP_NN_OK(eip_nn_mem_bind(s->dbias, db, ex->name, err));
    EIP_NN_OK(eip_nn_prim_run(&s->bwd_w, ex, a, L->bias ? 4 : 3, "convolution backward weights", err));
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, s->gw.prim}, {DNNL_ARG_TO, s->gw.user}};
    EIP_NN_OK(eip_nn_prim_run(&s->gw.acc, ex, r, 2, "diff weights accumulate", err));
    if (L->bias) {
        float *gb = ex->grads + L->b_off; /* [O] */
        for (int64_t o = 0; o < L->co; o++)
            gb[o] += db[o];
    }
    if (!ex->dsrc[0])
        return EIP_OK; /* e.g. first layer without input gradient: skip backward data */
    dnnl_memory_t dsrc;
    EIP_NN_OK(eip_nn_adapt_dsrc(&s->in, ex, ex->dsrc[0], ex->ws, &dsrc, err));
    eip_nn_wts *w = s->bwd_w_same ? &s->w_fwd : &s->w_bwd;
    EIP_NN_OK(eip_nn_wts_sync(w, ex->params + L->w_off, ex, err));
    dnnl_exec_arg_t d[3] = {{DNNL_ARG_DIFF_DST, ex->ddst}, {DNNL_ARG_WEIGHTS, w->prim},
                            {DNNL_ARG_DIFF_SRC, dsrc}};
    EIP_NN_OK(eip_nn_prim_run(&s->bwd_d, ex, d, 3, "convolution backward data", err));
    return eip_nn_adapt_finish(&s->in, ex, ex->dsrc[0], err);
}

static void conv_init(void *layer, float *params, float *bufs, int64_t *counters, uint64_t *rng)
{
    conv_layer *L = layer;
    /* PyTorch default: kaiming_uniform(a=sqrt(5)) -> U(+-1/sqrt(fan_in)); bias the same bound */
    double bound = 1.0 / sqrt((double)(L->ci * L->k * L->k));
    eip_nn_fill_uniform(params + L->w_off, L->co * L->ci * L->k * L->k, bound, rng);
    if (L->bias)
        eip_nn_fill_uniform(params + L->b_off, L->co, bound, rng);
}

static void conv_free(void *layer) { free(layer); }

static int64_t conv_macs(const void *layer, const eip_nn_shape *out)
{
    const conv_layer *L = layer;
    return L->co * L->ci * L->k * L->k * out->h * out->w;
}

static const eip_nn_layer_vt conv_vt = {
    "conv", conv_plan, conv_forward, conv_backward, eip_nn_wstate_free, conv_init, NULL, conv_free, 1,
    conv_macs,
};

eip_status eip_nn_conv_add(eip_nn_net_t *net, const char *name, int in, int64_t out_c,
                           int64_t k, int64_t stride, int64_t pad, int bias, int *id,
                           eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "conv", name, lb_, sizeof lb_);
    const eip_nn_shape *is = eip_nn_node_shape(net, in);
    if (!is)
        return eip_error_set(err, EIP_ERR_ARG, "conv %s: bad input node", name);
    if (is->ndim != 3)
        return eip_error_set(err, EIP_ERR_SHAPE, "conv %s: input must be [C, H, W], got a flat [%lld]",
                             name, (long long)is->c);
    if (out_c < 1 || k < 1 || stride < 1 || pad < 0 || out_c > (1 << 20) || k > 64 || stride > 64 || pad > 64)
        return eip_error_set(err, EIP_ERR_RANGE, "conv %s: bad out=%lld k=%lld stride=%lld pad=%lld",
                             name, (long long)out_c, (long long)k, (long long)stride, (long long)pad);
    if (is->h + 2 * pad < k || is->w + 2 * pad < k)
        return eip_error_set(err, EIP_ERR_SHAPE, "conv %s: kernel %lld larger than padded input %lldx%lld",
                             name, (long long)k, (long long)(is->h + 2 * pad), (long long)(is->w + 2 * pad));
    conv_layer *L = calloc(1, sizeof *L);
    if (!L)
        return eip_error_set(err, EIP_ERR_NOMEM, "conv %s", name);
    *L = (conv_layer){is->c, out_c, k, stride, pad, bias != 0, 0, 0};
    eip_nn_shape os = {3, out_c, (is->h + 2 * pad - k) / stride + 1, (is->w + 2 * pad - k) / stride + 1};
    int64_t wshape[4] = {out_c, is->c, k, k};
    eip_status s = eip_nn_net_tensor(net, name, "weight", EIP_NN_TENSOR_PARAM, 4, wshape, &L->w_off, err);
    if (s == EIP_OK && L->bias)
        s = eip_nn_net_tensor(net, name, "bias", EIP_NN_TENSOR_PARAM, 1, &out_c, &L->b_off, err);
    if (s != EIP_OK) {
        free(L);
        return s;
    }
    return eip_nn_net_add(net, &conv_vt, L, name, &in, 1, &os, id, err);
}
