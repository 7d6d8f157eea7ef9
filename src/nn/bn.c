/* Batch normalisation (PyTorch BatchNorm2d, eps 1e-5, momentum 0.1), with
 * the following ReLU fused when relu=1 (dnnl_fuse_norm_relu; its training
 * workspace is the ReLU mask).
 * Shapes: x, y [N, C, H, W] in the producer's layout (taken as-is);
 * weight, bias, running_mean, running_var [C].
 * TRAIN: batch statistics (biased variance normalises), running stats
 * updated as PyTorch does: r = (1 - m) r + m stat, with the UNBIASED batch
 * variance (n / (n - 1), n = N*H*W) for running_var; num_batches_tracked++.
 * EVAL / EVAL_GRAD: running statistics (dnnl_use_global_stats). */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

typedef struct bn_layer {
    int64_t c, hw;          /* channels, per-sample spatial size H*W */
    int relu;
    float eps, momentum;
    int64_t w_off, b_off;   /* params: weight [C], bias [C] */
    int64_t rm_off, rv_off; /* bufs: running_mean [C], running_var [C] */
    int64_t nbt;            /* counters index */
} bn_layer;

typedef struct bn_state {
    eip_nn_prim fwd, bwd;
    eip_nn_adapt in;        /* NHWC input that would get a scalar kernel: run on the block (bn_nhwc_slow) */
    size_t ws_off;          /* the BN workspace (ReLU mask) after the adapter's buffers */
    int folded;             /* INFER: folded into the conv before it; an alias, nothing to run */
    unsigned flags;
    int global;             /* use_global_stats */
    int train_prop;         /* forward_training (workspace kept) */
    dnnl_memory_t scale, shift, mean, var, dscale, dshift, ws;
    float *bmean, *bvar;    /* [C] batch statistics (TRAIN) */
    float *dsc;             /* [2C] diff scale, diff shift */
} bn_state;

static void bn_state_free(void *p)
{
    bn_state *s = p;
    if (!s)
        return;
    eip_nn_prim_free(&s->fwd);
    eip_nn_prim_free(&s->bwd);
    eip_nn_adapt_free(&s->in);
    dnnl_memory_t *ms[] = {&s->scale, &s->shift, &s->mean, &s->var, &s->dscale, &s->dshift, &s->ws};
    for (size_t i = 0; i < sizeof ms / sizeof *ms; i++)
        eip_nn_mem_free(ms[i]);
    free(s->bmean);
    free(s->bvar);
    free(s->dsc);
    free(s);
}

static eip_status bn_fwd_desc(const bn_layer *L, const bn_state *s, const dnnl_memory_desc_t *md,
                              dnnl_batch_normalization_desc_t *bd, const char *nm, eip_error *err)
{
    EIP_NN_TRY(dnnl_batch_normalization_forward_desc_init(
                   bd, s->train_prop ? dnnl_forward_training : dnnl_forward_inference, md, L->eps,
                   s->flags),
               nm, "batch normalization forward desc");
    return EIP_OK;
}

/* 1 if oneDNN would run BN on this input with a scalar kernel */
static int bn_impl_slow(const char *impl)
{
    return !strncmp(impl, "nspc_bnorm", 10) || !strncmp(impl, "ref", 3);
}

/* oneDNN 2.6 has jit BN kernels for NHWC only when C is a multiple of its
 * vector (fp32: 8, bf16: 16); otherwise it picks `nspc_bnorm:any`, scalar
 * C++: 70 ms per call at N = 128, C = 24, 32x32 in bf16 (~90x bnorm_jit;
 * GoogLeNet width 0.25 spent 80 % of a bf16 step there), 13 ms for the
 * backward at C = 52, 16x16 in fp32 (~10x).  *to_blk = 1 (blk: the CPU's
 * channel block, eip_nn_act_block) when the input is NHWC, that is what
 * oneDNN picks, and the block gets a jit kernel: the BN then reorders its
 * input and keeps the block (the consumer adapts). */
