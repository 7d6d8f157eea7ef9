/* oneDNN helpers shared by the layers: status checking, primitive creation
 * with a user scratchpad, reorders (optionally accumulating), memory objects
 * bound late to arena buffers, and the weight / input-layout adapters.
 * Shapes: see the legend in nn_internal.h. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_internal.h"

static const char *dnnl_status_str(dnnl_status_t s)
{
    switch (s) {
    case dnnl_success: return "success";
    case dnnl_out_of_memory: return "out of memory";
    case dnnl_invalid_arguments: return "invalid arguments";
    case dnnl_unimplemented: return "unimplemented (no implementation for these shapes/layouts)";
    case dnnl_iterator_ends: return "iterator ends";
    case dnnl_runtime_error: return "runtime error";
    case dnnl_not_required: return "not required";
    default: return "unknown status";
    }
}

eip_status eip_nn_dnnl_check(dnnl_status_t st, const char *layer, const char *what,
                             eip_error *err)
{
    if (st == dnnl_success)
        return EIP_OK;
    return eip_error_set(err, st == dnnl_out_of_memory ? EIP_ERR_NOMEM : EIP_ERR_BACKEND,
                         "layer %s: oneDNN %s: %s", layer ? layer : "?", what,
                         dnnl_status_str(st));
}

const dnnl_memory_desc_t *eip_nn_prim_md(const eip_nn_prim *pr, dnnl_query_t q, int idx)
{
    return dnnl_primitive_desc_query_md(pr->pd, q, idx);
}

/* Builds attr = user scratchpad (+ post-ops); caller destroys. */
eip_status eip_nn_attr_new(dnnl_primitive_attr_t *attr, const_dnnl_post_ops_t po,
                            const char *layer, const char *what, eip_error *err)
{
    EIP_NN_TRY(dnnl_primitive_attr_create(attr), layer, what);
    dnnl_status_t s = dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success && po)
        s = dnnl_primitive_attr_set_post_ops(*attr, po);
    if (s != dnnl_success) {
        dnnl_primitive_attr_destroy(*attr);
        *attr = NULL;
    }
    return eip_nn_dnnl_check(s, layer, what, err);
}

/* pd created: make the primitive and the scratchpad memory. */
eip_status eip_nn_prim_finish(eip_nn_prim *pr, dnnl_engine_t eng, size_t *scratch,
                              const char *layer, const char *what, eip_error *err)
{
    EIP_NN_TRY(dnnl_primitive_create(&pr->p, pr->pd), layer, what);
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pr->pd, dnnl_query_scratchpad_md, 0);
    size_t sb = smd ? dnnl_memory_desc_get_size(smd) : 0;
    if (sb > 0) {
        EIP_NN_OK(eip_nn_mem_new(&pr->scratch, smd, eng, layer, err));
        if (scratch && sb > *scratch)
            *scratch = sb;
    }
    return EIP_OK;
}

eip_status eip_nn_pd_make(dnnl_primitive_desc_t *pd, const_dnnl_op_desc_t op, dnnl_engine_t eng,
                          const_dnnl_primitive_desc_t hint, const_dnnl_post_ops_t post_ops,
                          const char *layer, const char *what, eip_error *err)
{
    *pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    EIP_NN_OK(eip_nn_attr_new(&attr, post_ops, layer, what, err));
    dnnl_status_t s = dnnl_primitive_desc_create(pd, op, attr, eng, hint);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success)
        *pd = NULL;
    return eip_nn_dnnl_check(s, layer, what, err);
}

const char *eip_nn_pd_impl(const_dnnl_primitive_desc_t pd)
{
    const char *impl = NULL;
    if (!pd || dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success ||
        !impl)
        return "";
    return impl;
}

int eip_nn_pd_is_ref(const_dnnl_primitive_desc_t pd)
{
    return strncmp(eip_nn_pd_impl(pd), "ref", 3) == 0;
}

