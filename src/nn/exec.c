/* Execution: plans (primitives for one (batch size, mode)), the activation
 * arena, forward and backward.
 *
 * A plan is created once per (N, mode) and cached (EIP_NN_PLAN_CACHE, LRU).
 * Memory: every activation, diff, layer workspace and fan-out temporary is a
 * block with a lifetime on the timeline  forward node i -> time i,
 * backward node i -> time 2n-1-i; blocks are packed into one arena by a
 * greedy first-fit (largest first), so e.g. diffs reuse the space of
 * activations already consumed by backward, and inference (EVAL) keeps an
 * activation only until its last consumer ran.
 * Fan-out (a node read by several consumers: block inputs in ResNet, the
 * inception input): in backward the first consumer writes the node's diff,
 * later ones write a temporary that is added in (sum of diffs).
 * Shapes: x [N, C, H, W] plain, out [N, K] plain, inside: oneDNN layouts. */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

struct eip_nn_plan {
    int64_t n;
    eip_nn_pkind kind;
    dnnl_data_type_t dt;      /* conv / linear arithmetic (net->ctx->precision at planning) */
    uint64_t used;            /* LRU clock */
    int nn;                   /* nodes */
    void **state;             /* [nn] layer plan states */
    dnnl_memory_desc_t *md;   /* [nn] output layouts */
    dnnl_memory_t *act;       /* [nn] */
    dnnl_memory_t *diff;      /* [nn] (not for INFER) */
    dnnl_memory_t *tmp;       /* [nn * MAX_IN] fan-out temporaries or NULL */
    size_t *act_off, *diff_off, *ws_off, *tmp_off;
    size_t arena_bytes, scratch_bytes, wdiff_bytes;
    eip_nn_prim out_reorder, dout_reorder;  /* last node layout <-> plain [N, K] */
    int alias_out;            /* the last node works on the caller's arrays (plain copies skipped) */
    int n_folds;              /* BNs folded into their conv (inference) */
    dnnl_memory_t user_out;   /* plain [N, K] view of the caller's array */
    size_t in_bytes, out_bytes;
    uint64_t fwd_version, fwd_pass; /* param_version / pass id of the last forward (for backward) */
};

static void plan_free(eip_nn_net_t *net, eip_nn_plan *p)
{
    if (!p)
        return;
    for (int i = 1; i < p->nn; i++)
        if (p->state && p->state[i])
            net->nodes[i].vt->state_free(p->state[i]);
    for (int i = 0; i < p->nn; i++) {
        if (p->act)
            eip_nn_mem_free(&p->act[i]);
        if (p->diff)
            eip_nn_mem_free(&p->diff[i]);
    }
    for (int i = 0; p->tmp && i < p->nn * EIP_NN_MAX_IN; i++)
        eip_nn_mem_free(&p->tmp[i]);
    eip_nn_prim_free(&p->out_reorder);
    eip_nn_prim_free(&p->dout_reorder);
    eip_nn_mem_free(&p->user_out);
    free(p->state);
    free(p->md);
    free(p->act);
    free(p->diff);
    free(p->tmp);
    free(p->act_off);
    free(p->diff_off);
    free(p->ws_off);
    free(p->tmp_off);
    free(p);
}

void eip_nn_plans_free(eip_nn_net_t *net)
{
    for (int i = 0; i < EIP_NN_PLAN_CACHE; i++) {
        plan_free(net, net->plans[i]);
        net->plans[i] = NULL;
    }
    net->last_fwd = NULL;
}

/* ---- arena packing ---- */

typedef struct blk {
    size_t size, off;
    int t0, t1;
    size_t *out; /* where to store the offset */
} blk;