static eip_status bn_nhwc_slow(const bn_layer *L, const eip_nn_plan_in *in, const bn_state *s,
                               dnnl_memory_desc_t *blk, int *to_blk, eip_error *err)
{
    const char *nm = in->name;
    const dnnl_memory_desc_t *md = in->in_md[0];
    dnnl_memory_desc_t nhwc;
    dnnl_dims_t dd = {in->n, L->c, in->in_shape[0]->h, in->in_shape[0]->w};
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&nhwc, 4, dd, md->data_type, dnnl_acdb), nm, "src desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(blk, 4, dd, md->data_type, eip_nn_act_block(dnnl_f32)), nm,
               "src desc");
    *to_blk = 0;
    if (L->c == 1 || !dnnl_memory_desc_equal(md, &nhwc))
        return EIP_OK;
    /* NHWC first; the block is asked about only when NHWC would be scalar */
    const dnnl_memory_desc_t *cand[2] = {md, blk};
    for (int i = 0; i < 2; i++) {
        dnnl_batch_normalization_desc_t bd;
        dnnl_primitive_desc_t pd = NULL;
        EIP_NN_OK(bn_fwd_desc(L, s, cand[i], &bd, nm, err));
        EIP_NN_OK(eip_nn_pd_make(&pd, &bd, in->eng, NULL, NULL, nm, "batch normalization forward", err));
        const int slow = bn_impl_slow(eip_nn_pd_impl(pd));
        dnnl_primitive_desc_destroy(pd);
        if (!slow) {
            *to_blk = i == 1;
            return EIP_OK;
        }
    }
    return EIP_OK; /* both scalar: keep NHWC (no reorders) */
}

static eip_status bn_plan(void *layer, const eip_nn_plan_in *in, void **state,
                          eip_nn_plan_out *out, eip_error *err)
{
    bn_layer *L = layer;
    const char *nm = in->name;
    bn_state *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", nm);
    *state = s;
    if (in->folded) { /* the conv computes this node's output (eip_nn_fold) */
        s->folded = 1;
        out->out_md = *in->in_md[0];
        return EIP_OK;
    }
    s->global = in->kind != EIP_NN_PK_TRAIN;
    s->train_prop = in->kind != EIP_NN_PK_INFER;
    s->flags = dnnl_use_scale | dnnl_use_shift | (L->relu ? dnnl_fuse_norm_relu : 0) |
               (s->global ? dnnl_use_global_stats : 0);
    const dnnl_memory_desc_t *md = in->in_md[0];
    dnnl_memory_desc_t blk;
    int to_blk = 0;
    EIP_NN_OK(bn_nhwc_slow(L, in, s, &blk, &to_blk, err));
    if (to_blk) {
        EIP_NN_OK(eip_nn_adapt_make(&s->in, md, &blk, s->train_prop ? &blk : NULL, in->eng,
                                    &out->scratch_bytes, nm, err));
        md = &blk;
    }
    s->ws_off = s->in.bytes_f + s->in.bytes_b;
    out->ws_bytes = s->ws_off;
    out->out_md = *md;
    dnnl_batch_normalization_desc_t bd;
    EIP_NN_OK(bn_fwd_desc(L, s, md, &bd, nm, err));
    EIP_NN_OK(eip_nn_prim_make(&s->fwd, &bd, in->eng, NULL, NULL, &out->scratch_bytes, nm,
                               "batch normalization forward", err));
    dnnl_memory_desc_t cmd;
    dnnl_dims_t cd = {L->c};
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&cmd, 1, cd, dnnl_f32, dnnl_a), nm, "channel desc");
    dnnl_memory_t *ms[] = {&s->scale, &s->shift, &s->mean, &s->var, &s->dscale, &s->dshift};
    for (size_t i = 0; i < sizeof ms / sizeof *ms; i++)
        EIP_NN_OK(eip_nn_mem_new(ms[i], &cmd, in->eng, nm, err));
    s->bmean = malloc((size_t)L->c * sizeof(float));
    s->bvar = malloc((size_t)L->c * sizeof(float));
    s->dsc = malloc((size_t)L->c * 2 * sizeof(float));
    if (!s->bmean || !s->bvar || !s->dsc)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: statistics", nm);
    const dnnl_memory_desc_t *wmd = eip_nn_prim_md(&s->fwd, dnnl_query_workspace_md, 0);
    if (wmd && eip_nn_md_bytes(wmd) > 0) {
        EIP_NN_OK(eip_nn_mem_new(&s->ws, wmd, in->eng, nm, err));
        out->ws_bytes += eip_nn_md_bytes(wmd);
    }
    if (s->train_prop) {
        EIP_NN_TRY(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, md, md, L->eps,
                                                                s->flags),
                   nm, "batch normalization backward desc");
        EIP_NN_OK(eip_nn_prim_make(&s->bwd, &bd, in->eng, s->fwd.pd, NULL, &out->scratch_bytes, nm,
                                   "batch normalization backward", err));
    }
    return EIP_OK;
}

