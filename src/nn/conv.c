/* 2-D convolution (PyTorch Conv2d: square kernel k, stride, zero padding,
 * optional bias) over oneDNN's direct convolution (Winograd for 3x3
 * inference where oneDNN has it, conv_pds_make).
 * Shapes: x [N, I, H, W] -> y [N, O, OH, OW], OH = (H + 2p - k) / s + 1
 * (floor); weight [O, I, k, k] (OIHW master copy), bias [O].
 * Activations are blocked, nChw16c with AVX-512 or nChw8c with AVX2 (the
 * layouts of oneDNN's direct kernels, eip_nn_act_block), or NHWC where the
 * block would get a reference kernel (conv_choose), the image
 * input plain NCHW; weights use format `any` (OIhw16i16o, ...); the plain
 * master weights are reordered in when stale and diff weights are reordered
 * back with accumulation. */
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

/* The three primitive descriptors of one layout choice (bwd_* NULL in inference). */
typedef struct conv_pds {
    dnnl_primitive_desc_t f, bd, bw;
} conv_pds;

static void conv_pds_free(conv_pds *p)
{
    dnnl_primitive_desc_t *all[3] = {&p->f, &p->bd, &p->bw};
    for (int i = 0; i < 3; i++)
        if (*all[i]) {
            dnnl_primitive_desc_destroy(*all[i]);
            *all[i] = NULL;
        }
}

/* with_bd = 0 for the image conv: its backward-data only runs when the caller
 * asks for the input gradient (never in training), and with a plain 1-3
 * channel src it is `ref:any` (as it always was); counting it would move e.g.
 * the full-width smallcnn to NHWC for a primitive training never runs. */
static int conv_pds_ref(const conv_pds *p, int with_bd)
{
    return eip_nn_pd_is_ref(p->f) || (with_bd && eip_nn_pd_is_ref(p->bd)) || eip_nn_pd_is_ref(p->bw);
}

/* Descriptors for activations src_tag -> dst_tag (weights `any`; po: a
 * folded BN's ReLU, or NULL). */
static eip_status conv_pds_make(const conv_layer *L, const eip_nn_plan_in *in, int train,
                                dnnl_format_tag_t src_tag, dnnl_format_tag_t dst_tag,
                                const_dnnl_post_ops_t po, conv_pds *p, eip_error *err)
{
    const char *nm = in->name;
    const eip_nn_shape *os = in->out_shape;
    memset(p, 0, sizeof *p);
    dnnl_memory_desc_t src_any, dst_any, w_any, dw_any, b_md;
    dnnl_dims_t sd = {in->n, L->ci, in->in_shape[0]->h, in->in_shape[0]->w};
    dnnl_dims_t dd = {in->n, L->co, os->h, os->w};
    dnnl_dims_t wd = {L->co, L->ci, L->k, L->k};
    dnnl_dims_t bd = {L->co};
    dnnl_dims_t st = {L->stride, L->stride}, pad = {L->pad, L->pad};
    /* bf16: src, dst, weights bf16; diff weights and bias stay f32 (they
     * are accumulated into the fp32 master gradients) */
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&src_any, 4, sd, in->dt, src_tag), nm, "src desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&dst_any, 4, dd, in->dt, dst_tag), nm, "dst desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&w_any, 4, wd, in->dt, dnnl_format_tag_any), nm, "weights desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&dw_any, 4, wd, dnnl_f32, dnnl_format_tag_any), nm, "weights desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_a), nm, "bias desc");
    const dnnl_memory_desc_t *bias_md = L->bias || in->fold ? &b_md : NULL;
    dnnl_convolution_desc_t cd;
    /* Inference of a 3x3 stride-1 conv with >= 16 channels in and out and
     * an output of at least one 4x4 tile (smallcnn's and ResNet's body):
     * oneDNN's Winograd F(4x4, 3x3) kernel where the CPU has one (AVX-512;
     * 1.3-1.5x the direct kernel on smallcnn's layers; its outputs differ
     * from direct convolution by float rounding only, ~1e-6 relative),
     * else direct.  Not for 1-3 input channels (the image conv: 2.4x slower
     * there), smaller outputs (AlexNet's 3x3 and 1x1 maps: slower), nor
     * for training. */
    if (!train && in->dt == dnnl_f32 && L->k == 3 && L->stride == 1 && L->ci >= 16 && L->co >= 16 &&
        os->h >= 4 && os->w >= 4 &&
        dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_winograd,
                                           &src_any, &w_any, bias_md, &dst_any, st, pad,
                                           pad) == dnnl_success) {
        eip_error quiet = {0}; /* unimplemented on this CPU: fall back to direct */
        if (eip_nn_pd_make(&p->f, &cd, in->eng, NULL, po, nm, "winograd convolution", &quiet) == EIP_OK)
            return EIP_OK;
    }
    EIP_NN_TRY(dnnl_convolution_forward_desc_init(&cd, train ? dnnl_forward_training : dnnl_forward_inference,
                                                  dnnl_convolution_direct, &src_any, &w_any, bias_md,
                                                  &dst_any, st, pad, pad),
               nm, "convolution forward desc");
    EIP_NN_OK(eip_nn_pd_make(&p->f, &cd, in->eng, NULL, po, nm, "convolution forward", err));
    if (!train)
        return EIP_OK;
    const dnnl_memory_desc_t *src_md = dnnl_primitive_desc_query_md(p->f, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dst_md = dnnl_primitive_desc_query_md(p->f, dnnl_query_dst_md, 0);
    dnnl_memory_desc_t dsrc_any = src_any;
    EIP_NN_TRY(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &dsrc_any,
                                                        &w_any, dst_md, st, pad, pad),
               nm, "convolution backward data desc");
    EIP_NN_OK(eip_nn_pd_make(&p->bd, &cd, in->eng, p->f, NULL, nm, "convolution backward data", err));
    EIP_NN_TRY(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, src_md,
                                                           &dw_any, bias_md, dst_md, st, pad, pad),
               nm, "convolution backward weights desc");
    return eip_nn_pd_make(&p->bw, &cd, in->eng, p->f, NULL, nm, "convolution backward weights", err);
}