eip_status eip_nn_prim_make(eip_nn_prim *pr, const_dnnl_op_desc_t op, dnnl_engine_t eng,
                            const_dnnl_primitive_desc_t hint, const_dnnl_post_ops_t post_ops,
                            size_t *scratch, const char *layer, const char *what,
                            eip_error *err)
{
    memset(pr, 0, sizeof *pr);
    EIP_NN_OK(eip_nn_pd_make(&pr->pd, op, eng, hint, post_ops, layer, what, err));
    return eip_nn_prim_finish(pr, eng, scratch, layer, what, err);
}

eip_status eip_nn_reorder_make(eip_nn_prim *pr, const dnnl_memory_desc_t *src_md,
                               const dnnl_memory_desc_t *dst_md, dnnl_engine_t eng,
                               int accumulate, size_t *scratch, const char *layer,
                               const char *what, eip_error *err)
{
    memset(pr, 0, sizeof *pr);
    dnnl_post_ops_t po = NULL;
    if (accumulate) {
        EIP_NN_TRY(dnnl_post_ops_create(&po), layer, what);
        dnnl_status_t s = dnnl_post_ops_append_sum(po, 1.0f);
        if (s != dnnl_success) {
            dnnl_post_ops_destroy(po);
            return eip_nn_dnnl_check(s, layer, what, err);
        }
    }
    dnnl_primitive_attr_t attr = NULL;
    eip_status es = eip_nn_attr_new(&attr, po, layer, what, err);
    if (po)
        dnnl_post_ops_destroy(po);
    if (es != EIP_OK)
        return es;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pr->pd, src_md, eng, dst_md, eng, attr);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) {
        pr->pd = NULL;
        return eip_nn_dnnl_check(s, layer, what, err);
    }
    /* a plain copy (no padding, no offset, same layout): bit-identical result */
    int dense = !accumulate && dnnl_memory_desc_equal(src_md, dst_md) && src_md->offset0 == 0 &&
                src_md->format_kind == dnnl_blocked;
    for (int d = 0; dense && d < src_md->ndims; d++)
        dense = src_md->padded_dims[d] == src_md->dims[d] && src_md->padded_offsets[d] == 0;
    if (dense)
        pr->copy_bytes = eip_nn_md_bytes(src_md);
    return eip_nn_prim_finish(pr, eng, scratch, layer, what, err);
}

/* dst[0 .. bytes) = src (OpenMP over 64 KiB chunks) */
static void par_copy(void *dst, const void *src, size_t bytes)
{
    const size_t chunk = (size_t)1 << 16;
    const int64_t nc = (int64_t)((bytes + chunk - 1) / chunk);
#pragma omp parallel for schedule(static) if (nc > 4)
    for (int64_t c = 0; c < nc; c++) {
        size_t off = (size_t)c * chunk, len = bytes - off < chunk ? bytes - off : chunk;
        memcpy((unsigned char *)dst + off, (const unsigned char *)src + off, len);
    }
}

eip_status eip_nn_prim_run(eip_nn_prim *pr, const eip_nn_exec *ex, dnnl_exec_arg_t *args,
                           int nargs, const char *what, eip_error *err)
{
    dnnl_exec_arg_t all[16];
    if (nargs > 15)
        return eip_error_set(err, EIP_ERR_ARG, "layer %s: %s: too many arguments", ex->name, what);
    memcpy(all, args, (size_t)nargs * sizeof *args);
    if (pr->copy_bytes) {
        void *from = NULL, *to = NULL;
        for (int i = 0; i < nargs; i++) {
            if (args[i].arg == DNNL_ARG_FROM)
                from = eip_nn_mem_ptr(args[i].memory);
            else if (args[i].arg == DNNL_ARG_TO)
                to = eip_nn_mem_ptr(args[i].memory);
        }
        if (!from || !to)
            return eip_error_set(err, EIP_ERR_ARG, "layer %s: %s: copy without buffers", ex->name, what);
        if (from != to)
            par_copy(to, from, pr->copy_bytes);
        return EIP_OK;
    }
    if (pr->scratch) {
        EIP_NN_OK(eip_nn_mem_bind(pr->scratch, ex->scratch, ex->name, err));
        all[nargs].arg = DNNL_ARG_SCRATCHPAD;
        all[nargs].memory = pr->scratch;
        nargs++;
    }
    EIP_NN_TRY(dnnl_primitive_execute(pr->p, ex->stream, nargs, all), ex->name, what);
    EIP_NN_TRY(dnnl_stream_wait(ex->stream), ex->name, what);
    return EIP_OK;
}

