/* Max / average pooling and global average pooling (oneDNN pooling_v2).
 * Shapes: x [N, C, H, W] -> y [N, C, OH, OW], OH = (H + 2p - k) / s + 1
 * (floor, PyTorch ceil_mode=False); GAP: k = H x W, y [N, C, 1, 1].
 * Max pooling pads with -inf (padded cells never win), as PyTorch does; its
 * backward needs the forward workspace (arg-max indices), kept in the arena.
 * Average pooling counts the padding (PyTorch count_include_pad=True).
 * dst uses format `any` over the producer's layout, which oneDNN keeps. */
#include <stdlib.h>

#include "nn/nn_internal.h"

typedef struct pool_layer {
    eip_nn_pool_alg alg;
    int64_t kh, kw, stride, pad;
} pool_layer;

typedef struct pool_state {
    eip_nn_prim fwd, bwd;
    dnnl_memory_t ws;
    int train;
} pool_state;

static void pool_state_free(void *p)
{
    pool_state *s = p;
    if (!s)
        return;
    eip_nn_prim_free(&s->fwd);
    eip_nn_prim_free(&s->bwd);
    eip_nn_mem_free(&s->ws);
    free(s);
}

static eip_status pool_plan(void *layer, const eip_nn_plan_in *in, void **state,
                            eip_nn_plan_out *out, eip_error *err)
{
    pool_layer *L = layer;
    const char *nm = in->name;
    pool_state *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", nm);
    *state = s;
    s->train = in->kind != EIP_NN_PK_INFER;
    dnnl_memory_desc_t dst_any;
    EIP_NN_OK(eip_nn_md_any(&dst_any, in->n, in->out_shape, in->in_md[0]->data_type, err));
    dnnl_alg_kind_t alg = L->alg == EIP_NN_POOL_MAX ? dnnl_pooling_max : dnnl_pooling_avg_include_padding;
    dnnl_dims_t st = {L->stride, L->stride}, k = {L->kh, L->kw}, dil = {0, 0}, pad = {L->pad, L->pad};
    dnnl_pooling_v2_desc_t pd;
    EIP_NN_TRY(dnnl_pooling_v2_forward_desc_init(&pd, s->train ? dnnl_forward_training : dnnl_forward_inference,
                                                 alg, in->in_md[0], &dst_any, st, k, dil, pad, pad),
               nm, "pooling forward desc");
    EIP_NN_OK(eip_nn_prim_make(&s->fwd, &pd, in->eng, NULL, NULL, &out->scratch_bytes, nm,
                               "pooling forward", err));
    const dnnl_memory_desc_t *dst_md = eip_nn_prim_md(&s->fwd, dnnl_query_dst_md, 0);
    out->out_md = *dst_md;
    const dnnl_memory_desc_t *wmd = eip_nn_prim_md(&s->fwd, dnnl_query_workspace_md, 0);
    if (wmd && eip_nn_md_bytes(wmd) > 0) {
        EIP_NN_OK(eip_nn_mem_new(&s->ws, wmd, in->eng, nm, err));
        out->ws_bytes = eip_nn_md_bytes(wmd);
    }
    if (s->train) {
        EIP_NN_TRY(dnnl_pooling_v2_backward_desc_init(&pd, alg, in->in_md[0], dst_md, st, k, dil,
                                                      pad, pad),
                   nm, "pooling backward desc");
        EIP_NN_OK(eip_nn_prim_make(&s->bwd, &pd, in->eng, s->fwd.pd, NULL, &out->scratch_bytes,
                                   nm, "pooling backward", err));
    }
    return EIP_OK;
}

static eip_status pool_forward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    pool_state *s = state;
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_SRC, ex->src[0]}, {DNNL_ARG_DST, ex->dst},
                            {DNNL_ARG_WORKSPACE, s->ws}};
    if (s->ws)
        EIP_NN_OK(eip_nn_mem_bind(s->ws, ex->ws, ex->name, err));
    return eip_nn_prim_run(&s->fwd, ex, a, s->ws ? 3 : 2, "pooling forward", err);
}