/* *image = 1 for the image conv: 1-4 channels read from the plain NCHW
 * input.  (With C = 1 oneDNN considers plain NCHW and NHWC equal.) */
static eip_status conv_is_image(const conv_layer *L, const eip_nn_plan_in *in, int *image, eip_error *err)
{
    dnnl_memory_desc_t plain_in;
    dnnl_dims_t sd = {in->n, L->ci, in->in_shape[0]->h, in->in_shape[0]->w};
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&plain_in, 4, sd, dnnl_f32, dnnl_abcd), in->name, "src desc");
    *image = L->ci <= 4 && dnnl_memory_desc_equal(in->in_md[0], &plain_in);
    return EIP_OK;
}

/* The conv's arithmetic: the plan's, except in bf16 training on a CPU with
 * AMX, where oneDNN 2.6's AMX backward-weights kernel is slower than its
 * fp32 one for two kinds of conv, which then train in fp32 (their small
 * outputs make the reorders to and from bf16 cheap):
 *  - a strided image conv (AlexNet's 11x11 / 4): 4.5x the fp32 kernel's
 *    time (N = 128: 6.0 against 1.3 ms);
 *  - an output map of at most 3x3 pixels (AlexNet's last convs): 1.4-3.7x
 *    (ic64 oc64 on 1x1: 0.22 against 0.06 ms), more than AMX saves in
 *    forward and backward-data.
 * Such an fp32 conv takes the fp32 block layout (conv_choose), not its
 * producer's NHWC: fp32 NHWC gets brgconv, 2.5x slower on these maps.
 * Together they took bf16 AlexNet training from 0.68-0.91x to 1.0-1.07x
 * of fp32 (28x28 and 32x32 images, widths 1 and 0.25).  Larger maps keep
 * bf16, where AMX wins (fp32 up to 4x4 maps: AlexNet on 32x32 fell from
 * 34 700 to 32 500 img/s), and so do stride-1 image convs: their output map
 * is the net's largest, and running what follows in fp32 costs more than
 * the kernel saves (ResNet-18 width 0.25: 1 844 -> 827 img/s). */