void eip_nn_prim_free(eip_nn_prim *pr)
{
    if (!pr)
        return;
    if (pr->p)
        dnnl_primitive_destroy(pr->p);
    if (pr->pd)
        dnnl_primitive_desc_destroy(pr->pd);
    eip_nn_mem_free(&pr->scratch);
    memset(pr, 0, sizeof *pr);
}

eip_status eip_nn_mem_new(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t eng,
                          const char *layer, eip_error *err)
{
    *m = NULL;
    EIP_NN_TRY(dnnl_memory_create(m, md, eng, DNNL_MEMORY_NONE), layer, "memory");
    return EIP_OK;
}

eip_status eip_nn_mem_bind(dnnl_memory_t m, void *ptr, const char *layer, eip_error *err)
{
    void *cur = NULL;
    EIP_NN_TRY(dnnl_memory_get_data_handle(m, &cur), layer, "memory handle");
    if (cur != ptr)
        EIP_NN_TRY(dnnl_memory_set_data_handle(m, ptr), layer, "memory handle");
    return EIP_OK;
}

void *eip_nn_mem_ptr(dnnl_memory_t m)
{
    void *p = NULL;
    if (m && dnnl_memory_get_data_handle(m, &p) != dnnl_success)
        return NULL;
    return p;
}

void eip_nn_mem_free(dnnl_memory_t *m)
{
    if (m && *m) {
        dnnl_memory_destroy(*m);
        *m = NULL;
    }
}

size_t eip_nn_md_bytes(const dnnl_memory_desc_t *md)
{
    return dnnl_memory_desc_get_size(md);
}

eip_status eip_nn_md_plain(dnnl_memory_desc_t *md, int ndims, const int64_t *dims,
                           dnnl_data_type_t dt, eip_error *err)
{
    static const dnnl_format_tag_t tags[5] = {dnnl_format_tag_undef, dnnl_a, dnnl_ab, dnnl_abc,
                                              dnnl_abcd};
    if (ndims < 1 || ndims > 4)
        return eip_error_set(err, EIP_ERR_SHAPE, "plain tensor: %d dims", ndims);
    dnnl_dims_t d;
    for (int i = 0; i < ndims; i++)
        d[i] = dims[i];
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(md, ndims, d, dt, tags[ndims]), "tensor",
               "plain memory desc");
    return EIP_OK;
}

eip_status eip_nn_md_for_shape(dnnl_memory_desc_t *md, int64_t n, const eip_nn_shape *s,
                               dnnl_data_type_t dt, eip_error *err)
{
    int64_t d[4] = {n, s->c, s->h, s->w};
    return eip_nn_md_plain(md, s->ndim == 1 ? 2 : 4, d, dt, err);
}

eip_status eip_nn_md_any(dnnl_memory_desc_t *md, int64_t n, const eip_nn_shape *s,
                         dnnl_data_type_t dt, eip_error *err)
{
    dnnl_dims_t d = {n, s->c, s->h, s->w};
    EIP_NN_TRY(dnnl_memory_desc_init_by_tag(md, s->ndim == 1 ? 2 : 4, d, dt,
                                            dnnl_format_tag_any),
               "tensor", "memory desc");
    return EIP_OK;
}

