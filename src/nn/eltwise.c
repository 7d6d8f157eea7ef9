/* ReLU and residual add (optionally followed by a fused ReLU).
 * Shapes: relu x, y [N, C, H, W] or [N, F], producer's layout kept;
 * add a, b, y [N, C, H, W] (same shape), y in a's layout.
 * ReLU backward uses the output (dnnl_eltwise_relu_use_dst_for_bwd):
 * dy * (y > 0), the same mask as PyTorch's (x > 0).  The add uses a oneDNN
 * binary primitive with a ReLU post-op; its backward masks dy once and hands
 * the same diff to both inputs (reordered if b's layout differs). */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

/* ---------------- ReLU ---------------- */

typedef struct relu_state {
    eip_nn_prim fwd, bwd;
    int train;
} relu_state;

static void relu_state_free(void *p)
{
    relu_state *s = p;
    if (!s)
        return;
    eip_nn_prim_free(&s->fwd);
    eip_nn_prim_free(&s->bwd);
    free(s);
}

static eip_status relu_plan(void *layer, const eip_nn_plan_in *in, void **state,
                            eip_nn_plan_out *out, eip_error *err)
{
    const char *nm = in->name;
    relu_state *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", nm);
    *state = s;
    s->train = in->kind != EIP_NN_PK_INFER;
    const dnnl_memory_desc_t *md = in->in_md[0];
    out->out_md = *md;
    dnnl_eltwise_desc_t ed;
    EIP_NN_TRY(dnnl_eltwise_forward_desc_init(&ed, s->train ? dnnl_forward_training : dnnl_forward_inference,
                                              dnnl_eltwise_relu_use_dst_for_bwd, md, 0.f, 0.f),
               nm, "relu forward desc");
    EIP_NN_OK(eip_nn_prim_make(&s->fwd, &ed, in->eng, NULL, NULL, &out->scratch_bytes, nm,
                               "relu forward", err));
    if (s->train) {
        EIP_NN_TRY(dnnl_eltwise_backward_desc_init(&ed, dnnl_eltwise_relu_use_dst_for_bwd, md, md, 0.f, 0.f),
                   nm, "relu backward desc");
        EIP_NN_OK(eip_nn_prim_make(&s->bwd, &ed, in->eng, s->fwd.pd, NULL, &out->scratch_bytes, nm,
                                   "relu backward", err));
    }
    return EIP_OK;
}

static eip_status relu_forward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    relu_state *s = state;
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_SRC, ex->src[0]}, {DNNL_ARG_DST, ex->dst}};
    return eip_nn_prim_run(&s->fwd, ex, a, 2, "relu forward", err);
}

static eip_status relu_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    relu_state *s = state;
    if (!s->train)
        return eip_error_set(err, EIP_ERR_STATE, "layer %s: planned without backward", ex->name);
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_DST, ex->dst}, {DNNL_ARG_DIFF_DST, ex->ddst},
                            {DNNL_ARG_DIFF_SRC, ex->dsrc[0]}};
    return eip_nn_prim_run(&s->bwd, ex, a, 3, "relu backward", err);
}

static void nop_free(void *layer) { free(layer); }

static const eip_nn_layer_vt relu_vt = {
    "relu", relu_plan, relu_forward, relu_backward, relu_state_free, NULL, NULL, nop_free, 0, NULL, 0, NULL, 0,
};

eip_status eip_nn_relu_add(eip_nn_net_t *net, const char *name, int in, int *id, eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "relu", name, lb_, sizeof lb_);
    const eip_nn_shape *is = eip_nn_node_shape(net, in);
    if (!is)
        return eip_error_set(err, EIP_ERR_ARG, "relu %s: bad input node", name);
    return eip_nn_net_add(net, &relu_vt, NULL, name, &in, 1, is, id, err);
}

/* ---------------- residual add ---------------- */

typedef struct sum_layer {
    int relu;
} sum_layer;

typedef struct sum_state {
    eip_nn_prim fwd, mask;   /* binary add (+relu post-op); relu backward on dst */
    eip_nn_prim copy[2];     /* out layout -> input j layout */
    dnnl_memory_t g;         /* masked diff when no input target can hold it (ws) */
    int train;
} sum_state;

static void sum_state_free(void *p)
{
    sum_state *s = p;
    if (!s)
        return;
    eip_nn_prim_free(&s->fwd);
    eip_nn_prim_free(&s->mask);
    eip_nn_prim_free(&s->copy[0]);
    eip_nn_prim_free(&s->copy[1]);
    eip_nn_mem_free(&s->g);
    free(s);
}