static dnnl_data_type_t conv_dt(const conv_layer *L, const eip_nn_plan_in *in, int train, int image)
{
    if (!train || in->dt != dnnl_bf16 || !eip_nn_isa_has(dnnl_cpu_isa_avx512_core_amx))
        return in->dt;
    const int tiny = in->out_shape->h * in->out_shape->w <= 9;
    return (image && L->stride > 1) || tiny ? dnnl_f32 : in->dt;
}

/* Activation layout.  Preferred: the CPU's block (eip_nn_act_block; below
 * for AVX-512: nChw16c, padded when C % 16 != 0); the image input (plain, few
 * channels) is read as `any`, which picks plain NCHW and the first-layer
 * kernel.  But with I < 16 input channels and k > 1 (measured: I = 4, 6, 8,
 * 12), oneDNN 2.6 routes an nChw16c src to its first-layer path, which wants
 * plain NCHW, so forward and backward-weights fall to `ref:any` (50-100x
 * slower, DNNL_VERBOSE; backward-data stays jit, 1x1 and I >= 16 are fine);
 * plain NCHW instead gives gemm forward and ref backward.  NHWC src and dst
 * run on brgconv / jit:avx512_core for every channel count, so a conv uses
 * NHWC when nChw16c would give a reference kernel.  A conv whose producer is
 * already NHWC tries NHWC first (no reorder, and the net stays NHWC after
 * the first small layer); so does an image conv with O < 16, whose consumer
 * would otherwise reorder its padded nChw16c output to NHWC.  On an AVX2-only
 * CPU the block is nChw8c (jit:avx2; before 2026-12-02 the net ran NHWC
 * there, since nChw16c has no AVX2 kernel) with the same NHWC fallback;
 * nChw8c is also the last resort. */
static eip_status conv_choose(const conv_layer *L, const eip_nn_plan_in *in, int train, int first,
                              const_dnnl_post_ops_t po, conv_pds *p, eip_error *err)
{
    const char *nm = in->name;
    dnnl_memory_desc_t nhwc_in;
    dnnl_dims_t sd = {in->n, L->ci, in->in_shape[0]->h, in->in_shape[0]->w};
    const dnnl_data_type_t pdt = in->in_md[0]->data_type; /* the producer's */
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&nhwc_in, 4, sd, pdt, dnnl_acdb), nm, "src desc");
    /* first: the image conv (conv_is_image; with C = 1, oneDNN considers
     * plain NCHW and NHWC equal: test `first` first) */
    const dnnl_format_tag_t blk = eip_nn_act_block(in->dt);
    /* (a producer of another data type is reordered anyway: the block first) */
    const int nhwc_first = blk == dnnl_acdb ||
                           (first ? L->co < 16
                                  : pdt == in->dt && dnnl_memory_desc_equal(in->in_md[0], &nhwc_in));
    /* the other layout tried: the block, or for bf16 on AMX (NHWC first) nChw16c */
    const dnnl_format_tag_t alt = blk == dnnl_acdb ? dnnl_aBcd16b : blk;
    const dnnl_format_tag_t alt_src = first ? dnnl_format_tag_any : alt;
    const dnnl_format_tag_t src[3] = {nhwc_first ? dnnl_acdb : alt_src, nhwc_first ? alt_src : dnnl_acdb,
                                      first ? dnnl_format_tag_any : dnnl_aBcd8b};
    const dnnl_format_tag_t dst[3] = {nhwc_first ? dnnl_acdb : alt, nhwc_first ? alt : dnnl_acdb,
                                      dnnl_aBcd8b};
    /* oneDNN 2.6 jit_1x1 backward-weights with an NHWC src, stride > 1 and
     * I not a multiple of its channel block writes past its workspace: wrong
     * weight gradients or a crash (oneDNN issue 6035; measured here on AVX2:
     * ResNet-18 at 1/16 width, layer2.0.shortcut).  Never train on it. */
    const int nhwc_broken = train && L->k == 1 && L->stride > 1 && L->ci % 16 != 0;
    conv_pds keep = {0};
    eip_error e_keep = {0};
    eip_status s_keep = EIP_ERR_STATE;
    for (int c = 0; c < 3; c++) {
        if (src[c] == dnnl_acdb && nhwc_broken)
            continue;
        conv_pds cand;
        eip_error e = {0};
        eip_status s = conv_pds_make(L, in, train, src[c], dst[c], po, &cand, &e);
        if (s == EIP_OK && !conv_pds_ref(&cand, !first)) {
            conv_pds_free(&keep);
            *p = cand;
            return EIP_OK;
        }
        if (s == EIP_OK && s_keep != EIP_OK) {
            keep = cand; /* slow but correct: used if nothing better exists */
            s_keep = EIP_OK;
        } else if (s == EIP_OK) {
            conv_pds_free(&cand);
        } else if (s_keep != EIP_OK && !e_keep.msg[0]) {
            e_keep = e; /* the first failure explains best */
            s_keep = s;
        }
    }
    if (s_keep == EIP_OK) {
        *p = keep;
        return EIP_OK;
    }
    if (err)
        *err = e_keep;
    return s_keep;
}

