/* Channel concatenation (torch.cat(dim=1), the inception output).
 * Shapes: x_j [N, C_j, H, W] (each in its producer's layout) ->
 * y [N, sum C_j, H, W], nChw16c or NHWC (see concat_plan).
 * Backward slices dy: each input's diff is a reorder from a sub-memory view
 * of dy at channel offset sum_{i<j} C_i.  When the blocked layout cannot be
 * cut at that offset (offset not a multiple of the channel block), dy is
 * first reordered to plain NCHW in ws and sliced there. */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

typedef struct concat_state {
    eip_nn_prim fwd;
    int n_in, via_plain, train;
    eip_nn_prim to_plain;              /* dy -> plain [N, C, H, W] (fallback) */
    dnnl_memory_t plain;               /* plain dy in ws (fallback) */
    eip_nn_prim slice[EIP_NN_MAX_IN];  /* sub-view of dy (or plain) -> dsrc[j] */
    dnnl_memory_t view[EIP_NN_MAX_IN]; /* sub-memory views */
} concat_state;

static void concat_state_free(void *p)
{
    concat_state *s = p;
    if (!s)
        return;
    eip_nn_prim_free(&s->fwd);
    eip_nn_prim_free(&s->to_plain);
    eip_nn_mem_free(&s->plain);
    for (int j = 0; j < EIP_NN_MAX_IN; j++) {
        eip_nn_prim_free(&s->slice[j]);
        eip_nn_mem_free(&s->view[j]);
    }
    free(s);
}

/* Builds the backward slices from `whole` (the desc dy is read through). */
static eip_status make_slices(concat_state *s, const eip_nn_plan_in *in,
                              const dnnl_memory_desc_t *whole, size_t *scratch, eip_error *err)
{
    int64_t off = 0;
    for (int j = 0; j < s->n_in; j++) {
        const eip_nn_shape *sh = in->in_shape[j];
        dnnl_dims_t dims = {in->n, sh->c, sh->h, sh->w}, offs = {0, off, 0, 0};
        dnnl_memory_desc_t sub;
        EIP_NN_TRY(dnnl_memory_desc_init_submemory(&sub, whole, dims, offs), in->name, "concat slice desc");
        EIP_NN_OK(eip_nn_mem_new(&s->view[j], &sub, in->eng, in->name, err));
        EIP_NN_OK(eip_nn_reorder_make(&s->slice[j], &sub, in->in_md[j], in->eng, 0, scratch,
                                      in->name, "concat slice reorder", err));
        off += sh->c;
    }
    return EIP_OK;
}

static eip_status concat_plan(void *layer, const eip_nn_plan_in *in, void **state,
                              eip_nn_plan_out *out, eip_error *err)
{
    const char *nm = in->name;
    concat_state *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", nm);
    *state = s;
    s->n_in = in->n_in;
    s->train = in->kind != EIP_NN_PK_INFER;
    dnnl_memory_desc_t srcs[EIP_NN_MAX_IN];
    for (int j = 0; j < in->n_in; j++)
        srcs[j] = *in->in_md[j];
    /* dst blocked (nChw16c, or nChw8c with AVX2: eip_nn_act_block) when
     * every input has that layout at a channel offset that is a multiple of
     * the block (oneDNN's `any` would pick plain NCHW, and every
     * consumer would reorder it back).  Otherwise NHWC: an NHWC input means
     * its small-channel producer conv could not run blocked (conv.c), and a
     * blocked dst cut at an unaligned offset costs a `ref:any` concat and the
     * plain fallback below; NHWC is cut at any channel. */
    dnnl_memory_desc_t dst;
    /* one data type for all (oneDNN concat); inputs of another type are
     * converted by the concat's reorders (bf16: e.g. an f32 input node) */
    const dnnl_data_type_t dt = in->in_md[0]->data_type;
    dnnl_dims_t dd = {in->n, in->out_shape->c, in->out_shape->h, in->out_shape->w};
    const dnnl_format_tag_t blk = eip_nn_act_block(dt);
    const int64_t bs = blk == dnnl_aBcd16b ? 16 : 8;
    int blocked = blk != dnnl_acdb; /* (bf16 on AMX: the net runs NHWC) */
    int64_t off = 0;
    for (int j = 0; j < in->n_in && blocked; j++) {
        const eip_nn_shape *sh = in->in_shape[j];
        dnnl_dims_t d = {in->n, sh->c, sh->h, sh->w};
        dnnl_memory_desc_t bmd;
        EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&bmd, 4, d, dt, blk), nm, "concat src desc");
        blocked = off % bs == 0 && dnnl_memory_desc_equal(in->in_md[j], &bmd);
        off += sh->c;
    }
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dt, blocked ? blk : dnnl_acdb),
               nm, "concat dst desc");
    dnnl_primitive_attr_t attr = NULL;
    EIP_NN_OK(eip_nn_attr_new(&attr, NULL, nm, "concat", err));
    dnnl_status_t st = dnnl_concat_primitive_desc_create(&s->fwd.pd, &dst, in->n_in, 1, srcs, attr, in->eng);
    dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success) {
        s->fwd.pd = NULL;
        return eip_nn_dnnl_check(st, nm, "concat", err);
    }
    EIP_NN_OK(eip_nn_prim_finish(&s->fwd, in->eng, &out->scratch_bytes, nm, "concat", err));
    out->out_md = *eip_nn_prim_md(&s->fwd, dnnl_query_dst_md, 0);
    if (!s->train)
        return EIP_OK;
    eip_error tmp = {0};
    if (make_slices(s, in, &out->out_md, &out->scratch_bytes, &tmp) == EIP_OK)
        return EIP_OK;
    /* fallback through plain NCHW */
    for (int j = 0; j < EIP_NN_MAX_IN; j++) {
        eip_nn_prim_free(&s->slice[j]);
        eip_nn_mem_free(&s->view[j]);
    }
    s->via_plain = 1;
    dnnl_memory_desc_t plain;
    EIP_NN_OK(eip_nn_md_for_shape(&plain, in->n, in->out_shape, dt, err));
    EIP_NN_OK(eip_nn_mem_new(&s->plain, &plain, in->eng, nm, err));
    EIP_NN_OK(eip_nn_reorder_make(&s->to_plain, &out->out_md, &plain, in->eng, 0, &out->scratch_bytes,
                                  nm, "concat diff to plain", err));
    out->ws_bytes = eip_nn_md_bytes(&plain);
    return make_slices(s, in, &plain, &out->scratch_bytes, err);
}