void eip_nn_axpy1(void *y, const void *x, int64_t count, dnnl_data_type_t dt)
{
    if (dt == dnnl_bf16) {
        uint16_t *yb = y;
        const uint16_t *xb = x;
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < count; i++)
            yb[i] = eip_nn_f32_to_bf16(eip_nn_bf16_to_f32(yb[i]) + eip_nn_bf16_to_f32(xb[i]));
        return;
    }
    float *yf = y;
    const float *xf = x;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; i++)
        yf[i] += xf[i];
}

void eip_nn_fill_uniform(float *dst, int64_t count, double bound, uint64_t *rng)
{
    for (int64_t i = 0; i < count; i++)
        dst[i] = (float)((2.0 * eip_nn_uniform(rng) - 1.0) * bound);
}

/* ---- weights ---- */

eip_status eip_nn_wts_make(eip_nn_wts *w, const dnnl_memory_desc_t *user_md,
                           const dnnl_memory_desc_t *prim_md, eip_nn_wbuf **cache, int64_t off,
                           dnnl_engine_t eng, size_t *scratch, const char *layer, eip_error *err)
{
    memset(w, 0, sizeof *w);
    EIP_NN_OK(eip_nn_mem_new(&w->user, user_md, eng, layer, err));
    w->same = dnnl_memory_desc_equal(user_md, prim_md);
    if (w->same) {
        w->prim = w->user;
        return EIP_OK;
    }
    eip_nn_wbuf *b = *cache;
    while (b && !(b->off == off && dnnl_memory_desc_equal(&b->md, prim_md)))
        b = b->next;
    if (!b) {
        size_t bytes = eip_nn_md_bytes(prim_md);
        b = calloc(1, sizeof *b);
        if (b)
            b->buf = aligned_alloc(EIP_NN_ALIGN, (bytes + EIP_NN_ALIGN - 1) / EIP_NN_ALIGN * EIP_NN_ALIGN);
        if (!b || !b->buf) {
            free(b);
            return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: weights buffer (%zu bytes)", layer,
                                 bytes);
        }
        b->off = off;
        b->md = *prim_md;
        b->next = *cache;
        *cache = b;
    }
    b->refs++;
    w->wb = b;
    w->cache = cache;
    EIP_NN_TRY(dnnl_memory_create(&w->prim, prim_md, eng, b->buf), layer, "weights memory");
    return eip_nn_reorder_make(&w->to_prim, user_md, prim_md, eng, 0, scratch, layer,
                               "weights reorder", err);
}

eip_status eip_nn_wts_sync(eip_nn_wts *w, float *ptr, const eip_nn_exec *ex, eip_error *err)
{
    EIP_NN_OK(eip_nn_mem_bind(w->user, ptr, ex->name, err));
    if (w->same)
        return EIP_OK;
    eip_nn_wbuf *b = w->wb;
    if (b->loaded && b->version == ex->param_version && (!ex->reread || b->pass == ex->pass))
        return EIP_OK;
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, w->user}, {DNNL_ARG_TO, w->prim}};
    EIP_NN_OK(eip_nn_prim_run(&w->to_prim, ex, a, 2, "weights reorder", err));
    b->loaded = 1;
    b->version = ex->param_version;
    b->pass = ex->pass;
    return EIP_OK;
}

void eip_nn_wts_free(eip_nn_wts *w)
{
    if (!w)
        return;
    if (w->prim && w->prim != w->user)
        dnnl_memory_destroy(w->prim);
    eip_nn_mem_free(&w->user);
    eip_nn_prim_free(&w->to_prim);
    if (w->wb && --w->wb->refs == 0) {
        eip_nn_wbuf **pp = w->cache;
        while (*pp && *pp != w->wb)
            pp = &(*pp)->next;
        if (*pp)
            *pp = w->wb->next;
        free(w->wb->buf);
        free(w->wb);
    }
    memset(w, 0, sizeof *w);
}

