/* The net graph: nodes in topological order (node 0 = the input), the flat
 * parameter / gradient / buffer blocks and the per-tensor views that name
 * them (PyTorch state_dict names and order), parameter init, accessors.
 * Execution (plans, arena, forward, backward) is in exec.c.
 * Shapes: see the legend in nn_internal.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

void eip_nn_plans_free(eip_nn_net_t *net); /* exec.c */

eip_status eip_nn_net_new(eip_nn_ctx *ctx, int64_t c, int64_t h, int64_t w,
                          eip_nn_net_t **out, eip_error *err)
{
    *out = NULL;
    if (!ctx || !ctx->engine)
        return eip_error_set(err, EIP_ERR_ARG, "nn: context not initialised");
    if (c < 1 || h < 1 || w < 1 || c > 65536 || h > 65536 || w > 65536)
        return eip_error_set(err, EIP_ERR_RANGE, "nn: bad input shape %lldx%lldx%lld",
                             (long long)c, (long long)h, (long long)w);
    eip_nn_net_t *net = calloc(1, sizeof *net);
    if (!net)
        return eip_error_set(err, EIP_ERR_NOMEM, "nn: net");
    net->ctx = ctx;
    net->cap_nodes = 32;
    net->nodes = calloc((size_t)net->cap_nodes, sizeof *net->nodes);
    if (!net->nodes) {
        free(net);
        return eip_error_set(err, EIP_ERR_NOMEM, "nn: net");
    }
    eip_nn_node *in = &net->nodes[0];
    snprintf(in->name, sizeof in->name, "input");
    in->shape = (eip_nn_shape){3, c, h, w};
    net->n_nodes = 1;
    *out = net;
    return EIP_OK;
}

const eip_nn_shape *eip_nn_node_shape(const eip_nn_net_t *net, int id)
{
    if (!net || id < 0 || id >= net->n_nodes)
        return NULL;
    return &net->nodes[id].shape;
}

const char *eip_nn_label(const eip_nn_net_t *net, const char *kind, const char *name, char *buf,
                         size_t cap)
{
    if (name && *name)
        return name;
    snprintf(buf, cap, "%s#%d", kind, net->n_nodes);
    return buf;
}

int eip_nn_last_node(const eip_nn_net_t *net) { return net->n_nodes - 1; }