/* Binds scale/shift (params) and mean/var (batch stats or running stats). */
static eip_status bn_bind(bn_layer *L, bn_state *s, const eip_nn_exec *ex, eip_error *err)
{
    EIP_NN_OK(eip_nn_mem_bind(s->scale, ex->params + L->w_off, ex->name, err));
    EIP_NN_OK(eip_nn_mem_bind(s->shift, ex->params + L->b_off, ex->name, err));
    EIP_NN_OK(eip_nn_mem_bind(s->mean, s->global ? ex->bufs + L->rm_off : s->bmean, ex->name, err));
    EIP_NN_OK(eip_nn_mem_bind(s->var, s->global ? ex->bufs + L->rv_off : s->bvar, ex->name, err));
    if (s->ws)
        EIP_NN_OK(eip_nn_mem_bind(s->ws, ex->ws + s->ws_off, ex->name, err));
    return EIP_OK;
}

static eip_status bn_forward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    bn_layer *L = layer;
    bn_state *s = state;
    if (s->folded)
        return EIP_OK;
    EIP_NN_OK(bn_bind(L, s, ex, err));
    dnnl_memory_t src;
    EIP_NN_OK(eip_nn_adapt_src(&s->in, ex, ex->src[0], ex->ws, &src, err));
    dnnl_exec_arg_t a[8] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, ex->dst},
                            {DNNL_ARG_SCALE, s->scale}, {DNNL_ARG_SHIFT, s->shift},
                            {DNNL_ARG_MEAN, s->mean},   {DNNL_ARG_VARIANCE, s->var}};
    int na = 6;
    if (s->ws)
        a[na++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, s->ws};
    EIP_NN_OK(eip_nn_prim_run(&s->fwd, ex, a, na, "batch normalization forward", err));
    if (!s->global) {
        /* PyTorch running-stat update; n = N*H*W values per channel */
        float *rm = ex->bufs + L->rm_off, *rv = ex->bufs + L->rv_off; /* [C] */
        double n = (double)ex->n * (double)L->hw;
        double unbias = n / (n - 1.0), m = L->momentum;
        for (int64_t c = 0; c < L->c; c++) {
            rm[c] = (float)((1.0 - m) * rm[c] + m * s->bmean[c]);
            rv[c] = (float)((1.0 - m) * rv[c] + m * s->bvar[c] * unbias);
        }
        ex->counters[L->nbt] += 1;
    }
    return EIP_OK;
}