static eip_status sum_plan(void *layer, const eip_nn_plan_in *in, void **state,
                           eip_nn_plan_out *out, eip_error *err)
{
    sum_layer *L = layer;
    const char *nm = in->name;
    sum_state *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", nm);
    *state = s;
    s->train = in->kind != EIP_NN_PK_INFER;
    const dnnl_memory_desc_t *md = in->in_md[0];
    out->out_md = *md;
    dnnl_binary_desc_t bd;
    EIP_NN_TRY(dnnl_binary_desc_init(&bd, dnnl_binary_add, in->in_md[0], in->in_md[1], md), nm,
               "binary add desc");
    dnnl_post_ops_t po = NULL;
    if (L->relu) {
        EIP_NN_TRY(dnnl_post_ops_create(&po), nm, "post-ops");
        dnnl_status_t st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.f, 0.f);
        if (st != dnnl_success) {
            dnnl_post_ops_destroy(po);
            return eip_nn_dnnl_check(st, nm, "relu post-op", err);
        }
    }
    eip_status es = eip_nn_prim_make(&s->fwd, &bd, in->eng, NULL, po, &out->scratch_bytes, nm,
                                     "binary add", err);
    if (po)
        dnnl_post_ops_destroy(po);
    if (es != EIP_OK || !s->train)
        return es;
    if (L->relu) {
        dnnl_eltwise_desc_t ed;
        eip_nn_prim hint;
        EIP_NN_TRY(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_training,
                                                  dnnl_eltwise_relu_use_dst_for_bwd, md, 0.f, 0.f),
                   nm, "relu forward desc");
        EIP_NN_OK(eip_nn_prim_make(&hint, &ed, in->eng, NULL, NULL, NULL, nm, "relu hint", err));
        EIP_NN_TRY(dnnl_eltwise_backward_desc_init(&ed, dnnl_eltwise_relu_use_dst_for_bwd, md, md, 0.f, 0.f),
                   nm, "relu backward desc");
        es = eip_nn_prim_make(&s->mask, &ed, in->eng, hint.pd, NULL, &out->scratch_bytes, nm,
                              "relu backward", err);
        eip_nn_prim_free(&hint);
        if (es != EIP_OK)
            return es;
        EIP_NN_OK(eip_nn_mem_new(&s->g, md, in->eng, nm, err));
        out->ws_bytes = eip_nn_md_bytes(md);
    }
    for (int j = 0; j < 2; j++)
        EIP_NN_OK(eip_nn_reorder_make(&s->copy[j], md, in->in_md[j], in->eng, 0,
                                      &out->scratch_bytes, nm, "diff copy", err));
    return EIP_OK;
}

static eip_status sum_forward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    sum_state *s = state;
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_SRC_0, ex->src[0]}, {DNNL_ARG_SRC_1, ex->src[1]},
                            {DNNL_ARG_DST, ex->dst}};
    return eip_nn_prim_run(&s->fwd, ex, a, 3, "binary add", err);
}

static eip_status sum_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    sum_layer *L = layer;
    sum_state *s = state;
    if (!s->train)
        return eip_error_set(err, EIP_ERR_STATE, "layer %s: planned without backward", ex->name);
    dnnl_memory_t g = ex->ddst; /* d(out)/d(a) = d(out)/d(b) = masked dy */
    int done = -1;
    if (L->relu) {
        /* write the masked diff straight into input 0's target when its layout matches */
        if (ex->dsrc[0] && s->copy[0].pd &&
            dnnl_memory_desc_equal(eip_nn_prim_md(&s->copy[0], dnnl_query_src_md, 0),
                                   eip_nn_prim_md(&s->copy[0], dnnl_query_dst_md, 0))) {
            g = ex->dsrc[0];
            done = 0;
        } else {
            EIP_NN_OK(eip_nn_mem_bind(s->g, ex->ws, ex->name, err));
            g = s->g;
        }
        dnnl_exec_arg_t a[3] = {{DNNL_ARG_DST, ex->dst}, {DNNL_ARG_DIFF_DST, ex->ddst},
                                {DNNL_ARG_DIFF_SRC, g}};
        EIP_NN_OK(eip_nn_prim_run(&s->mask, ex, a, 3, "relu backward", err));
    }
    for (int j = 0; j < 2; j++) {
        if (!ex->dsrc[j] || j == done)
            continue;
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, g}, {DNNL_ARG_TO, ex->dsrc[j]}};
        EIP_NN_OK(eip_nn_prim_run(&s->copy[j], ex, a, 2, "diff copy", err));
    }
    return EIP_OK;
}

static const eip_nn_layer_vt sum_vt = {
    "add", sum_plan, sum_forward, sum_backward, sum_state_free, NULL, NULL, nop_free, 0, NULL, 0, NULL, 0,
};

eip_status eip_nn_sum_add(eip_nn_net_t *net, const char *name, int a, int b, int relu,
                          int *id, eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "add", name, lb_, sizeof lb_);
    const eip_nn_shape *sa = eip_nn_node_shape(net, a), *sb = eip_nn_node_shape(net, b);
    if (!sa || !sb)
        return eip_error_set(err, EIP_ERR_ARG, "add %s: bad input node", name);
    if (sa->ndim != sb->ndim || sa->c != sb->c || sa->h != sb->h || sa->w != sb->w)
        return eip_error_set(err, EIP_ERR_SHAPE,
                             "add %s: input shapes differ ([%lld, %lld, %lld] vs [%lld, %lld, %lld])",
                             name, (long long)sa->c, (long long)sa->h, (long long)sa->w,
                             (long long)sb->c, (long long)sb->h, (long long)sb->w);
    sum_layer *L = calloc(1, sizeof *L);
    if (!L)
        return eip_error_set(err, EIP_ERR_NOMEM, "add %s", name);
    L->relu = relu != 0;
    int in[2] = {a, b};
    return eip_nn_net_add(net, &sum_vt, L, name, in, 2, sa, id, err);
}