eip_status eip_nn_net_add(eip_nn_net_t *net, const eip_nn_layer_vt *vt, void *layer,
                          const char *name, const int *in, int n_in,
                          const eip_nn_shape *shape_in, int *id, eip_error *err)
{
    eip_status s = EIP_OK;
    /* copy first: callers often pass a producer's shape, i.e. a pointer into
     * net->nodes, which the realloc below may move */
    eip_nn_shape shape_copy = *shape_in;
    const eip_nn_shape *shape = &shape_copy;
    if (net->finalized)
        s = eip_error_set(err, EIP_ERR_STATE, "nn: net already finalized");
    else if (n_in < 1 || n_in > EIP_NN_MAX_IN)
        s = eip_error_set(err, EIP_ERR_ARG, "%s %s: %d inputs", vt->kind, name ? name : "", n_in);
    else if (name && strlen(name) >= EIP_NN_NAME_MAX)
        s = eip_error_set(err, EIP_ERR_ARG, "%s: name too long: %.40s...", vt->kind, name);
    else if (shape->c < 1 || shape->h < 1 || shape->w < 1)
        s = eip_error_set(err, EIP_ERR_SHAPE, "%s %s: empty output shape [%lld, %lld, %lld]",
                          vt->kind, name ? name : "", (long long)shape->c, (long long)shape->h,
                          (long long)shape->w);
    for (int j = 0; s == EIP_OK && j < n_in; j++)
        if (in[j] < 0 || in[j] >= net->n_nodes)
            s = eip_error_set(err, EIP_ERR_ARG, "%s %s: input %d does not exist", vt->kind,
                              name ? name : "", in[j]);
    for (int i = 0; s == EIP_OK && name && *name && i < net->n_nodes; i++)
        if (strcmp(net->nodes[i].name, name) == 0)
            s = eip_error_set(err, EIP_ERR_ARG, "%s: duplicate node name '%s'", vt->kind, name);
    if (s == EIP_OK && net->n_nodes == net->cap_nodes) {
        eip_nn_node *g = realloc(net->nodes, (size_t)net->cap_nodes * 2 * sizeof *g);
        if (!g)
            s = eip_error_set(err, EIP_ERR_NOMEM, "nn: nodes");
        else {
            net->nodes = g;
            net->cap_nodes *= 2;
        }
    }
    if (s != EIP_OK) {
        if (vt->free)
            vt->free(layer);
        return s;
    }
    eip_nn_node *nd = &net->nodes[net->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->vt = vt;
    nd->layer = layer;
    if (name && *name)
        snprintf(nd->name, sizeof nd->name, "%s", name);
    else
        snprintf(nd->name, sizeof nd->name, "%s#%d", vt->kind, net->n_nodes);
    nd->n_in = n_in;
    memcpy(nd->in, in, (size_t)n_in * sizeof *in);
    nd->shape = *shape;
    if (id)
        *id = net->n_nodes;
    net->n_nodes++;
    return EIP_OK;
}

eip_status eip_nn_net_tensor(eip_nn_net_t *net, const char *prefix, const char *suffix,
                             eip_nn_tensor_kind kind, int ndim, const int64_t *shape,
                             int64_t *offset, eip_error *err)
{
    if (net->finalized)
        return eip_error_set(err, EIP_ERR_STATE, "nn: net already finalized");
    if (!prefix || !*prefix)
        return eip_error_set(err, EIP_ERR_ARG, "a layer with parameters needs a name (tensor %s)", suffix);
    if (net->n_tensors == net->cap_tensors) {
        int64_t cap = net->cap_tensors ? net->cap_tensors * 2 : 64;
        eip_nn_tensor_rec *g = realloc(net->tensors, (size_t)cap * sizeof *g);
        if (!g)
            return eip_error_set(err, EIP_ERR_NOMEM, "nn: tensors");
        net->tensors = g;
        net->cap_tensors = cap;
    }
    eip_nn_tensor_rec *r = &net->tensors[net->n_tensors];
    memset(r, 0, sizeof *r);
    snprintf(r->name_buf, sizeof r->name_buf, "%s.%s", prefix, suffix);
    for (int64_t i = 0; i < net->n_tensors; i++)
        if (strcmp(net->tensors[i].name_buf, r->name_buf) == 0)
            return eip_error_set(err, EIP_ERR_ARG, "duplicate tensor name '%s'", r->name_buf);
    r->t.kind = kind;
    r->t.ndim = ndim;
    int64_t cnt = 1;
    for (int d = 0; d < ndim; d++) {
        r->t.shape[d] = shape[d];
        cnt *= shape[d];
    }
    r->t.count = cnt;
    int64_t *next = kind == EIP_NN_TENSOR_PARAM ? &net->n_params
                    : kind == EIP_NN_TENSOR_BUFFER ? &net->n_bufs : &net->n_counters;
    r->t.offset = *next;
    *next += cnt;
    *offset = r->t.offset;
    net->n_tensors++;
    return EIP_OK;
}

eip_status eip_nn_net_finalize(eip_nn_net_t *net, eip_error *err)
{
    if (net->finalized)
        return EIP_OK;
    if (net->n_nodes < 2)
        return eip_error_set(err, EIP_ERR_ARG, "nn: the net has no layers");
    /* every node but the last must feed something (one output, no dead branches) */
    for (int i = 0; i < net->n_nodes - 1; i++) {
        int used = 0;
        for (int k = i + 1; k < net->n_nodes && !used; k++)
            for (int j = 0; j < net->nodes[k].n_in; j++)
                used |= net->nodes[k].in[j] == i;
        if (!used)
            return eip_error_set(err, EIP_ERR_ARG,
                                 "nn: output of node '%s' is never used (the last node is the only output)",
                                 net->nodes[i].name);
    }
    for (int64_t i = 0; i < net->n_tensors; i++) /* records stop moving now */
        net->tensors[i].t.name = net->tensors[i].name_buf;
    size_t np = (size_t)(net->n_params ? net->n_params : 1);
    net->params = calloc(np, sizeof(float));
    net->grads = calloc(np, sizeof(float));
    net->bufs = calloc((size_t)(net->n_bufs ? net->n_bufs : 1), sizeof(float));
    net->counters = calloc((size_t)(net->n_counters ? net->n_counters : 1), sizeof(int64_t));
    if (!net->params || !net->grads || !net->bufs || !net->counters)
        return eip_error_set(err, EIP_ERR_NOMEM, "nn: parameter blocks (%lld params)",
                             (long long)net->n_params);
    net->finalized = 1;
    net->param_version = 1;
    return EIP_OK;
}

void eip_nn_net_free(eip_nn_net_t *net)
{
    if (!net)
        return;
    eip_nn_plans_free(net);
    for (int i = 1; i < net->n_nodes; i++)
        if (net->nodes[i].vt->free)
            net->nodes[i].vt->free(net->nodes[i].layer);
    free(net->nodes);
    free(net->tensors);
    free(net->params);
    free(net->grads);
    free(net->bufs);
    free(net->counters);
    free(net->config_text);
    free(net->arena);
    free(net->scratch);
    free(net->wdiff);
    free(net);
}

eip_status eip_nn_init_params(eip_nn_net_t *net, uint64_t seed, eip_error *err)
{
    if (!net || !net->finalized)
        return eip_error_set(err, EIP_ERR_STATE, "nn: init_params on an unfinished net");
    uint64_t rng = seed;
    for (int i = 1; i < net->n_nodes; i++) {
        eip_nn_node *nd = &net->nodes[i];
        if (nd->vt->init)
            nd->vt->init(nd->layer, net->params, net->bufs, net->counters, &rng);
    }
    eip_nn_set_dropout_seed(net, seed ^ 0xD50F0F5EEDull);
    memset(net->grads, 0, (size_t)net->n_params * sizeof(float));
    eip_nn_mark_dirty(net);
    return EIP_OK;
}

void eip_nn_set_dropout_seed(eip_nn_net_t *net, uint64_t seed)
{
    uint64_t s = seed;
    for (int i = 1; i < net->n_nodes; i++)
        if (net->nodes[i].vt->reseed)
            net->nodes[i].vt->reseed(net->nodes[i].layer, eip_nn_splitmix64(&s));
}

void eip_nn_zero_grad(eip_nn_net_t *net)
{
    memset(net->grads, 0, (size_t)net->n_params * sizeof(float));
}

void eip_nn_mark_dirty(eip_nn_net_t *net) { net->param_version++; }

float *eip_nn_params(eip_nn_net_t *net, int64_t *count)
{
    if (count)
        *count = net->n_params;
    return net->params;
}

float *eip_nn_grads(eip_nn_net_t *net, int64_t *count)
{
    if (count)
        *count = net->n_params;
    return net->grads;
}

float *eip_nn_buffers(eip_nn_net_t *net, int64_t *count)
{
    if (count)
        *count = net->n_bufs;
    return net->bufs;
}

int64_t *eip_nn_counters(eip_nn_net_t *net, int64_t *count)
{
    if (count)
        *count = net->n_counters;
    return net->counters;
}

int64_t eip_nn_param_count(const eip_nn_net_t *net) { return net->n_params; }

int64_t eip_nn_forward_flops(const eip_nn_net_t *net)
{
    int64_t macs = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const eip_nn_node *n = &net->nodes[i];
        if (n->vt && n->vt->macs)
            macs += n->vt->macs(n->layer, &n->shape);
    }
    return 2 * macs;
}