static int blk_cmp_size(const void *a, const void *b)
{
    const blk *x = a, *y = b;
    return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

static size_t al(size_t b) { return (b + EIP_NN_ALIGN - 1) / EIP_NN_ALIGN * EIP_NN_ALIGN; }

/* Greedy first-fit by decreasing size; returns total bytes or 0 on OOM. */
static int pack(blk *b, int nb, size_t *total)
{
    qsort(b, (size_t)nb, sizeof *b, blk_cmp_size);
    size_t *offs = malloc(((size_t)nb + 1) * 2 * sizeof *offs); /* candidate intervals */
    if (!offs)
        return -1;
    size_t top = 0;
    for (int i = 0; i < nb; i++) {
        /* collect [off, end) of placed blocks overlapping in time, sorted by off */
        int m = 0;
        for (int j = 0; j < i; j++)
            if (b[j].t0 <= b[i].t1 && b[i].t0 <= b[j].t1) {
                size_t o = b[j].off, e = b[j].off + b[j].size;
                int k = m++;
                while (k > 0 && offs[2 * (k - 1)] > o) {
                    offs[2 * k] = offs[2 * (k - 1)];
                    offs[2 * k + 1] = offs[2 * (k - 1) + 1];
                    k--;
                }
                offs[2 * k] = o;
                offs[2 * k + 1] = e;
            }
        size_t cand = 0;
        for (int k = 0; k < m; k++) {
            if (offs[2 * k] >= cand + b[i].size)
                break;
            if (offs[2 * k + 1] > cand)
                cand = offs[2 * k + 1];
        }
        b[i].off = cand;
        if (cand + b[i].size > top)
            top = cand + b[i].size;
    }
    free(offs);
    for (int i = 0; i < nb; i++)
        *b[i].out = b[i].off;
    *total = top;
    return 0;
}

/* ---- planning ---- */

/* Inference: BN nodes whose producer is a conv read by that BN alone are
 * folded into it (eip_nn_fold); alias[bn] = conv, folds_into[conv] = bn. */
static void fold_pairs(const eip_nn_net_t *net, int *alias, int *folds_into, eip_nn_fold *fold)
{
    const int nn = net->n_nodes;
    for (int i = 1; i < nn; i++) {
        const eip_nn_node *nd = &net->nodes[i];
        if (!nd->vt->fold_info || nd->n_in != 1)
            continue;
        const int c = nd->in[0];
        if (c < 1 || !net->nodes[c].vt->fold_into || folds_into[c])
            continue;
        int readers = 0;
        for (int j = 1; j < nn; j++)
            for (int q = 0; q < net->nodes[j].n_in; q++)
                readers += net->nodes[j].in[q] == c;
        if (readers == 1 && nd->vt->fold_info(nd->layer, &fold[c])) {
            alias[i] = c;
            folds_into[c] = i;
        }
    }
}

int eip_nn_eval_folds(const eip_nn_net_t *net, int64_t n)
{
    for (int i = 0; net && i < EIP_NN_PLAN_CACHE; i++) {
        const eip_nn_plan *p = net->plans[i];
        if (p && p->n == n && p->kind == EIP_NN_PK_INFER &&
            p->dt == (net->ctx->precision == EIP_NN_BF16 ? dnnl_bf16 : dnnl_f32))
            return p->n_folds;
    }
    return -1;
}

static eip_status plan_make(eip_nn_net_t *net, int64_t n, eip_nn_pkind kind, eip_nn_plan **out,
                            eip_error *err)
{
    dnnl_engine_t eng = (dnnl_engine_t)net->ctx->engine;
    int nn = net->n_nodes, last = nn - 1;
    int grad = kind != EIP_NN_PK_INFER;
    if (nn < 2)
        return eip_error_set(err, EIP_ERR_STATE, "nn: empty net");
    eip_nn_plan *p = calloc(1, sizeof *p);
    if (!p)
        return eip_error_set(err, EIP_ERR_NOMEM, "nn: plan");
    *out = p;
    p->n = n;
    p->kind = kind;
    p->dt = net->ctx->precision == EIP_NN_BF16 ? dnnl_bf16 : dnnl_f32;
    p->nn = nn;
    p->state = calloc((size_t)nn, sizeof *p->state);
    p->md = calloc((size_t)nn, sizeof *p->md);
    p->act = calloc((size_t)nn, sizeof *p->act);
    p->diff = calloc((size_t)nn, sizeof *p->diff);
    p->tmp = calloc((size_t)nn * EIP_NN_MAX_IN, sizeof *p->tmp);
    p->act_off = calloc((size_t)nn, sizeof(size_t));
    p->diff_off = calloc((size_t)nn, sizeof(size_t));
    p->ws_off = calloc((size_t)nn, sizeof(size_t));
    p->tmp_off = calloc((size_t)nn * EIP_NN_MAX_IN, sizeof(size_t));
    size_t *ws_bytes = calloc((size_t)nn, sizeof(size_t));
    int *maxcons = calloc((size_t)nn, sizeof(int));
    int *alias = calloc((size_t)nn, sizeof(int));       /* BN node -> its conv, 0: none */
    int *folds_into = calloc((size_t)nn, sizeof(int));  /* conv node -> its folded BN, 0: none */
    eip_nn_fold *fold = calloc((size_t)nn, sizeof *fold); /* [conv node] */
    char *written = calloc((size_t)nn, 1);
    blk *b = calloc((size_t)nn * (3 + EIP_NN_MAX_IN), sizeof *b);
    eip_status s = EIP_OK;
    if (!p->state || !p->md || !p->act || !p->diff || !p->tmp || !p->act_off || !p->diff_off ||
        !p->ws_off || !p->tmp_off || !ws_bytes || !maxcons || !written || !b || !alias || !folds_into ||
        !fold) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "nn: plan");
        goto done;
    }
    /* BN folding pays on AVX2 CPUs (direct kernels: -2.5..-5.7% of ResNet-18 inference,
     * oneDNN capped at AVX2); with AVX-512 the folded convolutions' bias + ReLU epilogue
     * cost what the BN pass did (Winograd ones more), so the BN stays a layer there */
    if (!grad && p->dt == dnnl_f32 && !eip_nn_isa_has(dnnl_cpu_isa_avx512_core))
        fold_pairs(net, alias, folds_into, fold);
    s = eip_nn_md_for_shape(&p->md[0], n, &net->nodes[0].shape, dnnl_f32, err);
    for (int i = 1; i < nn && s == EIP_OK; i++) {
        eip_nn_node *nd = &net->nodes[i];
        eip_nn_plan_in pin = {.eng = eng,
                              .n = n,
                              .kind = kind,
                              .n_in = nd->n_in,
                              .out_shape = &nd->shape,
                              .name = nd->name,
                              .wcache = &net->wbufs,
                              .dt = p->dt,
                              .fold = folds_into[i] ? &fold[i] : NULL,
                              .folded = alias[i] != 0};
        for (int j = 0; j < nd->n_in; j++) {
            pin.in_md[j] = &p->md[nd->in[j]];
            pin.in_shape[j] = &net->nodes[nd->in[j]].shape;
            if (maxcons[nd->in[j]] < i)
                maxcons[nd->in[j]] = i;
        }
        eip_nn_plan_out po;
        memset(&po, 0, sizeof po);
        s = nd->vt->plan(nd->layer, &pin, &p->state[i], &po, err);
        if (s != EIP_OK) {
            eip_error_prefix(err, "planning batch %lld: ", (long long)n);
            break;
        }
        p->n_folds += folds_into[i] != 0;
        p->md[i] = po.out_md;
        ws_bytes[i] = al(po.ws_bytes);
        if (po.scratch_bytes > p->scratch_bytes)
            p->scratch_bytes = po.scratch_bytes;
        if (po.wdiff_bytes > p->wdiff_bytes)
            p->wdiff_bytes = po.wdiff_bytes;
    }
    if (s != EIP_OK)
        goto done;
    /* memory objects and block lifetimes */
    int nb = 0, T = 2 * nn - 1; /* backward of node i at T - i */
    for (int i = 0; i < nn && s == EIP_OK; i++) {
        s = eip_nn_mem_new(&p->act[i], &p->md[i], eng, net->nodes[i].name, err);
        size_t bytes = al(eip_nn_md_bytes(&p->md[i]));
        /* a conv with a folded BN keeps its block as long as the BN's output is read */
        int user = folds_into[i] ? folds_into[i] : i;
        int end = grad ? T - i : (user == last ? nn : maxcons[user]);
        if (!alias[i])
            b[nb++] = (blk){bytes, 0, i, end, &p->act_off[i]};
        if (i > 0 && ws_bytes[i])
            b[nb++] = (blk){ws_bytes[i], 0, i, grad ? T - i : i, &p->ws_off[i]};
        if (grad && s == EIP_OK) {
            s = eip_nn_mem_new(&p->diff[i], &p->md[i], eng, net->nodes[i].name, err);
            int start = i == last ? T - last : T - maxcons[i];
            b[nb++] = (blk){bytes, 0, start, T - i, &p->diff_off[i]};
        }
    }
    if (grad) {
        /* same walk as backward: later consumers of a node get a temporary */
        written[last] = 1;
        for (int i = last; i >= 1 && s == EIP_OK; i--) {
            eip_nn_node *nd = &net->nodes[i];
            for (int j = 0; j < nd->n_in && s == EIP_OK; j++) {
                int q = nd->in[j];
                if (!written[q]) {
                    written[q] = 1;
                    continue;
                }
                int k = i * EIP_NN_MAX_IN + j;
                s = eip_nn_mem_new(&p->tmp[k], &p->md[q], eng, nd->name, err);
                b[nb++] = (blk){al(eip_nn_md_bytes(&p->md[q])), 0, T - i, T - i, &p->tmp_off[k]};
            }
        }
    }
    if (s != EIP_OK)
        goto done;
    if (pack(b, nb, &p->arena_bytes) != 0) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "nn: arena plan");
        goto done;
    }
    for (int i = 0; i < nn; i++)
        if (alias[i])
            p->act_off[i] = p->act_off[alias[i]];
    /* edges: plain caller arrays */
    dnnl_memory_desc_t plain;
    s = eip_nn_md_for_shape(&plain, n, &net->nodes[last].shape, dnnl_f32, err);
    if (s == EIP_OK)
        s = eip_nn_mem_new(&p->user_out, &plain, eng, "output", err);
    if (s == EIP_OK)
        s = eip_nn_reorder_make(&p->out_reorder, &p->md[last], &plain, eng, 0, &p->scratch_bytes,
                                "output", "output reorder", err);
    if (s == EIP_OK && grad)
        s = eip_nn_reorder_make(&p->dout_reorder, &plain, &p->md[last], eng, 0, &p->scratch_bytes,
                                "output", "output diff reorder", err);
    p->alias_out = s == EIP_OK && last >= 1 && net->nodes[last].vt->out_alias && p->out_reorder.copy_bytes &&
                   (!grad || p->dout_reorder.copy_bytes);
    p->in_bytes = eip_nn_md_bytes(&p->md[0]);
    p->out_bytes = eip_nn_md_bytes(&plain);