/* A conv's state: the common weight state, plus a folded BN (inference). */
typedef struct conv_state {
    eip_nn_wstate w;
    int fold;
    eip_nn_fold f;
    float *wf;            /* [O, I, k, k] folded weights W s */
    float *bf;            /* [O] folded bias (b - mean) s + beta */
    uint64_t fold_version; /* param_version wf / bf were computed at */
    int fold_ok;
} conv_state;

static void conv_state_free(void *state)
{
    conv_state *cs = state;
    if (!cs)
        return;
    eip_nn_wstate_clear(&cs->w);
    free(cs->wf);
    free(cs->bf);
    free(cs);
}

/* wf, bf from the current weights and BN parameters / running statistics
 * (double arithmetic, rounded once). */
static void conv_fold(const conv_layer *L, conv_state *cs, const eip_nn_exec *ex)
{
    const int64_t per = L->ci * L->k * L->k;
    const float *w = ex->params + L->w_off;                      /* [O, per] */
    const float *gam = ex->params + cs->f.g_off, *bet = ex->params + cs->f.b_off; /* [O] */
    const float *mu = ex->bufs + cs->f.m_off, *var = ex->bufs + cs->f.v_off;      /* [O] */
    for (int64_t o = 0; o < L->co; o++) {
        const double sc = (double)gam[o] / sqrt((double)var[o] + (double)cs->f.eps);
        for (int64_t j = 0; j < per; j++)
            cs->wf[o * per + j] = (float)((double)w[o * per + j] * sc);
        const double b = L->bias ? (double)ex->params[L->b_off + o] : 0.0;
        cs->bf[o] = (float)((b - (double)mu[o]) * sc + (double)bet[o]);
    }
    cs->fold_version = ex->param_version;
    cs->fold_ok = 1;
}