static eip_status concat_forward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    concat_state *s = state;
    dnnl_exec_arg_t a[EIP_NN_MAX_IN + 1];
    for (int j = 0; j < s->n_in; j++)
        a[j] = (dnnl_exec_arg_t){DNNL_ARG_MULTIPLE_SRC + j, ex->src[j]};
    a[s->n_in] = (dnnl_exec_arg_t){DNNL_ARG_DST, ex->dst};
    return eip_nn_prim_run(&s->fwd, ex, a, s->n_in + 1, "concat", err);
}

static eip_status concat_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    concat_state *s = state;
    if (!s->train)
        return eip_error_set(err, EIP_ERR_STATE, "layer %s: planned without backward", ex->name);
    void *base = eip_nn_mem_ptr(ex->ddst);
    if (s->via_plain) {
        EIP_NN_OK(eip_nn_mem_bind(s->plain, ex->ws, ex->name, err));
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, ex->ddst}, {DNNL_ARG_TO, s->plain}};
        EIP_NN_OK(eip_nn_prim_run(&s->to_plain, ex, a, 2, "concat diff to plain", err));
        base = ex->ws;
    }
    for (int j = 0; j < s->n_in; j++) {
        if (!ex->dsrc[j])
            continue;
        EIP_NN_OK(eip_nn_mem_bind(s->view[j], base, ex->name, err));
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, s->view[j]}, {DNNL_ARG_TO, ex->dsrc[j]}};
        EIP_NN_OK(eip_nn_prim_run(&s->slice[j], ex, a, 2, "concat slice reorder", err));
    }
    return EIP_OK;
}

static void concat_free(void *layer) { free(layer); }

static const eip_nn_layer_vt concat_vt = {
    "concat", concat_plan, concat_forward, concat_backward, concat_state_free, NULL, NULL,
    concat_free, 0, NULL, 0, NULL, 0,
};

eip_status eip_nn_concat_add(eip_nn_net_t *net, const char *name, const int *in, int n_in,
                             int *id, eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "concat", name, lb_, sizeof lb_);
    if (n_in < 2 || n_in > EIP_NN_MAX_IN)
        return eip_error_set(err, EIP_ERR_ARG, "concat %s: %d inputs (need 2..%d)", name, n_in,
                             EIP_NN_MAX_IN);
    eip_nn_shape os = {3, 0, 0, 0};
    for (int j = 0; j < n_in; j++) {
        const eip_nn_shape *s = eip_nn_node_shape(net, in[j]);
        if (!s)
            return eip_error_set(err, EIP_ERR_ARG, "concat %s: bad input node", name);
        if (s->ndim != 3)
            return eip_error_set(err, EIP_ERR_SHAPE, "concat %s: input %d is flat; needs [C, H, W]", name, j);
        if (j > 0 && (s->h != os.h || s->w != os.w))
            return eip_error_set(err, EIP_ERR_SHAPE, "concat %s: input %d is %lldx%lld, input 0 is %lldx%lld",
                                 name, j, (long long)s->h, (long long)s->w, (long long)os.h, (long long)os.w);
        os.h = s->h;
        os.w = s->w;
        os.c += s->c;
    }
    return eip_nn_net_add(net, &concat_vt, NULL, name, in, n_in, &os, id, err);
}