done:
    free(alias);
    free(folds_into);
    free(fold);
    free(ws_bytes);
    free(maxcons);
    free(written);
    free(b);
    if (s != EIP_OK) {
        plan_free(net, p);
        *out = NULL;
    }
    return s;
}

static eip_status get_plan(eip_nn_net_t *net, int64_t n, eip_nn_pkind kind, eip_nn_plan **out,
                           eip_error *err)
{
    int victim = 0;
    for (int i = 0; i < EIP_NN_PLAN_CACHE; i++) {
        eip_nn_plan *p = net->plans[i];
        if (p && p->n == n && p->kind == kind &&
            p->dt == (net->ctx->precision == EIP_NN_BF16 ? dnnl_bf16 : dnnl_f32)) {
            p->used = ++net->plan_clock;
            *out = p;
            return EIP_OK;
        }
        if (!p || (net->plans[victim] && p->used < net->plans[victim]->used))
            victim = i;
    }
    if (net->plans[victim] == net->last_fwd)
        net->last_fwd = NULL;
    plan_free(net, net->plans[victim]);
    net->plans[victim] = NULL;
    EIP_NN_OK(plan_make(net, n, kind, &net->plans[victim], err));
    net->plans[victim]->used = ++net->plan_clock;
    *out = net->plans[victim];
    return EIP_OK;
}