static eip_status conv_plan(void *layer, const eip_nn_plan_in *in, void **state,
                            eip_nn_plan_out *out, eip_error *err)
{
    conv_layer *L = layer;
    const char *nm = in->name;
    conv_state *cs = calloc(1, sizeof *cs);
    if (!cs)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", nm);
    *state = cs;
    eip_nn_wstate *s = &cs->w;
    s->train = in->kind != EIP_NN_PK_INFER;
    dnnl_memory_desc_t w_user, b_md;
    dnnl_dims_t wd = {L->co, L->ci, L->k, L->k};
    dnnl_dims_t bd = {L->co};
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&w_user, 4, wd, dnnl_f32, dnnl_oihw), nm, "weights desc");
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_a), nm, "bias desc");
    eip_nn_plan_in own = *in; /* the arithmetic may differ from the plan's */
    int image;
    EIP_NN_OK(conv_is_image(L, in, &image, err));
    own.dt = conv_dt(L, in, s->train, image);
    in = &own;
    dnnl_post_ops_t relu = NULL; /* a folded BN's ReLU */
    if (in->fold && !s->train) {
        cs->fold = 1;
        cs->f = *in->fold;
        cs->wf = malloc((size_t)(L->co * L->ci * L->k * L->k) * sizeof(float));
        cs->bf = malloc((size_t)L->co * sizeof(float));
        if (!cs->wf || !cs->bf)
            return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: folded weights", nm);
        if (cs->f.relu) {
            EIP_NN_TRY(dnnl_post_ops_create(&relu), nm, "post-ops");
            dnnl_status_t ds = dnnl_post_ops_append_eltwise(relu, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
            if (ds != dnnl_success) {
                dnnl_post_ops_destroy(relu);
                return eip_nn_dnnl_check(ds, nm, "post-ops", err);
            }
        }
    }
    conv_pds p;
    eip_status cst = conv_choose(L, in, s->train, image, relu, &p, err);
    if (relu)
        dnnl_post_ops_destroy(relu);
    if (cst != EIP_OK)
        return cst;
    /* the state owns the descriptors from here (freed with it on error) */
    s->fwd.pd = p.f;
    s->bwd_d.pd = p.bd;
    s->bwd_w.pd = p.bw;
    EIP_NN_OK(eip_nn_prim_finish(&s->fwd, in->eng, &out->scratch_bytes, nm, "convolution forward", err));
    const dnnl_memory_desc_t *src_md = eip_nn_prim_md(&s->fwd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *w_md = eip_nn_prim_md(&s->fwd, dnnl_query_weights_md, 0);
    out->out_md = *eip_nn_prim_md(&s->fwd, dnnl_query_dst_md, 0);
    /* folded weights are cached apart from the plain ones (key -1 - offset) */
    EIP_NN_OK(eip_nn_wts_make(&s->w_fwd, &w_user, w_md, in->wcache, cs->fold ? -1 - L->w_off : L->w_off,
                              in->eng, &out->scratch_bytes, nm, err));
    if (L->bias || cs->fold)
        EIP_NN_OK(eip_nn_mem_new(&s->bias, &b_md, in->eng, nm, err));

    const dnnl_memory_desc_t *dsrc_md = NULL;
    if (s->train) {
        EIP_NN_OK(eip_nn_prim_finish(&s->bwd_d, in->eng, &out->scratch_bytes, nm,
                                     "convolution backward data", err));
        dsrc_md = eip_nn_prim_md(&s->bwd_d, dnnl_query_diff_src_md, 0);
        const dnnl_memory_desc_t *wb_md = eip_nn_prim_md(&s->bwd_d, dnnl_query_weights_md, 0);
        s->bwd_w_same = dnnl_memory_desc_equal(wb_md, w_md);
        if (!s->bwd_w_same)
            EIP_NN_OK(eip_nn_wts_make(&s->w_bwd, &w_user, wb_md, in->wcache, L->w_off,
                                      in->eng, &out->scratch_bytes, nm, err));
        EIP_NN_OK(eip_nn_prim_finish(&s->bwd_w, in->eng, &out->scratch_bytes, nm,
                                     "convolution backward weights", err));
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
    conv_state *cs = state;
    eip_nn_wstate *s = &cs->w;
    dnnl_memory_t src;
    EIP_NN_OK(eip_nn_adapt_src(&s->in, ex, ex->src[0], ex->ws, &src, err));
    if (cs->fold && (!cs->fold_ok || cs->fold_version != ex->param_version))
        conv_fold(L, cs, ex);
    EIP_NN_OK(eip_nn_wts_sync(&s->w_fwd, cs->fold ? cs->wf : ex->params + L->w_off, ex, err));
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s->w_fwd.prim},
                            {DNNL_ARG_DST, ex->dst}, {DNNL_ARG_BIAS, s->bias}};
    if (L->bias || cs->fold)
        EIP_NN_OK(eip_nn_mem_bind(s->bias, cs->fold ? cs->bf : ex->params + L->b_off, ex->name, err));
    return eip_nn_prim_run(&s->fwd, ex, a, L->bias || cs->fold ? 4 : 3, "convolution forward", err);
}

static eip_status conv_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    conv_layer *L = layer;
    return eip_nn_wstate_backward(&((conv_state *)state)->w, ex, L->w_off, L->bias ? L->b_off : -1,
                                  L->co, "convolution", err);
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
    "conv", conv_plan, conv_forward, conv_backward, conv_state_free, conv_init, NULL, conv_free, 1,
    conv_macs, 0, NULL, 1,
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
