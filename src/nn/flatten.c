/* Flatten (torch.flatten(x, 1)): [N, C, H, W] in any layout -> [N, F]
 * plain, F = C*H*W in C, H, W order — the one place inside the net where a
 * blocked activation is reordered back to plain (before a linear layer).
 * Backward reorders the plain diff back into the producer's layout. */
#include <stdlib.h>

#include "nn/nn_internal.h"

typedef struct flatten_state {
    eip_nn_prim fwd, bwd;
    dnnl_memory_t plain4;  /* [N, C, H, W] abcd view of the output buffer */
    dnnl_memory_t dplain4; /* same view of the output diff */
    int train;
} flatten_state;

static void flatten_state_free(void *p)
{
    flatten_state *s = p;
    if (!s)
        return;
    eip_nn_prim_free(&s->fwd);
    eip_nn_prim_free(&s->bwd);
    eip_nn_mem_free(&s->plain4);
    eip_nn_mem_free(&s->dplain4);
    free(s);
}

static eip_status flatten_plan(void *layer, const eip_nn_plan_in *in, void **state,
                               eip_nn_plan_out *out, eip_error *err)
{
    const char *nm = in->name;
    flatten_state *s = calloc(1, sizeof *s);
    if (!s)
        return eip_error_set(err, EIP_ERR_NOMEM, "layer %s: plan", nm);
    *state = s;
    s->train = in->kind != EIP_NN_PK_INFER;
    dnnl_memory_desc_t p4;
    const dnnl_data_type_t dt = in->in_md[0]->data_type;
    EIP_NN_OK(eip_nn_md_for_shape(&p4, in->n, in->in_shape[0], dt, err));
    EIP_NN_OK(eip_nn_md_for_shape(&out->out_md, in->n, in->out_shape, dt, err));
    EIP_NN_OK(eip_nn_mem_new(&s->plain4, &p4, in->eng, nm, err));
    EIP_NN_OK(eip_nn_reorder_make(&s->fwd, in->in_md[0], &p4, in->eng, 0, &out->scratch_bytes, nm,
                                  "flatten reorder", err));
    if (s->train) {
        EIP_NN_OK(eip_nn_mem_new(&s->dplain4, &p4, in->eng, nm, err));
        EIP_NN_OK(eip_nn_reorder_make(&s->bwd, &p4, in->in_md[0], in->eng, 0, &out->scratch_bytes,
                                      nm, "flatten diff reorder", err));
    }
    return EIP_OK;
}

static eip_status flatten_forward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    flatten_state *s = state;
    EIP_NN_OK(eip_nn_mem_bind(s->plain4, eip_nn_mem_ptr(ex->dst), ex->name, err));
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, ex->src[0]}, {DNNL_ARG_TO, s->plain4}};
    return eip_nn_prim_run(&s->fwd, ex, a, 2, "flatten reorder", err);
}

static eip_status flatten_backward(void *layer, void *state, const eip_nn_exec *ex, eip_error *err)
{
    flatten_state *s = state;
    if (!s->train)
        return eip_error_set(err, EIP_ERR_STATE, "layer %s: planned without backward", ex->name);
    EIP_NN_OK(eip_nn_mem_bind(s->dplain4, eip_nn_mem_ptr(ex->ddst), ex->name, err));
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, s->dplain4}, {DNNL_ARG_TO, ex->dsrc[0]}};
    return eip_nn_prim_run(&s->bwd, ex, a, 2, "flatten diff reorder", err);
}

static void flatten_free(void *layer) { free(layer); }

static const eip_nn_layer_vt flatten_vt = {
    "flatten", flatten_plan, flatten_forward, flatten_backward, flatten_state_free, NULL, NULL,
    flatten_free, 0, NULL, 0, NULL, 0,
};

eip_status eip_nn_flatten_add(eip_nn_net_t *net, const char *name, int in, int *id, eip_error *err)
{
    char lb_[EIP_NN_NAME_MAX];
    name = eip_nn_label(net, "flatten", name, lb_, sizeof lb_);
    const eip_nn_shape *is = eip_nn_node_shape(net, in);
    if (!is)
        return eip_error_set(err, EIP_ERR_ARG, "flatten %s: bad input node", name);
    eip_nn_shape os = {1, eip_nn_shape_numel(is), 1, 1};
    return eip_nn_net_add(net, &flatten_vt, NULL, name, &in, 1, &os, id, err);
}