static eip_status grow(void **buf, size_t *have, size_t need, const char *what, eip_error *err)
{
    if (need <= *have && *buf)
        return EIP_OK;
    free(*buf);
    *buf = aligned_alloc(EIP_NN_ALIGN, al(need ? need : EIP_NN_ALIGN));
    *have = *buf ? al(need ? need : EIP_NN_ALIGN) : 0;
    if (!*buf)
        return eip_error_set(err, EIP_ERR_NOMEM, "nn: %s (%zu bytes)", what, need);
    return EIP_OK;
}

static void exec_base(eip_nn_net_t *net, eip_nn_plan *p, eip_nn_exec *ex)
{
    memset(ex, 0, sizeof *ex);
    ex->stream = (dnnl_stream_t)net->ctx->stream;
    ex->kind = p->kind;
    ex->n = p->n;
    ex->scratch = net->scratch;
    ex->wdiff = net->wdiff;
    ex->params = net->params;
    ex->grads = net->grads;
    ex->bufs = net->bufs;
    ex->counters = net->counters;
    ex->param_version = p->fwd_version;
    ex->pass = p->fwd_pass;
    ex->reread = p->kind == EIP_NN_PK_TRAIN;
}

eip_status eip_nn_forward(eip_nn_net_t *net, const float *x, int64_t n, eip_nn_mode mode,
                          float *out, eip_error *err)
{
    if (!net || !net->finalized || !x || !out)
        return eip_error_set(err, EIP_ERR_ARG, "nn forward: NULL argument or unfinished net");
    if (n < 1 || n > (1 << 24))
        return eip_error_set(err, EIP_ERR_RANGE, "nn forward: batch size %lld", (long long)n);
    eip_nn_pkind kind = mode == EIP_NN_TRAIN ? EIP_NN_PK_TRAIN
                        : mode == EIP_NN_EVAL_GRAD ? EIP_NN_PK_EVAL_GRAD : EIP_NN_PK_INFER;
    if (mode != EIP_NN_TRAIN && mode != EIP_NN_EVAL && mode != EIP_NN_EVAL_GRAD)
        return eip_error_set(err, EIP_ERR_ARG, "nn forward: bad mode %d", (int)mode);
    net->last_fwd = NULL;
    eip_nn_plan *p;
    EIP_NN_OK(get_plan(net, n, kind, &p, err));
    EIP_NN_OK(grow((void **)&net->arena, &net->arena_bytes, p->arena_bytes, "activation arena", err));
    EIP_NN_OK(grow(&net->scratch, &net->scratch_bytes, p->scratch_bytes, "scratchpad", err));
    EIP_NN_OK(grow((void **)&net->wdiff, &net->wdiff_bytes, p->wdiff_bytes, "diff weights scratch", err));
    if (kind == EIP_NN_PK_TRAIN) /* BN running statistics change: folded weights go stale */
        net->param_version++;
    p->fwd_version = net->param_version;
    p->fwd_pass = ++net->pass;
    for (int i = 0; i < p->nn; i++)
        EIP_NN_OK(eip_nn_mem_bind(p->act[i], net->arena + p->act_off[i], net->nodes[i].name, err));
    if (p->alias_out)
        EIP_NN_OK(eip_nn_mem_bind(p->act[p->nn - 1], out, "output", err));
    memcpy(net->arena + p->act_off[0], x, p->in_bytes);
    eip_nn_exec ex;
    exec_base(net, p, &ex);
    for (int i = 1; i < p->nn; i++) {
        eip_nn_node *nd = &net->nodes[i];
        for (int j = 0; j < nd->n_in; j++)
            ex.src[j] = p->act[nd->in[j]];
        ex.dst = p->act[i];
        ex.ws = net->arena + p->ws_off[i];
        ex.name = nd->name;
        EIP_NN_OK(nd->vt->forward(nd->layer, p->state[i], &ex, err));
    }
    int last = p->nn - 1;
    ex.name = "output";
    if (!p->alias_out) {
        EIP_NN_OK(eip_nn_mem_bind(p->user_out, out, "output", err));
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, p->act[last]}, {DNNL_ARG_TO, p->user_out}};
        EIP_NN_OK(eip_nn_prim_run(&p->out_reorder, &ex, a, 2, "output reorder", err));
    }
    if (kind != EIP_NN_PK_INFER)
        net->last_fwd = p;
    return EIP_OK;
}