eip_status eip_nn_wgrad_make(eip_nn_wgrad *g, const dnnl_memory_desc_t *prim_md,
                             const dnnl_memory_desc_t *user_md, dnnl_engine_t eng,
                             size_t *scratch, const char *layer, eip_error *err)
{
    memset(g, 0, sizeof *g);
    g->bytes = eip_nn_md_bytes(prim_md);
    EIP_NN_OK(eip_nn_mem_new(&g->prim, prim_md, eng, layer, err));
    EIP_NN_OK(eip_nn_mem_new(&g->user, user_md, eng, layer, err));
    return eip_nn_reorder_make(&g->acc, prim_md, user_md, eng, 1, scratch, layer,
                               "diff weights accumulate", err);
}

void eip_nn_wgrad_free(eip_nn_wgrad *g)
{
    if (!g)
        return;
    eip_nn_mem_free(&g->prim);
    eip_nn_mem_free(&g->user);
    eip_nn_prim_free(&g->acc);
    memset(g, 0, sizeof *g);
}

/* ---- input layout adapter ---- */

static size_t align_up(size_t b) { return (b + EIP_NN_ALIGN - 1) / EIP_NN_ALIGN * EIP_NN_ALIGN; }

eip_status eip_nn_adapt_make(eip_nn_adapt *a, const dnnl_memory_desc_t *have,
                             const dnnl_memory_desc_t *want,
                             const dnnl_memory_desc_t *want_diff, dnnl_engine_t eng,
                             size_t *scratch, const char *layer, eip_error *err)
{
    memset(a, 0, sizeof *a);
    if (!dnnl_memory_desc_equal(have, want)) {
        a->need_f = 1;
        a->bytes_f = align_up(eip_nn_md_bytes(want));
        EIP_NN_OK(eip_nn_mem_new(&a->mem, want, eng, layer, err));
        EIP_NN_OK(eip_nn_reorder_make(&a->fwd, have, want, eng, 0, scratch, layer,
                                      "input layout reorder", err));
    }
    if (want_diff && !dnnl_memory_desc_equal(have, want_diff)) {
        a->need_b = 1;
        a->bytes_b = align_up(eip_nn_md_bytes(want_diff));
        EIP_NN_OK(eip_nn_mem_new(&a->dmem, want_diff, eng, layer, err));
        EIP_NN_OK(eip_nn_reorder_make(&a->bwd, want_diff, have, eng, 0, scratch, layer,
                                      "diff layout reorder", err));
    }
    return EIP_OK;
}

eip_status eip_nn_adapt_src(eip_nn_adapt *a, const eip_nn_exec *ex, dnnl_memory_t have,
                            unsigned char *ws, dnnl_memory_t *src, eip_error *err)
{
    if (!a->need_f) {
        *src = have;
        return EIP_OK;
    }
    EIP_NN_OK(eip_nn_mem_bind(a->mem, ws, ex->name, err));
    *src = a->mem;
    if (ex->ddst) /* backward: the forward already filled it */
        return EIP_OK;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, have}, {DNNL_ARG_TO, a->mem}};
    return eip_nn_prim_run(&a->fwd, ex, args, 2, "input layout reorder", err);
}

eip_status eip_nn_adapt_dsrc(eip_nn_adapt *a, const eip_nn_exec *ex, dnnl_memory_t dsrc,
                             unsigned char *ws, dnnl_memory_t *out, eip_error *err)
{
    if (!dsrc || !a->need_b) {
        *out = dsrc;
        return EIP_OK;
    }
    EIP_NN_OK(eip_nn_mem_bind(a->dmem, ws + a->bytes_f, ex->name, err));
    *out = a->dmem;
    return EIP_OK;
}

eip_status eip_nn_adapt_finish(eip_nn_adapt *a, const eip_nn_exec *ex, dnnl_memory_t dsrc,
                               eip_error *err)
{
    if (!dsrc || !a->need_b)
        return EIP_OK;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, a->dmem}, {DNNL_ARG_TO, dsrc}};
    return eip_nn_prim_run(&a->bwd, ex, args, 2, "diff layout reorder", err);
}