static eip_status pool_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    pool_state *s = state;
    if (!s->train)
        return eip_error_set(err, EIP_ERR_STATE, "layer %s: planned without backward", ex->name);
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_DST, ex->ddst}, {DNNL_ARG_DIFF_SRC, ex->dsrc[0]},
                            {DNNL_ARG_WORKSPACE, s->ws}};
    if (s->ws)
        EIP_NN_OK(eip_nn_mem_bind(s->ws, ex->ws, ex->name, err));
    return eip_nn_prim_run(&s->bwd, ex, a, s->ws ? 3 : 2, "pooling backward", err);
}

static void pool_free(void *layer) { free(layer); }

static const eip_nn_layer_vt pool_vt = {
    "pool", pool_plan, pool_forward, pool_backward, pool_state_free, NULL, NULL, pool_free, 0, NULL, 0, NULL, 0,
};

static eip_status pool_add(eip_nn_net_t *net, const char *name, int in, eip_nn_pool_alg alg,
                           int64_t kh, int64_t kw, int64_t stride, int64_t pad, int *id,
                           eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "pool", name, lb_, sizeof lb_);
    const eip_nn_shape *is = eip_nn_node_shape(net, in);
    if (!is)
        return eip_error_set(err, EIP_ERR_ARG, "pool %s: bad input node", name);
    if (is->ndim != 3)
        return eip_error_set(err, EIP_ERR_SHAPE, "pool %s: input must be [C, H, W]", name);
    if (kh < 1 || kw < 1 || stride < 1 || pad < 0 || kh > 1024 || kw > 1024 || stride > 1024)
        return eip_error_set(err, EIP_ERR_RANGE, "pool %s: bad k=%lld stride=%lld pad=%lld", name,
                             (long long)kh, (long long)stride, (long long)pad);
    if (2 * pad > kh || 2 * pad > kw) /* PyTorch: pad should be at most half of kernel size */
        return eip_error_set(err, EIP_ERR_RANGE, "pool %s: pad %lld is more than half the kernel",
                             name, (long long)pad);
    if (is->h + 2 * pad < kh || is->w + 2 * pad < kw)
        return eip_error_set(err, EIP_ERR_SHAPE, "pool %s: kernel %lldx%lld larger than input %lldx%lld (+pad %lld)",
                             name, (long long)kh, (long long)kw, (long long)is->h, (long long)is->w,
                             (long long)pad);
    pool_layer *L = calloc(1, sizeof *L);
    if (!L)
        return eip_error_set(err, EIP_ERR_NOMEM, "pool %s", name);
    *L = (pool_layer){alg, kh, kw, stride, pad};
    eip_nn_shape os = {3, is->c, (is->h + 2 * pad - kh) / stride + 1, (is->w + 2 * pad - kw) / stride + 1};
    return eip_nn_net_add(net, &pool_vt, L, name, &in, 1, &os, id, err);
}

eip_status eip_nn_pool_add(eip_nn_net_t *net, const char *name, int in, eip_nn_pool_alg alg,
                           int64_t k, int64_t stride, int64_t pad, int *id, eip_error *err)
{
    return pool_add(net, name, in, alg, k, k, stride, pad, id, err);
}

eip_status eip_nn_gap_add(eip_nn_net_t *net, const char *name, int in, int *id, eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "gap", name, lb_, sizeof lb_);
    const eip_nn_shape *is = eip_nn_node_shape(net, in);
    if (!is)
        return eip_error_set(err, EIP_ERR_ARG, "gap %s: bad input node", name);
    if (is->ndim != 3)
        return eip_error_set(err, EIP_ERR_SHAPE, "gap %s: input must be [C, H, W]", name);
    return pool_add(net, name, in, EIP_NN_POOL_AVG, is->h, is->w, 1, 0, id, err);
}