static eip_status bn_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    bn_layer *L = layer;
    bn_state *s = state;
    if (!s->train_prop)
        return eip_error_set(err, EIP_ERR_STATE, "layer %s: planned without backward", ex->name);
    EIP_NN_OK(bn_bind(L, s, ex, err));
    float *dsc = s->dsc, *dsh = s->dsc + L->c; /* [C], [C] */
    EIP_NN_OK(eip_nn_mem_bind(s->dscale, dsc, ex->name, err));
    EIP_NN_OK(eip_nn_mem_bind(s->dshift, dsh, ex->name, err));
    dnnl_memory_t src, dsrc;
    EIP_NN_OK(eip_nn_adapt_src(&s->in, ex, ex->src[0], ex->ws, &src, err));
    EIP_NN_OK(eip_nn_adapt_dsrc(&s->in, ex, ex->dsrc[0], ex->ws, &dsrc, err));
    dnnl_exec_arg_t a[12] = {{DNNL_ARG_SRC, src},              {DNNL_ARG_DIFF_DST, ex->ddst},
                             {DNNL_ARG_SCALE, s->scale},       {DNNL_ARG_SHIFT, s->shift},
                             {DNNL_ARG_MEAN, s->mean},         {DNNL_ARG_VARIANCE, s->var},
                             {DNNL_ARG_DIFF_SRC, dsrc},        {DNNL_ARG_DIFF_SCALE, s->dscale},
                             {DNNL_ARG_DIFF_SHIFT, s->dshift}};
    int na = 9;
    if (s->ws)
        a[na++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, s->ws};
    EIP_NN_OK(eip_nn_prim_run(&s->bwd, ex, a, na, "batch normalization backward", err));
    EIP_NN_OK(eip_nn_adapt_finish(&s->in, ex, ex->dsrc[0], err));
    float *gw = ex->grads + L->w_off, *gb = ex->grads + L->b_off; /* [C], [C] */
    for (int64_t c = 0; c < L->c; c++) {
        gw[c] += dsc[c];
        gb[c] += dsh[c];
    }
    return EIP_OK;
}

static void bn_init(void *layer, float *params, float *bufs, int64_t *counters, uint64_t *rng)
{
    bn_layer *L = layer;
    for (int64_t c = 0; c < L->c; c++) {
        params[L->w_off + c] = 1.0f;
        params[L->b_off + c] = 0.0f;
        bufs[L->rm_off + c] = 0.0f;
        bufs[L->rv_off + c] = 1.0f;
    }
    counters[L->nbt] = 0;
}

static void bn_free(void *layer) { free(layer); }

static int bn_fold_info(const void *layer, eip_nn_fold *f)
{
    const bn_layer *L = layer;
    *f = (eip_nn_fold){L->w_off, L->b_off, L->rm_off, L->rv_off, L->eps, L->relu};
    return 1;
}

static const eip_nn_layer_vt bn_vt = {
    "bn", bn_plan, bn_forward, bn_backward, bn_state_free, bn_init, NULL, bn_free, 0, NULL, 0,
    bn_fold_info, 0,
};

eip_status eip_nn_bn_add(eip_nn_net_t *net, const char *name, int in, int relu, int *id,
                         eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "bn", name, lb_, sizeof lb_);
    const eip_nn_shape *is = eip_nn_node_shape(net, in);
    if (!is)
        return eip_error_set(err, EIP_ERR_ARG, "bn %s: bad input node", name);
    if (is->ndim != 3)
        return eip_error_set(err, EIP_ERR_SHAPE, "bn %s: input must be [C, H, W] (BatchNorm2d)", name);
    bn_layer *L = calloc(1, sizeof *L);
    if (!L)
        return eip_error_set(err, EIP_ERR_NOMEM, "bn %s", name);
    L->c = is->c;
    L->hw = is->h * is->w;
    L->relu = relu != 0;
    L->eps = 1e-5f;
    L->momentum = 0.1f;
    int64_t c = is->c;
    eip_status s = eip_nn_net_tensor(net, name, "weight", EIP_NN_TENSOR_PARAM, 1, &c, &L->w_off, err);
    if (s == EIP_OK)
        s = eip_nn_net_tensor(net, name, "bias", EIP_NN_TENSOR_PARAM, 1, &c, &L->b_off, err);
    if (s == EIP_OK)
        s = eip_nn_net_tensor(net, name, "running_mean", EIP_NN_TENSOR_BUFFER, 1, &c, &L->rm_off, err);
    if (s == EIP_OK)
        s = eip_nn_net_tensor(net, name, "running_var", EIP_NN_TENSOR_BUFFER, 1, &c, &L->rv_off, err);
    if (s == EIP_OK)
        s = eip_nn_net_tensor(net, name, "num_batches_tracked", EIP_NN_TENSOR_COUNTER, 0, NULL, &L->nbt, err);
    if (s != EIP_OK) {
        free(L);
        return s;
    }
    return eip_nn_net_add(net, &bn_vt, L, name, &in, 1, is, id, err);
}