int64_t eip_nn_tensor_count(const eip_nn_net_t *net) { return net->n_tensors; }

const eip_nn_tensor *eip_nn_tensor_at(const eip_nn_net_t *net, int64_t i)
{
    if (i < 0 || i >= net->n_tensors)
        return NULL;
    return &net->tensors[i].t;
}

const eip_nn_tensor *eip_nn_tensor_find(const eip_nn_net_t *net, const char *name)
{
    for (int64_t i = 0; i < net->n_tensors; i++)
        if (strcmp(net->tensors[i].name_buf, name) == 0)
            return &net->tensors[i].t;
    return NULL;
}

void eip_nn_input_shape(const eip_nn_net_t *net, int64_t *c, int64_t *h, int64_t *w)
{
    const eip_nn_shape *s = &net->nodes[0].shape;
    if (c)
        *c = s->c;
    if (h)
        *h = s->h;
    if (w)
        *w = s->w;
}

int64_t eip_nn_output_size(const eip_nn_net_t *net)
{
    return eip_nn_shape_numel(&net->nodes[net->n_nodes - 1].shape);
}

eip_nn_ctx *eip_nn_net_ctx(const eip_nn_net_t *net) { return net->ctx; }

const eip_nn_arch *eip_nn_net_arch(const eip_nn_net_t *net)
{
    return net->has_arch ? &net->arch : NULL;
}

const char *eip_nn_net_config_text(const eip_nn_net_t *net) { return net->config_text; }

void eip_nn_net_describe(const eip_nn_net_t *net, char *buf, size_t cap)
{
    size_t used = 0;
    if (!cap)
        return;
    buf[0] = '\0';
    for (int i = 0; i < net->n_nodes && used < cap; i++) {
        const eip_nn_node *nd = &net->nodes[i];
        char ins[64] = "";
        size_t u = 0;
        for (int j = 0; j < nd->n_in && u < sizeof ins; j++)
            u += (size_t)snprintf(ins + u, sizeof ins - u, "%s%d", j ? "," : "", nd->in[j]);
        int w;
        if (nd->shape.ndim == 3)
            w = snprintf(buf + used, cap - used, "%3d %-8s %-28s <- [%s] -> [%lld, %lld, %lld]\n", i,
                         nd->vt ? nd->vt->kind : "input", nd->name, ins, (long long)nd->shape.c,
                         (long long)nd->shape.h, (long long)nd->shape.w);
        else
            w = snprintf(buf + used, cap - used, "%3d %-8s %-28s <- [%s] -> [%lld]\n", i,
                         nd->vt ? nd->vt->kind : "input", nd->name, ins, (long long)nd->shape.c);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}