eip_status eip_nn_backward(eip_nn_net_t *net, const float *dout, float *dx, eip_error *err)
{
    if (!net || !dout)
        return eip_error_set(err, EIP_ERR_ARG, "nn backward: NULL argument");
    eip_nn_plan *p = net->last_fwd;
    if (!p)
        return eip_error_set(err, EIP_ERR_STATE,
                             "nn backward: needs a preceding TRAIN or EVAL_GRAD forward (one backward per forward)");
    net->last_fwd = NULL;
    int nn = p->nn, last = nn - 1;
    char *written = calloc((size_t)nn, 1);
    if (!written)
        return eip_error_set(err, EIP_ERR_NOMEM, "nn backward");
    eip_status s = EIP_OK;
    for (int i = 0; i < nn && s == EIP_OK; i++)
        s = eip_nn_mem_bind(p->diff[i], net->arena + p->diff_off[i], net->nodes[i].name, err);
    for (int k = 0; k < nn * EIP_NN_MAX_IN && s == EIP_OK; k++)
        if (p->tmp[k])
            s = eip_nn_mem_bind(p->tmp[k], net->arena + p->tmp_off[k], "fan-out", err);
    eip_nn_exec ex;
    exec_base(net, p, &ex);
    ex.name = "output";
    if (s == EIP_OK && p->alias_out) /* the last node only reads its ddst */
        s = eip_nn_mem_bind(p->diff[last], (void *)dout, "output", err);
    else if (s == EIP_OK)
        s = eip_nn_mem_bind(p->user_out, (void *)dout, "output", err);
    if (s == EIP_OK && !p->alias_out) {
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, p->user_out}, {DNNL_ARG_TO, p->diff[last]}};
        s = eip_nn_prim_run(&p->dout_reorder, &ex, a, 2, "output diff reorder", err);
    }
    written[last] = 1;
    for (int i = last; i >= 1 && s == EIP_OK; i--) {
        eip_nn_node *nd = &net->nodes[i];
        int acc[EIP_NN_MAX_IN] = {0};
        for (int j = 0; j < nd->n_in; j++) {
            int q = nd->in[j];
            ex.src[j] = p->act[q];
            if (q == 0 && !dx && nd->vt->can_skip_dsrc) {
                ex.dsrc[j] = NULL;
            } else if (!written[q]) {
                ex.dsrc[j] = p->diff[q];
                written[q] = 1;
            } else {
                ex.dsrc[j] = p->tmp[i * EIP_NN_MAX_IN + j];
                acc[j] = 1;
            }
        }
        ex.dst = p->act[i];
        ex.ddst = p->diff[i];
        ex.ws = net->arena + p->ws_off[i];
        ex.name = nd->name;
        s = nd->vt->backward(nd->layer, p->state[i], &ex, err);
        for (int j = 0; j < nd->n_in && s == EIP_OK; j++)
            if (acc[j]) {
                int q = nd->in[j];
                eip_nn_axpy1(net->arena + p->diff_off[q], net->arena + p->tmp_off[i * EIP_NN_MAX_IN + j],
                             (int64_t)(eip_nn_md_bytes(&p->md[q]) /
                                       (p->md[q].data_type == dnnl_bf16 ? 2 : sizeof(float))),
                             p->md[q].data_type);
            }
        memset(ex.dsrc, 0, sizeof ex.dsrc);
    }
    if (s == EIP_OK && dx) {
        if (written[0])
            memcpy(dx, net->arena + p->diff_off[0], p->in_bytes);
        else
            memset(dx, 0, p->in_bytes);
    }
    free(written);
    return s;
}
