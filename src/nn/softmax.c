/* Row softmax / log-softmax on plain float arrays, on oneDNN's kernels.
 * Shape legend: R = rows, W = width; x, p, logp are [R, W] row-major.
 *
 * Why: a softmax cross-entropy over a wide head computes one exp per logit;
 * the scalar double-precision loop of src/train/loss.c costs ~3.4 ms per
 * batch of 128 at K = 3 x 1009 (EncryIP's paper group at P = 1000, issue
 * 16), about a third of a training step, while oneDNN's softmax runs
 * vectorised on every thread.  Primitives are planned per row count (the
 * last batch of an epoch is shorter) and kept: at most two row counts are
 * live, the full batch and the current other one. */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

typedef struct sm_plan {
    int64_t rows; /* 0 = empty */
    dnnl_primitive_t fwd[2]; /* softmax, logsoftmax */
    dnnl_memory_t src, dst;
} sm_plan;

struct eip_nn_softmax {
    eip_nn_ctx *ctx;
    int64_t max_rows, width;
    sm_plan plan[2]; /* [0] max_rows, [1] the last other row count */
};

static void plan_free(sm_plan *p)
{
    for (int i = 0; i < 2; i++)
        if (p->fwd[i])
            dnnl_primitive_destroy(p->fwd[i]);
    eip_nn_mem_free(&p->src);
    eip_nn_mem_free(&p->dst);
    memset(p, 0, sizeof *p);
}

static eip_status plan_make(sm_plan *p, dnnl_engine_t eng, int64_t rows, int64_t width, eip_error *err)
{
    const char *nm = "softmax";
    dnnl_memory_desc_t md;
    const dnnl_dims_t dims = {rows, width};
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&md, 2, dims, dnnl_f32, dnnl_ab), nm, "memory desc");
    const dnnl_alg_kind_t alg[2] = {dnnl_softmax_accurate, dnnl_softmax_log};
    for (int i = 0; i < 2; i++) {
        dnnl_softmax_v2_desc_t d;
        EIP_NN_TRY(dnnl_softmax_v2_forward_desc_init(&d, dnnl_forward_inference, alg[i], &md, &md, 1),
                   nm, "softmax desc");
        dnnl_primitive_desc_t pd = NULL;
        EIP_NN_TRY(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL), nm, "softmax plan");
        dnnl_status_t st = dnnl_primitive_create(&p->fwd[i], pd);
        dnnl_primitive_desc_destroy(pd);
        if (st != dnnl_success)
            p->fwd[i] = NULL;
        EIP_NN_TRY(st, nm, "softmax primitive");
    }
    EIP_NN_OK(eip_nn_mem_new(&p->src, &md, eng, nm, err));
    EIP_NN_OK(eip_nn_mem_new(&p->dst, &md, eng, nm, err));
    p->rows = rows;
    return EIP_OK;
}

eip_status eip_nn_softmax_init(eip_nn_softmax_t **out, eip_nn_ctx *ctx, int64_t max_rows,
                               int64_t width, eip_error *err)
{
    if (!out || !ctx)
        return eip_error_set(err, EIP_ERR_ARG, "softmax: NULL argument");
    *out = NULL;
    if (max_rows < 1 || width < 1 || max_rows > INT32_MAX || width > INT32_MAX)
        return eip_error_set(err, EIP_ERR_SHAPE, "softmax: bad shape [%lld, %lld]",
                             (long long)max_rows, (long long)width);
    eip_nn_softmax_t *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "softmax: out of memory");
    s->ctx = ctx;
    s->max_rows = max_rows;
    s->width = width;
    eip_status st = plan_make(&s->plan[0], ctx->engine, max_rows, width, err);
    if (st != EIP_OK) {
        eip_nn_softmax_free(s);
        return st;
    }
    *out = s;
    return EIP_OK;
}

static eip_status run_one(dnnl_primitive_t prim, sm_plan *p, dnnl_stream_t stream, const float *x,
                          float *y, eip_error *err)
{
    const char *nm = "softmax";
    EIP_NN_OK(eip_nn_mem_bind(p->src, (void *)x, nm, err));
    EIP_NN_OK(eip_nn_mem_bind(p->dst, y, nm, err));
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_DST, p->dst}};
    EIP_NN_TRY(dnnl_primitive_execute(prim, stream, 2, a), nm, "softmax run");
    EIP_NN_TRY(dnnl_stream_wait(stream), nm, "softmax wait");
    return EIP_OK;
}

eip_status eip_nn_softmax_run(eip_nn_softmax_t *s, const float *x, int64_t rows, float *p,
                              float *logp, eip_error *err)
{
    if (!s || !x)
        return eip_error_set(err, EIP_ERR_ARG, "softmax: NULL argument");
    if (rows < 1 || rows > s->max_rows)
        return eip_error_set(err, EIP_ERR_SHAPE, "softmax: %lld rows, planned for 1..%lld",
                             (long long)rows, (long long)s->max_rows);
    sm_plan *pl = &s->plan[0];
    if (rows != s->max_rows) {
        pl = &s->plan[1];
        if (pl->rows != rows) {
            plan_free(pl);
            EIP_NN_OK(plan_make(pl, s->ctx->engine, rows, s->width, err));
        }
    }
    if (p)
        EIP_NN_OK(run_one(pl->fwd[0], pl, s->ctx->stream, x, p, err));
    if (logp)
        EIP_NN_OK(run_one(pl->fwd[1], pl, s->ctx->stream, x, logp, err));
    return EIP_OK;
}

void eip_nn_softmax_free(eip_nn_softmax_t *s)
{
    if (!s)
        return;
    plan_free(&s->plan[0]);
    plan_free(&s->plan[1]);
    free(s);
}