void eip_nn_adapt_free(eip_nn_adapt *a)
{
    if (!a)
        return;
    eip_nn_mem_free(&a->mem);
    eip_nn_mem_free(&a->dmem);
    eip_nn_prim_free(&a->fwd);
    eip_nn_prim_free(&a->bwd);
    memset(a, 0, sizeof *a);
}

eip_status eip_nn_wstate_backward(eip_nn_wstate *s, const eip_nn_exec *ex, int64_t w_off,
                                  int64_t b_off, int64_t n_out, const char *what, eip_error *err)
{
    if (!s->train)
        return eip_error_set(err, EIP_ERR_STATE, "layer %s: planned without backward", ex->name);
    char name[80];
    dnnl_memory_t src;
    EIP_NN_OK(eip_nn_adapt_src(&s->in, ex, ex->src[0], ex->ws, &src, err));
    /* diff weights (+ bias) into the shared scratch, then accumulated into grads */
    EIP_NN_OK(eip_nn_mem_bind(s->gw.prim, ex->wdiff, ex->name, err));
    EIP_NN_OK(eip_nn_mem_bind(s->gw.user, ex->grads + w_off, ex->name, err));
    float *db = (float *)(ex->wdiff + eip_nn_align(s->gw.bytes)); /* [O] */
    const int bias = b_off >= 0;
    if (bias)
        EIP_NN_OK(eip_nn_mem_bind(s->dbias, db, ex->name, err));
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ex->ddst},
                            {DNNL_ARG_DIFF_WEIGHTS, s->gw.prim}, {DNNL_ARG_DIFF_BIAS, s->dbias}};
    snprintf(name, sizeof name, "%s backward weights", what);
    EIP_NN_OK(eip_nn_prim_run(&s->bwd_w, ex, a, bias ? 4 : 3, name, err));
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, s->gw.prim}, {DNNL_ARG_TO, s->gw.user}};
    EIP_NN_OK(eip_nn_prim_run(&s->gw.acc, ex, r, 2, "diff weights accumulate", err));
    if (bias) {
        float *gb = ex->grads + b_off; /* [O] */
        for (int64_t o = 0; o < n_out; o++)
            gb[o] += db[o];
    }
    if (!ex->dsrc[0])
        return EIP_OK; /* e.g. first layer without input gradient: skip backward data */
    dnnl_memory_t dsrc;
    EIP_NN_OK(eip_nn_adapt_dsrc(&s->in, ex, ex->dsrc[0], ex->ws, &dsrc, err));
    eip_nn_wts *w = s->bwd_w_same ? &s->w_fwd : &s->w_bwd;
    EIP_NN_OK(eip_nn_wts_sync(w, ex->params + w_off, ex, err));
    dnnl_exec_arg_t d[3] = {{DNNL_ARG_DIFF_DST, ex->ddst}, {DNNL_ARG_WEIGHTS, w->prim},
                            {DNNL_ARG_DIFF_SRC, dsrc}};
    snprintf(name, sizeof name, "%s backward data", what);
    EIP_NN_OK(eip_nn_prim_run(&s->bwd_d, ex, d, 3, name, err));
    return eip_nn_adapt_finish(&s->in, ex, ex->dsrc[0], err);
}

void eip_nn_wstate_free(void *state)
{
    eip_nn_wstate_clear(state);
    free(state);
}

void eip_nn_wstate_clear(eip_nn_wstate *s)
{
    if (!s)
        return;
    eip_nn_prim_free(&s->fwd);
    eip_nn_prim_free(&s->bwd_d);
    eip_nn_prim_free(&s->bwd_w);
    eip_nn_adapt_free(&s->in);
    eip_nn_wts_free(&s->w_fwd);
    eip_nn_wts_free(&s->w_bwd);
    eip_nn_wgrad_free(&s->gw);
    eip_nn_mem_free(&s->bias);
    eip_nn_mem_free(&s->dbias);
}
